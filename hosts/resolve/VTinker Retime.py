"""VTinker Retime: DaVinci Resolve Workspace > Scripts entry.

Retimes the clip under the playhead with VTinker (frame-rate conversion to the timeline rate by
default, any speed in the VTinker window), then imports the result into the "VTinker" bin and
places it on the track above the original.

This file only finds the adapter and the engine and hands over; it uses the standard library
of whatever Python Resolve runs (3.6 or later). `vtinker-install resolve` writes it into
Resolve's Scripts folders with the paths below filled in; copied by hand, it looks for an
installed `vtinker_hosts` package and a `vtinker` command on PATH instead.
"""

import importlib
import importlib.util
import os
import shutil
import sys

# vtinker-install: the lines below are filled in by the installer.
ENGINE_BIN = ""
ADAPTER_DIR = ""
SCRIPT_API = ""
SCRIPT_LIB = ""
# vtinker-install: end

ADAPTER_PACKAGE = "vtinker_resolve_adapter"


def load_adapter(adapter_dir):
    """The adapter's action module (hosts/resolve), from ``adapter_dir`` or the installed one.

    Loaded afresh on every run, so an upgraded VTinker takes effect without restarting Resolve.
    """
    if not (adapter_dir and os.path.isfile(os.path.join(adapter_dir, "__init__.py"))):
        return importlib.import_module("vtinker_hosts.resolve.action")
    for name in list(sys.modules):
        if name == ADAPTER_PACKAGE or name.startswith(ADAPTER_PACKAGE + "."):
            del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        ADAPTER_PACKAGE,
        os.path.join(adapter_dir, "__init__.py"),
        submodule_search_locations=[adapter_dir],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[ADAPTER_PACKAGE] = module
    spec.loader.exec_module(module)
    return importlib.import_module(ADAPTER_PACKAGE + ".action")


def engine_bin():
    """The engine environment's scripts folder: the installed one, else `vtinker` on PATH."""
    if ENGINE_BIN:
        return ENGINE_BIN
    found = shutil.which("vtinker")
    return os.path.dirname(found) if found else ""


def main(host_globals):
    """Run the action with the globals Resolve injected (`resolve`, `app`, `bmd`)."""
    try:
        action = load_adapter(ADAPTER_DIR)
    except ImportError as err:
        print(
            "VTinker: the VTinker Resolve adapter could not be loaded ({}). Run "
            "'vtinker-install resolve' again from the VTinker environment.".format(err)
        )
        return 1
    return action.run_menu(
        resolve=host_globals.get("resolve"),
        app=host_globals.get("app") or host_globals.get("fusion") or host_globals.get("fu"),
        bmd=host_globals.get("bmd"),
        engine_bin=engine_bin(),
        script_api=SCRIPT_API,
        script_lib=SCRIPT_LIB,
    )


if __name__ == "__main__":
    main(globals())
