"""Reaching DaVinci Resolve's application object, and telling the user something.

Example (inside a Workspace > Scripts script, where Resolve injects ``resolve``, ``app`` and
``bmd`` into the script's globals)::

    resolve = get_resolve(globals().get("resolve"), globals().get("app"), globals().get("bmd"))
    notify("No clip under the playhead.", app=globals().get("app"), bmd=globals().get("bmd"))

Resolve's objects are passed in as arguments and never kept in module globals (STYLE.md §2).
"""

import importlib
import os
import sys

from .errors import ScriptingUnavailableError

TITLE = "VTinker Retime"


def call(obj, name, *args):
    """``obj.name(*args)``, or None when ``obj`` is None or has no such method.

    Resolve answers most failures with None/False, and an older Resolve may lack a newer
    method; both read as None here, so callers check one thing.
    """
    method = getattr(obj, name, None) if obj is not None else None
    if not callable(method):
        return None
    return method(*args)


def get_resolve(resolve=None, app=None, bmd=None, script_api="", script_lib=""):
    """The Resolve application object, most robust source first.

    1. ``resolve``: the global Resolve injects into menu scripts;
    2. ``app.GetResolve()``: ``app`` is the injected Fusion object (the free edition has it too);
    3. ``bmd.scriptapp("Resolve")``;
    4. ``DaVinciResolveScript.scriptapp("Resolve")`` (external scripting: Resolve Studio, with
       Preferences > System > General > External scripting using set to Local), found through
       ``$RESOLVE_SCRIPT_API/Modules``; ``script_api``/``script_lib`` fill in
       ``RESOLVE_SCRIPT_API``/``RESOLVE_SCRIPT_LIB`` when they are unset (the installer writes
       the platform's defaults into the menu script).

    Args:
        resolve: the injected ``resolve`` global, or None.
        app: the injected ``app`` (Fusion) global, or None.
        bmd: the injected ``bmd`` global, or None.
        script_api: default for ``RESOLVE_SCRIPT_API``.
        script_lib: default for ``RESOLVE_SCRIPT_LIB``.

    Returns:
        The Resolve object.

    Raises:
        ScriptingUnavailableError: none of the four answered.
    """
    if resolve is not None:
        return resolve
    if app is not None:
        found = call(app, "GetResolve")
        if found is not None:
            return found
    if bmd is not None:
        found = call(bmd, "scriptapp", "Resolve")
        if found is not None:
            return found
    found = _from_external_module(script_api, script_lib)
    if found is not None:
        return found
    raise ScriptingUnavailableError(
        "DaVinci Resolve scripting is not available. Run VTinker Retime from Resolve's "
        "Workspace > Scripts menu with a project open. To run it outside Resolve you need "
        "Resolve Studio with Preferences > System > General > External scripting using set to "
        "Local, and RESOLVE_SCRIPT_API / RESOLVE_SCRIPT_LIB pointing at Resolve's scripting "
        "folder and fusionscript library."
    )


def _from_external_module(script_api, script_lib):
    """``DaVinciResolveScript.scriptapp("Resolve")`` or None."""
    if script_api and not os.environ.get("RESOLVE_SCRIPT_API"):
        os.environ["RESOLVE_SCRIPT_API"] = script_api
    if script_lib and not os.environ.get("RESOLVE_SCRIPT_LIB"):
        os.environ["RESOLVE_SCRIPT_LIB"] = script_lib
    api = os.environ.get("RESOLVE_SCRIPT_API", "")
    modules = os.path.join(api, "Modules") if api else ""
    if modules and os.path.isdir(modules) and modules not in sys.path:
        sys.path.append(modules)
    try:
        module = importlib.import_module("DaVinciResolveScript")
    except (ImportError, OSError, SystemExit):
        # DaVinciResolveScript calls sys.exit() when it cannot load fusionscript; inside Resolve
        # that would end the menu script with no word to the user.
        return None
    return call(module, "scriptapp", "Resolve")


def notify(message, app=None, bmd=None, log=print):
    """Show ``message`` to the user: a small Fusion UIManager window when the host offers one,
    always also printed (Workspace > Console keeps it).

    Args:
        message: one or a few sentences.
        app: the injected Fusion object (``app``), for its ``UIManager``; None prints only.
        bmd: the injected ``bmd`` global, for ``UIDispatcher``; None prints only.
        log: where the text is printed.

    Returns:
        True when a window was shown.
    """
    log(f"{TITLE}: {message}")
    ui = getattr(app, "UIManager", None) if app is not None else None
    dispatcher_class = getattr(bmd, "UIDispatcher", None) if bmd is not None else None
    if ui is None or dispatcher_class is None:
        return False
    try:
        dispatcher = dispatcher_class(ui)
        window = dispatcher.AddWindow(
            {"ID": "VTinkerMessage", "WindowTitle": TITLE, "Geometry": [300, 300, 520, 180]},
            ui.VGroup(
                [
                    ui.Label({"ID": "Text", "Text": message, "WordWrap": True}),
                    ui.HGroup(
                        {"Weight": 0}, [ui.HGap(0, 1), ui.Button({"ID": "OK", "Text": "OK"})]
                    ),
                ]
            ),
        )

        def close(_event):
            dispatcher.ExitLoop()

        window.On.OK.Clicked = close
        window.On.VTinkerMessage.Close = close
        window.Show()
        dispatcher.RunLoop()
        window.Hide()
        return True
    except Exception:  # the dialog is a courtesy: the message is already in the console
        return False
