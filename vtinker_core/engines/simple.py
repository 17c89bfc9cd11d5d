"""The trivial engines: ``nearest`` (hold the nearer frame) and ``blend`` (cross-dissolve).

They are baselines to compare against and the frame-blend look editors sometimes want. Neither
estimates motion: their :class:`Motion` holds zero flows, so tiling, vector output and
extra-channel handling work the same as for the real engines.
"""

from __future__ import annotations

import numpy as np

from vtinker_core.engines.base import Engine, FramePair, Motion, Region, check_t, crop
from vtinker_core.frame import Pixels


class _StillEngine(Engine):
    # Two frames scaled and summed: four H×W×3 float32 temporaries.
    bytes_per_pixel_float32 = 48.0

    def estimate(self, pair: FramePair) -> Motion:
        zeros = np.zeros((pair.height, pair.width, 2), np.float32)
        return Motion(forward=zeros, backward=zeros.copy())


class NearestEngine(_StillEngine):
    """Copies frame 0 for t < 0.5 and frame 1 for t ≥ 0.5."""

    name = "nearest"

    def synthesize(
        self, pair: FramePair, motion: Motion, t: float, region: Region | None = None
    ) -> Pixels:
        source = pair.image0 if check_t(t) < 0.5 else pair.image1
        return crop(source, region).copy()

    def describe(self) -> str:
        return "nearest: holds the nearer source frame (no motion)"


class BlendEngine(_StillEngine):
    """Mixes the two frames by t: (1 − t)·frame0 + t·frame1."""

    name = "blend"

    def synthesize(
        self, pair: FramePair, motion: Motion, t: float, region: Region | None = None
    ) -> Pixels:
        t = check_t(t)
        a, b = crop(pair.image0, region), crop(pair.image1, region)
        return ((1.0 - t) * a + t * b).astype(np.float32)

    def describe(self) -> str:
        return "blend: cross-dissolve of the two source frames (no motion)"
