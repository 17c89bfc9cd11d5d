"""Read the clip to retime from Resolve into a plain dict (no Resolve objects inside).

Example::

    info, item = read_current_clip(project, timeline, media_pool)
    info["pattern"]                          # "/plates/shot.####.exr"
    info["source_in"], info["source_out"]    # 1003, 1013: file frame numbers used on the cut
    info["clip_fps"], info["timeline_fps"]   # Fraction(25), Fraction(24)

Resolve shows an image sequence's ``File Path`` as ``/plates/shot.[1001-1100].exr``; that
becomes ``/plates/shot.####.exr`` (the digits of the first number give the padding). Which clip
frames an item uses is :func:`vtinker_hosts.resolve.frames.item_source_range`: its left offset
is already in clip frames (never scaled by the rate ratio), and a speed-changed item's true
range comes from ``GetSourceStartFrame``/``GetSourceEndFrame``.
"""

import math
import os
import re
from fractions import Fraction

from .app import call
from .errors import NoClipError, NotFileBasedError, ResolveActionError
from .frames import FrameConventions, item_source_range

# Resolve's sequence notation in "File Path" / "File Name": shot.[1001-1100].exr
_RESOLVE_RANGE = re.compile(r"\[(-?\d+)-(-?\d+)\]")
# Padding tokens we accept from other sources: ####, @@@@, %04d, %d.
_TOKEN = re.compile(r"#+|@+|%0?(\d*)d")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:/\d+)?")

#: Clip properties read (values are strings in Resolve).
PROPERTY_KEYS = (
    "File Path",
    "File Name",
    "Type",
    "Start",
    "End",
    "Frames",
    "FPS",
    "Resolution",
    "Start TC",
    "Input Color Space",
    "PAR",
)


# ----------------------------------------------------------------------------- frame rates


def parse_rate(value):
    """A frame rate as an exact Fraction, or None when ``value`` holds none.

    ``"24"``, ``"25.000"``, ``"24000/1001"``, ``29.97``, ``"29.97 DF"`` are read; a decimal
    within 0.01 of an NTSC rate n × 1000/1001 is that rate (``"23.976"`` → 24000/1001), as the
    engine reads rates.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, int):
        rate = Fraction(value)
    else:
        match = _NUMBER.search(repr(value) if isinstance(value, float) else str(value))
        if match is None:
            return None
        try:
            rate = Fraction(match.group(0))
        except (ValueError, ZeroDivisionError):
            return None
        if rate.denominator != 1 and "/" not in match.group(0):
            ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
            if ntsc > 0 and abs(rate - ntsc) <= Fraction(1, 100):
                rate = ntsc
    return rate if rate > 0 else None


def rate_text(rate):
    """``Fraction(24)`` → ``"24"``, ``Fraction(24000, 1001)`` → ``"24000/1001"`` (the job form)."""
    rate = Fraction(rate)
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{rate.numerator}/{rate.denominator}"


def rate_decimal(rate):
    """``Fraction(24000, 1001)`` → ``"23.976"``, ``Fraction(25)`` → ``"25"`` (Resolve's form)."""
    rate = Fraction(rate)
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- file paths


def sequence_from_path(file_path):
    """Split a Resolve ``File Path`` into a sequence pattern, or None for a single file.

    Args:
        file_path: ``/plates/shot.[1001-1100].exr`` (Resolve's notation), or a path with a
            ``####``/``@@@@``/``%04d`` token.

    Returns:
        ``(pattern, first, last, padding)`` with ``pattern`` in ``####`` form, e.g.
        ``("/plates/shot.####.exr", 1001, 1100, 4)``; ``first``/``last`` are None when the
        path names no range. None when the path is one file.
    """
    folder, name = _split(file_path)
    matches = list(_RESOLVE_RANGE.finditer(name))
    if matches:
        match = matches[-1]
        first_text, last_text = match.group(1), match.group(2)
        padding = len(first_text.lstrip("-"))
        pattern_name = name[: match.start()] + "#" * padding + name[match.end() :]
        return (_join(folder, pattern_name), int(first_text), int(last_text), padding)
    tokens = list(_TOKEN.finditer(name))
    if tokens:
        token = tokens[-1]
        text = token.group(0)
        if text.startswith("%"):
            padding = int(token.group(1)) if token.group(1) else 1
        else:
            padding = len(text)
        pattern_name = name[: token.start()] + "#" * padding + name[token.end() :]
        return (_join(folder, pattern_name), None, None, padding)
    return None


def printf_pattern(pattern):
    """``/out/shot.####.exr`` → ``/out/shot.%04d.exr`` (what ImportMedia takes).

    ``@@@@`` and ``%04d`` are accepted too; a pattern without a token is returned unchanged.
    """
    folder, name = _split(pattern)
    tokens = list(_TOKEN.finditer(name))
    if not tokens:
        return pattern
    token = tokens[-1]
    text = token.group(0)
    if text.startswith("%"):
        return pattern
    printf = f"%0{len(text)}d" if len(text) > 1 else "%d"
    return _join(folder, name[: token.start()] + printf + name[token.end() :])


def frame_file(pattern, frame):
    """The file of ``frame`` in a ``####``/``%04d`` pattern (``shot.####.exr``, 7 →
    ``shot.0007.exr``)."""
    printf = printf_pattern(pattern)
    folder, name = _split(printf)
    match = list(_TOKEN.finditer(name))[-1]
    width = int(match.group(1)) if match.group(1) else 1
    number = str(frame).zfill(width) if frame >= 0 else "-" + str(-frame).zfill(width - 1)
    return _join(folder, name[: match.start()] + number + name[match.end() :])


def _split(path):
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[: cut + 1], path[cut + 1 :]


def _join(folder, name):
    return folder + name


# ----------------------------------------------------------------------------- Resolve reads


def clip_properties(media_pool_item):
    """The clip properties of :data:`PROPERTY_KEYS` as a dict of strings.

    ``GetClipProperty()`` answers a dict of everything; keys it lacks are asked one by one
    (``GetClipProperty("File Path")``); an unanswered key reads as ``""``.
    """
    answer = call(media_pool_item, "GetClipProperty")
    props = dict(answer) if isinstance(answer, dict) else {}
    result = {}
    for key in PROPERTY_KEYS:
        value = props.get(key)
        if value is None:
            value = call(media_pool_item, "GetClipProperty", key)
        result[key] = "" if value is None or isinstance(value, dict) else str(value)
    return result


def timeline_rate(project, timeline):
    """The timeline's frame rate (its own setting first, then the project's).

    Raises:
        ResolveActionError: neither says a rate.
    """
    for owner in (timeline, project):
        if owner is None:
            continue
        rate = parse_rate(call(owner, "GetSetting", "timelineFrameRate"))
        if rate is not None:
            return rate
    raise ResolveActionError(
        "Cannot read the timeline frame rate (GetSetting('timelineFrameRate') gave nothing)."
    )


def find_track(timeline, item):
    """The 1-based video track holding ``item``, or None when it cannot be told."""
    answer = call(item, "GetTrackTypeAndIndex")
    if isinstance(answer, (list, tuple)) and len(answer) == 2 and answer[0] == "video":
        try:
            return int(answer[1])
        except (TypeError, ValueError):
            pass
    count = _int(call(timeline, "GetTrackCount", "video")) or 0
    item_id = call(item, "GetUniqueId")
    for index in range(1, count + 1):
        for other in call(timeline, "GetItemListInTrack", "video", index) or []:
            if other is item or other == item:
                return index
            if item_id and call(other, "GetUniqueId") == item_id:
                return index
    return None


def read_current_clip(project, timeline, media_pool=None, conventions=None):
    """The clip under the playhead (or the one clip selected in the media pool) as plain data.

    Args:
        project: the current Resolve project (not None).
        timeline: the current timeline, or None.
        media_pool: the project's media pool, for the selected-clip fallback; None skips it.
        conventions: the running version's frame conventions (``product.conventions``);
            None: unknown.

    Returns:
        ``(info, item)``: ``item`` is the timeline item (None for a media-pool clip) and
        ``info`` a dict: ``name``, ``file_path`` (as Resolve shows it), ``pattern`` (``####``
        form, or the movie's path), ``is_sequence``, ``extension`` (lower case, no dot),
        ``clip_first``/``clip_last`` (the clip's file frame numbers; 0-based for movies),
        ``source_in``/``source_out`` (the frames used, inclusive, in file numbers),
        ``clip_fps``/``timeline_fps`` (Fractions), ``record_frame`` (the item's first
        timeline frame), ``duration`` (timeline frames), ``track`` (1-based video track;
        0 off the timeline), ``width``/``height`` (0 when unknown), ``input_color_space``,
        ``start_tc``, ``on_timeline``, ``retimed`` (the item plays at another speed),
        ``speed`` (its speed in percent), ``source_position``/``source_step`` (file frame shown
        at its first timeline frame, clip frames per timeline frame) and ``warnings``.

    Raises:
        NoClipError: no timeline item under the playhead and no single selected clip.
        NotFileBasedError: the clip has no readable media file.
    """
    conventions = conventions or FrameConventions()
    item = call(timeline, "GetCurrentVideoItem") if timeline is not None else None
    if item is not None:
        return _read_item(project, timeline, item, conventions), item
    selected = _selected_clips(media_pool)
    if len(selected) == 1:
        return _read_pool_clip(project, timeline, selected[0]), None
    if timeline is None:
        raise NoClipError(
            "No timeline is open. Open the timeline with the clip to retime and put the "
            "playhead over it (or select one clip in the Media Pool)."
        )
    raise NoClipError(
        "No clip to retime: put the playhead over a video clip on the timeline (the top-most "
        "clip there is used), or select exactly one clip in the Media Pool."
    )


def _selected_clips(media_pool):
    if media_pool is None:
        return []
    answer = call(media_pool, "GetSelectedClips")
    if isinstance(answer, dict):
        answer = list(answer.values())
    return [clip for clip in (answer or []) if clip is not None]


def _read_item(project, timeline, item, conventions):
    name = call(item, "GetName") or "clip"
    media_pool_item = call(item, "GetMediaPoolItem")
    if media_pool_item is None:
        raise NotFileBasedError(
            f"'{name}' is not file-based (a generator, title, Fusion or compound clip): VTinker "
            "retimes clips that come from image sequences or movie files."
        )
    info = _media_info(media_pool_item, name)
    tl_rate = timeline_rate(project, timeline)
    info["timeline_fps"] = tl_rate
    if info["clip_fps"] is None:
        info["clip_fps"] = tl_rate
        info["warnings"].append(
            f"'{name}' does not say its frame rate; taking the timeline's "
            f"({rate_decimal(tl_rate)})."
        )
    start = _int(call(item, "GetStart"))
    duration = _number(call(item, "GetDuration"))
    left = _number(call(item, "GetLeftOffset"))
    if start is None or duration is None or left is None or duration <= 0:
        raise ResolveActionError(
            f"Resolve did not tell where '{name}' sits on the timeline (GetStart/GetDuration/"
            "GetLeftOffset gave nothing)."
        )
    first = info["clip_first"]
    used = item_source_range(
        left,
        duration,
        first,
        info["clip_last"] - first + 1,
        info["clip_fps"],
        tl_rate,
        conventions,
        source_start=_number(call(item, "GetSourceStartFrame")),
        source_end=_number(call(item, "GetSourceEndFrame")),
    )
    if used.retimed:
        frames = f"{first + used.first}-{first + used.last}"
        info["warnings"].append(
            f"'{name}' plays at {used.speed:.4g} % on the timeline: its source frames "
            f"{frames} are retimed to its {duration} frames"
        )
    track = find_track(timeline, item)
    if track is None:
        info["warnings"].append(f"Could not tell which video track '{name}' is on.")
    info.update(
        source_in=first + used.first,
        source_out=first + used.last,
        record_frame=start,
        duration=int(duration),
        track=track or 0,
        on_timeline=True,
        retimed=used.retimed,
        speed=used.speed,
        source_position=first + used.position,
        source_step=used.step,
    )
    return info


def _read_pool_clip(project, timeline, media_pool_item):
    name = call(media_pool_item, "GetName") or "clip"
    info = _media_info(media_pool_item, name)
    tl_rate = timeline_rate(project, timeline)
    info["timeline_fps"] = tl_rate
    if info["clip_fps"] is None:
        info["clip_fps"] = tl_rate
    info.update(
        source_in=info["clip_first"],
        source_out=info["clip_last"],
        record_frame=0,
        duration=info["clip_last"] - info["clip_first"] + 1,
        track=0,
        on_timeline=False,
        retimed=False,
        speed=100.0,
        source_position=Fraction(info["clip_first"]),
        source_step=Fraction(info["clip_fps"]) / Fraction(tl_rate),
    )
    return info


def _media_info(media_pool_item, name):
    """The file-level part of the info dict (shared by timeline and media-pool clips)."""
    props = clip_properties(media_pool_item)
    file_path = props["File Path"].strip()
    if not file_path:
        raise NotFileBasedError(
            f"'{name}' is not file-based (it has no File Path: a generator, title, Fusion or "
            "compound clip): VTinker retimes clips that come from image sequences or movie "
            "files."
        )
    sequence = sequence_from_path(file_path)
    frames = _int(props["Frames"])
    prop_start = _int(props["Start"])
    if sequence is not None:
        pattern, first, last, _padding = sequence
        if first is None:
            first = prop_start if prop_start is not None else 0
            last = first + frames - 1 if frames else _int(props["End"])
        if last is None:
            raise NotFileBasedError(f"Cannot tell the frame range of '{name}' ({file_path}).")
        probe = frame_file(pattern, first)
    else:
        pattern = file_path
        first = 0  # the engine numbers movie frames from 0, as the clip's left offset counts
        if not frames:
            raise NotFileBasedError(
                f"'{name}' is a single image or says no frame count ({file_path}): VTinker "
                "needs an image sequence or a movie."
            )
        last = frames - 1
        probe = file_path
    if not os.path.exists(probe):
        raise NotFileBasedError(f"The media of '{name}' is offline: {probe} does not exist.")
    width, height = _resolution(props["Resolution"])
    return {
        "name": name,
        "file_path": file_path,
        "pattern": pattern,
        "is_sequence": sequence is not None,
        "extension": os.path.splitext(pattern)[1].lower().lstrip("."),
        "clip_first": first,
        "clip_last": last,
        "clip_fps": parse_rate(props["FPS"]),
        "width": width,
        "height": height,
        "input_color_space": props["Input Color Space"],
        "start_tc": props["Start TC"],
        "warnings": [],
    }


# ----------------------------------------------------------------------------- small helpers


def _int(value):
    number = _number(value)
    if number is None:
        return None
    return math.floor(number)


def _number(value):
    """An int/float/numeric string as a Fraction; None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            return Fraction(repr(value))
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        return None


def _resolution(text):
    match = re.match(r"\s*(\d+)\s*[xX×]\s*(\d+)", text or "")
    if match is None:
        return 0, 0
    return int(match.group(1)), int(match.group(2))
