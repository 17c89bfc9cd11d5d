"""The core stays import-light: torch and CuPy are loaded only where a network runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

LIGHT_MODULES = [
    "vtinker_core",
    "vtinker_core.errors",
    "vtinker_core.frame",
    "vtinker_core.job",
    "vtinker_core.timing",
    "vtinker_core.curves",
    "vtinker_core.cuts",
    "vtinker_core.tiling",
    "vtinker_core.memory",
    "vtinker_core.timecode",
    "vtinker_core.progress",
    "vtinker_core.engines",
    "vtinker_core.engines.simple",
    "vtinker_core.render_lock",
    "vtinker_core.frame_renderer",
    "vtinker_core.cli",
]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_module_imports_without_torch(module: str) -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['cupy'] = None\n"
        f"import {module}\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cli_help_runs_without_torch() -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from vtinker_core.cli import build_parser\n"
        "build_parser().format_help()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
