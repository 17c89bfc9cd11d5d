"""What Resolve's frame numbers mean, and the clip frames a timeline item really uses.

Example::

    conventions = FrameConventions((19, 1, 3))
    used = item_source_range(left=1003, duration=10, clip_first=1001, frames=20,
                             clip_fps=Fraction(25), timeline_fps=Fraction(24),
                             conventions=conventions)
    used.first, used.last       # 2, 12: clip frames counted from the clip's first, 0
    used.step, used.retimed     # Fraction(25, 24), False

The rules, and where they come from (docs/hosts.md has the full list):

* ``GetLeftOffset()`` reads back the *source* frame sent as ``startFrame``: clip frames, not
  timeline frames, also on a mixed-rate timeline (samuelgursky/davinci-resolve-mcp
  ``docs/reference/api-limitations.md``, measured on 19.1.3.7 and 21.0). So it is never scaled
  by the frame-rate ratio.
* On a speed-changed item ``GetLeftOffset()`` reports position ÷ speed; ``GetSourceStartFrame()``
  / ``GetSourceEndFrame()`` (scripting README, 19.0.2 and later) give the true source range
  (same measurements). ``GetSourceEndFrame()`` is exclusive when the clip and timeline rates
  agree and inclusive when they differ, so it only tells whether (and how fast) the item is
  retimed; the start comes from ``GetLeftOffset()`` when it is not.
* Image-sequence frames may be numbered from the clip's first frame (0) or by file frame
  number depending on the version (issue #19 reports a change between 18 and 19; unverified).
  :func:`clip_index` takes whichever reading lies inside the clip and uses the version's
  convention only where both do (sequences starting at frame 0 or 1).
"""

import math
from fractions import Fraction


def version_tuple(version):
    """``[20, 3, 2, 9, ""]`` or ``"20.3.2.9"`` → ``(20, 3, 2)``; ``(0, 0, 0)`` when unknown."""
    if isinstance(version, str):
        version = version.replace("b", ".").split(".")
    numbers = []
    for part in list(version or [])[:3]:
        try:
            numbers.append(int(str(part).strip() or 0))
        except (TypeError, ValueError):
            numbers.append(0)
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers)


class FrameConventions:
    """What one Resolve version's frame numbers mean.

    Attributes:
        version: ``(major, minor, patch)``; ``(0, 0, 0)`` when Resolve did not say.
        file_base: image-sequence offsets are file frame numbers (19 and later; unverified).
        end_inclusive: ``AppendToTimeline``'s ``endFrame`` includes its frame (19.1,
            nakano000/Resolve_Script ``rs_resolve/core/__init__.py``; exclusive on 18.x and
            20+, and measured exclusive on 21.0 by davinci-resolve-mcp PR #80).
        source_range: ``GetSourceStartFrame``/``GetSourceEndFrame`` exist (19.0.2+).
    """

    def __init__(self, version=None):
        self.version = version_tuple(version)
        known = self.version != (0, 0, 0)
        self.file_base = known and self.version >= (19, 0, 0)
        self.end_inclusive = self.version[:2] == (19, 1)
        self.source_range = not known or self.version >= (19, 0, 2)


def clip_index(value, clip_first, frames, file_base):
    """A frame number Resolve gave for a clip → the clip frame it names, counted from 0.

    Args:
        value: the number (``GetLeftOffset()``, ``GetSourceStartFrame()``).
        clip_first: the clip's first file frame number (0 for a movie).
        frames: the clip's frame count.
        file_base: the version's convention (:attr:`FrameConventions.file_base`).
    """
    as_clip, as_file = Fraction(value), Fraction(value) - clip_first
    preferred, other = (as_file, as_clip) if file_base else (as_clip, as_file)
    if 0 <= preferred < frames or preferred == other:
        return preferred
    if 0 <= other < frames:
        return other
    return preferred


class SourceUse:
    """The clip frames an item shows.

    Attributes:
        position: the (fractional) clip frame shown at the item's first timeline frame.
        step: clip frames advanced per timeline frame (negative: reversed).
        first, last: the clip frames needed, inclusive, counted from 0, inside the clip.
        retimed: the item plays at a speed other than 100 %.
        speed: the item's speed in percent (100: its own rate; negative: reversed).
    """

    def __init__(self, position, step, first, last, retimed, speed=100.0):
        self.position = position
        self.step = step
        self.first = first
        self.last = last
        self.retimed = retimed
        self.speed = speed


def item_source_range(
    left,
    duration,
    clip_first,
    frames,
    clip_fps,
    timeline_fps,
    conventions,
    source_start=None,
    source_end=None,
):
    """The clip frames a timeline item shows (see the module docstring).

    Args:
        left: ``GetLeftOffset()``.
        duration: ``GetDuration()`` (timeline frames).
        clip_first: the clip's first file frame number (0 for a movie).
        frames: the clip's frame count.
        clip_fps, timeline_fps: the rates (Fractions).
        conventions: the version's :class:`FrameConventions`.
        source_start, source_end: ``GetSourceStartFrame()``/``GetSourceEndFrame()``, or None.

    Returns:
        A :class:`SourceUse`.
    """
    ratio = Fraction(clip_fps) / Fraction(timeline_fps)
    duration = Fraction(duration)
    expected = duration * ratio
    position, step, retimed = None, ratio, False
    if source_start is not None and source_end is not None:
        start = clip_index(source_start, clip_first, frames, conventions.file_base)
        span = Fraction(source_end) - Fraction(source_start)
        # One frame either way is the end's inclusivity; more is a speed change.
        if span < 0 or abs(span - expected) > max(Fraction(2), expected / 50):
            position, step, retimed = start, span / duration, True
    if position is None:
        position = clip_index(left, clip_first, frames, conventions.file_base)
    last_position = position + (duration - 1) * step
    low, high = min(position, last_position), max(position, last_position)
    first = min(max(math.floor(low), 0), max(frames - 1, 0))
    last = min(max(math.ceil(high), first), max(frames - 1, 0))
    speed = float(step / ratio * 100) if ratio else 100.0
    return SourceUse(position, step, first, last, retimed, speed)
