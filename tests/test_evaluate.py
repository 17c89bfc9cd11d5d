"""Evaluation (MODEL.md §11): metrics as upstream computes them, every benchmark layout, CLI."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from vtinker_core.engines import create_engine
from vtinker_core.errors import JobError
from vtinker_core.evaluate import cli as evaluate_cli
from vtinker_core.evaluate.benchmarks import (
    benchmark_names,
    evaluate_benchmark,
    find_items,
    get_benchmark,
    resize_frame,
)
from vtinker_core.evaluate.metrics import (
    gaussian_window,
    interpolation_error,
    psnr,
    quantize_8bit,
    ssim,
)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------------------------- metrics


def _ssim_reference(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM with a 2-D Gaussian window slid by hand ("valid"), float64, per channel averaged.

    A dimension shorter than 11 is not filtered (pytorch_msssim skips it).
    """
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5**2))
    g /= g.sum()
    h, w = x.shape[:2]
    gy = g if h >= 11 else np.array([1.0])
    gx = g if w >= 11 else np.array([1.0])
    window = np.outer(gy, gx)
    wh, ww = window.shape
    c1, c2 = 0.01**2, 0.03**2
    values = []
    for c in range(x.shape[2]):
        a = x[:, :, c].astype(np.float64) / 255
        b = y[:, :, c].astype(np.float64) / 255
        maps = []
        for i in range(h - wh + 1):
            for j in range(w - ww + 1):
                pa, pb = a[i : i + wh, j : j + ww], b[i : i + wh, j : j + ww]
                mu_a, mu_b = (window * pa).sum(), (window * pb).sum()
                var_a = (window * pa * pa).sum() - mu_a**2
                var_b = (window * pb * pb).sum() - mu_b**2
                cov = (window * pa * pb).sum() - mu_a * mu_b
                maps.append(
                    (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
                    * (2 * cov + c2) / (var_a + var_b + c2)
                )  # fmt: skip
        values.append(np.mean(maps))
    return float(np.mean(values))


@pytest.mark.parametrize("shape", [(11, 11, 3), (13, 16, 3), (8, 20, 3)])
def test_ssim_matches_a_direct_computation(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(0, 256, shape, dtype=np.uint8)
    y = np.clip(x.astype(int) + rng.integers(-40, 41, shape), 0, 255).astype(np.uint8)
    assert ssim(x, y) == pytest.approx(_ssim_reference(x, y), abs=2e-6)
    assert ssim(x, x) == pytest.approx(1.0, abs=1e-6)


def test_ssim_of_flat_images_by_hand() -> None:
    x = np.full((11, 11, 3), 51, np.uint8)  # 0.2
    y = np.full((11, 11, 3), 102, np.uint8)  # 0.4
    c1 = 0.01**2
    expected = (2 * 0.2 * 0.4 + c1) / (0.2**2 + 0.4**2 + c1)  # no variance: cs = 1
    assert ssim(x, y) == pytest.approx(expected, rel=1e-5)
    assert float(gaussian_window().sum()) == pytest.approx(1.0)


def test_psnr_ie_and_quantisation_by_hand() -> None:
    ref = np.zeros((4, 4, 3), np.uint8)
    pred = ref.copy()
    pred[0, 0, 0] = 255  # one value off by 1.0: mse = 1/48
    assert psnr(pred, ref) == pytest.approx(-10 * math.log10(1 / 48 + 1e-8), rel=1e-6)
    assert psnr(ref, ref) == pytest.approx(80.0)
    assert interpolation_error(pred, ref) == pytest.approx(255 / 48, rel=1e-6)
    floats = np.array([[[0.5, 1.2, -0.1]], [[254.99 / 255, 1.0, 0.0]]], np.float32)
    assert quantize_8bit(floats).tolist() == [[[127, 255, 0]], [[254, 255, 0]]]  # truncated


# ---------------------------------------------------------------------------- datasets


def _pair_images(shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame 0 even, frame 1 odd everywhere: the blend (a + b) / 2 is k + ½, truncated to k."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 128, (*shape, 3)) * 2
    b = rng.integers(0, 128, (*shape, 3)) * 2 + 1
    gt = rng.integers(0, 256, (*shape, 3))
    return a.astype(np.uint8), gt.astype(np.uint8), b.astype(np.uint8)


def _hand_psnr(pred: np.ndarray, ref: np.ndarray) -> float:
    mse = np.mean(((pred.astype(np.float64) - ref.astype(np.float64)) / 255) ** 2)
    return -10 * math.log10(mse + 1e-8)


def _blend8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a.astype(int) + b.astype(int)) // 2).astype(np.uint8)


def _write_triplet(paths: tuple[Path, Path, Path], seed: int) -> float:
    images = _pair_images((24, 40), seed)
    for path, image in zip(paths, images, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), image)
    a, gt, b = images
    return _hand_psnr(_blend8(a, b), gt)


def _vimeo(root: Path) -> list[float]:
    entries = ["00001/0001", "00002/0007"]
    (root).mkdir(parents=True)
    (root / "tri_testlist.txt").write_text("\n".join(entries) + "\n")
    return [
        _write_triplet(tuple(root / "sequences" / e / f"im{i}.png" for i in (1, 2, 3)), n)
        for n, e in enumerate(entries)
    ]


def _ucf101(root: Path) -> list[float]:
    names = ("frame_00.png", "frame_01_gt.png", "frame_02.png")
    return [
        _write_triplet(tuple(root / folder / name for name in names), n)
        for n, folder in enumerate(["1", "2", "3"])
    ]


def _snufilm(root: Path) -> dict[str, list[float]]:
    scores = {}
    for mode, prefix in (("easy", "data/SNU-FILM/"), ("hard", "")):
        lines, values = [], []
        for n in range(2):
            rel = [f"data/SNU-FILM/test/GOPR{mode}/{n}/{k:05d}.png" for k in (1, 2, 3)]
            files = tuple(
                root / r.removeprefix("data/SNU-FILM/" if not prefix else "") for r in rel
            )
            values.append(_write_triplet(files, 10 + n))  # type: ignore[arg-type]
            lines.append(" ".join(rel))
        (root / "eval_modes").mkdir(parents=True, exist_ok=True)
        (root / "eval_modes" / f"test-{mode}.txt").write_text("\n".join(lines) + "\n")
        scores[mode] = values
    return scores


def _write_video(folder: Path, frames: list[np.ndarray], names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(names, frames, strict=True):
        cv2.imwrite(str(folder / name), frame)


def _video_reference(folder: Path, rescale: str | None) -> float:
    """Mean PSNR of the blend over one video, computed from the files with NumPy."""
    files = sorted(folder.iterdir(), key=lambda p: int(p.name[:-4]))
    files = files[: (len(files) - 1) // 2 * 2 + 1]
    rgb = [
        resize_frame(cv2.imread(str(f), cv2.IMREAD_UNCHANGED), rescale)[:, :, ::-1] for f in files
    ]
    scores = []
    for k in range(1, len(rgb) // 2 + 1):
        a = rgb[2 * k - 2].astype(np.float32) / np.float32(255)
        b = rgb[2 * k].astype(np.float32) / np.float32(255)
        pred = (np.clip(0.5 * a + 0.5 * b, 0, 1) * np.float32(255)).astype(np.uint8)
        scores.append(_hand_psnr(pred, rgb[2 * k - 1]))
    return float(np.mean(scores))


def _textures(count: int, shape: tuple[int, int], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3)).astype(np.uint8), (5, 5), 1.5)
        for _ in range(count)
    ]


@pytest.mark.parametrize("name", ["vimeo", "ucf101"])
def test_blend_on_triplet_benchmarks_gives_the_hand_psnr(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    expected = _vimeo(root) if name == "vimeo" else _ucf101(root)
    result = evaluate_benchmark(name, root, create_engine("blend"))
    assert result.count == len(expected)
    assert [s.psnr for s in result.items] == pytest.approx(expected, rel=1e-5)
    assert result.psnr == pytest.approx(np.mean(expected), rel=1e-5)
    assert 0.0 < result.ssim < 1.0 and result.ie > 0


def test_snufilm_lists_are_joined_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "SNU-FILM"
    expected = _snufilm(root)
    for mode in ("easy", "hard"):
        result = evaluate_benchmark(f"snufilm-{mode}", root, create_engine("blend"))
        assert [s.psnr for s in result.items] == pytest.approx(expected[mode], rel=1e-5)
    assert get_benchmark("snufilm-hard").depth == 4
    with pytest.raises(JobError, match=r"test-medium\.txt"):
        find_items("snufilm-medium", root)


def test_video_benchmarks_score_only_the_predicted_frames(tmp_path: Path) -> None:
    davis = tmp_path / "DAVIS_trainval" / "JPEGImages"
    # 480p: 6 frames (truncated to 5), odd height (cropped to even).
    _write_video(davis / "480p" / "bear", _textures(6, (31, 34), 1),
                 [f"{i:05d}.jpg" for i in range(6)])  # fmt: skip
    _write_video(davis / "480p" / "car", _textures(3, (31, 34), 2),
                 [f"{i:05d}.jpg" for i in range(3)])  # fmt: skip
    full = davis / "Full-Resolution" / "bear"
    _write_video(full, _textures(3, (36, 64), 3), [f"{i:05d}.jpg" for i in range(3)])
    xiph = tmp_path / "Xiph"
    # Integer order: 1, 2, 10 (not 1, 10, 2).
    _write_video(xiph / "Crowd", _textures(3, (36, 64), 4), ["1.png", "10.png", "2.png"])
    (xiph / "put_your_dataset.txt").write_text("files next to the sequences are ignored")

    blend = create_engine("blend")
    result = evaluate_benchmark("davis480", tmp_path / "DAVIS_trainval", blend)
    bear = _video_reference(davis / "480p" / "bear", None)
    car = _video_reference(davis / "480p" / "car", None)
    assert [(s.name, s.frames) for s in result.items] == [("bear", 2), ("car", 1)]
    assert [s.psnr for s in result.items] == pytest.approx([bear, car], rel=1e-5)
    assert result.psnr == pytest.approx((bear + car) / 2, rel=1e-5)  # per video, then videos

    for name, root, folder, rescale in (
        ("davis1080", tmp_path / "DAVIS_trainval", full, "1080P"),
        ("davis4k", tmp_path / "DAVIS_trainval", full, None),
        ("xiph2k", xiph, xiph / "Crowd", "2K"),
        ("xiph4k", xiph, xiph / "Crowd", None),
    ):
        result = evaluate_benchmark(name, root, blend)
        assert result.count == 1, name
        assert result.items[0].psnr == pytest.approx(_video_reference(folder, rescale), rel=1e-5)
    assert resize_frame(np.zeros((2160, 4096, 3), np.uint8), "4K").shape == (1080, 2048, 3)
    assert resize_frame(np.zeros((36, 64, 3), np.uint8), "2K").shape == (1080, 2048, 3)


def test_layout_errors_name_the_expected_layout(tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"tri_testlist\.txt"):
        find_items("vimeo", tmp_path)
    with pytest.raises(JobError, match="unknown benchmark"):
        get_benchmark("middlebury")


# ----------------------------------------------------------------------------- engines


def test_engine_options_follow_each_protocol() -> None:
    assert evaluate_cli.engine_options(get_benchmark("vimeo"), "blend", None, None) == ({}, [])
    options, _ = evaluate_cli.engine_options(get_benchmark("vimeo"), "vtinker", "cpu", None)
    assert options == {"device": "cpu", "precision": "float32", "depth": 3, "skip": 0}
    options, _ = evaluate_cli.engine_options(get_benchmark("snufilm-easy"), "vtinker", "cpu", None)
    assert (options["depth"], options["skip"]) == (4, 0)
    options, _ = evaluate_cli.engine_options(get_benchmark("davis480"), "vtinker", "cpu", None)
    assert options["depth"] is None and "skip" not in options  # the resolution rule
    options, notes = evaluate_cli.engine_options(get_benchmark("xiph4k"), "vtinker", "cpu", None)
    assert options["precision"] == "float16" or (options["precision"] == "float32" and notes)
    assert benchmark_names() == evaluate_cli.BENCHMARK_NAMES


def test_vtinker_engine_runs_the_vimeo_protocol(tmp_path: Path) -> None:
    from vtinker_core.model.checkpoint import save_checkpoint
    from vtinker_core.model.network import VTinkerNet

    torch.manual_seed(0)
    checkpoint = save_checkpoint(VTinkerNet().state_dict(), tmp_path / "VTinker.pkl")
    root = tmp_path / "vimeo_triplet"
    _vimeo(root)
    bench = get_benchmark("vimeo")
    options, _ = evaluate_cli.engine_options(bench, "vtinker", "cpu", None)
    engine = create_engine("vtinker", checkpoint, **options)
    assert engine.interpolator.depth_skip_for(256, 448) == (3, 0)  # type: ignore[attr-defined]
    result = evaluate_benchmark(bench, root, engine, limit=1, save_dir=tmp_path / "pred")
    assert result.count == 1 and math.isfinite(result.psnr)
    assert (tmp_path / "pred" / "vimeo" / "00000000.png").is_file()


# --------------------------------------------------------------------------------- CLI


def test_cli_prints_a_table_and_writes_json(tmp_path: Path, capsys) -> None:
    root = tmp_path / "vimeo_triplet"
    expected = _vimeo(root)
    out = tmp_path / "scores.json"
    argv = ["--benchmark", "vimeo", "--root", str(root), "--engine", "blend"]
    assert evaluate_cli.main([*argv, "--json", str(out), "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert "vimeo" in table and f"{np.mean(expected):.3f}" in table
    data = json.loads(out.read_text())["results"][0]
    assert data["benchmark"] == "vimeo" and data["count"] == 2
    assert data["psnr"] == pytest.approx(np.mean(expected), rel=1e-5)
    assert [item["name"] for item in data["items"]] == ["00001/0001", "00002/0007"]
    assert data["protocol"]["channel_order"] == "bgr"
    assert (
        evaluate_cli.main(["--benchmark", "ucf101", "--root", str(root), "--engine", "blend"]) == 2
    )
    assert "ucf101" in capsys.readouterr().err


def test_evaluate_subcommand_wiring() -> None:
    parser = argparse.ArgumentParser(prog="vtinker")
    sub = parser.add_subparsers(dest="command", required=True)
    evaluate_cli.add_evaluate_parser(sub)
    args = parser.parse_args(["evaluate", "--benchmark", "snufilm", "--root", "r", "--limit", "3"])
    assert evaluate_cli._expand(args.benchmark) == [
        "snufilm-easy", "snufilm-medium", "snufilm-hard", "snufilm-extreme",
    ]  # fmt: skip
    assert args.limit == 3 and args.engine == "auto" and callable(evaluate_cli.run_evaluate)
