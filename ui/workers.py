"""Background computation for the preview: one worker thread, newest request wins.

Example::

    worker = PreviewWorker()
    worker.sourceOpened.connect(on_opened)        # (ticket, SourceInfo)
    worker.frameReady.connect(on_frame)           # FrameResult, only for the newest request
    worker.frameComputed.connect(keep)            # every computed frame, newest or not
    worker.open(job, SourceSpec(("shot.####.exr",)))
    worker.request(sample, DisplaySettings())     # scrubbing sends many; stale ones are dropped
    worker.shutdown()                             # before the window goes

Requests run one at a time on a private thread pool of one thread, so the engine and its
caches are never used from two threads. Every request gets a ticket; a queued request that a
newer one has superseded is skipped without running, and the result of a running one that has
been superseded is not shown on arrival (``frameReady`` does not fire; ``frameComputed``
does, so a cache may keep it). The UI thread only posts requests and receives results, so it
never waits on the engine.
"""

from __future__ import annotations

import itertools
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from vtinker_ui.compute import DisplaySettings, FrameResult, SourceSpec

if TYPE_CHECKING:
    from vtinker_core.job import RenderJob
    from vtinker_core.timing import Sample
    from vtinker_ui.compute import PreviewSession


def describe_error(err: BaseException) -> tuple[str, str]:
    """(one line for a person, the setting it concerns or "") for an error from the core."""
    from vtinker_core.errors import VTinkerError

    if isinstance(err, VTinkerError):
        return str(err), err.setting or ""
    return f"{type(err).__name__}: {err}", ""


class PreviewWorker(QObject):
    """Opens sources and computes preview frames off the UI thread.

    Signals:
        sourceOpened(int, object): ticket, :class:`~vtinker_ui.compute.SourceInfo`.
        sourceFailed(int, str, str): ticket, message, setting.
        frameReady(object): a :class:`~vtinker_ui.compute.FrameResult` of the newest request.
        frameComputed(object, object, object): every computed result, with the
            :class:`~vtinker_ui.compute.DisplaySettings` and the views it was asked with.
        frameFailed(int, str): ticket, message.
        busyChanged(bool): work is queued or running.
    """

    sourceOpened = Signal(int, object)
    sourceFailed = Signal(int, str, str)
    frameReady = Signal(object)
    frameComputed = Signal(object, object, object)
    frameFailed = Signal(int, str)
    busyChanged = Signal(bool)
    # Internal: results travel from the pool thread to the UI thread through these, so the
    # ticket check runs on the UI thread, after any newer request was posted.
    _opened = Signal(int, object)
    _open_failed = Signal(int, str, str)
    _computed = Signal(object)
    _failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._tickets = itertools.count(1)
        self._latest_open = 0
        self._latest_frame = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._session: PreviewSession | None = None
        self._closed = False
        # What each frame request asked for (UI thread only), until its result arrives.
        self._asked: dict[int, tuple[DisplaySettings, tuple[str, ...]]] = {}
        self._opened.connect(self._on_opened)
        self._open_failed.connect(self._on_open_failed)
        self._computed.connect(self._on_computed)
        self._failed.connect(self._on_failed)

    # --------------------------------------------------------------------------- requests

    def open(self, job: RenderJob, spec: SourceSpec) -> int:
        """Open ``spec`` for ``job`` (replacing the current session); returns the ticket."""
        ticket = next(self._tickets)
        self._latest_open = ticket
        self._latest_frame = 0  # frames asked for the old source are stale now
        self._asked.clear()
        self._submit(lambda: self._run_open(ticket, job, spec))
        return ticket

    def request(self, sample: Sample, display: DisplaySettings, views: Sequence[str] = ()) -> int:
        """Compute ``sample`` (superseding any earlier frame request); returns the ticket."""
        ticket = next(self._tickets)
        self._latest_frame = ticket
        self._asked[ticket] = (display, tuple(views))
        self._submit(lambda: self._run_frame(ticket, sample, display, tuple(views)))
        return ticket

    def supersede(self) -> None:
        """Nothing asked for so far is to be shown any more (a cached frame is shown
        instead); what is computing still arrives through ``frameComputed``."""
        self._latest_frame = next(self._tickets)

    def is_busy(self) -> bool:
        return self._pending > 0

    def latest_frame_ticket(self) -> int:
        return self._latest_frame

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Drop queued work, wait for the running request, release the session."""
        self._closed = True
        self._latest_open = self._latest_frame = -1
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def _submit(self, job: Any) -> None:
        if self._closed:
            return
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        self._pool.start(job)

    # ------------------------------------------------------------------------ pool thread

    def _run_open(self, ticket: int, job: RenderJob, spec: SourceSpec) -> None:
        try:
            if ticket != self._latest_open:
                self._computed.emit(None)  # skipped: only the pending count changes
                return
            from vtinker_ui.compute import PreviewSession, session_key

            session = self._session
            if session is None or session.key != session_key(job, spec):
                self._session = None
                if session is not None:
                    session.close()
                session = PreviewSession(job, spec)
                self._session = session
            self._opened.emit(ticket, session.info)
        except Exception as err:  # any failure is shown in the window, never lost
            message, setting = describe_error(err)
            if not message.strip():
                message = type(err).__name__
            self._log(err)
            self._open_failed.emit(ticket, message, setting)

    def _run_frame(
        self, ticket: int, sample: Sample, display: DisplaySettings, views: tuple[str, ...]
    ) -> None:
        try:
            session = self._session
            if ticket != self._latest_frame or session is None:
                self._computed.emit(None)
                return
            result = session.compute(sample, display, views)
            result.ticket = ticket
            self._computed.emit(result)
        except Exception as err:  # shown in the window, never lost
            self._log(err)
            self._failed.emit(ticket, describe_error(err)[0])

    @staticmethod
    def _log(err: BaseException) -> None:
        from vtinker_core.errors import VTinkerError

        if not isinstance(err, VTinkerError):
            traceback.print_exception(err, file=sys.stderr)

    # -------------------------------------------------------------------------- UI thread

    def _done_one(self) -> None:
        self._pending = max(self._pending - 1, 0)
        if self._pending == 0:
            self.busyChanged.emit(False)

    @Slot(int, object)
    def _on_opened(self, ticket: int, info: Any) -> None:
        self._done_one()
        if ticket == self._latest_open:
            self.sourceOpened.emit(ticket, info)

    @Slot(int, str, str)
    def _on_open_failed(self, ticket: int, message: str, setting: str) -> None:
        self._done_one()
        if ticket == self._latest_open:
            self.sourceFailed.emit(ticket, message, setting)

    @Slot(object)
    def _on_computed(self, result: FrameResult | None) -> None:
        self._done_one()
        if result is None:
            return
        asked = self._asked.pop(result.ticket, None)
        for ticket in [t for t in self._asked if t < result.ticket]:
            del self._asked[ticket]  # skipped requests: they never arrive
        if asked is not None:
            self.frameComputed.emit(result, *asked)
        if result.ticket == self._latest_frame:
            self.frameReady.emit(result)

    @Slot(int, str)
    def _on_failed(self, ticket: int, message: str) -> None:
        self._done_one()
        if ticket == self._latest_frame:
            self.frameFailed.emit(ticket, message)
