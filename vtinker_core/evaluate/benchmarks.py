"""The evaluation protocols of upstream's ``tools/evaluate_*.py`` (MODEL.md §11), for any engine.

::

    from vtinker_core.engines import create_engine
    from vtinker_core.evaluate.benchmarks import evaluate_benchmark

    result = evaluate_benchmark("vimeo", "data/vimeo_triplet", create_engine("blend"))
    result.psnr, result.ssim, result.count          # 29.4…, 0.93…, 3782

Triplet benchmarks (``vimeo``, ``ucf101``, ``snufilm-easy|medium|hard|extreme``) read frame 0,
ground truth and frame 1 with OpenCV and feed them in **BGR** order, as upstream; video
benchmarks (``davis480``, ``davis1080``, ``davis4k``, ``xiph2k``, ``xiph4k``, and
``xiph4k-crop``, evaluate_2k's variant) truncate each video to an odd length, feed the
even-indexed frames in **RGB** order (after the benchmark's resize or crop) and score only the
predicted odd-indexed frames against the originals; scores are averaged per video, then over
videos. Predictions are clamped to [0, 1] and quantised like ``to_pil_image`` (× 255,
truncated); references are the 8-bit files themselves. The network's pyramid depth is fixed
where the scripts fix it (3 for Vimeo/UCF101, 4 for SNU-FILM) and follows the resolution rule
elsewhere; the 4K protocols ran a float16 model (used on CUDA; float32 elsewhere).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from vtinker_core.engines.base import Engine, FramePair
from vtinker_core.errors import ImageReadError, JobError
from vtinker_core.evaluate.metrics import interpolation_error, psnr, quantize_8bit, ssim

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "BenchmarkResult",
    "ItemScore",
    "TripletItem",
    "VideoItem",
    "benchmark_names",
    "evaluate_benchmark",
    "find_items",
    "get_benchmark",
    "resize_frame",
]

U8 = NDArray[np.uint8]
SNUFILM_MODES = ("easy", "medium", "hard", "extreme")
#: Prefix of the paths in the stock SNU-FILM lists (tried away when a path does not exist).
SNUFILM_LIST_PREFIX = "data/SNU-FILM/"


@dataclass(frozen=True)
class Benchmark:
    """One evaluation protocol.

    Attributes:
        name: the ``--benchmark`` name.
        kind: ``"triplet"`` or ``"video"``.
        script: the upstream script it follows.
        layout: where the data lies under ``--root``.
        depth: fixed pyramid depth D, or ``None`` for the resolution rule.
        skip: fixed skip S (with ``depth``).
        precision: the model precision upstream used.
        channel_order: order the frames are fed in (``"bgr"`` or ``"rgb"``).
        rescale: video frames: ``"1080P"``, ``"2K"``, ``"4K"`` (centre crop) or ``None``
            (crop to even size).
        folders: candidate sub-folders of ``--root`` that hold the videos, first found wins.
        mode: SNU-FILM difficulty.
    """

    name: str
    kind: Literal["triplet", "video"]
    script: str
    layout: str
    depth: int | None = None
    skip: int | None = None
    precision: str = "float32"
    channel_order: str = "rgb"
    rescale: str | None = None
    folders: tuple[str, ...] = ()
    mode: str | None = None

    def protocol(self) -> dict[str, Any]:
        """The protocol's settings, for reports."""
        data = asdict(self)
        data["depth"] = (
            "rule: max(H,W)/1024 >=3 -> 5/1, >=1.5 -> 4/0, else 3/0"
            if (self.depth is None)
            else f"{self.depth}/{self.skip}"
        )
        data.pop("skip")
        return data


def _benchmarks() -> dict[str, Benchmark]:
    davis = ("JPEGImages/Full-Resolution", "Full-Resolution", ".")
    table = [
        Benchmark("vimeo", "triplet", "evaluate_vimeo",
                  "vimeo_triplet/: tri_testlist.txt, sequences/<entry>/im1.png im2.png im3.png",
                  depth=3, skip=0, channel_order="bgr"),
        Benchmark("ucf101", "triplet", "evaluate_UCF101",
                  "ucf101_interp_ours/<id>/frame_00.png frame_01_gt.png frame_02.png",
                  depth=3, skip=0, channel_order="bgr"),
        *(
            Benchmark(f"snufilm-{mode}", "triplet", "evaluate_snufilm",
                      f"SNU-FILM/: eval_modes/test-{mode}.txt, lines 'f0 gt f1' relative to "
                      "the root", depth=4, skip=0, channel_order="bgr", mode=mode)
            for mode in SNUFILM_MODES
        ),
        Benchmark("davis480", "video", "evaluate_2k (davis480p)",
                  "DAVIS_trainval/JPEGImages/480p/<video>/<int>.jpg",
                  folders=("JPEGImages/480p", "480p", ".")),
        Benchmark("davis1080", "video", "evaluate_2k (davis1080p)",
                  "DAVIS_trainval/JPEGImages/Full-Resolution/<video>/<int>.jpg, resized to "
                  "1920x1080 (INTER_AREA)", rescale="1080P", folders=davis),
        Benchmark("davis4k", "video", "evaluate_4k (davis4k)",
                  "DAVIS_trainval/JPEGImages/Full-Resolution/<video>/<int>.jpg, native size",
                  precision="float16", folders=davis),
        Benchmark("xiph2k", "video", "evaluate_2k (xiph2k)",
                  "Xiph/<sequence>/<int>.png, resized to 2048x1080 (INTER_AREA)",
                  rescale="2K", folders=(".",)),
        Benchmark("xiph4k", "video", "evaluate_4k (xiph4k)",
                  "Xiph/<sequence>/<int>.png, native 4096x2160", precision="float16",
                  folders=(".",)),
        Benchmark("xiph4k-crop", "video", "evaluate_2k (xiph4k)",
                  "Xiph/<sequence>/<int>.png, centre crop [540:-540, 1024:-1024]",
                  rescale="4K", folders=(".",)),
    ]  # fmt: skip
    return {b.name: b for b in table}


BENCHMARKS: dict[str, Benchmark] = _benchmarks()


def benchmark_names() -> tuple[str, ...]:
    return tuple(BENCHMARKS)


def get_benchmark(name: str) -> Benchmark:
    """The protocol called ``name`` (``JobError`` listing the names otherwise)."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise JobError(
            f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}",
            setting="benchmark",
        ) from None


@dataclass(frozen=True)
class TripletItem:
    """One triplet: frame 0, ground truth (t = 0.5) and frame 1."""

    name: str
    frame0: Path
    gt: Path
    frame1: Path


@dataclass(frozen=True)
class VideoItem:
    """One video: its frame files in order (sorted by their integer name)."""

    name: str
    frames: tuple[Path, ...]


# ------------------------------------------------------------------------------ listing


def _missing(root: Path, what: str, benchmark: Benchmark) -> JobError:
    return JobError(
        f"'{root}' is not a {benchmark.name} folder: {what} (expected {benchmark.layout})",
        setting="root",
        path=root,
    )


def _read_lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as err:
        raise ImageReadError(f"cannot read '{path}': {err}", path=path) from err


def _vimeo_items(root: Path, benchmark: Benchmark) -> list[TripletItem]:
    if not (root / "tri_testlist.txt").is_file() and (root / "vimeo_triplet").is_dir():
        root = root / "vimeo_triplet"
    list_path = root / "tri_testlist.txt"
    if not list_path.is_file():
        raise _missing(root, "tri_testlist.txt is missing", benchmark)
    items = []
    for entry in _read_lines(list_path):
        folder = root / "sequences" / entry
        items.append(TripletItem(entry, folder / "im1.png", folder / "im2.png", folder / "im3.png"))
    return items


def _ucf101_items(root: Path, benchmark: Benchmark) -> list[TripletItem]:
    folders = sorted(p for p in root.iterdir() if (p / "frame_00.png").is_file())
    if not folders:
        raise _missing(root, "no <id>/frame_00.png folders", benchmark)
    return [
        TripletItem(p.name, p / "frame_00.png", p / "frame_01_gt.png", p / "frame_02.png")
        for p in folders
    ]


def _snufilm_path(root: Path, text: str) -> Path:
    path = root / text
    if not path.exists() and text.startswith(SNUFILM_LIST_PREFIX):
        # The stock lists name data/SNU-FILM/test/…; accept a root that holds test/ directly.
        alternative = root / text[len(SNUFILM_LIST_PREFIX) :]
        if alternative.exists():
            return alternative
    return path


def _snufilm_items(root: Path, benchmark: Benchmark) -> list[TripletItem]:
    list_path = root / "eval_modes" / f"test-{benchmark.mode}.txt"
    if not list_path.is_file():
        raise _missing(root, f"eval_modes/test-{benchmark.mode}.txt is missing", benchmark)
    items = []
    for number, line in enumerate(_read_lines(list_path), start=1):
        parts = line.split()
        if len(parts) != 3:
            raise JobError(
                f"{list_path}:{number}: expected 'frame0 gt frame1', got {line!r}",
                setting="root",
                path=list_path,
            )
        f0, gt, f1 = (_snufilm_path(root, p) for p in parts)
        items.append(TripletItem(parts[1], f0, gt, f1))
    return items


def _frame_number(path: Path) -> int:
    # Upstream sorts by int(name[:-4]) (a 3-letter extension).
    try:
        return int(path.name[:-4])
    except ValueError:
        raise JobError(
            f"video frame '{path}' is not named <integer>.jpg/.png", setting="root", path=path
        ) from None


def _video_items(root: Path, benchmark: Benchmark) -> list[VideoItem]:
    base = next((root / f for f in benchmark.folders if (root / f).is_dir()), None)
    if base is None:
        raise _missing(root, "no video folder", benchmark)
    items = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        names = [p for p in folder.iterdir() if ".jpg" in p.name or ".png" in p.name]
        frames = tuple(sorted(names, key=_frame_number))
        if frames:
            items.append(VideoItem(folder.name, frames))
    if not items:
        raise _missing(base, "no <video>/<int>.jpg|png frames", benchmark)
    return items


def find_items(benchmark: Benchmark | str, root: str | Path) -> list[Any]:
    """The triplets or videos of ``benchmark`` under ``root``, in evaluation order.

    Raises:
        JobError: ``root`` does not have the benchmark's layout.
    """
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    root = Path(root)
    if not root.is_dir():
        raise JobError(f"benchmark root '{root}' is not a folder", setting="root", path=root)
    if bench.name == "vimeo":
        return _vimeo_items(root, bench)
    if bench.name == "ucf101":
        return _ucf101_items(root, bench)
    if bench.mode is not None:
        return _snufilm_items(root, bench)
    return _video_items(root, bench)


# ---------------------------------------------------------------------------- reading


def _read(path: Path, flags: int) -> U8:
    image = cv2.imread(str(path), flags)
    if image is None:
        reason = "no such file" if not path.exists() else "OpenCV cannot decode it"
        raise ImageReadError(f"cannot read '{path}': {reason}", path=path, reason=reason)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    if image.dtype == np.uint16:
        image = np.round(image / 257.0).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageReadError(f"'{path}' is not an 8- or 16-bit image", path=path)
    return np.ascontiguousarray(image)


def resize_frame(frame: U8, rescale: str | None) -> U8:
    """Upstream ``Tools.resize``: 1080P/2K INTER_AREA resizes, 4K centre crop, else even crop."""
    if rescale == "1080P":
        size = (1920, 1080)
    elif rescale == "2K":
        size = (2048, 1080)
    else:
        size = None
    if size is not None:
        return np.asarray(
            cv2.resize(frame, dsize=size, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
    if rescale == "4K":
        return np.ascontiguousarray(frame[540:-540, 1024:-1024, :])
    if rescale is not None:
        raise ValueError(f"unknown rescale {rescale!r}")
    h, w = frame.shape[:2]
    return np.ascontiguousarray(frame[: h // 2 * 2, : w // 2 * 2, ...])


def _as_input(image: U8) -> NDArray[np.float32]:
    # uint8 → float32 / 255, what the scripts' tensors hold.
    return image.astype(np.float32) / np.float32(255.0)


# --------------------------------------------------------------------------- scoring


@dataclass
class ItemScore:
    """Scores of one triplet, or the per-video mean of one video's predicted frames."""

    name: str
    psnr: float
    ssim: float
    ie: float
    frames: int = 1


@dataclass
class BenchmarkResult:
    """Scores of one benchmark run."""

    benchmark: str
    root: str
    engine: str
    count: int
    psnr: float
    ssim: float
    ie: float
    seconds: float
    protocol: dict[str, Any] = field(default_factory=dict)
    items: list[ItemScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mean(values: list[float]) -> float:
    # Upstream averages float32 scores with numpy.
    return float(np.mean(np.asarray(values, dtype=np.float32))) if values else float("nan")


def _predict(engine: Engine, image0: U8, image1: U8) -> U8:
    pair = FramePair(_as_input(image0), _as_input(image1))
    motion = engine.estimate(pair)
    return quantize_8bit(engine.synthesize(pair, motion, 0.5))


def _score(pred: U8, ref: U8, name: str) -> ItemScore:
    if pred.shape != ref.shape:
        raise JobError(
            f"{name}: the ground truth is {ref.shape[1]}×{ref.shape[0]} but the frames are "
            f"{pred.shape[1]}×{pred.shape[0]}",
            setting="root",
        )
    return ItemScore(name, psnr(pred, ref), ssim(pred, ref), interpolation_error(pred, ref))


def _save(save_dir: Path | None, relative: str, image_bgr: U8) -> None:
    if save_dir is None:
        return
    path = save_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image_bgr):
        raise ImageReadError(f"cannot write '{path}'", path=path)


def _triplet_scores(
    items: list[TripletItem], engine: Engine, save_dir: Path | None
) -> Iterator[ItemScore]:
    for index, item in enumerate(items):
        # BGR as read, like the scripts (the network trained with random BGR/RGB swaps).
        img0 = _read(item.frame0, cv2.IMREAD_COLOR)
        gt = _read(item.gt, cv2.IMREAD_COLOR)
        img1 = _read(item.frame1, cv2.IMREAD_COLOR)
        pred = _predict(engine, img0, img1)
        _save(save_dir, f"{index:08d}.png", pred)
        yield _score(pred, gt, item.name)


def _video_score(
    item: VideoItem, bench: Benchmark, engine: Engine, save_dir: Path | None
) -> ItemScore:
    target = item.frames[: (len(item.frames) - 1) // 2 * 2 + 1]

    def frame_rgb(path: Path) -> U8:
        image = _read(path, cv2.IMREAD_UNCHANGED)
        return np.ascontiguousarray(resize_frame(image, bench.rescale)[:, :, ::-1])

    scores = []
    previous = frame_rgb(target[0])
    for k in range(1, len(target) // 2 + 1):
        following = frame_rgb(target[2 * k])
        pred = _predict(engine, previous, following)
        reference = frame_rgb(target[2 * k - 1])
        _save(save_dir, f"{item.name}/{2 * k - 1:07d}.png", np.ascontiguousarray(pred[:, :, ::-1]))
        scores.append(_score(pred, reference, f"{item.name}/{target[2 * k - 1].name}"))
        previous = following
    return ItemScore(
        item.name,
        _mean([s.psnr for s in scores]),
        _mean([s.ssim for s in scores]),
        _mean([s.ie for s in scores]),
        frames=len(scores),
    )


def evaluate_benchmark(
    benchmark: Benchmark | str,
    root: str | Path,
    engine: Engine,
    *,
    limit: int | None = None,
    save_dir: str | Path | None = None,
    progress: Callable[[Iterator[Any], int], Iterator[Any]] | None = None,
) -> BenchmarkResult:
    """Run ``engine`` on a benchmark and score it with upstream's protocol.

    Args:
        benchmark: a protocol or its name (see :data:`BENCHMARKS`).
        root: the dataset folder (see each protocol's ``layout``).
        engine: any engine; for ``vtinker`` create it with the protocol's depth/precision
            (:func:`vtinker_core.evaluate.cli.engine_options`).
        limit: evaluate the first N triplets or videos only.
        save_dir: also write the predicted frames (8-bit PNG) here.
        progress: wraps the item iterator (e.g. a tqdm bar): ``progress(iterator, total)``.

    Returns:
        The mean PSNR/SSIM/IE and the per-item scores.

    Raises:
        JobError: wrong layout, or frames and ground truth of different sizes.
        ImageReadError: an unreadable frame.
    """
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    items = find_items(bench, root)
    if limit is not None:
        items = items[: max(limit, 0)]
    out = Path(save_dir) / bench.name if save_dir is not None else None
    started = time.monotonic()
    notes: list[str] = []
    scores: list[ItemScore] = []
    if bench.kind == "triplet":
        iterator: Iterator[Any] = _triplet_scores(items, engine, out)
        if progress is not None:
            iterator = progress(iterator, len(items))
        scores = list(iterator)
    else:
        videos: Iterator[Any] = iter(items)
        if progress is not None:
            videos = progress(videos, len(items))
        for item in videos:
            if len(item.frames) < 3:
                notes.append(f"{item.name}: fewer than 3 frames, skipped")
                continue
            scores.append(_video_score(item, bench, engine, out))
    return BenchmarkResult(
        benchmark=bench.name,
        root=os.fspath(root),
        engine=engine.describe(),
        count=len(scores),
        psnr=_mean([s.psnr for s in scores]),
        ssim=_mean([s.ssim for s in scores]),
        ie=_mean([s.ie for s in scores]),
        seconds=time.monotonic() - started,
        protocol=bench.protocol(),
        items=scores,
        notes=notes,
    )
