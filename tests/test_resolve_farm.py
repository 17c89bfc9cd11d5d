"""The Resolve action's "render on the farm" (farm issue #17, host part): the job and an OpenJD
bundle beside the source folder (not inside it), and a later run that imports the frames once
the farm has written them. The real ``vtinker farm bundle`` / ``farm verify`` / ``render``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fakes.resolve import make_scene, sequence_clip
from test_resolve_action import VTINKER, _options, _plates, needs_engine

from vtinker_core.job import RenderJob
from vtinker_hosts.resolve.action import retime_current_clip, run_menu
from vtinker_hosts.resolve.errors import RenderError
from vtinker_hosts.resolve.farm import farm_output_parent

pytestmark = [pytest.mark.host, needs_engine, pytest.mark.slow]


def _scene(tmp_path: Path):
    folder = _plates(tmp_path / "shots" / "sh010", 1001, 1012)
    clip = sequence_clip(folder, "shot.", 1001, 1012, fps="24")
    return make_scene(clip, "24", left_offset=3, duration=5, record_frame=86430), folder


def test_a_farm_run_writes_a_bundle_and_a_later_run_imports_the_frames(tmp_path: Path) -> None:
    scene, folder = _scene(tmp_path)
    options = _options(tmp_path / "work", farm=True)

    first = retime_current_clip(scene.resolve, options)

    out = tmp_path / "shots" / "sh010_vtinker" / "shot_vtinker_v001"
    assert farm_output_parent({"pattern": f"{folder}/shot.####.exr"}) == str(out.parent)
    assert first["status"] == "submitted" and first["ui"] == "farm"
    assert first["folder"] == str(out) and first["bundle"] == f"{out}_farm"
    assert (Path(first["bundle"]) / "template.yaml").is_file()
    job = RenderJob.from_dict(json.loads((out / "shot_vtinker_v001.job.json").read_text()))
    assert job.input.frames == "1004-1008"
    assert scene.media_pool.import_calls == []

    # Before the farm has run: the same job is found, and it is not finished yet.
    pending = retime_current_clip(scene.resolve, options)
    assert pending["status"] == "pending" and "missing" in pending["message"]
    assert not (out.parent / "shot_vtinker_v002").exists()

    # The farm renders the bundle's job (what each chunk task runs).
    bundle_job = Path(first["bundle"]) / "job.json"
    subprocess.run(
        [VTINKER, "render", "--job", str(bundle_job)], check=True, capture_output=True, timeout=120
    )

    done = retime_current_clip(scene.resolve, options)

    assert done["status"] == "rendered" and (done["first"], done["last"]) == (1004, 1008)
    [placed] = scene.timeline.GetItemListInTrack("video", 2)
    assert (placed.GetStart(), placed.GetDuration()) == (86430, 5)
    assert len(scene.media_pool.import_calls) == 1


def test_the_menu_says_where_the_bundle_is_and_what_comes_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene, _folder = _scene(tmp_path)
    monkeypatch.setenv("VTINKER_RESOLVE_FARM", "1")
    monkeypatch.setenv("VTINKER_RESOLVE_ENGINE", "blend")
    lines: list[str] = []
    assert (
        run_menu(resolve=scene.resolve, engine_bin=str(Path(VTINKER).parent), log=lines.append) == 0
    )
    message = lines[-1]
    assert "Farm bundle for" in message and "deadline bundle submit" in message
    assert "Run VTinker Retime on this clip again when the farm is done" in message


def test_an_output_folder_inside_the_source_folder_is_refused(tmp_path: Path) -> None:
    scene, folder = _scene(tmp_path)
    options = _options(tmp_path / "work", farm=True, output_dir=str(Path(folder) / "retimes"))
    with pytest.raises(RenderError, match=r"No farm bundle written: .*inside"):
        retime_current_clip(scene.resolve, options)
