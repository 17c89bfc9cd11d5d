"""Colour through OpenColorIO: the config, its processors and the model encoding.

Default colourspaces by file type (:mod:`vtinker_core.color_defaults`) and displays and views
(:mod:`vtinker_core.color_display`) are mixed into the same :class:`ColorPipeline`.

A :class:`ColorPipeline` wraps one OCIO config and builds every conversion the retime needs as
an OCIO processor, built once and cached::

    pipe = ColorPipeline()                      # $OCIO, else the built-in ocio://default
    pipe = ColorPipeline("/show/config.ocio")   # or an explicit path / "ocio://..." URI
    space = pipe.default_colorspace("plate.1001.dpx")   # e.g. "ACEScct" (compositing_log)
    image = pipe.to_model(rgb, space)           # what the network sees, plus the linear carry
    image.model                                 # H×W×3 float32 in [0, 1], sRGB-encoded Rec.709
    image.linear                                # H×W×3 float32 in the config's scene_linear
    image.outside                               # H×W bool: the encoding could not carry it
    out = pipe.from_model(network_rgb, space)   # back to the plate's own colourspace
    view = pipe.to_display(rgb, space, "sRGB - Display", "Un-tone-mapped", exposure_stops=1.0)

The model encoding
    The network was trained on 8-bit sRGB video frames, so it sees display-like RGB: linear
    Rec.709 encoded with the sRGB transfer curve (IEC 61966-2-1), clipped to [0, 1]. The path
    is input colourspace → the config's ``scene_linear`` → linear Rec.709 (a config space found
    by name, see :attr:`ColorPipeline.model_linear`; when the config has none, ``scene_linear``
    is taken to have Rec.709 primaries) → the sRGB curve, built as an OCIO
    ``ExponentWithLinearTransform`` (gamma 2.4, offset 0.055). OCIO derives that curve's linear
    segment from continuity, a slope of 12.9232 instead of the standard's 12.92: the two differ
    by less than 4e-6 below 0.0031308 and agree above it.

Out-of-range values
    Highlights above 1 and negatives do not fit the encoding. :meth:`ColorPipeline.to_model`
    clips only the copy it gives the network; :attr:`ModelImage.linear` keeps every value and
    :attr:`ModelImage.outside` marks the pixels the engine must carry in linear light
    (ARCHITECTURE.md, "Colour"). :func:`merge_outside` puts them back.

Precision
    Processors run in float32 with OCIO's default optimisation minus its fast ``pow``/``log``
    approximations (which are off by up to ~1e-5 relative, enough to push 1.0 to 1.0000067):
    a linear → model → linear round trip is exact to about 1e-6 relative.

Non-finite input
    :func:`check_finite` refuses NaN/Inf pixels, or with ``sanitize=True`` replaces NaN by 0 and
    ±Inf by ±65504 (the largest half float).

PyOpenColorIO is imported on first use, not at import time, so that modules which only name
these types stay light (STYLE.md §1).
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

from vtinker_core.color_defaults import SCENE_LINEAR, DefaultColorspaces
from vtinker_core.color_display import DisplayViews
from vtinker_core.errors import ColorConfigError, NonFiniteError
from vtinker_core.frame import Frame

if TYPE_CHECKING:
    import PyOpenColorIO as ocio

__all__ = [
    "HALF_MAX",
    "OUTSIDE_TOLERANCE",
    "ColorPipeline",
    "ModelImage",
    "check_finite",
    "merge_outside",
]

RGB = NDArray[np.float32]

#: The largest finite half float; what ``--sanitize`` writes for +Inf (and its negative for -Inf).
HALF_MAX: Final = 65504.0

#: A model value counts as outside [0, 1] only beyond this margin, so float32 rounding in a
#: round trip (an sRGB 1.0 coming back as 1.0000001) does not flag a pixel. It is 1/400 of an
#: 8-bit code value.
OUTSIDE_TOLERANCE: Final = 1e-5

# The sRGB transfer curve (IEC 61966-2-1) as OCIO's ExponentWithLinearTransform parameters:
# decode = ((v + 0.055) / 1.055) ** 2.4 above the break, linear below. Forward decodes, so the
# model side (linear → sRGB) uses it inverted. Alpha (4th value) is left untouched.
_SRGB_GAMMA: Final = (2.4, 2.4, 2.4, 1.0)
_SRGB_OFFSET: Final = (0.055, 0.055, 0.055, 0.0)

@dataclass(frozen=True, eq=False)
class ModelImage:
    """An image as the network sees it, with what the encoding could not carry.

    Attributes:
        model: H×W×3 float32 in [0, 1]: sRGB-encoded linear Rec.709, clipped. The network's input.
        linear: H×W×3 float32 in the config's ``scene_linear``, nothing clipped.
        outside: H×W bool, True where any channel of the model encoding fell outside [0, 1]
            (beyond :data:`OUTSIDE_TOLERANCE`) before clipping: highlights, negatives, colours
            outside Rec.709. The engine carries these pixels from ``linear``.
    """

    model: RGB
    linear: RGB
    outside: NDArray[np.bool_]


class ColorPipeline(DefaultColorspaces, DisplayViews):
    """One OCIO config and the conversions a retime needs, with processors cached.

    Args:
        config: an OCIO config file path or a built-in URI (``ocio://studio-config-...``).
            ``None`` uses ``$OCIO``, else the built-in ``ocio://default``.

    Raises:
        ColorConfigError: the config cannot be loaded; the message names it and quotes OCIO.
    """

    def __init__(self, config: str | Path | None = None) -> None:
        loaded, source = _load_config(config)
        self._setup(loaded, source)

    @classmethod
    def from_config(cls, config: ocio.Config, *, source: str | None = None) -> ColorPipeline:
        """A pipeline on a config already in memory (e.g. ``Config.CreateFromStream`` in tests).

        Args:
            config: the OCIO config; it is used as is, not copied.
            source: what :attr:`config_source` should say; defaults to the config's name.
        """
        pipe = cls.__new__(cls)
        name = config.getName() or "unnamed"
        pipe._setup(config, source if source is not None else f"in-memory config '{name}'")
        return pipe

    def _setup(self, config: ocio.Config, source: str) -> None:
        self._config = config
        self._source = source
        self._lock = threading.Lock()
        self._cache: dict[Hashable, Any] = {}

    # ----------------------------------------------------------------------------- the config

    @property
    def config(self) -> ocio.Config:
        """The OCIO config."""
        return self._config

    @property
    def config_source(self) -> str:
        """Where the config came from, for ``vtinker info``.

        E.g. ``"/show/config.ocio (explicit)"``, ``"/show/config.ocio (from $OCIO)"``,
        ``"ocio://default (built-in default: cg-config-v5.0.0_aces-v2.1_ocio-v2.6)"``.
        """
        return self._source

    def colorspace_names(self) -> list[str]:
        """The config's active colourspace names, in config order."""
        return list(self._config.getColorSpaceNames())

    def resolve_colorspace(self, name: str, *, setting: str = "colorspace") -> str:
        """The colourspace name that ``name`` stands for.

        Accepts colourspace names, aliases and role names (``scene_linear``,
        ``compositing_log``, ``color_timing``, ``data``, ...), case-insensitively.

        Args:
            name: what the user gave.
            setting: the caller's setting name (e.g. ``"input_colorspace"``), kept on the error.

        Raises:
            ColorConfigError: unknown name; ``suggestions`` holds the closest names.
        """
        space = self._config.getColorSpace(name) if name else None
        if space is not None:
            return str(space.getName())
        suggestions = self._closest(name)
        if suggestions:
            hint = f"did you mean {', '.join(repr(s) for s in suggestions)}?"
        else:
            names = self.colorspace_names()
            hint = f"the config has {', '.join(names[:12])}" + (" ..." if len(names) > 12 else "")
        raise ColorConfigError(
            f"unknown colourspace {name!r} for {setting} in OCIO config {self._source}; {hint}",
            suggestions=suggestions,
            setting=setting,
        )

    @property
    def scene_linear(self) -> str:
        """The colourspace of the ``scene_linear`` role (the retime's working space).

        Raises:
            ColorConfigError: the config has no ``scene_linear`` role.
        """
        if not self._config.hasRole(SCENE_LINEAR):
            raise ColorConfigError(
                f"OCIO config {self._source} has no {SCENE_LINEAR!r} role; the retime works in "
                "scene-linear light, so the config must name its scene-linear space",
                setting="ocio",
            )
        return self.resolve_colorspace(SCENE_LINEAR, setting="ocio")

    # ------------------------------------------------------------------ default colourspaces

    def _closest(self, name: str) -> tuple[str, ...]:
        import PyOpenColorIO as ocio

        # Every label a user may type (names, aliases, roles) → (label, the space it means).
        by_lower: dict[str, tuple[str, str]] = {}
        for cs in self._config.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL):
            for label in (cs.getName(), *cs.getAliases()):
                by_lower.setdefault(label.lower(), (label, cs.getName()))
        for role, space in self._config.getRoles():
            by_lower.setdefault(role.lower(), (role, space))
        matches = difflib.get_close_matches(name.lower(), list(by_lower), n=10, cutoff=0.6)
        suggestions: dict[str, str] = {}  # one label per colourspace, best match first
        for match in matches:
            label, space = by_lower[match]
            suggestions.setdefault(space, label)
        return tuple(suggestions.values())[:5]

    # -------------------------------------------------------------------------- processors

    def processor(self, src: str, dst: str) -> ocio.CPUProcessor:
        """The cached CPU processor from colourspace ``src`` to ``dst`` (names, aliases, roles)."""
        src_name = self.resolve_colorspace(src, setting="colorspace")
        dst_name = self.resolve_colorspace(dst, setting="colorspace")

        def build() -> ocio.Processor:
            return self._config.getProcessor(src_name, dst_name)

        return self._cpu(("colorspace", src_name, dst_name), build, f"{src_name} → {dst_name}")

    def model_processor(self, colorspace: str, *, inverse: bool = False) -> ocio.CPUProcessor:
        """The cached CPU processor from ``colorspace`` to the model encoding (or back).

        Args:
            colorspace: name, alias or role.
            inverse: False for colourspace → model encoding, True for model encoding →
                colourspace.
        """
        import PyOpenColorIO as ocio

        name = self.resolve_colorspace(colorspace, setting="colorspace")
        linear709 = self.model_linear

        def build() -> ocio.Processor:
            steps: list[ocio.Transform] = []
            if name != linear709:
                steps.append(ocio.ColorSpaceTransform(src=name, dst=linear709))
            steps.append(
                ocio.ExponentWithLinearTransform(
                    gamma=list(_SRGB_GAMMA),
                    offset=list(_SRGB_OFFSET),
                    negativeStyle=ocio.NEGATIVE_LINEAR,
                    direction=ocio.TRANSFORM_DIR_INVERSE,
                )
            )
            direction = ocio.TRANSFORM_DIR_INVERSE if inverse else ocio.TRANSFORM_DIR_FORWARD
            return self._config.getProcessor(ocio.GroupTransform(steps), direction)

        what = f"model encoding → {name}" if inverse else f"{name} → model encoding"
        return self._cpu(("model", name, inverse), build, what)

    def _cpu(self, key: tuple[Hashable, ...], build: Any, what: str) -> ocio.CPUProcessor:
        import PyOpenColorIO as ocio

        full_key = (self._config.getCacheID(), *key)
        with self._lock:
            cpu = self._cache.get(full_key)
            if cpu is None:
                try:
                    processor = build()
                    # The default optimisation swaps pow/log for fast approximations that are
                    # off by up to ~1e-5 relative (1.0 comes out as 1.0000067); keep the rest.
                    flags = ocio.OptimizationFlags(
                        int(ocio.OPTIMIZATION_DEFAULT) & ~int(ocio.OPTIMIZATION_FAST_LOG_EXP_POW)
                    )
                    cpu = processor.getOptimizedCPUProcessor(flags)
                except (ocio.Exception, ocio.ExceptionMissingFile) as err:
                    raise ColorConfigError(
                        f"OCIO config {self._source} cannot convert {what}: {err}",
                        setting="ocio",
                    ) from err
                self._cache[full_key] = cpu
        return cpu

    # ---------------------------------------------------------------------------- applying

    @staticmethod
    def apply(cpu: ocio.CPUProcessor, rgb: NDArray[Any]) -> RGB:
        """A C-contiguous float32 copy of ``rgb`` (``...×3``) run through processor ``cpu``."""
        return _apply(cpu, rgb)

    def to_model(self, rgb: NDArray[Any], colorspace: str) -> ModelImage:
        """Pixels in ``colorspace`` → what the network sees, plus the linear carry.

        Args:
            rgb: H×W×3 (any ``...×3``) pixels in ``colorspace``; finite (see
                :func:`check_finite`).
            colorspace: name, alias or role of the pixels' colourspace.

        Returns:
            The clipped model encoding, the unclipped ``scene_linear`` pixels and the mask of
            pixels the encoding could not carry.
        """
        linear = _apply(self.processor(colorspace, SCENE_LINEAR), rgb)
        encoded = _apply(self.model_processor(SCENE_LINEAR), linear)
        outside = np.any(
            (encoded < -OUTSIDE_TOLERANCE) | (encoded > 1.0 + OUTSIDE_TOLERANCE), axis=-1
        )
        np.clip(encoded, 0.0, 1.0, out=encoded)
        return ModelImage(model=encoded, linear=linear, outside=outside)

    def from_model(self, model_rgb: NDArray[Any], colorspace: str) -> RGB:
        """Model-encoded pixels (the network's output) → ``colorspace``; nothing is clipped."""
        return _apply(self.model_processor(colorspace, inverse=True), model_rgb)

    def to_linear(self, rgb: NDArray[Any], colorspace: str) -> RGB:
        """Pixels in ``colorspace`` → the config's ``scene_linear``."""
        return _apply(self.processor(colorspace, SCENE_LINEAR), rgb)

    def linear_to(self, rgb_linear: NDArray[Any], colorspace: str) -> RGB:
        """``scene_linear`` pixels → ``colorspace``."""
        return _apply(self.processor(SCENE_LINEAR, colorspace), rgb_linear)

# --------------------------------------------------------------------------------- helpers


def merge_outside(
    model_linear: NDArray[Any], carried_linear: NDArray[Any], outside: NDArray[Any]
) -> RGB:
    """Where ``outside`` is set take the carried linear pixels, elsewhere the network's.

    Args:
        model_linear: the network's output brought back to ``scene_linear``
            (``from_model(out, "scene_linear")``), ``...×3``.
        carried_linear: the out-of-range pixels carried in ``scene_linear`` (e.g. the
            motion-compensated blend of :attr:`ModelImage.linear`), same shape.
        outside: the mask, shape ``...`` (one value per pixel).
    """
    model_linear = np.asarray(model_linear, dtype=np.float32)
    carried_linear = np.asarray(carried_linear, dtype=np.float32)
    if model_linear.shape != carried_linear.shape or outside.shape != model_linear.shape[:-1]:
        raise ValueError(
            f"merge_outside needs matching shapes; got model {model_linear.shape}, "
            f"carried {carried_linear.shape}, mask {outside.shape}"
        )
    return np.where(outside[..., None], carried_linear, model_linear).astype(np.float32)


def check_finite(frame: Frame, *, source: str | Path, sanitize: bool = False) -> tuple[Frame, int]:
    """Refuse (or, if asked, repair) NaN and Inf pixels.

    With ``sanitize=True`` NaN becomes 0, +Inf becomes +65504 and -Inf becomes -65504 (the
    largest half float, so the value survives a half EXR write), in every channel.

    Args:
        frame: the frame as read.
        source: the file it came from, for the error.
        sanitize: replace instead of raising.

    Returns:
        The frame (the same object when nothing was replaced) and the number of samples
        replaced.

    Raises:
        NonFiniteError: non-finite samples and ``sanitize`` is False; ``channel`` is the
            first channel holding any, ``count`` the total over all channels and the message
            lists each channel's count.
    """
    pixels = frame.pixels
    finite = np.isfinite(pixels)
    if finite.all():
        return frame, 0
    per_channel = np.count_nonzero(~finite, axis=(0, 1))
    total = int(per_channel.sum())
    if not sanitize:
        counts = ", ".join(
            f"{name} {int(n)}" for name, n in zip(frame.channels, per_channel, strict=True) if n
        )
        first = frame.channels[int(np.flatnonzero(per_channel)[0])]
        raise NonFiniteError(
            f"'{source}' has {total} NaN/Inf value(s) ({counts}); use --sanitize to replace "
            f"NaN by 0 and ±Inf by ±{HALF_MAX:g}",
            channel=first,
            count=total,
            path=source,
        )
    clean = np.nan_to_num(pixels, copy=True, nan=0.0, posinf=HALF_MAX, neginf=-HALF_MAX)
    return frame.with_pixels(clean), total


def _load_config(spec: str | Path | None) -> tuple[ocio.Config, str]:
    import PyOpenColorIO as ocio

    if spec is not None:
        text, origin = os.fspath(spec), "explicit"
    elif os.environ.get("OCIO"):
        text, origin = os.environ["OCIO"], "from $OCIO"
    else:
        text, origin = "ocio://default", "built-in default"
    try:
        config = ocio.Config.CreateFromFile(text)
    except (ocio.Exception, ocio.ExceptionMissingFile) as err:
        is_uri = text.startswith("ocio://")
        raise ColorConfigError(
            f"cannot load OCIO config '{text}' ({origin}): {err}",
            path=None if is_uri else text,
            setting="ocio",
        ) from err
    if origin == "built-in default":
        origin = f"built-in default: {config.getName()}"
    return config, f"{text} ({origin})"


def _apply(cpu: ocio.CPUProcessor, rgb: NDArray[Any]) -> RGB:
    """A C-contiguous float32 copy of ``rgb`` (``...×3``) run through ``cpu``."""
    out = np.array(rgb, dtype=np.float32, order="C", copy=True)
    if out.ndim == 0 or out.shape[-1] != 3:
        raise ValueError(f"expected RGB pixels shaped (..., 3), got shape {out.shape}")
    cpu.applyRGB(out)
    return out


