"""The VTinker network in plain PyTorch, its checkpoints and its inference runner.

Everything here imports torch; the rest of ``vtinker_core`` does not import this package at
start-up. Names are exported lazily, so ``import vtinker_core.model.ops`` stays cheap::

    from vtinker_core.model import Interpolator, load_network

    interp = Interpolator.from_checkpoint("VTinker.pkl", device="cpu", precision="float32")
    frames = interp.interpolate(img0, img1, [0.25, 0.5, 0.75])   # N×3×H×W each

Modules: ``ops`` (splatting, correlation, warping), ``blocks``, ``winograd`` (fast 3×3
convolutions on CPU), ``flow`` (pyramid, motion estimator, GFU), ``texture`` (texture
mapping), ``synthesis`` (heads, U-Nets), ``network`` (:class:`VTinkerNet`), ``stage1``
(stage-1 layout), ``checkpoint``, ``inference``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "VTinkerNet": "network",
    "select_depth_skip": "network",
    "Stage1Net": "stage1",
    "CheckpointInfo": "checkpoint",
    "load_checkpoint": "checkpoint",
    "load_network": "checkpoint",
    "save_checkpoint": "checkpoint",
    "Interpolator": "inference",
    "PairState": "inference",
    "resolve_device": "inference",
    "resolve_precision": "inference",
    "backward_warp": "ops",
    "correlation": "ops",
    "softsplat_average": "ops",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
