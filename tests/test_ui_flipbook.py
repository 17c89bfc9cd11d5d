"""The flipbook: computed frames kept in a bounded RAM cache and played at the output rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from ui_helpers import WAIT_MS, isolated_settings, select_data, write_sequence

from vtinker_core.timing import Sample
from vtinker_ui.compute import DisplaySettings, FrameResult
from vtinker_ui.frame_cache import (
    MAX_SHARE_OF_FREE,
    FrameCache,
    cache_limit,
    describe_cache,
    frame_key,
    result_bytes,
)
from vtinker_ui.preview_window import PreviewWindow

pytestmark = pytest.mark.timeout(60)


def _result(frame: int, side: int = 10) -> FrameResult:
    sample = Sample(frame, frame + 0.5, frame, frame + 1, 0.5)
    image = np.zeros((side, side, 3), np.uint8)
    pixels = np.zeros((side, side, 3), np.float32)
    return FrameResult(sample, image, pixels)


def _key(result: FrameResult) -> Any:
    return frame_key(result.sample, DisplaySettings(), ())


def test_a_full_cache_drops_the_least_recently_shown_frames_and_counts_bytes() -> None:
    one = result_bytes(_result(1))
    assert one == 10 * 10 * 3 * (1 + 4)  # the 8-bit image and the float pixels
    cache = FrameCache(3 * one + one // 2)
    a, b, c, d = (_result(n) for n in (1, 2, 3, 4))
    for result in (a, b, c):
        assert cache.put(_key(result), result) == []
    assert (len(cache), cache.nbytes) == (3, 3 * one)
    assert cache.get(_key(a)) is a  # a is now the most recently shown
    assert cache.put(_key(d), d) == [_key(b)]  # the oldest, b, makes room
    assert _key(b) not in cache and all(_key(r) in cache for r in (a, c, d))
    assert cache.nbytes == 3 * one <= cache.max_bytes
    assert cache.put(_key(_result(5, side=100)), _result(5, side=100)) == [
        _key(_result(5, side=100))
    ]  # larger than the whole cache: not kept, nothing else dropped
    assert len(cache) == 3
    assert cache.set_max_bytes(one) == [_key(c), _key(a)]
    assert cache.nbytes == one
    assert describe_cache(cache) == "RAM cache: 1 frame, 1.5 KiB of 1.5 KiB"


def test_the_cache_never_takes_more_than_its_share_of_free_memory() -> None:
    gib = 1024**3
    assert cache_limit(2 * gib, free=16 * gib) == 2 * gib  # the preference
    assert cache_limit(2 * gib, free=1 * gib) == int(gib * MAX_SHARE_OF_FREE)
    assert cache_limit(2 * gib, free=1 * gib, cached=gib) == gib  # its own frames count as free
    assert 0 < cache_limit(2 * gib) <= 2 * gib  # measured on this machine


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> PreviewWindow:
    win = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
    qtbot.addWidget(win)
    select_data(win.panel.engine_combo, "blend")
    win.resize(900, 600)
    win.show()
    return win


def _compute_all(qtbot: Any, window: PreviewWindow) -> None:
    for frame in window.output_frames():
        if window.current_result() and window.current_result().sample.output_frame == frame:
            continue
        with qtbot.waitSignal(
            window.frameShown,
            timeout=WAIT_MS,
            check_params_cb=lambda r, f=frame: r.sample.output_frame == f,
        ):
            window.set_frame(frame)


def test_playing_runs_from_ram_at_the_output_rate(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths([write_sequence(tmp_path / "plates")])
    window.panel.output_fps_edit.setText("25")
    window.refresh()
    frames = window.output_frames()
    assert frames == list(range(1, 10))
    _compute_all(qtbot, window)
    assert window.timeline.cached() == set(frames)
    assert window.cache_label.text().startswith("RAM cache: 9 frames, ")

    window.toggle_play()
    assert window.is_playing() and window.playback.tick_interval_ms() == 40  # 25 fps
    window.toggle_play()
    window.set_frame(1)
    asked = window.worker.latest_frame_ticket()
    shown: list[int] = []
    window.frameShown.connect(lambda r: shown.append(r.sample.output_frame))
    for _ in range(len(frames)):
        window.playback.tick()  # what the timer does every 40 ms
    assert shown == [*frames[1:], frames[0]]  # every frame, in order, then round again
    assert window.worker.latest_frame_ticket() != asked  # ...superseded, never recomputed
    assert not window.worker.is_busy()


def test_a_small_cache_keeps_the_latest_frames_and_says_so(qtbot: Any, tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    win = PreviewWindow(settings=settings, restore_last=False)
    qtbot.addWidget(win)
    select_data(win.panel.engine_combo, "blend")
    with qtbot.waitSignal(win.frameShown, timeout=WAIT_MS) as blocker:
        win.open_paths([write_sequence(tmp_path / "plates")])
    one = result_bytes(blocker.args[0])
    win.set_cache_limit(3 * one)  # what Playback > RAM Cache does, with a tiny size
    assert win.prefs.cache_limit_bytes() == 3 * one  # remembered
    _compute_all(qtbot, win)
    cache = win.playback.cache
    assert len(cache) == 3 and cache.nbytes == 3 * one <= cache.max_bytes
    assert win.timeline.cached() == {7, 8, 9}  # the last three shown
    assert win.cache_label.text() == describe_cache(cache)
    assert "3 frames" in win.cache_label.text()
    win.clear_cache()
    assert len(cache) == 0 and win.timeline.cached() == set()
    assert "0 frames" in win.cache_label.text()
