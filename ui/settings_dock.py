"""The settings panel docked in the preview window, in one column or two to fit its height.

Example::

    dock = SettingsDock(SettingsPanel(), window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.fit()              # one column when it fits the height, else two

A 1920×1080 screen cannot show every section of the panel in one column, and a panel that
must be scrolled hides Output and Render; two columns fit. The dock re-fits when it is
resized and when the panel's content changes (an error message under a field). It can be
closed and brought back with View > Settings.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea

from vtinker_ui.panel import SettingsPanel

_MIN_WIDTH = 380


class SettingsDock(QDockWidget):
    """A dock holding ``panel`` in a scroll area (needed only on small screens)."""

    def __init__(self, panel: SettingsPanel, window: QMainWindow) -> None:
        super().__init__("Settings", window)
        self.setObjectName("settingsDock")
        self.panel = panel
        self.window_ = window
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(panel)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.installEventFilter(self)
        self.setWidget(self.scroll_area)
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        panel.jobChanged.connect(self.fit)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll_area and event.type() == QEvent.Type.Resize:
            self.fit()
        return super().eventFilter(watched, event)

    def fit(self) -> None:
        """One column of sections when it fits the height, else two."""
        viewport = self.scroll_area.viewport()
        height = viewport.height() if viewport is not None else 0
        columns = 1 if self.panel.height_for_columns(1) <= height else 2
        changed = columns != self.panel.sections.columns()
        self.panel.sections.set_columns(columns)
        bar = self.scroll_area.verticalScrollBar()
        extra = bar.sizeHint().width() if bar is not None else 16
        width = max(self.panel.minimumSizeHint().width() + extra + 4, _MIN_WIDTH)
        self.scroll_area.setMinimumWidth(width)
        if changed and self.isVisible():
            self.window_.resizeDocks([self], [width], Qt.Orientation.Horizontal)

    def needs_scrolling(self) -> bool:
        """Whether part of the panel is out of sight (the scroll bar has somewhere to go)."""
        bar = self.scroll_area.verticalScrollBar()
        return bar is not None and bar.maximum() > 0


__all__ = ["SettingsDock"]
