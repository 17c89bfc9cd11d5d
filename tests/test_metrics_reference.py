"""Our SSIM agrees with the package the paper's evaluation scripts use (pytorch_msssim)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vtinker_core.evaluate.metrics import ssim

pytorch_msssim = pytest.importorskip("pytorch_msssim")


@pytest.mark.parametrize("noise", [5, 30, 90])
def test_ssim_matches_pytorch_msssim(noise: int) -> None:
    rng = np.random.default_rng(noise)
    a = rng.integers(0, 256, (48, 72, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-noise, noise + 1, a.shape), 0, 255).astype(np.uint8)
    ta = torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0
    tb = torch.from_numpy(b).permute(2, 0, 1)[None].float() / 255.0
    expected = pytorch_msssim.ssim(ta, tb, data_range=1.0, size_average=False).item()
    assert ssim(a, b) == pytest.approx(expected, abs=1e-6)
