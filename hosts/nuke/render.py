"""Render a VTinkerRetime node: collect the input, write the job, run the engine, show the result.

The Render button calls :func:`render_this_node`; scripts and farms call :func:`render_node`::

    import nuke, vtinker_hosts.nuke.render as vt
    vt.render_node(nuke.toNode("VTinkerRetime1"))      # GUI: returns the worker thread
    # nuke -t: renders right away, raises RuntimeError with the engine's message on failure
    vt.render_all()                                     # every VTinkerRetime node, in order

Steps, all but the engine run in Nuke's main thread:

1. knobs → :class:`~vtinker_hosts.nuke.job.RetimeSettings` (``node.read_settings``);
2. the input (:mod:`vtinker_hosts.nuke.source`): an image-sequence Read is used as it is (file
   pattern, range, its colourspace in the session's OCIO config); any other upstream (or a Read
   with a frame offset, a movie, a channel subset, a colourspace the engine cannot be given) is
   first written to EXR in Nuke's working space through the internal ``Prerender`` Write;
3. the job JSON goes next to the output (``<output folder>/<node>.job.json``);
4. ``vtinker render --job J --progress json`` runs in a ``threading.Thread`` (GUI) with a
   ``nuke.ProgressTask`` (its Cancel stops the engine after the current frame), or in the
   calling thread in terminal mode;
5. on success the internal ``Result`` Read shows ``<node>.####.exr`` (frames on the host
   timeline, colourspace the session's working space), the ``Show`` Switch turns to it and the
   render's state is recorded (:mod:`vtinker_hosts.nuke.state`). The worker thread reaches
   Nuke only through ``nuke.executeInMainThread`` (plus the ProgressTask, which Nuke documents
   for use from worker threads); nodes are found again by their full name from the root, so
   the group the user is in when the render ends does not matter.

What a render redoes: the same job over the same input resumes (frames already written are
kept); the same job over an input some of whose frames changed redoes only the output frames
those source frames feed; a changed job re-renders every frame (``--force``).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtinker_hosts.engine_client import (
    EngineResult,
    EngineStartError,
    engine_command,
    run_engine,
)
from vtinker_hosts.nuke._nuke import is_gui, load_nuke
from vtinker_hosts.nuke.config import default_engine_executable
from vtinker_hosts.nuke.job import build_job, output_paths, write_job_file
from vtinker_hosts.nuke.layout import RESULT_NAME
from vtinker_hosts.nuke.node import is_retime_node
from vtinker_hosts.nuke.settings import evaluated, read_settings
from vtinker_hosts.nuke.source import output_folder, plan_source, prerender_upstream
from vtinker_hosts.nuke.state import (
    RenderRecord,
    changed_outputs,
    frame_path,
    input_hash,
    job_digest,
    mark_rendered,
    read_record,
    source_identities,
    state_key,
    state_path,
    upstream_digest,
    write_record,
)

TITLE = "VTinker Retime"

# Nodes (by full name) whose engine is running, so a second click does not start another.
_running: set[str] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class RenderPlan:
    """Everything the worker needs, as plain values (no Nuke objects cross threads).

    Attributes:
        node_name: the group's full name (:func:`find_node` finds it again).
        job_path: the job file.
        output_pattern: ``<folder>/<node>.####.exr``.
        command: the engine's argument list.
        read_colorspace: colourspace knob value for the Result Read (a name of the session's
            config; None: leave the Read's).
        read_raw: the Result Read's ``raw`` knob.
        read_format: format name for the Result Read (None: from the files).
        key: the state key of this render (job + input).
        job_hash: the job's hash.
        sources: each source frame's identity, recorded when the render succeeds.
        redo: output frames re-rendered because their source frames changed.
        notes: what the user should know (why the input was prerendered).
    """

    node_name: str
    job_path: str
    output_pattern: str
    command: tuple[str, ...]
    read_colorspace: str | None = None
    read_raw: bool = False
    read_format: str | None = None
    key: str = ""
    job_hash: str = ""
    sources: dict[str, Any] = field(default_factory=dict)
    redo: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


def find_node(nuke: Any, full_name: str) -> Any:
    """The node ``full_name`` names, looked up from the root: a plain name is searched for from
    the current group upwards (Nuke Python API, ``nuke.knob``), which may find another node."""
    return nuke.toNode(f"root.{full_name}")


# ------------------------------------------------------------------------------ collecting


def _format_name(node: Any) -> str | None:
    upstream = node.input(0)
    try:
        name = upstream.format().name() if upstream is not None else None
    except (AttributeError, ValueError):
        return None
    return str(name) if name else None


def prepare_render(nuke: Any, node: Any) -> RenderPlan:
    """Steps 1–3 of the module docstring (main thread). Returns the plan for the engine.

    Raises:
        ValueError: a setting or the input cannot be used (the message says which).
        OSError: the output folder or job file cannot be written.
    """
    if not is_retime_node(node):
        raise ValueError("select a VTinkerRetime node")
    settings = read_settings(node)
    folder = output_folder(nuke, node)
    output_pattern, job_path = output_paths(folder, node.name())
    plan = plan_source(nuke, node, settings, folder)
    upstream = upstream_digest(nuke, node) if plan.prerender else ""
    if plan.prerender:
        prerender_upstream(nuke, node, plan)
    src = plan.source
    # Files this node writes itself are told apart by content; a plate by size and time.
    sources = source_identities(src.path, src.first, src.last, content=plan.prerender)
    job = build_job(settings, src, output_pattern)
    job_hash = job_digest(job)
    changed = write_job_file(job, job_path)
    record = read_record(state_path(job_path))
    redo: tuple[int, ...] = ()
    if record is not None and record.job == job_hash:
        redo = tuple(changed_outputs(record, sources))
        for frame in redo:  # the engine renders what is missing; valid frames are kept
            Path(frame_path(output_pattern, frame)).unlink(missing_ok=True)
        force = False
    else:
        force = changed or plan.prerender or record is not None
    executable = evaluated(node, "engineExecutable")
    command = engine_command(executable or default_engine_executable(), str(job_path), force=force)
    return RenderPlan(
        node_name=node.fullName(),
        job_path=str(job_path),
        output_pattern=output_pattern,
        command=tuple(command),
        read_colorspace=plan.colour.read_colorspace,
        read_raw=plan.colour.read_raw,
        read_format=_format_name(node),
        key=state_key(job_hash, upstream if plan.prerender else input_hash(sources)),
        job_hash=job_hash,
        sources=sources,
        redo=redo,
        notes=plan.notes,
    )


# ------------------------------------------------------------------- showing the result


def _set_status(nuke: Any, node_name: str, text: str) -> None:
    node = find_node(nuke, node_name)
    if node is not None:
        node["status"].setValue(text)


def _record(plan: RenderPlan, result: EngineResult, first: int, last: int) -> RenderRecord:
    outputs = {
        str(int(r["frame"])): float(r["source"])
        for r in result.events("frame")
        if "frame" in r and "source" in r
    }
    return RenderRecord(plan.key, plan.job_hash, dict(plan.sources), outputs, first, last)


def apply_result(nuke: Any, plan: RenderPlan, result: EngineResult) -> None:
    """Point the Result Read at the rendered frames and record the render (main thread)."""
    node = find_node(nuke, plan.node_name)
    if node is None:  # deleted while the engine ran
        return
    frames = result.frames
    if frames is None:
        raise RuntimeError(f"{TITLE}: the engine reported no frames")
    first, last = frames
    read = node.node(RESULT_NAME)
    if read is None:
        raise RuntimeError(f"the internal Read '{RESULT_NAME}' is missing; create the node again")
    read["file"].setValue(plan.output_pattern)
    for name, value in (("first", first), ("last", last), ("origfirst", first), ("origlast", last)):
        read[name].setValue(value)
    if plan.read_format:
        read["format"].setValue(plan.read_format)
    notes = list(plan.notes)
    if plan.read_colorspace:
        try:
            read["colorspace"].setValue(plan.read_colorspace)
        except ValueError:
            notes.append(f"the Result Read has no colourspace '{plan.read_colorspace}'")
    raw = read.knob("raw")
    if raw is not None:
        raw.setValue(plan.read_raw)
    read["reload"].execute()
    write_record(state_path(plan.job_path), _record(plan, result, first, last))
    engines = [str(r.get("engine", "")) for r in result.events("start")]
    if engines and engines[0]:
        node["gpuName"].setValue(engines[0])
    warnings = len(result.events("warning"))
    note = f", {warnings} warning(s): see the script editor" if warnings else ""
    if plan.redo:
        note += f", redid {len(plan.redo)} frame(s) whose source changed"
    mark_rendered(node, plan.key, first, last, note)
    for text in notes:
        print(f"{TITLE} ({plan.node_name}): {text}", file=sys.stderr)


def _finish_in_gui(plan: RenderPlan, result: EngineResult) -> None:
    """The worker's last step, run in the main thread by ``executeInMainThread``."""
    nuke = load_nuke()
    for record in result.events("warning"):
        print(f"{TITLE} ({plan.node_name}): warning: {record.get('message')}", file=sys.stderr)
    if result.ok:
        try:
            apply_result(nuke, plan, result)
        except (RuntimeError, ValueError, NameError) as err:  # e.g. the Result Read was deleted
            _fail_in_gui(plan.node_name, str(err))
    elif result.cancelled:
        done = max([int(r.get("done", 0)) for r in result.events("frame")] or [0])
        _set_status(nuke, plan.node_name, f"cancelled after {done} frames: Render to continue")
    else:
        _set_status(nuke, plan.node_name, f"failed: {result.message}")
        nuke.message(f"{TITLE} ({plan.node_name}) failed:\n{result.message}")


def _fail_in_gui(node_name: str, message: str) -> None:
    nuke = load_nuke()
    _set_status(nuke, node_name, f"failed: {message}")
    nuke.message(f"{TITLE} ({node_name}) failed:\n{message}")


# ------------------------------------------------------------------------------ running


def _progress_percent(record: dict[str, Any]) -> int:
    total = max(int(record.get("total") or 0), 1)
    return min(100, int(100 * int(record.get("done") or 0) / total))


def _work(nuke: Any, plan: RenderPlan) -> None:
    """The worker thread: engine + ProgressTask; Nuke itself only via executeInMainThread."""
    task = nuke.ProgressTask(f"{TITLE}: {plan.node_name}")
    task.setMessage("starting the engine")

    def on_record(record: dict[str, Any]) -> None:
        event = record.get("event")
        if event == "start":
            task.setMessage(f"{record.get('engine')}: {record.get('total')} frames")
        elif event == "frame":
            task.setProgress(_progress_percent(record))
            task.setMessage(
                f"frame {record.get('frame')} ({record.get('done')} of {record.get('total')})"
            )
        elif event == "done":
            task.setProgress(100)

    try:
        result = run_engine(plan.command, on_record=on_record, should_cancel=task.isCancelled)
    except Exception as err:  # reported to the user; a worker thread has no caller
        nuke.executeInMainThread(_fail_in_gui, args=(plan.node_name, _start_hint(err)))
        return
    finally:
        with _running_lock:
            _running.discard(plan.node_name)
    # The progress bar closes when ``task`` goes away, as this function returns.
    nuke.executeInMainThread(_finish_in_gui, args=(plan, result))


def _start_hint(err: Exception) -> str:
    if isinstance(err, EngineStartError):
        return f"{err}; set the engine executable on the VTinker tab (or run vtinker-install nuke)"
    return str(err)


def _print_progress(record: dict[str, Any]) -> None:
    event = record.get("event")
    if event == "start":
        print(f"{TITLE}: {record.get('engine')}, {record.get('total')} frames", flush=True)
    elif event == "frame":
        print(
            f"{TITLE}: frame {record.get('frame')} ({record.get('done')}/{record.get('total')})",
            flush=True,
        )
    elif event == "warning":
        print(f"{TITLE}: warning: {record.get('message')}", file=sys.stderr, flush=True)


def render_node(node: Any, *, background: bool | None = None) -> Any:
    """Render ``node`` (see the module docstring).

    Args:
        node: a VTinkerRetime group.
        background: run the engine in a worker thread with a progress bar; default: in the
            GUI yes, in terminal mode no.

    Returns:
        GUI: the worker ``threading.Thread`` (None when the render could not start; the user
        was told why). Terminal: the :class:`~vtinker_hosts.engine_client.EngineResult`.

    Raises:
        RuntimeError: (terminal mode) the render failed; the message is the engine's.
    """
    nuke = load_nuke()
    gui = is_gui(nuke) if background is None else background
    name = node.fullName() if node is not None else "?"
    with _running_lock:
        busy = name in _running
    if busy:
        message = f"{name} is already rendering"
        if gui:
            nuke.message(f"{TITLE}: {message}")
            return None
        raise RuntimeError(f"{TITLE}: {message}")
    try:
        plan = prepare_render(nuke, node)
    except (ValueError, OSError, RuntimeError) as err:
        if gui:
            nuke.message(f"{TITLE} ({name}): {err}")
            return None
        raise RuntimeError(f"{TITLE} ({name}): {err}") from err
    if gui:
        with _running_lock:
            _running.add(plan.node_name)
        _set_status(nuke, plan.node_name, "rendering…")
        thread = threading.Thread(
            target=_work, args=(nuke, plan), name=f"vtinker-{plan.node_name}", daemon=True
        )
        thread.start()
        return thread
    try:
        result = run_engine(plan.command, on_record=_print_progress)
    except EngineStartError as err:
        raise RuntimeError(f"{TITLE} ({plan.node_name}): {_start_hint(err)}") from err
    if not result.ok:
        raise RuntimeError(f"{TITLE} ({plan.node_name}): {result.message}")
    apply_result(nuke, plan, result)
    return result


def render_this_node() -> Any:
    """The Render button's command."""
    return render_node(load_nuke().thisNode())


def render_all() -> list[Any]:
    """Render every VTinkerRetime node of the script, one after the other (terminal mode)."""
    nuke = load_nuke()
    everywhere = nuke.allNodes("Group", group=nuke.root(), recurseGroups=True)
    return [render_node(n, background=False) for n in everywhere if is_retime_node(n)]


def export_job(node: Any) -> str:
    """Write the node's job file (prerendering a non-Read input) without rendering.

    Returns:
        The job file's path; ``vtinker render --job PATH --frames A-B`` renders a chunk.
    """
    nuke = load_nuke()
    plan = prepare_render(nuke, node)
    return plan.job_path


def export_this_job() -> str | None:
    """The Write Job File button's command: writes it and tells the user the farm command."""
    nuke = load_nuke()
    node = nuke.thisNode()
    try:
        path = export_job(node)
    except (ValueError, OSError, RuntimeError) as err:
        nuke.message(f"{TITLE} ({node.name()}): {err}")
        return None
    nuke.message(
        f"{TITLE}: job written to\n{path}\n\nRender it anywhere, in chunks:\n"
        f"vtinker render --job {path} --frames A-B"
    )
    return path
