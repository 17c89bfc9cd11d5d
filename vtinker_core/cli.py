"""The ``vtinker`` command.

Examples::

    vtinker demo                                   # a small retime on a built-in scene
    vtinker pair a.exr b.exr --t 0.25 0.5 0.75 -o mid.####.exr
    vtinker render plates/shot.####.exr -o retime/shot.####.exr --speed 50
    vtinker render --job job.json --frames 1001-1050 --progress json
    vtinker farm bundle job.json -o sh010_farm     # an OpenJD bundle for a render farm
    vtinker info

Errors print one line (the whole traceback with ``--verbose``) and exit with status 2; a
cancelled render (Ctrl-C, SIGTERM) exits with 130.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vtinker_core import __version__
from vtinker_core.errors import JobError, RenderCancelledError, VTinkerError
from vtinker_core.progress import EXIT_CANCELLED, EXIT_ERROR


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine",
        default=None,
        help="auto (default: the network if a checkpoint is found, else classical), "
        "vtinker, classical, blend, nearest",
    )
    group.add_argument("--checkpoint", default=None, help="VTinker checkpoint (.pkl/.safetensors)")
    group.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:N, mps")
    group.add_argument("--precision", default=None, help="float32 (default), float16, bfloat16")
    group.add_argument("--tile-size", default=None, help="tile size in pixels, or auto (default)")
    group.add_argument("--tile-overlap", type=int, default=None, help="tile overlap in pixels")
    colour = parser.add_argument_group("colour")
    colour.add_argument("--ocio", default=None, help="OCIO config (path or ocio:// URI)")
    colour.add_argument("--input-colorspace", default=None, help="input colourspace")
    colour.add_argument("--output-colorspace", default=None, help="output colourspace")
    colour.add_argument(
        "--sanitize", action="store_true", help="replace NaN/Inf input values instead of failing"
    )
    out = parser.add_argument_group("output file")
    out.add_argument(
        "--bit-depth",
        default=None,
        help="half, float, uint8, uint10, uint12, uint16 (default: the source's, where the "
        "format has it)",
    )
    out.add_argument("--compression", default=None, help="EXR/TIFF compression (default zip)")
    out.add_argument(
        "--vectors", action="store_true", help="also write forward/backward motion vectors (EXR)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vtinker", description="VTinker Retime: frame interpolation for film and TV."
    )
    parser.add_argument("--version", action="version", version=f"vtinker {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    pair = sub.add_parser("pair", help="in-betweens of two images")
    pair.add_argument("image0")
    pair.add_argument("image1")
    pair.add_argument("--t", type=float, nargs="+", default=[0.5], help="times in (0, 1)")
    pair.add_argument("-o", "--output", required=True, help="output file or pattern (####)")
    _add_engine_options(pair)

    render = sub.add_parser("render", help="retime a sequence or a video")
    render.add_argument("input", nargs="?", help="sequence pattern, frame file or video")
    render.add_argument("-o", "--output", default=None, help="output pattern or video file")
    render.add_argument("--job", default=None, help="a job JSON file (flags override it)")
    render.add_argument("--frames", default=None, help="output frames to render, e.g. 1001-1050")
    render.add_argument("--input-frames", default=None, help="source frame range, e.g. 1-100")
    timing = render.add_argument_group("timing (choose one)")
    timing.add_argument(
        "--speed",
        default=None,
        help="output speed in %% (50 = half), or keys over output frames: 1001:100,1025:25",
    )
    timing.add_argument(
        "--input-speed",
        default=None,
        help="speed in %% keyed over source frames (Kronos Input Speed): 1001:100,1040:25",
    )
    timing.add_argument("--fps", default=None, help="convert to this frame rate (e.g. 59.94)")
    timing.add_argument("--source-fps", default=None, help="source frame rate if not in the file")
    timing.add_argument("--multiply", type=int, default=None, help="N× slow motion")
    timing.add_argument("--curve", default=None, help="JSON/CSV keys: output frame → source frame")
    timing.add_argument("--fill", default=None, help="output frames to regenerate, e.g. 12,40-41")
    timing.add_argument("--start", type=int, default=None, help="number of the first output frame")
    blur = render.add_argument_group("motion blur (Kronos Shutter)")
    blur.add_argument(
        "--shutter-samples", type=int, default=None, help="in-betweens averaged per frame (1: off)"
    )
    blur.add_argument(
        "--shutter-time", type=float, default=None, help="shutter open, in output frames (0.5)"
    )
    blur.add_argument("--shutter-offset", choices=("centred", "start", "end"), default=None)
    blur.add_argument(
        "--auto-shutter",
        action="store_true",
        help="add the blur a camera at the new speed records (speed-ups only)",
    )
    motion = render.add_argument_group("motion")
    motion.add_argument(
        "--vectors-from",
        default=None,
        help="use motion vectors instead of estimating: 'input' (the EXRs' forward/backward "
        "layers) or another sequence's pattern",
    )
    motion.add_argument(
        "--motion-source", default=None, help="estimate motion on this sequence (a clean plate)"
    )
    motion.add_argument(
        "--vector-detail",
        type=float,
        default=None,
        help="resolution of the motion estimate, 0.1-1 of the frame",
    )
    motion.add_argument(
        "--smoothness", type=float, default=None, help="classical engine: vector smoothness 0-1"
    )
    added = render.add_argument_group("added layers (EXR)")
    added.add_argument(
        "--matte", action="store_true", help="also write the occlusion matte (matte.A)"
    )
    added.add_argument(
        "--output-layer-prefix", default=None, help="prefix for the added layers, e.g. vtk_"
    )
    cuts = render.add_argument_group("scene cuts")
    cuts.add_argument("--detect-cuts", action="store_true", help="never interpolate across cuts")
    cuts.add_argument("--cut-threshold", type=float, default=None)
    cuts.add_argument("--cuts", default=None, help="source frames that start a shot: 1040,1102")
    render.add_argument(
        "--progress",
        choices=("bar", "json", "openjd", "none"),
        default="bar",
        help="progress display (openjd: Open Job Description's farm progress lines)",
    )
    render.add_argument("--force", action="store_true", help="re-render frames already on disk")
    render.add_argument(
        "--cancel-file",
        default=None,
        help="stop after the current frame once this file exists (a cancel that also works "
        "on Windows, where hosts cannot send SIGTERM)",
    )
    render.add_argument(
        "--codec",
        default=None,
        help="video codec: h264, hevc, prores, dnxhr, ffv1 (default: the source's where the "
        "container holds it, else .mp4/.mkv H.264, .mov ProRes, .mxf DNxHR)",
    )
    render.add_argument("--save-job", default=None, help="write the job JSON here and exit")
    _add_engine_options(render)

    sub.add_parser("info", help="versions, devices, checkpoint and colour config")

    demo = sub.add_parser("demo", help="retime a built-in scene (first run)")
    demo.add_argument("--out", default="vtinker_demo", help="output folder (default vtinker_demo)")
    demo.add_argument("--engine", default="auto")
    demo.add_argument("--checkpoint", default=None)
    demo.add_argument("--multiply", type=int, default=4, help="slow-motion factor (default 4)")
    demo.add_argument("--progress", choices=("bar", "json", "none"), default="bar")

    from vtinker_core.evaluate.cli import add_evaluate_parser
    from vtinker_core.farm.cli import add_farm_parser
    from vtinker_core.train.cli import add_train_parser

    add_train_parser(sub)
    add_evaluate_parser(sub)
    add_farm_parser(sub)
    return parser


# ------------------------------------------------------------------------------ job building


def _timing_dict(args: argparse.Namespace) -> dict[str, Any] | None:
    chosen = [
        name
        for name in ("speed", "input_speed", "fps", "multiply", "curve", "fill")
        if getattr(args, name) is not None
    ]
    if len(chosen) > 1:
        flags = " and ".join("--" + name.replace("_", "-") for name in chosen)
        raise JobError(f"choose one timing: {flags} were both given", setting="timing")
    if not chosen:
        return None
    mode = chosen[0]
    if mode == "speed" and ":" in args.speed:
        return {"mode": "speed", "speed": _percent_keys(args.speed, "--speed")}
    if mode == "speed":
        return {"mode": "speed", "speed": _percent(args.speed, "--speed") / 100.0}
    if mode == "input_speed":
        return {"mode": "input_speed", "keys": _percent_keys(args.input_speed, "--input-speed")}
    if mode == "fps":
        source_fps = args.source_fps or _source_fps(args)
        return {"mode": "fps", "source_fps": source_fps, "output_fps": args.fps}
    if mode == "multiply":
        return {"mode": "multiply", "multiplier": args.multiply}
    if mode == "curve":
        from vtinker_core.curves import load_curve_keys

        keys = load_curve_keys(Path(args.curve))
        return {"mode": "curve", "keys": [list(k) for k in keys]}
    from vtinker_core.io import parse_frame_range

    return {"mode": "fill", "fill_frames": list(parse_frame_range(args.fill))}


def _percent(text: str, flag: str) -> float:
    try:
        return float(text.strip().rstrip("%"))
    except ValueError:
        raise JobError(
            f"{flag}: {text!r} is not a speed in % (e.g. 50, or keys 1001:100,1025:25)",
            setting="timing.speed",
        ) from None


def _percent_keys(text: str, flag: str) -> list[list[float]]:
    """``"1001:100,1025:25"`` → ``[[1001, 1.0], [1025, 0.25]]`` (frame, speed factor)."""
    keys = []
    for item in text.split(","):
        frame, sep, speed = item.partition(":")
        if not sep:
            raise JobError(
                f"{flag}: {item!r} is not FRAME:PERCENT (e.g. 1001:100,1025:25)",
                setting="timing.speed",
            )
        keys.append([_percent(frame, flag), _percent(speed, flag) / 100.0])
    return keys


def _source_fps(args: argparse.Namespace) -> str:
    """The frame rate stored in the input (for ``--fps`` without ``--source-fps``)."""
    from vtinker_core.io import open_source

    if not args.input:
        raise JobError("--fps needs the input (or --source-fps)", setting="timing.source_fps")
    fps = open_source(args.input, args.input_frames).fps
    if fps is None:
        raise JobError(
            f"'{args.input}' does not say its frame rate; pass --source-fps (e.g. 23.976)",
            setting="timing.source_fps",
        )
    return f"{fps.numerator}/{fps.denominator}"


def job_from_args(args: argparse.Namespace) -> Any:
    """The render job named by ``--job`` with flags applied on top, or built from flags."""
    from vtinker_core.io import parse_frame_range
    from vtinker_core.job import RenderJob

    data: dict[str, Any] = {}
    if args.job:
        from vtinker_core.job import read_job

        data = read_job(args.job).to_dict()
    for section in ("input", "output", "timing", "cuts", "tiles", "engine"):
        data.setdefault(section, {})
    if args.input:
        data["input"]["path"] = args.input
    if args.input_frames:
        data["input"]["frames"] = args.input_frames
    if args.input_colorspace:
        data["input"]["colorspace"] = args.input_colorspace
    if args.output:
        data["output"]["path"] = args.output
    for flag, key in (
        ("output_colorspace", "colorspace"),
        ("bit_depth", "bit_depth"),
        ("compression", "compression"),
        ("start", "start"),
        ("codec", "codec"),
    ):
        if getattr(args, flag) is not None:
            data["output"][key] = getattr(args, flag)
    if args.vectors:
        data["output"]["vectors"] = True
    if args.matte:
        data["output"]["matte"] = True
    if args.output_layer_prefix is not None:
        data["output"]["layer_prefix"] = args.output_layer_prefix
    _apply_section(
        data,
        "shutter",
        samples=args.shutter_samples,
        time=args.shutter_time,
        offset=args.shutter_offset,
        auto=True if args.auto_shutter else None,
    )
    _apply_section(
        data,
        "motion",
        vectors_from=args.vectors_from,
        source=args.motion_source,
        detail=args.vector_detail,
        smoothness=args.smoothness,
    )
    timing = _timing_dict(args)
    if timing is not None:
        data["timing"] = timing
    elif not data["timing"]:
        data["timing"] = {"mode": "speed", "speed": 1.0}
        if not args.job:
            raise JobError(
                "say how to retime: --speed, --fps, --multiply, --curve or --fill",
                setting="timing",
            )
    if args.detect_cuts:
        data["cuts"]["detect"] = True
    if args.cut_threshold is not None:
        data["cuts"]["threshold"] = args.cut_threshold
    if args.cuts:
        data["cuts"]["frames"] = list(parse_frame_range(args.cuts))
    _apply_engine_flags(data, args)
    return RenderJob.from_dict(data)


def _apply_section(data: dict[str, Any], section: str, **flags: Any) -> None:
    """Set the given (not None) flags in ``data[section]``, making the section if needed."""
    given = {key: value for key, value in flags.items() if value is not None}
    if given:
        data.setdefault(section, {}).update(given)


def _apply_engine_flags(data: dict[str, Any], args: argparse.Namespace) -> None:
    for flag, key in (
        ("engine", "name"),
        ("checkpoint", "checkpoint"),
        ("device", "device"),
        ("precision", "precision"),
    ):
        if getattr(args, flag, None) is not None:
            data["engine"][key] = getattr(args, flag)
    if getattr(args, "tile_size", None) is not None:
        size = args.tile_size
        data["tiles"]["size"] = size if size == "auto" else _int_setting(size, "tiles.size")
    if getattr(args, "tile_overlap", None) is not None:
        data["tiles"]["overlap"] = args.tile_overlap
    if getattr(args, "ocio", None):
        data["ocio"] = args.ocio
    if getattr(args, "sanitize", False):
        data["sanitize"] = True


def _int_setting(text: str, setting: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise JobError(
            f"{setting} must be a whole number or auto, got {text!r}", setting=setting
        ) from None


def _reporter(kind: str) -> Any:
    from vtinker_core.progress import (
        BarProgress,
        JsonLinesProgress,
        OpenJDProgress,
        ProgressReporter,
    )

    if kind == "json":
        return JsonLinesProgress(sys.stdout)
    if kind == "openjd":
        return OpenJDProgress(sys.stdout)
    if kind == "bar":
        return BarProgress(sys.stderr)
    return ProgressReporter()


def _install_cancel_handlers(cancel: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


def _watch_cancel_file(path: Path, cancel: threading.Event) -> None:
    """Set ``cancel`` as soon as ``path`` exists (polled four times a second)."""

    if path.exists():
        cancel.set()
        return

    def watch() -> None:
        while not cancel.wait(0.25):
            if path.exists():
                cancel.set()

    threading.Thread(target=watch, name="vtinker-cancel-file", daemon=True).start()


# -------------------------------------------------------------------------------- commands


def cmd_render(args: argparse.Namespace, reporter: Any) -> int:
    from vtinker_core.job import write_job
    from vtinker_core.render import render_job

    job = job_from_args(args)
    if args.save_job:
        write_job(job, args.save_job)
        print(f"vtinker: job written to {args.save_job}", file=sys.stderr)
        return 0
    cancel = threading.Event()
    _install_cancel_handlers(cancel)
    if args.cancel_file:
        _watch_cancel_file(Path(args.cancel_file), cancel)
    render_job(job, frames=args.frames, progress=reporter, cancel=cancel, force=args.force)
    return 0


def cmd_pair(args: argparse.Namespace) -> int:
    from vtinker_core.pair import render_pair

    paths = render_pair(
        Path(args.image0),
        Path(args.image1),
        args.t,
        args.output,
        engine=args.engine or "auto",
        checkpoint=args.checkpoint,
        device=args.device or "auto",
        precision=args.precision or "float32",
        ocio=args.ocio,
        input_colorspace=args.input_colorspace,
        output_colorspace=args.output_colorspace,
        bit_depth=args.bit_depth,
        compression=args.compression,
        sanitize=args.sanitize,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        report=lambda line: print(f"vtinker: {line}", file=sys.stderr),
    )
    for path in paths:
        print(path)
    return 0


def cmd_info() -> int:
    from vtinker_core.info import collect_info

    for key, value in collect_info().items():
        print(f"{key:<14} {value}")
    return 0


def cmd_demo(args: argparse.Namespace, reporter: Any) -> int:
    from vtinker_core.demo import run_demo

    result = run_demo(
        Path(args.out),
        engine=args.engine,
        checkpoint=args.checkpoint,
        multiply=args.multiply,
        progress=reporter,
    )
    print(f"vtinker demo: source frames   {result.source_pattern}", file=sys.stderr)
    print(f"vtinker demo: retimed frames  {result.output_pattern}", file=sys.stderr)
    print(f"vtinker demo: contact sheet   {result.contact_sheet}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0, 2 on errors, 130 when cancelled)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    reporter = _reporter(getattr(args, "progress", "none"))
    try:
        if args.command == "render":
            return cmd_render(args, reporter)
        if args.command == "pair":
            return cmd_pair(args)
        if args.command == "info":
            return cmd_info()
        if args.command == "train":
            from vtinker_core.train.cli import run_train

            return run_train(args)
        if args.command == "evaluate":
            from vtinker_core.evaluate.cli import run_evaluate

            return run_evaluate(args)
        if args.command == "farm":
            from vtinker_core.farm.cli import run_farm

            return run_farm(args)
        return cmd_demo(args, reporter)
    except RenderCancelledError as err:
        reporter.error(str(err), kind=type(err).__name__, cancelled=True)
        reporter.close()
        print(f"vtinker: {err}", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        reporter.close()
        print("vtinker: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except VTinkerError as err:
        reporter.error(
            str(err),
            kind=type(err).__name__,
            path=str(err.path) if err.path else None,
            frame=err.frame,
            setting=err.setting,
        )
        reporter.close()
        if args.verbose:
            traceback.print_exc()
        print(f"vtinker: error: {err}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
