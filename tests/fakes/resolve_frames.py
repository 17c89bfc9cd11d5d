"""How the fake Resolve counts frames: the conventions its timeline items and AppendToTimeline
follow, by version, each with its source. Python 3.6 compatible (the fake also runs there).

Sources:

* [README] Blackmagic Design, DaVinci Resolve scripting README (copy: ynput/ayon-resolve
  ``client/ayon_resolve/RESOLVE_API_v20.3.2-build9.txt``): ``GetProductName()``,
  ``GetVersion()`` (``[major, minor, patch, build, suffix]``), ``AppendToTimeline`` appends "in
  the current timeline", ``GetSourceStartFrame()`` / ``GetSourceEndFrame()``.
* [MCP-LIMITS] samuelgursky/davinci-resolve-mcp ``docs/reference/api-limitations.md``
  (measured on Studio 19.1.3.7 and 21.0): ``GetLeftOffset`` reads back exactly the
  ``startFrame`` sent (source frames); on a retimed item it reports position ÷ speed while
  ``GetSourceStartFrame``/``GetSourceEndFrame`` give the true source range; ``GetSourceEndFrame``
  is exclusive when the clip and timeline rates agree and inclusive when they differ; on mixed
  rates the placed duration is floored; appended items may come back with an empty unique id
  and not be on the timeline; ``SetClipProperty`` may answer True and not keep the value.
* [MCP-80] samuelgursky/davinci-resolve-mcp PR #80 / issue #82: ``endFrame`` is exclusive
  (Studio 21.0). [NAKANO] nakano000/Resolve_Script ``app/resolve/python/rs_resolve/core/
  __init__.py`` (``Appender``, and commit 1eee31f "ver20以降に対応"): on 19.1 ``endFrame`` is
  inclusive, on 18.x and 20+ exclusive. [MCP-164] davinci-resolve-mcp issue #164:
  ``recordFrame`` is an absolute timeline frame.
* [AYON] ynput/ayon-resolve ``client/ayon_resolve/api/lib.py`` (``create_timeline_item``):
  a clipInfo without ``startFrame``/``endFrame`` appends the whole clip; a refused append may
  answer an item whose getters give None; ``maintain_current_timeline`` switches the current
  timeline around an append.
* [ISSUE-19] VTinker issue #19 (2026-12-04) reports that the frame *base* of image-sequence
  ``startFrame``/``GetLeftOffset`` changed between 18 and 19 (clip frames from 0 before, file
  frame numbers from 19). No public source found: a guess the adapter must not depend on
  (docs/hosts.md lists it for a check in a real Resolve).
"""

import math
from fractions import Fraction


def version_tuple(version):
    """``[19, 1, 3, 7, ""]`` → ``(19, 1, 3)``."""
    numbers = []
    for part in list(version)[:3]:
        try:
            numbers.append(int(part))
        except (TypeError, ValueError):
            numbers.append(0)
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers)


class FrameConventions:
    """What ``startFrame``/``endFrame`` and the offsets mean in one Resolve version.

    Attributes:
        file_base: [ISSUE-19] image-sequence frames are file frame numbers (19+), not clip
            frames from 0 (18 and earlier). Movies always count from 0.
        end_inclusive: [NAKANO] ``endFrame`` includes its frame (19.1 only).
        source_range: [README] ``GetSourceStartFrame``/``GetSourceEndFrame`` exist (19.0.2+).
    """

    def __init__(self, version):
        major_minor_patch = version_tuple(version)
        self.file_base = major_minor_patch >= (19, 0, 0)
        self.end_inclusive = major_minor_patch[:2] == (19, 1)
        self.source_range = major_minor_patch >= (19, 0, 2)

    def base(self, clip_first, is_sequence):
        """The number the API calls the clip's first frame."""
        return clip_first if (self.file_base and is_sequence) else 0


def placed_duration(source_frames, clip_fps, timeline_fps, speed=100.0):
    """Timeline frames ``source_frames`` clip frames fill: [MCP-LIMITS] floored on mixed
    rates (and at a speed other than 100 %)."""
    ratio = Fraction(clip_fps) / Fraction(timeline_fps) * Fraction(str(speed)) / 100
    return math.floor(Fraction(source_frames) / ratio)


def source_span(duration, clip_fps, timeline_fps, speed=100.0):
    """Clip frames an item of ``duration`` timeline frames consumes (a Fraction)."""
    return (
        Fraction(duration)
        * Fraction(clip_fps)
        / Fraction(timeline_fps)
        * (Fraction(str(speed)) / 100)
    )
