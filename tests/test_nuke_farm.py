"""The node's Write Farm Bundle button (farm issue #17, host part): the job and an OpenJD bundle
beside the node's output, written by the real ``vtinker farm bundle``; a render of the bundle's
job (what a worker runs) is then shown by Render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fakes.nuke import new_nuke_module
from test_nuke_render import _engine_executable, _write_plates

from vtinker_core.job import read_job
from vtinker_hosts.engine_client import split_executable
from vtinker_hosts.nuke import farm as nuke_farm
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import render as nuke_render

pytestmark = [pytest.mark.host, pytest.mark.slow]


def _fake(monkeypatch: pytest.MonkeyPatch, *, gui: bool) -> ModuleType:
    fake = new_nuke_module(gui=gui)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    monkeypatch.delenv("OCIO", raising=False)
    fake.addFormat("24 16 1.0 vt_tiny")
    return fake


def _retime(nuke: ModuleType, upstream, folder: str):
    upstream.setSelected(True)
    group = nuke_node.create_node()
    group["engineExecutable"].setValue(_engine_executable())
    group["outputFolder"].setValue(folder)
    group["interpolation"].setValue("Blend")
    return group


def test_the_button_writes_the_job_and_bundle_beside_the_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nuke = _fake(monkeypatch, gui=True)
    monkeypatch.setenv("SHOW", str(tmp_path / "show"))
    read = nuke.nodes.Read(file=_write_plates(tmp_path / "plates"), first=1001, last=1004)
    group = _retime(nuke, read, "[getenv SHOW]/retime")

    group["writeFarmBundle"].execute()

    out = tmp_path / "show" / "retime"
    bundle = out / "VTinkerRetime1_farm"
    assert (bundle / "template.yaml").is_file() and (bundle / "job.json").is_file()
    job = read_job(out / "VTinkerRetime1.job.json")
    assert job.output.path == (out / "VTinkerRetime1.####.exr").as_posix()  # evaluated
    [message] = nuke.state.messages
    assert f"deadline bundle submit {bundle}" in message
    assert f"openjd run {bundle}/template.yaml" in message

    # A worker renders the bundle's job; Render then shows those frames without redoing them.
    worker = [*split_executable(_engine_executable()), "render", "--job", str(bundle / "job.json")]
    subprocess.run(worker, check=True, capture_output=True, timeout=120)
    assert len(list(out.glob("VTinkerRetime1.*.exr"))) == 6
    nuke.env["gui"] = False
    result = nuke_render.render_node(group)
    assert result.ok and [r["skipped"] for r in result.events("frame")] == [True] * 6
    assert group["status"].value() == "rendered 1001-1006"


def test_a_comp_tree_input_is_refused_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nuke = _fake(monkeypatch, gui=True)
    read = nuke.nodes.Read(file=_write_plates(tmp_path / "plates"), first=1001, last=1004)
    grade = nuke.nodes.Grade()
    grade.setInput(0, read)
    group = _retime(nuke, grade, str(tmp_path / "retime"))

    assert nuke_farm.write_this_farm_bundle.__name__  # the button's command
    group["writeFarmBundle"].execute()

    [message] = nuke.state.messages
    assert "no farm bundle written" in message and "cannot run Nuke" in message
    assert "connect that Read" in message
    assert nuke.state.execute_calls == []  # nothing was prerendered here either
    assert not (tmp_path / "retime" / "VTinkerRetime1_farm").exists()


def test_the_engines_refusal_reaches_the_user(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The core refuses an output folder inside the source folder; the node says so."""
    nuke = _fake(monkeypatch, gui=False)
    plates = tmp_path / "plates"
    read = nuke.nodes.Read(file=_write_plates(plates), first=1001, last=1004)
    group = _retime(nuke, read, str(plates / "retime"))
    with pytest.raises(nuke_farm.FarmBundleError, match="inside"):
        nuke_farm.write_farm_bundle(group)
