"""Timing: which source position every output frame shows.

A timing is a list of :class:`Sample` values, one per output frame, each naming the source
position it shows, the source pair that brackets it and the fraction ``t`` between them::

    spec = TimingSpec(mode="speed", speed=0.5)          # vtinker_core.job.TimingSpec
    samples = build_timing(spec, range(1001, 1006))     # 9 outputs: 1001, 1001.5, ..., 1005
    samples[1]        # Sample(output_frame=1002, position=1001.5, frame_a=1001, frame_b=1002,
                      #        t=0.5, hold_cut=None)
    samples[2].is_copy                                  # True: 1002 is copied bit for bit
    select_outputs(samples, range(1001, 1004))          # a farm chunk

Conventions shared by every mode:

* Positions are in source frame numbers. Exact rational arithmetic (:class:`fractions.Fraction`)
  is used internally, so a 10,000-frame job does not drift. A position within ``1e-6`` of a whole
  frame snaps to it; a position on a whole source frame is a copy (``frame_a == frame_b``,
  ``t == 0``). Otherwise ``frame_a`` is the nearest source frame below, ``frame_b`` the nearest
  above and ``t = (position - frame_a) / (frame_b - frame_a)`` in (0, 1); where the source has a
  hole (``1-9x2``) the pair is the two frames around it.
* No position leaves the source range: positions are clamped to its first and last frame.
* Output frames are consecutive from the first source frame (a job renumbers them from its
  ``output.start``: :func:`vtinker_core.job.plan_samples`), except
  in ``curve`` mode (the keys' frames are the output frames) and ``fill`` mode (the output frames
  are the source frames).

Curve keys (parsing, loading, evaluating) live in :mod:`vtinker_core.curves`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, cast

from vtinker_core.curves import (
    CurveKey,
    CurveShape,
    evaluate_curve,
    normalise_keys,
    whole_number,
)
from vtinker_core.errors import JobError

if TYPE_CHECKING:
    from vtinker_core.job import TimingSpec

__all__ = [
    "SNAP_TOLERANCE",
    "Sample",
    "build_timing",
    "parse_fps",
    "parse_speed",
    "required_frames",
    "retime_curve",
    "retime_fill",
    "retime_fps",
    "retime_multiply",
    "retime_speed",
    "select_outputs",
]

#: Positions this close to a whole frame are that frame.
SNAP_TOLERANCE = 1e-6
_SNAP = Fraction(1, 1_000_000)

#: NTSC-family rates are n × 1000/1001; a decimal within this of one is that rate (23.976).
_NTSC_TOLERANCE = Fraction(1, 100)


@dataclass(frozen=True)
class Sample:
    """One output frame: the source position it shows and how to render it.

    Attributes:
        output_frame: the output frame number.
        position: the source position shown (e.g. 1001.25); the held frame for a hold.
        frame_a: the source frame at or below ``position``.
        frame_b: the source frame above ``position``; equal to ``frame_a`` for a copy.
        t: the fraction from ``frame_a`` to ``frame_b``, in [0, 1); 0 for a copy.
        hold_cut: set by :func:`vtinker_core.cuts.apply_cuts` when a scene cut made this sample
            hold a whole frame instead of interpolating across the cut: the first frame of the
            new shot. ``None`` otherwise.
    """

    output_frame: int
    position: float
    frame_a: int
    frame_b: int
    t: float
    hold_cut: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.t < 1.0:
            raise ValueError(f"Sample.t must be in [0, 1), got {self.t}")
        if self.frame_a > self.frame_b or (self.frame_a == self.frame_b) != (self.t == 0.0):
            raise ValueError(
                f"Sample pair ({self.frame_a}, {self.frame_b}) does not fit t={self.t}: "
                "a copy has frame_a == frame_b and t == 0, an in-between frame_a < frame_b"
            )

    @property
    def is_copy(self) -> bool:
        """True when the output is a source frame copied bit for bit (``frame_a``)."""
        return self.frame_a == self.frame_b

    @property
    def is_hold(self) -> bool:
        """True when a scene cut forced this sample to hold a whole frame."""
        return self.hold_cut is not None


# --------------------------------------------------------------------------- parsing helpers


def parse_fps(value: str | int | float | Fraction, *, setting: str = "fps") -> Fraction:
    """A frame rate as an exact fraction.

    ``"24000/1001"`` and ``Fraction`` values are taken as they are; a decimal that is not a
    whole number and lies within 0.01 of an NTSC-family rate n × 1000/1001 is that rate, so
    ``"23.976"``, ``"23.98"``, ``29.97``, ``"59.94"``, ``"47.952"``, ``"119.88"`` are exact;
    other decimals are exact decimals (``"12.5"`` is 25/2).

    Args:
        value: the rate, as text or a number.
        setting: the setting named in the error.

    Returns:
        The rate in frames per second, > 0.

    Raises:
        JobError: the value is not a positive finite rate.
    """
    if isinstance(value, bool):
        raise JobError(f"{setting}: expected a frame rate, got {value!r}", setting=setting)
    try:
        if isinstance(value, Fraction | int):
            rate = Fraction(value)
        elif isinstance(value, float):
            rate = _decimal_fps(Fraction(repr(value)))
        elif isinstance(value, str) and "/" in value:
            rate = Fraction(value.strip())
        elif isinstance(value, str):
            rate = _decimal_fps(Fraction(value.strip()))
        else:
            raise TypeError(type(value).__name__)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as err:
        raise JobError(
            f"{setting}: {value!r} is not a frame rate (try '25', '23.976' or '24000/1001')",
            setting=setting,
        ) from err
    if rate <= 0:
        raise JobError(f"{setting}: a frame rate must be > 0, got {value!r}", setting=setting)
    return rate


def _decimal_fps(rate: Fraction) -> Fraction:
    if rate.denominator == 1:
        return rate
    ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
    return ntsc if ntsc > 0 and abs(rate - ntsc) <= _NTSC_TOLERANCE else rate


def parse_speed(value: str | int | float | Fraction, *, setting: str = "timing.speed") -> float:
    """An output speed as a factor (1.0 = normal speed): ``"50%"`` → 0.5, ``"0.5"`` → 0.5.

    Args:
        value: a factor, or text with a trailing ``%`` for a percentage.
        setting: the setting named in the error.

    Returns:
        The speed factor, > 0 and finite (``"33.3%"`` is the same float as ``0.333``).

    Raises:
        JobError: the value is not a positive finite speed.
    """
    try:
        if isinstance(value, bool):
            raise TypeError("bool")
        if isinstance(value, str):
            text = value.strip()
            exact = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
            speed = float(exact)
        else:
            speed = float(value)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as err:
        raise JobError(
            f"{setting}: {value!r} is not a speed (try 0.5 or '50%')", setting=setting
        ) from err
    if not math.isfinite(speed) or speed <= 0:
        raise JobError(f"{setting}: the speed must be > 0, got {value!r}", setting=setting)
    return speed


# --------------------------------------------------------------------------- sampling core


def _frames(source_frames: Iterable[int]) -> list[int]:
    frames = sorted({int(f) for f in source_frames})
    if not frames:
        raise JobError("frames: the source frame range is empty", setting="frames")
    return frames


def _exact(value: float | int | Fraction) -> Fraction:
    # repr() is the shortest text that round-trips, so 0.333 is 333/1000, not its binary value.
    return value if isinstance(value, Fraction) else Fraction(repr(value))


def _snap(position: Fraction) -> Fraction:
    whole = round(position)
    return Fraction(whole) if abs(position - whole) <= _SNAP else position


def _sample_at(output_frame: int, position: Fraction, frames: Sequence[int]) -> Sample:
    """The sample showing ``position`` (snapped, clamped to ``frames``, which are sorted)."""
    p = min(max(_snap(position), Fraction(frames[0])), Fraction(frames[-1]))
    i = bisect.bisect_right(frames, p) - 1
    a = frames[i]
    if p == a:
        return Sample(output_frame, float(a), a, a, 0.0)
    b = frames[i + 1]
    return Sample(output_frame, float(p), a, b, float((p - a) / (b - a)))


def _constant_rate(frames: Sequence[int], step: Fraction, offset: Fraction) -> list[Sample]:
    """Outputs first, first + 1, ... at first + offset + i·step while inside the range."""
    first, last = frames[0], frames[-1]
    fits = _snap((last - first - offset) / step)
    count = max(math.floor(fits), 0) + 1
    return [_sample_at(first + i, first + offset + i * step, frames) for i in range(count)]


def _check_multiplier(multiplier: int) -> None:
    if isinstance(multiplier, bool) or not isinstance(multiplier, int) or multiplier < 1:
        raise JobError(
            f"timing.multiplier: expected an integer ≥ 1, got {multiplier!r}",
            setting="timing.multiplier",
        )


# --------------------------------------------------------------------------- modes


def retime_speed(
    source_frames: Iterable[int],
    speed: float | Fraction,
    *,
    centre_samples: bool = False,
) -> list[Sample]:
    """Constant output speed, Kronos style (``speed`` 0.5 = 50 % = twice as long).

    Output i sits at ``first + i·speed``; there are ``floor(intervals / speed) + 1`` outputs
    (intervals = last − first), so the last one never passes the last source frame.

    ``centre_samples`` (for speeds below 1; it changes nothing at 1 or above): each output frame
    covers the source span [first + i·speed, first + (i + 1)·speed) and is sampled at its centre,
    ``first + speed/2 + i·speed``, with ``floor(intervals / speed − 1/2) + 1`` outputs. At 50 %
    that is 0.25, 0.75, 1.25, … after ``first`` (one output fewer than without the option, the
    last at ``last − 0.25``); at 1/3 speed 1/6, 1/2, 5/6, …; at 1/N speed no output is a copy,
    which avoids the pulse of alternating sharp copies and soft in-betweens. (An offset of
    (1 − speed)/2 would also give 0.25 at 50 % but lands on whole frames again at 1/3 speed.)

    Args:
        source_frames: the input frame numbers (first..last, holes allowed).
        speed: output speed as a factor, > 0 (:func:`parse_speed` reads ``"50%"``).
        centre_samples: sample the centre of each output frame's span, as described above.

    Returns:
        One sample per output frame, in output order.

    Raises:
        JobError: ``timing.speed`` not > 0, or an empty source range (``frames``).
    """
    if not isinstance(speed, Fraction):
        speed = _exact(parse_speed(speed))
    elif speed <= 0:
        raise JobError(f"timing.speed: the speed must be > 0, got {speed}", setting="timing.speed")
    frames = _frames(source_frames)
    offset = speed / 2 if centre_samples and speed < 1 else Fraction(0)
    return _constant_rate(frames, speed, offset)


def retime_fps(
    source_frames: Iterable[int],
    source_fps: str | int | float | Fraction,
    output_fps: str | int | float | Fraction,
) -> list[Sample]:
    """Frame-rate conversion with the same duration: output k shows source time k / output_fps.

    Output k sits at ``first + k·source_fps/output_fps`` (exact fractions: 23.976 → 59.94 steps
    by exactly 2/5); there are ``floor(intervals·output_fps/source_fps) + 1`` outputs.

    Args:
        source_frames: the input frame numbers.
        source_fps: the input rate (see :func:`parse_fps`).
        output_fps: the output rate.

    Returns:
        One sample per output frame, in output order.

    Raises:
        JobError: ``timing.source_fps`` / ``timing.output_fps`` invalid, or an empty source
            range.
    """
    src = parse_fps(source_fps, setting="timing.source_fps")
    dst = parse_fps(output_fps, setting="timing.output_fps")
    return _constant_rate(_frames(source_frames), src / dst, Fraction(0))


def retime_multiply(source_frames: Iterable[int], multiplier: int) -> list[Sample]:
    """Slow motion by a whole factor: N − 1 in-betweens after each source frame.

    Output i sits at ``first + i/N``; there are ``intervals·N + 1`` outputs (N = 1 copies).

    Args:
        source_frames: the input frame numbers.
        multiplier: N, an integer ≥ 1.

    Returns:
        One sample per output frame, in output order.

    Raises:
        JobError: ``timing.multiplier`` not an integer ≥ 1, or an empty source range.
    """
    _check_multiplier(multiplier)
    return _constant_rate(_frames(source_frames), Fraction(1, multiplier), Fraction(0))


def retime_curve(
    source_frames: Iterable[int], keys: Sequence[CurveKey], *, shape: CurveShape = "linear"
) -> list[Sample]:
    """A keyed curve of output frame → source position (Kronos "Frame" timing).

    The outputs are the key frames' range, first key to last key, one per whole frame; each
    shows :func:`evaluate_curve` at its frame, clamped to the source range. Keys going down
    play in reverse; equal keys hold (a freeze frame).

    Args:
        source_frames: the input frame numbers.
        keys: (output frame, source position) pairs, output frames strictly increasing.
        shape: ``"linear"`` or ``"smooth"`` (see :func:`evaluate_curve`).

    Returns:
        One sample per output frame, in output order.

    Raises:
        JobError: invalid ``timing.keys`` / ``timing.curve_shape``, or an empty source range.
    """
    keys = normalise_keys(keys)
    frames = _frames(source_frames)
    outputs = range(keys[0][0], keys[-1][0] + 1)
    positions = evaluate_curve(keys, outputs, shape=shape)
    return [_sample_at(f, Fraction(p), frames) for f, p in zip(outputs, positions, strict=True)]


def retime_fill(source_frames: Iterable[int], fill_frames: Iterable[int]) -> list[Sample]:
    """Regenerate listed bad (dropped, duplicated) frames from their nearest good neighbours.

    The output frames are the source frames. A good frame is a copy. A bad frame f with good
    frames a < f < b around it is the in-between at t = (f − a)/(b − a); runs of bad frames
    share one pair. A bad frame before the first good frame holds that first good frame, one
    after the last good frame holds the last good frame (copies: nothing to interpolate from).

    Args:
        source_frames: the input frame numbers.
        fill_frames: the bad frames to regenerate; each must be one of ``source_frames``.

    Returns:
        One sample per source frame, in frame order.

    Raises:
        JobError: ``timing.fill_frames``: empty, not a source frame, or every frame is listed.
    """
    frames = _frames(source_frames)
    bad = sorted({whole_number(f, "timing.fill_frames") for f in fill_frames})
    if not bad:
        raise JobError(
            "timing.fill_frames: list at least one frame to fill", setting="timing.fill_frames"
        )
    present = set(frames)
    outside = [f for f in bad if f not in present]
    if outside:
        raise JobError(
            f"timing.fill_frames: {outside} not in the source frames {frames[0]}-{frames[-1]}",
            setting="timing.fill_frames",
        )
    good = sorted(present.difference(bad))
    if not good:
        raise JobError(
            "timing.fill_frames: every frame is listed; nothing to fill from",
            setting="timing.fill_frames",
        )
    return [_sample_at(f, Fraction(f), good) for f in frames]


# --------------------------------------------------------------------------- the job's setting


def build_timing(spec: TimingSpec, source_frames: Sequence[int]) -> list[Sample]:
    """The samples of a job's timing over ``source_frames`` (dispatches to ``retime_*``).

    Raises:
        JobError: the timing does not fit the frames, named in ``setting``.
    """
    if spec.mode == "speed":
        return retime_speed(source_frames, spec.speed, centre_samples=spec.centre_samples)
    if spec.mode == "fps":
        return retime_fps(
            source_frames, cast(Fraction, spec.source_fps), cast(Fraction, spec.output_fps)
        )
    if spec.mode == "multiply":
        return retime_multiply(source_frames, spec.multiplier)
    if spec.mode == "curve":
        return retime_curve(source_frames, spec.keys, shape=spec.curve_shape)
    return retime_fill(source_frames, spec.fill_frames)


# --------------------------------------------------------------------------- chunks


def select_outputs(
    samples: Sequence[Sample], frames: Iterable[int], *, strict: bool = True
) -> list[Sample]:
    """The samples of the given output frames (a farm chunk), in timing order.

    Args:
        samples: a whole timing.
        frames: the output frames wanted.
        strict: raise if a wanted frame is not an output of the timing.

    Raises:
        JobError: ``setting="frames"``, with ``strict``: wanted frames outside the timing.
    """
    wanted = set(frames)
    chosen = [s for s in samples if s.output_frame in wanted]
    if strict and len(chosen) < len(wanted):
        missing = sorted(wanted - {s.output_frame for s in chosen})
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        span = f"{samples[0].output_frame}-{samples[-1].output_frame}" if samples else "none"
        raise JobError(f"frames: {shown} not among the output frames ({span})", setting="frames")
    return chosen


def required_frames(samples: Iterable[Sample]) -> list[int]:
    """The source frames a set of samples reads, sorted (for chunked reading)."""
    return sorted({f for s in samples for f in (s.frame_a, s.frame_b)})
