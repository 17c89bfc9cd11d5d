"""What the node shows before and after a render, when it is stale, and what Render redoes
(issue #19): the fake ``nuke``, the real engine subprocess, tiny EXRs."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from fakes.nuke import new_nuke_module
from test_nuke_render import _engine_executable

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_hosts.nuke import layout
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import render as nuke_render
from vtinker_hosts.nuke import state as nuke_state

pytestmark = pytest.mark.host


@pytest.fixture
def nuke(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    fake = new_nuke_module(gui=False)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    monkeypatch.delenv("OCIO", raising=False)
    fake.addFormat("12 8 1.0 vt_tiny")
    return fake


def _plate(path: Path, value: float) -> None:
    pixels = np.full((8, 12, 3), value, np.float32)
    write_frame(path, Frame.from_array(pixels), bit_depth="half")


def _plates(folder: Path, count: int = 4) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        _plate(folder / f"shot.{1001 + i:04d}.exr", 0.1 * (i + 1))
    return (folder / "shot.%04d.exr").as_posix()


def _retime(nuke: ModuleType, upstream, out: Path):
    upstream.setSelected(True)
    group = nuke_node.create_node()
    group["engineExecutable"].setValue(_engine_executable())
    group["outputFolder"].setValue(str(out))
    group["interpolation"].setValue("Blend")
    group["centreSamples"].setValue(False)  # 50 %: outputs at 1001, 1001.5, 1002, ...
    return group


def _rendered(result) -> list[int]:
    return [r["frame"] for r in result.events("frame") if not r["skipped"]]


def test_the_input_passes_through_until_a_render_exists(nuke: ModuleType, tmp_path: Path) -> None:
    read = nuke.nodes.Read(file=_plates(tmp_path / "plates"), first=1001, last=1004)
    group = _retime(nuke, read, tmp_path / "retime")
    show = group.node("Show")
    assert group.node("Output").input(0) is show  # the node's output is the Switch's
    assert show["which"].value() == 0 and show.input(0) is group.node("Input")
    assert nuke_state.refresh_status(nuke, group) == "none"
    assert group["status"].value() == layout.NOT_RENDERED

    assert nuke_render.render_node(group).ok

    assert show["which"].value() == 1 and show.input(1) is group.node("Result")
    assert group["status"].value() == "rendered 1001-1007"
    assert nuke_state.refresh_status(nuke, group) == "current"


def test_a_knob_change_makes_the_render_stale_and_undoing_it_does_not(
    nuke: ModuleType, tmp_path: Path
) -> None:
    read = nuke.nodes.Read(file=_plates(tmp_path / "plates"), first=1001, last=1004)
    group = _retime(nuke, read, tmp_path / "retime")
    assert nuke_render.render_node(group).ok
    key = nuke_state.shown(group)[0]
    assert key == nuke_state.current_key(nuke, group)

    nuke.state.user_set(group, "timingOutputSpeed", 0.25)

    assert group["status"].value().startswith("stale: the settings or the input changed")
    assert key[:8] in group["status"].value() and group["label"].value() == "stale"
    nuke.state.user_set(group, "timingOutputSpeed", 0.5)
    assert group["status"].value() == "rendered 1001-1007" and group["label"].value() == ""
    # The shown render survives a saved and reopened script (an invisible knob).
    nuke.state.reopen(group)
    assert nuke_state.shown(group)[0] == key
    assert group["status"].value() == "rendered 1001-1007"


def test_a_changed_source_frame_is_stale_and_render_redoes_only_its_outputs(
    nuke: ModuleType, tmp_path: Path
) -> None:
    plates = tmp_path / "plates"
    read = nuke.nodes.Read(file=_plates(plates), first=1001, last=1004)
    group = _retime(nuke, read, tmp_path / "retime")
    first = nuke_render.render_node(group)
    assert _rendered(first) == list(range(1001, 1008))

    time.sleep(0.01)
    _plate(plates / "shot.1002.exr", 0.9)  # the plate was re-rendered upstream
    os.utime(plates / "shot.1002.exr", ns=(time.time_ns(), time.time_ns()))
    nuke.state.knob_changed(group, "showPanel")  # the user opens the panel
    assert group["status"].value().startswith("stale")

    again = nuke_render.render_node(group)

    # Source 1002 feeds the outputs at 1001.5, 1002 and 1002.5, and only those.
    assert _rendered(again) == [1002, 1003, 1004]
    assert group["status"].value() == ("rendered 1001-1007, redid 3 frame(s) whose source changed")
    shown = read_frame(tmp_path / "retime" / "VTinkerRetime1.1003.exr").pixels
    assert shown.max() == pytest.approx(0.9, abs=1e-3)
    assert nuke_state.refresh_status(nuke, group) == "current"
    # Nothing changed since: a third render redoes nothing.
    assert _rendered(nuke_render.render_node(group)) == []


def test_an_upstream_knob_makes_a_prerendered_input_stale_moving_a_node_does_not(
    nuke: ModuleType, tmp_path: Path
) -> None:
    plates = _plates(tmp_path / "plates")
    read = nuke.nodes.Read(file=plates, first=1001, last=1004)
    grade = nuke.nodes.Grade()
    grade.setInput(0, read)
    group = _retime(nuke, grade, tmp_path / "retime")

    def write_frames(write, first: int, last: int) -> None:  # what Nuke's Write would do
        gain = float(grade["white"].value())
        pattern = write["file"].value()
        for number in range(first, last + 1):
            frame = read_frame(Path(plates.replace("%04d", f"{number:04d}")))
            pixels = frame.pixels * gain
            write_frame(pattern.replace("####", f"{number:04d}"), Frame.from_array(pixels))

    nuke.state.execute_handler = write_frames
    assert nuke_render.render_node(group).ok
    assert nuke_state.refresh_status(nuke, group) == "current"
    grade.knob("xpos") or grade.addKnob(nuke.Int_Knob("xpos", "xpos"))
    grade["xpos"].setValue(240)  # dragged in the DAG
    assert nuke_state.refresh_status(nuke, group) == "current"
    grade["white"].setValue(2.0)
    assert nuke_state.refresh_status(nuke, group) == "stale"
    redo = nuke_render.render_node(group)
    assert _rendered(redo) == list(range(1001, 1008))  # every prerendered frame changed
    assert nuke_state.refresh_status(nuke, group) == "current"
