"""One front door: the render, ``vtinker pair`` and the preview open their work the same way
and so give the same pixels; the engine loads only when frames are made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_core.pair import render_pair
from vtinker_core.render import render_job
from vtinker_core.session import open_session
from vtinker_core.timing import Sample

CONFIG = "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6"


def _plates(folder: Path) -> list[Path]:
    folder.mkdir()
    rng = np.random.default_rng(2)
    base = rng.random((24, 32, 3), dtype=np.float32)
    paths = []
    for i in range(3):
        path = folder / f"p.{1 + i:04d}.png"
        write_frame(path, Frame.from_array(np.roll(base, 3 * i, axis=1)))
        paths.append(path)
    return paths


def _job(source: str, output: str, **extra: object) -> RenderJob:
    return RenderJob.from_dict(
        {
            "input": {"path": source},
            "output": {"path": output},
            "timing": {"mode": "multiply", "multiplier": 2},
            "engine": {"name": "classical"},
            "ocio": CONFIG,
            **extra,
        }
    )


def test_render_pair_and_preview_make_the_same_in_between(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from vtinker_ui.compute import DisplaySettings, PreviewSession, SourceSpec, preview_job

    plates = _plates(tmp_path / "in")
    pattern = str(tmp_path / "in" / "p.####.png")
    job = _job(pattern, str(tmp_path / "out" / "r.####.png"))

    rendered = read_frame(render_job(job).paths[1]).pixels  # output 2: t = 0.5 of 1 → 2
    (paired,) = render_pair(
        plates[0], plates[1], [0.5], str(tmp_path / "mid.png"), engine="classical", ocio=CONFIG
    )
    preview = PreviewSession(preview_job(job.to_dict()), SourceSpec((pattern,)))
    try:
        shown = preview.compute(Sample(1002, 1.5, 1, 2, 0.5), DisplaySettings()).pixels
    finally:
        preview.close()
    np.testing.assert_array_equal(read_frame(paired).pixels, rendered)
    # The preview shows the source's own values (sRGB PNG): the render's, before 8-bit rounding.
    np.testing.assert_allclose(shown, rendered, atol=0.5 / 255 + 1e-6)


def test_cuts_are_the_listed_and_the_detected(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, level in enumerate((0.1, 0.1, 0.9, 0.9)):  # a cut before frame 3
        write_frame(
            folder / f"c.{1 + i:04d}.png", Frame.from_array(np.full((8, 8, 3), level, np.float32))
        )
    job = _job(
        str(folder / "c.####.png"),
        str(tmp_path / "o.####.png"),
        cuts={"detect": True, "frames": [2]},
    )

    with open_session(job) as session:
        assert session.detected_cuts() == [3]
        assert session.cuts() == [2, 3]


def test_the_engine_loads_only_when_frames_are_made(tmp_path: Path) -> None:
    _plates(tmp_path / "in")
    checkpoint = tmp_path / "VTinker.pkl"
    checkpoint.write_bytes(b"not a checkpoint")
    job = _job(str(tmp_path / "in" / "p.####.png"), str(tmp_path / "o.####.png"),
               engine={"name": "vtinker", "checkpoint": str(checkpoint)})  # fmt: skip

    session = open_session(job)  # source, colour and the choice: all fine
    assert session.choice.name == "vtinker" and session.colors.input_cs.startswith("sRGB")
    with pytest.raises(Exception, match=r"VTinker\.pkl"):
        session.renderer  # noqa: B018  (the weights are read here, and they are bad)
    session.close()
