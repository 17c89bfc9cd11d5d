"""One validator for the job: the JSON Schema shipped beside it, then what a schema cannot say.

Example::

    problems = check_job(data)           # every problem at once, [] when the job is valid
    for problem in problems:
        print(problem.setting, problem)  # "timing.speed", "timing.speed: the speed must be > 0"

Structure, types, allowed values and ranges are in ``vtinker_core/schemas/job-1.schema.json``
(what the host adapters' tests validate their jobs against). The checks here are the ones a
schema cannot express: frame rates and speeds that must parse, curve keys that must increase,
the tile overlap against the tile size, a frame range's grammar, options that need a certain
output format.
Every problem is a :class:`~vtinker_core.errors.JobError` whose ``setting`` is the field's
dotted name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from vtinker_core.errors import JobError

__all__ = [
    "SCHEMA_FILE",
    "check_job",
    "check_section",
    "job_schema",
    "raise_problems",
    "schema_choices",
]

#: The schema file's name (``vtinker_core/schemas/``).
SCHEMA_FILE = "job-1.schema.json"

# Messages for fields whose schema has alternatives (the validator's own would say "is not
# valid under any of the given schemas").
_ALTERNATIVES = {
    "tiles.size": "tile size must be 'auto' or a whole number of at least 64 px",
    "tiles.overlap": "tile overlap must be a whole number of pixels, 0 or more",
    "timing.keys": "a curve key must be {'frame': F, 'source': S} or [F, S]",
    "timing.speed": (
        "a speed must be a factor (0.5), a percentage ('50%') or keys "
        "[{'frame': F, 'speed': S}, ...]"
    ),
}
_INPUT_SPEED_KEYS = "an input speed key must be {'source': F, 'speed': S} or [F, S]"
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_VIDEO = (".mp4", ".mov", ".mkv", ".mxf", ".avi", ".m4v")


@cache
def job_schema() -> dict[str, Any]:
    """The job's JSON Schema (draft 2020-12), as shipped in the package."""
    text = resources.files("vtinker_core").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_choices(field: str) -> tuple[str, ...]:
    """The values the schema allows for an enumerated field (``"engine.precision"``)."""
    node: Any = job_schema()
    for part in field.split("."):
        node = node["properties"][part]
    return tuple(value for value in node["enum"] if value is not None)


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(job_schema())


def check_job(data: Any) -> list[JobError]:
    """Every problem of a job object (as read from JSON), in field order; [] when valid."""
    if not isinstance(data, Mapping):
        return [JobError("a job must be a JSON object", setting="job")]
    problems = [_problem(err, data) for err in _validator().iter_errors(dict(data))]
    seen = {p.setting for p in problems}
    for section, check in _SEMANTIC.items():
        value = data.get(section)
        if not isinstance(value, Mapping):
            continue
        try:
            found = check(value)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a field the schema already reported is malformed
        problems.extend(p for p in found if p.setting not in seen)
    return sorted(problems, key=lambda p: _ORDER.get((p.setting or "").split(".")[0], 99))


def check_section(name: str, data: Any) -> list[JobError]:
    """The problems of one section (``input``, ``timing``, ``tiles``...) on its own."""
    minimal: dict[str, Any] = {"input": {"path": "x"}, "output": {"path": "x.exr"}}
    minimal["timing"] = {"mode": "multiply", "multiplier": 2}
    minimal[name] = data
    return [p for p in check_job(minimal) if _within(p.setting or "", name)]


def raise_problems(problems: Iterable[JobError], *, source: str = "") -> None:
    """Raise one :class:`JobError` for all ``problems`` (its ``problems`` holds each)."""
    found = list(problems)
    if not found:
        return
    prefix = f"{source}: " if source else ""
    message = prefix + "; ".join(p.message for p in found)
    path = Path(source) if source else None
    raise JobError(message, setting=found[0].setting, path=path, problems=tuple(found))


# ----------------------------------------------------------------------- schema messages


def _problem(err: Any, data: Mapping[str, Any]) -> JobError:
    where = ".".join(str(part) for part in err.absolute_path if not isinstance(part, int))
    keyword = err.validator
    value = err.instance
    if "propertyNames" in err.relative_schema_path:  # a field the timing mode does not take
        timing = data.get("timing")
        mode = timing.get("mode") if isinstance(timing, Mapping) else None
        allowed = [n for n in err.validator_value if n != "mode"]
        name = f"{where}.{value}"
        return JobError(
            f"{name}: not a setting of {mode} mode (it takes {', '.join(allowed)})",
            setting=name,
        )
    if keyword == "required":
        missing = next(n for n in err.validator_value if n not in value)
        field = f"{where}.{missing}" if where else missing
        return JobError(f"the job needs '{field}'", setting=field)
    if keyword == "additionalProperties":
        return _unknown_field(err, where)
    if where in _ALTERNATIVES and keyword in ("anyOf", "oneOf", "type", "minimum", "pattern"):
        timing = data.get("timing")
        mode = timing.get("mode") if isinstance(timing, Mapping) else None
        text = _INPUT_SPEED_KEYS if mode == "input_speed" else _ALTERNATIVES[where]
        return JobError(f"{where}: {text}, got {value!r}", setting=where)
    if keyword == "type":
        raw = err.validator_value
        kinds: list[str] = [str(k) for k in (raw if isinstance(raw, list) else [raw])]
        expected = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds if k != "null")
        return JobError(f"{where}: expected {expected}, got {value!r}", setting=where)
    if keyword in ("enum", "const"):
        allowed = err.validator_value if keyword == "enum" else [err.validator_value]
        shown = ", ".join(repr(a) for a in allowed if a is not None)
        return JobError(f"{where}: {value!r} is not one of {shown}", setting=where)
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        sign = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
        bound = f"{sign[keyword]} {err.validator_value}"
        extra = ""
        if where == "cuts.threshold":
            extra = " (a number in (0, 1]; lower finds more cuts)"
        return JobError(f"{where}: must be {bound}, got {value!r}{extra}", setting=where)
    if keyword == "minItems":
        what = {"timing.fill_frames": "a frame to fill", "timing.keys": "a key"}.get(where, "one")
        return JobError(f"{where}: list at least {what}", setting=where)
    if keyword == "pattern" and where == "engine.device":
        return JobError(
            f"engine.device: {value!r} is not one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'",
            setting=where,
        )
    if keyword == "minLength":
        return JobError(f"{where}: must not be empty", setting=where)
    return JobError(f"{where or 'job'}: {err.message}", setting=where or "job")


def _unknown_field(err: Any, where: str) -> JobError:
    known = sorted(err.schema.get("properties", {}))
    unknown = sorted(set(err.instance) - set(known))
    name = f"{where}.{unknown[0]}" if where else unknown[0]
    return JobError(
        f"unknown job field '{name}'; known fields here: {', '.join(known)}", setting=name
    )


def _within(setting: str, section: str) -> bool:
    return setting == section or setting.startswith(f"{section}.")


# ------------------------------------------------------------------------ semantic checks


def _attempt(problems: list[JobError], check: Callable[[], object]) -> None:
    try:
        check()
    except JobError as err:
        problems.append(err)


def _check_input(data: Mapping[str, Any]) -> list[JobError]:
    from vtinker_core.errors import FrameRangeError
    from vtinker_core.io.sequences import parse_frame_range

    frames = data.get("frames")
    if frames:
        try:
            parse_frame_range(frames)
        except FrameRangeError as err:
            return [JobError(f"input.frames: {err.message}", setting="input.frames")]
    return []


def _check_output(data: Mapping[str, Any]) -> list[JobError]:
    from vtinker_core.timing import parse_fps

    problems: list[JobError] = []
    ext = Path(str(data["path"])).suffix.lower()
    if data.get("fps") is not None:
        _attempt(problems, lambda: parse_fps(data["fps"], setting="output.fps"))
    if data.get("vectors") and ext != ".exr":
        problems.append(
            JobError(
                "output.vectors needs an EXR output (vectors are float channels)",
                setting="output.vectors",
            )
        )
    if data.get("matte") and ext != ".exr":
        problems.append(
            JobError(
                "output.matte needs an EXR output (the matte is an added float channel)",
                setting="output.matte",
            )
        )
    if data.get("codec") is not None and ext not in _VIDEO:
        problems.append(
            JobError(
                f"output.codec '{data['codec']}' needs a video output (.mp4, .mov, .mkv, .mxf), "
                f"not {ext or 'a file without an extension'}",
                setting="output.codec",
            )
        )
    return problems


def _check_timing(data: Mapping[str, Any]) -> list[JobError]:
    from vtinker_core.curves import normalise_keys
    from vtinker_core.timing import parse_fps, parse_speed, parse_speed_keys

    problems: list[JobError] = []
    mode = data["mode"]
    if mode == "speed" and isinstance(data["speed"], list):
        _attempt(problems, lambda: parse_speed_keys(data["speed"], axis="frame"))
    elif mode == "speed":
        _attempt(problems, lambda: parse_speed(data["speed"], setting="timing.speed"))
    elif mode == "input_speed":
        _attempt(
            problems,
            lambda: parse_speed_keys(
                data["keys"], axis="source", setting="timing.keys", positive=True
            ),
        )
    elif mode == "fps":
        _attempt(problems, lambda: parse_fps(data["source_fps"], setting="timing.source_fps"))
        _attempt(problems, lambda: parse_fps(data["output_fps"], setting="timing.output_fps"))
    elif mode == "curve":
        _attempt(problems, lambda: normalise_keys(data["keys"]))
    return problems


def _check_tiles(data: Mapping[str, Any]) -> list[JobError]:
    from vtinker_core.job.model import parse_tile_size

    size = parse_tile_size(data.get("size"))
    overlap = int(str(data.get("overlap", 64)).strip())
    if size is not None and size < 64:
        return [
            JobError(
                f"tiles.size: {_ALTERNATIVES['tiles.size']}, got {data['size']!r}",
                setting="tiles.size",
            )
        ]
    if size is not None and overlap * 2 >= size:
        return [
            JobError(
                f"tiles.overlap: must be less than half the tile size: {overlap} px overlap with "
                f"{size} px tiles; lower the overlap or raise the size",
                setting="tiles.overlap",
            )
        ]
    return []


def _check_motion(data: Mapping[str, Any]) -> list[JobError]:
    if data.get("vectors_from") and data.get("source"):
        return [
            JobError(
                "motion.source: a motion source is for estimating motion, and "
                "motion.vectors_from supplies it already; set one of them",
                setting="motion.source",
            )
        ]
    return []


_SEMANTIC: dict[str, Callable[[Mapping[str, Any]], list[JobError]]] = {
    "input": _check_input,
    "output": _check_output,
    "timing": _check_timing,
    "tiles": _check_tiles,
    "motion": _check_motion,
}
_ORDER = {name: i for i, name in enumerate(
    ("job", "version", "input", "output", "timing", "shutter", "motion", "cuts", "tiles",
     "engine", "ocio", "sanitize")
)}  # fmt: skip
