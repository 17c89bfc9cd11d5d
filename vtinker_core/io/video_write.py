"""Video files written as their frames are made: codec, depth and tags decided up front.

Example::

    from vtinker_core.io.video_write import VideoWriter, plan_video_output, write_video

    output = plan_video_output(Path("out.mov"), width=1920, height=1080, source=video.info)
    with VideoWriter(Path("out.mov"), Fraction(24), output) as writer:   # ProRes, like the source
        writer.write(frame)                  # encoded at once; nothing is kept in memory

    write_video(Path("preview.mp4"), frames, Fraction(24))    # H.264, BT.709, limited range

The codec follows ``codec``, else the source's codec when the container holds it, else the
container (``.mp4``/``.mkv`` H.264, ``.mov`` ProRes 422 HQ, ``.mxf`` DNxHR, ``.avi`` FFV1); the
bit depth follows the source, within what the codec stores; streams carry the colour tags given.
Frames become the encoder's pixel format with the tags' matrix and range, computed exactly
(:mod:`vtinker_core.io.yuv`).
A file appears under its name only when complete (a hidden temporary file is renamed).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from vtinker_core.colorspaces import VideoTags
from vtinker_core.errors import VideoError
from vtinker_core.frame import Frame
from vtinker_core.io.video import (
    DEPTH_BITS,
    DEPTH_NAMES,
    MATRICES,
    PRIMARIES,
    TRANSFERS,
    UNSPECIFIED,
    VideoInfo,
)
from vtinker_core.io.yuv import KR_KB, video_frame_from_rgb

__all__ = ["VIDEO_CODECS", "VideoOutput", "VideoWriter", "plan_video_output", "write_video"]


@dataclass(frozen=True)
class _Codec:
    """One codec we write: its encoder, the depths and containers it takes."""

    encoder: str
    depths: tuple[int, ...]
    float_depth: int  # the depth a float (EXR) source gets by default
    alpha: bool
    containers: tuple[str, ...]
    decoders: tuple[str, ...]  # decoder names of sources written with this codec
    options: dict[str, str] = field(default_factory=dict)
    rgb: bool = False  # codes RGB planes rather than YUV by default


#: The codecs ``--codec`` offers.
VIDEO_CODECS: dict[str, _Codec] = {
    "h264": _Codec(
        "libx264", (8, 10), 8, False, (".mp4", ".mov", ".mkv", ".m4v"), ("h264",),
        # x264's medium preset looks 40 frames ahead and holds those frames (+300 MiB at
        # 1080p once a clip passes 40 frames): 10 keeps a render's peak flat from its first
        # frames on (benchmarks/bench_video_memory.py), at a small cost in bitrate at a CRF.
        {"preset": "medium", "rc-lookahead": "10"},
    ),
    "hevc": _Codec(
        "libx265", (8, 10, 12), 10, False, (".mp4", ".mov", ".mkv", ".m4v"), ("hevc",),
        # x265 holds its lookahead and B-frame queue too: 5 frames ahead and 2 B-frames keep
        # its peak flat (measured: +0.6 % from 20 to 160 frames at 1080p).
        {"preset": "medium", "x265-params": "log-level=error:rc-lookahead=5:bframes=2"},
    ),
    "prores": _Codec("prores_ks", (10,), 10, True, (".mov", ".mkv"), ("prores",)),
    "dnxhr": _Codec("dnxhd", (8, 10), 10, False, (".mov", ".mxf"), ("dnxhd",)),
    "ffv1": _Codec(
        "ffv1", (8, 10, 12, 16), 16, True, (".mkv", ".avi"), ("ffv1",), {"level": "3"}, rgb=True
    ),
}  # fmt: skip
_CODEC_ALIASES = {"libx264": "h264", "avc": "h264", "x264": "h264", "h265": "hevc",
                  "libx265": "hevc", "x265": "hevc", "prores_ks": "prores",
                  "dnxhd": "dnxhr"}  # fmt: skip
_CONTAINER_CODEC = {".mp4": "h264", ".m4v": "h264", ".mov": "prores", ".mkv": "h264",
                    ".mxf": "dnxhr", ".avi": "ffv1"}  # fmt: skip
_CONTAINER_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska",
                      ".mxf": "mxf", ".avi": "avi"}  # fmt: skip
# ProRes profiles as FFmpeg's decoder names them → prores_ks profile numbers.
_PRORES_PROFILES = {"proxy": "0", "lt": "1", "standard": "2", "hq": "3", "4444": "4", "xq": "5"}


@dataclass(frozen=True)
class VideoOutput:
    """How a video file will be written (see :func:`plan_video_output`).

    Attributes:
        codec: our codec name (a key of :data:`VIDEO_CODECS`).
        pix_fmt: the encoder's pixel format.
        bit_depth: ``uint8``, ``uint10``, ``uint12`` or ``uint16``.
        alpha: alpha is written.
        options: encoder options (profile, quality).
        tags: the colour tags the stream carries.
        width, height: frame size.
        notes: what the user should know (a depth lowered to what the codec stores, alpha
            left out); the caller shows them as warnings.
    """

    codec: str
    pix_fmt: str
    bit_depth: str
    alpha: bool
    options: dict[str, str]
    tags: VideoTags
    width: int
    height: int
    notes: tuple[str, ...] = ()


def plan_video_output(
    path: str | Path,
    *,
    width: int,
    height: int,
    codec: str | None = None,
    bit_depth: str | None = None,
    source: VideoInfo | None = None,
    source_bit_depth: str | None = None,
    alpha: bool = False,
    tags: VideoTags | None = None,
    crf: int = 18,
) -> VideoOutput:
    """Decide codec, pixel format, depth and options for a video output, before any work.

    Args:
        path: the destination; its extension picks the container.
        width, height: frame size.
        codec: ``h264``, ``hevc``, ``prores``, ``dnxhr`` or ``ffv1``; None follows the source
            (when the container holds its codec), else the container's default.
        bit_depth: ``uint8`` / ``uint10`` / ``uint12`` / ``uint16``; None: the source's depth
            (``source.bit_depth`` or ``source_bit_depth``) where the codec stores it, else the
            nearest it does; float sources get the codec's usual depth.
        source: the source stream, when the input is a video.
        source_bit_depth: the source frames' depth (``half``, ``uint10``...) for image inputs.
        alpha: the frames have alpha; it is written where the codec can hold it.
        tags: colour tags to write (default: untagged).
        crf: H.264/HEVC quality, 0 (lossless) .. 51; 18 looks transparent.

    Raises:
        VideoError: unknown codec, a container that cannot hold it, an unsupported depth, or
            a size the codec cannot take. The message says what to choose instead.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    name = _codec_name(path, codec, source)
    spec = VIDEO_CODECS[name]
    if spec.encoder not in av.codec.codecs_available:
        raise VideoError(
            f"cannot write '{path}': this FFmpeg build has no {spec.encoder} encoder for {name}",
            path=path,
        )
    if suffix not in spec.containers:
        raise VideoError(
            f"cannot write '{path}': {name} goes in a {' or '.join(spec.containers)} file; "
            f"choose another --codec or extension",
            path=path,
            setting="output.codec",
        )
    notes: list[str] = []
    bits = _choose_depth(path, name, spec, bit_depth, source, source_bit_depth, notes)
    keep_alpha = alpha and spec.alpha
    if alpha and not spec.alpha:
        notes.append(
            f"{name} holds no alpha: '{path.name}' is written without it (use prores or ffv1)"
        )
    like = source.pix_fmt if source is not None and source.codec in spec.decoders else None
    pix_fmt = _pixel_format(spec, bits, keep_alpha, like)
    options = dict(spec.options)
    if name in ("h264", "hevc"):
        options["crf"] = str(int(crf))
    elif name == "prores":
        options.update(_prores_options(pix_fmt, source))
    elif name == "dnxhr":
        options["profile"] = (
            "dnxhr_444"
            if "444" in pix_fmt or pix_fmt.startswith("gbr")
            else ("dnxhr_hqx" if bits == 10 else "dnxhr_hq")
        )
    out_tags = tags or VideoTags()
    if av.VideoFormat(pix_fmt).is_rgb:
        out_tags = VideoTags(out_tags.primaries, out_tags.transfer, "gbr", "pc")
    output = VideoOutput(
        name, pix_fmt, DEPTH_NAMES[bits], keep_alpha, options, out_tags, width, height,
        tuple(notes),
    )  # fmt: skip
    _check_encoder_opens(path, output)
    return output


def _codec_name(path: Path, codec: str | None, source: VideoInfo | None) -> str:
    suffix = path.suffix.lower()
    if codec:
        name = _CODEC_ALIASES.get(codec.lower(), codec.lower())
        if name not in VIDEO_CODECS:
            raise VideoError(
                f"cannot write '{path}': unknown codec {codec!r}; use one of "
                f"{', '.join(VIDEO_CODECS)}",
                path=path,
                setting="output.codec",
            )
        return name
    if source is not None:
        for name, spec in VIDEO_CODECS.items():
            if source.codec in spec.decoders and suffix in spec.containers:
                return name
    if suffix not in _CONTAINER_CODEC:
        writable = sorted(_CONTAINER_CODEC)
        raise VideoError(
            f"cannot write '{path}': vtinker writes video as {', '.join(writable)}",
            path=path,
            setting="output.path",
        )
    return _CONTAINER_CODEC[suffix]


def _choose_depth(
    path: Path,
    name: str,
    spec: _Codec,
    asked: str | None,
    source: VideoInfo | None,
    source_depth: str | None,
    notes: list[str],
) -> int:
    supported = ", ".join(DEPTH_NAMES[b] for b in spec.depths)
    if asked is not None:
        bits = DEPTH_BITS.get(asked)
        if bits not in spec.depths:
            raise VideoError(
                f"cannot write '{path}': {name} video cannot be {asked}; use {supported}",
                path=path,
                setting="output.bit_depth",
            )
        return int(bits or 0)
    depth = source.bit_depth if source is not None else source_depth
    wanted = DEPTH_BITS.get(depth or "")
    if wanted is None:  # float or unknown: the codec's usual depth
        return spec.float_depth
    if wanted in spec.depths:
        return wanted
    deeper = [b for b in spec.depths if b >= wanted]
    bits = min(deeper) if deeper else max(spec.depths)
    if bits < wanted:
        notes.append(
            f"the source is {wanted}-bit; {name} is written {bits}-bit (choose ffv1 or an image "
            "sequence to keep every level)"
        )
    return bits


def _pixel_format(spec: _Codec, bits: int, alpha: bool, like: str | None) -> str:
    """The encoder's pixel format with these bits and alpha, closest in layout to ``like``."""
    want = _layout(like) if like else None
    best: tuple[tuple[bool, bool, bool], str] | None = None
    encoder = av.codec.Codec(spec.encoder, "w")
    for fmt in encoder.video_formats or ():
        name = fmt.name
        if name.endswith("be") or name.startswith(("nv", "gray", "yuvj", "ya")):
            continue
        layout = _layout(name)
        if layout[2] != bits or layout[3] != alpha:
            continue
        if want is not None:
            key = (layout[0] != want[0], layout[1] != want[1], False)
        else:
            key = (layout[0] != spec.rgb, False, layout[1] != "420" and not spec.rgb)
        if best is None or key < best[0]:
            best = (key, name)
    if best is None:  # pragma: no cover - the codec tables list only depths encoders take
        raise VideoError(f"{spec.encoder} has no {bits}-bit pixel format", setting="output.codec")
    return best[1]


def _layout(pix_fmt: str) -> tuple[bool, str, int, bool]:
    """(is RGB, chroma subsampling ``420``/``422``/``444``, bits, has alpha) of a format."""
    fmt = av.VideoFormat(pix_fmt, 16, 16)
    chroma = [c for c in fmt.components if c.is_chroma]
    if not chroma or fmt.is_rgb:
        sampling = "444"
    else:
        sampling = {(8, 8): "420", (8, 16): "422"}.get((chroma[0].width, chroma[0].height), "444")
    bits = max(c.bits for c in fmt.components)
    return bool(fmt.is_rgb), sampling, bits, any(c.is_alpha for c in fmt.components)


def _prores_options(pix_fmt: str, source: VideoInfo | None) -> dict[str, str]:
    from_prores = source is not None and source.codec == "prores"
    wanted = (source.profile or "").lower() if source is not None and from_prores else ""
    if "444" in pix_fmt:
        profile = "5" if "xq" in wanted else "4"
    else:
        profile = next(
            (v for k, v in _PRORES_PROFILES.items() if k == wanted and k not in ("4444", "xq")),
            "3",
        )
    options = {"profile": profile}
    if pix_fmt.startswith("yuva"):
        options["alpha_bits"] = "16"
    return options


def _open_stream(container: Any, fps: Fraction, output: VideoOutput) -> Any:
    spec = VIDEO_CODECS[output.codec]
    stream = container.add_stream(spec.encoder, rate=fps)
    stream.width, stream.height, stream.pix_fmt = output.width, output.height, output.pix_fmt
    stream.options = dict(output.options)
    if output.codec == "hevc" and Path(container.name).suffix.lower() in (".mp4", ".mov", ".m4v"):
        stream.codec_tag = "hvc1"  # what QuickTime and Apple players expect
    context = stream.codec_context
    for name, value in _tag_values(output.tags).items():
        setattr(context, name, value)
    return stream


def _tag_values(tags: VideoTags) -> dict[str, int]:
    """FFmpeg's enum values of the tags, by the attribute names of frames and contexts."""
    return {
        "color_primaries": _enum(PRIMARIES, tags.primaries),
        "color_trc": _enum(TRANSFERS, tags.transfer),
        "colorspace": _enum(MATRICES, tags.matrix),
        "color_range": {"tv": 1, "pc": 2}.get(tags.color_range or "", 0),
    }


def _enum(table: dict[int, str], name: str | None) -> int:
    for value, label in table.items():
        if label == name:
            return value
    return UNSPECIFIED


def _check_encoder_opens(path: Path, output: VideoOutput) -> None:
    """Open the encoder on a scratch container, so a refused size fails before any work."""
    if output.width % 2 or (output.height % 2 and "420" in output.pix_fmt):
        need = "even width and height" if "420" in output.pix_fmt else "an even width"
        raise VideoError(
            f"cannot write '{path}': {output.codec} {output.pix_fmt} video needs {need}, the "
            f"frames are {output.width}x{output.height}; crop or pad them by a pixel first",
            path=path,
        )
    try:
        container = _CONTAINER_FORMATS.get(path.suffix.lower(), "matroska")
        with av.open(os.devnull, "w", format=container) as scratch:
            _open_stream(scratch, Fraction(24), output).codec_context.open()
    except (av.error.FFmpegError, ValueError) as err:
        hint = "; DNxHR needs frames of at least 256x120" if output.codec == "dnxhr" else ""
        raise VideoError(
            f"cannot write '{path}': the {output.codec} encoder refuses {output.width}x"
            f"{output.height} {output.pix_fmt} ({err}){hint}",
            path=path,
        ) from err


class VideoWriter:
    """Encodes frames into a video file as they come; the file appears only when complete.

    Use as a context manager: leaving the block normally finishes the file; an exception
    (a cancel included) removes the unfinished temporary file and leaves any older file at
    ``path`` as it was.

    Args:
        path: destination.
        fps: exact frame rate.
        output: what to write (:func:`plan_video_output`).

    Raises:
        VideoError: the folder is missing, or FFmpeg fails.
    """

    def __init__(self, path: str | Path, fps: Fraction, output: VideoOutput) -> None:
        self.path = Path(path)
        self.output = output
        self.frames_written = 0
        if not self.path.parent.is_dir():
            raise VideoError(
                f"cannot write '{self.path}': the folder '{self.path.parent}' does not exist",
                path=self.path,
            )
        self._temp = self.path.with_name(
            f".{self.path.name}.tmp-{secrets.token_hex(4)}{self.path.suffix}"
        )
        try:
            self._container: Any = av.open(str(self._temp), "w")
            self._stream = _open_stream(self._container, Fraction(fps), output)
        except (av.error.FFmpegError, OSError, ValueError) as err:
            self._temp.unlink(missing_ok=True)
            raise VideoError(f"cannot write '{self.path}': {err}", path=self.path) from err
        self._matrix = output.tags.matrix if output.tags.matrix in KR_KB else "bt709"
        self._full_range = output.tags.color_range == "pc"
        # FFmpeg's encoders take the colour description from each frame, not the stream.
        self._frame_tags = _tag_values(output.tags)

    def write(self, item: Frame | NDArray[Any]) -> None:
        """Encode one frame: a :class:`Frame` (its R, G, B and alpha; one channel is shown
        as grey) or a float H×W×3 array of code values in [0, 1] (clipped to it)."""
        index = self.frames_written
        rgb = _rgb_of(item, self.path, index, alpha=self.output.alpha)
        height, width = rgb.shape[:2]
        if (width, height) != (self.output.width, self.output.height):
            raise VideoError(
                f"cannot write '{self.path}': frame {index} is {width}x{height}, the video "
                f"{self.output.width}x{self.output.height}; all frames need the same size",
                path=self.path,
                frame=index,
            )
        video_frame = video_frame_from_rgb(
            rgb, self.output.pix_fmt, matrix=self._matrix, full_range=self._full_range
        )
        for name, value in self._frame_tags.items():
            setattr(video_frame, name, value)
        video_frame.pts = index
        try:
            self._container.mux(self._stream.encode(video_frame))
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise VideoError(f"cannot write '{self.path}': {err}", path=self.path) from err
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and put it under its name."""
        try:
            if self.frames_written == 0:
                raise VideoError(f"cannot write '{self.path}': no frames to write", path=self.path)
            self._container.mux(self._stream.encode(None))
            self._container.close()
            with self._temp.open("rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(self._temp, self.path)
        except (av.error.FFmpegError, OSError, ValueError) as err:
            raise VideoError(f"cannot write '{self.path}': {err}", path=self.path) from err
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the unfinished file."""
        with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
            self._container.close()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_video(
    path: str | Path,
    frames: Iterable[Frame | NDArray[Any]],
    fps: Fraction,
    codec: str | None = None,
    *,
    crf: int = 18,
    bit_depth: str | None = None,
    tags: VideoTags | None = None,
) -> None:
    """Encode frames into a video file atomically (see :func:`plan_video_output` and
    :class:`VideoWriter`); frames are encoded one by one, never held together.

    Args:
        path: destination (``.mp4``, ``.mov``, ``.mkv``...).
        frames: :class:`Frame` objects or float H×W×3 arrays of code values in [0, 1]; all
            the same size.
        fps: exact frame rate, e.g. ``Fraction(24000, 1001)``.
        codec: see :data:`VIDEO_CODECS`; default by container.
        crf: H.264/HEVC quality.
        bit_depth: ``uint8``/``uint10``/``uint12``/``uint16``; default: the first frame's.
        tags: colour tags (default: BT.709, limited range).

    Raises:
        VideoError: as :func:`plan_video_output` and :class:`VideoWriter`; nothing is left
            under ``path`` (an older file there stays as it was).
    """
    path = Path(path)
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        plan_video_output(path, width=16, height=16, codec=codec)  # codec errors come first
        raise VideoError(f"cannot write '{path}': no frames to write", path=path)
    rgb = _rgb_of(first, path, 0, alpha=True)
    output = plan_video_output(
        path,
        width=rgb.shape[1],
        height=rgb.shape[0],
        codec=codec,
        bit_depth=bit_depth,
        source_bit_depth=first.meta.bit_depth if isinstance(first, Frame) else "uint8",
        alpha=rgb.shape[2] == 4,
        tags=tags or VideoTags("bt709", "bt709", "bt709", "tv"),
        crf=crf,
    )
    with VideoWriter(path, fps, output) as writer:
        writer.write(first)
        for item in iterator:
            writer.write(item)


def _rgb_of(
    item: Frame | NDArray[Any], path: Path, index: int, *, alpha: bool
) -> NDArray[np.float32]:
    if isinstance(item, Frame):
        names = item.rgb_channels
        if names is not None:
            a = item.alpha_channel
            return item.select((*names, a) if alpha and a else names)
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
