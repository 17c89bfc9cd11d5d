"""The OpenJD job template of a farm bundle: a chunked render step, then a check step.

Example::

    template = build_template(settings)          # a dict, written as template.yaml
    values = parameter_values(settings)          # the parameter_values.yaml document

The template follows the ``jobtemplate-2023-09`` schema with the ``TASK_CHUNKING`` extension
(OpenJD RFC 0001): the render step's one task parameter, ``Chunk``, is a ``CHUNK[INT]`` over
the output frames (``{{Param.Frames}}``) in contiguous chunks of ``{{Param.ChunkSize}}``, so
``{{Task.Param.Chunk}}`` expands to a range such as ``1001-1010``: each task runs ``vtinker
render SOURCE --job JOB --output OUTPUT --frames 1001-1010 --progress openjd``. Every job
parameter has a default, so ``openjd run template.yaml`` runs it as it stands. Folders are
PATH parameters (``objectType``, ``dataFlow``), so a farm's path mapping and AWS Deadline
Cloud's job attachments apply to them; file names are STRING parameters beside them, because a
pattern such as ``sh010.####.exr`` names no file to upload.

OpenJD runners (``openjd run``, Deadline Cloud) accept a PATH default only relative to the
template's folder and inside it, so each folder's default is ``.`` (the bundle) and its name's
default reaches the file from there (``../plates/sh010.####.exr``); ``parameter_values.yaml``
gives the real folders and names, which farms submit and map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BundleSettings", "FileLocation", "build_template", "parameter_values"]

SPECIFICATION_VERSION = "jobtemplate-2023-09"
RENDER_STEP = "Render"
CHECK_STEP = "Check"
_GROUP = "VTinker Retime"
# Parameters whose value is the bundle's own file: left out of parameter_values.yaml, so
# Deadline Cloud resolves the relative default inside the bundle folder.
_BUNDLE_FILES = ("JobFile",)


@dataclass(frozen=True)
class FileLocation:
    """A file (or frame pattern) the tasks use, as a folder parameter and a name parameter.

    Attributes:
        folder: the folder's PATH parameter value (absolute): what farms submit and map.
        name: the file or pattern name in it.
        default_name: the name's default: the file reached from the bundle folder (the
            folder parameter's default, ``.``), e.g. ``../plates/sh010.####.exr``.
    """

    folder: str
    name: str
    default_name: str


@dataclass(frozen=True)
class BundleSettings:
    """What the template needs to know.

    Attributes:
        name: the job's name on the farm (1 to 128 characters).
        description: one paragraph shown by farm monitors and ``openjd summary``.
        frames: the output frames as an OpenJD range expression (``1001-1100``).
        chunk_size: output frames per task, 1 to 150.
        vtinker: the ``vtinker`` command on the workers.
        device: the job's device (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``).
        source: the source frames.
        output: the output frames.
        checkpoint: the VTinker checkpoint, when the network runs.
        ocio_config: the OCIO config file, when the job uses a file.
        job_file: the job JSON, relative to the bundle folder.
        cancel_seconds: how long a cancelled task may take to finish its current frame.
    """

    name: str
    description: str
    frames: str
    chunk_size: int
    vtinker: str
    device: str
    source: FileLocation
    output: FileLocation
    checkpoint: FileLocation | None = None
    ocio_config: FileLocation | None = None
    job_file: str = "job.json"
    cancel_seconds: int = 120


def build_template(settings: BundleSettings) -> dict[str, Any]:
    """The job template as plain data (see the module docstring)."""
    return {
        "specificationVersion": SPECIFICATION_VERSION,
        "extensions": ["TASK_CHUNKING"],
        "name": settings.name,
        "description": settings.description,
        "parameterDefinitions": _parameters(settings),
        "steps": [_render_step(settings), _check_step(settings)],
    }


def parameter_values(settings: BundleSettings) -> dict[str, Any]:
    """The Deadline Cloud ``parameter_values.yaml`` document, ``parameterValues: [{name,
    value}, ...]``: the real folders and names, every other parameter at its default. The job
    file is left out, so Deadline Cloud resolves its default inside the bundle folder."""
    values = [
        {"name": p["name"], "value": p["default"]}
        for p in _parameters(settings)
        if p["name"] not in _BUNDLE_FILES
    ]
    real = {}
    for prefix, location in _locations(settings):
        real[f"{prefix}Folder"] = location.folder
        real[f"{prefix}Name"] = location.name
    for value in values:
        value["value"] = real.get(value["name"], value["value"])
    return {"parameterValues": values}


# ------------------------------------------------------------------------------- parameters


def _ui(control: str, label: str) -> dict[str, str]:
    return {"control": control, "label": label, "groupLabel": _GROUP}


def _string(name: str, default: str, label: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "STRING",
        "description": description,
        "default": default,
        "minLength": 1,
        "userInterface": _ui("LINE_EDIT", label),
    }


def _path(
    name: str, default: str, label: str, description: str, *, kind: str, flow: str
) -> dict[str, Any]:
    if kind == "FILE":
        control = "CHOOSE_OUTPUT_FILE" if flow == "OUT" else "CHOOSE_INPUT_FILE"
    else:
        control = "CHOOSE_DIRECTORY"
    return {
        "name": name,
        "type": "PATH",
        "description": description,
        "default": default,
        "minLength": 1,
        "objectType": kind,
        "dataFlow": flow,
        "userInterface": _ui(control, label),
    }


_LABELS = {
    "Input": ("Source", "the source frames", "IN"),
    "Output": ("Output", "the retimed frames", "OUT"),
    "Checkpoint": ("Checkpoint", "the VTinker network's weights", "IN"),
    "Ocio": ("OCIO config", "the OpenColorIO config", "IN"),
}


def _locations(s: BundleSettings) -> list[tuple[str, FileLocation]]:
    found = [("Input", s.source), ("Output", s.output)]
    if s.checkpoint is not None:
        found.append(("Checkpoint", s.checkpoint))
    if s.ocio_config is not None:
        found.append(("Ocio", s.ocio_config))
    return found


def _parameters(s: BundleSettings) -> list[dict[str, Any]]:
    params = [
        _string("Frames", s.frames, "Frames", "Output frames to render, e.g. 1001-1100."),
        {
            "name": "ChunkSize",
            "type": "INT",
            "description": "Output frames per task (contiguous chunks).",
            "default": s.chunk_size,
            "minValue": 1,
            "maxValue": 150,
            "userInterface": {
                "control": "SPIN_BOX",
                "label": "Frames per task",
                "groupLabel": _GROUP,
            },
        },
        _string(
            "VTinker",
            s.vtinker,
            "vtinker command",
            "The vtinker command on the workers (a name on their PATH, or a full path).",
        ),
        _string("Device", s.device, "Device", "auto, cpu, cuda, cuda:N or mps."),
        _path("JobFile", s.job_file, "Job file", "The VTinker job JSON.", kind="FILE", flow="IN"),
    ]
    for prefix, location in _locations(s):
        label, what, flow = _LABELS[prefix]
        params.append(
            _path(
                f"{prefix}Folder",
                ".",
                f"{label} folder",
                f"The folder of {what} (default: this bundle's folder; parameter_values.yaml "
                "holds the real one).",
                kind="DIRECTORY",
                flow=flow,
            )
        )
        params.append(
            _string(
                f"{prefix}Name",
                location.default_name,
                f"{label} name",
                f"The file or frame pattern of {what} in its folder.",
            )
        )
    return params


# ------------------------------------------------------------------------------------ steps


_INPUT = "{{Param.InputFolder}}/{{Param.InputName}}"
_OUTPUT = "{{Param.OutputFolder}}/{{Param.OutputName}}"


def _file_args(s: BundleSettings) -> list[str]:
    """The checkpoint and OCIO config as this worker sees them (path-mapped)."""
    args: list[str] = []
    if s.checkpoint is not None:
        args += ["--checkpoint", "{{Param.CheckpointFolder}}/{{Param.CheckpointName}}"]
    if s.ocio_config is not None:
        args += ["--ocio", "{{Param.OcioFolder}}/{{Param.OcioName}}"]
    return args


def _render_step(s: BundleSettings) -> dict[str, Any]:
    return {
        "name": RENDER_STEP,
        "description": "Retime one contiguous chunk of output frames.",
        "parameterSpace": {
            "taskParameterDefinitions": [
                {
                    "name": "Chunk",
                    "type": "CHUNK[INT]",
                    "range": "{{Param.Frames}}",
                    "chunks": {
                        "defaultTaskCount": "{{Param.ChunkSize}}",
                        "rangeConstraint": "CONTIGUOUS",
                    },
                }
            ]
        },
        "script": {
            "actions": {
                "onRun": {
                    "command": "{{Param.VTinker}}",
                    "args": [
                        "render",
                        _INPUT,
                        "--job",
                        "{{Param.JobFile}}",
                        "--output",
                        _OUTPUT,
                        "--frames",
                        "{{Task.Param.Chunk}}",
                        "--device",
                        "{{Param.Device}}",
                        *_file_args(s),
                        "--progress",
                        "openjd",
                    ],
                    "cancelation": {
                        "mode": "NOTIFY_THEN_TERMINATE",
                        "notifyPeriodInSeconds": s.cancel_seconds,
                    },
                }
            }
        },
    }


def _check_step(s: BundleSettings) -> dict[str, Any]:
    return {
        "name": CHECK_STEP,
        "description": "Check that every output frame exists and is readable.",
        "dependencies": [{"dependsOn": RENDER_STEP}],
        "script": {
            "actions": {
                "onRun": {
                    "command": "{{Param.VTinker}}",
                    "args": [
                        "farm",
                        "verify",
                        "{{Param.JobFile}}",
                        "--input",
                        _INPUT,
                        "--output",
                        _OUTPUT,
                        "--frames",
                        "{{Param.Frames}}",
                        "--progress",
                        "openjd",
                    ],
                }
            }
        },
    }
