"""Rendering from the window through the real engine subprocess, Cancel, and the Resolve
hand-off result (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_ui.app import main
from vtinker_ui.handoff import parse_handoff, read_handoff
from vtinker_ui.preview_window import PreviewWindow
from vtinker_ui.render_process import RenderProcess, render_command

pytestmark = pytest.mark.timeout(120)
RENDER_MS = 60000
HAS_CLASSICAL = (
    Path(__file__).resolve().parents[1] / "vtinker_core" / "engines" / "classical.py"
).is_file()


def _write_plates(folder: Path, count: int, size: tuple[int, int]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    height, width = size
    for i in range(1, count + 1):
        pixels = np.full((height, width, 3), 0.1, np.float32)
        x = 2 + (width // 8) * i
        pixels[height // 3 : height // 2, x : x + width // 4] = 3.0
        write_frame(folder / f"shot.{i:04d}.exr", Frame.from_array(pixels))
    return str(folder / "shot.####.exr")


def _job(source: str, output: Path, multiplier: int, engine: str) -> dict[str, Any]:
    return {
        "version": 1,
        "input": {"path": source},
        "output": {"path": str(output / "retime.####.exr")},
        "timing": {"mode": "multiply", "multiplier": multiplier},
        "engine": {"name": engine},
    }


def _window(qtbot: Any, tmp_path: Path, **kwargs: Any) -> PreviewWindow:
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    window = PreviewWindow(settings=settings, restore_last=False, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def _handoff(tmp_path: Path, job: dict[str, Any]) -> Path:
    path = tmp_path / "handoff.json"
    data = {
        "version": 1,
        "job": job,
        "clip": {"name": "A001_C003", "timeline_fps": "24", "record_frame": 86400, "track": 1},
        "result_path": str(tmp_path / "resolve" / "result.json"),
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _no_partial_frames(folder: Path) -> list[Path]:
    assert not list(folder.glob(".*.tmp-*")), "a temporary frame was left behind"
    written = sorted(folder.glob("retime.*.exr"))
    for path in written:
        frame = read_frame(path)  # every file under its final name is complete
        assert frame.pixels.shape[:2] == read_frame(written[0]).pixels.shape[:2]
    return written


def test_a_render_completes_through_the_engine_and_writes_the_handoff(
    qtbot: Any, tmp_path: Path
) -> None:
    source = _write_plates(tmp_path / "plates", 3, (32, 48))
    out = tmp_path / "out"
    job = _job(source, out, 2, "blend")
    job["output"]["fps"] = "24000/1001"
    handoff = read_handoff(_handoff(tmp_path, job))
    window = _window(qtbot, tmp_path, handoff=handoff)
    assert window.panel.job_dict()["timing"] == {
        "mode": "multiply",
        "multiplier": 2,
    }
    assert "A001_C003" in window.windowTitle()
    progress: list[int] = []
    window.render_process.progressed.connect(
        lambda done, total: progress.append(done * 100 // total)
    )
    with qtbot.waitSignal(window.renderFinished, timeout=RENDER_MS) as blocker:
        assert window.start_render()
        assert not window.panel.render_button.isEnabled()  # one render at a time
    outcome = blocker.args[0]
    assert outcome.status == "done", outcome.message
    assert (outcome.first, outcome.last, outcome.total, outcome.done) == (1, 5, 5, 5)
    assert progress[-1] == 100
    assert window.progress_bar.value() == 100
    assert window.panel.render_button.isEnabled()
    assert len(_no_partial_frames(out)) == 5

    result = json.loads(handoff.result_path.read_text(encoding="utf-8"))
    assert result == {
        "version": 1,
        "status": "rendered",
        "output": str(out / "retime.####.exr"),
        "first": 1,
        "last": 5,
        "fps": "24000/1001",
    }
    window.close()  # closing after a success keeps the "rendered" result
    assert json.loads(handoff.result_path.read_text(encoding="utf-8"))["status"] == "rendered"
    assert not list(handoff.result_path.parent.glob(".*.tmp"))


def test_cancel_stops_after_the_current_frame_and_leaves_no_partial_frame(
    qtbot: Any, tmp_path: Path
) -> None:
    # 41 outputs; frames big enough that the render is still running when Cancel lands.
    if HAS_CLASSICAL:
        source = _write_plates(tmp_path / "plates", 5, (320, 320))
        job = _job(source, tmp_path / "out", 10, "classical")
    else:  # pragma: no cover - before the classical engine existed
        source = _write_plates(tmp_path / "plates", 41, (320, 320))
        job = _job(source, tmp_path / "out", 1, "blend")
    handoff = read_handoff(_handoff(tmp_path, job))
    window = _window(qtbot, tmp_path, handoff=handoff)
    frames_seen: list[int] = []

    def cancel_on_first(record: dict[str, Any]) -> None:
        frames_seen.append(int(record["frame"]))
        if len(frames_seen) == 1:
            window.cancel_render()

    window.render_process.frameWritten.connect(cancel_on_first)
    with qtbot.waitSignal(window.renderFinished, timeout=RENDER_MS) as blocker:
        window.start_render(window.panel.job_dict())
    outcome = blocker.args[0]
    assert outcome.status == "cancelled", outcome.message
    assert outcome.exit_code == 130
    assert 1 <= outcome.done < 41
    written = _no_partial_frames(tmp_path / "out")
    assert 1 <= len(written) < 41
    assert "cancelled" in window.render_label.text()
    window.close()
    result = json.loads(handoff.result_path.read_text(encoding="utf-8"))
    assert result == {"version": 1, "status": "cancelled"}


def test_closing_without_rendering_writes_cancelled(qtbot: Any, tmp_path: Path) -> None:
    job = _job("plates/shot.####.exr", tmp_path / "out", 2, "blend")
    handoff = parse_handoff(
        {"version": 1, "job": job, "clip": {"name": "c"}, "result_path": str(tmp_path / "r.json")}
    )
    window = _window(qtbot, tmp_path, handoff=handoff)
    assert window.panel.input_path.text() == "plates/shot.####.exr"
    window.close()
    assert json.loads((tmp_path / "r.json").read_text()) == {"version": 1, "status": "cancelled"}


def test_an_engine_error_is_shown_in_the_window(qtbot: Any, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    (tmp_path / "empty").mkdir()
    job = _job(str(tmp_path / "empty" / "shot.####.exr"), tmp_path / "out", 2, "blend")
    with qtbot.waitSignal(window.renderFinished, timeout=RENDER_MS) as blocker:
        window.start_render(job)
    outcome = blocker.args[0]
    assert outcome.status == "failed"
    assert outcome.exit_code == 2
    assert "no frames" in outcome.message
    assert window.banner.isVisible()
    assert "no frames" in window.banner.label.text()
    assert "no frames" in window.statusBar().currentMessage()


def test_render_process_reports_the_command_and_refuses_a_second_start(
    qtbot: Any, tmp_path: Path
) -> None:
    command = render_command(tmp_path / "job.json")
    assert command[1:4] == ["-m", "vtinker_core.cli", "render"]
    assert command[6:8] == ["--progress", "json"]
    assert command[-2:] == ["--cancel-file", f"{tmp_path / 'job.json'}.cancel"]
    render = RenderProcess()
    source = _write_plates(tmp_path / "plates", 2, (16, 16))
    with qtbot.waitSignal(render.finished, timeout=RENDER_MS) as blocker:
        render.start(_job(source, tmp_path / "out", 2, "nearest"))
        with pytest.raises(RuntimeError):
            render.start(_job(source, tmp_path / "out", 2, "nearest"))
    assert blocker.args[0].status == "done"
    assert render.percent() == 100.0


def test_the_app_refuses_bad_arguments_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["a.exr", "b.exr", "c.exr"]) == 2
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert main(["--resolve-job", str(tmp_path / "bad.json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_the_console_script_is_installed() -> None:
    script = shutil.which("vtinker-preview")
    if script is None:
        pytest.skip("vtinker-preview is not installed (pip install -e .)")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--resolve-job" in result.stdout
