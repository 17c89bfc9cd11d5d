"""Tests for vtinker_core.tiling: plans, feathered blending, memory-driven sizes, OOM retry."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from vtinker_core import memory
from vtinker_core.engines.base import Region
from vtinker_core.errors import EngineError
from vtinker_core.memory import estimate_memory
from vtinker_core.tiling import (
    Tile,
    auto_tile_size,
    feather_weights,
    plan_tiles,
    run_with_oom_retry,
    synthesize_tiled,
)

PLANS = [
    (67, 91, 64, 8),
    (67, 91, 64, 0),
    (180, 320, 64, 16),
    (130, 257, 96, 31),
    (1080, 1920, 512, 64),
    (100, 100, 1000, 64),
    (1, 1, 64, 8),
    (65, 64, 64, 8),
]


def _crop_of(image: np.ndarray):
    def synthesize(region: Region) -> np.ndarray:
        return image[region.y : region.y + region.height, region.x : region.x + region.width]

    return synthesize


def _tile_offsets(tiles: list[Tile]):
    """A position-dependent synthesis: a constant 0, 1 or 2 per tile, by grid position."""
    columns = sorted({t.core.x for t in tiles})
    rows = sorted({t.core.y for t in tiles})
    offsets = {
        t.region: float((rows.index(t.core.y) + 2 * columns.index(t.core.x)) % 3) for t in tiles
    }

    def synthesize(region: Region) -> np.ndarray:
        return np.full((region.height, region.width, 1), offsets[region], np.float32)

    return synthesize


def _weight_sum(tiles: list[Tile], height: int, width: int) -> np.ndarray:
    total = np.zeros((height, width), np.float64)
    for tile in tiles:
        r = tile.region
        total[r.y : r.y + r.height, r.x : r.x + r.width] += feather_weights(tile)
    return total


# --- plan_tiles ------------------------------------------------------------------------------


@pytest.mark.parametrize(("height", "width", "size", "overlap"), PLANS)
def test_plan_cores_partition_frame_and_regions_add_overlap(height, width, size, overlap):
    tiles = plan_tiles(height, width, size, overlap)
    owners = np.zeros((height, width), np.int32)
    for tile in tiles:
        core, region = tile.core, tile.region
        owners[core.y : core.y + core.height, core.x : core.x + core.width] += 1
        assert core.width <= size and core.height <= size
        assert region.x == max(core.x - overlap, 0)
        assert region.y == max(core.y - overlap, 0)
        assert region.x + region.width == min(core.x + core.width + overlap, width)
        assert region.y + region.height == min(core.y + core.height + overlap, height)
    assert np.all(owners == 1)
    assert len(tiles) == math.ceil(height / size) * math.ceil(width / size)


def test_plan_spreads_frame_evenly_without_slivers():
    tiles = plan_tiles(10, 1027, 512, 64)
    assert [t.core.width for t in tiles] == [342, 343, 342]
    tiles = plan_tiles(129, 10, 64, 8)
    assert [t.core.height for t in tiles] == [43, 43, 43]


@pytest.mark.parametrize("size", [None, 320, 4096])
def test_plan_is_one_whole_frame_tile_when_size_covers_frame(size):
    (tile,) = plan_tiles(180, 320, size, 64)
    assert tile.core == tile.region == Region(0, 0, 320, 180)
    assert tile.feather == (0, 0, 0, 0)


def test_plan_aligns_boundaries_and_limits_feather_to_half_cores():
    tiles = plan_tiles(200, 300, 100, 40, align=16)
    assert {t.core.x for t in tiles} == {0, 96, 208}
    assert all(t.core.y % 16 == 0 for t in tiles)
    # The feather at an inner boundary never exceeds half of either neighbouring core.
    for tile in tiles:
        left, top, right, bottom = tile.feather
        assert left + right <= tile.core.width and top + bottom <= tile.core.height
        assert max(tile.feather) <= 40


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0, 10, 8, 0), {}),
        ((10, 10, 0, 0), {}),
        ((10, 10, 8, -1), {}),
        ((10, 10, 8, 0), {"align": 0}),
    ],
)
def test_plan_rejects_bad_arguments(args, kwargs):
    with pytest.raises(ValueError):
        plan_tiles(*args, **kwargs)


# --- feather weights and blending ------------------------------------------------------------


@pytest.mark.parametrize(("height", "width", "size", "overlap"), PLANS)
def test_feather_weights_sum_to_one(height, width, size, overlap):
    tiles = plan_tiles(height, width, size, overlap)
    np.testing.assert_allclose(_weight_sum(tiles, height, width), 1.0, atol=1e-6)


def test_feather_is_one_in_core_and_at_frame_border_and_ramps_across_overlap():
    tiles = plan_tiles(64, 128, 64, 8)
    left = tiles[0]
    assert left.feather == (0, 0, 8, 0)
    weights = feather_weights(left)
    assert weights.shape == (64, 72)
    assert np.all(weights[:, :56] == 1.0)  # core interior and the frame border: no ramp
    ramp = weights[0, 56:72]
    assert np.all(np.diff(ramp) < 0) and 0.0 < ramp[-1] < ramp[0] < 1.0
    np.testing.assert_allclose(ramp + ramp[::-1], 1.0, atol=1e-6)  # symmetric raised cosine


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(
    ("height", "width", "size", "overlap", "align"),
    [
        (67, 91, 64, 8, 1),
        (67, 91, 64, 0, 1),
        (67, 91, 200, 8, 1),
        (130, 257, 64, 31, 1),
        (130, 257, 64, 16, 8),
    ],
)
def test_position_independent_synthesis_comes_back_exactly(
    height, width, size, overlap, align, channels
):
    image = np.random.default_rng(3).random((height, width, channels), dtype=np.float32)
    tiles = plan_tiles(height, width, size, overlap, align=align)
    out = synthesize_tiled(_crop_of(image), height, width, channels, tiles)
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.max(np.abs(out - image)) <= 1e-6


def test_single_tile_returns_a_copy_of_the_whole_frame_result():
    image = np.random.default_rng(0).random((20, 30, 3), dtype=np.float32)
    out = synthesize_tiled(_crop_of(image), 20, 30, 3, plan_tiles(20, 30, None, 8))
    assert np.array_equal(out, image) and out is not image


def test_position_dependent_synthesis_blends_smoothly():
    height, width, overlap = 96, 160, 8
    tiles = plan_tiles(height, width, 48, overlap)
    synthesize = _tile_offsets(tiles)
    out = synthesize_tiled(synthesize, height, width, 1, tiles)[:, :, 0]
    largest_jump = 2.0  # the most two neighbouring tiles' offsets differ
    # A raised cosine over 2 * overlap pixels rises at most pi / (4 * overlap) per pixel.
    bound = largest_jump * math.pi / (4 * overlap) + 1e-5
    assert np.abs(np.diff(out, axis=1)).max() <= bound
    assert np.abs(np.diff(out, axis=0)).max() <= bound
    # Without overlap the same synthesis shows hard seams.
    hard_tiles = plan_tiles(height, width, 48, 0)
    hard = synthesize_tiled(_tile_offsets(hard_tiles), height, width, 1, hard_tiles)
    assert np.abs(np.diff(hard[:, :, 0], axis=1)).max() == pytest.approx(largest_jump)


def test_context_outside_the_feather_never_reaches_the_output():
    # Overlap 30 with 40 px cores: the feather is limited to 20 px, so each region carries
    # 10 px of pure context on its inner sides.
    tiles = plan_tiles(40, 80, 40, 30)
    assert tiles[1].feather[0] == 20 and tiles[1].region.x == 10

    def synthesize(region: Region) -> np.ndarray:
        pixels = np.ones((region.height, region.width, 2), np.float32)
        if region.x > 0:
            pixels[:, :10] = np.nan  # garbage at a region's edge, like padding artefacts
        if region.x + region.width < 80:
            pixels[:, -10:] = np.nan
        return pixels

    out = synthesize_tiled(synthesize, 40, 80, 2, tiles)
    assert np.array_equal(out, np.ones((40, 80, 2), np.float32))


def test_synthesize_tiled_checks_shapes_and_coverage():
    tiles = plan_tiles(32, 32, 16, 4)
    with pytest.raises(EngineError, match="expected"):
        synthesize_tiled(lambda r: np.zeros((r.height, r.width, 2), np.float32), 32, 32, 3, tiles)
    with pytest.raises(ValueError, match="uncovered"):
        synthesize_tiled(
            lambda r: np.zeros((r.height, r.width, 3), np.float32), 32, 32, 3, tiles[:2]
        )
    with pytest.raises(ValueError, match="outside"):
        synthesize_tiled(lambda r: np.zeros((r.height, r.width, 3), np.float32), 16, 16, 3, tiles)
    with pytest.raises(ValueError):
        synthesize_tiled(lambda r: np.zeros((1, 1, 1), np.float32), 1, 1, 1, [])


# --- automatic tile size ---------------------------------------------------------------------


def test_auto_tile_size_is_none_when_the_frame_fits(monkeypatch):
    monkeypatch.setattr(memory, "free_memory_bytes", lambda device="cpu": 64 * 1024**3)
    assert auto_tile_size(1080, 1920, 3000.0) is None  # 6.2 GB of a 32 GB budget


@pytest.mark.parametrize("overlap", [0, 32, 64])
def test_auto_tile_size_is_the_largest_fitting_multiple_of_64(monkeypatch, overlap):
    free = 8 * 1024**3
    monkeypatch.setattr(memory, "free_memory_bytes", lambda device="cpu": free)
    size = auto_tile_size(2160, 4096, 3000.0, "cpu", 0.5, overlap=overlap)
    assert size is not None and size % 64 == 0 and size > 2 * overlap
    budget = free * 0.5
    assert estimate_memory(size + 2 * overlap, size + 2 * overlap, 3000.0) <= budget
    assert estimate_memory(size + 64 + 2 * overlap, size + 64 + 2 * overlap, 3000.0) > budget


def test_auto_tile_size_accounts_for_the_frame_edge(monkeypatch):
    # A wide, short frame: a tile's region is clipped to the frame height.
    monkeypatch.setattr(memory, "free_memory_bytes", lambda device="cpu": 2 * 200 * 1000 * 100)
    size = auto_tile_size(200, 8000, 100.0, overlap=0)
    assert size == 960  # 200 × 960 × 100 B fits the 20 MB budget, 200 × 1024 × 100 B does not


def test_auto_tile_size_smallest_and_fallback(monkeypatch):
    monkeypatch.setattr(memory, "free_memory_bytes", lambda device="cpu": 1000)
    assert auto_tile_size(2160, 4096, 3000.0, overlap=64) == 192  # nothing fits: smallest size
    monkeypatch.setattr(memory, "free_memory_bytes", lambda device="cpu": None)
    size = auto_tile_size(4320, 8192, 3000.0, overlap=64)
    assert size is not None and (size + 128) ** 2 * 3000 <= memory.FALLBACK_FREE_BYTES * 0.5
    with pytest.raises(ValueError):
        auto_tile_size(10, 10, 1.0, budget_fraction=0.0)


# --- out-of-memory retry ---------------------------------------------------------------------


@pytest.fixture
def releases(monkeypatch) -> list[int]:
    """Counts memory releases between retries (a real one runs a full, slow gc pass)."""
    calls: list[int] = []
    monkeypatch.setattr(memory, "release_memory", lambda: calls.append(1))
    return calls


def _oom(size: int | None) -> RuntimeError:
    return RuntimeError(f"CUDA out of memory. Tried to allocate 2.00 GiB (tile {size})")


def test_oom_retry_halves_the_tile_size_and_reports(releases):
    tried: list[int | None] = []
    messages: list[str] = []

    def render(size: int | None) -> str:
        tried.append(size)
        if size is None or size > 300:
            raise _oom(size)
        return f"done at {size}"

    result = run_with_oom_retry(render, 2048, height=2160, width=4096, on_retry=messages.append)
    assert result == "done at 256"
    assert tried == [2048, 1024, 512, 256]
    assert messages[0] == "out of memory at tile 2048 px; retrying with 1024 px tiles"
    assert len(messages) == len(releases) == 3


def test_oom_retry_starts_from_the_frame_when_untiled(releases):
    tried: list[int | None] = []
    messages: list[str] = []

    def render(size: int | None) -> int:
        tried.append(size)
        if size is None or size > 500:
            raise MemoryError
        return size

    assert (
        run_with_oom_retry(render, None, height=1080, width=1920, on_retry=messages.append) == 480
    )
    assert tried == [None, 960, 480]
    assert messages[0] == "out of memory at the whole 1920×1080 frame; retrying with 960 px tiles"


def test_oom_retry_gives_up_below_the_minimum_size(releases):
    tried: list[int | None] = []

    def render(size: int | None) -> None:
        tried.append(size)
        raise _oom(size)

    with pytest.raises(EngineError) as info:
        run_with_oom_retry(render, 1024, height=2160, width=4096, min_size=128)
    assert tried == [1024, 512, 256, 128]
    assert info.value.setting == "tiles.size"
    assert "CPU" in str(info.value) and "smaller tile size" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_oom_retry_passes_other_errors_through_at_once(releases):
    tried: list[int | None] = []

    def render(size: int | None) -> None:
        tried.append(size)
        raise ValueError("bad pixels")

    with pytest.raises(ValueError, match="bad pixels"):
        run_with_oom_retry(render, 1024, height=100, width=100)
    assert tried == [1024]
    assert releases == []


def test_tiling_works_without_torch():
    script = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None
        sys.modules["cupy"] = None
        from vtinker_core import memory, tiling
        from vtinker_core.errors import DeviceError
        assert memory.is_out_of_memory_error(MemoryError())
        assert not memory.is_out_of_memory_error(RuntimeError("other"))
        memory.free_memory_bytes("cpu")
        try:
            memory.free_memory_bytes("cuda")
        except DeviceError:
            pass
        else:
            raise SystemExit("expected DeviceError")
        assert tiling.run_with_oom_retry(lambda s: s, 256, height=10, width=10) == 256
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
