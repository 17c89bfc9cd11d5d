"""The Help menu: keyboard shortcuts read from the window's own menus, and README's sections.

Example::

    add_help_menu(window)                    # Help > Keyboard Shortcuts…, Help > README > …
    shortcut_rows(window.menuBar())          # [("File", "Open…", "Ctrl+O"), ...]
    readme_sections(readme_path())           # [("Install and first run", "install-and-..."), ...]
    readme_url(readme_path(), "the-preview-window")   # file:///…/README.md#the-preview-window

The shortcuts list is made from the menus' actions (and the viewer's mouse gestures,
:data:`~vtinker_ui.viewer.VIEWER_GESTURES`) when the dialog opens, so it never disagrees with
what the keys do. README's sections are read from the README itself (its ``##`` headings).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vtinker_ui.viewer import VIEWER_GESTURES

#: The README section about this window, opened first in the README menu.
WINDOW_SECTION = "The preview window"


def _plain(text: str) -> str:
    """A menu text without its ``&`` mnemonic and trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, command, keys) for every menu action that has a shortcut, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} > {_plain(sub.title())}")
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((path, _plain(action.text()), keys))

    for action in menu_bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(menu.title()))
    return rows


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window's menus, and what the mouse does in the viewer."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(menu_bar)
        rows += [("Viewer", effect, gesture) for gesture, effect in VIEWER_GESTURES]
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Where", "Command", "Keys / mouse"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def rows(self) -> list[tuple[str, ...]]:
        """The table's rows as text."""
        return [
            tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[union-attr]
            for r in range(self.table.rowCount())
        ]


def readme_path() -> Path | None:
    """README.md of this installation (beside the packages in a source checkout), or None."""
    candidate = Path(__file__).resolve().parent.parent / "README.md"
    return candidate if candidate.is_file() else None


def section_anchor(title: str) -> str:
    """The anchor a Markdown viewer (GitHub's rule) gives a heading: lower case, punctuation
    dropped, spaces to hyphens: "The `vtinker` command" → ``the-vtinker-command``."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def readme_sections(path: Path) -> list[tuple[str, str]]:
    """(title, anchor) of README's top-level sections (its ``##`` headings), in order."""
    sections = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            sections.append((title.replace("`", ""), section_anchor(title)))
    return sections


def readme_url(path: Path, anchor: str = "") -> QUrl:
    """A file URL to README, at a section's anchor."""
    url = QUrl.fromLocalFile(str(path))
    if anchor:
        url.setFragment(anchor)
    return url


def add_help_menu(window: QMainWindow) -> QMenu:
    """Add Help to ``window``'s menu bar: Keyboard Shortcuts… (F1) and README's sections."""
    menu_bar = window.menuBar()
    menu = menu_bar.addMenu("&Help")
    shortcuts = QAction("&Keyboard Shortcuts…", window)
    shortcuts.setObjectName("shortcutsAction")
    shortcuts.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
    shortcuts.triggered.connect(lambda: ShortcutsDialog(menu_bar, window).exec())
    window.addAction(shortcuts)
    menu.addAction(shortcuts)
    readme = readme_path()
    sections = readme_sections(readme) if readme is not None else []
    sections.sort(key=lambda section: section[0] != WINDOW_SECTION)  # this window's first
    readme_menu = menu.addMenu("&README")
    readme_menu.setObjectName("readmeMenu")
    for title, anchor in sections:
        action = readme_menu.addAction(title)
        action.setData(readme_url(readme, anchor))  # type: ignore[arg-type]
        action.triggered.connect(lambda _c=False, a=action: QDesktopServices.openUrl(a.data()))
    if not sections:
        readme_menu.addAction("README.md is not installed here").setEnabled(False)
    return menu


__all__ = [
    "ShortcutsDialog",
    "add_help_menu",
    "readme_path",
    "readme_sections",
    "readme_url",
    "section_anchor",
    "shortcut_rows",
]
