"""The job and hand-off built from a Resolve clip, checked with the core's own job validator."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from vtinker_core.io import images, video
from vtinker_core.job import RenderJob
from vtinker_hosts.resolve import job as job_module
from vtinker_hosts.resolve.errors import NotFileBasedError
from vtinker_hosts.resolve.job import build_handoff, build_job

pytestmark = pytest.mark.host


def _info(tmp_path: Path, **changes) -> dict:
    info = {
        "name": "shot.[1001-1020].exr",
        "file_path": str(tmp_path / "plates" / "shot.[1001-1020].exr"),
        "pattern": str(tmp_path / "plates" / "shot.####.exr"),
        "is_sequence": True,
        "extension": "exr",
        "clip_first": 1001,
        "clip_last": 1020,
        "source_in": 1004,
        "source_out": 1008,
        "clip_fps": Fraction(24),
        "timeline_fps": Fraction(24),
        "record_frame": 86430,
        "duration": 5,
        "track": 1,
        "width": 12,
        "height": 8,
        "input_color_space": "",
        "start_tc": "",
        "on_timeline": True,
        "warnings": [],
    }
    info.update(changes)
    return info


def test_same_rate_clip_gives_a_valid_speed_100_job(tmp_path: Path) -> None:
    job = build_job(_info(tmp_path), engine="blend")
    assert RenderJob.from_dict(job).to_dict() == job  # exactly the core's job-file form
    assert job["input"] == {
        "path": str(tmp_path / "plates" / "shot.####.exr"),
        "frames": "1004-1008",
        "colorspace": None,
    }
    assert job["timing"] == {
        "mode": "speed",
        "speed": 1.0,
        "centre_samples": False,
    }
    out = job["output"]
    folder = tmp_path / "plates" / "vtinker" / "shot_vtinker_v001"
    assert out["path"] == str(folder / "shot_vtinker_v001.####.exr")
    assert (out["bit_depth"], out["compression"], out["fps"]) == ("half", "zip", "24")
    assert job["engine"]["name"] == "blend"


def test_mixed_rate_clip_gives_a_conversion_to_the_timeline_rate(tmp_path: Path) -> None:
    info = _info(tmp_path, clip_fps=Fraction(25), timeline_fps=Fraction(24000, 1001))
    job = build_job(info)
    assert RenderJob.from_dict(job).to_dict() == job
    assert job["timing"] == {
        "mode": "fps",
        "source_fps": "25",
        "output_fps": "24000/1001",
    }
    assert job["output"]["fps"] == "24000/1001"
    assert job["engine"]["name"] == "auto"


def test_dpx_stays_dpx_and_keeps_its_bit_depth(tmp_path: Path) -> None:
    info = _info(tmp_path, pattern=str(tmp_path / "scan_#######.dpx"), extension="dpx")
    job = build_job(info)
    RenderJob.from_dict(job)
    assert job["output"]["path"].endswith("scan_vtinker_v001.#######.dpx")
    assert (job["output"]["bit_depth"], job["output"]["compression"]) == (None, None)


def test_a_movie_becomes_an_exr_sequence(tmp_path: Path) -> None:
    movie = str(tmp_path / "A001_C002.mov")
    info = _info(tmp_path, pattern=movie, is_sequence=False, extension="mov", source_in=0)
    job = build_job(info)
    RenderJob.from_dict(job)
    assert job["input"]["path"] == movie
    assert job["output"]["path"] == os.path.join(
        str(tmp_path), "vtinker", "A001_C002_vtinker_v001", "A001_C002_vtinker_v001.####.exr"
    )


def test_each_run_gets_a_new_version_folder(tmp_path: Path) -> None:
    parent = tmp_path / "plates" / "vtinker"
    (parent / "shot_vtinker_v001").mkdir(parents=True)
    (parent / "shot_vtinker_v007").mkdir()
    (parent / "shot_vtinker_v009_old").mkdir()  # not a version folder
    job = build_job(_info(tmp_path))
    assert "shot_vtinker_v008" in job["output"]["path"]


def test_a_chosen_output_folder_is_used(tmp_path: Path) -> None:
    job = build_job(_info(tmp_path), output_dir=str(tmp_path / "renders"))
    assert job["output"]["path"].startswith(str(tmp_path / "renders" / "shot_vtinker_v001"))


def test_formats_the_engine_cannot_read_are_refused_clearly(tmp_path: Path) -> None:
    info = _info(tmp_path, pattern="/cam/A001.braw", is_sequence=False, extension="braw")
    with pytest.raises(NotFileBasedError, match=r"cannot read 'shot.*BRAW file.*Deliver page"):
        build_job(info)


def test_the_format_tables_match_the_engine() -> None:
    assert {ext.lstrip(".") for ext in images._FORMATS} == set(job_module.IMAGE_EXTENSIONS)
    assert {ext.lstrip(".") for ext in video.VIDEO_EXTENSIONS} == set(job_module.VIDEO_EXTENSIONS)


def test_the_handoff_follows_the_agreed_contract(tmp_path: Path) -> None:
    info = _info(tmp_path, timeline_fps=Fraction(30000, 1001), clip_fps=Fraction(25), track=2)
    job = build_job(info)
    result_path = str(tmp_path / "work" / "result.json")
    handoff = build_handoff(job, info, result_path)
    assert handoff == {
        "version": 1,
        "job": job,
        "clip": {
            "name": "shot.[1001-1020].exr",
            "timeline_fps": "30000/1001",
            "record_frame": 86430,
            "track": 2,
        },
        "result_path": result_path,
    }


def test_the_window_side_reads_our_handoff_and_we_read_its_results(tmp_path: Path) -> None:
    """Both halves of the contract against the window's own reader and writer."""
    ui_handoff = pytest.importorskip("vtinker_ui.handoff")
    from vtinker_hosts.resolve.handoff import check_result

    info = _info(tmp_path, clip_fps=Fraction(25), track=3)
    document = build_handoff(build_job(info), info, str(tmp_path / "result.json"))
    parsed = ui_handoff.parse_handoff(json.loads(json.dumps(document)))
    assert parsed.job == document["job"]
    assert (parsed.clip.name, parsed.clip.timeline_fps) == ("shot.[1001-1020].exr", "24")
    assert (parsed.clip.record_frame, parsed.clip.track) == (86430, 3)
    assert parsed.result_path == tmp_path / "result.json"

    rendered = ui_handoff.rendered_result(
        output="/out/r.####.exr", first=1001, last=1010, fps=Fraction(24000, 1001)
    )
    assert check_result(json.loads(json.dumps(rendered))) == {
        "version": 1,
        "status": "rendered",
        "output": "/out/r.####.exr",
        "first": 1001,
        "last": 1010,
        "fps": "24000/1001",
    }
    cancelled = ui_handoff.cancelled_result()
    assert check_result(cancelled) == {"version": 1, "status": "cancelled"}
