"""The output-folder lock: one render at a time writes into a folder.

Example::

    with output_lock(Path("out")):
        _remove_stale_temp_files(Path("out"))
        ...  # write frames

The lock is a file (:data:`LOCK_NAME`) created exclusively in the folder and holding
``"<host> <pid>"``. A lock left by a process that no longer runs on this host is stale and
taken over; any other holder makes :func:`output_lock` raise :class:`RenderLockedError`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from vtinker_core.errors import RenderLockedError

LOCK_NAME = ".vtinker-render.lock"


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[Path]:
    """Hold the render lock of ``folder``; refuse when a live render holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    me = f"{socket.gethostname()} {os.getpid()}"
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = (
                lock.read_text(encoding="utf-8", errors="replace").strip() if lock.exists() else ""
            )
            if _lock_is_stale(holder):
                lock.unlink(missing_ok=True)
                continue
            raise RenderLockedError(
                f"another render is writing into '{folder}' ({holder or 'unknown process'}); "
                f"wait for it, or delete '{lock}' if no render is running",
                path=lock,
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(me + "\n")
        break
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            if lock.read_text(encoding="utf-8").strip() == me:
                lock.unlink()


def _lock_is_stale(holder: str) -> bool:
    parts = holder.split()
    if len(parts) != 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_stale_temp_files(folder: Path) -> None:
    for path in folder.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            path.unlink()


__all__ = ["LOCK_NAME", "output_lock"]
