"""Settings of a training run, with the published recipe as defaults (MODEL.md §10)::

config = TrainConfig(stage=2, data=Path("vimeo_triplet"), out=Path("runs/stage2"),
                     stage1_weights=Path("UPR_ReDesgin.pkl")).resolved()
config.steps, config.batch, config.lr          # 200000, 2, 0.0001
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from vtinker_core.errors import JobError
from vtinker_core.model.network import DEFAULT_DEPTH
from vtinker_core.model.stage1 import STAGE1_LEVELS
from vtinker_core.train.schedule import STAGE_DEFAULTS, WARMUP_STEPS

__all__ = ["TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a training run; ``None`` means the stage's published default.

    Attributes:
        stage: 1 (motion network) or 2 (full VTinker).
        data: a ``vimeo_triplet`` folder or any folder of image sequences / videos.
        out: run folder (checkpoints, log, TensorBoard).
        steps: schedule length (800,000 / 200,000).
        batch: batch size per process (8 / 2).
        crop: square training crop (256; a multiple of 32 in stage 2, 16 in stage 1).
        lr: peak learning rate (2e-4 / 1e-4).
        min_lr: final learning rate (2e-5 / 1e-5).
        warmup: warm-up steps (2,000).
        resume: a run folder or ``training-state.pth`` to continue from.
        init: weights of this stage's architecture to start from (e.g. ``VTinker.pkl`` to
            fine-tune stage 2 on your footage).
        stage1_weights: stage 2: the stage-1 checkpoint whose motion network goes into
            ``flowgen`` (upstream ``UPR_ReDesgin.pkl``).
        vgg_weights: torchvision's ``vgg19-dcbb9e9d.pth``; default: torchvision's cache.
        workers: data-loading processes per training process (0: load in the main process).
        device: ``cpu``, ``cuda`` or ``cuda:N``; default: CUDA when available.
        data_kind: ``auto``, ``vimeo`` or ``folder``.
        gap: frame gap of folder triplets.
        augment: upstream's augmentation (random 2× upscale, crop, flips, rotations, channel
            and temporal swaps); ``False`` trains on whole, unaltered frames.
        seed: seed of every generator, on every rank (1234).
        save_every: steps between ``model.pkl`` + ``training-state.pth`` (2,000).
        snapshot_every: steps between kept ``model-<step>.pkl`` (100,000 / 2,000).
        model_every: extra ``model.pkl`` writes (stage 2: every 100 steps).
        val_every: steps between Vimeo test-list validations (stage 1: 2,000; 0 = never).
        val_limit: validate on the first N test triplets only.
        log_every: steps between log lines and TensorBoard points (100).
        stop_after: end this run after this step (the schedule still spans ``steps``).
        progress: show a progress bar.
        tensorboard: write TensorBoard logs when TensorBoard is installed.
    """

    stage: int
    data: Path
    out: Path
    steps: int | None = None
    batch: int | None = None
    crop: int | None = None
    lr: float | None = None
    min_lr: float | None = None
    warmup: int = WARMUP_STEPS
    resume: Path | None = None
    init: Path | None = None
    stage1_weights: Path | None = None
    vgg_weights: Path | None = None
    workers: int = 2
    device: str | None = None
    data_kind: str = "auto"
    gap: int = 1
    augment: bool = True
    seed: int = 1234
    save_every: int | None = None
    snapshot_every: int | None = None
    model_every: int | None = None
    val_every: int | None = None
    val_limit: int | None = None
    log_every: int = 100
    stop_after: int | None = None
    progress: bool = True
    tensorboard: bool = True

    def resolved(self) -> TrainConfig:
        """A copy with every ``None`` replaced by the stage's default, checked."""
        if self.stage not in STAGE_DEFAULTS:
            raise JobError(f"--stage must be 1 or 2, got {self.stage}", setting="stage")
        d = STAGE_DEFAULTS[self.stage]
        config = dataclasses.replace(
            self,
            data=Path(self.data),
            out=Path(self.out),
            steps=d.total_steps if self.steps is None else self.steps,
            batch=d.batch if self.batch is None else self.batch,
            crop=d.crop if self.crop is None else self.crop,
            lr=d.init_lr if self.lr is None else self.lr,
            min_lr=d.min_lr if self.min_lr is None else self.min_lr,
            save_every=d.save_every if self.save_every is None else self.save_every,
            snapshot_every=d.snapshot_every if self.snapshot_every is None else self.snapshot_every,
            model_every=d.model_every if self.model_every is None else self.model_every,
            val_every=d.val_every if self.val_every is None else self.val_every,
        )
        # Multiples of the network's divisor, and at least two cells on the coarsest grid.
        divisor = 2 ** (DEFAULT_DEPTH + 2) if self.stage == 2 else 2 ** (STAGE1_LEVELS + 1)
        checks = (
            (config.steps is not None and config.steps >= 1, "steps", "at least 1"),
            (config.batch is not None and config.batch >= 1, "batch", "at least 1"),
            (config.crop is not None and config.crop % divisor == 0
             and config.crop >= 2 * divisor, "crop",
             f"a multiple of {divisor}, at least {2 * divisor}, for stage {self.stage}"),
            (self.warmup >= 0, "warmup", "0 or more"),
            (self.workers >= 0, "workers", "0 or more"),
            (self.log_every >= 1, "log_every", "at least 1"),
        )  # fmt: skip
        starts = (self.stage1_weights, self.init, self.resume)
        if self.stage == 2 and all(path is None for path in starts):
            raise JobError(
                "stage 2 starts from a stage-1 checkpoint: pass --stage1-weights "
                "UPR_ReDesgin.pkl (or --init VTinker.pkl to fine-tune, or --resume RUN_DIR)",
                setting="stage1_weights",
            )
        for ok, name, rule in checks:
            if not ok:
                raise JobError(
                    f"--{name.replace('_', '-')} must be {rule}, got {getattr(config, name)}",
                    setting=name,
                )
        return config
