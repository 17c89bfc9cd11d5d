"""Video through PyAV: write then read back real files; exact counts and rates, clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vtinker_core.errors import VideoError
from vtinker_core.frame import Frame
from vtinker_core.io.video import VideoReader, write_video

FLAT = (0.25, 0.5, 0.75)


def flat_frames(count: int, height: int = 32, width: int = 48) -> list[np.ndarray]:
    return [np.full((height, width, 3), FLAT, np.float32) for _ in range(count)]


def numbered_frames(count: int) -> list[np.ndarray]:
    """Grey frames whose level says their index: 8 code values apart, so lossy-safe."""
    return [np.full((16, 16, 3), (8 + 8 * (i % 30)) / 255, np.float32) for i in range(count)]


def index_of(frame: Frame) -> int:
    """Which of the 30 numbered levels this frame shows."""
    return round(float(frame.pixels.mean()) * 255 / 8) - 1


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_h264_round_trip_keeps_count_rate_size_and_colour(tmp_path: Path) -> None:
    path = tmp_path / "preview.mp4"

    write_video(path, flat_frames(10), Fraction(24000, 1001))

    with VideoReader(path) as video:
        assert video.frame_count == 10
        assert video.fps == Fraction(24000, 1001)
        assert (video.width, video.height) == (48, 32)
        assert video.codec == "h264"
        assert (video.primaries, video.transfer, video.matrix, video.color_range) == (
            "bt709",
            "bt709",
            "bt709",
            "tv",
        )
        frame = video.read(4)
    assert frame.channels == ("R", "G", "B")
    assert frame.pixels.dtype == np.float32
    assert frame.pixels.shape == (32, 48, 3)
    assert frame.meta.fps == Fraction(24000, 1001)
    assert frame.meta.bit_depth == "uint8"
    # Lossy 4:2:0 at crf 18 on a flat colour: within 2 code values.
    assert np.abs(frame.pixels - np.array(FLAT, np.float32)).max() <= 2 / 255
    assert leftovers(tmp_path) == ["preview.mp4"]


def test_random_and_sequential_reads_give_the_right_frames(tmp_path: Path) -> None:
    path = tmp_path / "numbered.mp4"
    write_video(path, numbered_frames(30) + numbered_frames(30)[::-1][:10], Fraction(25))
    expected = list(range(30)) + list(range(29, 19, -1))

    with VideoReader(path) as video:
        assert len(video) == 40
        # Forward jumps decode on; backward jumps seek to a keyframe and decode from there.
        for index in (0, 1, 2, 35, 5, 6, 39, 3, 20, 0):
            assert index_of(video.read(index)) == expected[index], index
        assert [index_of(frame) for frame in video] == expected


def test_seeking_across_many_keyframes(tmp_path: Path) -> None:
    """A stream with a keyframe every 8 frames and B-frames, written with PyAV directly."""
    path = tmp_path / "gop.mp4"
    levels = [np.full((16, 16, 3), 8 + 8 * (i % 30), np.uint8) for i in range(60)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        stream.options = {"g": "8", "bf": "2", "crf": "0"}
        for i, level in enumerate(levels):
            video_frame = av.VideoFrame.from_ndarray(level, format="rgb24").reformat(
                format="yuv420p"
            )
            video_frame.pts = i
            container.mux(stream.encode(video_frame))
        container.mux(stream.encode(None))

    with VideoReader(path) as video:
        for index in (0, 59, 10, 9, 33, 34, 35, 17, 58, 1):
            assert index_of(video.read(index)) == index % 30, index


def test_mkv_frame_count_comes_from_decoding(tmp_path: Path) -> None:
    path = tmp_path / "clip.mkv"
    write_video(path, flat_frames(7, 16, 16), Fraction(30000, 1001))

    with VideoReader(path) as video:
        assert video.frame_count == 7
        assert video.fps == Fraction(30000, 1001)


def test_write_accepts_frames_and_uses_their_rgb(tmp_path: Path) -> None:
    rgba = np.zeros((16, 16, 4), np.float32)
    rgba[..., :3] = FLAT
    rgba[..., 3] = 0.0  # alpha is not shown
    path = tmp_path / "from_frames.mp4"

    write_video(path, [Frame.from_array(rgba)] * 3, Fraction(24), crf=0)

    with VideoReader(path) as video:
        assert np.abs(video.read(2).pixels - np.array(FLAT, np.float32)).max() <= 1 / 255


@pytest.mark.skipif(
    "prores_ks" not in av.codec.codecs_available, reason="this FFmpeg has no prores_ks encoder"
)
def test_prores_hq_is_10_bit(tmp_path: Path) -> None:
    path = tmp_path / "master.mov"

    write_video(path, flat_frames(4, 16, 32), Fraction(24), codec="prores")

    with VideoReader(path) as video:
        assert video.codec == "prores"
        assert video.frame_count == 4
        assert video.bit_depth == "uint16"
        frame = video.read(3)
    assert frame.meta.bit_depth == "uint16"
    assert np.abs(frame.pixels - np.array(FLAT, np.float32)).max() <= 2 / 1023
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.pix_fmt == "yuv422p10le"
        assert stream.codec_context.codec_tag == "apch"  # 422 HQ


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frames": []}, "no frames to write"),
        ({"frames": flat_frames(2, 31, 48)}, "needs even width and height"),
        ({"frames": flat_frames(2) + flat_frames(1, 16, 16)}, "frame 2 is 16x16"),
        ({"codec": "vp9"}, "unknown codec 'vp9'"),
        ({"codec": "prores"}, "prores goes in a .mov or .mkv file"),
        ({"frames": [np.zeros((16, 16))]}, "expected an H×W×3 array"),
    ],
    ids=["empty", "odd", "size-change", "codec", "container", "shape"],
)
def test_bad_writes_leave_nothing(tmp_path: Path, kwargs: dict, message: str) -> None:
    arguments = {"frames": flat_frames(2), "fps": Fraction(24)} | kwargs
    path = tmp_path / "out.mp4"

    with pytest.raises(VideoError) as caught:
        write_video(path, **arguments)

    assert message in str(caught.value)
    assert caught.value.path == path
    assert leftovers(tmp_path) == []


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    write_video(path, flat_frames(2, 16, 16), Fraction(24))
    before = path.read_bytes()

    with pytest.raises(VideoError):
        write_video(path, flat_frames(3, 16, 16) + flat_frames(1, 8, 8), Fraction(24))

    assert path.read_bytes() == before
    assert leftovers(tmp_path) == ["out.mp4"]


def test_unreadable_videos_raise_video_error_naming_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    write_video(good, flat_frames(5, 16, 16), Fraction(24))
    data = good.read_bytes()
    cases = {
        "missing.mp4": (None, "no such file"),
        "empty.mp4": (b"", "empty (0 bytes)"),
        "garbage.mp4": (b"\x00\x01" * 500, "Invalid data"),
        "truncated.mp4": (data[: len(data) // 2], "no video stream"),
        "folder.mov": ("dir", "is a folder"),
    }
    for name, (content, phrase) in cases.items():
        path = tmp_path / name
        if content == "dir":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)  # type: ignore[arg-type]
        with pytest.raises(VideoError) as caught:
            VideoReader(path)
        assert str(path) in str(caught.value), name
        assert phrase in str(caught.value), name


def test_reading_past_the_end_names_the_frame(tmp_path: Path) -> None:
    path = tmp_path / "short.mp4"
    write_video(path, flat_frames(3, 16, 16), Fraction(24))

    with VideoReader(path) as video, pytest.raises(VideoError) as caught:
        video.read(3)

    assert str(caught.value) == f"frame 3 is outside '{path}' (frames 0-2)"
    assert caught.value.frame == 3
