"""Video files through PyAV (FFmpeg): read frames by index, with their codec, depth and tags.

Example::

    from vtinker_core.io.video import VideoReader

    with VideoReader(Path("clip.mov")) as video:
        video.fps, video.frame_count         # Fraction(24000, 1001), 240
        video.info.codec, video.info.bit_depth, video.info.alpha   # "prores", "uint10", False
        video.info.tags                      # VideoTags("bt709", "bt709", "bt709", "tv")
        frame = video.read(0)                # float32 H×W×3 (or ×4 with alpha) code values
        for frame in video: ...              # every frame, in order

Frames are numbered 0 .. frame_count - 1 in presentation order. Reading frames in order keeps
the decoder where it is; jumping backwards or far ahead seeks to the nearest keyframe before the
wanted frame.

Pixels are the stream's RGB code values as float32 in [0, 1] (display-referred: what the
colourspace of the stream's tags says). YUV is converted with the stream's own matrix and range
(BT.709 assumed for untagged HD, BT.601 for untagged SD) through 16-bit RGB, so 10- and 12-bit
sources keep every level. Alpha (ProRes 4444, FFV1) is straight, as QuickTime stores it.

Writing lives in :mod:`vtinker_core.io.video_write`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np

from vtinker_core.colorspaces import VideoTags
from vtinker_core.errors import VideoError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io.yuv import rgb_from_video_frame

__all__ = ["VIDEO_EXTENSIONS", "VideoInfo", "VideoReader"]

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mxf", ".mpg", ".mpeg", ".ts", ".m2ts"}
)
# Forward jumps up to this many frames decode through instead of seeking.
_DECODE_AHEAD = 48
# FFmpeg's enum values ↔ FFmpeg's names (libavutil/pixfmt.h); 2 means unspecified.
PRIMARIES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "film",
    9: "bt2020",
    10: "smpte428",
    11: "smpte431",
    12: "smpte432",
    22: "ebu3213",
}
TRANSFERS = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    9: "log100",
    10: "log316",
    11: "iec61966-2-4",
    12: "bt1361e",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    17: "smpte428",
    18: "arib-std-b67",
}
MATRICES = {
    0: "gbr",
    1: "bt709",
    4: "fcc",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "ycgco",
    9: "bt2020nc",
    10: "bt2020c",
    14: "ictcp",
}
RANGES = {1: "tv", 2: "pc"}
UNSPECIFIED = 2
# Matrix name → the swscale colourspace PyAV names.
SWS_MATRIX = {
    "bt709": "ITU709",
    "fcc": "FCC",
    "bt470bg": "ITU601",
    "smpte170m": "ITU601",
    "smpte240m": "SMPTE240M",
    "bt2020nc": "BT2020",
    "bt2020c": "BT2020",
}
DEPTH_NAMES = {8: "uint8", 10: "uint10", 12: "uint12", 16: "uint16"}
DEPTH_BITS = {name: bits for bits, name in DEPTH_NAMES.items()}


@dataclass(frozen=True)
class VideoInfo:
    """What a video stream is.

    Attributes:
        codec: the decoder's name (``h264``, ``prores``, ``ffv1``...).
        profile: the codec profile as FFmpeg names it (``HQ``, ``4444``, ``High 10``), if any.
        pix_fmt: the decoded pixel format (``yuv422p10le``...).
        bit_depth: ``uint8``, ``uint10``, ``uint12`` or ``uint16``.
        alpha: the stream carries an alpha channel.
        tags: the stream's colour tags (None where untagged).
    """

    codec: str
    profile: str | None
    pix_fmt: str
    bit_depth: str
    alpha: bool
    tags: VideoTags


class VideoReader:
    """Random and sequential access to the frames of a video file's first video stream.

    Args:
        path: the video file.

    Attributes:
        path: the video file.
        fps: exact frame rate (``Fraction(24000, 1001)`` for 23.976).
        width, height: frame size in pixels.
        info: codec, pixel format, bit depth, alpha and colour tags (:class:`VideoInfo`).

    Raises:
        VideoError: missing, empty, unreadable or corrupt file, or no video stream.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _check_file(self.path)
        try:
            self._container: Any = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise VideoError(f"cannot read video '{self.path}': {err}", path=self.path) from err
        try:
            self._open_stream()
        except BaseException:
            self._container.close()
            raise

    def _open_stream(self) -> None:
        if not self._container.streams.video:
            raise VideoError(
                f"cannot read video '{self.path}': no video stream (corrupt or truncated "
                "file, or audio only)",
                path=self.path,
            )
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            raise VideoError(f"cannot read video '{self.path}': unknown frame rate", path=self.path)
        self.fps = Fraction(rate)
        context = stream.codec_context
        self.width: int = context.width
        self.height: int = context.height
        self._count: int | None = stream.frames or None
        self._decoder: Iterator[Any] = iter(())
        self._next_index = 0
        self._time_base = Fraction(stream.time_base)
        first = self._decode_next(0)  # proves the stream decodes; learns where it starts
        self._first_pts = first.pts if first.pts is not None else 0
        self._pending: tuple[int, Any] | None = (0, first)
        self._next_index = 1
        fmt = first.format
        bits = max(component.bits for component in fmt.components)
        self._alpha = any(component.is_alpha for component in fmt.components)
        tags = VideoTags(
            PRIMARIES.get(context.color_primaries),
            TRANSFERS.get(context.color_trc),
            MATRICES.get(context.colorspace) if context.colorspace != UNSPECIFIED else None,
            "pc" if fmt.name.startswith("yuvj") else RANGES.get(context.color_range),
        )
        self.info = VideoInfo(
            codec=context.name,
            profile=context.profile or None,
            pix_fmt=fmt.name,
            bit_depth=DEPTH_NAMES.get(bits, "uint16" if bits > 8 else "uint8"),
            alpha=self._alpha,
            tags=tags,
        )
        self._rgb = bool(fmt.is_rgb)

    @property
    def codec(self) -> str:
        return self.info.codec

    @property
    def bit_depth(self) -> str:
        return self.info.bit_depth

    @property
    def channels(self) -> tuple[str, ...]:
        return ("R", "G", "B", "A") if self._alpha else ("R", "G", "B")

    @property
    def frame_count(self) -> int:
        """Exact number of frames: the container's count, else counted by decoding."""
        if self._count is None:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                try:
                    self._count = sum(1 for _ in container.decode(stream))
                except av.error.FFmpegError as err:
                    raise VideoError(
                        f"cannot count the frames of '{self.path}': {err}", path=self.path
                    ) from err
        return self._count

    def __len__(self) -> int:
        return self.frame_count

    def read(self, index: int) -> Frame:
        """Frame ``index`` (0-based) as float32 H×W×3 RGB (×4 RGBA) code values in [0, 1].

        Raises:
            VideoError: index outside 0 .. frame_count - 1, or a decoding failure.
        """
        if not 0 <= index < self.frame_count:
            raise VideoError(
                f"frame {index} is outside '{self.path}' (frames 0-{self.frame_count - 1})",
                path=self.path,
                frame=index,
            )
        if self._pending is not None and self._pending[0] == index:
            return self._to_frame(self._pending[1])
        if not self._next_index <= index < self._next_index + _DECODE_AHEAD:
            self._seek(index)
        while True:
            found, video_frame = self._next_indexed(index)
            if found == index:
                self._pending = (index, video_frame)
                return self._to_frame(video_frame)
            if found > index:  # the seek overshot (unusual keyframe layout): start over
                self._seek(0, exact=False)

    def __iter__(self) -> Iterator[Frame]:
        for index in range(self.frame_count):
            yield self.read(index)

    def close(self) -> None:
        """Release the file."""
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- decoding ---------------------------------------------------------------------------

    def _seek(self, index: int, *, exact: bool = True) -> None:
        """Put the decoder on the keyframe at or before ``index``."""
        target = self._first_pts
        if exact:
            target += round(index / self.fps / self._time_base)
        try:
            self._container.seek(target, stream=self._stream, backward=True)
        except av.error.FFmpegError as err:
            raise VideoError(
                f"cannot seek to frame {index} in '{self.path}': {err}",
                path=self.path,
                frame=index,
            ) from err
        self._decoder = iter(())
        self._next_index = -1  # unknown until a frame's timestamp tells
        self._pending = None

    def _next_indexed(self, wanted: int) -> tuple[int, Any]:
        video_frame = self._decode_next(wanted)
        if self._next_index < 0 and video_frame.pts is not None:
            time = (video_frame.pts - self._first_pts) * self._time_base
            index = round(time * self.fps)
        else:
            index = max(self._next_index, 0)
        self._next_index = index + 1
        return index, video_frame

    def _decode_next(self, wanted: int) -> Any:
        for _attempt in range(2):
            try:
                return next(self._decoder)
            except StopIteration:
                self._decoder = self._container.decode(self._stream)
            except (av.error.FFmpegError, ValueError) as err:
                raise VideoError(
                    f"cannot decode frame {wanted} of '{self.path}': {err} (the file may be "
                    "corrupt or truncated)",
                    path=self.path,
                    frame=wanted,
                ) from err
        raise VideoError(
            f"cannot decode frame {wanted} of '{self.path}': the video ends before it "
            "(the file may be truncated)",
            path=self.path,
            frame=wanted,
        )

    def _to_frame(self, video_frame: Any) -> Frame:
        matrix = MATRICES.get(video_frame.colorspace) or self.info.tags.matrix
        if matrix is None:
            matrix = "bt709" if self.height >= 720 else "smpte170m"
        full = self.info.tags.color_range == "pc" or RANGES.get(video_frame.color_range) == "pc"
        pixels = rgb_from_video_frame(video_frame, matrix=matrix, full_range=full)
        window = Window(0, 0, pixels.shape[1], pixels.shape[0])
        meta = FrameMeta(
            window, window, fps=self.fps, bit_depth=self.info.bit_depth, premultiplied=False
        )
        return Frame(np.ascontiguousarray(pixels), self.channels, meta)


def _check_file(path: Path) -> None:
    """Plain file-system checks with clearer messages than FFmpeg's."""
    try:
        if path.is_dir():
            raise VideoError(f"cannot read video '{path}': it is a folder", path=path)
        if path.stat().st_size == 0:
            raise VideoError(f"cannot read video '{path}': the file is empty (0 bytes)", path=path)
        with path.open("rb"):
            pass
    except FileNotFoundError as err:
        raise VideoError(f"cannot read video '{path}': no such file", path=path) from err
    except PermissionError as err:
        raise VideoError(
            f"cannot read video '{path}': permission denied; check the file's permissions",
            path=path,
        ) from err
    except OSError as err:
        raise VideoError(f"cannot read video '{path}': {err.strerror or err}", path=path) from err

