"""Motion side of VTinker: feature pyramid, motion estimator, guided flow upsampling (GFU).

Written from MODEL.md §3, §6; module attribute names follow the official checkpoint keys
(``flowgen.feat_pyramid.*``, ``flowgen.motion_estimator.*``, ``up_sample.*``)::

    flowgen = FlowGen()
    gfu = GuidedFlowUpsampler()
    flow = estimate_flow(flowgen, gfu, img0, img1, depth=3, skip=0)   # 2N×2×H×W, ×4 units

Flow units: every flow inside the motion network is stored as **4 × the displacement in
pixels of the grid it lives on** (upstream's convention; each 2× bilinear upsampling is
followed by ×2 on the values, which keeps it). ``estimate_flow`` returns that stored flow at
full resolution; divide by 4 for pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vtinker_core.model.blocks import LRELU_SLOPE, conv, lrelu
from vtinker_core.model.ops import backward_warp, correlation

__all__ = [
    "FeatPyramid",
    "FlowGen",
    "GuidedFlowUpsampler",
    "MotionEstimator",
    "check_depth_skip",
    "estimate_flow",
    "padding_divisor",
    "scale_flow_to_time",
]

#: Feature channels of the pyramid's last stage and of the motion estimator's hidden state.
FEATURE_CHANNELS = 64


def _conv_stage(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    # Four (conv, lrelu) pairs: indices 0, 2, 4, 6 are the convolutions (checkpoint keys).
    layers: list[nn.Module] = [conv(in_channels, out_channels, stride=stride), lrelu()]
    for _ in range(3):
        layers += [conv(out_channels, out_channels), lrelu()]
    return nn.Sequential(*layers)


class FeatPyramid(nn.Module):
    """Three-stage convolutional feature pyramid (official ``FeatPyramid``).

    Only the last stage (64 channels at 1/4 resolution) is used by VTinker, but the three
    stages run in sequence, so all are computed.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv_stage0 = _conv_stage(3, 16, stride=1)
        self.conv_stage1 = _conv_stage(16, 32, stride=2)
        self.conv_stage2 = _conv_stage(32, FEATURE_CHANNELS, stride=2)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """Features of an image.

        Args:
            image: N×3×H×W in the model encoding, [0, 1] (H, W multiples of 4).

        Returns:
            ``[C0, C1, C2]``: N×16×H×W, N×32×H/2×W/2, N×64×H/4×W/4.
        """
        c0 = self.conv_stage0(image)
        c1 = self.conv_stage1(c0)
        c2 = self.conv_stage2(c1)
        return [c0, c1, c2]

    def last_stage(self, image: torch.Tensor) -> torch.Tensor:
        """C2 only (N×64×H/4×W/4), freeing C0 and C1 as soon as possible."""
        return self.conv_stage2(self.conv_stage1(self.conv_stage0(image)))


def _conv_lrelu(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(conv(in_channels, out_channels, kernel=kernel), lrelu())


class MotionEstimator(nn.Module):
    """One coarse-to-fine step of bidirectional motion estimation (MODEL.md §6.1).

    Both directions share the weights and run batch-stacked: rows 0..N−1 are branch 0
    (frame 0 → frame 1, on frame-0 pixels), rows N..2N−1 branch 1 (frame 1 → frame 0).
    """

    #: 81 correlation + own 64 + warped other 64 + previous feature 64 + previous flow 2.
    IN_CHANNELS = 81 + 3 * FEATURE_CHANNELS + 2

    def __init__(self) -> None:
        super().__init__()
        self.conv_layer1 = _conv_lrelu(self.IN_CHANNELS, 160, 1)
        self.conv_layer2 = _conv_lrelu(160, 128, 3)
        self.conv_layer3 = _conv_lrelu(128, 112, 3)
        self.conv_layer4 = _conv_lrelu(112, 96, 3)
        self.conv_layer5 = _conv_lrelu(96, FEATURE_CHANNELS, 3)
        self.conv_layer6 = nn.Sequential(conv(FEATURE_CHANNELS, 2))

    def forward(
        self,
        feat0: torch.Tensor,
        feat1: torch.Tensor,
        last_feat: torch.Tensor,
        last_flow: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Predict both flows (directly, not as a residual of ``last_flow``).

        Args:
            feat0: N×64×h×w pyramid features (C2) of frame 0.
            feat1: N×64×h×w pyramid features of frame 1.
            last_feat: 2N×64×h×w hidden features of the previous level, batch-stacked
                [branch 0; branch 1] (zeros at the coarsest level).
            last_flow: 2N×2×h×w previous flows in stored units (4 × pixels of this grid).

        Returns:
            ``(flow, feat)``: 2N×2×h×w flow in stored units and 2N×64×h×w features.
        """
        n = feat0.shape[0]
        if feat1.shape != feat0.shape:
            raise ValueError(
                f"feat0 and feat1 differ: {tuple(feat0.shape)} vs {tuple(feat1.shape)}"
            )
        size = tuple(feat0.shape[2:])
        if last_feat.shape[0] != 2 * n or tuple(last_feat.shape[2:]) != size:
            raise ValueError(
                f"last_feat must be {2 * n}×64×{size[0]}×{size[1]}, got {tuple(last_feat.shape)}"
            )
        if last_flow.shape[0] != 2 * n or tuple(last_flow.shape[2:]) != size:
            raise ValueError(
                f"last_flow must be {2 * n}×2×{size[0]}×{size[1]}, got {tuple(last_flow.shape)}"
            )
        # The stored flow is 4× the displacement on this grid, hence the 0.25.
        warped0 = backward_warp(feat1, last_flow[:n] * 0.25)
        warped1 = backward_warp(feat0, last_flow[n:] * 0.25)
        volume0 = F.leaky_relu(correlation(feat0, warped0), LRELU_SLOPE)
        volume1 = F.leaky_relu(correlation(feat1, warped1), LRELU_SLOPE)
        x = torch.cat(
            [
                torch.cat([volume0, feat0, warped0, last_feat[:n], last_flow[:n]], dim=1),
                torch.cat([volume1, feat1, warped1, last_feat[n:], last_flow[n:]], dim=1),
            ],
            dim=0,
        )
        del warped0, warped1, volume0, volume1
        x = self.conv_layer1(x)
        x = self.conv_layer2(x)
        x = self.conv_layer3(x)
        x = self.conv_layer4(x)
        feat = self.conv_layer5(x)
        flow = self.conv_layer6(feat)
        return flow, feat


class GuidedFlowUpsampler(nn.Module):
    """Guided flow upsampling, "GFU" (official ``Up_sample_module(32)``, MODEL.md §6.2).

    Refines an (already bilinearly upsampled) flow with a residual predicted from the flow and
    a guide image: ``flow + final(pred(cat(A(img) ⊙ B(flow), B(flow))))``.

    Args:
        hidden: hidden channels (32 in the released model).
        chunk_pixels: at inference, inputs with more than this many pixels per image are
            processed in horizontal bands of about this many pixels (at least 64 rows), each
            with a 4-row halo, which makes the result identical up to float rounding; this
            bounds the memory of the full-resolution pass at 4K. ``0`` disables banding.
    """

    #: Rows of context a band needs: four 3×3 convolutions lie on the longest path.
    HALO = 4

    def __init__(self, hidden: int = 32, *, chunk_pixels: int = 1 << 17) -> None:
        super().__init__()
        self.chunk_pixels = chunk_pixels
        self.A = nn.Sequential(conv(3, hidden), lrelu(), conv(hidden, hidden), lrelu())
        self.B = nn.Sequential(conv(2, hidden), lrelu(), conv(hidden, hidden), lrelu())
        self.pred = nn.Sequential(conv(2 * hidden, hidden), lrelu(), conv(hidden, hidden), lrelu())
        self.final = conv(hidden, 2, kernel=1)

    def _refine(self, flow: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        b = self.B(flow)
        gated = self.A(guide).mul_(b) if not torch.is_grad_enabled() else self.A(guide) * b
        delta = self.final(self.pred(torch.cat([gated, b], dim=1)))
        return flow + delta

    def forward(self, flow: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """Refine ``flow`` guided by ``guide``.

        Args:
            flow: B×2×h×w flow in stored units (4 × pixels of this grid).
            guide: B×3×h×w guide image in the model encoding (frame 0 for branch 0, frame 1
                for branch 1), same size.

        Returns:
            B×2×h×w refined flow, same units.
        """
        if flow.dim() != 4 or flow.shape[1] != 2:
            raise ValueError(f"flow must be B×2×h×w, got {tuple(flow.shape)}")
        if guide.dim() != 4 or guide.shape[1] != 3 or guide.shape[0] != flow.shape[0]:
            raise ValueError(f"guide must be {flow.shape[0]}×3×h×w, got {tuple(guide.shape)}")
        if guide.shape[2:] != flow.shape[2:]:
            raise ValueError(
                f"flow and guide sizes differ: {tuple(flow.shape)} vs {tuple(guide.shape)}"
            )
        h, w = flow.shape[2:]
        if torch.is_grad_enabled() or self.chunk_pixels <= 0 or h * w <= self.chunk_pixels:
            return self._refine(flow, guide)
        band = max(self.chunk_pixels // w, 16 * self.HALO)
        out = torch.empty_like(flow)
        for top in range(0, h, band):
            bottom = min(top + band, h)
            lo, hi = max(top - self.HALO, 0), min(bottom + self.HALO, h)
            refined = self._refine(flow[:, :, lo:hi], guide[:, :, lo:hi])
            out[:, :, top:bottom] = refined[:, :, top - lo : top - lo + bottom - top]
        return out


class FlowGen(nn.Module):
    """Container of the two stage-1 sub-networks reused by VTinker (official ``FlowGen``)."""

    def __init__(self) -> None:
        super().__init__()
        self.feat_pyramid = FeatPyramid()
        self.motion_estimator = MotionEstimator()


def padding_divisor(depth: int) -> int:
    """The multiple H and W must have for pyramid depth ``depth``: max(2^(depth+2), 16)."""
    return max(2 ** (depth + 2), 16)


def check_depth_skip(depth: int, skip: int) -> None:
    """``ValueError`` unless 2 ≤ depth and 0 ≤ skip ≤ depth (MODEL.md §6.3, §8.2)."""
    if depth < 2:
        raise ValueError(f"pyramid depth must be at least 2, got {depth}")
    if not 0 <= skip <= depth:
        raise ValueError(f"skip must lie in 0..{depth} (the depth), got {skip}")


def _bilinear(x: torch.Tensor, scale: float) -> torch.Tensor:
    # Always scale_factor (never size): PyTorch's coordinate mapping then matches upstream.
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def estimate_flow(
    flowgen: FlowGen,
    up_sample: GuidedFlowUpsampler,
    img0: torch.Tensor,
    img1: torch.Tensor,
    depth: int,
    skip: int,
) -> torch.Tensor:
    """Coarse-to-fine bidirectional flow at full resolution, before any t scaling (§6.3).

    This is upstream's ``get_flow`` without its last step (``× t``, ``× (1 − t)``, ``/ 4``),
    which is what depends on t: see :func:`scale_flow_to_time`.

    Args:
        flowgen: the feature pyramid and motion estimator.
        up_sample: the GFU.
        img0: N×3×H×W frame 0 in the model encoding, [0, 1]; H, W multiples of
            ``padding_divisor(depth)``.
        img1: N×3×H×W frame 1, same shape.
        depth: pyramid depth D (levels D..skip are estimated).
        skip: level S at which estimation stops and the flow is upsampled to full resolution.

    Returns:
        2N×2×H×W flows in stored units (4 × pixels): rows 0..N−1 frame 0 → frame 1 (on frame-0
        pixels), rows N..2N−1 frame 1 → frame 0.

    Raises:
        ValueError: on mismatched shapes, sizes that are not multiples of the divisor, or an
            invalid depth/skip.
    """
    check_depth_skip(depth, skip)
    if img0.dim() != 4 or img0.shape[1] != 3 or img0.shape != img1.shape:
        raise ValueError(
            f"img0 and img1 must both be N×3×H×W, got {tuple(img0.shape)} and {tuple(img1.shape)}"
        )
    n, _, h, w = img0.shape
    divisor = padding_divisor(depth)
    if h % divisor or w % divisor:
        raise ValueError(f"H and W must be multiples of {divisor} for depth {depth}, got {h}×{w}")
    coarse = 2 ** (depth + 2)
    last_flow = img0.new_zeros(2 * n, 2, h // coarse, w // coarse)
    last_feat = img0.new_zeros(2 * n, FEATURE_CHANNELS, h // coarse, w // coarse)
    pair = torch.cat([img0, img1], dim=0)
    for rate in range(depth, -1, -1):
        level = pair if rate == 0 else _bilinear(pair, 1.0 / 2**rate)
        # Both frames go through the pyramid as one batch (upstream: two calls, same maths).
        features = flowgen.feat_pyramid.last_stage(level)
        flow, feat = flowgen.motion_estimator(features[:n], features[n:], last_feat, last_flow)
        del features
        last_flow = up_sample(_bilinear(flow, 2.0) * 2.0, _bilinear(level, 0.5))
        last_feat = _bilinear(feat, 2.0) * 2.0
        if rate == skip:
            factor = 2 ** (skip + 1)
            return up_sample(_bilinear(last_flow, float(factor)) * factor, pair)
    raise AssertionError("unreachable: skip <= depth is checked above")  # pragma: no cover


def scale_flow_to_time(flow: torch.Tensor, t: float) -> torch.Tensor:
    """Upstream's last ``get_flow`` step: flows from each frame to time t, in pixels.

    Args:
        flow: 2N×2×H×W stored flows from :func:`estimate_flow`.
        t: time in [0, 1].

    Returns:
        N×4×H×W: channels 0–1 frame 0 → t (``flow0 · t / 4``), 2–3 frame 1 → t
        (``flow1 · (1 − t) / 4``), in full-resolution pixels.
    """
    n = flow.shape[0] // 2
    return torch.cat([flow[:n] * t, flow[n:] * (1 - t)], dim=1) / 4
