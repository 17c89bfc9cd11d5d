"""Is a render complete? Every output frame of a job exists, is readable and has its shape.

Example::

    result = verify_outputs(read_job("job.json"))
    result.ok                 # False
    result.missing            # (1003, 1010, 1011)
    result.describe()         # "3 of 100 output frames missing or unreadable: 1003, 1010-1011"

The farm bundle's check step runs this (``vtinker farm verify``) after every render chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vtinker_core.errors import ImageReadError, JobError
from vtinker_core.io import (
    VIDEO_EXTENSIONS,
    format_frame_range,
    open_source,
    output_path,
    parse_frame_range,
    probe_frame,
    read_frame,
)
from vtinker_core.job import RenderJob

__all__ = ["VerifyResult", "verify_outputs"]

# Channels a render adds to the source's when it writes motion vectors.
_VECTOR_CHANNELS = 4


@dataclass(frozen=True)
class VerifyResult:
    """The output frames checked and those that failed.

    Attributes:
        frames: the output frames checked, ascending.
        missing: frames with no file.
        unreadable: frames whose file cannot be read, or is not the size and channel count
            the render writes.
    """

    frames: tuple[int, ...]
    missing: tuple[int, ...]
    unreadable: tuple[int, ...]

    @property
    def ok(self) -> bool:
        """Every frame is there and readable."""
        return not self.missing and not self.unreadable

    @property
    def bad(self) -> tuple[int, ...]:
        """Missing and unreadable frames together, ascending."""
        return tuple(sorted((*self.missing, *self.unreadable)))

    def describe(self) -> str:
        """One line for people and farm monitors."""
        if self.ok:
            return f"all {len(self.frames)} output frames are complete"
        parts = []
        if self.missing:
            parts.append(f"missing {format_frame_range(self.missing)}")
        if self.unreadable:
            parts.append(f"unreadable {format_frame_range(self.unreadable)}")
        return (
            f"{len(self.bad)} of {len(self.frames)} output frames missing or unreadable: "
            + "; ".join(parts)
        )


def verify_outputs(
    job: RenderJob,
    *,
    frames: str | None = None,
    on_frame: Callable[[int, int], None] | None = None,
) -> VerifyResult:
    """Check the output frames of ``job`` (all, or those in ``frames``).

    Each file must exist, decode completely, and have the size and channel count a render of
    the job writes (the source's, plus four for motion vectors).

    Args:
        job: the render job.
        frames: output frames to check (``1001-1050``); default: all of the job's.
        on_frame: called with (frames checked so far, frames to check) after each frame.

    Raises:
        JobError: a video output, or ``frames`` outside the job's output frames.
        VTinkerError: the source cannot be read (its frames say what the outputs must be).
    """
    from vtinker_core.render import plan_render

    if Path(job.output.path).suffix.lower() in VIDEO_EXTENSIONS:
        raise JobError(
            "farm verify checks image sequences; this job writes a video", setting="output.path"
        )
    with open_source(job.input.path, job.input.frames) as source:
        first = source.read(source.first)
        plan = plan_render(job, source, job.cuts.frames)
    outputs = plan.output_frames
    chosen = outputs
    if frames is not None:
        wanted = set(parse_frame_range(frames))
        chosen = tuple(f for f in outputs if f in wanted)
        if len(chosen) != len(wanted):
            raise JobError(
                f"frames {frames} are outside the job's output frames "
                f"{format_frame_range(outputs)}",
                setting="frames",
            )
    channels = len(first.channels) + (_VECTOR_CHANNELS if job.output.vectors else 0)
    expected = (first.width, first.height, channels)
    missing: list[int] = []
    unreadable: list[int] = []
    for done, number in enumerate(chosen, start=1):
        path = output_path(job.output.path, number)
        if not path.is_file():
            missing.append(number)
        elif not _readable(path, expected):
            unreadable.append(number)
        if on_frame is not None:
            on_frame(done, len(chosen))
    return VerifyResult(chosen, tuple(missing), tuple(unreadable))


def _readable(path: Path, expected: tuple[int, int, int]) -> bool:
    try:
        info = probe_frame(path)
        if (info.width, info.height, len(info.channels)) != expected:
            return False
        read_frame(path)
    except ImageReadError:
        return False
    return True
