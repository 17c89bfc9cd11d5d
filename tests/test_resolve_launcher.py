"""Starting the Resolve action (issue #19): Python 2.7 is refused with a message, and the Lua
entry for Resolve 21.1+ free (which lists no Python scripts) starts the Python one or says what
to do. The Lua half runs under a real Lua 5.1 where one is installed (skipped otherwise)."""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from test_resolve_action import _plates

import vtinker_hosts.resolve
from vtinker_installer import resolve as installer
from vtinker_installer.resolve_lua import LUA_SCRIPT, python_code

pytestmark = pytest.mark.host

ADAPTER = Path(vtinker_hosts.resolve.__file__).resolve().parent
FAKE = Path(__file__).parent / "fakes" / "resolve.py"
ENGINE_BIN = sysconfig.get_path("scripts")
PYTHON27 = next(
    iter(sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7*/bin/python2.7")))), None
) or shutil.which("python2.7")
LUA = shutil.which("lua5.1") or shutil.which("lua")


def _install(scripts: Path, *flags: str) -> list[str]:
    parser = argparse.ArgumentParser()
    installer.add_arguments(parser)
    args = parser.parse_args(["--scripts-dir", str(scripts), "--platform", "linux", *flags])
    return list(installer.run(args))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VTINKER_"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


@pytest.mark.skipif(PYTHON27 is None, reason="no Python 2.7 interpreter on this machine")
def test_python_27_is_refused_with_a_message(tmp_path: Path) -> None:
    _install(tmp_path / "Scripts")
    menu = tmp_path / "Scripts" / "Utility" / "VTinker Retime.py"
    driver = (
        "import runpy\n"
        f"runpy.run_path({str(menu)!r}, init_globals={{'resolve': None}}, run_name='__main__')\n"
    )
    result = subprocess.run(
        [PYTHON27, "-c", driver], capture_output=True, text=True, env=_clean_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "VTinker Retime needs Python 3.6 or later; Resolve ran it with Python 2.7" in (
        result.stdout
    )


def test_the_lua_launcher_install_lists_only_the_lua_entry(tmp_path: Path) -> None:
    scripts = tmp_path / "Scripts"
    lines = _install(scripts, "--lua-launcher")
    lua = scripts / "Utility" / LUA_SCRIPT
    hidden = scripts / ".vtinker" / "VTinker Retime.py"
    assert lua.is_file() and hidden.is_file()
    assert not (scripts / "Utility" / "VTinker Retime.py").exists()  # one entry, not two
    text = lua.read_text()
    assert str(hidden) in text and "!Py3: " in text
    assert any("VTinker Retime (Lua)" in line for line in lines)
    # Back to the Python entry: the Lua one and its hidden script go.
    _install(scripts)
    assert not lua.exists() and not hidden.exists()
    assert (scripts / "Utility" / "VTinker Retime.py").is_file()
    _install(scripts, "--uninstall")
    assert not scripts.exists()


@pytest.mark.skipif(shutil.which("vtinker", path=ENGINE_BIN) is None, reason="no vtinker command")
def test_the_python_line_the_lua_entry_runs_starts_the_menu_script(tmp_path: Path) -> None:
    """What Fusion's Execute('!Py3: ...') gets, run by a Python with Resolve's globals: it marks
    that it started, then the installed menu script retimes the clip end to end."""
    scripts = tmp_path / "Scripts"
    _install(scripts, "--lua-launcher")
    hidden = scripts / ".vtinker" / "VTinker Retime.py"
    plates = _plates(tmp_path / "plates", 1001, 1006)
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import importlib.util, json\n"
        f"spec = importlib.util.spec_from_file_location('fake', {str(FAKE)!r})\n"
        "fake = importlib.util.module_from_spec(spec); spec.loader.exec_module(fake)\n"
        f"clip = fake.sequence_clip({plates!r}, 'shot.', 1001, 1006)\n"
        "scene = fake.make_scene(clip, duration=6, version=[21, 1, 0, 3, ''],"
        " product='DaVinci Resolve')\n"
        "resolve = scene.resolve\n"
        f"exec({python_code(hidden)!r})\n"
        "print('PLACED ' + json.dumps(len(scene.timeline.GetItemListInTrack('video', 2))))\n"
    )
    result = subprocess.run(
        [sys.executable, str(driver)],
        capture_output=True,
        text=True,
        env=_clean_env(VTINKER_RESOLVE_UI="none", VTINKER_RESOLVE_ENGINE="blend"),
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (hidden.parent / "VTinker Retime.py.launched").is_file()
    assert "PLACED 1" in result.stdout
    assert "running in DaVinci Resolve 21.1.0" in result.stdout


PRELUDE = """
local product = os.getenv("VT_PRODUCT")
local runs = os.getenv("VT_RUNS") == "1"
resolve = {
  GetProductName = function(self) return product end,
  GetVersion = function(self) return { 21, 1, 0, 3, "" } end,
}
fu = {
  Execute = function(self, code)
    local record = io.open(os.getenv("VT_RECORD"), "w")
    record:write(code)
    record:close()
    if runs then  -- what Python's first step does: mark that it started
      local python = io.open(os.getenv("VT_RECORD") .. ".py", "w")
      python:write((string.gsub(code, "^!Py3: ", "")) .. "\\n")
      python:close()
      os.execute(os.getenv("VT_PYTHON") .. " " .. os.getenv("VT_RECORD") .. ".py")
    end
  end,
}
"""


def _run_lua(tmp_path: Path, product: str, runs: bool) -> subprocess.CompletedProcess[str]:
    scripts = tmp_path / "Scripts"
    _install(scripts, "--lua-launcher")
    prelude = tmp_path / "prelude.lua"
    prelude.write_text(PRELUDE)
    driver = tmp_path / "driver.lua"
    driver.write_text(
        f"dofile({json.dumps(str(prelude))})\n"
        f"dofile({json.dumps(str(scripts / 'Utility' / LUA_SCRIPT))})\n"
    )
    env = _clean_env(
        VT_PRODUCT=product,
        VT_RUNS="1" if runs else "0",
        VT_RECORD=str(tmp_path / "executed.txt"),
        VT_PYTHON=sys.executable,
        VTINKER_LUA_WAIT="1",
    )
    return subprocess.run(
        [str(LUA), str(driver)], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.skipif(LUA is None, reason="no Lua 5.1 interpreter on this machine")
def test_the_lua_entry_hands_over_to_python_and_stays_quiet(tmp_path: Path) -> None:
    result = _run_lua(tmp_path, "DaVinci Resolve", runs=True)
    assert result.returncode == 0, result.stdout + result.stderr
    executed = (tmp_path / "executed.txt").read_text()
    assert executed.startswith("!Py3: import runpy;")
    assert "could not run" not in result.stdout and "free edition" not in result.stdout
    # The menu script ran (no Resolve in this stand-in: it says so).
    assert "DaVinci Resolve scripting is not available" in result.stdout


@pytest.mark.skipif(LUA is None, reason="no Lua 5.1 interpreter on this machine")
@pytest.mark.parametrize(
    ("product", "says"),
    [
        ("DaVinci Resolve", "(free edition) lists no Python scripts and could not run Python"),
        ("DaVinci Resolve Studio", "could not run the Python part of VTinker Retime"),
    ],
)
def test_the_lua_entry_says_what_to_do_when_python_does_not_run(
    tmp_path: Path, product: str, says: str
) -> None:
    result = _run_lua(tmp_path, product, runs=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"VTinker Retime: {product} 21.1.0" in result.stdout
    assert says in result.stdout
    assert "Install a 64-bit Python 3" in result.stdout
