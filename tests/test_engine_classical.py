"""Tests for the classical engine: motion, synthesis at t, tiles, GFU, texture mapping.

Scenes are small synthetic frames with known motion: a multi-scale random texture (so DIS's
coarse levels see structure, like real footage) shifted by whole pixels, and a textured square
moving over a textured background, cut from larger images so every frame (the true middle
one included) is exact.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import vtinker_core.engines.classical_flow as classical_flow
from vtinker_core.engines import FramePair, Motion, Region, create_engine
from vtinker_core.engines.classical import ClassicalEngine, ClassicalState
from vtinker_core.engines.classical_flow import (
    FlowSettings,
    check_consistency,
    symmetrize_flows,
    upsample_flow_guided,
)
from vtinker_core.engines.classical_splat import TimeField, fill_holes, replace_outliers
from vtinker_core.engines.classical_texture import (
    TEXTURE_MARGIN,
    TextureSettings,
    render_window,
)

HEIGHT, WIDTH = 96, 128


def natural_texture(height: int, width: int, seed: int) -> np.ndarray:
    """H×W×3 float32 in [0, 1]: coloured noise summed over scales 1–16 px (1/f-like)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width, 3), np.float32)
    for k, sigma in enumerate((1.0, 2.0, 4.0, 8.0, 16.0)):
        noise = cv2.GaussianBlur(
            rng.standard_normal((height, width, 3)).astype(np.float32), (0, 0), sigma
        )
        out += noise / (noise.std() + 1e-6) * (0.3 + 0.2 * k)
    return np.clip(out / out.std() * 0.15 + 0.5, 0.0, 1.0).astype(np.float32)


def shifted(big: np.ndarray, dx: int, dy: int, margin: int = 16) -> np.ndarray:
    """The HEIGHT×WIDTH view of ``big`` whose content has moved by (dx, dy) pixels."""
    return np.ascontiguousarray(
        big[margin - dy : margin - dy + HEIGHT, margin - dx : margin - dx + WIDTH]
    )


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return -10.0 * np.log10(max(mse, 1e-12))


@pytest.fixture(scope="module")
def translation() -> tuple[FramePair, np.ndarray]:
    """A global translation by (+4, −2) px between the frames, and the true middle frame."""
    big = natural_texture(HEIGHT + 32, WIDTH + 32, seed=3)
    return FramePair(shifted(big, 0, 0), shifted(big, 4, -2)), shifted(big, 2, -1)


def square_scene(step: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Background moving by (+2, 0) px per half step, a 36 px square moving by ``step``."""
    background = natural_texture(HEIGHT + 32, WIDTH + 32, seed=1)
    square = natural_texture(36, 36, seed=2) * 0.7 + np.array([0.3, 0.05, 0.0], np.float32)
    frames, masks = [], []
    for k in range(3):
        frame = shifted(background, 2 * k, 0).copy()
        x, y = 40 + step[0] * k, 30 + step[1] * k
        frame[y : y + 36, x : x + 36] = square
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        mask[y : y + 36, x : x + 36] = 1
        frames.append(frame)
        masks.append(mask)
    return np.stack(frames), np.stack(masks)


@pytest.fixture(scope="module")
def moving_square() -> tuple[FramePair, np.ndarray, np.ndarray]:
    """Frames 0 and 2 of the square scene (square moves 12, 6 px), the middle frame, and a mask
    of the pixels at least 4 px away from the square's outline in all three frames."""
    frames, masks = square_scene((6, 3))
    edges = np.zeros((HEIGHT, WIDTH), np.uint8)
    for mask in masks:
        edges |= cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    far = cv2.dilate(edges, np.ones((9, 9), np.uint8)) == 0
    far[:4], far[-4:], far[:, :8], far[:, -8:] = False, False, False, False
    return FramePair(frames[0], frames[2]), frames[1], far


@pytest.fixture(scope="module")
def engine() -> ClassicalEngine:
    return ClassicalEngine()


# --- motion --------------------------------------------------------------------------------


def test_translation_gives_flows_of_the_right_sign_and_size(engine, translation):
    pair, _ = translation
    motion = engine.estimate(pair)
    inner = (slice(12, -12), slice(12, -12))
    assert motion.forward.shape == (HEIGHT, WIDTH, 2) and motion.forward.dtype == np.float32
    np.testing.assert_allclose(np.median(motion.forward[inner], axis=(0, 1)), [4, -2], atol=0.1)
    np.testing.assert_allclose(np.median(motion.backward[inner], axis=(0, 1)), [-4, 2], atol=0.1)
    assert np.mean(np.abs(motion.forward[inner] - [4, -2]) < 0.5) > 0.95
    assert np.mean(np.abs(motion.backward[inner] - [-4, 2]) < 0.5) > 0.95


def test_occlusion_marks_pixels_that_leave_the_frame(engine, translation):
    pair, _ = translation
    motion = engine.estimate(pair)
    assert motion.occlusion0 is not None and motion.occlusion1 is not None
    for occlusion in (motion.occlusion0, motion.occlusion1):
        assert occlusion.shape == (HEIGHT, WIDTH) and occlusion.dtype == np.float32
        assert occlusion.min() >= 0.0 and occlusion.max() <= 1.0
        assert occlusion[12:-12, 12:-12].mean() < 0.02
    # Content moves right by 4: frame 0's last 4 columns leave, frame 1's first 4 arrive.
    assert motion.occlusion0[:, -3:].mean() > 0.9
    assert motion.occlusion1[:, :3].mean() > 0.9


def test_consistency_flags_an_inconsistent_region():
    forward = np.zeros((40, 40, 2), np.float32)
    backward = np.zeros((40, 40, 2), np.float32)
    forward[10:20, 10:20] = (6.0, 0.0)  # backward says nothing moved there: inconsistent
    image = natural_texture(40, 40, seed=5)
    occlusion, importance = check_consistency(forward, backward, image, image)
    assert occlusion[12:18, 12:18].min() == 1.0
    assert occlusion[25:35, 25:35].max() == 0.0
    assert importance[12:18, 12:18].max() < importance[25:35, 25:35].min()
    assert importance.max() <= 0.0


def test_symmetrize_flows_averages_noise_between_the_directions():
    rng = np.random.default_rng(0)
    truth = np.array([2.0, -1.0], np.float32)
    forward = (truth + 0.3 * rng.standard_normal((64, 64, 2))).astype(np.float32)
    backward = (-truth + 0.3 * rng.standard_normal((64, 64, 2))).astype(np.float32)
    sym_forward, sym_backward = symmetrize_flows(forward, backward, iterations=3, sigma=8.0)
    inner = (slice(8, -8), slice(8, -8))
    for before, after, expected in (
        (forward, sym_forward, truth),
        (backward, sym_backward, -truth),
    ):
        assert np.std(after[inner] - expected) < 0.8 * np.std(before[inner] - expected)
        np.testing.assert_allclose(after[inner].mean(axis=(0, 1)), expected, atol=0.05)


def test_gfu_puts_the_motion_boundary_on_the_image_edge():
    # Full resolution 64×64: an object (bright) right of column 37 moves by 5 px.
    guide = np.full((64, 64, 3), 0.2, np.float32)
    guide[:, 37:] = 0.8
    truth = np.zeros((64, 64, 2), np.float32)
    truth[:, 37:, 0] = 5.0
    small_guide = cv2.resize(guide, (32, 32), interpolation=cv2.INTER_AREA)
    small_flow = cv2.resize(truth, (32, 32), interpolation=cv2.INTER_AREA) / 2.0
    settings = FlowSettings()
    guided = upsample_flow_guided(small_flow, guide, small_guide, settings)
    plain = cv2.resize(small_flow * 2.0, (64, 64), interpolation=cv2.INTER_LINEAR)
    guided_error = np.abs(guided[..., 0] - truth[..., 0])[:, 33:41]
    plain_error = np.abs(plain[..., 0] - truth[..., 0])[:, 33:41]
    assert guided_error.max() < 0.5
    assert plain_error.max() > 1.0
    # Away from the boundary the GFU is plain bilinear upsampling.
    np.testing.assert_allclose(guided[:, :28], plain[:, :28], atol=1e-5)


def test_reduced_resolution_flow_is_upsampled_to_full_size(translation):
    pair, _ = translation
    motion = ClassicalEngine(max_side=64).estimate(pair)  # flow at 64×48, GFU to 128×96
    assert motion.forward.shape == (HEIGHT, WIDTH, 2)
    np.testing.assert_allclose(
        np.median(motion.forward[12:-12, 12:-12], axis=(0, 1)), [4, -2], atol=0.25
    )


# --- synthesis -----------------------------------------------------------------------------


def test_translation_middle_frame_matches_the_truth(engine, translation):
    pair, middle = translation
    output = engine.synthesize(pair, engine.estimate(pair), 0.5)
    assert output.shape == (HEIGHT, WIDTH, 3) and output.dtype == np.float32
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(output[inner] - middle[inner]).mean() < 0.005
    assert psnr(output[inner], middle[inner]) > 40.0


def test_moving_object_middle_frame_matches_the_truth_away_from_occlusions(engine, moving_square):
    pair, middle, far = moving_square
    output = engine.synthesize(pair, engine.estimate(pair), 0.5)
    error = np.abs(output - middle).mean(axis=2)
    assert error[far].mean() < 0.01
    assert psnr(output[far], middle[far]) > 35.0
    # Including the occlusion bands the frame is still far better than a cross-dissolve.
    blend = 0.5 * (pair.image0 + pair.image1)
    assert psnr(output, middle) > 28.0
    assert psnr(output, middle) > psnr(blend, middle) + 8.0


def test_t0_and_t1_reproduce_the_inputs_exactly(engine, moving_square):
    pair = moving_square[0]
    motion = engine.estimate(pair)
    assert np.array_equal(engine.synthesize(pair, motion, 0.0), pair.image0)
    assert np.array_equal(engine.synthesize(pair, motion, 1.0), pair.image1)
    region = Region(10, 20, 30, 40)
    assert np.array_equal(engine.synthesize(pair, motion, 1.0, region), pair.image1[20:60, 10:40])
    # Close to the ends the frame tends to the source smoothly (no jump).
    near0 = engine.synthesize(pair, motion, 1e-4)
    assert np.abs(near0 - pair.image0).mean() < 1e-3


def test_motion_is_estimated_once_and_serves_every_t(engine, translation, monkeypatch):
    pair, _ = translation
    calls = []
    real = classical_flow.compute_dis_flows
    monkeypatch.setattr(classical_flow, "compute_dis_flows", lambda *a: calls.append(1) or real(*a))
    motion = engine.estimate(pair)
    outputs = {t: engine.synthesize(pair, motion, t) for t in (0.25, 0.5, 0.75)}
    assert len(calls) == 1
    assert isinstance(motion.state, ClassicalState)
    # Each t lands where the content is at that time (a quarter and three quarters of 4, −2).
    big = natural_texture(HEIGHT + 32, WIDTH + 32, seed=3)
    inner = (slice(8, -8), slice(8, -8))
    for t, output in outputs.items():
        dx, dy = 4 * t, -2 * t
        truth = cv2.warpAffine(
            big,
            np.float32([[1, 0, dx - 16], [0, 1, dy - 16]]),
            (WIDTH, HEIGHT),
            flags=cv2.INTER_CUBIC,
        )
        assert np.abs(output[inner] - truth[inner]).mean() < 0.01, t
    # Running per t from a fresh estimate gives the same pixels.
    again = engine.synthesize(pair, engine.estimate(pair), 0.25)
    np.testing.assert_array_equal(again, outputs[0.25])


@pytest.mark.parametrize(
    "region",
    [Region(0, 0, 40, 32), Region(37, 21, 50, 45), Region(96, 60, 32, 36), Region(5, 90, 123, 6)],
)
def test_a_region_equals_the_crop_of_the_whole_frame(engine, moving_square, region):
    pair = moving_square[0]
    motion = engine.estimate(pair)
    whole = engine.synthesize(pair, motion, 0.4)
    tile = engine.synthesize(pair, motion, 0.4, region)
    assert tile.shape == (region.height, region.width, 3)
    expected = whole[region.y : region.y + region.height, region.x : region.x + region.width]
    np.testing.assert_allclose(tile, expected, atol=1e-6)


def test_flows_from_elsewhere_are_used_as_given(engine, translation):
    pair, middle = translation
    forward = np.broadcast_to(np.float32([4, -2]), (HEIGHT, WIDTH, 2)).copy()
    motion = Motion(forward=forward, backward=-forward)
    output = engine.synthesize(pair, motion, 0.5)
    assert motion.state is None  # the caller's motion is not modified
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(output[inner] - middle[inner]).mean() < 0.003
    with pytest.raises(ValueError, match=r"motion\.forward"):
        engine.synthesize(pair, Motion(forward[:10], -forward), 0.5)


# --- texture mapping ------------------------------------------------------------------------


def ghost_field(image0: np.ndarray, proxy: np.ndarray, t: float = 0.5) -> TimeField:
    height, width = image0.shape[:2]
    ones = np.ones((height, width), np.float32)
    return TimeField(
        t=t,
        flow=np.zeros((height, width, 2), np.float32),
        weight0=ones,
        weight1=ones.copy(),
        proxy=proxy,
        coverage=ones.copy(),
    )


def test_texture_mapping_replaces_a_ghost_with_the_frame_the_proxy_shows():
    # Both frames agree except in a patch where frame 1 shows something else; the proxy (the
    # forward-splatted frames) says frame 0 is right there. The blend would ghost.
    image0 = natural_texture(64, 80, seed=7)
    image1 = image0.copy()
    image1[20:44, 24:56] = natural_texture(24, 32, seed=8)
    field = ghost_field(image0, image0.copy())
    window = Region(0, 0, 80, 64)
    plain = render_window(image0, image1, field, window, TextureSettings(enabled=False))
    mapped = render_window(image0, image1, field, window, TextureSettings())
    patch = (slice(24, 40), slice(28, 52))
    assert np.abs(plain[patch] - image0[patch]).mean() > 0.05
    assert np.abs(mapped[patch] - image0[patch]).mean() < 0.01
    # Outside the patch nothing changes, and there are no block edges: the output stays within
    # the range of its two candidates everywhere.
    np.testing.assert_array_equal(mapped[:12], plain[:12])
    low = np.minimum(image0, image1) - 1e-5
    high = np.maximum(image0, image1) + 1e-5
    assert np.all((mapped >= low) & (mapped <= high))


def test_texture_mapping_local_search_follows_a_one_pixel_offset():
    # The proxy shows frame 0's texture one pixel to the left of where the warp put it.
    image0 = natural_texture(64, 80, seed=9)
    image1 = image0.copy()
    image1[16:48, 16:64] = natural_texture(32, 48, seed=10)
    proxy = image0.copy()
    proxy[:, :-1] = image0[:, 1:]
    mapped = render_window(
        image0, image1, ghost_field(image0, proxy), Region(0, 0, 80, 64), TextureSettings()
    )
    patch = (slice(22, 42), slice(22, 58))
    assert np.abs(mapped[patch] - proxy[patch]).mean() < 0.01


def test_texture_mapping_of_a_tile_equals_the_whole_frame():
    image0 = natural_texture(64, 80, seed=11)
    image1 = image0.copy()
    image1[10:50, 30:70] = natural_texture(40, 40, seed=12)
    proxy = image0.copy()
    proxy[:, :-1] = image0[:, 1:]
    field = ghost_field(image0, proxy, t=0.3)
    settings = TextureSettings()
    whole = render_window(image0, image1, field, Region(0, 0, 80, 64), settings)
    tile = Region(33, 17, 21, 30)
    x0, y0 = max(tile.x - TEXTURE_MARGIN, 0), max(tile.y - TEXTURE_MARGIN, 0)
    x1, y1 = (
        min(tile.x + tile.width + TEXTURE_MARGIN, 80),
        min(tile.y + tile.height + TEXTURE_MARGIN, 64),
    )
    part = render_window(image0, image1, field, Region(x0, y0, x1 - x0, y1 - y0), settings)
    crop = part[tile.y - y0 : tile.y - y0 + tile.height, tile.x - x0 : tile.x - x0 + tile.width]
    np.testing.assert_allclose(
        crop, whole[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width], atol=1e-6
    )


def test_fill_holes_keeps_known_values_and_fills_from_neighbours():
    field = np.zeros((32, 32, 2), np.float32)
    field[..., 0] = 3.0
    field[..., 1] = np.linspace(0, 1, 32, dtype=np.float32)[None, :]
    known = np.ones((32, 32), bool)
    known[10:14, 10:14] = False
    holes = field.copy()
    holes[~known] = 99.0
    filled = fill_holes(holes, known)
    np.testing.assert_array_equal(filled[known], field[known])
    np.testing.assert_allclose(filled[~known][:, 0], 3.0, atol=1e-4)
    assert np.all(np.abs(filled[~known][:, 1] - field[~known][:, 1]) < 0.1)


def test_replace_outliers_removes_speckles_and_keeps_smooth_motion():
    # A zoom-like smooth field (flow proportional to the position) with isolated odd vectors.
    ys, xs = np.mgrid[0:40, 0:48].astype(np.float32)
    field = np.zeros((40, 48, 4), np.float32)
    field[..., 0], field[..., 1] = 0.05 * (xs - 24), 0.05 * (ys - 20)
    field[..., 2:] = 0.7
    smooth = field.copy()
    speckles = [(10, 10), (20, 31), (33, 7)]
    for y, x in speckles:
        field[y, x, :2] = (12.0, -9.0)
    replace_outliers(field, 5, 0.5)
    np.testing.assert_allclose(field[2:-2, 2:-2], smooth[2:-2, 2:-2], atol=1e-5)
    np.testing.assert_array_equal(field[..., 2:], smooth[..., 2:])


# --- the engine as a registry entry --------------------------------------------------------


def test_engine_registry_options_and_description():
    engine = create_engine("classical")
    assert isinstance(engine, ClassicalEngine) and engine.name == "classical"
    assert engine.quality == "high" and engine.texture_settings.enabled
    text = engine.describe()
    assert text.startswith("classical (high)") and "no weights" in text
    draft = create_engine("classical", quality="draft")
    assert not draft.texture_settings.enabled and draft.flow_settings.max_side == 512
    assert ClassicalEngine(max_side=0).flow_settings.max_side is None
    assert ClassicalEngine(quality="draft", texture=True).texture_settings.enabled


def test_bad_arguments_raise_value_errors(engine, translation):
    pair, _ = translation
    motion = engine.estimate(pair)
    with pytest.raises(ValueError, match="quality"):
        ClassicalEngine(quality="ultra")
    with pytest.raises(ValueError, match="max_side"):
        ClassicalEngine(max_side=-5)
    with pytest.raises(ValueError, match="DIS preset"):
        FlowSettings(preset="slow")
    with pytest.raises(ValueError, match="block"):
        TextureSettings(block=7)
    with pytest.raises(ValueError, match="t must"):
        engine.synthesize(pair, motion, 1.5)
    with pytest.raises(ValueError, match="region"):
        engine.synthesize(pair, motion, 0.5, Region(100, 0, 40, 10))
    with pytest.raises(ValueError, match="region"):
        engine.synthesize(pair, motion, 0.5, Region(0, 0, 0, 10))


def test_tiny_frames_work(engine):
    image0 = natural_texture(9, 11, seed=4)
    pair = FramePair(image0, np.roll(image0, 1, axis=1))
    motion = engine.estimate(pair)
    output = engine.synthesize(pair, motion, 0.5)
    assert output.shape == (9, 11, 3) and np.isfinite(output).all()


def test_the_engine_declares_its_memory_and_alignment() -> None:
    from vtinker_core.engines import engine_class

    classical = engine_class("classical")
    assert classical.memory_per_pixel("float32") == classical.memory_per_pixel("float16") == 160.0
    assert classical.tile_align == 1
    assert engine_class("blend").memory_per_pixel() == 48.0
