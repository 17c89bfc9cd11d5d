"""Tiny real footage and an isolated window for the Qt tests (tests/test_ui_*.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from vtinker_core.frame import Frame
from vtinker_core.io import write_frame

#: How long a test waits for the preview's background work, ms.
WAIT_MS = 20000


def square(x: int, height: int = 32, width: int = 48, value: float = 0.9) -> np.ndarray:
    """H×W×3 float32: a flat 0.1 grey with a ``value`` square whose left edge is at ``x``."""
    pixels = np.full((height, width, 3), 0.1, np.float32)
    pixels[10:22, x : x + 12] = value
    return pixels


def write_sequence(folder: Path, name: str = "shot", count: int = 5, value: float = 4.0) -> str:
    """``count`` scene-linear half EXRs ``name.0001.exr``...; returns the ``####`` pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        pixels = square(4 + 5 * i, value=value)
        write_frame(folder / f"{name}.{i:04d}.exr", Frame.from_array(pixels))
    return str(folder / f"{name}.####.exr")


def write_pair(folder: Path) -> list[str]:
    """Two 8-bit PNGs (not a numbered sequence) with a square moving right."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, x in (("left.png", 4), ("right.png", 30)):
        path = folder / name
        write_frame(path, Frame.from_array(square(x)))
        paths.append(str(path))
    return paths


def isolated_settings(tmp_path: Path, name: str = "prefs.ini") -> QSettings:
    """A QSettings INI file under ``tmp_path``: tests never touch the user's settings."""
    return QSettings(str(tmp_path / name), QSettings.Format.IniFormat)


def image_array(image: QImage) -> np.ndarray:
    """A QImage's pixels as an H×W×3 uint8 array (a copy)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return data[:, : width * 3].reshape(height, width, 3).copy()


def select_data(combo: Any, data: Any) -> None:
    """Select the combo box item whose data is ``data``."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)
