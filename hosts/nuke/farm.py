"""The Write Farm Bundle button: the node's job and an Open Job Description bundle beside it.

Example (Nuke's main thread)::

    import vtinker_hosts.nuke.farm as farm
    bundle = farm.write_farm_bundle(nuke.toNode("VTinkerRetime1"))
    bundle.folder          # "/shots/vtinker/sh010/VTinkerRetime1_farm"
    # deadline bundle submit <folder>, or: openjd run <folder>/template.yaml

The bundle is the core's (``vtinker farm bundle JOB -o DIR``): a render step over chunks of
output frames (``vtinker render --job job.json --frames <chunk>``) and a check step. Paths are
the evaluated ones (TCL and environment expanded). A node whose input Nuke must render first (a
comp tree, a movie, a Read the engine cannot read with its colourspace) is refused with a
message: the core's bundle has no step that runs Nuke (``nuke -x``) before the retime, so the
workers would not have the frames. Point the node at a Read of rendered frames, or press Render.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtinker_hosts.engine_client import (
    EngineStartError,
    farm_bundle_command,
    run_farm,
)
from vtinker_hosts.nuke._nuke import is_gui, load_nuke
from vtinker_hosts.nuke.config import default_engine_executable
from vtinker_hosts.nuke.job import build_job, output_paths, write_job_file
from vtinker_hosts.nuke.node import is_retime_node
from vtinker_hosts.nuke.settings import evaluated, read_settings
from vtinker_hosts.nuke.source import output_folder, plan_source

TITLE = "VTinker Retime"


class FarmBundleError(RuntimeError):
    """The bundle could not be written; ``str(err)`` says why and what to do."""


@dataclass(frozen=True)
class FarmBundle:
    """A bundle written for a node.

    Attributes:
        folder: the bundle folder (``template.yaml``, ``parameter_values.yaml``, ``job.json``).
        job_path: the node's job file beside the output.
        notes: the engine's notes and cost estimate (``vtinker farm: ...`` lines).
    """

    folder: str
    job_path: str
    notes: tuple[str, ...] = ()


def bundle_folder(job_path: Path) -> Path:
    """``<folder>/<node>.job.json`` → ``<folder>/<node>_farm``."""
    name = job_path.name[: -len(".job.json")] if job_path.name.endswith(".job.json") else "job"
    return job_path.with_name(f"{name}_farm")


def write_farm_bundle(node: Any, *, chunk_size: int | None = None) -> FarmBundle:
    """Write ``node``'s job and its farm bundle beside the node's output (main thread).

    Raises:
        FarmBundleError: the input needs Nuke to render it first, a setting cannot be used, or
            the engine refused the job (its one error line).
    """
    nuke = load_nuke()
    if not is_retime_node(node):
        raise FarmBundleError("select a VTinkerRetime node")
    try:
        settings = read_settings(node)
        folder = output_folder(nuke, node)
        pattern, job_path = output_paths(folder, node.name())
        plan = plan_source(nuke, node, settings, folder)
    except ValueError as err:
        raise FarmBundleError(str(err)) from err
    if plan.prerender:
        why = "; ".join(plan.notes) or "its input is not a Read of an image sequence"
        raise FarmBundleError(
            f"{node.name()}: no farm bundle written: {why}. The farm bundle cannot run Nuke to "
            "render the input first, so the workers would have no frames to retime. Render the "
            "input to EXR (a Write, then a Read of its files) and connect that Read, or press "
            "Render to retime on this machine."
        )
    try:
        write_job_file(build_job(settings, plan.source, pattern), job_path)
    except (ValueError, OSError) as err:
        raise FarmBundleError(str(err)) from err
    executable = evaluated(node, "engineExecutable") or default_engine_executable()
    script = Path(str(nuke.root().name() or "")).stem
    name = f"{script} {node.name()}".strip() if script and script != "Root" else node.name()
    command = farm_bundle_command(
        executable, job_path, bundle_folder(job_path), chunk_size=chunk_size, name=name
    )
    try:
        result = run_farm(command)
    except EngineStartError as err:
        raise FarmBundleError(
            f"{err}; set the engine executable on the VTinker tab (or run vtinker-install nuke)"
        ) from err
    if not result.ok or result.folder is None:
        raise FarmBundleError(f"{node.name()}: {result.message}")
    return FarmBundle(result.folder, str(job_path), tuple(result.notes))


def write_this_farm_bundle() -> FarmBundle | None:
    """The Write Farm Bundle button's command: writes it and says how to submit it."""
    nuke = load_nuke()
    node = nuke.thisNode()
    try:
        bundle = write_farm_bundle(node)
    except FarmBundleError as err:
        if not is_gui(nuke):
            raise
        nuke.message(f"{TITLE}: {err}")
        return None
    cost = [n for n in bundle.notes if "estimate" in n or "frames" in n]
    message = (
        f"{TITLE}: farm bundle written to\n{bundle.folder}\n\n"
        f"Submit it: deadline bundle submit {bundle.folder}\n"
        f"or run it here: openjd run {bundle.folder}/template.yaml\n"
        f"The frames appear in the node's output folder; press Render to show them."
    )
    if cost:
        message += "\n\n" + "\n".join(cost[:2])
    if is_gui(nuke):
        nuke.message(message)
    else:
        print(message)
    return bundle
