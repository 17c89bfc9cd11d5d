"""Image metadata to and from OpenImageIO specs: timecode, frame rate, typed attributes.

:mod:`vtinker_core.io.images` reads a header into a :class:`~vtinker_core.frame.FrameMeta` and
puts one back onto an output spec with these helpers::

    meta = _meta_from_spec(image.spec(), bit_depth="uint10")  # windows, fps, timecode, attributes
    _write_attributes(out_spec, "dpx", meta)    # + dpx:FrameRate; no other format's attributes
    _decode_timecode(0x01000000)                # "01:00:00:00" (SMPTE 12M BCD, as OIIO keeps it)
    _encode_timecode("00:59:59;29")             # (0x00595969, 0): the 0x40 bit is drop frame
    _decode_fps(None, 23.976)                   # Fraction(24000, 1001), from DPX's float rate

Timecodes are ``HH:MM:SS:FF`` text (``;FF`` when drop frame) and frame rates exact fractions
in :class:`FrameMeta`; OpenImageIO-internal (``oiio:*``) and file-layout attributes are never
copied to an output. Nothing here imports OpenImageIO: specs are used through their methods.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from vtinker_core.frame import FrameMeta, Window

# Attributes that describe one file's layout (and are rewritten by the writer) or that
# FrameMeta carries as fields; copying them from a source would contradict the new file.
_LAYOUT_KEYS = frozenset(
    ("compression", "PixelAspectRatio", "FramesPerSecond", "smpte:TimeCode", "XResolution",
     "YResolution", "ResolutionUnit", "planarconfig", "dpx:TimeCode", "dpx:FrameRate",
     "dpx:ImageDescriptor", "dpx:Packing", "dpx:EndOfLinePadding", "dpx:EndOfImagePadding",
     "openexr:chunkCount", "tiff:Compression", "tiff:PhotometricInterpretation",
     "tiff:PlanarConfiguration", "tiff:RowsPerStrip")
)  # fmt: skip
_FORMAT_PREFIXES = ("openexr", "dpx", "tiff", "png", "jpeg", "cineon", "targa", "bmp", "webp")
_MATRIX_KEYS = frozenset({"worldToCamera", "worldToNDC", "worldToScreen"})
# Common NTSC-family rates stored as floats (DPX) snap to their exact fractions.
_KNOWN_RATES = tuple(Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120))


def _meta_from_spec(spec: Any, bit_depth: str) -> FrameMeta:
    """The :class:`FrameMeta` of an ``oiio.ImageSpec``: windows, aspect, timing, attributes.

    Args:
        spec: the header of subimage 0.
        bit_depth: the file's sample type in our names (``uint10``, ``half``...), which the
            caller reads from the spec with the pixel-format tables it owns.
    """
    attributes = {a.name: a.value for a in spec.extra_attribs}
    compression = attributes.pop("compression", None)
    # Read with the unassociated-alpha hint, a file with straight alpha says so here.
    straight = spec.alpha_channel >= 0 and attributes.get("oiio:UnassociatedAlpha") == 1
    return FrameMeta(
        data_window=Window(spec.x, spec.y, spec.width, spec.height),
        display_window=Window(spec.full_x, spec.full_y, spec.full_width, spec.full_height),
        pixel_aspect=float(attributes.pop("PixelAspectRatio", 1.0)),
        timecode=_decode_timecode(attributes.pop("smpte:TimeCode", None)),
        fps=_decode_fps(attributes.pop("FramesPerSecond", None), attributes.get("dpx:FrameRate")),
        compression=str(compression) if compression else None,
        bit_depth=bit_depth,
        attributes=attributes,
        premultiplied=not straight,
    )


def _write_attributes(spec: Any, fmt: str, meta: FrameMeta) -> None:
    """Put meta's fields and the attributes right for ``fmt`` onto an output spec."""
    others = tuple(f"{p}:" for p in _FORMAT_PREFIXES if p != fmt)
    for name, value in meta.attributes.items():
        if name in _LAYOUT_KEYS or name.startswith(("oiio:", *others)):
            continue
        _set_typed_attribute(spec, name, value)
    spec.attribute("PixelAspectRatio", float(meta.pixel_aspect))
    if meta.fps is not None:
        fps = Fraction(meta.fps)
        spec.attribute("FramesPerSecond", "rational", (fps.numerator, fps.denominator))
        if fmt == "dpx":
            spec.attribute("dpx:FrameRate", float(fps))
    encoded = _encode_timecode(meta.timecode) if meta.timecode else None
    if encoded is not None:
        spec.attribute("smpte:TimeCode", "timecode", encoded)


def _decode_timecode(value: Any) -> str | None:
    """``HH:MM:SS:FF`` (``;FF`` when drop-frame) from OIIO's SMPTE timecode (BCD, 12M)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    word = int(value[0] if isinstance(value, (tuple, list)) else value)

    def bcd(shift: int, tens_mask: int) -> int:
        return ((word >> (shift + 4)) & tens_mask) * 10 + ((word >> shift) & 0xF)

    separator = ";" if word & 0x40 else ":"
    return f"{bcd(24, 0x3):02d}:{bcd(16, 0x7):02d}:{bcd(8, 0x7):02d}{separator}{bcd(0, 0x3):02d}"


def _encode_timecode(timecode: str) -> tuple[int, int] | None:
    """OIIO's timecode value for ``HH:MM:SS:FF`` / ``HH:MM:SS;FF``; None if malformed."""
    text = timecode.strip()
    parts = text.replace(";", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        return None
    word = 0
    for value, shift in zip((int(p) for p in parts), (24, 16, 8, 0), strict=True):
        word |= ((value // 10) << (shift + 4)) | ((value % 10) << shift)
    if ";" in text:
        word |= 0x40
    return (word, 0)


def _decode_fps(value: Any, dpx_rate: Any = None) -> Fraction | None:
    """The exact rate from ``FramesPerSecond`` (rational) or DPX's float frame rate."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[1]:
        return Fraction(int(value[0]), int(value[1]))
    rate = value if isinstance(value, (int, float)) else dpx_rate
    if not isinstance(rate, (int, float)) or rate <= 0:
        return None
    for known in _KNOWN_RATES:
        if abs(float(known) - rate) < 1e-3:
            return known
    return Fraction(rate).limit_denominator(1001)


def _set_typed_attribute(spec: Any, name: str, value: Any) -> None:
    """Write a python value with the OIIO type it most likely had; skip what has none."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = tuple(value.ravel().tolist())
    if isinstance(value, Fraction):
        spec.attribute(name, "rational", (value.numerator, value.denominator))
    elif isinstance(value, (bool, int, float, str)):
        spec.attribute(name, int(value) if isinstance(value, bool) else value)
    elif isinstance(value, (tuple, list)) and value:
        items = tuple(value)
        if all(isinstance(v, str) for v in items):
            type_name = f"string[{len(items)}]"
        elif all(isinstance(v, int) for v in items):
            type_name = "keycode" if name == "smpte:KeyCode" else f"int[{len(items)}]"
        elif all(isinstance(v, (int, float)) for v in items):
            items = tuple(float(v) for v in items)
            if name in _MATRIX_KEYS or len(items) == 16:
                type_name = "matrix"
            elif name == "screenWindowCenter":
                type_name = "float2"
            else:
                type_name = f"float[{len(items)}]"
        else:
            return
        spec.attribute(name, type_name, items)
