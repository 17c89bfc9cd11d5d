"""Training losses of both VTinker stages (MODEL.md §10.1, §10.3).

Stage 1 ("l2+census")::

    loss = charbonnier_loss(interp, gt) + census_loss(interp, gt)

Stage 2 (per pair (prediction, target) ∈ {(out, gt), (rec0, img0), (rec1, img1)}, weighted
8 : 1 : 1, then L1 + VGG perceptual, and from half-way on L1 + 0.25·VGG + 40·style)::

    criterion = Stage2Loss(VGGFeatures.from_file(find_vgg_weights()))   # or Stage2Loss(None)
    total, parts = criterion([out, rec0, rec1], [gt, img0, img1], progress=step / total_steps)

Without VGG-19 weights (``Stage2Loss(None)``) only the L1 term is used; the trainer says so.
The VGG-19 feature stack is built here with torchvision's layer indices, so torchvision's
``vgg19-dcbb9e9d.pth`` loads into it without torchvision being installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from vtinker_core.errors import CheckpointError

__all__ = [
    "PERCEPTUAL_WEIGHTS",
    "VGG19_FILE_NAME",
    "CensusLoss",
    "Stage1Loss",
    "Stage2Loss",
    "VGGFeatures",
    "charbonnier_loss",
    "find_vgg_weights",
    "gram_matrix",
    "perceptual_loss",
    "style_loss",
]

#: torchvision's ImageNet VGG-19 weights file (``VGG19_Weights.IMAGENET1K_V1``).
VGG19_FILE_NAME = "vgg19-dcbb9e9d.pth"
#: Weights of the five feature levels in the perceptual and style losses (upstream).
PERCEPTUAL_WEIGHTS = (1.0 / 2.6, 1.0 / 4.8, 1.0 / 3.7, 1.0 / 5.6, 10.0 / 1.5)
#: Ends of the five feature slices of ``vgg19().features`` (relu1_2, relu2_2, relu3_2,
#: relu4_2, and the last max-pool of block 5).
VGG_SLICE_ENDS = (4, 9, 14, 23, 37)
#: Output channels of VGG-19's 16 convolutions; "M" is a 2×2 max-pool (torchvision cfg "E").
_VGG19_CFG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
    512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)  # fmt: skip
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
#: Grey conversion of the census transform, applied to channels 0, 1, 2 as stored.
_GREY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def charbonnier_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``mean(sqrt((pred − target)² + eps))`` — upstream calls it the "l2" term."""
    return ((pred - target) ** 2 + eps).sqrt().mean()


class CensusLoss(nn.Module):
    """Soft census (ternary) distance of RIFE/UPR-Net, as a per-pixel map.

    Grey = 0.2989·c0 + 0.5870·c1 + 0.1140·c2 of the tensor as stored; 7×7 neighbourhoods via
    an identity convolution (zero padding 3); ``d = patch − centre``, ``d / sqrt(0.81 + d²)``;
    per pixel the mean over the 49 offsets of ``e² / (0.1 + e²)`` with ``e`` the difference of
    the two transforms; a one-pixel border is set to 0 (and still counted by ``.mean()``).
    """

    PATCH = 7
    identity: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        taps = self.PATCH * self.PATCH
        identity = torch.eye(taps).reshape(taps, 1, self.PATCH, self.PATCH)
        self.register_buffer("identity", identity, persistent=False)

    def _transform(self, image: torch.Tensor) -> torch.Tensor:
        r, g, b = _GREY_WEIGHTS
        grey = r * image[:, 0:1] + g * image[:, 1:2] + b * image[:, 2:3]
        identity = self.identity.to(grey)
        patches = F.conv2d(grey, identity, padding=self.PATCH // 2)
        diff = patches - grey
        return diff / torch.sqrt(0.81 + diff**2)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """N×3×H×W pair → N×1×H×W distance map (border pixels 0)."""
        dist = (self._transform(pred) - self._transform(target)) ** 2
        dist = torch.mean(dist / (0.1 + dist), dim=1, keepdim=True)
        n, _, h, w = dist.shape
        mask = F.pad(dist.new_ones(n, 1, h - 2, w - 2), (1, 1, 1, 1))
        return dist * mask


class Stage1Loss(nn.Module):
    """Stage-1 loss "l2+census": Charbonnier + mean census distance."""

    def __init__(self) -> None:
        super().__init__()
        self.census = CensusLoss()

    def forward(
        self, interp: torch.Tensor, gt: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its parts (``charbonnier``, ``census``) as floats."""
        charbonnier = charbonnier_loss(interp, gt)
        census = self.census(interp, gt).mean()
        parts = {"charbonnier": float(charbonnier.detach()), "census": float(census.detach())}
        return charbonnier + census, parts


def _vgg19_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    for item in _VGG19_CFG:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            out_channels = int(item)
            layers += [nn.Conv2d(channels, out_channels, 3, padding=1), nn.ReLU()]
            channels = out_channels
    return nn.Sequential(*layers)


def find_vgg_weights(explicit: str | Path | None = None) -> Path | None:
    """The VGG-19 weights to use: ``explicit``, else torchvision's download cache, else None.

    The cache is ``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth`` (``~/.cache/torch`` by
    default), where ``torchvision.models.vgg19(weights="IMAGENET1K_V1")`` puts it.

    Raises:
        CheckpointError: ``explicit`` names no file.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise CheckpointError(f"VGG-19 weights '{path}' do not exist", path=path)
        return path
    cached = Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE_NAME
    return cached if cached.is_file() else None


class VGGFeatures(nn.Module):
    """Frozen ImageNet VGG-19 features at the five levels the perceptual loss uses.

    The input is normalised with the ImageNet mean/std as a 1×1 convolution (upstream's
    ``MeanShift``), then run through ``features[0:4]``, ``[4:9]``, ``[9:14]``, ``[14:23]``,
    ``[23:37]``.
    """

    norm_weight: torch.Tensor
    norm_bias: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.features = _vgg19_features()
        std = torch.tensor(_IMAGENET_STD)
        self.register_buffer(
            "norm_weight", torch.eye(3).view(3, 3, 1, 1) / std.view(3, 1, 1, 1), persistent=False
        )
        self.register_buffer(
            "norm_bias", -1.0 * torch.tensor(_IMAGENET_MEAN) / std, persistent=False
        )
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_file(cls, path: str | Path) -> VGGFeatures:
        """Load torchvision's ``vgg19`` state dict (only ``features.*`` is used), strictly.

        Raises:
            CheckpointError: unreadable file or a state dict that is not VGG-19's.
        """
        path = Path(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises several types for bad files
            raise CheckpointError(f"cannot read VGG-19 weights '{path}': {err}", path=path) from err
        if not isinstance(state, dict):
            raise CheckpointError(f"'{path}' does not hold a state dict", path=path)
        features = {
            key.removeprefix("features."): value
            for key, value in state.items()
            if isinstance(key, str) and key.startswith("features.")
        }
        model = cls()
        try:
            model.features.load_state_dict(features, strict=True)
        except RuntimeError as err:
            raise CheckpointError(
                f"'{path}' is not torchvision's VGG-19 state dict: {err}", path=path
            ) from err
        return model

    def train(self, mode: bool = True) -> VGGFeatures:
        """Always in eval mode (the network is frozen)."""
        return super().train(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """N×3×H×W (roughly [0, 1]) → the five feature maps."""
        x = F.conv2d(image, self.norm_weight, self.norm_bias)
        outputs = []
        start = 0
        for end in VGG_SLICE_ENDS:
            for index in range(start, end):
                x = self.features[index](x)
            outputs.append(x)
            start = end
        return outputs


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """N×C×H×W → N×C×C, ``f fᵀ / (H·W)`` per sample."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


def perceptual_loss(out: Sequence[torch.Tensor], ref: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_i w_i · mean|φ_i(out) − φ_i(ref)| over the five levels."""
    terms = [w * (a - b).abs().mean() for a, b, w in zip(out, ref, PERCEPTUAL_WEIGHTS, strict=True)]
    return torch.stack(terms).sum()


def style_loss(out: Sequence[torch.Tensor], ref: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_i w_i · mean((G(φ_i(out)) − G(φ_i(ref)))²) over the five levels."""
    terms = [
        w * ((gram_matrix(a) - gram_matrix(b)) ** 2).mean()
        for a, b, w in zip(out, ref, PERCEPTUAL_WEIGHTS, strict=True)
    ]
    return torch.stack(terms).sum()


def _weighted(terms: Sequence[torch.Tensor]) -> torch.Tensor:
    # (8 · frame at t + reconstruction 0 + reconstruction 1) / 10, upstream's weighting.
    return (terms[0] * 8.0 + terms[1] + terms[2]) / 10.0


class Stage2Loss(nn.Module):
    """Stage-2 loss with the schedule switch at half-way (MODEL.md §10.3).

    Args:
        vgg: frozen VGG-19 features, or ``None`` to train with the L1 term only.
        switch_at: training progress from which the style term is used (0.5).
    """

    def __init__(self, vgg: VGGFeatures | None, switch_at: float = 0.5) -> None:
        super().__init__()
        self.vgg = vgg
        self.switch_at = switch_at

    @property
    def uses_vgg(self) -> bool:
        return self.vgg is not None

    def forward(
        self,
        outputs: Sequence[torch.Tensor],
        targets: Sequence[torch.Tensor],
        progress: float,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its parts (``l1``, and ``vgg``, ``style`` when VGG is used).

        Args:
            outputs: ``[out, rec0, rec1]`` of ``VTinkerNet.forward``, each N×3×H×W.
            targets: ``[gt, img0, img1]``, each N×3×H×W in [0, 1].
            progress: ``step / total_steps``.
        """
        if len(outputs) != 3 or len(targets) != 3:
            raise ValueError(
                f"expected 3 outputs and 3 targets, got {len(outputs)} and {len(targets)}"
            )
        rec = _weighted([(o - t).abs().mean() for o, t in zip(outputs, targets, strict=True)])
        parts = {"l1": float(rec.detach())}
        if self.vgg is None:
            return rec, parts
        vgg_terms, style_terms = [], []
        for out, target in zip(outputs, targets, strict=True):
            # (x + 1) / 2 as upstream: the images are already in [0, 1], so VGG sees [0.5, 1].
            out_feats = self.vgg((out + 1.0) / 2.0)
            with torch.no_grad():
                ref_feats = self.vgg((target.detach() + 1.0) / 2.0)
            vgg_terms.append(perceptual_loss(out_feats, ref_feats))
            style_terms.append(style_loss(out_feats, ref_feats))
        vgg = _weighted(vgg_terms)
        style = _weighted(style_terms)
        parts.update(vgg=float(vgg.detach()), style=float(style.detach()))
        if progress < self.switch_at:
            return rec + vgg, parts
        return rec + 0.25 * vgg + 40.0 * style, parts
