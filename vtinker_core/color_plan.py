"""Which colourspaces a render reads and writes, and how it stores alpha.

Example::

    colors = plan_colors(job, first_frame, Path("plate.1001.png"))
    colors.input_cs, colors.output_cs      # "sRGB Encoded Rec.709 (sRGB)", "ACEScg" (EXR out)
    colors.output_straight                 # False: EXR keeps premultiplied alpha
    colors.header                          # "lin_ap1_scene": what the output headers say

The input colourspace is, in order: the job's ``input.colorspace``; for video, the one the
stream's colour tags describe (untagged: Rec.709, BT.1886, with a note); for EXR, the one its
header names (``colorInteropID``, as our outputs write it) when the config has it; else the
file type's default (:meth:`ColorPipeline.default_colorspace`).

The output colourspace is the job's ``output.colorspace``, else the input's when input and
output hold the same kind of values (both scene-linear, both log, or both display-referred:
video, PNG, JPEG, 8/16-bit TIFF), so nothing converts; else the output kind's default: EXR and
float TIFF get the config's ``scene_linear`` (what compositors expect in an EXR), DPX its log
space, video Rec.709 (BT.1886), other images sRGB.

Alpha: EXR (and DPX) store colour premultiplied by alpha; PNG, TIFF and video store it
straight. A render works premultiplied, in linear light, and writes each format's own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vtinker_core.color import ColorPipeline
from vtinker_core.colorspaces import (
    VideoTags,
    chromaticities,
    colorspace_for_video,
    header_name,
    resolve_file_colorspace,
    video_tags,
)
from vtinker_core.frame import Frame
from vtinker_core.job import RenderJob

if TYPE_CHECKING:
    from vtinker_core.io.video import VideoInfo

__all__ = ["ColorPlan", "plan_colors", "value_kind"]

_LINEAR = frozenset({".exr", ".sxr", ".hdr", ".rgbe", ".pfm"})
_LOG = frozenset({".dpx", ".cin"})
_FLOAT = frozenset({"half", "float", "double"})
#: Formats that store straight (unassociated) alpha.
STRAIGHT_ALPHA_EXTENSIONS = frozenset({".png", ".tif", ".tiff"})


@dataclass(frozen=True)
class ColorPlan:
    """The colour side of a render.

    Attributes:
        pipeline: the OCIO config and its processors.
        input_cs: the source's colourspace.
        output_cs: the colourspace written.
        output_straight: the output stores straight alpha (PNG, TIFF, video).
        notes: what the user should be told (e.g. an untagged video's assumed colourspace).
    """

    pipeline: ColorPipeline
    input_cs: str
    output_cs: str
    output_straight: bool = False
    notes: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """The output colourspace as file headers name it (interop id, else its name)."""
        return header_name(self.pipeline, self.output_cs)

    @property
    def chromaticities(self) -> tuple[float, ...] | None:
        """EXR chromaticities of the output colourspace, if its gamut is known."""
        return chromaticities(self.pipeline, self.output_cs)

    def video_tags(self, source: VideoInfo | None = None) -> VideoTags:
        """The colour tags of a video output: those of the output colourspace, and the
        source stream's own (matrix, range, SD primaries) where nothing converts."""
        tags = video_tags(self.pipeline, self.output_cs)
        if source is None:
            return tags
        theirs = source.tags
        same = self.output_cs == self.input_cs
        yuv = theirs.matrix != "gbr"
        return VideoTags(
            primaries=theirs.primaries if same and theirs.primaries else tags.primaries,
            transfer=theirs.transfer if same and theirs.transfer else tags.transfer,
            matrix=theirs.matrix if same and yuv and theirs.matrix else tags.matrix,
            color_range=(theirs.color_range if yuv else None) or tags.color_range,
        )


def value_kind(path: str | Path, bit_depth: str | None, *, video: bool = False) -> str:
    """What a file holds: ``linear`` (EXR, float TIFF...), ``log`` (DPX, Cineon) or ``display``."""
    suffix = Path(path).suffix.lower()
    if video:
        return "display"
    if suffix in _LINEAR or (bit_depth or "").lower() in _FLOAT:
        return "linear"
    if suffix in _LOG:
        return "log"
    return "display"


def plan_colors(
    job: RenderJob,
    first: Frame,
    first_path: Path,
    *,
    video_tags: VideoTags | None = None,
) -> ColorPlan:
    """The colourspaces and alpha convention of ``job`` (see the module docstring).

    Args:
        job: the render job.
        first: the first source frame (its bit depth and header).
        first_path: the file it came from.
        video_tags: the source stream's tags, when the input is a video.

    Raises:
        ColorConfigError: the config cannot be loaded, or a named colourspace is unknown.
        ImageWriteError: the output format cannot take ``output.bit_depth``.
    """
    pipeline = ColorPipeline(job.ocio)
    notes: list[str] = []
    is_video = video_tags is not None
    if job.input.colorspace:
        input_cs = pipeline.resolve_colorspace(job.input.colorspace, setting="input.colorspace")
    elif video_tags is not None:
        input_cs, note = colorspace_for_video(pipeline, video_tags)
        if note:
            notes.append(note)
    else:
        tagged = None
        if first_path.suffix.lower() in _LINEAR:
            tagged = resolve_file_colorspace(pipeline, first.meta.attributes.get("oiio:ColorSpace"))
        input_cs = tagged or pipeline.default_colorspace(first_path, first.meta.bit_depth)

    from vtinker_core.io import VIDEO_EXTENSIONS
    from vtinker_core.io.images import output_bit_depth

    output = Path(job.output.path)
    video_out = output.suffix.lower() in VIDEO_EXTENSIONS
    depth = None if video_out else output_bit_depth(output, job.output.bit_depth, first.meta)
    if job.output.colorspace:
        output_cs = pipeline.resolve_colorspace(job.output.colorspace, setting="output.colorspace")
    else:
        kind_in = value_kind(first_path, first.meta.bit_depth, video=is_video)
        kind_out = value_kind(output, depth, video=video_out)
        if kind_in == kind_out:
            output_cs = input_cs
        elif kind_out == "linear":
            output_cs = pipeline.scene_linear
        elif video_out:
            output_cs = colorspace_for_video(pipeline, VideoTags("bt709", "bt709", "bt709"))[0]
        else:
            output_cs = pipeline.default_colorspace(output, depth)
    straight = video_out or output.suffix.lower() in STRAIGHT_ALPHA_EXTENSIONS
    return ColorPlan(pipeline, input_cs, output_cs, straight, tuple(notes))
