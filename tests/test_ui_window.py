"""The preview window as a tool people keep open (#14): first look, layout, per-source
settings, the output folder, Help, View > Settings (pytest-qt, real widgets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QObject, QPoint, QPointF, QStandardPaths, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from ui_helpers import (
    WAIT_MS,
    image_array,
    isolated_settings,
    select_data,
    write_pair,
    write_sequence,
)

from vtinker_core.devices import available_devices
from vtinker_core.io import read_frame
from vtinker_ui.help import ShortcutsDialog, readme_path, readme_sections
from vtinker_ui.output_folder import default_output_folder, suggest_output
from vtinker_ui.panel import SettingsPanel
from vtinker_ui.preview_window import PreviewWindow
from vtinker_ui.window_menus import SETTINGS_SHORTCUT

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> PreviewWindow:
    win = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
    qtbot.addWidget(win)
    select_data(win.panel.engine_combo, "blend")
    win.set_output_folder(tmp_path / "renders")
    win.resize(900, 600)
    win.show()
    return win


def _open(qtbot: Any, window: PreviewWindow, paths: list[str]) -> Any:
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS) as blocker:
        window.open_paths(paths)
    return blocker.args[0]


def _rgb(path: Path) -> np.ndarray:
    return read_frame(path).pixels[:, :, :3]


# ------------------------------------------------------------------------------ first look


def test_a_clip_opens_on_an_in_between_at_the_default_half_speed(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    sequence = write_sequence(tmp_path / "plates")
    assert window.panel.timing.speed_edit.text() == "50"
    shown = _open(qtbot, window, [sequence])
    sample = shown.sample
    assert not sample.is_copy and sample.t == 0.5 and (sample.frame_a, sample.frame_b) == (1, 2)
    assert sample.position % 1 == 0.5  # the playhead is between two source frames
    assert window.current_frame() == 2 and window.timeline.current() == 2
    expected = 0.5 * _rgb(tmp_path / "plates/shot.0001.exr") + 0.5 * _rgb(
        tmp_path / "plates/shot.0002.exr"
    )
    np.testing.assert_allclose(shown.pixels, expected, atol=2e-3)  # the blend engine's blend
    assert "t 0.500 of 1→2" in window.viewer._caption
    # The source frames are marked on the timeline: every other slot at half speed.
    samples = window.playback.samples
    assert [s.output_frame for s in samples if s.is_copy] == [1, 3, 5, 7, 9]


def test_a_pair_opens_at_t_one_half_even_after_another_pair_was_scrubbed(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    first = write_pair(tmp_path / "first")
    _open(qtbot, window, first)
    window.set_t(0.9)
    second = write_pair(tmp_path / "second")
    shown = _open(qtbot, window, second)
    assert shown.sample.t == 0.5 and window.transport.t() == 0.5
    np.testing.assert_allclose(
        shown.pixels, 0.5 * _rgb(Path(second[0])) + 0.5 * _rgb(Path(second[1])), atol=3e-3
    )
    assert image_array(window.viewer.image()).std() > 10


# ---------------------------------------------------------------------------------- layout


def test_the_whole_panel_fits_a_1920x1080_window_without_scrolling(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    window.resize(1920, 1080)
    _open(qtbot, window, [write_sequence(tmp_path / "plates")])
    qtbot.waitUntil(lambda: window.dock.scroll_area.viewport().height() > 900, timeout=WAIT_MS)
    QApplication.processEvents()
    assert window.panel.height_for_columns(1) > window.dock.scroll_area.viewport().height()
    assert window.panel.sections.columns() == 2
    assert not window.dock.needs_scrolling()
    viewport = window.dock.scroll_area.viewport()
    for widget in (window.panel.output_path, window.panel.render_button):
        bottom = widget.mapTo(viewport, QPoint(0, widget.height())).y()
        assert 0 < bottom <= viewport.height()
    assert window.viewer.width() > 1000  # the viewer keeps most of the width


def _wheel(widget: QWidget, notches: int = -1) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_and_changes_no_field_without_focus(
    qtbot: Any, window: PreviewWindow
) -> None:
    window.resize(900, 500)  # small: the panel scrolls
    qtbot.waitUntil(lambda: window.dock.needs_scrolling(), timeout=WAIT_MS)
    combo = window.panel.timing.mode_combo
    bar = window.dock.scroll_area.verticalScrollBar()
    before = (combo.currentIndex(), bar.value())
    assert not combo.hasFocus()
    _wheel(combo)
    assert combo.currentIndex() == before[0]  # the field did not change...
    assert bar.value() > before[1]  # ...the panel scrolled instead
    for field in (window.panel.device_combo, window.panel.overlap_spin):
        value = field.currentText() if field is window.panel.device_combo else field.value()
        _wheel(field)
        now = field.currentText() if field is window.panel.device_combo else field.value()
        assert now == value
    window.activateWindow()
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=WAIT_MS)
    _wheel(combo)
    assert combo.currentIndex() != before[0]  # focused: the wheel is the user's intent


def test_the_device_list_offers_only_what_this_machine_has(qtbot: Any) -> None:
    import torch

    panel = SettingsPanel()
    qtbot.addWidget(panel)
    combo = panel.device_combo
    combo.offer_devices()
    expected = ["auto", "cpu"]
    if torch.cuda.is_available():
        expected.append("cuda")
    offered = combo.devices()
    assert offered[:2] == ["auto", "cpu"] and offered == list(available_devices())
    assert ("mps" in offered) == torch.backends.mps.is_available()
    assert ("cuda" in offered) == torch.cuda.is_available()
    panel.load_job({"input": {"path": "a.####.exr"}, "engine": {"device": "cuda:1"}})
    assert panel.raw_dict()["engine"]["device"] == "cuda:1"  # a job's device is kept


def test_the_device_list_needs_no_torch_to_open(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from vtinker_ui.engine_section import DeviceComboBox\n"
        "combo = DeviceComboBox()\n"
        "combo.offer_devices()\n"
        "print(combo.devices())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['auto', 'cpu']"


# ------------------------------------------------------------------- per-source settings


def test_another_source_resets_its_settings_and_keeps_the_preferences(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    bear = write_sequence(tmp_path / "plates_a", name="bear", count=6)
    _open(qtbot, window, [bear])
    panel = window.panel
    panel.frames_edit.setText("2-5")
    panel.cut_list_edit.setText("4")
    panel.output_path.setText(str(tmp_path / "mine" / "bear_v2.####.exr"))
    panel.output_start_edit.setText("1001")
    panel.timing.load({"mode": "speed", "speed": 0.25})
    window.view_controls.set_proxy(2)
    view = window.view_controls.view_combo
    view.setCurrentIndex(view.count() - 1)
    view.activated.emit(view.count() - 1)  # what a user's pick does
    chosen_view = view.currentText()
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=WAIT_MS)
    assert panel.output_length() == 13  # 4 frames of the range at 25 %

    pair = write_pair(tmp_path / "pair")
    _open(qtbot, window, pair)
    assert panel.frames_edit.text() == "" and panel.cut_list_edit.text() == ""
    assert panel.output_start_edit.text() == ""
    assert panel.output_path.text() == suggest_output(pair[0], tmp_path / "renders")
    assert "bear" not in panel.timing.length_label.text()
    assert "two images" in panel.timing.length_label.text()
    # Preferences stay: timing, engine, proxy, display and view.
    assert panel.timing.speed_edit.text() == "25"
    assert panel.engine_combo.currentData() == "blend"
    assert window.view_controls.proxy() == 2 and window.playback.info.proxy == 2
    assert window.view_controls.view_combo.currentText() == chosen_view
    window.close()
    again = PreviewWindow(settings=isolated_settings(tmp_path))
    qtbot.addWidget(again)
    assert again.view_controls.proxy() == 2  # the proxy is remembered between runs too


def test_a_new_source_never_renders_beside_its_plate_unasked(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    QStandardPaths.setTestModeEnabled(True)  # the test's own standard folders
    try:
        win = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
        qtbot.addWidget(win)
        sequence = write_sequence(tmp_path / "plates")
        win.open_paths([sequence])
        output = Path(win.panel.output_path.text())
        assert tmp_path / "plates" not in output.parents
        assert output == default_output_folder() / "shot" / "shot.####.exr"
        assert str(default_output_folder()).startswith(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
        )
        win.set_output_folder(tmp_path / "renders")  # the user's choice, applied and kept
        assert win.panel.output_path.text() == str(tmp_path / "renders/shot/shot.####.exr")
        win.close()
        again = PreviewWindow(settings=isolated_settings(tmp_path), restore_last=False)
        qtbot.addWidget(again)
        again.open_paths([write_sequence(tmp_path / "other", name="sh020")])
        assert again.panel.output_path.text() == str(tmp_path / "renders/sh020/sh020.####.exr")
    finally:
        QStandardPaths.setTestModeEnabled(False)


def test_the_timing_start_field_is_gone(qtbot: Any) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    labels = {label.text() for label in panel.findChildren(QLabel)}
    assert "Timing start" not in labels and "Number from" in labels
    job = {
        "input": {"path": "a.####.exr"},
        "output": {"path": "o.####.exr", "start": 990},
        "timing": {"mode": "speed", "speed": 0.5, "centre_samples": False},
    }
    panel.load_job(job)
    assert panel.job_dict()["output"]["start"] == 990
    assert "output_start" not in panel.job_dict()["timing"]


# ------------------------------------------------------------------------------------ help


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_lists_the_real_shortcuts_and_opens_readme_sections(
    qtbot: Any, window: PreviewWindow
) -> None:
    titles = [a.text() for a in window.help_menu.actions()]
    assert "&Keyboard Shortcuts…" in titles
    rows = ShortcutsDialog(window.menuBar(), window).rows()
    assert ("Playback", "Play", "Space") in rows
    assert ("File", "Render", "Ctrl+R") in rows
    assert ("View", "Settings", window.settings_action.shortcut().toString()) in rows
    assert ("Viewer", "zoom about the cursor", "Wheel") in rows
    window.play_action.setShortcut("Ctrl+P")  # the list follows the actions, not a copy
    assert ("Playback", "Play", "Ctrl+P") in ShortcutsDialog(window.menuBar(), window).rows()

    readme = readme_path()
    assert readme is not None
    readme_menu = next(a.menu() for a in window.help_menu.actions() if a.menu() is not None)
    entries = readme_menu.actions()
    assert entries[0].text() == "The preview window"
    assert {a.text() for a in entries} == {title for title, _ in readme_sections(readme)}
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        entries[0].trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert len(catcher.urls) == 1
    url = catcher.urls[0]
    assert Path(url.toLocalFile()) == readme and url.fragment() == "the-preview-window"
    assert "## The preview window" in readme.read_text(encoding="utf-8")


def test_view_settings_hides_and_shows_the_panel(qtbot: Any, window: PreviewWindow) -> None:
    action = window.settings_action
    assert action.isEnabled() and action.shortcut().toString() == SETTINGS_SHORTCUT
    assert window.dock.isVisible()
    action.trigger()
    assert not window.dock.isVisible()
    action.trigger()
    assert window.dock.isVisible() and window.panel.isVisible()


# ------------------------------------------------------------------------------ farm


def test_write_farm_bundle_writes_a_bundle_openjd_accepts(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    import json
    import shutil
    import subprocess

    sequence = write_sequence(tmp_path / "plates")
    _open(qtbot, window, [sequence])
    action = next(a for a in window.actions() if a.text() == "Write Farm &Bundle…")
    assert action.isEnabled()
    with qtbot.waitSignal(window.bundleWritten, timeout=WAIT_MS) as blocker:
        window.write_farm_bundle(tmp_path / "bundle")
    folder = Path(blocker.args[0])
    assert sorted(p.name for p in folder.iterdir()) == [
        "job.json", "parameter_values.yaml", "template.yaml",
    ]  # fmt: skip
    job = json.loads((folder / "job.json").read_text())
    assert job["input"]["path"] == str(Path(sequence).resolve())
    assert job["output"]["path"] == str(Path(window.panel.output_path.text()).resolve())
    assert "openjd run" in window.statusBar().currentMessage()
    import sys

    openjd = shutil.which("openjd", path=str(Path(sys.executable).parent)) or "openjd"
    subprocess.run([openjd, "check", str(folder / "template.yaml")], check=True)  # dev extra


def test_a_farm_bundle_of_a_bad_job_says_why(
    qtbot: Any, window: PreviewWindow, tmp_path: Path
) -> None:
    sequence = write_sequence(tmp_path / "plates")
    _open(qtbot, window, [sequence])
    window.panel.output_path.setText(str(tmp_path / "plates" / "retime.####.exr"))
    with qtbot.waitSignal(window.bundleFailed, timeout=WAIT_MS) as blocker:
        window.write_farm_bundle(tmp_path / "bundle")
    assert blocker.args[0].startswith("cannot write the farm bundle: output folder ")
    assert "is inside the source folder" in blocker.args[0]
    assert window.banner.isVisible()
    assert not (tmp_path / "bundle" / "template.yaml").exists()
