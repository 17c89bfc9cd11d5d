"""Reading and writing frames: image files, frame sequences and video.

Example::

    from vtinker_core.io import open_source, write_frame, output_path

    with open_source("shots/plate.####.exr", frames="1001-1010") as source:
        for number in source.frames:
            frame = source.read(number)
            write_frame(output_path("out/retime.####.exr", number), frame)

The names below are re-exported lazily: ``from vtinker_core.io import parse_frame_range``
imports no image or video library; OpenImageIO and PyAV load on first use of a name that
needs them (see ARCHITECTURE.md, import-light core).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtinker_core.io.folders import prepare_output_folder
    from vtinker_core.io.images import FrameInfo, probe_frame, read_frame, write_frame
    from vtinker_core.io.sequences import (
        FrameSequence,
        check_sequence,
        expected_frames,
        find_sequence,
        format_frame_range,
        is_pattern,
        output_path,
        parse_frame_range,
    )
    from vtinker_core.io.sources import FrameSource, open_source
    from vtinker_core.io.video import VIDEO_EXTENSIONS, VideoInfo, VideoReader
    from vtinker_core.io.video_write import VideoWriter, plan_video_output, write_video

_MODULE_OF = {
    "FrameInfo": "images",
    "probe_frame": "images",
    "read_frame": "images",
    "write_frame": "images",
    "FrameSequence": "sequences",
    "check_sequence": "sequences",
    "expected_frames": "sequences",
    "find_sequence": "sequences",
    "format_frame_range": "sequences",
    "is_pattern": "sequences",
    "output_path": "sequences",
    "parse_frame_range": "sequences",
    "FrameSource": "sources",
    "open_source": "sources",
    "prepare_output_folder": "folders",
    "VIDEO_EXTENSIONS": "video",
    "VideoInfo": "video",
    "VideoReader": "video",
    "VideoWriter": "video_write",
    "plan_video_output": "video_write",
    "write_video": "video_write",
}

__all__ = [
    "VIDEO_EXTENSIONS",
    "FrameInfo",
    "FrameSequence",
    "FrameSource",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "check_sequence",
    "expected_frames",
    "find_sequence",
    "format_frame_range",
    "is_pattern",
    "open_source",
    "output_path",
    "parse_frame_range",
    "plan_video_output",
    "prepare_output_folder",
    "probe_frame",
    "read_frame",
    "write_frame",
    "write_video",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'vtinker_core.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"vtinker_core.io.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
