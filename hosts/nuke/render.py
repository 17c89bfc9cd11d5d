"""Render a VTinkerRetime node: collect the input, write the job, run the engine, show the result.

The Render button calls :func:`render_this_node`; scripts and farms call :func:`render_node`::

    import nuke, vtinker_hosts.nuke.render as vt
    vt.render_node(nuke.toNode("VTinkerRetime1"))      # GUI: returns the worker thread
    # nuke -t: renders right away, raises RuntimeError with the engine's message on failure
    vt.render_all()                                     # every VTinkerRetime node, in order

Steps, all but the engine run in Nuke's main thread:

1. knobs → :class:`~vtinker_hosts.nuke.job.RetimeSettings` (``node.read_settings``);
2. the input: an image-sequence Read is used as it is (file pattern, range, colourspace); any
   other upstream (or a Read with a frame offset, a movie, a channel subset) is first written
   to EXR through the internal ``Prerender`` Write with ``nuke.execute``;
3. the job JSON goes next to the output (``<output folder>/<node>.job.json``);
4. ``vtinker render --job J --progress json`` runs in a ``threading.Thread`` (GUI) with a
   ``nuke.ProgressTask`` (its Cancel stops the engine after the current frame), or in the
   calling thread in terminal mode;
5. on success the internal ``Result`` Read shows ``<node>.####.exr``, frames on the host
   timeline. The worker thread reaches Nuke only through ``nuke.executeInMainThread`` (plus the
   ProgressTask, which Nuke documents for use from worker threads).

An unchanged job over an unchanged Read resumes (frames already written are kept); any other
render re-renders every frame (``--force``), so changed knobs always show.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from dataclasses import dataclass
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
from vtinker_hosts.nuke.job import (
    RetimeSettings,
    SourceInfo,
    build_job,
    default_output_folder,
    engine_colorspace,
    fps_text,
    output_paths,
    write_job_file,
)
from vtinker_hosts.nuke.node import (
    PRERENDER_NAME,
    RESULT_NAME,
    is_retime_node,
    read_settings,
)

TITLE = "VTinker Retime"
#: Image files the engine reads directly; other Reads (movies, camera raw) are prerendered.
DIRECT_EXTENSIONS = {"exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg"}

# Nodes (by full name) whose engine is running, so a second click does not start another.
_running: set[str] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class RenderPlan:
    """Everything the worker needs, as plain values (no Nuke objects cross threads).

    Attributes:
        node_name: the group's full name (``nuke.toNode`` finds it again).
        job_path: the job file.
        output_pattern: ``<folder>/<node>.####.exr``.
        command: the engine's argument list.
        read_colorspace: colourspace knob value for the Result Read (None: Nuke's default).
        read_format: format name for the Result Read (None: from the files).
    """

    node_name: str
    job_path: str
    output_pattern: str
    command: tuple[str, ...]
    read_colorspace: str | None = None
    read_format: str | None = None


# ------------------------------------------------------------------------------ collecting


def output_folder(nuke: Any, node: Any) -> Path:
    """The node's Output Folder knob, or the default beside the script."""
    chosen = str(node["outputFolder"].value() or "").strip()
    if chosen:
        return Path(chosen).expanduser()
    return default_output_folder(str(nuke.root().name() or ""), tempfile.gettempdir())


def _knob_value(node: Any, name: str, default: Any = None) -> Any:
    knob = node.knob(name)
    return default if knob is None else knob.value()


def _ocio_config(nuke: Any) -> str | None:
    """The custom OCIO config the script uses, if any (Nuke's built-in ones stay Nuke's)."""
    root = nuke.root()
    if str(_knob_value(root, "OCIO_config", "") or "") != "custom":
        return None
    path = str(_knob_value(root, "customOCIOConfigPath", "") or "").strip()
    return path or None


def _read_is_direct(nuke: Any, read: Any, channels: str) -> bool:
    """True when the engine can read the Read's files itself (same frames, all channels)."""
    if read.Class() != "Read" or channels != "all":
        return False
    path = str(nuke.filename(read) or "")
    if Path(path).suffix.lower().lstrip(".") not in DIRECT_EXTENSIONS:
        return False
    # A frame offset ("start at" / "offset" with a value) renumbers the files on the timeline.
    return not str(_knob_value(read, "frame", "") or "").strip()


def prerender_upstream(
    nuke: Any, node: Any, pattern: Path, first: int, last: int, channels: str
) -> None:
    """Write the group's input to an EXR sequence through the internal Prerender Write."""
    write = node.node(PRERENDER_NAME)
    if write is None:
        raise ValueError(
            f"{node.name()}: the internal Write '{PRERENDER_NAME}' is missing; create the node "
            "again"
        )
    pattern.parent.mkdir(parents=True, exist_ok=True)
    write["file"].setValue(pattern.as_posix())
    write["file_type"].setValue("exr")
    write["channels"].setValue(channels)
    write["disable"].setValue(False)
    try:
        nuke.execute(write, first, last, 1)
    finally:
        write["disable"].setValue(True)


def collect_source(
    nuke: Any, node: Any, settings: RetimeSettings, folder: Path
) -> tuple[SourceInfo, str | None, bool]:
    """The engine's input for ``node``.

    Returns:
        (source, colourspace knob value for the Result Read, True when prerendered).

    Raises:
        ValueError: nothing is connected, or the upstream Read has no file.
    """
    upstream = node.input(0)
    if upstream is None:
        raise ValueError(f"{node.name()} has no input: connect a Read (or any image) to it")
    first, last = settings.input_first, settings.input_last
    fps = fps_text(float(_knob_value(nuke.root(), "fps", 0.0) or 0.0))
    ocio = _ocio_config(nuke)
    channels = str(_knob_value(node, "retimedChannels", "all") or "all")
    if _read_is_direct(nuke, upstream, channels):
        path = str(nuke.filename(upstream) or "")
        if not path:
            raise ValueError(f"{upstream.name()} has no file to read")
        nuke_colorspace = str(_knob_value(upstream, "colorspace", "") or "")
        colorspace = engine_colorspace(nuke_colorspace, bool(_knob_value(upstream, "raw", False)))
        source = SourceInfo(path, first, last, colorspace, ocio, fps)
        return source, nuke_colorspace or None, False
    pattern = folder / "source" / f"{node.name()}_source.####.exr"
    prerender_upstream(nuke, node, pattern, first, last, channels)
    return SourceInfo(pattern.as_posix(), first, last, None, ocio, fps), None, True


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
    source, read_colorspace, prerendered = collect_source(nuke, node, settings, folder)
    job = build_job(settings, source, output_pattern)
    changed = write_job_file(job, job_path)
    executable = str(node["engineExecutable"].value() or "").strip()
    command = engine_command(
        executable or default_engine_executable(), str(job_path), force=changed or prerendered
    )
    return RenderPlan(
        node_name=node.fullName(),
        job_path=str(job_path),
        output_pattern=output_pattern,
        command=tuple(command),
        read_colorspace=read_colorspace,
        read_format=_format_name(node),
    )


# ------------------------------------------------------------------- showing the result


def _set_status(nuke: Any, node_name: str, text: str) -> None:
    node = nuke.toNode(node_name)
    if node is not None:
        node["status"].setValue(text)


def apply_result(nuke: Any, plan: RenderPlan, result: EngineResult) -> None:
    """Point the Result Read at the rendered frames (main thread)."""
    node = nuke.toNode(plan.node_name)
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
    if plan.read_colorspace:
        read["colorspace"].setValue(plan.read_colorspace)
    read["reload"].execute()
    engines = [str(r.get("engine", "")) for r in result.events("start")]
    if engines and engines[0]:
        node["gpuName"].setValue(engines[0])
    warnings = len(result.events("warning"))
    note = f", {warnings} warning(s): see the script editor" if warnings else ""
    node["status"].setValue(f"rendered {first}-{last}{note}")


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
    nodes = [n for n in nuke.allNodes("Group", recurseGroups=True) if is_retime_node(n)]
    return [render_node(n, background=False) for n in nodes]


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
