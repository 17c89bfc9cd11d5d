"""One way to open any input: a frame sequence, a single image or a video file.

Example::

    from vtinker_core.io.sources import open_source

    with open_source("shots/plate.####.exr", frames="1001-1100") as source:
        source.kind, source.file_type        # "sequence", "exr"
        source.first, source.last, source.fps  # 1001, 1100, Fraction(24) (None if untagged)
        frame = source.read(1050)            # a Frame

    with open_source("clip.mov") as source:  # video frames are numbered 0 .. n-1
        frame = source.read(0)

A spec is a sequence pattern (``####``, ``@@@@``, ``%04d``), one numbered file of a sequence
(``plate.1001.exr`` opens the whole sequence), a single image without a frame number
(``still.png``, frame 0), or a video file (``.mp4``, ``.mov``, ``.mkv``, ...). Sequences are
checked up front (holes between the first and last frame, frames of another size or channel
set), so a render fails before any work rather than at frame 1057. EXR frames whose data
windows differ (automatic bounding boxes) are read into the union of those windows.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Literal

from vtinker_core.errors import SequenceError
from vtinker_core.frame import Frame, FrameMeta, Window
from vtinker_core.io.images import FrameInfo, probe_frame, read_frame
from vtinker_core.io.sequences import (
    FrameSequence,
    check_sequence,
    expected_frames,
    find_sequence,
    format_frame_range,
    is_pattern,
    parse_frame_range,
)
from vtinker_core.io.video import VIDEO_EXTENSIONS, VideoInfo, VideoReader

__all__ = ["FrameSource", "SourceKind", "open_source"]

SourceKind = Literal["sequence", "video", "image"]


class FrameSource:
    """Numbered frames from one input, read on demand.

    Build one with :func:`open_source`. Close it (or use ``with``) to release a video file.

    Args:
        kind: ``sequence``, ``video`` or ``image``.
        frames: the frame numbers available, ascending (sequences: the numbers on disk;
            video: 0 .. n-1; a single image: 0).
        reader: reads one frame by number.
        path_of: the file holding a frame number (the video or image file itself, or the
            sequence's file for that frame).
        info: size, channels and metadata of the first frame.
        fps: frame rate when the input says it, else None.
        path_for_display: the pattern or file, as a person would write it.
        file_type: lower-case extension without the dot (``exr``, ``dpx``, ``mp4``).
        closer: releases the input's resources, if any.
        video: the stream's codec, depth, alpha and colour tags, for a video input.
    """

    def __init__(
        self,
        *,
        kind: SourceKind,
        frames: tuple[int, ...],
        reader: Callable[[int], Frame],
        path_of: Callable[[int], Path],
        info: FrameInfo,
        fps: Fraction | None,
        path_for_display: str,
        file_type: str,
        closer: Callable[[], None] | None = None,
        video: VideoInfo | None = None,
    ) -> None:
        if not frames:
            raise SequenceError(f"{path_for_display} has no frames", path=path_for_display)
        self.kind: SourceKind = kind
        self.frames = tuple(frames)
        self.info = info
        self.fps = fps
        self.path_for_display = path_for_display
        self.file_type = file_type
        self.video = video
        self._frame_set = frozenset(self.frames)
        self._reader = reader
        self._path_of = path_of
        self._closer = closer

    @property
    def first(self) -> int:
        """The first frame number."""
        return self.frames[0]

    @property
    def last(self) -> int:
        """The last frame number."""
        return self.frames[-1]

    def read(self, frame: int) -> Frame:
        """Frame number ``frame``.

        Raises:
            SequenceError: ``frame`` is not one of :attr:`frames`.
            ImageReadError, VideoError: the file could not be read.
        """
        self._check(frame)
        return self._reader(frame)

    def path(self, frame: int) -> Path:
        """The file holding frame ``frame`` (for a video or single image: that file)."""
        self._check(frame)
        return self._path_of(frame)

    def _check(self, frame: int) -> None:
        if frame not in self._frame_set:
            raise SequenceError(
                f"frame {frame} is not in {self.path_for_display} "
                f"(it has frames {format_frame_range(self.frames, separator=', ')})",
                path=self.path_for_display,
                frames=(frame,),
                frame=frame,
            )

    def close(self) -> None:
        """Release the input (a no-op for images and sequences)."""
        if self._closer is not None:
            self._closer()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"FrameSource({self.kind}, {self.path_for_display!r}, "
            f"frames {format_frame_range(self.frames)})"
        )


def open_source(spec: str | Path, frames: str | None = None) -> FrameSource:
    """Open a sequence, a single image or a video for reading frames by number.

    A numbered file (``plate.1001.exr``, also ``render_v2.png``) stands for its whole
    sequence, even when it is the only file of it; a file without a frame number before its
    extension is a single image, frame 0.

    Args:
        spec: a sequence pattern, one numbered file of a sequence, an image or a video file.
        frames: a frame range (``1001-1100``, ``1-10x2``, ``1,5,7``) to restrict to; every
            frame in it must exist. All frames when None.

    Returns:
        The source. Sequences have been checked: every frame exists and matches the first
        one's size and channels.

    Raises:
        SequenceError: no frames, frames missing or mismatched, or ``frames`` asks for frames
            the input does not have (``.frames`` lists them).
        FrameRangeError: ``frames`` does not parse.
        ImageReadError: a single image (or a folder given as one) cannot be read.
        VideoError: a video cannot be opened.
    """
    path = Path(spec)
    wanted = parse_frame_range(frames) if frames is not None else None
    if path.suffix.lower() in VIDEO_EXTENSIONS and not is_pattern(path):
        return _open_video(path, wanted)
    sequence = _sequence_of(path)
    if sequence is not None:
        return _open_sequence(sequence, wanted)
    info = probe_frame(path)  # a plain image, or a clear error for folders and missing files
    _check_wanted(wanted, (0,), str(path), path)
    return FrameSource(
        kind="image",
        frames=(0,),
        reader=lambda _frame: read_frame(path),
        path_of=lambda _frame: path,
        info=info,
        fps=info.meta.fps,
        path_for_display=str(path),
        file_type=path.suffix.lower().lstrip("."),
    )


def _sequence_of(path: Path) -> FrameSequence | None:
    """The sequence a pattern names, or the one a numbered file on disk belongs to."""
    if is_pattern(path):
        sequence = find_sequence(path)
        if not sequence.frames:
            raise SequenceError(
                f"no frames of {sequence.pattern} found in '{sequence.folder}'; check the "
                "name and the padding (#### is four digits)",
                path=sequence.folder,
            )
        return sequence
    if path.is_dir():
        return None
    try:
        sequence = find_sequence(path)
    except SequenceError:  # not numbered, or its folder is missing: not a sequence
        return None
    return sequence if sequence.frames else None


def _open_sequence(sequence: FrameSequence, wanted: tuple[int, ...] | None) -> FrameSource:
    numbers = expected_frames(sequence.frames) if wanted is None else wanted
    info = check_sequence(sequence, numbers)
    # Frames whose data windows differ are all placed in their union (zeros outside).
    window = info.meta.data_window
    return FrameSource(
        kind="sequence",
        frames=tuple(numbers),
        reader=lambda frame: read_frame(sequence.path(frame)).placed_in(window),
        path_of=sequence.path,
        info=info,
        fps=info.meta.fps,
        path_for_display=sequence.pattern,
        file_type=Path(f"frame{sequence.suffix}").suffix.lower().lstrip("."),
    )


def _open_video(path: Path, wanted: tuple[int, ...] | None) -> FrameSource:
    video = VideoReader(path)
    try:
        available = tuple(range(video.frame_count))
        _check_wanted(wanted, available, str(path), path)
    except BaseException:
        video.close()
        raise
    window = Window(0, 0, video.width, video.height)
    meta = FrameMeta(
        window, window, fps=video.fps, bit_depth=video.bit_depth, premultiplied=False
    )
    return FrameSource(
        kind="video",
        frames=available if wanted is None else wanted,
        reader=video.read,
        path_of=lambda _frame: path,
        info=FrameInfo(video.width, video.height, video.channels, meta),
        fps=video.fps,
        path_for_display=str(path),
        file_type=path.suffix.lower().lstrip("."),
        closer=video.close,
        video=video.info,
    )


def _check_wanted(
    wanted: tuple[int, ...] | None, available: tuple[int, ...], display: str, path: Path
) -> None:
    if wanted is None:
        return
    outside = sorted(set(wanted) - set(available))
    if outside:
        which = "frame" if len(outside) == 1 else "frames"
        verb = "is" if len(outside) == 1 else "are"
        raise SequenceError(
            f"{which} {format_frame_range(outside, separator=', ')} {verb} not in {display} "
            f"(it has frames {format_frame_range(available, separator=', ')})",
            path=path,
            frames=outside,
            frame=outside[0],
        )
