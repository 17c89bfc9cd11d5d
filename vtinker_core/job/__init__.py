"""The render job: one versioned JSON document that says everything a render needs.

The same document is written by the Qt window, the Nuke node and the Resolve action, and read
by ``vtinker render --job job.json``; command-line flags build the same object. Example::

    {
      "version": 1,
      "input":  {"path": "plates/shot.####.exr", "frames": "1001-1100", "colorspace": null},
      "output": {"path": "retime/shot.####.exr", "bit_depth": "half", "compression": "zip",
                 "colorspace": null, "start": null, "fps": null, "vectors": false},
      "timing": {"mode": "speed", "speed": 0.5, "centre_samples": false},
      "shutter": {"samples": 9, "time": 0.5, "offset": "centred", "auto": false},
      "cuts":   {"detect": false, "threshold": null, "frames": []},
      "tiles":  {"size": "auto", "overlap": 64},
      "engine": {"name": "auto", "checkpoint": null, "device": "auto", "precision": "float32"},
      "ocio": null,
      "sanitize": false
    }

``null`` means "the sensible default": the input colourspace from the file, the output
colourspace by :mod:`vtinker_core.color_plan`, output numbering from the first input frame, the
output frame rate from the timing. A video output may add ``"codec"``; an EXR output
``"matte": true`` and a ``"layer_prefix"`` for the added layers. ``shutter`` (motion blur) and
``motion`` (``{"vectors_from", "source", "detail", "smoothness"}``: where motion comes from)
are written only when they differ from the default (no blur; motion estimated on the input).

The format is a JSON Schema shipped in the package (:func:`job_schema`, file
``vtinker_core/schemas/job-1.schema.json``); :func:`check_job` reports every problem at
once, each a :class:`~vtinker_core.errors.JobError` whose ``setting`` is the field's dotted
name (``timing.speed``, ``output.path`` ...)::

    problems = check_job(data)                  # [] when valid
    job = RenderJob.from_dict(data)             # or JobError naming every bad field
    job = read_job("job.json"); write_job(job, "copy.json")
    samples = plan_samples(job, range(1001, 1101))
"""

from vtinker_core.job.check import (
    SCHEMA_FILE,
    check_job,
    check_section,
    job_schema,
    schema_choices,
)
from vtinker_core.job.files import read_job, write_job
from vtinker_core.job.model import (
    JOB_VERSION,
    CutSpec,
    EngineSpec,
    InputSpec,
    MotionSpec,
    OutputSpec,
    RenderJob,
    ShutterSpec,
    TileSettings,
    TimingMode,
    TimingSpec,
    fps_text,
)
from vtinker_core.job.plan import plan_samples

#: Choices of enumerated fields, as the schema lists them.
PRECISIONS = schema_choices("engine.precision")
OUTPUT_BIT_DEPTHS = schema_choices("output.bit_depth")

__all__ = [
    "JOB_VERSION",
    "OUTPUT_BIT_DEPTHS",
    "PRECISIONS",
    "SCHEMA_FILE",
    "CutSpec",
    "EngineSpec",
    "InputSpec",
    "MotionSpec",
    "OutputSpec",
    "RenderJob",
    "ShutterSpec",
    "TileSettings",
    "TimingMode",
    "TimingSpec",
    "check_job",
    "check_section",
    "fps_text",
    "job_schema",
    "plan_samples",
    "read_job",
    "schema_choices",
    "write_job",
]
