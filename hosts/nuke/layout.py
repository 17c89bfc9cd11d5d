"""The ``VTinkerRetime`` group's knobs and internal node names (layout version 2).

Knob names follow Kronos where Kronos has the setting (``timing2``, ``timingOutputSpeed``,
``timingInputSpeed``, ``timingFrame2``, ``interpolation``, ``retimedChannels``, ``output``,
``useGPUIfAvailable``, ``gpuName``) and keep Kronos's labels; ours live on the VTinker tab.
Kronos's own input range knobs are C++ knobs named ``input.first``/``input.last``; a Python user
knob must not contain a dot, because Nuke reads a dotted name as a knob path and ``input`` as a
node's first input (Nuke Python API, ``nuke.knob``), so ours are ``inputFirst``/``inputLast``
under Kronos's "Input Range" label.

The layout marker (``vtinkerRetime``, the layout version) sits *after* the first tab and
carries the INVISIBLE flag, which a saved script keeps (NDK guide, "Knob Flags"); a knob hidden
with ``setVisible`` alone comes back on reopen, and a knob before the first tab makes Nuke add a
"User" tab (issue #19; docs/hosts.md).

Example::

    add_knobs(nuke, group)            # every knob, in panel order
    group[MARKER_KNOB].value()        # 2
"""

from __future__ import annotations

from typing import Any

from vtinker_hosts.nuke.job import (
    INTERPOLATIONS,
    MOTION_ENGINES,
    OUTPUTS,
    PRECISIONS,
    TIMING_MODES,
)

NODE_NAME = "VTinkerRetime1"
#: An invisible knob that marks a Group as ours (its value: the knob layout version).
MARKER_KNOB = "vtinkerRetime"
LAYOUT_VERSION = 2
#: Layout 1 (before issue #19) named the input range like Kronos's C++ knobs.
RENAMED_KNOBS = {"input.first": "inputFirst", "input.last": "inputLast"}
#: Every user knob layout 1 added, in order ("User": the tab a reopened layout 1 gained).
LAYOUT_1_KNOBS = (
    "User",
    MARKER_KNOB,
    "retimeTab",
    "input.first",
    "input.last",
    "resetInputRange",
    "timing2",
    "timingOutputSpeed",
    "timingInputSpeed",
    "timingFrame2",
    "interpolation",
    "retimedChannels",
    "output",
    "useGPUIfAvailable",
    "gpuName",
    "vtinkerTab",
    "engine",
    "checkpoint",
    "tileSize",
    "tileOverlap",
    "precision",
    "centreSamples",
    "engineExecutable",
    "outputFolder",
    "render",
    "exportJob",
    "status",
)
#: An invisible knob holding the state key of the render the node shows ("" before one).
RENDERED_KNOB = "vtinkerRendered"

INPUT_NAME = "Input"
PRERENDER_NAME = "Prerender"
RESULT_NAME = "Result"
SWITCH_NAME = "Show"
OUTPUT_NAME = "Output"

_MODULE = "import vtinker_hosts.nuke.{0}\nvtinker_hosts.nuke.{0}.{1}()"
KNOB_CHANGED_SCRIPT = _MODULE.format("node", "on_knob_changed")
ON_CREATE_SCRIPT = _MODULE.format("node", "on_create")
RESET_SCRIPT = _MODULE.format("node", "reset_this_input_range")
RENDER_SCRIPT = _MODULE.format("render", "render_this_node")
EXPORT_SCRIPT = _MODULE.format("render", "export_this_job")
FARM_SCRIPT = _MODULE.format("farm", "write_this_farm_bundle")

NOT_RENDERED = "not rendered yet: press Render (the node shows its input until then)"
#: Knobs whose change can make the render stale (the status is checked again).
STATE_KNOBS = frozenset(
    {
        "inputFirst",
        "inputLast",
        "timing2",
        "timingOutputSpeed",
        "timingInputSpeed",
        "timingFrame2",
        "interpolation",
        "retimedChannels",
        "output",
        "useGPUIfAvailable",
        "engine",
        "checkpoint",
        "tileSize",
        "tileOverlap",
        "precision",
        "centreSamples",
        "outputFolder",
    }
)


def _knob(nuke: Any, cls: str, name: str, label: str, *args: Any, tooltip: str = "") -> Any:
    knob = getattr(nuke, cls)(name, label, *args)
    if tooltip:
        knob.setTooltip(tooltip)
    return knob


def _invisible(nuke: Any, cls: str, name: str, label: str) -> Any:
    knob = _knob(nuke, cls, name, label)
    knob.setFlag(nuke.INVISIBLE)  # saved with the script, unlike setVisible(False)
    return knob


def _add_retime_tab(nuke: Any, group: Any) -> None:
    add = group.addKnob
    add(_knob(nuke, "Tab_Knob", "retimeTab", "Retime"))
    marker = _invisible(nuke, "Int_Knob", MARKER_KNOB, "VTinker Retime layout")
    marker.setValue(LAYOUT_VERSION)
    add(marker)
    first = _knob(nuke, "Int_Knob", "inputFirst", "Input Range", tooltip="first source frame")
    last = _knob(nuke, "Int_Knob", "inputLast", "", tooltip="last source frame to use")
    last.clearFlag(nuke.STARTLINE)
    reset = _knob(nuke, "PyScript_Knob", "resetInputRange", "Reset", RESET_SCRIPT)
    reset.clearFlag(nuke.STARTLINE)
    reset.setTooltip("take the input range from the upstream node")
    for knob in (first, last, reset):
        add(knob)
    add(
        _knob(
            nuke,
            "Enumeration_Knob",
            "timing2",
            "Timing",
            list(TIMING_MODES),
            tooltip="Output Speed: a speed, constant or keyed. Input Speed: source frames per "
            "output frame (animate it for ramps). Frame: the source frame at each output frame.",
        )
    )
    speed = _knob(
        nuke,
        "Double_Knob",
        "timingOutputSpeed",
        "Output Speed",
        tooltip="0.5 = half speed; keys make a speed ramp over the output frames",
    )
    speed.setValue(0.5)
    add(speed)
    input_speed = _knob(
        nuke,
        "Double_Knob",
        "timingInputSpeed",
        "Input Speed",
        tooltip="source frames advanced per output frame; animate for speed ramps",
    )
    input_speed.setValue(0.5)
    add(input_speed)
    add(
        _knob(
            nuke,
            "Double_Knob",
            "timingFrame2",
            "Frame",
            tooltip="the source frame shown at each output frame; animate it (keys span the "
            "output range)",
        )
    )
    add(
        _knob(
            nuke,
            "Enumeration_Knob",
            "interpolation",
            "Method",
            list(INTERPOLATIONS),
            tooltip="Frame: nearest frame. Blend: mix of the two frames. Motion: the VTinker tab's "
            "engine (motion-compensated in-betweens).",
        )
    )
    group["interpolation"].setValue("Motion")
    channels = _knob(nuke, "ChannelMask_Knob", "retimedChannels", "Channels")
    channels.setValue("all")
    add(channels)
    add(
        _knob(
            nuke,
            "Enumeration_Knob",
            "output",
            "Output",
            list(OUTPUTS),
            tooltip="Vectors also writes forward/backward motion vectors (the motion layer)",
        )
    )
    gpu = _knob(nuke, "Boolean_Knob", "useGPUIfAvailable", "Use GPU if available")
    gpu.setValue(True)
    add(gpu)
    add(_knob(nuke, "Text_Knob", "gpuName", "", "the engine picks the device when it starts"))


def _add_vtinker_tab(nuke: Any, group: Any) -> None:
    add = group.addKnob
    add(_knob(nuke, "Tab_Knob", "vtinkerTab", "VTinker"))
    add(_knob(nuke, "Enumeration_Knob", "engine", "Engine", list(MOTION_ENGINES)))
    add(
        _knob(
            nuke,
            "File_Knob",
            "checkpoint",
            "Checkpoint",
            tooltip="VTinker weights (.pkl/.safetensors); empty: $VTINKER_CHECKPOINT or the "
            "installed checkpoint",
        )
    )
    add(_knob(nuke, "Int_Knob", "tileSize", "Tile Size", tooltip="pixels; 0 = auto"))
    overlap = _knob(nuke, "Int_Knob", "tileOverlap", "Tile Overlap", tooltip="pixels")
    overlap.setValue(64)
    add(overlap)
    add(_knob(nuke, "Enumeration_Knob", "precision", "Precision", list(PRECISIONS)))
    centre = _knob(
        nuke,
        "Boolean_Knob",
        "centreSamples",
        "Kronos sample offset",
        tooltip="below normal speed, sample the centre of each output frame (.25/.75 at 50%) "
        "as Kronos does, so no output is a plain copy",
    )
    centre.setValue(True)
    add(centre)
    add(
        _knob(
            nuke,
            "File_Knob",
            "engineExecutable",
            "Engine Executable",
            tooltip="the vtinker command; empty: $VTINKER_EXECUTABLE, else the one "
            "vtinker-install recorded, else vtinker on PATH",
        )
    )
    add(
        _knob(
            nuke,
            "File_Knob",
            "outputFolder",
            "Output Folder",
            tooltip="where the retimed EXRs and the job file go; empty: a vtinker folder "
            "beside the script",
        )
    )
    add(_knob(nuke, "PyScript_Knob", "render", "Render", RENDER_SCRIPT))
    export = _knob(nuke, "PyScript_Knob", "exportJob", "Write Job File", EXPORT_SCRIPT)
    export.clearFlag(nuke.STARTLINE)
    export.setTooltip("write the job JSON (vtinker render --job J --frames A-B)")
    add(export)
    farm = _knob(nuke, "PyScript_Knob", "writeFarmBundle", "Write Farm Bundle", FARM_SCRIPT)
    farm.clearFlag(nuke.STARTLINE)
    farm.setTooltip(
        "write the job and an Open Job Description farm bundle beside the output "
        "(deadline bundle submit DIR, or openjd run DIR/template.yaml)"
    )
    add(farm)
    add(_knob(nuke, "Text_Knob", "status", "", NOT_RENDERED))
    add(_invisible(nuke, "String_Knob", RENDERED_KNOB, "rendered state"))


def add_knobs(nuke: Any, group: Any) -> None:
    """Add every knob of the layout to ``group``, in panel order."""
    _add_retime_tab(nuke, group)
    _add_vtinker_tab(nuke, group)
