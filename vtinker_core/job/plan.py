"""The job's output frames over the source frames: one mapping for the render, the window and
the hosts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vtinker_core.errors import JobError
from vtinker_core.job.model import RenderJob
from vtinker_core.timing import Sample, build_timing

__all__ = ["plan_samples"]


def plan_samples(job: RenderJob, frames: Sequence[int], cuts: Sequence[int] = ()) -> list[Sample]:
    """The job's output frames over the source ``frames``, numbered as a render numbers them.

    The timing is applied (keys over output frames, as an animated speed has, use the
    output numbering), samples straddling any of ``cuts`` (source frames that start a
    shot) become holds, and the outputs are renumbered from ``output.start`` (default: the
    first source frame).

    Raises:
        JobError: the timing does not fit the frames or produces no output.
    """
    from vtinker_core.cuts import apply_cuts

    start = job.output.start if job.output.start is not None else frames[0]
    samples = build_timing(job.timing, list(frames), output_start=start)
    if cuts:
        samples = apply_cuts(samples, sorted(set(cuts)))
    if not samples:
        raise JobError("the timing produces no output frames", setting="timing")
    offset = start - samples[0].output_frame
    return [replace(s, output_frame=s.output_frame + offset) for s in samples]
