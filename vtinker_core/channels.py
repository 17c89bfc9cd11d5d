"""Every channel to time t with the engine's motion, in linear light.

The engine makes the RGB picture in the model encoding; everything else a compositor's plate
carries must move with it: alpha, mattes, depth, AOVs, and the RGB values the bounded model
encoding cannot hold (highlights above 1, negatives). This module does that with the same
:class:`~vtinker_core.engines.base.Motion`, by forward splatting both source frames to t and
blending them with occlusion-aware weights::

    carried = warp_channels(src0, src1, motion, t)   # H×W×C float32, any channels
    vectors = motion_vectors(motion, t, step=0.5)    # H×W×4: forward.u/v, backward.u/v

Premultiplied colour (the EXR convention) blends correctly as it is: premultiplied values mix
linearly, so no un-premultiplication is needed for a warp-and-blend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vtinker_core.engines.base import Motion, Region
from vtinker_core.frame import Pixels

#: The motion-vector layers, Nuke's names: forward points to the next frame, backward to the
#: previous one, in pixels (x right, y down as this project writes them).
VECTOR_CHANNELS = ("forward.u", "forward.v", "backward.u", "backward.v")

#: Weight of a source pixel that the motion says is hidden in the other frame.
OCCLUDED_WEIGHT = 0.05


def _torch() -> Any:
    import torch

    return torch


def _splat(values: Pixels, weights: Pixels, flow: Pixels) -> tuple[Pixels, Pixels]:
    """Forward-splat ``values`` (H×W×C) along ``flow`` (H×W×2) with importance ``weights``.

    Returns the weighted average at each target pixel (H×W×C, 0 in holes) and the splatted
    weight density (H×W, 0 in holes).
    """
    torch = _torch()
    from vtinker_core.model.ops import softsplat_average

    c = values.shape[2]
    stacked = np.concatenate([values * weights[:, :, None], weights[:, :, None]], axis=2)
    inp = torch.from_numpy(np.ascontiguousarray(stacked.transpose(2, 0, 1)))[None]
    fl = torch.from_numpy(np.ascontiguousarray(flow.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        out = softsplat_average(inp, fl)[0].numpy()
    density = out[c]
    safe = np.where(density > 0, density, 1.0)
    averaged = (out[:c] / safe[None]).transpose(1, 2, 0)
    return np.ascontiguousarray(averaged, dtype=np.float32), density.astype(np.float32)


def _weights(occlusion: Pixels | None, shape: tuple[int, int]) -> Pixels:
    if occlusion is None:
        return np.ones(shape, np.float32)
    return (1.0 - occlusion * (1.0 - OCCLUDED_WEIGHT)).astype(np.float32)


def warp_channels(
    source0: Pixels,
    source1: Pixels,
    motion: Motion,
    t: float,
    region: Region | None = None,
) -> Pixels:
    """Both source frames' channels moved to time ``t`` and blended.

    Args:
        source0: H×W×C float32, any channels, any values (linear light, no clipping).
        source1: the same for frame 1.
        motion: the pair's motion (full-resolution flows in pixels).
        t: time in [0, 1] between the two frames.
        region: return only this part of the frame (the splat still uses the whole frame).

    Returns:
        H×W×C float32 (or the region's size): each pixel the (1 − t, t)-weighted blend of what
        frames 0 and 1 splat there, occluded sources down-weighted; where neither frame lands
        (rare holes), the temporally nearer source frame's own pixel.
    """
    if t <= 0.0:
        result = source0
    elif t >= 1.0:
        result = source1
    elif not (motion.forward.any() or motion.backward.any()):
        # No motion (the blend and nearest engines): a plain cross-fade, no splatting.
        result = (1.0 - t) * source0 + t * source1
    else:
        shape = source0.shape[:2]
        w0 = _weights(motion.occlusion0, shape)
        w1 = _weights(motion.occlusion1, shape)
        warped0, d0 = _splat(source0, w0, motion.forward * t)
        warped1, d1 = _splat(source1, w1, motion.backward * (1.0 - t))
        a = (1.0 - t) * d0
        b = t * d1
        total = a + b
        nearer = source0 if t < 0.5 else source1
        safe = np.where(total > 0, total, 1.0)[:, :, None]
        blended = (a[:, :, None] * warped0 + b[:, :, None] * warped1) / safe
        result = np.where((total > 0)[:, :, None], blended, nearer).astype(np.float32)
    if region is not None:
        result = result[region.y : region.y + region.height, region.x : region.x + region.width]
    return np.ascontiguousarray(result, dtype=np.float32)


def occlusion_matte(occlusion0: Pixels, occlusion1: Pixels, motion: Motion, t: float) -> Pixels:
    """Where the picture at ``t`` is seen in only one source frame (Kronos Output "Matte").

    Each frame's visible pixels (1 − occlusion) are splatted to ``t`` with the motion; where
    neither frame's visible pixels land, the picture there was only in one frame (uncovered
    background, background about to be covered, what enters at the frame's edge) and the
    retime invented it from that frame alone.

    Returns:
        H×W×1 float32 in [0, 1]: 1 − the larger of the two landing densities, clipped.
    """
    empty = np.zeros((*occlusion0.shape, 1), np.float32)
    _, seen0 = _splat(empty, (1.0 - occlusion0).astype(np.float32), motion.forward * t)
    _, seen1 = _splat(empty, (1.0 - occlusion1).astype(np.float32), motion.backward * (1.0 - t))
    matte = 1.0 - np.clip(np.maximum(seen0, seen1), 0.0, 1.0)
    return np.ascontiguousarray(matte[:, :, None], dtype=np.float32)


def motion_vectors(motion: Motion, t: float, step: float = 1.0) -> Pixels:
    """Motion vectors of the frame at ``t``, in Nuke's ``forward``/``backward`` convention.

    Args:
        motion: the pair's motion.
        t: time of the output frame between the pair, in [0, 1].
        step: source frames between this output frame and the next one (negative when the
            output plays the source backwards); vectors are scaled by it, so that ``forward``
            points to where the pixel is in the next output frame and ``backward`` to where it
            was in the previous one.

    Returns:
        H×W×4 float32: forward.u, forward.v, backward.u, backward.v in pixels (x right, y down).
    """
    velocity = warp_channels(
        motion.forward, -motion.backward, motion, t
    )  # source frames per frame, towards frame 1
    forward = velocity * step
    backward = -velocity * step
    return np.concatenate([forward, backward], axis=2).astype(np.float32)
