"""``vtinker-install``: put the adapters into Nuke and Resolve, and the weights where we look.

Examples::

    vtinker-install nuke                      # adds the plugin folder to ~/.nuke/init.py
    vtinker-install nuke --uninstall
    vtinker-install resolve                   # writes the Workspace > Scripts menu entry
    vtinker-install checkpoint ~/Downloads/VTinker.pkl

Each host's folder conventions live in its own module (``vtinker_installer.nuke``,
``vtinker_installer.resolve``); this module only parses the command line. Errors print one
line and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_ERROR = 2


def install_checkpoint(source: Path, *, force: bool = False) -> Path:
    """Check that ``source`` loads strictly as a VTinker checkpoint, then copy it into the
    user cache folder where ``auto`` finds it. Returns the installed path."""
    from vtinker_core.engines import user_cache_dir
    from vtinker_core.model.checkpoint import load_checkpoint

    load_checkpoint(source)  # raises CheckpointError naming the file on any problem
    target_dir = user_cache_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".safetensors" if source.suffix == ".safetensors" else ".pkl"
    target = target_dir / f"VTinker{suffix}"
    if target.exists() and not force and target.read_bytes() != source.read_bytes():
        raise FileExistsError(f"{target} already exists; pass --force to replace it")
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return target


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vtinker-install", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="host", required=True)
    for host in ("nuke", "resolve"):
        module = importlib.import_module(f"vtinker_installer.{host}")
        module.add_arguments(sub.add_parser(host, help=module.__doc__.splitlines()[0]))
    ckpt = sub.add_parser("checkpoint", help="install VTinker weights into the user cache")
    ckpt.add_argument("file", type=Path, help="VTinker.pkl or a .safetensors file")
    ckpt.add_argument("--force", action="store_true", help="replace an installed checkpoint")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the installer; returns 0, or 2 with one line on stderr on failure."""
    args = build_parser().parse_args(argv)
    try:
        if args.host == "checkpoint":
            print(install_checkpoint(args.file, force=args.force))
            return 0
        module = importlib.import_module(f"vtinker_installer.{args.host}")
        for line in module.run(args):
            print(line)
        return 0
    except (OSError, ValueError) as err:
        print(f"vtinker-install: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # VTinkerError and friends, without importing the core eagerly
        if type(err).__module__.startswith("vtinker_core"):
            print(f"vtinker-install: error: {err}", file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
