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
    plan_samples,
    preview_job,
    session_key,
)
from vtinker_ui.controls import ErrorBanner, TransportBar, ViewControls
from vtinker_ui.handoff import Handoff, HandoffSession, output_fps
from vtinker_ui.panel import SOURCE_FILTER, SettingsPanel
from vtinker_ui.playback import PlaybackController, transport_actions
from vtinker_ui.prefs import Preferences
from vtinker_ui.render_flow import RenderFlow
from vtinker_ui.render_status import RenderStatus
from vtinker_ui.timeline import Timeline
from vtinker_ui.viewer import ImageViewer
from vtinker_ui.workers import PreviewWorker

TITLE = "VTinker Retime Preview"
_REFRESH_DELAY_MS = 120


class PreviewWindow(QMainWindow):
    """The standalone preview window.

    Args:
        settings: where to remember recent files and settings (default: the user's).
        handoff: a Resolve hand-off; its job fills the panel and its result file is written.
        restore_last: fill the panel from the last session's settings.

    Signals:
        frameShown(object): a computed :class:`~vtinker_ui.compute.FrameResult` is shown.
        sourceOpened(object): a source opened (:class:`~vtinker_ui.compute.SourceInfo`).
        renderFinished(object): a render ended (:class:`~vtinker_ui.render_process.RenderOutcome`).
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
        self._closing = False

        self.worker = PreviewWorker(self)
        self._build_ui()
        self._build_actions()
        self.playback = PlaybackController(
            self.worker, self.timeline, self.transport, self.view_controls, self
        )
        self.render_flow = RenderFlow(
            self.render_status,
            self.panel,
            self.render_action,
            self.cancel_action,
            self.handoff,
            source_fps=lambda: self.playback.info.fps if self.playback.info else None,
            parent=self,
        )
        self._connect()
        self.setAcceptDrops(True)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(_REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)

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
        actions = transport_actions(
            self, play=self.toggle_play, step=self.step, go_to_end=self.go_to_end
        )
        self.play_action, self.first_action = actions.play, actions.first
        self.prev_action, self.next_action = actions.prev, actions.next
        self.last_action = actions.last
        for action in actions.menu_order():
            play_menu.addAction(action)
        self.transport = TransportBar(actions.bar_order())
        self._transport_holder.addWidget(self.transport)
        self.render_button = QToolButton(self.transport)
        self.render_button.setDefaultAction(self.render_action)
        self.render_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.render_action.setToolTip("Render the whole job to disk (Ctrl+R)")
        self.transport.layout().addWidget(self.render_button)

    def _connect(self) -> None:
        self.panel.jobChanged.connect(self._schedule_refresh)
        self.panel.renderRequested.connect(self.start_render)
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
        self.view_controls.proxyChanged.connect(self._schedule_refresh)
        self.viewer.playToggleRequested.connect(self.toggle_play)
        self.viewer.pixelHovered.connect(self._pixel_hovered)
        self.playback.playingChanged.connect(self._playing_changed)
        self.render_flow.starting.connect(lambda _job: self.banner.clear_error())
        self.render_flow.message.connect(self.statusBar().showMessage)
        self.render_flow.errorRaised.connect(self.show_error)
        self.render_flow.finished.connect(self.renderFinished.emit)

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
        proxy = self.view_controls.proxy()
        if self._pair_paths is not None and job.input.path == self._pair_paths[0]:
            return SourceSpec(self._pair_paths, proxy=proxy)
        self._pair_paths = None
        return SourceSpec((job.input.path,), job.input.frames, proxy=proxy)

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
            self.playback.info = None
            self.timeline.clear_cached()
            self.statusBar().showMessage(f"Opening {' + '.join(spec.paths)} …")
            self.worker.open(job, spec)
            return
        self._replan()

    def _on_source_opened(self, _ticket: int, info: SourceInfo) -> None:
        self.playback.info = info
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
            f"{info.kind} {info.width}×{info.height}"
            f"{f' (preview at 1/{info.proxy})' if info.proxy > 1 else ''}, "
            f"{len(info.frames)} frames, {info.input_colorspace}; {info.engine}",
            10000,
        )
        self.banner.clear_error()
        self.sourceOpened.emit(info)
        self._replan()

    def _on_source_failed(self, _ticket: int, message: str, setting: str) -> None:
        self.playback.info = None
        self.panel.set_source_error(message)
        self.viewer.set_image(None)
        self.timeline.set_samples([])
        self.show_error(message)

    def _replan(self) -> None:
        info, job = self.playback.info, self._job
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
        self.playback.set_samples(samples, cuts=set(job.cuts.frames) | set(info.detected_cuts))

    # -------------------------------------------------------------------------- scrubbing
    # Scrubbing and playback live in PlaybackController; these keep the window's API.

    def current_frame(self) -> int | None:
        frame: int | None = self.playback.current
        return frame

    def output_frames(self) -> list[int]:
        frames: list[int] = self.playback.output_frames()
        return frames

    def set_frame(self, frame: int) -> None:
        """Show output frame ``frame`` (computed in the background)."""
        self.playback.set_frame(frame)

    def set_t(self, t: float) -> None:
        """For an image pair: show the in-between at ``t`` in [0, 1]."""
        self.playback.set_t(t)

    def step(self, count: int) -> None:
        """Step ``count`` output frames (or t by 1/20 for a pair)."""
        self.playback.step(count)

    def go_to_end(self, *, first: bool) -> None:
        self.playback.go_to_end(first=first)

    def request_frame(self) -> int | None:
        """Ask the worker for the current frame (superseding any older request)."""
        ticket: int | None = self.playback.request_frame()
        return ticket

    def is_playing(self) -> bool:
        return bool(self.playback.is_playing())

    def toggle_play(self) -> None:
        """Play at the job's output rate (or stop)."""
        rate = None
        if not self.playback.is_playing() and self._job is not None:
            info = self.playback.info
            rate = output_fps(self._job.to_dict(), info.fps if info else None)
        self.playback.toggle_play(float(rate) if rate else None)

    def _playing_changed(self, playing: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_action.setIcon(self.style().standardIcon(icon))

    # ---------------------------------------------------------------------------- display

    def _on_frame_ready(self, result: FrameResult) -> None:
        self.playback.result = result
        self._show_result()
        if self.playback.info is not None and not self.playback.is_pair():
            self.timeline.mark_cached(result.sample.output_frame)
        self.frameShown.emit(result)

    def _on_frame_failed(self, _ticket: int, message: str) -> None:
        self.show_error(f"preview: {message}")

    def current_result(self) -> FrameResult | None:
        return self.playback.result

    def _show_result(self) -> None:
        result = self.playback.result
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
            if self.playback.is_pair()
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
        result = self.playback.result
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
        result = self.playback.result
        if result is None or x < 0 or y < 0:
            return
        height, width = result.pixels.shape[:2]
        if x >= width or y >= height:
            return
        r, g, b = (float(v) for v in result.pixels[y, x, :3])
        info = self.playback.info
        space = info.input_colorspace if info is not None else ""
        self.statusBar().showMessage(f"x {x}  y {y}   R {r:.4f}  G {g:.4f}  B {b:.4f}   ({space})")

    # ----------------------------------------------------------------------------- render
    # The render flow lives in RenderFlow; these keep the window's API.

    def start_render(self, job: dict[str, Any] | None = None) -> bool:
        """Render the whole job through the engine subprocess; False if it cannot start."""
        return bool(self.render_flow.start(job, pair=self._pair_paths is not None))

    def cancel_render(self) -> None:
        """Stop the render after the current frame."""
        self.render_flow.cancel()

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
        self.playback.stop()
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
