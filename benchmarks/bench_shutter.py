"""Cost of motion blur: seconds per output frame at 1, 3 and 9 shutter samples, at 2K.

Usage::

    python benchmarks/bench_shutter.py                     # 2048×1080, classical, 50 % speed
    python benchmarks/bench_shutter.py --engine blend --samples 1 3 9 17
    python benchmarks/bench_shutter.py --speed 2.0         # a speed-up (shutter spans pairs)

The scene is the demo plate (scene-linear EXR) at the size asked. Each configuration renders
the same output frames through the real renderer (``open_session(job).renderer``) in this
process, timing the engine's two steps separately: motion estimates (once per source pair)
and syntheses (once per shutter sample), after one warm-up frame; the rest is the per-sample
work around them (alpha, HDR values and other layers carried by the same motion, colour
conversions, the average). The claim it checks:
samples cost synthesis only, so the estimates stay one per source pair the outputs touch (a
copy's shutter reaches into both pairs around it, which its neighbours use anyway) while
the synthesis time grows about linearly with the samples.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def make_sequence(folder: Path, width: int, height: int, count: int) -> str:
    from vtinker_core.demo_scene import make_demo_frames
    from vtinker_core.io import write_frame

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(make_demo_frames(count=count, width=width, height=height)):
        write_frame(folder / f"plate.{1001 + i:04d}.exr", frame, bit_depth="half")
    return str(folder / "plate.####.exr")


class _Timed:
    """Wraps an engine method, adding its calls and seconds to a tally."""

    def __init__(self, fn: Any, tally: dict[str, float], key: str) -> None:
        self.fn, self.tally, self.key = fn, tally, key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.tally[self.key] += time.perf_counter() - start
            self.tally[self.key + " calls"] += 1


def run(source: str, out: Path, engine: str, samples: int, speed: float, outputs: int) -> dict:
    from vtinker_core.job import RenderJob, plan_samples
    from vtinker_core.session import open_session

    job = RenderJob.from_dict(
        {
            "input": {"path": source},
            "output": {"path": str(out / "r.####.exr")},
            "timing": {"mode": "speed", "speed": speed},
            "shutter": {"samples": samples, "time": 0.5},
            "engine": {"name": engine, "device": "cpu"},
        }
    )
    tally = {"estimate": 0.0, "estimate calls": 0, "synthesize": 0.0, "synthesize calls": 0}
    with open_session(job) as session:
        planned = plan_samples(job, session.source.frames)
        samples_plan = planned[1 : 1 + outputs]
        session.renderer.render(planned[-1], speed)  # warm-up: imports, colour processors
        engine_obj = session.engine
        engine_obj.estimate = _Timed(engine_obj.estimate, tally, "estimate")  # type: ignore[method-assign]
        engine_obj.synthesize = _Timed(engine_obj.synthesize, tally, "synthesize")  # type: ignore[method-assign]
        renderer = session.renderer
        start = time.perf_counter()
        for sample in samples_plan:
            renderer.render(sample, speed)
        total = time.perf_counter() - start
    return {**tally, "seconds": total, "outputs": len(samples_plan)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2048x1080")
    parser.add_argument("--engine", default="classical")
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 3, 9])
    parser.add_argument("--speed", type=float, default=0.5)
    parser.add_argument("--outputs", type=int, default=6, help="output frames timed")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        count = int(args.outputs * args.speed) + 4
        source = make_sequence(Path(tmp) / "src", width, height, count)
        for samples in args.samples:
            r = run(source, Path(tmp) / "out", args.engine, samples, args.speed, args.outputs)
            n = r["outputs"]
            rows.append(
                (
                    str(samples),
                    f"{r['seconds'] / n:.2f}",
                    f"{r['estimate calls']:.0f}",
                    f"{r['estimate'] / n:.2f}",
                    f"{r['synthesize calls'] / n:.1f}",
                    f"{r['synthesize'] / n:.2f}",
                    f"{(r['seconds'] - r['estimate'] - r['synthesize']) / n:.2f}",
                )
            )
            print("  ".join(rows[-1]), file=sys.stderr)
    print(f"\n{args.size}, engine {args.engine}, speed {args.speed:g}, {args.outputs} outputs\n")
    header = ("samples", "s/frame", "estimates", "estimate s/frame", "syntheses/frame",
              "synthesis s/frame", "other channels + colour s/frame")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
