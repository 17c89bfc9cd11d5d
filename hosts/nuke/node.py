"""The ``VTinkerRetime`` node: a Group with Kronos-style knobs, built from Python.

Create one from the Nodes toolbar (``Time/VTinker Retime``) or from Python::

    import vtinker_hosts.nuke.node
    group = vtinker_hosts.nuke.node.create_node()     # connected to the selected node

Inside the group: ``Input`` → ``Prerender`` (a Write, disabled except while the render writes a
non-Read upstream to EXR); ``Input`` and ``Result`` (a Read, pointed at the retimed frames after
a render) → ``Show`` (a Switch: the input passes through until a render exists) → ``Output``.
Every setting is a real knob on the group (:mod:`vtinker_hosts.nuke.layout`), so the node saves
with the script; the knob scripts call back into this package by module name (``knobChanged``,
``onCreate``, the buttons). A script saved with an older layout is upgraded when it loads.
See :mod:`vtinker_hosts.nuke.job` for how the knobs become the engine's job.
"""

from __future__ import annotations

import contextlib
from typing import Any

from vtinker_hosts.nuke._nuke import is_gui, load_nuke
from vtinker_hosts.nuke.layout import (
    INPUT_NAME,
    KNOB_CHANGED_SCRIPT,
    LAYOUT_1_KNOBS,
    LAYOUT_VERSION,
    MARKER_KNOB,
    NODE_NAME,
    ON_CREATE_SCRIPT,
    OUTPUT_NAME,
    PRERENDER_NAME,
    RENAMED_KNOBS,
    RESULT_NAME,
    STATE_KNOBS,
    SWITCH_NAME,
    add_knobs,
)
from vtinker_hosts.nuke.settings import range_unset, scalar, upstream_range
from vtinker_hosts.nuke.state import refresh_status


def _build_internals(nuke: Any, group: Any) -> None:
    group.begin()
    try:
        existing = {child.name(): child for child in group.nodes()}
        source = existing.get(INPUT_NAME) or nuke.nodes.Input(name=INPUT_NAME)
        if PRERENDER_NAME not in existing:
            prerender = nuke.nodes.Write(name=PRERENDER_NAME)
            prerender["file_type"].setValue("exr")
            prerender["disable"].setValue(True)
            prerender.setInput(0, source)
        result = existing.get(RESULT_NAME) or nuke.nodes.Read(name=RESULT_NAME)
        switch = existing.get(SWITCH_NAME)
        if switch is None:
            switch = nuke.nodes.Switch(name=SWITCH_NAME)
            switch["which"].setValue(0)  # the input passes through until a render exists
        switch.setInput(0, source)
        switch.setInput(1, result)
        output = existing.get(OUTPUT_NAME) or nuke.nodes.Output(name=OUTPUT_NAME)
        output.setInput(0, switch)
    finally:
        group.end()


def _set_callbacks(group: Any) -> None:
    group["knobChanged"].setValue(KNOB_CHANGED_SCRIPT)
    on_create = group.knob("onCreate")
    if on_create is not None:
        on_create.setValue(ON_CREATE_SCRIPT)


def build_group(group: Any) -> Any:
    """Turn an empty Group into a VTinkerRetime node (knobs, internal nodes, callbacks)."""
    nuke = load_nuke()
    _build_internals(nuke, group)
    add_knobs(nuke, group)
    _set_callbacks(group)
    if group.input(0) is not None:
        reset_input_range(group)
    group["timingFrame2"].setValue(float(scalar(group["inputFirst"].value())))
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
    """True for a VTinkerRetime group (any layout version)."""
    return node is not None and node.knob(MARKER_KNOB) is not None


def _saved_value(knob: Any) -> tuple[str, Any]:
    curve = knob.animation(0) if knob.isAnimated() else None
    if curve is not None:
        return "keys", [(float(k.x), float(k.y)) for k in curve.keys()]  # noqa: SIM118
    return "value", knob.value()


def upgrade_layout(group: Any) -> bool:
    """Rebuild an older layout's knobs (and internals) as this version's, keeping every value.

    Layout 1 named the input range ``input.first``/``input.last``, which Nuke reads as a path
    to the upstream node's knobs, hid its marker with ``setVisible`` only and had no Switch.
    Returns True when it upgraded.
    """
    if not is_retime_node(group) or int(scalar(group[MARKER_KNOB].value())) >= LAYOUT_VERSION:
        return False
    nuke = load_nuke()
    values: dict[str, tuple[str, Any]] = {}
    for name in LAYOUT_1_KNOBS:
        knob = group.knob(name)
        if knob is None:
            continue
        if knob.Class() not in ("Tab_Knob", "PyScript_Knob", "Text_Knob"):
            values[RENAMED_KNOBS.get(name, name)] = _saved_value(knob)
        group.removeKnob(knob)
    values.pop(MARKER_KNOB, None)
    _build_internals(nuke, group)
    add_knobs(nuke, group)
    for name, (kind, value) in values.items():
        knob = group.knob(name)
        if knob is None:
            continue
        if kind == "keys":
            for x, y in value:
                knob.setValueAt(y, x)
            continue
        with contextlib.suppress(TypeError, ValueError):  # else the new knob's default stays
            knob.setValue(value)
    _set_callbacks(group)
    update_visibility(group)
    return True


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


def reset_input_range(group: Any) -> None:
    """Set ``inputFirst`` / ``inputLast`` from the upstream node (the Reset button)."""
    frames = upstream_range(group)
    if frames is None:
        return
    group["inputFirst"].setValue(frames[0])
    group["inputLast"].setValue(frames[1])


def reset_this_input_range() -> None:
    """The Reset button's command."""
    reset_input_range(load_nuke().thisNode())


def on_create() -> None:
    """The group's ``onCreate`` callback (also run when a script loads): upgrade an older
    layout, then check whether the render on disk still matches."""
    nuke = load_nuke()
    group = nuke.thisNode()
    if not is_retime_node(group):
        return
    upgrade_layout(group)
    refresh_status(nuke, group)


def on_knob_changed() -> None:
    """The group's ``knobChanged`` callback."""
    nuke = load_nuke()
    group, knob = nuke.thisNode(), nuke.thisKnob()
    name = knob.name()
    if upgrade_layout(group):
        name = "showPanel"
    if name in ("timing2", "interpolation", "showPanel"):
        update_visibility(group)
    if name == "inputChange" and range_unset(group):
        reset_input_range(group)
    if name in STATE_KNOBS or name in ("inputChange", "showPanel"):
        refresh_status(nuke, group)
