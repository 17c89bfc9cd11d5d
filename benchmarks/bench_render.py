"""End-to-end render benchmark: seconds per output frame, peak memory, time in I/O and colour.

Usage::

    python benchmarks/bench_render.py                  # 2K blend + auto, 4K auto untiled/tiled
    python benchmarks/bench_render.py --quick          # 2K only, fewer frames
    python benchmarks/bench_render.py --engines blend --sizes 2048x1080

Each configuration runs in a fresh subprocess (so peak RSS is its own) on a synthetic
scene-linear half-float EXR sequence (the demo scene at that size), rendering a 2× slow motion
(every other output frame is an in-between; the copies are counted too, as in a real job).
I/O is the time inside ``read_frame``/``write_frame``; colour the time inside the OCIO
conversions of :class:`~vtinker_core.color.ColorPipeline`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import vtinker_core.io.images as images
import vtinker_core.color as color
import vtinker_core.render as render
from vtinker_core.job import RenderJob

spent = {"io": 0.0, "colour": 0.0}

def timed(kind, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[kind] += time.perf_counter() - start
    return wrapper

images.read_frame = timed("io", images.read_frame)
images.write_frame = timed("io", images.write_frame)
render.write_frame = images.write_frame
for name in ("to_model", "from_model", "to_linear", "linear_to"):
    setattr(color.ColorPipeline, name, timed("colour", getattr(color.ColorPipeline, name)))

cfg = json.loads(sys.argv[1])
job = RenderJob.from_dict(cfg["job"])
start = time.perf_counter()
result = render.render_job(job, force=True)
total = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": total, "frames": len(result.frames), "peak": peak,
                  "io": spent["io"], "colour": spent["colour"], "engine": result.engine}))
"""


def make_sequence(folder: Path, width: int, height: int, count: int) -> str:
    from vtinker_core.demo_scene import make_demo_frames
    from vtinker_core.io import write_frame

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(make_demo_frames(count=count, width=width, height=height)):
        write_frame(folder / f"plate.{1001 + i:04d}.exr", frame, bit_depth="half")
    return str(folder / "plate.####.exr")


def run_config(source: str, out: Path, engine: str, tile: int | str, threads: int) -> dict:
    job = {
        "input": {"path": source},
        "output": {"path": str(out / "r.####.exr")},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": engine, "device": "cpu"},
        "tiles": {"size": tile, "overlap": 64},
    }
    env_threads = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    import os

    env = {**os.environ, **env_threads}
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps({"job": job})],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="blend,auto")
    parser.add_argument("--sizes", default="2048x1080,4096x2160")
    parser.add_argument("--frames", type=int, default=4, help="source frames per sequence")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2K only, 3 source frames")
    args = parser.parse_args()
    sizes = ["2048x1080"] if args.quick else args.sizes.split(",")
    count = 3 if args.quick else args.frames
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            width, height = (int(v) for v in size.split("x"))
            source = make_sequence(Path(tmp) / f"src_{size}", width, height, count)
            tiles: list[int | str] = ["auto"] if width < 4096 else [4096, 1024]
            for engine in args.engines.split(","):
                if width >= 4096 and engine == "blend":
                    continue
                for tile in tiles:
                    tick = time.perf_counter()
                    try:
                        r = run_config(source, Path(tmp) / "out", engine, tile, args.threads)
                    except RuntimeError as err:
                        rows.append((size, engine, str(tile), f"failed: {err}", "", "", "", ""))
                        continue
                    per = r["seconds"] / r["frames"]
                    rows.append(
                        (
                            size,
                            f"{engine} ({r['engine']})",
                            "untiled" if tile == 4096 else str(tile),
                            f"{per:.2f}",
                            f"{r['peak'] / 2**30:.2f}",
                            f"{100 * r['io'] / r['seconds']:.0f} %",
                            f"{100 * r['colour'] / r['seconds']:.0f} %",
                            f"{time.perf_counter() - tick:.0f}",
                        )
                    )
                    print("  ".join(rows[-1]), file=sys.stderr)
    header = ("size", "engine", "tiles", "s/frame", "peak GiB", "I/O", "colour", "wall s")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
