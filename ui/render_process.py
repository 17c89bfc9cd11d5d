"""Rendering a whole job in the engine's own process, with progress, ETA and Cancel.

The window never renders in-process: it runs the same command a host adapter runs, ::

    python -m vtinker_core.cli render --job <temporary job.json> --progress json

and reads the JSON-lines progress records (:mod:`vtinker_core.progress`) from its stdout::

    render = RenderProcess()
    render.progressed.connect(lambda done, total: bar.setValue(100 * done // total))
    render.finished.connect(on_finished)          # a RenderOutcome: done, cancelled or failed
    render.start(panel.job_dict())
    render.cancel()                               # SIGTERM: stops after the current frame

Cancel sends SIGTERM (``QProcess.terminate``): the engine finishes the frame in hand, writes
it atomically and exits with status 130, so no partial frame is left. A second Cancel sends
SIGTERM again, which the engine takes as "stop now" (its writes are still temp file + rename).
Cancel also creates the render's cancel file (``vtinker render --cancel-file``), which the
engine polls: that is the graceful stop on Windows, where there is no SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal, Slot

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_CANCELLED = 130

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
    """The engine command for a job file (the program first)."""
    extra = [] if cancel_file is None else ["--cancel-file", str(cancel_file)]
    return [
        sys.executable,
        "-m",
        "vtinker_core.cli",
        "render",
        "--job",
        str(job_path),
        "--progress",
        "json",
        *extra,
    ]


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

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._buffer = b""
        self._stderr = b""
        self._records: list[dict[str, Any]] = []
        self._job: dict[str, Any] = {}
        self._tempdir: Path | None = None
        self._cancel_file: Path | None = None
        self._cancel_requested = False
        self._start_time: float | None = None
        self._done = 0
        self._total = 0
        self._finished_emitted = False

    # --------------------------------------------------------------------------- control

    def is_running(self) -> bool:
        return self._process is not None

    def start(self, job: Mapping[str, Any], *, working_directory: str | None = None) -> None:
        """Write ``job`` to a temporary file and start the engine on it.

        Raises:
            RuntimeError: a render is already running.
        """
        if self._process is not None:
            raise RuntimeError("a render is already running; cancel it or wait for it")
        self._job = json.loads(json.dumps(dict(job)))
        self._buffer = b""
        self._stderr = b""
        self._records = []
        self._cancel_requested = False
        self._start_time = None
        self._done = 0
        self._total = 0
        self._finished_emitted = False
        self._tempdir = Path(tempfile.mkdtemp(prefix="vtinker-job-"))
        job_path = self._tempdir / "job.json"
        job_path.write_text(json.dumps(self._job, indent=2) + "\n", encoding="utf-8")

        process = QProcess(self)
        self._cancel_file = self._tempdir / "cancel"
        command = render_command(job_path, self._cancel_file)
        process.setProgram(command[0])
        process.setArguments(command[1:])
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        environment.insert("PYTHONIOENCODING", "utf-8")
        process.setProcessEnvironment(environment)
        if working_directory:
            process.setWorkingDirectory(working_directory)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        process.start()

    def cancel(self) -> None:
        """Ask the engine to stop after the current frame (SIGTERM; see the module doc)."""
        process = self._process
        if process is None:
            return
        self._cancel_requested = True
        # The cancel file stops the engine gracefully everywhere, Windows included (no SIGTERM
        # there); elsewhere SIGTERM does the same at once.
        if self._cancel_file is not None and self._cancel_file.parent.is_dir():
            self._cancel_file.touch()
        if sys.platform != "win32":
            process.terminate()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the engine exits (used when the window closes)."""
        process = self._process
        if process is None:
            return True
        return bool(process.waitForFinished(timeout_ms))

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

    # -------------------------------------------------------------------------- parsing

    @Slot()
    def _read_stdout(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._handle_line(line)

    @Slot()
    def _read_stderr(self) -> None:
        if self._process is None:
            return
        self._stderr += bytes(self._process.readAllStandardError().data())
        self._stderr = self._stderr[-16384:]

    def _handle_line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            self.warned.emit(text)  # not a record: pass it on rather than lose it
            return
        if not isinstance(record, dict):
            return
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

    def _last_stderr_line(self) -> str:
        lines = [
            line.strip()
            for line in self._stderr.decode("utf-8", errors="replace").splitlines()
            if line.strip()
        ]
        return lines[-1] if lines else ""

    # -------------------------------------------------------------------------- finishing

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        if self._buffer.strip():
            self._handle_line(self._buffer)
            self._buffer = b""
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        self._finish(None if crashed else exit_code, crashed=crashed)

    @Slot(QProcess.ProcessError)
    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            process = self._process
            reason = process.errorString() if process is not None else str(error)
            self._finish(None, crashed=False, message=f"the engine could not start: {reason}")

    def _finish(self, exit_code: int | None, *, crashed: bool, message: str = "") -> None:
        if self._finished_emitted:
            return
        self._finished_emitted = True
        start = next((r for r in self._records if r.get("event") == "start"), None)
        error = next((r for r in reversed(self._records) if r.get("event") == "error"), None)
        done_record = next((r for r in self._records if r.get("event") == "done"), None)
        frames = (start or {}).get("frames") or [None, None]
        status: RenderStatus
        setting = None
        if exit_code == EXIT_OK and done_record is not None:
            status = "done"
            text = (
                f"rendered {done_record.get('rendered', 0)} frames"
                + (
                    f", {done_record.get('skipped')} already there"
                    if done_record.get("skipped")
                    else ""
                )
                + f" in {float(done_record.get('seconds', 0.0)):.1f} s"
            )
        elif exit_code == EXIT_CANCELLED or (
            self._cancel_requested and (crashed or exit_code != EXIT_OK)
        ):
            status = "cancelled"
            text = str((error or {}).get("message") or "render cancelled")
        else:
            status = "failed"
            setting = (error or {}).get("setting")
            if error is not None:
                text = str(error.get("message") or "")
            elif message:
                text = message
            elif crashed:
                text = "the engine process crashed"
            else:
                text = f"the engine exited with status {exit_code}"
            tail = self._last_stderr_line()
            if not text or (error is None and tail and not message):
                text = tail or text
        outcome = RenderOutcome(
            status=status,
            message=text,
            exit_code=exit_code,
            output=str(self._job.get("output", {}).get("path") or "") or None,
            first=frames[0],
            last=frames[-1],
            total=self._total,
            done=self._done,
            setting=setting,
            records=tuple(self._records),
        )
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
        if self._tempdir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._tempdir)
            self._tempdir = None
        self.finished.emit(outcome)
