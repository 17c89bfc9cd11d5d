"""The settings panel: the job JSON it produces, live validation, loading jobs (pytest-qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from vtinker_core.frame import Frame
from vtinker_core.io import write_frame
from vtinker_core.job import RenderJob
from vtinker_core.memory import estimate_memory, format_bytes
from vtinker_ui.fields import FieldRow
from vtinker_ui.panel import SettingsPanel

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def plates(tmp_path: Path) -> str:
    """Five 32×48 half EXR frames, 1..5."""
    folder = tmp_path / "plates"
    folder.mkdir()
    for i in range(1, 6):
        pixels = np.full((32, 48, 3), 0.18, np.float32)
        pixels[8:16, 4 + 4 * i : 12 + 4 * i] = 2.0
        write_frame(folder / f"shot.{i:04d}.exr", Frame.from_array(pixels))
    return str(folder / "shot.####.exr")


@pytest.fixture
def panel(qtbot: Any, plates: str, tmp_path: Path) -> SettingsPanel:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.input_path.setText(plates)
    widget.output_path.setText(str(tmp_path / "out" / "retime.####.exr"))
    return widget


def test_speed_50_percent_gives_the_speed_timing(panel: SettingsPanel) -> None:
    panel.timing.speed_edit.setText("50")
    job = panel.job_dict()
    assert job["timing"] == {
        "mode": "speed",
        "speed": 0.5,
        "centre_samples": False,
    }
    assert job["version"] == 1
    assert job == RenderJob.from_dict(job).to_dict()


def _set_mode(panel: SettingsPanel, mode: str) -> None:
    panel.timing.mode_combo.setCurrentIndex(panel.timing.mode_combo.findData(mode))


def test_each_timing_mode_gives_its_exact_job_fields(panel: SettingsPanel) -> None:
    timing = panel.timing
    _set_mode(panel, "fps")
    timing.source_fps_combo.setEditText("23.976")
    timing.output_fps_combo.setEditText("60000/1001")
    assert panel.job_dict()["timing"] == {
        "mode": "fps",
        "source_fps": "24000/1001",
        "output_fps": "60000/1001",
    }

    _set_mode(panel, "multiply")
    timing.multiplier_spin.setValue(4)
    assert panel.job_dict()["timing"] == {"mode": "multiply", "multiplier": 4}

    _set_mode(panel, "curve")
    timing.add_key(1, 1.0)
    timing.add_key(9, 5.0)
    timing.curve_shape_combo.setCurrentIndex(timing.curve_shape_combo.findData("smooth"))
    assert panel.job_dict()["timing"] == {
        "mode": "curve",
        "keys": [{"frame": 1, "source": 1.0}, {"frame": 9, "source": 5.0}],
        "curve_shape": "smooth",
    }

    _set_mode(panel, "fill")
    timing.fill_edit.setText("2, 4")
    assert panel.job_dict()["timing"] == {"mode": "fill", "fill_frames": [2, 4]}


def test_keyed_speeds_give_the_animated_timings(panel: SettingsPanel, qtbot: Any) -> None:
    timing = panel.timing
    _set_mode(panel, "speed_keys")
    timing.speed_keys.add_row("1", "100")
    timing.speed_keys.add_row("5", "50")
    assert panel.job_dict()["timing"] == {
        "mode": "speed",
        "speed": [{"frame": 1.0, "speed": 1.0}, {"frame": 5.0, "speed": 0.5}],
        "centre_samples": False,
    }
    # integrated: 1, 1.9375, 2.75, 3.4375, 4, 4.5, 5 (tests/test_timing.py): 7 outputs
    assert panel.output_length() == 7

    _set_mode(panel, "input_speed")
    timing.input_speed_keys.add_row("1", "100")
    timing.input_speed_keys.add_row("3", "0")
    assert not panel.is_valid()
    assert "must be > 0" in panel.error_text("timing.keys")
    assert _same_row(panel, "timing.input_speed_keys", timing.input_speed_keys)
    timing.input_speed_keys.set_rows([("1", "100"), ("3", "50")])
    assert panel.is_valid()
    assert panel.job_dict()["timing"] == {
        "mode": "input_speed",
        "keys": [{"source": 1.0, "speed": 1.0}, {"source": 3.0, "speed": 0.5}],
    }


def test_a_saved_animated_speed_loads_into_its_key_table(panel: SettingsPanel) -> None:
    job = panel.job_dict()
    job["timing"] = {"mode": "speed", "speed": [[1, "100%"], [5, 0.25]]}
    panel.load_job(job)
    assert panel.timing.mode() == "speed_keys"
    assert panel.timing.speed_keys.rows() == [("1", "100"), ("5", "25")]
    job["timing"] = {"mode": "input_speed", "keys": [{"source": 2, "speed": 0.5}]}
    panel.load_job(job)
    assert panel.timing.mode() == "input_speed"
    assert panel.timing.input_speed_keys.rows() == [("2", "50")]


def test_output_length_follows_the_timing_live(panel: SettingsPanel) -> None:
    assert panel.output_length() == 9  # 50 % by default: an in-between per source pair
    panel.timing.speed_edit.setText("100")
    assert panel.output_length() == 5  # one output per source frame
    panel.timing.speed_edit.setText("50")
    assert panel.output_length() == 9
    assert panel.timing.length_label.text().startswith("9 frames (1–9)")
    _set_mode(panel, "multiply")
    panel.timing.multiplier_spin.setValue(4)
    assert panel.output_length() == 17
    panel.output_start_edit.setText("1001")
    assert "(1001–1017)" in panel.timing.length_label.text()
    panel.frames_edit.setText("2-4")
    assert panel.output_length() == 9


def _same_row(panel: SettingsPanel, setting: str, field: Any) -> bool:
    row = panel.rows[setting]
    return isinstance(row, FieldRow) and row.isAncestorOf(field) and row.isAncestorOf(row.error)


def test_speed_zero_blocks_render_and_says_why_next_to_the_field(
    panel: SettingsPanel, qtbot: Any
) -> None:
    assert panel.render_button.isEnabled()
    with qtbot.waitSignal(panel.validityChanged, timeout=2000) as blocker:
        panel.timing.speed_edit.setText("0")
    assert blocker.args == [False]
    assert not panel.render_button.isEnabled()
    message = panel.error_text("timing.speed")
    assert "speed must be > 0" in message
    assert panel.error_label("timing.speed").isVisibleTo(panel)
    assert _same_row(panel, "timing.speed", panel.timing.speed_edit)
    with pytest.raises(Exception, match="speed"):
        panel.job_dict()
    panel.timing.speed_edit.setText("25")
    assert panel.render_button.isEnabled()
    assert panel.error_text("timing.speed") == ""


def test_overlap_of_half_the_tile_size_is_refused_at_the_overlap_field(
    panel: SettingsPanel,
) -> None:
    panel.tile_auto_check.setChecked(False)
    panel.tile_size_spin.setValue(256)
    panel.overlap_spin.setValue(128)
    assert not panel.render_button.isEnabled()
    assert "less than half the tile size" in panel.error_text("tiles.overlap")
    assert _same_row(panel, "tiles.overlap", panel.overlap_spin)
    panel.overlap_spin.setValue(127)
    assert panel.render_button.isEnabled()


def test_every_invalid_field_shows_its_own_message_at_once(panel: SettingsPanel) -> None:
    panel.output_path.setText("")
    panel.timing.speed_edit.setText("fast")
    panel.threshold_edit.setText("2")
    panel.input_colorspace.setEditText("ACEScgg")
    assert "output.path" in panel.error_text("output.path")
    assert "not a percentage" in panel.error_text("timing.speed")
    assert "(0, 1]" in panel.error_text("cuts.threshold")
    assert "ACEScg" in panel.error_text("input.colorspace")  # the suggestion
    assert not panel.is_valid()


JOBS = [
    {
        "input": {"path": "plates/shot.####.exr", "frames": "1001-1100", "colorspace": "ACEScg"},
        "output": {
            "path": "retime/shot.####.exr",
            "bit_depth": "float",
            "compression": "piz",
            "colorspace": "ACEScct",
            "start": 1,
            "fps": "48",
            "vectors": True,
        },
        "timing": {"mode": "speed", "speed": 0.333, "centre_samples": True},
        "cuts": {"detect": True, "threshold": 0.25, "frames": [1012, 1040]},
        "tiles": {"size": 512, "overlap": 32},
        "engine": {"name": "blend", "checkpoint": None, "device": "cpu", "precision": "float16"},
        "ocio": None,
        "sanitize": True,
    },
    {
        "input": {"path": "clip.mov"},
        "output": {"path": "out/clip.####.dpx", "bit_depth": "uint10"},
        "timing": {"mode": "fps", "source_fps": "25", "output_fps": "24000/1001"},
        "engine": {"name": "nearest"},
    },
    {
        "input": {"path": "a.####.png"},
        "output": {"path": "out/a.mp4"},
        "timing": {
            "mode": "curve",
            "keys": [[1, 1.0], [10, 4.25], [20, 2.0]],
            "curve_shape": "linear",
        },
        "tiles": {"size": "auto", "overlap": 0},
        "engine": {"name": "auto", "device": "cuda:1"},
    },
    {
        "input": {"path": "a.####.tif"},
        "output": {"path": "out/a.####.tif", "bit_depth": "uint16", "compression": "lzw"},
        "timing": {"mode": "fill", "fill_frames": [3, 7, 8]},
    },
    {
        "input": {"path": "a.####.exr"},
        "output": {"path": "out/a.####.png", "bit_depth": "uint16"},
        "timing": {"mode": "multiply", "multiplier": 8},
    },
]


@pytest.mark.parametrize("job", JOBS, ids=["speed", "fps", "curve", "fill", "multiply"])
def test_loading_a_job_fills_every_field_and_gives_it_back(qtbot: Any, job: dict) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    expected = RenderJob.from_dict(job).to_dict()
    panel.load_job(job)
    assert panel.is_valid(), [(s, panel.error_text(s)) for s in panel.rows if panel.error_text(s)]
    assert panel.job_dict() == expected


def test_the_memory_estimate_asks_the_engine(panel: SettingsPanel) -> None:
    from vtinker_core.engines.classical import ClassicalEngine

    panel.set_source_info(range(1, 6), size=(1080, 1920))
    panel.engine_combo.setCurrentIndex(panel.engine_combo.findData("classical"))
    panel.tile_auto_check.setChecked(False)
    panel.tile_size_spin.setValue(512)
    panel.overlap_spin.setValue(32)
    bpp = ClassicalEngine.memory_per_pixel("float32")  # the engine's own figure, no table
    per_tile = estimate_memory(576, 576, bpp)
    assert format_bytes(per_tile) in panel.memory_label.text()
    assert f"{bpp:g} B/px" in panel.memory_label.text()
    panel.tile_auto_check.setChecked(True)
    whole = estimate_memory(1080, 1920, bpp)
    assert format_bytes(whole) in panel.memory_label.text()


def test_the_output_format_sets_extension_depths_and_vectors(panel: SettingsPanel) -> None:
    panel.vectors_check.setChecked(True)
    panel.format_combo.setCurrentIndex(panel.format_combo.findData("dpx"))
    assert panel.output_path.text().endswith("retime.####.dpx")
    assert not panel.vectors_check.isEnabled() and not panel.vectors_check.isChecked()
    panel.bit_depth_combo.setCurrentIndex(panel.bit_depth_combo.findData("uint10"))
    output = panel.job_dict()["output"]
    assert (output["bit_depth"], output["compression"], output["vectors"]) == (
        "uint10",
        None,
        False,
    )
    panel.output_path.setText(panel.output_path.text()[:-4] + ".exr")
    assert panel.format_combo.currentData() == "exr"
    assert panel.vectors_check.isEnabled()


def test_a_missing_checkpoint_for_the_network_blocks_render(
    panel: SettingsPanel, tmp_path: Path
) -> None:
    panel.engine_combo.setCurrentIndex(panel.engine_combo.findData("vtinker"))
    panel.checkpoint_path.setText(str(tmp_path / "missing.pkl"))
    assert "does not exist" in panel.error_text("engine.checkpoint")
    assert not panel.render_button.isEnabled()


def test_render_emits_the_validated_job(panel: SettingsPanel, qtbot: Any) -> None:
    with qtbot.waitSignal(panel.renderRequested, timeout=2000) as blocker:
        panel.render_button.click()
    assert blocker.args[0] == panel.job_dict()


def test_the_panel_module_imports_without_torch_oiio_or_ocio() -> None:
    code = (
        "import sys\n"
        "for name in ('torch', 'cupy', 'OpenImageIO', 'PyOpenColorIO'):\n"
        "    sys.modules[name] = None\n"
        "import vtinker_ui.panel, vtinker_ui.handoff\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_motion_blur_and_motion_fields_give_the_job_sections(panel: SettingsPanel) -> None:
    panel.shutter.samples_spin.setValue(9)
    panel.shutter.time_edit.setText("1")
    panel.shutter.offset_combo.setCurrentIndex(panel.shutter.offset_combo.findData("start"))
    panel.shutter.auto_check.setChecked(True)
    panel.motion.detail_edit.setText("0.5")
    panel.motion.smoothness_edit.setText("0.8")
    panel.output.matte_check.setChecked(True)
    panel.output.prefix_edit.setText("vtk_")
    job = panel.job_dict()
    assert job["shutter"] == {"samples": 9, "time": 1.0, "offset": "start", "auto": True}
    assert job["motion"] == {
        "vectors_from": None, "source": None, "detail": 0.5, "smoothness": 0.8,
    }  # fmt: skip
    assert job["output"]["matte"] is True and job["output"]["layer_prefix"] == "vtk_"

    motion = panel.motion
    motion.vectors_combo.setCurrentIndex(motion.vectors_combo.findData("sequence"))
    assert not panel.is_valid()
    assert "enter the sequence" in panel.error_text("motion.vectors_path")
    motion.vectors_path.setText("vec.####.exr")
    assert panel.job_dict()["motion"] == {
        "vectors_from": "vec.####.exr", "source": None, "detail": None, "smoothness": None,
    }  # fmt: skip

    panel.motion.detail_edit.setText("2")  # out of range: the schema's message at the field
    motion.vectors_combo.setCurrentIndex(motion.vectors_combo.findData("estimate"))
    assert "must be ≤ 1" in panel.error_text("motion.detail")


def test_a_job_with_blur_and_vectors_loads_back_into_the_fields(panel: SettingsPanel) -> None:
    job = panel.job_dict()
    job["shutter"] = {"samples": 3, "time": 0.25, "offset": "end", "auto": False}
    job["motion"] = {"vectors_from": "input", "source": None, "detail": None, "smoothness": None}
    panel.load_job(job)
    assert panel.shutter.samples_spin.value() == 3
    assert panel.shutter.time_edit.text() == "0.25"
    assert panel.shutter.offset_combo.currentData() == "end"
    assert panel.motion.vectors_combo.currentData() == "input"
    assert panel.job_dict()["shutter"] == job["shutter"]
    assert panel.job_dict()["motion"] == job["motion"]


def test_matte_is_offered_for_exr_only(panel: SettingsPanel) -> None:
    panel.output.matte_check.setChecked(True)
    panel.format_combo.setCurrentIndex(panel.format_combo.findData("png"))
    assert not panel.output.matte_check.isEnabled()
    assert "matte" not in panel.job_dict()["output"]
