"""The exceptions the core raises.

Every failure a caller may handle has its own subclass of :class:`VTinkerError`. Errors carry
data as keyword-only attributes (the file, the frame number, the setting, the library's own
message) so that the command line, the Qt window and the host adapters can show one clear line::

    try:
        frame = read_frame(path)
    except ImageReadError as err:
        print(err)            # "cannot read 'shot.1001.exr': <OIIO's message>"
        print(err.path)       # the file
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class VTinkerError(Exception):
    """Base class of every error the core raises on purpose.

    Args:
        message: one line for a person: what went wrong and, where known, what to do.
        path: the file or folder concerned, if any.
        frame: the frame number concerned, if any.
        setting: the name of the setting or job field concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        frame: int | None = None,
        setting: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.frame = frame
        self.setting = setting

    def __str__(self) -> str:
        return self.message


class ImageReadError(VTinkerError):
    """A frame file could not be read (missing, corrupt, truncated, not a file, no permission)."""

    def __init__(
        self, message: str, *, path: str | Path, reason: str = "", **kwargs: object
    ) -> None:
        super().__init__(message, path=path, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


class ImageWriteError(VTinkerError):
    """A frame file could not be written; nothing was left under the final name."""

    def __init__(
        self, message: str, *, path: str | Path, reason: str = "", **kwargs: object
    ) -> None:
        super().__init__(message, path=path, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


class SequenceError(VTinkerError):
    """A frame sequence is incomplete or inconsistent (holes, differing sizes or channels)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        frames: Sequence[int] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(message, path=path, **kwargs)  # type: ignore[arg-type]
        self.frames = tuple(frames)


class FrameRangeError(VTinkerError):
    """A frame-range string (``1001-1100``, ``1-10x2``, ``1,5,7``) could not be parsed."""


class VideoError(VTinkerError):
    """A video file could not be read or written."""


class ColorConfigError(VTinkerError):
    """An OCIO config or colourspace is unusable; ``suggestions`` holds the closest names."""

    def __init__(self, message: str, *, suggestions: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.suggestions = tuple(suggestions)


class NonFiniteError(VTinkerError):
    """Input pixels contain NaN or Inf and sanitising was not asked for."""

    def __init__(self, message: str, *, channel: str, count: int, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.channel = channel
        self.count = count


class CheckpointError(VTinkerError):
    """A checkpoint file is missing, unreadable, unsafe or of the wrong architecture."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        missing: Sequence[str] = (),
        unexpected: Sequence[str] = (),
        mismatched: Sequence[str] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(message, path=path, **kwargs)  # type: ignore[arg-type]
        self.missing = tuple(missing)
        self.unexpected = tuple(unexpected)
        self.mismatched = tuple(mismatched)


class DeviceError(VTinkerError):
    """The requested device or precision is not available on this machine."""


class EngineError(VTinkerError):
    """An engine is unknown, unavailable, or failed on a frame."""


class JobError(VTinkerError):
    """A render job or a command-line setting is invalid; ``setting`` names the field.

    ``problems`` holds one error per bad field when a whole job was checked at once (the
    message then lists them all); a single problem's is empty.
    """

    def __init__(
        self, message: str, *, problems: Sequence[JobError] = (), **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.problems = tuple(problems)


class OutputFolderError(VTinkerError):
    """The output cannot go where asked: the folder cannot be created or written, a part of
    the path is a file, or the disk is full."""


class RenderLockedError(VTinkerError):
    """Another render is already writing into the same output folder."""


class RenderCancelledError(VTinkerError):
    """The render was cancelled (Ctrl-C, SIGTERM or a host's Cancel)."""
