"""The Resolve action end to end: clip → job → VTinker window or engine → media pool → timeline.

Example (what ``VTinker Retime.py`` does from Workspace > Scripts)::

    run_menu(resolve, app, bmd, engine_bin="/opt/vtinker/.venv/bin")

or, from Python with options::

    options = RetimeOptions(engine_bin=bin_dir, ui="none", placement="take", engine="blend")
    summary = retime_current_clip(resolve, options)
    summary["status"], summary["output"], summary["track"]   # "rendered", ".../####.exr", 2

Steps: tell which Resolve runs (product and version: they decide what its frame numbers mean),
read the clip under the playhead (or the one selected in the media pool), pre-fill a job
(timing matching the timeline), let the editor render in the VTinker window (or render with
the defaults when there is no window), import the frames into the ``VTinker`` bin as one clip,
and place it on the first free track above the original at the original's record frame, on
the timeline it came from (or add it as a take, or leave it in the bin). With ``farm`` the
job goes to a render farm instead (:mod:`vtinker_hosts.resolve.farm`) and a later run imports
its frames.
"""

import os
import shutil
import tempfile
import traceback

from . import handoff as handoff_module
from .app import call, get_resolve, notify
from .bring import bring_in
from .clip import read_current_clip
from .errors import NoClipError, RenderError, ResolveActionError
from .farm import retime_on_farm
from .importer import BIN_NAME
from .job import build_handoff, build_job
from .product import python_menu_note, read_product

UI_MODES = ("auto", "window", "none")
PLACEMENTS = ("timeline", "take", "none")

#: Environment variables the menu script reads (see :func:`options_from_environment`).
ENVIRONMENT = {
    "VTINKER_RESOLVE_UI": "auto (default: the window when installed), window, none",
    "VTINKER_RESOLVE_PLACE": "timeline (default), take, none",
    "VTINKER_RESOLVE_OUTPUT_DIR": "folder for results (default: vtinker/ in the source folder;"
    " on the farm <source folder>_vtinker/ beside it)",
    "VTINKER_RESOLVE_ENGINE": "engine for the pre-filled job (default: auto)",
    "VTINKER_RESOLVE_FARM": "1: render on the farm (write a job bundle; a later run imports)",
    "VTINKER_RESOLVE_CHUNK_SIZE": "output frames per farm task (default: the engine's estimate)",
    "VTINKER_ENGINE_BIN": "the engine environment's scripts folder (overrides the installed one)",
}


class RetimeOptions:
    """How the action runs.

    Attributes:
        engine_bin: the engine environment's scripts folder (``vtinker``, ``vtinker-preview``).
        ui: ``auto`` (the window when ``vtinker-preview`` is installed, else headless),
            ``window`` or ``none`` (render the pre-filled job with no window).
        placement: ``timeline`` (above the original), ``take`` (a new take of the original)
            or ``none`` (media pool only).
        output_dir: where versioned output folders go; None: ``vtinker/`` beside the source.
        engine: the engine named in the pre-filled job; None: ``auto``.
        work_dir: folder for handoff/job/result files; None: a new temporary folder, removed
            after a successful run.
        log: receives one-line progress messages.
        farm: render on a farm: write the job and an Open Job Description bundle, or import
            the frames an earlier farm job rendered (no window: the pre-filled settings).
        chunk_size: output frames per farm task; None: the engine's estimate.
    """

    def __init__(
        self,
        engine_bin="",
        ui="auto",
        placement="timeline",
        output_dir=None,
        engine=None,
        work_dir=None,
        log=print,
        farm=False,
        chunk_size=None,
    ):
        if ui not in UI_MODES:
            raise ValueError("ui must be one of {}, got {!r}".format(", ".join(UI_MODES), ui))
        if placement not in PLACEMENTS:
            raise ValueError(
                "placement must be one of {}, got {!r}".format(", ".join(PLACEMENTS), placement)
            )
        self.engine_bin = engine_bin
        self.ui = ui
        self.placement = placement
        self.output_dir = output_dir
        self.engine = engine
        self.work_dir = work_dir
        self.log = log
        self.farm = bool(farm)
        self.chunk_size = chunk_size


def open_project(resolve):
    """``(project, media_pool, timeline)`` of the current project; timeline may be None.

    Raises:
        NoClipError: no project is open, or it has no media pool.
    """
    manager = call(resolve, "GetProjectManager")
    if manager is None:
        raise NoClipError("Resolve did not give its project manager (GetProjectManager failed).")
    project = call(manager, "GetCurrentProject")
    if project is None:
        raise NoClipError("No project is open in DaVinci Resolve: open one and try again.")
    media_pool = call(project, "GetMediaPool")
    if media_pool is None:
        raise NoClipError("The current project has no Media Pool (GetMediaPool failed).")
    return project, media_pool, call(project, "GetCurrentTimeline")


def retime_current_clip(resolve, options=None):
    """Retime the clip under the playhead and bring the result back into Resolve.

    Args:
        resolve: Resolve's application object (see :func:`app.get_resolve`).
        options: a :class:`RetimeOptions`; None: the defaults.

    Returns:
        A summary dict: ``status`` (``rendered`` or ``cancelled``; on the farm also
        ``submitted`` or ``pending``), ``ui`` (``window``, ``none`` or ``farm``: how it was
        rendered), ``clip``, ``warnings``, ``product`` (e.g. "DaVinci Resolve Studio 20.3.2"),
        and for a render ``output``, ``first``, ``last``, ``fps``, ``bin``, ``placement``
        (what was done), ``track`` and ``record_frame`` (timeline placement), ``take`` (take
        index).

    Raises:
        ResolveActionError: any step failed; the message says which and what to do.
    """
    options = options or RetimeOptions()
    log = options.log
    product = read_product(resolve)
    log(f"running in {product.label.strip()}")
    project, media_pool, timeline = open_project(resolve)
    info, item = read_current_clip(project, timeline, media_pool, product.conventions)
    warnings = list(info["warnings"])
    for text in warnings:
        log("warning: " + text)
    if options.farm:
        summary = retime_on_farm(
            options.engine_bin, media_pool, project, timeline, item, info, options
        )
        summary["product"] = product.label.strip()
        return summary
    job = build_job(info, output_dir=options.output_dir, engine=options.engine)

    own_work_dir = options.work_dir is None
    work_dir = tempfile.mkdtemp(prefix="vtinker-resolve-") if own_work_dir else options.work_dir
    if not own_work_dir and not os.path.isdir(work_dir):
        os.makedirs(work_dir)
    try:
        ui, result = _render(options, job, info, work_dir)
    except RenderError as err:
        raise RenderError(f"{err} (logs in {work_dir})") from err
    if result["status"] == "cancelled":
        log("cancelled: nothing imported")
        if own_work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
        return {
            "status": "cancelled",
            "clip": info["name"],
            "ui": ui,
            "warnings": warnings,
            "product": product.label.strip(),
        }

    output = result["output"]
    if not os.path.isabs(output):
        output = os.path.join(work_dir, output)
    placed = bring_in(
        media_pool,
        project,
        timeline,
        item,
        info,
        dict(result, output=output),
        placement=options.placement,
        log=log,
    )
    summary = {"status": "rendered", "ui": ui, "clip": info["name"]}
    summary.update(placed, product=product.label.strip())
    summary["warnings"] = warnings + placed["warnings"]
    if own_work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    return summary


def _render(options, job, info, work_dir):
    """Render through the window or headless; returns ``(ui used, result document)``."""
    ui = options.ui
    has_window = handoff_module.find_command(options.engine_bin, handoff_module.WINDOW_COMMAND)
    if ui == "auto":
        ui = "window" if has_window else "none"
        if ui == "none":
            options.log("the VTinker window is not installed: rendering with the defaults")
    if ui == "window":
        result_path = os.path.join(work_dir, "result.json")
        if os.path.exists(result_path):
            os.remove(result_path)  # never read an earlier run's result
        document = build_handoff(job, info, result_path)
        result = handoff_module.run_window(options.engine_bin, document, work_dir, log=options.log)
        return ui, result
    return ui, handoff_module.run_headless(options.engine_bin, job, work_dir, log=options.log)


def options_from_environment(engine_bin="", environ=None, log=print):
    """:class:`RetimeOptions` from the ``VTINKER_*`` variables of :data:`ENVIRONMENT`."""
    environ = os.environ if environ is None else environ
    chunk = environ.get("VTINKER_RESOLVE_CHUNK_SIZE") or ""
    if chunk and not chunk.strip().isdigit():
        raise ValueError(f"VTINKER_RESOLVE_CHUNK_SIZE must be a number of frames, got {chunk!r}")
    return RetimeOptions(
        engine_bin=environ.get("VTINKER_ENGINE_BIN") or engine_bin,
        ui=environ.get("VTINKER_RESOLVE_UI") or "auto",
        placement=environ.get("VTINKER_RESOLVE_PLACE") or "timeline",
        output_dir=environ.get("VTINKER_RESOLVE_OUTPUT_DIR") or None,
        engine=environ.get("VTINKER_RESOLVE_ENGINE") or None,
        log=log,
        farm=(environ.get("VTINKER_RESOLVE_FARM") or "").strip().lower() in ("1", "yes", "true"),
        chunk_size=int(chunk) if chunk else None,
    )


def run_menu(
    resolve=None,
    app=None,
    bmd=None,
    engine_bin="",
    script_api="",
    script_lib="",
    log=None,
    launcher="menu",
):
    """The menu entry: run the action and tell the user how it went. Never raises.

    Args:
        resolve, app, bmd: the globals Resolve injects into the menu script (None if absent).
        engine_bin: the engine's scripts folder written in by the installer.
        script_api, script_lib: defaults for ``RESOLVE_SCRIPT_API``/``RESOLVE_SCRIPT_LIB``.
        log: receives every line (default: print with a ``VTinker:`` prefix).
        launcher: ``menu`` (the Python entry, the Console) or ``lua`` (the Lua entry).

    Returns:
        0 after a render or a cancel, 1 after an error (shown to the user).
    """
    if log is None:

        def log(text):
            print("VTinker: " + text)

    try:
        options = options_from_environment(engine_bin, log=log)
        resolve = get_resolve(resolve, app, bmd, script_api=script_api, script_lib=script_lib)
        note = python_menu_note(read_product(resolve)) if launcher != "lua" else None
        if note:  # started another way (the Console): say how to get a menu entry
            log(note)
        summary = retime_current_clip(resolve, options)
    except ResolveActionError as err:
        notify(str(err), app=app, bmd=bmd, log=log)
        return 1
    except ValueError as err:  # a bad VTINKER_* setting
        notify(str(err), app=app, bmd=bmd, log=log)
        return 1
    except Exception as err:  # the menu must report, never crash silently inside Resolve
        log(traceback.format_exc())
        notify(
            f"Unexpected error: {err}. The details are in Workspace > Console.",
            app=app,
            bmd=bmd,
            log=log,
        )
        return 1
    if summary["status"] in ("submitted", "pending"):
        notify(_farm_message(summary), app=app, bmd=bmd, log=log)
        return 0
    if summary["status"] == "rendered":
        where = {
            "timeline": f"placed on V{summary['track']} at frame {summary['record_frame']}",
            "take": f"added as take {summary['take']}",
            "none": f"in the '{BIN_NAME}' bin",
        }[summary["placement"]]
        message = (
            f"'{summary['clip']}' retimed: frames {summary['first']}-{summary['last']}, {where}."
        )
        if summary["ui"] in ("none", "farm"):  # no window said it: say it is done
            notify(message, app=app, bmd=bmd, log=log)
        else:
            log(message)
    return 0


def _farm_message(summary):
    bundle = summary.get("bundle", "")
    if summary["status"] == "pending":
        return (
            f"The farm render of '{summary['clip']}' ({summary['folder']}) is not finished: "
            f"{summary['message']} Run VTinker Retime on this clip again when it is."
        )
    return (
        f"Farm bundle for '{summary['clip']}' written to {bundle}. Submit it (deadline bundle "
        f"submit {bundle}, or openjd run {os.path.join(bundle, 'template.yaml')}); the frames "
        f"go to {summary['folder']}. Run VTinker Retime on this clip again when the farm is "
        "done: it imports and places them."
    )
