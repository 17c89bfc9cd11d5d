"""Renders on a farm: Open Job Description bundles, chunked, resumable, identical to a local render.

Example::

    from vtinker_core.farm import verify_outputs, write_bundle
    from vtinker_core.job import read_job

    bundle = write_bundle(read_job("job.json"), Path("sh010_farm"), chunk_size=10)
    # openjd run sh010_farm/template.yaml  |  deadline bundle submit sh010_farm
    verify_outputs(bundle.farm_job.job).ok     # True once every chunk has run

A bundle is ``template.yaml`` (``jobtemplate-2023-09`` with ``TASK_CHUNKING``: a render step
over contiguous chunks of output frames, then a check step), ``parameter_values.yaml`` (the AWS
Deadline Cloud bundle layout) and ``job.json``. Each task runs ``vtinker render --job job.json
--frames <chunk> --progress openjd``; renders skip finished frames and write atomically, and
chunks of one job share the output folder (:mod:`vtinker_core.render_lock`), so re-queued or
duplicated tasks are harmless.

Modules: :mod:`~vtinker_core.farm.prepare` (the checks, and what is settled in the job),
:mod:`~vtinker_core.farm.cost` (cost estimate → chunk size), :mod:`~vtinker_core.farm.template`
(the OpenJD template), :mod:`~vtinker_core.farm.bundle` (writing it),
:mod:`~vtinker_core.farm.verify` (the check), :mod:`~vtinker_core.farm.cli` (``vtinker farm``).
Names are re-exported lazily, so ``vtinker --help`` loads no image library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtinker_core.farm.bundle import FarmBundle, default_vtinker_command, write_bundle
    from vtinker_core.farm.cost import CostEstimate, default_chunk_size, estimate_cost
    from vtinker_core.farm.prepare import FarmJob, openjd_range, prepare_farm_job
    from vtinker_core.farm.verify import VerifyResult, verify_outputs

_MODULE_OF = {
    "FarmBundle": "bundle",
    "default_vtinker_command": "bundle",
    "write_bundle": "bundle",
    "CostEstimate": "cost",
    "default_chunk_size": "cost",
    "estimate_cost": "cost",
    "FarmJob": "prepare",
    "openjd_range": "prepare",
    "prepare_farm_job": "prepare",
    "VerifyResult": "verify",
    "verify_outputs": "verify",
}

__all__ = [
    "CostEstimate",
    "FarmBundle",
    "FarmJob",
    "VerifyResult",
    "default_chunk_size",
    "default_vtinker_command",
    "estimate_cost",
    "openjd_range",
    "prepare_farm_job",
    "verify_outputs",
    "write_bundle",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'vtinker_core.farm' has no attribute {name!r}")
    return getattr(importlib.import_module(f"vtinker_core.farm.{module}"), name)
