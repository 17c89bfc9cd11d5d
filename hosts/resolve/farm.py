"""Render on the farm: write the job and an Open Job Description bundle; import the frames once
they exist (a later run of the action finds them).

Example::

    summary = retime_on_farm(engine_bin, media_pool, project, timeline, item, info, options)
    summary["status"]   # "submitted" (bundle written), "pending" (not all frames yet) or
                        # "rendered" (the frames were there: imported and placed)

The default output folder is ``<source folder>_vtinker/`` beside the source folder, not
inside it: the core refuses a farm job whose output folder lies inside its source folder
(``vtinker farm bundle``). A later run of the action on the same clip with the same settings
finds the job it wrote there (same input, frames, timing, engine and format), asks
``vtinker farm verify`` whether every frame is written and readable, and then imports them.
"""

import json
import os
import re

from .bring import bring_in
from .errors import RenderError
from .handoff import ENGINE_COMMAND, engine_client, find_command, write_json
from .job import base_name, build_job

FARM_SUFFIX = "_vtinker"
_VERSIONED = re.compile(r"_vtinker_v\d{3,}$")


def farm_output_parent(info):
    """``<source folder>_vtinker``: beside the source folder, not inside it."""
    source_dir = os.path.dirname(info["pattern"]) or os.curdir
    return os.path.normpath(os.path.abspath(source_dir)) + FARM_SUFFIX


def _comparable(job):
    output = job.get("output", {})
    return {
        "input": job.get("input"),
        "timing": job.get("timing"),
        "engine": (job.get("engine") or {}).get("name"),
        "format": os.path.splitext(output.get("path", ""))[1],
        "bit_depth": output.get("bit_depth"),
        "fps": output.get("fps"),
    }


def _job_path(folder):
    return os.path.join(folder, os.path.basename(folder) + ".job.json")


def find_farm_render(parent, job):
    """``(folder, job file)`` of an earlier farm job under ``parent`` equal to ``job`` (apart
    from its versioned output folder), the newest first; None when there is none."""
    wanted = _comparable(job)
    prefix = base_name_of(job) + FARM_SUFFIX
    try:
        names = sorted(os.listdir(parent), reverse=True)
    except OSError:
        return None
    for name in names:
        if not (name.startswith(prefix) and _VERSIONED.search(name)):
            continue
        folder = os.path.join(parent, name)
        try:
            with open(_job_path(folder), encoding="utf-8") as handle:
                earlier = json.load(handle)
        except (OSError, ValueError):
            continue
        if _comparable(earlier) == wanted:
            return folder, _job_path(folder)
    return None


def base_name_of(job):
    """The ``<base>`` of ``<base>_vtinker_vNNN`` in a job this adapter wrote."""
    folder = os.path.basename(os.path.dirname(job["output"]["path"]))
    return _VERSIONED.sub("", folder)


def output_frames(pattern):
    """The frame numbers of ``pattern`` (``####``) that exist on disk, ascending."""
    folder, name = os.path.split(pattern)
    match = re.search(r"#+", name)
    if match is None:
        return []
    head, tail = re.escape(name[: match.start()]), re.escape(name[match.end() :])
    numbered = re.compile(f"^{head}(-?\\d+){tail}$")
    try:
        found = [numbered.match(entry) for entry in os.listdir(folder)]
    except OSError:
        return []
    return sorted(int(m.group(1)) for m in found if m)


def _vtinker(engine_bin):
    command = find_command(engine_bin, ENGINE_COMMAND)
    if command is None:
        raise RenderError(
            f"The VTinker engine ({ENGINE_COMMAND}) was not found in "
            f"{engine_bin or 'the engine environment'}. Run 'vtinker-install resolve' from the "
            "environment where VTinker is installed."
        )
    return command


def retime_on_farm(engine_bin, media_pool, project, timeline, item, info, options):
    """Write a farm bundle for the clip, or import the frames an earlier one rendered.

    Args:
        engine_bin: the engine environment's scripts folder (holding ``vtinker``).
        media_pool, project, timeline, item: as the action read them.
        info: the clip (:func:`vtinker_hosts.resolve.clip.read_current_clip`).
        options: the action's options (``output_dir``, ``engine``, ``chunk_size``,
            ``placement``, ``log``).

    Returns:
        A summary: ``status`` (``submitted``, ``pending`` or ``rendered``), ``ui``
        (``farm``), ``clip``, ``folder`` (the output folder), ``bundle``, ``job``,
        ``message`` and ``warnings``; a ``rendered`` one also has the fields of
        :func:`vtinker_hosts.resolve.bring.bring_in`.

    Raises:
        RenderError: the engine is missing or refused the job (its one error line).
    """
    log = options.log
    vtinker = _vtinker(engine_bin)
    parent = options.output_dir or farm_output_parent(info)
    job = build_job(info, output_dir=parent, engine=options.engine)
    summary = {"ui": "farm", "clip": info["name"], "warnings": list(info["warnings"])}
    found = find_farm_render(parent, job)
    if found is not None:
        folder, job_path = found
        with open(job_path, encoding="utf-8") as handle:
            job = json.load(handle)
        bundle = folder + "_farm"
        summary.update(folder=folder, bundle=bundle, job=job_path)
        check = engine_client.run_farm(engine_client.farm_verify_command([vtinker], job_path))
        if not check.ok:
            summary.update(status="pending", message=check.message)
            log(f"the farm render in {folder} is not complete: {check.message}")
            return summary
        frames = output_frames(job["output"]["path"])
        if not frames:
            raise RenderError(f"The farm job {job_path} checks complete but has no frames.")
        result = {
            "output": job["output"]["path"],
            "first": frames[0],
            "last": frames[-1],
            "fps": job["output"].get("fps"),
        }
        log(f"the farm rendered {folder}: importing it")
        placed = bring_in(media_pool, project, timeline, item, info, result, options.placement, log)
        placed["warnings"] = summary["warnings"] + placed["warnings"]
        summary.update(placed, status="rendered", message="")
        return summary
    folder = os.path.dirname(job["output"]["path"])
    os.makedirs(folder, exist_ok=True)
    job_path = _job_path(folder)
    write_json(job_path, job)
    bundle = folder + "_farm"
    name = f"{base_name(info)} retime {os.path.basename(folder)[-4:]}"
    command = engine_client.farm_bundle_command(
        [vtinker], job_path, bundle, chunk_size=options.chunk_size, name=name
    )
    result = engine_client.run_farm(command)
    if not result.ok:
        raise RenderError(f"No farm bundle written: {result.message}")
    for note in result.notes:
        log(note)
    summary.update(
        status="submitted",
        folder=folder,
        bundle=result.folder or bundle,
        job=job_path,
        output=job["output"]["path"],
        message="",
    )
    return summary
