"""Install the DaVinci Resolve Workspace > Scripts entry "VTinker Retime".

Examples::

    vtinker-install resolve                      # this user's Scripts folder
    vtinker-install resolve --all-users          # every user (needs write access there)
    vtinker-install resolve --scripts-dir DIR    # a Scripts folder of your choice
    vtinker-install resolve --uninstall          # removes exactly what was written

The menu script (``hosts/resolve/VTinker Retime.py``) is written into ``Scripts/Utility``, which
Resolve lists on every page (a second copy under a page's folder would list the entry twice
there; ``--category`` adds one if you want it), with two paths filled in: the engine
environment's scripts folder (``vtinker``, ``vtinker-preview``) and the installed adapter
package, which it loads with Resolve's own Python (standard library only).

``--lua-launcher`` (for Resolve 21.1 and later, free edition, which lists no Python scripts)
writes the Lua entry ``VTinker Retime (Lua).lua`` there instead, and the Python script it starts
into ``Scripts/.vtinker/`` (:mod:`vtinker_installer.resolve_lua`).

What was written, and which folders were created, is recorded in
``Scripts/.vtinker-install.json``; ``--uninstall`` removes exactly that, and a new install
removes what an earlier one wrote and this one does not (e.g. the ``Edit`` copy older versions
made). Installing twice gives the same files.

Every per-platform fact lives in the tables below (STYLE.md §2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from vtinker_installer.resolve_lua import (
    HIDDEN_FOLDER,
    LUA_MARKER,
    LUA_SCRIPT,
    render_lua_launcher,
)

MENU_SCRIPT = "VTinker Retime.py"
#: The Scripts sub-folders (Workspace > Scripts categories) an entry may go into; Utility is
#: listed on every page (scripting README, "Using a script").
CATEGORIES = ("Utility", "Edit", "Color", "Deliver", "Comp")
DEFAULT_CATEGORIES = ("Utility",)
MANIFEST = ".vtinker-install.json"
MARKER = "# Written by vtinker-install; `vtinker-install resolve --uninstall` removes it."
PLATFORMS = ("linux", "darwin", "windows")

_MAC_RESOLVE = ("Library", "Application Support", "Blackmagic Design", "DaVinci Resolve")
# Fusion Scripts folders, from HOSTS.md. Each location is (base, parts): base "~" is the home
# folder, "/" the file-system root (the drive root on Windows), anything else an environment
# variable.
SCRIPTS_FOLDERS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "linux": {
        "user": ("~", (".local", "share", "DaVinciResolve", "Fusion", "Scripts")),
        "all": ("/", ("opt", "resolve", "Fusion", "Scripts")),
    },
    "darwin": {
        "user": (
            "~",
            (*_MAC_RESOLVE, "Fusion", "Scripts"),
        ),
        "all": (
            "/",
            (*_MAC_RESOLVE, "Fusion", "Scripts"),
        ),
    },
    "windows": {
        "user": (
            "APPDATA",
            ("Blackmagic Design", "DaVinci Resolve", "Support", "Fusion", "Scripts"),
        ),
        "all": ("PROGRAMDATA", ("Blackmagic Design", "DaVinci Resolve", "Fusion", "Scripts")),
    },
}

# External scripting: RESOLVE_SCRIPT_API (holding Modules/DaVinciResolveScript.py) and
# RESOLVE_SCRIPT_LIB (fusionscript), as Resolve's scripting README gives them. Written into the
# menu script as defaults for when the `resolve` global is missing.
SCRIPT_API: dict[str, tuple[str, tuple[str, ...]]] = {
    "linux": ("/", ("opt", "resolve", "Developer", "Scripting")),
    "darwin": (
        "/",
        (*_MAC_RESOLVE, "Developer", "Scripting"),
    ),
    "windows": (
        "PROGRAMDATA",
        ("Blackmagic Design", "DaVinci Resolve", "Support", "Developer", "Scripting"),
    ),
}
SCRIPT_LIB: dict[str, str] = {
    "linux": "/opt/resolve/libs/Fusion/fusionscript.so",
    "darwin": "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/"
    "fusionscript.so",
    "windows": "C:\\Program Files\\Blackmagic Design\\DaVinci Resolve\\fusionscript.dll",
}
#: The engine's commands, as the platform names them.
ENGINE_COMMANDS: dict[str, str] = {
    "linux": "vtinker",
    "darwin": "vtinker",
    "windows": "vtinker.exe",
}


def current_platform() -> str:
    """``linux``, ``darwin`` or ``windows`` for this machine."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def _location(base: str, parts: tuple[str, ...], platform: str) -> Path:
    if base == "~":
        root = os.path.expanduser("~")
        if root == "~":
            raise OSError("cannot tell the home folder: set HOME")
        return Path(root, *parts)
    if base == "/":
        if platform == "windows":
            raise ValueError("an absolute Windows location needs a drive")  # not in the tables
        return Path("/", *parts)
    value = os.environ.get(base)
    if not value:
        raise OSError(f"%{base}% is not set; pass --scripts-dir to say where Resolve's Scripts are")
    return Path(value, *parts)


def scripts_folder(platform: str, *, all_users: bool = False) -> Path:
    """Resolve's Fusion ``Scripts`` folder for ``platform`` (this user's, or all users')."""
    if platform not in SCRIPTS_FOLDERS:
        raise ValueError(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
    base, parts = SCRIPTS_FOLDERS[platform]["all" if all_users else "user"]
    return _location(base, parts, platform)


def script_api_folder(platform: str) -> str:
    """The default ``RESOLVE_SCRIPT_API`` for ``platform`` ("" when it cannot be told)."""
    base, parts = SCRIPT_API[platform]
    try:
        return str(_location(base, parts, platform))
    except OSError:
        return ""


def engine_bin() -> Path:
    """The scripts folder of the environment running this installer (``vtinker`` is there)."""
    return Path(sysconfig.get_path("scripts"))


def adapter_dir() -> Path:
    """The installed ``vtinker_hosts.resolve`` package folder (standard library only)."""
    import vtinker_hosts.resolve

    return Path(vtinker_hosts.resolve.__file__).resolve().parent


def render_menu_script(
    template: str, *, engine: str, adapter: str, script_api: str, script_lib: str
) -> str:
    """The menu script with the installer's values written in (and the marker line on top)."""
    values = {
        "ENGINE_BIN": engine,
        "ADAPTER_DIR": adapter,
        "SCRIPT_API": script_api,
        "SCRIPT_LIB": script_lib,
    }
    lines = template.splitlines()
    for index, line in enumerate(lines):
        name = line.split("=", 1)[0].strip()
        if name in values and line.startswith(name + " = "):
            lines[index] = f"{name} = {values.pop(name)!r}"
    if values:
        raise ValueError(f"the menu script template lacks {', '.join(sorted(values))}")
    return MARKER + "\n" + "\n".join(lines) + "\n"


def _read_manifest(scripts: Path) -> dict[str, list[str]]:
    path = scripts / MANIFEST
    if not path.exists():
        return {"files": [], "folders": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise OSError(f"cannot read {path}: {err}") from err
    return {"files": list(data.get("files", [])), "folders": list(data.get("folders", []))}


def _write_manifest(scripts: Path, manifest: dict[str, list[str]]) -> None:
    path = scripts / MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _is_ours(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().rstrip("\n") in (MARKER, LUA_MARKER)
    except OSError:
        return False


def planned_scripts(
    scripts: Path,
    menu_text: str,
    *,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    lua_launcher: bool = False,
) -> dict[Path, str]:
    """Target file → text, for an install into ``scripts``."""
    if not lua_launcher:
        return {scripts / c / MENU_SCRIPT: menu_text for c in categories}
    hidden = scripts / HIDDEN_FOLDER / MENU_SCRIPT
    lua_text = render_lua_launcher(hidden)
    planned = {scripts / c / LUA_SCRIPT: lua_text for c in categories}
    planned[hidden] = menu_text
    return planned


def _write(target: Path, text: str) -> str:
    if target.exists() and not _is_ours(target):
        raise FileExistsError(
            f"{target} exists and was not written by vtinker-install; move it away first"
        )
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return f"up to date: {target}"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return f"wrote {target}"


def install(
    scripts: Path,
    *,
    platform: str,
    engine: Path | None = None,
    adapter: Path | None = None,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    lua_launcher: bool = False,
) -> Iterator[str]:
    """Write the menu entry into ``scripts/<category>/``; yields one line per action.

    Raises:
        FileExistsError: a file of that name is there and was not written by us.
        OSError: a folder cannot be created or written.
    """
    engine = engine or engine_bin()
    adapter = adapter or adapter_dir()
    template = (adapter / MENU_SCRIPT).read_text(encoding="utf-8")
    text = render_menu_script(
        template,
        engine=str(engine),
        adapter=str(adapter),
        script_api=script_api_folder(platform),
        script_lib=SCRIPT_LIB[platform],
    )
    planned = planned_scripts(scripts, text, categories=categories, lua_launcher=lua_launcher)
    manifest = _read_manifest(scripts) if scripts.exists() else {"files": [], "folders": []}
    created: list[Path] = []
    for folder in [scripts, *sorted({p.parent for p in planned})]:
        missing = [p for p in [folder, *folder.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        created.extend(reversed(missing))
    for path in created:
        if str(path) not in manifest["folders"]:
            manifest["folders"].append(str(path))
    for target, content in planned.items():
        yield _write(target, content)
        if str(target) not in manifest["files"]:
            manifest["files"].append(str(target))
    for name in list(manifest["files"]):  # what an earlier install wrote and this one does not
        path = Path(name)
        if path not in planned:
            if path.exists() and _is_ours(path):
                path.unlink()
                yield f"removed {path}"
            manifest["files"].remove(name)
    _write_manifest(scripts, manifest)
    command = ENGINE_COMMANDS[platform]
    if not (engine / command).exists():
        yield f"warning: {engine / command} not found; the menu entry runs the engine from there"
    yield f"engine: {engine}"
    entry = LUA_SCRIPT.rsplit(".", 1)[0] if lua_launcher else MENU_SCRIPT.rsplit(".", 1)[0]
    yield f"in Resolve: Workspace > Scripts > {entry} (restart Resolve if it is not listed)"
    if not lua_launcher:
        yield (
            "Resolve 21.1 and later, free edition: Python scripts are not listed there; "
            "install with --lua-launcher for an entry that starts this one"
        )


def uninstall(scripts: Path) -> Iterator[str]:
    """Remove what :func:`install` wrote into ``scripts`` (files, then folders it created)."""
    manifest = _read_manifest(scripts)
    if not manifest["files"] and not manifest["folders"]:
        # Installed by an older installer or by hand: remove only files carrying our marker.
        names = (MENU_SCRIPT, LUA_SCRIPT)
        manifest["files"] = [str(scripts / c / n) for c in CATEGORIES for n in names]
    removed = False
    for name in manifest["files"]:
        path = Path(name)
        if path.exists() and _is_ours(path):
            path.unlink()
            removed = True
            yield f"removed {path}"
    manifest_path = scripts / MANIFEST
    if manifest_path.exists():
        manifest_path.unlink()
    for name in sorted(manifest["folders"], key=len, reverse=True):
        folder = Path(name)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            yield f"removed {folder}{os.sep}"
    if not removed:
        yield f"nothing to remove in {scripts}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vtinker-install resolve`` options."""
    parser.add_argument(
        "--scripts-dir",
        type=Path,
        default=None,
        help="Resolve's Fusion Scripts folder (default: the platform's per-user folder)",
    )
    parser.add_argument(
        "--all-users", action="store_true", help="install into the all-users Scripts folder"
    )
    parser.add_argument(
        "--category",
        action="append",
        choices=CATEGORIES,
        default=None,
        help="Workspace > Scripts folder to install into (repeatable; default: Utility, "
        "listed on every page)",
    )
    parser.add_argument(
        "--lua-launcher",
        action="store_true",
        help="install the Lua entry that starts the Python script (Resolve 21.1+ free edition, "
        "which lists no Python scripts)",
    )
    parser.add_argument("--uninstall", action="store_true", help="remove what was installed")
    parser.add_argument(
        "--platform",
        choices=PLATFORMS,
        default=None,
        help="folder layout to use (default: this machine's; for tests)",
    )


def run(args: argparse.Namespace) -> Iterator[str]:
    """Install or uninstall as ``args`` say; yields the lines to print."""
    platform = args.platform or current_platform()
    scripts = args.scripts_dir or scripts_folder(platform, all_users=args.all_users)
    if args.uninstall:
        yield from uninstall(scripts)
        return
    categories = tuple(dict.fromkeys(args.category or DEFAULT_CATEGORIES))
    yield from install(
        scripts, platform=platform, categories=categories, lua_launcher=args.lua_launcher
    )
