"""Which colourspace a file gets when nobody says: names and roles read off an OCIO config.

Mixed into :class:`~vtinker_core.color.ColorPipeline` (``pipe.default_colorspace(path)``,
``pipe.model_linear``); these are the name and role heuristics, kept apart from the processors
that convert pixels::

    pipe.default_colorspace("plate.1001.dpx")    # "ACEScct" (the compositing_log role)
    pipe.default_colorspace("ref.png")           # "sRGB Encoded Rec.709 (sRGB)"
    pipe.model_linear                            # "Linear Rec.709 (sRGB)"
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vtinker_core.errors import ColorConfigError

if TYPE_CHECKING:
    import PyOpenColorIO as ocio

__all__ = ["DefaultColorspaces"]

SCENE_LINEAR: Final = "scene_linear"
COMPOSITING_LOG: Final = "compositing_log"

# File extensions (lower case) by what they usually hold.
_SCENE_LINEAR_EXTENSIONS: Final = frozenset({".exr", ".sxr", ".hdr", ".rgbe", ".pfm"})
_LOG_EXTENSIONS: Final = frozenset({".dpx", ".cin"})
_VIDEO_EXTENSIONS: Final = frozenset(
    {".mov", ".mp4", ".m4v", ".mxf", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".mts", ".m2ts"}
)
_FLOAT_BIT_DEPTHS: Final = frozenset({"half", "float", "double"})

# Normalised names (lower case, letters and digits only) of linear Rec.709 spaces in common
# configs: the ACES CG/Studio configs and the older ACES 1.x / OCIO v1 configs.
_LINEAR_REC709_NAMES: Final = frozenset(
    {
        "linrec709srgb",
        "linrec709",
        "linrec709scene",
        "linsrgb",
        "linearrec709srgb",
        "linearrec709",
        "linearsrgb",
        "utilitylinearsrgb",
        "utilitylinearrec709",
    }
)
# Curve words that rule a Rec.709 space out as "Rec.709 video" (BT.1886 is gamma 2.4).
_OTHER_VIDEO_CURVES: Final = ("srgb", "g18", "g22", "g26", "gamma18", "gamma22", "gamma26")
# Gamut words that rule a space out as "sRGB Rec.709" or "Rec.709 video".
_OTHER_GAMUTS: Final = ("p3", "ap0", "ap1", "2020", "adobe", "xyz", "aces")



class DefaultColorspaces:
    """Default colourspaces by file type, config roles and names (:meth:`default_colorspace`)."""

    @property
    def model_linear(self: Any) -> str:
        """The linear Rec.709 space the model encoding starts from.

        The config's own linear Rec.709 space found by name (``Linear Rec.709 (sRGB)``,
        ``lin_rec709``, ``lin_srgb``, ``Utility - Linear - sRGB``, ...), else ``scene_linear``
        (which is then taken to have Rec.709 primaries, as in simple configs).
        """
        key = (self._config.getCacheID(), "model_linear")
        cached = self._cache.get(key)
        if cached is None:
            cached = self.scene_linear
            for space in self._spaces():
                known = space.tokens & _LINEAR_REC709_NAMES
                if known and not space.is_data and self._is_linear(space.name):
                    cached = space.name
                    break
            self._cache[key] = cached
        return str(cached)

    def default_colorspace(self: Any, path: str | Path, bit_depth: str | None = None) -> str:
        """The input colourspace a file gets when the user names none.

        In order:

        1. The config's file rules (``getColorSpaceFromFilepath``) when a rule other than the
           default rule matches: the config author knows the show's files best.
        2. EXR (and ``.hdr``/``.pfm``), and float or half files of any other type (e.g. float
           TIFF): the ``scene_linear`` role.
        3. DPX / Cineon: the log space (see below).
        4. Video (``.mov``, ``.mp4``, ``.mxf``, ...): Rec.709 video, see below.
        5. Anything else (8/16-bit PNG, TIFF, JPEG, ...): the config's sRGB texture space.

        Log space for DPX/Cineon: the ``compositing_log`` role; else a space named after
        Cineon or ADX (``ADX16`` for 16-bit files, ``ADX10`` otherwise); else the first
        space whose encoding is ``log``; else the first non-linear space with "log" in its name.

        sRGB space: the ``texture_paint`` or ``matte_paint`` role when it is an sRGB-encoded
        Rec.709 space (ACES configs point ``matte_paint`` at ACEScct, which is skipped); else
        a non-linear space whose name or alias contains "sRGB" (and no other gamut), scene-
        referred ones (e.g. ``sRGB Encoded Rec.709 (sRGB)``) before display ones.

        Rec.709 video: a gamma 2.4 / BT.1886 encoded Rec.709 space, scene-referred first (e.g.
        ``Gamma 2.4 Encoded Rec.709``), then display-referred (``Rec.1886 Rec.709 - Display``),
        then any other non-linear Rec.709 space (``Camera Rec.709``, ``rec709``); else sRGB.

        Args:
            path: the file (or a sequence pattern such as ``shot.####.dpx``).
            bit_depth: on-disk sample type as :class:`~vtinker_core.frame.FrameMeta` spells it
                (``uint8``, ``uint10``, ``uint16``, ``half``, ``float``, ...), if known.

        Returns:
            A colourspace name of the config.

        Raises:
            ColorConfigError: the config has no space of the kind needed (``setting`` is
                ``"input_colorspace"``: name one explicitly).
        """
        text = os.fspath(path)
        name, _rule = self._config.getColorSpaceFromFilepath(text)
        if name and not self._config.filepathOnlyMatchesDefaultRule(text):
            return self.resolve_colorspace(name, setting="file_rules")
        suffix = Path(text).suffix.lower()
        is_float = bit_depth is not None and bit_depth.lower() in _FLOAT_BIT_DEPTHS
        if suffix in _LOG_EXTENSIONS:
            return self._log_space(bit_depth)
        if suffix in _SCENE_LINEAR_EXTENSIONS or is_float:
            return self.scene_linear
        if suffix in _VIDEO_EXTENSIONS:
            return self._video_space()
        return self._srgb_space()

    def _log_space(self: Any, bit_depth: str | None) -> str:
        if self._config.hasRole(COMPOSITING_LOG):
            return self.resolve_colorspace(COMPOSITING_LOG, setting="ocio")
        spaces = [s for s in self._spaces() if not s.is_data]
        film = [s for s in spaces if any("cineon" in t or "adx" in t for t in s.tokens)]
        if film:
            want = "adx16" if bit_depth == "uint16" else "adx10"
            film.sort(key=lambda s: want not in s.tokens)
            return film[0].name
        for space in spaces:
            if space.encoding == "log":
                return space.name
        for space in spaces:
            if any("log" in t for t in space.tokens) and not self._is_linear(space.name):
                return space.name
        raise self._no_default("log (for DPX/Cineon)")

    def _srgb_space(self: Any) -> str:
        for role in ("texture_paint", "matte_paint"):
            if self._config.hasRole(role):
                name = self.resolve_colorspace(role, setting="ocio")
                if self._is_srgb_rec709(_Space.of(self._config.getColorSpace(name))):
                    return name
        found = [s for s in self._spaces() if self._is_srgb_rec709(s)]
        if not found:
            raise self._no_default("sRGB (for 8/16-bit images)")
        found.sort(key=lambda s: s.display_referred)
        return found[0].name

    def _video_space(self: Any) -> str:
        candidates = [
            s
            for s in self._spaces()
            if not s.is_data
            and any("rec709" in t for t in s.tokens)
            and not any(k in t for t in s.tokens for k in _OTHER_VIDEO_CURVES)
            and not any(g in t for t in s.tokens for g in _OTHER_GAMUTS)
            and not self._is_linear(s.name)
        ]

        def rank(space: _Space) -> tuple[bool, bool]:
            gamma24 = any(k in t for t in space.tokens for k in ("g24", "gamma24", "1886"))
            return (not gamma24, space.display_referred)

        if not candidates:
            return self._srgb_space()
        return min(candidates, key=rank).name

    def _is_srgb_rec709(self: Any, space: _Space) -> bool:
        return (
            not space.is_data
            and any("srgb" in t for t in space.tokens)
            and not any(g in t for t in space.tokens for g in _OTHER_GAMUTS)
            and not self._is_linear(space.name)
        )

    def _no_default(self: Any, kind: str) -> ColorConfigError:
        return ColorConfigError(
            f"OCIO config {self._source} has no {kind} colourspace to use by default; "
            "name the input colourspace explicitly",
            setting="input.colorspace",
        )

    def _is_linear(self: Any, name: str) -> bool:
        space = self._config.getColorSpace(name)
        encoding = space.getEncoding()
        if encoding:
            return encoding in ("scene-linear", "display-linear")
        return bool(self._config.isColorSpaceLinear(name, space.getReferenceSpaceType()))

    def _spaces(self: Any) -> list[_Space]:
        import PyOpenColorIO as ocio

        key = (self._config.getCacheID(), "spaces")
        spaces = self._cache.get(key)
        if spaces is None:
            spaces = [
                _Space.of(cs)
                for cs in self._config.getColorSpaces(
                    ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ACTIVE
                )
            ]
            self._cache[key] = spaces
        return list(spaces)



@dataclass(frozen=True)
class _Space:
    """What the default-colourspace search needs to know about one colourspace."""

    name: str
    tokens: frozenset[str]
    encoding: str
    is_data: bool
    display_referred: bool

    @classmethod
    def of(cls, cs: ocio.ColorSpace) -> _Space:
        import PyOpenColorIO as ocio

        labels = (cs.getName(), *cs.getAliases())
        return cls(
            name=str(cs.getName()),
            tokens=frozenset(_normalise(label) for label in labels),
            encoding=str(cs.getEncoding()),
            is_data=bool(cs.isData()),
            display_referred=cs.getReferenceSpaceType() == ocio.REFERENCE_SPACE_DISPLAY,
        )


def _normalise(label: str) -> str:
    """``"Linear Rec.709 (sRGB)"`` → ``"linearrec709srgb"``."""
    return re.sub(r"[^0-9a-z]", "", label.lower())
