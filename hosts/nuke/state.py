"""What a VTinkerRetime node shows: nothing rendered, a current render, or a stale one.

A render is identified by a *state key*: a hash of the job the knobs make and of the input's
identity (for a Read the engine reads itself: each source frame's size and modification time;
for a prerendered upstream: every upstream node's knobs and its Reads' files). The key of the
render the node shows is kept in an invisible knob, so it survives a saved script; a record
beside the job (``<node>.state.json``) keeps each source frame's identity and which source
position each output frame shows, so a later render redoes only the output frames whose source
frames changed::

    key = current_key(nuke, group)             # "4c1f09a2d3b57e60"
    refresh_status(nuke, group)                # status "stale: ..." when key != the shown one
    record = read_record(state_path(job_path))
    redo = changed_outputs(record, source_identities(pattern, 1001, 1010))   # [1004, 1005]
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtinker_hosts.nuke.job import build_job, output_paths
from vtinker_hosts.nuke.layout import NOT_RENDERED, RENDERED_KNOB, SWITCH_NAME
from vtinker_hosts.nuke.settings import read_settings
from vtinker_hosts.nuke.source import output_folder, plan_source, read_file

STATE_VERSION = 1
_TOKEN = re.compile(r"%0?(\d*)d|#+")
# Knobs that place or decorate a node in the DAG: moving or colouring it changes no pixel.
_LAYOUT_KNOBS = frozenset(
    {"xpos", "ypos", "selected", "label", "note_font", "note_font_size", "note_font_color",
     "tile_color", "gl_color", "hide_input", "postage_stamp", "postage_stamp_frame",
     "bookmark", "icon", "indicators", "cached", "dope_sheet", "help", "onCreate",
     "knobChanged", "updateUI", "autolabel", "panel", "name"}
)  # fmt: skip


def job_digest(job: Mapping[str, Any]) -> str:
    """A hash of the job (its JSON with sorted keys)."""
    text = json.dumps(job, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame_path(pattern: str, frame: int) -> str:
    """The file of ``frame`` in a ``####`` / ``%04d`` pattern (the last token)."""
    matches = list(_TOKEN.finditer(pattern))
    if not matches:
        return pattern
    token = matches[-1]
    text = token.group(0)
    width = len(text) if text.startswith("#") else int(token.group(1) or 1)
    return pattern[: token.start()] + str(frame).zfill(width) + pattern[token.end() :]


def file_identity(path: str) -> list[int] | None:
    """``[size, mtime_ns]`` of a file, or None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [int(info.st_size), int(info.st_mtime_ns)]


def content_identity(path: str) -> str | None:
    """The SHA-256 of a file's bytes (for files this node rewrites itself), or None."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def source_identities(
    pattern: str, first: int, last: int, *, content: bool = False
) -> dict[str, Any]:
    """Each source frame's identity (``str(frame)`` → size and mtime, or a content hash)."""
    identify = content_identity if content else file_identity
    return {str(f): identify(frame_path(pattern, f)) for f in range(first, last + 1)}


def _upstream_nodes(node: Any) -> Iterator[Any]:
    seen: set[int] = set()
    todo = [node.input(i) for i in range(max(node.inputs(), 1))]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(current.input(i) for i in range(current.inputs()))


def upstream_digest(nuke: Any, node: Any) -> str:
    """A hash of everything upstream of ``node`` that makes its pixels: every node's class and
    knob values (``toScript``), and every Read's files (size and mtime)."""
    digest = hashlib.sha256()
    for upstream in _upstream_nodes(node):
        digest.update(upstream.Class().encode("utf-8"))
        for name, knob in sorted(upstream.knobs().items()):
            if name not in _LAYOUT_KNOBS:
                digest.update(f"{name}={knob.toScript()}\n".encode())
        if upstream.Class() == "Read":
            pattern = read_file(nuke, upstream)
            first = int(upstream["first"].value())
            last = int(upstream["last"].value())
            ids = source_identities(pattern, first, last) if pattern else {}
            digest.update(json.dumps(ids, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def state_key(job_hash: str, input_hash: str) -> str:
    """The short key naming one render (job + input)."""
    return hashlib.sha256(f"{job_hash}:{input_hash}".encode()).hexdigest()[:16]


def input_hash(identities: Mapping[str, Any]) -> str:
    """A hash of a set of source identities."""
    return hashlib.sha256(json.dumps(dict(identities), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RenderRecord:
    """What one finished render was made from (``<node>.state.json``).

    Attributes:
        key: the state key (:func:`state_key`).
        job: the job's hash (:func:`job_digest`).
        sources: each source frame's identity when it was rendered (``str(frame)`` keys).
        outputs: the source position each output frame shows (``str(frame)`` keys).
        first, last: the output frames.
    """

    key: str
    job: str
    sources: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, float] = field(default_factory=dict)
    first: int = 0
    last: int = -1


def state_path(job_path: Path | str) -> Path:
    """``<node>.job.json`` → ``<node>.state.json``."""
    path = Path(job_path)
    stem = path.name[: -len(".job.json")] if path.name.endswith(".job.json") else path.stem
    return path.with_name(f"{stem}.state.json")


def read_record(path: Path) -> RenderRecord | None:
    """The record at ``path``, or None when there is none (or it does not read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            return None
        return RenderRecord(
            key=str(data["key"]),
            job=str(data["job"]),
            sources=dict(data.get("sources", {})),
            outputs={str(k): float(v) for k, v in dict(data.get("outputs", {})).items()},
            first=int(data.get("first", 0)),
            last=int(data.get("last", -1)),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_record(path: Path, record: RenderRecord) -> None:
    """Write ``record`` as JSON (atomically)."""
    data = {"version": STATE_VERSION, **record.__dict__}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def changed_outputs(record: RenderRecord, sources: Mapping[str, Any]) -> list[int]:
    """The output frames to redo: those whose bracketing source frames changed since
    ``record`` (a position p shows frames floor(p) and ceil(p); nothing else)."""
    frames = set(record.sources) | set(sources)
    changed = {int(f) for f in frames if record.sources.get(f) != sources.get(f)}
    return sorted(
        int(f)
        for f, position in record.outputs.items()
        if math.floor(position) in changed or math.ceil(position) in changed
    )


def current_key(nuke: Any, group: Any) -> str:
    """The state key the knobs and the input make now (no file is written).

    Raises:
        ValueError: a knob value the engine cannot use, or no input.
    """
    settings = read_settings(group)
    folder = output_folder(nuke, group)
    pattern, _job_path = output_paths(folder, group.name())
    plan = plan_source(nuke, group, settings, folder)
    job = build_job(settings, plan.source, pattern)
    if plan.prerender:
        upstream = upstream_digest(nuke, group)
    else:
        src = plan.source
        upstream = input_hash(source_identities(src.path, src.first, src.last))
    return state_key(job_digest(job), upstream)


def shown(group: Any) -> tuple[str, str]:
    """(key, frames text) of the render the node shows; ("", "") before one."""
    knob = group.knob(RENDERED_KNOB)
    text = str(knob.value() if knob is not None else "").split()
    return (text[0], text[1]) if len(text) == 2 else ("", "")


def mark_rendered(group: Any, key: str, first: int, last: int, note: str = "") -> None:
    """Record that the node shows the render ``key`` (frames ``first``-``last``)."""
    group[RENDERED_KNOB].setValue(f"{key} {first}-{last}")
    switch = group.node(SWITCH_NAME)
    if switch is not None:
        switch["which"].setValue(1)
    group["label"].setValue("")
    group["status"].setValue(f"rendered {first}-{last}{note}")


def refresh_status(nuke: Any, group: Any) -> str:
    """Compare the shown render with the knobs and the input; update the status, the node's
    label and the Switch (the input passes through until a render exists). Returns the
    state: ``none``, ``current`` or ``stale``."""
    key, frames = shown(group)
    switch = group.node(SWITCH_NAME)
    if not key:
        if switch is not None:
            switch["which"].setValue(0)
        if str(group["status"].value()).startswith(("stale", "rendered")):
            group["status"].setValue(NOT_RENDERED)
        return "none"
    try:
        now = current_key(nuke, group)
        why = "the settings or the input changed"
    except (ValueError, OSError) as err:
        now, why = "", str(err)
    if now == key:
        if str(group["status"].value()).startswith("stale"):
            group["status"].setValue(f"rendered {frames}")
        group["label"].setValue("")
        return "current"
    group["status"].setValue(f"stale: {why} since the render of {frames} ({key[:8]}); press Render")
    group["label"].setValue("stale")
    return "stale"
