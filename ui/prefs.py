"""What the preview window remembers between runs: recent files, the last settings, the view.

Example::

    prefs = Preferences()                           # the user's QSettings (VTinker / Retime)
    prefs = Preferences(QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat))
    prefs.add_recent("plates/shot.####.exr")
    prefs.recent_files()                            # newest first, at most MAX_RECENT
    prefs.set_last_job(panel.raw_dict())
    prefs.last_job()                                # the dict, or None
    prefs.output_folder()                           # where new sources render (None: unset)
    prefs.cache_limit_bytes()                       # the flipbook's RAM cap (2 GiB default)

Tests give their own QSettings (an INI file under ``tmp_path``), so they never touch the
user's settings.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "VTinker"
APPLICATION = "Retime Preview"
MAX_RECENT = 10
#: The flipbook's RAM cache, bytes, until the user chooses (the machine may lower it).
DEFAULT_CACHE_BYTES = 2 * 1024**3


class Preferences:
    """Typed access to the window's QSettings.

    Args:
        settings: where to keep them; default: the user's settings for this application.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)

    # ----------------------------------------------------------------------------- recent

    def recent_files(self) -> list[list[str]]:
        """Recently opened inputs, newest first; each entry is one path or an image pair."""
        raw = self.settings.value("recent/files", "[]")
        try:
            entries = json.loads(str(raw))
        except json.JSONDecodeError:
            return []
        result = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, list) and entry and all(isinstance(p, str) for p in entry):
                result.append(entry)
        return result[:MAX_RECENT]

    def add_recent(self, *paths: str) -> None:
        """Put an opened input (one path, or the two images of a pair) first in the list."""
        entry = [str(p) for p in paths]
        entries = [e for e in self.recent_files() if e != entry]
        entries.insert(0, entry)
        self.settings.setValue("recent/files", json.dumps(entries[:MAX_RECENT]))

    def clear_recent(self) -> None:
        self.settings.setValue("recent/files", "[]")

    # ------------------------------------------------------------------------------ panel

    def last_job(self) -> dict[str, Any] | None:
        raw = self.settings.value("panel/last_job", "")
        if not raw:
            return None
        try:
            data = json.loads(str(raw))
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def set_last_job(self, job: dict[str, Any]) -> None:
        self.settings.setValue("panel/last_job", json.dumps(job))

    # ------------------------------------------------------------------------------- view

    def view_settings(self) -> dict[str, Any]:
        """``display``, ``view`` (None when never chosen), ``exposure`` (stops)."""
        display = self.settings.value("view/display", "")
        view = self.settings.value("view/view", "")
        try:
            exposure = float(self.settings.value("view/exposure", 0.0))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            exposure = 0.0
        return {"display": str(display) or None, "view": str(view) or None, "exposure": exposure}

    def set_view_settings(self, display: str | None, view: str | None, exposure: float) -> None:
        self.settings.setValue("view/display", display or "")
        self.settings.setValue("view/view", view or "")
        self.settings.setValue("view/exposure", float(exposure))

    def proxy(self) -> int:
        """The preview's proxy scale (0: auto, 1, 2, 4)."""
        return self._int("view/proxy", 0)

    def set_proxy(self, scale: int) -> None:
        self.settings.setValue("view/proxy", int(scale))

    # ----------------------------------------------------------------------------- output

    def output_folder(self) -> str | None:
        """The folder the user chose for renders (each source gets its own folder in it)."""
        value = str(self.settings.value("output/folder", "") or "")
        return value or None

    def set_output_folder(self, folder: str | None) -> None:
        self.settings.setValue("output/folder", folder or "")

    # ------------------------------------------------------------------------------ cache

    def cache_limit_bytes(self) -> int:
        """The most RAM the flipbook cache may hold, bytes (see :mod:`vtinker_ui.frame_cache`
        for the share of free memory that caps it further)."""
        return max(self._int("cache/limit_bytes", DEFAULT_CACHE_BYTES), 0)

    def set_cache_limit_bytes(self, limit: int) -> None:
        self.settings.setValue("cache/limit_bytes", int(limit))

    # ----------------------------------------------------------------------------- window

    def geometry(self) -> QByteArray | None:
        value = self.settings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.settings.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)

    def sync(self) -> None:
        self.settings.sync()

    def _int(self, key: str, default: int) -> int:
        try:
            return int(self.settings.value(key, default))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return default
