"""Extra channels and HDR values move with the motion, in linear light."""

from __future__ import annotations

import numpy as np

from vtinker_core.channels import motion_vectors, warp_channels
from vtinker_core.engines.base import Motion, Region


def _translation(h: int, w: int, u: float, v: float) -> Motion:
    forward = np.zeros((h, w, 2), np.float32)
    forward[..., 0], forward[..., 1] = u, v
    return Motion(forward=forward, backward=-forward)


def _scene(h: int, w: int, x: int) -> np.ndarray:
    """Channels: a 40.0 specular square (R), an alpha matte, a depth value, on a flat plate."""
    image = np.zeros((h, w, 3), np.float32)
    image[..., 0] = 0.1
    image[..., 2] = 100.0
    image[8:12, x : x + 4, 0] = 40.0
    image[8:12, x : x + 4, 1] = 1.0
    image[8:12, x : x + 4, 2] = 5.0
    return image


def test_highlight_alpha_and_depth_arrive_at_the_in_between_position() -> None:
    h, w = 20, 40
    src0, src1 = _scene(h, w, 10), _scene(h, w, 18)  # the square moves 8 px right
    motion = _translation(h, w, 8.0, 0.0)
    out = warp_channels(src0, src1, motion, 0.5)
    expected = _scene(h, w, 14)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert out[..., 0].max() == np.float32(40.0)  # not clipped to 1.0


def test_quarter_time_puts_the_object_a_quarter_of_the_way() -> None:
    h, w = 20, 40
    src0, src1 = _scene(h, w, 10), _scene(h, w, 18)
    out = warp_channels(src0, src1, _translation(h, w, 8.0, 0.0), 0.25)
    np.testing.assert_allclose(out[8:12, 12:16, 1], 1.0, atol=1e-5)
    np.testing.assert_allclose(out[8:12, 10:12, 1], 0.0, atol=1e-5)


def test_ends_return_the_sources_unchanged_and_region_crops() -> None:
    h, w = 20, 40
    src0, src1 = _scene(h, w, 10), _scene(h, w, 18)
    motion = _translation(h, w, 8.0, 0.0)
    assert np.array_equal(warp_channels(src0, src1, motion, 0.0), src0)
    assert np.array_equal(warp_channels(src0, src1, motion, 1.0), src1)
    full = warp_channels(src0, src1, motion, 0.5)
    part = warp_channels(src0, src1, motion, 0.5, Region(5, 2, 20, 10))
    assert np.array_equal(part, full[2:12, 5:25])


def test_vectors_follow_nukes_sign_convention() -> None:
    h, w = 16, 24
    motion = _translation(h, w, 3.0, -2.0)  # things move right and up
    vectors = motion_vectors(motion, 0.5, step=1.0)
    interior = vectors[4:12, 6:18]
    np.testing.assert_allclose(interior[..., 0], 3.0, atol=1e-5)  # forward.u: to the next frame
    np.testing.assert_allclose(interior[..., 1], -2.0, atol=1e-5)
    np.testing.assert_allclose(interior[..., 2], -3.0, atol=1e-5)  # backward.u: to the previous
    np.testing.assert_allclose(interior[..., 3], 2.0, atol=1e-5)
    half_step = motion_vectors(motion, 0.5, step=0.5)
    np.testing.assert_allclose(half_step[4:12, 6:18, 0], 1.5, atol=1e-5)
