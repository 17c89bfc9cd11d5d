"""Picture fidelity, proven by pixels, for every input kind and the outputs that make sense.

Each case renders three source frames 2× slower with the blend engine (outputs 0, 2, 4 are
whole-frame positions) and reads the files back:

* a source frame comes back exactly where the format is lossless and nothing converts, and
  within the codec's noise where it is lossy;
* a flat patch lands at the level the colour conversions say, computed here from the curves'
  formulas (sRGB, BT.1886 gamma 2.4, ACEScct), not by OCIO.

Colour uses a built-in config by explicit name (ACES 2.0 CG config: scene_linear is ACEScg,
compositing_log ACEScct, 8/16-bit images sRGB, video by its tags).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vtinker_core.colorspaces import VideoTags
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io import read_frame, write_frame
from vtinker_core.io.video import VideoReader
from vtinker_core.io.video_write import write_video
from vtinker_core.job import RenderJob
from vtinker_core.render import render_job

CONFIG = "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6"
H, W = 32, 64
PATCH = (slice(4, 28), slice(4, 28))  # a flat patch, away from the ramp's chroma edges
LEVELS = (0.2, 0.5, 0.8)  # the flat patch's code value (or linear value for EXR) per frame


def srgb_decode(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def srgb_encode(x: float) -> float:
    return x * 12.92 if x <= 0.0031308 else 1.055 * x ** (1 / 2.4) - 0.055


def acescct_decode(v: float) -> float:
    return (
        (v - 0.0729055341958355) / 10.5402377416545
        if v <= 0.155251141552511
        else 2 ** (v * 17.52 - 9.72)
    )


def plate(level: float, top: int) -> np.ndarray:
    """Grey: a flat patch at ``level`` (on ``top``'s code grid), a ramp on the right."""
    px = np.zeros((H, W, 3), np.float32)
    px[...] = round(level * top) / top
    ramp = np.round(np.linspace(0.05, 0.95, W - 32) * top) / top
    px[:, 32:, :] = ramp[None, :, None]
    return px


# kind → (extension, bit depth, code grid, how the patch decodes to scene-linear)
KINDS = {
    "exr-half": ("exr", "half", 0, lambda v: v),
    "exr-float": ("exr", "float", 0, lambda v: v),
    "dpx10-log": ("dpx", "uint10", 1023, acescct_decode),
    "tiff16": ("tif", "uint16", 65535, srgb_decode),
    "png8": ("png", "uint8", 255, srgb_decode),
    "png16": ("png", "uint16", 65535, srgb_decode),
    "jpeg": ("jpg", "uint8", 255, srgb_decode),
    "h264": ("mp4", "uint8", 255, lambda v: v**2.4),
    "prores10": ("mov", "uint10", 1023, lambda v: v**2.4),
    "ffv1-10": ("mkv", "uint10", 1023, lambda v: v**2.4),
}
VIDEO = {"mp4": "h264", "mov": "prores", "mkv": "ffv1"}
# Largest difference from the source allowed on a whole-frame position, in 8-bit levels.
COPY_TOLERANCE = {"jpeg": 3.0, "h264": 3.0, "prores10": 1.0}


# What each format's header says after a render that converts nothing (ACES 2.0 CG config:
# its file rules read EXR as ACES2065-1; 8/16-bit images are sRGB; DPX is ACEScct, log).
HEADER_COLOUR = {
    "exr": "lin_ap0_scene",
    "dpx": "Logarithmic",
    "tif": "srgb_rec709_scene",
    "png": "srgb_rec709_scene",
    "jpg": "srgb_rec709_scene",
}


def _header_colour(frame: Frame, ext: str) -> object:
    key = "dpx:Transfer" if ext == "dpx" else "oiio:ColorSpace"
    return frame.meta.attributes.get(key)


def write_source(folder: Path, kind: str) -> str:
    ext, depth, top, _decode = KINDS[kind]
    frames = []
    for level in LEVELS:
        px = plate(level, top or 65535)
        if not top:  # scene-linear EXR: the patch holds the linear value itself
            px[PATCH[0], PATCH[1]] = level
        window = Window(0, 0, W, H)
        frames.append(
            Frame(px, ("R", "G", "B"), FrameMeta(window, window, fps=Fraction(24), bit_depth=depth))
        )
    folder.mkdir()
    if ext in VIDEO:
        path = folder / f"clip.{ext}"
        rec709 = VideoTags("bt709", "bt709", "bt709", "tv")
        write_video(path, frames, Fraction(24), VIDEO[ext], bit_depth=depth, tags=rec709, crf=12)
        return str(path)
    for i, frame in enumerate(frames):
        write_frame(folder / f"plate.{1001 + i:04d}.{ext}", frame, bit_depth=depth)
    return str(folder / f"plate.####.{ext}")


def render(source: str, target: Path, **output: object) -> list[Frame]:
    job = RenderJob.from_dict(
        {
            "input": {"path": source},
            "output": {"path": str(target), **output},
            "timing": {"mode": "multiply", "multiplier": 2},
            "engine": {"name": "blend"},
            "ocio": CONFIG,
        }
    )
    result = render_job(job)
    if target.suffix in (".mp4", ".mov", ".mkv"):
        with VideoReader(target) as video:
            return [video.read(i) for i in range(video.frame_count)]
    return [read_frame(p) for p in result.paths]


def source_frames(source: str) -> list[Frame]:
    if Path(source).suffix in (".mp4", ".mov", ".mkv"):
        with VideoReader(source) as video:
            return [video.read(i) for i in range(video.frame_count)]
    return [read_frame(source.replace("####", f"{1001 + i:04d}")) for i in range(3)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_whole_frame_positions_give_back_the_source(tmp_path: Path, kind: str) -> None:
    ext = KINDS[kind][0]
    if ext in VIDEO and VIDEO[ext] == "prores" and "prores_ks" not in av.codec.codecs_available:
        pytest.skip("no prores_ks encoder")
    source = write_source(tmp_path / "in", kind)
    out = tmp_path / "out" / (f"retime.{ext}" if ext in VIDEO else f"retime.####.{ext}")

    outputs = render(source, out)

    sources = source_frames(source)
    assert len(outputs) == 5
    for i, original in enumerate(sources):
        copy = outputs[2 * i]
        if kind in COPY_TOLERANCE:
            diff = np.abs(copy.pixels - original.pixels) * 255
            assert diff.max() <= COPY_TOLERANCE[kind], (kind, i)
            assert abs(float((copy.pixels - original.pixels).mean()) * 255) < 0.5
        else:  # lossless and nothing converts: the very same values
            np.testing.assert_array_equal(copy.pixels, original.pixels, err_msg=f"{kind} frame {i}")
        if ext not in VIDEO:
            assert copy.meta.bit_depth == original.meta.bit_depth
            # Every image says what it holds (OIIO keeps a name where the format has a field).
            assert _header_colour(copy, ext) == HEADER_COLOUR[ext], kind


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.startswith("exr")])
def test_a_flat_patch_lands_at_its_scene_linear_level_in_exr(tmp_path: Path, kind: str) -> None:
    _ext, _depth, top, decode = KINDS[kind]
    source = write_source(tmp_path / "in", kind)

    outputs = render(source, tmp_path / "out" / "linear.####.exr")

    for i, level in enumerate(LEVELS):
        patch = outputs[2 * i].pixels[PATCH[0], PATCH[1]]
        code = round(level * top) / top
        expected = decode(code)
        # Neutral greys stay neutral from Rec.709 into ACEScg; half floats hold ~3 digits;
        # limited-range video luma rounds to one of 219 (8-bit) or 876 (10-bit) steps.
        tolerance = 2e-3 * expected
        if KINDS[kind][0] in VIDEO and kind != "ffv1-10":
            tolerance += decode(code + 0.5 / (219 * (top + 1) / 256)) - expected
        np.testing.assert_allclose(patch, expected, atol=tolerance, rtol=0)
    header = outputs[0].meta.attributes
    assert header.get("oiio:ColorSpace") == "lin_ap1_scene"  # and EXR's colorInteropID
    assert header.get("chromaticities") == pytest.approx(
        (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
    )


@pytest.mark.parametrize(
    ("ext", "encode"), [("png", srgb_encode), ("mp4", lambda x: x ** (1 / 2.4))]
)
def test_scene_linear_exr_to_display_formats(tmp_path: Path, ext: str, encode: object) -> None:
    source = write_source(tmp_path / "in", "exr-half")
    target = tmp_path / "out" / (f"review.{ext}" if ext == "mp4" else f"review.####.{ext}")

    outputs = render(source, target)

    for i, level in enumerate(LEVELS):
        patch = outputs[2 * i].pixels[PATCH[0], PATCH[1]] * 255
        want = encode(float(np.float16(level))) * 255  # type: ignore[operator]
        assert np.abs(patch - want).max() <= 1.0, (ext, i)


def test_display_to_scene_linear_exr_and_back_within_one_level(tmp_path: Path) -> None:
    codes = np.arange(256, dtype=np.float32).reshape(16, 16) / 255
    window = Window(0, 0, 16, 16)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        frame = Frame(
            np.repeat(codes[:, :, None], 3, axis=2),
            ("R", "G", "B"),
            FrameMeta(window, window, bit_depth="uint8"),
        )
        write_frame(folder / f"ui.{1 + i:04d}.png", frame)

    linear = render(str(folder / "ui.####.png"), tmp_path / "lin" / "ui.####.exr")
    assert linear[0].pixels.max() == pytest.approx(1.0, abs=1e-3)
    back = render(str(tmp_path / "lin" / "ui.####.exr"), tmp_path / "back" / "ui.####.png")

    restored = back[0].pixels[:, :, 0] * 255  # output 0 of the second render is source frame 1
    assert np.abs(restored - codes * 255).max() <= 1.0


def test_video_to_video_keeps_ten_bits(tmp_path: Path) -> None:
    if "prores_ks" not in av.codec.codecs_available:
        pytest.skip("no prores_ks encoder")
    ramp = np.repeat(
        np.repeat(np.linspace(0, 1, 1024, dtype=np.float32)[None, :, None], 16, 0), 3, 2
    )
    source = tmp_path / "ramp.mov"
    write_video(source, [ramp] * 3, Fraction(24), "prores", bit_depth="uint10")

    outputs = render(str(source), tmp_path / "out" / "slow.mov")

    with VideoReader(tmp_path / "out" / "slow.mov") as video:
        assert (video.info.codec, video.info.bit_depth) == ("prores", "uint10")
    for frame in outputs:  # copies and in-betweens alike
        assert len(np.unique(np.rint(frame.pixels[8, :, 1] * 1023))) >= 870
