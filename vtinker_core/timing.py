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
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

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
    "SpeedKey",
    "build_timing",
    "parse_fps",
    "parse_speed",
    "parse_speed_keys",
    "required_frames",
    "retime_curve",
    "retime_fill",
    "retime_fps",
    "retime_input_speed",
    "retime_multiply",
    "retime_speed",
    "retime_speed_keys",
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


#: Animated speeds stop after this many output frames (a speed near 0 never reaches the end).
MAX_ANIMATED_OUTPUTS = 1_000_000

#: (frame, speed) keys of an animated speed, frames strictly increasing.
SpeedKey = tuple[float, float]


def parse_speed_keys(
    raw: Iterable[Any],
    *,
    axis: str = "frame",
    setting: str = "timing.speed",
    positive: bool = False,
) -> tuple[SpeedKey, ...]:
    """Keys of an animated speed: ``{axis: F, "speed": S}`` objects or ``[F, S]`` pairs.

    ``axis`` is ``"frame"`` (output frames: an animated output speed) or ``"source"`` (source
    frames: an animated input speed). A speed is a factor or a percentage (``"50%"``); it may
    be 0 (a hold) or negative (a reverse) unless ``positive``, but not 0 at every key.

    Raises:
        JobError: no keys, a malformed key, a non-finite value, frames not increasing, a speed
            of 0 everywhere, or (``positive``) a speed ≤ 0.
    """
    keys: list[SpeedKey] = []
    for item in raw:
        pair = (item.get(axis), item.get("speed")) if isinstance(item, Mapping) else item
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise JobError(
                f"{setting}: a key must be {{'{axis}': F, 'speed': S}} or [F, S], got {item!r}",
                setting=setting,
            )
        frame, speed = _finite(pair[0], setting), _speed_value(pair[1], setting)
        if keys and frame <= keys[-1][0]:
            raise JobError(
                f"{setting}: key frames must increase, got {keys[-1][0]:g} then {frame:g}",
                setting=setting,
            )
        keys.append((frame, speed))
    if not keys:
        raise JobError(f"{setting}: list at least one key", setting=setting)
    if positive and any(speed <= 0 for _frame, speed in keys):
        raise JobError(f"{setting}: these speeds must be > 0", setting=setting)
    if all(speed == 0 for _frame, speed in keys):
        raise JobError(f"{setting}: a speed of 0 everywhere never advances", setting=setting)
    return tuple(keys)


def _finite(value: Any, setting: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise JobError(f"{setting}: {value!r} is not a number", setting=setting)
    if not math.isfinite(value):
        raise JobError(f"{setting}: {value!r} is not finite", setting=setting)
    return float(value)


def _speed_value(value: Any, setting: str) -> float:
    """A key's speed: a number or ``"50%"`` text; 0 and negatives allowed."""
    if isinstance(value, str):
        text = value.strip()
        try:
            exact = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
        except (ValueError, ZeroDivisionError) as err:
            raise JobError(
                f"{setting}: {value!r} is not a speed (try 0.5 or '50%')", setting=setting
            ) from err
        return float(exact)
    return _finite(value, setting)


def _speed_table(keys: Sequence[SpeedKey]) -> list[tuple[Fraction, Fraction]]:
    return [(_exact(f), _exact(v)) for f, v in keys]


def _speed_at(table: Sequence[tuple[Fraction, Fraction]], at: Fraction) -> Fraction:
    """The keys' linear interpolation at ``at`` (exact), held before the first and after the
    last key."""
    if at <= table[0][0]:
        return table[0][1]
    if at >= table[-1][0]:
        return table[-1][1]
    i = bisect.bisect_right([x for x, _y in table], at) - 1
    (x0, y0), (x1, y1) = table[i], table[i + 1]
    return y0 + (y1 - y0) * (at - x0) / (x1 - x0)


def _speed_integral(
    table: Sequence[tuple[Fraction, Fraction]], a: Fraction, b: Fraction
) -> Fraction:
    """∫ speed from ``a`` to ``b`` (a < b), exact: trapezoids between the keys inside."""
    points = [a, *(x for x, _y in table if a < x < b), b]
    return sum(
        ((x1 - x0) * (_speed_at(table, x0) + _speed_at(table, x1)) / 2
         for x0, x1 in itertools.pairwise(points)),
        Fraction(0),
    )  # fmt: skip


def retime_speed_keys(
    source_frames: Iterable[int],
    keys: Sequence[SpeedKey],
    *,
    output_start: int | None = None,
) -> list[Sample]:
    """An animated output speed (Kronos "Output Speed" with keys), integrated to source time.

    ``speed(f)`` is the keys' linear interpolation over output frames (held before the first
    key and after the last). Output frame ``start + i`` shows source position
    ``first + ∫_start^(start+i) speed(f) df`` (exact; a constant speed s gives
    ``first + i·s``, as :func:`retime_speed`). Positions below the first source frame hold it
    (a reverse past the start); outputs stop before the first position past the last source
    frame, or once the speed after the last key can no longer bring the position back.

    Args:
        source_frames: the input frame numbers.
        keys: (output frame, speed factor) pairs, output frames strictly increasing
            (:func:`parse_speed_keys`).
        output_start: the output frame number of the first output (the numbering the keys
            use); default: the first source frame.

    Raises:
        JobError: ``timing.speed``: bad keys, or a speed that never reaches the end.
    """
    frames = _frames(source_frames)
    table = _speed_table(parse_speed_keys(keys))
    first, last = Fraction(frames[0]), Fraction(frames[-1])
    start = Fraction(frames[0] if output_start is None else output_start)
    held = table[-1][1]
    samples: list[Sample] = []
    position = first
    for i in range(MAX_ANIMATED_OUTPUTS):
        frame = start + i
        if _snap(position) > last:
            break
        beyond = frame >= table[-1][0]
        if beyond and (held == 0 or (held < 0 and _snap(position) < first)):
            if samples and held < 0:
                break
            raise _never_ends("timing.speed")
        samples.append(_sample_at(int(frame), position, frames))
        position += _speed_integral(table, frame, frame + 1)
    else:
        raise _never_ends("timing.speed")
    return samples


def retime_input_speed(source_frames: Iterable[int], keys: Sequence[SpeedKey]) -> list[Sample]:
    """An animated input speed on the source axis (Kronos "Input Speed": the curve is keyed
    against the input frames). Where an output shows source position p, the next output shows
    ``p + speed(p)``, ``speed`` the keys' linear interpolation over source frames (held
    outside the keys), until the position passes the last source frame.

    Args:
        source_frames: the input frame numbers.
        keys: (source frame, speed factor) pairs, source frames strictly increasing; speeds
            > 0 (the source axis is walked forwards).

    Raises:
        JobError: ``timing.keys``: bad keys, or a speed ≤ 0.
    """
    frames = _frames(source_frames)
    table = _speed_table(
        parse_speed_keys(keys, axis="source", setting="timing.keys", positive=True)
    )
    last = Fraction(frames[-1])
    samples: list[Sample] = []
    position = Fraction(frames[0])
    for i in range(MAX_ANIMATED_OUTPUTS):
        if _snap(position) > last:
            break
        samples.append(_sample_at(frames[0] + i, position, frames))
        position += _speed_at(table, position)
    else:
        raise _never_ends("timing.keys")
    return samples


def _never_ends(setting: str) -> JobError:
    return JobError(
        f"{setting}: the speed never reaches the last source frame (it ends held at 0 or "
        f"below, or takes over {MAX_ANIMATED_OUTPUTS} output frames)",
        setting=setting,
    )


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


def build_timing(
    spec: TimingSpec, source_frames: Sequence[int], *, output_start: int | None = None
) -> list[Sample]:
    """The samples of a job's timing over ``source_frames`` (dispatches to ``retime_*``).

    Args:
        spec: the job's timing.
        source_frames: the source frame numbers.
        output_start: the number of the first output frame, which keys over output frames
            (an animated speed) refer to; default: the first source frame.

    Raises:
        JobError: the timing does not fit the frames, named in ``setting``.
    """
    if spec.mode == "speed" and spec.speed_keys:
        return retime_speed_keys(source_frames, spec.speed_keys, output_start=output_start)
    if spec.mode == "speed":
        return retime_speed(source_frames, spec.speed, centre_samples=spec.centre_samples)
    if spec.mode == "input_speed":
        return retime_input_speed(source_frames, spec.speed_keys)
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
