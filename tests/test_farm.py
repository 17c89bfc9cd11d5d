"""Render-farm bundles: real ``openjd check``/``openjd run`` on tiny EXR retimes, chunk by chunk
identical to a local render, chunks of one job side by side in one folder, refusals, checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import pytest
import yaml

from vtinker_core.cli import main
from vtinker_core.demo_scene import make_demo_frames
from vtinker_core.errors import RenderLockedError
from vtinker_core.farm import (
    estimate_cost,
    openjd_range,
    prepare_farm_job,
    verify_outputs,
    write_bundle,
)
from vtinker_core.farm.yaml_text import dump_yaml
from vtinker_core.frame import Frame
from vtinker_core.io import output_path, read_frame, write_frame
from vtinker_core.job import RenderJob, read_job, write_job
from vtinker_core.render import render_job
from vtinker_core.render_lock import job_identity, output_lock

OPENJD = shutil.which("openjd", path=str(Path(sys.executable).parent)) or shutil.which("openjd")
needs_openjd = pytest.mark.skipif(OPENJD is None, reason="openjd-cli is not installed")
SOURCE_FRAMES = 6  # 1001-1006; ×2 slow motion gives 11 output frames, 1001-1011
OUTPUTS = tuple(range(1001, 1012))


def _plates(folder: Path) -> str:
    """Six 48×32 scene-linear RGBA frames of the demo scene (24 fps, timecode 01:00:00:00)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(make_demo_frames(count=SOURCE_FRAMES, width=48, height=32)):
        write_frame(folder / f"plate.{1001 + i:04d}.exr", frame, bit_depth="half")
    return str(folder / "plate.####.exr")


def _job(source: str, target: str | Path, **extra: Any) -> RenderJob:
    data: dict[str, Any] = {
        "input": {"path": source},
        "output": {"path": str(target)},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": "classical"},
    }
    data.update(extra)
    return RenderJob.from_dict(data)


def _openjd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert OPENJD is not None
    return subprocess.run(
        [OPENJD, *args], capture_output=True, text=True, cwd=cwd, timeout=240, check=False
    )


def _header(path: Path) -> dict[str, Any]:
    image = oiio.ImageInput.open(str(path))
    assert image is not None, oiio.geterror()
    spec = image.spec()
    image.close()
    attributes = {a.name: a.value for a in spec.extra_attribs if a.name != "DateTime"}
    return {
        "size": (spec.width, spec.height, spec.x, spec.y, spec.full_width, spec.full_height),
        "channels": tuple(spec.channelnames),
        "format": str(spec.format),
        **attributes,
    }


def _assert_identical(folder: Path, reference: Path, frames: tuple[int, ...]) -> None:
    """Every frame equal to the reference's: pixels bit for bit, every header attribute."""
    for number in frames:
        ours = folder / f"r.{number}.exr"
        theirs = reference / f"r.{number}.exr"
        a, b = read_frame(ours), read_frame(theirs)
        assert a.channels == b.channels
        assert np.array_equal(a.pixels, b.pixels), f"frame {number} pixels differ"
        assert _header(ours) == _header(theirs), f"frame {number} header differs"


# --------------------------------------------------------------------------------- bundles


@needs_openjd
def test_bundle_passes_openjd_check_and_its_defaults_are_the_jobs(tmp_path: Path) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "retime" / "r.####.exr", engine={"name": "classical"})
    bundle = write_bundle(job, tmp_path / "bundle", chunk_size=3, name="sh010 retime")

    check = _openjd("check", str(bundle.template_path))
    assert check.returncode == 0, check.stdout + check.stderr
    template = yaml.safe_load(bundle.template_path.read_text())
    assert template["specificationVersion"] == "jobtemplate-2023-09"
    assert template["extensions"] == ["TASK_CHUNKING"]
    assert template["name"] == "sh010 retime"
    render, check_step = template["steps"]
    (chunk,) = render["parameterSpace"]["taskParameterDefinitions"]
    assert chunk == {
        "name": "Chunk",
        "type": "CHUNK[INT]",
        "range": "{{Param.Frames}}",
        "chunks": {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "CONTIGUOUS"},
    }
    args = render["script"]["actions"]["onRun"]["args"]
    assert args[:2] == ["render", "{{Param.InputFolder}}/{{Param.InputName}}"]
    assert args[args.index("--frames") + 1] == "{{Task.Param.Chunk}}"
    assert args[args.index("--progress") + 1] == "openjd"
    assert check_step["dependencies"] == [{"dependsOn": "Render"}]
    assert check_step["script"]["actions"]["onRun"]["args"][:2] == ["farm", "verify"]

    params = {p["name"]: p for p in template["parameterDefinitions"]}
    assert params["Frames"]["default"] == "1001-1011"
    assert params["ChunkSize"]["default"] == 3
    assert params["Device"]["default"] == "auto"
    assert Path(params["VTinker"]["default"]).name.startswith("vtinker")
    for name, kind, flow in (
        ("JobFile", "FILE", "IN"),
        ("InputFolder", "DIRECTORY", "IN"),
        ("OutputFolder", "DIRECTORY", "OUT"),
    ):
        assert (params[name]["type"], params[name]["objectType"], params[name]["dataFlow"]) == (
            "PATH",
            kind,
            flow,
        )
    # OpenJD runners take PATH defaults only inside the bundle: the names reach out from it.
    assert params["JobFile"]["default"] == "job.json"
    assert params["InputFolder"]["default"] == params["OutputFolder"]["default"] == "."
    assert params["InputName"]["default"] == os.path.join("..", "plates", "plate.####.exr")
    assert params["OutputName"]["default"] == os.path.join("..", "retime", "r.####.exr")

    # parameter_values.yaml: what a farm submits, the real folders and names.
    values = yaml.safe_load(bundle.values_path.read_text())["parameterValues"]
    expected = {name: p["default"] for name, p in params.items() if name != "JobFile"}
    expected.update(
        InputFolder=str(tmp_path / "plates"),
        InputName="plate.####.exr",
        OutputFolder=str(tmp_path / "retime"),
        OutputName="r.####.exr",
    )
    assert {v["name"]: v["value"] for v in values} == expected
    settled = read_job(bundle.job_path)
    assert settled.input.path == source and settled.engine.name == "classical"


@needs_openjd
def test_a_checkpoint_and_an_ocio_file_travel_as_path_parameters(tmp_path: Path) -> None:
    import PyOpenColorIO as ocio

    source = _plates(tmp_path / "plates")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "VTinker.pkl").write_bytes(b"weights")  # only its path matters here
    (tmp_path / "colour").mkdir()
    config = ocio.Config.CreateFromFile("ocio://default").serialize()
    (tmp_path / "colour" / "show.ocio").write_text(config)
    job = _job(
        source,
        tmp_path / "retime" / "r.####.exr",
        engine={"name": "vtinker", "checkpoint": str(tmp_path / "models" / "VTinker.pkl")},
        ocio=str(tmp_path / "colour" / "show.ocio"),
    )
    bundle = write_bundle(job, tmp_path / "bundle")
    check = _openjd("check", str(bundle.template_path))
    assert check.returncode == 0, check.stdout + check.stderr
    template = yaml.safe_load(bundle.template_path.read_text())
    params = {p["name"]: p for p in template["parameterDefinitions"]}
    for prefix in ("Checkpoint", "Ocio"):
        folder = params[f"{prefix}Folder"]
        assert (folder["type"], folder["objectType"], folder["dataFlow"]) == (
            "PATH",
            "DIRECTORY",
            "IN",
        )
    args = template["steps"][0]["script"]["actions"]["onRun"]["args"]
    assert (
        args[args.index("--checkpoint") + 1]
        == "{{Param.CheckpointFolder}}/{{Param.CheckpointName}}"
    )
    assert args[args.index("--ocio") + 1] == "{{Param.OcioFolder}}/{{Param.OcioName}}"
    values = {
        v["name"]: v["value"]
        for v in yaml.safe_load(bundle.values_path.read_text())["parameterValues"]
    }
    assert (values["CheckpointFolder"], values["CheckpointName"]) == (
        str(tmp_path / "models"),
        "VTinker.pkl",
    )
    assert (values["OcioFolder"], values["OcioName"]) == (str(tmp_path / "colour"), "show.ocio")
    assert bundle.cost.engine == "vtinker"  # the network's cost sizes the chunks


@needs_openjd
@pytest.mark.slow
def test_openjd_run_renders_every_chunk_as_one_local_render_and_a_rerun_skips(
    tmp_path: Path,
) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "farm" / "r.####.exr")
    render_job(_job(source, tmp_path / "local" / "r.####.exr"))  # one render, this machine
    bundle = write_bundle(job, tmp_path / "bundle", chunk_size=3)

    run = _openjd("run", str(bundle.template_path))
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    chunks = sorted(
        {line.split("= ")[1] for line in log.splitlines() if "Chunk(CHUNK[INT]) =" in line}
    )
    assert chunks == ["1001-1003", "1004-1006", "1007-1009", "1010-1011"]
    assert "openjd_progress: 100.0" in log
    assert "all 11 output frames are complete" in log  # the check step ran after the chunks
    _assert_identical(tmp_path / "farm", tmp_path / "local", OUTPUTS)
    timecodes = [read_frame(tmp_path / "farm" / f"r.{n}.exr").meta.timecode for n in OUTPUTS]
    assert timecodes == [f"01:00:00:{i:02d}" for i in range(11)]  # one frame per output frame

    written = {n: (tmp_path / "farm" / f"r.{n}.exr").stat().st_mtime_ns for n in OUTPUTS}
    again = _openjd("run", str(bundle.template_path), "--step", "Render", "-tp", "Chunk=1004-1006")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "openjd_status: frame 1005 already done (2 of 3)" in again.stdout
    assert {n: (tmp_path / "farm" / f"r.{n}.exr").stat().st_mtime_ns for n in OUTPUTS} == written


@needs_openjd
def test_path_mapping_rules_reach_the_task(tmp_path: Path) -> None:
    """A farm whose workers see the plates elsewhere maps the PATH parameters."""
    source = _plates(tmp_path / "studio" / "plates")
    job = _job(source, tmp_path / "studio" / "retime" / "r.####.exr", engine={"name": "blend"})
    bundle = write_bundle(job, tmp_path / "bundle", chunk_size=4)
    (tmp_path / "studio").rename(tmp_path / "worker_mount")
    rules = {
        "version": "pathmapping-1.0",
        "path_mapping_rules": [
            {
                "source_path_format": "WINDOWS" if os.name == "nt" else "POSIX",
                "source_path": str(tmp_path / "studio"),
                "destination_path": str(tmp_path / "worker_mount"),
            }
        ],
    }
    values = yaml.safe_load(bundle.values_path.read_text())["parameterValues"]
    submitted = {v["name"]: v["value"] for v in values}  # what a farm submits
    run = _openjd(
        "run",
        str(bundle.template_path),
        "--job-param",
        json.dumps(submitted),
        "--step",
        "Render",
        "-tp",
        "Chunk=1001-1004",
        "--path-mapping-rules",
        json.dumps(rules),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    written = sorted(p.name for p in (tmp_path / "worker_mount" / "retime").glob("r.*.exr"))
    assert written == [f"r.{n}.exr" for n in range(1001, 1005)]
    assert not (tmp_path / "studio").exists()


def test_bundle_command_writes_the_bundle_and_says_how_to_run_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    write_job(_job(source, tmp_path / "out" / "r.####.exr"), tmp_path / "job.json")
    code = main(["farm", "bundle", str(tmp_path / "job.json"), "-o", str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == str(tmp_path / "b")
    assert f"openjd run {tmp_path / 'b' / 'template.yaml'}" in err
    assert "11 frames in 1 tasks of up to 11" in err  # tiny frames: one task does it all
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "job.json",
        "parameter_values.yaml",
        "template.yaml",
    ]


# --------------------------------------------------------------------------------- refusals


def _refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vtinker: error: "), err
    return lines[0]


def test_a_relative_source_that_does_not_resolve_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _plates(tmp_path / "plates")
    job = _job("plates/plate.####.exr", "out/r.####.exr")
    write_job(job, tmp_path / "job.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    line = _refusal(["farm", "bundle", str(tmp_path / "job.json"), "-o", "b"], capsys)
    assert "input.path 'plates/plate.####.exr' is relative and does not resolve" in line
    assert not (elsewhere / "b").exists()
    monkeypatch.chdir(tmp_path)  # from where it resolves, it is made absolute
    assert main(["farm", "bundle", "job.json", "-o", "b"]) == 0
    assert read_job(tmp_path / "b" / "job.json").input.path == str(
        tmp_path / "plates" / "plate.####.exr"
    )


def test_an_output_inside_the_source_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    write_job(_job(source, tmp_path / "plates" / "retime" / "r.####.exr"), tmp_path / "job.json")
    line = _refusal(
        ["farm", "bundle", str(tmp_path / "job.json"), "-o", str(tmp_path / "b")], capsys
    )
    assert "is inside the source folder" in line


def test_frames_outside_the_plan_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    write_job(_job(source, tmp_path / "out" / "r.####.exr"), tmp_path / "job.json")
    argv = ["farm", "bundle", str(tmp_path / "job.json"), "-o", str(tmp_path / "b")]
    line = _refusal([*argv, "--frames", "1005-1020"], capsys)
    assert "frames 1005-1020 are outside the plan" in line
    assert "output frames are 1001-1011 (outside: 1012-1020)" in line
    assert main([*argv, "--frames", "1005-1008"]) == 0
    params = yaml.safe_load((tmp_path / "b" / "template.yaml").read_text())["parameterDefinitions"]
    assert next(p for p in params if p["name"] == "Frames")["default"] == "1005-1008"


def test_a_video_output_or_a_bad_chunk_size_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    write_job(_job(source, tmp_path / "out" / "r.mov"), tmp_path / "video.json")
    line = _refusal(
        ["farm", "bundle", str(tmp_path / "video.json"), "-o", str(tmp_path / "b")], capsys
    )
    assert "is a video, and farm chunks write image sequences" in line
    write_job(_job(source, tmp_path / "out" / "r.####.exr"), tmp_path / "job.json")
    argv = ["farm", "bundle", str(tmp_path / "job.json"), "-o", str(tmp_path / "b")]
    assert "--chunk-size must be 1 to 150" in _refusal([*argv, "--chunk-size", "0"], capsys)


# --------------------------------------------------------------------- settled in the bundle


def test_what_a_worker_could_decide_otherwise_is_settled_in_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCIO", raising=False)
    monkeypatch.delenv("VTINKER_CHECKPOINT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no checkpoint here
    folder = tmp_path / "plates"
    folder.mkdir()
    scene = make_demo_frames(count=3, width=48, height=32)
    other = [  # the next shot: another texture, turned round, darker
        Frame(np.ascontiguousarray(f.pixels[::-1, ::-1] * 0.25), f.channels, f.meta)
        for f in make_demo_frames(count=3, width=48, height=32, seed=99)
    ]
    for i, frame in enumerate([*scene, *other]):
        write_frame(folder / f"plate.{1001 + i:04d}.exr", frame, bit_depth="half")
    job = _job(
        str(folder / "plate.####.exr"),
        tmp_path / "out" / "r.####.exr",
        engine={"name": "auto"},
        cuts={"detect": True},
    )
    farm = prepare_farm_job(job)
    assert farm.job.engine.name == "classical"
    assert farm.job.cuts.detect is False and farm.job.cuts.frames == (1004,)
    assert farm.job.ocio is not None and farm.job.ocio.startswith("ocio://cg-config-")
    assert len(farm.notes) == 3
    assert farm.frames == OUTPUTS


# ----------------------------------------------------------------------- chunks and the lock


def test_chunks_of_one_job_run_concurrently_into_one_folder(tmp_path: Path) -> None:
    """Two chunk processes start together while a third chunk of the job (this test) holds the
    folder, as on a farm whose workers share the output folder: all complete, nothing lost."""
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "out" / "r.####.exr")
    render_job(_job(source, tmp_path / "local" / "r.####.exr"))
    write_job(job, tmp_path / "job.json")
    vtinker = Path(sys.executable).with_name("vtinker")

    def chunk(frames: str) -> subprocess.Popen[str]:
        command = [str(vtinker), "render", "--job", str(tmp_path / "job.json"), "--frames"]
        return subprocess.Popen(
            [*command, frames, "--progress", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    with output_lock(tmp_path / "out", job_identity(job.to_dict())):  # a chunk in progress
        procs = [chunk("1001-1004"), chunk("1005-1008")]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            done = json.loads(out.splitlines()[-1])
            assert (done["event"], done["rendered"]) == ("done", 4)
        assert render_job(job, frames="1009-1011").rendered == (1009, 1010, 1011)
    assert verify_outputs(job).ok
    _assert_identical(tmp_path / "out", tmp_path / "local", OUTPUTS)
    assert not list((tmp_path / "out").glob(".vtinker-render*")), "a lock was left behind"


def test_a_chunk_shares_the_folder_with_its_job_and_keeps_its_temporary_files(
    tmp_path: Path,
) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "out" / "r.####.exr", engine={"name": "blend"})
    folder = tmp_path / "out"
    in_progress = folder / ".r.1011.exr.tmp-0a1b2c3d.exr"  # another chunk's frame being written
    with output_lock(folder, job_identity(job.to_dict())):
        in_progress.write_bytes(b"half-written")
        result = render_job(job, frames="1001-1005")
        assert result.rendered == (1001, 1002, 1003, 1004, 1005)
        assert in_progress.exists()
    render_job(job, frames="1006-1011")  # alone in the folder: leftovers are cleared
    assert not in_progress.exists()


def test_a_different_job_is_refused_while_a_chunk_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "out" / "r.####.exr", engine={"name": "blend"})
    other = _job(source, tmp_path / "out" / "r.####.exr", engine={"name": "nearest"})
    with output_lock(tmp_path / "out", job_identity(job.to_dict())):
        with pytest.raises(RenderLockedError, match=r"another render is writing .*a different job"):
            render_job(other)
        write_job(other, tmp_path / "other.json")
        line = _refusal(
            ["render", "--job", str(tmp_path / "other.json"), "--progress", "none"], capsys
        )
        assert "a different job" in line
    assert not list((tmp_path / "out").glob("r.*"))
    assert render_job(other).rendered == OUTPUTS  # once the folder is free


def test_a_stale_lock_of_a_dead_chunk_is_taken_over(tmp_path: Path) -> None:
    import socket

    source = _plates(tmp_path / "plates")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = tmp_path / "out"
    folder.mkdir()
    stale = folder / ".vtinker-render.0123456789ab.lock"
    stale.write_text(f"{socket.gethostname()} {dead.pid} someotherjob00\n")
    job = _job(source, folder / "r.####.exr", engine={"name": "blend"})
    assert render_job(job).rendered == OUTPUTS
    assert not stale.exists()


def test_job_identity_ignores_where_the_files_are_mounted() -> None:
    studio = _job("/mnt/shows/a/plate.####.exr", "/mnt/shows/a/out/r.####.exr").to_dict()
    worker = _job("Z:\\shows\\a\\plate.####.exr", "Z:\\shows\\a\\out\\r.####.exr").to_dict()
    assert job_identity(studio) == job_identity(worker)
    slower = _job(
        "/mnt/shows/a/plate.####.exr",
        "/mnt/shows/a/out/r.####.exr",
        timing={"mode": "multiply", "multiplier": 3},
    ).to_dict()
    assert job_identity(slower) != job_identity(studio)
    renamed = _job("/mnt/shows/a/plate.####.exr", "/mnt/shows/a/out/s.####.exr").to_dict()
    assert job_identity(renamed) != job_identity(studio)


# ---------------------------------------------------------------------------------- verify


def test_verify_names_missing_and_unreadable_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "out" / "r.####.exr", engine={"name": "blend"})
    write_job(job, tmp_path / "job.json")
    render_job(job)
    assert main(["farm", "verify", str(tmp_path / "job.json")]) == 0
    assert "all 11 output frames are complete" in capsys.readouterr().err
    output_path(job.output.path, 1003).unlink()
    output_path(job.output.path, 1004).unlink()
    output_path(job.output.path, 1009).write_bytes(b"not an exr")
    result = verify_outputs(job)
    assert (result.missing, result.unreadable) == ((1003, 1004), (1009,))
    line = _refusal(["farm", "verify", str(tmp_path / "job.json")], capsys)
    assert line == (
        "vtinker: error: 3 of 11 output frames missing or unreadable: missing 1003-1004; "
        "unreadable 1009"
    )
    assert verify_outputs(job, frames="1005-1008").ok


def test_verify_for_a_check_step_prints_openjd_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    job = _job(source, tmp_path / "out" / "r.####.exr", engine={"name": "nearest"})
    write_job(job, tmp_path / "job.json")
    render_job(job, frames="1001-1010")
    code = main(["farm", "verify", str(tmp_path / "job.json"), "--progress", "openjd"])
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert out[-1] == "openjd_fail: 1 of 11 output frames missing or unreadable: missing 1011"
    assert "openjd_progress: 100.0" in out


# -------------------------------------------------------------------------------- progress


def test_render_progress_openjd_prints_farm_progress_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "plates")
    out = str(tmp_path / "out" / "r.####.exr")
    argv = ["render", source, "-o", out, "--multiply", "2", "--engine", "blend"]
    assert main([*argv, "--frames", "1001-1004", "--progress", "openjd"]) == 0
    lines = capsys.readouterr().out.splitlines()
    progress = [float(l.split(": ")[1]) for l in lines if l.startswith("openjd_progress: ")]
    assert progress == [0.0, 25.0, 50.0, 75.0, 100.0, 100.0]
    assert "openjd_status: rendering 4 frames (1001-1004), engine blend" in lines
    assert "openjd_status: frame 1002 done (2 of 4)" in lines
    assert lines[-1] == "openjd_status: 4 frames rendered in " + lines[-1].split(" in ")[1]
    assert main([*argv, "--frames", "1200", "--progress", "openjd"]) == 2
    fail = capsys.readouterr().out.splitlines()[-1]
    assert fail.startswith("openjd_fail: --frames 1200 selects none of the output frames")


# ------------------------------------------------------------------------- cost and helpers


def test_chunk_size_follows_the_cost_estimate() -> None:
    network = estimate_cost("vtinker", "cpu", width=1920, height=1080, frames=480)
    assert 100 < network.seconds_per_frame < 200 and network.chunk_size == 5  # ~10 min a task
    assert estimate_cost("vtinker", "cuda", width=1920, height=1080, frames=480).chunk_size > 5
    classical = estimate_cost("classical", "auto", width=3840, height=2160, frames=480)
    assert classical.chunk_size == 91
    assert estimate_cost("blend", "cpu", width=48, height=32, frames=480).chunk_size == 150
    assert estimate_cost("blend", "cpu", width=48, height=32, frames=11).chunk_size == 11
    assert (
        estimate_cost("blend", "cpu", width=48, height=32, frames=11, chunk_size=3).chunk_size == 3
    )


def test_openjd_ranges_are_runs_of_consecutive_frames() -> None:
    assert openjd_range((1001, 1002, 1003)) == "1001-1003"
    assert openjd_range((5,)) == "5"
    assert openjd_range((1, 2, 5, 7, 8)) == "1-2,5,7-8"


def test_the_yaml_writer_round_trips_through_a_yaml_reader() -> None:
    data = {
        "type": "CHUNK[INT]",
        "values": ["yes", "no", "1001-1010", "{{Param.X}}", "C:\\shots\\a", "tab\there", "é", ""],
        "nested": [{"a": 1, "b": [True, None]}, [], {}],
        "empty": {},
        "number": -3,
    }
    assert yaml.safe_load(dump_yaml(data, comment="a\nb")) == data
    with pytest.raises(TypeError):
        dump_yaml({"ratio": 0.5})


def test_the_farm_package_imports_without_torch() -> None:
    code = (
        "import sys\nsys.modules['torch'] = None\nsys.modules['cupy'] = None\n"
        "import vtinker_core.farm.cli, vtinker_core.farm.bundle, vtinker_core.farm.verify\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
