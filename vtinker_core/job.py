"""The render job: one versioned JSON document that says everything a render needs.

The same document is written by the Qt panel, the Nuke node and the Resolve action, and read by
``vtinker render --job job.json``; command-line flags build the same object. Example::

    {
      "version": 1,
      "input":  {"path": "plates/shot.####.exr", "frames": "1001-1100", "colorspace": null},
      "output": {"path": "retime/shot.####.exr", "bit_depth": "half", "compression": "zip",
                 "colorspace": null, "start": null, "fps": null, "vectors": false},
      "timing": {"mode": "speed", "speed": 0.5},
      "cuts":   {"detect": false, "threshold": null, "frames": []},
      "tiles":  {"size": "auto", "overlap": 64},
      "engine": {"name": "auto", "checkpoint": null, "device": "auto", "precision": "float32"},
      "ocio": null,
      "sanitize": false
    }

``null`` means "the sensible default": the input colourspace from the file type, the output
colourspace equal to the input's, output numbering from the first input frame, the output frame
rate from the timing. Every problem is a :class:`~vtinker_core.errors.JobError` whose
``setting`` names the field (``timing.speed``, ``output.path`` ...).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from vtinker_core.errors import JobError
from vtinker_core.tiling import TileSettings
from vtinker_core.timing import Sample, TimingSpec, build_timing, parse_fps

JOB_VERSION = 1
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("float32", "float16", "bfloat16")
OUTPUT_BIT_DEPTHS = ("uint8", "uint10", "uint12", "uint16", "half", "float")


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise JobError(f"job field '{name}' must be an object, got {value!r}", setting=name)
    return value


def _check_keys(section: dict[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        name = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise JobError(
            f"unknown job field '{name}'; known fields here: {', '.join(sorted(allowed))}",
            setting=name,
        )


def _optional_str(section: dict[str, Any], key: str, prefix: str) -> str | None:
    value = section.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise JobError(
            f"job field '{prefix}.{key}' must be a string, got {value!r}", setting=f"{prefix}.{key}"
        )
    return value


def _bool(section: dict[str, Any], key: str, prefix: str, default: bool = False) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise JobError(
            f"job field '{prefix}.{key}' must be true or false, got {value!r}",
            setting=f"{prefix}.{key}",
        )
    return value


@dataclass(frozen=True)
class InputSpec:
    """Where the source frames come from.

    Attributes:
        path: a sequence pattern (``shot.####.exr``, ``shot.%04d.exr``), one frame of a
            sequence, a single image or a video file.
        frames: an optional range of source frames (``1001-1100``); default: all on disk.
        colorspace: the OCIO colourspace of the input; None = by file type.
    """

    path: str
    frames: str | None = None
    colorspace: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        _check_keys(data, {"path", "frames", "colorspace"}, "input")
        path = _optional_str(data, "path", "input")
        if path is None:
            raise JobError("the job needs 'input.path' (the source frames)", setting="input.path")
        return cls(
            path, _optional_str(data, "frames", "input"), _optional_str(data, "colorspace", "input")
        )


@dataclass(frozen=True)
class OutputSpec:
    """Where and how the retimed frames are written.

    Attributes:
        path: the output pattern (``retime/shot.####.exr``); its extension picks the format
            (exr, dpx, tif/tiff, png, jpg, mp4/mov).
        bit_depth: sample type on disk; None = the format's default (half for EXR).
        compression: EXR/TIFF compression; None = lossless default (zip).
        colorspace: OCIO colourspace to write; None = the input's.
        start: number of the first output frame; None = the first input frame.
        fps: output frame rate (e.g. ``"24"``, ``"24000/1001"``); None = from the timing.
        vectors: also write ``forward.u/v`` and ``backward.u/v`` (float EXR only).
        codec: video codec (``h264``, ``hevc``, ``prores``, ``dnxhr``, ``ffv1``); None =
            the source's where the container holds it, else the container's default.
    """

    path: str
    bit_depth: str | None = None
    compression: str | None = None
    colorspace: str | None = None
    start: int | None = None
    fps: Fraction | None = None
    vectors: bool = False
    codec: str | None = None

    @property
    def extension(self) -> str:
        return Path(self.path).suffix.lower().lstrip(".")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputSpec:
        allowed = {
            "path", "bit_depth", "compression", "colorspace", "start", "fps", "vectors", "codec"
        }  # fmt: skip
        _check_keys(data, allowed, "output")
        path = _optional_str(data, "path", "output")
        if path is None:
            raise JobError("the job needs 'output.path' (where to write)", setting="output.path")
        bit_depth = _optional_str(data, "bit_depth", "output")
        if bit_depth is not None and bit_depth not in OUTPUT_BIT_DEPTHS:
            raise JobError(
                f"output.bit_depth '{bit_depth}' is not one of {', '.join(OUTPUT_BIT_DEPTHS)}",
                setting="output.bit_depth",
            )
        start = data.get("start")
        if start is not None and (not isinstance(start, int) or isinstance(start, bool)):
            raise JobError(
                f"output.start must be a whole frame number, got {start!r}", setting="output.start"
            )
        fps_value = data.get("fps")
        fps = None
        if fps_value is not None:
            try:
                fps = parse_fps(str(fps_value))
            except (JobError, ValueError) as err:
                raise JobError(
                    f"output.fps: cannot read {fps_value!r} as a frame rate", setting="output.fps"
                ) from err
        vectors = _bool(data, "vectors", "output")
        ext = Path(path).suffix.lower().lstrip(".")
        if vectors and ext != "exr":
            raise JobError(
                "output.vectors needs an EXR output (vectors are float channels)",
                setting="output.vectors",
            )
        codec = _optional_str(data, "codec", "output")
        if codec is not None:
            from vtinker_core.io.video import VIDEO_EXTENSIONS
            from vtinker_core.io.video_write import VIDEO_CODECS

            if f".{ext}" not in VIDEO_EXTENSIONS:
                raise JobError(
                    f"output.codec '{codec}' needs a video output (.mp4, .mov, .mkv, .mxf), "
                    f"not .{ext}",
                    setting="output.codec",
                )
            if codec not in VIDEO_CODECS:
                raise JobError(
                    f"output.codec '{codec}' is not one of {', '.join(VIDEO_CODECS)}",
                    setting="output.codec",
                )
        return cls(
            path,
            bit_depth,
            _optional_str(data, "compression", "output"),
            _optional_str(data, "colorspace", "output"),
            start,
            fps,
            vectors,
            codec,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "path": self.path,
            "bit_depth": self.bit_depth,
            "compression": self.compression,
            "colorspace": self.colorspace,
            "start": self.start,
            "fps": None if self.fps is None else _fps_text(self.fps),
            "vectors": self.vectors,
        }
        if self.codec is not None:  # video outputs only
            data["codec"] = self.codec
        return data


def _fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


@dataclass(frozen=True)
class CutSpec:
    """Scene cuts: detected (with a threshold) and/or listed by the user.

    Attributes:
        detect: detect cuts between source frames before rendering.
        threshold: detection threshold (None = the documented default of ``cuts.py``).
        frames: source frames that start a new shot (a cut lies just before each).
    """

    detect: bool = False
    threshold: float | None = None
    frames: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CutSpec:
        _check_keys(data, {"detect", "threshold", "frames"}, "cuts")
        threshold = data.get("threshold")
        if threshold is not None and (
            not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or threshold <= 0
        ):
            raise JobError(
                f"cuts.threshold must be a positive number, got {threshold!r}",
                setting="cuts.threshold",
            )
        frames = data.get("frames") or []
        if not isinstance(frames, list) or not all(
            isinstance(f, int) and not isinstance(f, bool) for f in frames
        ):
            raise JobError(
                f"cuts.frames must be a list of frame numbers, got {frames!r}",
                setting="cuts.frames",
            )
        return cls(
            _bool(data, "detect", "cuts"),
            None if threshold is None else float(threshold),
            tuple(sorted(set(frames))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"detect": self.detect, "threshold": self.threshold, "frames": list(self.frames)}


@dataclass(frozen=True)
class EngineSpec:
    """Which engine runs, on what device, at what precision."""

    name: str = "auto"
    checkpoint: str | None = None
    device: str = "auto"
    precision: str = "float32"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineSpec:
        from vtinker_core.engines import engine_names

        _check_keys(data, {"name", "checkpoint", "device", "precision"}, "engine")
        name = _optional_str(data, "name", "engine") or "auto"
        if name not in engine_names():
            raise JobError(
                f"engine.name '{name}' is not one of {', '.join(engine_names())}",
                setting="engine.name",
            )
        device = _optional_str(data, "device", "engine") or "auto"
        if device.split(":")[0] not in DEVICES:
            raise JobError(
                f"engine.device '{device}' is not one of {', '.join(DEVICES)} (or cuda:N)",
                setting="engine.device",
            )
        precision = _optional_str(data, "precision", "engine") or "float32"
        if precision not in PRECISIONS:
            raise JobError(
                f"engine.precision '{precision}' is not one of {', '.join(PRECISIONS)}",
                setting="engine.precision",
            )
        return cls(name, _optional_str(data, "checkpoint", "engine"), device, precision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "checkpoint": self.checkpoint,
            "device": self.device,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class RenderJob:
    """A whole render, as read from or written to the job JSON (see the module docstring)."""

    input: InputSpec
    output: OutputSpec
    timing: TimingSpec
    cuts: CutSpec = field(default_factory=CutSpec)
    tiles: TileSettings = field(default_factory=TileSettings)
    engine: EngineSpec = field(default_factory=EngineSpec)
    ocio: str | None = None
    sanitize: bool = False
    version: int = JOB_VERSION

    @classmethod
    def from_dict(cls, data: Any) -> RenderJob:
        """Validate and build a job; JobError names the first bad field."""
        if not isinstance(data, dict):
            raise JobError("a job must be a JSON object", setting="job")
        allowed = {"version", "input", "output", "timing", "cuts", "tiles", "engine", "ocio"}
        _check_keys(data, allowed | {"sanitize", "$schema", "comment"}, "")
        version = data.get("version", JOB_VERSION)
        if version != JOB_VERSION:
            raise JobError(
                f"job version {version!r} is not supported; this vtinker reads version "
                f"{JOB_VERSION}",
                setting="version",
            )
        if "timing" not in data:
            raise JobError("the job needs a 'timing' section", setting="timing")
        return cls(
            input=InputSpec.from_dict(_section(data, "input")),
            output=OutputSpec.from_dict(_section(data, "output")),
            timing=TimingSpec.from_dict(_section(data, "timing")),
            cuts=CutSpec.from_dict(_section(data, "cuts")),
            tiles=TileSettings.from_dict(_section(data, "tiles")),
            engine=EngineSpec.from_dict(_section(data, "engine")),
            ocio=_optional_str(data, "ocio", "job"),
            sanitize=_bool(data, "sanitize", "job"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "input": {
                "path": self.input.path,
                "frames": self.input.frames,
                "colorspace": self.input.colorspace,
            },
            "output": self.output.to_dict(),
            "timing": self.timing.to_dict(),
            "cuts": self.cuts.to_dict(),
            "tiles": self.tiles.to_dict(),
            "engine": self.engine.to_dict(),
            "ocio": self.ocio,
            "sanitize": self.sanitize,
        }

    def output_rate(self, source_fps: Fraction | None) -> Fraction | None:
        """The output frame rate: ``output.fps``, else the fps-mode target rate, else the
        source's rate (what a render writes as ``FramesPerSecond``)."""
        if self.output.fps is not None:
            return self.output.fps
        if self.timing.mode == "fps" and self.timing.output_fps is not None:
            return Fraction(self.timing.output_fps)
        return source_fps

    def replace(self, **changes: Any) -> RenderJob:
        return replace(self, **changes)


def plan_samples(job: RenderJob, frames: Sequence[int], cuts: Sequence[int] = ()) -> list[Sample]:
    """The job's output frames over the source ``frames``, numbered as a render numbers them.

    The timing is applied, samples straddling any of ``cuts`` (source frames that start a
    shot) become holds, and the outputs are renumbered from ``output.start`` (default: the
    first source frame). The render, the Qt window and the hosts all use this one mapping.

    Raises:
        JobError: the timing does not fit the frames or produces no output.
    """
    from vtinker_core.cuts import apply_cuts

    samples = build_timing(job.timing, list(frames))
    if cuts:
        samples = apply_cuts(samples, sorted(set(cuts)))
    if not samples:
        raise JobError("the timing produces no output frames", setting="timing")
    start = job.output.start if job.output.start is not None else frames[0]
    offset = start - samples[0].output_frame
    return [replace(s, output_frame=s.output_frame + offset) for s in samples]


def read_job(path: str | Path) -> RenderJob:
    """Read and validate a job file; JobError names the file and the bad field."""
    job_path = Path(path)
    try:
        text = job_path.read_text(encoding="utf-8")
    except OSError as err:
        raise JobError(f"cannot read job file '{job_path}': {err.strerror}", path=job_path) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise JobError(
            f"job file '{job_path}' is not valid JSON: {err.msg} at line {err.lineno}",
            path=job_path,
        ) from err
    try:
        return RenderJob.from_dict(data)
    except JobError as err:
        raise JobError(f"{job_path}: {err.message}", path=job_path, setting=err.setting) from err


def write_job(job: RenderJob, path: str | Path) -> None:
    """Write ``job`` as pretty JSON (atomically)."""
    job_path = Path(path)
    tmp = job_path.with_name(f".{job_path.name}.tmp")
    tmp.write_text(json.dumps(job.to_dict(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(job_path)
