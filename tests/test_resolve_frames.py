"""Resolve's frame numbers as the hosts issue (#19) found them: mixed rates, a speed-changed
item, the versions' conventions, a timeline switch during a render, appends that come back
empty-handed and properties that do not stick. The fake Resolve encodes each rule with its
source (tests/fakes/resolve_frames.py); the real engine renders behind the action."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.resolve import FakeMediaPoolItem, FakeTimeline, make_scene, sequence_clip
from test_resolve_action import VTINKER, _options, _plates, needs_engine

from vtinker_core.io import read_frame
from vtinker_core.job import RenderJob
from vtinker_hosts.resolve.action import RetimeOptions, retime_current_clip
from vtinker_hosts.resolve.clip import read_current_clip
from vtinker_hosts.resolve.errors import TimelineError
from vtinker_hosts.resolve.frames import FrameConventions, clip_index
from vtinker_hosts.resolve.importer import match_clip_settings, place_above
from vtinker_hosts.resolve.job import build_job
from vtinker_hosts.resolve.product import python_menu_note, read_product

pytestmark = pytest.mark.host

VERSIONS = {"18.2": [18, 2, 4, 6, ""], "19.1": [19, 1, 3, 7, ""], "20.3": [20, 3, 2, 9, ""]}


def _touch(folder: Path, first: int, last: int) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1):
        (folder / f"shot.{frame:04d}.exr").write_bytes(b"")
    return str(folder)


def _read(scene):
    product = read_product(scene.resolve)
    return read_current_clip(
        scene.project, scene.project.GetCurrentTimeline(), scene.media_pool, product.conventions
    )


# ------------------------------------------------------------------------------ mixed rates


@pytest.mark.parametrize(
    ("clip_fps", "timeline_fps", "last_offset"),
    [("25", "24", 10), ("23.976", "24", 9), ("50", "25", 18)],
    ids=["25-on-24", "23.976-on-24", "50-on-25"],
)
@pytest.mark.parametrize("version", list(VERSIONS), ids=list(VERSIONS))
def test_the_left_offset_is_in_clip_frames_on_mixed_rates(
    tmp_path: Path, clip_fps: str, timeline_fps: str, last_offset: int, version: str
) -> None:
    """An item 50 clip frames into the clip, 10 timeline frames long: it shows clip frames
    50 + floor(k * clip/timeline) (k = 0..9), whatever the rates; the left offset is not
    scaled (a 25 fps clip on 24 would come out two frames late)."""
    folder = _touch(tmp_path / "plates", 1001, 1200)
    clip = sequence_clip(folder, "shot.", 1001, 1200, fps=clip_fps)
    scene = make_scene(clip, timeline_fps, left_offset=50, duration=10, version=VERSIONS[version])
    info, _item = _read(scene)
    assert info["source_in"] == 1051
    assert info["source_out"] == 1051 + last_offset
    assert not info["retimed"] and info["warnings"] == []


@needs_engine
def test_a_25_fps_clip_on_a_24_fps_timeline_renders_the_frames_it_shows(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1070)
    clip = sequence_clip(folder, "shot.", 1001, 1070, fps="25")
    scene = make_scene(clip, "24", left_offset=50, duration=10, record_frame=86410)
    summary = retime_current_clip(scene.resolve, _options(tmp_path / "work"))
    job = RenderJob.from_dict(json.loads((tmp_path / "work" / "job.json").read_text()))
    assert job.input.frames == "1051-1061"
    assert (summary["first"], summary["last"]) == (1051, 1060)  # 10 frames at 24 fps
    [placed] = scene.timeline.GetItemListInTrack("video", 2)
    assert (placed.GetStart(), placed.GetDuration()) == (86410, 10)


# ------------------------------------------------------------------------------ speed changes


def test_a_200_percent_item_is_read_from_its_true_source_range(tmp_path: Path) -> None:
    """At 200 % GetLeftOffset reports position / 2; the source range comes from
    GetSourceStartFrame/GetSourceEndFrame, and the job replays the item's speed as a curve."""
    folder = _touch(tmp_path / "plates", 1001, 1100)
    clip = sequence_clip(folder, "shot.", 1001, 1100, fps="24")
    scene = make_scene(clip, "24", left_offset=40, duration=10, speed=200)
    assert scene.item.GetLeftOffset() == 1001 + 20  # the warped domain, as measured
    info, _item = _read(scene)
    assert info["retimed"] and info["speed"] == pytest.approx(200.0)
    assert (info["source_in"], info["source_out"]) == (1041, 1059)
    assert "plays at 200 %" in info["warnings"][0]
    job = build_job(info, engine="nearest")
    assert job["timing"] == {
        "mode": "curve",
        "keys": [{"frame": 1041, "source": 1041.0}, {"frame": 1050, "source": 1059.0}],
        "curve_shape": "linear",
    }
    RenderJob.from_dict(job)


@needs_engine
def test_a_200_percent_item_renders_one_frame_per_timeline_frame(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1070)
    clip = sequence_clip(folder, "shot.", 1001, 1070, fps="24")
    scene = make_scene(clip, "24", left_offset=40, duration=10, record_frame=86400, speed=200)
    summary = retime_current_clip(scene.resolve, _options(tmp_path / "work", engine="nearest"))
    assert (summary["first"], summary["last"]) == (1041, 1050)
    out = Path(summary["output"].replace("####", "1042"))
    source = read_frame(Path(folder) / "shot.1043.exr").pixels  # 1041 + 2 × 1
    assert read_frame(out).pixels.max() == pytest.approx(source.max(), abs=1e-3)


def test_a_reversed_item_reads_its_range_backwards(tmp_path: Path) -> None:
    folder = _touch(tmp_path / "plates", 1001, 1100)
    clip = sequence_clip(folder, "shot.", 1001, 1100, fps="24")
    scene = make_scene(clip, "24", left_offset=60, duration=10)
    scene.item.GetSourceEndFrame = lambda: 1001 + 50  # a reversed item: end before start
    info, _item = _read(scene)
    assert info["retimed"] and info["speed"] < 0
    assert (info["source_in"], info["source_out"]) == (1052, 1061)


# ------------------------------------------------------------------------------ conventions


@pytest.mark.parametrize("version", list(VERSIONS), ids=list(VERSIONS))
@pytest.mark.parametrize("first", [1001, 1, 0])
def test_sequence_offsets_read_the_same_in_every_version(
    tmp_path: Path, version: str, first: int
) -> None:
    """18.x counts image-sequence frames from the clip's first (0), 19+ by file number
    (issue #19): the clip frames used are the same either way."""
    folder = _touch(tmp_path / "plates", first, first + 19)
    clip = sequence_clip(folder, "shot.", first, first + 19)
    scene = make_scene(clip, "24", left_offset=3, duration=5, version=VERSIONS[version])
    info, _item = _read(scene)
    assert (info["source_in"], info["source_out"]) == (first + 3, first + 7)


def test_clip_index_prefers_the_reading_inside_the_clip() -> None:
    assert clip_index(1004, 1001, 20, file_base=False) == 3  # 1004 is past a 20-frame clip
    assert clip_index(3, 1001, 20, file_base=True) == 3  # 3 - 1001 is before it
    assert clip_index(4, 1, 20, file_base=True) == 3  # both inside: the version decides
    assert clip_index(4, 1, 20, file_base=False) == 4
    assert FrameConventions([19, 1, 3]).end_inclusive
    assert not FrameConventions([20, 3, 2]).end_inclusive
    assert not FrameConventions([18, 6, 6]).source_range


def _sequence_scene(tmp_path: Path, version: str):
    clip = sequence_clip(str(tmp_path), "r.", 1004, 1008)
    scene = make_scene(FakeMediaPoolItem({"File Path": "/p/a.mov"}), version=VERSIONS[version])
    return scene, clip


@pytest.mark.parametrize("version", list(VERSIONS), ids=list(VERSIONS))
def test_the_result_is_placed_whole_in_every_version(tmp_path: Path, version: str) -> None:
    scene, clip = _sequence_scene(tmp_path, version)
    item, track = place_above(
        scene.media_pool, scene.timeline, clip, 5, 86400, 1, project=scene.project
    )
    assert (track, item.GetStart(), item.GetDuration()) == (2, 86400, 5)


def test_a_start_and_end_frame_would_land_differently_by_version() -> None:
    """Why the whole clip is appended: the same startFrame 0 / endFrame 5 of a 10-frame movie
    gives 5 frames on 18.x and 20+ (exclusive end) but 6 on 19.1 (inclusive end)."""
    lengths = {}
    for version in VERSIONS:
        movie = FakeMediaPoolItem({"File Path": "/m/a.mov", "Frames": "10", "FPS": "24"})
        scene = make_scene(None, version=VERSIONS[version])
        info = {"mediaPoolItem": movie, "startFrame": 0, "endFrame": 5, "trackIndex": 1}
        [placed] = scene.media_pool.AppendToTimeline([{**info, "recordFrame": 90000}])
        lengths[version] = placed.GetDuration()
    assert lengths == {"18.2": 5, "19.1": 6, "20.3": 5}


# ------------------------------------------------------------------------------ the timeline


@needs_engine
def test_a_timeline_switch_during_the_render_still_places_on_the_clips_timeline(
    tmp_path: Path,
) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1012)
    clip = sequence_clip(folder, "shot.", 1001, 1012, fps="24")
    scene = make_scene(clip, "24", left_offset=3, duration=5, record_frame=86430)
    other = FakeTimeline(fps="24", name="Timeline 2")
    scene.project.timelines.append(other)

    def user_switches(line: str) -> None:  # the editor opens another timeline meanwhile
        if line.startswith("frame"):
            scene.project.SetCurrentTimeline(other)

    options = RetimeOptions(
        engine_bin=str(Path(VTINKER).parent),
        ui="none",
        engine="blend",
        work_dir=str(tmp_path / "work"),
        log=user_switches,
    )
    summary = retime_current_clip(scene.resolve, options)

    assert summary["track"] == 2
    [placed] = scene.timeline.GetItemListInTrack("video", 2)
    assert (placed.GetStart(), placed.GetDuration()) == (86430, 5)
    assert other.GetItemListInTrack("video", 1) == []  # nothing landed on the other timeline
    assert scene.project.GetCurrentTimeline() is other  # the editor's choice is restored


def test_a_timeline_that_cannot_be_made_current_again_says_so(tmp_path: Path) -> None:
    scene, clip = _sequence_scene(tmp_path, "20.3")
    other = FakeTimeline(name="Timeline 2")
    scene.project.timelines.append(other)
    scene.project.SetCurrentTimeline(other)
    scene.project.refuse_switch = True
    with pytest.raises(TimelineError, match="could not be made the current timeline again"):
        place_above(scene.media_pool, scene.timeline, clip, 5, 86400, 1, project=scene.project)


@pytest.mark.parametrize(("refusal", "placed"), [("null-id", False), ("null-id-placed", True)])
def test_an_append_is_believed_only_from_the_track(
    tmp_path: Path, refusal: str, placed: bool
) -> None:
    scene, clip = _sequence_scene(tmp_path, "20.3")
    scene.media_pool.refuse_append = refusal
    if not placed:
        with pytest.raises(TimelineError, match="placed nothing there"):
            place_above(scene.media_pool, scene.timeline, clip, 5, 86400, 1)
        assert scene.timeline.GetItemListInTrack("video", 2) == []
        return
    item, _track = place_above(scene.media_pool, scene.timeline, clip, 5, 86400, 1)
    assert item.GetUniqueId() == "" and item.GetDuration() == 5


def test_a_clip_property_that_does_not_stick_is_a_warning() -> None:
    clip = FakeMediaPoolItem({"FPS": "25", "Input Color Space": "Project"})
    clip.ignore_properties = {"FPS"}  # answers True, keeps 25
    warnings = match_clip_settings(clip, "24", "", log=lambda _t: None)
    assert clip.GetClipProperty("FPS") == "25"
    assert len(warnings) == 1 and "frame rate to 24" in warnings[0]


def test_a_clip_left_at_another_rate_is_placed_short_and_says_so(tmp_path: Path) -> None:
    scene, clip = _sequence_scene(tmp_path, "20.3")
    clip.properties["FPS"] = "25"  # the result's rate did not stick: 5 frames at 25 on 24
    warnings: list[str] = []
    item, _track = place_above(
        scene.media_pool, scene.timeline, clip, 5, 86400, 1, warnings=warnings
    )
    assert item.GetDuration() == 4  # floored, as Resolve does
    assert "placed 4 frames instead of 5" in warnings[0]


# ------------------------------------------------------------------------------ the product


def test_the_product_and_version_are_read() -> None:
    scene = make_scene(None, version=[21, 1, 0, 3, "b"], product="DaVinci Resolve")
    product = read_product(scene.resolve)
    assert (product.name, product.version, product.studio) == ("DaVinci Resolve", (21, 1, 0), False)
    note = python_menu_note(product)
    assert note and "--lua-launcher" in note and "VTinker Retime (Lua)" in note
    studio = read_product(make_scene(None, version=[21, 1, 0, 3, ""]).resolve)
    assert studio.studio and python_menu_note(studio) is None
    free_20 = make_scene(None, version=[20, 3, 2, 9, ""], product="DaVinci Resolve")
    assert python_menu_note(read_product(free_20.resolve)) is None
