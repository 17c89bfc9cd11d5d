"""Motion that does not come from the engine's own estimate on the source.

Two Kronos inputs, done once here for the renderer::

    vectors = SuppliedVectors(source, "input")          # the plate's own forward/backward
    motion = vectors.motion(1001, 1002, image0, image1) # flows from the EXR layers

    mosrc = MotionSource(open_source("denoised.####.exr"), "denoised.####.exr")
    frame0, frame1 = mosrc.pair(1001, 1002, (1080, 1920)) # estimate on these instead

:class:`SuppliedVectors` reads ``forward.u/v`` on the pair's first frame and ``backward.u/v`` on
its second (Nuke's convention, in pixels with y down as this project writes them; a pair
across a hole scales them by the frames between), and derives occlusion from the two flows'
consistency. :class:`MotionSource` reads the same frame numbers from another sequence of the
same size. Every missing frame, missing layer or wrong size is a
:class:`~vtinker_core.errors.JobError` naming the frame, the file and the setting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vtinker_core.engines import Motion
from vtinker_core.engines.classical_flow import check_consistency
from vtinker_core.errors import JobError, VTinkerError
from vtinker_core.frame import Frame, Pixels

__all__ = ["MotionSource", "SuppliedVectors", "occlusions"]


def occlusions(
    forward: Pixels, backward: Pixels, image0: Pixels, image1: Pixels
) -> tuple[Pixels, Pixels]:
    """Occlusion of each frame's pixels from the forward-backward consistency of two flows
    (1 where a pixel is hidden in, or carried out of, the other frame)."""
    occlusion0, _ = check_consistency(forward, backward, image0, image1)
    occlusion1, _ = check_consistency(backward, forward, image1, image0)
    return occlusion0, occlusion1


class _Reader:
    """Frames of another sequence, checked against the source's frames and size."""

    def __init__(self, reader: Any, label: str, setting: str) -> None:
        self.reader, self.label, self.setting = reader, label, setting

    def read(self, number: int, size: tuple[int, int]) -> Frame:
        if number not in set(self.reader.frames):
            raise JobError(
                f"{self.setting}: frame {number} is missing from '{self.label}' "
                "(it needs every source frame the retime reads)",
                setting=self.setting,
            )
        try:
            frame: Frame = self.reader.read(number)
        except VTinkerError as err:
            raise JobError(f"{self.setting}: {err}", setting=self.setting) from err
        if (frame.height, frame.width) != size:
            raise JobError(
                f"{self.setting}: frame {number} of '{self.label}' is "
                f"{frame.width}×{frame.height}, the source is {size[1]}×{size[0]}",
                setting=self.setting,
            )
        return frame


class SuppliedVectors(_Reader):
    """Motion from ``forward.u/v``, ``backward.u/v`` layers (``motion.vectors_from``)."""

    def __init__(self, reader: Any, label: str) -> None:
        super().__init__(reader, label, "motion.vectors_from")

    def _flow(self, number: int, size: tuple[int, int], which: str) -> Pixels:
        frame = self.read(number, size)
        names = (f"{which}.u", f"{which}.v")
        missing = [n for n in names if n not in frame.channels]
        if missing:
            raise JobError(
                f"motion.vectors_from: frame {number} of '{self.label}' has no "
                f"{' / '.join(missing)} layer (it has {', '.join(frame.channels)}); write "
                "vectors with it (a render with --vectors, Nuke's VectorGenerator) or "
                "estimate motion instead",
                setting="motion.vectors_from",
            )
        return np.ascontiguousarray(frame.select(names), dtype=np.float32)

    def motion(self, a: int, b: int, image0: Pixels, image1: Pixels) -> Motion:
        """The pair (a, b)'s motion: frame a's forward and frame b's backward vectors, times
        the frames between them; occlusion from their consistency."""
        size = image0.shape[:2]
        scale = np.float32(b - a)
        forward = self._flow(a, size, "forward") * scale
        backward = self._flow(b, size, "backward") * scale
        if not (np.isfinite(forward).all() and np.isfinite(backward).all()):
            raise JobError(
                f"motion.vectors_from: the vectors of frames {a}-{b} in '{self.label}' "
                "hold NaN or infinite values",
                setting="motion.vectors_from",
            )
        occlusion0, occlusion1 = occlusions(forward, backward, image0, image1)
        return Motion(forward, backward, occlusion0, occlusion1)


class MotionSource(_Reader):
    """Frames to estimate motion on instead of the source (``motion.source``, Kronos MoSrc)."""

    def __init__(self, reader: Any, label: str) -> None:
        super().__init__(reader, label, "motion.source")
