"""Kronos parity in the engine: motion blur, vectors in, a motion source, vector detail, the
matte and prefixed layers, each proved on synthetic scenes whose answer is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from vtinker_core.cli import main
from vtinker_core.engines import FramePair, create_engine
from vtinker_core.engines.classical import ClassicalEngine
from vtinker_core.errors import JobError
from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_core.render import render_job
from vtinker_core.session import open_session

VECTORS = ("forward.u", "forward.v", "backward.u", "backward.v")


def _texture(h: int, w: int, seed: int, cell: int = 4) -> np.ndarray:
    """Smooth random colour texture in [0.05, 0.9] (cubic-upsampled noise)."""
    coarse = np.random.default_rng(seed).uniform(0.05, 0.9, (h // cell + 2, w // cell + 2, 3))
    big = cv2.resize(coarse.astype(np.float32), (w + 2 * cell, h + 2 * cell), cv2.INTER_CUBIC)
    return np.clip(big[:h, :w], 0.0, 1.0).astype(np.float32)


def _write(folder: Path, name: str, frames: list[np.ndarray], channels: tuple[str, ...]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i, pixels in enumerate(frames):
        frame = Frame.from_array(pixels, channels)
        write_frame(folder / f"{name}.{1001 + i}.exr", frame, bit_depth="float")
    return str(folder / f"{name}.####.exr")


def _with_vectors(rgb: np.ndarray, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, forward, backward]).astype(np.float32)


def _job(source: str, out: Path, **sections: Any) -> RenderJob:
    data: dict[str, Any] = {
        "input": {"path": source},
        "output": {"path": str(out / "o.####.exr"), "bit_depth": "float"},
        "timing": {"mode": "multiply", "multiplier": 2},
        "engine": {"name": "classical"},
        "tiles": {"size": 4096, "overlap": 16},
    }
    for key, value in sections.items():
        if key == "output":
            data["output"].update(value)
        else:
            data[key] = value
    return RenderJob.from_dict(data)


def _frames(out: Path) -> list[Frame]:
    return [read_frame(p) for p in sorted(out.glob("o.*.exr"))]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


class _CountingEstimates:
    """Counts the engine's own motion estimates (the real engine does the work)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, forbid: bool = False) -> None:
        self.calls = 0
        original = ClassicalEngine.estimate

        def estimate(engine: ClassicalEngine, pair: FramePair) -> Any:
            self.calls += 1
            if forbid:
                raise AssertionError("the engine estimated motion although vectors were given")
            return original(engine, pair)

        monkeypatch.setattr(ClassicalEngine, "estimate", estimate)


# ------------------------------------------------------------------------ motion blur

SQ_H, SQ_W, SQ_STEP, SQ_SIZE = 24, 400, 40, 120


def _square_plates(folder: Path, count: int = 5) -> str:
    """A flat 120 px square moving 40 px per frame on black, with its exact vectors."""
    frames = []
    for i in range(count):
        rgb = np.zeros((SQ_H, SQ_W, 3), np.float32)
        x0 = 40 + SQ_STEP * i
        rgb[4:20, x0 : x0 + SQ_SIZE] = 1.0
        forward = np.zeros((SQ_H, SQ_W, 2), np.float32)
        forward[4:20, x0 : x0 + SQ_SIZE, 0] = SQ_STEP
        frames.append(_with_vectors(rgb, forward, -forward))
    return _write(folder, "sq", frames, ("R", "G", "B", *VECTORS))


def _edge_ramps(row: np.ndarray) -> int:
    """Pixels strictly between black and the square's full level."""
    return int(((row > 0.01) & (row < 0.99)).sum())


def test_shutter_spreads_a_40px_per_frame_square_over_80px_at_200_percent(
    tmp_path: Path,
) -> None:
    """200 % speed: one output frame spans two source frames, 80 px of motion; a shutter of
    one output frame with 9 samples spreads each edge over those 80 px, keeping the energy."""
    source = _square_plates(tmp_path / "src")
    speed = {"mode": "speed", "speed": 2.0}
    motion = {"vectors_from": "input"}
    sharp_job = _job(source, tmp_path / "sharp", timing=speed, motion=motion)
    render_job(sharp_job, frames="1002")
    blur_job = _job(
        source,
        tmp_path / "blur",
        timing=speed,
        motion=motion,
        shutter={"samples": 9, "time": 1.0},
    )
    render_job(blur_job, frames="1002")
    sharp = read_frame(tmp_path / "sharp" / "o.1002.exr").pixels[12, :, 0]
    blurred = read_frame(tmp_path / "blur" / "o.1002.exr").pixels[12, :, 0]
    assert _edge_ramps(sharp) == 0  # output 1002 is source frame 1003, sharp
    # two edges, each a staircase of 8 steps of 10 px between the 9 samples: 2 × 80 px
    assert _edge_ramps(blurred) == pytest.approx(160, abs=4)
    assert blurred.sum() == pytest.approx(sharp.sum(), rel=1e-4)  # the same total energy
    # centred shutter: the blur is centred on the square's own place
    x = np.arange(SQ_W)
    assert (x * blurred).sum() / blurred.sum() == pytest.approx(
        (x * sharp).sum() / sharp.sum(), abs=0.5
    )


def test_shutter_offset_and_automatic_shutter_time(tmp_path: Path) -> None:
    source = _square_plates(tmp_path / "src")
    speed = {"mode": "speed", "speed": 2.0}
    motion = {"vectors_from": "input"}
    centroids = {}
    for offset in ("centred", "start", "end"):
        shutter = {"samples": 9, "time": 1.0, "offset": offset}
        job = _job(source, tmp_path / offset, timing=speed, motion=motion, shutter=shutter)
        render_job(job, frames="1002")
        row = read_frame(tmp_path / offset / "o.1002.exr").pixels[12, :, 0]
        centroids[offset] = float((np.arange(SQ_W) * row).sum() / row.sum())
    # start opens the shutter at the frame's time: the blur trails ahead by half of 80 px
    assert centroids["start"] - centroids["centred"] == pytest.approx(40, abs=0.5)
    assert centroids["centred"] - centroids["end"] == pytest.approx(40, abs=0.5)

    # automatic: at 200 % the blur a camera at the new speed adds beyond the source's own is
    # time × (step − 1) = 1 source frame = 40 px per edge; at 100 % it adds none
    auto = {"samples": 9, "time": 1.0, "auto": True}
    render_job(
        _job(source, tmp_path / "auto", timing=speed, motion=motion, shutter=auto), frames="1002"
    )
    row = read_frame(tmp_path / "auto" / "o.1002.exr").pixels[12, :, 0]
    assert _edge_ramps(row) == pytest.approx(80, abs=4)
    normal = {"mode": "speed", "speed": 1.0}
    render_job(_job(source, tmp_path / "normal", timing=normal, shutter=auto), frames="1002")
    copy = read_frame(tmp_path / "normal" / "o.1002.exr")
    np.testing.assert_array_equal(copy.pixels, read_frame(tmp_path / "src" / "sq.1002.exr").pixels)


def test_shutter_samples_cost_synthesis_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine samples per output estimate exactly the pairs one sample does (50 % speed, a
    shutter inside each pair): one motion estimate per source pair, reused by every sample."""
    frames = [np.roll(_texture(48, 64, 5), 3 * i, axis=1) for i in range(4)]
    source = _write(tmp_path / "src", "t", frames, ("R", "G", "B"))
    calls = []
    for samples in (1, 9):
        counter = _CountingEstimates(monkeypatch)
        shutter = {"samples": samples, "time": 0.5, "offset": "centred"}
        job = _job(source, tmp_path / f"s{samples}", shutter=shutter)
        render_job(job)
        calls.append(counter.calls)
    assert calls == [3, 3]


def test_shutter_samples_stay_on_their_side_of_a_cut(tmp_path: Path) -> None:
    dark = [np.full((8, 8, 3), 0.1, np.float32)] * 3
    light = [np.full((8, 8, 3), 0.9, np.float32)] * 3
    source = _write(tmp_path / "src", "c", dark + light, ("R", "G", "B"))
    shutter = {"samples": 9, "time": 1.0}
    timing = {"mode": "speed", "speed": 1.0}
    kept = _job(
        source, tmp_path / "cut", timing=timing, shutter=shutter, engine={"name": "blend"},
        cuts={"frames": [1004]},
    )  # fmt: skip
    render_job(kept)
    levels = [float(f.pixels.mean()) for f in _frames(tmp_path / "cut")]
    assert levels == pytest.approx([0.1, 0.1, 0.1, 0.9, 0.9, 0.9], abs=1e-6)
    # without the cut the shutter of frame 1003 reaches into the next shot
    across = _job(
        source, tmp_path / "nocut", timing=timing, shutter=shutter, engine={"name": "blend"}
    )
    render_job(across, frames="1003")
    assert read_frame(tmp_path / "nocut" / "o.1003.exr").pixels.mean() > 0.15


def test_a_blurred_frame_carries_every_channel_and_the_centre_vectors(tmp_path: Path) -> None:
    source = _square_plates(tmp_path / "src")
    timing = {"mode": "speed", "speed": 2.0}
    motion = {"vectors_from": "input"}
    prefix = {"vectors": True, "layer_prefix": "vtk_"}
    render_job(
        _job(source, tmp_path / "a", timing=timing, motion=motion, output=prefix), frames="1002"
    )
    shutter = {"samples": 5, "time": 1.0}
    blur = _job(
        source, tmp_path / "b", timing=timing, motion=motion, output=prefix, shutter=shutter
    )
    render_job(blur, frames="1002")
    sharp, blurred = (read_frame(tmp_path / d / "o.1002.exr") for d in ("a", "b"))
    added = [f"vtk_{n}" for n in VECTORS]
    # the vectors are the frame centre's, the same with or without the shutter
    np.testing.assert_allclose(blurred.select(added), sharp.select(added), atol=1e-5)
    # the plate's own vector layers are blurred like the picture (every channel alike)
    forward_u = blurred.select(["forward.u"])[12, :, 0]
    red = blurred.select(["R"])[12, :, 0]
    assert _edge_ramps(red) > 0
    np.testing.assert_allclose(forward_u / SQ_STEP, red, atol=0.01)


# ------------------------------------------------------------------------ vectors in

PAN_H, PAN_W, PAN_U, PAN_V = 64, 96, 8, 4


def _pan(count: int, seed: int = 7, cell: int = 4) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames of a texture translating (8, 4) px per frame, and the truth at t = 0.5."""
    big = _texture(PAN_H + 64, PAN_W + 64, seed, cell)
    y0, x0 = 40, 48

    def window(dy: float, dx: float) -> np.ndarray:
        return np.ascontiguousarray(
            big[int(y0 - dy) : int(y0 - dy) + PAN_H, int(x0 - dx) : int(x0 - dx) + PAN_W]
        )

    frames = [window(PAN_V * i, PAN_U * i) for i in range(count)]
    return frames, window(PAN_V / 2, PAN_U / 2)


def _pan_vectors() -> tuple[np.ndarray, np.ndarray]:
    forward = np.empty((PAN_H, PAN_W, 2), np.float32)
    forward[..., 0], forward[..., 1] = PAN_U, PAN_V
    return forward, -forward


def test_supplied_vectors_replace_the_engines_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames, truth = _pan(2)
    forward, backward = _pan_vectors()
    plates = [_with_vectors(f, forward, backward) for f in frames]
    source = _write(tmp_path / "src", "pan", plates, ("R", "G", "B", *VECTORS))
    counter = _CountingEstimates(monkeypatch, forbid=True)
    render_job(_job(source, tmp_path / "out", motion={"vectors_from": "input"}), frames="1002")
    assert counter.calls == 0
    middle = read_frame(tmp_path / "out" / "o.1002.exr").select(["R", "G", "B"])
    inner = (slice(PAN_V, -PAN_V), slice(PAN_U, -PAN_U))  # not the band entering the frame
    assert _psnr(middle[inner], truth[inner]) >= 40.0

    # the same vectors from a sequence of their own
    vectors = [np.dstack([forward, backward])] * 2
    vector_source = _write(tmp_path / "vec", "v", vectors, VECTORS)
    plain = _write(tmp_path / "plain", "pan", frames, ("R", "G", "B"))
    render_job(
        _job(plain, tmp_path / "out2", motion={"vectors_from": vector_source}), frames="1002"
    )
    middle2 = read_frame(tmp_path / "out2" / "o.1002.exr").select(["R", "G", "B"])
    np.testing.assert_allclose(middle2, middle, atol=1e-6)


def test_bad_supplied_vectors_are_errors_naming_the_frame(tmp_path: Path) -> None:
    frames, _ = _pan(3)
    plain = _write(tmp_path / "plain", "pan", frames, ("R", "G", "B"))
    job = _job(plain, tmp_path / "o1", motion={"vectors_from": "input"})
    with pytest.raises(JobError, match=r"frame 1001 of .*pan\.####\.exr' has no forward\.u") as e:
        render_job(job)
    assert e.value.setting == "motion.vectors_from"

    forward, backward = _pan_vectors()
    small = [np.dstack([forward[:32], backward[:32]])] * 3
    job = _job(
        plain, tmp_path / "o2", motion={"vectors_from": _write(tmp_path / "s", "v", small, VECTORS)}
    )
    with pytest.raises(JobError, match=r"frame 1001 of .* is 96×32, the source is 96×64"):
        render_job(job)

    short = [np.dstack([forward, backward])] * 2  # frames 1001-1002 only
    job = _job(
        plain, tmp_path / "o3", motion={"vectors_from": _write(tmp_path / "m", "v", short, VECTORS)}
    )
    with pytest.raises(JobError, match=r"frame 1003 is missing from"):
        render_job(job)
    assert not list((tmp_path / "o3").glob("o.1004.exr"))  # nothing after the error


def test_cli_bad_vectors_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames, _ = _pan(2)
    plain = _write(tmp_path / "plain", "pan", frames, ("R", "G", "B"))
    args = ["render", plain, "-o", str(tmp_path / "o" / "o.####.exr"), "--multiply", "2"]
    assert main([*args, "--vectors-from", "input", "--progress", "none"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "frame 1001" in err[0] and "forward.u" in err[0]


# ------------------------------------------------------------------------ motion source


def test_a_clean_motion_source_beats_estimating_on_a_noisy_plate(tmp_path: Path) -> None:
    frames, truth = _pan(2, seed=13, cell=3)  # fine grain that heavy noise swamps
    rng = np.random.default_rng(0)
    noisy = [np.clip(f + rng.normal(0, 0.2, f.shape), 0, 1).astype(np.float32) for f in frames]
    clean_path = _write(tmp_path / "clean", "c", frames, ("R", "G", "B"))
    noisy_path = _write(tmp_path / "noisy", "n", noisy, ("R", "G", "B"))

    def motion_and_middle(job: RenderJob) -> tuple[np.ndarray, np.ndarray]:
        with open_session(job) as session:
            forward = session.renderer.motion(1001, 1002).forward
        render_job(job, frames="1002")
        return forward, read_frame(Path(job.output.path).parent / "o.1002.exr").pixels[..., :3]

    clean_flow, _ = motion_and_middle(_job(clean_path, tmp_path / "a"))
    guided_flow, guided = motion_and_middle(
        _job(noisy_path, tmp_path / "b", motion={"source": clean_path})
    )
    noisy_flow, unguided = motion_and_middle(_job(noisy_path, tmp_path / "c"))
    inner = (slice(8, -8), slice(8, -8))
    truth_flow = np.array([PAN_U, PAN_V], np.float32)
    # the motion is the clean plate's (the same estimate), and right
    np.testing.assert_allclose(guided_flow, clean_flow, atol=1e-4)
    assert np.abs(guided_flow[inner] - truth_flow).mean() < 0.3
    assert (
        np.abs(noisy_flow[inner] - truth_flow).mean()
        > 3 * np.abs(guided_flow[inner] - truth_flow).mean()
    )

    # and the noisy plate retimed with it is closer to the truth than with its own motion;
    # compared through a blur that removes most of the grain both results carry, so what
    # counts is whether the picture landed in the right place
    def smooth(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (0, 0), 1.5)[inner]

    assert _psnr(smooth(guided), smooth(truth)) > _psnr(smooth(unguided), smooth(truth)) + 3.0


def test_motion_source_of_another_size_is_an_error(tmp_path: Path) -> None:
    frames, _ = _pan(2)
    plate = _write(tmp_path / "p", "p", frames, ("R", "G", "B"))
    other = _write(tmp_path / "o", "o", [f[:32] for f in frames], ("R", "G", "B"))
    with pytest.raises(JobError, match=r"motion.source: frame 1001 of .* is 96×32"):
        render_job(_job(plate, tmp_path / "out", motion={"source": other}))
    with pytest.raises(JobError, match="set one of them"):
        _job(plate, tmp_path / "out", motion={"source": other, "vectors_from": "input"})


# ------------------------------------------------------------------------ vector detail


def test_vector_detail_sets_the_classical_estimation_resolution() -> None:
    frames, _ = _pan(2)
    pair = FramePair(frames[0], frames[1])
    engine = create_engine("classical")
    coarse = engine.estimate_at(pair, 0.25)  # 96 px long side → flow at 24 px
    same = ClassicalEngine(max_side=24).estimate(pair)
    np.testing.assert_array_equal(coarse.forward, same.forward)
    assert not np.array_equal(coarse.forward, engine.estimate(pair).forward)
    assert coarse.forward.shape == (PAN_H, PAN_W, 2)


def test_vector_detail_on_another_engine_estimates_on_a_smaller_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default rule (any engine without its own): estimate on the shrunk pair, bring the
    flows back to full size and pixels; synthesis then works from those flows."""
    from vtinker_core.engines.base import Engine

    seen: list[tuple[int, int]] = []

    class Translating(Engine):
        name = "translating-test"

        def estimate(self, pair: FramePair) -> Any:
            from vtinker_core.engines import Motion

            seen.append((pair.height, pair.width))
            flow = np.empty((pair.height, pair.width, 2), np.float32)
            flow[..., 0], flow[..., 1] = PAN_U * pair.width / PAN_W, PAN_V * pair.height / PAN_H
            return Motion(flow, -flow)

        def synthesize(self, pair: FramePair, motion: Any, t: float, region: Any = None) -> Any:
            return pair.image0

    frames, _ = _pan(2)
    motion = Translating().estimate_at(FramePair(frames[0], frames[1]), 0.5)
    assert seen == [(32, 48)]
    assert motion.forward.shape == (PAN_H, PAN_W, 2) and motion.state is None
    np.testing.assert_allclose(motion.forward[..., 0], PAN_U, atol=1e-5)
    np.testing.assert_allclose(motion.forward[..., 1], PAN_V, atol=1e-5)


def test_smoothness_smooths_the_classical_vectors() -> None:
    frames, _ = _pan(2, seed=3)
    rng = np.random.default_rng(1)
    noisy = [np.clip(f + rng.normal(0, 0.08, f.shape), 0, 1).astype(np.float32) for f in frames]
    pair = FramePair(noisy[0], noisy[1])

    def roughness(smoothness: float) -> float:
        flow = ClassicalEngine(smoothness=smoothness).estimate(pair).forward
        return float(np.abs(np.diff(flow, axis=0)).mean() + np.abs(np.diff(flow, axis=1)).mean())

    assert roughness(1.0) < 0.7 * roughness(0.0)


# ------------------------------------------------------------------------ matte, prefix

MH, MW, MS, MSQ = 96, 192, 8, 48


def _occluding_square(vectors: bool) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """A textured square moving 8 px per frame right over a textured, still background."""
    background, square = _texture(MH, MW, 2), _texture(MSQ, MSQ, 3)
    frames = []
    for i in range(2):
        rgb = background.copy()
        x0 = 60 + MS * i
        rgb[24 : 24 + MSQ, x0 : x0 + MSQ] = square
        if vectors:
            forward = np.zeros((MH, MW, 2), np.float32)
            forward[24 : 24 + MSQ, x0 : x0 + MSQ, 0] = MS
            rgb = _with_vectors(rgb, forward, -forward)
        frames.append(rgb)
    return frames, ("R", "G", "B", *VECTORS) if vectors else ("R", "G", "B")


def _bands() -> tuple[np.ndarray, np.ndarray]:
    """Columns uncovered (left of the square) and still to be covered (right) at t = 0.5."""
    x = np.arange(MW)
    left, right = 60, 60 + MSQ  # the square in frame 0
    uncovered = (x >= left) & (x < left + MS // 2)
    covered = (x >= right + MS // 2) & (x < right + MS)
    return uncovered, covered


def test_matte_is_high_exactly_where_the_square_uncovers_and_covers(tmp_path: Path) -> None:
    frames, channels = _occluding_square(vectors=True)
    source = _write(tmp_path / "src", "m", frames, channels)
    output = {"matte": True, "layer_prefix": "vtk_"}
    job = _job(source, tmp_path / "out", motion={"vectors_from": "input"}, output=output)
    render_job(job, frames="1002")
    frame = read_frame(tmp_path / "out" / "o.1002.exr")
    matte = frame.select(["vtk_matte.A"])[:, :, 0]
    rows = slice(26, 24 + MSQ - 2)
    uncovered, covered = _bands()
    band = uncovered | covered
    assert matte[rows][:, band].min() > 0.9
    assert matte[rows][:, ~band].max() < 0.1
    assert matte[:20].max() < 0.1  # rows without the square: nothing invented
    # the plate's own vector layers are still there, beside the prefixed matte
    assert {"forward.u", "backward.u", "vtk_matte.A"} <= set(frame.channels)


def test_matte_follows_the_engines_own_occlusion(tmp_path: Path) -> None:
    """With estimated motion the bands are the engine's occlusion: narrower where its flow is
    smooth across the edge, but never elsewhere."""
    frames, channels = _occluding_square(vectors=False)
    source = _write(tmp_path / "src", "m", frames, channels)
    render_job(_job(source, tmp_path / "out", output={"matte": True}), frames="1002")
    matte = read_frame(tmp_path / "out" / "o.1002.exr").select(["matte.A"])[:, :, 0]
    uncovered, covered = _bands()

    def near(band: np.ndarray) -> np.ndarray:  # within 2 px of the true band
        return np.convolve(band.astype(int), np.ones(5, int), "same") > 0

    high = matte[30 : 24 + MSQ - 6] > 0.5
    assert high.sum() > 0 and not (high & ~near(uncovered | covered)).any()
    assert high[:, near(uncovered)].any(axis=1).mean() > 0.6
    assert high[:, near(covered)].any(axis=1).mean() > 0.6
    assert matte[:16].max() < 0.1


def test_matte_and_prefix_need_an_exr_and_a_copy_has_an_empty_matte(tmp_path: Path) -> None:
    frames, channels = _occluding_square(vectors=False)
    source = _write(tmp_path / "src", "m", frames, channels)
    with pytest.raises(JobError, match=r"output\.matte needs an EXR"):
        RenderJob.from_dict(
            {"input": {"path": source}, "output": {"path": str(tmp_path / "o.mov"), "matte": True},
             "timing": {"mode": "multiply", "multiplier": 2}}
        )  # fmt: skip
    render_job(_job(source, tmp_path / "out", output={"matte": True, "layer_prefix": "k_"}))
    copy = read_frame(tmp_path / "out" / "o.1001.exr")
    assert copy.channels == ("R", "G", "B", "k_matte.A")
    assert copy.select(["k_matte.A"]).max() == 0.0
    np.testing.assert_array_equal(copy.select(["R", "G", "B"]), frames[0])
