"""The preview window survives a working day of painting (pytest-qt, the real window).

PySide6-Essentials 6.12.0 on Python 3.10 and 3.11 drops one reference to ``None`` on every
void ``QPainter`` call (``setPen``, ``drawLine``, ``fillRect``, ``setRenderHint``); our own
``paintEvent`` overrides (timeline, viewer) make dozens of such calls per paint, so within
seconds of scrubbing ``None``'s count reaches zero and the process aborts with "Fatal Python
error: none_dealloc". This test paints the real window thousands of times, as a user does
(step the playhead, edit a field, repaint), and fails as soon as ``None``'s count falls,
before the process could abort. On Python 3.12 and later ``None`` is immortal: its count
never changes, and the test checks that the window survives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication
from ui_helpers import WAIT_MS, isolated_settings, select_data, write_sequence

from vtinker_ui.preview_window import PreviewWindow

pytestmark = pytest.mark.timeout(120)

ROUNDS = 2000
#: Other threads and caches hold and release references to None; a real leak of one per
#: void painter call falls far below this within a few rounds.
NONE_SLACK = 100


def test_painting_the_window_thousands_of_times_keeps_none_alive(
    qtbot: Any, tmp_path: Path
) -> None:
    sequence = write_sequence(tmp_path / "plates", count=6)
    window = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
    qtbot.addWidget(window)
    select_data(window.panel.engine_combo, "blend")
    window.resize(900, 600)
    window.show()
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths([sequence])
    speed, output = window.panel.timing.speed_edit, window.panel.output_path
    app = QApplication.instance()
    assert app is not None
    start = sys.getrefcount(None)
    lowest = start
    for round_ in range(ROUNDS):
        window.step(1)
        if window.current_frame() == window.output_frames()[-1]:
            window.go_to_end(first=True)
        if round_ % 25 == 0:
            speed.setText("25" if speed.text() == "50" else "50")  # the panel re-validates
            output.setText(f"{tmp_path}/out/v{round_ // 25 % 3}/shot.####.exr")
            window.refresh()
        app.processEvents()
        window.timeline.grab()
        window.viewer.grab()
        if round_ % 100 == 0:
            window.grab()  # the whole window: panel, controls, status bar
        lowest = min(lowest, sys.getrefcount(None))
        assert start - lowest < NONE_SLACK, (
            f"None's reference count fell by {start - lowest} after {round_ + 1} paints of the "
            f"window: this PySide6 leaks a reference to None per painter call, and the process "
            f"will abort (pin the PySide6 of requirements/constraints.txt)"
        )
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=WAIT_MS)
    assert start - sys.getrefcount(None) < NONE_SLACK
    assert window.current_result() is not None
