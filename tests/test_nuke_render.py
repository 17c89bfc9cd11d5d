"""Rendering from the Nuke node: a fake ``nuke`` module, the real engine subprocess, tiny EXRs."""

from __future__ import annotations

import shlex
import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from fakes.nuke import new_nuke_module

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import read_job
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import render as nuke_render

pytestmark = [pytest.mark.host, pytest.mark.slow]


def _engine_executable() -> str:
    script = Path(sys.executable).parent / ("vtinker.exe" if sys.platform == "win32" else "vtinker")
    if script.is_file():
        return str(script)
    return f"{shlex.quote(sys.executable)} -m vtinker_core.cli"


def _write_plates(folder: Path, count: int = 4, first: int = 1001) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        px = np.full((16, 24, 4), 0.2, np.float32)
        px[4:10, 2 + 4 * i : 8 + 4 * i, :3] = 0.8
        px[..., 3] = 1.0
        write_frame(folder / f"shot.{first + i:04d}.exr", Frame.from_array(px), bit_depth="half")
    return (folder / "shot.%04d.exr").as_posix()


def _fake(monkeypatch: pytest.MonkeyPatch, *, gui: bool) -> ModuleType:
    fake = new_nuke_module(gui=gui)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    fake.addFormat("24 16 1.0 vt_tiny")
    return fake


@pytest.fixture
def nuke(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _fake(monkeypatch, gui=True)


def _retime_node(nuke: ModuleType, upstream, out: Path, **knobs):
    upstream.setSelected(True)
    group = nuke_node.create_node()
    group["engineExecutable"].setValue(_engine_executable())
    group["outputFolder"].setValue(str(out))
    group["interpolation"].setValue("Blend")  # the fast engine; Motion is the engine's business
    for name, value in knobs.items():
        group[name].setValue(value)
    return group


def _read_node(nuke: ModuleType, path: str, first: int = 1001, last: int = 1004):
    return nuke.nodes.Read(file=path, first=first, last=last, format="vt_tiny")


def _wait(nuke: ModuleType, thread: threading.Thread) -> None:
    assert thread is not None
    nuke.state.run_until(lambda: not thread.is_alive(), timeout=120)
    thread.join()
    nuke.state.process_events()


def test_render_writes_frames_and_points_the_internal_read_at_them(
    nuke: ModuleType, tmp_path: Path
) -> None:
    read = _read_node(nuke, _write_plates(tmp_path / "plates"))
    out = tmp_path / "retime"
    group = _retime_node(nuke, read, out)  # 50 %, Kronos placement: 1001.25, 1001.75, ...
    thread = nuke_render.render_node(group)
    assert isinstance(thread, threading.Thread)
    _wait(nuke, thread)

    assert nuke.state.messages == [] and nuke.state.violations == []
    names = sorted(p.name for p in out.glob("VTinkerRetime1.*.exr"))
    assert names == [f"VTinkerRetime1.{n}.exr" for n in range(1001, 1007)]
    result = group.node("Result")
    assert result["file"].value() == (out / "VTinkerRetime1.####.exr").as_posix()
    assert (result["first"].value(), result["last"].value()) == (1001, 1006)
    assert (result["origfirst"].value(), result["origlast"].value()) == (1001, 1006)
    assert result["format"].value().name() == "vt_tiny"
    assert result["reload"].executions == 1
    assert group["status"].value() == "rendered 1001-1006"
    assert group["gpuName"].value() == "blend"
    [task] = nuke.state.progress_tasks
    assert task.progress == 100 and task.progress_values == sorted(task.progress_values)
    job = read_job(out / "VTinkerRetime1.job.json")  # the job file sits next to the output
    assert job.engine.name == "blend" and job.input.frames == "1001-1004"
    frame = read_frame(out / "VTinkerRetime1.1001.exr")
    assert frame.pixels.shape == (16, 24, 4)


def test_cancel_stops_the_engine_after_the_current_frame(nuke: ModuleType, tmp_path: Path) -> None:
    read = _read_node(nuke, _write_plates(tmp_path / "plates"))
    out = tmp_path / "retime"
    group = _retime_node(nuke, read, out, timingOutputSpeed=0.05, centreSamples=False)  # 61
    nuke.state.cancel_when = lambda task: task.progress > 0  # Cancel after the first frame
    _wait(nuke, nuke_render.render_node(group))

    written = list(out.glob("VTinkerRetime1.*.exr"))
    assert 1 <= len(written) < 61
    assert list(out.glob(".*.tmp-*")) == []  # every frame on disk is whole
    assert not (out / ".vtinker-render.lock").exists()
    assert group.node("Result")["file"].value() == ""
    assert group["status"].value().startswith("cancelled after")
    assert nuke.state.messages == [] and nuke.state.violations == []


def test_an_engine_error_reaches_the_user_with_the_engines_words(
    nuke: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    read = _read_node(nuke, (tmp_path / "empty" / "shot.%04d.exr").as_posix())
    group = _retime_node(nuke, read, tmp_path / "retime")
    _wait(nuke, nuke_render.render_node(group))
    [message] = nuke.state.messages
    assert "VTinkerRetime1" in message and "no frames of" in message
    assert group["status"].value().startswith("failed: no frames of")
    assert group.node("Result")["file"].value() == ""
    assert nuke.state.violations == []


def test_a_missing_engine_executable_is_reported(nuke: ModuleType, tmp_path: Path) -> None:
    read = _read_node(nuke, _write_plates(tmp_path / "plates", count=2))
    group = _retime_node(nuke, read, tmp_path / "retime")
    group["engineExecutable"].setValue(str(tmp_path / "no-such-vtinker"))
    _wait(nuke, nuke_render.render_node(group))
    [message] = nuke.state.messages
    assert "cannot start the engine" in message and "VTinker tab" in message


def test_a_node_without_input_says_so(nuke: ModuleType, tmp_path: Path) -> None:
    group = nuke.nodes.Group()
    nuke_node.build_group(group)
    assert nuke_render.render_node(group) is None
    assert "has no input" in nuke.state.messages[-1]


def test_terminal_mode_renders_in_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nuke = _fake(monkeypatch, gui=False)
    read = _read_node(nuke, _write_plates(tmp_path / "plates"))
    out = tmp_path / "retime"
    group = _retime_node(nuke, read, out, timing2="Frame")
    group["timingFrame2"].setValueAt(1001, 1010)  # output 1010..1013 shows source 1001..1004
    group["timingFrame2"].setValueAt(1004, 1013)

    result = nuke_render.render_node(group)

    assert result.ok and result.frames == (1010, 1013)
    assert sorted(p.name for p in out.glob("*.exr")) == [
        f"VTinkerRetime1.{n}.exr" for n in range(1010, 1014)
    ]
    read_back = group.node("Result")
    assert (read_back["first"].value(), read_back["last"].value()) == (1010, 1013)
    assert nuke.state.progress_tasks == [] and nuke.state.messages == []
    assert "VTinker Retime: frame 1013 (4/4)" in capsys.readouterr().out
    # A failure raises with the engine's message (a farm task fails visibly).
    read["file"].setValue((tmp_path / "plates" / "gone.%04d.exr").as_posix())
    with pytest.raises(RuntimeError, match="no frames of"):
        nuke_render.render_node(group)


def test_any_other_upstream_is_prerendered_through_the_internal_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nuke = _fake(monkeypatch, gui=False)
    plates = _write_plates(tmp_path / "plates")
    read = _read_node(nuke, plates)
    grade = nuke.nodes.Grade()
    grade.setInput(0, read)
    out = tmp_path / "retime"
    group = _retime_node(nuke, grade, out, timingOutputSpeed=1.0)

    def write_frames(write, first: int, last: int) -> None:  # what Nuke's Write would do
        assert write["disable"].value() is False and write["file_type"].value() == "exr"
        pattern = write["file"].value()
        for number in range(first, last + 1):
            frame = read_frame(Path(plates.replace("%04d", f"{number:04d}")))
            write_frame(pattern.replace("####", f"{number:04d}"), frame)

    nuke.state.execute_handler = write_frames
    result = nuke_render.render_node(group)

    assert nuke.state.execute_calls == [("VTinkerRetime1.Prerender", 1001, 1004)]
    assert group.node("Prerender")["disable"].value() is True
    job = read_job(out / "VTinkerRetime1.job.json")
    assert job.input.path == (out / "source" / "VTinkerRetime1_source.####.exr").as_posix()
    assert result.ok and result.frames == (1001, 1004)
    assert len(list(out.glob("VTinkerRetime1.*.exr"))) == 4


def test_a_cancel_file_left_by_an_earlier_run_does_not_stop_the_next(tmp_path: Path) -> None:
    import json

    from vtinker_hosts.engine_client import engine_command, run_engine

    source = _write_plates(tmp_path / "src")
    job_path = tmp_path / "job.json"
    job = {
        "input": {"path": source},
        "output": {"path": str(tmp_path / "out" / "r.####.exr")},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": "blend"},
    }
    job_path.write_text(json.dumps(job))
    command = engine_command(_engine_executable(), str(job_path))
    assert command[command.index("--cancel-file") + 1] == f"{job_path}.cancel"
    Path(f"{job_path}.cancel").touch()  # as a cancelled render leaves it
    result = run_engine(command, should_cancel=lambda: False)
    assert result.ok
    assert len(list((tmp_path / "out").glob("r.*.exr"))) == 7
