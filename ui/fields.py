"""Small field widgets the settings panel is built from.

Example::

    row = FieldRow(QLineEdit())              # the field with its error message under it
    row.show_error("the speed must be > 0")  # shown next to the field, in red
    combo = SearchableComboBox(["ACEScg", "sRGB - Texture"], placeholder="by file type")
    combo.value()                            # the text, or None when blank
    path = PathField(mode="open", caption="Source frames")
    guard_wheel(panel)                       # the wheel changes no field that lacks focus

Everything here is plain Qt: no core imports, no torch/OIIO/OCIO.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #e5534b;"
NOTE_STYLE = "color: palette(mid);"


class ErrorLabel(QLabel):
    """A red, word-wrapped message, hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, message: str) -> None:
        """Show ``message`` (one line from the core's validator)."""
        self.setText(message)
        self.setVisible(bool(message))

    def clear_error(self) -> None:
        self.setText("")
        self.hide()


class FieldRow(QWidget):
    """A field widget with its error label right below it (for a QFormLayout row).

    Args:
        field: the editor (line edit, combo box, any widget or layout holder).
        extra: more widgets to put on the field's line, after it (a browse button, a unit).
    """

    def __init__(self, field: QWidget, *extra: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(field, 1)
        for widget in extra:
            line.addWidget(widget)
        layout.addLayout(line)
        self.error = ErrorLabel(self)
        layout.addWidget(self.error)

    def show_error(self, message: str) -> None:
        self.error.show_error(message)

    def clear_error(self) -> None:
        self.error.clear_error()


class SearchableComboBox(QComboBox):
    """An editable combo box whose completer finds items by any part of their name.

    OCIO configs hold dozens of colourspaces; typing ``cg`` offers ``ACEScg``, typing
    ``709`` every Rec.709 space. A blank text means "the default" (:meth:`value` is None).

    Args:
        items: the choices.
        placeholder: shown while the text is blank, e.g. "by file type (default)".
    """

    def __init__(
        self, items: Iterable[str] = (), *, placeholder: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        line = self.lineEdit()
        if line is not None:
            line.setPlaceholderText(placeholder)
            line.setClearButtonEnabled(True)
        self.set_items(items)

    def set_items(self, items: Iterable[str]) -> None:
        """Replace the choices, keeping the current text."""
        text = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItems(list(items))
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.setEditText(text)
        self.blockSignals(False)

    def value(self) -> str | None:
        """The text, stripped; None when blank."""
        text = self.currentText().strip()
        return text or None

    def set_value(self, value: str | None) -> None:
        index = self.findText(value) if value else -1
        if index >= 0:
            self.setCurrentIndex(index)
        self.setEditText(value or "")


class PathField(QWidget):
    """A path line edit with a browse button.

    Args:
        mode: ``"open"`` (an existing file), ``"save"`` (a file to write) or ``"dir"``.
        caption: the file dialog's title.
        file_filter: the dialog's name filter, e.g. ``"Images (*.exr *.dpx)"``.
        placeholder: shown while blank.

    Signals:
        textChanged(str): as the text is edited or a file is chosen.
        browsed(str): a file was picked in the dialog.
    """

    textChanged = Signal(str)
    browsed = Signal(str)

    def __init__(
        self,
        *,
        mode: Literal["open", "save", "dir"] = "open",
        caption: str = "Choose a file",
        file_filter: str = "",
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        self._caption = caption
        self._filter = file_filter
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.button = QToolButton(self)
        self.button.setText("…")
        self.button.setToolTip(caption)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.edit.textChanged.connect(self.textChanged)
        self.button.clicked.connect(self.browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def browse(self) -> None:
        """Open the file dialog; a chosen path replaces the text."""
        start = self.text()
        if self._mode == "dir":
            path = QFileDialog.getExistingDirectory(self, self._caption, start)
        elif self._mode == "save":
            path, _ = QFileDialog.getSaveFileName(self, self._caption, start, self._filter)
        else:
            path, _ = QFileDialog.getOpenFileName(self, self._caption, start, self._filter)
        if path:
            self.setText(path)
            self.browsed.emit(path)


def set_placeholder(combo: QComboBox, text: str) -> None:
    """The placeholder of an editable combo box's line edit."""
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(text)


def set_combo_data(combo: QComboBox, value: Any, label: str | None = None) -> None:
    """Select the item whose data is ``value``, adding one (named ``label``) if there is none.

    Loading a job must keep every value it holds, even one the panel would not offer.
    """
    index = combo.findData(value)
    if index < 0:
        combo.addItem(label if label is not None else str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def fill_combo(combo: QComboBox, items: Sequence[tuple[str, Any]]) -> None:
    """Replace a combo box's items by (label, data) pairs, keeping the current data if offered."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for label, data in items:
        combo.addItem(label, data)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


class WheelGuard(QObject):
    """An event filter: a wheel over a field without focus scrolls what holds the field.

    Turning the wheel to scroll a panel must not change the combo box or spin box that
    happens to pass under the pointer (Qt's default does: a Device combo silently became
    ``mps``). Click a field (or tab to it) first, then the wheel changes it. The scroll area
    around the field scrolls as if the wheel were over its background.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and isinstance(event, QWheelEvent)
            and not watched.hasFocus()
        ):
            area = _scroll_area_around(watched)
            if area is None:
                event.ignore()  # Qt offers it to the parents
            else:
                _scroll(area, event)
                event.accept()
            return True
        return super().eventFilter(watched, event)


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def _scroll(area: QAbstractScrollArea, event: QWheelEvent) -> None:
    """Scroll ``area`` vertically as its own wheel handling would (pixels from a touchpad,
    else the application's lines per notch)."""
    bar = area.verticalScrollBar()
    if bar is None:
        return
    pixels = event.pixelDelta().y()
    if pixels:
        bar.setValue(bar.value() - pixels)
        return
    lines = event.angleDelta().y() / 120 * QApplication.wheelScrollLines()
    bar.setValue(bar.value() - round(lines * bar.singleStep()))


# Sliders, not scroll bars: a combo box's popup list must still scroll under the wheel.
_WHEEL_FIELDS = (QComboBox, QAbstractSpinBox, QSlider)


def guard_wheel(root: QWidget) -> WheelGuard:
    """Make every combo box, spin box and slider under ``root`` ignore the wheel unless it
    has focus (and take focus by click or tab, not by the wheel)."""
    guard = root.findChild(WheelGuard, "wheelGuard")
    if guard is None:
        guard = WheelGuard(root)
        guard.setObjectName("wheelGuard")
    for kind in _WHEEL_FIELDS:
        for field in root.findChildren(kind):
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            field.removeEventFilter(guard)
            field.installEventFilter(guard)
    return guard
