"""The output folder, checked before any work: it exists (or can be made) and takes files.

Example::

    folder = prepare_output_folder(Path("retime/shot.####.exr"))   # creates retime/, proves it

A render calls this before it opens an engine, so a path under a file, a folder it may not
create, a read-only disk or a full one is one clear line at once, not a traceback after the
first frame.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from vtinker_core.errors import OutputFolderError

__all__ = ["prepare_output_folder"]

_WHAT_TO_DO = "choose another output folder"


def prepare_output_folder(output: str | Path, *, setting: str = "output.path") -> Path:
    """Create the folder of ``output`` (a file or pattern) if needed and prove it writable.

    Returns:
        The folder.

    Raises:
        OutputFolderError: a part of the path is a file, the folder cannot be created, or a
            file cannot be created in it (permissions, read-only or full disk). The message
            names the path and says what to do.
    """
    folder = Path(output).parent if str(Path(output).parent) else Path(".")
    blocker = _file_in_the_way(folder)
    if blocker is not None:
        raise OutputFolderError(
            f"cannot write '{output}': '{blocker}' is a file, not a folder; {_WHAT_TO_DO}",
            path=blocker,
            setting=setting,
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputFolderError(
            f"cannot create the output folder '{folder}': {_reason(err)}; {_WHAT_TO_DO}",
            path=folder,
            setting=setting,
        ) from err
    probe = folder / f".vtinker-write-test-{secrets.token_hex(4)}"
    try:
        with probe.open("wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise OutputFolderError(
            f"cannot write into the output folder '{folder}': {_reason(err)}; {_WHAT_TO_DO}",
            path=folder,
            setting=setting,
        ) from err
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return folder


def _file_in_the_way(folder: Path) -> Path | None:
    """The first existing part of ``folder`` that is not a folder, if any."""
    for part in (folder, *folder.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def _reason(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; free some space"
    if err.errno == errno.EROFS:
        return "the disk is read-only"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return str(err.strerror or err)
