"""The preview window's menus: File, View, Playback and Help, with their shortcuts.

Example::

    actions = build_menus(window)       # every menu action, with its shortcut, on the window
    actions.render.trigger()            # File > Render (Ctrl+R)
    actions.settings.trigger()          # View > Settings: shows or hides the settings panel

The actions are added to the window too, so their shortcuts work wherever the focus is;
Help > Keyboard Shortcuts lists them from these menus (:mod:`vtinker_ui.help`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from vtinker_core.memory import format_bytes
from vtinker_ui.controls import VIEW_MODES
from vtinker_ui.frame_cache import CACHE_CHOICES
from vtinker_ui.help import add_help_menu
from vtinker_ui.playback import TransportActions, transport_actions

if TYPE_CHECKING:
    from vtinker_ui.preview_window import PreviewWindow

#: View > Settings: show or hide the settings panel.
SETTINGS_SHORTCUT = "Ctrl+,"
_MODE_KEYS = ("Alt+1", "Alt+2", "Alt+3", "Alt+4")


@dataclass(frozen=True)
class WindowActions:
    """The menu actions the window and its tests use by name."""

    render: QAction
    cancel: QAction
    settings: QAction
    output_folder: QAction
    transport: TransportActions
    recent_menu: QMenu
    help_menu: QMenu


def _action(
    window: PreviewWindow,
    text: str,
    shortcut: str | QKeySequence.StandardKey | None,
    slot: Callable[..., Any],
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def build_menus(window: PreviewWindow) -> WindowActions:
    """Fill ``window``'s menu bar; returns the actions it refers to later."""
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(
        _action(window, "&Open…", QKeySequence.StandardKey.Open, window.open_dialog)
    )
    file_menu.addAction(
        _action(window, "Open Two &Images…", "Ctrl+Shift+O", window.open_pair_dialog)
    )
    recent_menu = QMenu("Open &Recent", window)
    file_menu.addMenu(recent_menu)
    file_menu.addSeparator()
    file_menu.addAction(_action(window, "&Load Job…", "Ctrl+J", window.load_job_dialog))
    file_menu.addAction(
        _action(window, "&Save Job…", QKeySequence.StandardKey.Save, window.save_job_dialog)
    )
    output_folder = _action(window, "Output &Folder…", None, window.output_folder_dialog)
    output_folder.setToolTip("The folder new sources render into (each in a folder of its own)")
    file_menu.addAction(output_folder)
    file_menu.addSeparator()
    render = _action(window, "&Render", "Ctrl+R", lambda: window.start_render())
    render.setToolTip("Render the whole job to disk (Ctrl+R)")
    cancel = _action(window, "&Cancel Render", None, window.cancel_render)
    cancel.setEnabled(False)
    file_menu.addAction(render)
    file_menu.addAction(cancel)
    bundle = _action(window, "Write Farm &Bundle…", None, window.farm_bundle_dialog)
    bundle.setToolTip(
        "Write the job as an Open Job Description bundle (openjd run, Deadline Cloud, OpenCue)"
    )
    file_menu.addAction(bundle)
    file_menu.addSeparator()
    file_menu.addAction(_action(window, "&Quit", QKeySequence.StandardKey.Quit, window.close))

    viewer = window.viewer
    view_menu = menu.addMenu("&View")
    view_menu.addAction(_action(window, "&Fit", "F", viewer.fit))
    view_menu.addAction(_action(window, "100 %", "1", lambda: viewer.set_zoom(1.0)))
    view_menu.addAction(
        _action(window, "Zoom &In", "=", lambda: viewer.set_zoom(viewer.zoom() * 2))
    )
    view_menu.addAction(
        _action(window, "Zoom &Out", "-", lambda: viewer.set_zoom(viewer.zoom() / 2))
    )
    view_menu.addSeparator()
    for key, (mode, label, _tip) in zip(_MODE_KEYS, VIEW_MODES, strict=True):
        view_menu.addAction(
            _action(window, label, key, lambda _c=False, m=mode: window.view_controls.set_mode(m))
        )
    view_menu.addSeparator()
    settings = window.dock.toggleViewAction()
    settings.setText("&Settings")
    settings.setShortcut(QKeySequence(SETTINGS_SHORTCUT))
    window.addAction(settings)
    view_menu.addAction(settings)

    play_menu = menu.addMenu("&Playback")
    transport = transport_actions(
        window, play=window.toggle_play, step=window.step, go_to_end=window.go_to_end
    )
    for action in transport.menu_order():
        play_menu.addAction(action)
    play_menu.addSeparator()
    cache_menu = play_menu.addMenu("RAM &Cache")
    cache_menu.setToolTip("How much memory the flipbook may keep computed frames in")
    group = QActionGroup(cache_menu)
    chosen = window.prefs.cache_limit_bytes()
    for size in CACHE_CHOICES:
        action = cache_menu.addAction(format_bytes(size))
        action.setCheckable(True)
        action.setChecked(size == chosen)
        action.triggered.connect(lambda _c=False, n=size: window.set_cache_limit(n))
        group.addAction(action)
    cache_menu.addSeparator()
    cache_menu.addAction("Clear", window.clear_cache)

    help_menu = add_help_menu(window)
    return WindowActions(
        render=render,
        cancel=cancel,
        settings=settings,
        output_folder=output_folder,
        transport=transport,
        recent_menu=recent_menu,
        help_menu=help_menu,
    )


__all__ = ["SETTINGS_SHORTCUT", "WindowActions", "build_menus"]
