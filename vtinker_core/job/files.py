"""Job files: read (validated, every problem named) and write (atomically)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vtinker_core.errors import JobError
from vtinker_core.job.check import check_job, raise_problems
from vtinker_core.job.model import RenderJob

__all__ = ["read_job", "write_job"]


def read_job(path: str | Path) -> RenderJob:
    """Read and validate a job file.

    Raises:
        JobError: the file cannot be read or parsed, or the job is invalid: the message
            names the file and every bad field (``problems`` holds one error each).
    """
    job_path = Path(path)
    try:
        text = job_path.read_text(encoding="utf-8")
    except OSError as err:
        raise JobError(f"cannot read job file '{job_path}': {err.strerror}", path=job_path) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise JobError(
            f"job file '{job_path}' is not valid JSON: {err.msg} at line {err.lineno}",
            path=job_path,
        ) from err
    raise_problems(check_job(data), source=str(job_path))
    return RenderJob.from_dict(data)


def write_job(job: RenderJob, path: str | Path) -> None:
    """Write ``job`` as pretty JSON, atomically (a temporary file renamed into place)."""
    job_path = Path(path)
    tmp = job_path.with_name(f".{job_path.name}.tmp")
    tmp.write_text(json.dumps(job.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, job_path)
