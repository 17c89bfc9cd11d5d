"""The preview window: open footage, scrub the retime, inspect it, render it.

Example::

    window = PreviewWindow(settings=QSettings(ini_path, QSettings.Format.IniFormat))
    window.open_paths(["plates/shot.####.exr"])       # or a video, or two images
    window.frameShown.connect(...)                     # a FrameResult, computed in the background
    window.set_frame(1003)                             # scrub: the newest request wins
    window.start_render()                              # the engine subprocess, with progress
    window.show()

Layout: the viewer (OCIO display/view, exposure, A/B wipe, flow and occlusion views) with the
timeline of output frames under it, the settings panel docked at the right, render progress,
ETA and Cancel in the status bar. Errors appear in a red banner above the viewer and in the
status bar; nothing fails silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMenu,
    QScrollArea,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vtinker_core.errors import JobError, VTinkerError
from vtinker_ui.compute import (
    FrameResult,
    SourceInfo,
    SourceSpec,
    pair_sample,
    plan_samples,
    preview_job,
    session_key,
)
from vtinker_ui.controls import ErrorBanner, TransportBar, ViewControls
from vtinker_ui.handoff import Handoff, HandoffError, HandoffSession, output_fps
from vtinker_ui.panel import SOURCE_FILTER, SettingsPanel
from vtinker_ui.prefs import Preferences
from vtinker_ui.render_process import RenderOutcome
from vtinker_ui.render_status import RenderStatus
from vtinker_ui.timeline import Timeline
from vtinker_ui.viewer import ImageViewer
from vtinker_ui.workers import PreviewWorker

TITLE = "VTinker Retime Preview"
_REFRESH_DELAY_MS = 120
_DEFAULT_PLAY_FPS = 24.0


class PreviewWindow(QMainWindow):
    """The standalone preview window.

    Args:
        settings: where to remember recent files and settings (default: the user's).
        handoff: a Resolve hand-off; its job fills the panel and its result file is written.
        restore_last: fill the panel from the last session's settings.

    Signals:
        frameShown(object): a computed :class:`~vtinker_ui.compute.FrameResult` is shown.
        sourceOpened(object): a source opened (:class:`~vtinker_ui.compute.SourceInfo`).
        renderFinished(object): a render ended (:class:`RenderOutcome`).
        errorShown(str): an error was shown to the user.
    """

    frameShown = Signal(object)
    sourceOpened = Signal(object)
    renderFinished = Signal(object)
    errorShown = Signal(str)

    def __init__(
        self,
        *,
        settings: QSettings | None = None,
        handoff: Handoff | None = None,
        restore_last: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.prefs = Preferences(settings)
        self.handoff = HandoffSession(handoff) if handoff is not None else None
        self._pair_paths: tuple[str, str] | None = None
        self._session_key: tuple[Any, ...] | None = None
        self._job: Any = None
        self._info: SourceInfo | None = None
        self._samples: list[Any] = []
        self._current: int | None = None
        self._t = 0.5
        self._result: FrameResult | None = None
        self._closing = False

        self.worker = PreviewWorker(self)
        self._build_ui()
        self._build_actions()
        self._connect()
        self.setAcceptDrops(True)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(_REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._play_tick)

        view = self.prefs.view_settings()
        self._preferred_display = (view["display"], view["view"])
        self.view_controls.user_chose_view = bool(view["view"])
        self.view_controls.set_exposure(float(view["exposure"]))
        geometry = self.prefs.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.prefs.window_state()
        if state is not None:
            self.restoreState(state)
        if handoff is not None:
            self.setWindowTitle(f"{TITLE} — from Resolve: {handoff.clip.name or 'clip'}")
            self.panel.load_job(handoff.job)
        else:
            self.setWindowTitle(TITLE)
            last = self.prefs.last_job() if restore_last else None
            if last:
                self.panel.load_job(last)
        self._update_recent_menu()

    # ------------------------------------------------------------------------------ build

    def _build_ui(self) -> None:
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 6, 6, 6)
        self.banner = ErrorBanner(central)
        self.view_controls = ViewControls(central)
        self.viewer = ImageViewer(central)
        self.timeline = Timeline(central)
        column.addWidget(self.banner)
        column.addWidget(self.view_controls)
        column.addWidget(self.viewer, 1)
        column.addWidget(self.timeline)
        self._transport_holder = QVBoxLayout()
        column.addLayout(self._transport_holder)
        self.setCentralWidget(central)

        self.panel = SettingsPanel()
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = scroll.verticalScrollBar()
        extra = bar.sizeHint().width() if bar is not None else 16
        scroll.setMinimumWidth(max(self.panel.minimumSizeHint().width() + extra + 4, 380))
        self.dock = QDockWidget("Settings", self)
        self.dock.setObjectName("settingsDock")
        self.dock.setWidget(scroll)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)

        self.render_status = RenderStatus(self)
        self.statusBar().addPermanentWidget(self.render_status)
        self.render_process = self.render_status.process
        self.render_label = self.render_status.label
        self.progress_bar = self.render_status.progress_bar
        self.cancel_button = self.render_status.cancel_button

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Any
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("&Open…", QKeySequence.StandardKey.Open, self.open_dialog))
        file_menu.addAction(
            self._action("Open Two &Images…", "Ctrl+Shift+O", self.open_pair_dialog)
        )
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Load Job…", "Ctrl+J", self.load_job_dialog))
        file_menu.addAction(
            self._action("&Save Job…", QKeySequence.StandardKey.Save, self.save_job_dialog)
        )
        file_menu.addSeparator()
        self.render_action = self._action("&Render", "Ctrl+R", lambda: self.start_render())
        self.cancel_action = self._action("&Cancel Render", None, self.cancel_render)
        self.cancel_action.setEnabled(False)
        file_menu.addAction(self.render_action)
        file_menu.addAction(self.cancel_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))

        view_menu = menu.addMenu("&View")
        view_menu.addAction(self._action("&Fit", "F", self.viewer.fit))
        view_menu.addAction(self._action("100 %", "1", lambda: self.viewer.set_zoom(1.0)))
        view_menu.addAction(
            self._action("Zoom &In", "=", lambda: self.viewer.set_zoom(self.viewer.zoom() * 2))
        )
        view_menu.addAction(
            self._action("Zoom &Out", "-", lambda: self.viewer.set_zoom(self.viewer.zoom() / 2))
        )
        view_menu.addSeparator()
        for key, (mode, label) in zip(
            ("Alt+1", "Alt+2", "Alt+3", "Alt+4"),
            [(m, label) for m, label, _tip in _modes()],
            strict=True,
        ):
            view_menu.addAction(
                self._action(label, key, lambda _c=False, m=mode: self.view_controls.set_mode(m))
            )
        view_menu.addAction(self.dock.toggleViewAction())

        play_menu = menu.addMenu("&Playback")
        self.play_action = self._action("Play", "Space", self.toggle_play)
        self.first_action = self._action("First Frame", "Home", lambda: self.go_to_end(first=True))
        self.prev_action = self._action("Previous Frame", "Left", lambda: self.step(-1))
        self.next_action = self._action("Next Frame", "Right", lambda: self.step(1))
        self.last_action = self._action("Last Frame", "End", lambda: self.go_to_end(first=False))
        for action in (
            self.play_action,
            self.first_action,
            self.prev_action,
            self.next_action,
            self.last_action,
        ):
            play_menu.addAction(action)
        style = self.style()
        for action, icon in (
            (self.first_action, QStyle.StandardPixmap.SP_MediaSkipBackward),
            (self.prev_action, QStyle.StandardPixmap.SP_MediaSeekBackward),
            (self.play_action, QStyle.StandardPixmap.SP_MediaPlay),
            (self.next_action, QStyle.StandardPixmap.SP_MediaSeekForward),
            (self.last_action, QStyle.StandardPixmap.SP_MediaSkipForward),
        ):
            action.setIcon(style.standardIcon(icon))
        for action, tip in (
            (self.first_action, "First frame (Home)"),
            (self.prev_action, "Previous frame (Left)"),
            (self.play_action, "Play / stop (Space)"),
            (self.next_action, "Next frame (Right)"),
            (self.last_action, "Last frame (End)"),
        ):
            action.setToolTip(tip)
        self.transport = TransportBar(
            [
                self.first_action,
                self.prev_action,
                self.play_action,
                self.next_action,
                self.last_action,
            ]
        )
        self._transport_holder.addWidget(self.transport)
        self.render_button = QToolButton(self.transport)
        self.render_button.setDefaultAction(self.render_action)
        self.render_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.render_action.setToolTip("Render the whole job to disk (Ctrl+R)")
        self.transport.layout().addWidget(self.render_button)
        self._update_render_enabled()

    def _connect(self) -> None:
        self.panel.jobChanged.connect(self._schedule_refresh)
        self.panel.renderRequested.connect(self.start_render)
        self.panel.validityChanged.connect(lambda _valid: self._update_render_enabled())
        self.worker.sourceOpened.connect(self._on_source_opened)
        self.worker.sourceFailed.connect(self._on_source_failed)
        self.worker.frameReady.connect(self._on_frame_ready)
        self.worker.frameFailed.connect(self._on_frame_failed)
        self.worker.busyChanged.connect(self.viewer.set_busy)
        self.timeline.frameChanged.connect(self.set_frame)
        self.transport.frameEntered.connect(self.set_frame)
        self.transport.tChanged.connect(self.set_t)
        self.view_controls.displayChanged.connect(self._display_changed)
        self.view_controls.modeChanged.connect(self._mode_changed)
        self.viewer.playToggleRequested.connect(self.toggle_play)
        self.viewer.pixelHovered.connect(self._pixel_hovered)
        self.render_status.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.render_status.finished.connect(self._on_render_finished)

    # ------------------------------------------------------------------------------ open

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        """Open one input (a sequence pattern or frame, a video, an image) or two images."""
        items = [str(p) for p in paths]
        if not items:
            return
        if len(items) > 2:
            self.show_error("open one sequence or video, or two images (got more than two)")
            return
        self._pair_paths = (items[0], items[1]) if len(items) == 2 else None
        self.prefs.add_recent(*items)
        self._update_recent_menu()
        self._session_key = None
        self.banner.clear_error()
        if self.panel.input_path.text() == items[0]:
            self.refresh()
        else:
            self.panel.input_path.setText(items[0])
            if not self.panel.output_path.text():
                self.panel.output_path.setText(_suggest_output(items[0]))
            self.refresh()

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open a sequence frame, a video, or two images", "", SOURCE_FILTER
        )
        if paths:
            self.open_paths(paths[:2])

    def open_pair_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open two images", "", SOURCE_FILTER)
        if len(paths) == 2:
            self.open_paths(paths)
        elif paths:
            self.show_error("choose exactly two images")

    def load_job_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a job", "", "Jobs (*.json)")
        if path:
            self.load_job_file(path)

    def save_job_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the job", "job.json", "Jobs (*.json)")
        if path:
            self.save_job_file(path)

    def load_job_file(self, path: str | Path) -> None:
        """Fill the panel from a job file (problems are shown next to their fields)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            self.show_error(f"cannot load the job '{path}': {err}")
            return
        if not isinstance(data, dict):
            self.show_error(f"'{path}' is not a job (a JSON object)")
            return
        self._pair_paths = None
        self.panel.load_job(data)
        self.statusBar().showMessage(f"Loaded {path}", 5000)

    def save_job_file(self, path: str | Path) -> bool:
        """Write the panel's job (validated) to ``path``."""
        try:
            from vtinker_core.job import RenderJob, write_job

            write_job(RenderJob.from_dict(self.panel.job_dict()), path)
        except (JobError, OSError) as err:
            self.show_error(f"cannot save the job: {err}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        entries = self.prefs.recent_files()
        for entry in entries:
            label = "  +  ".join(Path(p).name for p in entry)
            action = self.recent_menu.addAction(label)
            action.setToolTip("\n".join(entry))
            action.triggered.connect(lambda _c=False, e=entry: self.open_paths(e))
        if not entries:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear", self._clear_recent)

    def _clear_recent(self) -> None:
        self.prefs.clear_recent()
        self._update_recent_menu()

    # ---------------------------------------------------------------------------- refresh

    def _schedule_refresh(self) -> None:
        if not self._closing:
            self._refresh_timer.start()

    def _source_spec(self, job: Any) -> SourceSpec:
        if self._pair_paths is not None and job.input.path == self._pair_paths[0]:
            return SourceSpec(self._pair_paths)
        self._pair_paths = None
        return SourceSpec((job.input.path,), job.input.frames)

    def refresh(self) -> None:
        """Bring the preview in line with the panel: reopen the source if what it depends on
        changed, else re-plan the timeline and recompute the current frame."""
        self._refresh_timer.stop()
        if self._closing:
            return
        try:
            job = preview_job(self.panel.raw_dict())
        except JobError:
            return  # the panel shows what is wrong; keep what the viewer shows
        if self._job is not None:
            # A timing or cut list being typed is not a new timing yet: keep the last good one.
            if self.panel.has_errors("timing"):
                job = job.replace(timing=self._job.timing)
            if self.panel.has_errors("cuts"):
                job = job.replace(cuts=self._job.cuts)
        spec = self._source_spec(job)
        self._job = job
        key = session_key(job, spec)
        self.transport.set_pair_mode(spec.is_pair)
        self.timeline.setVisible(not spec.is_pair)
        if key != self._session_key:
            self._session_key = key
            self._info = None
            self.timeline.clear_cached()
            self.statusBar().showMessage(f"Opening {' + '.join(spec.paths)} …")
            self.worker.open(job, spec)
            return
        self._replan()

    def _on_source_opened(self, _ticket: int, info: SourceInfo) -> None:
        self._info = info
        self.panel.set_source_error(None)
        self.panel.set_source_info(
            None if info.kind == "pair" else info.frames,
            fps=info.fps,
            size=(info.height, info.width),
            detected_cuts=info.detected_cuts,
        )
        display, view = self._preferred_display
        if not self.view_controls.user_chose_view:
            view = info.suggested_view  # None: the config's default view
        self.view_controls.set_displays(info.displays, display=display, view=view)
        self.statusBar().showMessage(
            f"{info.kind} {info.width}×{info.height}, {len(info.frames)} frames, "
            f"{info.input_colorspace}; {info.engine}",
            10000,
        )
        self.banner.clear_error()
        self.sourceOpened.emit(info)
        self._replan()

    def _on_source_failed(self, _ticket: int, message: str, setting: str) -> None:
        self._info = None
        self.panel.set_source_error(message)
        self.viewer.set_image(None)
        self.timeline.set_samples([])
        self.show_error(message)

    def _replan(self) -> None:
        info, job = self._info, self._job
        if info is None or job is None:
            return
        if info.kind == "pair":
            self.request_frame()
            return
        try:
            samples = plan_samples(job, info.frames, info.detected_cuts)
        except (JobError, ValueError) as err:
            self.statusBar().showMessage(f"timing: {err}", 8000)
            return
        self._samples = samples
        cuts = set(job.cuts.frames) | set(info.detected_cuts)
        self.timeline.set_samples(samples, cuts=cuts)
        frames = [s.output_frame for s in samples]
        if self._current not in frames:
            self._current = frames[0]
        self.timeline.set_current(self._current)
        self.transport.set_frame(self._current)
        self.request_frame()

    # -------------------------------------------------------------------------- scrubbing

    def _sample(self) -> Any:
        if self._info is not None and self._info.kind == "pair":
            return pair_sample(self._t)
        for sample in self._samples:
            if sample.output_frame == self._current:
                return sample
        return None

    def current_frame(self) -> int | None:
        return self._current

    def output_frames(self) -> list[int]:
        return [s.output_frame for s in self._samples]

    def set_frame(self, frame: int) -> None:
        """Show output frame ``frame`` (computed in the background)."""
        frames = self.output_frames()
        if not frames:
            return
        frame = min(max(int(frame), frames[0]), frames[-1])
        if (
            frame == self._current
            and self._result is not None
            and self._result.sample.output_frame == frame
        ):
            return
        self._current = frame
        self.timeline.set_current(frame)
        self.transport.set_frame(frame)
        self.request_frame()

    def set_t(self, t: float) -> None:
        """For an image pair: show the in-between at ``t`` in [0, 1]."""
        self._t = min(max(float(t), 0.0), 1.0)
        if abs(self.transport.t() - self._t) > 0.5 / self.transport.T_STEPS:
            self.transport.set_t(self._t)
        self.request_frame()

    def step(self, count: int) -> None:
        """Step ``count`` output frames (or t by 1/20 for a pair)."""
        if self._info is not None and self._info.kind == "pair":
            self.set_t(round((self._t + count * 0.05) * 20) / 20)
            return
        frames = self.output_frames()
        if not frames or self._current is None:
            return
        index = frames.index(self._current) if self._current in frames else 0
        self.set_frame(frames[min(max(index + count, 0), len(frames) - 1)])

    def go_to_end(self, *, first: bool) -> None:
        if self._info is not None and self._info.kind == "pair":
            self.set_t(0.0 if first else 1.0)
            return
        frames = self.output_frames()
        if frames:
            self.set_frame(frames[0] if first else frames[-1])

    def request_frame(self) -> int | None:
        """Ask the worker for the current frame (superseding any older request)."""
        sample = self._sample()
        if sample is None or self._info is None:
            return None
        mode = self.view_controls.mode()
        views = {"wipe": ("reference",), "flow": ("flow",), "occlusion": ("occlusion",)}.get(
            mode, ()
        )
        ticket: int = self.worker.request(sample, self.view_controls.display_settings(), views)
        return ticket

    def _on_frame_ready(self, result: FrameResult) -> None:
        self._result = result
        self._show_result()
        if self._info is not None and self._info.kind != "pair":
            self.timeline.mark_cached(result.sample.output_frame)
        self.frameShown.emit(result)

    def _on_frame_failed(self, _ticket: int, message: str) -> None:
        self.show_error(f"preview: {message}")

    def current_result(self) -> FrameResult | None:
        return self._result

    def _show_result(self) -> None:
        result = self._result
        if result is None:
            return
        sample = result.sample
        mode = self.view_controls.mode()
        what = (
            "copy" if sample.is_copy else f"t {sample.t:.3f} of {sample.frame_a}→{sample.frame_b}"
        )
        if sample.is_hold:
            what = f"hold at the cut before {sample.hold_cut}"
        head = (
            f"t {sample.position:.3f}"
            if self._info is not None and self._info.kind == "pair"
            else f"output {sample.output_frame} · source {sample.position:g} ({what})"
        )
        image = result.image
        self.viewer.set_wipe(mode == "wipe")
        if mode == "flow" and result.flow is not None:
            image, head = result.flow, f"{head} · flow (hue: direction, saturation: speed)"
        elif mode == "occlusion" and result.occlusion is not None:
            image, head = result.occlusion, f"{head} · occlusion (red)"
        self.viewer.set_image(image, f"A: output {sample.position:g}")
        if mode == "wipe" and result.reference is not None:
            self.viewer.set_reference(result.reference, f"B: source {result.reference_frame}")
        self.viewer.set_caption(head)
        self.transport.info_label.setText(f"computed in {result.seconds * 1000:.0f} ms")

    def _needs_recompute(self, mode: str) -> bool:
        result = self._result
        if result is None:
            return False
        return {
            "wipe": result.reference is None,
            "flow": result.flow is None,
            "occlusion": result.occlusion is None,
        }.get(mode, False)

    def _display_changed(self) -> None:
        settings = self.view_controls.display_settings()
        if self.view_controls.user_chose_view:
            self._preferred_display = (settings.display, settings.view)
        self.request_frame()

    def _mode_changed(self, mode: str) -> None:
        if self._needs_recompute(mode):
            self.request_frame()
        self._show_result()

    def _pixel_hovered(self, x: int, y: int) -> None:
        result = self._result
        if result is None or x < 0 or y < 0:
            return
        height, width = result.pixels.shape[:2]
        if x >= width or y >= height:
            return
        r, g, b = (float(v) for v in result.pixels[y, x, :3])
        space = self._info.input_colorspace if self._info is not None else ""
        self.statusBar().showMessage(f"x {x}  y {y}   R {r:.4f}  G {g:.4f}  B {b:.4f}   ({space})")

    # --------------------------------------------------------------------------- playback

    def is_playing(self) -> bool:
        return self._play_timer.isActive()

    def toggle_play(self) -> None:
        if self._play_timer.isActive():
            self._play_timer.stop()
            self.play_action.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
            return
        fps = _DEFAULT_PLAY_FPS
        job = self._job
        rate = None
        if job is not None:
            rate = output_fps(job.to_dict(), self._info.fps if self._info else None)
        if rate:
            fps = float(rate)
        self._play_timer.start(max(int(1000 / fps), 1))
        self.play_action.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))

    def _play_tick(self) -> None:
        if self.worker.is_busy():
            return  # show every frame: wait for the one in hand
        if self._info is not None and self._info.kind == "pair":
            self.set_t(0.0 if self._t >= 1.0 else min(self._t + 0.05, 1.0))
            return
        frames = self.output_frames()
        if not frames or self._current is None:
            return
        index = frames.index(self._current) if self._current in frames else -1
        self.set_frame(frames[(index + 1) % len(frames)])

    # ----------------------------------------------------------------------------- render

    def start_render(self, job: dict[str, Any] | None = None) -> bool:
        """Render the whole job through the engine subprocess; False if it cannot start."""
        if self.render_process.is_running():
            self.statusBar().showMessage("a render is already running", 5000)
            return False
        if self._pair_paths is not None:
            self.show_error(
                "two separate images are previewed only; to render in-betweens of a pair use "
                "`vtinker pair A B --t ...`, or open a numbered sequence"
            )
            return False
        try:
            data = job if job is not None else self.panel.job_dict()
        except JobError as err:
            self.show_error(f"cannot render: {err}")
            return False
        self.banner.clear_error()
        self.panel.set_busy(True)
        self._render_job = data
        self.render_status.start(data)
        self._update_render_enabled()
        return True

    def _update_render_enabled(self) -> None:
        running = self.render_process.is_running()
        self.render_action.setEnabled(self.panel.is_valid() and not running)
        self.cancel_action.setEnabled(running)

    def cancel_render(self) -> None:
        """Stop the render after the current frame."""
        self.render_status.cancel()

    def _on_render_finished(self, outcome: RenderOutcome) -> None:
        self.panel.set_busy(False)
        self._update_render_enabled()
        if outcome.status == "done":
            self.statusBar().showMessage(f"Render finished: {outcome.message}", 15000)
            self._write_handoff(outcome)
        elif outcome.status == "cancelled":
            self.statusBar().showMessage(f"Render cancelled: {outcome.message}", 15000)
        else:
            self.show_error(f"Render failed: {outcome.message}")
        self.renderFinished.emit(outcome)

    def _write_handoff(self, outcome: RenderOutcome) -> None:
        if self.handoff is None or outcome.first is None or outcome.last is None:
            return
        job = getattr(self, "_render_job", {}) or {}
        try:
            self.handoff.render_succeeded(
                output=outcome.output or str(job.get("output", {}).get("path", "")),
                first=outcome.first,
                last=outcome.last,
                fps=output_fps(job, self._info.fps if self._info else None),
            )
        except HandoffError as err:
            self.show_error(str(err))

    # ----------------------------------------------------------------------------- errors

    def show_error(self, message: str) -> None:
        """Show an error in the banner and the status bar."""
        self.banner.show_error(message)
        self.statusBar().showMessage(message, 15000)
        self.errorShown.emit(message)

    # ------------------------------------------------------------------------ drag & drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths[:2])
            event.acceptProposedAction()

    # ------------------------------------------------------------------------------ close

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        self._play_timer.stop()
        self._refresh_timer.stop()
        self.render_status.stop()
        self.worker.shutdown()
        settings = self.view_controls.display_settings()
        if self.view_controls.user_chose_view:
            self.prefs.set_view_settings(settings.display, settings.view, settings.exposure)
        else:  # a view picked automatically for this source is not a preference
            self.prefs.set_view_settings(None, None, settings.exposure)
        self.prefs.set_last_job(self.panel.raw_dict())
        self.prefs.set_window(self.saveGeometry(), self.saveState())
        self.prefs.sync()
        if self.handoff is not None:
            try:
                self.handoff.close()
            except VTinkerError as err:
                print(f"vtinker-preview: {err}")
        super().closeEvent(event)


def _modes() -> list[tuple[str, str, str]]:
    from vtinker_ui.controls import VIEW_MODES

    return list(VIEW_MODES)


def _suggest_output(path: str) -> str:
    """A sensible output pattern beside the input: ``<folder>/retime/<name>.####.exr``."""
    source = Path(path)
    stem = source.name.split(".")[0].split("#")[0].rstrip("._-") or "retime"
    return str(source.parent / "retime" / f"{stem}.####.exr")
