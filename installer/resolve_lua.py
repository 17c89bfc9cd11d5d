"""The Lua entry for Resolve versions that list no Python scripts (21.1 and later, free).

``vtinker-install resolve --lua-launcher`` writes ``Scripts/Utility/VTinker Retime (Lua).lua``
from the template ``hosts/resolve/VTinker Retime (Lua).lua`` with two values filled in: the
installed Python menu script (kept in ``Scripts/.vtinker/``, a folder Resolve does not list)
and the one line of Python that Fusion's ``Execute("!Py3: ...")`` runs::

    text = render_lua_launcher(Path(".../Scripts/.vtinker/VTinker Retime.py"))
"""

from __future__ import annotations

from pathlib import Path

LUA_SCRIPT = "VTinker Retime (Lua).lua"
#: Where the Python menu script the Lua entry starts is kept (not a Workspace > Scripts folder).
HIDDEN_FOLDER = ".vtinker"
LUA_MARKER = "-- Written by vtinker-install; `vtinker-install resolve --uninstall` removes it."


def _long_string(text: str) -> str:
    """``text`` as a Lua long string (``[==[ ... ]==]``), with no escaping needed."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    equals = "=" * level
    return f"[{equals}[{text}]{equals}]"


def python_code(menu_script: Path) -> str:
    """The Python the Lua entry runs: mark that Python started, then run the menu script with
    the globals Fusion gives it (one line: Execute takes a string)."""
    path = repr(str(menu_script))
    return (
        f"import runpy; _vt = {path}; open(_vt + '.launched', 'w').write('1'); "
        "runpy.run_path(_vt, init_globals=dict(globals(), VTINKER_LAUNCHER='lua'), "
        "run_name='__main__')"
    )


def render_lua_launcher(menu_script: Path, template: str | None = None) -> str:
    """The Lua entry with its values written in (and the marker line on top).

    Raises:
        ValueError: the template lacks the lines to fill in.
    """
    if template is None:
        from vtinker_installer.resolve import adapter_dir

        template = (adapter_dir() / LUA_SCRIPT).read_text(encoding="utf-8")
    values = {
        "MENU_SCRIPT": _long_string(str(menu_script)),
        "PYTHON_CODE": _long_string(python_code(menu_script)),
    }
    lines = template.splitlines()
    for index, line in enumerate(lines):
        for name in list(values):
            if line.startswith(f"local {name} = "):
                lines[index] = f"local {name} = {values.pop(name)}"
    if values:
        raise ValueError(f"the Lua launcher template lacks {', '.join(sorted(values))}")
    return LUA_MARKER + "\n" + "\n".join(lines) + "\n"
