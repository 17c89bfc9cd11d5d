"""Renders: copies are exact, every channel and HDR value survives, renders resume and lock."""

from __future__ import annotations

import os
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.errors import JobError, RenderCancelledError, RenderLockedError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_core.progress import CollectingProgress
from vtinker_core.render import render_job
from vtinker_core.render_lock import LOCK_NAME

H, W = 24, 40
CHANNELS = ("R", "G", "B", "A", "depth.Z")


def _plate(i: int) -> np.ndarray:
    """RGBA + depth: a static 40.0 specular, a moving red bar, alpha 1, depth rising per frame."""
    px = np.zeros((H, W, 5), np.float32)
    px[..., :3] = 0.18
    px[4:8, 30:34, :3] = 40.0  # a specular that does not move
    px[10:20, 4 + 3 * i : 8 + 3 * i, 0] = 0.9
    px[..., 3] = 1.0
    px[..., 4] = 10.0 + i
    return px


def _write_plates(folder: Path, count: int = 3, first: int = 1001) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    window = Window(0, 0, W, H)
    for i in range(count):
        meta = FrameMeta(
            data_window=window,
            display_window=window,
            fps=Fraction(24),
            timecode="01:00:00:00" if i == 0 else f"01:00:00:{i:02d}",
            bit_depth="half",
        )
        frame = Frame(_plate(i), CHANNELS, meta)
        write_frame(folder / f"plate.{first + i:04d}.exr", frame, bit_depth="half")
    return str(folder / "plate.####.exr")


def _job(source: str, target: str, **extra: object) -> RenderJob:
    data: dict = {
        "input": {"path": source},
        "output": {"path": target},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": "blend"},
        "tiles": {"size": 64, "overlap": 8},
    }
    data.update(extra)
    return RenderJob.from_dict(data)


def test_whole_frames_are_copied_bit_for_bit_and_all_channels_kept(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    result = render_job(_job(source, str(tmp_path / "out" / "r.####.exr")))
    assert result.frames == (1001, 1002, 1003, 1004, 1005)
    for out_number, src_number in ((1001, 1001), (1003, 1002), (1005, 1003)):
        out = read_frame(tmp_path / "out" / f"r.{out_number}.exr")
        src = read_frame(tmp_path / "src" / f"plate.{src_number}.exr")
        assert out.channels == CHANNELS
        assert np.array_equal(out.pixels, src.pixels)


def test_in_betweens_keep_highlights_alpha_and_layers(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    render_job(_job(source, str(tmp_path / "out" / "r.####.exr")))
    mid = read_frame(tmp_path / "out" / "r.1002.exr")
    assert mid.channels == CHANNELS
    # the static 40.0 specular is carried in linear light, not clipped to the model's 1.0
    np.testing.assert_allclose(mid.pixels[4:8, 30:34, :3], 40.0, rtol=2e-3)
    np.testing.assert_allclose(mid.pixels[..., 3], 1.0, atol=1e-3)
    np.testing.assert_allclose(mid.pixels[..., 4], 10.5, atol=1e-2)  # blend of depth 10 and 11
    # an in-range background pixel survives the trip through the model encoding
    np.testing.assert_allclose(mid.pixels[0, 0, :3], 0.18, rtol=2e-3)


def test_output_metadata_has_the_output_rate_and_advancing_timecode(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    job = _job(
        source,
        str(tmp_path / "out" / "r.####.exr"),
        output={"path": str(tmp_path / "out" / "r.####.exr"), "fps": "48"},
    )
    render_job(job)
    first = read_frame(tmp_path / "out" / "r.1001.exr")
    third = read_frame(tmp_path / "out" / "r.1003.exr")
    assert first.meta.fps == Fraction(48)
    assert first.meta.timecode == "01:00:00:00"
    assert third.meta.timecode == "01:00:00:02"


def test_chunks_render_only_their_frames_and_resume_skips_valid_files(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    out = str(tmp_path / "out" / "r.####.exr")
    first = render_job(_job(source, out), frames="1002-1003")
    assert first.rendered == (1002, 1003)
    assert sorted(p.name for p in (tmp_path / "out").glob("r.*.exr")) == [
        "r.1002.exr",
        "r.1003.exr",
    ]
    progress = CollectingProgress()
    second = render_job(_job(source, out), progress=progress)
    assert second.skipped == (1002, 1003)
    assert second.rendered == (1001, 1004, 1005)
    skipped_flags = {r["frame"]: r["skipped"] for r in progress.events("frame")}
    assert skipped_flags == {1001: False, 1002: True, 1003: True, 1004: False, 1005: False}


def test_a_cancelled_render_resumed_gives_identical_files(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src", count=4)
    reference = tmp_path / "reference" / "r.####.exr"
    render_job(_job(source, str(reference)))

    cancel = threading.Event()

    class CancelAfterTwo(CollectingProgress):
        def frame(self, **fields: object) -> None:
            super().frame(**fields)
            if fields["done"] == 2:
                cancel.set()

    out = tmp_path / "out" / "r.####.exr"
    with pytest.raises(RenderCancelledError):
        render_job(_job(source, str(out)), progress=CancelAfterTwo(), cancel=cancel)
    written = sorted(p.name for p in out.parent.iterdir())
    assert written == ["r.1001.exr", "r.1002.exr"]  # no temp file, no lock left behind
    render_job(_job(source, str(out)))
    for ref in sorted(reference.parent.glob("r.*.exr")):
        assert (out.parent / ref.name).read_bytes() == ref.read_bytes()


def test_a_second_render_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    import socket

    (out_dir / LOCK_NAME).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    with pytest.raises(RenderLockedError, match="another render is writing"):
        render_job(_job(source, str(out_dir / "r.####.exr")))
    assert not list(out_dir.glob("r.*"))


def test_a_stale_lock_from_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out_dir / LOCK_NAME).write_text(f"{socket.gethostname()} {dead.pid}\n")
    result = render_job(_job(source, str(out_dir / "r.####.exr")))
    assert len(result.rendered) == 5
    assert not (out_dir / LOCK_NAME).exists()


def test_outputs_never_overwrite_inputs(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    before = {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()}
    with pytest.raises(JobError, match="one of the input files") as info:
        render_job(_job(source, source))
    assert info.value.setting == "output.path"
    assert {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()} == before


def test_vectors_are_written_as_float_channels(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    out = tmp_path / "out" / "r.####.exr"
    job = _job(source, str(out), output={"path": str(out), "vectors": True})
    render_job(job, frames="1002")
    frame = read_frame(tmp_path / "out" / "r.1002.exr")
    vectors = ("forward.u", "forward.v", "backward.u", "backward.v")
    assert set(frame.channels) == {*CHANNELS, *vectors}  # EXR stores layers by name
    assert frame.meta.bit_depth == "float"
    assert np.all(frame.select(vectors) == 0.0)  # the blend engine sees no motion


def test_frames_outside_the_output_range_are_a_clear_error(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    with pytest.raises(JobError, match="selects none of the output frames"):
        render_job(_job(source, str(tmp_path / "out" / "r.####.exr")), frames="1-5")


def test_cg_frames_with_changing_bounding_boxes_render_in_their_union(tmp_path: Path) -> None:
    # A CG element rendered with automatic bounding boxes: each frame stores only the box
    # around the element, inside one 40×24 display window.
    display = Window(0, 0, W, H)
    boxes = (Window(2, 3, 10, 6), Window(20, 12, 8, 10))
    folder = tmp_path / "cg"
    folder.mkdir()
    for i, box in enumerate(boxes):
        pixels = np.full((box.height, box.width, 4), 0.5 + i, np.float32)  # RGBA premultiplied
        meta = FrameMeta(data_window=box, display_window=display, bit_depth="float")
        write_frame(folder / f"fx.{1001 + i}.exr", Frame(pixels, ("R", "G", "B", "A"), meta))
    render_job(_job(str(folder / "fx.####.exr"), str(tmp_path / "out" / "fx.####.exr")))

    union = Window(2, 3, 26, 19)
    for number in (1001, 1002, 1003):
        out = read_frame(tmp_path / "out" / f"fx.{number}.exr")
        assert out.meta.data_window == union
        assert out.meta.display_window == display
    first = read_frame(tmp_path / "out" / "fx.1001.exr").pixels
    np.testing.assert_array_equal(first[0:6, 0:10], 0.5)  # frame 1001's box, in place
    assert not first[6:, 10:].any()  # zeros outside it
    mid = read_frame(tmp_path / "out" / "fx.1002.exr").pixels
    # The blend engine mixes the two frames placed in the union: half of each box's alpha
    # (alpha mixes linearly), and colour in both boxes.
    np.testing.assert_allclose(mid[0:6, 0:10, 3], 0.25, rtol=1e-6)
    np.testing.assert_allclose(mid[9:19, 18:26, 3], 0.75, rtol=1e-6)
    assert (mid[0:6, 0:10, :3] > 0).all() and (mid[9:19, 18:26, :3] > 0.5).all()
    assert not mid[0:6, 12:18].any()  # between the boxes nothing was invented
