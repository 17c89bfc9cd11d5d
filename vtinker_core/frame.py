"""Frames in memory: float32 pixels, channel names and the metadata a compositor expects kept.

A :class:`Frame` is what every reader returns and every writer takes::

    frame = read_frame(Path("plate.1001.exr"))
    frame.pixels.shape        # (H, W, C), float32, the data window's pixels
    frame.channels            # ("R", "G", "B", "A", "depth.Z")
    frame.meta.display_window # the display window, which may differ from the data window
    rgb = frame.select(("R", "G", "B"))

Pixels are the *data window* (what the file stores); the display window, pixel aspect,
timecode, frame rate, compression and on-disk bit depth travel in :class:`FrameMeta` together
with every other attribute OpenImageIO reports, so that a write of a retimed frame keeps them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

Pixels = NDArray[np.float32]


@dataclass(frozen=True)
class Window:
    """A pixel rectangle: origin (x, y) and size (width, height), as OIIO's ROI/ImageSpec.

    In EXR terms the window covers x .. x + width - 1 and y .. y + height - 1, y down.
    """

    x: int
    y: int
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width), in array order."""
        return (self.height, self.width)

    def union(self, other: Window) -> Window:
        """The smallest window holding both."""
        x, y = min(self.x, other.x), min(self.y, other.y)
        right = max(self.x + self.width, other.x + other.width)
        bottom = max(self.y + self.height, other.y + other.height)
        return Window(x, y, right - x, bottom - y)

    def contains(self, other: Window) -> bool:
        """Whether ``other`` lies wholly inside this window."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.width <= self.x + self.width
            and other.y + other.height <= self.y + self.height
        )


@dataclass(frozen=True)
class FrameMeta:
    """Metadata carried from a source file to the frames written from it.

    Attributes:
        data_window: where the stored pixels sit (OIIO ``x, y, width, height``).
        display_window: the image's nominal frame (OIIO ``full_*``); equal to the data window
            for most files, larger or smaller for overscan / cropped EXRs.
        pixel_aspect: pixel aspect ratio (width / height of one pixel).
        timecode: SMPTE timecode ``HH:MM:SS:FF`` (``;`` before FF for drop-frame), if known.
        fps: frames per second, exactly (23.976 is ``Fraction(24000, 1001)``), if known.
        compression: the file's compression name as OIIO spells it (``zip``, ``piz``, ...).
        bit_depth: on-disk sample type: ``uint8``, ``uint10``, ``uint12``, ``uint16``,
            ``half``, ``float``, ``uint32``.
        premultiplied: whether the colour channels are multiplied by alpha (associated
            alpha: EXR's convention) or not (straight: PNG, most TIFFs, video with alpha).
            Meaningless for frames without alpha.
        attributes: every other attribute OIIO reports, by its OIIO name.
    """

    data_window: Window
    display_window: Window
    pixel_aspect: float = 1.0
    timecode: str | None = None
    fps: Fraction | None = None
    compression: str | None = None
    bit_depth: str = "float"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    premultiplied: bool = True

    def replace(self, **changes: Any) -> FrameMeta:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, eq=False)
class Frame:
    """One image: float32 H×W×C pixels, one name per channel, and its metadata.

    Attributes:
        pixels: float32 array (H, W, C) of the data window. Values are whatever the file holds
            (scene-linear, log or display-referred); nothing is clipped.
        channels: C channel names, e.g. ``("R", "G", "B", "A", "depth.Z")``.
        meta: windows, timing and file attributes (see :class:`FrameMeta`).
    """

    pixels: Pixels
    channels: tuple[str, ...]
    meta: FrameMeta

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3:
            raise ValueError(f"Frame pixels must be H×W×C, got shape {self.pixels.shape}")
        if self.pixels.dtype != np.float32:
            raise ValueError(f"Frame pixels must be float32, got {self.pixels.dtype}")
        if self.pixels.shape[2] != len(self.channels):
            raise ValueError(
                f"Frame has {self.pixels.shape[2]} channels of pixels but "
                f"{len(self.channels)} names: {self.channels}"
            )

    @classmethod
    def from_array(
        cls,
        pixels: NDArray[Any],
        channels: Sequence[str] | None = None,
        meta: FrameMeta | None = None,
    ) -> Frame:
        """A frame from an H×W×C (or H×W) array, with default names and windows.

        Default channel names: Y; Y A; R G B; R G B A; then ``channel4`` ...
        """
        array = np.asarray(pixels, dtype=np.float32)
        if array.ndim == 2:
            array = array[:, :, None]
        h, w, c = array.shape
        names = tuple(channels) if channels is not None else default_channel_names(c)
        if meta is None:
            window = Window(0, 0, w, h)
            meta = FrameMeta(data_window=window, display_window=window)
        return cls(np.ascontiguousarray(array), names, meta)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def index(self, name: str) -> int:
        """The position of channel ``name``; ``KeyError`` listing the channels if absent."""
        try:
            return self.channels.index(name)
        except ValueError:
            raise KeyError(
                f"no channel {name!r}; the frame has {', '.join(self.channels)}"
            ) from None

    def select(self, names: Sequence[str]) -> Pixels:
        """A copy of the named channels, H×W×len(names) float32."""
        return np.ascontiguousarray(self.pixels[:, :, [self.index(n) for n in names]])

    @property
    def rgb_channels(self) -> tuple[str, str, str] | None:
        """The names of the colour channels (``R G B`` or the first ``*.R *.G *.B`` layer)."""
        if {"R", "G", "B"} <= set(self.channels):
            return ("R", "G", "B")
        for name in self.channels:
            if name.endswith(".R"):
                layer = name[:-2]
                g, b = f"{layer}.G", f"{layer}.B"
                if g in self.channels and b in self.channels:
                    return (name, g, b)
        return None

    @property
    def alpha_channel(self) -> str | None:
        """The alpha of the colour channels (``A``, or ``layer.A`` beside ``layer.R``), if any."""
        rgb = self.rgb_channels
        if rgb is None:
            return None
        layer = rgb[0][:-1]  # "" or "layer."
        name = f"{layer}A"
        return name if name in self.channels else None

    def placed_in(self, window: Window) -> Frame:
        """This frame with its data window widened to ``window``, zeros outside the old one.

        EXR semantics: every channel is 0 outside a file's data window, so the result shows
        the same image. Used to give every frame of a sequence whose data windows differ
        (CG renders with automatic bounding boxes) one common window.

        Raises:
            ValueError: ``window`` does not contain this frame's data window.
        """
        own = self.meta.data_window
        if window == own:
            return self
        if not window.contains(own):
            raise ValueError(f"window {window} does not contain the data window {own}")
        pixels = np.zeros((window.height, window.width, len(self.channels)), np.float32)
        x, y = own.x - window.x, own.y - window.y
        pixels[y : y + self.height, x : x + self.width] = self.pixels
        return Frame(pixels, self.channels, self.meta.replace(data_window=window))

    def with_pixels(self, pixels: NDArray[Any], channels: Sequence[str] | None = None) -> Frame:
        """A new frame with other pixels (same size unless windows are also changed)."""
        return Frame(
            np.ascontiguousarray(pixels, dtype=np.float32),
            tuple(channels) if channels is not None else self.channels,
            self.meta,
        )


def default_channel_names(count: int) -> tuple[str, ...]:
    """Conventional names for ``count`` unnamed channels."""
    known = {1: ("Y",), 2: ("Y", "A"), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}
    if count in known:
        return known[count]
    return ("R", "G", "B", "A", *(f"channel{i}" for i in range(4, count)))
