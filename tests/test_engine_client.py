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
