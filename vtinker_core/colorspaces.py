"""What a colourspace is: its curve, gamut and reference, its chromaticities, its video tags.

Colourspaces are known by their Color Interop Forum identifier (``lin_ap1_scene``,
``srgb_rec709_scene``, ``g24_rec709_display``, ``pq_rec2020_display``: curve, gamut, scene or
display referred), which OCIO 2.5+ configs carry as ``interop_id``. For configs without them the
identity is read off the name (``ACEScg``, ``Utility - Linear - sRGB``, ``rec709``...).

Example::

    pipe = ColorPipeline()
    identify(pipe, "ACEScg")                        # SpaceId("lin", "ap1", "scene")
    chromaticities(pipe, "ACEScg")                  # (0.713, 0.293, 0.165, 0.83, ... 0.33767)
    header_name(pipe, "ACEScg")                     # "lin_ap1_scene" (what a file header says)
    video_tags(pipe, "Gamma 2.4 Encoded Rec.709")   # VideoTags("bt709", "bt709", "bt709", "tv")
    colorspace_for_video(pipe, VideoTags("bt2020", "smpte2084", "bt2020nc", "tv"))
    # -> ("Rec.2100-PQ - Display", None)

Video tags follow FFmpeg's names (``libavutil/pixfmt.h``). A stream coded with the BT.709,
BT.601 or BT.2020 transfer is shown on a BT.1886 (gamma 2.4) display, which is how editors and
colourists read it, so it maps to the gamma 2.4 encoded space of its gamut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from vtinker_core.errors import ColorConfigError

if TYPE_CHECKING:
    from vtinker_core.color import ColorPipeline

__all__ = [
    "SpaceId",
    "VideoTags",
    "chromaticities",
    "colorspace_for_video",
    "find_colorspace",
    "header_name",
    "identify",
    "resolve_file_colorspace",
    "video_tags",
]

#: CIE xy of the red, green and blue primaries and the white point, by interop gamut name
#: (ITU-R BT.709, BT.2020, SMPTE ST 2065-1 (AP0), ACES AP1, SMPTE EG 432-1 (P3-D65), Adobe RGB).
CHROMATICITIES: Final[dict[str, tuple[float, ...]]] = {
    "rec709": (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290),
    "rec2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),
    "ap0": (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767),
    "ap1": (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767),
    "p3d65": (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290),
    "adobergb": (0.64, 0.33, 0.21, 0.71, 0.15, 0.06, 0.3127, 0.3290),
}

# Interop curve → FFmpeg transfer, and back. BT.709/601/2020-coded streams are read as BT.1886.
_TRANSFER_OF_CURVE: Final = {
    "srgb": "iec61966-2-1",
    "g24": "bt709",
    "g22": "gamma22",
    "g28": "gamma28",
    "pq": "smpte2084",
    "hlg": "arib-std-b67",
    "lin": "linear",
}
_CURVE_OF_TRANSFER: Final = {
    "bt709": "g24",
    "smpte170m": "g24",
    "bt2020-10": "g24",
    "bt2020-12": "g24",
    "bt1361e": "g24",
    "iec61966-2-1": "srgb",
    "gamma22": "g22",
    "gamma28": "g28",
    "smpte2084": "pq",
    "arib-std-b67": "hlg",
    "linear": "lin",
}
_PRIMARIES_OF_GAMUT: Final = {"rec709": "bt709", "rec2020": "bt2020", "p3d65": "smpte432"}
# Standard-definition primaries are within a few hundredths of Rec.709 (read as Rec.709).
_GAMUT_OF_PRIMARIES: Final = {
    "bt709": "rec709",
    "smpte170m": "rec709",
    "bt470bg": "rec709",
    "bt470m": "rec709",
    "smpte240m": "rec709",
    "bt2020": "rec2020",
    "smpte432": "p3d65",
}
_SD_PRIMARIES: Final = frozenset({"smpte170m", "bt470bg", "bt470m", "smpte240m"})

# Name words → gamut / curve, for configs whose colourspaces carry no interop id. Checked in
# order against the name in lower case with everything but letters and digits removed.
_GAMUT_WORDS: Final = (
    ("aces2065", "ap0"),
    ("ap0", "ap0"),
    ("acescg", "ap1"),
    ("acescct", "ap1"),
    ("acescc", "ap1"),
    ("ap1", "ap1"),
    ("2020", "rec2020"),
    ("2100", "rec2020"),
    ("p3dci", "p3dci"),
    ("p3d60", "p3d60"),
    ("p3d65", "p3d65"),
    ("displayp3", "p3d65"),
    ("adobe", "adobergb"),
    ("709", "rec709"),
    ("srgb", "rec709"),
)
_CURVE_WORDS: Final = (
    ("acescct", "acescct"),
    ("acescc", "acescc"),
    ("acescg", "lin"),
    ("aces2065", "lin"),
    ("linear", "lin"),
    ("lin", "lin"),
    ("st2084", "pq"),
    ("pq", "pq"),
    ("hlg", "hlg"),
    ("g24", "g24"),
    ("gamma24", "g24"),
    ("1886", "g24"),
    ("g22", "g22"),
    ("gamma22", "g22"),
    ("g18", "g18"),
    ("gamma18", "g18"),
    ("g26", "g26"),
    ("gamma26", "g26"),
    ("srgb", "srgb"),
)


@dataclass(frozen=True)
class SpaceId:
    """A colourspace's identity: ``curve`` (``lin``, ``srgb``, ``g24``, ``pq``, ``acescct``...),
    ``gamut`` (``rec709``, ``ap1``, ``rec2020``...), ``reference`` (``scene`` or ``display``).
    Any part may be None when unknown."""

    curve: str | None
    gamut: str | None
    reference: str

    @classmethod
    def parse(cls, interop_id: str) -> SpaceId | None:
        """``"ocio:g24_rec709_display"`` → ``SpaceId("g24", "rec709", "display")``."""
        parts = interop_id.rpartition(":")[2].split("_")
        if len(parts) != 3 or parts[2] not in ("scene", "display"):
            return None
        return cls(parts[0], parts[1], parts[2])


@dataclass(frozen=True)
class VideoTags:
    """A video stream's colour description, in FFmpeg's names; None where untagged.

    Attributes:
        primaries: ``bt709``, ``bt2020``, ``smpte432``, ``smpte170m``...
        transfer: ``bt709``, ``iec61966-2-1``, ``smpte2084``, ``arib-std-b67``...
        matrix: ``bt709``, ``bt2020nc``, ``smpte170m``, ``gbr`` (RGB)...
        color_range: ``tv`` (limited) or ``pc`` (full).
    """

    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    color_range: str | None = None

    @property
    def untagged(self) -> bool:
        return self.primaries is None and self.transfer is None


def identify(pipe: ColorPipeline, name: str) -> SpaceId:
    """The identity of colourspace ``name``: its interop id, else read off its name."""
    import PyOpenColorIO as ocio

    space = pipe.config.getColorSpace(pipe.resolve_colorspace(name))
    interop = str(getattr(space, "getInteropID", lambda: "")() or "")
    parsed = SpaceId.parse(interop) if interop else None
    if parsed is not None:
        return parsed
    display = space.getReferenceSpaceType() == ocio.REFERENCE_SPACE_DISPLAY
    words = re.sub(r"[^0-9a-z]", "", " ".join((space.getName(), *space.getAliases())).lower())
    gamut = next((g for word, g in _GAMUT_WORDS if word in words), None)
    curve = next((c for word, c in _CURVE_WORDS if word in words), None)
    return SpaceId(curve, gamut, "display" if display else "scene")


def header_name(pipe: ColorPipeline, name: str) -> str:
    """What a file header should say for ``name``: its interop id, else the config's name."""
    space = pipe.config.getColorSpace(pipe.resolve_colorspace(name))
    interop = str(getattr(space, "getInteropID", lambda: "")() or "")
    return interop or str(space.getName())


def chromaticities(pipe: ColorPipeline, name: str) -> tuple[float, ...] | None:
    """EXR ``chromaticities`` (R, G, B, white xy) of ``name``'s gamut; None if not known."""
    gamut = identify(pipe, name).gamut
    return CHROMATICITIES.get(gamut) if gamut else None


def find_colorspace(pipe: ColorPipeline, curve: str, gamut: str) -> str | None:
    """The config's colourspace with this curve and gamut, scene-referred first; None if none."""
    found: dict[str, str] = {}
    for name in pipe.colorspace_names():
        ident = identify(pipe, name)
        if ident.curve == curve and ident.gamut == gamut:
            found.setdefault(ident.reference, name)
    return found.get("scene") or found.get("display")


def resolve_file_colorspace(pipe: ColorPipeline, tag: str | None) -> str | None:
    """The config's colourspace a file header names (an interop id or a name), or None."""
    if not tag:
        return None
    for name in pipe.colorspace_names():
        if header_name(pipe, name) == tag:
            return name
    parsed = SpaceId.parse(tag)
    if parsed is not None and parsed.curve and parsed.gamut:
        return find_colorspace(pipe, parsed.curve, parsed.gamut)
    try:
        return pipe.resolve_colorspace(tag)
    except ColorConfigError:
        return None


def colorspace_for_video(pipe: ColorPipeline, tags: VideoTags) -> tuple[str, str | None]:
    """The colourspace a stream's tags describe, and a note for the user when one is due.

    Untagged streams are read as Rec.709 shown on a BT.1886 display (the broadcast default),
    with a note saying so; standard-definition primaries are read as Rec.709.

    Raises:
        ColorConfigError: the tags name a transfer or gamut this config has no space for
            (``setting="input.colorspace"``: name one).
    """
    note = None
    if tags.untagged:
        note = (
            "the video has no colour tags; reading it as Rec.709 (BT.1886, gamma 2.4); "
            "pass --input-colorspace if it is something else"
        )
    transfer = tags.transfer or "bt709"
    primaries = tags.primaries or ("bt2020" if tags.matrix in ("bt2020nc", "bt2020c") else "bt709")
    curve = _CURVE_OF_TRANSFER.get(transfer)
    gamut = _GAMUT_OF_PRIMARIES.get(primaries)
    if primaries in _SD_PRIMARIES and note is None:
        note = f"the video's {primaries} primaries are read as Rec.709"
    name = find_colorspace(pipe, curve, gamut) if curve and gamut else None
    if name is None and (curve, gamut) == ("g24", "rec709"):
        name = pipe.default_colorspace("video.mov")  # configs without interop ids
    if name is None:
        raise ColorConfigError(
            f"the video is tagged {primaries} primaries with the {transfer} transfer, and OCIO "
            f"config {pipe.config_source} has no such colourspace; name one with "
            "--input-colorspace",
            setting="input.colorspace",
        )
    return name, note


def video_tags(pipe: ColorPipeline, name: str) -> VideoTags:
    """The tags a stream holding colourspace ``name`` should carry (None where none fits).

    The matrix follows the gamut (BT.2020 non-constant luminance for Rec.2020, else BT.709);
    the range is limited (``tv``), the broadcast default.
    """
    ident = identify(pipe, name)
    primaries = _PRIMARIES_OF_GAMUT.get(ident.gamut or "")
    transfer = _TRANSFER_OF_CURVE.get(ident.curve or "")
    if transfer == "bt709" and primaries == "bt2020":
        transfer = "bt2020-10"
    matrix = "bt2020nc" if primaries == "bt2020" else "bt709"
    return VideoTags(primaries, transfer, matrix, "tv")
