"""Video files through PyAV (FFmpeg): read frames by index, write H.264 or ProRes.

Example::

    from vtinker_core.io.video import VideoReader, write_video

    with VideoReader(Path("clip.mov")) as video:
        video.fps, video.frame_count         # Fraction(24000, 1001), 240
        video.primaries, video.transfer      # "bt709", "bt709" (None when untagged)
        frame = video.read(0)                # float32 H×W×3 RGB in [0, 1]
        for frame in video: ...              # every frame, in order

    write_video(Path("preview.mp4"), frames, Fraction(24))              # H.264, yuv420p
    write_video(Path("master.mov"), frames, Fraction(24), "prores")    # ProRes 422 HQ

Frames are numbered 0 .. frame_count - 1 in presentation order. Reading frames in order keeps
the decoder where it is; jumping backwards or far ahead seeks to the nearest keyframe before the
wanted frame. YUV is converted to RGB with the stream's own matrix and range (BT.709 assumed
for untagged HD, BT.601 for untagged SD). Writes go to a hidden temporary file renamed over the
final name when complete.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import Interpolation
from numpy.typing import NDArray

from vtinker_core.errors import VideoError
from vtinker_core.frame import Frame, FrameMeta, Window

__all__ = ["VIDEO_EXTENSIONS", "VideoReader", "write_video"]

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mxf", ".mpg", ".mpeg", ".ts", ".m2ts"}
)
# Forward jumps up to this many frames decode through instead of seeking.
_DECODE_AHEAD = 48
# FFmpeg's enum values → FFmpeg's names (libavutil/pixfmt.h); 2 means unspecified.
_PRIMARIES = {
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
_TRANSFERS = {
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
_MATRICES = {
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
_RANGES = {1: "tv", 2: "pc"}
# FFmpeg matrix enum → the swscale colourspace PyAV names.
_SWS_MATRIX = {
    1: "ITU709",
    4: "FCC",
    5: "ITU601",
    6: "ITU601",
    7: "SMPTE240M",
    9: "BT2020",
    10: "BT2020",
}
# Full chroma interpolation and accurate rounding: swscale's fast path is off by 1-2 codes.
_SCALE_FLAGS = (
    Interpolation.BILINEAR
    | Interpolation.ACCURATE_RND
    | Interpolation.FULL_CHR_H_INT
    | Interpolation.FULL_CHR_H_INP
)
# Codec choice → (encoder, pixel format, options, containers it goes in).
_CODECS: dict[str, tuple[str, str, dict[str, str], tuple[str, ...]]] = {
    "h264": ("libx264", "yuv420p", {"preset": "medium"}, (".mp4", ".mov", ".mkv", ".m4v")),
    "prores": ("prores_ks", "yuv422p10le", {"profile": "3"}, (".mov", ".mkv")),
}


class VideoReader:
    """Random and sequential access to the frames of a video file's first video stream.

    Args:
        path: the video file.

    Attributes:
        path: the video file.
        fps: exact frame rate (``Fraction(24000, 1001)`` for 23.976).
        width: frame width in pixels.
        height: frame height in pixels.
        codec: the decoder's name (``h264``, ``prores``...).
        bit_depth: ``uint8`` for 8-bit sources, ``uint16`` for deeper ones.
        primaries, transfer, matrix, color_range: the stream's colour tags in FFmpeg's
            spelling (``bt709``, ``iec61966-2-1``, ``bt2020nc``, ``tv``/``pc``), None if untagged.

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
        self.codec: str = context.name
        self.width: int = context.width
        self.height: int = context.height
        self.primaries = _PRIMARIES.get(context.color_primaries)
        self.transfer = _TRANSFERS.get(context.color_trc)
        self.matrix = _MATRICES.get(context.colorspace) if context.colorspace != 2 else None
        self.color_range = _RANGES.get(context.color_range)
        self._count: int | None = stream.frames or None
        self._decoder: Iterator[Any] = iter(())
        self._next_index = 0
        self._time_base = Fraction(stream.time_base)
        first = self._decode_next(0)  # proves the stream decodes; learns where it starts
        self._first_pts = first.pts if first.pts is not None else 0
        self._pending: tuple[int, Any] | None = (0, first)
        self._next_index = 1
        depth = max(component.bits for component in first.format.components)
        self.bit_depth = "uint16" if depth > 8 else "uint8"

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
        """Frame ``index`` (0-based) as float32 H×W×3 RGB in [0, 1].

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
        deep = self.bit_depth == "uint16"
        matrix = _SWS_MATRIX.get(video_frame.colorspace)
        if matrix is None:
            matrix = "ITU709" if self.height >= 720 else "ITU601"
        full = video_frame.color_range == 2 or video_frame.format.name.startswith("yuvj")
        rgb = video_frame.reformat(
            format="rgb48le" if deep else "rgb24",
            src_colorspace=matrix,
            src_color_range="JPEG" if full else "MPEG",
            interpolation=_SCALE_FLAGS,
        ).to_ndarray()
        pixels = rgb.astype(np.float32) / np.float32(65535.0 if deep else 255.0)
        window = Window(0, 0, pixels.shape[1], pixels.shape[0])
        meta = FrameMeta(window, window, fps=self.fps, bit_depth=self.bit_depth)
        return Frame(np.ascontiguousarray(pixels), ("R", "G", "B"), meta)


def write_video(
    path: str | Path,
    frames: Iterable[Frame | NDArray[Any]],
    fps: Fraction,
    codec: str = "h264",
    *,
    crf: int = 18,
) -> None:
    """Encode frames into a video file atomically.

    Args:
        path: destination (``.mp4``/``.mov``/``.mkv`` for H.264, ``.mov``/``.mkv`` for ProRes).
        frames: :class:`Frame` objects (their R, G, B; a single channel is shown as grey) or
            float H×W×3 arrays, display-referred RGB in [0, 1] (clipped to it). All the same
            size; H.264 needs even width and height, ProRes an even width.
        fps: exact frame rate, e.g. ``Fraction(24000, 1001)``.
        codec: ``h264`` (libx264, yuv420p, ``crf``) or ``prores`` (prores_ks 422 HQ,
            yuv422p10le). Streams are tagged BT.709.
        crf: H.264 quality, 0 (lossless) .. 51; 18 looks transparent.

    Raises:
        VideoError: unknown or unavailable codec, a container that cannot hold it, no frames,
            odd or changing frame sizes, or an FFmpeg failure. Nothing is left under ``path``.
    """
    path = Path(path)
    name = codec.lower()
    name = {"libx264": "h264", "avc": "h264", "prores_ks": "prores"}.get(name, name)
    if name not in _CODECS:
        raise VideoError(
            f"cannot write '{path}': unknown codec {codec!r}; use 'h264' or 'prores'", path=path
        )
    encoder, pix_fmt, options, containers = _CODECS[name]
    if encoder not in av.codec.codecs_available:
        raise VideoError(
            f"cannot write '{path}': this FFmpeg build has no {encoder} encoder for {name}",
            path=path,
        )
    if path.suffix.lower() not in containers:
        raise VideoError(
            f"cannot write '{path}': {name} goes in a {' or '.join(containers)} file",
            path=path,
        )
    if not path.parent.is_dir():
        raise VideoError(
            f"cannot write '{path}': the folder '{path.parent}' does not exist", path=path
        )
    if name == "h264":
        options = {**options, "crf": str(int(crf))}
    temp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}{path.suffix}")
    try:
        _encode(temp, path, frames, Fraction(fps), encoder, pix_fmt, options)
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise VideoError(f"cannot write '{path}': {err}", path=path) from err
    finally:
        temp.unlink(missing_ok=True)


def _encode(
    temp: Path,
    path: Path,
    frames: Iterable[Frame | NDArray[Any]],
    fps: Fraction,
    encoder: str,
    pix_fmt: str,
    options: dict[str, str],
) -> None:
    deep = pix_fmt.endswith("10le")
    with av.open(str(temp), "w") as container:
        stream: Any = None
        count = 0
        for count, item in enumerate(frames, start=1):
            rgb = _rgb_of(item, path, count - 1)
            height, width = rgb.shape[:2]
            if stream is None:
                _check_size(path, width, height, pix_fmt)
                stream = container.add_stream(encoder, rate=fps)
                stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
                stream.options = options
                context = stream.codec_context
                context.color_primaries = context.color_trc = context.colorspace = 1
                context.color_range = 1
            elif (width, height) != (stream.width, stream.height):
                raise VideoError(
                    f"cannot write '{path}': frame {count - 1} is {width}x{height}, the first "
                    f"frame {stream.width}x{stream.height}; all frames need the same size",
                    path=path,
                    frame=count - 1,
                )
            top = 65535.0 if deep else 255.0
            codes = np.rint(np.clip(np.nan_to_num(rgb, nan=0.0), 0.0, 1.0) * top)
            source = av.VideoFrame.from_ndarray(
                codes.astype(np.uint16 if deep else np.uint8), format="rgb48le" if deep else "rgb24"
            )
            video_frame = source.reformat(
                format=pix_fmt,
                dst_colorspace="ITU709",
                dst_color_range="MPEG",
                interpolation=_SCALE_FLAGS,
            )
            video_frame.pts = count - 1
            container.mux(stream.encode(video_frame))
        if stream is None:
            raise VideoError(f"cannot write '{path}': no frames to write", path=path)
        container.mux(stream.encode(None))


def _rgb_of(item: Frame | NDArray[Any], path: Path, index: int) -> NDArray[np.float32]:
    if isinstance(item, Frame):
        names = item.rgb_channels
        if names is not None:
            return item.select(names)
        if item.pixels.shape[2] == 1:
            return np.repeat(item.pixels, 3, axis=2)
        raise VideoError(
            f"cannot write frame {index} to '{path}': it has no R, G, B channels "
            f"({', '.join(item.channels)})",
            path=path,
            frame=index,
        )
    array = np.asarray(item, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 3:
        raise VideoError(
            f"cannot write frame {index} to '{path}': expected an H×W×3 array, got shape "
            f"{array.shape}",
            path=path,
            frame=index,
        )
    return array


def _check_size(path: Path, width: int, height: int, pix_fmt: str) -> None:
    odd_height = pix_fmt.startswith("yuv420") and height % 2
    if width % 2 or odd_height:
        need = "even width and height" if pix_fmt.startswith("yuv420") else "an even width"
        raise VideoError(
            f"cannot write '{path}': {pix_fmt} video needs {need}, the frames are "
            f"{width}x{height}; crop or pad them by a pixel first",
            path=path,
        )


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
