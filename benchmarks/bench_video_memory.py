"""Peak memory of video renders by clip length: frames stream to the encoder, none are kept.

Usage::

    python benchmarks/bench_video_memory.py                      # 1080p, 20 and 2,000 frames
    python benchmarks/bench_video_memory.py --lengths 20 200 --size 1280x720 --codec prores

A synthetic H.264 clip (a moving gradient and grid, so the encoder has work) is made once;
then ``vtinker render clip.mp4 -o out.<ext> --multiply 1 --engine nearest`` (decode, colour,
encode: the video path itself) runs in a fresh process per length over the first N frames
(``--input-frames``), and its peak resident memory is read from the kernel when it exits.
The target: the longest render stays within the shortest one's peak + 10 %.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np


def make_clip(path: Path, frames: int, width: int, height: int) -> None:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
        y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
        for i in range(frames):
            rgb = np.empty((height, width, 3), np.uint8)
            rgb[..., 0] = (x + 3 * i) % 256
            rgb[..., 1] = (y + 2 * i) % 256
            rgb[..., 2] = (((x // 32 + y // 32 + i // 5) % 2) * 200).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def run(clip: Path, out: Path, frames: int, codec: str | None) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one render in its own process."""
    command = [
        sys.executable, "-m", "vtinker_core.cli", "render", str(clip), "-o", str(out),
        "--input-frames", f"0-{frames - 1}", "--multiply", "1", "--engine", "nearest",
        "--progress", "none", "--force",
    ]  # fmt: skip
    if codec:
        command += ["--codec", codec]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"render of {frames} frames failed (status {status})")
    return usage.ru_maxrss / 1024, seconds  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 2000])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--codec", default=None, help="output codec (default: like the source)")
    parser.add_argument("--ext", default="mp4")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        start = time.perf_counter()
        make_clip(clip, max(args.lengths), width, height)
        made = time.perf_counter() - start
        size = clip.stat().st_size / 2**20
        count = max(args.lengths)
        print(f"source: {count} frames {width}x{height} H.264 ({size:.0f} MiB, {made:.0f} s)")
        rows = []
        for frames in args.lengths:
            peak, seconds = run(clip, Path(tmp) / f"out.{args.ext}", frames, args.codec)
            rows.append((frames, peak, seconds))
    base = rows[0][1]
    print(f"\n| frames | peak RSS MiB | vs {rows[0][0]} frames | s total | frames/s |")
    print("|---|---|---|---|---|")
    for frames, peak, seconds in rows:
        print(f"| {frames} | {peak:.0f} | {100 * (peak / base - 1):+.1f} % | {seconds:.1f} | "
              f"{frames / seconds:.1f} |")  # fmt: skip
    worst = max(peak for _, peak, _ in rows)
    verdict = "within" if worst <= base * 1.10 else "OVER"
    print(f"\nlongest render peak {worst:.0f} MiB: {verdict} the shortest's {base:.0f} MiB + 10 %")


if __name__ == "__main__":
    main()
