"""Winograd F(2×2, 3×3) convolution against the direct convolution."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vtinker_core.model import winograd
from vtinker_core.model.blocks import WINOGRAD_MIN_CHANNELS, ResidualBlock, WinogradConv
from vtinker_core.model.winograd import winograd_conv3x3, winograd_weights


@pytest.mark.parametrize(
    ("batch", "channels", "outputs", "height", "width"),
    [(1, 8, 5, 6, 10), (2, 3, 4, 7, 9), (1, 16, 16, 1, 1), (1, 4, 6, 2, 31)],
)
def test_equals_direct_convolution_at_any_size(
    batch: int, channels: int, outputs: int, height: int, width: int
) -> None:
    torch.manual_seed(batch + channels + height)
    x = torch.randn(batch, channels, height, width)
    weight = torch.randn(outputs, channels, 3, 3)
    bias = torch.randn(outputs)
    expected = F.conv2d(x, weight, bias, padding=1)
    got = winograd_conv3x3(x, winograd_weights(weight), bias)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    no_bias = winograd_conv3x3(x, winograd_weights(weight))
    torch.testing.assert_close(no_bias, F.conv2d(x, weight, padding=1), rtol=1e-5, atol=1e-5)


def test_bands_of_rows_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(1)
    x = torch.randn(1, 8, 22, 14)
    weights = winograd_weights(torch.randn(8, 8, 3, 3))
    whole = winograd_conv3x3(x, weights)
    monkeypatch.setattr(winograd, "_BAND_ELEMENTS", 16 * 8 * 7 * 3)  # 3 tile rows per band
    torch.testing.assert_close(winograd_conv3x3(x, weights), whole, rtol=0, atol=0)


def test_rejects_mismatched_weights() -> None:
    with pytest.raises(ValueError, match="16×K×4"):
        winograd_conv3x3(torch.zeros(1, 4, 4, 4), torch.zeros(16, 2, 3))
    with pytest.raises(ValueError, match="K×C×3×3"):
        winograd_weights(torch.zeros(2, 2, 5, 5))


def test_module_uses_winograd_at_inference_and_follows_weight_changes() -> None:
    torch.manual_seed(2)
    layer = WinogradConv(WINOGRAD_MIN_CHANNELS, WINOGRAD_MIN_CHANNELS)
    x = torch.randn(1, WINOGRAD_MIN_CHANNELS, 6, 8)
    direct = F.conv2d(x, layer.weight, layer.bias, padding=1)
    assert torch.equal(layer(x), direct)  # autograd on: the plain convolution
    with torch.inference_mode():
        fast = layer(x)
    assert not torch.equal(fast, direct)  # another algorithm ran ...
    torch.testing.assert_close(fast, direct, rtol=1e-5, atol=1e-5)  # ... with the same result
    with torch.no_grad():
        layer.weight.mul_(-1.0)
        torch.testing.assert_close(layer(x), -direct + 2 * layer.bias.view(1, -1, 1, 1))


def test_residual_block_option_keeps_checkpoint_keys() -> None:
    plain, fast = ResidualBlock(256, 128), ResidualBlock(256, 128, winograd=True)
    assert list(plain.state_dict()) == list(fast.state_dict())
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(1, 256, 8, 8)
    with torch.inference_mode():
        torch.testing.assert_close(fast(x), plain(x), rtol=1e-4, atol=1e-5)
