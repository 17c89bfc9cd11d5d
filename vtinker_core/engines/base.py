"""The interface every interpolation engine implements, and the motion it hands back.

An engine works in two steps, so that a slow-motion job with seven in-betweens estimates
motion once per source pair, not seven times::

    engine = create_engine("classical")
    pair = FramePair(image0, image1)              # H×W×3 float32, model encoding, [0, 1]
    motion = engine.estimate(pair)                # once per source pair
    for t in (0.25, 0.5, 0.75):
        rgb = engine.synthesize(pair, motion, t)  # H×W×3 float32, model encoding
        tile = engine.synthesize(pair, motion, t, Region(0, 0, 512, 512))  # one tile

Flows follow one convention everywhere (and Nuke's ``forward``/``backward`` layers are derived
from it by the render code): ``motion.forward[y, x] = (u, v)`` means the pixel at (x, y) of
frame 0 is found at (x + u, y + v) in frame 1; ``motion.backward`` is the same from frame 1 to
frame 0, on frame 1's pixels. Units are full-resolution pixels, x to the right, y down.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vtinker_core.frame import Pixels, Window

#: A rectangle of the frame (x, y, width, height) in array coordinates (0-based, y down).
Region = Window


@dataclass(frozen=True, eq=False)
class FramePair:
    """Two source frames in the model encoding.

    Attributes:
        image0: H×W×3 float32, display-referred RGB in [0, 1] (the model encoding), frame 0.
        image1: the same for frame 1 (same shape).
        key: an optional identity of the pair (e.g. the two source frame numbers), for caches.
    """

    image0: Pixels
    image1: Pixels
    key: Any = None

    def __post_init__(self) -> None:
        for name in ("image0", "image1"):
            image = getattr(self, name)
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.float32:
                raise ValueError(
                    f"FramePair.{name} must be H×W×3 float32, got {image.shape} {image.dtype}"
                )
        if self.image0.shape != self.image1.shape:
            raise ValueError(
                f"FramePair images differ in size: {self.image0.shape} vs {self.image1.shape}"
            )

    @property
    def height(self) -> int:
        return int(self.image0.shape[0])

    @property
    def width(self) -> int:
        return int(self.image0.shape[1])

    @property
    def full_region(self) -> Region:
        return Region(0, 0, self.width, self.height)


@dataclass(eq=False)
class Motion:
    """Bidirectional motion of a source pair, at full resolution, in pixels.

    Attributes:
        forward: H×W×2 float32, flow from frame 0 to frame 1 on frame 0's pixels (u, v).
        backward: H×W×2 float32, flow from frame 1 to frame 0 on frame 1's pixels (u, v).
        occlusion0: optional H×W float32 in [0, 1]: 1 where a frame-0 pixel is hidden in frame 1.
        occlusion1: optional H×W float32 in [0, 1]: 1 where a frame-1 pixel is hidden in frame 0.
        state: anything t-independent the engine wants to keep for ``synthesize`` (features,
            pyramids); opaque to everyone else.
    """

    forward: Pixels
    backward: Pixels
    occlusion0: Pixels | None = None
    occlusion1: Pixels | None = None
    state: Any = None


class Engine(ABC):
    """An interpolation engine. Subclasses set ``name`` and implement the two steps.

    An engine also declares what the renderer and the panel plan with, so nobody keeps a
    table about it elsewhere: :attr:`bytes_per_pixel_float32` (working memory of synthesis per
    pixel, what tile sizes follow; :meth:`memory_per_pixel` scales it by precision where the
    engine computes in that precision), :attr:`tile_align` (tile sizes and offsets are
    multiples of it), and the :attr:`device` and :attr:`precision` it runs on.
    """

    name: ClassVar[str] = ""
    #: Working memory of synthesis per output pixel at float32, in bytes.
    bytes_per_pixel_float32: ClassVar[float] = 512.0
    #: Whether half precision halves that memory (engines that compute in the precision).
    memory_follows_precision: ClassVar[bool] = False
    #: Tiles start and end on multiples of this many pixels.
    tile_align: ClassVar[int] = 1
    device: str = "cpu"
    precision: str = "float32"

    @classmethod
    def memory_per_pixel(cls, precision: str = "float32") -> float:
        """Working memory of synthesis per pixel at ``precision``, in bytes."""
        if cls.memory_follows_precision and precision != "float32":
            return cls.bytes_per_pixel_float32 / 2
        return cls.bytes_per_pixel_float32

    @property
    def bytes_per_pixel(self) -> float:
        """:meth:`memory_per_pixel` at this engine's own precision."""
        return self.memory_per_pixel(self.precision)

    @abstractmethod
    def estimate(self, pair: FramePair) -> Motion:
        """Motion (and any t-independent state) of ``pair``, computed once per source pair."""

    def estimate_at(self, pair: FramePair, detail: float) -> Motion:
        """Motion of ``pair`` estimated at ``detail`` × its resolution (Kronos Vector Detail).

        The default shrinks both frames (area averaging), estimates there and brings the flows
        (and occlusions) back to full size, bilinearly, scaled to full-resolution pixels; the
        returned motion carries no engine state, so synthesis works from its flows at full
        resolution. ``detail`` ≥ 1 is :meth:`estimate` itself. Engines that choose their own
        estimation resolution override this.
        """
        if detail >= 1.0:
            return self.estimate(pair)
        import cv2

        h, w = pair.height, pair.width
        small_w, small_h = max(round(w * detail), 16), max(round(h * detail), 16)
        if small_w >= w or small_h >= h:
            return self.estimate(pair)

        def shrink(image: Pixels) -> Pixels:
            out = cv2.resize(image, (small_w, small_h), interpolation=cv2.INTER_AREA)
            return np.ascontiguousarray(out, dtype=np.float32)

        coarse = self.estimate(FramePair(shrink(pair.image0), shrink(pair.image1)))
        scale = np.array([w / small_w, h / small_h], np.float32)

        def grow(field: Pixels | None, flow: bool) -> Pixels | None:
            if field is None:
                return None
            out = cv2.resize(np.asarray(field, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            return np.ascontiguousarray(out * scale if flow else out, dtype=np.float32)

        return Motion(
            forward=grow(coarse.forward, True),  # type: ignore[arg-type]
            backward=grow(coarse.backward, True),  # type: ignore[arg-type]
            occlusion0=grow(coarse.occlusion0, False),
            occlusion1=grow(coarse.occlusion1, False),
        )

    @abstractmethod
    def synthesize(
        self, pair: FramePair, motion: Motion, t: float, region: Region | None = None
    ) -> Pixels:
        """The frame at time ``t`` in [0, 1] between the pair, for ``region`` (default: all).

        Returns:
            region.height × region.width × 3 float32 in the model encoding. Values may lie
            slightly outside [0, 1]; nothing here clamps.
        """

    def describe(self) -> str:
        """One line saying what this engine is (shown by ``vtinker info`` and in logs)."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release memory held by the engine (models, caches). Optional."""


def crop(image: Pixels, region: Region | None) -> Pixels:
    """The ``region`` of an H×W×C array (the whole array when ``region`` is None)."""
    if region is None:
        return image
    return image[region.y : region.y + region.height, region.x : region.x + region.width]


def check_t(t: float) -> float:
    """``t`` as a float, or ``ValueError`` when it is outside [0, 1]."""
    value = float(t)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"t must lie in [0, 1], got {t}")
    return value
