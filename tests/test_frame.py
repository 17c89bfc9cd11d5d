"""Frames and windows: placing a frame's data window inside a larger one."""

from __future__ import annotations

import numpy as np
import pytest

from vtinker_core.frame import Frame, FrameMeta, Window


def _frame(window: Window) -> Frame:
    pixels = np.arange(window.width * window.height * 2, dtype=np.float32)
    meta = FrameMeta(data_window=window, display_window=Window(0, 0, 100, 50))
    return Frame(pixels.reshape(window.height, window.width, 2), ("R", "A"), meta)


def test_windows_union_and_containment() -> None:
    a, b = Window(2, 3, 10, 6), Window(-4, 5, 8, 20)
    assert a.union(b) == Window(-4, 3, 16, 22)
    assert a.union(b).contains(a) and a.union(b).contains(b)
    assert not a.contains(b)


def test_placed_in_keeps_pixels_in_place_and_zeros_elsewhere() -> None:
    frame = _frame(Window(5, 7, 4, 3))
    placed = frame.placed_in(Window(3, 6, 10, 8))
    assert placed.meta.data_window == Window(3, 6, 10, 8)
    assert placed.meta.display_window == frame.meta.display_window
    np.testing.assert_array_equal(placed.pixels[1:4, 2:6], frame.pixels)
    assert placed.pixels.sum() == frame.pixels.sum()
    assert frame.placed_in(frame.meta.data_window) is frame


def test_placed_in_refuses_a_window_that_cuts_the_data() -> None:
    with pytest.raises(ValueError, match="does not contain"):
        _frame(Window(5, 7, 4, 3)).placed_in(Window(6, 7, 10, 10))
