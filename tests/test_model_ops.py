"""vtinker_core.model.ops against per-pixel Python loops written from MODEL.md §4, §5."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from model_helpers import single_torch_thread  # noqa: F401  (fixture)

from vtinker_core.model.ops import (
    backward_warp,
    correlation,
    nearest_warp_indices,
    softsplat_average,
)

TOL = 1e-5

pytestmark = pytest.mark.usefixtures("single_torch_thread")


# --- reference implementations (deliberately naive) -------------------------------------------


def softsplat_reference(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """MODEL.md §5.1 as loops: float32 positions/weights, exact-zero normalisation."""
    n, c, h, w = image.shape
    summed = np.zeros((n, c + 1, h, w), np.float64)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                fx = np.float32(x) + np.float32(flow[b, 0, y, x])
                fy = np.float32(y) + np.float32(flow[b, 1, y, x])
                x0, y0 = math.floor(fx), math.floor(fy)
                corners = (
                    (x0, y0, (np.float32(x0 + 1) - fx) * (np.float32(y0 + 1) - fy)),
                    (x0 + 1, y0, (fx - np.float32(x0)) * (np.float32(y0 + 1) - fy)),
                    (x0, y0 + 1, (np.float32(x0 + 1) - fx) * (fy - np.float32(y0))),
                    (x0 + 1, y0 + 1, (fx - np.float32(x0)) * (fy - np.float32(y0))),
                )
                for cx, cy, weight in corners:
                    if 0 <= cx < w and 0 <= cy < h:
                        summed[b, :c, cy, cx] += image[b, :, y, x] * float(weight)
                        summed[b, c, cy, cx] += float(weight)
    norm = summed[:, c:]
    norm = np.where(norm == 0.0, 1.0, norm)
    return (summed[:, :c] / norm).astype(np.float32)


def correlation_reference(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    n, c, h, w = first.shape
    out = np.zeros((n, 81, h, w), np.float64)
    for k in range(81):
        dy, dx = k // 9 - 4, k % 9 - 4
        for y in range(h):
            for x in range(w):
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    out[:, k, y, x] = (
                        first[:, :, y, x].astype(np.float64)
                        * second[:, :, y + dy, x + dx].astype(np.float64)
                    ).sum(axis=1) / c
    return out.astype(np.float32)


def warp_reference(image: np.ndarray, flow: np.ndarray, mode: str) -> np.ndarray:
    """Sample image at grid position + flow; the flow grid may be smaller than the image."""
    n, c, big_h, big_w = image.shape
    h, w = flow.shape[2:]
    out = np.zeros((n, c, h, w), np.float64)
    for b in range(n):
        for i in range(h):
            for j in range(w):
                # align_corners=True maps grid cell (i + v, j + u) of an h×w grid to the image.
                x = (j + flow[b, 0, i, j]) * (big_w - 1) / (w - 1)
                y = (i + flow[b, 1, i, j]) * (big_h - 1) / (h - 1)
                x = min(max(x, 0.0), big_w - 1.0)
                y = min(max(y, 0.0), big_h - 1.0)
                if mode == "nearest":
                    out[b, :, i, j] = image[b, :, int(np.rint(y)), int(np.rint(x))]
                    continue
                x0, y0 = math.floor(x), math.floor(y)
                x1, y1 = min(x0 + 1, big_w - 1), min(y0 + 1, big_h - 1)
                ax, ay = x - x0, y - y0
                out[b, :, i, j] = (
                    image[b, :, y0, x0] * (1 - ax) * (1 - ay)
                    + image[b, :, y0, x1] * ax * (1 - ay)
                    + image[b, :, y1, x0] * (1 - ax) * ay
                    + image[b, :, y1, x1] * ax * ay
                )
    return out.astype(np.float32)


def _rand(*shape: int, low: float = 0.0, high: float = 1.0, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=generator) * (high - low) + low


# --- softsplat_average ------------------------------------------------------------------------


@pytest.mark.parametrize("spread", [0.4, 3.0, 12.0])
def test_softsplat_matches_loops_for_random_flows(spread: float) -> None:
    # spread 12 pushes most sources outside a 7×9 image (dropped corners, border pixels).
    image = _rand(2, 3, 7, 9, low=-1.0, high=2.0, seed=1)
    flow = _rand(2, 2, 7, 9, low=-spread, high=spread, seed=2)
    expected = softsplat_reference(image.numpy(), flow.numpy())
    actual = softsplat_average(image, flow)
    assert actual.shape == image.shape and actual.dtype == torch.float32
    np.testing.assert_allclose(actual.numpy(), expected, rtol=TOL, atol=TOL)


def test_softsplat_many_sources_onto_one_pixel_average() -> None:
    image = _rand(1, 2, 6, 5, seed=3)
    ys, xs = torch.meshgrid(torch.arange(6.0), torch.arange(5.0), indexing="ij")
    # Every source lands exactly on pixel (2, 3): the output there is the plain mean.
    flow = torch.stack([2.0 - xs, 3.0 - ys]).unsqueeze(0)
    out = softsplat_average(image, flow)
    np.testing.assert_allclose(
        out[0, :, 3, 2].numpy(), image[0].mean(dim=(1, 2)).numpy(), rtol=TOL, atol=TOL
    )
    mask = torch.ones(6, 5, dtype=torch.bool)
    mask[3, 2] = False
    assert torch.all(out[0][:, mask] == 0.0)  # holes are exactly 0
    np.testing.assert_allclose(
        out.numpy(), softsplat_reference(image.numpy(), flow.numpy()), rtol=TOL, atol=TOL
    )


def test_softsplat_subpixel_pileup_matches_loops() -> None:
    image = _rand(1, 3, 5, 6, seed=4)
    ys, xs = torch.meshgrid(torch.arange(5.0), torch.arange(6.0), indexing="ij")
    jitter = _rand(1, 2, 5, 6, low=-0.3, high=0.3, seed=5)
    flow = torch.stack([2.6 - xs, 1.3 - ys]).unsqueeze(0) + jitter
    np.testing.assert_allclose(
        softsplat_average(image, flow).numpy(),
        softsplat_reference(image.numpy(), flow.numpy()),
        rtol=TOL,
        atol=TOL,
    )


def test_softsplat_holes_and_exact_zero_weights_give_zero() -> None:
    image = _rand(1, 2, 4, 4, low=1.0, high=2.0, seed=6)
    flow = torch.zeros(1, 2, 4, 4)
    flow[:, 0] = 1.0  # integer shift right: column 0 receives nothing
    out = softsplat_average(image, flow)
    assert torch.all(out[0, :, :, 0] == 0.0)
    assert torch.equal(out[0, :, :, 1:], image[0, :, :, :3])  # weight 1 exactly: a copy
    far = torch.full((1, 2, 4, 4), 100.0)
    assert torch.all(softsplat_average(image, far) == 0.0)


def test_softsplat_nonfinite_flow_is_dropped_not_spread() -> None:
    image = _rand(1, 1, 3, 3, seed=7)
    flow = torch.zeros(1, 2, 3, 3)
    flow[0, 0, 1, 1] = float("nan")
    flow[0, 1, 0, 0] = float("inf")
    out = softsplat_average(image, flow)
    assert torch.isfinite(out).all()
    assert out[0, 0, 1, 1] == 0.0 and out[0, 0, 0, 0] == 0.0
    assert out[0, 0, 2, 2] == image[0, 0, 2, 2]


def test_softsplat_half_precision_is_computed_in_float32() -> None:
    image = _rand(1, 3, 5, 5, seed=8)
    flow = _rand(1, 2, 5, 5, low=-2, high=2, seed=9)
    out = softsplat_average(image.bfloat16(), flow.bfloat16())
    assert out.dtype == torch.bfloat16
    ref = softsplat_average(image.bfloat16().float(), flow.bfloat16().float())
    np.testing.assert_allclose(out.float().numpy(), ref.numpy(), atol=1e-2)


def test_softsplat_gradcheck() -> None:
    image = _rand(1, 2, 3, 4, seed=10).double().requires_grad_()
    flow = (_rand(1, 2, 3, 4, low=-0.7, high=0.7, seed=11).double() + 0.05).requires_grad_()
    assert torch.autograd.gradcheck(softsplat_average, (image, flow), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    ("image_shape", "flow_shape"),
    [((1, 3, 4, 4), (1, 2, 4, 5)), ((3, 4), (1, 2, 3, 4)), ((1, 3, 4, 4), (2, 2, 4, 4))],
)
def test_softsplat_rejects_bad_shapes(image_shape: tuple, flow_shape: tuple) -> None:
    with pytest.raises(ValueError, match="must be"):
        softsplat_average(torch.zeros(image_shape), torch.zeros(flow_shape))


# --- correlation --------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [11, 53])  # one row chunk; several, the last one partial
def test_correlation_matches_loops_including_borders(width: int) -> None:
    first = _rand(2, 5, 6, width, low=-1, high=1, seed=12)
    second = _rand(2, 5, 6, width, low=-1, high=1, seed=13)
    np.testing.assert_allclose(
        correlation(first, second).numpy(),
        correlation_reference(first.numpy(), second.numpy()),
        rtol=TOL,
        atol=TOL,
    )


def test_correlation_channel_order() -> None:
    first = torch.zeros(1, 2, 9, 9)
    second = torch.zeros(1, 2, 9, 9)
    first[0, :, 4, 4] = 1.0
    second[0, :, 4, 5] = 3.0  # dx = +1 → channel 41
    second[0, :, 5, 4] = 5.0  # dy = +1 → channel 49
    out = correlation(first, second)[0, :, 4, 4]
    assert out[41] == 3.0 and out[49] == 5.0 and out[40] == 0.0
    assert out.count_nonzero() == 2


def test_correlation_gradcheck() -> None:
    first = _rand(1, 2, 3, 30, seed=14).double().requires_grad_()
    second = _rand(1, 2, 3, 30, seed=15).double().requires_grad_()
    assert torch.autograd.gradcheck(correlation, (first, second), fast_mode=True)


def test_correlation_rejects_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        correlation(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 5))


# --- backward_warp ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("spread", [0.45, 4.0])
def test_backward_warp_matches_loops_same_size(mode: str, spread: float) -> None:
    image = _rand(2, 3, 6, 8, seed=16)
    flow = _rand(2, 2, 6, 8, low=-spread, high=spread, seed=17)
    np.testing.assert_allclose(
        backward_warp(image, flow, mode).numpy(),
        warp_reference(image.numpy(), flow.numpy(), mode),
        rtol=TOL,
        atol=TOL,
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_backward_warp_flow_grid_smaller_than_image(mode: str) -> None:
    # MODEL.md §7.5: a (H/2 − 1)-sized patch tensor sampled on an H/4 grid.
    image = _rand(1, 4, 7, 11, seed=18)
    flow = _rand(1, 2, 4, 6, low=-1.3, high=1.3, seed=19)
    np.testing.assert_allclose(
        backward_warp(image, flow, mode).numpy(),
        warp_reference(image.numpy(), flow.numpy(), mode),
        rtol=TOL,
        atol=TOL,
    )


def test_backward_warp_nearest_rounds_half_to_even() -> None:
    image = torch.tensor([[[[10.0, 20.0, 30.0]] * 3]])  # 1×1×3×3
    flow = torch.zeros(1, 2, 3, 3)
    flow[:, 0] = 0.5  # x + 0.5 = 0.5, 1.5, 2.5 → 0, 2, 2 (clamped)
    out = backward_warp(image, flow, "nearest")
    assert out[0, 0, 0].tolist() == [10.0, 30.0, 30.0]


def test_backward_warp_zero_flow_is_identity_and_border_clamps() -> None:
    image = _rand(1, 2, 5, 7, seed=20)
    np.testing.assert_allclose(
        backward_warp(image, torch.zeros(1, 2, 5, 7)).numpy(), image.numpy(), atol=1e-6
    )
    left = torch.zeros(1, 2, 5, 7)
    left[:, 0] = -50.0
    out = backward_warp(image, left)
    np.testing.assert_allclose(
        out.numpy(), image[:, :, :, :1].expand(-1, -1, -1, 7).numpy(), atol=1e-6
    )


def test_backward_warp_gradcheck() -> None:
    image = _rand(1, 2, 4, 5, seed=21).double().requires_grad_()
    flow = _rand(1, 2, 4, 5, low=-0.8, high=0.8, seed=22).double().requires_grad_()
    assert torch.autograd.gradcheck(backward_warp, (image, flow))


def test_backward_warp_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="mode"):
        backward_warp(torch.zeros(1, 1, 4, 4), torch.zeros(1, 2, 4, 4), "bicubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch"):
        backward_warp(torch.zeros(2, 1, 4, 4), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="N×2×H×W"):
        backward_warp(torch.zeros(1, 1, 4, 4), torch.zeros(1, 3, 4, 4))


def test_nearest_warp_indices_agree_with_nearest_warp() -> None:
    image = _rand(2, 3, 9, 13, seed=23)
    flow = _rand(2, 2, 5, 6, low=-3, high=3, seed=24)
    idx = nearest_warp_indices(flow, 9, 13)
    assert idx.dtype == torch.int64 and idx.shape == (2, 2, 5, 6)
    flat = (idx[:, 1] * 13 + idx[:, 0]).view(2, 1, -1).expand(-1, 3, -1)
    gathered = image.view(2, 3, -1).gather(2, flat).view(2, 3, 5, 6)
    assert torch.equal(gathered, backward_warp(image, flow, "nearest"))


@pytest.mark.needs_cuda
def test_the_cupy_kernels_match_the_pytorch_ops_on_cuda() -> None:
    """The CuPy path (CUDA inference) against the plain PyTorch reference on the CPU."""
    pytest.importorskip("cupy")
    from vtinker_core.model.cupy_ops import cupy_available

    generator = torch.Generator().manual_seed(11)
    image = torch.rand(2, 3, 37, 53, generator=generator)
    flow = torch.randn(2, 2, 37, 53, generator=generator) * 6
    flow[0, :, 5, 7] = float("nan")  # dropped, as on the CPU
    first = torch.randn(1, 16, 29, 31, generator=generator)
    second = torch.randn(1, 16, 29, 31, generator=generator)
    cuda = [t.cuda() for t in (image, flow, first, second)]
    assert cupy_available(*cuda)

    splat = softsplat_average(cuda[0], cuda[1]).cpu()
    volume = correlation(cuda[2], cuda[3]).cpu()

    torch.testing.assert_close(splat, softsplat_average(image, flow), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(volume, correlation(first, second), rtol=1e-5, atol=1e-5)
