"""A small synthetic shot for ``vtinker demo`` (and tests): textured objects over a panning plate.

Nothing to download: the first-run command retimes this and writes a contact sheet::

    frames = make_demo_frames(count=9, width=320, height=180, seed=7)
    frames[0].channels          # ("R", "G", "B", "A")
    frames[0].meta.timecode     # "01:00:00:00"; frames[1] is "01:00:00:01", 24 fps
    layout = demo_layout(320, 180)
    layout.disc_center(4)       # where the disc is in frame 4 (pixel units, x right, y down)
    sheet = make_contact_sheet(display_images, labels=["1001", "1001.5", ...], columns=3)
    cv2.imwrite("sheet.png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))

What is in the shot (at 320 px wide; speeds and positions scale with the width, sizes with
the smaller of width/320 and height/180):

- **Plate**: a brick-like wall with fine grain, scene-linear 0.02 … 0.6, panning left 2 px per
  frame (the camera moves right).
- **Square**: a teal, noise-textured square moving down and to the left (−4, +3) px per frame.
- **Disc**: an orange checker-textured disc with soft shading, in front of the square, moving
  right 6 px per frame, with a specular glint riding on it: a small Gaussian whose peak is
  exactly 40.0 (its centre is snapped to a pixel centre in every frame), far above 1.0 as
  real speculars are in linear light.
- **A**: the objects' matte, i.e. their coverage (union of disc and square) with soft
  anti-aliased edges, 0 on the plate: a roto/key matte delivered in the alpha channel of a
  plate, as compositors get them. RGB is the whole picture and is *not* premultiplied by A;
  a retime must move the matte exactly with the objects.

Pixels are float32, rounded to values a half-float EXR holds exactly (``bit_depth`` is
``half``), so a write and read back is lossless. The same seed gives the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np
from numpy.typing import NDArray

from vtinker_core.frame import Frame, FrameMeta, Pixels, Window
from vtinker_core.timecode import advance_timecode

#: Channel names of the demo frames.
DEMO_CHANNELS = ("R", "G", "B", "A")
#: Frame rate of the demo shot and the timecode of its first frame.
DEMO_FPS = 24
DEMO_START_TIMECODE = "01:00:00:00"

# Scene-linear colours (Rec.709 primaries).
_DISC_LIGHT = np.array([0.85, 0.32, 0.06], np.float32)
_DISC_DARK = np.array([0.30, 0.07, 0.02], np.float32)
_SQUARE_TINT = np.array([0.05, 0.38, 0.34], np.float32)
_PLATE_TINT = np.array([1.0, 0.93, 0.82], np.float32)


@dataclass(frozen=True)
class DemoLayout:
    """Where things are in the demo shot; positions are in pixels with (0, 0) at the top-left
    corner of the top-left pixel (pixel centres at +0.5), x right, y down.

    Attributes:
        width: frame width in pixels.
        height: frame height in pixels.
        disc_start: (x, y) of the disc's centre in frame 0.
        disc_velocity: (dx, dy) of the disc per frame.
        disc_radius: disc radius in pixels.
        checker_size: size of one checker square on the disc.
        square_start: (x, y) of the square's centre in frame 0.
        square_velocity: (dx, dy) of the square per frame.
        square_half_size: half the square's side in pixels.
        pan_velocity: how far the plate moves left per frame, in pixels.
        highlight_offset: (dx, dy) of the glint from the disc's centre.
        highlight_sigma: the glint's Gaussian standard deviation in pixels.
        highlight_peak: the glint's value in R, G and B at its centre (linear light).
        edge_softness: width in pixels of the objects' anti-aliased edges.
    """

    width: int
    height: int
    disc_start: tuple[float, float]
    disc_velocity: tuple[float, float]
    disc_radius: float
    checker_size: float
    square_start: tuple[float, float]
    square_velocity: tuple[float, float]
    square_half_size: float
    pan_velocity: float
    highlight_offset: tuple[float, float]
    highlight_sigma: float
    highlight_peak: float
    edge_softness: float

    def disc_center(self, index: float) -> tuple[float, float]:
        """(x, y) of the disc's centre at frame ``index`` (fractions give in-betweens)."""
        return _advance(self.disc_start, self.disc_velocity, index)

    def square_center(self, index: float) -> tuple[float, float]:
        """(x, y) of the square's centre at frame ``index``."""
        return _advance(self.square_start, self.square_velocity, index)

    def highlight_center(self, index: int) -> tuple[float, float]:
        """(x, y) of the glint's peak in frame ``index``: on a pixel centre, so that pixel
        holds the full :attr:`highlight_peak`."""
        x, y = self.disc_center(index)
        return (
            math.floor(x + self.highlight_offset[0]) + 0.5,
            math.floor(y + self.highlight_offset[1]) + 0.5,
        )


def demo_layout(width: int = 320, height: int = 180) -> DemoLayout:
    """The demo shot's geometry for a frame size (see the module docstring).

    Raises:
        ValueError: width or height below 16.
    """
    if width < 16 or height < 16:
        raise ValueError(f"the demo scene needs at least 16×16 pixels, got {width}×{height}")
    speed = width / 320.0
    scale = min(width / 320.0, height / 180.0)
    radius = 24.0 * scale
    return DemoLayout(
        width=width,
        height=height,
        disc_start=(0.2 * width, 0.6 * height),
        disc_velocity=(6.0 * speed, 0.0),
        disc_radius=radius,
        checker_size=8.0 * scale,
        square_start=(0.62 * width, 0.25 * height),
        square_velocity=(-4.0 * speed, 3.0 * speed),
        square_half_size=18.0 * scale,
        pan_velocity=2.0 * speed,
        highlight_offset=(-0.35 * radius, -0.4 * radius),
        highlight_sigma=max(1.6 * scale, 0.8),
        highlight_peak=40.0,
        edge_softness=max(1.5 * scale, 1.0),
    )


def make_demo_frames(
    count: int = 9, width: int = 320, height: int = 180, seed: int = 7
) -> list[Frame]:
    """The demo shot: ``count`` scene-linear RGBA frames (see the module docstring).

    Args:
        count: number of frames, 1 or more. Objects keep moving and may leave the frame in
            long shots.
        width: frame width in pixels, 16 or more.
        height: frame height in pixels, 16 or more.
        seed: seeds the textures; the same seed gives the same frames.

    Returns:
        ``count`` frames, each height × width × 4 float32 (R, G, B scene-linear, A the objects'
        matte in [0, 1]), 24 fps, timecode from 01:00:00:00, bit depth ``half``.

    Raises:
        ValueError: count below 1 or a size below 16.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    layout = demo_layout(width, height)
    rng = np.random.default_rng(seed)
    margin = 4
    pan_total = math.ceil(layout.pan_velocity * (count - 1))
    plate = _plate_texture(rng, height + 2 * margin, width + pan_total + 2 * margin, layout)
    square_grain = _fractal_noise(rng, 128, 128, base_cells=16)
    disc_grain = _fractal_noise(rng, 128, 128, base_cells=10)

    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + np.float32(0.5)
    # Object textures (128² texels) are stretched with the objects' size.
    texel = np.float32(layout.disc_radius / 24.0)
    frames = []
    for index in range(count):
        # Plate: texture sampled at the panned position (bilinear for fractional pans).
        rgb = _sample(plate, xs - 0.5 + margin + layout.pan_velocity * index, ys - 0.5 + margin)

        sx, sy = layout.square_center(index)
        u, v = xs - np.float32(sx), ys - np.float32(sy)
        square_alpha = _edge(layout.square_half_size - np.abs(u), layout.edge_softness) * _edge(
            layout.square_half_size - np.abs(v), layout.edge_softness
        )
        grain = _sample(square_grain, u / texel + 64.0, v / texel + 64.0)[:, :, 0]
        square_rgb = _SQUARE_TINT * (0.45 + 1.1 * grain)[:, :, None]
        rgb = _over(rgb, square_rgb, square_alpha)

        dx, dy = layout.disc_center(index)
        u, v = xs - np.float32(dx), ys - np.float32(dy)
        distance = np.hypot(u, v)
        disc_alpha = _edge(layout.disc_radius - distance, layout.edge_softness)
        phase = np.float32(math.pi / layout.checker_size)
        checker = np.clip(0.5 + 2.0 * np.sin(u * phase) * np.sin(v * phase), 0.0, 1.0)
        grain = _sample(disc_grain, u / texel + 64.0, v / texel + 64.0)[:, :, 0]
        albedo = _DISC_DARK + (_DISC_LIGHT - _DISC_DARK) * checker[:, :, None]
        ball = np.sqrt(np.clip(1.0 - (distance / layout.disc_radius) ** 2, 0.0, 1.0))
        disc_rgb = albedo * ((0.5 + 0.5 * ball) * (0.8 + 0.4 * grain))[:, :, None]
        hx, hy = layout.highlight_center(index)
        glint = np.exp(
            -((xs - np.float32(hx)) ** 2 + (ys - np.float32(hy)) ** 2)
            / np.float32(2.0 * layout.highlight_sigma**2)
        )[:, :, None]
        # Mixed towards the peak rather than added, so the centre pixel holds exactly 40.0.
        disc_rgb = disc_rgb * (1.0 - glint) + np.float32(layout.highlight_peak) * glint
        rgb = _over(rgb, disc_rgb, disc_alpha)

        alpha = 1.0 - (1.0 - square_alpha) * (1.0 - disc_alpha)
        pixels = np.concatenate([rgb, alpha[:, :, None]], axis=2)
        # Values a half-float EXR stores exactly, so writing and reading back is lossless.
        pixels = pixels.astype(np.float16).astype(np.float32)
        frames.append(
            Frame(np.ascontiguousarray(pixels), DEMO_CHANNELS, _meta(width, height, index))
        )
    return frames


def make_contact_sheet(
    images: Sequence[Pixels],
    labels: Sequence[str] | None = None,
    columns: int = 4,
    *,
    gap: int = 4,
    label_height: int = 16,
    thumbnail_width: int | None = None,
) -> NDArray[np.uint8]:
    """Tile images into one picture, left to right and top to bottom, with thin gaps.

    Args:
        images: H×W×3 float32 display-referred RGB in [0, 1] (values outside are clipped,
            NaN shows black); sizes may differ, each is centred in a cell of the largest size.
        labels: one caption per image, drawn under it, or ``None`` for no captions.
        columns: images per row, 1 or more (fewer when there are fewer images).
        gap: pixels between cells and around the edge, 0 or more.
        label_height: height in pixels of the caption strip under each image.
        thumbnail_width: scale each image to this width first (keeping its aspect).

    Returns:
        rows × columns cells as uint8 RGB (H×W×3, not OpenCV's BGR): height
        ``rows * (cell_h + label_height) + (rows + 1) * gap`` (no label strip without
        labels), width ``columns * cell_w + (columns + 1) * gap``.

    Raises:
        ValueError: no images, an image that is not H×W×3, a label count that differs from
            the image count, or a bad size argument.
    """
    if not images:
        raise ValueError("make_contact_sheet needs at least one image")
    if columns < 1 or gap < 0 or label_height < 1:
        raise ValueError(
            f"columns must be ≥ 1, gap ≥ 0 and label_height ≥ 1, got {columns}, {gap}, "
            f"{label_height}"
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images")
    if thumbnail_width is not None and thumbnail_width < 1:
        raise ValueError(f"thumbnail_width must be at least 1, got {thumbnail_width}")
    thumbs = [_to_uint8(image, index, thumbnail_width) for index, image in enumerate(images)]
    cell_h = max(t.shape[0] for t in thumbs)
    cell_w = max(t.shape[1] for t in thumbs)
    strip = label_height if labels is not None else 0
    cols = min(columns, len(thumbs))
    rows = -(-len(thumbs) // cols)
    sheet = np.full(
        (rows * (cell_h + strip) + (rows + 1) * gap, cols * cell_w + (cols + 1) * gap, 3),
        24,
        np.uint8,
    )
    scale = max(label_height - 4, 6) / 22.0  # Hershey simplex caps are ~22 px at scale 1
    for index, thumb in enumerate(thumbs):
        row, col = divmod(index, cols)
        top = gap + row * (cell_h + strip + gap)
        left = gap + col * (cell_w + gap)
        y0 = top + (cell_h - thumb.shape[0]) // 2
        x0 = left + (cell_w - thumb.shape[1]) // 2
        sheet[y0 : y0 + thumb.shape[0], x0 : x0 + thumb.shape[1]] = thumb
        if labels is not None:
            baseline = top + cell_h + label_height - max(label_height // 5, 2)
            cv2.putText(
                sheet,
                str(labels[index]),
                (left + 2, baseline),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                (235, 235, 235),
                1,
                cv2.LINE_AA,
            )
    return sheet


# --- helpers ---------------------------------------------------------------------------------


def _advance(
    start: tuple[float, float], velocity: tuple[float, float], index: float
) -> tuple[float, float]:
    return (start[0] + velocity[0] * index, start[1] + velocity[1] * index)


def _meta(width: int, height: int, index: int) -> FrameMeta:
    window = Window(0, 0, width, height)
    return FrameMeta(
        data_window=window,
        display_window=window,
        pixel_aspect=1.0,
        timecode=advance_timecode(DEMO_START_TIMECODE, index, Fraction(DEMO_FPS)),
        fps=Fraction(DEMO_FPS),
        bit_depth="half",
        attributes={"Software": "VTinker Retime demo scene"},
    )


def _edge(inside: NDArray[np.float32], softness: float) -> NDArray[np.float32]:
    """Coverage from a signed distance (positive inside), ramping over ``softness`` pixels."""
    return np.clip(inside / np.float32(softness) + 0.5, 0.0, 1.0).astype(np.float32)


def _over(
    below: NDArray[np.float32], above: NDArray[np.float32], alpha: NDArray[np.float32]
) -> NDArray[np.float32]:
    a = alpha[:, :, None]
    return (below * (1.0 - a) + above * a).astype(np.float32)


def _sample(
    texture: NDArray[np.float32], map_x: NDArray[np.float32], map_y: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Bilinear lookup at (map_x, map_y) in texel-index coordinates; always H×W×C."""
    result = cv2.remap(
        texture,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT_101,
    )
    return np.asarray(result, np.float32).reshape((*map_x.shape, -1))


def _fractal_noise(
    rng: np.random.Generator, height: int, width: int, base_cells: int, octaves: int = 4
) -> NDArray[np.float32]:
    """Smooth multi-scale noise in [0, 1], H×W×1 float32."""
    total = np.zeros((height, width), np.float32)
    amplitude, cells = 1.0, base_cells
    for _ in range(octaves):
        grid = rng.random((cells + 1, cells + 1), dtype=np.float32)
        total += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        amplitude *= 0.5
        cells *= 2
    total -= total.min()
    total /= max(float(total.max()), 1e-6)
    return total[:, :, None]


def _plate_texture(
    rng: np.random.Generator, height: int, width: int, layout: DemoLayout
) -> NDArray[np.float32]:
    """A brick wall with grain and uneven light, H×W×3 scene-linear in [0.02, 0.6]."""
    scale = layout.disc_radius / 24.0
    brick_h = max(18.0 * scale, 4.0)
    brick_w = 2.0 * brick_h
    mortar = max(1.5 * scale, 0.75)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + np.float32(0.5)
    row = np.floor(ys / brick_h).astype(np.int64)
    shifted = xs + (row % 2) * (brick_w / 2.0)
    col = np.floor(shifted / brick_w).astype(np.int64)
    shades = rng.uniform(0.45, 1.0, size=(int(row.max()) + 1, int(col.max()) + 1))
    hues = rng.uniform(-0.08, 0.08, size=(*shades.shape, 3))
    to_edge = np.minimum(
        np.minimum(ys - row * brick_h, (row + 1) * brick_h - ys),
        np.minimum(shifted - col * brick_w, (col + 1) * brick_w - shifted),
    )
    in_brick = np.clip((to_edge - mortar) / mortar + 0.5, 0.0, 1.0)
    grain = _fractal_noise(rng, height, width, base_cells=max(width // 12, 4))[:, :, 0]
    light = _fractal_noise(rng, height, width, base_cells=3, octaves=2)[:, :, 0]
    value = (0.12 + 0.88 * in_brick * shades[row, col]) * (0.7 + 0.3 * grain) * (0.4 + 0.6 * light)
    rgb = value[:, :, None] * (_PLATE_TINT + hues[row, col])
    return np.clip(0.6 * rgb, 0.02, 0.6).astype(np.float32)


def _to_uint8(image: Pixels, index: int, width: int | None) -> NDArray[np.uint8]:
    array = np.asarray(image, np.float32)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"image {index} must be H×W×3, got shape {array.shape}")
    if width is not None and width != array.shape[1]:
        height = max(round(array.shape[0] * width / array.shape[1]), 1)
        array = np.asarray(
            cv2.resize(array, (width, height), interpolation=cv2.INTER_AREA), np.float32
        ).reshape(height, width, 3)
    clean = np.nan_to_num(array, nan=0.0, posinf=1.0, neginf=0.0)
    return (np.clip(clean, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
