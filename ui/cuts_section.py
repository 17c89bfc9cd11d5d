"""The scene-cuts section of the settings panel: detection, its threshold, and listed cuts.

Example::

    cuts = CutsSection()
    cuts.load({"detect": True, "threshold": 0.25, "frames": [1040, 1102]})
    data, errors = cuts.cuts_dict()     # the job's "cuts" object, and fields that do not parse
    cuts.set_detected((1040,))          # "Detected: 1040", after the preview opened the source
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from vtinker_core.errors import JobError
from vtinker_ui.fields import NOTE_STYLE, FieldRow
from vtinker_ui.job_checks import cut_list, optional_float
from vtinker_ui.timing_editor import number_text


class CutsSection(QGroupBox):
    """Never interpolate across a scene cut: detect them, or list them.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scene cuts", parent)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout(self)
        self.detect_check = QCheckBox("Detect cuts", self)
        self.detect_check.setToolTip(
            "Find scene cuts in the source; no frame is interpolated across one"
        )
        form.addRow("", self._row("cuts.detect", self.detect_check))
        self.threshold_edit = QLineEdit(self)
        self.threshold_edit.setPlaceholderText("0.3 (default)")
        self.threshold_edit.setToolTip("Cut score above which a cut is reported, in (0, 1]")
        form.addRow("Threshold", self._row("cuts.threshold", self.threshold_edit))
        self.list_edit = QLineEdit(self)
        self.list_edit.setPlaceholderText("frames that start a shot: 1040, 1102")
        self.list_edit.setToolTip("Source frames that start a shot, e.g. 1040, 1102")
        form.addRow("Cuts", self._row("cuts.frames", self.list_edit))
        self.rows["cuts"] = self.rows["cuts.frames"]
        self.detected_label = QLabel("", self)
        self.detected_label.setStyleSheet(NOTE_STYLE)
        self.detected_label.setWordWrap(True)
        form.addRow("", self.detected_label)
        for edit in (self.threshold_edit, self.list_edit):
            edit.textChanged.connect(self.changed)
        self.detect_check.toggled.connect(self.changed)

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def cuts_dict(self) -> tuple[dict[str, Any], list[JobError]]:
        """The job's ``cuts`` object, and the problems of fields that do not parse (such a
        field is left at its default in the object)."""
        errors: list[JobError] = []
        threshold: float | None = None
        frames: list[int] = []
        try:
            threshold = optional_float(self.threshold_edit.text(), "cuts.threshold")
        except JobError as err:
            errors.append(err if err.setting else JobError(err.message, setting="cuts.threshold"))
        try:
            frames = cut_list(self.list_edit.text())
        except JobError as err:
            errors.append(err if err.setting else JobError(err.message, setting="cuts.frames"))
        data = {"detect": self.detect_check.isChecked(), "threshold": threshold, "frames": frames}
        return data, errors

    def load(self, cuts: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``cuts`` object (missing keys: the defaults)."""
        self.detect_check.setChecked(bool(cuts.get("detect", False)))
        threshold = cuts.get("threshold")
        self.threshold_edit.setText("" if threshold is None else number_text(float(threshold)))
        self.list_edit.setText(", ".join(str(f) for f in cuts.get("frames") or []))

    def set_detected(self, cuts: Sequence[int]) -> None:
        """Show the cuts that detection found in the opened source (none: nothing shown)."""
        text = ", ".join(str(c) for c in cuts)
        self.detected_label.setText(f"Detected: {text}" if text else "")


__all__ = ["CutsSection"]
