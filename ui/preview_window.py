"""The preview window: open footage, scrub the retime, inspect it, render it.

Example::

    window = PreviewWindow(settings=QSettings(ini_path, QSettings.Format.IniFormat))
    window.open_paths(["plates/shot.####.exr"])       # or a video, or two images
    window.frameShown.connect(...)                     # a FrameResult, computed in the background
    window.set_frame(1003)                             # scrub: the newest request wins
    window.start_render()                              # the engine subprocess, with progress
    window.show()

Layout: the viewer (OCIO display/view, exposure, A/B wipe, flow and occlusion views) with the
timeline of output frames under it, the settings panel docked at the right (in two columns
when one would not fit the height), render progress, ETA, Cancel and the flipbook's RAM cache
in the status bar. Errors appear in a red banner above the viewer and in the status bar;
nothing fails silently.

Opening another source resets what belonged to the previous one (range, cuts, output path,
frame numbering; see :meth:`~vtinker_ui.panel.SettingsPanel.begin_source`) and shows its
first in-between; the timing, engine, display, view and proxy are preferences and stay. A new
source renders into its own folder under the user's output folder
(:mod:`~vtinker_ui.output_folder`), never beside the plate unasked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
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
from vtinker_ui.fields import guard_wheel
from vtinker_ui.frame_cache import FrameCache, cache_limit, describe_cache
from vtinker_ui.frame_display import FrameDisplay, pixel_readout
from vtinker_ui.handoff import Handoff, HandoffSession, output_fps
from vtinker_ui.output_folder import output_folder, suggest_output
from vtinker_ui.panel import SettingsPanel
from vtinker_ui.playback import PlaybackController
from vtinker_ui.prefs import Preferences
from vtinker_ui.render_flow import RenderFlow
from vtinker_ui.render_status import RenderStatus
from vtinker_ui.settings_dock import SettingsDock
from vtinker_ui.timeline import Timeline
from vtinker_ui.viewer import ImageViewer
from vtinker_ui.window_files import FileActions
from vtinker_ui.window_menus import build_menus
from vtinker_ui.workers import PreviewWorker

TITLE = "VTinker Retime Preview"
_REFRESH_DELAY_MS = 120


class PreviewWindow(FileActions):
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
        self._opened_paths: tuple[str, ...] = ()
        self._job: Any = None
        self._closing = False

        self.worker = PreviewWorker(self)
        self._build_ui()
        self._build_actions()
        self.playback = PlaybackController(
            self.worker,
            self.timeline,
            self.transport,
            self.view_controls,
            FrameCache(cache_limit(self.prefs.cache_limit_bytes())),
            self,
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
        with contextlib.suppress(ValueError):  # a scale this version does not offer
            self.view_controls.set_proxy(self.prefs.proxy())
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
        self._show_cache()

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
        self.dock = SettingsDock(self.panel, self)
        self.panel_scroll = self.dock.scroll_area
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)

        self.render_status = RenderStatus(self)
        self.cache_label = QLabel(self)
        self.cache_label.setObjectName("cacheLabel")
        self.cache_label.setToolTip(
            "Computed frames kept in RAM for the flipbook (Space plays them at the output rate)"
        )
        self.statusBar().addPermanentWidget(self.cache_label)
        self.statusBar().addPermanentWidget(self.render_status)
        self.render_process = self.render_status.process
        self.render_label = self.render_status.label
        self.progress_bar = self.render_status.progress_bar
        self.cancel_button = self.render_status.cancel_button
        guard_wheel(self.view_controls)

    def _build_actions(self) -> None:
        actions = build_menus(self)
        self.render_action, self.cancel_action = actions.render, actions.cancel
        self.settings_action, self.recent_menu = actions.settings, actions.recent_menu
        self.help_menu = actions.help_menu
        transport = actions.transport
        self.play_action, self.first_action = transport.play, transport.first
        self.prev_action, self.next_action = transport.prev, transport.next
        self.last_action = transport.last
        self.transport = TransportBar(transport.bar_order())
        self._transport_holder.addWidget(self.transport)
        self.render_button = QToolButton(self.transport)
        self.render_button.setDefaultAction(self.render_action)
        self.render_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.transport.layout().addWidget(self.render_button)
        self.frame_display = FrameDisplay(
            self.viewer, self.view_controls, self.transport.info_label
        )

    def _connect(self) -> None:
        self.panel.jobChanged.connect(self._schedule_refresh)
        self.panel.renderRequested.connect(self.start_render)
        self.worker.sourceOpened.connect(self._on_source_opened)
        self.worker.sourceFailed.connect(self._on_source_failed)
        self.worker.frameReady.connect(self._on_frame_ready)
        self.playback.frameFromCache.connect(self._on_frame_ready)
        self.playback.cacheChanged.connect(self._show_cache)
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
        self.bundleWritten.connect(self._bundle_written)
        self.bundleFailed.connect(self.show_error)
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
        if self.panel.input_path.text() != items[0]:
            folder = output_folder(self.prefs.output_folder())
            self.panel.begin_source(items[0], suggest_output(items[0], folder))
        self.refresh()

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
            self.playback.reopen(first_look=spec.paths != self._opened_paths)
            self._opened_paths = spec.paths
            self.playback.set_cache_limit(cache_limit(self.prefs.cache_limit_bytes()))
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
            pair=info.kind == "pair",
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
        self.frameShown.emit(result)

    def _show_cache(self) -> None:
        self.cache_label.setText(describe_cache(self.playback.cache))

    def set_cache_limit(self, max_bytes: int) -> None:
        """Let the flipbook keep up to ``max_bytes`` of frames (remembered; the machine's
        free memory may lower it, see :func:`~vtinker_ui.frame_cache.cache_limit`)."""
        self.prefs.set_cache_limit_bytes(max_bytes)
        cache = self.playback.cache
        self.playback.set_cache_limit(cache_limit(max_bytes, cached=cache.nbytes))

    def clear_cache(self) -> None:
        """Forget the computed frames (the one on show stays on show)."""
        self.playback.clear_cache()

    def _on_frame_failed(self, _ticket: int, message: str) -> None:
        self.show_error(f"preview: {message}")

    def current_result(self) -> FrameResult | None:
        return self.playback.result

    def _show_result(self) -> None:
        self.frame_display.show(self.playback.result, pair=self.playback.is_pair())

    def _display_changed(self) -> None:
        settings = self.view_controls.display_settings()
        if self.view_controls.user_chose_view:
            self._preferred_display = (settings.display, settings.view)
        self.request_frame()

    def _mode_changed(self, mode: str) -> None:
        if self.frame_display.needs_recompute(self.playback.result, mode):
            self.request_frame()
        self._show_result()

    def _pixel_hovered(self, x: int, y: int) -> None:
        result, info = self.playback.result, self.playback.info
        if result is not None and info is not None:
            line = pixel_readout(result, info.input_colorspace, x, y)
            if line:
                self.statusBar().showMessage(line)

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
        self.prefs.set_proxy(self.view_controls.proxy())
        self.prefs.set_last_job(self.panel.raw_dict())
        self.prefs.set_window(self.saveGeometry(), self.saveState())
        self.prefs.sync()
        if self.handoff is not None:
            try:
                self.handoff.close()
            except VTinkerError as err:
                print(f"vtinker-preview: {err}")
        super().closeEvent(event)
