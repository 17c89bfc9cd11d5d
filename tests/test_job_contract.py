"""The job as data: one schema file, one validator that names every problem, and every writer
of jobs (the CLI, the panel, the Nuke node, the Resolve action) checked against the schema."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import pytest
from jsonschema import Draft202012Validator

from vtinker_core.cli import main
from vtinker_core.engines import engine_names
from vtinker_core.io.video_write import VIDEO_CODECS
from vtinker_core.job import (
    OUTPUT_BIT_DEPTHS,
    PRECISIONS,
    RenderJob,
    check_job,
    job_schema,
    read_job,
    schema_choices,
)

VALID = {
    "input": {"path": "plates/shot.####.exr"},
    "output": {"path": "retime/shot.####.exr"},
    "timing": {"mode": "speed", "speed": 0.5},
}


def _schema_errors(job: dict) -> list[str]:
    return [e.message for e in Draft202012Validator(job_schema()).iter_errors(job)]


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_in_the_package() -> None:
    Draft202012Validator.check_schema(job_schema())
    path = Path(__import__("vtinker_core").__file__).parent
    assert (path / "schemas" / "job-1.schema.json").is_file()


def test_every_problem_is_reported_at_once_with_its_field() -> None:
    job = {
        "input": {"path": "a.####.exr", "frames": "1-x"},
        "output": {"path": "b.####.png", "vectors": True, "colour": "sRGB"},
        "timing": {"mode": "speed", "speed": -1},
        "cuts": {"threshold": 2.0},
        "tiles": {"size": 128, "overlap": 64},
        "engine": {"device": "gpu"},
    }

    problems = check_job(job)

    assert [p.setting for p in problems] == [
        "input.frames",
        "output.colour",
        "output.vectors",
        "timing.speed",
        "cuts.threshold",
        "tiles.overlap",
        "engine.device",
    ]
    with pytest.raises(Exception) as caught:
        RenderJob.from_dict(job)
    assert len(caught.value.problems) == 7  # type: ignore[attr-defined]
    assert "cuts.threshold" in str(caught.value) and "engine.device" in str(caught.value)


def test_a_cut_threshold_above_one_is_refused_when_the_job_is_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "job.json"
    argv = ["render", "a.####.exr", "-o", "b.####.exr", "--speed", "50", "--detect-cuts"]

    code = main([*argv, "--cut-threshold", "2", "--save-job", str(saved)])

    assert code == 2 and not saved.exists()
    assert "cuts.threshold: must be ≤ 1, got 2.0" in capsys.readouterr().err
    saved.write_text(json.dumps({**VALID, "cuts": {"detect": True, "threshold": 2.0}}))
    with pytest.raises(Exception, match=r"cuts\.threshold"):
        read_job(saved)


def test_the_source_frame_range_is_checked_by_the_job() -> None:
    (problem,) = check_job({**VALID, "input": {"path": "a.####.exr", "frames": "10-"}})
    assert problem.setting == "input.frames"


def test_the_schema_lists_what_the_code_offers() -> None:
    assert schema_choices("engine.name") == engine_names()
    assert schema_choices("output.codec") == tuple(VIDEO_CODECS)
    assert PRECISIONS == ("float32", "float16", "bfloat16")
    assert OUTPUT_BIT_DEPTHS == ("uint8", "uint10", "uint12", "uint16", "half", "float")


def test_jobs_the_cli_writes_follow_the_schema(tmp_path: Path) -> None:
    runs = [
        ["--speed", "50"],
        ["--fps", "59.94", "--source-fps", "23.976"],
        ["--multiply", "4", "--detect-cuts", "--cuts", "1005"],
        ["--fill", "1003,1005-1006", "--tile-size", "512", "--tile-overlap", "32"],
    ]
    for i, flags in enumerate(runs):
        saved = tmp_path / f"job{i}.json"
        argv = ["render", "a.####.exr", "-o", "b.####.exr", *flags, "--save-job", str(saved)]
        assert main(argv) == 0
        assert _schema_errors(json.loads(saved.read_text())) == [], flags


@pytest.mark.host
def test_jobs_the_nuke_node_writes_follow_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakes.nuke import new_nuke_module

    fake: ModuleType = new_nuke_module()
    monkeypatch.setitem(sys.modules, "nuke", fake)
    from vtinker_hosts.nuke import job as nuke_job
    from vtinker_hosts.nuke import node as nuke_node
    from vtinker_hosts.nuke import settings as nuke_settings

    read = fake.nodes.Read(file="/plates/shot.%04d.exr", first=1001, last=1010)
    read.setSelected(True)
    group = nuke_node.create_node()
    for timing in ("Output Speed", "Input Speed", "Frame"):
        group["timing2"].setValue(timing)
        settings = nuke_settings.read_settings(group)
        source = nuke_job.SourceInfo("/plates/shot.%04d.exr", 1001, 1010)
        job = nuke_job.build_job(settings, source, "/retime/VTinkerRetime1.####.exr")
        assert _schema_errors(job) == [], timing


@pytest.mark.host
def test_jobs_the_resolve_action_writes_follow_the_schema(tmp_path: Path) -> None:
    from test_resolve_job import _info

    from vtinker_hosts.resolve.job import build_job

    for rates in ((Fraction(24), Fraction(24)), (Fraction(25), Fraction(24000, 1001))):
        info = _info(tmp_path, clip_fps=rates[0], timeline_fps=rates[1])
        assert _schema_errors(build_job(info)) == [], rates
