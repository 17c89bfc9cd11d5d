"""The classical engine's motion at time t: both frames' flows forward-splatted to t.

Every pixel of frame 0 travels to ``x + t·forward(x)`` and every pixel of frame 1 to
``y + (1 − t)·backward(y)``. Where they land they deposit what the frame at t needs::

    field = splat_to_time(image0, image1, pair_motion, t)
    field.flow      # H×W×2: the motion (frame 0 → frame 1) of the point seen at each pixel at t
    field.weight0   # H×W in [0, 1]: how visible that point is in frame 0
    field.proxy     # H×W×3: the two frames themselves forward-splatted (the texture proxy)

Several pixels may land on one spot (a foreground passing over background); they are mixed
with softmax weights ``exp(importance)`` (Niklaus & Liu, "Softmax Splatting for Video Frame
Interpolation", CVPR 2020), the importance being high for forward-backward consistent,
photo-consistent pixels, so the pixel that stays visible wins, like a z-buffer without depth.
Spots nobody lands on (disocclusions, cracks where the motion stretches) are filled from
their surroundings by a normalized-convolution pyramid, and isolated vectors that disagree
with their neighbourhood's median (where a fast object and a still background land side by
side) are replaced by that median.

Each pixel carries a visibility vote for both frames: a frame-0 pixel is visible in frame 0,
and in frame 1 unless it is occluded there; likewise for frame 1. The averaged votes become
the blending weights of the two frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vtinker_core.engines.classical_flow import PairMotion, as_pixels, pixel_grid, sample_points
from vtinker_core.frame import Pixels

# Flow vectors farther than _OUTLIER_DISTANCE pixels from the median of their
# _OUTLIER_WINDOW² neighbourhood are replaced by it (speckles where fast motion passes over a
# still background; smooth fields, zooms and rotations included, are left alone).
_OUTLIER_WINDOW = 5
_OUTLIER_DISTANCE = 0.5
# The visibility weights are smoothed with a Gaussian of this sigma (pixels): measured on real
# footage, hard per-pixel switches between the two frames add noise where motion is uncertain.
_WEIGHT_SIGMA = 2.0


@dataclass(frozen=True, eq=False)
class TimeField:
    """The frame at time t, as motion and weights (full resolution, full frame).

    Attributes:
        t: the time in (0, 1).
        flow: H×W×2 float32: the motion from frame 0 to frame 1 (pixels) of the point seen at
            each pixel at time t; frame 0 is sampled at ``p − t·flow`` and frame 1 at
            ``p + (1 − t)·flow``.
        weight0: H×W float32 in [0, 1], how visible the point is in frame 0 (smoothed).
        weight1: the same for frame 1.
        proxy: H×W×3 float32 RGB, the two frames forward-splatted to t (blurry, but with the
            right layout where objects overlap); zero where nothing landed.
        coverage: H×W float32 in [0, 1], how much landed on each pixel (0: a hole in proxy).
    """

    t: float
    flow: Pixels
    weight0: Pixels
    weight1: Pixels
    proxy: Pixels
    coverage: Pixels


def splat_to_time(
    image0: Pixels, image1: Pixels, motion: PairMotion, t: float, *, proxy: bool = True
) -> TimeField:
    """Forward-splat both frames' motion (and colours) to time ``t``.

    Args:
        image0: H×W×3 float32 RGB in [0, 1] (model encoding), frame 0.
        image1: the same for frame 1.
        motion: the pair's motion from :func:`estimate_pair_motion`.
        t: time in (0, 1).
        proxy: also splat the colours (the texture proxy); when False the proxy is all zero
            and the coverage still tells where something landed.

    Returns:
        The :class:`TimeField` at ``t``.
    """
    height, width = image0.shape[:2]
    size = height * width
    count = size
    # Softmax weights, shifted by the common maximum so exp() stays in range; the time
    # factors make the nearer frame win ties.
    top = np.float32(max(float(motion.importance0.max()), float(motion.importance1.max())))
    weights = np.empty(2 * count, np.float64)
    weights[:count] = np.exp(motion.importance0 - top).ravel()
    weights[:count] *= 1.0 - t
    weights[count:] = np.exp(motion.importance1 - top).ravel()
    weights[count:] *= t
    weights += 1e-30
    # Pixels landing outside the frame go to an extra bin that is dropped.
    index = np.concatenate([_landing(motion.forward, t), _landing(motion.backward, 1.0 - t)])
    scratch = np.empty(2 * count, np.float64)

    def total(value0: Pixels, value1: Pixels, sign1: float = 1.0) -> NDArray[np.float64]:
        # Σ weight·value over both frames' pixels landing on each target pixel.
        np.multiply(weights[:count], value0.ravel(), out=scratch[:count])
        np.multiply(weights[count:], value1.ravel(), out=scratch[count:])
        if sign1 != 1.0:
            scratch[count:] *= sign1
        summed = np.asarray(np.bincount(index, scratch, size + 1), np.float64)
        return summed[:size].reshape(height, width)

    def one_side(side: int, value: Pixels) -> NDArray[np.float64]:
        part = slice(0, count) if side == 0 else slice(count, 2 * count)
        np.multiply(weights[part], value.ravel(), out=scratch[:count])
        sums = np.asarray(np.bincount(index[part], scratch[:count], size + 1), np.float64)
        return sums[:size].reshape(height, width)

    mass = np.bincount(index, weights, size + 1)[:size].reshape(height, width)
    inverse = 1.0 / np.maximum(mass, 1e-300)
    field = np.empty((height, width, 4), np.float32)
    field[..., 0] = total(motion.forward[..., 0], motion.backward[..., 0], -1.0) * inverse
    field[..., 1] = total(motion.forward[..., 1], motion.backward[..., 1], -1.0) * inverse
    # Votes for "visible in frame 0": every frame-0 pixel, frame-1 pixels unless occluded;
    # likewise for frame 1.
    field[..., 2] = 1.0 - one_side(1, motion.occlusion1) * inverse
    field[..., 3] = 1.0 - one_side(0, motion.occlusion0) * inverse
    known = mass > 0.0
    field = fill_holes(field, known)
    replace_outliers(field, _OUTLIER_WINDOW, _OUTLIER_DISTANCE)
    colours = np.zeros((height, width, 3), np.float32)
    if proxy:
        for c in range(3):
            colours[..., c] = total(image0[..., c], image1[..., c]) * inverse
    blur0 = cv2.GaussianBlur(field[..., 2], (0, 0), _WEIGHT_SIGMA)
    blur1 = cv2.GaussianBlur(field[..., 3], (0, 0), _WEIGHT_SIGMA)
    return TimeField(
        t=t,
        flow=np.ascontiguousarray(field[..., :2]),
        weight0=np.clip(blur0, 0.0, 1.0),
        weight1=np.clip(blur1, 0.0, 1.0),
        proxy=colours,
        coverage=known.astype(np.float32),
    )


def replace_outliers(field: Pixels, size: int, threshold: float) -> None:
    """Replace flow vectors far from their neighbourhood's median by that median (in place).

    Where a fast object passes over a still background, pixels of both land side by side and
    the softmax cannot always tell them apart pixel by pixel; the odd ones out would sample
    the frames from the wrong place and show as speckles.
    """
    median = np.stack(
        [cv2.medianBlur(np.ascontiguousarray(field[..., c]), size) for c in range(2)], axis=-1
    )
    gap = field[..., :2] - median
    odd = gap[..., 0] ** 2 + gap[..., 1] ** 2 > threshold * threshold
    field[..., :2][odd] = median[odd]


def _landing(flow: Pixels, scale: float) -> NDArray[np.intp]:
    """Where each pixel lands: the flat index of the nearest pixel to (x, y) + scale·flow(x, y),
    or H·W (an extra bin) when that is outside the frame."""
    height, width = flow.shape[:2]
    to = np.rint(pixel_grid(height, width) + np.float32(scale) * flow).astype(np.intp)
    to_x, to_y = to[..., 0], to[..., 1]
    outside = (to_x < 0) | (to_x >= width) | (to_y < 0) | (to_y >= height)
    index = to_y * width + to_x
    index[outside] = height * width
    return index.ravel()


def fill_holes(field: Pixels, known: NDArray[np.bool_], levels: int = 12) -> Pixels:
    """Fill the pixels where ``known`` is False from their surroundings (normalized convolution).

    The field and its confidence are reduced down a Gaussian pyramid; each level's holes take
    the coarser level's value, so small cracks get their neighbours' values and large holes a
    smooth blend of their borders. Known pixels keep their values.

    Args:
        field: H×W×C float32 values (C ≤ 4); the values at holes are ignored.
        known: H×W bool, False at the holes.
        levels: the most pyramid levels to use.

    Returns:
        H×W×C float32, the field with its holes filled (``field`` itself, changed in place).
    """
    holes_y, holes_x = np.nonzero(~known)
    if holes_y.size == 0:
        return field
    channels = field.shape[2]
    confidence = known.astype(np.float32)
    numerator = field * confidence[..., None]
    pyramid: list[tuple[Pixels, Pixels]] = []
    for _ in range(levels):
        if min(confidence.shape) < 4:
            break
        confidence = as_pixels(cv2.pyrDown(confidence))
        numerator = as_pixels(cv2.pyrDown(numerator)).reshape(*confidence.shape, channels)
        pyramid.append((numerator, confidence))
    if not pyramid:
        return field
    numerator, confidence = pyramid[-1]
    filled = numerator / np.maximum(confidence, 1e-12)[..., None]
    for numerator, confidence in reversed(pyramid[:-1]):
        size = (confidence.shape[1], confidence.shape[0])
        upper = cv2.resize(filled, size, interpolation=cv2.INTER_LINEAR)
        upper = upper.reshape(*confidence.shape, channels)
        own = numerator / np.maximum(confidence, 1e-12)[..., None]
        trust = np.clip(2.0 * confidence, 0.0, 1.0)[..., None]
        filled = trust * own + (1.0 - trust) * upper
    # Only the holes of the full-resolution level need the coarser values.
    low_h, low_w = filled.shape[:2]
    height, width = known.shape
    points = np.column_stack(
        [(holes_x + 0.5) * (low_w / width) - 0.5, (holes_y + 0.5) * (low_h / height) - 0.5]
    )
    field[holes_y, holes_x] = sample_points(as_pixels(filled), as_pixels(points))
    return field
