"""VTinker Retime: DaVinci Resolve Workspace > Scripts entry.

Retimes the clip under the playhead with VTinker (frame-rate conversion to the timeline rate by
default, any speed in the VTinker window), then imports the result into the "VTinker" bin and
places it on the track above the original.

This file only finds the adapter and the engine and hands over; it uses the standard library
of whatever Python Resolve runs (3.6 or later). `vtinker-install resolve` writes it into
Resolve's Scripts folders with the paths below filled in; copied by hand, it looks for an
installed `vtinker_hosts` package and a `vtinker` command on PATH instead.

Resolve's scripting README still lists Python 2.7 among its scripting languages, so this file
is written so that Python 2.7 can read it: there it says that Python 3 is needed, and stops.
"""

import os
import sys

# vtinker-install: the lines below are filled in by the installer.
ENGINE_BIN = ""
ADAPTER_DIR = ""
SCRIPT_API = ""
SCRIPT_LIB = ""
# vtinker-install: end

ADAPTER_PACKAGE = "vtinker_resolve_adapter"
MINIMUM_PYTHON = (3, 6)
TITLE = "VTinker Retime"


def python_refusal(version_info=None):
    """The message for a Python older than 3.6 (Resolve's Python 2.7 among them), else None."""
    version = tuple(version_info or sys.version_info)[:3]
    if version >= MINIMUM_PYTHON:
        return None
    return (
        "VTinker Retime needs Python 3.6 or later; Resolve ran it with Python {}. Install a "
        "64-bit Python 3 (python.org) and make it the Python Resolve uses for scripts, then "
        "restart Resolve and run it again (Workspace > Console shows which Python runs)."
    ).format(".".join(str(v) for v in version))


def say(message, host_globals):
    """Print ``message`` (Workspace > Console) and show it in a small window where Fusion's
    UIManager is there. Readable by Python 2.7 too."""
    print("{}: {}".format(TITLE, message))
    app = host_globals.get("app") or host_globals.get("fusion") or host_globals.get("fu")
    bmd = host_globals.get("bmd")
    ui = getattr(app, "UIManager", None) if app is not None else None
    if ui is None or bmd is None:
        return
    try:
        dispatcher = bmd.UIDispatcher(ui)
        window = dispatcher.AddWindow(
            {"ID": "VTinkerMessage", "WindowTitle": TITLE, "Geometry": [300, 300, 520, 180]},
            ui.VGroup([ui.Label({"ID": "Text", "Text": message, "WordWrap": True})]),
        )

        def close(_event):
            dispatcher.ExitLoop()

        window.On.VTinkerMessage.Close = close
        window.Show()
        dispatcher.RunLoop()
        window.Hide()
    except Exception:  # the window is a courtesy: the console has the message
        pass


def load_adapter(adapter_dir):
    """The adapter's action module (hosts/resolve), from ``adapter_dir`` or the installed one.

    Loaded afresh on every run, so an upgraded VTinker takes effect without restarting Resolve.
    """
    import importlib
    import importlib.util

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
    import shutil

    if ENGINE_BIN:
        return ENGINE_BIN
    found = shutil.which("vtinker")
    return os.path.dirname(found) if found else ""


def main(host_globals):
    """Run the action with the globals Resolve injected (`resolve`, `app`, `bmd`)."""
    refusal = python_refusal()
    if refusal:
        say(refusal, host_globals)
        return 1
    try:
        action = load_adapter(ADAPTER_DIR)
    except ImportError as err:
        say(
            "the VTinker Resolve adapter could not be loaded ({}). Run 'vtinker-install "
            "resolve' again from the VTinker environment.".format(err),
            host_globals,
        )
        return 1
    return action.run_menu(
        resolve=host_globals.get("resolve"),
        app=host_globals.get("app") or host_globals.get("fusion") or host_globals.get("fu"),
        bmd=host_globals.get("bmd"),
        engine_bin=engine_bin(),
        script_api=SCRIPT_API,
        script_lib=SCRIPT_LIB,
        launcher=host_globals.get("VTINKER_LAUNCHER") or "menu",
    )


if __name__ == "__main__":
    main(globals())
