"""The VTinker network (upstream ``modelVFI``), written from MODEL.md.

Submodule names are those of the official checkpoint (``flowgen``, ``main_model``,
``up_sample``), so ``VTinker.pkl`` loads strictly::

    net = VTinkerNet().eval()
    net.load_state_dict(state_dict)                  # see vtinker_core.model.checkpoint
    out = net.inference(img0, img1, 0.5, depth=3, skip=0)   # N×3×H×W, unclamped

For many in-betweens of one pair use :class:`vtinker_core.model.inference.Interpolator`,
which estimates motion and encodes the frames once.
"""

from __future__ import annotations

import torch
from torch import nn

from vtinker_core.model.flow import (
    FlowGen,
    GuidedFlowUpsampler,
    estimate_flow,
    scale_flow_to_time,
)
from vtinker_core.model.synthesis import TextureSynthesis

__all__ = ["DEFAULT_DEPTH", "VTinkerNet", "select_depth_skip"]

#: Pyramid depth used in training (upstream's constructor default ``flownet_deep = 3``).
DEFAULT_DEPTH = 3


def select_depth_skip(height: int, width: int) -> tuple[int, int]:
    """Pyramid depth D and skip S for an **unpadded** frame size (MODEL.md §6.5).

    ``m = max(H, W) / 1024``: m ≥ 3 → (5, 1); 1.5 ≤ m < 3 → (4, 0); otherwise (3, 0).
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"frame size must be positive, got {height}×{width}")
    m = max(height, width) / 1024
    if m >= 3:
        return 5, 1
    if m >= 1.5:
        return 4, 0
    return 3, 0


class VTinkerNet(nn.Module):
    """Guided flow upsampling + texture mapping frame interpolation (AAAI 2026).

    Submodules: ``flowgen`` (feature pyramid + motion estimator, from stage 1),
    ``up_sample`` (the GFU) and ``main_model`` (texture mapping + reconstruction).

    Unlike upstream, ``depth`` is not stored between calls (upstream keeps the last explicit
    ``flownet_deep``); ``None`` always means :data:`DEFAULT_DEPTH`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.flowgen = FlowGen()
        self.main_model = TextureSynthesis()
        self.up_sample = GuidedFlowUpsampler(32)

    def estimate_flow(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        depth: int | None = None,
        skip: int = 0,
    ) -> torch.Tensor:
        """Bidirectional flow before t scaling, in stored units (4 × pixels).

        Args:
            img0: N×3×H×W frame 0 in the model encoding, [0, 1]; H, W multiples of
                ``padding_divisor(depth)``.
            img1: N×3×H×W frame 1.
            depth: pyramid depth D (default 3).
            skip: skipped finest levels S, 0 ≤ S ≤ D.

        Returns:
            2N×2×H×W: [frame 0 → 1 on frame-0 pixels; frame 1 → 0 on frame-1 pixels].
        """
        depth = DEFAULT_DEPTH if depth is None else depth
        return estimate_flow(self.flowgen, self.up_sample, img0, img1, depth, skip)

    def get_flow(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        t: float,
        depth: int | None = None,
        skip: int = 0,
    ) -> torch.Tensor:
        """Upstream ``get_flow``: N×4×H×W flows frame 0 → t and frame 1 → t, in pixels."""
        return scale_flow_to_time(self.estimate_flow(img0, img1, depth, skip), t)

    @torch.no_grad()
    def inference(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        t: float,
        depth: int | None = None,
        skip: int = 0,
    ) -> torch.Tensor:
        """The frame at time ``t`` (upstream ``modelVFI.inference``), without gradients.

        Args:
            img0: N×3×H×W frame 0 in the model encoding, [0, 1].
            img1: N×3×H×W frame 1.
            t: time in [0, 1].
            depth: pyramid depth D (default 3).
            skip: skipped finest levels S.

        Returns:
            N×3×H×W, unclamped.
        """
        flow_t = self.get_flow(img0, img1, t, depth, skip)
        return self.main_model.inference(img0, img1, flow_t)

    def forward(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        t: float,
        depth: int | None = None,
        skip: int = 0,
    ) -> list[torch.Tensor]:
        """Training pass: ``[out, rec0, rec1]`` (MODEL.md §1, §7.8), each N×3×H×W."""
        flow_t = self.get_flow(img0, img1, t, depth, skip)
        return self.main_model(img0, img1, flow_t)
