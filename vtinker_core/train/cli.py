"""``vtinker train``: train stage 1 or stage 2 on one device or with torchrun (DDP).

Examples::

    vtinker train --stage 1 --data vimeo_triplet --out runs/stage1
    vtinker train --stage 2 --data vimeo_triplet --out runs/stage2 \\
        --stage1-weights runs/stage1/model.pkl --vgg-weights vgg19-dcbb9e9d.pth
    torchrun --nproc_per_node 8 -m vtinker_core.train.cli --stage 2 --data vimeo_triplet \\
        --out runs/stage2 --stage1-weights UPR_ReDesgin.pkl
    vtinker train --stage 2 --data /show/plates --gap 2 --init VTinker.pkl --steps 20000 \\
        --lr 2e-5 --min-lr 2e-6 --out runs/show_finetune        # fine-tune on your footage
    vtinker train --stage 2 --data vimeo_triplet --out runs/stage2 --resume runs/stage2

This module imports torch only when a run starts, so ``vtinker --help`` stays light.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_train_arguments", "add_train_parser", "config_from_args", "main", "run_train"]

_DESCRIPTION = (
    "Train VTinker: stage 1 (the motion network, saved like UPR_ReDesgin.pkl) or stage 2 (the "
    "full network, saved like VTinker.pkl). Defaults follow the published recipe; for several "
    "GPUs run it under torchrun: torchrun --nproc_per_node N -m vtinker_core.train.cli ..."
)


def _optional_path(text: str) -> Path:
    return Path(text).expanduser()


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vtinker train`` options (shared by the subcommand and ``python -m``)."""
    parser.add_argument("--stage", type=int, choices=(1, 2), required=True)
    parser.add_argument(
        "--data", type=_optional_path, required=True,
        help="vimeo_triplet folder, or any folder of image sequences / videos",
    )  # fmt: skip
    parser.add_argument("--out", type=_optional_path, required=True, help="run folder")
    parser.add_argument("--steps", type=int, default=None, help="schedule length (800k / 200k)")
    parser.add_argument("--batch", type=int, default=None, help="batch per process (8 / 2)")
    parser.add_argument("--crop", type=int, default=None, help="training crop (256)")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (2e-4 / 1e-4)")
    parser.add_argument("--min-lr", type=float, default=None, help="final rate (2e-5 / 1e-5)")
    parser.add_argument("--warmup", type=int, default=2000, help="warm-up steps (2000)")
    parser.add_argument(
        "--resume", type=_optional_path, default=None,
        help="run folder or training-state.pth to continue from (same step, optimiser, data "
        "position)",
    )  # fmt: skip
    parser.add_argument(
        "--stage1-weights", type=_optional_path, default=None,
        help="stage 2: stage-1 checkpoint for flowgen (UPR_ReDesgin.pkl or a stage-1 model.pkl)",
    )  # fmt: skip
    parser.add_argument(
        "--init", type=_optional_path, default=None,
        help="start from these weights of the same stage (e.g. VTinker.pkl to fine-tune)",
    )  # fmt: skip
    parser.add_argument(
        "--vgg-weights", type=_optional_path, default=None,
        help="torchvision vgg19-dcbb9e9d.pth (default: torchvision's cache; without it stage 2 "
        "trains with L1 only)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="data-loading processes (2)")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: auto)")
    data = parser.add_argument_group("data")
    data.add_argument("--data-kind", choices=("auto", "vimeo", "folder"), default="auto")
    data.add_argument("--gap", type=int, default=1, help="frame gap of folder triplets (1)")
    data.add_argument(
        "--no-augment", action="store_true",
        help="train on whole, unaltered frames (no crop, flips, rotations or swaps)",
    )  # fmt: skip
    data.add_argument("--seed", type=int, default=1234, help="seed of every generator (1234)")
    every = parser.add_argument_group("checkpoints and logs")
    every.add_argument("--save-every", type=int, default=None, help="model + state (2000)")
    every.add_argument("--snapshot-every", type=int, default=None, help="model-<step>.pkl")
    every.add_argument("--model-every", type=int, default=None, help="extra model.pkl writes")
    every.add_argument("--val-every", type=int, default=None, help="Vimeo validation (0: off)")
    every.add_argument("--val-limit", type=int, default=None, help="validate on N triplets")
    every.add_argument("--log-every", type=int, default=100, help="log/TensorBoard interval")
    every.add_argument("--stop-after", type=int, default=None, help="end this run at this step")
    every.add_argument("--no-progress", action="store_true", help="no progress bar")
    every.add_argument("--no-tensorboard", action="store_true", help="no TensorBoard logs")


def add_train_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``train`` subcommand to ``vtinker``'s subparsers; returns it."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "train", help="train the network (stage 1 or 2)", description=_DESCRIPTION
    )
    add_train_arguments(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~vtinker_core.train.trainer.TrainConfig` of parsed arguments."""
    from vtinker_core.train.config import TrainConfig

    return TrainConfig(
        stage=args.stage,
        data=args.data,
        out=args.out,
        steps=args.steps,
        batch=args.batch,
        crop=args.crop,
        lr=args.lr,
        min_lr=args.min_lr,
        warmup=args.warmup,
        resume=args.resume,
        init=args.init,
        stage1_weights=args.stage1_weights,
        vgg_weights=args.vgg_weights,
        workers=args.workers,
        device=args.device,
        data_kind=args.data_kind,
        gap=args.gap,
        augment=not args.no_augment,
        seed=args.seed,
        save_every=args.save_every,
        snapshot_every=args.snapshot_every,
        model_every=args.model_every,
        val_every=args.val_every,
        val_limit=args.val_limit,
        log_every=args.log_every,
        stop_after=args.stop_after,
        progress=not args.no_progress,
        tensorboard=not args.no_tensorboard,
    )


def run_train(args: argparse.Namespace) -> int:
    """Run ``vtinker train`` (one process of it under torchrun); returns the exit status.

    Raises:
        VTinkerError: invalid settings, data or checkpoints (the CLI prints it).
    """
    from vtinker_core.train.distributed import init_distributed, shutdown_distributed
    from vtinker_core.train.trainer import Trainer

    config = config_from_args(args)
    context = init_distributed(args.device)
    try:
        with Trainer(config, context) as trainer:
            result = trainer.run()
        if context.is_main:
            print(
                f"vtinker train: steps {result.first_step}-{result.last_step} done; "
                f"weights in {result.checkpoint}",
                file=sys.stderr,
            )
    finally:
        shutdown_distributed()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vtinker_core.train.cli`` (what torchrun runs); returns the exit status."""
    from vtinker_core.errors import VTinkerError

    parser = argparse.ArgumentParser(prog="vtinker train", description=_DESCRIPTION)
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_train(args)
    except VTinkerError as err:
        if args.verbose:
            traceback.print_exc()
        print(f"vtinker train: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vtinker train: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
