"""Image-quality metrics exactly as the upstream evaluation computes them (MODEL.md §11).

Upstream writes each prediction and reference as an 8-bit PNG (``to_pil_image``: float × 255
**truncated**), re-reads both with OpenCV, converts BGR → RGB, divides by 255 in float32 and
scores per image: PSNR = −10·log10(mse + 1e-8), SSIM as ``pytorch_msssim.ssim(data_range=1)``
(Gaussian window 11, σ 1.5, K1 0.01, K2 0.03, separable "valid" filtering, mean per channel,
averaged over channels), IE = mean |difference| × 255. PNG is lossless, so the same numbers
come from the 8-bit arrays in memory::

    pred8 = quantize_8bit(prediction)        # H×W×3 float in [0, 1] → uint8, truncated
    psnr(pred8, reference8)                  # 31.72…
    ssim(pred8, reference8)                  # 0.9613…
    interpolation_error(pred8, reference8)   # 3.91…

The arithmetic is float32 throughout, like upstream's (``ToTensor`` gives float32).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

__all__ = [
    "SSIM_K1",
    "SSIM_K2",
    "SSIM_SIGMA",
    "SSIM_WINDOW",
    "gaussian_window",
    "interpolation_error",
    "psnr",
    "psnr_tensor",
    "quantize_8bit",
    "ssim",
    "ssim_tensor",
    "to_tensor",
]

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
#: Added to the MSE before the logarithm (identical images score 80 dB).
PSNR_EPS = 1e-8


def quantize_8bit(image: NDArray[Any]) -> NDArray[np.uint8]:
    """``to_pil_image`` of a float image: clamp to [0, 1], × 255 in float32, truncate.

    Args:
        image: H×W×C float array (values outside [0, 1] are clamped, as the scripts clamp
            before saving).

    Returns:
        H×W×C uint8.
    """
    clamped = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    return (clamped * np.float32(255.0)).astype(np.uint8)


def to_tensor(image: NDArray[np.uint8]) -> torch.Tensor:
    """H×W×3 uint8 → 1×3×H×W float32 in [0, 1] (``ToTensor``: float32 division by 255)."""
    if image.ndim != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an H×W×C uint8 image, got {image.shape} {image.dtype}")
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()
    return tensor.to(torch.float32).div(255).unsqueeze(0)


def _check_pair(pred: NDArray[np.uint8], ref: NDArray[np.uint8]) -> None:
    if pred.shape != ref.shape:
        raise ValueError(f"prediction and reference differ in size: {pred.shape} vs {ref.shape}")


def psnr_tensor(pred: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR of N×C×H×W tensors in [0, 1]: −10·log10(mean((p − r)²) + 1e-8)."""
    mse = (pred - ref).pow(2).mean(dim=(-3, -2, -1))
    return -10 * torch.log10(mse + PSNR_EPS)


@functools.cache
def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The normalised 1-D Gaussian of ``pytorch_msssim`` (float32, length ``size``)."""
    coords = torch.arange(size, dtype=torch.float32)
    coords -= size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _gaussian_filter(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable "valid" filtering per channel: rows (H) first, then columns (W).

    As ``pytorch_msssim``, a dimension shorter than the window is left unfiltered.
    """
    channels = x.shape[1]
    size = window.numel()
    kernel = window.to(x).view(1, 1, 1, size).repeat(channels, 1, 1, 1)
    out = x
    for axis in (2, 3):
        if x.shape[axis] >= size:
            weight = kernel.transpose(2, 3) if axis == 2 else kernel
            out = F.conv2d(out, weight, stride=1, padding=0, groups=channels)
    return out


def ssim_tensor(
    pred: torch.Tensor,
    ref: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = SSIM_WINDOW,
    sigma: float = SSIM_SIGMA,
) -> torch.Tensor:
    """Per-image SSIM of N×C×H×W tensors, as ``pytorch_msssim.ssim(..., size_average=False)``.

    Returns:
        N values: the mean SSIM map of each channel, averaged over the channels.
    """
    if pred.shape != ref.shape or pred.dim() != 4:
        raise ValueError(
            f"expected two N×C×H×W tensors of one shape, got {tuple(pred.shape)} and "
            f"{tuple(ref.shape)}"
        )
    if window_size % 2 != 1:
        raise ValueError(f"the window size must be odd, got {window_size}")
    window = gaussian_window(window_size, sigma)
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu1 = _gaussian_filter(pred, window)
    mu2 = _gaussian_filter(ref, window)
    mu1_sq = mu1.pow(2)
    mu2_sq = mu2.pow(2)
    mu1_mu2 = mu1 * mu2
    sigma1_sq = _gaussian_filter(pred * pred, window) - mu1_sq
    sigma2_sq = _gaussian_filter(ref * ref, window) - mu2_sq
    sigma12 = _gaussian_filter(pred * ref, window) - mu1_mu2
    cs_map = (2 * sigma12 + c2) / (sigma1_sq + sigma2_sq + c2)
    ssim_map = ((2 * mu1_mu2 + c1) / (mu1_sq + mu2_sq + c1)) * cs_map
    per_channel = torch.flatten(ssim_map, 2).mean(-1)
    return per_channel.mean(1)


def psnr(pred: NDArray[np.uint8], ref: NDArray[np.uint8]) -> float:
    """PSNR in dB of two H×W×C uint8 images (upstream's float32 arithmetic)."""
    _check_pair(pred, ref)
    return float(psnr_tensor(to_tensor(pred), to_tensor(ref))[0])


def ssim(pred: NDArray[np.uint8], ref: NDArray[np.uint8]) -> float:
    """SSIM of two H×W×C uint8 images (``pytorch_msssim.ssim``, data range 1)."""
    _check_pair(pred, ref)
    return float(ssim_tensor(to_tensor(pred), to_tensor(ref))[0])


def interpolation_error(pred: NDArray[np.uint8], ref: NDArray[np.uint8]) -> float:
    """IE: mean absolute difference on the 0–255 scale (upstream ``ie``)."""
    _check_pair(pred, ref)
    diff = (to_tensor(pred) - to_tensor(ref)) * 255.0
    return float(diff.abs().mean(dim=(-3, -2, -1))[0])
