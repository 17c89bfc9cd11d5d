"""The motion-blur and motion sections of the settings panel (Kronos's Shutter and Vectors).

Example::

    blur = ShutterSection()
    blur.load({"samples": 9, "time": 0.5, "offset": "centred", "auto": False})
    blur.shutter_dict()        # ({"samples": 9, "time": 0.5, ...}, [])

    motion = MotionSection()
    motion.load({"vectors_from": "input", "source": None, "detail": 0.5, "smoothness": None})
    motion.motion_dict()       # ({"vectors_from": "input", ...}, [])

Each ``*_dict`` gives the job's section and the problems of fields that do not parse (that
field is left at its default), as the other sections do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from vtinker_core.errors import JobError
from vtinker_ui.fields import FieldRow, set_combo_data
from vtinker_ui.job_checks import optional_float
from vtinker_ui.timing_editor import number_text

#: Shutter offsets: (job value, label), Kronos's words.
SHUTTER_OFFSETS = (("centred", "Centred"), ("start", "Start"), ("end", "End"))
#: Where motion comes from: (choice, label).
VECTOR_CHOICES = (
    ("estimate", "Estimate"),
    ("input", "The source's vector layers"),
    ("sequence", "Another sequence"),
)


class ShutterSection(QGroupBox):
    """Motion blur: samples, shutter time, offset, automatic shutter time.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Motion blur", parent)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout(self)
        self.samples_spin = QSpinBox(self)
        self.samples_spin.setRange(1, 64)
        self.samples_spin.setToolTip(
            "Shutter Samples: in-betweens averaged per output frame (1: no motion blur)"
        )
        form.addRow("Samples", self._row("shutter.samples", self.samples_spin))
        self.time_edit = QLineEdit("0.5", self)
        self.time_edit.setToolTip("Shutter Time in output frames: 0.5 is a 180° shutter")
        form.addRow("Shutter time", self._row("shutter.time", self.time_edit))
        self.offset_combo = QComboBox(self)
        for value, label in SHUTTER_OFFSETS:
            self.offset_combo.addItem(label, value)
        self.offset_combo.setToolTip("Shutter Offset: open around, from or up to the frame")
        form.addRow("Offset", self._row("shutter.offset", self.offset_combo))
        self.auto_check = QCheckBox("Automatic shutter time", self)
        self.auto_check.setToolTip(
            "Speed-ups get the blur a camera at the new speed records beyond the source's own"
        )
        form.addRow("", self._row("shutter.auto", self.auto_check))
        self.samples_spin.valueChanged.connect(self.changed)
        self.time_edit.textChanged.connect(self.changed)
        self.offset_combo.currentIndexChanged.connect(self.changed)
        self.auto_check.toggled.connect(self.changed)

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def shutter_dict(self) -> tuple[dict[str, Any], list[JobError]]:
        errors: list[JobError] = []
        time = 0.5
        try:
            value = optional_float(self.time_edit.text(), "shutter.time")
            time = 0.5 if value is None else value
        except JobError as err:
            errors.append(err)
        data = {
            "samples": self.samples_spin.value(),
            "time": time,
            "offset": self.offset_combo.currentData(),
            "auto": self.auto_check.isChecked(),
        }
        return data, errors

    def load(self, shutter: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``shutter`` object (missing keys: the defaults)."""
        self.samples_spin.setValue(int(shutter.get("samples", 1)))
        self.time_edit.setText(number_text(float(shutter.get("time", 0.5))))
        set_combo_data(self.offset_combo, shutter.get("offset") or "centred")
        self.auto_check.setChecked(bool(shutter.get("auto", False)))


class MotionSection(QGroupBox):
    """Where motion comes from (estimate, vector layers, a motion source) and its detail.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Motion", parent)
        self.rows: dict[str, FieldRow] = {}
        form = self._form = QFormLayout(self)
        self.vectors_combo = QComboBox(self)
        for value, label in VECTOR_CHOICES:
            self.vectors_combo.addItem(label, value)
        self.vectors_combo.setToolTip(
            "Use motion vectors made elsewhere (Kronos FgVecs): the source EXRs' forward/"
            "backward layers, or another sequence holding them"
        )
        form.addRow("Vectors", self._row("motion.vectors_from", self.vectors_combo))
        self.vectors_path = QLineEdit(self)
        self.vectors_path.setPlaceholderText("vectors.####.exr")
        form.addRow("Vector file", self._row("motion.vectors_path", self.vectors_path))
        self.source_path = QLineEdit(self)
        self.source_path.setPlaceholderText("the source itself")
        self.source_path.setToolTip(
            "Motion Source (Kronos MoSrc): estimate on this sequence (a denoised or graded "
            "plate of the same size) and apply the motion to the source"
        )
        form.addRow("Motion source", self._row("motion.source", self.source_path))
        self.detail_edit = QLineEdit(self)
        self.detail_edit.setPlaceholderText("engine's rule")
        self.detail_edit.setToolTip(
            "Vector Detail: resolution of the motion estimate, 0.1–1 of the frame"
        )
        form.addRow("Vector detail", self._row("motion.detail", self.detail_edit))
        self.smoothness_edit = QLineEdit(self)
        self.smoothness_edit.setPlaceholderText("engine's default")
        self.smoothness_edit.setToolTip("Smoothness of the classical engine's vectors, 0–1")
        form.addRow("Smoothness", self._row("motion.smoothness", self.smoothness_edit))
        self.vectors_combo.currentIndexChanged.connect(self._choice_changed)
        for edit in (self.vectors_path, self.source_path, self.detail_edit, self.smoothness_edit):
            edit.textChanged.connect(self.changed)
        self._choice_changed()

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def _choice_changed(self) -> None:
        choice = self.vectors_combo.currentData()
        self._form.setRowVisible(self.rows["motion.vectors_path"], choice == "sequence")
        estimating = choice == "estimate"
        for setting in ("motion.source", "motion.detail", "motion.smoothness"):
            self.rows[setting].setEnabled(estimating)
        self.changed.emit()

    def motion_dict(self) -> tuple[dict[str, Any], list[JobError]]:
        errors: list[JobError] = []
        choice = self.vectors_combo.currentData()
        vectors_from = {"estimate": None, "input": "input"}.get(
            choice, self.vectors_path.text().strip() or None
        )
        if choice == "sequence" and vectors_from is None:
            errors.append(
                JobError(
                    "motion.vectors_path: enter the sequence that holds the vectors",
                    setting="motion.vectors_path",
                )
            )
        numbers: dict[str, float | None] = {}
        for key, edit in (("detail", self.detail_edit), ("smoothness", self.smoothness_edit)):
            try:
                numbers[key] = optional_float(edit.text(), f"motion.{key}")
            except JobError as err:
                numbers[key] = None
                errors.append(err)
        estimating = choice == "estimate"
        data = {
            "vectors_from": vectors_from,
            "source": (self.source_path.text().strip() or None) if estimating else None,
            "detail": numbers["detail"] if estimating else None,
            "smoothness": numbers["smoothness"] if estimating else None,
        }
        return data, errors

    def load(self, motion: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``motion`` object (missing keys: the defaults)."""
        vectors_from = motion.get("vectors_from")
        choice = "sequence"
        if vectors_from in (None, "", "input"):
            choice = "input" if vectors_from == "input" else "estimate"
        self.vectors_path.setText(vectors_from if choice == "sequence" else "")
        set_combo_data(self.vectors_combo, choice)
        self.source_path.setText(motion.get("source") or "")
        for key, edit in (("detail", self.detail_edit), ("smoothness", self.smoothness_edit)):
            value = motion.get(key)
            edit.setText("" if value is None else number_text(float(value)))
        self._choice_changed()


__all__ = ["MotionSection", "ShutterSection"]
