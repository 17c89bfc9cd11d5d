"""Progress of a render: a bar for people, JSON lines for the Qt window and host adapters,
OpenJD's ``openjd_progress`` lines for render farms (:class:`OpenJDProgress`).

``vtinker render --progress json`` writes one JSON object per line on stdout. Schema (version 1,
the file ``vtinker_core/schemas/progress-1.schema.json``; every record has ``event`` and
``time``, seconds since the epoch):

=========  ==========================================================================
event      fields
=========  ==========================================================================
start      ``total`` (output frames in this run), ``frames`` ([first, last] output
           frame numbers), ``engine`` (the engine's name: ``classical``, ``vtinker``...),
           ``reason`` (why that engine: ``auto: no VTinker checkpoint found ...``),
           ``output`` (pattern), ``schema`` (1)
frame      ``frame`` (output frame number), ``done`` (frames finished so far),
           ``total``, ``path`` (file written), ``skipped`` (true when a valid file
           was already there), ``source`` (source position, e.g. 1001.5),
           ``seconds`` (time spent on this frame)
warning    ``message`` (one line), optional ``frame``
done       ``total``, ``rendered``, ``skipped``, ``seconds``
error      ``message`` (one line), ``kind`` (error class), optional ``path``,
           ``frame``, ``setting``; ``cancelled`` true when the user stopped the render
=========  ==========================================================================

Example::

    reporter = JsonLinesProgress(sys.stdout)
    reporter.start(
        total=3, frames=(1001, 1003), engine="blend", reason="asked for", output="out.####.exr"
    )
"""

from __future__ import annotations

import json
import sys
import time
from importlib import resources
from typing import IO, Any

#: The record schema's version (``vtinker_core/schemas/progress-1.schema.json``).
PROGRESS_SCHEMA = 1
SCHEMA_FILE = f"progress-{PROGRESS_SCHEMA}.schema.json"


def progress_schema() -> dict[str, Any]:
    """The records' JSON Schema, with the exit codes under ``x-exit-codes``."""
    text = resources.files("vtinker_core").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_EXIT_CODES: dict[str, int] = progress_schema()["x-exit-codes"]
#: How ``vtinker`` exits: every frame written; an error (one line said why); cancelled.
EXIT_OK, EXIT_ERROR, EXIT_CANCELLED = (_EXIT_CODES[k] for k in ("ok", "error", "cancelled"))


class ProgressReporter:
    """Receives render events; the base class ignores them all."""

    def start(
        self, *, total: int, frames: tuple[int, int], engine: str, reason: str, output: str
    ) -> None:
        """The render begins: ``total`` output frames in this run, by ``engine`` (and why)."""

    def frame(
        self,
        *,
        frame: int,
        done: int,
        total: int,
        path: str,
        skipped: bool,
        source: float,
        seconds: float,
    ) -> None:
        """One output frame is finished (or was already there and valid)."""

    def warning(self, message: str, *, frame: int | None = None) -> None:
        """Something the user should know that does not stop the render."""

    def done(self, *, total: int, rendered: int, skipped: int, seconds: float) -> None:
        """The render finished."""

    def error(self, message: str, *, kind: str, **fields: Any) -> None:
        """The render stopped on an error (or was cancelled)."""

    def close(self) -> None:
        """Release the terminal or stream."""


class JsonLinesProgress(ProgressReporter):
    """Writes the documented records, one JSON object per line, flushed at once."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout

    def _emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()

    def start(
        self, *, total: int, frames: tuple[int, int], engine: str, reason: str, output: str
    ) -> None:
        self._emit(
            "start",
            schema=PROGRESS_SCHEMA,
            total=total,
            frames=list(frames),
            engine=engine,
            reason=reason,
            output=output,
        )

    def frame(self, **fields: Any) -> None:
        self._emit("frame", **fields)

    def warning(self, message: str, *, frame: int | None = None) -> None:
        self._emit("warning", message=message, **({"frame": frame} if frame is not None else {}))

    def done(self, *, total: int, rendered: int, skipped: int, seconds: float) -> None:
        self._emit(
            "done", total=total, rendered=rendered, skipped=skipped, seconds=round(seconds, 3)
        )

    def error(self, message: str, *, kind: str, **fields: Any) -> None:
        self._emit(
            "error",
            message=message,
            kind=kind,
            **{k: v for k, v in fields.items() if v is not None},
        )


class BarProgress(ProgressReporter):
    """A tqdm bar on stderr with frames done, rate and ETA; warnings printed above it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._bar: Any = None

    def start(
        self, *, total: int, frames: tuple[int, int], engine: str, reason: str, output: str
    ) -> None:
        from tqdm import tqdm

        self._stream.write(f"vtinker: engine {engine} ({reason})\n")
        self._bar = tqdm(total=total, unit="frame", file=self._stream, dynamic_ncols=True)

    def frame(self, **fields: Any) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(f"frame {fields['frame']}", refresh=False)
            self._bar.update(1)

    def warning(self, message: str, *, frame: int | None = None) -> None:
        text = f"warning: {message}" if frame is None else f"warning (frame {frame}): {message}"
        if self._bar is not None:
            self._bar.write(text, file=self._stream)
        else:
            self._stream.write(text + "\n")

    def done(self, *, total: int, rendered: int, skipped: int, seconds: float) -> None:
        self.close()
        note = f", {skipped} already there" if skipped else ""
        self._stream.write(f"vtinker: {rendered} frames rendered{note} in {seconds:.1f} s\n")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class OpenJDProgress(ProgressReporter):
    """Open Job Description's stdout messages, for farm tasks (``--progress openjd``).

    Farm agents read ``openjd_progress: <percent>`` (0 to 100) and ``openjd_status: <text>``
    lines from a task's output to show a bar and a status, and ``openjd_fail: <text>`` as the
    reason a task failed (OpenJD wiki, How-Jobs-Are-Run, "Stdout/Stderr Messages"); warnings
    and the engine choice are plain lines in the task log::

        openjd_status: rendering 10 frames (1001-1010), engine classical
        openjd_progress: 10.0
        openjd_status: frame 1001 done (1 of 10)
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout

    def _line(self, text: str) -> None:
        self._stream.write(" ".join(text.split()) + "\n")  # one line, whatever the message
        self._stream.flush()

    def start(
        self, *, total: int, frames: tuple[int, int], engine: str, reason: str, output: str
    ) -> None:
        self._line(f"vtinker: engine {engine} ({reason}), writing {output}")
        self._line(
            f"openjd_status: rendering {total} frames ({frames[0]}-{frames[1]}), engine {engine}"
        )
        self._line("openjd_progress: 0.0")

    def frame(self, **fields: Any) -> None:
        done, total = int(fields["done"]), max(int(fields["total"]), 1)
        state = "already done" if fields.get("skipped") else "done"
        self._line(f"openjd_progress: {100.0 * done / total:.1f}")
        self._line(f"openjd_status: frame {fields['frame']} {state} ({done} of {total})")

    def warning(self, message: str, *, frame: int | None = None) -> None:
        where = "" if frame is None else f" (frame {frame})"
        self._line(f"vtinker: warning{where}: {message}")

    def done(self, *, total: int, rendered: int, skipped: int, seconds: float) -> None:
        self._line("openjd_progress: 100.0")
        note = f", {skipped} already there" if skipped else ""
        self._line(f"openjd_status: {rendered} frames rendered{note} in {seconds:.1f} s")

    def error(self, message: str, *, kind: str, **fields: Any) -> None:
        self._line(f"openjd_fail: {message}")


class CollectingProgress(ProgressReporter):
    """Keeps every record in memory (for Python callers and tests)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def start(self, **fields: Any) -> None:
        self.records.append({"event": "start", **fields})

    def frame(self, **fields: Any) -> None:
        self.records.append({"event": "frame", **fields})

    def warning(self, message: str, *, frame: int | None = None) -> None:
        self.records.append({"event": "warning", "message": message, "frame": frame})

    def done(self, **fields: Any) -> None:
        self.records.append({"event": "done", **fields})

    def error(self, message: str, *, kind: str, **fields: Any) -> None:
        self.records.append({"event": "error", "message": message, "kind": kind, **fields})

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == name]
