"""Bring a rendered result into Resolve: a ``VTinker`` bin, one sequence clip, its placement.

Example::

    folder = ensure_bin(media_pool)                                   # create or reuse "VTinker"
    clip = import_sequence(media_pool, folder, ".../r.####.exr", 1003, 1012)
    item, track = place_above(media_pool, timeline, clip, 10, record_frame=86410, track=1)
    index = add_take(original_item, clip)                             # or: a take instead

Every Resolve call's answer is checked: most calls answer ``None``/``False``/``[]`` on failure,
``AppendToTimeline`` may answer an item whose getters all return None or whose unique id is
empty while nothing was placed, and ``SetClipProperty`` may answer True without keeping the
value (samuelgursky/davinci-resolve-mcp ``docs/reference/api-limitations.md``; ynput/ayon-resolve
``api/lib.py``). So a placement is believed only when the track, read back, holds the clip at
its record frame, and a clip property only when it reads back.

``AppendToTimeline`` appends to the project's *current* timeline (scripting README): the
timeline the clip was read from is made current for the append and the user's timeline is
made current again after it, as ayon-resolve's ``maintain_current_timeline`` does. The whole
imported clip is placed (no ``startFrame``/``endFrame``: their frame base and end inclusivity
differ between Resolve versions, docs/hosts.md), which ayon-resolve's ``create_timeline_item``
relies on too.
"""

import contextlib
import os

from .app import call
from .clip import frame_file, parse_rate, printf_pattern, rate_decimal
from .errors import MediaPoolError, TimelineError

BIN_NAME = "VTinker"


def ensure_bin(media_pool, name=BIN_NAME):
    """The media-pool bin ``name`` directly under the root: reused when there, else created.

    Raises:
        MediaPoolError: no root folder, or Resolve refused to create the bin.
    """
    root = call(media_pool, "GetRootFolder")
    if root is None:
        raise MediaPoolError("The Media Pool has no root folder (GetRootFolder gave nothing).")
    for folder in call(root, "GetSubFolderList") or []:
        if folder is not None and call(folder, "GetName") == name:
            return folder
    folder = call(media_pool, "AddSubFolder", root, name)
    if not folder:
        raise MediaPoolError(
            f"Resolve could not create the Media Pool bin '{name}' (AddSubFolder failed). Is the "
            "project read-only or the Media Pool locked?"
        )
    return folder


def import_sequence(media_pool, folder, pattern, first, last, log=print):
    """Import frames ``first``..``last`` of ``pattern`` into ``folder`` as one clip.

    Uses ``ImportMedia([{"FilePath": "<%0Nd pattern>", "StartIndex": first, "EndIndex":
    last}])``; the media pool's current folder is restored afterwards.

    Args:
        media_pool: the project's MediaPool.
        folder: the bin to import into.
        pattern: the output pattern (``####``, ``@@@@`` or ``%04d``).
        first: the first frame number.
        last: the last frame number.
        log: where warnings go.

    Returns:
        The new MediaPoolItem.

    Raises:
        MediaPoolError: a frame file is missing, or Resolve imported nothing (or not one clip).
    """
    for frame in (first, last):
        path = frame_file(pattern, frame)
        if not os.path.exists(path):
            raise MediaPoolError(f"The rendered frame {frame} is missing: {path}")
    clip_info = {"FilePath": printf_pattern(pattern), "StartIndex": first, "EndIndex": last}
    previous = call(media_pool, "GetCurrentFolder")
    if not call(media_pool, "SetCurrentFolder", folder):
        log(f"warning: could not open the '{BIN_NAME}' bin; importing into the current one")
    try:
        items = call(media_pool, "ImportMedia", [clip_info])
    finally:
        if previous is not None:
            call(media_pool, "SetCurrentFolder", previous)
    items = [item for item in (items or []) if item is not None]
    if not items:
        raise MediaPoolError(
            "Resolve did not import the result (ImportMedia gave nothing for {} frames "
            "{}-{}). Check that the files are readable from this machine.".format(
                clip_info["FilePath"], first, last
            )
        )
    if len(items) != 1:
        raise MediaPoolError(
            f"Resolve imported {len(items)} clips instead of one sequence: turn off Media "
            "Pool > Show Individual Frames and run VTinker Retime again."
        )
    return items[0]


def _set_property(clip, key, value):
    """``SetClipProperty`` believed only when the value reads back."""
    if not call(clip, "SetClipProperty", key, value):
        return False
    return str(call(clip, "GetClipProperty", key) or "") == str(value)


def match_clip_settings(clip, fps=None, input_color_space="", log=print):
    """Give the imported clip the result's frame rate and the source's input colour space.

    Both are best effort: Resolve may refuse (e.g. the colour space outside colour-managed
    projects) or answer True and not keep the value; either is logged, not raised. Returns the
    list of warnings logged.
    """
    warnings = []
    wanted = parse_rate(fps)
    differs = wanted is not None and parse_rate(call(clip, "GetClipProperty", "FPS")) != wanted
    if differs and not _set_property(clip, "FPS", rate_decimal(wanted)):
        warnings.append(
            f"could not set the imported clip's frame rate to {rate_decimal(wanted)}; set "
            "it in Clip Attributes (otherwise Resolve plays the retimed frames at another "
            "rate and drops or repeats some)"
        )
    if input_color_space and input_color_space != "Project":
        current = call(clip, "GetClipProperty", "Input Color Space")
        if current != input_color_space and not _set_property(
            clip, "Input Color Space", input_color_space
        ):
            warnings.append(
                f"could not set the imported clip's Input Color Space to '{input_color_space}'"
            )
    for text in warnings:
        log("warning: " + text)
    return warnings


def _occupied(timeline, track, start, end):
    """True when a clip on video ``track`` overlaps timeline frames [start, end)."""
    for item in call(timeline, "GetItemListInTrack", "video", track) or []:
        item_start = call(item, "GetStart")
        item_end = call(item, "GetEnd")
        if item_end is None and item_start is not None:
            duration = call(item, "GetDuration")
            item_end = item_start + duration if duration is not None else None
        if item_start is None or item_end is None:
            return True  # cannot tell: do not risk covering it
        if item_start < end and start < item_end:
            return True
    return False


def free_track_above(timeline, track, start, count):
    """The first video track above ``track`` free over [start, start + count), adding one
    at the top when none is.

    Raises:
        TimelineError: the track count is unknown, or a new track could not be added.
    """
    total = call(timeline, "GetTrackCount", "video")
    if not isinstance(total, int):
        raise TimelineError("Resolve did not tell how many video tracks the timeline has.")
    for candidate in range(max(track, 0) + 1, total + 1):
        if not _occupied(timeline, candidate, start, start + count):
            return candidate
    if not call(timeline, "AddTrack", "video"):
        raise TimelineError(
            f"There is no free video track above V{track} and Resolve could not add one (AddTrack "
            "failed). Add a video track and run VTinker Retime again."
        )
    added = call(timeline, "GetTrackCount", "video")
    if not isinstance(added, int) or added <= total:
        raise TimelineError(
            "Resolve said it added a video track, but the track count did not grow."
        )
    return added


def _same(a, b):
    """True when two Resolve objects are the same (the API may hand out new proxies)."""
    if a is b:
        return True
    a_id, b_id = call(a, "GetUniqueId"), call(b, "GetUniqueId")
    return bool(a_id) and a_id == b_id


@contextlib.contextmanager
def current_timeline(project, timeline):
    """Make ``timeline`` the project's current timeline for the block, then put the user's
    back (the user may have switched timelines while the render ran).

    Raises:
        TimelineError: ``timeline`` cannot be made current (deleted, or Resolve refused).
    """
    current = call(project, "GetCurrentTimeline") if project is not None else timeline
    if current is None or _same(current, timeline):
        yield
        return
    if not call(project, "SetCurrentTimeline", timeline):
        name = call(timeline, "GetName") or "the clip's timeline"
        raise TimelineError(
            f"The result cannot be placed: '{name}' could not be made the current timeline "
            f"again (it was switched while the render ran). The clip is in the '{BIN_NAME}' "
            "bin; drag it onto the timeline."
        )
    try:
        yield
    finally:
        call(project, "SetCurrentTimeline", current)


def _find_placed(timeline, track, clip, record_frame):
    """The item on ``track`` that starts at ``record_frame`` and shows ``clip``, or None."""
    for item in call(timeline, "GetItemListInTrack", "video", track) or []:
        if call(item, "GetStart") == record_frame and _same(call(item, "GetMediaPoolItem"), clip):
            return item
    return None


def place_above(
    media_pool, timeline, clip, count, record_frame, track, project=None, warnings=None
):
    """Put ``clip`` (all ``count`` frames) on ``timeline`` at ``record_frame``, on the first
    free video track above ``track``.

    ``recordFrame`` is an absolute timeline frame (davinci-resolve-mcp issue #164). The append
    goes to the current timeline, so ``timeline`` is made current for it (``project`` given).
    A placed length other than ``count`` is added to ``warnings`` (a list), if given.

    Returns:
        ``(timeline_item, track_index)``.

    Raises:
        TimelineError: nothing was placed (read back from the track), or the timeline could
            not be made current.
    """
    target = free_track_above(timeline, track, record_frame, count)
    clip_info = {
        "mediaPoolItem": clip,
        "trackIndex": target,
        "recordFrame": record_frame,
        "mediaType": 1,
    }
    with current_timeline(project, timeline):
        call(media_pool, "AppendToTimeline", [clip_info])
    placed = _find_placed(timeline, target, clip, record_frame)
    if placed is None:  # nothing answered, an item whose getters give None, an empty id...
        raise TimelineError(
            f"Resolve did not place the result on V{target} at frame {record_frame} "
            f"(AppendToTimeline placed nothing there). The clip is in the '{BIN_NAME}' bin; "
            "drag it onto the timeline."
        )
    duration = call(placed, "GetDuration")
    if duration != count and warnings is not None:
        warnings.append(
            f"Resolve placed {duration} frames instead of {count} on V{target}: the clip's "
            "frame rate differs from the timeline's (set it in Clip Attributes)"
        )
    return placed, target


def add_take(item, clip):
    """Add ``clip`` as a new take of the timeline ``item`` and select it.

    Returns:
        The 1-based index of the new take.

    Raises:
        TimelineError: Resolve refused the take or its selection.
    """
    if not call(item, "AddTake", clip):
        raise TimelineError(
            "Resolve could not add the result as a take (AddTake failed). The clip is in the "
            f"'{BIN_NAME}' bin."
        )
    index = call(item, "GetTakesCount")
    if not isinstance(index, int) or index < 1:
        raise TimelineError("Resolve added the take but did not tell how many takes there are.")
    if not call(item, "SelectTakeByIndex", index):
        raise TimelineError(
            f"Resolve added the take but could not select it (SelectTakeByIndex({index}) failed); "
            "pick it in the take selector."
        )
    return index
