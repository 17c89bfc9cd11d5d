"""Bring a rendered result into Resolve: a ``VTinker`` bin, one sequence clip, its placement.

Example::

    folder = ensure_bin(media_pool)                                   # create or reuse "VTinker"
    clip = import_sequence(media_pool, folder, ".../r.####.exr", 1003, 1012)
    item, track = place_above(media_pool, timeline, clip, 10, record_frame=86410, track=1)
    index = add_take(original_item, clip)                             # or: a take instead

Every Resolve call's answer is checked: most calls answer ``None``/``False``/``[]`` on failure,
and ``AppendToTimeline`` may answer an item whose getters all return None (nothing placed).
"""

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


def match_clip_settings(clip, fps=None, input_color_space="", log=print):
    """Give the imported clip the result's frame rate and the source's input colour space.

    Both are best effort: Resolve may refuse (e.g. the colour space outside colour-managed
    projects); a refusal is logged, not raised. Returns the list of warnings logged.
    """
    warnings = []
    wanted = parse_rate(fps)
    if (
        wanted is not None
        and parse_rate(call(clip, "GetClipProperty", "FPS")) != wanted
        and not call(clip, "SetClipProperty", "FPS", rate_decimal(wanted))
    ):
        warnings.append(
            f"could not set the imported clip's frame rate to {rate_decimal(wanted)}; set it "
            "in Clip Attributes"
        )
    if input_color_space and input_color_space != "Project":
        current = call(clip, "GetClipProperty", "Input Color Space")
        if current != input_color_space and not call(
            clip, "SetClipProperty", "Input Color Space", input_color_space
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


def place_above(media_pool, timeline, clip, count, record_frame, track):
    """Put ``clip`` (all ``count`` frames) on the timeline at ``record_frame``, on the first
    free video track above ``track``.

    ``AppendToTimeline`` takes ``startFrame``/``endFrame`` in the clip's own frames counted
    from 0, with ``endFrame`` exclusive, and ``recordFrame`` as an absolute timeline frame.

    Returns:
        ``(timeline_item, track_index)``.

    Raises:
        TimelineError: Resolve placed nothing.
    """
    target = free_track_above(timeline, track, record_frame, count)
    clip_info = {
        "mediaPoolItem": clip,
        "startFrame": 0,
        "endFrame": count,
        "trackIndex": target,
        "recordFrame": record_frame,
        "mediaType": 1,
    }
    placed = call(media_pool, "AppendToTimeline", [clip_info])
    items = [item for item in (placed or []) if item is not None]
    # A refused append may still answer an item whose getters all return None.
    if not items or call(items[0], "GetDuration") is None:
        raise TimelineError(
            f"Resolve did not place the result on V{target} at frame {record_frame} "
            f"(AppendToTimeline gave nothing). The clip is in the '{BIN_NAME}' bin; drag it "
            "onto the timeline."
        )
    return items[0], target


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
