"""``vtinker-preview --check``: what stops the window from opening, one line per problem.

Run for real: the installed console script, real Qt platform plugins, the real dynamic loader.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

import PySide6

from vtinker_ui.check import debian_package, find_problems, library_problem, missing_libraries

pytestmark = pytest.mark.timeout(120)
PLUGINS = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("vtinker-preview") or ""
    command = [script] if script else [sys.executable, "-m", "vtinker_ui.app"]
    return subprocess.run(
        [*command, "--check"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=90,
        check=False,
    )


def test_check_says_ready_and_exits_0_where_the_window_can_open() -> None:
    result = _check(QT_QPA_PLATFORM="offscreen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        f"vtinker-preview: ready (PySide6 {PySide6.__version__}, Qt platform 'offscreen')"
    )


def test_check_names_a_missing_display_instead_of_qts_abort() -> None:
    result = _check(QT_QPA_PLATFORM="xcb", DISPLAY="")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("vtinker-preview: no X display: DISPLAY is not set") for line in lines
    )
    assert "Could not load the Qt platform plugin" not in result.stdout + result.stderr


def test_check_reports_a_display_that_does_not_answer_or_the_libraries_it_lacks() -> None:
    result = _check(QT_QPA_PLATFORM="xcb", DISPLAY=":97")  # no X server there
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) >= 1
    missing = missing_libraries(PLUGINS / "libqxcb.so")
    if missing:
        assert f"missing: {', '.join(missing)}" in result.stdout
        assert "apt-get install " + " ".join(debian_package(m) for m in missing) in result.stdout
    else:
        assert "vtinker-preview: Qt cannot start: " in result.stdout


def test_check_names_a_platform_qt_does_not_have() -> None:
    result = _check(QT_QPA_PLATFORM="nosuchplatform")
    assert result.returncode == 1
    assert "Qt has no platform plugin 'nosuchplatform'" in result.stdout
    assert "offscreen" in result.stdout  # and says which it has


def test_the_missing_libraries_are_those_the_loader_cannot_find(tmp_path: Path) -> None:
    assert missing_libraries(PLUGINS / "libqoffscreen.so") == []
    for soname in missing_libraries(PLUGINS / "libqxcb.so"):
        with pytest.raises(OSError):
            ctypes.CDLL(soname)
    # A plugin that needs a library no machine has: Qt's own offscreen plugin, with the name
    # of one library it needs changed (same length) in a copy, as a missing package leaves it.
    data = (PLUGINS / "libqoffscreen.so").read_bytes()
    assert b"libxkbcommon.so.0\0" in data
    plugin = tmp_path / "plugins" / "platforms" / "libqbroken.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(data.replace(b"libxkbcommon.so.0\0", b"libvtinkerno.so.0\0"))
    assert "libvtinkerno.so.0" in missing_libraries(plugin)
    with pytest.raises(OSError):
        ctypes.CDLL(str(plugin))
    line = library_problem(plugin, "broken") or ""
    assert line.startswith("Qt's broken platform plugin needs system libraries that are missing")
    assert "libvtinkerno.so.0" in line and "libvtinkerno0" in line.split("apt-get install")[1]


def test_debian_package_names_follow_debians_rule() -> None:
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"


def test_check_without_pyside6_says_so() -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None\n"
        "from vtinker_ui.app import main\n"
        "sys.exit(main(['--check']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("vtinker-preview: PySide6 is not installed")


def test_the_window_refuses_to_start_with_the_checks_line_not_qts() -> None:
    code = "import sys\nfrom vtinker_ui.app import main\nsys.exit(main([]))\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ""},
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "vtinker-preview: error: no X display" in result.stderr
    assert "Could not load the Qt platform plugin" not in result.stderr


def test_find_problems_reads_the_environment_it_is_given() -> None:
    problems, summary = find_problems({"QT_QPA_PLATFORM": "offscreen"}, start_qt=False)
    assert problems == [] and "'offscreen'" in summary
    problems, _ = find_problems({"QT_QPA_PLATFORM": "xcb"}, start_qt=False)
    assert any("DISPLAY is not set" in p for p in problems)
