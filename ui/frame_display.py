"""How the preview window shows a computed frame: the viewer's image, caption and views.

Example::

    display = FrameDisplay(viewer, view_controls, transport.info_label)
    display.show(result, pair=False)        # the image, or the flow/occlusion/wipe view
    display.needs_recompute(result, "flow") # True: the result has no flow picture yet
    pixel_readout(result, "ACEScg", 10, 4)  # "x 10  y 4   R 0.1800  G ...   (ACEScg)"

The caption says what is on show: for a sequence, the output frame, the source position it
samples and how (a copy, ``t`` between two source frames, or a hold at a cut); for a pair of
images, ``t``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from vtinker_ui.compute import FrameResult
from vtinker_ui.controls import ViewControls
from vtinker_ui.viewer import ImageViewer

#: The result field each view mode needs besides the image (absent: computed on request).
_VIEW_FIELDS = {"wipe": "reference", "flow": "flow", "occlusion": "occlusion"}


def caption(sample: Any, *, pair: bool) -> str:
    """What the viewer's caption says about ``sample``."""
    if pair:
        return f"t {sample.position:.3f}"
    what = "copy" if sample.is_copy else f"t {sample.t:.3f} of {sample.frame_a}→{sample.frame_b}"
    if sample.is_hold:
        what = f"hold at the cut before {sample.hold_cut}"
    return f"output {sample.output_frame} · source {sample.position:g} ({what})"


def pixel_readout(result: FrameResult, colorspace: str, x: int, y: int) -> str | None:
    """The status-bar line for image pixel (x, y) of ``result`` (None when outside)."""
    height, width = result.pixels.shape[:2]
    if not (0 <= x < width and 0 <= y < height):
        return None
    r, g, b = (float(v) for v in result.pixels[y, x, :3])
    return f"x {x}  y {y}   R {r:.4f}  G {g:.4f}  B {b:.4f}   ({colorspace})"


class FrameDisplay:
    """Puts computed frames on the viewer in the chosen view mode.

    Args:
        viewer: shows the image (and the B side of the wipe).
        view_controls: the view mode.
        info_label: says how long the frame took.
    """

    def __init__(self, viewer: ImageViewer, view_controls: ViewControls, info_label: QLabel):
        self.viewer = viewer
        self.view_controls = view_controls
        self.info_label = info_label

    @staticmethod
    def needs_recompute(result: FrameResult | None, mode: str) -> bool:
        """Whether ``mode`` needs a picture ``result`` was computed without."""
        field = _VIEW_FIELDS.get(mode)
        return result is not None and field is not None and getattr(result, field) is None

    def show(self, result: FrameResult | None, *, pair: bool) -> None:
        """Show ``result`` (nothing happens for None)."""
        if result is None:
            return
        sample = result.sample
        mode = self.view_controls.mode()
        head = caption(sample, pair=pair)
        image = result.image
        self.viewer.set_wipe(mode == "wipe")
        if mode == "flow" and result.flow is not None:
            image, head = result.flow, f"{head} · flow (hue: direction, saturation: speed)"
        elif mode == "occlusion" and result.occlusion is not None:
            image, head = result.occlusion, f"{head} · occlusion (red)"
        self.viewer.set_image(image, f"A: output {sample.position:g}")
        if mode == "wipe" and result.reference is not None:
            self.viewer.set_reference(result.reference, f"B: source {result.reference_frame}")
        self.viewer.set_caption(head)
        self.info_label.setText(f"computed in {result.seconds * 1000:.0f} ms")


__all__ = ["FrameDisplay", "caption", "pixel_readout"]
