"""The Resolve hand-off contract: reading handoff.json, writing result.json atomically."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from vtinker_ui.handoff import (
    HandoffError,
    HandoffSession,
    cancelled_result,
    fps_text,
    output_fps,
    parse_handoff,
    read_handoff,
    rendered_result,
    write_result,
)

JOB = {
    "input": {"path": "/media/A001.mov"},
    "output": {"path": "/shots/retime/A001.####.exr"},
    "timing": {"mode": "speed", "speed": 0.5},
}


def _handoff_data(tmp_path: Path) -> dict:
    return {
        "version": 1,
        "job": JOB,
        "clip": {"name": "A001_C003", "timeline_fps": "24", "record_frame": 86400, "track": 2},
        "result_path": str(tmp_path / "result.json"),
    }


def test_a_handoff_file_is_read_with_its_clip(tmp_path: Path) -> None:
    path = tmp_path / "handoff.json"
    path.write_text(json.dumps(_handoff_data(tmp_path)), encoding="utf-8")
    handoff = read_handoff(path)
    assert handoff.job == JOB
    assert handoff.clip.name == "A001_C003"
    assert (handoff.clip.timeline_fps, handoff.clip.record_frame, handoff.clip.track) == (
        "24",
        86400,
        2,
    )
    assert handoff.result_path == tmp_path / "result.json"


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"version": 2}, "version"),
        ({"job": None}, "job"),
        ({"result_path": ""}, "result_path"),
        ({"clip": {"name": "x", "record_frame": "86400"}}, "clip.record_frame"),
    ],
)
def test_a_handoff_that_breaks_the_contract_names_the_field(
    tmp_path: Path, change: dict, setting: str
) -> None:
    data = {**_handoff_data(tmp_path), **change}
    with pytest.raises(HandoffError) as caught:
        parse_handoff(data)
    assert caught.value.setting == setting


def test_unreadable_handoffs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(HandoffError, match="cannot read"):
        read_handoff(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(HandoffError, match="not valid JSON"):
        read_handoff(bad)


def test_result_documents_have_the_agreed_shape(tmp_path: Path) -> None:
    assert rendered_result(
        output="r.####.exr", first=1001, last=1100, fps=Fraction(24000, 1001)
    ) == {
        "version": 1,
        "status": "rendered",
        "output": "r.####.exr",
        "first": 1001,
        "last": 1100,
        "fps": "24000/1001",
    }
    assert rendered_result(output="r.####.exr", first=1, last=2, fps=None)["fps"] is None
    assert cancelled_result() == {"version": 1, "status": "cancelled"}
    assert fps_text("23.976") == "24000/1001"
    assert fps_text(Fraction(24)) == "24"


def test_output_fps_follows_the_render(tmp_path: Path) -> None:
    assert output_fps({"output": {"fps": "48"}}, Fraction(24)) == Fraction(48)
    job = {"output": {}, "timing": {"mode": "fps", "output_fps": "30000/1001"}}
    assert output_fps(job, Fraction(25)) == Fraction(30000, 1001)
    assert output_fps({"output": {}, "timing": {"mode": "speed"}}, Fraction(25)) == Fraction(25)
    assert output_fps({}, None) is None


def test_results_are_written_atomically_and_replace_older_ones(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "result.json"
    write_result(target, cancelled_result())
    write_result(target, rendered_result(output="o.####.exr", first=1, last=3, fps="25"))
    assert json.loads(target.read_text())["status"] == "rendered"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]  # no temp files left


def test_a_session_writes_cancelled_only_without_a_success(tmp_path: Path) -> None:
    session = HandoffSession(parse_handoff(_handoff_data(tmp_path)))
    session.close()
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "cancelled"

    session = HandoffSession(parse_handoff(_handoff_data(tmp_path)))
    session.render_succeeded(output="o.####.exr", first=1, last=9, fps=Fraction(24))
    session.close()
    result = json.loads((tmp_path / "result.json").read_text())
    assert (result["status"], result["first"], result["last"], result["fps"]) == (
        "rendered",
        1,
        9,
        "24",
    )


def test_an_unwritable_result_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(HandoffError, match="cannot write"):
        write_result(blocker / "result.json", cancelled_result())
