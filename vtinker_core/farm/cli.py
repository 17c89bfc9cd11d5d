"""``vtinker farm``: render-farm bundles (Open Job Description) and their check.

Examples::

    vtinker farm bundle job.json -o sh010_farm                # template.yaml, parameter_values.yaml
    vtinker farm bundle job.json -o sh010_farm --chunk-size 10 --name "sh010 retime"
    openjd run sh010_farm/template.yaml                       # every chunk here, then the check
    vtinker farm verify job.json                              # every output frame there?

A job that cannot run on a farm is one line and exit status 2, like every vtinker error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_farm_parser", "run_farm"]

_DESCRIPTION = (
    "Render on a farm: write an Open Job Description job bundle (AWS Deadline Cloud runs it "
    "natively, 'openjd run' runs it here) that renders the job in chunks of output frames and "
    "then checks every frame; or check a render's output frames."
)


def add_farm_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``farm`` subcommand to ``vtinker``'s subparsers; returns it."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "farm", help="render-farm bundles (Open Job Description)", description=_DESCRIPTION
    )
    farm = parser.add_subparsers(dest="farm_command", required=True)

    bundle = farm.add_parser("bundle", help="write an OpenJD job bundle for a job")
    bundle.add_argument("job", help="the job JSON (vtinker render --save-job writes one)")
    bundle.add_argument("-o", "--output", required=True, help="the bundle folder to write")
    bundle.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="output frames per task, 1-150 (default: about ten minutes of work, from the "
        "job's cost estimate)",
    )
    bundle.add_argument("--name", default=None, help="the job's name on the farm")
    bundle.add_argument(
        "--frames", default=None, help="output frames to render, e.g. 1001-1050 (default: all)"
    )
    bundle.add_argument(
        "--vtinker",
        default=None,
        help="the vtinker command on the workers (default: this install's, right for "
        "'openjd run' here; give 'vtinker' when the workers have it on their PATH)",
    )

    verify = farm.add_parser("verify", help="check that every output frame exists and reads")
    verify.add_argument("job", help="the job JSON")
    verify.add_argument("--input", default=None, help="the source, instead of the job's")
    verify.add_argument("-o", "--output", default=None, help="the output, instead of the job's")
    verify.add_argument("--frames", default=None, help="output frames to check (default: all)")
    verify.add_argument(
        "--progress",
        choices=("openjd", "none"),
        default="none",
        help="openjd: Open Job Description's progress and status lines (farm check steps)",
    )
    return parser


def run_farm(args: argparse.Namespace) -> int:
    """Run ``vtinker farm bundle`` or ``vtinker farm verify``; returns the exit status.

    Raises:
        VTinkerError: the job cannot run on a farm, or output frames are missing (the CLI
            prints it and exits with status 2).
    """
    if args.farm_command == "bundle":
        return _bundle(args)
    return _verify(args)


def _bundle(args: argparse.Namespace) -> int:
    from vtinker_core.farm.bundle import write_bundle
    from vtinker_core.job import read_job

    bundle = write_bundle(
        read_job(args.job),
        Path(args.output),
        chunk_size=args.chunk_size,
        name=args.name,
        frames=args.frames,
        vtinker=args.vtinker,
    )
    for note in bundle.notes:
        print(f"vtinker farm: {note}", file=sys.stderr)
    print(f"vtinker farm: {bundle.cost.describe()}", file=sys.stderr)
    print(f"vtinker farm: bundle '{bundle.name}' written to {bundle.folder}", file=sys.stderr)
    print(f"vtinker farm: run it here with: openjd run {bundle.template_path}", file=sys.stderr)
    print(bundle.folder)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vtinker_core.errors import SequenceError
    from vtinker_core.farm.verify import verify_outputs
    from vtinker_core.job import RenderJob, read_job

    job = read_job(args.job)
    if args.input or args.output:
        data = job.to_dict()
        data["input"]["path"] = args.input or data["input"]["path"]
        data["output"]["path"] = args.output or data["output"]["path"]
        job = RenderJob.from_dict(data)
    openjd = args.progress == "openjd"
    if openjd:
        print(f"openjd_status: checking the output frames of {job.output.path}", flush=True)

    def report(done: int, total: int) -> None:
        if openjd:
            print(f"openjd_progress: {100.0 * done / max(total, 1):.1f}", flush=True)

    result = verify_outputs(job, frames=args.frames, on_frame=report)
    if not result.ok:
        raise SequenceError(result.describe(), path=job.output.path, frames=result.bad)
    if openjd:
        print(f"openjd_status: {result.describe()}", flush=True)
    print(f"vtinker farm: {result.describe()} ({job.output.path})", file=sys.stderr)
    return 0
