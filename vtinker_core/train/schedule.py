"""Learning-rate schedule and per-stage defaults of VTinker training (MODEL.md §10.4).

Linear warm-up over the first 2,000 steps, then half a cosine from the initial to the minimum
rate at the last step. Steps count from 1::

    learning_rate(1, 200_000, 1e-4, 1e-5)        # 5e-08 (warm-up)
    learning_rate(2_000, 200_000, 1e-4, 1e-5)    # 1e-04
    learning_rate(200_000, 200_000, 1e-4, 1e-5)  # 1e-05
    training_progress(150_000, 200_000)          # 0.75: stage 2 uses the style loss from 0.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "FLOWGEN_LR",
    "STAGE_DEFAULTS",
    "WARMUP_STEPS",
    "StageDefaults",
    "learning_rate",
    "training_progress",
]

#: Steps of linear warm-up (upstream hard-codes 2,000 in both stages).
WARMUP_STEPS = 2000
#: Fixed learning rate of the motion network (``flowgen.*``) in stage 2 (optimiser group 1).
FLOWGEN_LR = 1.5e-6


@dataclass(frozen=True)
class StageDefaults:
    """The published training recipe of one stage (MODEL.md §10.1, §10.3).

    Attributes:
        init_lr: peak learning rate (reached at the end of warm-up).
        min_lr: learning rate at the last step.
        total_steps: length of the schedule.
        batch: batch size per process (upstream: per GPU).
        processes: number of GPUs the published model was trained on.
        crop: square training crop in pixels.
        save_every: steps between ``model.pkl`` + training-state writes.
        snapshot_every: steps between kept ``model-<step>.pkl`` files.
        model_every: steps between extra ``model.pkl`` writes (0: only with ``save_every``).
        val_every: steps between validations on the Vimeo test list (0: never).
    """

    init_lr: float
    min_lr: float
    total_steps: int
    batch: int
    processes: int
    crop: int = 256
    save_every: int = 2000
    snapshot_every: int = 2000
    model_every: int = 0
    val_every: int = 0


STAGE_DEFAULTS: dict[int, StageDefaults] = {
    # Stage 1: 4 GPUs × batch 8, validation and checkpoint every 2,000 steps, a kept
    # snapshot every 100,000.
    1: StageDefaults(
        init_lr=2e-4,
        min_lr=2e-5,
        total_steps=800_000,
        batch=8,
        processes=4,
        snapshot_every=100_000,
        val_every=2000,
    ),
    # Stage 2: 8 GPUs × batch 2; model.pkl every 100 steps, snapshot + optimiser every 2,000.
    2: StageDefaults(
        init_lr=1e-4,
        min_lr=1e-5,
        total_steps=200_000,
        batch=2,
        processes=8,
        model_every=100,
    ),
}


def learning_rate(
    step: int,
    total_steps: int,
    init_lr: float,
    min_lr: float,
    warmup_steps: int = WARMUP_STEPS,
) -> float:
    """The learning rate at ``step`` (1-based), MODEL.md §10.4.

    ``init · step / warmup`` during warm-up, then
    ``min + (init − min) · (0.5 + 0.5 · cos(π · (step − warmup) / (total − warmup)))``.

    Args:
        step: the current step, from 1.
        total_steps: the schedule's length.
        init_lr: peak rate.
        min_lr: final rate.
        warmup_steps: warm-up length (upstream: 2,000; 0 disables warm-up).

    Raises:
        ValueError: on a non-positive step or total.
    """
    if step < 1 or total_steps < 1:
        raise ValueError(f"steps count from 1: got step {step} of {total_steps}")
    if step < warmup_steps:
        return init_lr * step / warmup_steps
    # Upstream divides by (total − warmup) unguarded; a schedule no longer than its warm-up
    # would divide by zero at its last step, so the span is at least one step here.
    span = max(total_steps - warmup_steps, 1)
    cosine = math.cos((step - warmup_steps) / span * math.pi) * 0.5 + 0.5
    return (init_lr - min_lr) * cosine + min_lr


def training_progress(step: int, total_steps: int) -> float:
    """``step / total_steps``: stage 2 switches its loss at 0.5 (MODEL.md §10.3)."""
    return step / total_steps
