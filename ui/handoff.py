"""The Resolve hand-off: a job comes in from the Resolve action, a result goes back.

The Resolve action (``hosts/resolve``) writes ``handoff.json`` and runs
``vtinker-preview --resolve-job handoff.json``::

    {"version": 1,
     "job": { ...a RenderJob object, pre-filled... },
     "clip": {"name": "A001_C003", "timeline_fps": "24", "record_frame": 86400, "track": 1},
     "result_path": "/tmp/vtinker-resolve-1234/result.json"}

The window opens with the panel filled from ``job``. When a render through the engine
process succeeds, it writes ``result_path`` (atomically: a temporary file in the same folder,
then a rename, so the action never reads half a file)::

    {"version": 1, "status": "rendered", "output": "/shots/retime/A001.####.exr",
     "first": 1001, "last": 1100, "fps": "24000/1001"}

``output`` is the job's output pattern as written (with ``####``); ``first``/``last`` are the
first and last output frames; ``fps`` is the output rate as exact text written the way the job
writes rates (``"24"``, ``"24000/1001"``), or null when nobody knows it. When the window
closes without a successful render it writes ``{"version": 1, "status": "cancelled"}``.
Example::

    handoff = read_handoff("handoff.json")
    panel.load_job(handoff.job)
    ...
    write_rendered(handoff.result_path, output="retime/A001.####.exr", first=1001,
                   last=1100, fps=Fraction(24000, 1001))

This module imports only the standard library and the core's errors (no Qt), so the Resolve
side's tests may use it as the reference reader/writer.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from vtinker_core.errors import VTinkerError

HANDOFF_VERSION = 1
STATUS_RENDERED = "rendered"
STATUS_CANCELLED = "cancelled"


class HandoffError(VTinkerError):
    """A hand-off file is missing, not JSON, or not the agreed shape (``setting`` names the
    field, e.g. ``result_path``)."""


@dataclass(frozen=True)
class ClipInfo:
    """The Resolve clip the job came from (shown in the window; passed back untouched).

    Attributes:
        name: the clip's name in the timeline.
        timeline_fps: the timeline's frame rate as text (``"24"``, ``"23.976"``), if given.
        record_frame: the clip's record-in frame on the timeline, if given.
        track: the video track number, if given.
    """

    name: str = ""
    timeline_fps: str | None = None
    record_frame: int | None = None
    track: int | None = None


@dataclass(frozen=True)
class Handoff:
    """A parsed hand-off file.

    Attributes:
        job: the pre-filled job object (validated later, by the panel, field by field).
        clip: the clip it came from.
        result_path: where the result must be written.
        source_path: the hand-off file itself.
        version: the hand-off version (1).
    """

    job: dict[str, Any]
    clip: ClipInfo
    result_path: Path
    source_path: Path | None = None
    version: int = HANDOFF_VERSION


def _optional_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise HandoffError(
            f"hand-off clip.{key} must be a whole number, got {value!r}", setting=f"clip.{key}"
        )
    return value


def parse_handoff(data: Any, *, source_path: Path | None = None) -> Handoff:
    """Check a hand-off object's shape and return it.

    Raises:
        HandoffError: not the agreed shape; ``setting`` names the field.
    """
    where = f" in '{source_path}'" if source_path else ""
    if not isinstance(data, dict):
        raise HandoffError(
            f"a hand-off must be a JSON object{where}", setting="handoff", path=source_path
        )
    version = data.get("version")
    if version != HANDOFF_VERSION:
        raise HandoffError(
            f"hand-off version {version!r}{where} is not supported; this vtinker-preview reads "
            f"version {HANDOFF_VERSION}",
            setting="version",
            path=source_path,
        )
    job = data.get("job")
    if not isinstance(job, dict):
        raise HandoffError(
            f"the hand-off{where} needs a 'job' object", setting="job", path=source_path
        )
    result = data.get("result_path")
    if not isinstance(result, str) or not result.strip():
        raise HandoffError(
            f"the hand-off{where} needs 'result_path' (where to write the result)",
            setting="result_path",
            path=source_path,
        )
    clip_data = data.get("clip") or {}
    if not isinstance(clip_data, dict):
        raise HandoffError(
            f"hand-off 'clip'{where} must be an object", setting="clip", path=source_path
        )
    fps = clip_data.get("timeline_fps")
    clip = ClipInfo(
        name=str(clip_data.get("name") or ""),
        timeline_fps=None if fps is None else str(fps),
        record_frame=_optional_int(clip_data, "record_frame"),
        track=_optional_int(clip_data, "track"),
    )
    return Handoff(job=job, clip=clip, result_path=Path(result), source_path=source_path)


def read_handoff(path: str | Path) -> Handoff:
    """Read and check a hand-off file.

    Raises:
        HandoffError: unreadable, not JSON, or not the agreed shape.
    """
    handoff_path = Path(path)
    try:
        text = handoff_path.read_text(encoding="utf-8")
    except OSError as err:
        raise HandoffError(
            f"cannot read the hand-off file '{handoff_path}': {err.strerror or err}",
            path=handoff_path,
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HandoffError(
            f"the hand-off file '{handoff_path}' is not valid JSON: {err.msg} at line {err.lineno}",
            path=handoff_path,
        ) from err
    return parse_handoff(data, source_path=handoff_path)


def fps_text(fps: Fraction | str | None) -> str | None:
    """A frame rate as exact text, as the job writes rates: ``"24"``, ``"24000/1001"``; or None.

    Decimal text is read as the core reads it (``"23.976"`` is 24000/1001).
    """
    if fps is None:
        return None
    if isinstance(fps, Fraction):
        rate = fps
    else:
        from vtinker_core.timing import parse_fps

        rate = parse_fps(str(fps), setting="fps")
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def rendered_result(
    *, output: str, first: int, last: int, fps: Fraction | str | None
) -> dict[str, Any]:
    """The result object of a successful render."""
    return {
        "version": HANDOFF_VERSION,
        "status": STATUS_RENDERED,
        "output": output,
        "first": int(first),
        "last": int(last),
        "fps": fps_text(fps),
    }


def cancelled_result() -> dict[str, Any]:
    """The result object when the window closes without a successful render."""
    return {"version": HANDOFF_VERSION, "status": STATUS_CANCELLED}


def write_result(path: str | Path, result: Mapping[str, Any]) -> None:
    """Write a result object atomically (temporary file in the same folder, then rename).

    Raises:
        HandoffError: the folder is missing or not writable.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(dict(result), handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise HandoffError(
            f"cannot write the hand-off result '{target}': {err.strerror or err}",
            path=target,
            setting="result_path",
        ) from err


def write_rendered(
    path: str | Path, *, output: str, first: int, last: int, fps: Fraction | str | None
) -> None:
    """Write the "rendered" result (see the module docstring)."""
    write_result(path, rendered_result(output=output, first=first, last=last, fps=fps))


def write_cancelled(path: str | Path) -> None:
    """Write the "cancelled" result."""
    write_result(path, cancelled_result())


def output_fps(job: Mapping[str, Any], source_fps: Fraction | None) -> Fraction | None:
    """The output frame rate of a job as the render sets it: ``output.fps``, else the
    timing's output rate (fps mode), else the source's rate."""
    from vtinker_core.timing import parse_fps

    output = job.get("output") or {}
    if output.get("fps"):
        return parse_fps(str(output["fps"]), setting="output.fps")
    timing = job.get("timing") or {}
    if timing.get("mode") == "fps" and timing.get("output_fps"):
        return parse_fps(str(timing["output_fps"]), setting="timing.output_fps")
    return source_fps


class HandoffSession:
    """Tracks one hand-off: writes "rendered" after a successful render, "cancelled" when
    closed without one (at most one result per outcome; a later success overwrites a
    cancellation only while the window is still open).

    Args:
        handoff: the parsed hand-off.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.rendered = False
        self.closed = False

    def render_succeeded(
        self, *, output: str, first: int, last: int, fps: Fraction | str | None
    ) -> None:
        write_rendered(self.handoff.result_path, output=output, first=first, last=last, fps=fps)
        self.rendered = True

    def close(self) -> None:
        """The window closes: write "cancelled" unless a render succeeded."""
        if self.closed:
            return
        self.closed = True
        if not self.rendered:
            write_cancelled(self.handoff.result_path)
