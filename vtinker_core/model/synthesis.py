"""Synthesis side of VTinker: image heads, U-Nets and texture-based reconstruction.

Written from MODEL.md §7 (upstream ``TBVFI``). Attribute names follow the checkpoint keys
under ``main_model.*``. The t-independent work (image heads V0/V1 and their keys K0/K1) is
split from the t-dependent work so a pair is encoded once for any number of in-betweens::

    synthesis = TextureSynthesis()
    frames = synthesis.encode_frames(img0, img1)           # once per pair
    for t in times:
        out = synthesis.synthesize(img0, img1, scale_flow_to_time(flow, t), frames)
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import torch
from torch import nn

from vtinker_core.model.blocks import (
    DownSampleBlock,
    GroupNorm,
    OutputConv,
    ResidualBlock,
    Swish,
    UpSampleBlock,
    WinogradConv,
    conv,
)
from vtinker_core.model.ops import softsplat_average
from vtinker_core.model.texture import map_texture

__all__ = ["FrameFeatures", "LiteUnet", "ReconstructionUnet", "TextureSynthesis"]

#: Feature channels of the heads, keys, texture and reconstruction input.
WIDTH = 128


def _head(in_channels: int) -> nn.Sequential:
    # Conv → ResidualBlock → DownSample: keys ".0", ".1.block…", ".2.conv".
    return nn.Sequential(
        conv(in_channels, WIDTH), ResidualBlock(WIDTH, WIDTH), DownSampleBlock(WIDTH)
    )


class LiteUnet(nn.Module):
    """Small U-Net computing queries and keys (official ``LiteUnet``, MODEL.md §7.2).

    Maps N×128×S×S' to N×128×S/2×S'/2 (S, S' multiples of 8).
    """

    def __init__(self) -> None:
        super().__init__()
        self.Elayer1 = nn.Sequential(ResidualBlock(WIDTH, 32), DownSampleBlock(32))
        self.Elayer2 = nn.Sequential(ResidualBlock(32, 64), DownSampleBlock(64))
        self.Elayer3 = nn.Sequential(ResidualBlock(64, 128), DownSampleBlock(128))
        self.Elayer4 = nn.Sequential(ResidualBlock(128, 128))
        self.Dlayer0 = nn.Sequential(ResidualBlock(128, 64))
        self.Dlayer1 = nn.Sequential(ResidualBlock(64 + 128, 64), UpSampleBlock(64))
        self.Dlayer2 = nn.Sequential(ResidualBlock(64 + 64, 128), UpSampleBlock(128))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×128×S×S' → N×128×S/2×S'/2."""
        e2 = self.Elayer2(self.Elayer1(x))
        e3 = self.Elayer3(e2)
        y = self.Dlayer0(self.Elayer4(e3))
        # Concatenations are [decoder, skip]; e1 is not used as a skip (upstream).
        y = self.Dlayer1(torch.cat([y, e3], dim=1))
        return self.Dlayer2(torch.cat([y, e2], dim=1))


class ReconstructionUnet(nn.Module):
    """The reconstruction U-Net (official ``Unet``, ``mid_net``, MODEL.md §7.3).

    Maps N×128×S×S' features to an N×3×2S×2S' frame; no output activation, no clamp.
    """

    def __init__(self) -> None:
        super().__init__()
        # Cheaper algorithms at inference: see TextureSynthesis.__init__.
        r = functools.partial(ResidualBlock, winograd=True)
        self.Elayer1 = nn.Sequential(r(128, 128), r(128, 128), DownSampleBlock(128))
        self.Elayer2 = nn.Sequential(r(128, 256), r(256, 256), DownSampleBlock(256))
        self.Elayer3 = nn.Sequential(r(256, 256), r(256, 256), DownSampleBlock(256))
        self.Elayer4 = nn.Sequential(r(256, 512), r(512, 512))
        self.Efinal = nn.Sequential(
            r(512, 512), r(512, 512), GroupNorm(512), Swish(), WinogradConv(512, 256)
        )
        self.Dhead = nn.Sequential(WinogradConv(256, 512), r(512, 512), r(512, 512))
        self.Dlayer0 = nn.Sequential(r(512, 512), r(512, 512))
        up = functools.partial(UpSampleBlock, phase_decomposed=True)
        self.Dlayer1 = nn.Sequential(r(512 + 256, 256), r(256, 256), up(256))
        self.Dlayer2 = nn.Sequential(r(256 + 256, 256), r(256, 256), up(256))
        self.Dlayer3 = nn.Sequential(r(256 + 128, 128), r(128, 128), up(128))
        self.Dlayer4 = nn.Sequential(r(128 + 128, 128), r(128, 128), up(128))
        self.Dfinal = nn.Sequential(GroupNorm(128), Swish(), OutputConv(128, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×128×S×S' (S, S' multiples of 8) → N×3×2S×2S', unclamped."""
        o0 = self.Elayer1(x)
        o1 = self.Elayer2(o0)
        o2 = self.Elayer3(o1)
        y = self.Dlayer0(self.Dhead(self.Efinal(self.Elayer4(o2))))
        y = self.Dlayer1(torch.cat([y, o2], dim=1))
        del o2
        y = self.Dlayer2(torch.cat([y, o1], dim=1))
        del o1
        y = self.Dlayer3(torch.cat([y, o0], dim=1))
        del o0
        y = self.Dlayer4(torch.cat([y, x], dim=1))
        return self.Dfinal(y)


class FrameFeatures(NamedTuple):
    """The t-independent synthesis features of a frame pair.

    Attributes:
        v0: N×128×H/2×W/2 ``Ehead_img(img0)`` (texture values of frame 0).
        v1: the same for frame 1.
        k0: N×128×H/4×W/4 ``lite_net(v0)`` (texture keys of frame 0).
        k1: the same for frame 1.
    """

    v0: torch.Tensor
    v1: torch.Tensor
    k0: torch.Tensor
    k1: torch.Tensor


class TextureSynthesis(nn.Module):
    """Texture mapping and reconstruction (official ``TBVFI``, ``main_model``).

    Image heads encode each frame; the forward-splatted frames give a query; the texture of
    the query is copied block-wise from the best-matching warped frame features; the merged
    features are decoded by the reconstruction U-Net.
    """

    def __init__(self) -> None:
        super().__init__()
        # Definition order = upstream's, so state dicts list keys in the checkpoint's order.
        # merge_feat and mid_net come after every discrete decision of the network (nearest
        # warps, the texture argmax), so at inference they may take cheaper convolution
        # algorithms whose rounding differs (Winograd, phase-decomposed upsampling): rounding
        # differences stay rounding-level instead of flipping a choice.
        r = functools.partial(ResidualBlock, winograd=True)
        self.merge_feat = nn.Sequential(r(256, 256), r(256, WIDTH), r(WIDTH, WIDTH))
        self.Ehead_warp = _head(6)
        self.Ehead_img = _head(3)
        self.mid_net = ReconstructionUnet()
        self.lite_net = LiteUnet()

    @staticmethod
    def _check_images(img0: torch.Tensor, img1: torch.Tensor) -> None:
        if img0.dim() != 4 or img0.shape[1] != 3 or img0.shape != img1.shape:
            raise ValueError(
                f"img0 and img1 must both be N×3×H×W, got {tuple(img0.shape)} "
                f"and {tuple(img1.shape)}"
            )
        h, w = img0.shape[2:]
        if h % 16 or w % 16:
            raise ValueError(f"synthesis needs H and W multiples of 16, got {h}×{w}")

    def encode_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> FrameFeatures:
        """The t-independent features: image heads and their keys (both frames, one batch).

        Args:
            img0: N×3×H×W frame 0 in the model encoding, [0, 1]; H, W multiples of 16.
            img1: N×3×H×W frame 1.

        Returns:
            :class:`FrameFeatures` of the pair.
        """
        self._check_images(img0, img1)
        # One frame at a time: Ehead_img works at full resolution with 128 channels, and
        # batching both frames would double the peak memory of the whole pass for no speed.
        v0 = self.Ehead_img(img0)
        v1 = self.Ehead_img(img1)
        return FrameFeatures(v0, v1, self.lite_net(v0), self.lite_net(v1))

    def _merged_features(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        flow_t: torch.Tensor,
        frames: FrameFeatures,
    ) -> torch.Tensor:
        self._check_images(img0, img1)
        n, _, h, w = img0.shape
        if tuple(flow_t.shape) != (n, 4, h, w):
            raise ValueError(f"flow_t must be {n}×4×{h}×{w}, got {tuple(flow_t.shape)}")
        warped0 = softsplat_average(img0, flow_t[:, 0:2])
        warped1 = softsplat_average(img1, flow_t[:, 2:4])
        warped = self.Ehead_warp(torch.cat([warped0, warped1], dim=1))
        del warped0, warped1
        query = self.lite_net(warped)
        texture = map_texture(frames.v0, frames.v1, flow_t, query, frames.k0, frames.k1)
        del query
        merged = self.merge_feat(torch.cat([texture, warped], dim=1))
        if torch.is_grad_enabled():
            return warped + merged
        return merged.add_(warped)

    def synthesize(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        flow_t: torch.Tensor,
        frames: FrameFeatures,
    ) -> torch.Tensor:
        """The frame at time t (upstream ``TBVFI.inference`` with precomputed features).

        Args:
            img0: N×3×H×W frame 0 in the model encoding, [0, 1]; H, W multiples of 16.
            img1: N×3×H×W frame 1.
            flow_t: N×4×H×W flows frame 0 → t and frame 1 → t, in pixels.
            frames: :meth:`encode_frames` of the same pair.

        Returns:
            N×3×H×W frame in the model encoding, unclamped.
        """
        return self.mid_net(self._merged_features(img0, img1, flow_t, frames))

    def inference(
        self, img0: torch.Tensor, img1: torch.Tensor, flow_t: torch.Tensor
    ) -> torch.Tensor:
        """Upstream ``TBVFI.inference``: :meth:`encode_frames` then :meth:`synthesize`."""
        return self.synthesize(img0, img1, flow_t, self.encode_frames(img0, img1))

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, flow_t: torch.Tensor
    ) -> list[torch.Tensor]:
        """Training pass (upstream ``TBVFI.forward``, MODEL.md §7.8).

        Returns:
            ``[out, rec0, rec1]``, each N×3×H×W: the frame at t and the reconstructions of
            the two input frames from their image-head features (auto-encoder targets).
        """
        frames = self.encode_frames(img0, img1)
        merged = self._merged_features(img0, img1, flow_t, frames)
        return [self.mid_net(merged), self.mid_net(frames.v0), self.mid_net(frames.v1)]
