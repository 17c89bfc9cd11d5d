"""The timing section of the settings panel: mode, its fields, and a small curve key editor.

Example::

    editor = TimingEditor()
    editor.load({"mode": "speed", "speed": 0.5, "centre_samples": False})
    editor.speed_edit.text()        # "50" (percent)
    editor.timing_dict()            # {"mode": "speed", "speed": 0.5, "centre_samples": False}

:meth:`TimingEditor.timing_dict` turns the fields into the job's ``timing`` object; text that
does not parse raises :class:`~vtinker_core.errors.JobError` naming the field
(``timing.speed`` ...), and :class:`~vtinker_core.timing.TimingSpec` validates the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vtinker_core.errors import JobError
from vtinker_ui.fields import NOTE_STYLE, FieldRow, set_combo_data, set_placeholder

#: (panel mode, label): ``speed_keys`` is the job's speed mode with keys (an animated speed).
TIMING_MODES: tuple[tuple[str, str], ...] = (
    ("speed", "Output speed"),
    ("speed_keys", "Output speed, keyed"),
    ("input_speed", "Input speed, keyed"),
    ("fps", "Frame-rate conversion"),
    ("multiply", "Multiply (slow motion)"),
    ("curve", "Keyed curve"),
    ("fill", "Fill frames"),
)
#: Frame rates offered in the fps fields (any other rate may be typed).
COMMON_RATES = ("23.976", "24", "25", "29.97", "30", "47.952", "48", "50", "59.94", "60", "120")
#: The speed a new panel starts at: half speed, so the first look shows in-betweens.
DEFAULT_SPEED_PERCENT = "50"


def _key_numbers(frame: str, source: str) -> list[float]:
    """A key table row as the job's numbers; JobError naming ``timing.keys`` if not numbers."""
    try:
        return [int(frame) if frame.lstrip("-").isdigit() else float(frame), float(source)]
    except ValueError:
        raise JobError(
            f"timing.keys: ({frame!r}, {source!r}) is not a key: enter an output frame and a "
            "source frame",
            setting="timing.keys",
        ) from None


def _speed_key(frame: str, percent: str, setting: str) -> list[float]:
    """A speed key row (frame, percent) as the job's (frame, factor); 0 and below allowed."""
    try:
        return [float(frame), float(percent.strip().removesuffix("%")) / 100.0]
    except ValueError:
        raise JobError(
            f"{setting}: ({frame!r}, {percent!r}) is not a key: enter a frame and a speed in %",
            setting=setting,
        ) from None


def _speed_rows(keys: Sequence[Any], axis: str) -> list[tuple[str, str]]:
    """Job speed keys (``{axis, "speed"}`` objects or pairs) as (frame, percent) row text."""
    from vtinker_core.timing import parse_speed_keys

    parsed = parse_speed_keys(keys, axis=axis, setting=f"timing.{axis}")
    return [(number_text(frame), percent_text(speed)) for frame, speed in parsed]


class KeyTable(QWidget):
    """A two-column key table with Add and Remove buttons.

    Signals:
        changed(): a key was edited, added or removed.
    """

    changed = Signal()

    def __init__(self, headers: tuple[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(110)
        buttons = QWidget(self)
        line = QHBoxLayout(buttons)
        line.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Add key", buttons)
        self.remove_button = QPushButton("Remove", buttons)
        line.addWidget(self.add_button)
        line.addWidget(self.remove_button)
        line.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table)
        column.addWidget(buttons)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemChanged.connect(self.changed)

    def rows(self) -> list[tuple[str, str]]:
        """The rows as text (blank rows left out)."""
        rows = []
        for row in range(self.table.rowCount()):
            cells = []
            for column in range(2):
                item = self.table.item(row, column)
                cells.append(item.text().strip() if item is not None else "")
            if any(cells):
                rows.append((cells[0], cells[1]))
        return rows

    def set_rows(self, rows: Sequence[tuple[str, str]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for first, second in rows:
            self._append(first, second)
        self.table.blockSignals(False)
        self.changed.emit()

    def add_row(self, first: str | None = None, second: str | None = None) -> None:
        """Append a row: the given one, or one frame after the last row (same value)."""
        if first is None or second is None:
            rows = self.rows()
            try:
                frame, value = float(rows[-1][0]), rows[-1][1]
                first, second = number_text(frame + 1), value
            except (IndexError, ValueError):
                first, second = "1", "0"
        self.table.blockSignals(True)
        self._append(first, second)
        self.table.blockSignals(False)
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.rowCount():
            rows = [self.table.rowCount() - 1]
        for row in rows:
            self.table.removeRow(row)
        self.changed.emit()

    def _append(self, first: str, second: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(first))
        self.table.setItem(row, 1, QTableWidgetItem(second))


def percent_text(speed: float) -> str:
    """A speed factor as the percentage text the field shows: 0.5 → ``"50"``.

    Exact: :func:`speed_from_percent` of the text gives back the same float.
    """
    value = (Decimal(repr(float(speed))) * 100).normalize()
    return format(value, "f")


def speed_from_percent(text: str) -> float:
    """The speed factor of a percentage text (``"50"``, ``"50 %"``, ``"33.3%"``).

    Raises:
        JobError: ``setting="timing.speed"``: not a number, or not above 0.
    """
    from vtinker_core.timing import parse_speed

    stripped = text.strip().removesuffix("%").strip()
    if not stripped:
        raise JobError(
            "timing.speed: enter a speed in percent (50 = half speed)", setting="timing.speed"
        )
    try:
        Fraction(stripped)
    except (ValueError, ZeroDivisionError) as err:
        raise JobError(
            f"timing.speed: {text.strip()!r} is not a percentage (try 50 or 33.3)",
            setting="timing.speed",
        ) from err
    return parse_speed(f"{stripped}%")


def number_text(value: float) -> str:
    """A float as short exact text: 1001.0 → ``"1001"``, 1001.25 → ``"1001.25"``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def optional_int(text: str, setting: str, what: str) -> int | None:
    """A whole number from a text field, None when blank.

    Raises:
        JobError: ``setting``: not a whole number.
    """
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return int(stripped)
    except ValueError:
        raise JobError(
            f"{setting}: {what} must be a whole number, got {stripped!r}", setting=setting
        ) from None


class TimingEditor(QWidget):
    """Timing mode and its settings.

    Signals:
        changed(): any field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source_fps_hint: str | None = None
        self.rows: dict[str, FieldRow] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QFormLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.mode_combo = QComboBox(self)
        for mode, label in TIMING_MODES:
            self.mode_combo.addItem(label, mode)
        top.addRow("Mode", self._row("timing.mode", self.mode_combo))
        layout.addLayout(top)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._speed_page())
        self.stack.addWidget(self._speed_keys_page())
        self.stack.addWidget(self._input_speed_page())
        self.stack.addWidget(self._fps_page())
        self.stack.addWidget(self._multiply_page())
        self.stack.addWidget(self._curve_page())
        self.stack.addWidget(self._fill_page())
        layout.addWidget(self.stack)

        bottom = QFormLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        self.length_label = QLabel("—", self)
        self.length_label.setObjectName("outputLength")
        self.length_label.setWordWrap(True)
        bottom.addRow("Output", self.length_label)
        layout.addLayout(bottom)

        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        for edit in (self.speed_edit, self.fill_edit):
            edit.textChanged.connect(self.changed)
        self.centre_check.toggled.connect(self.changed)
        self.source_fps_combo.editTextChanged.connect(self.changed)
        self.output_fps_combo.editTextChanged.connect(self.changed)
        self.multiplier_spin.valueChanged.connect(self.changed)
        self.curve_shape_combo.currentIndexChanged.connect(self.changed)
        for table in (self.curve_keys, self.speed_keys, self.input_speed_keys):
            table.changed.connect(self.changed)
        self._mode_changed()

    # ------------------------------------------------------------------------------ pages

    def _row(self, setting: str, field: QWidget, *extra: QWidget) -> FieldRow:
        row = FieldRow(field, *extra)
        self.rows[setting] = row
        return row

    def _speed_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.speed_edit = QLineEdit(DEFAULT_SPEED_PERCENT, page)
        self.speed_edit.setToolTip("Output speed in percent: 50 plays at half speed (2× longer)")
        unit = QLabel("%", page)
        form.addRow("Speed", self._row("timing.speed", self.speed_edit, unit))
        self.centre_check = QCheckBox("Sample frame centres (below 100 %)", page)
        form.addRow("", self._row("timing.centre_samples", self.centre_check))
        return page

    def _fps_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.source_fps_combo = QComboBox(page)
        self.output_fps_combo = QComboBox(page)
        for combo in (self.source_fps_combo, self.output_fps_combo):
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.addItems(COMMON_RATES)
            combo.setEditText("")
        set_placeholder(self.source_fps_combo, "from the source")
        self.output_fps_combo.setEditText("24")
        form.addRow("Source fps", self._row("timing.source_fps", self.source_fps_combo))
        form.addRow("Output fps", self._row("timing.output_fps", self.output_fps_combo))
        return page

    def _multiply_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.multiplier_spin = QSpinBox(page)
        self.multiplier_spin.setRange(1, 1000)
        self.multiplier_spin.setValue(2)
        self.multiplier_spin.setSuffix(" ×")
        form.addRow("Multiplier", self._row("timing.multiplier", self.multiplier_spin))
        return page

    def _speed_keys_page(self) -> QWidget:
        page, self.speed_keys = self._keys_page(
            ("Output frame", "Speed %"),
            "timing.speed_keys",
            "Kronos Output Speed, animated: the speed at each output frame (linear between "
            "keys, held outside), integrated to source time; 0 holds, below 0 reverses",
        )
        return page

    def _input_speed_page(self) -> QWidget:
        page, self.input_speed_keys = self._keys_page(
            ("Source frame", "Speed %"),
            "timing.input_speed_keys",
            "Kronos Input Speed: the speed keyed against the source frames, so a change "
            "lands on a source event; each output advances by the speed where it stands",
        )
        return page

    def _keys_page(
        self, headers: tuple[str, str], setting: str, tip: str
    ) -> tuple[QWidget, KeyTable]:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        table = KeyTable(headers, page)
        table.setToolTip(tip)
        form.addRow("Keys", self._row(setting, table))
        return page, table

    def _curve_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.curve_keys = KeyTable(("Output frame", "Source frame"), page)
        form.addRow("Keys", self._row("timing.curve_keys", self.curve_keys))
        self.curve_shape_combo = QComboBox(page)
        self.curve_shape_combo.addItem("Linear", "linear")
        self.curve_shape_combo.addItem("Smooth (monotone cubic)", "smooth")
        form.addRow("Shape", self._row("timing.curve_shape", self.curve_shape_combo))
        return page

    def _fill_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.fill_edit = QLineEdit(page)
        self.fill_edit.setPlaceholderText("e.g. 1012, 1040-1041")
        self.fill_edit.setToolTip("Bad or duplicated source frames to regenerate from neighbours")
        form.addRow("Frames", self._row("timing.fill_frames", self.fill_edit))
        note = QLabel("Output frames are the source frames; listed ones are rebuilt.", page)
        note.setStyleSheet(NOTE_STYLE)
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    # ------------------------------------------------------------------------------ keys

    def keys_text(self) -> list[tuple[str, str]]:
        """The curve key table's rows as text (blank rows left out)."""
        return self.curve_keys.rows()

    def set_keys(self, keys: Sequence[tuple[int, float]]) -> None:
        """Fill the curve key table with (output frame, source frame) keys."""
        self.curve_keys.set_rows([(str(frame), number_text(source)) for frame, source in keys])

    def add_key(self, frame: int | None = None, source: float | None = None) -> None:
        """Append a curve key: the given one, or one frame after the last key."""
        if frame is None or source is None:
            rows = self.keys_text()
            try:
                last_frame, last_source = int(rows[-1][0]), float(rows[-1][1])
            except (IndexError, ValueError):
                last_frame, last_source = 0, -1.0
            frame, source = last_frame + 1, last_source + 1.0
        self.curve_keys.add_row(str(frame), number_text(source))

    # ---------------------------------------------------------------------------- values

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def row_name(self, setting: str) -> str:
        """The row that shows errors of ``setting`` in the current mode (the job's
        ``timing.keys`` and ``timing.speed`` each belong to two pages)."""
        pages = {
            ("curve", "timing.keys"): "timing.curve_keys",
            ("input_speed", "timing.keys"): "timing.input_speed_keys",
            ("speed_keys", "timing.speed"): "timing.speed_keys",
        }
        return pages.get((self.mode(), setting), setting)

    def set_source_fps_hint(self, fps: Fraction | None) -> None:
        """The source's own rate, used when the source fps field is blank."""
        if fps is None:
            self._source_fps_hint = None
            set_placeholder(self.source_fps_combo, "from the source")
        else:
            text = (
                str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"
            )
            self._source_fps_hint = text
            set_placeholder(self.source_fps_combo, f"{text} (from the source)")
        self.changed.emit()

    def timing_dict(self) -> dict[str, Any]:
        """The job's ``timing`` object from the fields (not yet validated by TimingSpec).

        Raises:
            JobError: a text field that does not parse; ``setting`` names it.
        """
        mode = self.mode()
        data: dict[str, Any] = {"mode": "speed" if mode == "speed_keys" else mode}
        if mode == "speed":
            data["speed"] = speed_from_percent(self.speed_edit.text())
            data["centre_samples"] = self.centre_check.isChecked()
        elif mode == "speed_keys":
            rows = self.speed_keys.rows()
            data["speed"] = [_speed_key(f, v, "timing.speed") for f, v in rows]
        elif mode == "input_speed":
            rows = self.input_speed_keys.rows()
            data["keys"] = [_speed_key(f, v, "timing.keys") for f, v in rows]
        elif mode == "fps":
            source = self.source_fps_combo.currentText().strip() or self._source_fps_hint
            if not source:
                raise JobError(
                    "timing.source_fps: enter the source frame rate (the source does not say it)",
                    setting="timing.source_fps",
                )
            output = self.output_fps_combo.currentText().strip()
            if not output:
                raise JobError(
                    "timing.output_fps: enter the output frame rate", setting="timing.output_fps"
                )
            data["source_fps"] = source
            data["output_fps"] = output
        elif mode == "multiply":
            data["multiplier"] = self.multiplier_spin.value()
        elif mode == "curve":
            data["keys"] = [_key_numbers(frame, source) for frame, source in self.keys_text()]
            data["curve_shape"] = self.curve_shape_combo.currentData()
        else:
            from vtinker_core.errors import FrameRangeError
            from vtinker_core.io.sequences import parse_frame_range

            try:
                data["fill_frames"] = list(parse_frame_range(self.fill_edit.text()))
            except FrameRangeError as err:
                raise JobError(f"timing.fill_frames: {err}", setting="timing.fill_frames") from err
        return data

    def load(self, data: Mapping[str, Any]) -> None:
        """Fill the fields from a ``timing`` object (the form ``TimingSpec.to_dict`` writes)."""
        from vtinker_core.io.sequences import format_frame_range

        self.blockSignals(True)
        mode = str(data.get("mode") or "speed")
        speed = data.get("speed")
        if mode == "speed" and isinstance(speed, list):
            mode = "speed_keys"
            self.speed_keys.set_rows(_speed_rows(speed, "frame"))
        elif speed is not None:
            self.speed_edit.setText(percent_text(float(speed)))
        set_combo_data(self.mode_combo, mode)
        if mode == "input_speed" and data.get("keys") is not None:
            self.input_speed_keys.set_rows(_speed_rows(data["keys"], "source"))
        if "centre_samples" in data:
            self.centre_check.setChecked(bool(data["centre_samples"]))
        if data.get("source_fps") is not None:
            self.source_fps_combo.setEditText(str(data["source_fps"]))
        if data.get("output_fps") is not None:
            self.output_fps_combo.setEditText(str(data["output_fps"]))
        if data.get("multiplier") is not None:
            self.multiplier_spin.setValue(int(data["multiplier"]))
        if mode == "curve" and data.get("keys") is not None:
            keys = [
                (k["frame"], k["source"]) if isinstance(k, Mapping) else (k[0], k[1])
                for k in data["keys"]
            ]
            self.set_keys([(int(f), float(s)) for f, s in keys])
        if data.get("curve_shape") is not None:
            set_combo_data(self.curve_shape_combo, data["curve_shape"])
        if data.get("fill_frames") is not None:
            self.fill_edit.setText(format_frame_range(data["fill_frames"], separator=", "))
        self.blockSignals(False)
        self._mode_changed()

    def clear_errors(self) -> None:
        for row in self.rows.values():
            row.clear_error()

    def _mode_changed(self) -> None:
        mode = self.mode()
        index = [m for m, _ in TIMING_MODES].index(mode)
        # Only the shown page counts for the stack's height, so short pages leave no gap.
        for i in range(self.stack.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.stack.widget(i)
            if page is not None:
                page.setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.stack.setCurrentIndex(index)
        self.stack.adjustSize()
        self.changed.emit()
