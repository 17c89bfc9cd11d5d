"""Small building blocks of the VTinker network (MODEL.md §2).

Attribute names (``gn``, ``block``, ``channel_up``, ``conv``) are those of the official
checkpoint, so that ``VTinker.pkl`` loads into modules built from these blocks::

    block = ResidualBlock(128, 64)      # keys block.0.gn.*, block.2.*, block.3.gn.*, block.5.*,
                                        #      channel_up.*
    y = block(torch.rand(1, 128, 32, 32))   # 1×64×32×32
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vtinker_core.model.winograd import winograd_conv3x3, winograd_weights

__all__ = [
    "DownSampleBlock",
    "GroupNorm",
    "LeakyReLU",
    "OutputConv",
    "ResidualBlock",
    "Swish",
    "UpSampleBlock",
    "WinogradConv",
    "conv",
    "lrelu",
]

#: Every GroupNorm of the network uses 32 groups and this epsilon.
GROUPS = 32
GROUP_NORM_EPS = 1e-6
#: Negative slope of every LeakyReLU in the flow networks.
LRELU_SLOPE = 0.1
#: Fewest input and output channels for which :class:`WinogradConv` beats oneDNN's direct
#: convolution on CPU (measured: 12–27 % faster from 128 channels, slower at 64).
WINOGRAD_MIN_CHANNELS = 128


def conv(in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """A biased convolution with "same" zero padding for odd ``kernel`` (``kernel // 2``)."""
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2)


class WinogradConv(nn.Conv2d):
    """A 3×3 "same" convolution that runs CPU float32 inference through Winograd F(2×2, 3×3).

    2.25× fewer multiply-adds than the direct convolution, 12–27 % faster in wall time on
    CPU for 128 channels and more (:mod:`vtinker_core.model.winograd`); results differ by
    float rounding only. Under autograd, on other devices (whose libraries pick their own
    algorithms), in other dtypes or below :data:`WINOGRAD_MIN_CHANNELS` channels it is a
    plain convolution. The transformed filters are cached and recomputed when the weight
    changes.

    Args:
        in_channels: input channels C.
        out_channels: output channels K.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1)
        self._transformed: tuple[tuple[int, int, torch.dtype], torch.Tensor] | None = None

    def _winograd_weights(self) -> torch.Tensor:
        key = (self.weight.data_ptr(), self.weight._version, self.weight.dtype)
        if self._transformed is None or self._transformed[0] != key:
            self._transformed = (key, winograd_weights(self.weight.detach()))
        return self._transformed[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W → N×K×H×W."""
        if (
            torch.is_grad_enabled()
            or x.device.type != "cpu"
            or x.dtype != torch.float32
            or min(self.in_channels, self.out_channels) < WINOGRAD_MIN_CHANNELS
        ):
            return super().forward(x)
        return winograd_conv3x3(x, self._winograd_weights(), self.bias)


def _can_work_in_place(x: torch.Tensor) -> bool:
    # In-place activations save a full-size tensor per block at inference; under autograd
    # they would overwrite values the backward pass needs, so they are used only without it.
    return not (torch.is_grad_enabled() and x.requires_grad)


class LeakyReLU(nn.Module):
    """LeakyReLU(0.1); in place when autograd does not need the input (it always follows a
    convolution whose output nothing else reads)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, LRELU_SLOPE, inplace=_can_work_in_place(x))


def lrelu() -> LeakyReLU:
    """LeakyReLU(0.1), the activation of the feature pyramid, motion estimator and GFU."""
    return LeakyReLU()


class GroupNorm(nn.Module):
    """GroupNorm with 32 groups, eps 1e-6, affine; wrapped so the key is ``gn.*``.

    Args:
        channels: number of channels C (a multiple of 32).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        if channels % GROUPS:
            raise ValueError(f"GroupNorm needs a multiple of {GROUPS} channels, got {channels}")
        self.gn = nn.GroupNorm(GROUPS, channels, eps=GROUP_NORM_EPS, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W → N×C×H×W, normalised per sample over each group of C/32 channels."""
        return self.gn(x)


class Swish(nn.Module):
    """x · sigmoid(x) (SiLU); in place when autograd does not need the input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(x, inplace=_can_work_in_place(x))


class ResidualBlock(nn.Module):
    """GN → Swish → Conv3×3 → GN → Swish → Conv3×3, plus the input (1×1 conv if C changes).

    Args:
        in_channels: input channels a (multiple of 32).
        out_channels: output channels b (multiple of 32).
        winograd: use :class:`WinogradConv` for the 3×3 convolutions (float rounding
            differences only; the network uses it after its last discrete decision).
    """

    def __init__(self, in_channels: int, out_channels: int, *, winograd: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        conv3 = WinogradConv if winograd else conv
        self.block = nn.Sequential(
            GroupNorm(in_channels),
            Swish(),
            conv3(in_channels, out_channels),
            GroupNorm(out_channels),
            Swish(),
            conv3(out_channels, out_channels),
        )
        if in_channels != out_channels:
            self.channel_up = conv(in_channels, out_channels, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×a×H×W → N×b×H×W."""
        h = self.block(x)
        skip = self.channel_up(x) if self.in_channels != self.out_channels else x
        if _can_work_in_place(h):
            return h.add_(skip)
        return h + skip


class UpSampleBlock(nn.Module):
    """Nearest-neighbour ×2 upsampling followed by Conv3×3 (C → C).

    Args:
        channels: channels C.
        phase_decomposed: at inference (no autograd), compute the same linear map as four
            2×2 convolutions on the low-resolution input, one per output phase, instead of a
            3×3 convolution on the 4× larger upsampled tensor: 2.25× fewer multiply-adds and
            no upsampled copy. Results differ from the plain path by float rounding only
            (the 3×3 taps that read the same input pixel are summed first).
    """

    def __init__(self, channels: int, *, phase_decomposed: bool = False) -> None:
        super().__init__()
        self.conv = conv(channels, channels)
        self.phase_decomposed = phase_decomposed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W → N×C×2H×2W."""
        if self.phase_decomposed and not torch.is_grad_enabled():
            return _upsample_conv_by_phase(x, self.conv.weight, self.conv.bias)
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def _upsample_conv_by_phase(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """``conv3x3(nearest_upsample_2x(x))`` (zero padding 1) as four 2×2 convolutions.

    Output row 2i + a reads upsampled rows 2i + a − 1 … 2i + a + 1, i.e. input rows
    (i − 1, i, i) for a = 0 and (i, i, i + 1) for a = 1: the 3×3 kernel collapses to 2 rows,
    [w0, w1 + w2] over rows (i − 1, i) or [w0 + w1, w2] over rows (i, i + 1); columns alike.
    """
    n, _, h, w = x.shape
    rows = (
        torch.stack([weight[:, :, 0], weight[:, :, 1] + weight[:, :, 2]], dim=2),
        torch.stack([weight[:, :, 0] + weight[:, :, 1], weight[:, :, 2]], dim=2),
    )
    padded = F.pad(x, (1, 1, 1, 1))
    out = x.new_empty(n, weight.shape[0], h, 2, w, 2)
    for a, row_kernel in enumerate(rows):
        columns = (
            torch.stack([row_kernel[..., 0], row_kernel[..., 1] + row_kernel[..., 2]], dim=3),
            torch.stack([row_kernel[..., 0] + row_kernel[..., 1], row_kernel[..., 2]], dim=3),
        )
        for b, kernel in enumerate(columns):
            window = padded[:, :, a : a + h + 1, b : b + w + 1]
            out[:, :, :, a, :, b] = F.conv2d(window, kernel, bias)
    return out.view(n, weight.shape[0], 2 * h, 2 * w)


class OutputConv(nn.Conv2d):
    """A 3×3 "same" convolution to a few output channels (the network's last layer, 128 → 3).

    At inference (no autograd) it runs as one 1×1 convolution to 9·out channels, one per
    tap, followed by nine shifted sums: a matrix product instead of a direct 3×3
    convolution, which oneDNN runs several times slower when it has only 3 outputs to
    compute. Results differ from the plain path by float rounding only (summation order).

    Args:
        in_channels: input channels C.
        out_channels: output channels K (a few).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W → N×K×H×W."""
        if torch.is_grad_enabled():
            return super().forward(x)
        n, c, h, w = x.shape
        k = self.out_channels
        # Rows of the 1×1 weight are ordered (tap row, tap column, output channel).
        per_tap = self.weight.permute(2, 3, 0, 1).reshape(9 * k, c, 1, 1)
        taps = F.pad(F.conv2d(x, per_tap), (1, 1, 1, 1)).view(n, 3, 3, k, h + 2, w + 2)
        out = taps[:, 0, 0, :, :h, :w].clone()
        for i in range(3):
            for j in range(3):
                if i or j:
                    out += taps[:, i, j, :, i : i + h, j : j + w]
        if self.bias is not None:
            out += self.bias.view(1, k, 1, 1)
        return out


class DownSampleBlock(nn.Module):
    """Zero-pad one column right and one row bottom, then Conv3×3 with stride 2 (C → C).

    The padding is asymmetric on purpose (upstream's choice): for an even size S the output
    is S/2 and output pixel i sees input pixels 2i .. 2i+2.

    Args:
        channels: channels C.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W → N×C×⌊H/2⌋×⌊W/2⌋ (H, W even)."""
        return self.conv(F.pad(x, (0, 1, 0, 1)))
