"""``vtinker evaluate``: score an engine on the published benchmarks, upstream's way.

Examples::

    vtinker evaluate --benchmark vimeo --root data/vimeo_triplet --checkpoint VTinker.pkl
    vtinker evaluate --benchmark snufilm --root data/SNU-FILM --json snufilm.json
    vtinker evaluate --benchmark xiph2k xiph4k --root data/Xiph --engine classical
    vtinker evaluate --benchmark davis480 --root data/DAVIS_trainval --engine blend --limit 5

Results are printed as a table (stdout) and, with ``--json``, written with every per-item
score. ``snufilm`` runs the four SNU-FILM modes. Without ``--engine`` the network is used when a
checkpoint is found (``--checkpoint``, ``$VTINKER_CHECKPOINT``, the user cache), else the
classical engine, and the choice is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BENCHMARK_NAMES",
    "add_evaluate_arguments",
    "add_evaluate_parser",
    "engine_options",
    "format_table",
    "main",
    "run_evaluate",
]

_DESCRIPTION = (
    "Evaluate an engine on Vimeo-90K, UCF101, SNU-FILM, DAVIS or Xiph with the protocols of "
    "the VTinker paper (PSNR and SSIM on 8-bit re-read frames)."
)
_ALIASES = {"snufilm": ("snufilm-easy", "snufilm-medium", "snufilm-hard", "snufilm-extreme")}
#: The protocols of :mod:`vtinker_core.evaluate.benchmarks`, listed here so that building the
#: parser imports neither torch nor OpenCV (a test keeps the two lists equal).
BENCHMARK_NAMES = (
    "vimeo", "ucf101", *_ALIASES["snufilm"], "davis480", "davis1080", "davis4k",
    "xiph2k", "xiph4k", "xiph4k-crop",
)  # fmt: skip


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vtinker evaluate`` options."""
    names = ", ".join((*BENCHMARK_NAMES, *_ALIASES))
    parser.add_argument(
        "--benchmark", nargs="+", required=True, metavar="NAME", help=f"one or more of: {names}"
    )
    parser.add_argument("--root", type=Path, required=True, help="the benchmark's data folder")
    parser.add_argument(
        "--engine", default="auto", help="auto (default), vtinker, classical, blend, nearest"
    )
    parser.add_argument("--checkpoint", default=None, help="VTinker checkpoint (.pkl)")
    parser.add_argument("--device", default=None, help="vtinker: cpu, cuda, cuda:N (default auto)")
    parser.add_argument(
        "--precision", default=None, help="vtinker: float32, float16 (default: the protocol's)"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N triplets/videos only")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--save-dir", type=Path, default=None, help="also write the predictions")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_evaluate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to ``vtinker``'s subparsers; returns it."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate", help="score an engine on a benchmark (PSNR/SSIM)", description=_DESCRIPTION
    )
    add_evaluate_arguments(parser)
    return parser


def _expand(names: Sequence[str]) -> list[str]:
    from vtinker_core.evaluate.benchmarks import get_benchmark

    out: list[str] = []
    for name in names:
        for item in _ALIASES.get(name, (name,)):
            get_benchmark(item)  # unknown names fail before any work
            if item not in out:
                out.append(item)
    return out


def engine_options(
    benchmark: Any, engine: str, device: str | None, precision: str | None
) -> tuple[dict[str, Any], list[str]]:
    """Constructor options of ``engine`` for ``benchmark`` and notes about them.

    Only the ``vtinker`` engine takes options: the protocol's fixed depth/skip (Vimeo, UCF101:
    3/0; SNU-FILM: 4/0; others: the resolution rule), the device and the protocol's precision
    (float16 for the 4K protocols where the device runs it, else float32 with a note).
    """
    if engine != "vtinker":
        return {}, []
    import torch

    from vtinker_core.errors import DeviceError
    from vtinker_core.model.inference import resolve_device, resolve_precision

    notes = []
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    wanted = precision or benchmark.precision
    if precision is None and wanted != "float32":
        try:
            resolve_precision(wanted, resolve_device(device))
        except DeviceError:
            notes.append(
                f"{benchmark.name}: upstream ran a {wanted} model; {device} cannot, so float32"
            )
            wanted = "float32"
    options = {"device": device, "precision": wanted, "depth": benchmark.depth}
    if benchmark.depth is not None:
        options["skip"] = benchmark.skip
    return options, notes


def format_table(results: Sequence[Any]) -> str:
    """A plain-text table of benchmark results."""
    header = f"{'benchmark':<16}{'count':>7}{'PSNR':>10}{'SSIM':>9}{'IE':>8}  engine"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.benchmark:<16}{r.count:>7}{r.psnr:>10.3f}{r.ssim:>9.4f}{r.ie:>8.3f}  {r.engine}"
        )
    return "\n".join(lines)


def _progress(enabled: bool, label: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    def wrap(iterator: Iterator[Any], total: int) -> Iterator[Any]:
        return iter(tqdm(iterator, total=total, desc=label, unit="item", dynamic_ncols=True))

    return wrap


def run_evaluate(args: argparse.Namespace) -> int:
    """Run ``vtinker evaluate``; returns the exit status.

    Raises:
        VTinkerError: unknown benchmark or engine, wrong data layout, unreadable frames.
    """
    from vtinker_core.engines import choose_engine, create_engine
    from vtinker_core.evaluate.benchmarks import evaluate_benchmark, find_items, get_benchmark

    names = _expand(args.benchmark)
    for name in names:  # a wrong layout fails before hours of work on the other benchmarks
        find_items(name, args.root)
    choice = choose_engine(args.engine, args.checkpoint)
    print(f"vtinker evaluate: engine {choice.summary}", file=sys.stderr)
    results = []
    engine = None
    current: dict[str, Any] | None = None
    try:
        for name in names:
            bench = get_benchmark(name)
            options, notes = engine_options(bench, choice.name, args.device, args.precision)
            for note in notes:
                print(f"vtinker evaluate: {note}", file=sys.stderr)
            if engine is None or options != current:
                if engine is not None:
                    engine.close()
                engine = create_engine(choice.name, choice.checkpoint, **options)
                current = options
            result = evaluate_benchmark(
                bench,
                args.root,
                engine,
                limit=args.limit,
                save_dir=args.save_dir,
                progress=_progress(not args.no_progress, name),
            )
            result.notes.extend(notes)
            for note in result.notes:
                print(f"vtinker evaluate: {note}", file=sys.stderr)
            results.append(result)
    finally:
        if engine is not None:
            engine.close()
    print(format_table(results))
    if args.json is not None:
        payload = {"results": [r.to_dict() for r in results]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"vtinker evaluate: results written to {args.json}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vtinker_core.evaluate.cli``; returns the exit status (2 on errors)."""
    from vtinker_core.errors import VTinkerError

    parser = argparse.ArgumentParser(prog="vtinker evaluate", description=_DESCRIPTION)
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    add_evaluate_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_evaluate(args)
    except VTinkerError as err:
        if args.verbose:
            traceback.print_exc()
        print(f"vtinker evaluate: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
