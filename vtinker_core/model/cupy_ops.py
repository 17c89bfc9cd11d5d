"""Forward splatting and the correlation volume as CuPy CUDA kernels (inference on CUDA).

The official code runs both as CuPy kernels; these are written here from the same semantics
(MODEL.md §4, §5) and give what :mod:`vtinker_core.model.ops` gives, one thread per splatted
sample (``atomicAdd`` into the four corners) or per correlation output::

    if cupy_available(tensor):                 # CuPy imports and the tensor is on a CUDA device
        out = splat_sum_cuda(values, flow)     # N×C×H×W summed bilinear splat, float32
        volume = correlation_cuda(a, b)        # N×81×H×W, displacement ±4, divided by C

:func:`vtinker_core.model.ops.softsplat_average` and :func:`~vtinker_core.model.ops.correlation`
use them for float32 CUDA tensors that need no gradient, and fall back to their plain PyTorch
code everywhere else (CPU, MPS, training). The two agree to float rounding (atomic adds sum in
another order); ``tests/test_model_ops.py`` compares them on a CUDA machine (``needs_cuda``).
CuPy is imported on first use only.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

__all__ = ["correlation_cuda", "cupy_available", "splat_sum_cuda"]

_THREADS = 256

_SPLAT = r"""
extern "C" __global__ void splat_sum(
    const float* __restrict__ values, const float* __restrict__ flow, float* __restrict__ out,
    const long long n, const long long c, const long long h, const long long w)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long hw = h * w;
    if (i >= n * c * hw) return;
    const long long x = i % w;
    const long long y = (i / w) % h;
    const long long ch = (i / hw) % c;
    const long long b = i / (c * hw);
    const float fx = (float)x + flow[(b * 2) * hw + y * w + x];
    const float fy = (float)y + flow[(b * 2 + 1) * hw + y * w + x];
    if (!isfinite(fx) || !isfinite(fy)) return;
    const float x0f = floorf(fx);
    const float y0f = floorf(fy);
    const long long x0 = (long long)x0f;
    const long long y0 = (long long)y0f;
    const float wx1 = fx - x0f, wx0 = (x0f + 1.0f) - fx;
    const float wy1 = fy - y0f, wy0 = (y0f + 1.0f) - fy;
    const float v = values[i];
    float* plane = out + (b * c + ch) * hw;
    if (x0 >= 0 && x0 < w && y0 >= 0 && y0 < h) atomicAdd(plane + y0 * w + x0, v * wx0 * wy0);
    if (x0 + 1 >= 0 && x0 + 1 < w && y0 >= 0 && y0 < h)
        atomicAdd(plane + y0 * w + x0 + 1, v * wx1 * wy0);
    if (x0 >= 0 && x0 < w && y0 + 1 >= 0 && y0 + 1 < h)
        atomicAdd(plane + (y0 + 1) * w + x0, v * wx0 * wy1);
    if (x0 + 1 >= 0 && x0 + 1 < w && y0 + 1 >= 0 && y0 + 1 < h)
        atomicAdd(plane + (y0 + 1) * w + x0 + 1, v * wx1 * wy1);
}
"""

_CORRELATION = r"""
extern "C" __global__ void correlation(
    const float* __restrict__ first, const float* __restrict__ second, float* __restrict__ out,
    const long long n, const long long c, const long long h, const long long w, const int r)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long span = 2 * r + 1;
    const long long hw = h * w;
    if (i >= n * span * span * hw) return;
    const long long x = i % w;
    const long long y = (i / w) % h;
    const long long k = (i / hw) % (span * span);
    const long long b = i / (span * span * hw);
    const long long dy = k / span - r;
    const long long dx = k % span - r;
    const long long sx = x + dx, sy = y + dy;
    float sum = 0.0f;
    if (sx >= 0 && sx < w && sy >= 0 && sy < h) {
        const float* a = first + b * c * hw + y * w + x;
        const float* s = second + b * c * hw + sy * w + sx;
        for (long long ch = 0; ch < c; ++ch) sum += a[ch * hw] * s[ch * hw];
    }
    out[i] = sum / (float)c;
}
"""


@functools.cache
def _kernels() -> tuple[Any, Any]:
    import cupy

    return (
        cupy.RawKernel(_SPLAT, "splat_sum"),
        cupy.RawKernel(_CORRELATION, "correlation"),
    )


@functools.cache
def _cupy_imports() -> bool:
    try:
        import cupy  # noqa: F401
    except ImportError:
        return False
    return True


def cupy_available(*tensors: torch.Tensor) -> bool:
    """Whether the CuPy kernels can take these tensors: float32, CUDA, no gradient, CuPy."""
    return (
        all(t.is_cuda and t.dtype == torch.float32 and not t.requires_grad for t in tensors)
        and _cupy_imports()
    )


def _launch(
    kernel: Any, count: int, tensors: tuple[torch.Tensor, ...], sizes: tuple[int, ...]
) -> None:
    """Run ``kernel`` over ``count`` threads on the tensors' device and PyTorch's stream.

    Tensors go to CuPy through ``__cuda_array_interface__`` (no copy); sizes as ``int64``,
    a trailing radius as ``int32``, as the kernels declare them.
    """
    import cupy
    import numpy as np

    device = tensors[0].device
    arrays = [cupy.asarray(t) for t in tensors]
    scalars = [np.int64(v) for v in sizes[:4]] + [np.int32(v) for v in sizes[4:]]
    with cupy.cuda.Device(device.index or 0):
        stream = cupy.cuda.ExternalStream(torch.cuda.current_stream(device).cuda_stream)
        with stream:
            kernel(((count + _THREADS - 1) // _THREADS,), (_THREADS,), (*arrays, *scalars))


def splat_sum_cuda(values: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The bilinear splat of ``values`` (N×C×H×W) along ``flow`` (N×2×H×W), summed per pixel."""
    values, flow = values.contiguous(), flow.contiguous()
    n, c, h, w = values.shape
    out = torch.zeros_like(values)
    splat, _ = _kernels()
    _launch(splat, n * c * h * w, (values, flow, out), (n, c, h, w))
    return out


def correlation_cuda(first: torch.Tensor, second: torch.Tensor, radius: int) -> torch.Tensor:
    """``out[n, k, y, x] = (1/C) Σ_c first[n, c, y, x] · second[n, c, y+dy, x+dx]``."""
    first, second = first.contiguous(), second.contiguous()
    n, c, h, w = first.shape
    span = 2 * radius + 1
    out = torch.empty((n, span * span, h, w), device=first.device, dtype=torch.float32)
    _, correlation = _kernels()
    _launch(correlation, out.numel(), (first, second, out), (n, c, h, w, radius))
    return out
