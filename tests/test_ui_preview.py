"""The preview window: background frames, the viewer, the timeline, keys, settings (pytest-qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from ui_helpers import (
    WAIT_MS,
    image_array,
    isolated_settings,
    select_data,
    write_pair,
    write_sequence,
)

from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.job import RenderJob
from vtinker_ui.compute import (
    DisplaySettings,
    PreviewSession,
    SourceSpec,
    auto_proxy,
    plan_samples,
    preview_job,
    proxy_frame,
)
from vtinker_ui.flowviz import flow_to_rgb, occlusion_mask
from vtinker_ui.preview_window import PreviewWindow
from vtinker_ui.timeline import Timeline
from vtinker_ui.workers import PreviewWorker

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pair(tmp_path: Path) -> list[str]:
    """Two 8-bit PNGs (not a numbered sequence) with a square moving right."""
    return write_pair(tmp_path)


@pytest.fixture
def sequence(tmp_path: Path) -> str:
    """Five scene-linear half EXRs, 1..5; the square is a 4.0 highlight."""
    return write_sequence(tmp_path / "plates")


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> PreviewWindow:
    win = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
    qtbot.addWidget(win)
    select_data(win.panel.engine_combo, "blend")
    win.panel.output_path.setText(str(tmp_path / "out" / "retime.####.exr"))
    win.resize(900, 600)
    win.show()
    return win


def _wait_for_t(qtbot: Any, win: PreviewWindow, t: float) -> Any:
    with qtbot.waitSignal(
        win.frameShown,
        timeout=WAIT_MS,
        check_params_cb=lambda r: abs(r.sample.t - t) < 1e-9,
    ) as blocker:
        win.set_t(t)
    return blocker.args[0]


def test_a_pair_is_interpolated_in_the_background_and_shown(
    qtbot: Any, window: PreviewWindow, pair: list[str]
) -> None:
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths(pair)
    assert window.transport.t_slider.isVisible() and not window.timeline.isVisible()
    early = _wait_for_t(qtbot, window, 0.25)
    early_shown = image_array(window.viewer.image())
    late = _wait_for_t(qtbot, window, 0.75)
    late_shown = image_array(window.viewer.image())
    for result, shown in ((early, early_shown), (late, late_shown)):
        assert shown.shape == (32, 48, 3)
        assert shown.std() > 10  # not an empty or flat picture
        assert np.array_equal(shown, result.image)
    assert np.abs(early_shown.astype(int) - late_shown.astype(int)).max() > 50


def test_stale_requests_are_dropped_and_only_the_newest_result_arrives(
    qtbot: Any, sequence: str
) -> None:
    job = preview_job(
        {
            "input": {"path": sequence},
            "timing": {"mode": "multiply", "multiplier": 4},
            "engine": {"name": "blend"},
        }
    )
    worker = PreviewWorker()
    with qtbot.waitSignal(worker.sourceOpened, timeout=WAIT_MS) as opened:
        worker.open(job, SourceSpec((sequence,)))
    samples = plan_samples(job, opened.args[1].frames)
    arrived: list[int] = []
    worker.frameReady.connect(lambda r: arrived.append(r.sample.output_frame))
    wanted = [s for s in samples if not s.is_copy][:6]
    with qtbot.waitSignal(worker.busyChanged, timeout=WAIT_MS, check_params_cb=lambda b: not b):
        for sample in wanted:
            worker.request(sample, DisplaySettings())
    worker.shutdown()
    assert arrived == [wanted[-1].output_frame]


def test_a_sequence_gets_a_timeline_and_exposure_shows_highlights(
    qtbot: Any, window: PreviewWindow, sequence: str
) -> None:
    timing = window.panel.timing
    timing.mode_combo.setCurrentIndex(timing.mode_combo.findData("multiply"))
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS) as blocker:
        window.open_paths([sequence])
    window.panel.cut_list_edit.setText("4")  # cuts belong to the source: listed once open
    window.refresh()
    frames = window.output_frames()
    assert frames == list(range(1, 10))  # 5 frames × 2 − 1
    assert window.timeline.cut_slots() == [5]  # the cut before source 4 = output 6 (index 5)
    assert window.panel.output_length() == 9
    result = blocker.args[0]  # the first look: output 2, the first in-between
    assert (result.sample.frame_a, result.sample.frame_b, result.sample.t) == (1, 2, 0.5)
    assert "output 2" in window.viewer._caption
    bright = int(result.image.max())
    # At 0 EV the 4.0 highlight (through the default view) is brighter than at -4 EV, and
    # at -4 EV it is no longer clipped.
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS) as blocker:
        window.view_controls.set_exposure(-4.0)
    dim = blocker.args[0]
    assert int(dim.image.max()) < bright
    assert int(dim.image.max()) < 255
    assert float(dim.pixels.max()) == pytest.approx(4.0, rel=0.01)  # linear values kept


def test_wipe_flow_and_occlusion_views(qtbot: Any, window: PreviewWindow, pair: list[str]) -> None:
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths(pair)
    window.set_t(0.25)
    with qtbot.waitSignal(
        window.frameShown, timeout=WAIT_MS, check_params_cb=lambda r: r.reference is not None
    ) as blocker:
        window.view_controls.set_mode("wipe")
    assert blocker.args[0].reference_frame == 0  # t 0.25: frame 0 is nearer
    assert window.viewer.reference() is not None
    with qtbot.waitSignal(
        window.frameShown, timeout=WAIT_MS, check_params_cb=lambda r: r.flow is not None
    ):
        window.view_controls.set_mode("flow")
    assert image_array(window.viewer.image()).min() == 255  # blend: no motion, all white
    with qtbot.waitSignal(
        window.frameShown, timeout=WAIT_MS, check_params_cb=lambda r: r.occlusion is not None
    ):
        window.view_controls.set_mode("occlusion")


def test_flow_colour_wheel_and_occlusion_mask() -> None:
    flow = np.zeros((4, 6, 2), np.float32)
    flow[..., 0] = 3.0  # everything moves right
    rgb = flow_to_rgb(flow)
    assert rgb.shape == (4, 6, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (255, 0, 0)  # right is red at full speed
    assert flow_to_rgb(np.zeros((2, 2, 2), np.float32)).min() == 255  # still is white
    mask = occlusion_mask(flow, -flow)
    assert mask[:, :3].max() == 0.0  # consistent motion: visible
    assert mask[:, -1].min() == 1.0  # moves out of the frame: occluded


def test_player_keys_and_mouse(qtbot: Any, window: PreviewWindow, sequence: str) -> None:
    timing = window.panel.timing
    timing.mode_combo.setCurrentIndex(timing.mode_combo.findData("multiply"))
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths([sequence])
    viewer = window.viewer
    viewer.setFocus()
    assert window.current_frame() == 2  # the first look: the first in-between
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert window.current_frame() == 1
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert window.current_frame() == 2
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert window.current_frame() == 9
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert window.current_frame() == 8
    qtbot.keyClick(viewer, Qt.Key.Key_Home)
    assert window.current_frame() == 1

    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.zoom() == 1.0
    anchor = QPointF(100.0, 80.0)
    before = viewer.map_to_image(anchor)
    viewer.set_zoom(4.0, anchor)  # what a wheel notch does, about the cursor
    after = viewer.map_to_image(anchor)
    assert (before.x(), before.y()) == pytest.approx((after.x(), after.y()))
    qtbot.mousePress(viewer, Qt.MouseButton.MiddleButton, pos=QPoint(100, 80))
    start = viewer.image_rect().topLeft()
    qtbot.mouseMove(viewer, QPoint(130, 90))
    qtbot.mouseRelease(viewer, Qt.MouseButton.MiddleButton, pos=QPoint(130, 90))
    moved = viewer.image_rect().topLeft() - start
    assert (moved.x(), moved.y()) == pytest.approx((30.0, 10.0))
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.zoom() > 4.0  # fitted: the 48×32 image fills the view

    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # tap: play
    assert window.is_playing()
    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # tap: stop
    assert not window.is_playing()


def test_the_timeline_scrubs_by_click(qtbot: Any, sequence: str) -> None:
    job = RenderJob.from_dict(
        {
            "input": {"path": sequence},
            "output": {"path": "o.####.exr"},
            "timing": {"mode": "speed", "speed": 0.5},
        }
    )
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(900, 46)
    timeline.set_samples(plan_samples(job, [1, 2, 3, 4, 5]))
    with qtbot.waitSignal(timeline.frameChanged, timeout=2000) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(899, 20))
    assert blocker.args == [9]


def test_recent_files_and_last_settings_are_remembered(
    qtbot: Any, tmp_path: Path, sequence: str
) -> None:
    ini = str(tmp_path / "prefs.ini")
    first = PreviewWindow(settings=QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.panel.engine_combo.setCurrentIndex(first.panel.engine_combo.findData("nearest"))
    first.panel.timing.speed_edit.setText("40")
    with qtbot.waitSignal(first.frameShown, timeout=WAIT_MS):
        first.open_paths([sequence])
    first.close()
    second = PreviewWindow(settings=QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.prefs.recent_files()[0] == [sequence]
    assert second.panel.input_path.text() == sequence
    assert second.panel.engine_combo.currentData() == "nearest"
    assert second.panel.timing.speed_edit.text() == "40"
    second.close()


def test_a_source_that_cannot_be_opened_is_shown_not_swallowed(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.errorShown, timeout=WAIT_MS) as blocker:
        window.open_paths([str(tmp_path / "nothing.####.exr")])
    assert "no frames" in blocker.args[0]
    assert window.banner.isVisible()
    assert "no frames" in window.panel.error_text("input.path")
    assert not window.panel.render_button.isEnabled()


def test_a_session_renders_what_the_render_would(sequence: str) -> None:
    job = preview_job(
        {
            "input": {"path": sequence},
            "timing": {"mode": "speed", "speed": 0.5},
            "engine": {"name": "blend"},
        }
    )
    session = PreviewSession(job, SourceSpec((sequence,)))
    try:
        sample = plan_samples(job, session.info.frames)[1]
        result = session.compute(sample, DisplaySettings(), ("reference",))
        assert result.pixels.shape == (32, 48, 3)
        expected = 0.5 * session.rgb_of(1) + 0.5 * session.rgb_of(2)
        np.testing.assert_allclose(result.pixels, expected, atol=2e-3)
        assert result.reference_frame == 2  # t = 0.5 goes to the later frame
    finally:
        session.close()


def test_a_timing_being_typed_keeps_the_last_good_timeline(
    qtbot: Any, window: PreviewWindow, sequence: str
) -> None:
    window.panel.timing.speed_edit.setText("50")
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths([sequence])
    assert len(window.output_frames()) == 9
    window.panel.timing.speed_edit.setText("0")  # on its way to, say, "0.5"
    window.refresh()
    assert len(window.output_frames()) == 9
    assert not window.render_action.isEnabled()
    window.panel.timing.speed_edit.setText("25")
    window.refresh()
    assert len(window.output_frames()) == 17
    assert window.render_action.isEnabled()


def test_proxy_frames_average_blocks_and_scale_windows() -> None:
    pixels = np.arange(8 * 12 * 6, dtype=np.float32).reshape(8, 12, 6)  # more than 4 channels
    meta = FrameMeta(data_window=Window(4, 2, 12, 8), display_window=Window(0, 0, 20, 10))
    frame = Frame(pixels, ("R", "G", "B", "A", "Z", "mask"), meta)
    small = proxy_frame(frame, 2)
    assert small.pixels.shape == (4, 6, 6)
    np.testing.assert_allclose(small.pixels[0, 0], pixels[0:2, 0:2].mean(axis=(0, 1)))
    assert small.meta.data_window == Window(2, 1, 6, 4)
    assert small.meta.display_window == Window(0, 0, 10, 5)
    assert small.channels == frame.channels
    assert proxy_frame(frame, 1) is frame
    assert [auto_proxy(1080, 1920), auto_proxy(2160, 4096), auto_proxy(4320, 8192)] == [1, 2, 4]


def test_a_proxy_session_previews_at_a_lower_resolution(sequence: str) -> None:
    job = preview_job(
        {
            "input": {"path": sequence},
            "timing": {"mode": "speed", "speed": 0.5},
            "engine": {"name": "blend"},
        }
    )
    session = PreviewSession(job, SourceSpec((sequence,), proxy=2))
    try:
        assert (session.info.height, session.info.width, session.info.proxy) == (32, 48, 2)
        sample = plan_samples(job, session.info.frames)[1]
        result = session.compute(sample, DisplaySettings())
        assert result.pixels.shape == (16, 24, 3)
        assert result.image.shape == (16, 24, 3)
        expected = 0.5 * session.rgb_of(1) + 0.5 * session.rgb_of(2)
        np.testing.assert_allclose(result.pixels, expected, atol=2e-3)
    finally:
        session.close()


def test_the_proxy_choice_reopens_the_preview_smaller(
    qtbot: Any, window: PreviewWindow, sequence: str
) -> None:
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.open_paths([sequence])
    assert window.playback.info is not None and window.playback.info.proxy == 1  # auto, small
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.view_controls.set_proxy(4)
    assert window.playback.info.proxy == 4
    shown = window.viewer.image()
    assert shown is not None and (shown.width(), shown.height()) == (12, 8)
