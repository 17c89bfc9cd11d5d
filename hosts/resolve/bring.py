"""Bring finished frames into Resolve: the bin, one clip, its settings, its placement.

Example::

    summary = bring_in(
        media_pool, project, timeline, item, info,
        {"output": ".../r.####.exr", "first": 1003, "last": 1012, "fps": "24"},
        placement="timeline", log=print,
    )
    summary["track"], summary["record_frame"]      # 2, 86410

Used by a local render (the VTinker window or the engine alone) and by a farm render whose
frames exist (:mod:`vtinker_hosts.resolve.farm`). The placement goes to the timeline the clip
was read from, even when the user switched to another one meanwhile.
"""

from .importer import (
    BIN_NAME,
    add_take,
    ensure_bin,
    import_sequence,
    match_clip_settings,
    place_above,
)


def bring_in(media_pool, project, timeline, item, info, result, placement="timeline", log=print):
    """Import ``result``'s frames and place them (see the module docstring).

    Args:
        media_pool: the project's MediaPool.
        project: the project (its current timeline is switched for the append if needed).
        timeline: the timeline the clip was read from.
        item: the original timeline item (None for a media-pool clip).
        info: the clip read by :func:`vtinker_hosts.resolve.clip.read_current_clip`.
        result: a ``rendered`` result document (``output``, ``first``, ``last``, ``fps``).
        placement: ``timeline``, ``take`` or ``none``.
        log: receives one line per step.

    Returns:
        The summary fields: ``output``, ``first``, ``last``, ``fps``, ``bin``, ``placement``,
        ``track``, ``record_frame``, ``take`` and ``warnings``.

    Raises:
        MediaPoolError, TimelineError: a step failed; the message says which.
    """
    output, first, last = result["output"], result["first"], result["last"]
    folder = ensure_bin(media_pool)
    clip = import_sequence(media_pool, folder, output, first, last, log=log)
    log(f"imported {output} frames {first}-{last} into the '{BIN_NAME}' bin")
    warnings = match_clip_settings(clip, result["fps"], info["input_color_space"], log=log)
    summary = {
        "output": output,
        "first": first,
        "last": last,
        "fps": result["fps"],
        "bin": BIN_NAME,
        "placement": "none",
        "track": None,
        "record_frame": None,
        "take": None,
        "warnings": warnings,
    }
    if placement != "none" and item is None:
        log(f"the clip came from the Media Pool: the result stays in the '{BIN_NAME}' bin")
        placement = "none"
    if placement == "timeline":
        count = last - first + 1
        _placed, track = place_above(
            media_pool,
            timeline,
            clip,
            count,
            info["record_frame"],
            info["track"],
            project=project,
            warnings=warnings,
        )
        log(f"placed on V{track} at frame {info['record_frame']}")
        summary.update(placement="timeline", track=track, record_frame=info["record_frame"])
    elif placement == "take":
        index = add_take(item, clip)
        log(f"added as take {index} of '{info['name']}'")
        summary.update(placement="take", take=index)
    return summary
