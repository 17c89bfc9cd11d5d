"""Evaluating any engine with the VTinker paper's protocols (Vimeo-90K, UCF101, SNU-FILM,
DAVIS, Xiph) and upstream's PSNR/SSIM. Modules: ``metrics``, ``benchmarks``, ``cli``
(``vtinker evaluate``). Importing this package imports nothing.
"""
