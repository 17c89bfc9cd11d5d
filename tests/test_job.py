"""The job document: validated with messages that name the bad field, and round-tripped."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from vtinker_core.errors import JobError
from vtinker_core.job import RenderJob, TileSettings, read_job, write_job


def _job(**overrides: object) -> dict:
    data = {
        "version": 1,
        "input": {"path": "plates/shot.####.exr", "frames": "1001-1010"},
        "output": {"path": "retime/shot.####.exr", "bit_depth": "half", "fps": "24000/1001"},
        "timing": {"mode": "speed", "speed": 0.5},
        "cuts": {"detect": True, "frames": [1005]},
        "tiles": {"size": 512, "overlap": 32},
        "engine": {"name": "classical", "device": "cpu"},
    }
    data.update(overrides)
    return data


def test_a_full_job_reads_and_round_trips() -> None:
    job = RenderJob.from_dict(_job())
    assert job.input.path == "plates/shot.####.exr"
    assert job.output.fps == Fraction(24000, 1001)
    assert job.timing.speed == 0.5
    assert job.cuts.frames == (1005,)
    assert job.tiles.size == 512 and job.tiles.overlap == 32
    assert job.engine.name == "classical"
    again = RenderJob.from_dict(json.loads(json.dumps(job.to_dict())))
    assert again == job


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"input": {}}, "input.path"),
        ({"output": {"path": "x.exr", "bit_depth": "int7"}}, "output.bit_depth"),
        ({"output": {"path": "x.png", "vectors": True}}, "output.vectors"),
        ({"output": {"path": "x.exr", "start": "one"}}, "output.start"),
        ({"timing": {"mode": "speed", "speed": -1}}, "timing.speed"),
        ({"timing": {"mode": "warp"}}, "timing.mode"),
        ({"engine": {"name": "magic"}}, "engine.name"),
        ({"engine": {"precision": "float8"}}, "engine.precision"),
        ({"engine": {"device": "tpu"}}, "engine.device"),
        ({"cuts": {"threshold": -2}}, "cuts.threshold"),
        ({"colour": {}}, "colour"),
        ({"version": 7}, "version"),
    ],
)
def test_bad_fields_are_named(change: dict, setting: str) -> None:
    with pytest.raises(JobError) as info:
        RenderJob.from_dict(_job(**change))
    assert info.value.setting is not None
    assert info.value.setting.startswith(setting)
    assert setting.split(".")[-1] in str(info.value)


def test_missing_timing_is_an_error() -> None:
    data = _job()
    del data["timing"]
    with pytest.raises(JobError, match="timing"):
        RenderJob.from_dict(data)


def test_job_files_round_trip_and_name_themselves_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    job = RenderJob.from_dict(_job())
    write_job(job, path)
    assert read_job(path) == job
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(JobError, match=r"job\.json.*not valid JSON"):
        read_job(path)
    path.write_text(json.dumps(_job(engine={"name": "magic"})), encoding="utf-8")
    with pytest.raises(JobError, match=r"job\.json: engine\.name: 'magic'"):
        read_job(path)
    with pytest.raises(JobError, match="cannot read job file"):
        read_job(tmp_path / "missing.json")


# --- tile settings --------------------------------------------------------------------------------


def test_tile_settings_round_trip_and_defaults():
    assert TileSettings().to_dict() == {"size": "auto", "overlap": 64}
    settings = TileSettings.from_dict({"size": 1024, "overlap": 32})
    assert settings == TileSettings(1024, 32)
    assert TileSettings.from_dict(settings.to_dict()) == settings
    assert TileSettings.from_dict({}) == TileSettings()
    assert TileSettings.from_dict({"size": "AUTO"}).size is None
    assert TileSettings.from_dict({"size": None, "overlap": "16"}) == TileSettings(None, 16)
    assert TileSettings.from_dict({"size": "512"}).size == 512


@pytest.mark.parametrize(
    ("data", "setting"),
    [
        ({"size": 32}, "tiles.size"),
        ({"size": 512.5}, "tiles.size"),
        ({"size": True}, "tiles.size"),
        ({"size": "big"}, "tiles.size"),
        ({"overlap": -1}, "tiles.overlap"),
        ({"size": 128, "overlap": 64}, "tiles.overlap"),
        ({"size": 64, "overlap": 40}, "tiles.overlap"),
        ({"overlap": 1.5}, "tiles.overlap"),
        ({"sise": 64}, "tiles.sise"),
    ],
)
def test_tile_settings_reject_bad_values_naming_the_setting(data, setting):
    with pytest.raises(JobError) as info:
        TileSettings.from_dict(data)
    assert info.value.setting == setting


def test_tile_settings_reject_non_mapping():
    with pytest.raises(JobError) as info:
        TileSettings.from_dict([1024])  # type: ignore[arg-type]
    assert info.value.setting == "tiles"
