"""Frame sequences: patterns, padding, frame ranges, and the up-front sequence check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.errors import FrameRangeError, SequenceError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io.images import write_frame
from vtinker_core.io.sequences import (
    FrameSequence,
    check_sequence,
    expected_frames,
    find_sequence,
    format_frame_range,
    output_path,
    parse_frame_range,
)

# --- frame ranges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("12", (12,)),
        ("1001-1005", (1001, 1002, 1003, 1004, 1005)),
        ("1-10x2", (1, 3, 5, 7, 9)),
        ("1-10x3", (1, 4, 7, 10)),
        ("1,5,7", (1, 5, 7)),
        ("1-3,10-12", (1, 2, 3, 10, 11, 12)),
        (" 1 - 3 , 7 ", (1, 2, 3, 7)),
        ("5-5", (5,)),
        ("7,1-3,2", (1, 2, 3, 7)),  # ascending, each frame once
        ("-5--1", (-5, -4, -3, -2, -1)),
        ("-2-2", (-2, -1, 0, 1, 2)),
        ("0", (0,)),
    ],
)
def test_parse_frame_range(text: str, frames: tuple[int, ...]) -> None:
    assert parse_frame_range(text) == frames


def test_parse_long_range_has_every_frame() -> None:
    frames = parse_frame_range("1001-1100")
    assert len(frames) == 100
    assert (frames[0], frames[-1]) == (1001, 1100)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("1-", "'1-'"),
        ("abc", "'abc'"),
        ("1,,3", "''"),
        ("1.5", "'1.5'"),
        ("1-10x", "'1-10x'"),
        ("10-1", "'10-1'"),
        ("1-10x0", "'1-10x0'"),
        ("1-3;5", "'1-3;5'"),
    ],
)
def test_malformed_range_names_the_bad_item(text: str, quoted: str) -> None:
    with pytest.raises(FrameRangeError) as caught:
        parse_frame_range(text)
    assert quoted in str(caught.value)


def test_empty_range_is_explained() -> None:
    with pytest.raises(FrameRangeError, match=r"empty frame range; write e\.g\. 1001-1100"):
        parse_frame_range("  ")


def test_reversed_range_suggests_the_fix() -> None:
    with pytest.raises(FrameRangeError, match="write 1-10"):
        parse_frame_range("10-1")


@pytest.mark.parametrize(
    ("frames", "text"),
    [
        ([], ""),
        ([7], "7"),
        ([1, 2], "1-2"),
        ([1, 3], "1,3"),
        ([1001, 1002, 1003, 1010], "1001-1003,1010"),
        ([1, 2, 3, 5, 7, 9, 20], "1-3,5-9x2,20"),
        ([9, 1, 5, 3, 3, 7], "1-9x2"),
        ([-3, -2, -1, 0, 1], "-3-1"),
        ([-9, -7, -5], "-9--5x2"),
    ],
)
def test_format_frame_range_is_compact_and_parses_back(frames: list[int], text: str) -> None:
    assert format_frame_range(frames) == text
    if frames:
        assert parse_frame_range(text) == tuple(sorted(set(frames)))


def test_format_frame_range_separator_for_messages() -> None:
    assert format_frame_range([1003, 1007, 1008, 1009], separator=", ") == "1003, 1007-1009"


# --- patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "padding"),
    [
        ("shots/plate.####.exr", 4),
        ("shots/plate.%04d.exr", 4),
        ("shots/plate.%4d.exr", 4),
        ("shots/plate.@@@@.exr", 4),
        ("shots/plate.#######.exr", 7),
        ("shots/plate.%d.exr", 1),
    ],
)
def test_pattern_forms(pattern: str, padding: int) -> None:
    sequence = FrameSequence.from_pattern(pattern)

    assert sequence.padding == padding
    assert (sequence.folder, sequence.prefix, sequence.suffix) == (
        Path("shots"),
        "plate.",
        ".exr",
    )


def test_paths_and_patterns_keep_padding() -> None:
    sequence = FrameSequence.from_pattern("shots/plate_v002.####.exr")

    assert sequence.path(7) == Path("shots/plate_v002.0007.exr")
    assert sequence.path(1001) == Path("shots/plate_v002.1001.exr")
    assert sequence.path(12345) == Path("shots/plate_v002.12345.exr")
    assert sequence.path(-5) == Path("shots/plate_v002.-005.exr")  # as printf writes it
    assert sequence.pattern == "shots/plate_v002.####.exr"
    assert sequence.printf_pattern == "shots/plate_v002.%04d.exr"
    assert FrameSequence.from_pattern("a.%d.png").printf_pattern == "a.%d.png"


def test_output_path_keeps_the_pattern_padding() -> None:
    assert output_path("out/retime.######.exr", 42) == Path("out/retime.000042.exr")
    assert output_path("out/retime.%03d.dpx", 1001) == Path("out/retime.1001.dpx")
    assert output_path(Path("out/retime.@@.png"), 3) == Path("out/retime.03.png")


@pytest.mark.parametrize("pattern", ["out/retime.exr", "out/a.####.####.exr"])
def test_pattern_needs_exactly_one_token(pattern: str) -> None:
    with pytest.raises(SequenceError, match="needs exactly one frame number token"):
        output_path(pattern, 1)


# --- finding frames on disk -------------------------------------------------------------------


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"x")


def test_find_sequence_lists_frames_with_the_right_padding(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "plate.1001.exr",
        "plate.1002.exr",
        "plate.1004.exr",
        "plate.10000.exr",  # longer than the padding: still frame 10000
        "plate.0999.exr",
        "plate.001.exr",  # three digits: another sequence
        "plate.00005.exr",  # five digits with a leading zero: not ####
        ".plate.1003.exr.tmp-1a2b3c4d.exr",  # an unfinished atomic write
        "plate.1003.exr.tmp",
        "plate.1005.dpx",
        "plate_v2.1006.exr",
    )

    for spec in ("plate.####.exr", "plate.%04d.exr", "plate.@@@@.exr", "plate.1002.exr"):
        sequence = find_sequence(tmp_path / spec)
        assert sequence.frames == (999, 1001, 1002, 1004, 10000), spec
        assert (sequence.first, sequence.last) == (999, 10000)
        assert sequence.pattern == str(tmp_path / "plate.####.exr")


def test_find_sequence_of_unpadded_frames(tmp_path: Path) -> None:
    touch(tmp_path, "a.1.png", "a.2.png", "a.10.png", "a.02.png")

    assert find_sequence(tmp_path / "a.%d.png").frames == (1, 2, 10)


def test_find_sequence_with_negative_frames(tmp_path: Path) -> None:
    touch(tmp_path, "s.-002.exr", "s.-001.exr", "s.0000.exr", "s.0001.exr")

    assert find_sequence(tmp_path / "s.####.exr").frames == (-2, -1, 0, 1)


def test_find_sequence_with_nothing_on_disk(tmp_path: Path) -> None:
    sequence = find_sequence(tmp_path / "none.####.exr")

    assert sequence.frames == ()
    with pytest.raises(SequenceError, match="no frames of"):
        _ = sequence.first


def test_find_sequence_needs_a_pattern_or_a_numbered_file(tmp_path: Path) -> None:
    with pytest.raises(SequenceError, match="names no frame sequence"):
        find_sequence(tmp_path / "still.exr")


def test_find_sequence_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SequenceError, match="cannot list the folder"):
        find_sequence(tmp_path / "nowhere" / "plate.####.exr")


# --- checking a sequence before work ----------------------------------------------------------


def write_plates(folder: Path, frames: range, size: tuple[int, int] = (8, 12)) -> None:
    for frame in frames:
        pixels = np.full((*size, 4), frame / 2000, np.float32)
        write_frame(folder / f"shot.{frame:04d}.exr", Frame.from_array(pixels))


def test_check_sequence_returns_the_first_frame_header(tmp_path: Path) -> None:
    write_plates(tmp_path, range(1001, 1006))
    sequence = find_sequence(tmp_path / "shot.####.exr")

    info = check_sequence(sequence)

    assert (info.width, info.height, info.channels) == (12, 8, ("R", "G", "B", "A"))


def test_check_sequence_reports_holes_compactly(tmp_path: Path) -> None:
    write_plates(tmp_path, range(1001, 1011))
    for frame in (1003, 1007, 1008, 1009):
        (tmp_path / f"shot.{frame}.exr").unlink()
    sequence = FrameSequence.from_pattern(tmp_path / "shot.####.exr")

    with pytest.raises(SequenceError) as caught:
        check_sequence(sequence, range(1001, 1011))

    assert caught.value.frames == (1003, 1007, 1008, 1009)
    assert str(caught.value) == (f"frames 1003, 1007-1009 missing in {tmp_path / 'shot.####.exr'}")
    # Only the wanted frames are checked.
    assert check_sequence(sequence, [1001, 1002, 1010]).width == 12


@pytest.mark.parametrize(
    ("on_disk", "expected"),
    [
        ([], ()),
        ([5], (5,)),
        ([1, 2, 3, 5], (1, 2, 3, 4, 5)),
        ([1, 3, 5, 9], (1, 3, 5, 7, 9)),  # rendered on twos, one missing
        ([10, 20, 30], (10, 20, 30)),
    ],
)
def test_expected_frames_span_first_to_last(on_disk: list[int], expected: tuple[int, ...]) -> None:
    assert expected_frames(on_disk) == expected


def test_check_whole_sequence_finds_holes_between_first_and_last(tmp_path: Path) -> None:
    write_plates(tmp_path, range(1001, 1006))
    (tmp_path / "shot.1002.exr").unlink()

    with pytest.raises(SequenceError) as caught:
        check_sequence(find_sequence(tmp_path / "shot.####.exr"))

    assert caught.value.frames == (1002,)
    assert str(caught.value).startswith("frame 1002 missing in ")


def test_check_sequence_reports_a_frame_of_another_size(tmp_path: Path) -> None:
    write_plates(tmp_path, range(1, 6))
    write_plates(tmp_path, range(4, 5), size=(16, 12))
    sequence = find_sequence(tmp_path / "shot.0001.exr")

    with pytest.raises(SequenceError) as caught:
        check_sequence(sequence)

    assert caught.value.frames == (4,)
    assert caught.value.frame == 4
    assert "frame 4 is 12x16 R G B A, not 12x8 R G B A like frame 1" in str(caught.value)


def test_check_sequence_reports_other_channels_and_unreadable_frames(tmp_path: Path) -> None:
    write_plates(tmp_path, range(1, 6))
    write_frame(tmp_path / "shot.0002.exr", Frame.from_array(np.zeros((8, 12, 3))))
    (tmp_path / "shot.0005.exr").write_bytes(b"")

    with pytest.raises(SequenceError) as caught:
        check_sequence(find_sequence(tmp_path / "shot.####.exr"))

    message = str(caught.value)
    assert caught.value.frames == (2, 5)
    assert "frame 5 unreadable" in message
    assert "frame 2 is 12x8 R G B, not 12x8 R G B A like frame 1" in message


def test_sequences_module_imports_no_image_library() -> None:
    code = (
        "import sys, vtinker_core.io.sequences, vtinker_core.io;"
        "from vtinker_core.io import parse_frame_range;"
        "assert 'OpenImageIO' not in sys.modules and 'av' not in sys.modules, 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_check_sequence_accepts_changing_data_windows_and_returns_their_union(
    tmp_path: Path,
) -> None:
    display = Window(0, 0, 64, 32)
    for frame, box in ((1, Window(4, 2, 10, 8)), (2, Window(30, 10, 20, 20)), (3, display)):
        meta = FrameMeta(data_window=box, display_window=display)
        pixels = np.ones((box.height, box.width, 4), np.float32)
        write_frame(tmp_path / f"cg.{frame:04d}.exr", Frame(pixels, ("R", "G", "B", "A"), meta))
    info = check_sequence(find_sequence(tmp_path / "cg.####.exr"), [1, 2])
    assert info.meta.data_window == Window(4, 2, 46, 28)
    assert (info.width, info.height) == (46, 28)
    whole = check_sequence(find_sequence(tmp_path / "cg.####.exr"))
    assert whole.meta.data_window == display


def test_check_sequence_refuses_another_display_window(tmp_path: Path) -> None:
    for frame, display in ((1, Window(0, 0, 64, 32)), (2, Window(0, 0, 48, 32))):
        meta = FrameMeta(data_window=Window(0, 0, 16, 16), display_window=display)
        pixels = np.ones((16, 16, 3), np.float32)
        write_frame(tmp_path / f"cg.{frame:04d}.exr", Frame(pixels, ("R", "G", "B"), meta))
    with pytest.raises(SequenceError) as caught:
        check_sequence(find_sequence(tmp_path / "cg.####.exr"))
    assert "frame 2 is 48x32 R G B, not 64x32 R G B like frame 1" in str(caught.value)
