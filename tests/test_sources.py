"""open_source: sequences, single images and video through one interface."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.errors import FrameRangeError, ImageReadError, SequenceError, VideoError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io.images import write_frame
from vtinker_core.io.sources import open_source
from vtinker_core.io.video_write import write_video


def plate(frame: int, size: tuple[int, int] = (8, 12)) -> Frame:
    """A half-exact frame whose pixels say its number, tagged 25 fps."""
    pixels = np.full((*size, 3), frame / 4, np.float32)
    window = Window(0, 0, size[1], size[0])
    return Frame(pixels, ("R", "G", "B"), FrameMeta(window, window, fps=Fraction(25)))


def write_sequence(folder: Path, frames: range, extension: str = "exr") -> None:
    for frame in frames:
        write_frame(folder / f"shot.{frame:04d}.{extension}", plate(frame))


@pytest.mark.parametrize("spec", ["shot.####.exr", "shot.%04d.exr", "shot.1003.exr"])
def test_sequence_source(tmp_path: Path, spec: str) -> None:
    write_sequence(tmp_path, range(1001, 1006))

    with open_source(tmp_path / spec) as source:
        assert source.kind == "sequence"
        assert source.frames == (1001, 1002, 1003, 1004, 1005)
        assert (source.first, source.last) == (1001, 1005)
        assert source.fps == Fraction(25)
        assert source.file_type == "exr"
        assert source.path_for_display == str(tmp_path / "shot.####.exr")
        assert (source.info.width, source.info.height) == (12, 8)
        np.testing.assert_array_equal(source.read(1004).pixels, plate(1004).pixels)
        assert source.path(1004) == tmp_path / "shot.1004.exr"


def test_sequence_restricted_to_a_range(tmp_path: Path) -> None:
    write_sequence(tmp_path, range(1, 11), "dpx")

    source = open_source(str(tmp_path / "shot.####.dpx"), frames="2-8x3")

    assert source.frames == (2, 5, 8)
    assert source.file_type == "dpx"
    with pytest.raises(SequenceError) as caught:
        source.read(3)
    assert caught.value.frame == 3
    assert "frame 3 is not in" in str(caught.value)
    assert "(it has frames 2-8x3)" in str(caught.value)


def test_range_asking_for_missing_frames(tmp_path: Path) -> None:
    write_sequence(tmp_path, range(1, 6))

    with pytest.raises(SequenceError) as caught:
        open_source(tmp_path / "shot.####.exr", frames="4-8")

    assert caught.value.frames == (6, 7, 8)
    assert "frames 6-8 missing in" in str(caught.value)


def test_sequence_with_a_hole_fails_before_any_work(tmp_path: Path) -> None:
    write_sequence(tmp_path, range(1, 8))
    (tmp_path / "shot.0004.exr").unlink()

    with pytest.raises(SequenceError) as caught:
        open_source(tmp_path / "shot.####.exr")

    assert caught.value.frames == (4,)
    assert str(caught.value) == f"frame 4 missing in {tmp_path / 'shot.####.exr'}"


def test_sequence_with_a_frame_of_another_size(tmp_path: Path) -> None:
    write_sequence(tmp_path, range(1, 4))
    write_frame(tmp_path / "shot.0002.exr", plate(2, size=(8, 10)))

    with pytest.raises(SequenceError, match="frame 2 is 10x8 R G B, not 12x8 R G B like frame 1"):
        open_source(tmp_path / "shot.####.exr")


def test_pattern_without_frames_on_disk(tmp_path: Path) -> None:
    with pytest.raises(SequenceError, match=r"no frames of .*shot\.####\.exr found"):
        open_source(tmp_path / "shot.####.exr")


def test_single_image(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    write_frame(path, Frame.from_array(np.full((4, 6, 3), 1.0)))

    source = open_source(path)

    assert source.kind == "image"
    assert source.frames == (0,)
    assert source.file_type == "png"
    assert source.fps is None
    np.testing.assert_array_equal(source.read(0).pixels, np.ones((4, 6, 3), np.float32))
    with pytest.raises(SequenceError, match="frame 1 is not in"):
        source.read(1)


def test_video_source_numbers_frames_from_zero(tmp_path: Path) -> None:
    path = tmp_path / "clip.MP4"
    frames = [np.full((16, 16, 3), level, np.float32) for level in (0.1, 0.5, 0.9, 0.3)]
    write_video(path, frames, Fraction(24000, 1001))

    with open_source(path) as source:
        assert source.kind == "video"
        assert source.frames == (0, 1, 2, 3)
        assert source.fps == Fraction(24000, 1001)
        assert source.file_type == "mp4"
        assert (source.info.width, source.info.height) == (16, 16)
        assert source.path(3) == path
        assert abs(float(source.read(2).pixels.mean()) - 0.9) < 2 / 255
        with pytest.raises(SequenceError, match="frame 4 is not in"):
            source.read(4)

    with open_source(path, frames="1-2") as source:
        assert source.frames == (1, 2)
    with pytest.raises(SequenceError) as caught:
        open_source(path, frames="3-6")
    assert caught.value.frames == (4, 5, 6)
    assert "frames 4-6 are not in" in str(caught.value)


def test_bad_specs_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="is a folder"):
        open_source(tmp_path)
    with pytest.raises(ImageReadError, match="no such file"):
        open_source(tmp_path / "still.exr")
    with pytest.raises(VideoError, match="no such file"):
        open_source(tmp_path / "clip.mov")
    with pytest.raises(FrameRangeError, match="'1-x'"):
        open_source(tmp_path / "shot.####.exr", frames="1-x")
