"""Install the VTinker Retime node into Nuke (a plugin folder plus two lines in init.py).

Examples::

    vtinker-install nuke                         # ~/.nuke/vtinker_retime + ~/.nuke/init.py
    vtinker-install nuke --nuke-dir /studio/nuke # another .nuke folder
    vtinker-install nuke --no-init-py            # files only (the studio manages NUKE_PATH)
    vtinker-install nuke --uninstall             # removes exactly what was added

What goes where (``DIR`` is ``--nuke-dir``, default ``~/.nuke``)::

    DIR/vtinker_retime/init.py, menu.py, icons/   the plugin folder (hosts/nuke/plugin/)
    DIR/vtinker_retime/vtinker_hosts/             the adapter package (standard library only)
    DIR/vtinker_retime/vtinker_retime.json        which vtinker executable the node runs
    DIR/init.py                                   a marked block: nuke.pluginAddPath(...)

The engine executable is the ``vtinker`` command of the environment running this installer
(its scripts folder; else ``vtinker`` on ``PATH``; ``--engine`` chooses another), so Nuke's own
Python never needs torch. Installing twice changes nothing; ``--uninstall`` removes the block
(and only it: the rest of ``init.py`` is left byte for byte) and the folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

FOLDER_NAME = "vtinker_retime"
CONFIG_NAME = "vtinker_retime.json"  # read by vtinker_hosts.nuke.config
BEGIN_MARKER = "# >>> vtinker retime >>>"
END_MARKER = "# <<< vtinker retime <<<"
ENGINE_COMMAND = "vtinker.exe" if sys.platform.startswith("win") else "vtinker"
_SKIP = {"__pycache__", "plugin"}


# ------------------------------------------------------------------------------- sources


def hosts_dir() -> Path:
    """The installed ``vtinker_hosts`` package folder (standard library only)."""
    import vtinker_hosts

    return Path(vtinker_hosts.__file__).resolve().parent


def plugin_dir() -> Path:
    """The Nuke plugin folder shipped with the package (``init.py``, ``menu.py``, icons)."""
    folder = hosts_dir() / "nuke" / "plugin"
    if not (folder / "init.py").is_file() or not (folder / "menu.py").is_file():
        raise OSError(
            f"the Nuke plugin files are missing from {folder}; reinstall vtinker with its "
            "package data"
        )
    return folder


def planned_files(hosts: Path, plugin: Path) -> dict[Path, Path]:
    """Relative target path → source file, for the plugin folder."""
    files: dict[Path, Path] = {}
    for source in sorted(plugin.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            files[source.relative_to(plugin)] = source
    package = Path("vtinker_hosts")
    # The package's own files and its shared modules (the engine client the node runs).
    for source in sorted(hosts.iterdir()):
        if source.is_file() and (source.suffix == ".py" or source.name == "py.typed"):
            files[package / source.name] = source
    for source in sorted((hosts / "nuke").rglob("*")):
        relative = source.relative_to(hosts / "nuke")
        if source.is_file() and not _SKIP.intersection(relative.parts):
            files[package / "nuke" / relative] = source
    return files


def find_engine_executable() -> str | None:
    """This environment's ``vtinker`` (beside this Python), else ``vtinker`` on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / ENGINE_COMMAND
    if beside.is_file():
        return str(beside)
    beside = Path(sys.executable).parent / ENGINE_COMMAND
    if beside.is_file():
        return str(beside)
    return shutil.which("vtinker")


# ------------------------------------------------------------------------------- init.py


def init_block(folder: Path, eol: str = "\n") -> str:
    """The marked block that loads the plugin folder from ``init.py``."""
    lines = [
        BEGIN_MARKER,
        "# Added by vtinker-install; `vtinker-install nuke --uninstall` removes this block.",
        "import nuke",
        f"nuke.pluginAddPath({folder.as_posix()!r})",
        END_MARKER,
    ]
    return eol.join(lines) + eol


def _block_span(text: str) -> tuple[int, int] | None:
    start = text.find(BEGIN_MARKER)
    if start < 0:
        return None
    if start > 0 and text[start - 1] != "\n":
        return None  # the marker is not at the start of a line: not ours
    end = text.find(END_MARKER, start)
    if end < 0:
        raise ValueError(
            f"init.py has '{BEGIN_MARKER}' without '{END_MARKER}'; fix or remove the block by hand"
        )
    end += len(END_MARKER)
    if text.startswith("\r\n", end):
        end += 2
    elif text.startswith("\n", end):
        end += 1
    return start, end


def add_block(text: str, block: str) -> tuple[str, bool]:
    """``text`` with ``block`` in it: replaced where a block is, else appended.

    Returns:
        (new text, True when a line break had to be added before an appended block).
    """
    span = _block_span(text)
    if span is not None:
        return text[: span[0]] + block + text[span[1] :], False
    needs_break = bool(text) and not text.endswith("\n")
    eol = "\r\n" if "\r\n" in text else "\n"
    return text + (eol if needs_break else "") + block, needs_break


def remove_block(text: str, break_added: bool = False) -> str:
    """``text`` without the block (and the line break :func:`add_block` added for it)."""
    span = _block_span(text)
    if span is None:
        return text
    start, end = span
    head, tail = text[:start], text[end:]
    if break_added and not tail:
        for eol in ("\r\n", "\n"):
            if head.endswith(eol):
                head = head[: -len(eol)]
                break
    return head + tail


def _read_text(path: Path) -> str | None:
    if not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.vtinker-tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    tmp.replace(path)


# ------------------------------------------------------------------------------- actions


def _read_config(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sync_file(source_bytes: bytes, target: Path) -> bool:
    if target.is_file() and target.read_bytes() == source_bytes:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.vtinker-tmp")
    tmp.write_bytes(source_bytes)
    tmp.replace(target)
    return True


def install(nuke_dir: Path, *, engine: str | None = None, edit_init: bool = True) -> list[str]:
    """Copy the plugin folder and package, record the engine, add the init.py block.

    Returns:
        The lines to print.
    """
    lines: list[str] = []
    folder = nuke_dir / FOLDER_NAME
    previous = _read_config(folder)
    if folder.exists() and not previous:
        raise OSError(f"{folder} exists and was not made by vtinker-install; move it away first")
    created_dir = bool(previous.get("created_nuke_dir", not nuke_dir.exists()))
    files = planned_files(hosts_dir(), plugin_dir())
    changed = sum(_sync_file(src.read_bytes(), folder / rel) for rel, src in files.items())
    wanted = {folder / rel for rel in files} | {folder / CONFIG_NAME}
    for path in sorted(folder.rglob("*"), reverse=True):  # files from an older version
        if path.is_file() and path not in wanted and "__pycache__" not in path.parts:
            path.unlink()
            changed += 1
        elif path.is_dir() and path.name != "__pycache__" and not any(path.iterdir()):
            path.rmdir()

    executable = engine or find_engine_executable()
    init_path = nuke_dir / "init.py"
    config = {
        "version": 1,
        "engine_executable": executable,
        "created_nuke_dir": created_dir,
        "created_init_py": bool(previous.get("created_init_py", False)),
        "init_py_break_added": bool(previous.get("init_py_break_added", False)),
    }
    if edit_init:
        text = _read_text(init_path)
        if text is None:
            config["created_init_py"] = True
        eol = "\r\n" if text and "\r\n" in text else "\n"
        new_text, break_added = add_block(text or "", init_block(folder, eol))
        config["init_py_break_added"] = break_added or bool(config["init_py_break_added"])
        if new_text != text:
            _write_text(init_path, new_text)
            lines.append(f"added the VTinker Retime block to {init_path}")
        else:
            lines.append(f"{init_path} already loads VTinker Retime")
    config_text = json.dumps(config, indent=2) + "\n"
    changed += _sync_file(config_text.encode("utf-8"), folder / CONFIG_NAME)
    lines.insert(
        0,
        f"installed {len(files)} files in {folder}" if changed else f"{folder} is up to date",
    )
    if executable:
        lines.append(f"engine: {executable}")
    else:
        lines.append(
            "warning: no vtinker executable found; set the node's Engine Executable knob "
            "(VTinker tab) or $VTINKER_EXECUTABLE"
        )
    lines.append(
        f"NUKE_PATH: studios that manage NUKE_PATH can add {folder} to it instead "
        "(install with --no-init-py)"
    )
    lines.append("restart Nuke; the node is in the Nodes toolbar under Time > VTinker Retime")
    return lines


def uninstall(nuke_dir: Path) -> list[str]:
    """Remove the init.py block and the plugin folder that :func:`install` added."""
    lines: list[str] = []
    folder = nuke_dir / FOLDER_NAME
    config = _read_config(folder)
    init_path = nuke_dir / "init.py"
    text = _read_text(init_path)
    if text is not None and _block_span(text) is not None:
        rest = remove_block(text, bool(config.get("init_py_break_added", False)))
        if not rest and config.get("created_init_py"):
            init_path.unlink()
            lines.append(f"removed {init_path} (vtinker-install had created it)")
        else:
            _write_text(init_path, rest)
            lines.append(f"removed the VTinker Retime block from {init_path}")
    if folder.exists():
        if not config:
            raise OSError(f"{folder} was not made by vtinker-install; not removing it")
        shutil.rmtree(folder)
        lines.append(f"removed {folder}")
    if config.get("created_nuke_dir") and nuke_dir.is_dir() and not any(nuke_dir.iterdir()):
        nuke_dir.rmdir()
        lines.append(f"removed {nuke_dir} (vtinker-install had created it)")
    if not lines:
        lines.append(f"nothing to remove in {nuke_dir}")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vtinker-install nuke`` options."""
    parser.add_argument(
        "--nuke-dir",
        type=Path,
        default=None,
        help="the .nuke folder to install into (default: ~/.nuke)",
    )
    parser.add_argument(
        "--engine",
        default=None,
        help="the vtinker executable the node runs (default: this environment's)",
    )
    parser.add_argument(
        "--no-init-py",
        dest="edit_init",
        action="store_false",
        help="copy the files only; put the folder on NUKE_PATH yourself",
    )
    parser.add_argument("--uninstall", action="store_true", help="remove what was installed")


def run(args: argparse.Namespace) -> list[str]:
    """Install or uninstall as ``args`` say; returns the lines to print."""
    nuke_dir = args.nuke_dir if args.nuke_dir is not None else Path.home() / ".nuke"
    nuke_dir = Path(os.path.expanduser(str(nuke_dir))).absolute()
    if args.uninstall:
        return uninstall(nuke_dir)
    return install(nuke_dir, engine=args.engine, edit_init=args.edit_init)
