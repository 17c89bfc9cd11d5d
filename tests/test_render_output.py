"""Where outputs go and what a render says: output errors are one line, exit 2, before any
work and with nothing left behind; the engine that ran is named with its reason; a cancelled
video render leaves no file and says why."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vtinker_core.cli import main
from vtinker_core.errors import RenderCancelledError
from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.io.video_write import write_video
from vtinker_core.job import RenderJob
from vtinker_core.progress import CollectingProgress
from vtinker_core.render import render_job


def _plates(folder: Path, size: tuple[int, int] = (16, 24), ext: str = "png") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    for i in range(3):
        px = rng.random((*size, 3), dtype=np.float32)  # noise: big files, no compression
        depth = "uint8" if ext == "png" else "float"
        write_frame(folder / f"shot.{1001 + i:04d}.{ext}", Frame.from_array(px), bit_depth=depth)
    return str(folder / f"shot.####.{ext}")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def _render(source: str, output: str) -> list[str]:
    return [
        "render",
        source,
        "-o",
        output,
        "--multiply",
        "2",
        "--engine",
        "blend",
        "--progress",
        "none",
    ]


@pytest.mark.parametrize(
    ("output", "phrase"),
    [
        ("{tmp}/notes.txt/retime/shot.####.png", "is a file, not a folder"),
        ("/proc/vtinker-no-such-folder/shot.####.png", "cannot create the output folder"),
        ("/proc/self/shot.####.png", "cannot write into the output folder"),
    ],
    ids=["under-a-file", "cannot-create", "not-writable"],
)
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, phrase: str
) -> None:
    source = _plates(tmp_path / "src")
    (tmp_path / "notes.txt").write_text("not a folder")
    target = output.format(tmp=tmp_path)

    code = main(_render(source, target))

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and phrase in err[0] and "choose another output folder" in err[0]
    assert "Traceback" not in err[0]
    assert _files(tmp_path / "src") == ["shot.1001.png", "shot.1002.png", "shot.1003.png"]


def test_pair_checks_its_output_folder_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path in (a, b):
        write_frame(path, Frame.from_array(np.zeros((8, 8, 3), np.float32)))

    code = main(
        ["pair", str(a), str(b), "-o", "/proc/vtinker-no-such/mid.png", "--engine", "blend"]
    )

    assert code == 2
    assert "cannot create the output folder" in capsys.readouterr().err


# A render in a child process whose files may not grow past a limit: a disk that fills up
# in the middle of a frame (writes fail with EFBIG as they would with ENOSPC).
_FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
from vtinker_core.cli import main
sys.exit(main({argv!r}))
"""


@pytest.mark.parametrize("ext", ["png", "exr", "dpx", "tif"])
def test_a_disk_that_fills_mid_frame_leaves_nothing_behind(tmp_path: Path, ext: str) -> None:
    source = _plates(tmp_path / "src", (128, 128), "png")
    out = tmp_path / "out"
    argv = _render(source, str(out / f"retime.####.{ext}"))

    result = subprocess.run(
        [sys.executable, "-c", _FULL_DISK.format(limit=20000, argv=argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "retime.1001." in lines[0] and "check the free space" in lines[0]
    assert _files(out) == []  # no half-written frame, no temporary file, no lock


def test_the_engine_and_its_reason_are_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _plates(tmp_path / "src")

    assert (
        main([*_render(source, str(tmp_path / "o" / "r.####.png"))[:-2], "--progress", "json"]) == 0
    )
    start = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (start["event"], start["engine"], start["reason"]) == ("start", "blend", "asked for")

    auto = [*_render(source, str(tmp_path / "a" / "r.####.png"))[:-2], "--progress", "json"]
    auto[auto.index("blend")] = "auto"
    assert main(auto) == 0
    start = json.loads(capsys.readouterr().out.splitlines()[0])
    assert start["engine"] in ("classical", "vtinker")
    assert start["reason"].startswith("auto: ")

    a, b = tmp_path / "src" / "shot.1001.png", tmp_path / "src" / "shot.1002.png"
    assert (
        main(["pair", str(a), str(b), "-o", str(tmp_path / "mid.png"), "--engine", "nearest"]) == 0
    )
    assert "vtinker: engine nearest (asked for)" in capsys.readouterr().err


def test_a_cancelled_video_render_leaves_no_file_and_says_so(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    write_video(clip, [np.full((16, 16, 3), v, np.float32) for v in (0.2, 0.4, 0.6)], Fraction(24))
    out = tmp_path / "out" / "slow.mp4"
    job = RenderJob.from_dict(
        {
            "input": {"path": str(clip)},
            "output": {"path": str(out)},
            "timing": {"mode": "multiply", "multiplier": 2},
            "engine": {"name": "blend"},
        }
    )
    cancel = threading.Event()

    class CancelAfterTwo(CollectingProgress):
        def frame(self, **fields: object) -> None:
            super().frame(**fields)
            if len(self.events("frame")) == 2:
                cancel.set()

    with pytest.raises(RenderCancelledError) as caught:
        render_job(job, progress=CancelAfterTwo(), cancel=cancel)

    assert "'" + str(out) + "' was not written" in str(caught.value)
    assert "cannot resume" in str(caught.value)
    assert _files(out.parent) == []


def test_an_untagged_video_is_read_as_rec709_with_a_warning(tmp_path: Path) -> None:
    from vtinker_core.colorspaces import VideoTags

    clip = tmp_path / "untagged.mp4"
    level = 110 / 219  # luma code 126 exactly, in limited range
    write_video(clip, [np.full((16, 16, 3), level, np.float32)] * 2, Fraction(24), tags=VideoTags())
    job = RenderJob.from_dict(
        {
            "input": {"path": str(clip)},
            "output": {"path": str(tmp_path / "out" / "f.####.exr")},
            "timing": {"mode": "multiply", "multiplier": 1},
            "engine": {"name": "nearest"},
            "ocio": "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6",
        }
    )
    progress = CollectingProgress()

    render_job(job, progress=progress)

    (warning,) = [w["message"] for w in progress.events("warning")]
    assert "no colour tags" in warning and "Rec.709" in warning
    linear = read_frame(tmp_path / "out" / "f.0000.exr")
    # Read as gamma 2.4 (BT.1886), then scene-linear; grey stays grey into ACEScg.
    np.testing.assert_allclose(linear.pixels, level**2.4, rtol=2e-3)
