"""``vtinker-preview --check``: can the preview window open here? One line per problem.

Example::

    $ vtinker-preview --check
    vtinker-preview: Qt's xcb platform plugin needs system libraries that are missing:
    libxcb-icccm.so.4, libxcb-keysyms.so.1 (Debian/Ubuntu: apt-get install libxcb-icccm4
    libxcb-keysyms1)
    $ echo $?
    1

    problems = find_problems()          # [] when the window can open; no Qt window is made

Qt itself answers a missing library or display by aborting with "Could not load the Qt
platform plugin 'xcb'", which names neither. These checks name them: PySide6 missing or a
version known to crash, no display to open the window on, and the shared libraries the Qt
platform plugin needs that the dynamic loader cannot find. Last, unless a problem was found
already, a separate process starts Qt's GUI for real and reports what Qt said if it fails.

This module imports neither PySide6 nor torch at import time: it is what tells whether
PySide6 works.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: PySide6 releases known to break the window, and why.
BAD_PYSIDE6: dict[str, str] = {
    "6.12.0": (
        "drops a reference to None on every void QPainter call on Python 3.10/3.11; the "
        "window aborts within seconds (Fatal Python error: none_dealloc)"
    ),
}
#: Python versions from which None is immortal (a lost reference to it cannot crash).
_IMMORTAL_NONE = (3, 12)
_START_TIMEOUT_S = 30.0
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_DLOPEN_ERROR = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a shared library, by Debian's naming rule.

    ``libxcb-cursor.so.0`` → ``libxcb-cursor0``; a name ending in a digit gets a hyphen:
    ``libxkbcommon-x11.so.0`` → ``libxkbcommon-x11-0``.
    """
    base, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    base = base.lower()
    if not version:
        return base
    return f"{base}-{version}" if base[-1:].isdigit() else f"{base}{version}"


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries ``library`` needs (directly or through others) that the dynamic
    loader cannot find, in the order ``ldd`` lists them; without ``ldd``, the one the
    loader names first."""
    ldd = shutil.which("ldd")
    if ldd is not None:
        result = subprocess.run([ldd, str(library)], capture_output=True, text=True, check=False)
        return list(dict.fromkeys(_NOT_FOUND.findall(result.stdout)))
    try:
        ctypes.CDLL(str(library))
    except OSError as err:
        found = _DLOPEN_ERROR.search(str(err))
        return [found.group(1)] if found else [str(err)]
    return []


def qt_platform(environ: Mapping[str, str]) -> str:
    """The Qt platform plugin the window will use: ``QT_QPA_PLATFORM``'s first choice, else
    Qt's default for this system (``xcb`` on Linux, ``wayland`` in a Wayland session)."""
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if sys.platform == "darwin":
        return "cocoa"
    if sys.platform == "win32":
        return "windows"
    if environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def _pyside6_problems() -> tuple[list[str], str | None]:
    """Problems with PySide6 itself, and its version (None when it cannot be imported)."""
    if importlib.util.find_spec("PySide6") is None:
        return ["PySide6 is not installed: pip install 'vtinker[ui]' (PySide6-Essentials)"], None
    try:
        import PySide6
        from PySide6 import QtCore  # noqa: F401  (the binary part: can it load?)
    except ImportError as err:
        return [f"PySide6 does not load: {err}"], None
    version = str(PySide6.__version__)
    problems = []
    if version in BAD_PYSIDE6 and sys.version_info[:2] < _IMMORTAL_NONE:
        problems.append(
            f"PySide6 {version} {BAD_PYSIDE6[version]}: install the tested one "
            "(pip install -c requirements/constraints.txt PySide6-Essentials)"
        )
    return problems, version


def _display_problem(platform: str, environ: Mapping[str, str]) -> str | None:
    if platform == "xcb" and not environ.get("DISPLAY"):
        return (
            "no X display: DISPLAY is not set (log in to a desktop, use ssh -X, or start a "
            "virtual one: Xvfb :99 & export DISPLAY=:99)"
        )
    if platform == "wayland" and not environ.get("WAYLAND_DISPLAY"):
        return "no Wayland display: WAYLAND_DISPLAY is not set"
    return None


def _plugin_problem(platform: str) -> str | None:
    import PySide6

    folder = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"
    plugin = folder / f"libq{platform}.so"
    if sys.platform in ("darwin", "win32") or not folder.is_dir():
        return None
    if not plugin.is_file():
        offered = ", ".join(sorted(p.name[4:-3] for p in folder.glob("libq*.so")))
        return f"Qt has no platform plugin {platform!r} (QT_QPA_PLATFORM); it has: {offered}"
    return library_problem(plugin, platform)


def library_problem(plugin: Path, platform: str) -> str | None:
    """The line saying which shared libraries the ``platform`` plugin file lacks, and the
    Debian/Ubuntu packages that ship them; None when it lacks none."""
    missing = missing_libraries(plugin)
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(debian_package(name) for name in missing))
    return (
        f"Qt's {platform} platform plugin needs system libraries that are missing: "
        f"{', '.join(missing)} (Debian/Ubuntu: apt-get install {packages})"
    )


def _start_problem(environ: Mapping[str, str]) -> str | None:
    """Start Qt's GUI in a separate process (Qt aborts a process it cannot start in)."""
    code = "from PySide6.QtGui import QGuiApplication; app = QGuiApplication([]); print('ok')"
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=dict(environ),
            timeout=_START_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"Qt did not start within {_START_TIMEOUT_S:.0f} s (is the display responding?)"
    if result.returncode == 0 and result.stdout.strip() == "ok":
        return None
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    said = next((line for line in lines if "qt.qpa" in line or "could not" in line.lower()), "")
    return f"Qt cannot start: {said or (lines[0] if lines else f'exit status {result.returncode}')}"


def find_problems(
    environ: Mapping[str, str] | None = None, *, start_qt: bool = True
) -> tuple[list[str], str]:
    """What stops the preview window from opening here.

    Args:
        environ: the environment the window would run in (default: this process's).
        start_qt: when nothing else is wrong, also start Qt's GUI in a separate process.

    Returns:
        The problems, one line each (empty when the window can open), and a one-line summary
        of what was checked.
    """
    env = dict(os.environ if environ is None else environ)
    problems, version = _pyside6_problems()
    platform = qt_platform(env)
    summary = f"PySide6 {version or 'missing'}, Qt platform {platform!r}"
    if version is None:
        return problems, summary
    display = _display_problem(platform, env)
    if display:
        problems.append(display)
    plugin = _plugin_problem(platform)
    if plugin:
        problems.append(plugin)
    if not problems and start_qt:
        started = _start_problem(env)
        if started:
            problems.append(started)
    return problems, summary


def run_check(prog: str = "vtinker-preview") -> int:
    """Print the problems, one line each (or one line saying all is well).

    Returns:
        0 when the window can open here, else 1.
    """
    problems, summary = find_problems()
    for problem in problems:
        print(f"{prog}: {problem}")
    if not problems:
        print(f"{prog}: ready ({summary})")
    return 1 if problems else 0


__all__ = [
    "BAD_PYSIDE6",
    "debian_package",
    "find_problems",
    "library_problem",
    "missing_libraries",
    "run_check",
]
