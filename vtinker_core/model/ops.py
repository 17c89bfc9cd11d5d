"""The sampling operators of VTinker, in plain PyTorch: any device, any float dtype, autograd.

The official code runs forward splatting and the correlation volume as CuPy CUDA kernels that
only accept contiguous float32 CUDA tensors. These are pure-PyTorch re-implementations of the
same semantics (MODEL.md §4, §5), so the network also runs on CPU and in CI; for float32 CUDA
tensors without gradients (inference) they hand over to this project's own CuPy kernels
(:mod:`vtinker_core.model.cupy_ops`) when CuPy is installed::

    from vtinker_core.model.ops import backward_warp, correlation, softsplat_average

    warped = backward_warp(image, flow)            # sample image at (x + u, y + v)
    splatted = softsplat_average(image, flow)      # push image to (x + u, y + v)
    volume = correlation(feat0, feat1)             # N×81×h×w cost volume, displacement ±4

Flows are N×2×H×W in pixels, channel 0 horizontal (x, to the right), channel 1 vertical
(y, down).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from vtinker_core.model.cupy_ops import correlation_cuda, cupy_available, splat_sum_cuda

__all__ = [
    "CORRELATION_RADIUS",
    "backward_warp",
    "correlation",
    "nearest_warp_indices",
    "softsplat_average",
]

#: Largest displacement of the correlation volume, in pixels (9×9 = 81 channels).
CORRELATION_RADIUS = 4

_REDUCED = (torch.float16, torch.bfloat16)
#: Pixels per row chunk of the correlation's matrix products (see :func:`correlation`).
_CORRELATION_CHUNK = 24


def _check_nchw(name: str, tensor: torch.Tensor, channels: int | None = None) -> None:
    if tensor.dim() != 4 or (channels is not None and tensor.shape[1] != channels):
        want = f"N×{channels}×H×W" if channels is not None else "N×C×H×W"
        raise ValueError(f"{name} must be {want}, got shape {tuple(tensor.shape)}")
    if not tensor.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {tensor.dtype}")


def softsplat_average(input: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Forward-warp ``input`` along ``flow`` with bilinear splatting, normalised ('average').

    Every source pixel (x, y) is pushed to (x + u, y + v) and shared between the four
    surrounding integer pixels with bilinear weights; corners outside the image are dropped.
    Each output pixel is the weighted average of what it received: the weights are splatted
    alongside as an extra channel of ones and divided out, replacing a weight sum of exactly
    0.0 by 1 (no epsilon, as the official kernel). Pixels that receive nothing ("holes") are 0.

    Reduced-precision inputs (float16, bfloat16) are computed in float32 and cast back, as the
    official ``_half`` wrappers do. Summation order differs from the official CUDA kernel's
    atomic adds, so results agree to float rounding only.

    Args:
        input: N×C×H×W float tensor, any values.
        flow: N×2×H×W float tensor, displacement in pixels of ``input`` (same N, H, W).

    Returns:
        N×C×H×W tensor of ``input``'s dtype.

    Raises:
        ValueError: on wrong ranks or mismatched shapes.
    """
    _check_nchw("input", input)
    _check_nchw("flow", flow, 2)
    n, c, h, w = input.shape
    if flow.shape[0] != n or flow.shape[2:] != input.shape[2:]:
        raise ValueError(
            f"flow must be {n}×2×{h}×{w} to match input {tuple(input.shape)}, "
            f"got {tuple(flow.shape)}"
        )
    out_dtype = input.dtype
    if input.dtype in _REDUCED or flow.dtype in _REDUCED:
        input, flow = input.float(), flow.float()
    flow = flow.to(input.dtype)
    if cupy_available(input, flow):  # inference on CUDA: the CuPy kernel, as upstream
        values = torch.cat([input, input.new_ones(n, 1, h, w)], dim=1)
        summed = splat_sum_cuda(values, flow)
        norm = summed[:, c:]
        norm = torch.where(norm == 0.0, torch.ones_like(norm), norm)
        return (summed[:, :c] / norm).to(out_dtype)
    device = input.device
    hw = h * w

    values = torch.cat([input, input.new_ones(n, 1, h, w)], dim=1).reshape(n, c + 1, hw)
    xs = torch.arange(w, device=device, dtype=input.dtype).view(1, 1, w)
    ys = torch.arange(h, device=device, dtype=input.dtype).view(1, h, 1)
    fx = (xs + flow[:, 0]).reshape(n, hw)
    fy = (ys + flow[:, 1]).reshape(n, hw)
    x0f = torch.floor(fx)
    y0f = torch.floor(fy)
    # Integer corners; NaN/inf positions become far-away integers and are dropped below.
    x0 = torch.nan_to_num(x0f, nan=-2.0, posinf=-2.0, neginf=-2.0).clamp(-2, w + 1).long()
    y0 = torch.nan_to_num(y0f, nan=-2.0, posinf=-2.0, neginf=-2.0).clamp(-2, h + 1).long()
    # Weights in the kernel's arithmetic: (corner + 1 - f) and (f - corner), in float.
    wx1 = fx - x0f
    wx0 = (x0f + 1.0) - fx
    wy1 = fy - y0f
    wy0 = (y0f + 1.0) - fy

    # One extra "dump" slot at index hw collects every corner outside the image, so dropped
    # corners cannot pollute a real pixel (even with inf/NaN values) and no masking copy of
    # the values is needed.
    summed = values.new_zeros(n, c + 1, hw + 1)
    for dx, dy, weight in (
        (0, 0, wx0 * wy0),
        (1, 0, wx1 * wy0),
        (0, 1, wx0 * wy1),
        (1, 1, wx1 * wy1),
    ):
        cx = x0 + dx
        cy = y0 + dy
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        index = torch.where(inside, cy * w + cx, hw)
        # In place: one accumulator instead of a fresh copy per corner (autograd handles it).
        summed.scatter_add_(
            2, index.unsqueeze(1).expand(n, c + 1, hw), values * weight.unsqueeze(1)
        )

    summed = summed[:, :, :hw]
    norm = summed[:, c:]
    norm = torch.where(norm == 0.0, torch.ones_like(norm), norm)
    out = (summed[:, :c] / norm).view(n, c, h, w)
    return out.to(out_dtype)


def correlation(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Local correlation volume with maximum displacement 4, stride 1 (MODEL.md §5.2).

    ``out[n, k, y, x] = (1 / C) · Σ_c first[n, c, y, x] · second[n, c, y + dy, x + dx]`` with
    ``dy = k // 9 − 4`` and ``dx = k % 9 − 4`` (channel 40 is zero displacement, 41 is
    dx = +1, 49 is dy = +1); ``second`` is taken as 0 outside the image. The channel sum is
    divided by C after summing.

    Args:
        first: N×C×H×W float tensor (VTinker: C = 64 features).
        second: N×C×H×W float tensor, same shape.

    Returns:
        N×81×H×W tensor of ``first``'s dtype (reduced precision is computed in float32).

    Raises:
        ValueError: on wrong ranks or mismatched shapes.
    """
    _check_nchw("first", first)
    _check_nchw("second", second)
    if first.shape != second.shape:
        raise ValueError(
            f"first and second must have the same shape, got {tuple(first.shape)} "
            f"and {tuple(second.shape)}"
        )
    out_dtype = first.dtype
    if first.dtype in _REDUCED or second.dtype in _REDUCED:
        first, second = first.float(), second.float()
    second = second.to(first.dtype)
    if cupy_available(first, second):  # inference on CUDA: the CuPy kernel, as upstream
        return correlation_cuda(first, second, CORRELATION_RADIUS).to(out_dtype)
    n, c, h, w = first.shape
    r = CORRELATION_RADIUS
    span = 2 * r + 1
    # Dot products as matrix products over the channels: the row of ``first`` is cut into
    # chunks of _CORRELATION_CHUNK pixels, each multiplied with the (chunk + 2r)-pixel window
    # of a shifted row of ``second``; the 9 displacements along x are the 9 diagonals of
    # each chunk × window product. Computes ~4× the needed products, but as GEMMs, where the
    # 81 multiply-and-sum passes over the features cost far more (memory-bound).
    chunk = min(_CORRELATION_CHUNK, w)
    chunks = -(-w // chunk)
    wp = chunks * chunk
    a = F.pad(first, (0, wp - w)).permute(0, 2, 3, 1).reshape(n, h, chunks, chunk, c)
    b = F.pad(second, (r, r + wp - w, r, r)).permute(0, 2, 3, 1)  # N×(H+2r)×(Wp+2r)×C
    rows = []
    for dy in range(span):
        windows = b[:, dy : dy + h].unfold(2, chunk + 2 * r, chunk)  # N×H×chunks×C×(chunk+2r)
        products = torch.matmul(a, windows)  # N×H×chunks×chunk×(chunk+2r)
        rows.append(torch.stack([products.diagonal(dx, -2, -1) for dx in range(span)], dim=-1))
    volume = torch.stack(rows, dim=-2).view(n, h, wp, span * span)[:, :, :w]
    return (volume.permute(0, 3, 1, 2) / c).contiguous().to(out_dtype)


def _sampling_grid(flow: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The normalised grid_sample grid for "position + flow", in the official arithmetic."""
    n, _, h, w = flow.shape
    # The base grid is a float32 linspace built on CPU and then moved, as upstream does, so
    # that the normalised coordinates (and hence nearest rounding) match bit for bit.
    gx = torch.linspace(-1.0, 1.0, w).view(1, 1, 1, w).expand(n, -1, h, -1)
    gy = torch.linspace(-1.0, 1.0, h).view(1, 1, h, 1).expand(n, -1, -1, w)
    base = torch.cat([gx, gy], dim=1).to(device=flow.device, dtype=dtype)
    flow = flow.to(dtype)
    scaled = torch.cat([flow[:, 0:1] / ((w - 1.0) / 2.0), flow[:, 1:2] / ((h - 1.0) / 2.0)], dim=1)
    return (base + scaled).permute(0, 2, 3, 1)


def backward_warp(
    image: torch.Tensor,
    flow: torch.Tensor,
    mode: Literal["bilinear", "nearest"] = "bilinear",
) -> torch.Tensor:
    """Sample ``image`` at "grid position + flow" (MODEL.md §4), border-clamped.

    The grid has the **flow's** size (h, w), normalised with ``linspace(-1, 1)`` and
    ``flow / ((w − 1) / 2)``; ``grid_sample`` (``align_corners=True``, ``padding_mode="border"``)
    then maps it onto the image's own size. When image and flow have the same size this
    samples ``image`` at (x + u, y + v) in pixels. ``nearest`` rounds half to even.

    Reduced-precision images are sampled in float32 and cast back (more accurate than the
    official ``_half`` path, which builds the grid in float16).

    Args:
        image: N×C×H×W float tensor.
        flow: N×2×h×w float tensor, in pixels of the h×w grid (h, w ≥ 2).
        mode: ``"bilinear"`` or ``"nearest"``.

    Returns:
        N×C×h×w tensor of ``image``'s dtype.

    Raises:
        ValueError: on wrong ranks, batch mismatch, a grid smaller than 2×2, or a bad mode.
    """
    _check_nchw("image", image)
    _check_nchw("flow", flow, 2)
    if flow.shape[0] != image.shape[0]:
        raise ValueError(
            f"image and flow batch sizes differ: {tuple(image.shape)} vs {tuple(flow.shape)}"
        )
    if flow.shape[2] < 2 or flow.shape[3] < 2:
        raise ValueError(f"flow must be at least 2×2, got {tuple(flow.shape)}")
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"mode must be 'bilinear' or 'nearest', got {mode!r}")
    out_dtype = image.dtype
    work = torch.float32 if image.dtype in _REDUCED else image.dtype
    grid = _sampling_grid(flow, work)
    out = F.grid_sample(image.to(work), grid, mode=mode, padding_mode="border", align_corners=True)
    return out.to(out_dtype)


def nearest_warp_indices(flow: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The integer source pixels ``backward_warp(image, flow, "nearest")`` would read.

    For an image of size ``height``×``width`` this returns, per flow grid cell, the (x, y)
    pixel that nearest-mode sampling picks, computed by grid_sample itself on an image of
    pixel coordinates so the rounding is exactly that of :func:`backward_warp`. Used to gather
    from tensors that are expensive to materialise (the texture patches of MODEL.md §7.5).

    Args:
        flow: N×2×h×w float tensor in pixels of the h×w grid.
        height: height of the image that would be sampled (≤ 2^24).
        width: width of that image (≤ 2^24).

    Returns:
        N×2×h×w int64 tensor: channel 0 = x index in [0, width−1], 1 = y in [0, height−1].
    """
    _check_nchw("flow", flow, 2)
    if not (0 < height <= 2**24 and 0 < width <= 2**24):
        raise ValueError(f"image size must lie in 1..2^24, got {height}×{width}")
    n = flow.shape[0]
    xs = torch.arange(width, device=flow.device, dtype=torch.float32)
    ys = torch.arange(height, device=flow.device, dtype=torch.float32)
    coords = torch.stack(
        [xs.view(1, width).expand(height, width), ys.view(height, 1).expand(height, width)]
    )
    coords = coords.unsqueeze(0).expand(n, -1, -1, -1)
    grid = _sampling_grid(flow, torch.float32)
    picked = F.grid_sample(coords, grid, mode="nearest", padding_mode="border", align_corners=True)
    return picked.round().long()
