"""Video through PyAV: write then read back real files; exact counts and rates, clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vtinker_core.colorspaces import VideoTags
from vtinker_core.errors import VideoError
from vtinker_core.frame import Frame
from vtinker_core.io.video import VideoReader
from vtinker_core.io.video_write import VideoWriter, plan_video_output, write_video

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
        assert video.info.tags == VideoTags("bt709", "bt709", "bt709", "tv")
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
        assert video.bit_depth == "uint10"
        frame = video.read(3)
    assert frame.meta.bit_depth == "uint10"
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


# --- depth, colour, alpha and codecs --------------------------------------------------------

needs = pytest.mark.skipif


def has_encoder(name: str) -> bool:
    return name in av.codec.codecs_available


def ramp(width: int = 1024, height: int = 16) -> np.ndarray:
    """A grey ramp through every 10-bit code (one code per column at 1024 wide)."""
    codes = np.linspace(0.0, 1.0, width, dtype=np.float32)
    return np.repeat(np.repeat(codes[None, :, None], height, axis=0), 3, axis=2)


def bands(levels: tuple[int, ...] = (16, 64, 128, 180, 235), size: int = 16) -> np.ndarray:
    """Flat grey bands of 8-bit levels, each a macroblock wide."""
    row = np.repeat(np.array(levels, np.float32) / 255, size)
    return np.repeat(np.repeat(row[None, :, None], size, axis=0), 3, axis=2)


def band_levels(frame: Frame, size: int = 16) -> np.ndarray:
    centre = frame.pixels[size // 2, size // 2 :: size, :]
    return centre * 255


@needs(not has_encoder("prores_ks"), reason="no prores_ks encoder")
def test_prores_keeps_every_10_bit_level(tmp_path: Path) -> None:
    path = tmp_path / "ramp.mov"

    write_video(path, [ramp()] * 2, Fraction(24), codec="prores")

    with VideoReader(path) as video:
        frame = video.read(1)
    grey = frame.pixels[4, :, 1]
    # Limited-range 10-bit luma has 877 codes (64..940): a decode through 8 bits keeps 220.
    assert len(np.unique(np.rint(grey * 1023))) >= 870
    assert np.abs(grey - ramp()[4, :, 1]).max() <= 1.5 / 1023


def test_h264_flat_levels_come_back(tmp_path: Path) -> None:
    path = tmp_path / "bands.mp4"

    write_video(path, [bands()] * 3, Fraction(24))

    with VideoReader(path) as video:
        levels = band_levels(video.read(1))
    expected = np.array([16, 64, 128, 180, 235])[:, None].repeat(3, 1)
    np.testing.assert_allclose(levels, expected, atol=1.0)


def test_full_range_video_is_tagged_and_read_as_full_range(tmp_path: Path) -> None:
    path = tmp_path / "full.mp4"
    levels = (0, 1, 128, 254, 255)

    full = VideoTags("bt709", "bt709", "bt709", "pc")
    write_video(path, [bands(levels)] * 3, Fraction(24), tags=full)

    with VideoReader(path) as video:
        assert video.info.tags.color_range == "pc"
        got = band_levels(video.read(1))
    np.testing.assert_allclose(got, np.array(levels)[:, None].repeat(3, 1), atol=1.0)


@needs(not has_encoder("libx265"), reason="no libx265 encoder")
def test_hevc_main10_keeps_depth_and_hdr_tags(tmp_path: Path) -> None:
    path = tmp_path / "hdr.mp4"
    pq = VideoTags("bt2020", "smpte2084", "bt2020nc", "tv")

    write_video(path, [ramp()] * 3, Fraction(24), codec="hevc", bit_depth="uint10", tags=pq)

    with VideoReader(path) as video:
        assert video.info.codec == "hevc"
        assert video.info.bit_depth == "uint10"
        assert video.info.tags == pq
        grey = video.read(2).pixels[4, :, 1]
    assert len(np.unique(np.rint(grey * 1023))) >= 800


@needs(not has_encoder("prores_ks"), reason="no prores_ks encoder")
def test_prores_4444_carries_straight_alpha(tmp_path: Path) -> None:
    rgba = np.zeros((16, 64, 4), np.float32)
    rgba[..., :3] = (0.8, 0.4, 0.2)
    rgba[..., 3] = np.linspace(0.0, 1.0, 64)[None, :]
    path = tmp_path / "matte.mov"

    write_video(path, [Frame.from_array(rgba)] * 2, Fraction(24), codec="prores")

    with VideoReader(path) as video:
        assert video.info.alpha and video.info.profile == "4444"
        frame = video.read(1)
    assert frame.channels == ("R", "G", "B", "A")
    assert frame.meta.premultiplied is False
    np.testing.assert_allclose(frame.pixels[..., 3], rgba[..., 3], atol=1 / 1023)  # 10-bit in
    # Colour under alpha 0 survives: it is stored straight.
    np.testing.assert_allclose(frame.pixels[:, 0, :3], [[0.8, 0.4, 0.2]] * 16, atol=2 / 1023)


@needs(not has_encoder("ffv1"), reason="no ffv1 encoder")
@pytest.mark.parametrize(("depth", "top"), [("uint10", 1023), ("uint16", 65535)])
def test_ffv1_is_lossless_at_its_depth(tmp_path: Path, depth: str, top: int) -> None:
    rng = np.random.default_rng(7)
    rgba = (rng.integers(0, top + 1, (16, 24, 4)) / top).astype(np.float32)
    path = tmp_path / "archive.mkv"

    write_video(path, [Frame.from_array(rgba)] * 2, Fraction(25), codec="ffv1", bit_depth=depth)

    with VideoReader(path) as video:
        assert (video.info.codec, video.info.bit_depth, video.info.alpha) == ("ffv1", depth, True)
        back = video.read(1).pixels
    np.testing.assert_array_equal(np.rint(back * top), np.rint(rgba * top))


@needs(not has_encoder("dnxhd"), reason="no dnxhd encoder")
def test_dnxhr_hqx_is_10_bit_and_refuses_small_frames_up_front(tmp_path: Path) -> None:
    path = tmp_path / "offline.mov"

    write_video(path, [ramp(256, 128)] * 2, Fraction(24), codec="dnxhr", bit_depth="uint10")

    with VideoReader(path) as video:
        assert (video.info.codec, video.info.bit_depth, video.info.profile) == (
            "dnxhd",
            "uint10",
            "DNXHR HQX",
        )
    with pytest.raises(VideoError) as caught:
        plan_video_output(tmp_path / "tiny.mov", width=64, height=32, codec="dnxhr")
    assert "256x120" in str(caught.value)


@needs(not has_encoder("prores_ks"), reason="no prores_ks encoder")
def test_the_codec_and_depth_follow_the_source(tmp_path: Path) -> None:
    master = tmp_path / "master.mov"
    write_video(master, [ramp(64, 16)] * 2, Fraction(24), codec="prores")
    with VideoReader(master) as video:
        source = video.info

    same = plan_video_output(tmp_path / "out.mov", width=64, height=16, source=source)
    assert (same.codec, same.pix_fmt, same.bit_depth, same.options["profile"]) == (
        "prores",
        "yuv422p10le",
        "uint10",
        "3",
    )
    # An .mp4 cannot hold ProRes: H.264, kept at the source's 10 bits.
    mp4 = plan_video_output(tmp_path / "out.mp4", width=64, height=16, source=source)
    assert (mp4.codec, mp4.pix_fmt, mp4.bit_depth) == ("h264", "yuv420p10le", "uint10")
    # A float (EXR) source gets the codec's usual depth; a 12-bit one a note when lowered.
    exr = plan_video_output(tmp_path / "out.mp4", width=64, height=16, source_bit_depth="half")
    assert exr.bit_depth == "uint8"
    deep = plan_video_output(tmp_path / "out.mov", width=64, height=16, source_bit_depth="uint12")
    assert deep.bit_depth == "uint10" and "12-bit" in deep.notes[0]
    assert plan_video_output(tmp_path / "a.mkv", width=64, height=16).codec == "h264"
    assert plan_video_output(tmp_path / "a.mov", width=64, height=16).codec == "prores"


@pytest.mark.parametrize(
    ("name", "kwargs", "message", "setting"),
    [
        ("a.mp4", {"bit_depth": "uint12"}, "h264 video cannot be uint12", "output.bit_depth"),
        ("a.mp4", {"codec": "prores"}, "prores goes in a .mov or .mkv file", "output.codec"),
        ("a.mov", {"codec": "vp9"}, "unknown codec 'vp9'", "output.codec"),
        ("a.webm", {}, "vtinker writes video as", "output.path"),
        ("a.mov", {"bit_depth": "half"}, "prores video cannot be half", "output.bit_depth"),
    ],
)
def test_unsupported_combinations_are_refused_before_any_work(
    tmp_path: Path, name: str, kwargs: dict, message: str, setting: str
) -> None:
    with pytest.raises(VideoError) as caught:
        plan_video_output(tmp_path / name, width=64, height=16, **kwargs)
    assert message in str(caught.value)
    assert caught.value.setting == setting


def test_alpha_a_codec_cannot_hold_is_dropped_with_a_note(tmp_path: Path) -> None:
    output = plan_video_output(tmp_path / "a.mp4", width=64, height=16, alpha=True)
    assert not output.alpha and "holds no alpha" in output.notes[0]


@needs(not has_encoder("prores_ks"), reason="no prores_ks encoder")
def test_frames_are_encoded_as_written_and_a_failure_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "stream.mov"
    output = plan_video_output(path, width=256, height=128)
    noise = np.random.default_rng(3).random((128, 256, 3), dtype=np.float32)

    with pytest.raises(RuntimeError), VideoWriter(path, Fraction(24), output) as writer:
        sizes = []
        for _ in range(24):
            writer.write(noise)
            (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".stream.mov.tmp-")]
            sizes.append(temp.stat().st_size)
        # The file grows (in the muxer's 256 KiB steps) while frames come: they are encoded
        # and written as they arrive, not collected.
        assert sizes[-1] > sizes[12] > sizes[0]
        raise RuntimeError("the render stopped")

    assert leftovers(tmp_path) == []
