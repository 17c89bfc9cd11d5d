"""Interpolation quality on real footage: PSNR, SSIM and seconds per frame, per engine.

Usage::

    python benchmarks/bench_quality.py                         # every engine, all 79 triplets
    python benchmarks/bench_quality.py --limit 10              # a quick look
    python benchmarks/bench_quality.py --engines classical,baseline --threads 2
    python benchmarks/bench_quality.py --contact-sheet         # car 4× slow motion sheet
    python benchmarks/bench_quality.py --contact-sheet out/car.png --engines classical

Protocol (``/work/shared/data/README.md``): the clip ``clip_bear_832x480_5fps.mp4`` has 81
frames of a bear walking at 5 fps, so motion between frames is large. For every triplet
(i, i+1, i+2), i = 0 … 78, each engine interpolates t = 0.5 from frames i and i+2 and is
compared with frame i+1:

- PSNR on 8-bit sRGB: the output ×255, rounded, clipped to uint8; MSE over all pixels and
  channels; −10·log10(MSE / 255²).
- SSIM (Wang et al. 2004): Gaussian window 11×11, σ 1.5, K1 0.01, K2 0.03, on [0, 1] values
  of the same 8-bit output, per RGB channel, averaged over channels and over the pixels whose
  window lies inside the frame (as the reference implementation does).
- Seconds per frame: wall time of ``estimate`` + one ``synthesize`` at t = 0.5 (the cost of
  one in-between per source pair), mean and median over the triplets. The machine's load
  shows in these numbers; compare engines from one run.

Engines: ``nearest``, ``blend``, ``classical`` (through ``create_engine``); ``baseline``, a
simple classical interpolator written here as the yardstick (OpenCV DIS medium both ways,
backward warping with the linear flow approximation, consistency-weighted blend); and
``minterpolate`` (FFmpeg's motion-compensated interpolation, mi_mode=mci, mc_mode=aobmc,
me_mode=bidir, vsbmc=1), run when an ``ffmpeg`` executable is on PATH. FFmpeg doubles the
frame rate of the even and of the odd frames, which gives the same 79 in-betweens; its time
per frame includes PNG decoding and encoding.

``--contact-sheet`` instead makes a 4× slow motion (t = 0, ¼, ½, ¾, 1) of the car pair
(``pair_car_0.jpg`` → ``pair_car_1.jpg``) with one engine (default ``classical``) and writes a
PNG: the whole frames, then the car enlarged 2× (bilinear), then two close-ups of its outline
enlarged 4× (nearest, to show block seams and halos). Output goes to ``benchmarks/out/``
unless a path is given.

The data folder defaults to ``shared/data`` beside the repository (``--data`` overrides); the
benchmark says so and stops when it is missing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vtinker_core.engines import FramePair, create_engine

CLIP_NAME = "clip_bear_832x480_5fps.mp4"
CAR_NAMES = ("pair_car_0.jpg", "pair_car_1.jpg")
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "out"
ALL_ENGINES = ("nearest", "blend", "baseline", "classical", "minterpolate")
MINTERPOLATE = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"

Frames = NDArray[np.uint8]  # N×H×W×3 uint8 RGB
Interpolator = Callable[[NDArray[np.float32], NDArray[np.float32]], NDArray[np.float32]]


# --- reading -----------------------------------------------------------------------------


def read_clip(path: Path) -> Frames:
    """Every frame of a video as N×H×W×3 uint8 RGB (PyAV, else OpenCV)."""
    try:
        import av
    except ImportError:
        av = None
    if av is not None:
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return np.stack(frames)
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise SystemExit(f"could not read any frame from {path}")
    return np.stack(frames)


def read_rgb(path: Path) -> NDArray[np.float32]:
    """An 8-bit image as H×W×3 float32 RGB in [0, 1]."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"could not read {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


# --- metrics -----------------------------------------------------------------------------


def to_uint8(image: NDArray[np.float32]) -> Frames:
    """Model-encoding float RGB → 8-bit sRGB as the protocol quantises it."""
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def psnr(output: Frames, truth: Frames) -> float:
    """PSNR in dB of two uint8 images (MSE over all pixels and channels)."""
    diff = output.astype(np.float64) - truth.astype(np.float64)
    mse = float(np.mean(diff * diff))
    return float("inf") if mse == 0 else -10.0 * np.log10(mse / 255.0**2)


def ssim(output: Frames, truth: Frames) -> float:
    """Mean SSIM of two uint8 RGB images: Gaussian 11×11, σ 1.5, K1 0.01, K2 0.03, on [0, 1].

    As in Wang et al.'s reference code (and scikit-image with ``gaussian_weights=True``): local
    statistics with population (co)variances, averaged over the pixels whose whole window lies
    inside the image, over the three channels.
    """
    c1, c2 = 0.01**2, 0.03**2
    x = output.astype(np.float64) / 255.0
    y = truth.astype(np.float64) / 255.0

    def blur(a: NDArray[np.float64]) -> NDArray[np.float64]:
        return cv2.GaussianBlur(a, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    index = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index[5:-5, 5:-5].mean())


# --- the yardstick baseline --------------------------------------------------------------


def baseline_interpolator() -> Interpolator:
    """DIS medium both ways, linear flow approximation, consistency-weighted blend (t = 0.5).

    Frame 0 is sampled at p + t·backward(p), frame 1 at p + (1 − t)·forward(p) (each flow
    read at the output pixel, the classic linear approximation); each sample is weighted by
    (1 − t) or t over (1 + its pixel's forward-backward error).
    """
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def interpolate(image0: NDArray[np.float32], image1: NDArray[np.float32]) -> NDArray:
        t = 0.5
        grey0 = cv2.cvtColor(to_uint8(image0), cv2.COLOR_RGB2GRAY)
        grey1 = cv2.cvtColor(to_uint8(image1), cv2.COLOR_RGB2GRAY)
        forward = dis.calc(grey0, grey1, None)
        backward = dis.calc(grey1, grey0, None)
        height, width = grey0.shape
        xs, ys = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )

        def warp(image: NDArray, flow: NDArray, scale: float) -> NDArray:
            map_x, map_y = xs + scale * flow[..., 0], ys + scale * flow[..., 1]
            return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

        error0 = np.linalg.norm(forward + warp(backward, forward, 1.0), axis=2)
        error1 = np.linalg.norm(backward + warp(forward, backward, 1.0), axis=2)
        weight0 = (1.0 - t) / (1.0 + warp(error0, backward, t))[..., None]
        weight1 = t / (1.0 + warp(error1, forward, 1.0 - t))[..., None]
        warped0, warped1 = warp(image0, backward, t), warp(image1, forward, 1.0 - t)
        return (weight0 * warped0 + weight1 * warped1) / (weight0 + weight1)

    return interpolate


def engine_interpolator(name: str) -> Interpolator:
    """An engine from the registry as a t = 0.5 interpolator (estimate + synthesize)."""
    engine = create_engine(name)

    def interpolate(image0: NDArray[np.float32], image1: NDArray[np.float32]) -> NDArray:
        pair = FramePair(image0, image1)
        return engine.synthesize(pair, engine.estimate(pair), 0.5)

    return interpolate


# --- runs --------------------------------------------------------------------------------


def evaluate(interpolate: Interpolator, frames: Frames, starts: list[int]) -> dict[str, float]:
    """Mean PSNR/SSIM and seconds per frame of ``interpolate`` over the triplets at ``starts``."""
    scores, ssims, seconds = [], [], []
    for i in starts:
        image0 = frames[i].astype(np.float32) / 255.0
        image1 = frames[i + 2].astype(np.float32) / 255.0
        start = time.perf_counter()
        output = interpolate(image0, image1)
        seconds.append(time.perf_counter() - start)
        quantised = to_uint8(output)
        scores.append(psnr(quantised, frames[i + 1]))
        ssims.append(ssim(quantised, frames[i + 1]))
    return {
        "psnr": statistics.fmean(scores),
        "ssim": statistics.fmean(ssims),
        "seconds": statistics.fmean(seconds),
        "median": statistics.median(seconds),
    }


def evaluate_minterpolate(frames: Frames, starts: list[int]) -> dict[str, float] | None:
    """FFmpeg minterpolate on the even and odd frames at doubled rate, scored like the rest."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    wanted = set(starts)
    outputs: dict[int, Frames] = {}
    elapsed = 0.0
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for parity in (0, 1):
            indices = list(range(parity, len(frames), 2))
            source, result = root / f"in{parity}", root / f"out{parity}"
            source.mkdir()
            result.mkdir()
            for n, index in enumerate(indices):
                cv2.imwrite(
                    str(source / f"{n:04d}.png"), cv2.cvtColor(frames[index], cv2.COLOR_RGB2BGR)
                )
            command = [
                ffmpeg, "-loglevel", "error", "-framerate", "1", "-i", str(source / "%04d.png"),
                "-vf", MINTERPOLATE.format(fps=2), "-start_number", "0", str(result / "%04d.png"),
            ]  # fmt: skip
            start = time.perf_counter()
            subprocess.run(command, check=True)
            elapsed += time.perf_counter() - start
            # Output k sits at time k/2 of the input: odd k lies between inputs (k−1)/2, (k+1)/2.
            for n in range(len(indices) - 1):
                path = result / f"{2 * n + 1:04d}.png"
                if indices[n] in wanted and path.exists():
                    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                    outputs[indices[n]] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if not outputs:
        return None
    scores = [psnr(outputs[i], frames[i + 1]) for i in sorted(outputs)]
    ssims = [ssim(outputs[i], frames[i + 1]) for i in sorted(outputs)]
    per_frame = elapsed / (len(frames) - 2)
    return {
        "psnr": statistics.fmean(scores),
        "ssim": statistics.fmean(ssims),
        "seconds": per_frame,
        "median": per_frame,
        "count": float(len(outputs)),
    }


def contact_sheet(engine_name: str, data: Path, out_path: Path) -> None:
    """Write the car pair's 4× slow motion as a contact sheet PNG (frames and enlarged crops)."""
    image0, image1 = (read_rgb(data / name) for name in CAR_NAMES)
    engine = create_engine(engine_name)
    pair = FramePair(image0, image1)
    motion = engine.estimate(pair)
    times = (0.0, 0.25, 0.5, 0.75, 1.0)
    frames = [to_uint8(engine.synthesize(pair, motion, t)) for t in times]
    height, width = frames[0].shape[:2]
    # The car: the only fast-moving object, with occlusion along its outline.
    x0, y0, x1, y1 = (int(width * 0.75), int(height * 0.36), int(width * 0.97), int(height * 0.70))
    near = cv2.INTER_NEAREST
    rows = [
        [cv2.resize(f, (width // 2, height // 2), interpolation=cv2.INTER_AREA) for f in frames],
        [
            cv2.resize(f[y0:y1, x0:x1], None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
            for f in frames
        ],
    ]
    # Two close-ups at 4× (nearest): the car's roof and mirror, and its right side and wheel.
    for cx, cy in ((0.79, 0.40), (0.86, 0.50)):
        left, top = int(width * cx), int(height * cy)
        rows.append(
            [
                cv2.resize(
                    f[top : top + 60, left : left + 100], None, fx=4, fy=4, interpolation=near
                )
                for f in frames
            ]
        )
    gap = 6
    sheet_width = max(sum(im.shape[1] for im in row) + gap * (len(row) - 1) for row in rows)
    strips = []
    for row in rows:
        strip = np.full((row[0].shape[0] + 28, sheet_width, 3), 255, np.uint8)
        x = 0
        for t, image in zip(times, row, strict=True):
            strip[28:, x : x + image.shape[1]] = image
            cv2.putText(
                strip,
                f"t={t:g}",
                (x + 4, 20),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.6,
                (0, 0, 0),
                1,
                cv2.LINE_AA,
            )
            x += image.shape[1] + gap
        strips.append(strip)
    sheet = np.concatenate(strips, axis=0)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"{engine.describe()}\ncontact sheet: {out_path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the clip")
    parser.add_argument(
        "--engines", default=None, help=f"comma-separated, from {','.join(ALL_ENGINES)}"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N triplets")
    parser.add_argument("--threads", type=int, default=None, help="OpenCV/torch threads")
    parser.add_argument(
        "--contact-sheet",
        nargs="?",
        type=Path,
        const=DEFAULT_OUT / "contact_sheet_car.png",
        default=None,
        metavar="OUT.png",
        help="make the car pair's 4× slow-motion contact sheet instead (default path: "
        "benchmarks/out/contact_sheet_car.png)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    if args.contact_sheet is not None:
        missing = [name for name in CAR_NAMES if not (args.data / name).is_file()]
        if missing:
            print(f"skipped: {', '.join(missing)} not found in {args.data} (use --data)")
            return 0
        contact_sheet(args.engines or "classical", args.data, args.contact_sheet)
        return 0
    clip = args.data / CLIP_NAME
    if not clip.is_file():
        print(f"skipped: {CLIP_NAME} not found in {args.data} (use --data DIR)")
        return 0
    names = args.engines.split(",") if args.engines else list(ALL_ENGINES)
    unknown = [name for name in names if name not in ALL_ENGINES]
    if unknown:
        parser.error(
            f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ALL_ENGINES)}"
        )
    frames = read_clip(clip)
    starts = list(range(len(frames) - 2))[: args.limit]
    print(f"{clip.name}: {len(frames)} frames {frames.shape[2]}×{frames.shape[1]}, "
          f"{len(starts)} triplets, t = 0.5, {cv2.getNumThreads()} OpenCV threads")  # fmt: skip
    print(f"{'engine':<14}{'PSNR dB':>9}{'SSIM':>8}{'s/frame':>9}{'median':>8}")
    for name in names:
        if name == "minterpolate":
            result = evaluate_minterpolate(frames, starts)
            if result is None:
                print(f"{name:<14}  skipped: no ffmpeg executable on PATH")
                continue
        else:
            interpolate = (
                baseline_interpolator() if name == "baseline" else engine_interpolator(name)
            )
            result = evaluate(interpolate, frames, starts)
        print(f"{name:<14}{result['psnr']:>9.3f}{result['ssim']:>8.4f}"
              f"{result['seconds']:>9.3f}{result['median']:>8.3f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
