"""The output section of the settings panel: pattern, format, depth, compression, added layers.

Example::

    section = OutputSection()
    section.load({"path": "retime/shot.####.dpx", "bit_depth": "uint10"})
    section.format_combo.currentData()       # "dpx" (follows the path's extension)
    data, errors = section.output_dict()     # the job's "output" object, not yet validated

The format follows the path's extension and the path follows the format; bit depths and
compressions offered are the format's (:data:`~vtinker_ui.job_checks.OUTPUT_FORMATS`), and
motion vectors are offered for EXR only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLineEdit, QWidget

from vtinker_core.errors import JobError
from vtinker_ui.fields import FieldRow, PathField, SearchableComboBox, set_combo_data
from vtinker_ui.job_checks import DEFAULT_DEPTHS, DEPTH_LABELS, OUTPUT_FORMATS, format_of
from vtinker_ui.timing_editor import optional_int


class OutputSection(QGroupBox):
    """Where and how the retimed frames are written.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Output", parent)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout(self)
        self.path = PathField(
            mode="save",
            caption="Output pattern",
            file_filter="Frames and video (*.exr *.dpx *.tif *.png *.jpg *.mp4 *.mov)",
            placeholder="retime/shot.####.exr",
        )
        form.addRow("Path", self._row("output.path", self.path))
        self.format_combo = QComboBox(self)
        for ext, (label, _depths, _comp) in OUTPUT_FORMATS.items():
            self.format_combo.addItem(f"{label} (.{ext})", ext)
        form.addRow("Format", self._row("output.format", self.format_combo))
        self.bit_depth_combo = QComboBox(self)
        form.addRow("Bit depth", self._row("output.bit_depth", self.bit_depth_combo))
        self.compression_combo = QComboBox(self)
        form.addRow("Compression", self._row("output.compression", self.compression_combo))
        self.colorspace = SearchableComboBox(placeholder="same as the input")
        form.addRow("Colourspace", self._row("output.colorspace", self.colorspace))
        self.start_edit = QLineEdit(self)
        self.start_edit.setPlaceholderText("first source frame")
        self.start_edit.setToolTip("Number of the first output frame (output.start)")
        form.addRow("Number from", self._row("output.start", self.start_edit))
        self.fps_edit = QLineEdit(self)
        self.fps_edit.setPlaceholderText("from the timing / source")
        form.addRow("Frame rate", self._row("output.fps", self.fps_edit))
        self.vectors_check = QCheckBox("Write motion vectors (EXR)", self)
        self.vectors_check.setToolTip("Also write forward.u/v and backward.u/v (Nuke's layout)")
        form.addRow("", self._row("output.vectors", self.vectors_check))
        self.matte_check = QCheckBox("Write the occlusion matte (EXR)", self)
        self.matte_check.setToolTip(
            "Kronos Output Matte: matte.A is 1 where the retime invented pixels seen in only "
            "one source frame"
        )
        form.addRow("", self._row("output.matte", self.matte_check))
        self.prefix_edit = QLineEdit(self)
        self.prefix_edit.setPlaceholderText("none")
        self.prefix_edit.setToolTip(
            "Prefix for the added layers (vtk_ → vtk_forward.u, vtk_matte.A), so they do not "
            "collide with layers the plate already has"
        )
        form.addRow("Layer prefix", self._row("output.layer_prefix", self.prefix_edit))

        self.path.textChanged.connect(self._path_edited)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        for combo in (self.bit_depth_combo, self.compression_combo):
            combo.currentIndexChanged.connect(self.changed)
        self.colorspace.editTextChanged.connect(self.changed)
        for edit in (self.start_edit, self.fps_edit):
            edit.textChanged.connect(self.changed)
        self.vectors_check.toggled.connect(self.changed)
        self.matte_check.toggled.connect(self.changed)
        self.prefix_edit.textChanged.connect(self.changed)
        self._refresh_format_fields()

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    # ---------------------------------------------------------------------------- values

    def output_dict(self) -> tuple[dict[str, Any], list[JobError]]:
        """The job's ``output`` object, and the problems of fields that do not parse (such a
        field is left at its default in the object)."""
        errors: list[JobError] = []
        try:
            start = optional_int(self.start_edit.text(), "output.start", "the first number")
        except JobError as err:
            start = None
            errors.append(err)
        data = {
            "path": self.path.text() or None,
            "bit_depth": self.bit_depth_combo.currentData(),
            "compression": self.compression_combo.currentData(),
            "colorspace": self.colorspace.value(),
            "start": start,
            "fps": self.fps_edit.text().strip() or None,
            "vectors": self.vectors_check.isChecked(),
        }
        if self.matte_check.isChecked():
            data["matte"] = True
        if self.prefix_edit.text().strip():
            data["layer_prefix"] = self.prefix_edit.text().strip()
        return data, errors

    def load(self, output: Mapping[str, Any]) -> None:
        """Fill the fields from an ``output`` object (keeping values the lists lack)."""
        path = str(output.get("path") or "")
        ext = format_of(path)
        self.format_combo.blockSignals(True)
        if ext in OUTPUT_FORMATS:
            set_combo_data(self.format_combo, ext)
        self.format_combo.blockSignals(False)
        self.path.blockSignals(True)
        self.path.setText(path)
        self.path.blockSignals(False)
        self._refresh_format_fields()
        depth = output.get("bit_depth")
        set_combo_data(self.bit_depth_combo, depth, DEPTH_LABELS.get(str(depth), str(depth)))
        set_combo_data(self.compression_combo, output.get("compression"))
        self.colorspace.set_value(output.get("colorspace"))
        start = output.get("start")
        self.start_edit.setText("" if start is None else str(start))
        fps = output.get("fps")
        self.fps_edit.setText("" if fps is None else str(fps))
        self.vectors_check.setChecked(bool(output.get("vectors", False)))
        self.matte_check.setChecked(bool(output.get("matte", False)))
        self.prefix_edit.setText(str(output.get("layer_prefix") or ""))

    # -------------------------------------------------------------------------- reacting

    def _path_edited(self, text: str) -> None:
        ext = format_of(text)
        if ext in OUTPUT_FORMATS and ext != self.format_combo.currentData():
            self.format_combo.blockSignals(True)
            set_combo_data(self.format_combo, ext)
            self.format_combo.blockSignals(False)
            self._refresh_format_fields()
        self.changed.emit()

    def _format_changed(self, *_args: object) -> None:
        ext = str(self.format_combo.currentData())
        path = self.path.text()
        if path and format_of(path) != ext:
            self.path.blockSignals(True)
            suffix = Path(path).suffix
            self.path.setText(str(Path(path).with_suffix("." + ext)) if suffix else f"{path}.{ext}")
            self.path.blockSignals(False)
        self._refresh_format_fields()
        self.changed.emit()

    def _refresh_format_fields(self) -> None:
        ext = str(self.format_combo.currentData())
        _label, depths, compressions = OUTPUT_FORMATS[ext]
        depth = self.bit_depth_combo.currentData()
        comp = self.compression_combo.currentData()
        for combo in (self.bit_depth_combo, self.compression_combo):
            combo.blockSignals(True)
            combo.clear()
        default_depth = DEPTH_LABELS.get(DEFAULT_DEPTHS.get(ext, ""), "the format’s")
        self.bit_depth_combo.addItem(f"default ({default_depth})", None)
        for name in depths:
            self.bit_depth_combo.addItem(DEPTH_LABELS.get(name, name), name)
        self.compression_combo.addItem("default (zip, lossless)" if compressions else "—", None)
        for name in compressions:
            self.compression_combo.addItem(name, name)
        self.bit_depth_combo.setCurrentIndex(max(self.bit_depth_combo.findData(depth), 0))
        self.compression_combo.setCurrentIndex(max(self.compression_combo.findData(comp), 0))
        self.bit_depth_combo.setEnabled(bool(depths))
        self.compression_combo.setEnabled(bool(compressions))
        for combo in (self.bit_depth_combo, self.compression_combo):
            combo.blockSignals(False)
        is_exr = ext == "exr"
        for check in (self.vectors_check, self.matte_check):
            if not is_exr:
                check.blockSignals(True)
                check.setChecked(False)
                check.blockSignals(False)
            check.setEnabled(is_exr)
        self.prefix_edit.setEnabled(is_exr)
