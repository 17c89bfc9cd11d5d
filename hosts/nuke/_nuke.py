"""The one place that imports Nuke's Python API.

Every other module of the adapter asks for the module here, at call time::

    from vtinker_hosts.nuke._nuke import load_nuke
    nuke = load_nuke()
    nuke.message("hello")

It is looked up on each call (never kept in a module global), so the adapter never holds a host
handle across scripts or threads, and tests can install a fake ``nuke`` module per test.
"""

from __future__ import annotations

from typing import Any


class NukeNotFoundError(ImportError):
    """``import nuke`` failed: the code runs outside Nuke."""


def load_nuke() -> Any:
    """Nuke's ``nuke`` module.

    Returns:
        The module (the real one inside Nuke; a fake one in tests).

    Raises:
        NukeNotFoundError: it cannot be imported (are you running inside Nuke?).
    """
    try:
        import nuke  # the adapter's only import of the host API
    except ImportError as err:
        raise NukeNotFoundError(
            "cannot import the 'nuke' module: are you running inside Nuke? "
            "(vtinker_hosts.nuke drives Nuke's Python API; outside Nuke use the 'vtinker' command)"
        ) from err
    return nuke


def is_gui(nuke: Any) -> bool:
    """True in an interactive Nuke session, False in terminal mode (``nuke -t``, farm)."""
    env = getattr(nuke, "env", None) or {}
    try:
        return bool(env["gui"])
    except (KeyError, TypeError):
        return bool(getattr(nuke, "GUI", False))
