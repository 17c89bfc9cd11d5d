"""Reading the clip to retime from the fake Resolve: paths, rates, offsets, and clear refusals."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from fakes.resolve import (
    FakeMediaPoolItem,
    FakeProject,
    FakeTimeline,
    FakeTimelineItem,
    make_scene,
    sequence_clip,
)

from vtinker_hosts.resolve import clip as clip_module
from vtinker_hosts.resolve.clip import (
    parse_rate,
    printf_pattern,
    read_current_clip,
    sequence_from_path,
)
from vtinker_hosts.resolve.errors import NoClipError, NotFileBasedError

pytestmark = pytest.mark.host


def _touch_frames(folder: Path, prefix: str, first: int, last: int, ext: str = "exr") -> str:
    """Empty frame files: enough for the reader, which only checks that the media is online."""
    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1):
        (folder / f"{prefix}{frame:04d}.{ext}").write_bytes(b"")
    return str(folder)


def _read(scene):
    project = scene.resolve.GetProjectManager().GetCurrentProject()
    return read_current_clip(project, project.GetCurrentTimeline(), project.GetMediaPool())


@pytest.mark.parametrize(
    ("file_path", "expected"),
    [
        ("/plates/shot.[1001-1100].exr", ("/plates/shot.####.exr", 1001, 1100, 4)),
        ("/plates/shot_[001-100].dpx", ("/plates/shot_###.dpx", 1, 100, 3)),
        ("/p/v1.2/shot.[1-10].png", ("/p/v1.2/shot.#.png", 1, 10, 1)),
        ("C:\\plates\\a.[0998-1002].exr", ("C:\\plates\\a.####.exr", 998, 1002, 4)),
        ("/plates/plate.%04d.exr", ("/plates/plate.####.exr", None, None, 4)),
        ("/plates/plate.####.tif", ("/plates/plate.####.tif", None, None, 4)),
        ("/media/A001_C002.mov", None),
    ],
)
def test_resolve_sequence_notation_becomes_a_hash_pattern(file_path, expected) -> None:
    assert sequence_from_path(file_path) == expected


def test_printf_pattern_and_frame_files() -> None:
    assert printf_pattern("/out/r.####.exr") == "/out/r.%04d.exr"
    assert printf_pattern("/out/r.@@@.exr") == "/out/r.%03d.exr"
    assert printf_pattern("/out/r.#.exr") == "/out/r.%d.exr"
    assert printf_pattern("/out/r.%05d.exr") == "/out/r.%05d.exr"
    assert clip_module.frame_file("/out/r.####.exr", 7) == "/out/r.0007.exr"
    assert clip_module.frame_file("/out/r.%04d.exr", 10001) == "/out/r.10001.exr"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("24", Fraction(24)),
        ("25.000", Fraction(25)),
        ("23.976", Fraction(24000, 1001)),
        ("29.97 DF", Fraction(30000, 1001)),
        ("59.94", Fraction(60000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        ("12.5", Fraction(25, 2)),
        (30, Fraction(30)),
        ("", None),
        ("n/a", None),
        ("0", None),
    ],
)
def test_frame_rates_read_like_the_engine(text, rate) -> None:
    assert parse_rate(text) == rate


def test_clip_under_the_playhead_same_rate(tmp_path: Path) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1020)
    clip = sequence_clip(folder, "shot.", 1001, 1020, fps="24", color_space="ACEScg")
    scene = make_scene(clip, timeline_fps="24", left_offset=3, duration=5, record_frame=86430)
    info, item = _read(scene)
    assert item is scene.item
    assert info["pattern"] == f"{folder}/shot.####.exr"
    assert info["is_sequence"] and info["extension"] == "exr"
    assert (info["clip_first"], info["clip_last"]) == (1001, 1020)
    assert (info["source_in"], info["source_out"]) == (1004, 1008)
    assert info["clip_fps"] == info["timeline_fps"] == Fraction(24)
    assert (info["record_frame"], info["duration"], info["track"]) == (86430, 5, 1)
    assert (info["width"], info["height"]) == (12, 8)
    assert info["input_color_space"] == "ACEScg"
    assert info["on_timeline"] and info["warnings"] == []


def test_clip_on_a_mixed_rate_timeline_converts_offsets(tmp_path: Path) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1020)
    clip = sequence_clip(folder, "shot.", 1001, 1020, fps="25")
    scene = make_scene(
        clip, timeline_fps="24", left_offset=2, duration=10, record_frame=86410, track=2, tracks=3
    )
    info, _item = _read(scene)
    assert (info["clip_fps"], info["timeline_fps"]) == (Fraction(25), Fraction(24))
    assert (info["source_in"], info["source_out"]) == (1003, 1013)
    assert info["track"] == 2


def test_the_timeline_setting_wins_over_the_project_default(tmp_path: Path) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1010)
    scene = make_scene(sequence_clip(folder, "shot.", 1001, 1010, fps="25"), timeline_fps="24")
    scene.project.settings["timelineFrameRate"] = "30"
    info, _item = _read(scene)
    assert info["timeline_fps"] == Fraction(24)


def test_a_movie_clip_counts_frames_from_zero(tmp_path: Path) -> None:
    movie = tmp_path / "A001_C002.mov"
    movie.write_bytes(b"")
    clip = FakeMediaPoolItem(
        {"File Path": str(movie), "Frames": "48", "Start": "0", "FPS": "23.976"}, name="A001"
    )
    scene = make_scene(clip, timeline_fps="23.976", left_offset=10, duration=12)
    info, _item = _read(scene)
    assert info["pattern"] == str(movie) and not info["is_sequence"]
    assert (info["clip_first"], info["clip_last"]) == (0, 47)
    assert (info["source_in"], info["source_out"]) == (10, 21)
    assert info["clip_fps"] == Fraction(24000, 1001)


def test_one_selected_media_pool_clip_is_used_when_nothing_is_under_the_playhead(
    tmp_path: Path,
) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1008)
    clip = sequence_clip(folder, "shot.", 1001, 1008, fps="24")
    scene = make_scene(clip, under_playhead=False)
    scene.media_pool.selected = [clip]
    info, item = _read(scene)
    assert item is None and not info["on_timeline"]
    assert (info["source_in"], info["source_out"], info["track"]) == (1001, 1008, 0)


def test_properties_are_asked_one_by_one_when_no_dict_comes_back(tmp_path: Path) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1004)

    class KeyOnlyItem(FakeMediaPoolItem):
        def GetClipProperty(self, key=None):
            return None if not key else super().GetClipProperty(key)

    clip = KeyOnlyItem(sequence_clip(folder, "shot.", 1001, 1004).properties)
    scene = make_scene(clip, duration=4)
    info, _item = _read(scene)
    assert info["pattern"].endswith("shot.####.exr")
    assert (info["source_in"], info["source_out"]) == (1001, 1004)


# ------------------------------------------------------------------------------ refusals


def test_no_timeline_says_so() -> None:
    project = FakeProject()
    with pytest.raises(NoClipError, match="No timeline is open"):
        read_current_clip(project, None, project.GetMediaPool())


def test_nothing_under_the_playhead_says_how_to_pick_a_clip(tmp_path: Path) -> None:
    folder = _touch_frames(tmp_path / "plates", "shot.", 1001, 1004)
    scene = make_scene(sequence_clip(folder, "shot.", 1001, 1004), under_playhead=False)
    with pytest.raises(NoClipError, match="put the playhead over a video clip"):
        _read(scene)


def test_a_generator_is_not_file_based() -> None:
    scene = make_scene(None)
    with pytest.raises(NotFileBasedError, match="'Solid Color' is not file-based"):
        _read(scene)


def test_a_clip_without_file_path_is_not_file_based() -> None:
    clip = FakeMediaPoolItem({"File Path": "", "Frames": "100", "FPS": "24"}, name="Fusion Title")
    scene = make_scene(clip)
    with pytest.raises(NotFileBasedError, match="has no File Path"):
        _read(scene)


def test_offline_media_is_named(tmp_path: Path) -> None:
    clip = sequence_clip(str(tmp_path / "gone"), "shot.", 1001, 1010)
    scene = make_scene(clip)
    with pytest.raises(NotFileBasedError, match=r"offline: .*shot\.1001\.exr does not exist"):
        _read(scene)


def test_the_track_is_found_among_several() -> None:
    timeline = FakeTimeline()
    other = timeline.put(FakeTimelineItem(None, 86400, 10), 1)
    mine = timeline.put(FakeTimelineItem(None, 86400, 10), 3)
    assert clip_module.find_track(timeline, mine) == 3
    assert clip_module.find_track(timeline, other) == 1
    assert clip_module.find_track(timeline, FakeTimelineItem(None, 0, 1)) is None
