"""VTinker Retime core: frames, colour, timing, engines and renders, without Qt or host APIs.

Importing this package is cheap: torch is imported only where a network runs.
"""

__version__ = "0.1.0"
