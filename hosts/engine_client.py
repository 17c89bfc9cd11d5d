"""The one client of the engine's progress protocol, for every host and the preview window.

It runs ``vtinker render --job J --progress json --cancel-file J.cancel`` as a separate process
and reads its JSON-lines records (``vtinker_core/schemas/progress-1.schema.json``)::

    command = engine_command(["/opt/vtinker/bin/vtinker"], "/shots/retime/job.json")
    result = run_engine(command, on_record=print, should_cancel=lambda: False)
    if not result.ok:
        raise RuntimeError(result.message)

    run = EngineRun(command)              # or drive it yourself (a worker thread, a window)
    run.cancel()                          # from any thread: stop after the current frame
    result = run.wait(on_record=handle)

Records: ``start`` (``total``, ``frames``, ``engine``, ``reason``, ``output``), ``frame``
(``frame``, ``done``, ``total``, ``path``, ...), ``warning`` (``message``), ``done``
(``rendered``, ``skipped``, ``seconds``) and ``error`` (``message``, ``kind``, ``setting``,
``cancelled``). Exit status: :data:`EXIT_OK`, :data:`EXIT_ERROR`, :data:`EXIT_CANCELLED`.

Cancel creates the cancel file (the graceful stop everywhere, Windows included) and, on Linux
and macOS, sends SIGTERM as well; the engine finishes the frame in hand (frames are written
atomically) and exits with 130. A second cancel sends SIGTERM again ("stop now"). A run that
has not stopped :data:`CANCEL_GRACE_SECONDS` after a cancel is killed.

The environment the engine gets is the caller's without what a host sets up for its own
runtime (:func:`is_host_variable`: every ``PYTHON*`` variable, the dynamic loader's
``LD_LIBRARY_PATH``/``LD_PRELOAD``/``DYLD_*``, Qt's ``QT_*``, the hosts' plug-in paths), with
unbuffered UTF-8 output. Names listed in ``$VTINKER_KEEP_ENV`` (comma separated) pass through.

The farm commands (``vtinker farm bundle`` / ``vtinker farm verify``) run through the same
environment rule::

    result = run_farm(farm_bundle_command(["vtinker"], "/shots/job.json", "/shots/job_farm"))
    result.ok, result.folder, result.notes      # True, "/shots/job_farm", ["vtinker farm: ..."]

Standard library only, Python 3.6 grammar: it runs inside Nuke, Resolve and the window alike.
"""

import contextlib
import json
import os
import queue
import shlex
import subprocess
import threading
import time
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_CANCELLED = 130
#: The progress records' schema version this client reads.
PROGRESS_SCHEMA = 1
EVENTS = ("start", "frame", "warning", "done", "error")
#: After a cancel, how long the engine may take to finish its frame before it is killed.
CANCEL_GRACE_SECONDS = 120.0
#: Variables a host (Nuke, Resolve, a launcher) sets for its own Python; inherited by the
#: engine's Python they would make it load the host's standard library instead of its own.
#: (Kept for callers that name them; :func:`is_host_variable` removes every ``PYTHON*``.)
HOST_PYTHON_VARIABLES = (
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONEXECUTABLE",
    "PYTHONNOUSERSITE",
    "__PYVENV_LAUNCHER__",
)
#: Name prefixes of what a host sets for its own runtime. ``PYTHON*``: every variable the
#: interpreter reads (Python docs, "Command line and environment" > Environment variables).
#: ``DYLD_*``: macOS dyld's search paths and inserts (dyld(1)). ``QT_*``: Qt's plug-in, platform
#: and scaling settings (Qt docs, "Environment variables recognized by Qt"), which would make the
#: engine's Qt (the VTinker window, PySide6 in torch's dependencies) load the host's Qt plug-ins.
HOST_VARIABLE_PREFIXES = ("PYTHON", "DYLD_", "QT_")
#: Single variables of the same kind: Linux ld.so's ``LD_LIBRARY_PATH``/``LD_PRELOAD`` (ld.so(8);
#: Nuke and Resolve launch with their own library folders there, so torch, OCIO or Qt in the
#: engine would load the host's copies), Qt Quick's import paths, Tcl/Tk's library folders,
#: Nuke's plug-in path (``NUKE_PATH``, Nuke's "Loading Gizmos, NDK Plug-ins, and Python files")
#: and the OpenFX plug-in path (``OFX_PLUGIN_PATH``, OpenFX programming guide, "Installation").
HOST_VARIABLES = (
    *HOST_PYTHON_VARIABLES,
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "QML_IMPORT_PATH",
    "QML2_IMPORT_PATH",
    "TCL_LIBRARY",
    "TK_LIBRARY",
    "NUKE_PATH",
    "OFX_PLUGIN_PATH",
)
#: Comma-separated names the engine should inherit even so (e.g. ``LD_LIBRARY_PATH`` on a machine
#: whose CUDA libraries are found only through it).
KEEP_ENV_VARIABLE = "VTINKER_KEEP_ENV"


class EngineStartError(OSError):
    """The engine executable could not be started (not found, not executable)."""


class EngineResult:
    """How a run ended.

    Attributes:
        returncode: the engine's exit status (None if it never ran).
        records: every progress record, in order.
        stderr: what the engine wrote on stderr (the last 64 KiB).
        cancelled: the run was stopped by the user.
    """

    def __init__(self, returncode=None, records=None, stderr="", cancelled=False):
        self.returncode = returncode
        self.records = list(records or [])
        self.stderr = stderr
        self.cancelled = cancelled

    @property
    def ok(self):
        return self.returncode == EXIT_OK and not self.cancelled

    def events(self, name):
        return [r for r in self.records if r.get("event") == name]

    @property
    def frames(self):
        """(first, last) output frame numbers of the run, from the ``start`` record."""
        for record in self.events("start"):
            frames = record.get("frames")
            if isinstance(frames, list) and len(frames) == 2:
                return int(frames[0]), int(frames[1])
        return None

    @property
    def error(self):
        """The last ``error`` record, or None."""
        errors = self.events("error")
        return errors[-1] if errors else None

    @property
    def message(self):
        """The engine's own words: the error record's message, else stderr's last line."""
        text = str((self.error or {}).get("message", "")).strip()
        if text:
            return text
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        if lines:
            return lines[-1]
        if self.cancelled:
            return "render cancelled"
        return f"the engine stopped with exit status {self.returncode}"


def split_executable(executable):
    """The engine executable setting as an argument list.

    An existing file is one argument (spaces allowed); otherwise the text is split like a shell
    command line, so ``python -m vtinker_core.cli`` works too.
    """
    text = str(executable).strip()
    if not text:
        raise ValueError("the engine executable is empty")
    if Path(text).expanduser().is_file():
        return [str(Path(text).expanduser())]
    return shlex.split(text, posix=os.name != "nt")


def engine_command(program, job_path, frames=None, force=False, cancel_file=None):
    """``<program> render --job J --progress json --cancel-file C [--frames A-B] [--force]``.

    Args:
        program: the engine's argument list (``["vtinker"]``, ``[python, "-m",
            "vtinker_core.cli"]``) or an executable setting (see :func:`split_executable`).
        job_path: the job file.
        frames: output frames to render (a farm chunk), if not all.
        force: re-render frames already on disk.
        cancel_file: the cancel file; default: the job file's path plus ``.cancel``.
    """
    args = list(program) if isinstance(program, (list, tuple)) else split_executable(program)
    cancel = cancel_file if cancel_file is not None else f"{job_path}.cancel"
    command = [*args, "render", "--job", str(job_path), "--progress", "json"]
    command += ["--cancel-file", str(cancel)]
    if frames:
        command += ["--frames", str(frames)]
    if force:
        command.append("--force")
    return command


def is_host_variable(name):
    """True for a variable a host sets for its own runtime (see :data:`HOST_VARIABLES` and
    :data:`HOST_VARIABLE_PREFIXES`); the engine does not inherit these."""
    # Windows treats environment names case-insensitively; POSIX names of this kind are upper case.
    key = name.upper() if os.name == "nt" else name
    return key in HOST_VARIABLES or key.startswith(HOST_VARIABLE_PREFIXES)


def engine_environment(base=None):
    """The environment for the engine (and the VTinker window): ``base`` (default: this
    process's) without the host's runtime variables (:func:`is_host_variable`), except those
    named in ``$VTINKER_KEEP_ENV``, with unbuffered UTF-8 output."""
    environ = dict(os.environ if base is None else base)
    keep = {n.strip() for n in environ.get(KEEP_ENV_VARIABLE, "").split(",") if n.strip()}
    for name in list(environ):
        if name not in keep and is_host_variable(name):
            del environ[name]
    environ["PYTHONUNBUFFERED"] = "1"
    environ["PYTHONIOENCODING"] = "utf-8"
    return environ


def parse_record(line):
    """One progress line as a record (a dict with a known ``event``), or None."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        return None
    return record


def _cancel_file_of(command):
    items = list(command)
    if "--cancel-file" in items[:-1]:
        return Path(items[items.index("--cancel-file") + 1])
    return None


class EngineRun:
    """One engine process, started at once; :meth:`wait` reads it to the end.

    Args:
        command: the argument list (see :func:`engine_command`).
        env: the base environment (default: this process's; see :func:`engine_environment`).
        cwd: the engine's working folder.

    Raises:
        EngineStartError: the executable could not be started.
    """

    def __init__(self, command, env=None, cwd=None):
        self.command = list(command)
        self._cancel_file = _cancel_file_of(self.command)
        if self._cancel_file is not None and self._cancel_file.exists():
            self._cancel_file.unlink()  # left by an earlier cancelled run
        self._lock = threading.Lock()
        self._cancels = 0
        self._cancelled_at = None
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                universal_newlines=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=engine_environment(env),
                cwd=cwd,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as err:
            raise EngineStartError(
                f"cannot start the engine '{self.command[0]}': {err.strerror or err}"
            ) from err
        self._lines = queue.Queue()
        self._stderr = []
        self._readers = [
            threading.Thread(target=self._pump, args=(self._process.stdout, self._lines.put)),
            threading.Thread(target=self._pump, args=(self._process.stderr, self._stderr.append)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    @staticmethod
    def _pump(stream, sink):
        for line in iter(stream.readline, ""):
            sink(line)
        stream.close()
        sink(None)

    @property
    def cancel_requested(self):
        return self._cancels > 0

    def cancel(self):
        """Stop after the current frame (safe from any thread); a second call stops at once."""
        with self._lock:
            self._cancels += 1
            if self._cancelled_at is None:
                self._cancelled_at = time.monotonic()
            if self._cancel_file is not None and self._cancels == 1:
                with contextlib.suppress(OSError):
                    self._cancel_file.touch()
            if os.name != "nt" or self._cancel_file is None:
                with contextlib.suppress(OSError):
                    self._process.terminate()

    def wait(self, on_record=None, should_cancel=None, poll_seconds=0.05):
        """Read every record until the engine exits.

        Args:
            on_record: called in this thread for every record, in order.
            should_cancel: polled about every ``poll_seconds``; True cancels (once).
            poll_seconds: how often ``should_cancel`` is asked while no record arrives.

        Returns:
            The :class:`EngineResult`.
        """
        result = EngineResult()
        open_streams = 1  # stdout; stderr is collected by its own reader
        try:
            while open_streams:
                if should_cancel is not None and not self._cancels and should_cancel():
                    self.cancel()
                started = self._cancelled_at
                if started is not None and time.monotonic() - started > CANCEL_GRACE_SECONDS:
                    self._process.kill()
                try:
                    line = self._lines.get(timeout=poll_seconds)
                except queue.Empty:
                    continue
                if line is None:
                    open_streams -= 1
                    continue
                record = parse_record(line)
                if record is None:
                    continue
                result.records.append(record)
                if on_record is not None:
                    on_record(record)
        except BaseException:
            self._process.kill()
            raise
        finally:
            result.returncode = self._process.wait()
            for reader in self._readers:
                reader.join(timeout=5)
            result.stderr = "".join(s for s in self._stderr if s)[-65536:]
        if result.returncode == EXIT_OK:
            result.cancelled = False  # the cancel came after the last frame: all is written
        elif result.returncode == EXIT_CANCELLED or self._cancels or any(
            r.get("cancelled") for r in result.events("error")
        ):
            result.cancelled = True
        return result


def run_engine(command, on_record=None, should_cancel=None, poll_seconds=0.05, env=None, cwd=None):
    """Run the engine to the end (see :class:`EngineRun`); ``result.ok`` says whether every
    frame was written.

    Raises:
        EngineStartError: the executable could not be started.
    """
    return EngineRun(command, env=env, cwd=cwd).wait(
        on_record=on_record, should_cancel=should_cancel, poll_seconds=poll_seconds
    )


# ------------------------------------------------------------------------------ the farm


class FarmResult:
    """How a ``vtinker farm`` command ended.

    Attributes:
        returncode: the exit status (None if it never ran).
        stdout: what it wrote on stdout (``bundle``: the last line is the bundle folder).
        stderr: what it wrote on stderr (notes, the cost estimate, or one error line).
    """

    def __init__(self, returncode=None, stdout="", stderr=""):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def ok(self):
        return self.returncode == EXIT_OK

    @property
    def folder(self):
        """The bundle folder (the last stdout line of ``vtinker farm bundle``), or None."""
        lines = [line.strip() for line in self.stdout.splitlines() if line.strip()]
        return lines[-1] if self.ok and lines else None

    @property
    def notes(self):
        """The ``vtinker farm: ...`` lines on stderr, in order."""
        return [line.strip() for line in self.stderr.splitlines() if line.startswith("vtinker")]

    @property
    def message(self):
        """The ``vtinker: error:`` line without its prefix, else stderr's last line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        for line in reversed(lines):
            if line.startswith("vtinker: error:"):
                return line[len("vtinker: error:") :].strip()
        if lines:
            return lines[-1]
        return f"vtinker farm stopped with exit status {self.returncode}"


def _program(program):
    return list(program) if isinstance(program, (list, tuple)) else split_executable(program)


def farm_bundle_command(program, job_path, output_dir, chunk_size=None, name=None, vtinker=None):
    """``<program> farm bundle JOB -o DIR [--chunk-size N] [--name NAME] [--vtinker CMD]``.

    Args:
        program: the engine's argument list or executable setting (see :func:`engine_command`).
        job_path: the job file.
        output_dir: the bundle folder to write.
        chunk_size: output frames per farm task (default: the engine's estimate).
        name: the job's name on the farm.
        vtinker: the ``vtinker`` command on the workers (default: this install's).
    """
    command = [*_program(program), "farm", "bundle", str(job_path), "-o", str(output_dir)]
    if chunk_size:
        command += ["--chunk-size", str(int(chunk_size))]
    if name:
        command += ["--name", str(name)]
    if vtinker:
        command += ["--vtinker", str(vtinker)]
    return command


def farm_verify_command(program, job_path):
    """``<program> farm verify JOB``: exit 0 when every output frame is there and reads."""
    return [*_program(program), "farm", "verify", str(job_path)]


def run_farm(command, env=None, cwd=None, timeout=600):
    """Run a ``vtinker farm`` command to the end (it is short: no progress records).

    Raises:
        EngineStartError: the executable could not be started.
    """
    args = list(command)
    try:
        # Python 3.6 has neither capture_output= nor text= (Resolve may run this on 3.6).
        completed = subprocess.run(  # noqa: UP022
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,  # noqa: UP021
            encoding="utf-8",
            errors="replace",
            env=engine_environment(env),
            cwd=cwd,
            timeout=timeout,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except subprocess.TimeoutExpired:
        return FarmResult(None, "", f"vtinker: error: the farm command took over {timeout} s")
    except OSError as err:
        raise EngineStartError(
            f"cannot start the engine '{args[0]}': {err.strerror or err}"
        ) from err
    return FarmResult(completed.returncode, completed.stdout, completed.stderr)
