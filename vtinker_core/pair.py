"""``vtinker pair``: in-betweens of two image files at chosen times.

Example::

    paths = render_pair(Path("a.exr"), Path("b.exr"), [0.25, 0.5, 0.75], "mid.####.exr")

The output pattern's frame numbers count the in-betweens from 1; a plain file name is allowed
when there is a single time. Colour, HDR carry-through, extra channels and tiles work exactly as
in a sequence render.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from vtinker_core.errors import JobError
from vtinker_core.frame import Frame
from vtinker_core.io import (
    is_pattern,
    output_path,
    prepare_output_folder,
    read_frame,
    write_frame,
)
from vtinker_core.job import RenderJob


class PairSource:
    """Two image files seen as a two-frame source (frames 0 and 1)."""

    video = None

    kind = "image"

    def __init__(self, path0: Path, path1: Path) -> None:
        self._paths = (path0, path1)
        self.frames = (0, 1)
        self.first, self.last = 0, 1
        self.fps: Fraction | None = None

    def read(self, frame: int) -> Frame:
        return read_frame(self._paths[frame])

    def path(self, frame: int) -> Path:
        return self._paths[frame]

    def paths(self) -> tuple[Path, ...]:
        return self._paths

    def close(self) -> None:
        """Nothing to release (the images are read whole)."""


def _warn(message: str) -> None:
    print(f"vtinker: warning: {message}", file=sys.stderr)


def render_pair(
    image0: Path,
    image1: Path,
    times: Sequence[float],
    output: str,
    *,
    engine: str = "auto",
    checkpoint: str | None = None,
    device: str = "auto",
    precision: str = "float32",
    ocio: str | None = None,
    input_colorspace: str | None = None,
    output_colorspace: str | None = None,
    bit_depth: str | None = None,
    compression: str | None = None,
    sanitize: bool = False,
    tile_size: str | int | None = None,
    tile_overlap: int | None = None,
    report: Callable[[str], None] = lambda _line: None,
) -> list[Path]:
    """Write the frames at ``times`` between ``image0`` and ``image1``; returns their paths.

    ``report`` receives one line saying which engine runs and why.
    """
    from vtinker_core.session import open_session
    from vtinker_core.timing import Sample

    for t in times:
        if not 0.0 <= t <= 1.0:
            raise JobError(f"--t {t} is outside [0, 1]", setting="t")
    if len(times) > 1 and not is_pattern(output):
        raise JobError(
            f"{len(times)} times need an output pattern with #### (got '{output}')",
            setting="output.path",
        )
    tiles: dict[str, Any] = {}
    if tile_size is not None:
        tiles["size"] = tile_size if tile_size == "auto" else int(tile_size)
    if tile_overlap is not None:
        tiles["overlap"] = tile_overlap
    job = RenderJob.from_dict(
        {
            "input": {"path": str(image0), "colorspace": input_colorspace},
            "output": {
                "path": output,
                "colorspace": output_colorspace,
                "bit_depth": bit_depth,
                "compression": compression,
            },
            "timing": {"mode": "speed", "speed": 1.0},
            "tiles": tiles,
            "engine": {
                "name": engine,
                "checkpoint": checkpoint,
                "device": device,
                "precision": precision,
            },
            "ocio": ocio,
            "sanitize": sanitize,
        }
    )
    source = PairSource(image0, image1)
    targets = [
        Path(output_path(output, i + 1)) if is_pattern(output) else Path(output)
        for i in range(len(times))
    ]
    inputs = {image0.resolve(), image1.resolve()}
    for target in targets:
        if target.resolve() in inputs:
            raise JobError(
                f"output '{target}' is one of the input images; choose another output path",
                setting="output.path",
                path=target,
            )
    for target in targets:
        prepare_output_folder(target)
    with open_session(job, source=source, warn=_warn) as session:
        colors = session.colors
        report(f"engine {session.choice.summary}")
        written = []
        for target, t in zip(targets, times, strict=True):
            if t in (0.0, 1.0):
                frame = int(t)
                sample = Sample(
                    output_frame=0, position=float(frame), frame_a=frame, frame_b=frame, t=0.0
                )
            else:
                sample = Sample(output_frame=0, position=t, frame_a=0, frame_b=1, t=t)
            result = session.renderer.render(sample, step=1.0)
            write_frame(
                target,
                result,
                bit_depth=bit_depth,
                compression=compression,
                colorspace=colors.header,
                chromaticities=colors.chromaticities,
            )
            written.append(target)
    return written
