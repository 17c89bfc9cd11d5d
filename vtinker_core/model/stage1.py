"""Stage-1 model (upstream ``UPR_ReDesign.Model``): the motion network and its training pass.

Stage 1 trains the feature pyramid and motion estimator that VTinker reuses as ``flowgen``
(MODEL.md §10.1, §10.3), inside a UPR-Net-base pyramid with a splatting synthesis network.
The module tree reproduces the stage-1 state dict exactly (80 tensors: ``feat_pyramid.*``,
``motion_estimator.*``, ``synthesis_network.*``), so ``UPR_ReDesgin.pkl`` loads and a stage-1
training run saves it in the same layout::

    stage1 = Stage1Net()
    stage1.load_state_dict(strip_module_prefix(torch.load(path, weights_only=True)))
    flowgen.load_state_dict(stage1.flowgen_state_dict())

    interp, bi_flow, extras = stage1(img0, img1, 0.5)   # N×3×H×W, N×4×H×W, per-level lists

Shapes for N×3×H×W inputs (H, W multiples of 2^(levels+1), 16 for the default 3 levels):
``interp`` N×3×H×W in [0, 1] (clamped, as upstream); ``bi_flow`` N×4×H×W = [frame 0 → 1,
frame 1 → 0] in full-resolution pixels (bilinear ×4 upsampling of the last motion estimate);
``extras["interp_imgs"]`` and ``extras["bi_flows"]`` one entry per level, coarsest first,
N×3×H/2^l×W/2^l and N×4×H/2^l×W/2^l (pixels of that level).

Unlike upstream, the motion estimator here keeps both directions batch-stacked (2N rows,
:class:`~vtinker_core.model.flow.MotionEstimator`); stage 1 packs them along channels
([branch 0, branch 1]). The two are the same arithmetic; this module converts at the boundary
so the tensors it exposes use the stage-1 (channel-packed) layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vtinker_core.model.blocks import conv
from vtinker_core.model.flow import FEATURE_CHANNELS, FeatPyramid, MotionEstimator
from vtinker_core.model.ops import softsplat_average

__all__ = ["STAGE1_LEVELS", "Stage1Net", "Stage1Synthesis"]

#: Pyramid levels of the stage-1 model in training (upstream ``pyr_level=3``).
STAGE1_LEVELS = 3


def _conv_prelu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [conv(in_channels, out_channels, stride=stride), nn.PReLU(out_channels)]


def _deconv_prelu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1),
        nn.PReLU(out_channels),
    ]


def _bilinear(x: torch.Tensor, scale: float) -> torch.Tensor:
    # scale_factor (never size), as upstream, so the coordinate mapping is the same.
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def _splat_pair(
    flow: torch.Tensor, a: torch.Tensor, b: torch.Tensor, t: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-splat ``a`` along branch-0 flow × t and ``b`` along branch-1 flow × (1 − t)."""
    return softsplat_average(a, flow[:, :2] * t), softsplat_average(b, flow[:, 2:4] * (1 - t))


class Stage1Synthesis(nn.Module):
    """UPR-Net-base synthesis network of stage 1 (per-channel PReLU), MODEL.md §10.1.

    Keys: ``encoder_conv``, ``encoder_down1``, ``encoder_down2``, ``decoder_up1``,
    ``decoder_up2``, ``decoder_conv``, ``pred``.
    """

    def __init__(self) -> None:
        super().__init__()
        # 19 = last_interp 3 + warped images 3 + 3 + images 3 + 3 + flows 2 + 2.
        self.encoder_conv = nn.Sequential(*_conv_prelu(19, 32), *_conv_prelu(32, 32))
        self.encoder_down1 = nn.Sequential(
            *_conv_prelu(64, 64, stride=2), *_conv_prelu(64, 64), *_conv_prelu(64, 64)
        )
        self.encoder_down2 = nn.Sequential(
            *_conv_prelu(128, 128, stride=2), *_conv_prelu(128, 128), *_conv_prelu(128, 128)
        )
        self.decoder_up1 = nn.Sequential(*_deconv_prelu(256, 64), *_conv_prelu(64, 64))
        self.decoder_up2 = nn.Sequential(*_deconv_prelu(128, 32), *_conv_prelu(32, 32))
        self.decoder_conv = nn.Sequential(*_conv_prelu(64, 32), *_conv_prelu(32, 32))
        self.pred = conv(32, 5)

    def forward(
        self,
        last_interp: torch.Tensor,
        img0: torch.Tensor,
        img1: torch.Tensor,
        feats0: list[torch.Tensor],
        feats1: list[torch.Tensor],
        flows: list[torch.Tensor],
        t: float = 0.5,
    ) -> torch.Tensor:
        """Synthesise the frame at ``t`` of one pyramid level.

        Args:
            last_interp: N×3×h×w initial interpolation (upsampled previous level, or the
                average of the splatted frames at the coarsest level).
            img0: N×3×h×w frame 0 of this level, [0, 1].
            img1: N×3×h×w frame 1 of this level.
            feats0: ``FeatPyramid(img0)``: N×16×h×w, N×32×h/2×w/2, N×64×h/4×w/4.
            feats1: the same for frame 1.
            flows: bidirectional flow pyramid [N×4×h×w, N×4×h/2×w/2, N×4×h/4×w/4] in pixels of
                each grid, channels [frame 0 → 1, frame 1 → 0].
            t: time in [0, 1].

        Returns:
            N×3×h×w frame at t, clamped to [0, 1] (upstream clamps here).
        """
        warped_img0, warped_img1 = _splat_pair(flows[0], img0, img1, t)
        flow_0t_1t = torch.cat([flows[0][:, :2] * t, flows[0][:, 2:4] * (1 - t)], dim=1)
        warped_c0, warped_c1 = _splat_pair(flows[0], feats0[0], feats1[0], t)
        s0 = self.encoder_conv(
            torch.cat([last_interp, warped_img0, warped_img1, img0, img1, flow_0t_1t], dim=1)
        )
        s1 = self.encoder_down1(torch.cat([s0, warped_c0, warped_c1], dim=1))
        warped_c0, warped_c1 = _splat_pair(flows[1], feats0[1], feats1[1], t)
        s2 = self.encoder_down2(torch.cat([s1, warped_c0, warped_c1], dim=1))
        warped_c0, warped_c1 = _splat_pair(flows[2], feats0[2], feats1[2], t)
        x = self.decoder_up1(torch.cat([s2, warped_c0, warped_c1], dim=1))
        x = self.decoder_up2(torch.cat([x, s1], dim=1))
        x = self.decoder_conv(torch.cat([x, s0], dim=1))

        refine = self.pred(x)
        residual = torch.sigmoid(refine[:, :3]) * 2 - 1
        mask0 = torch.sigmoid(refine[:, 3:4])
        mask1 = torch.sigmoid(refine[:, 4:5])
        merged = warped_img0 * mask0 * (1 - t) + warped_img1 * mask1 * t
        merged = merged / (mask0 * (1 - t) + mask1 * t)
        return torch.clamp(merged + residual, 0, 1)


class Stage1Net(nn.Module):
    """The stage-1 model (upstream ``Model(pyr_level=3, nr_lvl_skipped=0)``).

    Args:
        levels: pyramid levels (3 in training; inputs must be multiples of 2^(levels+1)).
    """

    def __init__(self, levels: int = STAGE1_LEVELS) -> None:
        super().__init__()
        if levels < 1:
            raise ValueError(f"levels must be at least 1, got {levels}")
        self.levels = levels
        self.feat_pyramid = FeatPyramid()
        self.motion_estimator = MotionEstimator()
        self.synthesis_network = Stage1Synthesis()

    def flowgen_state_dict(self) -> dict[str, torch.Tensor]:
        """The entries stage 2 copies into ``VTinkerNet.flowgen`` (feature pyramid + ME)."""
        return {
            key: value
            for key, value in self.state_dict().items()
            if key.startswith(("feat_pyramid.", "motion_estimator."))
        }

    def size_divisor(self) -> int:
        """The multiple H and W must have: 2^(levels + 1) (the coarsest level's C2 grid × 4)."""
        return 2 ** (self.levels + 1)

    def _estimate(
        self,
        feat0: torch.Tensor,
        feat1: torch.Tensor,
        last_feat: torch.Tensor,
        last_flow: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # Stage 1 packs the two branches along channels; the shared motion estimator stacks
        # them along the batch. Same arithmetic, different layout.
        def stack(x: torch.Tensor, half: int) -> torch.Tensor:
            return torch.cat([x[:, :half], x[:, half:]], dim=0)

        def pack(x: torch.Tensor) -> torch.Tensor:
            n = x.shape[0] // 2
            return torch.cat([x[:n], x[n:]], dim=1)

        flow, feat = self.motion_estimator(
            feat0, feat1, stack(last_feat, FEATURE_CHANNELS), stack(last_flow, 2)
        )
        return pack(flow), pack(feat)

    def _one_level(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        last_feat: torch.Tensor,
        last_flow: torch.Tensor,
        last_interp: torch.Tensor | None,
        t: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = img0.shape[0]
        pyramid = self.feat_pyramid(torch.cat([img0, img1], dim=0))  # both frames, one batch
        feats0 = [level[:n] for level in pyramid]
        feats1 = [level[n:] for level in pyramid]
        flow, feat = self._estimate(feats0[2], feats1[2], last_feat, last_flow)
        # The estimate lives on the C2 grid (1/4) in pixels of the level image, so ×4
        # upsampling needs no value scaling; each further ½ halves the values.
        full = _bilinear(flow, 4.0)
        flows = [full]
        for _ in range(2):
            flows.append(_bilinear(flows[-1], 0.5) * 0.5)
        if last_interp is None:
            warped0, warped1 = _splat_pair(full, img0, img1, t)
            last_interp = warped0 * (1 - t) + warped1 * t
        interp = self.synthesis_network(last_interp, img0, img1, feats0, feats1, flows, t)
        return flow, feat, interp

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, t: float = 0.5
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, list[torch.Tensor]]]:
        """Coarse-to-fine motion and synthesis (upstream ``Model.forward``, no skipped levels).

        Args:
            img0: N×3×H×W frame 0, [0, 1]; H, W multiples of :meth:`size_divisor`.
            img1: N×3×H×W frame 1.
            t: time in [0, 1] (0.5 in training).

        Returns:
            ``(interp, bi_flow, extras)``: N×3×H×W frame at t in [0, 1]; N×4×H×W flows
            [frame 0 → 1, frame 1 → 0] in pixels; ``extras`` with ``"interp_imgs"`` and
            ``"bi_flows"``, one tensor per level, coarsest first.

        Raises:
            ValueError: mismatched shapes or sizes that are not multiples of the divisor.
        """
        if img0.dim() != 4 or img0.shape[1] != 3 or img0.shape != img1.shape:
            raise ValueError(
                f"img0 and img1 must both be N×3×H×W, got {tuple(img0.shape)} and "
                f"{tuple(img1.shape)}"
            )
        n, _, h, w = img0.shape
        divisor = self.size_divisor()
        if h % divisor or w % divisor:
            raise ValueError(
                f"H and W must be multiples of {divisor} for {self.levels} levels, got {h}×{w}"
            )
        interp_imgs: list[torch.Tensor] = []
        bi_flows: list[torch.Tensor] = []
        flow = feat = interp = img0  # placeholders, replaced at the coarsest level
        for level in range(self.levels - 1, -1, -1):
            level0 = img0 if level == 0 else _bilinear(img0, 1.0 / 2**level)
            level1 = img1 if level == 0 else _bilinear(img1, 1.0 / 2**level)
            last_interp: torch.Tensor | None
            if level == self.levels - 1:
                size = (h // 2 ** (level + 2), w // 2 ** (level + 2))
                last_flow = img0.new_zeros(n, 4, *size)
                last_feat = img0.new_zeros(n, 2 * FEATURE_CHANNELS, *size)
                last_interp = None
            else:
                last_flow = _bilinear(flow, 2.0) * 2
                last_feat = _bilinear(feat, 2.0) * 2
                last_interp = _bilinear(interp, 2.0)
            flow, feat, interp = self._one_level(
                level0, level1, last_feat, last_flow, last_interp, t
            )
            bi_flows.append(_bilinear(flow, 4.0))
            interp_imgs.append(interp)
        return interp, bi_flows[-1], {"interp_imgs": interp_imgs, "bi_flows": bi_flows}
