"""Training triplets: Vimeo-90K and any folder of image sequences or videos.

Both datasets return what upstream's ``VimeoDataset`` returns: a uint8 tensor (9, H, W) =
[frame 0, frame 1, ground truth] in **BGR** channel order (OpenCV's); the training loop
divides by 255. Training samples are augmented exactly as upstream (MODEL.md §10.2)::

    data = VimeoTriplets("vimeo_triplet", split="train", crop=256)      # tri_trainlist.txt
    val = VimeoTriplets("vimeo_triplet", split="test")                  # 448×256, no augmentation
    shots = FolderTriplets("/show/plates", gap=2, crop=256)             # frames n, n+2, n+4
    sample = data[0]                                                    # uint8 9×256×256

``FolderTriplets`` takes every image sequence (files named ``<prefix><number>.<ext>``, grouped
per folder, prefix and extension) and every video under a folder, and makes a triplet of each
three frames ``n, n + gap, n + 2·gap`` that exist (frame 0, ground truth at t = 0.5, frame 1).
PNG/JPEG/BMP/WebP files are read with OpenCV as 8-bit; EXR, DPX, TIFF and the other
OpenImageIO formats go through the colour pipeline into the model encoding (display-referred
sRGB, the encoding the network is trained on) and are quantised to 8 bits; video frames are
decoded with PyAV and quantised likewise.

The random draws use Python's ``random`` and NumPy's global generators, in upstream's order,
so a seeded run draws the same augmentations as the original code.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset

from vtinker_core.errors import ImageReadError, JobError

__all__ = [
    "CV2_IMAGE_EXTENSIONS",
    "OIIO_IMAGE_EXTENSIONS",
    "FolderTriplets",
    "VimeoTriplets",
    "augment_triplet",
    "is_vimeo_root",
    "open_training_data",
    "pack_triplet",
    "read_bgr8",
    "read_list_file",
    "split_batch",
]

#: Display-referred formats read directly with OpenCV (8-bit BGR).
CV2_IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
#: Formats read with OpenImageIO and converted to the model encoding with OpenColorIO.
OIIO_IMAGE_EXTENSIONS = frozenset({".exr", ".dpx", ".tif", ".tiff", ".cin", ".hdr", ".tga"})
#: Probability of upstream's random 2× upscale (applied before the crop).
UPSCALE_PROB = 0.1

U8 = NDArray[np.uint8]

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)(?P<ext>\.[^.]+)$")


def read_bgr8(path: str | Path) -> U8:
    """An image as OpenCV reads it by default: H×W×3 uint8 **BGR**.

    Raises:
        ImageReadError: the file is missing or OpenCV cannot decode it.
    """
    path = Path(path)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "no such file" if not path.exists() else "OpenCV cannot decode it"
        raise ImageReadError(f"cannot read '{path}': {reason}", path=path, reason=reason)
    return np.asarray(image, dtype=np.uint8)


def read_list_file(path: str | Path) -> list[str]:
    """Entries of a Vimeo/SNU-FILM list file, one per line, blank lines skipped.

    (Upstream keeps blank lines and then fails to read the images of an empty entry.)
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise ImageReadError(f"cannot read list '{path}': {err}", path=path) from err
    return [line.strip() for line in lines if line.strip()]


def augment_triplet(
    img0: U8,
    gt: U8,
    img1: U8,
    crop: tuple[int, int] | None,
    *,
    upscale_prob: float = UPSCALE_PROB,
) -> tuple[U8, U8, U8]:
    """Upstream's training augmentation, in its order and with its probabilities.

    p = ``upscale_prob`` (0.1) 2× upscale (OpenCV INTER_LINEAR); a random crop (same window
    for the three); p = 0.5 reverse the channel order; p = 0.5 vertical flip; p = 0.5
    horizontal flip; p = 0.5 rotate by k·90°, k uniform in {1, 2, 3}; p = 0.5 swap frame 0 and
    frame 1 (the ground truth stays the middle frame, t = 0.5).

    Args:
        img0, gt, img1: H×W×3 uint8 frames (BGR as read).
        crop: (height, width) of the crop, or ``None`` for no crop.
        upscale_prob: probability of the 2× upscale.

    Returns:
        ``(img0, gt, img1)``, possibly views with negative strides.

    Raises:
        JobError: the frames are smaller than the crop.
    """
    if random.uniform(0, 1) < upscale_prob:
        img0, gt, img1 = (
            np.asarray(
                cv2.resize(x, dsize=None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR),
                dtype=np.uint8,
            )
            for x in (img0, gt, img1)
        )
    if crop is not None:
        h, w = crop
        ih, iw = img0.shape[:2]
        if ih < h or iw < w:
            raise JobError(
                f"training frames of {iw}×{ih} are smaller than the {w}×{h} crop",
                setting="crop",
            )
        y = np.random.randint(0, ih - h + 1)
        x = np.random.randint(0, iw - w + 1)
        img0, gt, img1 = (a[y : y + h, x : x + w, :] for a in (img0, gt, img1))
    if random.uniform(0, 1) < 0.5:  # channel order (BGR ↔ RGB)
        img0, gt, img1 = (a[:, :, ::-1] for a in (img0, gt, img1))
    if random.uniform(0, 1) < 0.5:  # vertical flip
        img0, gt, img1 = (a[::-1] for a in (img0, gt, img1))
    if random.uniform(0, 1) < 0.5:  # horizontal flip
        img0, gt, img1 = (a[:, ::-1] for a in (img0, gt, img1))
    if random.uniform(0, 1) < 0.5:  # rotation by 90°, 180° or 270°
        k = np.random.randint(1, 4)
        img0, gt, img1 = (np.rot90(a, k) for a in (img0, gt, img1))
    if random.uniform(0, 1) < 0.5:  # temporal order
        img0, img1 = img1, img0
    return img0, gt, img1


def pack_triplet(img0: U8, gt: U8, img1: U8) -> torch.Tensor:
    """Three H×W×3 uint8 frames → uint8 tensor (9, H, W) = [img0, img1, gt]."""
    return torch.cat([torch.from_numpy(a.copy()).permute(2, 0, 1) for a in (img0, img1, gt)], dim=0)


def _as_crop(crop: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if crop is None:
        return None
    h, w = (crop, crop) if isinstance(crop, int) else crop
    if h < 1 or w < 1:
        raise JobError(f"the crop must be positive, got {w}×{h}", setting="crop")
    return h, w


def is_vimeo_root(path: str | Path) -> bool:
    """Whether ``path`` looks like ``vimeo_triplet/`` (a triplet list and ``sequences/``)."""
    path = Path(path)
    has_list = (path / "tri_trainlist.txt").is_file() or (path / "tri_testlist.txt").is_file()
    return has_list and (path / "sequences").is_dir()


class VimeoTriplets(Dataset[torch.Tensor]):
    """Vimeo-90K triplets (upstream ``core/dataset.py: VimeoDataset``).

    Layout: ``<root>/tri_trainlist.txt``, ``<root>/tri_testlist.txt`` (``xxxxx/yyyy`` per
    line) and ``<root>/sequences/<entry>/im1.png, im2.png, im3.png``; im1 = frame 0, im2 =
    ground truth, im3 = frame 1.

    Args:
        root: the ``vimeo_triplet`` folder.
        split: ``"train"`` (``tri_trainlist.txt``) or ``"test"`` (``tri_testlist.txt``).
        crop: square size or (height, width) of the training crop; ``None`` keeps 448×256.
        augment: apply :func:`augment_triplet`; default: for the train split only.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        crop: int | tuple[int, int] | None = 256,
        augment: bool | None = None,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.root = Path(root)
        self.split = split
        self.augment = split == "train" if augment is None else augment
        self.crop = _as_crop(crop) if self.augment else None
        list_path = self.root / ("tri_trainlist.txt" if split == "train" else "tri_testlist.txt")
        if not list_path.is_file():
            raise ImageReadError(
                f"'{self.root}' is not a vimeo_triplet folder: {list_path.name} is missing",
                path=list_path,
            )
        self.entries = read_list_file(list_path)

    def __len__(self) -> int:
        return len(self.entries)

    def paths(self, index: int) -> tuple[Path, Path, Path]:
        """(frame 0, ground truth, frame 1) files of triplet ``index``."""
        folder = self.root / "sequences" / self.entries[index]
        return folder / "im1.png", folder / "im2.png", folder / "im3.png"

    def __getitem__(self, index: int) -> torch.Tensor:
        p0, pt, p1 = self.paths(index)
        img0, gt, img1 = read_bgr8(p0), read_bgr8(pt), read_bgr8(p1)
        if self.augment:
            img0, gt, img1 = augment_triplet(img0, gt, img1, self.crop)
        return pack_triplet(img0, gt, img1)


@dataclass(frozen=True)
class _Sequence:
    name: str
    frames: dict[int, Path]


@dataclass(frozen=True)
class _Video:
    path: Path
    frame_count: int


def _scan(root: Path) -> tuple[list[_Sequence], list[_Video]]:
    from vtinker_core.io.video import VIDEO_EXTENSIONS, VideoReader

    image_exts = CV2_IMAGE_EXTENSIONS | OIIO_IMAGE_EXTENSIONS
    groups: dict[tuple[Path, str, str], dict[int, Path]] = {}
    videos: list[_Video] = []
    for path in sorted(root.rglob("*")):
        if path.name.startswith(".") or not path.is_file():
            continue
        ext = path.suffix.lower()
        if ext in VIDEO_EXTENSIONS:
            with VideoReader(path) as reader:
                videos.append(_Video(path, reader.frame_count))
            continue
        match = _NUMBERED.match(path.name)
        if ext in image_exts and match:
            key = (path.parent, match["prefix"], match["ext"])
            groups.setdefault(key, {})[int(match["number"])] = path
    sequences = [
        _Sequence(str(folder / f"{prefix}#{ext}"), frames)
        for (folder, prefix, ext), frames in groups.items()
    ]
    return sequences, videos


class FolderTriplets(Dataset[torch.Tensor]):
    """Triplets from every image sequence and video under a folder (a studio's footage).

    Args:
        root: folder searched recursively (hidden files skipped).
        gap: frame distance between frame 0, the ground truth and frame 1 (1: consecutive
            frames; 2: frames n, n+2, n+4, i.e. a 2× slower retime is learned).
        crop: square size or (height, width) of the training crop; ``None``: whole frames.
        augment: apply :func:`augment_triplet` (upstream's Vimeo augmentation).

    Raises:
        JobError: a gap below 1, or no triplet at all under ``root``.
    """

    def __init__(
        self,
        root: str | Path,
        gap: int = 1,
        crop: int | tuple[int, int] | None = 256,
        augment: bool = True,
    ) -> None:
        if gap < 1:
            raise JobError(f"the frame gap must be at least 1, got {gap}", setting="gap")
        self.root = Path(root)
        self.gap = gap
        self.augment = augment
        self.crop = _as_crop(crop) if augment else None
        self.sequences, self.videos = _scan(self.root)
        # (source kind, source index, frame 0, ground truth, frame 1)
        self.triplets: list[tuple[str, int, int, int, int]] = []
        for index, sequence in enumerate(self.sequences):
            numbers = sequence.frames
            for n in sorted(numbers):
                if n + gap in numbers and n + 2 * gap in numbers:
                    self.triplets.append(("sequence", index, n, n + gap, n + 2 * gap))
        for index, video in enumerate(self.videos):
            for n in range(video.frame_count - 2 * gap):
                self.triplets.append(("video", index, n, n + gap, n + 2 * gap))
        if not self.triplets:
            raise JobError(
                f"no training triplets under '{self.root}': need image sequences "
                f"(name<number>.ext) or videos with frames n, n+{gap}, n+{2 * gap}",
                setting="data",
            )
        self._readers: dict[int, Any] = {}
        self._colour: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Open video readers and OCIO processors stay in the process that made them.
        state = self.__dict__.copy()
        state["_readers"] = {}
        state["_colour"] = None
        return state

    def __len__(self) -> int:
        return len(self.triplets)

    def describe(self) -> str:
        """One line: how many sequences, videos and triplets were found."""
        return (
            f"{len(self.sequences)} image sequence(s), {len(self.videos)} video(s), "
            f"{len(self.triplets)} triplets with gap {self.gap}"
        )

    def _read_image(self, path: Path) -> U8:
        if path.suffix.lower() in CV2_IMAGE_EXTENSIONS:
            return read_bgr8(path)
        from vtinker_core.color import ColorPipeline
        from vtinker_core.io.images import read_frame

        frame = read_frame(path)
        names = frame.rgb_channels
        rgb = frame.select(names) if names else np.repeat(frame.pixels[:, :, :1], 3, axis=2)
        if self._colour is None:
            self._colour = ColorPipeline()
        space = self._colour.default_colorspace(path, frame.meta.bit_depth)
        model = self._colour.to_model(rgb, space).model
        return _to_bgr8(model)

    def _read_video(self, index: int, frame: int) -> U8:
        from vtinker_core.io.video import VideoReader

        reader = self._readers.get(index)
        if reader is None:
            reader = self._readers[index] = VideoReader(self.videos[index].path)
        return _to_bgr8(reader.read(frame).pixels[:, :, :3])

    def frames(self, index: int) -> tuple[U8, U8, U8]:
        """(frame 0, ground truth, frame 1) of triplet ``index`` as uint8 BGR, unaugmented."""
        kind, source, *numbers = self.triplets[index]
        if kind == "video":
            img0, gt, img1 = (self._read_video(source, n) for n in numbers)
        else:
            frames = self.sequences[source].frames
            img0, gt, img1 = (self._read_image(frames[n]) for n in numbers)
        return img0, gt, img1

    def __getitem__(self, index: int) -> torch.Tensor:
        img0, gt, img1 = self.frames(index)
        if self.augment:
            img0, gt, img1 = augment_triplet(img0, gt, img1, self.crop)
        return pack_triplet(img0, gt, img1)


def _to_bgr8(rgb: NDArray[Any]) -> U8:
    """H×W×3 float RGB in [0, 1] → uint8 BGR (rounded)."""
    quantised = np.clip(np.asarray(rgb, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(quantised[:, :, ::-1])


def open_training_data(
    root: str | Path,
    *,
    kind: str = "auto",
    crop: int | tuple[int, int] | None = 256,
    gap: int = 1,
    augment: bool = True,
) -> VimeoTriplets | FolderTriplets:
    """The training dataset of ``root``: Vimeo-90K when it has that layout, else a folder.

    Args:
        root: a ``vimeo_triplet`` folder, or any folder of image sequences / videos.
        kind: ``"auto"``, ``"vimeo"`` or ``"folder"``.
        crop: training crop.
        gap: frame gap of folder triplets (Vimeo triplets are fixed).
        augment: apply upstream's augmentation (crop included); ``False`` gives whole,
            unaltered frames.
    """
    root = Path(root)
    if not root.is_dir():
        raise JobError(f"training data '{root}' is not a folder", setting="data", path=root)
    if kind not in ("auto", "vimeo", "folder"):
        raise JobError(f"data kind must be auto, vimeo or folder, got {kind!r}", setting="data")
    if kind == "vimeo" or (kind == "auto" and is_vimeo_root(root)):
        return VimeoTriplets(root, "train", crop=crop, augment=augment)
    return FolderTriplets(root, gap=gap, crop=crop, augment=augment)


def split_batch(batch: torch.Tensor) -> Sequence[torch.Tensor]:
    """A float (N, 9, H, W) batch → (img0, img1, gt), each N×3×H×W."""
    return batch[:, 0:3], batch[:, 3:6], batch[:, 6:9]
