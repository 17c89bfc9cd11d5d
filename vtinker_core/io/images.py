"""Image files through OpenImageIO: read, probe and (atomically) write one frame.

Example::

    from vtinker_core.io.images import probe_frame, read_frame, write_frame

    info = probe_frame(Path("plate.1001.exr"))          # header only: size, channels, meta
    frame = read_frame(Path("plate.1001.exr"))          # float32 pixels of the data window
    depth = read_frame(Path("plate.1001.exr"), channels=["depth.Z"])
    write_frame(Path("out.1001.exr"), frame)            # half EXR, ZIP, windows and tags kept
    write_frame(Path("out.1001.dpx"), frame)            # 10-bit DPX

Pixels come back as float32 H×W×C. Integer files are normalised to [0, 1] by their own code
range, so a 10-bit DPX code ``k`` reads as exactly ``k / 1023`` (what OCIO's log transforms
expect) and writes back as ``k``. Float files are returned as stored; nothing is clipped.

Every write goes to a hidden temporary file in the destination folder
(``.name.tmp-<random>.<ext>``) which is renamed over the final name only once OpenImageIO has
written and closed it, so a failed or killed write never leaves a partial frame behind.

Timecode, frame-rate and attribute translation lives in :mod:`vtinker_core.io.image_meta`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
from numpy.typing import NDArray

from vtinker_core.errors import ImageReadError, ImageWriteError
from vtinker_core.frame import Frame, FrameMeta
from vtinker_core.io.image_meta import _meta_from_spec, _write_attributes

__all__ = ["FrameInfo", "output_bit_depth", "probe_frame", "read_frame", "write_frame"]

# File format (by extension) → (OIIO format name, supported bit depths, default bit depth).
_FORMATS: dict[str, tuple[str, tuple[str, ...], str]] = {
    ".exr": ("openexr", ("half", "float"), "half"),
    ".dpx": ("dpx", ("uint8", "uint10", "uint12", "uint16"), "uint10"),
    ".tif": ("tiff", ("uint8", "uint16", "float"), "uint16"),
    ".tiff": ("tiff", ("uint8", "uint16", "float"), "uint16"),
    ".png": ("png", ("uint8", "uint16"), "uint8"),
    ".jpg": ("jpeg", ("uint8",), "uint8"),
    ".jpeg": ("jpeg", ("uint8",), "uint8"),
}
# bit depth → (OIIO storage type, bits per sample, largest code for integer types).
_DEPTHS: dict[str, tuple[str, int, int]] = {
    "uint8": ("uint8", 8, 255),
    "uint10": ("uint16", 10, 1023),
    "uint12": ("uint16", 12, 4095),
    "uint16": ("uint16", 16, 65535),
    "half": ("half", 16, 0),
    "float": ("float", 32, 0),
}
_DATA_LAYERS = frozenset(
    ("z", "depth", "zdepth", "forward", "backward", "motion", "motionvector", "vector",
     "vectors", "mv", "p", "position", "n", "normal", "normals", "uv", "stmap")
)  # fmt: skip
_EXR_COMPRESSIONS = ("none", "rle", "zip", "zips", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab")
_EXR_LOSSLESS = ("none", "rle", "zip", "zips", "piz")
_TIFF_COMPRESSIONS = ("none", "lzw", "zip", "packbits")


@dataclass(frozen=True)
class FrameInfo:
    """What a file's header says, without reading its pixels.

    Attributes:
        width: data window width in pixels.
        height: data window height in pixels.
        channels: channel names as OpenImageIO reports them.
        meta: windows, timing and attributes, as :func:`read_frame` would return them.
    """

    width: int
    height: int
    channels: tuple[str, ...]
    meta: FrameMeta


def probe_frame(path: str | Path) -> FrameInfo:
    """Read only the header of an image file (subimage 0).

    Args:
        path: the image file.

    Returns:
        Its size, channel names and metadata.

    Raises:
        ImageReadError: the file is missing, a folder, empty, unreadable or not an image.
    """
    path = Path(path)
    image = _open_input(path)
    try:
        spec = image.spec()
    finally:
        image.close()
    meta = _meta_from_spec(spec, _bit_depth_of(spec))
    return FrameInfo(spec.width, spec.height, tuple(spec.channelnames), meta)



def read_frame(path: str | Path, *, channels: Sequence[str] | None = None) -> Frame:
    """Read an image file's data window as float32 pixels with its metadata.

    Multi-part EXRs (several subimages) are read from subimage 0 only, the part a compositor
    sees first; ``meta.attributes["oiio:subimages"]`` tells how many there are.

    Args:
        path: the image file (EXR, DPX, TIFF, PNG, JPEG, anything OpenImageIO reads).
        channels: names of the channels to read, in the order wanted; all when ``None``.
            EXR channels come in OpenImageIO's order: ``R G B A`` first, then the other
            layers sorted by name (``depth.Z``, ``forward.u``, ...).

    Returns:
        The frame: float32 H×W×C pixels of the data window (integer files scaled to [0, 1],
        float files as stored), channel names and :class:`FrameMeta`.

    Raises:
        ImageReadError: missing, a folder, empty, unreadable, corrupt or truncated file, a
            deep image, or a requested channel the file does not have. The message names the
            file and carries OpenImageIO's own explanation.
    """
    path = Path(path)
    image = _open_input(path)
    try:
        spec = image.spec()
        names = tuple(spec.channelnames)
        if spec.deep or spec.depth > 1:
            raise _read_error(
                path,
                "deep and volume images are not supported; "
                "flatten it first (e.g. oiiotool --flatten)",
                "deep",
            )
        wanted = tuple(channels) if channels is not None else names
        missing = [name for name in wanted if name not in names]
        if missing:
            raise ImageReadError(
                f"cannot read channel(s) {', '.join(missing)} from '{path}': "
                f"it has {', '.join(names)}",
                path=path,
                reason="missing channels",
            )
        pixels = _read_pixels(image, spec, path)
    finally:
        image.close()
    if wanted != names:
        pixels = np.ascontiguousarray(pixels[:, :, [names.index(n) for n in wanted]])
    return Frame(pixels, wanted, _meta_from_spec(spec, _bit_depth_of(spec)))


def write_frame(
    path: str | Path,
    frame: Frame,
    *,
    bit_depth: str | None = None,
    compression: str | None = None,
    tile_size: int | None = None,
    colorspace: str | None = None,
    chromaticities: Sequence[float] | None = None,
) -> None:
    """Write a frame to an image file atomically; the format follows the extension.

    EXR keeps every channel (in the frame's order), the data and display windows, and is
    written half (default; depth, vector, position and normal layers such as ``depth.Z``,
    ``Z``, ``forward.u``, ``P.x`` stay float unless ``bit_depth`` is given) or float,
    scanline or tiled, ZIP-compressed unless ``compression`` says otherwise (a lossless
    source compression is kept; lossy DWA/B44 only when asked).
    DPX is 10-bit by default (8/12/16 too), TIFF 16-bit (8 or float too), PNG 8-bit (or 16),
    JPEG 8-bit with 1 or 3 channels (quality 95, 4:4:4 unless the source says otherwise).
    Non-EXR formats store only the data window's pixels. Integer formats clamp to [0, 1] and
    round to the nearest code; float formats never clip (beyond ±65504 half holds ±inf).

    Pixel aspect, frame rate, timecode and the other attributes of ``frame.meta`` are written
    where the format takes them; OpenImageIO-internal (``oiio:*``) and other formats'
    specific attributes are left out.

    Args:
        path: destination file; its folder must exist.
        frame: the frame to write.
        bit_depth: ``uint8``, ``uint10``, ``uint12``, ``uint16``, ``half`` or ``float``;
            default: ``frame.meta.bit_depth`` when the format has it (a float depth the
            format lacks becomes ``float``, 10/12-bit becomes 16-bit), else the format's
            default.
        compression: compression name as OpenImageIO spells it (``zip``, ``piz``, ``dwaa:45``,
            ``lzw``...); default as described above.
        tile_size: write a tiled EXR/TIFF with square tiles of this many pixels.
        colorspace: what the pixels are, for the header (``oiio:ColorSpace``: an interop id
            such as ``lin_ap1_scene`` becomes EXR's ``colorInteropID``, sRGB PNG/TIFF/JPEG
            and DPX get their own tags); it replaces the source's colour tags.
        chromaticities: EXR ``chromaticities`` (R, G, B, white xy) to write with
            ``colorspace``; without them a source's chromaticities are dropped.

    Alpha is written as ``frame.meta.premultiplied`` says: TIFF tags it associated or
    unassociated; PNG holds only straight alpha, so OpenImageIO divides premultiplied frames.

    Raises:
        ImageWriteError: unknown extension, unsupported bit depth, compression, channel count
            or tile size, a missing folder, or any OpenImageIO / file-system failure. Nothing
            is left under ``path`` (an older file there stays as it was) and no temporary file
            remains.
    """
    path = Path(path)
    depth = output_bit_depth(path, bit_depth, frame.meta)
    fmt = _FORMATS[path.suffix.lower()][0]
    # Depth, vectors and positions stay float in a half EXR (HOSTS.md), unless asked otherwise.
    mixed = depth == "half" and bit_depth is None and any(map(_is_data_channel, frame.channels))
    spec = _output_spec(path, fmt, frame, depth, compression, tile_size)
    if colorspace is not None:
        for stale in ("chromaticities", "colorInteropID"):
            spec.erase_attribute(stale)
        spec.attribute("oiio:ColorSpace", colorspace)
        if chromaticities is not None and fmt == "openexr":
            spec.attribute("chromaticities", "float[8]", tuple(float(v) for v in chromaticities))
        if fmt == "dpx":
            spec.attribute("dpx:Transfer", _dpx_transfer(colorspace))
    if mixed:
        spec.channelformats = tuple(
            oiio.TypeDesc("float" if _is_data_channel(name) else "half") for name in frame.channels
        )
    data = _encode_pixels(frame.pixels, "float" if mixed else depth)
    if not path.parent.is_dir():
        raise _write_error(
            path, f"the folder '{path.parent}' does not exist; create it first", "no folder"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise _write_error(
            path,
            f"permission denied for the folder '{path.parent}'; "
            "check its permissions or choose another output folder",
            "permission",
        )
    temp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}{path.suffix}")
    try:
        if fmt == "jpeg":
            _write_jpeg(temp, path, spec, data)
        else:
            _write_with_oiio(temp, path, spec, data)
        os.replace(temp, path)
    except OSError as err:
        raise _write_error(path, f"{err.strerror or err}{_FULL_HINT}", str(err)) from err
    finally:
        temp.unlink(missing_ok=True)


def output_bit_depth(path: str | Path, asked: str | None, source: FrameMeta | None) -> str:
    """The sample type :func:`write_frame` stores in ``path``.

    Args:
        path: the destination (its extension picks the format).
        asked: the depth asked for, if any.
        source: the frame's metadata (its on-disk depth is kept where the format has it).

    Raises:
        ImageWriteError: unknown extension, or a depth the format cannot store.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise _write_error(
            path,
            f"unknown image extension {path.suffix!r}; use one of {', '.join(sorted(_FORMATS))}",
            "extension",
        )
    fmt, depths, default_depth = _FORMATS[suffix]
    source_depth = source.bit_depth if source is not None else default_depth
    return _choose_bit_depth(path, fmt, depths, default_depth, asked, source_depth)


def _read_error(path: Path, problem: str, reason: str) -> ImageReadError:
    return ImageReadError(f"cannot read '{path}': {problem}", path=path, reason=reason)


def _write_error(path: Path, problem: str, reason: str) -> ImageWriteError:
    return ImageWriteError(f"cannot write '{path}': {problem}", path=path, reason=reason)


# --- reading ---------------------------------------------------------------------------------


def _open_input(path: Path) -> Any:
    """An open ``oiio.ImageInput``, after plain file checks that give clearer messages."""
    try:
        stat = path.stat()
        if path.is_dir():
            raise _read_error(
                path,
                "it is a folder, not an image file; "
                "give a file or a sequence pattern such as name.####.exr",
                "folder",
            )
        if stat.st_size == 0:
            raise _read_error(
                path,
                "the file is empty (0 bytes), probably an unfinished "
                "write or copy; render or copy it again",
                "empty",
            )
        with path.open("rb"):
            pass
    except FileNotFoundError as err:
        raise _read_error(path, "no such file", "missing") from err
    except PermissionError as err:
        raise _read_error(
            path, "permission denied; check the file's permissions", "permission"
        ) from err
    except OSError as err:
        raise _read_error(path, str(err.strerror or err), str(err)) from err
    # Straight (unassociated) alpha is read as stored; OIIO would premultiply 8-bit codes.
    hints = oiio.ImageSpec()
    hints.attribute("oiio:UnassociatedAlpha", 1)
    image = oiio.ImageInput.open(str(path), hints)
    if image is None:
        message = oiio.geterror() or "not an image OpenImageIO can read"
        raise _read_error(path, message, message)
    return image


def _read_pixels(image: Any, spec: Any, path: Path) -> NDArray[np.float32]:
    """All channels of subimage 0 as float32 H×W×C; unsigned codes k read as k / top."""
    storage = str(spec.format)
    native = storage in ("uint8", "uint16")
    pixels = image.read_image(0, 0, 0, spec.nchannels, storage if native else "float")
    if pixels is None:
        message = image.geterror() or oiio.geterror() or "unknown error"
        raise _read_error(path, f"{message} (the file is corrupt or truncated)", message)
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if native:
        # Divide ourselves (OIIO multiplies by 1/top, one ulp off k/top). OIIO widens 10- and
        # 12-bit codes to 16 bits by bit replication; rounding recovers the code exactly.
        top = _DEPTHS[_bit_depth_of(spec)][2]
        codes = pixels.astype(np.float64)
        if top != np.iinfo(pixels.dtype).max:
            codes = np.rint(codes * (top / 65535.0))
        pixels = codes / top
    return np.ascontiguousarray(pixels, dtype=np.float32)


def _bit_depth_of(spec: Any) -> str:
    """Our name for a spec's on-disk sample type (the first channel's, if they differ)."""
    name = str(spec.channelformats[0] if spec.channelformats else spec.format)
    bits = spec.get_int_attribute("oiio:BitsPerSample", 0)
    if name == "uint16" and bits in (10, 12):
        return f"uint{bits}"
    signed = {"int8": "uint8", "int16": "uint16", "int32": "uint32"}
    return name if name in _DEPTHS or name == "uint32" else signed.get(name, "float")


# --- writing ---------------------------------------------------------------------------------


def _choose_bit_depth(
    path: Path,
    fmt: str,
    depths: tuple[str, ...],
    default: str,
    asked: str | None,
    source: str,
) -> str:
    if asked is not None:
        if asked not in depths:
            raise _write_error(
                path,
                f"{fmt} files cannot be {asked!r}; use one of {', '.join(depths)}",
                "bit depth",
            )
        return asked
    if source in depths:
        return source
    if source in ("half", "float", "uint32") and "float" in depths:
        return "float"
    if source in ("uint10", "uint12", "uint16", "uint32") and "uint16" in depths:
        return "uint16"
    return default


def _output_spec(
    path: Path,
    fmt: str,
    frame: Frame,
    depth: str,
    compression: str | None,
    tile_size: int | None,
) -> Any:
    height, width, nchannels = frame.pixels.shape
    data, display = frame.meta.data_window, frame.meta.display_window
    if data.shape != (height, width):
        raise _write_error(
            path,
            f"the frame's pixels are {width}x{height} but its data window is "
            f"{data.width}x{data.height}; update the frame's meta windows",
            "window",
        )
    if fmt == "jpeg" and nchannels not in (1, 3):
        raise _write_error(
            path,
            f"JPEG holds 1 or 3 channels, the frame has {', '.join(frame.channels)}; "
            "select R, G, B or write PNG, TIFF or EXR",
            "channels",
        )
    storage, bits, _top = _DEPTHS[depth]
    spec = oiio.ImageSpec(width, height, nchannels, storage)
    spec.channelnames = frame.channels
    if fmt == "openexr":
        spec.x, spec.y = data.x, data.y
        spec.full_x, spec.full_y = display.x, display.y
        spec.full_width, spec.full_height = display.width, display.height
    if tile_size is not None:
        if fmt not in ("openexr", "tiff") or tile_size < 1:
            raise _write_error(
                path,
                f"tiles need an EXR or TIFF file and a positive tile size, got {tile_size} "
                f"for {fmt}",
                "tile size",
            )
        spec.tile_width = spec.tile_height = tile_size
    if storage == "uint16" or fmt == "dpx":
        spec.attribute("oiio:BitsPerSample", bits)
    _write_attributes(spec, fmt, frame.meta)
    alpha = frame.alpha_channel
    spec.alpha_channel = frame.channels.index(alpha) if alpha else -1
    if alpha and fmt in ("png", "tiff"):
        spec.attribute("oiio:UnassociatedAlpha", 0 if frame.meta.premultiplied else 1)
    chosen = _choose_compression(path, fmt, depth, compression, frame.meta.compression)
    if chosen:
        spec.attribute("compression", chosen)
    if fmt == "jpeg" and "jpeg:subsampling" not in frame.meta.attributes:
        spec.attribute("jpeg:subsampling", "4:4:4")  # reference frames: keep full chroma
    return spec


def _choose_compression(
    path: Path, fmt: str, depth: str, asked: str | None, source: str | None
) -> str | None:
    valid = {"openexr": _EXR_COMPRESSIONS, "tiff": _TIFF_COMPRESSIONS}.get(fmt)
    if asked is not None:
        if fmt == "dpx" and asked != "none":
            raise _write_error(
                path, "DPX files are not compressed; leave compression unset", "compression"
            )
        if valid is not None and asked.split(":")[0].lower() not in valid:
            raise _write_error(
                path,
                f"unknown {fmt} compression {asked!r}; use one of {', '.join(valid)}",
                "compression",
            )
        return asked
    if fmt == "jpeg":
        return "jpeg:95"
    if valid is None:
        return None
    # Keep the source's compression only when it is lossless for this file (PXR24 rounds
    # float to 24 bits but is exact for half).
    kept = (source or "").split(":")[0].lower()
    if fmt == "openexr":
        keepable = _EXR_LOSSLESS + (("pxr24",) if depth == "half" else ())
    else:
        keepable = _TIFF_COMPRESSIONS
    return kept if kept in keepable else "zip"


def _dpx_transfer(colorspace: str) -> str:
    """DPX's coarse transfer code for a colourspace (interop id or name), as OIIO spells it."""
    curve = colorspace.rpartition(":")[2].split("_")[0].lower()
    words = colorspace.lower()
    if curve == "lin" or "linear" in words:
        return "Linear"
    if any(word in words for word in ("log", "acescc", "cineon", "adx")):
        return "Logarithmic"
    if curve in ("g24", "srgb", "g22") or "709" in words:
        return "ITU-R 709-4"
    return "User defined"


def _is_data_channel(name: str) -> bool:
    """Whether a channel holds data that half would round badly (depth, vectors, positions)."""
    layer, _, channel = name.rpartition(".")
    return (layer or channel).lower() in _DATA_LAYERS


def _encode_pixels(pixels: NDArray[np.float32], depth: str) -> NDArray[Any]:
    """The array handed to OIIO: codes for integer depths, half/float values otherwise."""
    if depth == "float":
        return np.ascontiguousarray(pixels, dtype=np.float32)
    if depth == "half":
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(pixels, dtype=np.float16)
    storage, _bits, top = _DEPTHS[depth]
    codes = np.rint(np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0) * top)
    if storage == "uint16" and top != 65535:
        # Hand OIIO the 16-bit value whose 10/12-bit code is exactly `codes`.
        codes = np.rint(codes * (65535.0 / top))
    return np.ascontiguousarray(codes, dtype=np.uint8 if storage == "uint8" else np.uint16)


def _write_with_oiio(temp: Path, path: Path, spec: Any, data: NDArray[Any]) -> None:
    output = oiio.ImageOutput.create(str(temp))
    if output is None:
        message = oiio.geterror() or "no writer for this format"
        raise _write_error(path, message, message)
    ok = output.open(str(temp), spec) and output.write_image(data)
    message = output.geterror() if not ok else ""
    closed = output.close()
    if ok and not closed:
        message = output.geterror() or "OpenImageIO could not finish the file"
    if not ok or not closed:
        raise _write_error(path, f"{message or 'unknown OpenImageIO error'}{_FULL_HINT}", message)
    with temp.open("rb+") as handle:
        os.fsync(handle.fileno())
    if temp.suffix.lower() == ".png":
        _check_png_complete(temp, path)


_FULL_HINT = "; nothing was written: check the free space and permissions of the output folder"
# Every PNG ends with this IEND chunk (PNG spec §11.2.5).
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _check_png_complete(temp: Path, path: Path) -> None:
    """OpenImageIO's PNG writer does not report failed writes (a full disk leaves a truncated
    file and a success, seen with OIIO 3.2): a PNG counts only when it ends as PNGs end."""
    with temp.open("rb") as handle:
        handle.seek(max(0, temp.stat().st_size - len(_PNG_END)))
        if handle.read() != _PNG_END:
            raise _write_error(path, f"the file came out incomplete{_FULL_HINT}", "incomplete")


def _write_jpeg(temp: Path, path: Path, spec: Any, data: NDArray[Any]) -> None:
    """JPEG through a scratch file in memory (or the temp folder), copied by Python.

    OpenImageIO's JPEG writer ends the whole process when a write fails (libjpeg's default
    error exit, seen with OIIO 3.2 on a full disk), so it never writes to the output disk.
    """
    import shutil
    import tempfile

    folder = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    need = 2 * data.size + (1 << 20)  # 8-bit samples, with room for the headers
    if shutil.disk_usage(folder).free < need:
        raise _write_error(path, f"not enough free space in '{folder}' to encode a JPEG", "space")
    handle, scratch_name = tempfile.mkstemp(suffix=".jpg", dir=folder)
    os.close(handle)
    scratch = Path(scratch_name)
    try:
        _write_with_oiio(scratch, path, spec, data)
        shutil.copyfile(scratch, temp)
        with temp.open("rb+") as out:
            os.fsync(out.fileno())
    finally:
        scratch.unlink(missing_ok=True)
