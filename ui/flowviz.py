"""Pictures of motion: the colour-wheel flow view and the occlusion view.

Example::

    rgb = flow_to_rgb(motion.forward)                 # H×W×3 uint8: hue = direction,
                                                      # saturation = speed, white = still
    mask = occlusion_mask(motion)                     # H×W float32 in [0, 1]
    rgb = occlusion_overlay(image0_display, mask)     # the frame dimmed, occlusions in red

The colour wheel is the one of the Middlebury flow benchmark (Baker et al., "A Database and
Evaluation Methodology for Optical Flow", IJCV 2011, https://vision.middlebury.edu/flow/), so
the pictures read like those of every optical-flow paper: right is red, down is green-yellow,
left is cyan, up is blue-violet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

# Colour wheel segments (Baker et al.): red→yellow, yellow→green, green→cyan, cyan→blue,
# blue→magenta, magenta→red, with these many hues each (chosen for perceptual evenness).
_SEGMENTS = (15, 6, 4, 11, 13, 6)
#: Forward-backward consistency test of Sundaram et al. (ECCV 2010): a pixel is occluded when
#: |F(x) + B(x + F(x))|² > ALPHA·(|F|² + |B|²) + BETA.
CONSISTENCY_ALPHA = 0.01
CONSISTENCY_BETA = 0.5


def _colour_wheel() -> NDArray[np.float64]:
    """The wheel's hues, N×3 in [0, 1], N = 55."""
    ry, yg, gc, cb, bm, mr = _SEGMENTS
    ramps: list[NDArray[np.float64]] = []

    def ramp(n: int) -> NDArray[np.float64]:
        return np.arange(n, dtype=np.float64) / n

    ramps.append(np.stack([np.ones(ry), ramp(ry), np.zeros(ry)], axis=1))
    ramps.append(np.stack([1 - ramp(yg), np.ones(yg), np.zeros(yg)], axis=1))
    ramps.append(np.stack([np.zeros(gc), np.ones(gc), ramp(gc)], axis=1))
    ramps.append(np.stack([np.zeros(cb), 1 - ramp(cb), np.ones(cb)], axis=1))
    ramps.append(np.stack([ramp(bm), np.zeros(bm), np.ones(bm)], axis=1))
    ramps.append(np.stack([np.ones(mr), np.zeros(mr), 1 - ramp(mr)], axis=1))
    return np.concatenate(ramps, axis=0)


_WHEEL = _colour_wheel()


def flow_to_rgb(flow: NDArray[Any], max_magnitude: float | None = None) -> NDArray[np.uint8]:
    """A flow field as a colour-wheel picture.

    Args:
        flow: H×W×2 float32, (u, v) in pixels (x right, y down), e.g. ``Motion.forward``.
        max_magnitude: the speed that gets full saturation; default: the field's largest
            finite speed (a still field is all white).

    Returns:
        H×W×3 uint8 sRGB: white where still, hue by direction, saturation by speed.

    Raises:
        ValueError: ``flow`` is not H×W×2.
    """
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"flow must be H×W×2, got shape {flow.shape}")
    u = np.nan_to_num(flow[..., 0].astype(np.float64))
    v = np.nan_to_num(flow[..., 1].astype(np.float64))
    magnitude = np.hypot(u, v)
    scale = float(max_magnitude) if max_magnitude else float(magnitude.max(initial=0.0))
    if scale <= 1e-9:
        return np.full((*flow.shape[:2], 3), 255, np.uint8)
    radius = np.clip(magnitude / scale, 0.0, 1.0)
    count = len(_WHEEL)
    angle = np.arctan2(-v, -u) / np.pi  # in [-1, 1]
    position = (angle + 1.0) / 2.0 * (count - 1)
    k0 = np.floor(position).astype(np.int64) % count
    k1 = (k0 + 1) % count
    f = (position - np.floor(position))[..., None]
    hue = (1 - f) * _WHEEL[k0] + f * _WHEEL[k1]
    colour = 1.0 - radius[..., None] * (1.0 - hue)
    return np.round(colour * 255.0).astype(np.uint8)


def occlusion_mask(
    forward: NDArray[Any],
    backward: NDArray[Any],
    occlusion0: NDArray[Any] | None = None,
) -> NDArray[np.float32]:
    """Where frame 0's pixels are hidden in frame 1.

    Uses the engine's own ``occlusion0`` when it gives one; otherwise the forward-backward
    consistency test (see :data:`CONSISTENCY_ALPHA`), with pixels that leave the frame counted
    as occluded.

    Args:
        forward: H×W×2 float32 flow from frame 0 to frame 1, in pixels.
        backward: H×W×2 float32 flow from frame 1 to frame 0, in pixels.
        occlusion0: optional H×W float32 in [0, 1] from the engine.

    Returns:
        H×W float32 in [0, 1], 1 = occluded.
    """
    if occlusion0 is not None:
        return np.clip(np.asarray(occlusion0, np.float32), 0.0, 1.0)
    height, width = forward.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    tx = xs + forward[..., 0]
    ty = ys + forward[..., 1]
    outside = (tx < -0.5) | (tx > width - 0.5) | (ty < -0.5) | (ty > height - 0.5)
    xi = np.clip(np.rint(tx), 0, width - 1).astype(np.int64)
    yi = np.clip(np.rint(ty), 0, height - 1).astype(np.int64)
    back = backward[yi, xi]
    error = np.sum((forward + back) ** 2, axis=2)
    bound = CONSISTENCY_ALPHA * (np.sum(forward**2, axis=2) + np.sum(back**2, axis=2))
    occluded: NDArray[np.bool_] = outside | (error > bound + CONSISTENCY_BETA)
    return occluded.astype(np.float32)


def occlusion_overlay(image: NDArray[np.uint8], mask: NDArray[Any]) -> NDArray[np.uint8]:
    """Frame 0 as grey at half brightness, occluded pixels in red.

    Args:
        image: H×W×3 uint8 display picture of frame 0.
        mask: H×W float in [0, 1], 1 = occluded.

    Returns:
        H×W×3 uint8.
    """
    grey = image.astype(np.float32).mean(axis=2, keepdims=True) * 0.5
    base = np.repeat(grey, 3, axis=2)
    red = np.array([235.0, 40.0, 40.0], np.float32)
    alpha = np.clip(np.asarray(mask, np.float32), 0.0, 1.0)[..., None] * 0.85
    out: NDArray[np.float32] = base * (1.0 - alpha) + red * alpha
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
