"""The ``VTinkerRetime`` node: a Group with Kronos-style knobs, built from Python.

Create one from the Nodes toolbar (``Time/VTinker Retime``) or from Python::

    import vtinker_hosts.nuke.node
    group = vtinker_hosts.nuke.node.create_node()     # connected to the selected node

Inside the group: ``Input`` → ``Prerender`` (a Write, disabled except while the render writes a
non-Read upstream to EXR) and ``Result`` (a Read, pointed at the retimed frames after a render)
→ ``Output``. Every setting is a real knob on the group, so the node saves with the script;
the knob scripts call back into this package by module name (``knobChanged``, the buttons).

Knob names follow Kronos where Kronos has the setting (``input.first``, ``timing2``,
``timingOutputSpeed``, ``timingInputSpeed``, ``timingFrame2``, ``interpolation``,
``retimedChannels``, ``output``, ``useGPUIfAvailable``, ``gpuName``); ours live on the VTinker
tab. See ``vtinker_hosts.nuke.job`` for how they become the engine's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vtinker_hosts.nuke._nuke import is_gui, load_nuke
from vtinker_hosts.nuke.job import (
    INTERPOLATIONS,
    MOTION_ENGINES,
    OUTPUTS,
    PRECISIONS,
    TIMING_MODES,
    RetimeSettings,
    frame_mode_outputs,
)

NODE_NAME = "VTinkerRetime1"
#: A hidden knob that marks a Group as ours (its value: the knob layout version).
MARKER_KNOB = "vtinkerRetime"
LAYOUT_VERSION = 1
INPUT_NAME = "Input"
PRERENDER_NAME = "Prerender"
RESULT_NAME = "Result"
OUTPUT_NAME = "Output"

KNOB_CHANGED_SCRIPT = "import vtinker_hosts.nuke.node\nvtinker_hosts.nuke.node.on_knob_changed()"
RESET_SCRIPT = "import vtinker_hosts.nuke.node\nvtinker_hosts.nuke.node.reset_this_input_range()"
RENDER_SCRIPT = "import vtinker_hosts.nuke.render\nvtinker_hosts.nuke.render.render_this_node()"
EXPORT_SCRIPT = "import vtinker_hosts.nuke.render\nvtinker_hosts.nuke.render.export_this_job()"

NOT_RENDERED = "not rendered yet: press Render"


def _scalar(value: Any) -> Any:
    """A knob value as one value (array knobs may answer with a list)."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else 0
    return value


def _knob(nuke: Any, cls: str, name: str, label: str, *args: Any, tooltip: str = "") -> Any:
    knob = getattr(nuke, cls)(name, label, *args)
    if tooltip:
        knob.setTooltip(tooltip)
    return knob


def _add_knobs(nuke: Any, group: Any) -> None:
    add = group.addKnob
    marker = _knob(nuke, "Int_Knob", MARKER_KNOB, "VTinker Retime layout")
    marker.setValue(LAYOUT_VERSION)
    marker.setVisible(False)
    add(marker)

    add(_knob(nuke, "Tab_Knob", "retimeTab", "Retime"))
    first = _knob(
        nuke, "Int_Knob", "input.first", "Input Range", tooltip="first source frame to use"
    )
    last = _knob(nuke, "Int_Knob", "input.last", "", tooltip="last source frame to use")
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
            tooltip="Output Speed: a constant speed. Input Speed: source frames per output "
            "frame (animate it for ramps). Frame: the source frame shown at each output frame.",
        )
    )
    speed = _knob(nuke, "Double_Knob", "timingOutputSpeed", "Output Speed", tooltip="0.5 = half")
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
    export.setTooltip("write the job JSON for a farm (vtinker render --job J --frames A-B)")
    add(export)
    add(_knob(nuke, "Text_Knob", "status", "", NOT_RENDERED))


def _build_internals(nuke: Any, group: Any) -> None:
    group.begin()
    try:
        source = nuke.nodes.Input(name=INPUT_NAME)
        prerender = nuke.nodes.Write(name=PRERENDER_NAME)
        prerender["file_type"].setValue("exr")
        prerender["disable"].setValue(True)
        prerender.setInput(0, source)
        result = nuke.nodes.Read(name=RESULT_NAME)
        output = nuke.nodes.Output(name=OUTPUT_NAME)
        output.setInput(0, result)
    finally:
        group.end()


def build_group(group: Any) -> Any:
    """Turn an empty Group into a VTinkerRetime node (knobs, internal nodes, callbacks)."""
    nuke = load_nuke()
    _build_internals(nuke, group)
    _add_knobs(nuke, group)
    group["knobChanged"].setValue(KNOB_CHANGED_SCRIPT)
    if group.input(0) is not None:
        reset_input_range(group)
    group["timingFrame2"].setValue(float(_scalar(group["input.first"].value())))
    update_visibility(group)
    return group


def create_node() -> Any:
    """Create a VTinkerRetime node after the selected node (the Nodes toolbar command)."""
    nuke = load_nuke()
    group = nuke.createNode("Group", inpanel=False)
    group.setName(NODE_NAME)
    build_group(group)
    if is_gui(nuke):
        group.showControlPanel()
    return group


def is_retime_node(node: Any) -> bool:
    """True for a VTinkerRetime group."""
    return node is not None and node.knob(MARKER_KNOB) is not None


def update_visibility(group: Any) -> None:
    """Show the timing knob of the chosen mode; engine knobs only matter for Motion."""
    mode = group["timing2"].value()
    group["timingOutputSpeed"].setVisible(mode == "Output Speed")
    group["timingInputSpeed"].setVisible(mode == "Input Speed")
    group["timingFrame2"].setVisible(mode == "Frame")
    group["centreSamples"].setVisible(mode != "Frame")
    motion = group["interpolation"].value() == "Motion"
    for name in ("engine", "checkpoint"):
        group[name].setEnabled(motion)


def upstream_range(group: Any) -> tuple[int, int] | None:
    """(first, last) frame of the node feeding the group, or None when nothing is connected."""
    upstream = group.input(0)
    if upstream is None:
        return None
    if upstream.Class() == "Read":
        return int(_scalar(upstream["first"].value())), int(_scalar(upstream["last"].value()))
    return int(upstream.firstFrame()), int(upstream.lastFrame())


def reset_input_range(group: Any) -> None:
    """Set ``input.first`` / ``input.last`` from the upstream node (the Reset button)."""
    frames = upstream_range(group)
    if frames is None:
        return
    group["input.first"].setValue(frames[0])
    group["input.last"].setValue(frames[1])


def reset_this_input_range() -> None:
    """The Reset button's command."""
    reset_input_range(load_nuke().thisNode())


def on_knob_changed() -> None:
    """The group's ``knobChanged`` callback."""
    nuke = load_nuke()
    group, knob = nuke.thisNode(), nuke.thisKnob()
    name = knob.name()
    if name in ("timing2", "interpolation", "showPanel"):
        update_visibility(group)
    elif name == "inputChange" and _range_unset(group):
        reset_input_range(group)


def _range_unset(group: Any) -> bool:
    first = int(_scalar(group["input.first"].value()))
    last = int(_scalar(group["input.last"].value()))
    return first == 0 and last == 0


def input_range(group: Any) -> tuple[int, int]:
    """``input.first`` / ``input.last``, taken from upstream when both are still 0."""
    if _range_unset(group):
        frames = upstream_range(group)
        if frames is not None:
            return frames
    return int(_scalar(group["input.first"].value())), int(_scalar(group["input.last"].value()))


def _curve_key_times(knob: Any) -> list[float]:
    curve = knob.animation(0)
    if curve is None:
        return []
    return [float(key.x) for key in curve.keys()]  # noqa: SIM118 (Nuke's AnimationCurve)


def _value_at(knob: Any) -> Callable[[float], float]:
    def value_at(frame: float) -> float:
        return float(_scalar(knob.getValueAt(frame)))

    return value_at


def read_settings(group: Any) -> RetimeSettings:
    """The knob values as plain values (call in Nuke's main thread)."""
    first, last = input_range(group)
    timing = group["timing2"].value()
    input_speed = group["timingInputSpeed"]
    speed_at = None
    if timing == "Input Speed" and input_speed.isAnimated():
        speed_at = _value_at(input_speed)
    frame_keys: tuple[tuple[int, float], ...] = ()
    if timing == "Frame":
        frame_knob = group["timingFrame2"]
        if frame_knob.isAnimated():
            outputs = frame_mode_outputs(_curve_key_times(frame_knob), first, last)
            frame_keys = tuple((f, float(_scalar(frame_knob.getValueAt(f)))) for f in outputs)
        else:
            held = float(_scalar(frame_knob.value()))
            frame_keys = tuple((f, held) for f in range(first, last + 1))
    return RetimeSettings(
        input_first=first,
        input_last=last,
        timing=timing,
        output_speed=float(_scalar(group["timingOutputSpeed"].value())),
        input_speed=float(_scalar(input_speed.value())),
        input_speed_at=speed_at,
        frame_keys=frame_keys,
        interpolation=group["interpolation"].value(),
        output=group["output"].value(),
        use_gpu=bool(group["useGPUIfAvailable"].value()),
        engine=group["engine"].value(),
        checkpoint=str(group["checkpoint"].value() or ""),
        tile_size=int(_scalar(group["tileSize"].value())),
        tile_overlap=int(_scalar(group["tileOverlap"].value())),
        precision=group["precision"].value(),
        centre_samples=bool(group["centreSamples"].value()),
    )
