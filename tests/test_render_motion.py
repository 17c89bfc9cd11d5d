"""End-to-end renders with real motion (the classical engine): HDR, vectors, tiles, kill/resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_core.render import render_job

H, W = 96, 128
SHIFT = 6  # pixels per source frame, to the right


def _texture(h: int, w: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0.05, 0.6, (h // 8 + 2, w // 8 + 2, 3)).astype(np.float32)
    import cv2

    return cv2.resize(coarse, (w + 16, h + 16), interpolation=cv2.INTER_CUBIC)[:h, :w]


def _write_pan(folder: Path, count: int = 3) -> str:
    """A textured plate panning right by SHIFT px per frame, with a 40.0 specular on it."""
    folder.mkdir(parents=True, exist_ok=True)
    big = _texture(H, W + SHIFT * count + 8)
    big[40:44, 60:64, :] = 40.0
    for i in range(count):
        x0 = SHIFT * (count - i)  # the window moves left, so the picture moves right
        px = np.ascontiguousarray(big[:, x0 : x0 + W])
        rgba = np.concatenate([px, np.ones((H, W, 1), np.float32)], axis=2)
        write_frame(folder / f"pan.{1001 + i:04d}.exr", Frame.from_array(rgba), bit_depth="float")
    return str(folder / "pan.####.exr")


def _job(source: str, target: str, **extra: object) -> RenderJob:
    data: dict = {
        "input": {"path": source},
        "output": {"path": target, "bit_depth": "float"},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": "classical"},
        "tiles": {"size": 4096, "overlap": 16},
    }
    data.update(extra)
    return RenderJob.from_dict(data)


def test_a_moving_specular_keeps_its_value_at_its_new_place(tmp_path: Path) -> None:
    source = _write_pan(tmp_path / "src")
    render_job(_job(source, str(tmp_path / "out" / "r.####.exr")), frames="1002")
    mid = read_frame(tmp_path / "out" / "r.1002.exr").pixels
    src0 = read_frame(tmp_path / "src" / "pan.1001.exr").pixels
    y, x = np.unravel_index(np.argmax(src0[..., 0]), src0.shape[:2])
    # halfway between frames, the highlight has moved SHIFT / 2 to the right, at full value
    patch = mid[y : y + 4, x + SHIFT // 2 : x + SHIFT // 2 + 4, :3]
    assert patch.min() > 30.0
    assert mid[..., :3].max() > 39.0


def test_vectors_of_a_pan_point_along_the_motion(tmp_path: Path) -> None:
    source = _write_pan(tmp_path / "src")
    out = tmp_path / "out" / "r.####.exr"
    render_job(_job(source, str(out), output={"path": str(out), "vectors": True}), frames="1002")
    frame = read_frame(tmp_path / "out" / "r.1002.exr")
    inner = (slice(16, H - 16), slice(24, W - 24))
    step = 0.5  # ×2 slow motion: half a source frame between output frames
    forward_u = frame.select(["forward.u"])[inner]
    backward_u = frame.select(["backward.u"])[inner]
    assert np.median(forward_u) == pytest.approx(SHIFT * step, abs=0.3)
    assert np.median(backward_u) == pytest.approx(-SHIFT * step, abs=0.3)
    assert abs(np.median(frame.select(["forward.v"])[inner])) < 0.3


def test_tiled_render_matches_the_untiled_one_above_50_db(tmp_path: Path) -> None:
    source = _write_pan(tmp_path / "src")
    whole = tmp_path / "whole" / "r.####.exr"
    tiled = tmp_path / "tiled" / "r.####.exr"
    render_job(_job(source, str(whole)), frames="1002")
    render_job(_job(source, str(tiled), tiles={"size": 64, "overlap": 24}), frames="1002")
    a = read_frame(tmp_path / "whole" / "r.1002.exr").pixels[..., :3]
    b = read_frame(tmp_path / "tiled" / "r.1002.exr").pixels[..., :3]
    # compare in the display-like range the eye judges (values clipped to [0, 1])
    mse = float(np.mean((np.clip(a, 0, 1) - np.clip(b, 0, 1)) ** 2))
    psnr = 10 * np.log10(1.0 / max(mse, 1e-12))
    assert psnr >= 50.0


@pytest.mark.slow
def test_a_killed_render_resumed_gives_byte_identical_frames(tmp_path: Path) -> None:
    source = _write_pan(tmp_path / "src", count=6)
    reference = tmp_path / "reference" / "r.####.exr"
    render_job(_job(source, str(reference)))
    out = tmp_path / "out" / "r.####.exr"
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps(_job(source, str(out)).to_dict()))
    command = [
        sys.executable,
        "-m",
        "vtinker_core.cli",
        "render",
        "--job",
        str(job_path),
        "--progress",
        "json",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "frame":
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    done_before = len(list(out.parent.glob("r.*.exr")))
    assert done_before < 11
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert sum(r["skipped"] for r in records if r["event"] == "frame") >= 1
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == sorted(p.name for p in reference.parent.iterdir())  # no temp file or lock
    for ref in sorted(reference.parent.glob("r.*.exr")):
        assert (out.parent / ref.name).read_bytes() == ref.read_bytes(), ref.name
