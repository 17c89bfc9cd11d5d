"""Which ``vtinker`` executable the node runs, and the small config file the installer writes.

``vtinker-install nuke`` copies this package next to a ``vtinker_retime.json`` file::

    ~/.nuke/vtinker_retime/
        init.py  menu.py  icons/  vtinker_retime.json  vtinker_hosts/

    {"engine_executable": "/opt/vtinker/.venv/bin/vtinker", "version": 1}

Example::

    default_engine_executable()        # '/opt/vtinker/.venv/bin/vtinker'
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The config file's name, in the folder that holds the installed ``vtinker_hosts`` package.
CONFIG_NAME = "vtinker_retime.json"
CONFIG_VERSION = 1
#: Environment variable that overrides the installed engine executable (studio set-ups).
EXECUTABLE_ENV = "VTINKER_EXECUTABLE"


def config_path() -> Path:
    """Where the installer puts the config: beside the installed ``vtinker_hosts`` folder."""
    return Path(__file__).resolve().parent.parent.parent / CONFIG_NAME


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The installed config as a dict; empty when there is none or it is unreadable."""
    target = path if path is not None else config_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def default_engine_executable(
    env: Mapping[str, str] | None = None, path: Path | None = None
) -> str:
    """The engine command the node runs unless its knob says otherwise.

    Order: ``$VTINKER_EXECUTABLE``, the installed config's ``engine_executable``, ``vtinker``
    on ``PATH``, else plain ``"vtinker"`` (which fails with a clear message when run).

    Args:
        env: the environment to read (default ``os.environ``).
        path: the config file (default :func:`config_path`).
    """
    environ = os.environ if env is None else env
    chosen = environ.get(EXECUTABLE_ENV, "").strip()
    if chosen:
        return chosen
    configured = read_config(path).get("engine_executable")
    if isinstance(configured, str) and configured.strip():
        return configured.strip()
    return shutil.which("vtinker") or "vtinker"
