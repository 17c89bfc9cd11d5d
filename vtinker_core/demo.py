"""``vtinker demo``: retime a built-in scene, so a first run shows real results.

It writes a small scene-linear EXR sequence (moving textured objects, a specular highlight far
above 1.0, an alpha channel), retimes it with the default engine, and writes the result plus a
PNG contact sheet::

    result = run_demo(Path("vtinker_demo"))
    result.contact_sheet    # vtinker_demo/contact_sheet.png
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vtinker_core.color import ColorPipeline
from vtinker_core.demo_scene import make_contact_sheet, make_demo_frames
from vtinker_core.frame import Frame
from vtinker_core.io import output_path, read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_core.progress import ProgressReporter
from vtinker_core.render import RenderResult, render_job

FIRST_FRAME = 1001


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put its files."""

    source_pattern: Path
    output_pattern: Path
    contact_sheet: Path
    render: RenderResult


def run_demo(
    folder: Path,
    *,
    engine: str = "auto",
    checkpoint: str | None = None,
    multiply: int = 4,
    source_frames: int = 5,
    progress: ProgressReporter | None = None,
) -> DemoResult:
    """Write the demo scene under ``folder``, retime it ×``multiply``, make a contact sheet."""
    source_pattern = folder / "source" / "demo.####.exr"
    output_pattern = folder / "retime" / "demo_retime.####.exr"
    source_pattern.parent.mkdir(parents=True, exist_ok=True)
    for offset, frame in enumerate(make_demo_frames(count=source_frames)):
        path = Path(output_path(str(source_pattern), FIRST_FRAME + offset))
        if not path.exists():
            write_frame(path, frame, bit_depth="half")
    job = RenderJob.from_dict(
        {
            "input": {"path": str(source_pattern)},
            "output": {"path": str(output_pattern), "bit_depth": "half"},
            "timing": {"mode": "multiply", "multiplier": multiply},
            "engine": {"name": engine, "checkpoint": checkpoint},
            "tiles": {"size": "auto", "overlap": 32},
        }
    )
    result = render_job(job, progress=progress)
    sheet = folder / "contact_sheet.png"
    _write_contact_sheet(result, sheet, columns=multiply)
    return DemoResult(source_pattern, output_pattern, sheet, result)


def _write_contact_sheet(result: RenderResult, path: Path, columns: int) -> None:
    pipeline = ColorPipeline()
    images, labels = [], []
    for number, frame_path in zip(result.frames, result.paths, strict=True):
        frame = read_frame(frame_path)
        names = frame.rgb_channels or frame.channels[:3]
        linear_cs = pipeline.resolve_colorspace("scene_linear")
        images.append(np.clip(pipeline.to_model(frame.select(names), linear_cs).model, 0, 1))
        labels.append(str(number))
    sheet = make_contact_sheet(images, labels, columns)
    write_frame(path, Frame.from_array(sheet.astype(np.float32) / 255.0), bit_depth="uint8")
