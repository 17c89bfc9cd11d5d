"""Overlapping tiles blended with a feather, tile sizes that follow free memory, OOM retry.

Motion is estimated on the whole frame (it is low resolution by design); the high-resolution
synthesis runs tile by tile, so that 4K and 8K frames fit a memory budget::

    size = auto_tile_size(2160, 4096, bytes_per_pixel=3000.0, device="cuda", overlap=64)

    def render(size: int | None) -> Pixels:
        tiles = plan_tiles(2160, 4096, size, 64)
        return synthesize_tiled(
            lambda region: engine.synthesize(pair, motion, t, region), 2160, 4096, 3, tiles
        )

    rgb = run_with_oom_retry(render, size, height=2160, width=4096, on_retry=log.warning)

Each :class:`Tile` owns a *core* (the cores of a plan partition the frame exactly) and is
computed on its *region*: the core grown by the overlap on every side that is not a frame
border. Neighbouring tiles cross-fade over a band centred on the boundary between their cores
with complementary raised-cosine ramps, so the weights sum to 1 everywhere, there is no ramp at
a frame border, and a position-independent synthesis comes back exactly as if run on the whole
frame. Where the overlap is wider than half a neighbouring core, the ramp is narrowed to fit
and the rest of the region is context only (weight 0): the network sees it, the output does not.

Memory estimates, free memory per device and out-of-memory detection live in
:mod:`vtinker_core.memory`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from vtinker_core import memory
from vtinker_core.engines.base import Region
from vtinker_core.errors import EngineError
from vtinker_core.frame import Pixels

__all__ = [
    "DEFAULT_OVERLAP",
    "MIN_RETRY_TILE_SIZE",
    "MIN_TILE_SIZE",
    "TILE_SIZE_STEP",
    "Tile",
    "auto_tile_size",
    "feather_weights",
    "plan_tiles",
    "run_with_oom_retry",
    "synthesize_tiled",
]

T = TypeVar("T")

#: Overlap (context on each side of a core, in pixels) when a job does not say.
DEFAULT_OVERLAP = 64
#: The smallest tile size a user may set; also the step of automatic sizes.
MIN_TILE_SIZE = 64
TILE_SIZE_STEP = 64
#: Out-of-memory retries halve the tile size down to this and then give up.
MIN_RETRY_TILE_SIZE = 128


@dataclass(frozen=True)
class Tile:
    """One tile of a plan (see the module docstring).

    Attributes:
        core: the part of the output this tile owns; a plan's cores partition the frame.
        region: the rectangle the tile is computed on: the core grown by the overlap on each
            side, clipped to the frame.
        feather: half-widths in pixels of the blend ramps at the core's (left, top, right,
            bottom) edges: a ramp runs from ``edge - f`` to ``edge + f``. 0 at a frame border
            (nothing to blend with) and where the overlap is 0 (a hard cut).
    """

    core: Region
    region: Region
    feather: tuple[int, int, int, int] = (0, 0, 0, 0)


def plan_tiles(
    height: int, width: int, size: int | None, overlap: int = DEFAULT_OVERLAP, *, align: int = 1
) -> list[Tile]:
    """Split a frame into a grid of overlapping tiles, row by row.

    The frame is spread evenly over ``ceil(width / size)`` columns and ``ceil(height / size)``
    rows, so cores differ in size by at most one pixel, or about ``align`` pixels when aligned
    (no thin sliver at the right or bottom). A size that covers the frame, or ``None``, gives
    one tile: the whole frame.

    Args:
        height: frame height in pixels, 1 or more.
        width: frame width in pixels, 1 or more.
        size: the largest core size in pixels (aligned cores may exceed it by up to
            ``align``), or ``None`` for one tile.
        overlap: context added on each side of a core, 0 or more. The blend band at a
            boundary is ``2 * min(overlap, smaller neighbouring core // 2)`` wide.
        align: core boundaries fall on multiples of this (e.g. a network's stride, so that
            tiles see the same pixel grid as the whole frame).

    Returns:
        The tiles, left to right within each row, rows top to bottom.

    Raises:
        ValueError: a size or count is not a positive whole number, or overlap is negative.
    """
    for name, value in (("height", height), ("width", width), ("align", align)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    if size is not None and (not _is_int(size) or size < 1):
        raise ValueError(f"tile size must be None or a whole number of at least 1, got {size!r}")
    if not _is_int(overlap) or overlap < 0:
        raise ValueError(f"overlap must be a whole number of at least 0, got {overlap!r}")
    xs = _split(width, size, align)
    ys = _split(height, size, align)
    x_feathers = _boundary_feathers(xs, overlap)
    y_feathers = _boundary_feathers(ys, overlap)
    tiles = []
    for row in range(len(ys) - 1):
        y0, y1 = ys[row], ys[row + 1]
        ry0, ry1 = max(y0 - overlap, 0), min(y1 + overlap, height)
        for col in range(len(xs) - 1):
            x0, x1 = xs[col], xs[col + 1]
            rx0, rx1 = max(x0 - overlap, 0), min(x1 + overlap, width)
            tiles.append(
                Tile(
                    core=Region(x0, y0, x1 - x0, y1 - y0),
                    region=Region(rx0, ry0, rx1 - rx0, ry1 - ry0),
                    feather=(
                        x_feathers[col],
                        y_feathers[row],
                        x_feathers[col + 1],
                        y_feathers[row + 1],
                    ),
                )
            )
    return tiles


def feather_weights(tile: Tile) -> NDArray[np.float32]:
    """The blend weights of a tile over its region.

    Args:
        tile: a tile of a plan.

    Returns:
        region.height × region.width float32 in [0, 1]: 1 inside the core away from its blend
        bands and at frame borders, raised-cosine ramps across the bands, 0 outside them.
        Over a whole plan the weights of all tiles sum to 1 at every pixel.

    Raises:
        ValueError: the tile's feather bands reach outside its region.
    """
    x0, y0, x1, y1 = _support(tile)
    core, region = tile.core, tile.region
    left, top, right, bottom = tile.feather
    wx = _axis_weights(region.x, region.x + region.width, core.x, core.x + core.width, left, right)
    wy = _axis_weights(
        region.y, region.y + region.height, core.y, core.y + core.height, top, bottom
    )
    # Zero outside the support, even where a hand-made tile has no ramp on that side.
    wx[: x0 - region.x] = 0.0
    wx[x1 - region.x :] = 0.0
    wy[: y0 - region.y] = 0.0
    wy[y1 - region.y :] = 0.0
    return np.outer(wy, wx).astype(np.float32)


def synthesize_tiled(
    synthesize: Callable[[Region], NDArray[Any]],
    height: int,
    width: int,
    channels: int,
    tiles: Sequence[Tile],
) -> Pixels:
    """Run ``synthesize`` on each tile's region and feather the results into one frame.

    Args:
        synthesize: returns the pixels of a region, region.height × region.width × channels
            (float32 preferred; any real dtype is converted), in any encoding: blending is a
            weighted mean, so it does not change the range.
        height: frame height in pixels.
        width: frame width in pixels.
        channels: the number of channels ``synthesize`` returns.
        tiles: a plan from :func:`plan_tiles` (any tiles whose weights cover the frame).

    Returns:
        height × width × channels float32. With one whole-frame tile, exactly what
        ``synthesize`` returned for the whole frame; for a ``synthesize`` that does not depend
        on the region (a crop of one image), the same to float32 rounding for any plan.

    Raises:
        ValueError: no tiles, a tile outside the frame, or pixels no tile covers.
        EngineError: ``synthesize`` returned an array of the wrong shape.
    """
    if not tiles:
        raise ValueError("synthesize_tiled needs at least one tile")
    full = Region(0, 0, width, height)
    if len(tiles) == 1 and tiles[0].core == full and tiles[0].region == full:
        return np.array(_checked_pixels(synthesize(full), full, channels), dtype=np.float32)
    out = np.zeros((height, width, channels), np.float32)
    total = np.zeros((height, width), np.float32)
    for tile in tiles:
        region = tile.region
        if (
            region.x < 0
            or region.y < 0
            or region.x + region.width > width
            or region.y + region.height > height
        ):
            raise ValueError(f"tile region {region} lies outside the {width}×{height} frame")
        weights = feather_weights(tile)
        pixels = _checked_pixels(synthesize(region), region, channels)
        # Only the support (weight > 0) is accumulated: the rest of a region is context, and
        # a NaN there from padding must not reach the output as 0 × NaN.
        x0, y0, x1, y1 = _support(tile)
        local = (slice(y0 - region.y, y1 - region.y), slice(x0 - region.x, x1 - region.x))
        w = weights[local]
        out[y0:y1, x0:x1] += pixels[local] * w[:, :, None]
        total[y0:y1, x0:x1] += w
    if not np.all(total > 0.0):
        rows, cols = np.nonzero(total <= 0.0)
        raise ValueError(
            f"the tiles leave {rows.size} pixels uncovered, the first at x={cols[0]}, y={rows[0]}"
        )
    # The ramps are complementary, so ``total`` is 1 up to float rounding; dividing removes
    # that rounding and makes a position-independent synthesis come back unchanged.
    out /= total[:, :, None]
    return out


def auto_tile_size(
    height: int,
    width: int,
    bytes_per_pixel: float,
    device: str = "cpu",
    budget_fraction: float = 0.5,
    *,
    overlap: int = DEFAULT_OVERLAP,
) -> int | None:
    """The tile size that fits ``budget_fraction`` of the device's free memory.

    Args:
        height: frame height in pixels.
        width: frame width in pixels.
        bytes_per_pixel: the engine's working memory per pixel
            (:func:`vtinker_core.memory.estimate_memory`).
        device: ``cpu``, ``cuda``, ``cuda:N`` or ``mps``
            (:func:`vtinker_core.memory.free_memory_bytes`).
        budget_fraction: the share of free memory to plan for, in (0, 1].
        overlap: the overlap the tiles will use; a tile's region is its size plus the overlap
            on each side (clipped to the frame).

    Returns:
        ``None`` when the whole frame fits (no tiling); else the largest multiple of 64 whose
        region fits, at least the smallest multiple of 64 above twice the overlap even when
        that does not fit (an out-of-memory retry then goes on from there). When the free
        memory is unknown, :data:`vtinker_core.memory.FALLBACK_FREE_BYTES` is assumed.

    Raises:
        ValueError: ``budget_fraction`` outside (0, 1] or another argument out of range.
        DeviceError: the CUDA device is not available.
    """
    if not 0.0 < budget_fraction <= 1.0:
        raise ValueError(f"budget_fraction must lie in (0, 1], got {budget_fraction}")
    free = memory.free_memory_bytes(device)
    budget = (memory.FALLBACK_FREE_BYTES if free is None else free) * budget_fraction
    if memory.estimate_memory(height, width, bytes_per_pixel) <= budget:
        return None
    smallest = (2 * overlap // TILE_SIZE_STEP + 1) * TILE_SIZE_STEP
    best = smallest
    size = smallest
    while size < max(height, width):
        side_h, side_w = min(size + 2 * overlap, height), min(size + 2 * overlap, width)
        if memory.estimate_memory(side_h, side_w, bytes_per_pixel) > budget:
            break
        best = size
        size += TILE_SIZE_STEP
    return best


def run_with_oom_retry(
    render: Callable[[int | None], T],
    size: int | None,
    *,
    height: int,
    width: int,
    min_size: int = MIN_RETRY_TILE_SIZE,
    on_retry: Callable[[str], None] | None = None,
) -> T:
    """Call ``render(size)``, halving the tile size after each out-of-memory error.

    Args:
        render: renders with the given tile size (``None``: the whole frame, untiled).
        size: the first tile size to try, or ``None`` for the whole frame; the first retry
            then uses half the frame's larger side.
        height: frame height in pixels.
        width: frame width in pixels.
        min_size: the smallest tile size to try.
        on_retry: told, in one line, each time a smaller size is tried, e.g.
            ``"out of memory at tile 2048 px; retrying with 1024 px tiles"``.

    Returns:
        What ``render`` returned.

    Raises:
        EngineError: still out of memory and the next size would be below ``min_size``
            (``setting`` is ``tiles.size``; the allocation error is its ``__cause__``).
        Exception: any other error from ``render``, unchanged.
    """
    current = size
    while True:
        try:
            return render(current)
        except Exception as err:
            if not memory.is_out_of_memory_error(err):
                raise
            tried = max(height, width) if current is None else current
            what = f"the whole {width}×{height} frame" if current is None else f"tile {current} px"
            smaller = tried // 2
            if smaller < min_size:
                raise EngineError(
                    f"out of memory at {what}, and {smaller} px tiles would be below the "
                    f"smallest tile size ({min_size} px). Free memory on the device (close "
                    "other programs using it), set a smaller tile size or overlap, use half "
                    "precision, or render on the CPU.",
                    setting="tiles.size",
                ) from err
            message = f"out of memory at {what}; retrying with {smaller} px tiles"
        # Outside the except block the failed attempt's traceback, and the tensors its frames
        # still reference, are released before the next try.
        memory.release_memory()
        if on_retry is not None:
            on_retry(message)
        current = smaller


# --- helpers ---------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _split(length: int, size: int | None, align: int) -> list[int]:
    """Core boundaries [0, ..., length] spreading ``length`` evenly over ceil(length/size)."""
    if size is None or size >= length:
        return [0, length]
    count = -(-length // size)
    bounds = [0]
    for i in range(1, count):
        exact = (2 * i * length + count) // (2 * count)  # round(i * length / count)
        cut = (exact + align // 2) // align * align
        if bounds[-1] < cut < length:
            bounds.append(cut)
    bounds.append(length)
    return bounds


def _boundary_feathers(bounds: list[int], overlap: int) -> list[int]:
    """Ramp half-width at each boundary: 0 at the frame edges, else limited by the overlap and
    by half of each neighbouring core, so a core's two ramps never meet."""
    feathers = [0] * len(bounds)
    for i in range(1, len(bounds) - 1):
        before, after = bounds[i] - bounds[i - 1], bounds[i + 1] - bounds[i]
        feathers[i] = min(overlap, before // 2, after // 2)
    return feathers


def _support(tile: Tile) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): where the tile's weight may be above 0, checked against its region."""
    core, region = tile.core, tile.region
    left, top, right, bottom = tile.feather
    x0, x1 = core.x - left, core.x + core.width + right
    y0, y1 = core.y - top, core.y + core.height + bottom
    if (
        min(tile.feather) < 0
        or x0 < region.x
        or y0 < region.y
        or x1 > region.x + region.width
        or y1 > region.y + region.height
    ):
        raise ValueError(
            f"tile feather {tile.feather} around core {core} reaches outside region {region}"
        )
    return x0, y0, x1, y1


def _axis_weights(
    start: int, stop: int, core_start: int, core_stop: int, lead: int, trail: int
) -> NDArray[np.float64]:
    centres = np.arange(start, stop, dtype=np.float64) + 0.5
    # A ramp of half-width a across boundary c rises over [c - a, c + a) with s running 0 -> 1;
    # the neighbour's ramp falls over the same band with 1 - s, and r(s) + r(1 - s) = 1.
    if lead > 0:
        weights = _raised_cosine((centres - (core_start - lead)) / (2 * lead))
    else:
        weights = (centres >= core_start).astype(np.float64)
    if trail > 0:
        weights *= _raised_cosine(((core_stop + trail) - centres) / (2 * trail))
    else:
        weights *= centres < core_stop
    return weights


def _raised_cosine(s: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(s, 0.0, 1.0))


def _checked_pixels(pixels: NDArray[Any], region: Region, channels: int) -> NDArray[Any]:
    array = np.asarray(pixels)
    expected = (region.height, region.width, channels)
    if array.shape != expected:
        raise EngineError(
            f"synthesis returned shape {array.shape} for region {region}, expected {expected}"
        )
    return array
