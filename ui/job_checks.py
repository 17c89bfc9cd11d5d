"""What the settings panel checks and reads out, without Qt: field checks, output length,
memory estimate, the output format table.

Example::

    errors = check_sections(job_data)          # every section's JobError, not just the first
    errors += check_extras(job_data, pipeline=ColorPipeline())
    output_length_text(job_data, range(1001, 1101))    # "199 frames (1001–1199) from 100 ..."
    memory_estimate_text("classical", None, "float32", (2160, 4096), tile_size=1024, overlap=64)

Every problem is a :class:`~vtinker_core.errors.JobError` whose ``setting`` names the job field
(``timing.speed``, ``tiles.overlap`` ...), so the panel can show it next to that field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from vtinker_core.errors import JobError, VTinkerError

#: The frame size (height, width) the memory estimate assumes until a source is opened.
ASSUMED_FRAME_SIZE = (1080, 1920)

#: Output formats: extension → (label, bit depths offered, compressions offered).
OUTPUT_FORMATS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "exr": (
        "OpenEXR",
        ("half", "float"),
        ("zip", "zips", "piz", "pxr24", "rle", "dwaa", "dwab", "b44", "none"),
    ),
    "dpx": ("DPX", ("uint10", "uint8", "uint12", "uint16"), ()),
    "tif": ("TIFF", ("uint16", "uint8", "float"), ("zip", "lzw", "none")),
    "png": ("PNG", ("uint8", "uint16"), ()),
    "jpg": ("JPEG", ("uint8",), ()),
    "mp4": ("MP4 video", (), ()),
    "mov": ("QuickTime video", (), ()),
}
#: The bit depth each format writes when the job says none (see ``io.images.write_frame``).
DEFAULT_DEPTHS = {"exr": "half", "dpx": "uint10", "tif": "uint16", "png": "uint8", "jpg": "uint8"}
DEPTH_LABELS = {
    "half": "16-bit half float",
    "float": "32-bit float",
    "uint8": "8-bit",
    "uint10": "10-bit",
    "uint12": "12-bit",
    "uint16": "16-bit",
}
_EXTENSION_ALIASES = {"tiff": "tif", "jpeg": "jpg"}


def format_of(path: str) -> str:
    """The output format key of a path: its extension, lower case (``tiff`` → ``tif``)."""
    ext = Path(path).suffix.lower().lstrip(".")
    return _EXTENSION_ALIASES.get(ext, ext)


def optional_float(text: str, setting: str) -> float | None:
    """A number from a text field, None when blank; JobError naming ``setting`` otherwise."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return float(stripped)
    except ValueError:
        raise JobError(f"{setting}: {stripped!r} is not a number", setting=setting) from None


def cut_list(text: str) -> list[int]:
    """The cut list field (``"1012, 1040"``); JobError naming ``cuts.frames``."""
    from vtinker_core.cuts import parse_cuts

    try:
        return parse_cuts(text)
    except JobError as err:
        raise JobError(err.message, setting="cuts.frames") from err


def check_sections(data: dict[str, Any], *, skip_timing: bool = False) -> list[JobError]:
    """Every problem of a job object, by the job's one validator
    (:func:`vtinker_core.job.check_job`), so each bad field is reported.

    Args:
        data: the job object (as the panel collects it).
        skip_timing: leave the timing out (its fields already failed to parse).
    """
    from vtinker_core.job import check_job

    problems = check_job(data)
    if skip_timing:
        problems = [p for p in problems if not (p.setting or "").startswith("timing")]
    return problems


def check_extras(
    data: dict[str, Any],
    *,
    pipeline: Any = None,
    pipeline_error: str | None = None,
    source_error: str | None = None,
) -> list[JobError]:
    """Checks of the job against this machine that a panel can make as you type: the
    colourspaces exist in the OCIO config, the engine (and its checkpoint) can be found, the
    source opened.

    Args:
        data: the job object.
        pipeline: the loaded :class:`~vtinker_core.color.ColorPipeline`, if any.
        pipeline_error: why the OCIO config did not load, if it did not.
        source_error: why the source did not open, if it did not.
    """
    errors: list[JobError] = []
    if source_error:
        errors.append(JobError(source_error, setting="input.path"))
    if pipeline_error:
        errors.append(JobError(pipeline_error, setting="ocio"))
    elif pipeline is not None:
        for setting in ("input.colorspace", "output.colorspace"):
            section, key = setting.split(".")
            name = data[section][key]
            if name:
                try:
                    pipeline.resolve_colorspace(name, setting=setting)
                except VTinkerError as err:
                    errors.append(JobError(str(err), setting=setting))
    engine = data["engine"]
    try:
        from vtinker_core.engines import choose_engine

        choose_engine(str(engine["name"]), engine["checkpoint"])
    except VTinkerError as err:
        errors.append(JobError(str(err), setting=err.setting or "engine.name"))
    return errors


def output_length_text(
    data: dict[str, Any], frames: Sequence[int] | None, detected_cuts: Iterable[int] = ()
) -> str:
    """The output length read-out of a job over the source frames.

    Returns:
        e.g. ``"9 frames (1–9) from 5 source frames, 4 interpolated"``, or a dash with a hint
        when the source frames are not known yet.

    Raises:
        JobError: the timing cannot map these frames (``setting`` names the field).
    """
    from vtinker_core.job import InputSpec, OutputSpec, RenderJob, TimingSpec, plan_samples

    if not frames:
        return "— (open the source to see the output length)"
    job = RenderJob(
        InputSpec("source"),
        OutputSpec("output.exr", start=data["output"]["start"]),
        TimingSpec.from_dict(data["timing"]),
    )
    cuts = set(detected_cuts) | set(data["cuts"]["frames"] or [])
    samples = plan_samples(job, list(frames), sorted(cuts))
    first, last = samples[0].output_frame, samples[-1].output_frame
    made = sum(1 for s in samples if not s.is_copy)
    return (
        f"{len(samples)} frames ({first}–{last}) from {len(frames)} source frames, "
        f"{made} interpolated"
    )


def resolved_engine(name: str, checkpoint: str | None) -> str:
    """The engine a name runs (``auto`` resolved; ``classical`` when that fails)."""
    if name != "auto":
        return name
    try:
        from vtinker_core.engines import choose_engine

        return choose_engine("auto", checkpoint).name
    except VTinkerError:
        return "classical"


def auto_engine_note(name: str, checkpoint: str | None) -> str:
    """What ``auto`` resolves to, and why ("" for an explicit engine)."""
    if name != "auto":
        return ""
    try:
        from vtinker_core.engines import choose_engine

        return choose_engine("auto", checkpoint).summary
    except VTinkerError:
        return ""


def memory_estimate_text(
    engine: str,
    checkpoint: str | None,
    precision: str,
    frame_size: tuple[int, int] | None,
    *,
    tile_size: int | None,
    overlap: int,
) -> str:
    """The memory read-out: :func:`~vtinker_core.memory.estimate_memory` of a tile (or of
    the whole frame for ``auto``) × the engine's own memory per pixel
    (:meth:`~vtinker_core.engines.Engine.memory_per_pixel`).

    Args:
        engine: the engine name (``auto`` is resolved).
        checkpoint: the checkpoint setting (for ``auto``).
        precision: ``float32`` or a half precision (halves the network's need).
        frame_size: (height, width) of the source, or None (then
            :data:`ASSUMED_FRAME_SIZE`, said in the text).
        tile_size: the tile size, or None for ``auto``.
        overlap: the tile overlap in pixels.
    """
    from vtinker_core.engines import engine_class
    from vtinker_core.memory import estimate_memory, format_bytes

    name = resolved_engine(engine, checkpoint)
    try:
        bpp = engine_class(name).memory_per_pixel(precision)  # the engine says what it needs
    except VTinkerError:
        return f"— ({name} is not available here)"
    height, width = frame_size or ASSUMED_FRAME_SIZE
    assumed = "" if frame_size else f" (assuming {width}×{height})"
    if tile_size is None:
        whole = estimate_memory(height, width, bpp)
        return (
            f"whole frame ≈ {format_bytes(whole)}{assumed}; auto picks tiles that fit "
            f"half the free memory ({name}, {bpp:g} B/px)"
        )
    side_h = min(tile_size + 2 * overlap, height)
    side_w = min(tile_size + 2 * overlap, width)
    per_tile = estimate_memory(side_h, side_w, bpp)
    return f"≈ {format_bytes(per_tile)} per tile{assumed} ({name}, {bpp:g} B/px)"
