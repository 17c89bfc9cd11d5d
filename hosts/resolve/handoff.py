"""Run the retime outside Resolve: the VTinker window, or the engine alone, and read the result.

Example::

    result = run_window(engine_bin, handoff, work_dir)     # vtinker-preview --resolve-job ...
    result = run_headless(engine_bin, job, work_dir, log)  # vtinker render --progress json
    result  # {"version": 1, "status": "rendered", "output": ".../shot_vtinker_v001.####.exr",
            #  "first": 1003, "last": 1012, "fps": "24"}
            # or {"version": 1, "status": "cancelled"}

Both run the engine's own environment as a separate process (Resolve's Python never imports
torch or Qt). The window writes ``result_path`` itself when the user renders or closes it; the
headless path builds the same document from the engine's JSON-lines progress.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

from .errors import RenderError

RESULT_VERSION = 1
ENGINE_COMMAND = "vtinker"
WINDOW_COMMAND = "vtinker-preview"


def _load_engine_client():
    """``vtinker_hosts.engine_client``: by import inside the package, or from the file beside
    this package when Resolve loads the adapter folder on its own (see ``VTinker Retime.py``)."""
    try:
        from .. import engine_client

        return engine_client
    except (ImportError, ValueError):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        spec = importlib.util.spec_from_file_location(
            "vtinker_engine_client", os.path.join(here, "engine_client.py")
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


engine_client = _load_engine_client()


def find_command(engine_bin, name):
    """The path of ``name`` (``vtinker``, ``vtinker-preview``) in the engine's scripts folder.

    Returns None when it is not there (``.exe`` and other PATHEXT endings are tried on Windows).
    """
    if not engine_bin:
        return None
    return shutil.which(name, path=engine_bin)


def _creation_flags():
    # No console window flashing up behind Resolve on Windows.
    return getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform.startswith("win") else 0


def write_json(path, data):
    """Write ``data`` as JSON atomically (temporary file, then rename)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- the window


def run_window(engine_bin, handoff, work_dir, log=print):
    """Open the VTinker window pre-filled with ``handoff`` and wait until it closes.

    Args:
        engine_bin: the engine environment's scripts folder (holding ``vtinker-preview``).
        handoff: the document from :func:`job.build_handoff`; its ``result_path`` is where the
            window writes the result.
        work_dir: an existing folder for ``handoff.json`` and the window's log.
        log: where progress lines go.

    Returns:
        The result document (see :func:`read_result`).

    Raises:
        RenderError: the window is not installed, failed to start, or closed without writing
            a valid result.
    """
    command = find_command(engine_bin, WINDOW_COMMAND)
    if command is None:
        raise RenderError(
            "The VTinker window ({}) is not installed in {}. Install the engine with its "
            "'ui' extra, or set VTINKER_RESOLVE_UI=none to render with the default "
            "settings.".format(WINDOW_COMMAND, engine_bin or "the engine environment")
        )
    handoff_path = os.path.join(work_dir, "handoff.json")
    write_json(handoff_path, handoff)
    log_path = os.path.join(work_dir, "window.log")
    log("opening the VTinker window for '{}'".format(handoff["clip"]["name"]))
    try:
        with open(log_path, "w", encoding="utf-8") as log_file:
            code = subprocess.call(
                [command, "--resolve-job", handoff_path],
                cwd=work_dir,
                env=engine_client.engine_environment(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                creationflags=_creation_flags(),
            )
    except OSError as err:
        raise RenderError(f"Could not start the VTinker window ({command}): {err}") from err
    result_path = handoff["result_path"]
    if not os.path.exists(result_path):
        raise RenderError(
            f"The VTinker window closed without a result (exit status {code}). "
            f"{_tail(log_path)}".strip()
        )
    return read_result(result_path)


def read_result(path):
    """Read and check a result document.

    Returns:
        ``{"version": 1, "status": "cancelled"}`` or ``{"version": 1, "status": "rendered",
        "output": str, "first": int, "last": int, "fps": str or None}``.

    Raises:
        RenderError: unreadable or not in that form.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        raise RenderError(f"Cannot read the render result {path}: {err}") from err
    return check_result(data, path)


def check_result(data, where="the render result"):
    """``data`` if it is a valid result document; RenderError naming the problem otherwise."""

    def bad(why):
        return RenderError(f"{where} is not a valid VTinker result: {why}")

    if not isinstance(data, dict):
        raise bad("not a JSON object")
    if data.get("version") != RESULT_VERSION:
        raise bad("version {!r}, expected {}".format(data.get("version"), RESULT_VERSION))
    status = data.get("status")
    if status == "cancelled":
        return {"version": RESULT_VERSION, "status": "cancelled"}
    if status != "rendered":
        raise bad(f"status {status!r}, expected 'rendered' or 'cancelled'")
    output = data.get("output")
    if not isinstance(output, str) or not output:
        raise bad("no 'output' pattern")
    first, last = data.get("first"), data.get("last")
    for value in (first, last):
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad(f"'first' and 'last' must be frame numbers, got {first!r}, {last!r}")
    if last < first:
        raise bad(f"'last' ({last}) is before 'first' ({first})")
    fps = data.get("fps")
    if fps is not None and not isinstance(fps, str):
        fps = str(fps)
    return {
        "version": RESULT_VERSION,
        "status": "rendered",
        "output": output,
        "first": first,
        "last": last,
        "fps": fps,
    }


# ----------------------------------------------------------------------------- headless


def run_headless(engine_bin, job, work_dir, log=print):
    """Render ``job`` with ``vtinker render --job job.json --progress json`` and wait.

    Args:
        engine_bin: the engine environment's scripts folder (holding ``vtinker``).
        job: the job dict.
        work_dir: an existing folder for ``job.json`` and ``render.log``.
        log: where progress lines go (about ten per render, plus warnings).

    Returns:
        A ``rendered`` result document (same form as the window's).

    Raises:
        RenderError: the engine is missing, failed (its error message is kept), or rendered
            nothing.
    """
    command = find_command(engine_bin, ENGINE_COMMAND)
    if command is None:
        raise RenderError(
            "The VTinker engine ({}) was not found in {}. Run 'vtinker-install resolve' from "
            "the environment where VTinker is installed.".format(
                ENGINE_COMMAND, engine_bin or "the engine environment"
            )
        )
    job_path = os.path.join(work_dir, "job.json")
    write_json(job_path, job)
    log("rendering {}".format(job["output"]["path"]))
    command_line = engine_client.engine_command([command], job_path)
    try:
        result = engine_client.run_engine(
            command_line, on_record=lambda record: _report(record, log), cwd=work_dir
        )
    except engine_client.EngineStartError as err:
        raise RenderError(f"Could not start the VTinker engine ({command}): {err}") from err
    with open(os.path.join(work_dir, "render.log"), "w", encoding="utf-8") as log_file:
        log_file.write(result.stderr)
    if result.cancelled:
        return {"version": RESULT_VERSION, "status": "cancelled"}
    if not result.ok or result.error is not None:
        raise RenderError(
            f"The render failed (exit status {result.returncode}): {result.message}"
        )
    records = result.records
    starts = [r for r in records if r.get("event") == "start"]
    frames = [r["frame"] for r in records if r.get("event") == "frame" and "frame" in r]
    if starts and isinstance(starts[0].get("frames"), list) and len(starts[0]["frames"]) == 2:
        first, last = starts[0]["frames"]
    elif frames:
        first, last = min(frames), max(frames)
    else:
        raise RenderError(f"The engine finished but reported no frames. {result.message}")
    return check_result(
        {
            "version": RESULT_VERSION,
            "status": "rendered",
            "output": job["output"]["path"],
            "first": first,
            "last": last,
            "fps": job["output"].get("fps") or job["timing"].get("output_fps"),
        },
        "the engine's report",
    )


def _report(record, log):
    event = record.get("event")
    if event == "start":
        log("{} frames with {}".format(record.get("total"), record.get("engine")))
    elif event == "frame":
        done, total = record.get("done", 0), record.get("total", 0)
        step = max(1, total // 10)
        if done == total or done % step == 0:
            log("frame {} ({}/{})".format(record.get("frame"), done, total))
    elif event == "warning":
        log("warning: {}".format(record.get("message")))
    elif event == "done":
        log(
            "done: {} rendered, {} already there, {} s".format(
                record.get("rendered"), record.get("skipped"), record.get("seconds")
            )
        )


def _tail(path, lines=5):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read().strip().splitlines()
    except OSError:
        return ""
    if not text:
        return ""
    return "Last output: " + " | ".join(text[-lines:])
