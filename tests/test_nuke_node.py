"""The Nuke node against a fake ``nuke`` module: knobs, knobChanged, knobs → job JSON, startup
files, and the adapter's own rules (Python 3.9 grammar, standard library + nuke only)."""

from __future__ import annotations

import ast
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fakes.nuke import new_nuke_module

from vtinker_core.job import RenderJob
from vtinker_core.timing import build_timing
from vtinker_hosts.nuke import job as nuke_job
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import settings as nuke_settings

pytestmark = pytest.mark.host

HOSTS_NUKE = Path(nuke_node.__file__).resolve().parent
PLUGIN = HOSTS_NUKE / "plugin"
KRONOS_KNOBS = [
    "inputFirst",
    "inputLast",
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
]
VTINKER_KNOBS = [
    "engine",
    "checkpoint",
    "tileSize",
    "tileOverlap",
    "precision",
    "engineExecutable",
    "outputFolder",
    "render",
]


@pytest.fixture
def nuke(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    fake = new_nuke_module()
    monkeypatch.setitem(sys.modules, "nuke", fake)
    return fake


def _node_after_read(nuke: ModuleType, first: int = 1001, last: int = 1010):
    read = nuke.nodes.Read(file="/plates/shot.%04d.exr", first=first, last=last)
    read.setSelected(True)
    return read, nuke_node.create_node()


def _job(group, source_path: str = "/plates/shot.%04d.exr") -> dict:
    settings = nuke_settings.read_settings(group)
    source = nuke_job.SourceInfo(source_path, settings.input_first, settings.input_last)
    job = nuke_job.build_job(settings, source, "/retime/VTinkerRetime1.####.exr")
    RenderJob.from_dict(job)  # the core's own validator accepts it
    return job


# --------------------------------------------------------------------------- the node


def test_create_node_builds_a_group_with_kronos_and_vtinker_knobs(nuke: ModuleType) -> None:
    read, group = _node_after_read(nuke)
    assert group.Class() == "Group" and group.name() == "VTinkerRetime1"
    assert group.input(0) is read
    knobs = group.knobs()
    for name in KRONOS_KNOBS + VTINKER_KNOBS:
        assert name in knobs, name
    assert type(knobs["checkpoint"]).__name__ == "File_Knob"
    assert type(knobs["render"]).__name__ == "PyScript_Knob"
    assert type(knobs["timing2"]).__name__ == "Enumeration_Knob"
    assert knobs["timing2"].values() == ["Output Speed", "Input Speed", "Frame"]
    assert knobs["interpolation"].values() == ["Frame", "Blend", "Motion"]
    assert knobs["interpolation"].value() == "Motion"
    assert knobs["output"].values() == ["Result", "Vectors"]
    assert (knobs["inputFirst"].value(), knobs["inputLast"].value()) == (1001, 1010)
    assert knobs["timingFrame2"].value() == 1001.0
    assert knobs["timingOutputSpeed"].value() == 0.5
    assert "vtinker_hosts.nuke.node" in knobs["knobChanged"].value()
    children = {c.name(): c for c in group.nodes()}
    assert sorted(children) == ["Input", "Output", "Prerender", "Result", "Show"]
    assert children["Prerender"]["disable"].value() is True
    assert children["Prerender"].input(0) is children["Input"]
    # Until a render exists the node passes its input through (the Switch shows input 0).
    assert children["Output"].input(0) is children["Show"]
    assert children["Show"].input(0) is children["Input"]
    assert children["Show"].input(1) is children["Result"]
    assert children["Show"]["which"].value() == 0
    assert group["status"].value().startswith("not rendered yet")
    assert group.panel_shown == 1
    assert nuke.state.violations == []


def test_knob_changed_shows_the_timing_knob_of_the_mode(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke)
    visible = {}
    for mode in ("Input Speed", "Frame", "Output Speed"):
        nuke.state.user_set(group, "timing2", mode)
        visible[mode] = [
            name
            for name in ("timingOutputSpeed", "timingInputSpeed", "timingFrame2")
            if group[name].visible()
        ]
    assert visible == {
        "Input Speed": ["timingInputSpeed"],
        "Frame": ["timingFrame2"],
        "Output Speed": ["timingOutputSpeed"],
    }
    nuke.state.user_set(group, "interpolation", "Blend")
    assert not group["engine"].enabled() and not group["checkpoint"].enabled()
    nuke.state.user_set(group, "interpolation", "Motion")
    assert group["engine"].enabled()


def test_reset_button_and_input_change_take_the_range_from_upstream(nuke: ModuleType) -> None:
    read, group = _node_after_read(nuke)
    group["inputFirst"].setValue(1004)
    read["last"].setValue(1020)
    group["resetInputRange"].execute()
    assert (group["inputFirst"].value(), group["inputLast"].value()) == (1001, 1020)
    # A node made without an input gets its range when one is connected.
    lonely = nuke.nodes.Group()
    nuke_node.build_group(lonely)
    assert lonely["inputFirst"].value() == 0
    lonely.setInput(0, read)
    nuke.state.knob_changed(lonely, "inputChange")
    assert (lonely["inputFirst"].value(), lonely["inputLast"].value()) == (1001, 1020)


# --------------------------------------------------------------------------- knobs → job


def test_output_speed_becomes_a_speed_job_over_the_input_range(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke)
    group["timingOutputSpeed"].setValue(0.25)
    group["inputFirst"].setValue(1003)
    group["inputLast"].setValue(1008)
    job = _job(group)
    assert job["timing"] == {"mode": "speed", "speed": 0.25, "centre_samples": True}
    assert job["input"] == {
        "path": "/plates/shot.%04d.exr",
        "frames": "1003-1008",
        "colorspace": None,
    }
    assert job["output"]["start"] == 1003 and job["output"]["vectors"] is False
    assert job["engine"] == {
        "name": "auto",
        "checkpoint": None,
        "device": "auto",
        "precision": "float32",
    }
    assert job["tiles"] == {"size": "auto", "overlap": 64}
    samples = build_timing(RenderJob.from_dict(job).timing, range(1003, 1009))
    # Kronos placement at quarter speed: the first sample sits at 1/8, not on a whole frame.
    assert samples[0].position == pytest.approx(1003.125)
    assert len(samples) == 20  # floor(5 / 0.25 - 1/2) + 1


def test_constant_input_speed_equals_output_speed(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke)
    group["timingOutputSpeed"].setValue(0.4)
    by_output = _job(group)["timing"]
    group["timing2"].setValue("Input Speed")
    group["timingInputSpeed"].setValue(0.4)
    assert _job(group)["timing"] == by_output


def test_animated_input_speed_is_integrated_into_a_curve(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke, 1001, 1010)
    group["timing2"].setValue("Input Speed")
    speed = group["timingInputSpeed"]
    speed.setValueAt(1.0, 1001)  # full speed, ramping linearly down to half speed at 1021
    speed.setValueAt(0.5, 1021)
    job = _job(group)
    assert job["timing"]["mode"] == "curve" and job["timing"]["curve_shape"] == "linear"
    keys = job["timing"]["keys"]
    # source(f) = 1001 + ∫ speed, speed(t) = 1 - (t - 1001) / 40: exact for a linear ramp.
    assert [k["frame"] for k in keys] == list(range(1001, 1012))
    for key in keys:
        n = key["frame"] - 1001
        assert key["source"] == pytest.approx(1001 + n - n * n / 80)
    assert keys[0] == {"frame": 1001, "source": 1001.0}
    assert keys[-1]["source"] <= 1010 < keys[-1]["source"] + 0.5
    assert job["output"]["start"] == 1001


def test_animated_frame_curve_is_sampled_per_output_frame(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke, 1001, 1010)
    group["timing2"].setValue("Frame")
    frame = group["timingFrame2"]
    frame.setValueAt(1001, 1010)  # output 1010 shows source 1001 ...
    frame.setValueAt(1004, 1016)  # ... output 1016 shows 1004: half speed, on the host timeline
    job = _job(group)
    keys = job["timing"]["keys"]
    assert [k["frame"] for k in keys] == list(range(1010, 1017))
    assert [k["source"] for k in keys] == [1001.0, 1001.5, 1002.0, 1002.5, 1003.0, 1003.5, 1004.0]
    assert job["output"]["start"] == 1010
    assert job["input"]["frames"] == "1001-1010"


def test_a_constant_frame_knob_holds_over_the_input_range(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke, 1001, 1004)
    group["timing2"].setValue("Frame")
    group["timingFrame2"].setValue(1002)
    keys = _job(group)["timing"]["keys"]
    assert keys == [{"frame": f, "source": 1002.0} for f in range(1001, 1005)]


@pytest.mark.parametrize(
    ("interpolation", "engine"), [("Frame", "nearest"), ("Blend", "blend"), ("Motion", "classical")]
)
def test_interpolation_and_the_vtinker_tab_choose_the_engine(
    nuke: ModuleType, interpolation: str, engine: str
) -> None:
    _, group = _node_after_read(nuke)
    group["interpolation"].setValue(interpolation)
    group["engine"].setValue("classical")
    group["checkpoint"].setValue("/weights/VTinker.pkl")
    group["useGPUIfAvailable"].setValue(False)
    group["tileSize"].setValue(256)
    group["tileOverlap"].setValue(32)
    group["precision"].setValue("float16")
    group["output"].setValue("Vectors")
    job = _job(group)
    assert job["engine"]["name"] == engine
    assert job["engine"]["checkpoint"] == (
        "/weights/VTinker.pkl" if engine == "classical" else None
    )
    assert job["engine"]["device"] == "cpu" and job["engine"]["precision"] == "float16"
    assert job["tiles"] == {"size": 256, "overlap": 32}
    assert job["output"]["vectors"] is True


def test_unusable_knob_values_are_named(nuke: ModuleType) -> None:
    _, group = _node_after_read(nuke)
    group["timingOutputSpeed"].setValue(0)
    with pytest.raises(ValueError, match="timingOutputSpeed"):
        _job(group)
    group["timingOutputSpeed"].setValue(0.5)
    group["inputFirst"].setValue(1020)
    with pytest.raises(ValueError, match="inputFirst"):
        _job(group)
    group["inputFirst"].setValue(1001)
    group["timing2"].setValue("Input Speed")
    group["timingInputSpeed"].setValueAt(0.0, 1001)
    group["timingInputSpeed"].setValueAt(0.0, 1002)
    with pytest.raises(ValueError, match="never reaches"):
        nuke_job.integrate_speed(lambda t: 0.0, 1001, 1010, max_outputs=50)


def test_frame_mode_outputs_span_the_keys() -> None:
    assert nuke_job.frame_mode_outputs([1010.0, 1012.5], 1, 5) == range(1010, 1013)
    assert nuke_job.frame_mode_outputs([1010.0], 1, 5) == range(1, 6)


def test_write_job_file_button_writes_a_valid_job(nuke: ModuleType, tmp_path: Path) -> None:
    _, group = _node_after_read(nuke)
    group["outputFolder"].setValue(str(tmp_path / "out"))
    group["exportJob"].execute()
    job_path = tmp_path / "out" / "VTinkerRetime1.job.json"
    assert job_path.is_file()
    from vtinker_core.job import read_job

    job = read_job(job_path)
    assert job.input.path == "/plates/shot.%04d.exr"
    assert job.output.path == (tmp_path / "out" / "VTinkerRetime1.####.exr").as_posix()
    assert f"vtinker render --job {job_path}" in nuke.state.messages[-1]


# --------------------------------------------------------------------------- startup files


@pytest.mark.parametrize("gui", [True, False])
def test_plugin_startup_files_run_with_the_fake_and_no_qt(
    monkeypatch: pytest.MonkeyPatch, gui: bool
) -> None:
    fake = new_nuke_module(gui=gui)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    monkeypatch.setitem(sys.modules, "PySide2", None)
    monkeypatch.setitem(sys.modules, "PySide6", None)
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(PLUGIN / "init.py"))
    assert fake.state.plugin_paths == [str(PLUGIN / "icons")]
    assert str(PLUGIN) in sys.path
    if not gui:
        assert fake.state.menus == {}  # init.py builds no UI; Nuke runs menu.py only in a GUI
        return
    runpy.run_path(str(PLUGIN / "menu.py"))
    item = fake.state.menus["Nodes"].findItem("Time/VTinker Retime")
    assert item is not None and item.icon == "VTinkerRetime.png"
    assert (PLUGIN / "icons" / item.icon).is_file()
    fake.state.run_script(None, None, item.command)  # the user clicks it
    assert fake.toNode("VTinkerRetime1") is not None


def test_menu_py_survives_a_broken_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "nuke", None)  # no nuke at all: the try block reports it
    runpy.run_path(str(PLUGIN / "menu.py"))
    runpy.run_path(str(PLUGIN / "init.py"))
    assert capsys.readouterr().err.count("Traceback") == 2


# --------------------------------------------------------------------------- adapter rules


def _adapter_sources() -> list[Path]:
    return sorted(p for p in HOSTS_NUKE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _adapter_sources(), ids=lambda p: p.name)
def test_adapter_is_python39_and_imports_only_stdlib_and_nuke(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, 9))
    allowed = set(sys.stdlib_module_names) | {"nuke", "vtinker_hosts"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
            if name.split(".")[0] == "nuke":
                assert path.name in ("_nuke.py", "init.py", "menu.py"), f"{path.name}: nuke"
        if isinstance(node, ast.ImportFrom) and node.module == "vtinker_hosts":
            pytest.fail(f"{path.name}: import submodules explicitly")


def _python39() -> str | None:
    for candidate in ("python3.9", str(Path.home() / ".pyenv/versions/3.9.18/bin/python3.9")):
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found:
            probe = subprocess.run([found, "--version"], capture_output=True, text=True)
            if probe.returncode == 0 and "3.9" in probe.stdout + probe.stderr:
                return found
    return None


def test_adapter_runs_on_python39(tmp_path: Path) -> None:
    """Nuke 14 embeds Python 3.9: import every module and build a job there, with the fake."""
    python = _python39()
    if python is None:
        pytest.skip("no Python 3.9 interpreter here")
    (tmp_path / "vtinker_hosts").symlink_to(HOSTS_NUKE.parent)
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(tmp_path)!r}, {str(Path(__file__).parent)!r}]\n"
        "from fakes.nuke import new_nuke_module\n"
        "sys.modules['nuke'] = fake = new_nuke_module()\n"
        "import vtinker_hosts.nuke.render, vtinker_hosts.nuke.farm, vtinker_hosts.engine_client\n"
        "from vtinker_hosts.nuke import node, job, settings\n"
        "read = fake.nodes.Read(file='/p/a.%04d.exr', first=1, last=9)\n"
        "read.setSelected(True)\n"
        "g = node.create_node()\n"
        "g['timing2'].setValue('Input Speed')\n"
        "g['timingInputSpeed'].setValueAt(1.0, 1)\n"
        "g['timingInputSpeed'].setValueAt(2.0, 9)\n"
        "s = settings.read_settings(g)\n"
        "j = job.build_job(s, job.SourceInfo('/p/a.%04d.exr', 1, 9), '/o/x.####.exr')\n"
        "print(j['timing']['mode'], len(j['timing']['keys']))\n"
    )
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "curve"
