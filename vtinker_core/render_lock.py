"""The output-folder lock: renders of one job may share a folder, a different job may not.

Example::

    key = job_identity(job.to_dict())
    with output_lock(Path("out"), key):
        remove_stale_temp_files(Path("out"))
        ...  # write frames

Every render holds its own lock file in the output folder,
``.vtinker-render.<token>.lock``, created exclusively and holding ``"<host> <pid> <key>"``.
``key`` is the job's identity (:func:`job_identity`), so farm chunks of one job (``vtinker
render --job J --frames A-B``) write their own frames side by side, while a render of a
*different* job into that folder is refused with :class:`RenderLockedError` as long as any
live render holds it. A holder without a key (an older vtinker, which wrote the single file
:data:`LOCK_NAME` as ``"<host> <pid>"``) conflicts with every render. A lock left by a process
that no longer runs on this host is stale and removed; holders on other hosts cannot be checked
and count as live.

Two different jobs starting at the same instant may both be refused (each sees the other's
file): never both let in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from vtinker_core.errors import RenderLockedError

#: The single lock file of earlier versions; still honoured (and cleared when stale).
LOCK_NAME = ".vtinker-render.lock"
_HOLDER_GLOB = ".vtinker-render*.lock"
# Job fields that hold paths: farm workers see them under other mounts (path mapping), so
# only their last component takes part in the identity.
_PATH_FIELDS = (("input", "path"), ("output", "path"), ("engine", "checkpoint"), ("ocio",))


def job_identity(job: Mapping[str, Any]) -> str:
    """A short hash naming a job, equal for every chunk of it on every worker.

    Args:
        job: the job as a dict (``RenderJob.to_dict()``).

    Returns:
        16 hex digits of the SHA-256 of the job's canonical JSON, in which each path is
        reduced to its file name (``/mnt/shows/a/sh010.####.exr`` and
        ``Z:\\shows\\a\\sh010.####.exr`` agree), so path-mapped chunks are one job.
    """
    data = json.loads(json.dumps(job, default=str))
    for fields in _PATH_FIELDS:
        parent: Any = data
        for name in fields[:-1]:
            parent = parent.get(name) if isinstance(parent, dict) else None
        value = parent.get(fields[-1]) if isinstance(parent, dict) else None
        if isinstance(value, str) and isinstance(parent, dict):
            parent[fields[-1]] = PureWindowsPath(PurePosixPath(value).name).name
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class _Holder:
    path: Path
    host: str
    pid: str
    key: str | None

    @property
    def label(self) -> str:
        return f"{self.host} {self.pid}" if self.host else "unknown process"


@contextlib.contextmanager
def output_lock(folder: Path, key: str | None = None) -> Iterator[Path]:
    """Hold a render lock of ``folder`` for the job named ``key``.

    Args:
        folder: the output folder (created if missing).
        key: the job's identity (:func:`job_identity`); renders with the same key share the
            folder. None conflicts with every other render.

    Yields:
        This render's lock file.

    Raises:
        RenderLockedError: a live render of a different job (or of an unknown one) holds the
            folder; nothing is left behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    mine = folder / f".vtinker-render.{secrets.token_hex(6)}.lock"
    fd = os.open(mine, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{socket.gethostname()} {os.getpid()}{f' {key}' if key else ''}\n")
    try:
        for holder in _live_holders(folder):
            if holder.path == mine or (key is not None and holder.key == key):
                continue
            what = "a different job" if holder.key else "a job of unknown identity"
            raise RenderLockedError(
                f"another render is writing into '{folder}' ({holder.label}, {what}); wait "
                f"for it, or delete '{holder.path}' if no render is running",
                path=holder.path,
            )
    except BaseException:
        mine.unlink(missing_ok=True)
        raise
    try:
        yield mine
    finally:
        mine.unlink(missing_ok=True)


def _live_holders(folder: Path) -> list[_Holder]:
    """The lock files in ``folder`` of renders that may still run; stale ones are removed."""
    holders = []
    for path in sorted(folder.glob(_HOLDER_GLOB)):
        try:
            parts = path.read_text(encoding="utf-8", errors="replace").split()
        except OSError:  # removed meanwhile
            continue
        host, pid = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
        holder = _Holder(path, host, pid, parts[2] if len(parts) >= 3 else None)
        if _lock_is_stale(host, pid):
            path.unlink(missing_ok=True)
            continue
        holders.append(holder)
    return holders


def _lock_is_stale(host: str, pid: str) -> bool:
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_temp_files(folder: Path) -> None:
    """Delete half-written frames of earlier renders, unless another render runs here now
    (a chunk of the same job: its temporary files are in use)."""
    if len(_live_holders(folder)) > 1:
        return
    for path in folder.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            path.unlink()


__all__ = ["LOCK_NAME", "job_identity", "output_lock", "remove_stale_temp_files"]
