"""The classical engine's pixels at time t: warping, blending and texture mapping.

Given the :class:`~vtinker_core.engines.classical_splat.TimeField` at t, a window of the
output frame is made in three steps::

    rgb = render_window(image0, image1, field, window, TextureSettings())

1. **Warp**: both frames are sampled along the time-t motion with bicubic interpolation
   (bilinear loses about 1 dB on fine texture).
2. **Blend**: ``β·warp0 + (1 − β)·warp1`` with ``β ∝ (1 − t)·visibility0`` against
   ``t·visibility1``, so each point comes from the frame(s) where it is visible.
3. **Texture mapping** (the idea of MODEL.md §7, done without a network): the blend of two
   slightly misaligned warps can ghost, and a wrongly weighted occlusion leaves a transparent
   double image. Per 8×8 block (stride 4, so blocks overlap) the engine compares three
   textures with the *proxy*, the two frames forward-splatted to t (blurry, but with each
   surface where it belongs): the blend, frame 0's warp and frame 1's warp, each frame's warp
   also shifted by one pixel in the four directions (a small local search around the warped
   position). A single frame replaces the blend only where it matches the proxy clearly better
   (the blend averages noise and wins ties). Block decisions become smooth per-pixel fields by
   bilinear interpolation between block centres, the frames are re-sampled with the chosen
   shifts, and nothing has a block edge, so there are no seams.

Windows are aligned to one global block grid, so a tile plus a margin of
:data:`TEXTURE_MARGIN` pixels gives exactly the pixels of the whole-frame result.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vtinker_core.engines.base import Region
from vtinker_core.engines.classical_flow import as_pixels, pixel_grid, sample, sample_points
from vtinker_core.engines.classical_splat import TimeField
from vtinker_core.frame import Pixels

_LUMA = np.array([[0.299, 0.587, 0.114]], np.float32)
# Offsets of the local search: no shift first, then one pixel in the four directions.
_SHIFTS = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
_EPSILON = 1e-3


@dataclass(frozen=True)
class TextureSettings:
    """Texture mapping settings.

    Attributes:
        enabled: run texture mapping (off: plain visibility-weighted blend).
        block: block side in pixels (even).
        stride: distance between block centres (block / 2 gives 2× overlap).
        blend_bias: a single frame replaces the blend only when its block error against the
            proxy is below this fraction of the blend's error.
        shift_penalty: relative error increase charged to a shifted candidate (prefers the
            warped position unless a shift clearly fits better).
        noise_floor: per-pixel squared luma difference treated as noise (on [0, 1]).
        disagreement: only blocks where the two warps' mean squared luma difference exceeds
            this are examined (elsewhere every candidate is the same texture).
    """

    enabled: bool = True
    block: int = 8
    stride: int = 4
    blend_bias: float = 0.5
    shift_penalty: float = 0.1
    noise_floor: float = 1e-4
    disagreement: float = 4e-4

    def __post_init__(self) -> None:
        if self.block < 2 or self.block % 2 or self.stride < 1 or self.stride > self.block:
            raise ValueError(
                f"texture blocks need an even block ≥ 2 and 1 ≤ stride ≤ block, got "
                f"block={self.block}, stride={self.stride}"
            )


#: Pixels of context around a tile that make its texture mapping equal the whole frame's.
TEXTURE_MARGIN = 24


def render_window(
    image0: Pixels,
    image1: Pixels,
    field: TimeField,
    window: Region,
    settings: TextureSettings,
) -> Pixels:
    """The frame at ``field.t`` for ``window`` (warp, blend, texture mapping).

    Args:
        image0: H×W×3 float32 RGB in [0, 1] (model encoding), frame 0 (whole frame).
        image1: the same for frame 1.
        field: the time-t field of the whole frame.
        window: the rectangle to render (inside the frame).
        settings: texture mapping settings.

    Returns:
        window.height × window.width × 3 float32, not clamped.
    """
    t = field.t
    rows = slice(window.y, window.y + window.height)
    cols = slice(window.x, window.x + window.width)
    flow = field.flow[rows, cols]
    grid = pixel_grid(window.height, window.width, window.x, window.y)
    map0 = grid - np.float32(t) * flow
    map1 = grid + np.float32(1.0 - t) * flow
    warp0 = sample(image0, map0, cubic=True)
    warp1 = sample(image1, map1, cubic=True)
    a0 = (1.0 - t) * (field.weight0[rows, cols] + _EPSILON)
    a1 = t * (field.weight1[rows, cols] + _EPSILON)
    beta0 = as_pixels(a0 / (a0 + a1))
    blend = as_pixels(beta0[..., None] * warp0 + (1.0 - beta0[..., None]) * warp1)
    if not settings.enabled:
        return blend.astype(np.float32)
    mapping = TextureMapper(warp0, warp1, beta0, field, window, settings)
    return mapping.apply(blend, image0, image1, map0, map1)


def _shifted_errors(patches: Pixels, target: Pixels, block: int) -> Pixels:
    """Block SSD of (block + 2)² patches against block² targets, for each search offset.

    Returns:
        K × len(_SHIFTS) float32: for each block, the squared error of the patch moved by each
        offset of the local search.
    """
    errors = np.empty((patches.shape[0], len(_SHIFTS)), np.float32)
    for n, (dx, dy) in enumerate(_SHIFTS):
        moved = patches[:, 1 + dy : 1 + dy + block, 1 + dx : 1 + dx + block]
        errors[:, n] = ((moved - target) ** 2).sum(axis=(1, 2))
    return errors


def _luma(image: Pixels) -> Pixels:
    # A light low-pass: the proxy is splatted to the nearest pixel, so it jitters by ±½ pixel.
    return as_pixels(cv2.GaussianBlur(cv2.transform(image, _LUMA), (0, 0), 1.0))


class TextureMapper:
    """Texture mapping of one window: block choices and their smooth per-pixel application.

    Only blocks where the two warps disagree are examined (where they agree, every candidate
    is the same texture and the blend is best), so the cost follows the difficult areas.

    Args:
        warp0: h×w×3 float32, frame 0 warped to t over the window.
        warp1: the same for frame 1.
        beta0: h×w float32 in [0, 1], the blend's share of frame 0.
        field: the whole frame's time-t field.
        window: the window's place in the frame.
        settings: texture settings.
    """

    def __init__(
        self,
        warp0: Pixels,
        warp1: Pixels,
        beta0: Pixels,
        field: TimeField,
        window: Region,
        settings: TextureSettings,
    ) -> None:
        self.window = window
        self.settings = settings
        self.beta0 = beta0
        stride = settings.stride
        # Global block grid: block (i, j) covers rows [s·i − b/2, s·i + b/2) and the same
        # columns, centred at (s·j − ½, s·i − ½); the window holds centres s·j ∈ [x, x + w).
        self.block_x = np.arange(
            -(-window.x // stride), (window.x + window.width - 1) // stride + 1
        )
        self.block_y = np.arange(
            -(-window.y // stride), (window.y + window.height - 1) // stride + 1
        )
        self.luma0, self.luma1 = _luma(warp0), _luma(warp1)
        self.field = field

    def apply(
        self,
        blend: Pixels,
        image0: Pixels,
        image1: Pixels,
        map0: Pixels,
        map1: Pixels,
    ) -> Pixels:
        """The window's pixels after texture mapping (``blend`` where no block changes)."""
        picks = self._choose(blend)
        out = blend.astype(np.float32)
        if picks is None:
            return out
        index, only0, only1, shift0, shift1 = self._spread(*picks)
        ys, xs = np.divmod(index, self.window.width)
        beta0 = self.beta0[ys, xs]
        mix0 = (1.0 - only0 - only1) * beta0 + only0
        value0 = sample_points(image0, map0[ys, xs] + shift0, cubic=True)
        value1 = sample_points(image1, map1[ys, xs] + shift1, cubic=True)
        out[ys, xs] = mix0[:, None] * value0 + (1.0 - mix0[:, None]) * value1
        return out

    def _choose(
        self, blend: Pixels
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], Pixels, Pixels, Pixels, Pixels] | None:
        """Which blocks leave the blend, for which frame, with which shift.

        Returns:
            (block rows, block columns, only0, only1, shift0, shift1) of the blocks that change:
            indices into ``block_y``/``block_x``, 0/1 flags of the chosen frame, and K×2
            sampling offsets (x, y) for each frame (zero for the frame not chosen); None when
            every block keeps the blend.
        """
        settings, window = self.settings, self.window
        height, width = window.height, window.width
        half, area = settings.block // 2, float(settings.block**2)
        anchor_x = self.block_x * settings.stride - window.x
        anchor_y = self.block_y * settings.stride - window.y
        disagreement = cv2.boxFilter(
            (self.luma0 - self.luma1) ** 2,
            -1,
            (settings.block, settings.block),
            anchor=(half, half),
            normalize=False,
            borderType=cv2.BORDER_REPLICATE,
        )[anchor_y[:, None], anchor_x[None, :]]
        block_i, block_j = np.nonzero(disagreement > settings.disagreement * area)
        if block_i.size == 0:
            return None
        offsets = np.arange(-half - 1, half + 1)
        rows = np.clip(anchor_y[block_i][:, None] + offsets, 0, height - 1)
        cols = np.clip(anchor_x[block_j][:, None] + offsets, 0, width - 1)
        inner_r, inner_c = rows[:, 1:-1, None], cols[:, None, 1:-1]
        rows_, cols_ = rows[:, :, None], cols[:, None, :]
        patches = (self.luma0[rows_, cols_], self.luma1[rows_, cols_])
        covered = self.field.coverage[
            window.y : window.y + height, window.x : window.x + width, None
        ]
        proxy = self.field.proxy[window.y : window.y + height, window.x : window.x + width]
        target = _luma(np.where(covered > 0, proxy, blend))[inner_r, inner_c]
        beta = self.beta0[inner_r, inner_c]
        mixed = beta * patches[0][:, 1:-1, 1:-1] + (1.0 - beta) * patches[1][:, 1:-1, 1:-1]
        floor = settings.noise_floor * area
        error_blend = ((mixed - target) ** 2).sum(axis=(1, 2)) + floor
        penalty = np.array([1.0] + [1.0 + settings.shift_penalty] * (len(_SHIFTS) - 1))
        block = settings.block
        errors, shifts = [], []
        for k, weights in enumerate((self.field.weight0, self.field.weight1)):
            per_shift = _shifted_errors(patches[k], target, block) * penalty
            best = np.argmin(per_shift, axis=-1)
            visible = weights[inner_r + window.y, inner_c + window.x].mean(axis=(1, 2))
            error = np.take_along_axis(per_shift, best[:, None], -1)[:, 0] + floor
            errors.append(error / np.maximum(visible, 0.05))
            shifts.append(np.asarray(_SHIFTS, np.float32)[best])
        pick0 = (errors[0] < settings.blend_bias * error_blend) & (errors[0] <= errors[1])
        pick1 = (errors[1] < settings.blend_bias * error_blend) & ~pick0
        chosen = np.nonzero(pick0 | pick1)[0]
        if chosen.size == 0:
            return None
        only0 = pick0[chosen].astype(np.float32)
        only1 = pick1[chosen].astype(np.float32)
        return (
            block_i[chosen],
            block_j[chosen],
            only0,
            only1,
            shifts[0][chosen] * only0[:, None],
            shifts[1][chosen] * only1[:, None],
        )

    def _spread(
        self,
        block_i: NDArray[np.intp],
        block_j: NDArray[np.intp],
        only0: Pixels,
        only1: Pixels,
        shift0: Pixels,
        shift1: Pixels,
    ) -> tuple[NDArray[np.intp], Pixels, Pixels, Pixels, Pixels]:
        """Block values → per-pixel values by bilinear interpolation between block centres.

        Blocks not listed count as zero. Interpolating with tents of half-width ``stride``
        centred on the block centres is exactly bilinear interpolation on the block grid; past
        the outermost centres the tents are renormalised (the nearest block's value).

        Returns:
            (flat pixel indices into the window, only0, only1, shift0 (N×2), shift1 (N×2)) for
            the pixels any listed block reaches.
        """
        window, stride = self.window, self.settings.stride
        offsets = np.arange(-stride, stride)
        tent = (1.0 - np.abs(offsets + 0.5) / stride).astype(np.float32)

        def coverage(anchors: NDArray[np.intp], length: int) -> Pixels:
            positions = (anchors[:, None] + offsets).ravel()
            inside = (positions >= 0) & (positions < length)
            weights = np.broadcast_to(tent, (anchors.size, tent.size)).ravel()
            return as_pixels(np.bincount(positions[inside], weights[inside], length))

        anchor_x = self.block_x * stride - window.x
        anchor_y = self.block_y * stride - window.y
        norm_x = coverage(anchor_x, window.width)
        norm_y = coverage(anchor_y, window.height)
        ys = anchor_y[block_i][:, None, None] + offsets[None, :, None]
        xs = anchor_x[block_j][:, None, None] + offsets[None, None, :]
        ys, xs = np.broadcast_arrays(ys, xs)
        weight = np.broadcast_to(tent[:, None] * tent[None, :], ys.shape)
        inside = (ys >= 0) & (ys < window.height) & (xs >= 0) & (xs < window.width)
        ys, xs, weight = ys[inside], xs[inside], weight[inside]
        owner = np.broadcast_to(np.arange(block_i.size)[:, None, None], inside.shape)[inside]
        index, inverse = np.unique(ys * window.width + xs, return_inverse=True)
        norm = (norm_y[index // window.width] * norm_x[index % window.width]).astype(np.float32)
        values = np.column_stack([only0, only1, shift0, shift1])
        spread = np.empty((index.size, values.shape[1]), np.float32)
        for c in range(values.shape[1]):
            summed = np.bincount(inverse, weight * values[owner, c], index.size)
            spread[:, c] = summed / norm
        return index, spread[:, 0], spread[:, 1], spread[:, 2:4], spread[:, 4:6]
