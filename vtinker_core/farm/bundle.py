"""Write a farm bundle: an OpenJD job template, its parameter values and the job it runs.

Example::

    bundle = write_bundle(read_job("job.json"), Path("sh010_farm"))
    bundle.template_path        # sh010_farm/template.yaml
    bundle.chunk_size           # frames per task, from the cost estimate
    # then: openjd run sh010_farm/template.yaml          (this machine)
    #       deadline bundle submit sh010_farm            (AWS Deadline Cloud)

The folder is an AWS Deadline Cloud job bundle (``template.yaml``, ``parameter_values.yaml``)
and holds ``job.json``, the job settled by :func:`~vtinker_core.farm.prepare.prepare_farm_job`.
Any Open Job Description runner executes the template (see :mod:`vtinker_core.farm.template`).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from vtinker_core.errors import JobError, OutputFolderError
from vtinker_core.farm.cost import MAX_CHUNK_SIZE, CostEstimate, estimate_cost
from vtinker_core.farm.prepare import FarmJob, openjd_range, prepare_farm_job
from vtinker_core.farm.template import (
    BundleSettings,
    FileLocation,
    build_template,
    parameter_values,
)
from vtinker_core.farm.yaml_text import dump_yaml
from vtinker_core.job import RenderJob, write_job

__all__ = ["FarmBundle", "default_vtinker_command", "write_bundle"]

TEMPLATE_NAME = "template.yaml"
VALUES_NAME = "parameter_values.yaml"
JOB_NAME = "job.json"
_MAX_NAME = 128  # OpenJD's limit for a job name


@dataclass(frozen=True)
class FarmBundle:
    """A bundle on disk and what went into it.

    Attributes:
        folder: the bundle folder.
        template_path: its ``template.yaml``.
        values_path: its ``parameter_values.yaml``.
        job_path: its ``job.json`` (the settled job).
        farm_job: the settled job, its frames and size.
        cost: the cost estimate (and the chunk size used).
        name: the job's name on the farm.
        notes: what was settled in the job, and anything to know about the bundle.
    """

    folder: Path
    template_path: Path
    values_path: Path
    job_path: Path
    farm_job: FarmJob
    cost: CostEstimate
    name: str
    notes: tuple[str, ...]

    @property
    def chunk_size(self) -> int:
        """Output frames per task."""
        return self.cost.chunk_size


def default_vtinker_command() -> str:
    """The ``vtinker`` beside this Python (so ``openjd run`` here runs this very install),
    else the one on ``PATH``, else the bare name."""
    name = "vtinker.exe" if os.name == "nt" else "vtinker"
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return str(beside)
    found = shutil.which("vtinker")
    return found or "vtinker"


def write_bundle(
    job: RenderJob,
    folder: Path,
    *,
    chunk_size: int | None = None,
    name: str | None = None,
    frames: str | None = None,
    vtinker: str | None = None,
) -> FarmBundle:
    """Check ``job`` for a farm and write its bundle into ``folder``.

    Args:
        job: the render job (relative paths are relative to the current folder).
        folder: the bundle folder; created if needed, its three files replaced.
        chunk_size: output frames per task (1 to 150); default: from the cost estimate.
        name: the job's name on the farm; default ``VTinker retime <output name>``.
        frames: output frames to render (``1001-1050``); default: all of the job's.
        vtinker: the ``vtinker`` command on the workers; default
            :func:`default_vtinker_command` (right for ``openjd run`` here; farms whose
            workers have ``vtinker`` on their PATH want ``"vtinker"``).

    Returns:
        What was written.

    Raises:
        JobError: the job cannot run on a farm (one line; ``setting`` names the field), or
            ``chunk_size``/``name`` is out of range.
        OutputFolderError: ``folder`` is a file or cannot be written.
        VTinkerError: the source, colour config or checkpoint cannot be read.
    """
    if chunk_size is not None and not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise JobError(
            f"--chunk-size must be 1 to {MAX_CHUNK_SIZE} frames, got {chunk_size}",
            setting="chunk_size",
        )
    farm = prepare_farm_job(job, frames=frames)
    settled = farm.job
    cost = estimate_cost(
        settled.engine.name,
        settled.engine.device,
        width=farm.width,
        height=farm.height,
        frames=len(farm.frames),
        chunk_size=chunk_size,
    )
    output = Path(settled.output.path)
    title = name if name is not None else f"VTinker retime {output.name}"
    if not 1 <= len(title) <= _MAX_NAME:
        raise JobError(f"--name must be 1 to {_MAX_NAME} characters", setting="name")
    folder = _prepare_folder(folder)
    notes = list(farm.notes)
    ocio = settled.ocio if settled.ocio and not settled.ocio.startswith("ocio://") else None
    checkpoint = settled.engine.checkpoint
    settings = BundleSettings(
        name=title,
        description=(
            f"Retime of {Path(settled.input.path).name} into {output.name}, output frames "
            f"{openjd_range(farm.frames)}: {cost.describe()}. Written by vtinker farm bundle."
        ),
        frames=openjd_range(farm.frames),
        chunk_size=cost.chunk_size,
        vtinker=vtinker or default_vtinker_command(),
        device=settled.engine.device,
        source=_location(settled.input.path, folder, notes),
        output=_location(settled.output.path, folder, notes),
        checkpoint=None if checkpoint is None else _location(checkpoint, folder, notes),
        ocio_config=None if ocio is None else _location(ocio, folder, notes),
        job_file=JOB_NAME,
        cancel_seconds=_cancel_seconds(cost),
    )
    template = build_template(settings)
    comment = (
        "Open Job Description job template written by vtinker farm bundle.\n"
        "Run it here: openjd run template.yaml   Check it: openjd check template.yaml"
    )
    _write_text(folder / TEMPLATE_NAME, dump_yaml(template, comment=comment))
    _write_text(
        folder / VALUES_NAME,
        dump_yaml(
            parameter_values(settings),
            comment="Job parameter values (AWS Deadline Cloud job bundle layout);\n"
            "JobFile is left to its default, the job.json in this folder.",
        ),
    )
    write_job(settled, folder / JOB_NAME)
    return FarmBundle(
        folder,
        folder / TEMPLATE_NAME,
        folder / VALUES_NAME,
        folder / JOB_NAME,
        farm,
        cost,
        title,
        tuple(notes),
    )


def _location(path: str, bundle: Path, notes: list[str]) -> FileLocation:
    """``path`` as a folder and a name, and as reached from the bundle folder."""
    target = Path(path)
    try:
        default = os.path.relpath(target.parent.resolve() / target.name, bundle.resolve())
    except ValueError:  # another drive (Windows): no relative path
        default = str(target)
        notes.append(
            f"'{target}' is on another drive than the bundle: 'openjd run' here needs "
            f"-p for its folder and name (parameter_values.yaml has them)"
        )
    return FileLocation(str(target.parent), target.name, default)


def _cancel_seconds(cost: CostEstimate) -> int:
    """A cancelled task finishes its current frame: twice a frame's time, 30 s to 600 s
    (OpenJD's ``notifyPeriodInSeconds`` allows up to 600)."""
    return int(min(600, max(30, round(2 * cost.seconds_per_frame))))


def _prepare_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(
            f"cannot write the bundle into '{folder}': it is a file", path=folder, setting="bundle"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputFolderError(
            f"cannot create the bundle folder '{folder}': {err.strerror}",
            path=folder,
            setting="bundle",
        ) from err
    return folder


def _write_text(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(path)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise OutputFolderError(
            f"cannot write '{path}': {err.strerror}", path=path, setting="bundle"
        ) from err
