"""Image files: exact round trips, metadata kept, clear errors, atomic writes.

Files are real (OpenImageIO in tmp_path). Where it matters, the file is also inspected with
OpenImageIO directly, so a reader and writer that agree on a wrong convention still fail.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from vtinker_core.errors import ImageReadError, ImageWriteError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io.images import probe_frame, read_frame, write_frame

RNG_SEED = 7


def half_values(shape: tuple[int, ...], scale: float = 8.0) -> np.ndarray:
    """Random float32 values that half represents exactly, negatives included."""
    rng = np.random.default_rng(RNG_SEED)
    values = rng.uniform(-scale, scale, size=shape).astype(np.float16)
    return values.astype(np.float32)


def plate_frame(data: Window, display: Window, **meta: object) -> Frame:
    pixels = half_values((data.height, data.width, 5))
    fields = {
        "pixel_aspect": 2.0,
        "timecode": "01:02:03:04",
        "fps": Fraction(24000, 1001),
        "compression": "piz",
        "bit_depth": "half",
        "attributes": {"Owner": "comp dept", "shot:take": 3},
    }
    fields.update(meta)
    return Frame(pixels, ("R", "G", "B", "A", "depth.Z"), FrameMeta(data, display, **fields))


def oiio_spec(path: Path) -> oiio.ImageSpec:
    image = oiio.ImageInput.open(str(path))
    assert image is not None, oiio.geterror()
    spec = image.spec()
    image.close()
    return spec


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- EXR --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "display"),
    [
        (Window(-4, -2, 20, 12), Window(0, 0, 12, 8)),  # overscan: data beyond the display
        (Window(3, 2, 6, 4), Window(0, 0, 12, 8)),  # crop: data inside the display
    ],
    ids=["overscan", "crop"],
)
def test_half_exr_round_trip_keeps_pixels_layers_and_metadata(
    tmp_path: Path, data: Window, display: Window
) -> None:
    path = tmp_path / "plate.1001.exr"
    frame = plate_frame(data, display)

    write_frame(path, frame)
    back = read_frame(path)

    np.testing.assert_array_equal(back.pixels, frame.pixels)
    assert back.channels == ("R", "G", "B", "A", "depth.Z")
    assert back.meta.data_window == data
    assert back.meta.display_window == display
    assert back.meta.pixel_aspect == 2.0
    assert back.meta.timecode == "01:02:03:04"
    assert back.meta.fps == Fraction(24000, 1001)
    assert back.meta.compression == "piz"  # a lossless source compression is kept
    assert back.meta.bit_depth == "half"
    assert back.meta.attributes["Owner"] == "comp dept"
    assert back.meta.attributes["shot:take"] == 3
    # The header as OpenImageIO itself reads it.
    spec = oiio_spec(path)
    assert (spec.x, spec.y, spec.width, spec.height) == (data.x, data.y, data.width, data.height)
    assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, 12, 8)
    assert [str(t) for t in spec.channelformats] == ["half"] * 4 + ["float"]  # depth.Z float
    assert spec.get_string_attribute("smpte:TimeCode") == "01:02:03:04"
    assert spec.getattribute("FramesPerSecond") == (24000, 1001)


def test_half_exr_keeps_hdr_extremes_negatives_and_zero(tmp_path: Path) -> None:
    # 2**-24 is half's smallest subnormal, 2**-14 its smallest normal.
    values = [-65504.0, -40.0, -1.0, -0.0, 0.0, 2.0**-24, 2.0**-14, 40.0, 1000.5, 65504.0]
    pixels = np.array(values, dtype=np.float32).reshape(2, 5, 1).repeat(3, axis=2)
    path = tmp_path / "hdr.exr"

    write_frame(path, Frame.from_array(pixels), bit_depth="half")
    back = read_frame(path)

    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.meta.bit_depth == "half"
    assert np.signbit(back.pixels[0, 3, 0])  # -0.0 stays negative zero


def test_half_exr_keeps_depth_and_vectors_float(tmp_path: Path) -> None:
    pixels = np.zeros((4, 4, 6), np.float32)
    pixels[..., :3] = 0.5
    pixels[..., 3] = 1234.567  # not a half value
    pixels[..., 4:] = (-3.14159, 2.71828)
    channels = ("R", "G", "B", "depth.Z", "forward.u", "forward.v")
    window = Window(0, 0, 4, 4)
    frame = Frame(pixels, channels, FrameMeta(window, window, bit_depth="half"))

    write_frame(tmp_path / "default.exr", frame)
    write_frame(tmp_path / "all_half.exr", frame, bit_depth="half")

    back = read_frame(tmp_path / "default.exr")
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.meta.bit_depth == "half"
    spec = oiio_spec(tmp_path / "default.exr")
    assert [str(t) for t in spec.channelformats] == ["half"] * 3 + ["float"] * 3
    assert read_frame(tmp_path / "all_half.exr").pixels[0, 0, 3] == 1235.0  # asked for


def test_float_exr_tiled_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(RNG_SEED)
    pixels = (rng.standard_normal((40, 36, 2)) * 1e6).astype(np.float32)
    frame = Frame.from_array(pixels, ("forward.u", "forward.v"))
    path = tmp_path / "vectors.exr"

    write_frame(path, frame, bit_depth="float", tile_size=16)
    back = read_frame(path)

    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.channels == ("forward.u", "forward.v")
    assert back.meta.bit_depth == "float"
    spec = oiio_spec(path)
    assert (spec.tile_width, spec.tile_height) == (16, 16)
    assert spec.get_string_attribute("compression") == "zip"


@pytest.mark.parametrize(
    ("source", "asked", "depth", "expected"),
    [
        (None, None, "half", "zip"),
        ("dwaa", None, "half", "zip"),  # lossy source: not repeated unless asked
        ("pxr24", None, "float", "zip"),  # PXR24 rounds float data
        ("pxr24", None, "half", "pxr24"),  # ... but is exact for half
        ("piz", "dwab", "half", "dwab"),  # asked for explicitly
    ],
)
def test_exr_compression_is_lossless_unless_asked(
    tmp_path: Path, source: str | None, asked: str | None, depth: str, expected: str
) -> None:
    window = Window(0, 0, 8, 8)
    frame = Frame(
        half_values((8, 8, 3)), ("R", "G", "B"), FrameMeta(window, window, compression=source)
    )
    path = tmp_path / "c.exr"

    write_frame(path, frame, bit_depth=depth, compression=asked)

    assert oiio_spec(path).get_string_attribute("compression") == expected


def test_read_selected_channels_in_the_order_asked(tmp_path: Path) -> None:
    path = tmp_path / "plate.exr"
    frame = plate_frame(Window(0, 0, 12, 8), Window(0, 0, 12, 8))
    write_frame(path, frame)

    back = read_frame(path, channels=["depth.Z", "R"])

    assert back.channels == ("depth.Z", "R")
    np.testing.assert_array_equal(back.pixels, frame.pixels[:, :, [4, 0]])


def test_read_unknown_channel_names_file_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "plate.exr"
    write_frame(path, plate_frame(Window(0, 0, 4, 4), Window(0, 0, 4, 4)))

    with pytest.raises(ImageReadError) as caught:
        read_frame(path, channels=["R", "motion.x"])

    assert "motion.x" in str(caught.value)
    assert "plate.exr" in str(caught.value)
    assert "depth.Z" in str(caught.value)  # says what the file does have
    assert caught.value.path == path


def test_multipart_exr_reads_the_first_part(tmp_path: Path) -> None:
    path = tmp_path / "parts.exr"
    first, second = oiio.ImageSpec(4, 3, 3, "half"), oiio.ImageSpec(4, 3, 1, "float")
    first.attribute("name", "rgb")
    second.attribute("name", "depth")
    second.channelnames = ("Z",)
    output = oiio.ImageOutput.create(str(path))
    assert output.open(str(path), [first, second]), output.geterror()
    output.write_image(np.full((3, 4, 3), 0.5, np.float32))
    assert output.open(str(path), second, "AppendSubimage"), output.geterror()
    output.write_image(np.full((3, 4, 1), 9.0, np.float32))
    output.close()

    frame = read_frame(path)

    assert frame.channels == ("R", "G", "B")
    np.testing.assert_array_equal(frame.pixels, np.full((3, 4, 3), 0.5, np.float32))
    assert frame.meta.attributes["oiio:subimages"] == 2


def test_probe_reads_the_header_only(tmp_path: Path) -> None:
    path = tmp_path / "plate.exr"
    write_frame(path, plate_frame(Window(-4, -2, 20, 12), Window(0, 0, 12, 8)))

    info = probe_frame(path)

    assert (info.width, info.height) == (20, 12)
    assert info.channels == ("R", "G", "B", "A", "depth.Z")
    assert info.meta.display_window == Window(0, 0, 12, 8)
    assert info.meta.fps == Fraction(24000, 1001)


# --- integer formats --------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [10, 12])
def test_dpx_code_values_round_trip_exactly(tmp_path: Path, bits: int) -> None:
    top = 2**bits - 1
    codes = np.arange(top + 1, dtype=np.float64)
    side = 32 if bits == 10 else 64
    pixels = (codes / top).reshape(side, side, 1).repeat(3, axis=2).astype(np.float32)
    path = tmp_path / f"log.{bits}.dpx"

    write_frame(path, Frame.from_array(pixels), bit_depth=f"uint{bits}")
    back = read_frame(path)

    np.testing.assert_array_equal(back.pixels, pixels)  # code k reads as exactly k / top
    assert back.meta.bit_depth == f"uint{bits}"
    # The codes in the file, as OIIO widens them to 16 bits by bit replication.
    image = oiio.ImageInput.open(str(path))
    raw = image.read_image("uint16")
    image.close()
    np.testing.assert_array_equal(raw[..., 0].ravel() >> (16 - bits), np.arange(top + 1))


def test_dpx_defaults_to_10_bit_and_keeps_dpx_tags_and_timing(tmp_path: Path) -> None:
    window = Window(0, 0, 8, 4)
    meta = FrameMeta(
        window,
        window,
        timecode="10:00:00;12",  # drop-frame
        fps=Fraction(30000, 1001),
        bit_depth="half",
        attributes={"dpx:Transfer": "Printing density", "openexr:chunkCount": 1},
    )
    path = tmp_path / "scan.dpx"

    write_frame(path, Frame(np.zeros((4, 8, 3), np.float32), ("R", "G", "B"), meta))
    back = read_frame(path)

    assert back.meta.bit_depth == "uint10"
    assert back.meta.timecode == "10:00:00;12"
    assert back.meta.fps == Fraction(30000, 1001)
    assert back.meta.attributes["dpx:Transfer"] == "Printing density"
    assert "openexr:chunkCount" not in back.meta.attributes


def test_dpx_tags_are_left_out_of_an_exr(tmp_path: Path) -> None:
    dpx = tmp_path / "scan.dpx"
    window = Window(0, 0, 4, 4)
    meta = FrameMeta(window, window, attributes={"dpx:Transfer": "Printing density"})
    write_frame(dpx, Frame(np.zeros((4, 4, 3), np.float32), ("R", "G", "B"), meta))

    write_frame(tmp_path / "lin.exr", read_frame(dpx))
    names = {a.name for a in oiio_spec(tmp_path / "lin.exr").extra_attribs}

    assert not any(name.startswith("dpx:") for name in names)
    assert oiio_spec(tmp_path / "lin.exr").get_int_attribute("oiio:BitsPerSample", 0) == 0


def test_tiff_16_bit_codes_are_exact(tmp_path: Path) -> None:
    codes = np.arange(65536, dtype=np.float64).reshape(256, 256, 1).repeat(3, axis=2)
    pixels = (codes / 65535).astype(np.float32)
    path = tmp_path / "plate.tif"

    write_frame(path, Frame.from_array(pixels), bit_depth="uint16")
    image = oiio.ImageInput.open(str(path))
    raw = image.read_image("uint16")
    image.close()

    np.testing.assert_array_equal(raw, codes.astype(np.uint16))
    assert read_frame(path).meta.bit_depth == "uint16"


def test_tiff_float_keeps_values_outside_0_1(tmp_path: Path) -> None:
    pixels = np.array([[[-2.5, 0.0, 1.0], [3.25, 1e-8, 1e7]]], np.float32)
    path = tmp_path / "plate.tif"

    write_frame(path, Frame.from_array(pixels), bit_depth="float")

    np.testing.assert_array_equal(read_frame(path).pixels, pixels)
    assert read_frame(path).meta.bit_depth == "float"


def test_png_8_bit_every_code_exact_with_straight_alpha(tmp_path: Path) -> None:
    codes = (np.arange(256, dtype=np.float32) / 255).reshape(16, 16, 1)
    pixels = np.concatenate([codes, codes[::-1], codes, codes[:, ::-1]], axis=2)
    straight = Frame.from_array(pixels)
    straight = Frame(pixels, straight.channels, straight.meta.replace(premultiplied=False))
    path = tmp_path / "ui.png"

    write_frame(path, straight)  # default for PNG: 8-bit

    back = read_frame(path)
    # Every code comes back, colour under alpha 0 included: nothing is premultiplied.
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.channels == ("R", "G", "B", "A")
    assert back.meta.bit_depth == "uint8"
    assert back.meta.premultiplied is False


def test_premultiplied_frames_are_divided_for_png_and_tagged_in_tiff(tmp_path: Path) -> None:
    rgba = np.array([[[0.25, 0.125, 0.0, 0.5], [0.5, 0.5, 0.5, 1.0]]], np.float32)
    frame = Frame.from_array(rgba)  # premultiplied, the EXR convention

    write_frame(tmp_path / "a.png", frame, bit_depth="uint16")
    write_frame(tmp_path / "a.tif", frame, bit_depth="uint16")

    png = read_frame(tmp_path / "a.png")
    assert png.meta.premultiplied is False
    np.testing.assert_allclose(png.pixels[0, 0], [0.5, 0.25, 0.0, 0.5], atol=1 / 65535)
    tif = read_frame(tmp_path / "a.tif")  # TIFF says associated alpha: kept as it is
    assert tif.meta.premultiplied is True
    np.testing.assert_allclose(tif.pixels, rgba, atol=1 / 65535)


def test_png_16_bit_is_kept_from_the_source_depth(tmp_path: Path) -> None:
    rng = np.random.default_rng(RNG_SEED)
    pixels = (rng.integers(0, 65536, (8, 12, 3)) / 65535).astype(np.float32)
    window = Window(0, 0, 12, 8)
    frame = Frame(pixels, ("R", "G", "B"), FrameMeta(window, window, bit_depth="uint16"))
    path = tmp_path / "deep.png"

    write_frame(path, frame)

    back = read_frame(path)
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.meta.bit_depth == "uint16"


def test_integer_formats_round_and_clamp(tmp_path: Path) -> None:
    values = [-0.5, 1.5, np.nan, 10.4 / 255, 10.6 / 255, 1.0, 0.0]
    pixels = np.array(values, np.float32).reshape(1, 7, 1)
    path = tmp_path / "clamp.png"

    write_frame(path, Frame.from_array(pixels))

    codes = np.rint(read_frame(path).pixels[0, :, 0] * 255)
    np.testing.assert_array_equal(codes, [0, 255, 0, 10, 11, 255, 0])


def test_jpeg_is_close_and_refuses_alpha(tmp_path: Path) -> None:
    ramp = np.linspace(0.2, 0.8, 16, dtype=np.float32)
    pixels = np.stack(np.broadcast_arrays(ramp[None, :], 0.5, ramp[:, None]), axis=2)
    path = tmp_path / "ref.jpg"

    write_frame(path, Frame.from_array(pixels))
    back = read_frame(path)

    assert back.pixels.shape == (16, 16, 3)
    assert np.abs(back.pixels - pixels).max() < 4 / 255
    with pytest.raises(ImageWriteError, match="JPEG holds 1 or 3 channels"):
        write_frame(tmp_path / "rgba.jpg", Frame.from_array(np.zeros((4, 4, 4))))
    assert not (tmp_path / "rgba.jpg").exists()


def test_bad_write_settings_are_explained(tmp_path: Path) -> None:
    frame = Frame.from_array(np.zeros((4, 4, 3)))
    with pytest.raises(ImageWriteError, match=r"png files cannot be 'uint10'; use one of uint8"):
        write_frame(tmp_path / "a.png", frame, bit_depth="uint10")
    with pytest.raises(ImageWriteError, match=r"unknown image extension '\.xyz'"):
        write_frame(tmp_path / "a.xyz", frame)
    with pytest.raises(ImageWriteError, match="unknown openexr compression 'zipp'"):
        write_frame(tmp_path / "a.exr", frame, compression="zipp")
    with pytest.raises(ImageWriteError, match="tiles need an EXR or TIFF"):
        write_frame(tmp_path / "a.png", frame, tile_size=16)
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_frame(tmp_path / "missing" / "a.exr", frame)
    assert leftovers(tmp_path) == []


# --- bad input files --------------------------------------------------------------------------


def good_exr(tmp_path: Path) -> bytes:
    path = tmp_path / "good.exr"
    write_frame(path, Frame.from_array(half_values((32, 32, 3))))
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda folder, data: None, "no such file"),
        (lambda folder, data: (folder / "f.exr").mkdir(), "is a folder"),
        (lambda folder, data: (folder / "f.exr").write_bytes(b""), "empty (0 bytes)"),
        (lambda folder, data: (folder / "f.exr").write_bytes(data[: len(data) // 2]), "corrupt"),
        (lambda folder, data: (folder / "f.exr").write_bytes(b"\x13\x37" * 300), "OpenEXR"),
    ],
    ids=["missing", "folder", "empty", "truncated", "garbage"],
)
def test_unreadable_files_raise_image_read_error_naming_the_file(
    tmp_path: Path, make: object, phrase: str
) -> None:
    make(tmp_path, good_exr(tmp_path))  # type: ignore[operator]
    path = tmp_path / "f.exr"

    with pytest.raises(ImageReadError) as caught:
        read_frame(path)

    assert str(path) in str(caught.value)
    assert phrase in str(caught.value)
    assert caught.value.path == path


def test_truncated_png_raises(tmp_path: Path) -> None:
    path = tmp_path / "ui.png"
    write_frame(path, Frame.from_array(half_values((64, 64, 3), 1.0)))
    path.write_bytes(path.read_bytes()[:200])

    with pytest.raises(ImageReadError, match=r"ui\.png"):
        read_frame(path)


def test_unreadable_permissions(tmp_path: Path) -> None:
    path = tmp_path / "locked.exr"
    write_frame(path, Frame.from_array(np.zeros((4, 4, 3))))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reads here")
        with pytest.raises(ImageReadError, match="permission denied"):
            read_frame(path)
    finally:
        path.chmod(0o644)


# --- atomic writes ----------------------------------------------------------------------------


def test_failed_oiio_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "out.0001.dpx"
    write_frame(path, Frame.from_array(np.full((4, 4, 3), 0.5)))
    before = path.read_bytes()
    nine_channels = Frame.from_array(np.zeros((4, 4, 9)))

    with pytest.raises(ImageWriteError) as caught:
        write_frame(path, nine_channels)  # OIIO's DPX writer refuses 9 channels

    assert "9 channels" in str(caught.value)  # OIIO's own message
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == ["out.0001.dpx"]


def test_failed_rename_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.0001.exr"
    path.mkdir()  # the final name is taken by a folder: the rename must fail

    with pytest.raises(ImageWriteError, match=r"out\.0001\.exr"):
        write_frame(path, Frame.from_array(np.zeros((4, 4, 3))))

    assert leftovers(tmp_path) == ["out.0001.exr"]
    assert path.is_dir() and not any(path.iterdir())


def test_write_into_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable here")
        with pytest.raises(ImageWriteError, match="ermission denied"):
            write_frame(folder / "a.exr", Frame.from_array(np.zeros((4, 4, 3))))
        assert leftovers(folder) == []
    finally:
        folder.chmod(0o755)


def test_successful_write_leaves_only_the_final_file(tmp_path: Path) -> None:
    write_frame(tmp_path / "a.1001.exr", Frame.from_array(np.zeros((4, 4, 3))))

    assert leftovers(tmp_path) == ["a.1001.exr"]
