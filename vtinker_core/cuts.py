"""Scene cuts: find them, let the user edit the list, and never interpolate across one.

An in-between of two frames from different shots is a smeared double exposure, so a timing
sample whose source pair straddles a cut holds the nearer whole frame instead::

    cuts = detect_cuts(range(1001, 1101), read)   # read(frame) -> H×W×3 float32 in [0, 1]
    cuts                                          # [1012, 1040]: 1012 starts a new shot
    save_cuts(Path("shot.cuts.json"), cuts)       # the user may edit this file
    cuts = load_cuts(Path("shot.cuts.json"))      # or parse_cuts("1012, 1040")
    samples = apply_cuts(build_timing(spec, range(1001, 1101)), cuts)

The measure (:func:`cut_score`, in [0, 1]) compares two 64×36 luma thumbnails (Rec. 709 luma
of the RGB clipped to [0, 1], area-averaged) and takes the larger of:

* **structure**: half the mean absolute difference of the two thumbnails after each is
  standardised (mean removed, divided by its standard deviation, but by no less than 0.05 so
  that flat or nearly black frames do not amplify noise). Fades and exposure changes keep the
  structure, so they score ≈ 0; unrelated pictures score ≈ 0.56 (uncorrelated, Gaussian-like
  values), a picture and its negative ≈ 0.8.
* **tone**: the earth mover's distance between the two 64-bin luma histograms (the area
  between their cumulative histograms, in luma units). It catches cuts between flat frames (black
  to white scores 63/64) and is small for a fade, whose tone moves a little per frame.

A cut is reported above :data:`DEFAULT_THRESHOLD` (0.3), well above the ≲ 0.1 of noise,
slow camera moves, fades and dissolves and well below unrelated pictures.
Camera motion of less than a thumbnail pixel per frame (1/64 of the width) scores low; a whip pan
may score like a cut, which is harmless: interpolating across one fails just the same.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from vtinker_core.errors import JobError
from vtinker_core.timing import Sample

#: A cut is reported where :func:`cut_score` exceeds this.
DEFAULT_THRESHOLD = 0.3
#: Thumbnail size, (width, height).
THUMBNAIL_SIZE = (64, 36)
HISTOGRAM_BINS = 64
_STD_FLOOR = 0.05
_LUMA = np.array([0.2126, 0.7152, 0.0722])


@dataclass(frozen=True, eq=False)
class _Signature:
    """What the measure keeps of one frame: its standardised thumbnail and luma CDF."""

    structure: NDArray[np.float64]  # 36×64, standardised luma
    cdf: NDArray[np.float64]  # 63 values, the cumulative histogram at the inner bin edges


def _shrink(plane: NDArray[np.float64], size: int, axis: int) -> NDArray[np.float64]:
    """Area-average ``plane`` to ``size`` samples along ``axis`` (nearest when it is smaller)."""
    length = plane.shape[axis]
    result: NDArray[np.float64]
    if length < size:
        result = np.take(plane, (np.arange(size) * length) // size, axis=axis)
    else:
        edges = (np.arange(size + 1) * length) // size
        sums = np.add.reduceat(plane, edges[:-1], axis=axis)
        counts = np.diff(edges).reshape([-1 if a == axis else 1 for a in range(plane.ndim)])
        result = sums / counts
    return result


def _signature(image: NDArray[np.floating]) -> _Signature:
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"cut detection needs H×W×3 images, got shape {image.shape}")
    rgb = np.clip(np.nan_to_num(image[..., :3].astype(np.float64), nan=0.0), 0.0, 1.0)
    luma = rgb @ _LUMA
    width, height = THUMBNAIL_SIZE
    thumb = _shrink(_shrink(luma, height, 0), width, 1)
    structure = (thumb - thumb.mean()) / max(float(thumb.std()), _STD_FLOOR)
    hist, _ = np.histogram(thumb, bins=HISTOGRAM_BINS, range=(0.0, 1.0))
    cdf = np.cumsum(hist)[:-1] / thumb.size
    return _Signature(structure, cdf)


def _score(a: _Signature, b: _Signature) -> float:
    structure = 0.5 * float(np.mean(np.abs(a.structure - b.structure)))
    tone = float(np.sum(np.abs(a.cdf - b.cdf))) / HISTOGRAM_BINS
    return min(max(structure, tone), 1.0)


def cut_score(image_a: NDArray[np.floating], image_b: NDArray[np.floating]) -> float:
    """How likely a scene cut lies between two consecutive frames, in [0, 1].

    Args:
        image_a: H×W×3 float32 RGB in [0, 1] (the model encoding); values outside are clipped,
            NaN reads as 0, channels after the third are ignored.
        image_b: the next frame, same layout (its size may differ).

    Returns:
        The score described in the module docstring: ≈ 0 for the same shot, ≈ 0.5 or more
        for unrelated pictures.

    Raises:
        ValueError: an image is not H×W×3 (or more channels).
    """
    return _score(_signature(image_a), _signature(image_b))


def score_cuts(
    frames: Sequence[int], read: Callable[[int], NDArray[np.floating]]
) -> dict[int, float]:
    """The cut score between each frame and the one before it, reading every frame once.

    Args:
        frames: source frame numbers in playback order.
        read: returns a frame's pixels, H×W×3 float32 in [0, 1].

    Returns:
        ``{f: cut_score(previous frame, f)}`` for every frame but the first.
    """
    scores: dict[int, float] = {}
    previous: _Signature | None = None
    for frame in frames:
        current = _signature(read(frame))
        if previous is not None:
            scores[frame] = _score(previous, current)
        previous = current
    return scores


def detect_cuts(
    frames: Sequence[int],
    read: Callable[[int], NDArray[np.floating]],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[int]:
    """The frames that start a new shot (a cut lies between f − 1 and f).

    Args:
        frames: source frame numbers in playback order.
        read: returns a frame's pixels, H×W×3 float32 in [0, 1].
        threshold: a score above this is a cut, in (0, 1]; lower finds more.

    Returns:
        The frame after each cut, in ``frames`` order.

    Raises:
        JobError: ``setting="cuts.threshold"``: the threshold is not in (0, 1].
    """
    if isinstance(threshold, bool) or not 0.0 < float(threshold) <= 1.0:
        raise JobError(
            f"cuts.threshold: expected a number in (0, 1], got {threshold!r}",
            setting="cuts.threshold",
        )
    return [f for f, score in score_cuts(frames, read).items() if score > threshold]


def parse_cuts(text: str) -> list[int]:
    """A cut list from ``"1012,1040"`` (commas, semicolons or spaces) or JSON.

    JSON may be ``[1012, 1040]`` or ``{"cuts": [1012, 1040]}``. Each number is the first frame
    of a new shot.

    Returns:
        The cut frames, sorted, without repeats (empty text: no cuts).

    Raises:
        JobError: ``setting="cuts"``: not a list of whole frame numbers.
    """
    stripped = text.strip()
    items: Iterable[object]
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise JobError(f"cuts: invalid JSON: {err}", setting="cuts") from err
        if isinstance(data, dict):
            data = data.get("cuts")
        if not isinstance(data, list):
            raise JobError("cuts: expected a list of frame numbers", setting="cuts")
        items = data
    else:
        items = [item for item in re.split(r"[,;\s]+", stripped) if item]
    cuts: set[int] = set()
    for item in items:
        try:
            if isinstance(item, bool) or not isinstance(item, int | float | str):
                raise TypeError(type(item).__name__)
            value = float(item)
            if value != int(value):
                raise ValueError(item)
        except (TypeError, ValueError, OverflowError) as err:
            raise JobError(f"cuts: {item!r} is not a frame number", setting="cuts") from err
        cuts.add(int(value))
    return sorted(cuts)


def load_cuts(path: str | Path) -> list[int]:
    """A cut list from a file (see :func:`parse_cuts`).

    Raises:
        JobError: ``setting="cuts"``, ``path`` set: unreadable or invalid file.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise JobError(f"cuts: cannot read '{path}': {err}", setting="cuts", path=path) from err
    try:
        return parse_cuts(text)
    except JobError as err:
        raise JobError(f"{err.message} (in '{path}')", setting="cuts", path=path) from err


def save_cuts(path: str | Path, cuts: Iterable[int]) -> None:
    """Write a cut list as ``{"cuts": [...]}`` JSON for the user to review and edit."""
    text = json.dumps({"cuts": sorted({int(c) for c in cuts})}, indent=2) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def apply_cuts(samples: Iterable[Sample], cuts: Iterable[int]) -> list[Sample]:
    """Replace every in-between that would straddle a cut by a hold of the nearer frame.

    A sample straddles cut c when ``frame_a < c <= frame_b``. Frames span half a frame either
    side of their number, so the old shot ends at ``c − 1/2``: a position before that holds
    ``frame_a``, a position at or after it holds ``frame_b``. For a pair of adjacent frames this
    is ``t < 0.5`` → ``frame_a``, ``t >= 0.5`` → ``frame_b`` (a tie goes to the new shot); for a
    wider pair (a hole, or :func:`~vtinker_core.timing.retime_fill`) it keeps the position on
    its own side of the cut. Were a pair to straddle several cuts, a position between them
    holds the nearer end by ``t``. A hold is a copy (``t == 0``, ``position`` the held frame)
    with ``hold_cut`` set to the cut concerned; other samples are returned unchanged.

    Args:
        samples: a timing (any order).
        cuts: first frames of new shots.

    Returns:
        The samples, in the same order.
    """
    ordered = sorted(set(cuts))
    result: list[Sample] = []
    for sample in samples:
        a, b = sample.frame_a, sample.frame_b
        inside = ordered[bisect.bisect_right(ordered, a) : bisect.bisect_right(ordered, b)]
        if sample.is_copy or not inside:
            result.append(sample)
            continue
        if sample.position < inside[0] - 0.5:
            held, cut = a, inside[0]
        elif sample.position >= inside[-1] - 0.5:
            held, cut = b, inside[-1]
        else:
            held, cut = (a, inside[0]) if sample.t < 0.5 else (b, inside[-1])
        result.append(Sample(sample.output_frame, float(held), held, held, 0.0, hold_cut=cut))
    return result
