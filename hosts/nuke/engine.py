"""Run ``vtinker render --job J --progress json`` and read its JSON-lines progress.

Plain Python (no Nuke), so the node can run it in a worker thread or in terminal mode::

    command = engine_command("/opt/vtinker/bin/vtinker", "/shots/retime/job.json")
    result = run_engine(command, on_record=print, should_cancel=lambda: False)
    if not result.ok:
        raise RuntimeError(result.message)

Records follow ``vtinker_core/progress.py`` (schema 1): ``start`` (``total``, ``frames``,
``engine``, ``output``), ``frame`` (``frame``, ``done``, ``total``, ``path``, ...),
``warning`` (``message``), ``done`` (``rendered``, ``skipped``, ``seconds``) and ``error``
(``message``, ``kind``, ``cancelled``). Exit status: 0 done, 2 error, 130 cancelled.

Cancelling creates the job's cancel file (``--cancel-file``), and on Linux and macOS also sends
SIGTERM; the engine finishes the frame in progress (frames are written atomically) and exits
with 130. The file is what makes the cancel graceful on Windows, which has no SIGTERM.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_CANCELLED = 130
#: After a cancel, how long the engine may take to finish its frame before it is killed.
CANCEL_GRACE_SECONDS = 120.0
#: Variables of the host's own Python that must not leak into the engine's interpreter.
HOST_PYTHON_VARIABLES = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE")

Record = dict[str, Any]


class EngineStartError(OSError):
    """The engine executable could not be started (not found, not executable)."""


@dataclass
class EngineResult:
    """How a run ended.

    Attributes:
        returncode: the engine's exit status.
        records: every progress record, in order.
        stderr: what the engine wrote on stderr.
        cancelled: the run was stopped by the user.
    """

    returncode: int
    records: list[Record] = field(default_factory=list)
    stderr: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == EXIT_OK and not self.cancelled

    def events(self, name: str) -> list[Record]:
        return [r for r in self.records if r.get("event") == name]

    @property
    def frames(self) -> tuple[int, int] | None:
        """[first, last] output frame numbers of the run (from the ``start`` record)."""
        for record in self.events("start"):
            frames = record.get("frames")
            if isinstance(frames, list) and len(frames) == 2:
                return int(frames[0]), int(frames[1])
        return None

    @property
    def message(self) -> str:
        """The engine's own words: the error record's message, else stderr's last line."""
        for record in reversed(self.events("error")):
            text = str(record.get("message", "")).strip()
            if text:
                return text
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        if lines:
            return lines[-1]
        if self.cancelled:
            return "render cancelled"
        return f"the engine stopped with exit status {self.returncode}"


def split_executable(executable: str) -> list[str]:
    """The engine executable knob as an argument list.

    An existing file is one argument (spaces allowed); otherwise the text is split like a
    shell command line, so ``python -m vtinker_core.cli`` works too.
    """
    text = executable.strip()
    if not text:
        raise ValueError("the engine executable is empty; set it on the VTinker tab")
    if Path(text).expanduser().is_file():
        return [str(Path(text).expanduser())]
    return shlex.split(text, posix=os.name != "nt")


def engine_command(
    executable: str, job_path: str, *, frames: str | None = None, force: bool = False
) -> list[str]:
    """``<executable> render --job J --progress json --cancel-file J.cancel [--frames A-B]
    [--force]``."""
    command = [*split_executable(executable), "render", "--job", str(job_path)]
    command += ["--progress", "json", "--cancel-file", f"{job_path}.cancel"]
    if frames:
        command += ["--frames", frames]
    if force:
        command.append("--force")
    return command


def engine_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the engine: the host's, less its own Python's variables."""
    environ = dict(os.environ if base is None else base)
    for name in HOST_PYTHON_VARIABLES:
        environ.pop(name, None)
    return environ


def parse_record(line: str) -> Record | None:
    """One progress line as a record, or None for anything that is not one."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("event"), str):
        return None
    return record


def _pump_lines(stream: Any, sink: Callable[[str], None]) -> None:
    for line in iter(stream.readline, ""):
        sink(line)
    stream.close()


def _cancel_file(command: Sequence[str]) -> Path | None:
    """The ``--cancel-file`` of an engine command, if it has one."""
    items = list(command)
    if "--cancel-file" in items[:-1]:
        return Path(items[items.index("--cancel-file") + 1])
    return None


def run_engine(
    command: Sequence[str],
    *,
    on_record: Callable[[Record], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    poll_seconds: float = 0.05,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> EngineResult:
    """Run the engine to the end, passing each progress record to ``on_record``.

    Args:
        command: the argument list (see :func:`engine_command`).
        on_record: called in this thread for every record, in order.
        should_cancel: polled about every ``poll_seconds``; True stops the render (once).
        poll_seconds: how often ``should_cancel`` is asked while no record arrives.
        env: the engine's environment (default: :func:`engine_environment`).
        cwd: its working folder.

    Returns:
        The result; ``result.ok`` says whether every frame was written.

    Raises:
        EngineStartError: the executable could not be started.
    """
    creationflags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    cancel_file = _cancel_file(command)
    if cancel_file is not None and cancel_file.exists():
        cancel_file.unlink()  # left by an earlier cancelled run
    try:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=engine_environment(env),
            cwd=cwd,
            creationflags=creationflags,
        )
    except OSError as err:
        raise EngineStartError(
            f"cannot start the engine '{command[0]}': {err.strerror or err}; set the engine "
            "executable on the VTinker tab (or run vtinker-install nuke)"
        ) from err
    lines: queue.Queue[str | None] = queue.Queue()
    stderr_parts: list[str] = []

    def read_stdout() -> None:
        _pump_lines(process.stdout, lines.put)
        lines.put(None)

    readers = [
        threading.Thread(target=read_stdout, name="vtinker-stdout", daemon=True),
        threading.Thread(
            target=_pump_lines,
            args=(process.stderr, stderr_parts.append),
            name="vtinker-stderr",
            daemon=True,
        ),
    ]
    for reader in readers:
        reader.start()
    result = EngineResult(returncode=-1)
    cancel_sent: float | None = None
    try:
        while True:
            if should_cancel is not None and cancel_sent is None and should_cancel():
                result.cancelled = True
                cancel_sent = time.monotonic()
                if cancel_file is not None:
                    cancel_file.touch()
                if cancel_file is None or os.name != "nt":
                    process.terminate()
            if cancel_sent is not None and time.monotonic() - cancel_sent > CANCEL_GRACE_SECONDS:
                process.kill()
            try:
                line = lines.get(timeout=poll_seconds)
            except queue.Empty:
                continue
            if line is None:
                break
            record = parse_record(line)
            if record is None:
                continue
            result.records.append(record)
            if on_record is not None:
                on_record(record)
    except BaseException:
        process.kill()
        raise
    finally:
        result.returncode = process.wait()
        for reader in readers:
            reader.join(timeout=5)
        result.stderr = "".join(stderr_parts)
    if result.returncode == EXIT_OK:
        result.cancelled = False  # the cancel came after the last frame: all is written
    elif result.returncode == EXIT_CANCELLED or any(
        r.get("cancelled") for r in result.events("error")
    ):
        result.cancelled = True
    return result
