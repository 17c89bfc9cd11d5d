"""Knob values → the engine's job JSON (pure functions: no Nuke, no engine import).

The node reads its knobs into a :class:`RetimeSettings` and its upstream into a
:class:`SourceInfo`; :func:`build_job` turns them into the versioned job dict that
``vtinker render --job`` reads (schema: ``vtinker_core/job.py``)::

    settings = RetimeSettings(input_first=1001, input_last=1010, timing="Output Speed",
                              output_speed=0.5)
    source = SourceInfo(path="/plates/shot.%04d.exr", first=1001, last=1010)
    job = build_job(settings, source, "/retime/VTinkerRetime1.####.exr")
    job["timing"]   # {'mode': 'speed', 'speed': 0.5, 'centre_samples': True, ...}

Timing, Kronos style (``timing2``):

* **Output Speed** (``timingOutputSpeed``; 0.5 = half speed), constant → ``speed`` mode.
  ``centreSamples`` (on by default, as Kronos) puts half-speed samples at .25/.75. Keyed
  (a speed ramp) → integrated over output frames into ``curve`` mode, as below: the keys are
  the speed at each output frame.
* **Input Speed** (``timingInputSpeed``): how many source frames each output frame advances.
  A constant input speed *is* an output speed, so it becomes the same ``speed`` job. An
  animated one is integrated: source(first output) = ``inputFirst`` and
  source(f + 1) = source(f) + ∫ speed over [f, f + 1] (trapezoids, 8 steps a frame), one key per
  output frame, until the source position would pass ``inputLast`` (never extrapolated) →
  ``curve`` mode. (An integrated curve starts on ``inputFirst`` itself: the Kronos sample
  offset applies to constant speeds only.)
* **Frame** (``timingFrame2``, the source frame shown at each output frame): sampled once per
  output frame from Nuke's own curve (so Nuke's smooth/linear/constant keys are honoured
  exactly at whole frames) → ``curve`` mode with linear shape. The output frames run from the
  curve's first to its last key; a curve with fewer than two keys holds over the input range.

Output frames are numbered on the host timeline: speed jobs start at ``inputFirst``, curve jobs
at their first key's frame.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOB_VERSION = 1

TIMING_MODES = ("Output Speed", "Input Speed", "Frame")
INTERPOLATIONS = ("Frame", "Blend", "Motion")
OUTPUTS = ("Result", "Vectors")
#: Engines the VTinker tab offers for Motion interpolation.
MOTION_ENGINES = ("auto", "vtinker", "classical")
PRECISIONS = ("float32", "float16", "bfloat16")
#: Kronos interpolation → engine; Motion uses the VTinker tab's engine.
ENGINE_BY_INTERPOLATION = {"Frame": "nearest", "Blend": "blend"}

#: Integration steps per output frame for an animated Input Speed.
SPEED_SUBSTEPS = 8
#: An Input Speed curve that needs more output frames than this is refused (it never ends).
MAX_OUTPUT_FRAMES = 100_000
_EPS = 1e-9


@dataclass(frozen=True)
class SourceInfo:
    """The frames the engine reads, as the render collected them from upstream.

    Attributes:
        path: sequence pattern (``shot.%04d.exr`` or ``shot.####.exr``).
        first: first source frame to use.
        last: last source frame to use.
        colorspace: OCIO colourspace of the files (None: by file type).
        ocio: OCIO config path Nuke uses (None: the engine's ``$OCIO`` / built-in default).
        fps: the script's frame rate as text (``"24"``, ``"23.976"``), None if unknown.
        output_colorspace: OCIO colourspace the retimed EXRs are written in (None: the
            engine's default for EXR, scene-linear).
    """

    path: str
    first: int
    last: int
    colorspace: str | None = None
    ocio: str | None = None
    fps: str | None = None
    output_colorspace: str | None = None


@dataclass(frozen=True)
class RetimeSettings:
    """The node's knob values, as plain Python values (see ``node.read_settings``).

    Attributes:
        input_first, input_last: ``inputFirst`` / ``inputLast``, the source range.
        timing: one of :data:`TIMING_MODES` (``timing2``).
        output_speed: ``timingOutputSpeed`` (0.5 = half speed) when not animated.
        output_speed_at: the animated ``timingOutputSpeed`` as a function of (fractional)
            output frame, or None when it is constant.
        input_speed: ``timingInputSpeed`` when not animated.
        input_speed_at: the animated ``timingInputSpeed`` as a function of (fractional) output
            frame, or None when it is constant.
        frame_keys: ``timingFrame2`` sampled per output frame: (output frame, source frame).
        interpolation: one of :data:`INTERPOLATIONS`.
        output: one of :data:`OUTPUTS`; ``Vectors`` also writes forward/backward vectors.
        use_gpu: ``useGPUIfAvailable`` (off = CPU).
        engine: the Motion engine, one of :data:`MOTION_ENGINES`.
        checkpoint: VTinker weights file, empty for the engine's default search.
        tile_size: tile size in pixels, 0 = auto.
        tile_overlap: tile overlap in pixels.
        precision: one of :data:`PRECISIONS`.
        centre_samples: Kronos sample placement below normal speed (.25/.75 at 50 %).
    """

    input_first: int
    input_last: int
    timing: str = "Output Speed"
    output_speed: float = 0.5
    output_speed_at: Callable[[float], float] | None = None
    input_speed: float = 0.5
    input_speed_at: Callable[[float], float] | None = None
    frame_keys: tuple[tuple[int, float], ...] = ()
    interpolation: str = "Motion"
    output: str = "Result"
    use_gpu: bool = True
    engine: str = "auto"
    checkpoint: str = ""
    tile_size: int = 0
    tile_overlap: int = 64
    precision: str = "float32"
    centre_samples: bool = True


def _check_choice(value: str, choices: Sequence[str], knob: str) -> None:
    if value not in choices:
        raise ValueError(f"{knob} is {value!r}; expected one of {', '.join(choices)}")


def _check_speed(value: float, knob: str) -> float:
    speed = float(value)
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"{knob} must be greater than 0, got {value!r}")
    return speed


def frame_mode_outputs(key_times: Sequence[float], input_first: int, input_last: int) -> range:
    """The output frames of Frame timing: first to last key of the curve, whole frames.

    A curve with fewer than two keys (a constant or a single key) covers the input range.
    """
    if len(key_times) < 2:
        return range(input_first, input_last + 1)
    first = math.ceil(min(key_times) - _EPS)
    last = math.floor(max(key_times) + _EPS)
    if last < first:
        raise ValueError("timingFrame2: the curve's keys span no whole output frame")
    return range(first, last + 1)


def integrate_speed(
    speed_at: Callable[[float], float],
    first: int,
    last: int,
    *,
    substeps: int = SPEED_SUBSTEPS,
    max_outputs: int = MAX_OUTPUT_FRAMES,
    knob: str = "timingInputSpeed",
) -> list[tuple[int, float]]:
    """Curve keys for an animated speed (see the module docstring): source(first) = first,
    source(f + 1) = source(f) + ∫ speed over [f, f + 1].

    Args:
        speed_at: source frames advanced per output frame, at a (fractional) output frame.
        first: ``inputFirst``; also the first output frame.
        last: ``inputLast``; no key passes it.
        substeps: trapezoid steps per output frame.
        max_outputs: refuse curves that need more output frames than this.
        knob: the knob named in error messages.

    Returns:
        (output frame, source position) keys, one per output frame, output frames from
        ``first`` up.

    Raises:
        ValueError: the curve does not reach ``last`` within ``max_outputs`` frames, or a
            speed value is not finite.
    """
    keys = [(first, float(first))]
    position = float(first)
    frame = first
    while True:
        values = [float(speed_at(frame + i / substeps)) for i in range(substeps + 1)]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"{knob} is not a finite number near frame {frame}")
        step = (sum(values) - (values[0] + values[-1]) / 2) / substeps
        position += step
        frame += 1
        if position > last + _EPS or position < first - _EPS:
            return keys
        keys.append((frame, position))
        if len(keys) > max_outputs:
            raise ValueError(
                f"{knob} never reaches inputLast ({last}) within {max_outputs} "
                "output frames; raise the speed"
            )


def timing_dict(settings: RetimeSettings) -> tuple[dict[str, Any], int]:
    """The job's ``timing`` section and the number of the first output frame.

    Raises:
        ValueError: a knob value the engine cannot use (named in the message).
    """
    _check_choice(settings.timing, TIMING_MODES, "timing2")
    first, last = settings.input_first, settings.input_last
    ramps = {
        "Output Speed": (settings.output_speed_at, "timingOutputSpeed"),
        "Input Speed": (settings.input_speed_at, "timingInputSpeed"),
    }
    speed_at, knob = ramps.get(settings.timing, (None, "timingFrame2"))
    if settings.timing == "Output Speed" and speed_at is None:
        speed = _check_speed(settings.output_speed, "timingOutputSpeed")
    elif settings.timing == "Input Speed" and speed_at is None:
        speed = _check_speed(settings.input_speed, "timingInputSpeed")
    else:
        speed = 0.0
    if speed > 0:
        timing = {"mode": "speed", "speed": speed, "centre_samples": settings.centre_samples}
        return timing, first
    if speed_at is not None:
        keys: Sequence[tuple[int, float]] = integrate_speed(speed_at, first, last, knob=knob)
    else:
        keys = settings.frame_keys
        if not keys:
            raise ValueError("timingFrame2 has no value to sample; set the source frame curve")
    curve = [{"frame": int(f), "source": float(s)} for f, s in keys]
    return {"mode": "curve", "keys": curve, "curve_shape": "linear"}, int(keys[0][0])


def build_job(settings: RetimeSettings, source: SourceInfo, output_path: str) -> dict[str, Any]:
    """The job dict (``vtinker_core.job.RenderJob.from_dict`` accepts it).

    Args:
        settings: the node's knob values.
        source: the collected input (its ``first``/``last`` are the source range used).
        output_path: the output pattern, ``####`` for the frame number, ``.exr``.

    Raises:
        ValueError: a knob value the engine cannot use (named in the message).
    """
    if source.first > source.last:
        raise ValueError(f"inputFirst ({source.first}) is after inputLast ({source.last})")
    _check_choice(settings.interpolation, INTERPOLATIONS, "interpolation")
    _check_choice(settings.output, OUTPUTS, "output")
    _check_choice(settings.precision, PRECISIONS, "precision")
    engine = ENGINE_BY_INTERPOLATION.get(settings.interpolation, settings.engine)
    if settings.interpolation == "Motion":
        _check_choice(settings.engine, MOTION_ENGINES, "engine")
    if settings.tile_size < 0 or settings.tile_overlap < 0:
        raise ValueError("tile size and tile overlap must be 0 or more")
    timing, start = timing_dict(settings)
    checkpoint = settings.checkpoint.strip() or None
    return {
        "version": JOB_VERSION,
        "comment": "written by the VTinker Retime Nuke node",
        "input": {
            "path": source.path,
            "frames": f"{source.first}-{source.last}",
            "colorspace": source.colorspace,
        },
        "output": {
            "path": output_path,
            "bit_depth": None,
            "compression": None,
            "colorspace": source.output_colorspace,
            "start": start,
            "fps": source.fps,
            "vectors": settings.output == "Vectors",
        },
        "timing": timing,
        "tiles": {
            "size": settings.tile_size if settings.tile_size > 0 else "auto",
            "overlap": settings.tile_overlap,
        },
        "engine": {
            "name": engine,
            "checkpoint": checkpoint if settings.interpolation == "Motion" else None,
            "device": "auto" if settings.use_gpu else "cpu",
            "precision": settings.precision,
        },
        "ocio": source.ocio,
    }


def fps_text(fps: float) -> str | None:
    """Nuke's ``root.fps`` as job text (``24.0`` → ``"24"``, ``23.976`` → ``"23.976"``)."""
    if not math.isfinite(fps) or fps <= 0:
        return None
    return f"{fps:.6g}"


def default_output_folder(script_path: str, temp_dir: str) -> Path:
    """Where a node with an empty Output Folder writes: ``<script dir>/vtinker/<script name>``,
    or ``<temp>/vtinker_retime`` for a script never saved."""
    name = (script_path or "").strip()
    if not name or name == "Root":
        return Path(temp_dir) / "vtinker_retime"
    script = Path(name)
    return script.parent / "vtinker" / script.stem


def output_paths(folder: Path, node_name: str) -> tuple[str, Path]:
    """The output pattern (``<folder>/<node>.####.exr``) and the job file beside it."""
    return (folder / f"{node_name}.####.exr").as_posix(), folder / f"{node_name}.job.json"


def write_job_file(job: dict[str, Any], path: Path) -> bool:
    """Write ``job`` as JSON (atomically); returns False when the file already held this job."""
    text = json.dumps(job, indent=2) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True
