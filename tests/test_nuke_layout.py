"""The node's knobs against Nuke's naming and saving rules, its lookups, its evaluated paths and
a keyed Output Speed (issue #19), with the fake ``nuke`` (each rule's source in the fake)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from fakes.nuke import new_nuke_module

from vtinker_core.job import RenderJob
from vtinker_core.timing import build_timing
from vtinker_hosts.nuke import job as nuke_job
from vtinker_hosts.nuke import layout
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import render as nuke_render
from vtinker_hosts.nuke import settings as nuke_settings
from vtinker_hosts.nuke import source as nuke_source

pytestmark = pytest.mark.host


@pytest.fixture
def nuke(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    fake = new_nuke_module()
    monkeypatch.setitem(sys.modules, "nuke", fake)
    return fake


def _node_after_read(nuke: ModuleType, first: int = 1001, last: int = 1010):
    read = nuke.nodes.Read(file="/plates/shot.%04d.exr", first=first, last=last)
    read.setSelected(True)
    return read, nuke_node.create_node()


# --------------------------------------------------------------------------- knob names


def test_no_knob_name_is_a_knob_path(nuke: ModuleType) -> None:
    """A dotted name is a path in Nuke ('input' = the upstream node): every knob of ours must
    read back as itself through ``nuke.knob('<node>.<knob>')``, as links and expressions do."""
    _read, group = _node_after_read(nuke)
    ranges = [k for k in group.user_knobs() if k.label() == "Input Range"]
    assert len(ranges) == 1  # Kronos's label stays
    ranges[0].setValue(1004)  # the Read's first frame is 1001: a path would find that
    for knob in group.user_knobs():
        if knob.Class() in ("Int_Knob", "Double_Knob", "Enumeration_Knob", "Boolean_Knob"):
            assert nuke.knob(f"VTinkerRetime1.{knob.name()}") == str(knob.value()), knob.name()
        assert "." not in knob.name(), knob.name()


def test_the_marker_is_invisible_after_reopening_and_makes_no_user_tab(nuke: ModuleType) -> None:
    _read, group = _node_after_read(nuke)
    marker = group[layout.MARKER_KNOB]
    assert not marker.visible()
    nuke.state.reopen(group)
    knobs = group.user_knobs()
    assert [k.name() for k in knobs if k.Class() == "Tab_Knob"] == ["retimeTab", "vtinkerTab"]
    assert knobs[0].name() == "retimeTab"  # no "User" tab in front
    assert not group[layout.MARKER_KNOB].visible()  # the INVISIBLE flag is what was saved
    assert group[layout.MARKER_KNOB].value() == layout.LAYOUT_VERSION
    assert not group[layout.RENDERED_KNOB].visible()


def _layout_1_group(nuke: ModuleType):
    """A node as layout 1 made it: dotted range knobs, the marker hidden with setVisible only
    and first, no Switch inside."""
    group = nuke.nodes.Group(name="Old")
    group.begin()
    source = nuke.nodes.Input(name="Input")
    nuke.nodes.Write(name="Prerender").setInput(0, source)
    result = nuke.nodes.Read(name="Result")
    nuke.nodes.Output(name="Output").setInput(0, result)
    group.end()
    marker = nuke.Int_Knob(layout.MARKER_KNOB, "VTinker Retime layout")
    marker.setValue(1)
    marker.setVisible(False)
    group.addKnob(marker)
    group.addKnob(nuke.Tab_Knob("retimeTab", "Retime"))
    for name, value in (("input.first", 1003), ("input.last", 1008)):
        knob = nuke.Int_Knob(name, name)
        knob.setValue(value)
        group.addKnob(knob)
    timing = nuke.Enumeration_Knob("timing2", "Timing", list(nuke_job.TIMING_MODES))
    group.addKnob(timing)
    speed = nuke.Double_Knob("timingOutputSpeed", "Output Speed")
    speed.setValue(0.25)
    group.addKnob(speed)
    group.addKnob(nuke.Tab_Knob("vtinkerTab", "VTinker"))
    group.addKnob(nuke.Text_Knob("status", "", "rendered"))
    group["knobChanged"].setValue(layout.KNOB_CHANGED_SCRIPT)
    group["onCreate"].setValue(layout.ON_CREATE_SCRIPT)
    return group


def test_a_layout_1_node_is_upgraded_when_the_script_loads(nuke: ModuleType) -> None:
    read = nuke.nodes.Read(file="/plates/shot.%04d.exr", first=1001, last=1010)
    group = _layout_1_group(nuke)
    group.setInput(0, read)
    nuke.state.reopen(group)  # the saved layout 1 comes back with a "User" tab, then onCreate
    assert group.knob("input.first") is None and group.knob("User") is None
    assert (group["inputFirst"].value(), group["inputLast"].value()) == (1003, 1008)
    assert group["timingOutputSpeed"].value() == 0.25
    assert group[layout.MARKER_KNOB].value() == layout.LAYOUT_VERSION
    assert group.user_knobs()[0].name() == "retimeTab"
    assert group.node("Show") is not None and group.node("Output").input(0) is group.node("Show")
    settings = nuke_settings.read_settings(group)
    assert (settings.input_first, settings.input_last) == (1003, 1008)


# --------------------------------------------------------------------------- lookups


def test_a_render_updates_its_own_node_whatever_group_the_user_is_in(
    nuke: ModuleType, tmp_path: Path
) -> None:
    """Nuke searches a plain node name from the current group upwards: a node of the same name
    inside the group the user has open must not receive the other node's result."""
    _read, mine = _node_after_read(nuke)
    shot = nuke.nodes.Group(name="Shot")
    shot.begin()
    twin = nuke.nodes.Group(name="VTinkerRetime1")
    nuke_node.build_group(twin)
    shot.end()
    assert nuke.toNode("VTinkerRetime1") is mine
    shot.begin()  # the user is inside "Shot" when the render ends
    try:
        nuke_render._set_status(nuke, mine.fullName(), "rendered 1-2")
        assert nuke_render.find_node(nuke, mine.fullName()) is mine
        assert nuke_render.find_node(nuke, twin.fullName()) is twin
    finally:
        shot.end()
    assert mine["status"].value() == "rendered 1-2"
    assert not twin["status"].value().startswith("rendered")


def test_render_all_finds_every_node_from_a_button_inside_a_group(nuke: ModuleType) -> None:
    """A Group's knob scripts run inside the group, where ``nuke.allNodes()`` lists its
    children; render_all must still see the whole script."""
    _read, group = _node_after_read(nuke)
    found: list[str] = []
    original = nuke_render.render_node

    def record(node, background=None):  # what render_all would render
        found.append(node.fullName())

    nuke_render.render_node = record  # type: ignore[assignment]
    try:
        script = "import vtinker_hosts.nuke.render as r\nr.render_all()"
        button = nuke.PyScript_Knob("renderAll", "Render All", script)
        group.addKnob(button)
        button.execute()
    finally:
        nuke_render.render_node = original  # type: ignore[assignment]
    assert found == ["VTinkerRetime1"]


# --------------------------------------------------------------------------- evaluated paths


def test_file_knobs_are_evaluated(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOW", str(tmp_path / "show"))
    monkeypatch.setenv("PLATES", "/mnt/plates")
    read = nuke.nodes.Read(file="[getenv PLATES]/sh010.%04d.exr", first=1, last=4)
    read.setSelected(True)
    group = nuke_node.create_node()
    group["outputFolder"].setValue("[getenv SHOW]/retime")
    group["checkpoint"].setValue("$env(SHOW)/weights/VTinker.pkl")
    assert nuke_source.output_folder(nuke, group) == tmp_path / "show" / "retime"
    settings = nuke_settings.read_settings(group)
    assert settings.checkpoint == f"{tmp_path}/show/weights/VTinker.pkl"
    plan = nuke_source.plan_source(nuke, group, settings, tmp_path)
    assert plan.source.path == "/mnt/plates/sh010.%04d.exr"  # expanded, %04d kept


# --------------------------------------------------------------------------- keyed Output Speed


def test_a_keyed_output_speed_becomes_a_curve_of_its_integral(nuke: ModuleType) -> None:
    """Output Speed keyed 1.0 at output 1001 down to 0.5 at output 1011: source(f) = 1001 +
    ∫ speed over the output frames, hand-computed for the ramp speed(t) = 1 - (t - 1001) / 20."""
    _read, group = _node_after_read(nuke, 1001, 1010)
    speed = group["timingOutputSpeed"]
    speed.setValueAt(1.0, 1001)
    speed.setValueAt(0.5, 1011)
    settings = nuke_settings.read_settings(group)
    job = nuke_job.build_job(
        settings, nuke_job.SourceInfo("/p/a.%04d.exr", 1001, 1010), "/o/r.####.exr"
    )
    RenderJob.from_dict(job)
    timing = job["timing"]
    assert timing["mode"] == "curve" and timing["curve_shape"] == "linear"
    keys = timing["keys"]

    def position(n: int) -> float:  # ∫_0^n (1 - t/20) dt, held at 0.5 past output 1011
        if n <= 10:
            return 1001 + n - n * n / 40
        return 1001 + 7.5 + 0.5 * (n - 10)

    assert [k["frame"] for k in keys] == list(range(1001, 1001 + len(keys)))
    for key in keys:
        assert key["source"] == pytest.approx(position(key["frame"] - 1001))
    assert keys[-1]["source"] <= 1010 < keys[-1]["source"] + 0.5
    assert len(keys) == 14  # 1001 + 7.5 at 1011, then +0.5 a frame up to 1010 at 1014
    samples = build_timing(RenderJob.from_dict(job).timing, range(1001, 1011))
    assert [round(s.position, 6) for s in samples[:3]] == [1001.0, 1001.975, 1002.9]


def test_a_constant_output_speed_stays_a_speed_job(nuke: ModuleType) -> None:
    _read, group = _node_after_read(nuke)
    group["timingOutputSpeed"].setValue(0.5)
    settings = nuke_settings.read_settings(group)
    assert settings.output_speed_at is None
    job = nuke_job.build_job(
        settings, nuke_job.SourceInfo("/p/a.%04d.exr", 1001, 1010), "/o/r.####.exr"
    )
    assert job["timing"]["mode"] == "speed"
