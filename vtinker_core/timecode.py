"""SMPTE timecode arithmetic, so retimed frames carry a timecode that advances per output frame.

Example::

    advance_timecode("01:00:00:23", 1, Fraction(24))            # "01:00:01:00"
    advance_timecode("00:00:59;29", 1, Fraction(30000, 1001))   # "00:01:00;02" (drop frame)
"""

from __future__ import annotations

import re
from fractions import Fraction

_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def _nominal_rate(fps: Fraction) -> int:
    return max(1, round(float(fps)))


def timecode_to_frames(timecode: str, fps: Fraction) -> tuple[int, bool]:
    """Frames since 00:00:00:00 at ``fps``, and whether the timecode is drop-frame.

    Raises:
        ValueError: when ``timecode`` is not ``HH:MM:SS:FF`` (``;`` before FF = drop frame).
    """
    match = _TIMECODE.match(timecode.strip())
    if match is None:
        raise ValueError(f"not a SMPTE timecode: {timecode!r} (expected HH:MM:SS:FF)")
    hh, mm, ss, sep, ff = match.groups()
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    rate = _nominal_rate(fps)
    drop = sep in ";,"
    total = ((hours * 60 + minutes) * 60 + seconds) * rate + frames
    if drop:
        dropped = 2 * (rate // 30) if rate % 30 == 0 else 0
        total_minutes = hours * 60 + minutes
        total -= dropped * (total_minutes - total_minutes // 10)
    return total, drop


def frames_to_timecode(count: int, fps: Fraction, drop: bool = False) -> str:
    """The timecode of frame ``count`` (since 00:00:00:00) at ``fps``; wraps at 24 hours."""
    rate = _nominal_rate(fps)
    dropped = 2 * (rate // 30) if drop and rate % 30 == 0 else 0
    per_day = rate * 86400
    if dropped:
        per_ten_minutes = rate * 600 - dropped * 9
        per_day = per_ten_minutes * 144
    count %= per_day
    if dropped:
        per_minute = rate * 60 - dropped
        tens, rest = divmod(count, per_ten_minutes)
        if rest > dropped:
            count += dropped * 9 * tens + dropped * ((rest - dropped) // per_minute)
        else:
            count += dropped * 9 * tens
    frames = count % rate
    seconds = count // rate % 60
    minutes = count // (rate * 60) % 60
    hours = count // (rate * 3600) % 24
    sep = ";" if dropped else ":"
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{frames:02d}"


def advance_timecode(timecode: str, frames: int, fps: Fraction) -> str:
    """``timecode`` moved on by ``frames`` frames at ``fps`` (drop-frame kept if it was)."""
    count, drop = timecode_to_frames(timecode, fps)
    return frames_to_timecode(count + frames, fps, drop)
