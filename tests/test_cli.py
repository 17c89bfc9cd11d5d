"""The ``vtinker`` command: in-process through ``main(argv)`` and once as the installed script."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.cli import main
from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame


def _write_plates(folder: Path, count: int = 3) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        px = np.full((16, 24, 4), 0.2, np.float32)
        px[4:10, 2 + 4 * i : 8 + 4 * i, :3] = 0.8
        px[..., 3] = 1.0
        write_frame(folder / f"shot.{1001 + i:04d}.exr", Frame.from_array(px), bit_depth="half")
    return str(folder / "shot.####.exr")


def test_render_with_flags_writes_the_retimed_sequence(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    out = tmp_path / "out" / "r.####.exr"
    code = main(
        [
            "render",
            source,
            "-o",
            str(out),
            "--speed",
            "50",
            "--engine",
            "blend",
            "--progress",
            "none",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.parent.glob("r.*.exr")) == [
        f"r.{n}.exr" for n in range(1001, 1006)
    ]


def test_progress_json_follows_the_documented_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_plates(tmp_path / "src")
    out = tmp_path / "out" / "r.####.exr"
    code = main(
        [
            "render",
            source,
            "-o",
            str(out),
            "--multiply",
            "2",
            "--engine",
            "blend",
            "--progress",
            "json",
            "--frames",
            "1002-1004",
        ]
    )
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["event"] for r in records] == ["start", "frame", "frame", "frame", "done"]
    assert records[0]["total"] == 3 and records[0]["frames"] == [1002, 1004]
    assert [r["frame"] for r in records[1:4]] == [1002, 1003, 1004]
    assert records[2]["source"] == 1002.0 and records[1]["source"] == 1001.5
    assert records[-1]["rendered"] == 3


def test_bad_input_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "render",
            str(tmp_path / "none.####.exr"),
            "-o",
            str(tmp_path / "o.####.exr"),
            "--speed",
            "50",
            "--progress",
            "none",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("vtinker: error: ")
    assert "none.####.exr" in err
    assert "Traceback" not in err


def test_a_bad_setting_is_named_and_reported_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_plates(tmp_path / "src")
    code = main(
        [
            "render",
            source,
            "-o",
            str(tmp_path / "o.####.exr"),
            "--speed",
            "-5",
            "--progress",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    record = json.loads(captured.out.splitlines()[-1])
    assert record["event"] == "error" and record["setting"] == "timing.speed"


def test_two_timings_at_once_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_plates(tmp_path / "src")
    code = main(
        [
            "render",
            source,
            "-o",
            str(tmp_path / "o.####.exr"),
            "--speed",
            "50",
            "--multiply",
            "2",
            "--progress",
            "none",
        ]
    )
    assert code == 2
    assert "choose one timing" in capsys.readouterr().err


def test_save_job_then_render_the_job_file(tmp_path: Path) -> None:
    source = _write_plates(tmp_path / "src")
    job_path = tmp_path / "job.json"
    out = tmp_path / "out" / "r.####.exr"
    assert (
        main(
            [
                "render",
                source,
                "-o",
                str(out),
                "--multiply",
                "3",
                "--engine",
                "blend",
                "--save-job",
                str(job_path),
            ]
        )
        == 0
    )
    job = json.loads(job_path.read_text())
    assert job["timing"] == {"mode": "multiply", "multiplier": 3}
    assert not out.parent.exists()
    assert main(["render", "--job", str(job_path), "--progress", "none"]) == 0
    assert len(list(out.parent.glob("r.*.exr"))) == 7


def test_pair_writes_one_file_per_time(tmp_path: Path) -> None:
    a, b = tmp_path / "a.exr", tmp_path / "b.exr"
    write_frame(a, Frame.from_array(np.zeros((8, 8, 3), np.float32)), bit_depth="float")
    write_frame(b, Frame.from_array(np.full((8, 8, 3), 0.5, np.float32)), bit_depth="float")
    out = tmp_path / "mid.####.exr"
    assert (
        main(["pair", str(a), str(b), "--t", "0.25", "0.5", "-o", str(out), "--engine", "blend"])
        == 0
    )
    quarter = read_frame(tmp_path / "mid.0001.exr").pixels
    half = read_frame(tmp_path / "mid.0002.exr").pixels
    # blend happens in the model encoding (sRGB-like), so compare against that, not linear
    assert 0.0 < quarter.mean() < half.mean() < 0.5


@pytest.mark.skipif(shutil.which("vtinker") is None, reason="console script not installed")
def test_the_installed_console_script_runs() -> None:
    result = subprocess.run(["vtinker", "info"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "OpenColorIO" in result.stdout and "auto engine" in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "vtinker_core.cli", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("vtinker ")


def test_a_cancel_file_stops_the_render_after_the_current_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_plates(tmp_path / "src")
    out = tmp_path / "out" / "r.####.exr"
    stop = tmp_path / "stop"
    stop.write_text("")  # present from the start: the render stops before its first frame
    code = main(
        [
            "render",
            source,
            "-o",
            str(out),
            "--multiply",
            "4",
            "--engine",
            "blend",
            "--progress",
            "json",
            "--cancel-file",
            str(stop),
        ]
    )
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 130
    assert records[-1]["event"] == "error" and records[-1]["cancelled"] is True
    assert not out.parent.exists() or not list(out.parent.glob("*.exr"))


def test_a_video_retimes_to_a_video_and_to_a_sequence(tmp_path: Path) -> None:
    from fractions import Fraction

    from vtinker_core.io import VideoReader, write_video

    frames = []
    for i in range(3):
        px = np.full((32, 48, 3), 0.25, np.float32)
        px[8:24, 4 + 6 * i : 16 + 6 * i] = 0.9
        frames.append(px)
    clip = tmp_path / "clip.mp4"
    write_video(clip, frames, Fraction(25))
    slow = tmp_path / "slow.mp4"
    assert (
        main(
            [
                "render",
                str(clip),
                "-o",
                str(slow),
                "--multiply",
                "2",
                "--engine",
                "blend",
                "--progress",
                "none",
            ]
        )
        == 0
    )
    with VideoReader(slow) as reader:
        assert reader.frame_count == 5
        assert reader.fps == Fraction(25)
    seq = tmp_path / "seq" / "clip.####.png"
    assert (
        main(
            [
                "render",
                str(clip),
                "-o",
                str(seq),
                "--speed",
                "50",
                "--engine",
                "blend",
                "--progress",
                "none",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in seq.parent.iterdir()) == [f"clip.{i:04d}.png" for i in range(5)]


def _write_levels(folder: Path, count: int) -> str:
    """Flat plates at level 0.1·i, so a blended output's level reads back its source time."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        px = np.full((8, 8, 3), 0.1 * i, np.float32)
        write_frame(folder / f"lv.{1001 + i:04d}.exr", Frame.from_array(px), bit_depth="float")
    return str(folder / "lv.####.exr")


@pytest.mark.parametrize(
    ("flag", "value", "times"),
    [
        # output speed 100 % at 1001 → 50 % at 1005, integrated (see test_timing.py)
        ("--speed", "1001:100,1005:50", [0, 0.9375, 1.75, 2.4375, 3, 3.5, 4]),
        # input speed 100 % at source 1001 → 50 % at 1003, each step the speed where it stands
        ("--input-speed", "1001:100,1003:50", [0, 1, 1.75, 2.3125, 2.8125, 3.3125, 3.8125]),
    ],
)
def test_animated_speed_flags_render_the_integrated_source_times(
    tmp_path: Path, flag: str, value: str, times: list[float]
) -> None:
    """Each output is the in-between at the hand-computed source time: the same pixels as a
    curve keyed at those times (the blend engine mixes in its working encoding, so levels are
    compared with that render rather than with a linear mix)."""
    source = _write_levels(tmp_path / "src", 5)
    out, expected = tmp_path / "out" / "r.####.exr", tmp_path / "curve" / "c.####.exr"
    curve = tmp_path / "keys.json"
    curve.write_text(json.dumps([[1001 + i, 1001 + t] for i, t in enumerate(times)]))
    for flags, path in (([flag, value], out), (["--curve", str(curve)], expected)):
        args = ["render", source, "-o", str(path), *flags, "--engine", "blend"]
        assert main([*args, "--progress", "none"]) == 0
    got = [read_frame(p).pixels for p in sorted(out.parent.glob("r.*.exr"))]
    want = [read_frame(p).pixels for p in sorted(expected.parent.glob("c.*.exr"))]
    assert len(got) == len(times) == len(want)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    levels = [float(px.mean()) for px in got]
    assert all(b > a for a, b in itertools.pairwise(levels))  # distinct, rising
    assert levels[0] == 0.0 and levels[-1] == pytest.approx(0.1 * times[-1], abs=0.01)


def test_a_malformed_speed_key_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_levels(tmp_path / "src", 3)
    out = tmp_path / "out" / "r.####.exr"
    assert main(["render", source, "-o", str(out), "--speed", "1001:100,1003"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["vtinker: error: --speed: '1003' is not FRAME:PERCENT (e.g. 1001:100,1025:25)"]
    assert not out.parent.exists()
