"""Rendering a whole job in the engine's own process, with progress, ETA and Cancel.

The window never renders in-process: it runs the same command a host adapter runs, ::

    python -m vtinker_core.cli render --job <temporary job.json> --progress json

through the hosts' one engine client (:mod:`vtinker_hosts.engine_client`), in a worker thread,
and turns its progress records (:mod:`vtinker_core.progress`) into Qt signals::

    render = RenderProcess()
    render.progressed.connect(lambda done, total: bar.setValue(100 * done // total))
    render.finished.connect(on_finished)          # a RenderOutcome: done, cancelled or failed
    render.start(panel.job_dict())
    render.cancel()                               # stops after the current frame

Cancel creates the render's cancel file (``vtinker render --cancel-file``), the graceful stop
everywhere (Windows has no SIGTERM), and elsewhere sends SIGTERM too: the engine finishes the
frame in hand, writes it atomically and exits with status 130, so no partial frame is left. A
second Cancel means "stop now" (the engine's writes are still temp file + rename).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, Signal, Slot

from vtinker_hosts.engine_client import (
    EXIT_CANCELLED,
    EXIT_OK,
    EngineResult,
    EngineRun,
    EngineStartError,
    engine_command,
)

RenderStatus = Literal["done", "cancelled", "failed"]


@dataclass(frozen=True)
class RenderOutcome:
    """How a render ended.

    Attributes:
        status: ``done``, ``cancelled`` or ``failed``.
        message: one line for a person (the error record's message, or the engine's last
            stderr line, for a failure).
        exit_code: the engine's exit status (None when it never ran or crashed).
        output: the output pattern of the job.
        first: the first output frame of the run (from the ``start`` record).
        last: the last output frame of the run.
        total: output frames in the run.
        done: frames finished (written or already valid).
        setting: the job field an error concerns, if the engine said.
        records: every progress record received, in order.
    """

    status: RenderStatus
    message: str
    exit_code: int | None
    output: str | None = None
    first: int | None = None
    last: int | None = None
    total: int = 0
    done: int = 0
    setting: str | None = None
    records: tuple[dict[str, Any], ...] = field(default=(), repr=False)


def render_command(job_path: str | Path, cancel_file: str | Path | None = None) -> list[str]:
    """The engine command for a job file (the program first): this Python's engine."""
    program = [sys.executable, "-m", "vtinker_core.cli"]
    return engine_command(program, job_path, cancel_file=cancel_file)


class RenderProcess(QObject):
    """One render at a time in a child process.

    Signals:
        started(dict): the ``start`` record (total, frames, engine, output).
        progressed(int, int): frames done, total.
        frameWritten(dict): each ``frame`` record.
        warned(str): a ``warning`` record's message.
        finished(object): a :class:`RenderOutcome`.
    """

    started = Signal(dict)
    progressed = Signal(int, int)
    frameWritten = Signal(dict)
    warned = Signal(str)
    finished = Signal(object)
    # Records and the end arrive from the worker thread; queued to this object's thread.
    _record = Signal(dict)
    _ended = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run: EngineRun | None = None
        self._thread: threading.Thread | None = None
        self._records: list[dict[str, Any]] = []
        self._job: dict[str, Any] = {}
        self._tempdir: Path | None = None
        self._start_time: float | None = None
        self._done = 0
        self._total = 0
        self._running = False
        self._record.connect(self._handle_record)
        self._ended.connect(self._on_ended)

    # --------------------------------------------------------------------------- control

    def is_running(self) -> bool:
        return self._running

    def start(self, job: Mapping[str, Any], *, working_directory: str | None = None) -> None:
        """Write ``job`` to a temporary file and start the engine on it.

        Raises:
            RuntimeError: a render is already running.
        """
        if self._running:
            raise RuntimeError("a render is already running; cancel it or wait for it")
        self._job = json.loads(json.dumps(dict(job)))
        self._records = []
        self._start_time = None
        self._done = 0
        self._total = 0
        self._tempdir = Path(tempfile.mkdtemp(prefix="vtinker-job-"))
        job_path = self._tempdir / "job.json"
        job_path.write_text(json.dumps(self._job, indent=2) + "\n", encoding="utf-8")
        command = render_command(job_path, self._tempdir / "cancel")
        self._running = True
        try:
            self._run = EngineRun(command, cwd=working_directory)
        except EngineStartError as err:
            self._running = False
            self._finish(None, message=f"the engine could not start: {err}")
            return
        run = self._run
        self._thread = threading.Thread(
            target=lambda: self._ended.emit(run.wait(on_record=self._record.emit)),
            name="vtinker-render",
            daemon=True,
        )
        self._thread.start()

    def cancel(self) -> None:
        """Stop after the current frame (a second call: at once; see the module doc)."""
        if self._run is not None and self._running:
            self._run.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the engine exits (used when the window closes)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_ms / 1000)
        return not thread.is_alive()

    # -------------------------------------------------------------------------- read-outs

    def percent(self) -> float:
        return 100.0 * self._done / self._total if self._total else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far (None before the first frame)."""
        if self._start_time is None or self._done == 0 or not self._total:
            return None
        elapsed = time.monotonic() - self._start_time
        return elapsed / self._done * (self._total - self._done)

    def records(self) -> list[dict[str, Any]]:
        return list(self._records)

    # -------------------------------------------------------------------------- records

    @Slot(dict)
    def _handle_record(self, record: dict[str, Any]) -> None:
        self._records.append(record)
        event = record.get("event")
        if event == "start":
            self._start_time = time.monotonic()
            self._total = int(record.get("total") or 0)
            self.started.emit(record)
            self.progressed.emit(0, self._total)
        elif event == "frame":
            self._done = int(record.get("done") or self._done + 1)
            self._total = int(record.get("total") or self._total)
            self.frameWritten.emit(record)
            self.progressed.emit(self._done, self._total)
        elif event == "warning":
            self.warned.emit(str(record.get("message", "")))
        elif event == "done":
            self._done = self._total = int(record.get("total") or self._total)
            self.progressed.emit(self._done, self._total)

    # -------------------------------------------------------------------------- finishing

    @Slot(object)
    def _on_ended(self, result: EngineResult) -> None:
        self._finish(result)

    def _finish(self, result: EngineResult | None, *, message: str = "") -> None:
        start = next((r for r in self._records if r.get("event") == "start"), None)
        done_record = next((r for r in self._records if r.get("event") == "done"), None)
        frames = (start or {}).get("frames") or [None, None]
        exit_code = result.returncode if result is not None else None
        status: RenderStatus
        setting = None
        if result is not None and result.ok and done_record is not None:
            status = "done"
            skipped = done_record.get("skipped")
            text = (
                f"rendered {done_record.get('rendered', 0)} frames"
                + (f", {skipped} already there" if skipped else "")
                + f" in {float(done_record.get('seconds', 0.0)):.1f} s"
            )
        elif result is not None and (result.cancelled or exit_code == EXIT_CANCELLED):
            status = "cancelled"
            text = str((result.error or {}).get("message") or "render cancelled")
        else:
            status = "failed"
            if result is None:
                text = message or "the engine could not start"
            else:
                setting = (result.error or {}).get("setting")
                text = result.message
                if exit_code is not None and exit_code < 0 and result.error is None:
                    text = "the engine process crashed"
                elif exit_code == EXIT_OK:
                    text = "the engine finished without reporting its frames"
        outcome = RenderOutcome(
            status=status,
            message=text,
            exit_code=exit_code if exit_code is None or exit_code >= 0 else None,
            output=str(self._job.get("output", {}).get("path") or "") or None,
            first=frames[0],
            last=frames[-1],
            total=self._total,
            done=self._done,
            setting=setting,
            records=tuple(self._records),
        )
        self._running = False
        self._run = None
        if self._tempdir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._tempdir)
            self._tempdir = None
        self.finished.emit(outcome)
