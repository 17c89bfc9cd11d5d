"""Training (MODEL.md §10): schedule, losses, data, both stages, resume, checkpoints, DDP."""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from vtinker_core.errors import CheckpointError, JobError
from vtinker_core.model.checkpoint import load_checkpoint, load_network, save_checkpoint
from vtinker_core.model.stage1 import Stage1Net
from vtinker_core.train import cli as train_cli
from vtinker_core.train.datasets import FolderTriplets, VimeoTriplets, augment_triplet
from vtinker_core.train.losses import (
    PERCEPTUAL_WEIGHTS,
    CensusLoss,
    Stage2Loss,
    VGGFeatures,
    charbonnier_loss,
    find_vgg_weights,
    gram_matrix,
)
from vtinker_core.train.schedule import STAGE_DEFAULTS, learning_rate, training_progress
from vtinker_core.train.state import read_training_state
from vtinker_core.train.trainer import TrainConfig, Trainer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_thread():
    # The CI machines are small and shared: more threads only add contention.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _textured(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = (rng.random((h, w, 3)) * 255).astype(np.uint8)
    return cv2.GaussianBlur(noise, (7, 7), 2)


def _make_vimeo(
    root: Path, entries: list[str], size: tuple[int, int] = (64, 64), gt_value: int | None = None
) -> Path:
    """A vimeo_triplet layout: lists + sequences/<entry>/im1..3.png (a texture moving right).

    ``gt_value`` replaces the middle frame by a flat image (an easy target to overfit).
    """
    for index, entry in enumerate(entries):
        folder = root / "sequences" / entry
        folder.mkdir(parents=True)
        base = _textured(size[0], size[1] + 8, index)
        for i in range(3):
            image = base[:, 2 * i : 2 * i + size[1]]
            if i == 1 and gt_value is not None:
                image = np.full_like(image, gt_value)
            cv2.imwrite(str(folder / f"im{i + 1}.png"), image)
    (root / "tri_trainlist.txt").write_text("\n".join(entries) + "\n\n")
    (root / "tri_testlist.txt").write_text(entries[0] + "\n")
    return root


def _config(tmp_path: Path, data: Path, stage: int, **changes: object) -> TrainConfig:
    settings: dict[str, object] = dict(
        stage=stage, data=data, out=tmp_path / f"run{stage}", steps=3, batch=1, crop=64,
        warmup=0, workers=0, device="cpu", progress=False, tensorboard=True, log_every=1,
        save_every=1000, snapshot_every=0, model_every=0, val_every=0,
    )  # fmt: skip
    settings.update(changes)
    return TrainConfig(**settings)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ schedule


def test_learning_rate_follows_warmup_then_cosine() -> None:
    assert learning_rate(1, 200_000, 1e-4, 1e-5) == pytest.approx(1e-4 / 2000)
    assert learning_rate(1999, 200_000, 1e-4, 1e-5) == pytest.approx(1e-4 * 1999 / 2000)
    assert learning_rate(2000, 200_000, 1e-4, 1e-5) == pytest.approx(1e-4)
    assert learning_rate(101_000, 200_000, 1e-4, 1e-5) == pytest.approx(5.5e-5)
    assert learning_rate(200_000, 200_000, 1e-4, 1e-5) == pytest.approx(1e-5)
    assert learning_rate(1, 4, 1e-3, 0.0, warmup_steps=0) == pytest.approx(
        1e-3 * (0.5 + 0.5 * np.cos(np.pi / 4))
    )
    assert learning_rate(3, 3, 1e-3, 1e-4, warmup_steps=3) == pytest.approx(1e-3)  # no 0/0
    assert training_progress(100_000, 200_000) == 0.5
    with pytest.raises(ValueError):
        learning_rate(0, 10, 1e-3, 0.0)
    assert (STAGE_DEFAULTS[1].init_lr, STAGE_DEFAULTS[1].total_steps) == (2e-4, 800_000)
    assert (STAGE_DEFAULTS[2].min_lr, STAGE_DEFAULTS[2].batch) == (1e-5, 2)


# -------------------------------------------------------------------------------- losses


def _census_reference(a: np.ndarray, b: np.ndarray, y: int, x: int) -> float:
    """The census distance at one pixel, written out as loops (zero padding 3)."""
    weights = (0.2989, 0.5870, 0.1140)

    def transform(image: np.ndarray) -> list[float]:
        grey = sum(w * image[c].astype(np.float64) for c, w in enumerate(weights))
        h, w = grey.shape
        out = []
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                yy, xx = y + dy, x + dx
                neighbour = grey[yy, xx] if 0 <= yy < h and 0 <= xx < w else 0.0
                d = neighbour - grey[y, x]
                out.append(d / np.sqrt(0.81 + d * d))
        return out

    e = np.subtract(transform(a), transform(b))
    return float(np.mean(e**2 / (0.1 + e**2)))


def test_charbonnier_and_census_match_hand_computation() -> None:
    torch.manual_seed(0)
    a, b = torch.rand(1, 3, 9, 10), torch.rand(1, 3, 9, 10)
    assert float(charbonnier_loss(a, b)) == pytest.approx(
        float(np.mean(np.sqrt((a.numpy() - b.numpy()) ** 2 + 1e-6))), rel=1e-6
    )
    census = CensusLoss()(a, b)
    assert census.shape == (1, 1, 9, 10)
    assert float(census[0, 0, 0].abs().sum() + census[0, 0, :, -1].abs().sum()) == 0.0  # border
    for y, x in ((1, 1), (4, 5), (7, 8)):
        expected = _census_reference(a[0].numpy(), b[0].numpy(), y, x)
        assert float(census[0, 0, y, x]) == pytest.approx(expected, rel=1e-5)
    assert float(CensusLoss()(a, a).abs().max()) == 0.0


def _fake_torchvision_vgg19(path: Path) -> Path:
    """A state dict with torchvision's vgg19 keys (features.* and classifier.*), random."""
    from vtinker_core.train.losses import _vgg19_features

    torch.manual_seed(5)
    features = _vgg19_features()
    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)  # ignored
    torch.save(state, path)
    return path


def test_vgg_features_load_torchvision_layout(tmp_path: Path) -> None:
    vgg = VGGFeatures.from_file(_fake_torchvision_vgg19(tmp_path / "vgg19-dcbb9e9d.pth"))
    feats = vgg(torch.rand(1, 3, 32, 32))
    assert [tuple(f.shape) for f in feats] == [
        (1, 64, 32, 32), (1, 128, 16, 16), (1, 256, 8, 8), (1, 512, 4, 4), (1, 512, 1, 1),
    ]  # fmt: skip
    assert not any(p.requires_grad for p in vgg.parameters())
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="VGG-19"):
        VGGFeatures.from_file(tmp_path / "bad.pth")


def test_find_vgg_weights_uses_the_torch_hub_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert find_vgg_weights() is None
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert find_vgg_weights() == cached
    with pytest.raises(CheckpointError):
        find_vgg_weights(tmp_path / "missing.pth")


def test_stage2_loss_weights_and_switch(tmp_path: Path) -> None:
    torch.manual_seed(1)
    outs = [torch.rand(1, 3, 32, 32) for _ in range(3)]
    targets = [torch.rand(1, 3, 32, 32) for _ in range(3)]
    l1 = [float((o - t).abs().mean()) for o, t in zip(outs, targets, strict=True)]
    total, parts = Stage2Loss(None)(outs, targets, progress=0.9)
    assert float(total) == pytest.approx((8 * l1[0] + l1[1] + l1[2]) / 10, rel=1e-6)
    assert set(parts) == {"l1"}

    vgg = VGGFeatures.from_file(_fake_torchvision_vgg19(tmp_path / "vgg.pth"))
    criterion = Stage2Loss(vgg)
    early, parts = criterion(outs, targets, progress=0.49)
    assert float(early) == pytest.approx(parts["l1"] + parts["vgg"], rel=1e-5)
    late, parts = criterion(outs, targets, progress=0.5)
    assert float(late) == pytest.approx(
        parts["l1"] + 0.25 * parts["vgg"] + 40 * parts["style"], rel=1e-5
    )
    # The (x + 1) / 2 quirk and the level weights, for the first pair.
    fo, fr = vgg((outs[0] + 1) / 2), vgg((targets[0] + 1) / 2)
    first = sum(
        w * float((a - b).abs().mean()) for a, b, w in zip(fo, fr, PERCEPTUAL_WEIGHTS, strict=True)
    )
    f = fo[0]
    assert torch.allclose(gram_matrix(f)[0], f[0].flatten(1) @ f[0].flatten(1).T / 32**2)
    assert first > 0


# ---------------------------------------------------------------------------------- data


def test_augmentation_order_and_probabilities(monkeypatch) -> None:
    draws = iter([0.05, 0.4, 0.9, 0.4, 0.3, 0.2])  # upscale, chan, vflip, hflip, rot, swap
    monkeypatch.setattr(random, "uniform", lambda a, b: next(draws))
    ints = iter([3, 5, 2])  # crop y, crop x, k
    monkeypatch.setattr(np.random, "randint", lambda lo, hi: next(ints))
    img0, gt, img1 = (_textured(16, 20, s) for s in range(3))
    out0, out_gt, out1 = augment_triplet(img0, gt, img1, (8, 12))

    def expected(image: np.ndarray) -> np.ndarray:
        up = cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
        crop = up[3 : 3 + 8, 5 : 5 + 12]
        return np.rot90(crop[:, :, ::-1][:, ::-1], 2)  # channels, no vflip, hflip, rot 180°

    assert np.array_equal(out0, expected(img1))  # swapped
    assert np.array_equal(out1, expected(img0))
    assert np.array_equal(out_gt, expected(gt))
    monkeypatch.undo()
    with pytest.raises(JobError, match="smaller than"):
        augment_triplet(img0, gt, img1, (64, 64), upscale_prob=0.0)


def test_vimeo_triplets_read_bgr_in_upstream_order(tmp_path: Path) -> None:
    root = _make_vimeo(tmp_path / "vimeo_triplet", ["00001/0001", "00001/0002"])
    test = VimeoTriplets(root, "test")
    sample = test[0]
    assert sample.dtype == torch.uint8 and sample.shape == (9, 64, 64)
    folder = root / "sequences" / "00001/0001"
    im1, im2, im3 = (cv2.imread(str(folder / f"im{i}.png")) for i in (1, 2, 3))
    for image, part in ((im1, sample[0:3]), (im3, sample[3:6]), (im2, sample[6:9])):
        assert np.array_equal(part.permute(1, 2, 0).numpy(), image)  # [img0, img1, gt], BGR
    train = VimeoTriplets(root, "train", crop=32)
    assert len(train) == 2  # the trailing blank line is skipped
    random.seed(0)
    np.random.seed(0)
    assert train[1].shape == (9, 32, 32)


def test_folder_triplets_sequences_and_videos_with_a_gap(tmp_path: Path) -> None:
    from vtinker_core.frame import Frame
    from vtinker_core.io.images import write_frame
    from vtinker_core.io.video_write import write_video

    shot = tmp_path / "plates" / "shotA"
    shot.mkdir(parents=True)
    frames = {n: _textured(32, 32, n) for n in range(1001, 1007)}
    for n, image in frames.items():
        cv2.imwrite(str(shot / f"plate.{n}.png"), image)
    exr = tmp_path / "plates" / "shotB"
    exr.mkdir()
    for n in range(5):
        linear = np.full((32, 32, 3), 0.18 * (n + 1), np.float32)
        write_frame(exr / f"beauty_{n:04d}.exr", Frame.from_array(linear, ("R", "G", "B")))
    clip = [np.full((32, 32, 3), v, np.float32) for v in (0.1, 0.3, 0.5, 0.7, 0.9)]
    write_video(tmp_path / "plates" / "clip.mp4", clip, Fraction(24))

    data = FolderTriplets(tmp_path / "plates", gap=2, crop=None, augment=False)
    assert len(data.sequences) == 2 and len(data.videos) == 1
    kinds = sorted((kind, f0, gt, f1) for kind, _, f0, gt, f1 in data.triplets)
    assert kinds == [
        ("sequence", 0, 2, 4),  # shotB 0, 2, 4
        ("sequence", 1001, 1003, 1005),
        ("sequence", 1002, 1004, 1006),
        ("video", 0, 2, 4),
    ]
    index = data.triplets.index(next(t for t in data.triplets if t[2] == 1002))
    sample = data[index].permute(1, 2, 0).numpy()
    assert np.array_equal(sample[:, :, 0:3], frames[1002])
    assert np.array_equal(sample[:, :, 3:6], frames[1006])
    assert np.array_equal(sample[:, :, 6:9], frames[1004])
    exr_index = next(i for i, t in enumerate(data.triplets) if t[0] == "sequence" and t[2] == 0)
    grey = data[exr_index][0].float() / 255  # linear 0.18 → sRGB-encoded ≈ 0.46
    assert float(grey.mean()) == pytest.approx(0.461, abs=0.01)
    video_index = next(i for i, t in enumerate(data.triplets) if t[0] == "video")
    values = data[video_index].float().mean(dim=(1, 2)) / 255
    assert values[0:3].mean() == pytest.approx(0.1, abs=0.03)  # frame 0
    assert values[3:6].mean() == pytest.approx(0.9, abs=0.03)  # frame 4
    assert values[6:9].mean() == pytest.approx(0.5, abs=0.03)  # ground truth: frame 2
    with pytest.raises(JobError, match="no training triplets"):
        FolderTriplets(tmp_path / "plates" / "shotA", gap=5)


# ------------------------------------------------------------------------------ training


def test_stage1_overfits_a_tiny_set(tmp_path: Path) -> None:
    data = _make_vimeo(tmp_path / "vimeo", ["00001/0001"], gt_value=170)
    config = _config(tmp_path, data, 1, steps=12, lr=2e-4, min_lr=2e-4, augment=False)
    with Trainer(config) as trainer:
        result = trainer.run()
    losses = [h["loss"] for h in result.history]
    assert (result.first_step, result.last_step, len(losses)) == (1, 12, 12)
    assert losses[-1] < 0.75 * losses[0]
    assert np.mean(losses[-3:]) < np.mean(losses[3:6]) < np.mean(losses[:3])
    _, info = load_checkpoint(config.out / "model.pkl")
    assert info.architecture == "stage1"
    raw = torch.load(config.out / "model.pkl", weights_only=True)
    assert all(k.startswith("module.") for k in raw)  # the official layout
    log = (config.out / "train.log").read_text()
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        assert "TensorBoard is not installed" in log
    else:
        assert any((config.out / "tensorboard").iterdir())


def test_stage1_resume_continues_exactly(tmp_path: Path) -> None:
    data = _make_vimeo(tmp_path / "vimeo", ["00001/0001", "00001/0002", "00001/0003"])
    straight = _config(tmp_path / "a", data, 1, steps=4, lr=5e-4)
    with Trainer(straight) as trainer:
        reference = trainer.run()
        expected = {k: v.clone() for k, v in trainer.model.state_dict().items()}

    interrupted = _config(tmp_path / "b", data, 1, steps=4, lr=5e-4, stop_after=2)
    with Trainer(interrupted) as trainer:
        assert trainer.run().last_step == 2
    assert read_training_state(interrupted.out).step == 2
    resumed = _config(tmp_path / "b", data, 1, steps=4, lr=5e-4, resume=interrupted.out)
    with Trainer(resumed) as trainer:
        assert trainer.step == 2
        result = trainer.run()
        got = trainer.model.state_dict()
    assert (result.first_step, result.last_step) == (3, 4)
    assert [h["loss"] for h in result.history] == [h["loss"] for h in reference.history[2:]]
    assert all(torch.equal(got[k], expected[k]) for k in expected)


def test_stage2_step_checkpoint_and_resume(tmp_path: Path) -> None:
    data = _make_vimeo(tmp_path / "vimeo", ["00001/0001"])
    torch.manual_seed(7)
    stage1 = save_checkpoint(Stage1Net().state_dict(), tmp_path / "UPR_ReDesgin.pkl")
    config = _config(tmp_path, data, 2, steps=2, lr=1e-4, stage1_weights=stage1, augment=False)
    with Trainer(config) as trainer:
        assert trainer.criterion.uses_vgg is False or find_vgg_weights() is not None
        result = trainer.run()
        optimizer_state = trainer.optimizer.state_dict()
        weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    assert result.last_step == 2
    assert result.history[1]["loss"] < result.history[0]["loss"]
    if find_vgg_weights() is None:
        assert "L1 term ONLY" in (config.out / "train.log").read_text()

    net, info = load_network(config.out / "model.pkl")  # strict, as the vtinker engine loads
    assert info.architecture == "vtinker"
    assert all(torch.equal(net.state_dict()[k], weights[k]) for k in weights)

    again = _config(tmp_path, data, 2, steps=2, lr=1e-4, resume=config.out, augment=False)
    with Trainer(again) as trainer:
        assert trainer.step == 2
        loaded = trainer.optimizer.state_dict()
        assert loaded["param_groups"][1]["lr"] == 1.5e-6  # flowgen's fixed rate
        for key, state in optimizer_state["state"].items():
            for name, value in state.items():
                assert torch.equal(
                    torch.as_tensor(loaded["state"][key][name]), torch.as_tensor(value)
                )
        assert trainer.run().last_step == 2  # nothing left to train


def test_stage2_without_stage1_weights_is_an_error(tmp_path: Path, capsys) -> None:
    data = _make_vimeo(tmp_path / "vimeo", ["00001/0001"])
    argv = ["--stage", "2", "--data", str(data), "--out", str(tmp_path / "o"), "--device", "cpu"]
    assert train_cli.main(argv) == 2
    assert "--stage1-weights" in capsys.readouterr().err
    with pytest.raises(JobError, match="multiple of 32"):
        TrainConfig(stage=2, data=data, out=tmp_path, crop=48, init=tmp_path).resolved()
    assert not (tmp_path / "o").exists()  # settings are checked before anything is written


def test_train_subcommand_wiring() -> None:
    parser = argparse.ArgumentParser(prog="vtinker")
    sub = parser.add_subparsers(dest="command", required=True)
    train_cli.add_train_parser(sub)
    args = parser.parse_args(
        ["train", "--stage", "1", "--data", "d", "--out", "o", "--steps", "5", "--gap", "2"]
    )
    config = train_cli.config_from_args(args).resolved()
    assert (config.stage, config.steps, config.gap, config.batch, config.lr) == (1, 5, 2, 8, 2e-4)
    assert callable(train_cli.run_train)


def test_ddp_two_processes_on_cpu(tmp_path: Path) -> None:
    data = _make_vimeo(tmp_path / "vimeo", ["00001/0001", "00001/0002"])
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--standalone", "-m", "vtinker_core.train.cli",
        "--stage", "1", "--data", str(data), "--out", str(out), "--steps", "2", "--batch", "1",
        "--crop", "32", "--workers", "0", "--device", "cpu", "--warmup", "0", "--lr", "1e-3",
        "--val-every", "0", "--no-progress", "--log-every", "1",
    ]  # fmt: skip
    # A new session, so that a hang can be ended with the whole process group (torchrun's
    # workers included) and nothing is left running.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the 2-process run did not finish in 240 s")
    assert process.returncode == 0, stdout + stderr
    assert "rank 1 of 2 on cpu" in stdout
    log = (out / "train.log").read_text()
    assert "2 process(es) × batch 1" in log
    assert "rank 0 wrote model.pkl" in log and "rank 1 wrote" not in log
    assert sorted(p.name for p in out.iterdir()) == ["model.pkl", "train.log", "training-state.pth"]
    _, info = load_checkpoint(out / "model.pkl")
    assert info.architecture == "stage1"
    assert read_training_state(out).step == 2
