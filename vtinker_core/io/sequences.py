"""Frame sequences on disk: patterns, frame ranges, and checking a sequence before work starts.

Example::

    seq = find_sequence("shots/plate.####.exr")      # or "plate.%04d.exr", "plate.@@@@.exr",
    seq.frames                                        # or one frame: "plate.1001.exr"
    # (1001, 1002, ..., 1100)
    seq.path(1050)                                    # Path("shots/plate.1050.exr")
    seq.printf_pattern                                # "shots/plate.%04d.exr" (Resolve, ffmpeg)
    parse_frame_range("1001-1100x2")                  # (1001, 1003, ..., 1099)
    format_frame_range([1001, 1002, 1003, 1010])      # "1001-1003,1010"
    output_path("out/retime.####.exr", 7)             # Path("out/retime.0007.exr")
    info = check_sequence(seq, seq.frames)            # raises SequenceError on holes, mismatches

A frame number is written as ``printf("%0<padding>d")`` writes it: ``####`` gives ``0007``,
``10000`` (numbers longer than the padding are not cut) and ``-007``. A file belongs to a
sequence only if its number is written exactly that way, so ``plate.007.exr`` is not frame 7
of ``plate.####.exr``. Hidden files (such as the temporary files of an atomic write) are
never frames. This module imports no image library until :func:`check_sequence` runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vtinker_core.errors import FrameRangeError, ImageReadError, SequenceError

if TYPE_CHECKING:
    from vtinker_core.io.images import FrameInfo

__all__ = [
    "FrameSequence",
    "check_sequence",
    "expected_frames",
    "find_sequence",
    "format_frame_range",
    "is_pattern",
    "output_path",
    "parse_frame_range",
]

# One padding token: ####, @@@@, %04d / %4d / %d.
_TOKEN = re.compile(r"#+|@+|%0?(\d*)d")
# The last digit run of a file name, right before its extension: plate.1001.exr → 1001.
_FRAME_IN_NAME = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\.[^.]+)$")
_RANGE_ITEM = re.compile(r"^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$")


@dataclass(frozen=True)
class FrameSequence:
    """Numbered files ``<folder>/<prefix><number><suffix>``.

    Attributes:
        folder: the folder holding the files.
        prefix: the file name before the frame number (``plate.``).
        padding: minimum number of digits (``####`` → 4); ``%d`` means 1 (no padding).
        suffix: the file name after the number, extension included (``.exr``).
        frames: the frame numbers found on disk, ascending (empty for a pattern only).
    """

    folder: Path
    prefix: str
    padding: int
    suffix: str
    frames: tuple[int, ...] = ()

    @classmethod
    def from_pattern(cls, pattern: str | Path, frames: Iterable[int] = ()) -> FrameSequence:
        """A sequence from a pattern with one ``####``, ``@@@@`` or ``%04d`` token.

        Args:
            pattern: e.g. ``shots/plate.####.exr``; one ``#``/``@`` is one digit of padding.
            frames: frame numbers to record (nothing is read from disk).

        Raises:
            SequenceError: the file name has no token, or more than one.
        """
        path = Path(pattern)
        matches = list(_TOKEN.finditer(path.name))
        if len(matches) != 1:
            raise SequenceError(
                f"'{pattern}' is not a sequence pattern: its file name needs exactly one frame "
                "number token such as ####, @@@@ or %04d",
                path=path,
            )
        token = matches[0]
        if token.group(0).startswith("%"):
            padding = max(int(token.group(1) or 1), 1)
        else:
            padding = len(token.group(0))
        return cls(
            folder=path.parent,
            prefix=path.name[: token.start()],
            padding=padding,
            suffix=path.name[token.end() :],
            frames=tuple(sorted(set(frames))),
        )

    def path(self, frame: int) -> Path:
        """The file of frame ``frame`` (whether or not it exists)."""
        return self.folder / f"{self.prefix}{frame:0{self.padding}d}{self.suffix}"

    @property
    def pattern(self) -> str:
        """The ``####`` form: ``shots/plate.####.exr``."""
        return str(self.folder / f"{self.prefix}{'#' * self.padding}{self.suffix}")

    @property
    def printf_pattern(self) -> str:
        """The ``%04d`` form that Resolve and ffmpeg want: ``shots/plate.%04d.exr``."""
        token = f"%0{self.padding}d" if self.padding > 1 else "%d"
        return str(self.folder / f"{self.prefix}{token}{self.suffix}")

    @property
    def first(self) -> int:
        """The first frame found on disk."""
        return self._frames_or_raise()[0]

    @property
    def last(self) -> int:
        """The last frame found on disk."""
        return self._frames_or_raise()[-1]

    def frame_of(self, name: str) -> int | None:
        """The frame number of file name ``name`` if it belongs to this sequence, else None."""
        if not (
            name.startswith(self.prefix)
            and name.endswith(self.suffix)
            and len(name) > len(self.prefix) + len(self.suffix)
            and not (name.startswith(".") and not self.prefix.startswith("."))
        ):
            return None
        number = name[len(self.prefix) : len(name) - len(self.suffix)]
        if not re.fullmatch(r"-?\d+", number):
            return None
        frame = int(number)
        # Only the exact printf spelling counts: "007" is not frame 7 of ####.
        return frame if f"{frame:0{self.padding}d}" == number else None

    def _frames_or_raise(self) -> tuple[int, ...]:
        if not self.frames:
            raise SequenceError(f"no frames of {self.pattern} on disk", path=self.folder)
        return self.frames


def is_pattern(path: str | Path) -> bool:
    """Whether a file name holds a frame number token (``####``, ``@@@@``, ``%04d``)."""
    return _TOKEN.search(Path(path).name) is not None


def find_sequence(path_or_pattern: str | Path) -> FrameSequence:
    """The sequence named by a pattern or by one of its files, with the frames on disk.

    Args:
        path_or_pattern: ``plate.####.exr`` / ``plate.%04d.exr`` / ``plate.@@@@.exr``, or one
            frame such as ``plate.1001.exr`` (padding from its digit count).

    Returns:
        The sequence with ``frames`` listing the files present (possibly none).

    Raises:
        SequenceError: the name is neither a pattern nor a numbered file, or the folder is
            missing or unreadable.
    """
    path = Path(path_or_pattern)
    if is_pattern(path):
        sequence = FrameSequence.from_pattern(path)
    else:
        match = _FRAME_IN_NAME.match(path.name)
        if match is None:
            raise SequenceError(
                f"'{path}' names no frame sequence: expected a pattern like name.####.exr or "
                "a numbered file like name.1001.exr",
                path=path,
            )
        sequence = FrameSequence(
            path.parent, match["prefix"], len(match["digits"]), match["suffix"]
        )
    folder = sequence.folder
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError as err:
        raise SequenceError(
            f"cannot list the folder of '{path}': {err.strerror or err}", path=folder
        ) from err
    found = (sequence.frame_of(name) for name in names)
    frames = {frame for frame in found if frame is not None}
    return FrameSequence(
        folder, sequence.prefix, sequence.padding, sequence.suffix, tuple(sorted(frames))
    )


def output_path(pattern: str | Path, frame: int) -> Path:
    """The file for ``frame`` of an output pattern, keeping the pattern's padding.

    Raises:
        SequenceError: the pattern has no (or several) frame number tokens.
    """
    return FrameSequence.from_pattern(pattern).path(frame)


def parse_frame_range(text: str) -> tuple[int, ...]:
    """Frame numbers from a range such as ``1001-1100``, ``1-10x2``, ``1,5,7``, ``1-3,10-12``.

    Items are separated by commas; each is ``N``, ``A-B`` (inclusive) or ``A-BxS`` (every S-th
    frame from A up to B). Negative frames are written with a minus: ``-5--1``, ``-2-2``.

    Returns:
        The frames, ascending, each once.

    Raises:
        FrameRangeError: empty text, an item that does not parse, ``A`` after ``B``, or a
            step below 1. The message quotes the bad item.
    """
    frames: set[int] = set()
    if not text.strip():
        raise FrameRangeError("empty frame range; write e.g. 1001-1100, 1-10x2 or 1,5,7")
    for raw in text.split(","):
        item = raw.strip().replace(" ", "")
        match = _RANGE_ITEM.match(item)
        if match is None:
            raise FrameRangeError(
                f"bad frame range item {raw.strip()!r} in {text!r}; write N, A-B or A-BxS, "
                "separated by commas (e.g. 1001-1100, 1-10x2, 1,5,7)"
            )
        start = int(match[1])
        end = int(match[2]) if match[2] is not None else start
        step = int(match[3]) if match[3] is not None else 1
        if end < start:
            raise FrameRangeError(
                f"bad frame range item {item!r} in {text!r}: it starts after it ends; "
                f"write {end}-{start}"
            )
        if step < 1:
            raise FrameRangeError(f"bad frame range item {item!r} in {text!r}: step must be ≥ 1")
        frames.update(range(start, end + 1, step))
    return tuple(sorted(frames))


def format_frame_range(frames: Iterable[int], *, separator: str = ",") -> str:
    """The compact text for some frames, the inverse of :func:`parse_frame_range`.

    Runs of consecutive frames become ``A-B``; three or more frames at an even step become
    ``A-BxS``; the rest are listed. ``[1, 2, 3, 5, 7, 9, 20]`` gives ``"1-3,5-9x2,20"``.
    """
    values = sorted(set(frames))
    items: list[str] = []
    i = 0
    while i < len(values):
        j = i
        step = values[i + 1] - values[i] if i + 1 < len(values) else 1
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        if j > i and (step == 1 or j - i >= 2):
            suffix = f"x{step}" if step > 1 else ""
            items.append(f"{values[i]}-{values[j]}{suffix}")
            i = j + 1
        else:
            items.append(str(values[i]))
            i += 1
    return separator.join(items)


def expected_frames(frames: Iterable[int]) -> tuple[int, ...]:
    """Every frame a sequence should have from its first to its last frame.

    The step is the largest one that fits all the frames, so a sequence rendered on twos
    (1, 3, 5, 9) expects 1, 3, 5, 7, 9, and one on ones (1, 2, 3, 5) expects 1 .. 5.
    """
    values = sorted(set(frames))
    if len(values) < 2:
        return tuple(values)
    step = math.gcd(*(b - a for a, b in itertools.pairwise(values)))
    return tuple(range(values[0], values[-1] + 1, step))


def check_sequence(sequence: FrameSequence, frames: Sequence[int] | None = None) -> FrameInfo:
    """Check that every wanted frame exists and matches the first one, before any work.

    Reads only file headers. The first frame present is the reference; every other frame must
    have the same display window and the same channels. Data windows may differ (EXR renders
    with automatic bounding boxes): the result then describes the union of all of them, the
    window every frame is placed in when read (:meth:`~vtinker_core.frame.Frame.placed_in`).

    Args:
        sequence: the sequence (its ``frames`` need not be filled).
        frames: the frames that will be read; when ``None``, every frame from the first to
            the last on disk (see :func:`expected_frames`), so holes are found.

    Returns:
        The header of the reference (first) frame, its data window (and size) widened to the
        union of the frames' data windows when they differ.

    Raises:
        SequenceError: with ``.frames`` listing every bad frame and a message naming them
            compactly, e.g. "frames 1003, 1007-1009 missing in shots/plate.####.exr".
    """
    from vtinker_core.io.images import probe_frame

    wanted = sorted(set(expected_frames(sequence.frames) if frames is None else frames))
    if not wanted:
        raise SequenceError(f"no frames of {sequence.pattern} to check", path=sequence.folder)
    missing = [f for f in wanted if not sequence.path(f).is_file()]
    unreadable: list[int] = []
    reference: FrameInfo | None = None
    reference_frame = wanted[0]
    differing: dict[str, list[int]] = {}
    for frame in wanted:
        if frame in missing:
            continue
        try:
            info = probe_frame(sequence.path(frame))
        except ImageReadError:
            unreadable.append(frame)
            continue
        if reference is None:
            reference, reference_frame = info, frame
            union = info.meta.data_window
        elif (info.meta.display_window, info.channels) != (
            reference.meta.display_window,
            reference.channels,
        ):
            why = f"{_describe(info)}, not {_describe(reference)} like frame {reference_frame}"
            differing.setdefault(why, []).append(frame)
        else:
            union = union.union(info.meta.data_window)
    problems = []
    if missing:
        problems.append(f"{_frames_text(missing)} missing")
    if unreadable:
        problems.append(f"{_frames_text(unreadable)} unreadable (empty, corrupt or not images)")
    for why, bad in differing.items():
        problems.append(f"{_frames_text(bad)} {'is' if len(bad) == 1 else 'are'} {why}")
    if problems or reference is None:
        bad_frames = sorted({*missing, *unreadable, *(f for v in differing.values() for f in v)})
        raise SequenceError(
            f"{'; '.join(problems)} in {sequence.pattern}",
            path=sequence.path(bad_frames[0]),
            frames=bad_frames,
            frame=bad_frames[0],
        )
    if union != reference.meta.data_window:
        return dataclasses.replace(
            reference,
            width=union.width,
            height=union.height,
            meta=reference.meta.replace(data_window=union),
        )
    return reference


def _frames_text(frames: Sequence[int]) -> str:
    noun = "frame" if len(frames) == 1 else "frames"
    return f"{noun} {format_frame_range(frames, separator=', ')}"


def _describe(info: FrameInfo) -> str:
    display = info.meta.display_window
    size = f"{display.width}x{display.height}"
    if (display.x, display.y) != (0, 0):
        size += f" at {display.x},{display.y}"
    return f"{size} {' '.join(info.channels)}"
