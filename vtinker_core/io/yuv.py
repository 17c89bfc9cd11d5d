"""Video frames to float RGB and back, computed exactly: no dithering, no 8-bit step.

Example::

    rgb = rgb_from_video_frame(decoded, matrix="bt709", full_range=False)   # float32 H×W×3
    video_frame = video_frame_from_rgb(rgb, "yuv422p10le", matrix="bt709", full_range=False)

swscale is not used for colour: it dithers when it reduces 16-bit RGB to 8- or 10-bit YUV (a
flat patch comes out as noise), and its YUV → 16-bit RGB is about 0.4 % short at white (code
235 reads as 254.0 of 255). Here the matrix, the range scaling and the chroma resampling are
done in float and rounded once per sample:

* Y' = Kr·R + (1 − Kr − Kb)·G + Kb·B, Cb = (B − Y') / (2 − 2·Kb), Cr = (R − Y') / (2 − 2·Kr)
  with Kr, Kb of ITU-R BT.709, BT.601 (SMPTE 170M / BT.470BG), BT.2020, SMPTE 240M or FCC;
* limited range: Y' = (16 + 219·Y')·2^(n−8), C = (128 + 224·C)·2^(n−8); full range:
  Y' = (2^n − 1)·Y', C = 2^(n−1) + (2^n − 1)·C (FFmpeg's convention), for n-bit samples;
* 4:2:2 / 4:2:0 chroma is the mean of each 2×1 / 2×2 block (centre-sited) when encoding, and
  linearly interpolated between block centres when decoding;
* values outside [0, 1] (super-whites, sub-blacks of limited-range video) are kept as floats
  and clipped only to the codes a sample can hold.

RGB formats (``gbrp10le``, ``bgr0``...) take the codes round(v·(2^n − 1)) as they are. Decoded
formats other than planar YUV(A)/GBR(A) (``nv12``, ``p010``, packed YUV...) are first put into
planar 16-bit form by swscale.
"""

from __future__ import annotations

from typing import Any, Final

import av
import numpy as np
from numpy.typing import NDArray

__all__ = ["KR_KB", "rgb_from_video_frame", "video_frame_from_rgb"]

#: (Kr, Kb) luma weights by FFmpeg matrix name.
KR_KB: Final[dict[str, tuple[float, float]]] = {
    "bt709": (0.2126, 0.0722),
    "smpte170m": (0.299, 0.114),
    "bt470bg": (0.299, 0.114),
    "bt2020nc": (0.2627, 0.0593),
    "bt2020c": (0.2627, 0.0593),
    "smpte240m": (0.212, 0.087),
    "fcc": (0.30, 0.11),
}


def video_frame_from_rgb(
    rgb: NDArray[np.float32], pix_fmt: str, *, matrix: str = "bt709", full_range: bool = False
) -> Any:
    """An ``av.VideoFrame`` in ``pix_fmt`` holding ``rgb``.

    Args:
        rgb: float H×W×3 (or ×4 with straight alpha) code values in [0, 1] (clipped).
        pix_fmt: a planar YUV(A) or RGB(A) format (``yuv420p``, ``yuva444p10le``,
            ``gbrp16le``...) or packed 8-bit ``bgr0``/``bgra``.
        matrix: the YUV matrix (a key of :data:`KR_KB`).
        full_range: YUV in full (``pc``) rather than limited (``tv``) range.
    """
    fmt = av.VideoFormat(pix_fmt)
    height, width = rgb.shape[:2]
    bits = max(c.bits for c in fmt.components)
    top = float((1 << bits) - 1)
    values = np.nan_to_num(rgb.astype(np.float64), nan=0.0)
    alpha = np.clip(values[:, :, 3], 0.0, 1.0) if values.shape[2] == 4 else None
    has_alpha = any(c.is_alpha for c in fmt.components)
    if has_alpha and alpha is None:
        alpha = np.ones((height, width))
    frame = av.VideoFrame(width, height, pix_fmt)
    if pix_fmt in ("bgr0", "bgra"):
        packed = np.zeros((height, width, 4))
        packed[:, :, :3] = values[:, :, 2::-1]
        if pix_fmt == "bgra" and alpha is not None:
            packed[:, :, 3] = alpha
        codes = np.clip(np.rint(packed * top), 0.0, top)
        _fill(frame.planes[0], codes.reshape(height, width * 4), np.uint8)
        return frame
    if fmt.is_rgb:  # planar G, B, R(, A)
        planes = [values[:, :, 1], values[:, :, 2], values[:, :, 0]]
        samples = [np.clip(np.rint(p * top), 0.0, top) for p in planes]
    else:
        samples = _yuv_samples(values, fmt, bits, matrix, full_range)
    if has_alpha and alpha is not None:
        samples.append(np.rint(alpha * top))
    dtype = np.uint8 if bits <= 8 else np.dtype("<u2")
    for plane, values in zip(frame.planes, samples, strict=True):
        _fill(plane, values, dtype)
    return frame


def _yuv_samples(
    rgb: NDArray[np.float64], fmt: Any, bits: int, matrix: str, full_range: bool
) -> list[NDArray[np.float64]]:
    kr, kb = KR_KB.get(matrix, KR_KB["bt709"])
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    y = kr * r + (1.0 - kr - kb) * g + kb * b
    cb = (b - y) / (2.0 - 2.0 * kb)
    cr = (r - y) / (2.0 - 2.0 * kr)
    sized = av.VideoFormat(fmt.name, rgb.shape[1], rgb.shape[0])
    chroma = sized.components[1]  # Cb (PyAV flags only subsampled planes as chroma)
    fx, fy = rgb.shape[1] // chroma.width, rgb.shape[0] // chroma.height
    cb, cr = _block_mean(cb, fy, fx), _block_mean(cr, fy, fx)
    top = float((1 << bits) - 1)
    if full_range:
        half = float(1 << (bits - 1))
        planes = [y * top, half + cb * top, half + cr * top]
    else:
        scale = float(1 << (bits - 8))
        planes = [
            (16.0 + 219.0 * y) * scale,
            (128.0 + 224.0 * cb) * scale,
            (128.0 + 224.0 * cr) * scale,
        ]
    return [np.clip(np.rint(p), 0.0, top) for p in planes]


def _block_mean(plane: NDArray[np.float64], fy: int, fx: int) -> NDArray[np.float64]:
    if fx == fy == 1:
        return plane
    h, w = plane.shape
    mean: NDArray[np.float64] = plane.reshape(h // fy, fy, w // fx, fx).mean(axis=(1, 3))
    return mean


def _fill(plane: Any, values: NDArray[np.float64], dtype: Any) -> None:
    """Write rows of ``values`` into ``plane``, padding each row to its line size."""
    samples = np.asarray(values).astype(dtype)
    per_line = plane.line_size // samples.itemsize
    rows = np.zeros((samples.shape[0], per_line), dtype)
    rows[:, : samples.shape[1]] = samples
    plane.update(rows.tobytes())


def rgb_from_video_frame(
    video_frame: Any, *, matrix: str = "bt709", full_range: bool = False
) -> NDArray[np.float32]:
    """Float32 H×W×3 (×4 with alpha) RGB code values of a decoded ``av.VideoFrame``.

    Args:
        video_frame: a decoded frame, any pixel format.
        matrix: the YUV matrix (a key of :data:`KR_KB`; others read as BT.709).
        full_range: YUV in full (``pc``) rather than limited (``tv``) range; ``yuvj*``
            formats are full range whatever this says.
    """
    fmt = video_frame.format
    name = fmt.name
    packed = _PACKED_RGB.get(name)
    if packed is not None:
        return _rgb_of_packed(video_frame, *packed)
    if not _is_planar_known(fmt):
        alpha = any(c.is_alpha for c in fmt.components)
        if fmt.is_rgb:
            target = "gbrap16le" if alpha else "gbrp16le"
        else:
            target = "yuva444p16le" if alpha else "yuv444p16le"
        video_frame = video_frame.reformat(format=target)
        fmt = video_frame.format
        name = fmt.name
    bits = max(c.bits for c in fmt.components)
    top = float((1 << bits) - 1)
    planes = [_plane_array(p, bits) for p in video_frame.planes]
    height, width = planes[0].shape
    if fmt.is_rgb:
        g, b, r = planes[0] / top, planes[1] / top, planes[2] / top
    else:
        full = full_range or name.startswith("yuvj")
        r, g, b = _rgb_of_yuv(planes[:3], width, height, bits, matrix, full)
    channels = [r, g, b] if len(planes) < 4 else [r, g, b, planes[3] / top]
    rgb: NDArray[np.float32] = np.ascontiguousarray(np.stack(channels, axis=-1), dtype=np.float32)
    return rgb


# Packed RGB formats: name → (order of the samples in a pixel, bits per sample).
_PACKED_RGB: Final[dict[str, tuple[str, int]]] = {
    "rgb24": ("rgb", 8), "bgr24": ("bgr", 8), "rgba": ("rgba", 8), "bgra": ("bgra", 8),
    "argb": ("argb", 8), "abgr": ("abgr", 8), "rgb0": ("rgb0", 8), "bgr0": ("bgr0", 8),
    "0rgb": ("0rgb", 8), "0bgr": ("0bgr", 8), "rgb48le": ("rgb", 16), "bgr48le": ("bgr", 16),
    "rgba64le": ("rgba", 16), "bgra64le": ("bgra", 16),
}  # fmt: skip


def _rgb_of_packed(video_frame: Any, order: str, bits: int) -> NDArray[np.float32]:
    samples = _plane_array(video_frame.planes[0], bits, len(order))
    pixels = samples.reshape(video_frame.height, video_frame.width, len(order))
    wanted = "rgba" if "a" in order else "rgb"
    top = float((1 << bits) - 1)
    rgb: NDArray[np.float32] = np.ascontiguousarray(
        pixels[:, :, [order.index(c) for c in wanted]] / top, dtype=np.float32
    )
    return rgb


def _is_planar_known(fmt: Any) -> bool:
    name = fmt.name
    if name.endswith("be") or not fmt.is_planar or name.startswith(("nv", "p0", "p2", "p4")):
        return False
    return name.startswith(("yuv", "yuvj", "yuva", "gbrp", "gbrap"))


def _plane_array(plane: Any, bits: int, per_pixel: int = 1) -> NDArray[np.float64]:
    """A plane's samples, its rows without their padding."""
    dtype = np.uint8 if bits <= 8 else np.dtype("<u2")
    itemsize = np.dtype(dtype).itemsize
    rows = np.frombuffer(plane, dtype=dtype).reshape(-1, plane.line_size // itemsize)
    return rows[: plane.height, : plane.width * per_pixel].astype(np.float64)


def _rgb_of_yuv(
    planes: list[NDArray[np.float64]], width: int, height: int, bits: int, matrix: str, full: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    y, cb, cr = planes
    top = float((1 << bits) - 1)
    if full:
        half = float(1 << (bits - 1))
        y, cb, cr = y / top, (cb - half) / top, (cr - half) / top
    else:
        scale = float(1 << (bits - 8))
        y = (y / scale - 16.0) / 219.0
        cb = (cb / scale - 128.0) / 224.0
        cr = (cr / scale - 128.0) / 224.0
    cb, cr = _upsample(cb, height, width), _upsample(cr, height, width)
    kr, kb = KR_KB.get(matrix, KR_KB["bt709"])
    r = y + (2.0 - 2.0 * kr) * cr
    b = y + (2.0 - 2.0 * kb) * cb
    g = (y - kr * r - kb * b) / (1.0 - kr - kb)
    return r, g, b


def _upsample(plane: NDArray[np.float64], height: int, width: int) -> NDArray[np.float64]:
    """A subsampled chroma plane at full size, interpolated between block centres."""
    for axis, size in ((1, width), (0, height)):
        factor = size // plane.shape[axis]
        if factor == 2:
            plane = _double(plane, axis)
    return plane


def _double(plane: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """Twice the samples along ``axis``: each at 3/4 of its own value and 1/4 of its neighbour's."""
    moved = np.moveaxis(plane, axis, 0)
    before = np.concatenate([moved[:1], moved[:-1]])
    after = np.concatenate([moved[1:], moved[-1:]])
    out = np.empty((moved.shape[0] * 2, *moved.shape[1:]))
    out[0::2] = 0.75 * moved + 0.25 * before
    out[1::2] = 0.75 * moved + 0.25 * after
    return np.moveaxis(out, 0, axis)
