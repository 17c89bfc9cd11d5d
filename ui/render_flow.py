"""The render flow of the preview window: start, cancel, finish, and the Resolve hand-off.

Example::

    flow = RenderFlow(render_status, panel, render_action, cancel_action, handoff,
                      source_fps=lambda: info.fps, parent=window)
    flow.message.connect(window.statusBar().showMessage)   # (text, timeout in ms)
    flow.errorRaised.connect(window.show_error)
    flow.finished.connect(on_finished)                     # a RenderOutcome
    flow.start(None, pair=False)                           # the panel's job, in a subprocess
    flow.cancel()                                          # stops after the current frame

The render itself runs in the engine subprocess behind
:class:`~vtinker_ui.render_status.RenderStatus` (progress, ETA and Cancel in the status bar).
This controller decides whether a render may start, keeps the Render/Cancel actions and the
panel in step with it, and, when the window came from Resolve, writes the hand-off result
once the render is done.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from vtinker_core.errors import JobError
from vtinker_ui.handoff import HandoffError, HandoffSession, output_fps
from vtinker_ui.panel import SettingsPanel
from vtinker_ui.render_process import RenderOutcome
from vtinker_ui.render_status import RenderStatus


class RenderFlow(QObject):
    """One render at a time from the settings panel, with its hand-off result.

    Args:
        status: the status-bar read-out that runs the engine subprocess.
        panel: gives the job; busy while a render runs.
        render_action, cancel_action: enabled to match the panel and the render.
        handoff: the Resolve hand-off, if the window came from Resolve.
        source_fps: the open source's frame rate (for the hand-off's output rate).

    Signals:
        starting(dict): the checks passed; this job is about to render.
        message(str, int): a line for the status bar and how long to show it (ms).
        errorRaised(str): an error to show to the user.
        finished(object): the render ended (:class:`~vtinker_ui.render_process.RenderOutcome`).
    """

    starting = Signal(object)
    message = Signal(str, int)
    errorRaised = Signal(str)
    finished = Signal(object)

    def __init__(
        self,
        status: RenderStatus,
        panel: SettingsPanel,
        render_action: QAction,
        cancel_action: QAction,
        handoff: HandoffSession | None,
        source_fps: Callable[[], Fraction | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.panel = panel
        self.render_action = render_action
        self.cancel_action = cancel_action
        self.handoff = handoff
        self.source_fps = source_fps
        self.job: dict[str, Any] = {}
        panel.validityChanged.connect(lambda _valid: self.update_enabled())
        status.message.connect(lambda text: self.message.emit(text, 8000))
        status.finished.connect(self._on_finished)
        self.update_enabled()

    def is_running(self) -> bool:
        return bool(self.status.is_running())

    def start(self, job: dict[str, Any] | None = None, *, pair: bool = False) -> bool:
        """Render ``job`` (default: the panel's) through the engine subprocess; False if it
        cannot start (a render runs already, a pair of images is open, the job is invalid)."""
        if self.status.is_running():
            self.message.emit("a render is already running", 5000)
            return False
        if pair:
            self.errorRaised.emit(
                "two separate images are previewed only; to render in-betweens of a pair use "
                "`vtinker pair A B --t ...`, or open a numbered sequence"
            )
            return False
        try:
            data = job if job is not None else self.panel.job_dict()
        except JobError as err:
            self.errorRaised.emit(f"cannot render: {err}")
            return False
        self.starting.emit(data)
        self.panel.set_busy(True)
        self.job = data
        self.status.start(data)
        self.update_enabled()
        return True

    def cancel(self) -> None:
        """Stop the render after the current frame."""
        self.status.cancel()

    def update_enabled(self) -> None:
        running = self.status.is_running()
        self.render_action.setEnabled(self.panel.is_valid() and not running)
        self.cancel_action.setEnabled(running)

    def _on_finished(self, outcome: RenderOutcome) -> None:
        self.panel.set_busy(False)
        self.update_enabled()
        if outcome.status == "done":
            self.message.emit(f"Render finished: {outcome.message}", 15000)
            self._write_handoff(outcome)
        elif outcome.status == "cancelled":
            self.message.emit(f"Render cancelled: {outcome.message}", 15000)
        else:
            self.errorRaised.emit(f"Render failed: {outcome.message}")
        self.finished.emit(outcome)

    def _write_handoff(self, outcome: RenderOutcome) -> None:
        if self.handoff is None or outcome.first is None or outcome.last is None:
            return
        job = self.job or {}
        try:
            self.handoff.render_succeeded(
                output=outcome.output or str(job.get("output", {}).get("path", "")),
                first=outcome.first,
                last=outcome.last,
                fps=output_fps(job, self.source_fps()),
            )
        except HandoffError as err:
            self.errorRaised.emit(str(err))


__all__ = ["RenderFlow"]
