"""The render read-out of the status bar: what runs, a progress bar with ETA, and Cancel.

Example::

    status = RenderStatus()
    window.statusBar().addPermanentWidget(status)
    status.finished.connect(on_finished)        # a RenderOutcome, after the read-out shows it
    status.start(job_dict)                      # the engine subprocess (RenderProcess)
    status.cancel()                             # stops after the current frame

The widget hides itself until the first render and keeps the last outcome on show
("done: 41/41", "cancelled at 3/41", "failed").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from vtinker_ui.render_process import RenderOutcome, RenderProcess


def clock_text(seconds: float) -> str:
    """Seconds as ``m:ss`` (or ``h:mm:ss``)."""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RenderStatus(QWidget):
    """Runs one render at a time and shows its progress.

    Signals:
        message(str): a line for the status bar (the engine choice, warnings).
        finished(object): the :class:`~vtinker_ui.render_process.RenderOutcome`.
    """

    message = Signal(str)
    finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.process = RenderProcess(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setFormat("%p %")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the render after the current frame")
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_button)
        self.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self.process.started.connect(self._started)
        self.process.progressed.connect(self._progressed)
        self.process.warned.connect(lambda text: self.message.emit(f"warning: {text}"))
        self.process.finished.connect(self._finished)

    def is_running(self) -> bool:
        return bool(self.process.is_running())

    def start(self, job: Mapping[str, Any]) -> None:
        """Start rendering ``job`` (a validated job dict)."""
        self.progress_bar.setValue(0)
        self.label.setText("starting the engine…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.show()
        self.process.start(job)

    def cancel(self) -> None:
        if self.process.is_running():
            self.label.setText("cancelling after the current frame…")
            self.process.cancel()

    def stop(self, timeout_ms: int = 60000) -> None:
        """Cancel and wait for the engine to exit (when the window closes)."""
        if not self.process.is_running():
            return
        self.process.cancel()
        if not self.process.wait(timeout_ms):
            self.process.cancel()  # a second SIGTERM: stop now
            self.process.wait(10000)

    def _started(self, record: dict[str, Any]) -> None:
        self.label.setText(f"rendering {record.get('total', '?')} frames")
        self.message.emit(str(record.get("engine", "")))

    def _progressed(self, done: int, total: int) -> None:
        self.progress_bar.setValue(round(100 * done / total) if total else 0)
        eta = self.process.eta_seconds()
        eta_text = "" if eta is None else f" · ETA {clock_text(eta)}"
        self.label.setText(f"{done}/{total} frames{eta_text}")

    def _finished(self, outcome: RenderOutcome) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.hide()
        if outcome.status == "done":
            self.progress_bar.setValue(100)
            self.label.setText(f"done: {outcome.done}/{outcome.total}")
        elif outcome.status == "cancelled":
            self.label.setText(f"cancelled at {outcome.done}/{outcome.total}")
        else:
            self.label.setText("failed")
        self.finished.emit(outcome)
