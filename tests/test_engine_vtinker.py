"""The vtinker engine on tiny frames with a random-weight checkpoint in the official layout.

Random weights say nothing about quality: these tests check shapes, padding, the engine
contract, determinism and that motion/encoding are reused across t.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from model_helpers import save_official_checkpoint, single_torch_thread  # noqa: F401

from vtinker_core.engines.base import FramePair, Motion, Region
from vtinker_core.errors import CheckpointError, DeviceError, EngineError

vtinker = pytest.importorskip("vtinker_core.engines.vtinker")
VTinkerEngine = vtinker.VTinkerEngine

pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_official_checkpoint(tmp_path_factory.mktemp("engine") / "VTinker.pkl", seed=7)


@pytest.fixture(scope="module")
def engine(checkpoint: Path) -> VTinkerEngine:
    # tune_allocator changes malloc for the whole process: not inside the shared test run.
    return VTinkerEngine(checkpoint, device="cpu", precision="float32", tune_allocator=False)


def _pair(height: int, width: int, seed: int = 0) -> FramePair:
    rng = np.random.default_rng(seed)
    image0 = rng.random((height, width, 3), dtype=np.float32)
    image1 = np.roll(image0, (2, 3), axis=(0, 1)) * np.float32(0.8) + np.float32(0.1)
    return FramePair(image0, image1.astype(np.float32))


def test_odd_size_pair_round_trip(engine: VTinkerEngine) -> None:
    pair = _pair(67, 91)
    before = pair.image0.copy()
    motion = engine.estimate(pair)
    assert motion.forward.shape == (67, 91, 2) and motion.forward.dtype == np.float32
    assert motion.backward.shape == (67, 91, 2)
    assert np.isfinite(motion.forward).all() and np.isfinite(motion.backward).all()
    for t in (0.0, 0.5, 1.0):  # t = 0 / 1 give whatever the network gives
        out = engine.synthesize(pair, motion, t)
        assert out.shape == (67, 91, 3) and out.dtype == np.float32
        assert np.isfinite(out).all()
    assert np.array_equal(pair.image0, before)  # inputs are not modified


def test_motion_is_network_flow_in_pixels(engine: VTinkerEngine) -> None:
    pair = _pair(64, 64, seed=1)
    motion = engine.estimate(pair)
    state = motion.state
    forward = state.flow[0, :, :64, :64].permute(1, 2, 0).numpy() / 4
    backward = state.flow[1, :, :64, :64].permute(1, 2, 0).numpy() / 4
    np.testing.assert_array_equal(motion.forward, forward)
    np.testing.assert_array_equal(motion.backward, backward)


def test_multi_t_equals_per_t_and_is_deterministic(engine: VTinkerEngine) -> None:
    pair = _pair(64, 96, seed=2)
    motion = engine.estimate(pair)
    first = [engine.synthesize(pair, motion, t) for t in (0.25, 0.75)]
    for t, out in zip((0.25, 0.75), first, strict=True):
        fresh = engine.synthesize(pair, engine.estimate(pair), t)
        np.testing.assert_array_equal(out, fresh)


def test_region_synthesis_shapes_and_full_region(engine: VTinkerEngine) -> None:
    pair = _pair(64, 96, seed=3)
    motion = engine.estimate(pair)
    whole = engine.synthesize(pair, motion, 0.5)
    tile = engine.synthesize(pair, motion, 0.5, Region(5, 7, 40, 33))
    assert tile.shape == (33, 40, 3) and tile.dtype == np.float32
    np.testing.assert_array_equal(engine.synthesize(pair, motion, 0.5, pair.full_region), whole)
    with pytest.raises(ValueError, match="not inside"):
        engine.synthesize(pair, motion, 0.5, Region(60, 0, 40, 10))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        engine.synthesize(pair, motion, 1.2)


def test_motion_from_elsewhere_is_used(engine: VTinkerEngine) -> None:
    pair = _pair(64, 64, seed=4)
    mine = engine.estimate(pair)
    external = Motion(forward=mine.forward.copy(), backward=mine.backward.copy())
    out = engine.synthesize(pair, external, 0.5)
    assert external.state is not None  # kept for the next t
    np.testing.assert_allclose(out, engine.synthesize(pair, mine, 0.5), atol=1e-5)
    # Any size works; the padding then carries zero motion instead of the network's.
    odd = _pair(48, 40, seed=4)
    zero = np.zeros((48, 40, 2), np.float32)
    assert engine.synthesize(odd, Motion(zero, zero), 0.5).shape == (48, 40, 3)


def test_unknown_device_and_precision(checkpoint: Path) -> None:
    with pytest.raises(DeviceError, match="unknown device"):
        VTinkerEngine(checkpoint, device="tpu9")
    with pytest.raises(DeviceError, match="unknown precision"):
        VTinkerEngine(checkpoint, precision="float8")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA is not available"):
            VTinkerEngine(checkpoint, device="cuda")


def test_precision_the_device_cannot_run(checkpoint: Path, monkeypatch) -> None:
    import vtinker_core.model.inference as inference

    monkeypatch.setattr(inference, "_dtype_works", lambda device, dtype: False)
    with pytest.raises(DeviceError, match="'float16' is not supported on device 'cpu'") as info:
        VTinkerEngine(checkpoint, precision="float16")
    assert info.value.setting == "engine.precision"


def test_allocator_tuning_applies_in_its_own_process() -> None:
    code = (
        "from vtinker_core.model.inference import tune_cpu_allocator\n"
        "print(tune_cpu_allocator(), tune_cpu_allocator())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    expected = "True True" if sys.platform == "linux" else "False False"
    assert result.stdout.strip() in (expected, "False False")  # musl libc: a no-op


def test_bad_checkpoint_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "VTinker.pkl"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match=r"VTinker\.pkl"):
        VTinkerEngine(path, tune_allocator=False)


def test_describe_and_close(checkpoint: Path) -> None:
    engine = VTinkerEngine(checkpoint, tune_allocator=False)
    text = engine.describe()
    assert text.startswith("vtinker:") and "VTinker.pkl" in text and "float32" in text
    assert engine.tile_align == 16 and engine.device == "cpu"
    # The measured ~4.5 KB/px of activations scale with the sample size; 500 B/px do not.
    assert engine.bytes_per_pixel == VTinkerEngine.memory_per_pixel("float32") == 5000.0
    assert VTinkerEngine.memory_per_pixel("float16") == 2750.0
    engine.close()
    with pytest.raises(EngineError, match="closed"):
        engine.estimate(_pair(32, 32))


@pytest.mark.slow
def test_bfloat16_on_cpu(checkpoint: Path) -> None:
    try:
        engine = VTinkerEngine(checkpoint, precision="bfloat16", tune_allocator=False)
    except DeviceError:
        pytest.skip("bfloat16 is not supported here")
    pair = _pair(64, 64, seed=5)
    out = engine.synthesize(pair, engine.estimate(pair), 0.5)
    assert out.shape == (64, 64, 3) and out.dtype == np.float32 and np.isfinite(out).all()
