"""3×3 convolutions by Winograd's minimal filtering F(2×2, 3×3), for inference on CPU.

A stride-1, zero-padded 3×3 convolution computes each 2×2 block of output pixels from a 4×4
input tile. Winograd's transform (Lavin & Gray, "Fast Algorithms for Convolutional Neural
Networks", 2016) turns that into 16 element-wise products per tile and channel pair instead
of 36, so the multiply-adds become 16 matrix products of K×C weights with C×tiles data:
2.25× fewer than a direct convolution. The transforms themselves are additions only (the
filter transform halves), so float32 results agree with the direct convolution to a few
units of rounding::

    weights = winograd_weights(conv.weight)              # 16×K×C, once per layer
    y = winograd_conv3x3(x, weights, conv.bias)          # == F.conv2d(x, w, b, padding=1)

The output is computed in bands of rows, so the transformed tiles (4× the input size) are
never held for the whole image and stay in cache between the transforms and the products.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["winograd_conv3x3", "winograd_weights"]

#: Filter transform G of F(2, 3): u = G g Gᵀ.
_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))
#: Transformed input kept per band, in elements (≈ 8 MiB of float32, about an L3 share).
_BAND_ELEMENTS = 2 << 20


def winograd_weights(weight: torch.Tensor) -> torch.Tensor:
    """The transformed filters of a K×C×3×3 convolution weight: 16×K×C (index 4·a + b).

    Computed in float64 and rounded once to the weight's dtype.
    """
    if weight.dim() != 4 or tuple(weight.shape[2:]) != (3, 3):
        raise ValueError(f"weight must be K×C×3×3, got {tuple(weight.shape)}")
    g = torch.tensor(_G, dtype=torch.float64, device=weight.device)
    u = torch.einsum("ai,kcij,bj->abkc", g, weight.to(torch.float64), g)
    return u.reshape(16, weight.shape[0], weight.shape[1]).to(weight.dtype).contiguous()


def _input_transform(tile_rows: list[torch.Tensor], out: torch.Tensor, width: int) -> None:
    """Bᵀ d B of every 4×4 tile, written to ``out`` (4×4×C×h×w), from its 4 row slices."""
    d0, d1, d2, d3 = tile_rows
    # Rows: Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
    rows = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    for a, r in enumerate(rows):
        e0, e1, e2, e3 = (r[..., j : j + width : 2] for j in range(4))
        torch.sub(e0, e2, out=out[a, 0])
        torch.add(e1, e2, out=out[a, 1])
        torch.sub(e2, e1, out=out[a, 2])
        torch.sub(e1, e3, out=out[a, 3])


def _output_transform(m: torch.Tensor, out: torch.Tensor) -> None:
    """Aᵀ m A of every tile product m (4×4×K×h×w) into ``out`` (K×h×2×w×2)."""
    # Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], rows first, then columns.
    top = m[0] + m[1] + m[2]
    bottom = m[1] - m[2] - m[3]
    for i, r in enumerate((top, bottom)):
        torch.add(r[0] + r[1], r[2], out=out[:, :, i, :, 0])
        torch.sub(r[1] - r[2], r[3], out=out[:, :, i, :, 1])


def winograd_conv3x3(
    x: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, padding=1)`` through :func:`winograd_weights` (no autograd).

    Args:
        x: N×C×H×W float tensor, any H, W ≥ 1.
        weights: 16×K×C from :func:`winograd_weights`.
        bias: K values or ``None``.

    Returns:
        N×K×H×W tensor of ``x``'s dtype.
    """
    n, c, h, w = x.shape
    if weights.dim() != 3 or weights.shape[0] != 16 or weights.shape[2] != c:
        raise ValueError(f"weights must be 16×K×{c}, got {tuple(weights.shape)}")
    k = weights.shape[1]
    he, we = h + h % 2, w + w % 2  # tiles cover an even size; the extra row/column is cut
    padded = F.pad(x, (1, 1 + we - w, 1, 1 + he - h))
    out = x.new_empty(n, k, he, we)
    tiles_w = we // 2
    band = max(1, min(he // 2, _BAND_ELEMENTS // (16 * max(c, k) * tiles_w)))  # tile rows
    for i in range(n):
        for t0 in range(0, he // 2, band):
            tiles_h = min(band, he // 2 - t0)
            y0 = 2 * t0
            src = padded[i, :, y0 : y0 + 2 * tiles_h + 2]
            rows = [src[:, j : j + 2 * tiles_h : 2] for j in range(4)]
            v = x.new_empty(4, 4, c, tiles_h, tiles_w)
            _input_transform(rows, v, we)
            m = torch.bmm(weights, v.view(16, c, tiles_h * tiles_w))
            del v
            dst = out[i, :, y0 : y0 + 2 * tiles_h].view(k, tiles_h, 2, tiles_w, 2)
            _output_transform(m.view(4, 4, k, tiles_h, tiles_w), dst)
    if bias is not None:
        out += bias.view(1, k, 1, 1)
    if he != h or we != w:
        out = out[:, :, :h, :w].contiguous()
    return out
