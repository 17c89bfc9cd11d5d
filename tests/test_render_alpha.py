"""Alpha as compositors keep it: in-betweens made premultiplied in linear light, written
straight to PNG/TIFF/video and premultiplied to EXR, so a soft edge moving over nothing gets
no dark or bright fringe."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io import read_frame, write_frame
from vtinker_core.io.video import VideoReader
from vtinker_core.io.video_write import write_video
from vtinker_core.job import RenderJob
from vtinker_core.render import render_job

CONFIG = "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6"
H, W = 24, 64
ORANGE = (1.0, 0.6, 0.2)  # sRGB code values of the object's colour


def srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _to_acescg(linear_rec709: np.ndarray) -> np.ndarray:
    """Linear Rec.709 → ACEScg (AP1, D60), the published matrix with Bradford adaptation."""
    matrix = np.array(
        [
            [0.6130973, 0.3395229, 0.0473793],
            [0.0701942, 0.9163556, 0.0134526],
            [0.0206156, 0.1095698, 0.8698151],
        ]
    )
    return matrix @ linear_rec709


def soft_edge(shift: int) -> np.ndarray:
    """Straight RGBA: an orange object whose right edge fades out over 8 pixels, over nothing
    (colour 0 where alpha is 0, as most exports store it)."""
    alpha = np.clip((28.0 + shift - np.arange(W)) / 8.0, 0.0, 1.0)
    rgba = np.zeros((H, W, 4), np.float32)
    rgba[..., 3] = alpha[None, :]
    rgba[..., :3] = np.where(alpha[None, :, None] > 0, np.array(ORANGE, np.float32), 0.0)
    return np.round(rgba * 255) / 255


def write_pngs(folder: Path) -> str:
    folder.mkdir()
    window = Window(0, 0, W, H)
    for i, shift in enumerate((0, 8)):
        meta = FrameMeta(window, window, bit_depth="uint8", premultiplied=False)
        write_frame(
            folder / f"matte.{1 + i:04d}.png", Frame(soft_edge(shift), ("R", "G", "B", "A"), meta)
        )
    return str(folder / "matte.####.png")


def render(source: str, target: Path, engine: str = "blend") -> list[Frame]:
    job = RenderJob.from_dict(
        {
            "input": {"path": source},
            "output": {"path": str(target)},
            "timing": {"mode": "multiply", "multiplier": 2},
            "engine": {"name": engine},
            "ocio": CONFIG,
        }
    )
    paths = render_job(job).paths
    if target.suffix == ".mov":
        with VideoReader(target) as video:
            return [video.read(i) for i in range(video.frame_count)]
    return [read_frame(p) for p in paths]


@pytest.mark.parametrize("engine", ["blend", "classical"])
def test_a_soft_edge_moving_over_nothing_keeps_its_colour_in_png(
    tmp_path: Path, engine: str
) -> None:
    source = write_pngs(tmp_path / "in")

    first, middle, last = render(source, tmp_path / "out" / "matte.####.png", engine)

    # Whole frames come back exactly, colour under alpha 0 included.
    np.testing.assert_array_equal(first.pixels, soft_edge(0))
    np.testing.assert_array_equal(last.pixels, soft_edge(8))
    assert middle.meta.premultiplied is False
    alpha = middle.pixels[..., 3]
    assert 0.3 < alpha[:, 31].mean() < 0.9  # the edge is half way
    seen = alpha > 4 / 255
    colour = middle.pixels[..., :3][seen]
    # No fringe: wherever anything is seen, it is the object's colour, not a darker mix.
    np.testing.assert_allclose(colour, np.broadcast_to(ORANGE, colour.shape), atol=6 / 255)


def test_png_into_exr_is_premultiplied_in_linear_light(tmp_path: Path) -> None:
    source = write_pngs(tmp_path / "in")

    first, middle, _last = render(source, tmp_path / "out" / "matte.####.exr")

    for frame in (first, middle):
        assert frame.meta.premultiplied is True
        rgb, alpha = frame.pixels[..., :3], frame.pixels[..., 3:]
        solid = rgb[:, 2]  # the object's colour, in ACEScg, where it is opaque
        assert alpha[:, 2].min() == 1.0 and solid.min() > 0.0
        seen = alpha[..., 0] > 0.05
        # Colour divided by alpha is the object's linear colour at every edge pixel: the EXR
        # holds colour premultiplied in linear light, with no dark edge.
        edge = rgb[seen] / alpha[seen]
        np.testing.assert_allclose(
            edge, np.broadcast_to(solid[0], edge.shape), rtol=0.03, atol=1e-3
        )
        assert np.abs(rgb[alpha[..., 0] == 0]).max() == 0.0
    # The opaque colour is the PNG's sRGB orange taken to ACEScg (through linear Rec.709).
    assert solid[0] == pytest.approx(_to_acescg(srgb_decode(np.array(ORANGE))), rel=2e-3)


def test_exr_premultiplied_into_png_is_divided_without_a_bright_fringe(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    window = Window(0, 0, W, H)
    for i, shift in enumerate((0, 8)):
        straight = soft_edge(shift)
        linear = srgb_decode(straight[..., :3]) * straight[..., 3:]
        rgba = np.concatenate([linear, straight[..., 3:]], axis=-1).astype(np.float32)
        meta = FrameMeta(window, window, bit_depth="float")
        write_frame(folder / f"cg.{1 + i:04d}.exr", Frame(rgba, ("R", "G", "B", "A"), meta))

    first, middle, _last = render(str(folder / "cg.####.exr"), tmp_path / "out" / "cg.####.png")

    for frame in (first, middle):
        solid = frame.pixels[0, 2, :3]
        seen = frame.pixels[..., 3] > 4 / 255
        colour = frame.pixels[..., :3][seen]
        # Divided in linear light: edge pixels show the solid colour, not a brighter one.
        np.testing.assert_allclose(colour, np.broadcast_to(solid, colour.shape), atol=6 / 255)
    np.testing.assert_allclose(first.pixels[..., 3], soft_edge(0)[..., 3], atol=0.5 / 255)


@pytest.mark.skipif("prores_ks" not in av.codec.codecs_available, reason="no prores_ks encoder")
def test_prores_4444_alpha_travels_like_exr_alpha(tmp_path: Path) -> None:
    source = tmp_path / "matte.mov"
    frames = [Frame.from_array(soft_edge(s)) for s in (0, 8)]
    write_video(source, frames, Fraction(24), "prores")

    first, middle, _last = render(str(source), tmp_path / "out" / "slow.mov")

    assert first.channels == ("R", "G", "B", "A")
    np.testing.assert_allclose(first.pixels[..., 3], soft_edge(0)[..., 3], atol=1 / 1023)
    seen = middle.pixels[..., 3] > 8 / 255
    colour = middle.pixels[..., :3][seen]
    np.testing.assert_allclose(colour, np.broadcast_to(ORANGE, colour.shape), atol=8 / 255)
