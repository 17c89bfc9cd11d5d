"""The job's sections as typed, normalised values.

Each ``from_dict`` validates its section with the job's one validator (:mod:`.check`) and
normalises it (frame rates to exact fractions, ``"50%"`` to 0.5, curve keys to pairs);
``to_dict`` gives the job-file form back. Values built directly in Python are trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from vtinker_core.curves import CurveKey, CurveShape, normalise_keys
from vtinker_core.job.check import check_job, check_section, raise_problems
from vtinker_core.timing import SpeedKey, parse_fps, parse_speed, parse_speed_keys

__all__ = [
    "JOB_VERSION",
    "CutSpec",
    "EngineSpec",
    "InputSpec",
    "MotionSpec",
    "OutputSpec",
    "RenderJob",
    "ShutterOffset",
    "ShutterSpec",
    "TileSettings",
    "TimingMode",
    "TimingSpec",
    "fps_text",
    "parse_tile_size",
]

JOB_VERSION = 1
TimingMode = Literal["speed", "input_speed", "fps", "multiply", "curve", "fill"]
#: The job-file keys each timing mode takes, besides ``mode``.
MODE_FIELDS: dict[str, tuple[str, ...]] = {
    "speed": ("speed", "centre_samples"),
    "input_speed": ("keys",),
    "fps": ("source_fps", "output_fps"),
    "multiply": ("multiplier",),
    "curve": ("keys", "curve_shape"),
    "fill": ("fill_frames",),
}
DEFAULT_OVERLAP = 64


def fps_text(fps: Fraction) -> str:
    """``Fraction(24)`` → ``"24"``, ``Fraction(24000, 1001)`` → ``"24000/1001"``."""
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def parse_tile_size(value: Any) -> int | None:
    """A tile size as the job holds it: ``None``/``"auto"`` → None, ``"512"`` → 512."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    return int(str(value).strip())


def _validated(name: str, data: Any) -> Mapping[str, Any]:
    raise_problems(check_section(name, data))
    return data if isinstance(data, Mapping) else {}


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class InputSpec:
    """Where the source frames come from.

    Attributes:
        path: a sequence pattern (``shot.####.exr``, ``shot.%04d.exr``), one frame of a
            sequence, a single image or a video file.
        frames: an optional range of source frames (``1001-1100``); default: all on disk.
        colorspace: the OCIO colourspace of the input; None = from the file.
    """

    path: str
    frames: str | None = None
    colorspace: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> InputSpec:
        data = _validated("input", data)
        return cls(str(data["path"]), _text(data, "frames"), _text(data, "colorspace"))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "frames": self.frames, "colorspace": self.colorspace}


@dataclass(frozen=True)
class OutputSpec:
    """Where and how the retimed frames are written.

    Attributes:
        path: the output pattern (``retime/shot.####.exr``) or video file; its extension
            picks the format.
        bit_depth: sample type on disk; None = the source's where the format has it.
        compression: EXR/TIFF compression; None = lossless default (zip).
        colorspace: OCIO colourspace to write; None = see :mod:`vtinker_core.color_plan`.
        start: number of the first output frame; None = the first input frame.
        fps: output frame rate; None = from the timing.
        vectors: also write ``forward.u/v`` and ``backward.u/v`` (float EXR only).
        codec: video codec; None = the source's where the container holds it, else the
            container's default.
        matte: also write ``matte.A``, the occlusion matte (float EXR only).
        layer_prefix: prefix of the added layers (``vtk_`` → ``vtk_forward.u``); None: none.
    """

    path: str
    bit_depth: str | None = None
    compression: str | None = None
    colorspace: str | None = None
    start: int | None = None
    fps: Fraction | None = None
    vectors: bool = False
    codec: str | None = None
    matte: bool = False
    layer_prefix: str | None = None

    @property
    def extension(self) -> str:
        return Path(self.path).suffix.lower().lstrip(".")

    @classmethod
    def from_dict(cls, data: Any) -> OutputSpec:
        data = _validated("output", data)
        fps = data.get("fps")
        return cls(
            str(data["path"]),
            _text(data, "bit_depth"),
            _text(data, "compression"),
            _text(data, "colorspace"),
            data.get("start"),
            None if fps is None else parse_fps(fps, setting="output.fps"),
            bool(data.get("vectors", False)),
            _text(data, "codec"),
            bool(data.get("matte", False)),
            _text(data, "layer_prefix"),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "bit_depth": self.bit_depth,
            "compression": self.compression,
            "colorspace": self.colorspace,
            "start": self.start,
            "fps": None if self.fps is None else fps_text(self.fps),
            "vectors": self.vectors,
        }
        if self.codec is not None:  # video outputs only
            data["codec"] = self.codec
        if self.matte:
            data["matte"] = True
        if self.layer_prefix is not None:
            data["layer_prefix"] = self.layer_prefix
        return data


@dataclass(frozen=True)
class TimingSpec:
    """The timing of a render job; only the fields of its ``mode`` are used.

    Attributes:
        mode: ``"speed"``, ``"input_speed"``, ``"fps"``, ``"multiply"``, ``"curve"`` or
            ``"fill"``.
        speed: (speed) output speed factor, > 0; 0.5 is 50 %
            (:func:`~vtinker_core.timing.retime_speed`).
        speed_keys: (speed, when animated) (output frame, speed) keys, integrated to source
            time (:func:`~vtinker_core.timing.retime_speed_keys`); (input_speed) (source
            frame, speed) keys on the source axis
            (:func:`~vtinker_core.timing.retime_input_speed`).
        centre_samples: (speed) sample each output frame's centre below normal speed.
        source_fps: (fps) the input rate, exact.
        output_fps: (fps) the output rate, exact.
        multiplier: (multiply) N, an integer ≥ 1.
        keys: (curve) (output frame, source position) keys, output frames increasing.
        curve_shape: (curve) ``"linear"`` or ``"smooth"`` (monotone cubic).
        fill_frames: (fill) the frames to regenerate, sorted.

    ``to_dict()`` gives the job-file form: ``"mode"`` plus that mode's fields only, e.g.
    ``{"mode": "speed", "speed": 0.5, "centre_samples": false}``, an animated ``{"mode":
    "speed", "speed": [{"frame": 1001, "speed": 1}, {"frame": 1025, "speed": "25%"}]}``,
    ``{"mode": "input_speed", "keys": [{"source": 1001, "speed": 0.5}, ...]}``, ``{"mode": "fps",
    "source_fps": "24000/1001", "output_fps": "60000/1001"}``, ``{"mode": "multiply",
    "multiplier": 4}``, ``{"mode": "curve", "keys": [{"frame": 1001, "source": 1001.0}, ...],
    "curve_shape": "smooth"}``, ``{"mode": "fill", "fill_frames": [1012, 1013]}``. Output
    frames are numbered from ``output.start``.
    """

    mode: TimingMode = "speed"
    speed: float = 1.0
    speed_keys: tuple[SpeedKey, ...] = ()
    centre_samples: bool = False
    source_fps: Fraction | None = None
    output_fps: Fraction | None = None
    multiplier: int = 2
    keys: tuple[CurveKey, ...] = ()
    curve_shape: CurveShape = "linear"
    fill_frames: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> TimingSpec:
        """Read the job-file form (``speed`` may be ``"50%"``; fps ``"23.976"`` or
        ``"24000/1001"``; keys ``{"frame", "source"}`` objects or pairs).

        Raises:
            JobError: every problem of the section (``problems``), each naming its field.
        """
        data = _validated("timing", data)
        mode = data["mode"]
        fields: dict[str, Any] = {"mode": mode}
        if mode == "speed" and isinstance(data["speed"], list):
            fields["speed_keys"] = parse_speed_keys(data["speed"], axis="frame")
            fields["centre_samples"] = bool(data.get("centre_samples", False))
        elif mode == "speed":
            fields["speed"] = parse_speed(data["speed"])
            fields["centre_samples"] = bool(data.get("centre_samples", False))
        elif mode == "input_speed":
            fields["speed_keys"] = parse_speed_keys(
                data["keys"], axis="source", setting="timing.keys", positive=True
            )
        elif mode == "fps":
            fields["source_fps"] = parse_fps(data["source_fps"], setting="timing.source_fps")
            fields["output_fps"] = parse_fps(data["output_fps"], setting="timing.output_fps")
        elif mode == "multiply":
            fields["multiplier"] = int(data["multiplier"])
        elif mode == "curve":
            fields["keys"] = normalise_keys(data["keys"])
            fields["curve_shape"] = data.get("curve_shape") or "linear"
        else:
            fields["fill_frames"] = tuple(sorted({int(f) for f in data["fill_frames"]}))
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        """The job-file form: ``mode`` and that mode's fields (fps as exact ``"n/d"`` text)."""
        out: dict[str, Any] = {"mode": self.mode}
        for name in MODE_FIELDS[self.mode]:
            value = getattr(self, name)
            if name in ("source_fps", "output_fps"):
                value = None if value is None else fps_text(Fraction(value))
            elif name == "speed" and self.speed_keys:
                value = [{"frame": f, "speed": v} for f, v in self.speed_keys]
            elif name == "keys" and self.mode == "input_speed":
                value = [{"source": f, "speed": v} for f, v in self.speed_keys]
            elif name == "keys":
                value = [{"frame": f, "source": s} for f, s in value]
            elif name == "fill_frames":
                value = sorted(set(value))
            out[name] = value
        return out


ShutterOffset = Literal["centred", "start", "end"]


@dataclass(frozen=True)
class ShutterSpec:
    """Motion blur (Kronos Shutter Samples, Shutter Time, Shutter Offset, Automatic Shutter).

    Attributes:
        samples: in-betweens averaged per output frame; 1 = no blur.
        time: how long the shutter is open, in output frames (0.5 = 180°).
        offset: ``"centred"`` (open around the output frame's time), ``"start"`` (opens at
            it) or ``"end"`` (closes at it).
        auto: scale the shutter with the speed (see :meth:`interval`).
    """

    samples: int = 1
    time: float = 0.5
    offset: ShutterOffset = "centred"
    auto: bool = False

    @property
    def active(self) -> bool:
        return self.samples > 1 and self.time > 0

    def interval(self, position: float, step: float) -> tuple[float, float]:
        """The source interval the shutter is open for an output at ``position`` whose next
        output is ``step`` source frames on.

        The open time is ``time × step`` source frames: ``time`` output frames at the local
        speed. With ``auto`` it is ``time × (step − 1)`` above 100 % and 0 at or below it:
        the blur a camera at the new speed records beyond the source's own (which already
        holds ``time`` source frames of it).
        """
        step = abs(step)
        width = self.time * (max(step - 1.0, 0.0) if self.auto else step)
        if self.offset == "start":
            return position, position + width
        if self.offset == "end":
            return position - width, position
        return position - width / 2, position + width / 2

    def times(self, position: float, step: float) -> list[float]:
        """The source positions the samples show: ``samples`` evenly spaced from the
        interval's opening to its closing, both included (one sample: the output's own time)."""
        start, end = self.interval(position, step)
        if not self.active or end <= start:
            return [position]
        n = self.samples
        return [start + (end - start) * k / (n - 1) for k in range(n)]

    @classmethod
    def from_dict(cls, data: Any) -> ShutterSpec:
        data = _validated("shutter", data or {})
        return cls(
            int(data.get("samples", 1)),
            float(data.get("time", 0.5)),
            data.get("offset") or "centred",
            bool(data.get("auto", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "time": self.time,
            "offset": self.offset,
            "auto": self.auto,
        }


@dataclass(frozen=True)
class MotionSpec:
    """Where the motion comes from and how finely it is estimated.

    Attributes:
        vectors_from: ``"input"`` (the source EXRs' ``forward.u/v``, ``backward.u/v``), a
            sequence pattern holding those layers, or None (estimate motion).
        source: a sequence to estimate motion on instead of the input (Kronos MoSrc).
        detail: resolution of the estimate relative to the frame (0.1–1); None = the
            engine's rule.
        smoothness: the classical engine's vector smoothness (0–1); None = its default.
    """

    vectors_from: str | None = None
    source: str | None = None
    detail: float | None = None
    smoothness: float | None = None

    @classmethod
    def from_dict(cls, data: Any) -> MotionSpec:
        data = _validated("motion", data or {})
        detail, smoothness = data.get("detail"), data.get("smoothness")
        return cls(
            _text(data, "vectors_from"),
            _text(data, "source"),
            None if detail is None else float(detail),
            None if smoothness is None else float(smoothness),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "vectors_from": self.vectors_from,
            "source": self.source,
            "detail": self.detail,
            "smoothness": self.smoothness,
        }


@dataclass(frozen=True)
class CutSpec:
    """Scene cuts: detected (with a threshold) and/or listed by the user.

    Attributes:
        detect: detect cuts between source frames before rendering.
        threshold: detection threshold in (0, 1]; None = the default of ``cuts.py`` (0.3).
        frames: source frames that start a new shot (a cut lies just before each).
    """

    detect: bool = False
    threshold: float | None = None
    frames: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> CutSpec:
        data = _validated("cuts", data or {})
        threshold = data.get("threshold")
        return cls(
            bool(data.get("detect", False)),
            None if threshold is None else float(threshold),
            tuple(sorted(set(data.get("frames") or ()))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"detect": self.detect, "threshold": self.threshold, "frames": list(self.frames)}


@dataclass(frozen=True)
class TileSettings:
    """The tile settings (the job's ``tiles``).

    Attributes:
        size: the tile (core) size in pixels, at least 64; ``None`` means ``auto`` (follow
            free memory: :func:`~vtinker_core.tiling.auto_tile_size`).
        overlap: pixels of context on each side of a core, less than half the size.
    """

    size: int | None = None
    overlap: int = DEFAULT_OVERLAP

    @classmethod
    def from_dict(cls, data: Any) -> TileSettings:
        """Settings from the job-file form (whole numbers may be text, as flags pass them)."""
        data = _validated("tiles", data or {})
        return cls(
            parse_tile_size(data.get("size")), int(str(data.get("overlap", DEFAULT_OVERLAP)))
        )

    def to_dict(self) -> dict[str, Any]:
        """The job-file form: ``{"size": 1024 | "auto", "overlap": 64}``."""
        return {"size": "auto" if self.size is None else self.size, "overlap": self.overlap}


@dataclass(frozen=True)
class EngineSpec:
    """Which engine runs, on what device, at what precision."""

    name: str = "auto"
    checkpoint: str | None = None
    device: str = "auto"
    precision: str = "float32"

    @classmethod
    def from_dict(cls, data: Any) -> EngineSpec:
        data = _validated("engine", data or {})
        return cls(
            _text(data, "name") or "auto",
            _text(data, "checkpoint"),
            _text(data, "device") or "auto",
            _text(data, "precision") or "float32",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "checkpoint": self.checkpoint,
            "device": self.device,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class RenderJob:
    """A whole render, as read from or written to the job JSON (see :mod:`vtinker_core.job`)."""

    input: InputSpec
    output: OutputSpec
    timing: TimingSpec
    shutter: ShutterSpec = field(default_factory=ShutterSpec)
    motion: MotionSpec = field(default_factory=MotionSpec)
    cuts: CutSpec = field(default_factory=CutSpec)
    tiles: TileSettings = field(default_factory=TileSettings)
    engine: EngineSpec = field(default_factory=EngineSpec)
    ocio: str | None = None
    sanitize: bool = False
    version: int = JOB_VERSION

    @classmethod
    def from_dict(cls, data: Any) -> RenderJob:
        """Validate and build a job.

        Raises:
            JobError: naming every bad field at once (``problems`` holds one error each).
        """
        raise_problems(check_job(data))
        return cls(
            input=InputSpec.from_dict(data["input"]),
            output=OutputSpec.from_dict(data["output"]),
            timing=TimingSpec.from_dict(data["timing"]),
            shutter=ShutterSpec.from_dict(data.get("shutter")),
            motion=MotionSpec.from_dict(data.get("motion")),
            cuts=CutSpec.from_dict(data.get("cuts")),
            tiles=TileSettings.from_dict(data.get("tiles")),
            engine=EngineSpec.from_dict(data.get("engine")),
            ocio=_text(data, "ocio"),
            sanitize=bool(data.get("sanitize", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The job-file form; ``shutter`` and ``motion`` appear only when not the default."""
        data: dict[str, Any] = {
            "version": self.version,
            "input": self.input.to_dict(),
            "output": self.output.to_dict(),
            "timing": self.timing.to_dict(),
        }
        if self.shutter != ShutterSpec():
            data["shutter"] = self.shutter.to_dict()
        if self.motion != MotionSpec():
            data["motion"] = self.motion.to_dict()
        data.update(
            cuts=self.cuts.to_dict(),
            tiles=self.tiles.to_dict(),
            engine=self.engine.to_dict(),
            ocio=self.ocio,
            sanitize=self.sanitize,
        )
        return data

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
