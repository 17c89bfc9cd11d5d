"""The Resolve adapter runs on Resolve's own Python: 3.6 grammar, standard library only.

Static checks on every file of ``hosts/resolve`` (the menu script included), then, where a
Python 3.6 interpreter is on this machine, the installed menu script run end to end under it
against the fake Resolve with the real engine.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import vtinker_hosts.resolve
from vtinker_core.frame import Frame
from vtinker_core.io import write_frame
from vtinker_installer.resolve import render_menu_script

pytestmark = pytest.mark.host

ADAPTER = Path(vtinker_hosts.resolve.__file__).resolve().parent
# The adapter and the shared engine client it loads from the folder above.
SOURCES = [*sorted(ADAPTER.glob("*.py")), ADAPTER.parent / "engine_client.py"]
MENU_SCRIPT = ADAPTER / "VTinker Retime.py"
FAKE = Path(__file__).parent / "fakes" / "resolve.py"
# Standard-library modules (and calls) newer than Python 3.6.
NEWER_MODULES = {
    "dataclasses",
    "contextvars",
    "graphlib",
    "zoneinfo",
    "tomllib",
    "importlib.resources",
    "importlib.metadata",
}
NEWER_KEYWORDS = {"capture_output", "text"}  # subprocess.run/Popen, 3.7+


def test_the_menu_script_is_there() -> None:
    assert MENU_SCRIPT in SOURCES and len(SOURCES) >= 8


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_python_36_grammar(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path), feature_version=(3, 6))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            assert "annotations" not in {a.name for a in node.names}, "3.7+ __future__ import"
        if isinstance(node, ast.Call):
            used = {k.arg for k in node.keywords} & NEWER_KEYWORDS
            assert not used, f"{path.name}:{node.lineno} uses {used} (Python 3.7+)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_standard_library_only(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the adapter package
                assert path != MENU_SCRIPT, "the menu script is not in a package"
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names or name in (
                "vtinker_hosts.resolve.action",  # the menu script's fallback to the installed one
            ), f"{path.name}:{node.lineno} imports {name}"
            assert name not in NEWER_MODULES, f"{path.name}:{node.lineno} imports {name} (3.7+)"


def _python36() -> str | None:
    candidates = [os.environ.get("VTINKER_PYTHON36"), shutil.which("python3.6")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.6*/bin/python3.6")))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out == "(3, 6)":
            return candidate
    return None


PYTHON36 = _python36()
ENGINE_BIN = sysconfig.get_path("scripts")

DRIVER = """\
import importlib.util, json, os, runpy, sys
spec = importlib.util.spec_from_file_location("resolve_fake", {fake!r})
fake = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fake)
clip = fake.sequence_clip({plates!r}, "shot.", 1001, 1020, fps="25")
scene = fake.make_scene(clip, timeline_fps="24", left_offset=2, duration=10, record_frame=86410)
runpy.run_path({menu!r}, init_globals={{"resolve": scene.resolve}}, run_name="__main__")
calls = scene.media_pool.import_calls
placed = [dict(info, mediaPoolItem=None)
          for infos in scene.media_pool.append_calls for info in infos]
print("RESULT " + json.dumps({{"version": list(sys.version_info[:2]), "import": calls,
                             "append": placed}}))
"""


@pytest.mark.skipif(PYTHON36 is None, reason="no Python 3.6 interpreter on this machine")
def test_every_module_compiles_and_imports_under_python_36(tmp_path: Path) -> None:
    init = str(ADAPTER / "__init__.py")
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('adapter', {init!r},"
        f" submodule_search_locations=[{str(ADAPTER)!r}])\n"
        "module = importlib.util.module_from_spec(spec); sys.modules['adapter'] = module\n"
        "spec.loader.exec_module(module)\n"
        "import adapter.action, adapter.app, adapter.clip, adapter.errors, adapter.handoff\n"
        "import adapter.importer, adapter.job, adapter.bring, adapter.farm, adapter.frames\n"
        "import adapter.product\n"
        f"compile(open({str(MENU_SCRIPT)!r}).read(), 'menu', 'exec')\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [PYTHON36, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.skipif(PYTHON36 is None, reason="no Python 3.6 interpreter on this machine")
@pytest.mark.skipif(shutil.which("vtinker", path=ENGINE_BIN) is None, reason="no vtinker command")
def test_the_installed_menu_script_runs_end_to_end_under_python_36(tmp_path: Path) -> None:
    plates = tmp_path / "plates"
    plates.mkdir()
    for frame in range(1001, 1021):
        pixels = np.full((8, 12, 3), frame / 1000.0, np.float32)
        write_frame(plates / f"shot.{frame:04d}.exr", Frame.from_array(pixels), bit_depth="half")
    menu = tmp_path / "VTinker Retime.py"
    menu.write_text(
        render_menu_script(
            MENU_SCRIPT.read_text(encoding="utf-8"),
            engine=ENGINE_BIN,
            adapter=str(ADAPTER),
            script_api="",
            script_lib="",
        ),
        encoding="utf-8",
    )
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(fake=str(FAKE), plates=str(plates), menu=str(menu)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VTINKER_"))}
    env.update(
        PYTHONDONTWRITEBYTECODE="1", VTINKER_RESOLVE_UI="none", VTINKER_RESOLVE_ENGINE="blend"
    )
    result = subprocess.run(
        [PYTHON36, str(driver)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    report = json.loads(lines[-1][len("RESULT ") :])
    assert report["version"] == [3, 6]
    out = plates / "vtinker" / "shot_vtinker_v001" / "shot_vtinker_v001.%04d.exr"
    assert report["import"] == [[{"FilePath": str(out), "StartIndex": 1003, "EndIndex": 1012}]]
    assert report["append"] == [
        {"mediaPoolItem": None, "trackIndex": 2, "recordFrame": 86410, "mediaType": 1}
    ]
    assert "placed on V2 at frame 86410" in result.stdout
