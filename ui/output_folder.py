"""Where a new source's renders go: the user's output folder, never beside the plate unasked.

Example::

    folder = output_folder(prefs.output_folder())      # the chosen folder, if writable,
                                                       # else default_output_folder()
    suggest_output("/plates/sh010/sh010.####.exr", folder)
    # "<folder>/sh010/sh010.####.exr"

Studios often keep plates read-only, and a render written beside a plate mixes outputs into
the footage. So a new source renders into a folder of its own under the user's output folder
(File > Output Folder…, remembered); until one is chosen, under the platform's movies folder
(``~/Videos`` on Linux, ``~/Movies`` on macOS), else Documents, else the home folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths

#: The folder made for VTinker renders inside the platform's movies (or documents) folder.
APP_FOLDER = "VTinker Retime"
_LOCATIONS = (
    QStandardPaths.StandardLocation.MoviesLocation,
    QStandardPaths.StandardLocation.DocumentsLocation,
    QStandardPaths.StandardLocation.HomeLocation,
)


def is_writable(folder: Path) -> bool:
    """Whether ``folder`` can be written to, or made (its nearest existing parent can)."""
    path = folder.expanduser().absolute()
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def default_output_folder() -> Path:
    """``<movies folder>/VTinker Retime`` (or under Documents, or the home folder): the first
    one that can be written."""
    candidates = [
        Path(location) / APP_FOLDER
        for kind in _LOCATIONS
        if (location := QStandardPaths.writableLocation(kind))
    ]
    for candidate in candidates:
        if is_writable(candidate):
            return candidate
    return candidates[-1] if candidates else Path.home() / APP_FOLDER


def output_folder(chosen: str | None) -> Path:
    """The user's output folder when it is set and writable, else :func:`default_output_folder`."""
    if chosen and is_writable(Path(chosen)):
        return Path(chosen)
    return default_output_folder()


def source_stem(path: str) -> str:
    """The name a source's renders take: ``sh010`` for ``sh010.####.exr``, ``sh010.1001.exr``
    or ``sh010.mov``."""
    stem = Path(path).name.split(".")[0].split("#")[0].split("%")[0].rstrip("._-")
    return stem or "retime"


def suggest_output(source: str, folder: Path) -> str:
    """The output pattern for ``source`` in ``folder``: ``<folder>/<stem>/<stem>.####.exr``."""
    stem = source_stem(source)
    return str(folder / stem / f"{stem}.####.exr")


__all__ = [
    "APP_FOLDER",
    "default_output_folder",
    "is_writable",
    "output_folder",
    "source_stem",
    "suggest_output",
]
