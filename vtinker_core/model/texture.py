"""Texture mapping of VTinker: block-wise warping of image features and the local search.

Written from MODEL.md §7.4–7.6. Upstream materialises 2×2 patch tensors (``unfold``, 512
channels), warps them with nearest sampling, folds them back, cuts 4×4 value blocks and
gathers the winners through a float32 index. Every one of those steps only *copies* feature
values, so here the chain of copies is composed into one integer index per output pixel and
applied with a single ``gather`` — the same values, without the 512-channel intermediates::

    texture = map_texture(v0, v1, flow_t, query, key0, key1)   # N×128×H/2×W/2

The discrete decisions are kept exactly: nearest rounding comes from ``grid_sample`` itself
(:func:`~vtinker_core.model.ops.nearest_warp_indices`), and the 18 candidates keep upstream's
order (frame-major, row-major, zero-padded ones included, first maximum wins).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vtinker_core.model.ops import backward_warp, nearest_warp_indices, softsplat_average

__all__ = [
    "CANDIDATES",
    "backward_flows_at_t",
    "block_descriptors",
    "map_texture",
    "search_texture_blocks",
]

#: Two frames × a 3×3 neighbourhood of blocks.
CANDIDATES = 18


def backward_flows_at_t(flow_t: torch.Tensor) -> torch.Tensor:
    """Approximate flows from time t back to each frame, on the quarter-resolution grid.

    Upstream's ``forward_to_backward`` at half resolution followed by nearest ×0.5 (§7.5
    steps 1–3): the half-resolution flow is forward-splatted by itself and negated (holes give
    zero flow), then subsampled at even pixels and halved.

    Args:
        flow_t: N×4×H×W flows frame 0 → t (channels 0–1) and frame 1 → t (2–3), in pixels.

    Returns:
        2N×2×H/4×W/4: rows 0..N−1 time t → frame 0, rows N..2N−1 time t → frame 1, in
        quarter-resolution pixels.
    """
    half = F.interpolate(flow_t, scale_factor=0.5, mode="bilinear", align_corners=False) / 2
    stacked = torch.cat([half[:, 0:2], half[:, 2:4]], dim=0)
    backward = -softsplat_average(stacked, stacked)
    return F.interpolate(backward, scale_factor=0.5, mode="nearest") * 0.5


def block_descriptors(x: torch.Tensor) -> torch.Tensor:
    """One descriptor per 2×2 block: the block L2-normalised over its 4·C values, then the
    mean of its 4 positions per channel.

    Args:
        x: N×C×h×w (h, w even).

    Returns:
        N×C×L descriptors, L = (h/2)(w/2) blocks in row-major order.
    """
    n, c = x.shape[:2]
    blocks = F.normalize(F.unfold(x, kernel_size=2, stride=2), dim=1)
    return blocks.view(n, c, 4, -1).mean(dim=2)


def search_texture_blocks(
    query: torch.Tensor, key0: torch.Tensor, key1: torch.Tensor
) -> torch.Tensor:
    """For each 2×2 block of ``query``, the best of 18 key blocks (§7.6 steps 1–4).

    Args:
        query: N×C×h×w query features (h, w even).
        key0: N×C×h×w keys of frame 0, already warped to time t.
        key1: N×C×h×w keys of frame 1, likewise.

    Returns:
        N×(h/2)×(w/2) int64 candidate index m = frame·9 + ky·3 + kx: the winner is block
        (i + ky − 1, j + kx − 1) of that frame (a zero-padded block when outside).
    """
    n, c, h, w = query.shape
    if key0.shape != query.shape or key1.shape != query.shape:
        raise ValueError(
            f"query and keys must share a shape, got {tuple(query.shape)}, "
            f"{tuple(key0.shape)}, {tuple(key1.shape)}"
        )
    if h % 2 or w % 2:
        raise ValueError(f"query height and width must be even, got {h}×{w}")
    nh, nw = h // 2, w // 2
    q = block_descriptors(query).transpose(1, 2).unsqueeze(-1)  # N×L×C×1
    keys = torch.cat(
        [block_descriptors(key0).view(n, c, nh, nw), block_descriptors(key1).view(n, c, nh, nw)],
        dim=1,
    )
    candidates = F.unfold(F.pad(keys, (1, 1, 1, 1)), kernel_size=3)  # N×(2C·9)×L
    candidates = candidates.view(n, 2, c, 9, nh * nw).permute(0, 4, 1, 3, 2)
    candidates = candidates.reshape(n, nh * nw, CANDIDATES, c)
    scores = torch.matmul(candidates, q).squeeze(-1)  # N×L×18
    # torch.max returns the first index among equal maxima, as upstream relies on.
    return scores.max(dim=2).indices.view(n, nh, nw)


def _patch_sources(indices: torch.Tensor, width: int) -> torch.Tensor:
    """Flat source pixel of every half-resolution pixel after the 2×2 block-wise warp.

    ``indices`` (B×2×h4×w4, x and y of each cell's patch corner) → B×(2h4)×(2w4) int64 flat
    indices into a (2h4)×``width`` image: pixel (Y, X) reads corner + (Y mod 2, X mod 2).
    """
    corner = indices[:, 1] * width + indices[:, 0]
    corner = corner.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
    h2, w2 = corner.shape[1:]
    rows = torch.arange(h2, device=corner.device) % 2
    cols = torch.arange(w2, device=corner.device) % 2
    return corner + (rows.view(h2, 1) * width + cols.view(1, w2)).unsqueeze(0)


def _per_pixel(blocks: torch.Tensor) -> torch.Tensor:
    """N×nh×nw per-block values → N×4nh×4nw, each repeated over its 4×4 pixels."""
    return blocks.repeat_interleave(4, dim=1).repeat_interleave(4, dim=2)


def map_texture(
    v0: torch.Tensor,
    v1: torch.Tensor,
    flow_t: torch.Tensor,
    query: torch.Tensor,
    key0: torch.Tensor,
    key1: torch.Tensor,
) -> torch.Tensor:
    """Upstream ``get_texture`` + ``texture_search_local`` (MODEL.md §7.5, §7.6).

    Args:
        v0: N×C×H/2×W/2 image-head features of frame 0 (``Ehead_img``).
        v1: the same for frame 1.
        flow_t: N×4×H×W flows to time t in full-resolution pixels (from
            :func:`~vtinker_core.model.flow.scale_flow_to_time`).
        query: N×C×H/4×W/4 query of the warped frames (``lite_net(Ehead_warp(...))``).
        key0: N×C×H/4×W/4 keys of frame 0 (``lite_net(v0)``).
        key1: the same for frame 1.

    Returns:
        N×C×H/2×W/2 texture: every 4×4 block is a copy of the best-matching block of the
        warped value features of either frame, or zeros (a padded candidate).
    """
    n, c, h2, w2 = v0.shape
    h4, w4 = h2 // 2, w2 // 2
    if h2 % 8 or w2 % 8:
        raise ValueError(f"value features need H/2 and W/2 multiples of 8, got {h2}×{w2}")
    if v1.shape != v0.shape:
        raise ValueError(f"v0 and v1 differ: {tuple(v0.shape)} vs {tuple(v1.shape)}")
    if tuple(flow_t.shape) != (n, 4, 2 * h2, 2 * w2):
        raise ValueError(
            f"flow_t must be {n}×4×{2 * h2}×{2 * w2} for values {tuple(v0.shape)}, "
            f"got {tuple(flow_t.shape)}"
        )
    if tuple(query.shape) != (n, c, h4, w4):
        raise ValueError(f"query must be {n}×{c}×{h4}×{w4}, got {tuple(query.shape)}")

    back = backward_flows_at_t(flow_t)  # 2N×2×h4×w4
    warped_key0 = backward_warp(key0, back[:n], "nearest")
    warped_key1 = backward_warp(key1, back[n:], "nearest")
    choice = search_texture_blocks(query, warped_key0, warped_key1)  # N×nh×nw
    del warped_key0, warped_key1

    # Patch tensors of upstream have (H/2 − 1)×(W/2 − 1) positions (2×2 unfold, stride 1).
    sources = _patch_sources(nearest_warp_indices(back, h2 - 1, w2 - 1), w2)  # 2N×h2×w2
    sources = torch.stack([sources[:n], sources[n:] + h2 * w2], dim=1)  # N×2×h2×w2 into [v0;v1]

    # Output pixel (Y, X) of block (i, j) with winner (f, ky, kx) copies warped pixel
    # (Y + 4(ky − 1), X + 4(kx − 1)) of frame f, or is zero outside the block grid.
    frame = choice // 9
    ky = (choice % 9) // 3 - 1
    kx = choice % 3 - 1
    frame_px = _per_pixel(frame)
    dy = _per_pixel(ky) * 4
    dx = _per_pixel(kx) * 4
    ys = torch.arange(h2, device=v0.device).view(1, h2, 1) + dy
    xs = torch.arange(w2, device=v0.device).view(1, 1, w2) + dx
    inside = (ys >= 0) & (ys < h2) & (xs >= 0) & (xs < w2)
    flat_warped = frame_px * (h2 * w2) + ys.clamp(0, h2 - 1) * w2 + xs.clamp(0, w2 - 1)
    index = torch.gather(sources.view(n, 2 * h2 * w2), 1, flat_warped.view(n, -1))
    zero_slot = 2 * h2 * w2
    index = torch.where(inside.view(n, -1), index, zero_slot)

    table = torch.cat([v0.reshape(n, c, -1), v1.reshape(n, c, -1), v0.new_zeros(n, c, 1)], dim=2)
    texture = torch.gather(table, 2, index.unsqueeze(1).expand(n, c, -1))
    return texture.view(n, c, h2, w2)
