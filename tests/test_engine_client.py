"""The hosts' one engine client against the real engine: records that follow the progress
schema, the exit codes the schema names, cancel, the environment, start failures."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from vtinker_core import cli
from vtinker_core.frame import Frame
from vtinker_core.io import write_frame
from vtinker_core.progress import progress_schema
from vtinker_hosts import engine_client
from vtinker_hosts.engine_client import EngineRun, EngineStartError, engine_command, run_engine

ENGINE = [sys.executable, "-m", "vtinker_core.cli"]


def _job(tmp_path: Path, frames: int = 3, multiplier: int = 2, **timing: object) -> Path:
    folder = tmp_path / "plates"
    folder.mkdir()
    for i in range(frames):
        write_frame(
            folder / f"p.{1 + i:04d}.exr", Frame.from_array(np.full((8, 8, 3), 0.1 * i, np.float32))
        )
    job = {
        "input": {"path": str(folder / "p.####.exr")},
        "output": {"path": str(tmp_path / "out" / "r.####.exr")},
        "timing": {"mode": "multiply", "multiplier": multiplier, **timing},
        "engine": {"name": "blend"},
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return path


def test_the_exit_codes_are_the_schemas_everywhere() -> None:
    codes = progress_schema()["x-exit-codes"]
    assert (
        codes["ok"],
        codes["error"],
        codes["cancelled"],
    ) == (engine_client.EXIT_OK, engine_client.EXIT_ERROR, engine_client.EXIT_CANCELLED)
    assert (codes["error"], codes["cancelled"]) == (cli.EXIT_ERROR, cli.EXIT_CANCELLED)
    assert tuple(progress_schema()["properties"]["event"]["enum"]) == engine_client.EVENTS


def test_a_run_gives_records_that_follow_the_schema(tmp_path: Path) -> None:
    job = _job(tmp_path)
    seen: list[dict] = []

    result = run_engine(engine_command(ENGINE, job), on_record=seen.append)

    assert result.ok and result.returncode == 0 and result.frames == (1, 5)
    validator = Draft202012Validator(progress_schema())
    for record in result.records:
        assert list(validator.iter_errors(record)) == [], record
    assert [r["event"] for r in result.records] == ["start", *["frame"] * 5, "done"]
    assert seen == result.records
    assert result.records[0]["engine"] == "blend" and result.records[0]["reason"] == "asked for"


def test_an_error_is_a_schema_record_with_its_setting(tmp_path: Path) -> None:
    job = _job(tmp_path)
    data = json.loads(job.read_text())
    data["input"]["frames"] = "1-99"
    job.write_text(json.dumps(data))

    result = run_engine(engine_command(ENGINE, job))

    assert result.returncode == engine_client.EXIT_ERROR and not result.ok
    assert list(Draft202012Validator(progress_schema()).iter_errors(result.error)) == []
    assert result.message.startswith("frames 4-99 missing in ")  # the engine's own line


def test_cancel_stops_after_the_current_frame(tmp_path: Path) -> None:
    job = _job(tmp_path, frames=4, multiplier=40)
    run = EngineRun(engine_command(ENGINE, job))
    frames: list[int] = []

    def on_record(record: dict) -> None:
        if record["event"] == "frame":
            frames.append(record["frame"])
            if len(frames) == 2:
                threading.Thread(target=run.cancel).start()  # from another thread, as a UI

    result = run.wait(on_record=on_record)

    assert result.cancelled and result.returncode == engine_client.EXIT_CANCELLED
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert 2 <= len(written) < 121  # the frames finished, each whole, no temporary file
    assert all(name.startswith("r.") and name.endswith(".exr") for name in written)


def test_the_engine_does_not_inherit_the_hosts_python() -> None:
    env = engine_client.engine_environment(
        {"PYTHONHOME": "/nuke/python", "PYTHONPATH": "/nuke/lib", "PATH": "/usr/bin", "HOME": "/h"}
    )
    assert "PYTHONHOME" not in env and "PYTHONPATH" not in env
    assert env["PATH"] == "/usr/bin" and env["PYTHONUNBUFFERED"] == "1"


def test_a_missing_engine_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(EngineStartError, match="no-such-vtinker"):
        run_engine(engine_command([str(tmp_path / "no-such-vtinker")], tmp_path / "job.json"))


def test_the_engine_does_not_inherit_the_hosts_libraries_qt_or_plugin_paths() -> None:
    """What Nuke and Resolve launch with (their own Python, loader paths, Qt, plug-in paths) must
    not reach the engine: torch, OCIO or Qt there would load the host's copies."""
    host = {
        "PATH": "/usr/bin",
        "HOME": "/h",
        "OCIO": "/show/config.ocio",  # the user's colour config: the engine must keep it
        "PYTHONHOME": "/opt/Nuke15/python",
        "PYTHONSAFEPATH": "1",
        "PYTHONWARNINGS": "error",
        "LD_LIBRARY_PATH": "/opt/Nuke15:/opt/Nuke15/lib",
        "LD_PRELOAD": "/opt/resolve/libs/libfoo.so",
        "DYLD_LIBRARY_PATH": "/Applications/Nuke15/Contents/Frameworks",
        "DYLD_FRAMEWORK_PATH": "/Applications/Nuke15/Contents/Frameworks",
        "QT_PLUGIN_PATH": "/opt/Nuke15/plugins/qt",
        "QT_QPA_PLATFORM_PLUGIN_PATH": "/opt/resolve/libs/plugins",
        "QML2_IMPORT_PATH": "/opt/resolve/qml",
        "NUKE_PATH": "/studio/nuke",
        "OFX_PLUGIN_PATH": "/studio/ofx",
        "TCL_LIBRARY": "/opt/Nuke15/tcl",
    }
    env = engine_client.engine_environment(host)
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/h",
        "OCIO": "/show/config.ocio",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    # A name the user asks to keep passes through (say, CUDA found only via LD_LIBRARY_PATH).
    kept = engine_client.engine_environment(
        {**host, "VTINKER_KEEP_ENV": "LD_LIBRARY_PATH, QT_PLUGIN_PATH"}
    )
    assert kept["LD_LIBRARY_PATH"] == host["LD_LIBRARY_PATH"]
    assert kept["QT_PLUGIN_PATH"] == host["QT_PLUGIN_PATH"]
    assert "DYLD_LIBRARY_PATH" not in kept and "PYTHONHOME" not in kept


def test_a_real_engine_started_from_a_host_like_environment_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine runs when started from inside a host that set its own Python, loader and Qt
    variables (here: ones that would break this interpreter if they were inherited)."""
    job = _job(tmp_path)
    broken = tmp_path / "host-python"
    broken.mkdir()
    (broken / "site.py").write_text("raise SystemExit('the host site.py was loaded')\n")
    monkeypatch.setenv("PYTHONHOME", str(broken))
    monkeypatch.setenv("PYTHONPATH", str(broken))
    monkeypatch.setenv("QT_PLUGIN_PATH", str(broken))
    monkeypatch.setenv("LD_PRELOAD", str(broken / "libnothere.so"))  # ld.so warns, runs on

    result = run_engine(engine_command(ENGINE, job))

    assert result.ok, result.message
    assert len(list((tmp_path / "out").glob("r.*.exr"))) == 5


@pytest.mark.slow
def test_the_farm_commands_run_the_real_engine(tmp_path: Path) -> None:
    job = _job(tmp_path)
    bundle = engine_client.run_farm(
        engine_client.farm_bundle_command(
            ENGINE, job, tmp_path / "farm", chunk_size=2, name="sh010 retime"
        )
    )
    assert bundle.ok, bundle.message
    assert bundle.folder == str(tmp_path / "farm")
    assert (tmp_path / "farm" / "template.yaml").is_file()
    assert any("bundle 'sh010 retime' written" in note for note in bundle.notes)
    missing = engine_client.run_farm(engine_client.farm_verify_command(ENGINE, job))
    assert not missing.ok and "missing" in missing.message
    assert run_engine(engine_command(ENGINE, job)).ok
    assert engine_client.run_farm(engine_client.farm_verify_command(ENGINE, job)).ok
    # A refusal is the engine's one error line.
    inside = json.loads(job.read_text())
    inside["output"]["path"] = str(tmp_path / "plates" / "retimed" / "r.####.exr")
    job.write_text(json.dumps(inside))
    refused = engine_client.run_farm(
        engine_client.farm_bundle_command(ENGINE, job, tmp_path / "farm2")
    )
    assert refused.returncode == engine_client.EXIT_ERROR and refused.folder is None
    assert "inside" in refused.message and not refused.message.startswith("vtinker")
