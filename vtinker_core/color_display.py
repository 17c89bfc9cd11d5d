"""What an OCIO display and view show: the viewer's side of the colour pipeline.

Mixed into :class:`~vtinker_core.color.ColorPipeline`::

    pipe.displays()                                # ["sRGB - Display", ...]
    pipe.views("sRGB - Display")                   # ["ACES 2.0 - SDR 100 nits (Rec.709)", ...]
    shown = pipe.to_display(rgb, "ACEScg", "sRGB - Display", "Un-tone-mapped", exposure_stops=1)
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from vtinker_core.errors import ColorConfigError

if TYPE_CHECKING:
    import PyOpenColorIO as ocio

__all__ = ["DisplayViews"]

RGB = NDArray[np.float32]


class DisplayViews:
    """Displays, views and the processors through them (a mixin of the colour pipeline)."""

    def display_processor(self: Any, colorspace: str, display: str, view: str) -> ocio.CPUProcessor:
        """The cached CPU processor from ``colorspace`` through an OCIO display and view."""
        import PyOpenColorIO as ocio

        name = self.resolve_colorspace(colorspace, setting="colorspace")
        self._check_display_view(display, view)

        def build() -> ocio.Processor:
            transform = ocio.DisplayViewTransform(src=name, display=display, view=view)
            return self._config.getProcessor(transform)

        return self._cpu(("display", name, display, view), build, f"{name} → {display}/{view}")

    def displays(self: Any) -> list[str]:
        """The config's active displays, default first as the config orders them."""
        return list(self._config.getDisplays())

    def views(self: Any, display: str) -> list[str]:
        """The views of ``display``.

        Raises:
            ColorConfigError: unknown display (``setting="display"``, with suggestions).
        """
        displays = self.displays()
        if display not in displays:
            raise _unknown("display", display, displays, self._source)
        return list(self._config.getViews(display))

    def to_display(
        self: Any,
        rgb: NDArray[Any],
        colorspace: str,
        display: str,
        view: str,
        exposure_stops: float = 0.0,
    ) -> RGB:
        """Pixels in ``colorspace`` as the OCIO ``display``/``view`` shows them.

        Args:
            rgb: ``...×3`` pixels in ``colorspace``.
            colorspace: name, alias or role.
            display: an OCIO display (see :meth:`displays`).
            view: one of the display's views (see :meth:`views`).
            exposure_stops: a gain of ``2 ** exposure_stops`` in ``scene_linear`` before the
                view, as a viewer's exposure control.
        """
        if exposure_stops == 0.0:
            return self.apply(self.display_processor(colorspace, display, view), rgb)
        linear = self.to_linear(rgb, colorspace)
        linear *= np.float32(2.0**exposure_stops)
        return self.apply(self.display_processor("scene_linear", display, view), linear)

    def _check_display_view(self: Any, display: str, view: str) -> None:
        views = self.views(display)
        if view not in views:
            raise _unknown("view", view, views, f"display {display!r}")



def _unknown(kind: str, name: str, known: Sequence[str], where: str) -> ColorConfigError:
    by_lower = {k.lower(): k for k in known}
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=5, cutoff=0.6)
    suggestions = tuple(by_lower[m] for m in matches)
    listed = ", ".join(repr(k) for k in (suggestions or tuple(known)))
    return ColorConfigError(
        f"unknown {kind} {name!r} in {where}; "
        + (f"did you mean {listed}?" if suggestions else f"choose one of {listed}"),
        suggestions=suggestions,
        setting=kind,
    )

