"""Training VTinker: stage 1 (motion network) and stage 2 (full network), one GPU or DDP.

Modules: ``datasets`` (Vimeo-90K and folders of sequences/videos), ``losses``, ``schedule``,
``config``, ``trainer``, ``distributed``, ``state`` (resume), ``logs``, ``cli``
(``vtinker train``; ``torchrun -m vtinker_core.train.cli``). Nothing here is imported by the
inference engine, and importing this package imports nothing.
"""
