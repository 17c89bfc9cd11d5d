"""The engine's input for a VTinkerRetime node: the upstream Read as it is, or a prerender.

Example (Nuke's main thread)::

    plan = plan_source(nuke, group, read_settings(group), output_folder(nuke, group))
    plan.prerender                  # False: an EXR/DPX/... Read the engine reads itself
    plan.source.path, plan.colour   # "/plates/sh010.%04d.dpx", ColourPlan(ocio=..., "Cineon", ...)
    if plan.prerender:
        prerender_upstream(nuke, group, plan)     # writes plan.source.path through the Write

A Read of an image sequence is used as it is (its file evaluated, its range, its colourspace in
the session's OCIO config: :mod:`vtinker_hosts.nuke.colour`). Anything else (a comp tree, a
movie, a Read with a frame offset, a channel subset, a colourspace the engine cannot be given)
is written to EXR in Nuke's working space by the internal ``Prerender`` Write first.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtinker_hosts.nuke.colour import ColourPlan, plan_colour, session_colour
from vtinker_hosts.nuke.job import RetimeSettings, SourceInfo, default_output_folder, fps_text
from vtinker_hosts.nuke.layout import PRERENDER_NAME
from vtinker_hosts.nuke.settings import evaluated

#: Image files the engine reads directly; other Reads (movies, camera raw) are prerendered.
DIRECT_EXTENSIONS = frozenset({"exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg"})


@dataclass(frozen=True)
class SourcePlan:
    """What collecting the input does, decided without side effects.

    Attributes:
        source: the engine's input (for a prerender: the EXRs the Write will make).
        colour: how colour travels (job fields, the Result Read's colourspace).
        prerender: the input is written through the internal Write first.
        channels: the ``retimedChannels`` knob.
        notes: why the input is prerendered, for the user (empty for a direct Read).
    """

    source: SourceInfo
    colour: ColourPlan
    prerender: bool
    channels: str = "all"
    notes: tuple[str, ...] = ()


def output_folder(nuke: Any, node: Any) -> Path:
    """The node's Output Folder knob (evaluated), or the default beside the script."""
    chosen = evaluated(node, "outputFolder")
    if chosen:
        return Path(chosen).expanduser()
    return default_output_folder(str(nuke.root().name() or ""), tempfile.gettempdir())


def _knob_value(node: Any, name: str, default: Any = None) -> Any:
    knob = node.knob(name)
    return default if knob is None else knob.value()


def read_file(nuke: Any, read: Any) -> str:
    """A Read's file with commands and variables expanded and ``%04d`` kept (``nuke.filename``,
    Nuke Python API: "All expansion of commands and variables is done")."""
    return str(nuke.filename(read) or "").strip()


def _direct_read(nuke: Any, read: Any, channels: str) -> bool:
    """True when the engine can read the Read's files itself (same frames, all channels)."""
    if read.Class() != "Read" or channels != "all":
        return False
    if Path(read_file(nuke, read)).suffix.lower().lstrip(".") not in DIRECT_EXTENSIONS:
        return False
    # A frame offset ("start at" / "offset" with a value) renumbers the files on the timeline.
    return not str(_knob_value(read, "frame", "") or "").strip()


def prerender_pattern(folder: Path, node_name: str) -> Path:
    """Where the prerendered input goes: ``<folder>/source/<node>_source.####.exr``."""
    return folder / "source" / f"{node_name}_source.####.exr"


def plan_source(nuke: Any, node: Any, settings: RetimeSettings, folder: Path) -> SourcePlan:
    """Decide the engine's input for ``node`` (no file is written).

    Raises:
        ValueError: nothing is connected, or the upstream Read has no file.
    """
    upstream = node.input(0)
    if upstream is None:
        raise ValueError(f"{node.name()} has no input: connect a Read (or any image) to it")
    first, last = settings.input_first, settings.input_last
    fps = fps_text(float(_knob_value(nuke.root(), "fps", 0.0) or 0.0))
    channels = str(_knob_value(node, "retimedChannels", "all") or "all")
    session = session_colour(nuke)
    if _direct_read(nuke, upstream, channels):
        path = read_file(nuke, upstream)
        if not path:
            raise ValueError(f"{upstream.name()} has no file to read")
        colour = plan_colour(
            session,
            str(_knob_value(upstream, "colorspace", "") or ""),
            raw=bool(_knob_value(upstream, "raw", False)),
            prerender=False,
        )
        if colour.prerender_reason is None:
            return SourcePlan(_source(path, first, last, colour, fps), colour, False, channels)
        notes: tuple[str, ...] = (f"{upstream.name()}: {colour.prerender_reason}",)
    else:
        colour = plan_colour(session, None, prerender=True)
        notes = ()
    pattern = prerender_pattern(folder, node.name()).as_posix()
    return SourcePlan(_source(pattern, first, last, colour, fps), colour, True, channels, notes)


def _source(path: str, first: int, last: int, colour: ColourPlan, fps: str | None) -> SourceInfo:
    return SourceInfo(
        path=path,
        first=first,
        last=last,
        colorspace=colour.input_colorspace,
        ocio=colour.ocio,
        fps=fps,
        output_colorspace=colour.output_colorspace,
    )


def prerender_upstream(nuke: Any, node: Any, plan: SourcePlan) -> None:
    """Write the group's input to ``plan.source.path`` through the internal Prerender Write,
    in the colourspace of ``plan.colour`` (Nuke's working space)."""
    write = node.node(PRERENDER_NAME)
    if write is None:
        raise ValueError(
            f"{node.name()}: the internal Write '{PRERENDER_NAME}' is missing; create the node "
            "again"
        )
    pattern = Path(plan.source.path)
    pattern.parent.mkdir(parents=True, exist_ok=True)
    write["file"].setValue(pattern.as_posix())
    write["file_type"].setValue("exr")
    write["channels"].setValue(plan.channels)
    if plan.colour.prerender_colorspace:
        write["colorspace"].setValue(plan.colour.prerender_colorspace)
    write["disable"].setValue(False)
    try:
        nuke.execute(write, plan.source.first, plan.source.last, 1)
    finally:
        write["disable"].setValue(True)
