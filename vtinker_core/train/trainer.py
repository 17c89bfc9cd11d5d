"""Training both VTinker stages on one device or with DDP (MODEL.md §10).

::

    config = TrainConfig(stage=2, data=Path("vimeo_triplet"), out=Path("runs/stage2"),
                         stage1_weights=Path("UPR_ReDesgin.pkl"))
    trainer = Trainer(config, init_distributed("cuda"))
    result = trainer.run()                 # writes runs/stage2/model.pkl, training-state.pth
    trainer.close()

Stage 1 trains :class:`~vtinker_core.model.stage1.Stage1Net` with "l2+census" and AdamW on all
parameters. Stage 2 trains :class:`~vtinker_core.model.network.VTinkerNet` from a stage-1
checkpoint (its ``feat_pyramid`` and ``motion_estimator`` go into ``flowgen``) with L1 + VGG
perceptual/style, AdamW with two groups: everything but ``flowgen`` follows the schedule,
``flowgen`` stays at 1.5e-6. Both stages: seed 1234 on every rank, a ``DistributedSampler``
reshuffled per epoch, ``drop_last``, t = 0.5, frames divided by 255.

Files in ``out`` (rank 0 only): ``model.pkl`` (official layout: ``module.`` keys, loads with
:func:`vtinker_core.model.checkpoint.load_checkpoint` and, for stage 2, as a ``vtinker``
engine checkpoint), ``model-<step>.pkl`` snapshots, ``training-state.pth`` (resume),
``train.log`` and ``tensorboard/``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from vtinker_core.errors import CheckpointError, JobError
from vtinker_core.model.checkpoint import (
    check_state_dict,
    expected_shapes,
    load_checkpoint,
    save_checkpoint,
)
from vtinker_core.model.network import DEFAULT_DEPTH, VTinkerNet
from vtinker_core.model.stage1 import Stage1Net
from vtinker_core.train.config import TrainConfig
from vtinker_core.train.datasets import (
    VimeoTriplets,
    is_vimeo_root,
    open_training_data,
    split_batch,
)
from vtinker_core.train.distributed import DistContext, ResumableSampler, seed_everything
from vtinker_core.train.logs import close_log, open_log, open_tensorboard
from vtinker_core.train.losses import (
    Stage1Loss,
    Stage2Loss,
    VGGFeatures,
    charbonnier_loss,
    find_vgg_weights,
)
from vtinker_core.train.schedule import (
    FLOWGEN_LR,
    learning_rate,
    training_progress,
)
from vtinker_core.train.state import read_training_state, restore_rng, write_training_state

__all__ = ["MODEL_FILE_NAME", "TrainConfig", "TrainResult", "Trainer"]

MODEL_FILE_NAME = "model.pkl"
#: Time fraction of every training sample (the middle frame of a triplet).
TRAIN_T = 0.5


@dataclass
class TrainResult:
    """What a run did (on this rank).

    Attributes:
        first_step: the first step this run trained (``last_step + 1`` of a resumed run).
        last_step: the last completed step.
        history: per trained step: ``step``, ``lr``, ``loss`` and the loss parts.
        checkpoint: ``out/model.pkl`` (written by rank 0).
    """

    first_step: int
    last_step: int
    history: list[dict[str, float]] = field(default_factory=list)
    checkpoint: Path | None = None


def _flowgen_state(path: Path) -> dict[str, torch.Tensor]:
    state, info = load_checkpoint(path)
    if info.architecture == "stage1":
        prefixes = ("feat_pyramid.", "motion_estimator.")
        return {k: v for k, v in state.items() if k.startswith(prefixes)}
    if info.architecture == "vtinker":
        return {k.removeprefix("flowgen."): v for k, v in state.items() if k.startswith("flowgen.")}
    raise CheckpointError(
        f"'{path}' is neither a stage-1 (UPR_ReDesgin.pkl) nor a VTinker checkpoint",
        path=path,
    )


class Trainer:
    """One training process (rank) of a stage-1 or stage-2 run.

    Args:
        config: the run's settings.
        context: this process's place in the run (default: one process on the CPU).

    Raises:
        JobError: invalid settings or data.
        CheckpointError: unreadable or mismatched weights or training state.
    """

    def __init__(self, config: TrainConfig, context: DistContext | None = None) -> None:
        self.config = config.resolved()
        self.context = context or DistContext()
        cfg, ctx = self.config, self.context
        assert cfg.steps is not None and cfg.batch is not None  # resolved() filled them
        self.total_steps: int = cfg.steps
        self.batch: int = cfg.batch
        self.device = ctx.device
        if ctx.is_main:
            cfg.out.mkdir(parents=True, exist_ok=True)
        if ctx.distributed:
            dist.barrier()  # the run folder exists before anyone opens files in it
        self.log = open_log(cfg.out, enabled=ctx.is_main)
        try:
            self._setup()
        except BaseException:
            close_log(self.log)
            raise

    def _setup(self) -> None:
        cfg, ctx = self.config, self.context
        seed_everything(cfg.seed)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        # Data first: a wrong folder fails before the network is built.
        self.dataset = open_training_data(
            cfg.data, kind=cfg.data_kind, crop=cfg.crop, gap=cfg.gap, augment=cfg.augment
        )
        self.model: nn.Module = self._build_model()
        self.model.to(self.device)
        self.optimizer = self._build_optimizer()
        self.criterion = self._build_criterion()
        self.step = 0  # last completed step
        self.resumed = False
        if cfg.resume is not None:
            self._resume(cfg.resume)
        self.train_model: nn.Module = self.model
        if ctx.distributed:
            self.train_model = DistributedDataParallel(
                self.model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                # Upstream: True in stage 2, False in stage 1.
                find_unused_parameters=cfg.stage == 2,
            )
        self.sampler = ResumableSampler(self.dataset, ctx)
        self.loader = DataLoader(
            self.dataset,
            batch_size=self.batch,
            sampler=self.sampler,
            num_workers=cfg.workers,
            pin_memory=self.device.type == "cuda",
            drop_last=True,
        )
        self.board = open_tensorboard(
            cfg.out / "tensorboard", self.log, enabled=ctx.is_main and cfg.tensorboard
        )
        self._announce()

    # ------------------------------------------------------------------------- building

    def _build_model(self) -> nn.Module:
        cfg = self.config
        model: nn.Module = Stage1Net() if cfg.stage == 1 else VTinkerNet()
        architecture: Literal["stage1", "vtinker"] = "stage1" if cfg.stage == 1 else "vtinker"
        if cfg.init is not None:
            state, info = load_checkpoint(cfg.init)
            check_state_dict(state, expected_shapes(architecture), path=info.path)
            model.load_state_dict(state, strict=True)
            self.log.info("weights from %s (sha256 %s…)", info.path, info.sha256[:12])
        elif cfg.stage == 2 and cfg.stage1_weights is not None:
            assert isinstance(model, VTinkerNet)
            model.flowgen.load_state_dict(_flowgen_state(cfg.stage1_weights), strict=True)
            self.log.info("flowgen (pyramid + motion estimator) from %s", cfg.stage1_weights)
        return model

    def _build_optimizer(self) -> torch.optim.Optimizer:
        cfg = self.config
        if cfg.stage == 1:
            params = [p for p in self.model.parameters() if p.requires_grad]
            return torch.optim.AdamW(params, lr=cfg.lr or 0.0, weight_decay=1e-4)
        flowgen: list[nn.Parameter] = []
        others: list[nn.Parameter] = []
        for name, parameter in self.model.named_parameters():
            (flowgen if name.startswith("flowgen") else others).append(parameter)
        # Group 0 follows the schedule; group 1 (the motion network) stays at 1.5e-6.
        groups: list[dict[str, Any]] = [
            {"params": others},
            {"params": flowgen, "lr": FLOWGEN_LR},
        ]
        return torch.optim.AdamW(groups, weight_decay=1e-4)

    def _build_criterion(self) -> Stage1Loss | Stage2Loss:
        if self.config.stage == 1:
            return Stage1Loss().to(self.device)
        path = find_vgg_weights(self.config.vgg_weights)
        if path is None:
            self.vgg_message = (
                "WARNING: VGG-19 weights not found (--vgg-weights, or torchvision's cache "
                "~/.cache/torch/hub/checkpoints/vgg19-dcbb9e9d.pth): stage 2 trains with the "
                "L1 term ONLY; the perceptual and style losses of the published recipe are off"
            )
            return Stage2Loss(None)
        self.vgg_message = f"VGG-19 perceptual/style losses with weights {path}"
        return Stage2Loss(VGGFeatures.from_file(path).to(self.device))

    def _resume(self, path: Path) -> None:
        state = read_training_state(path)
        if state.stage != self.config.stage:
            raise JobError(
                f"'{state.path}' is a stage-{state.stage} run; cannot resume it as stage "
                f"{self.config.stage}",
                setting="resume",
            )
        self.model.load_state_dict(state.model, strict=True)
        self.optimizer.load_state_dict(state.optimizer)
        restore_rng(state.rng)
        self.step = state.step
        self.resumed = True
        self.log.info("resumed from %s at step %d", state.path, state.step)
        if state.total_steps != self.total_steps:
            self.log.info(
                "note: the run was started with %d steps, the schedule now spans %d",
                state.total_steps,
                self.total_steps,
            )

    def _announce(self) -> None:
        cfg, ctx = self.config, self.context
        describe = getattr(self.dataset, "describe", None)
        data = describe() if describe else f"{len(self.dataset)} Vimeo-90K training triplets"
        self.log.info(
            "stage %d on %s, %d process(es) × batch %d, crop %d, steps %d, lr %g → %g",
            cfg.stage, ctx.device, ctx.world_size, self.batch, cfg.crop, self.total_steps,
            cfg.lr, cfg.min_lr,
        )  # fmt: skip
        self.log.info("data: %s (%s)", cfg.data, data)
        if cfg.stage == 2:
            if isinstance(self.criterion, Stage2Loss) and self.criterion.uses_vgg:
                self.log.info(self.vgg_message)
            else:
                self.log.warning(self.vgg_message)
        if not ctx.is_main:
            print(
                f"vtinker train: rank {ctx.rank} of {ctx.world_size} on {ctx.device} "
                "(logs and checkpoints come from rank 0)",
                flush=True,
            )

    # ------------------------------------------------------------------------- training

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        """One optimisation step on a uint8 (N, 9, H, W) batch; returns its numbers."""
        cfg = self.config
        data = batch.to(self.device, dtype=torch.float32, non_blocking=True) / 255.0
        img0, img1, gt = split_batch(data)
        assert cfg.lr is not None and cfg.min_lr is not None
        lr = learning_rate(step, self.total_steps, cfg.lr, cfg.min_lr, cfg.warmup)
        self.train_model.train()
        if cfg.stage == 1:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            interp, _, _ = self.train_model(img0, img1, TRAIN_T)
            loss, parts = self.criterion(interp, gt)
        else:
            self.optimizer.param_groups[0]["lr"] = lr
            outputs = self.train_model(img0, img1, TRAIN_T)
            progress = training_progress(step, self.total_steps)
            loss, parts = self.criterion(outputs, [gt, img0, img1], progress)
            interp = outputs[0]
        with torch.no_grad():
            interp_l2 = float(charbonnier_loss(interp, gt))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            raise JobError(f"the loss became {value} at step {step}; lower --lr", setting="lr")
        return {"step": float(step), "lr": lr, "loss": value, "loss_interp_l2": interp_l2, **parts}

    def run(self) -> TrainResult:
        """Train from the step after the last completed one to ``steps`` (or ``stop_after``)."""
        cfg, ctx = self.config, self.context
        first = self.step + 1
        stop = min(self.total_steps, cfg.stop_after or self.total_steps)
        result = TrainResult(first_step=first, last_step=self.step)
        if first > stop:
            self.log.info("nothing to train: step %d is already done", self.step)
            return result
        per_epoch = len(self.loader)
        if per_epoch == 0:
            raise JobError(
                f"{len(self.dataset)} training triplets cannot fill one batch of {self.batch} "
                f"on each of {ctx.world_size} process(es)",
                setting="batch",
            )
        if ctx.is_main and cfg.val_every and not self.resumed:
            self.validate(0)
        bar = tqdm(
            total=stop, initial=first - 1, desc=f"stage {cfg.stage}", unit="step",
            disable=not (ctx.is_main and cfg.progress), dynamic_ncols=True,
        )  # fmt: skip
        step = first
        started = time.monotonic()
        try:
            while step <= stop:
                self.sampler.set_epoch((step - 1) // per_epoch + 1)  # epochs count from 1
                self.sampler.skip = ((step - 1) % per_epoch) * self.batch
                for batch in self.loader:
                    numbers = self.train_step(batch, step)
                    self.step = result.last_step = step
                    result.history.append(numbers)
                    bar.update(1)
                    bar.set_postfix(loss=f"{numbers['loss']:.4f}", lr=f"{numbers['lr']:.2e}")
                    if ctx.is_main:
                        self._after_step(step, numbers, first, stop)
                    step += 1
                    if step > stop:
                        break
        finally:
            bar.close()
        if ctx.distributed:
            dist.barrier()
        elapsed = time.monotonic() - started
        self.log.info("trained steps %d-%d in %.1f s", first, stop, elapsed)
        result.checkpoint = cfg.out / MODEL_FILE_NAME
        return result

    def _after_step(self, step: int, numbers: dict[str, float], first: int, stop: int) -> None:
        cfg = self.config
        if step % cfg.log_every == 0 or step in (first, stop):
            parts = ", ".join(f"{k} {v:.4g}" for k, v in numbers.items() if k != "step")
            self.log.info("step %d/%d: %s", step, self.total_steps, parts)
            for key, value in numbers.items():
                if key != "step":
                    self.board.scalar(f"train/{key}", value, step)
        if cfg.model_every and step % cfg.model_every == 0:
            self.save_model(MODEL_FILE_NAME)
        if step % (cfg.save_every or self.total_steps) == 0 or step == stop:
            self.save_model(MODEL_FILE_NAME)
            path = write_training_state(
                cfg.out / "training-state.pth",
                stage=cfg.stage,
                step=step,
                total_steps=self.total_steps,
                model=self.model,
                optimizer=self.optimizer,
            )
            self.log.info("rank %d wrote %s (step %d)", self.context.rank, path.name, step)
        if cfg.snapshot_every and step % cfg.snapshot_every == 0:
            self.save_model(f"model-{step}.pkl")
        if cfg.val_every and step % cfg.val_every == 0:
            self.validate(step)

    def save_model(self, name: str) -> Path:
        """Write the weights in the official layout (``module.`` keys) to ``out/name``."""
        path = save_checkpoint(self.model.state_dict(), self.config.out / name)
        self.log.info("rank %d wrote %s", self.context.rank, path.name)
        return path

    # ------------------------------------------------------------------------ validation

    @torch.no_grad()
    def validate(self, step: int) -> float | None:
        """Mean PSNR on the Vimeo-90K test list (upstream's stage-1 validation), rank 0.

        Returns:
            The PSNR in dB, or ``None`` when the training data is not a Vimeo folder.
        """
        cfg = self.config
        if not (is_vimeo_root(cfg.data) and (cfg.data / "tri_testlist.txt").is_file()):
            return None
        dataset = VimeoTriplets(cfg.data, "test")
        count = len(dataset) if cfg.val_limit is None else min(cfg.val_limit, len(dataset))
        scores = []
        for index in range(count):
            data = dataset[index].unsqueeze(0).to(self.device, torch.float32) / 255.0
            img0, img1, gt = split_batch(data)
            pred = self._predict(img0, img1)
            scores.append(-10.0 * math.log10(float(torch.mean((gt - pred) ** 2))))
        psnr = sum(scores) / max(len(scores), 1)
        self.log.info("validation at step %d: PSNR %.4f dB on %d triplets", step, psnr, count)
        self.board.scalar("validate/psnr", psnr, step)
        return psnr

    def _predict(self, img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        if isinstance(self.model, Stage1Net):
            return self.model(img0, img1, TRAIN_T)[0]
        assert isinstance(self.model, VTinkerNet)
        return self.model.inference(img0, img1, TRAIN_T, DEFAULT_DEPTH, 0).clamp(0, 1)

    def close(self) -> None:
        """Flush and close the logs (the process group is left by the caller)."""
        self.board.close()
        close_log(self.log)

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
