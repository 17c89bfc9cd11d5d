"""Bringing a result into the fake Resolve: the bin, one sequence clip, placement, takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.resolve import FakeMediaPoolItem, FakeTimelineItem, make_scene

from vtinker_hosts.resolve.errors import MediaPoolError, TimelineError
from vtinker_hosts.resolve.importer import (
    add_take,
    ensure_bin,
    import_sequence,
    match_clip_settings,
    place_above,
)

pytestmark = pytest.mark.host


def _frames(folder: Path, first: int, last: int) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1):
        (folder / f"r.{frame:04d}.exr").write_bytes(b"")
    return str(folder / "r.####.exr")


@pytest.fixture
def scene():
    return make_scene(FakeMediaPoolItem({"File Path": "/plates/a.mov"}), record_frame=86400)


def test_the_bin_is_created_once_then_reused(scene) -> None:
    first = ensure_bin(scene.media_pool)
    assert first.GetName() == "VTinker"
    assert ensure_bin(scene.media_pool) is first
    assert [f.GetName() for f in scene.media_pool.root.subfolders] == ["VTinker"]


def test_a_refused_bin_says_so(scene) -> None:
    scene.media_pool.refuse_add_subfolder = True
    with pytest.raises(MediaPoolError, match="could not create the Media Pool bin 'VTinker'"):
        ensure_bin(scene.media_pool)


def test_one_sequence_clip_is_imported_with_a_printf_pattern(scene, tmp_path: Path) -> None:
    pattern = _frames(tmp_path / "out", 1001, 1003)
    folder = ensure_bin(scene.media_pool)
    clip = import_sequence(scene.media_pool, folder, pattern, 1001, 1003)
    assert scene.media_pool.import_calls == [
        [{"FilePath": str(tmp_path / "out" / "r.%04d.exr"), "StartIndex": 1001, "EndIndex": 1003}]
    ]
    assert folder.GetClipList() == [clip]
    assert clip.GetClipProperty("Frames") == "3"
    assert scene.media_pool.GetCurrentFolder() is scene.media_pool.root  # restored


@pytest.mark.parametrize("answer", [None, []])
def test_an_import_that_gives_nothing_says_so(scene, tmp_path: Path, answer) -> None:
    pattern = _frames(tmp_path / "out", 1001, 1002)
    scene.media_pool.import_answer = answer
    with pytest.raises(MediaPoolError, match=r"did not import the result \(ImportMedia gave"):
        import_sequence(scene.media_pool, ensure_bin(scene.media_pool), pattern, 1001, 1002)
    assert scene.media_pool.GetCurrentFolder() is scene.media_pool.root


def test_individual_frames_are_not_taken_for_a_clip(scene, tmp_path: Path) -> None:
    pattern = _frames(tmp_path / "out", 1001, 1002)
    scene.media_pool.import_answer = [FakeMediaPoolItem({}), FakeMediaPoolItem({})]
    with pytest.raises(MediaPoolError, match="Show Individual Frames"):
        import_sequence(scene.media_pool, ensure_bin(scene.media_pool), pattern, 1001, 1002)


def test_a_missing_frame_is_named_before_resolve_is_asked(scene, tmp_path: Path) -> None:
    pattern = _frames(tmp_path / "out", 1001, 1002)
    with pytest.raises(MediaPoolError, match=r"frame 1003 is missing: .*r\.1003\.exr"):
        import_sequence(scene.media_pool, ensure_bin(scene.media_pool), pattern, 1001, 1003)
    assert scene.media_pool.import_calls == []


def test_placement_goes_on_the_track_above_at_the_record_frame(scene) -> None:
    clip = FakeMediaPoolItem({"Frames": "5"})
    item, track = place_above(scene.media_pool, scene.timeline, clip, 5, 86400, 1)
    assert track == 2
    # The whole clip, no startFrame/endFrame: their base and inclusivity vary by version.
    assert scene.media_pool.append_calls[-1] == [
        {"mediaPoolItem": clip, "trackIndex": 2, "recordFrame": 86400, "mediaType": 1}
    ]
    assert scene.timeline.GetItemListInTrack("video", 2) == [item]
    assert (item.GetStart(), item.GetDuration()) == (86400, 5)


def test_an_occupied_track_above_is_skipped(scene) -> None:
    scene.timeline.put(FakeTimelineItem(None, 86402, 10), 2)  # overlaps
    scene.timeline.put(FakeTimelineItem(None, 86300, 100), 3)  # ends exactly at 86400: free
    _item, track = place_above(scene.media_pool, scene.timeline, FakeMediaPoolItem({}), 5, 86400, 1)
    assert track == 3


def test_a_track_is_added_when_every_track_above_is_taken(scene) -> None:
    scene.timeline.put(FakeTimelineItem(None, 86400, 10), 2)
    _item, track = place_above(scene.media_pool, scene.timeline, FakeMediaPoolItem({}), 5, 86400, 1)
    assert track == 3 and scene.timeline.GetTrackCount("video") == 3


def test_no_room_and_no_new_track_says_so(scene) -> None:
    scene.timeline.put(FakeTimelineItem(None, 86400, 10), 2)
    scene.timeline.refuse_add_track = True
    with pytest.raises(TimelineError, match="no free video track above V1"):
        place_above(scene.media_pool, scene.timeline, FakeMediaPoolItem({}), 5, 86400, 1)


@pytest.mark.parametrize("refusal", ["none", "empty", "ghost"])
def test_a_refused_append_says_so(scene, refusal) -> None:
    scene.media_pool.refuse_append = refusal
    with pytest.raises(TimelineError, match=r"did not place the result on V2 at frame 86400"):
        place_above(scene.media_pool, scene.timeline, FakeMediaPoolItem({}), 5, 86400, 1)


def test_a_take_is_added_and_selected(scene) -> None:
    clip = FakeMediaPoolItem({})
    assert add_take(scene.item, clip) == 2
    assert scene.item.takes[-1] is clip and scene.item.selected_take == 2


def test_a_refused_take_says_so(scene) -> None:
    scene.item.refuse_take = True
    with pytest.raises(TimelineError, match="could not add the result as a take"):
        add_take(scene.item, FakeMediaPoolItem({}))


def test_clip_settings_follow_the_result_and_refusals_are_warnings() -> None:
    clip = FakeMediaPoolItem({"FPS": "25", "Input Color Space": "Project"})
    assert match_clip_settings(clip, "24000/1001", "ACEScct", log=lambda _t: None) == []
    assert clip.GetClipProperty("FPS") == "23.976"
    assert clip.GetClipProperty("Input Color Space") == "ACEScct"
    stubborn = FakeMediaPoolItem({"FPS": "25"})
    stubborn.refuse_properties = {"FPS", "Input Color Space"}
    warnings = match_clip_settings(stubborn, "24", "Rec.709", log=lambda _t: None)
    assert len(warnings) == 2 and "frame rate to 24" in warnings[0]
