"""The settings panel: every setting of a render job, validated as you type.

A reusable QWidget (the preview window docks it; a host may show it on its own)::

    panel = SettingsPanel()
    panel.load_job(read_job("job.json").to_dict())    # fills every field
    panel.timing.speed_edit.setText("50")             # the user types
    panel.is_valid()                                  # False while any field is invalid
    panel.error_text("timing.speed")                  # the message shown next to that field
    panel.job_dict()                                  # the versioned job JSON, validated
    panel.renderRequested.connect(run_render)         # the Render button, with the job dict

The job comes from :meth:`vtinker_core.job.RenderJob.from_dict` and goes out through
``to_dict()``, so it is exactly the document ``vtinker render --job`` takes. A
:class:`~vtinker_core.errors.JobError` names the bad field in ``setting``; the panel shows the
message under that field and disables Render until it is fixed.

Import-light (STYLE.md §1): OCIO is loaded on first use, inside a function, and only for the
colourspace lists; a missing OCIO leaves those fields free text.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vtinker_core.errors import JobError, VTinkerError
from vtinker_core.job import DEVICES, JOB_VERSION, PRECISIONS, RenderJob
from vtinker_core.tiling import DEFAULT_OVERLAP, MIN_TILE_SIZE, TILE_SIZE_STEP
from vtinker_ui.fields import (
    NOTE_STYLE,
    ErrorLabel,
    FieldRow,
    PathField,
    SearchableComboBox,
    set_combo_data,
)
from vtinker_ui.job_checks import (
    CLASSICAL_BYTES_PER_PIXEL,
    ENGINE_BYTES_PER_PIXEL,
    OUTPUT_FORMATS,
    VTINKER_BYTES_PER_PIXEL,
    auto_engine_note,
    check_extras,
    check_sections,
    cut_list,
    memory_estimate_text,
    optional_float,
    output_length_text,
)
from vtinker_ui.output_section import OutputSection
from vtinker_ui.timing_editor import TimingEditor, number_text

SOURCE_FILTER = (
    "Frames and video (*.exr *.dpx *.tif *.tiff *.png *.jpg *.jpeg *.mov *.mp4 *.mkv *.mxf);;"
    "All files (*)"
)


class SettingsPanel(QWidget):
    """Every setting of a render job, with its validation message next to each field.

    Signals:
        jobChanged(): a field changed (the job may now be valid or not).
        validityChanged(bool): the job became valid or invalid.
        sourceChanged(): the input path, frame range, colourspace or OCIO config changed.
        renderRequested(dict): Render was pressed; the validated job dict.
    """

    jobChanged = Signal()
    validityChanged = Signal(bool)
    sourceChanged = Signal()
    renderRequested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, FieldRow] = {}
        self._job: RenderJob | None = None
        self._errors: list[JobError] = []
        self._valid = False
        self._busy = False
        self._loading = False
        self._source_frames: tuple[int, ...] | None = None
        self._source_size: tuple[int, int] | None = None
        self._source_error: str | None = None
        self._detected_cuts: tuple[int, ...] = ()
        self._pipeline: Any = None
        self._pipeline_key: str | None = "<unloaded>"
        self._pipeline_error: str | None = None
        self._sequence_cache: dict[str, tuple[int, ...] | None] = {}

        layout = QVBoxLayout(self)
        layout.addWidget(self._source_group())
        layout.addWidget(self._colour_group())
        layout.addWidget(self._timing_group())
        layout.addWidget(self._cuts_group())
        layout.addWidget(self._engine_group())
        layout.addWidget(self._tiles_group())
        layout.addWidget(self._output_group())
        self.general_error = ErrorLabel(self)
        layout.addWidget(self.general_error)
        self.render_button = QPushButton("Render", self)
        self.render_button.setObjectName("renderButton")
        self.render_button.setToolTip("Render the whole job to disk (in a separate process)")
        layout.addWidget(self.render_button)
        layout.addStretch(1)

        self.render_button.clicked.connect(self._render_clicked)
        self._connect_fields()
        self._load_colorspaces()
        self._engine_changed()
        self._tiles_auto_toggled()
        self.validate()

    # ----------------------------------------------------------------------------- sections

    def _row(self, setting: str, field: QWidget, *extra: QWidget) -> FieldRow:
        row = FieldRow(field, *extra)
        self.rows[setting] = row
        return row

    def _source_group(self) -> QGroupBox:
        group = QGroupBox("Source", self)
        form = QFormLayout(group)
        self.input_path = PathField(
            mode="open",
            caption="Open source frames or video",
            file_filter=SOURCE_FILTER,
            placeholder="plates/shot.####.exr, one frame of it, or a video",
        )
        form.addRow("Frames", self._row("input.path", self.input_path))
        self.frames_edit = QLineEdit(group)
        self.frames_edit.setPlaceholderText("all frames on disk")
        self.frames_edit.setToolTip("Source frame range, e.g. 1001-1100")
        form.addRow("Range", self._row("input.frames", self.frames_edit))
        self.source_note = QLabel("", group)
        self.source_note.setStyleSheet(NOTE_STYLE)
        form.addRow("", self.source_note)
        return group

    def _colour_group(self) -> QGroupBox:
        group = QGroupBox("Colour", self)
        form = QFormLayout(group)
        self.input_colorspace = SearchableComboBox(placeholder="by file type (default)")
        self.input_colorspace.setToolTip("OCIO colourspace of the source; type to search")
        form.addRow("Input", self._row("input.colorspace", self.input_colorspace))
        self.ocio_path = PathField(
            mode="open",
            caption="OCIO config",
            file_filter="OCIO configs (*.ocio);;All files (*)",
            placeholder="$OCIO, else the built-in default",
        )
        form.addRow("OCIO config", self._row("ocio", self.ocio_path))
        self.sanitize_check = QCheckBox("Replace NaN/Inf instead of failing", group)
        form.addRow("", self._row("sanitize", self.sanitize_check))
        return group

    def _timing_group(self) -> QGroupBox:
        group = QGroupBox("Timing", self)
        column = QVBoxLayout(group)
        self.timing = TimingEditor(group)
        self.rows.update(self.timing.rows)
        column.addWidget(self.timing)
        return group

    def _cuts_group(self) -> QGroupBox:
        group = QGroupBox("Scene cuts", self)
        form = QFormLayout(group)
        self.detect_cuts_check = QCheckBox("Detect cuts (never interpolate across one)", group)
        form.addRow("", self._row("cuts.detect", self.detect_cuts_check))
        self.threshold_edit = QLineEdit(group)
        self.threshold_edit.setPlaceholderText("0.3 (default)")
        self.threshold_edit.setToolTip("Cut score above which a cut is reported, in (0, 1]")
        form.addRow("Threshold", self._row("cuts.threshold", self.threshold_edit))
        self.cut_list_edit = QLineEdit(group)
        self.cut_list_edit.setPlaceholderText("source frames that start a shot, e.g. 1040, 1102")
        form.addRow("Cuts", self._row("cuts.frames", self.cut_list_edit))
        self.rows["cuts"] = self.rows["cuts.frames"]
        self.detected_label = QLabel("", group)
        self.detected_label.setStyleSheet(NOTE_STYLE)
        self.detected_label.setWordWrap(True)
        form.addRow("", self.detected_label)
        return group

    def _engine_group(self) -> QGroupBox:
        from vtinker_core.engines import engine_names

        group = QGroupBox("Engine", self)
        form = QFormLayout(group)
        self.engine_combo = QComboBox(group)
        for name in engine_names():
            self.engine_combo.addItem(name, name)
        form.addRow("Engine", self._row("engine.name", self.engine_combo))
        self.checkpoint_path = PathField(
            mode="open",
            caption="VTinker checkpoint",
            file_filter="Checkpoints (*.pkl *.safetensors *.pth);;All files (*)",
            placeholder="found automatically ($VTINKER_CHECKPOINT, the cache)",
        )
        form.addRow("Checkpoint", self._row("engine.checkpoint", self.checkpoint_path))
        self.engine_note = QLabel("", group)
        self.engine_note.setStyleSheet(NOTE_STYLE)
        self.engine_note.setWordWrap(True)
        form.addRow("", self.engine_note)
        self.device_combo = QComboBox(group)
        self.device_combo.setEditable(True)
        self.device_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.device_combo.addItems(list(DEVICES))
        form.addRow("Device", self._row("engine.device", self.device_combo))
        self.precision_combo = QComboBox(group)
        for name in PRECISIONS:
            self.precision_combo.addItem(name, name)
        form.addRow("Precision", self._row("engine.precision", self.precision_combo))
        return group

    def _tiles_group(self) -> QGroupBox:
        group = QGroupBox("Tiles", self)
        form = QFormLayout(group)
        self.tile_auto_check = QCheckBox("Auto (follow free memory)", group)
        self.tile_auto_check.setChecked(True)
        form.addRow("", self._row("tiles", self.tile_auto_check))
        self.tile_size_spin = QSpinBox(group)
        self.tile_size_spin.setRange(MIN_TILE_SIZE, 16384)
        self.tile_size_spin.setSingleStep(TILE_SIZE_STEP)
        self.tile_size_spin.setValue(1024)
        self.tile_size_spin.setSuffix(" px")
        form.addRow("Size", self._row("tiles.size", self.tile_size_spin))
        self.overlap_spin = QSpinBox(group)
        self.overlap_spin.setRange(0, 4096)
        self.overlap_spin.setValue(DEFAULT_OVERLAP)
        self.overlap_spin.setSuffix(" px")
        form.addRow("Overlap", self._row("tiles.overlap", self.overlap_spin))
        self.memory_label = QLabel("", group)
        self.memory_label.setObjectName("memoryEstimate")
        self.memory_label.setWordWrap(True)
        form.addRow("Memory", self.memory_label)
        return group

    def _output_group(self) -> OutputSection:
        self.output = OutputSection(self)
        self.rows.update(self.output.rows)
        # Short names for the fields (the panel's public surface, as before the split).
        self.output_path = self.output.path
        self.format_combo = self.output.format_combo
        self.bit_depth_combo = self.output.bit_depth_combo
        self.compression_combo = self.output.compression_combo
        self.output_colorspace = self.output.colorspace
        self.output_start_edit = self.output.start_edit
        self.output_fps_edit = self.output.fps_edit
        self.vectors_check = self.output.vectors_check
        return self.output

    def _connect_fields(self) -> None:
        for edit in (
            self.frames_edit,
            self.threshold_edit,
            self.cut_list_edit,
        ):
            edit.textChanged.connect(self._changed)
        for path_field in (self.input_path, self.checkpoint_path):
            path_field.textChanged.connect(self._changed)
        self.output.changed.connect(self._changed)
        self.ocio_path.edit.editingFinished.connect(self._ocio_changed)
        self.ocio_path.browsed.connect(lambda _path: self._ocio_changed())
        for combo in (self.input_colorspace, self.device_combo):
            combo.editTextChanged.connect(self._changed)
        self.precision_combo.currentIndexChanged.connect(self._changed)
        self.engine_combo.currentIndexChanged.connect(self._engine_changed)
        for check in (self.sanitize_check, self.detect_cuts_check):
            check.toggled.connect(self._changed)
        self.tile_auto_check.toggled.connect(self._tiles_auto_toggled)
        self.tile_size_spin.valueChanged.connect(self._changed)
        self.overlap_spin.valueChanged.connect(self._changed)
        self.timing.changed.connect(self._changed)
        for widget in (self.input_path, self.frames_edit):
            widget.textChanged.connect(self._source_edited)

    # ----------------------------------------------------------------------------- reacting

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.validate()

    def _source_edited(self, *_args: object) -> None:
        if not self._loading:
            self._source_frames = None
            self._source_size = None
            self._source_error = None
            self._detected_cuts = ()
            self.sourceChanged.emit()
            self.validate()

    def _ocio_changed(self) -> None:
        self._load_colorspaces()
        if not self._loading:
            self.sourceChanged.emit()
            self.validate()

    def _engine_changed(self, *_args: object) -> None:
        name = self.engine_combo.currentData()
        uses_checkpoint = name in ("auto", "vtinker")
        self.checkpoint_path.setEnabled(uses_checkpoint)
        self.precision_combo.setEnabled(name in ("auto", "vtinker"))
        self._changed()

    def _tiles_auto_toggled(self, *_args: object) -> None:
        self.tile_size_spin.setEnabled(not self.tile_auto_check.isChecked())
        self._changed()

    # ------------------------------------------------------------------------ colourspaces

    def _load_colorspaces(self) -> None:
        """(Re)load the OCIO config named by the OCIO field and offer its colourspaces."""
        key = self.ocio_path.text() or None
        if key == self._pipeline_key:
            return
        self._pipeline_key = key
        self._pipeline = None
        self._pipeline_error = None
        names: list[str] = []
        try:
            from vtinker_core.color import ColorPipeline

            self._pipeline = ColorPipeline(key)
            names = self._pipeline.colorspace_names()
        except VTinkerError as err:
            self._pipeline_error = str(err)
        except ImportError as err:  # a host Python without OCIO: free text, no list
            self._pipeline_error = None
            self.input_colorspace.setToolTip(f"OCIO is not available here ({err}); type a name")
        self.input_colorspace.set_items(names)
        self.output_colorspace.set_items(names)

    @property
    def color_pipeline(self) -> Any:
        """The loaded :class:`~vtinker_core.color.ColorPipeline`, or None."""
        return self._pipeline

    # ------------------------------------------------------------------------------ source

    def set_source_info(
        self,
        frames: Sequence[int] | None,
        *,
        fps: Fraction | None = None,
        size: tuple[int, int] | None = None,
        detected_cuts: Sequence[int] = (),
    ) -> None:
        """What the opened source holds (the preview window tells after opening it).

        Args:
            frames: the source frame numbers, or None when unknown.
            fps: the source's frame rate, if it says.
            size: (height, width) of the frames.
            detected_cuts: cuts found by detection (shown, and used for the output length).
        """
        self._source_frames = tuple(frames) if frames is not None else None
        self._source_size = size
        self._source_error = None
        self._detected_cuts = tuple(detected_cuts)
        self.timing.set_source_fps_hint(fps)
        if self._detected_cuts:
            self.detected_label.setText(
                "Detected: " + ", ".join(str(c) for c in self._detected_cuts)
            )
        else:
            self.detected_label.setText("")
        self.validate()

    def set_source_error(self, message: str | None) -> None:
        """A problem opening the source (shown under the input path; blocks Render)."""
        self._source_error = message
        self.validate()

    def source_frames(self) -> tuple[int, ...] | None:
        """The source frame numbers, as told or as found on disk (sequences), else None."""
        from vtinker_core.errors import FrameRangeError
        from vtinker_core.io.sequences import parse_frame_range

        frames_text = self.frames_edit.text().strip()
        if frames_text:
            try:
                return parse_frame_range(frames_text)
            except FrameRangeError:
                return None
        if self._source_frames is not None:
            return self._source_frames
        return self._sequence_on_disk(self.input_path.text())

    def _sequence_on_disk(self, path: str) -> tuple[int, ...] | None:
        if not path:
            return None
        if path not in self._sequence_cache:
            from vtinker_core.io.sequences import expected_frames, find_sequence

            frames: tuple[int, ...] | None = None
            try:
                sequence = find_sequence(path)
                frames = expected_frames(sequence.frames) or None
            except VTinkerError:
                frames = None
            if len(self._sequence_cache) > 64:
                self._sequence_cache.clear()
            self._sequence_cache[path] = frames
        return self._sequence_cache[path]

    # ---------------------------------------------------------------------------- the job

    def raw_dict(self) -> dict[str, Any]:
        """The job object the fields describe, not validated (a field that does not parse
        is left out)."""
        data, _errors = self._collect()
        return data

    def _collect(self) -> tuple[dict[str, Any], list[JobError]]:
        errors: list[JobError] = []

        def attempt(setting: str, produce: Any, default: Any = None) -> Any:
            try:
                return produce()
            except JobError as err:
                errors.append(err if err.setting else JobError(err.message, setting=setting))
                return default

        threshold = attempt(
            "cuts.threshold", lambda: optional_float(self.threshold_edit.text(), "cuts.threshold")
        )
        cut_frames = attempt("cuts.frames", lambda: cut_list(self.cut_list_edit.text()), [])
        timing = attempt("timing", self.timing.timing_dict, {"mode": self.timing.mode()})
        output, output_errors = self.output.output_dict()
        errors.extend(output_errors)
        data: dict[str, Any] = {
            "version": JOB_VERSION,
            "input": {
                "path": self.input_path.text() or None,
                "frames": self.frames_edit.text().strip() or None,
                "colorspace": self.input_colorspace.value(),
            },
            "output": output,
            "timing": timing,
            "cuts": {
                "detect": self.detect_cuts_check.isChecked(),
                "threshold": threshold,
                "frames": cut_frames,
            },
            "tiles": {
                "size": "auto" if self.tile_auto_check.isChecked() else self.tile_size_spin.value(),
                "overlap": self.overlap_spin.value(),
            },
            "engine": {
                "name": self.engine_combo.currentData(),
                "checkpoint": self.checkpoint_path.text() or None,
                "device": self.device_combo.currentText().strip() or "auto",
                "precision": self.precision_combo.currentData(),
            },
            "ocio": self.ocio_path.text() or None,
            "sanitize": self.sanitize_check.isChecked(),
        }
        return data, errors

    def validate(self) -> bool:
        """Check every field, show each message next to its field, enable Render if all pass.

        Returns:
            Whether the job is valid.
        """
        data, errors = self._collect()
        timing_unparsed = any((e.setting or "").startswith("timing") for e in errors)
        errors.extend(check_sections(data, skip_timing=timing_unparsed))
        errors.extend(
            check_extras(
                data,
                pipeline=self._pipeline,
                pipeline_error=self._pipeline_error,
                source_error=self._source_error,
            )
        )
        length_text = "—"
        if not any((e.setting or "").startswith("timing") for e in errors):
            try:
                length_text = output_length_text(data, self.source_frames(), self._detected_cuts)
            except JobError as err:
                errors.append(err)
        self.timing.length_label.setText(length_text)
        job: RenderJob | None = None
        if not errors:
            try:
                job = RenderJob.from_dict(data)
            except JobError as err:
                errors.append(err)
        self._show_errors(errors)
        self._errors = list(errors)
        self._job = job
        engine = data["engine"]
        self.memory_label.setText(
            memory_estimate_text(
                str(engine["name"]),
                engine["checkpoint"],
                str(engine["precision"]),
                self._source_size,
                tile_size=None if self.tile_auto_check.isChecked() else self.tile_size_spin.value(),
                overlap=self.overlap_spin.value(),
            )
        )
        self.engine_note.setText(auto_engine_note(str(engine["name"]), engine["checkpoint"]))
        valid = job is not None
        self.render_button.setEnabled(valid and not self._busy)
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)
        self.jobChanged.emit()
        return valid

    def _show_errors(self, errors: Sequence[JobError]) -> None:
        for row in self.rows.values():
            row.clear_error()
        general: list[str] = []
        shown: set[str] = set()
        for err in errors:
            row = self._row_for(err.setting)
            key = err.setting or ""
            if key in shown:
                continue
            shown.add(key)
            if row is None:
                general.append(err.message)
            elif not row.error.text():
                row.show_error(err.message)
        self.general_error.show_error("\n".join(general))

    def _row_for(self, setting: str | None) -> FieldRow | None:
        name = setting or ""
        while name:
            if name in self.rows:
                return self.rows[name]
            if "." not in name:
                break
            name = name.rsplit(".", 1)[0]
        if name in ("timing",):
            return self.rows["timing.mode"]
        return None

    def is_valid(self) -> bool:
        return self._job is not None

    def has_errors(self, prefix: str) -> bool:
        """Whether a field whose setting starts with ``prefix`` (``"timing"``) is invalid."""
        return any((err.setting or "").startswith(prefix) for err in self._errors)

    def current_job(self) -> RenderJob | None:
        """The validated job, or None while a field is invalid."""
        return self._job

    def job_dict(self) -> dict[str, Any]:
        """The versioned job JSON object, validated by the core.

        Raises:
            JobError: a field is invalid (the first problem; every one is shown in the panel).
        """
        self.validate()
        if self._job is None:
            raise self._errors[0] if self._errors else JobError("the job is not valid")
        return self._job.to_dict()

    def error_text(self, setting: str) -> str:
        """The message shown next to the field of ``setting`` ("" when none)."""
        row = self._row_for(setting)
        if row is None or not row.error.isVisibleTo(self):
            return ""
        return str(row.error.text())

    def error_label(self, setting: str) -> ErrorLabel | None:
        row = self._row_for(setting)
        return None if row is None else row.error

    def load_job(self, data: Mapping[str, Any]) -> None:
        """Fill every field from a job object (validated form first; an invalid job is
        loaded as far as it goes and its problems are shown)."""
        try:
            job_data = RenderJob.from_dict(dict(data)).to_dict()
        except JobError:
            job_data = copy.deepcopy(dict(data))
        self._loading = True
        try:
            self._fill(job_data)
        finally:
            self._loading = False
        self._load_colorspaces()
        self._source_frames = None
        self._source_size = None
        self._source_error = None
        self.sourceChanged.emit()
        self.validate()

    def _fill(self, data: Mapping[str, Any]) -> None:
        def section(name: str) -> Mapping[str, Any]:
            value = data.get(name)
            return value if isinstance(value, Mapping) else {}

        source = section("input")
        self.input_path.setText(str(source.get("path") or ""))
        self.frames_edit.setText(str(source.get("frames") or ""))
        self.ocio_path.setText(str(data.get("ocio") or ""))
        self._load_colorspaces()
        self.input_colorspace.set_value(source.get("colorspace"))
        self.sanitize_check.setChecked(bool(data.get("sanitize", False)))

        timing = section("timing")
        if timing:
            self.timing.load(timing)

        cuts = section("cuts")
        self.detect_cuts_check.setChecked(bool(cuts.get("detect", False)))
        threshold = cuts.get("threshold")
        self.threshold_edit.setText("" if threshold is None else number_text(float(threshold)))
        self.cut_list_edit.setText(", ".join(str(f) for f in cuts.get("frames") or []))

        tiles = section("tiles")
        size = tiles.get("size", "auto")
        auto = size is None or str(size).lower() == "auto"
        self.tile_auto_check.setChecked(auto)
        if not auto:
            self.tile_size_spin.setValue(int(size))
        self.overlap_spin.setValue(int(tiles.get("overlap", DEFAULT_OVERLAP)))
        self.tile_size_spin.setEnabled(not auto)

        engine = section("engine")
        set_combo_data(self.engine_combo, engine.get("name") or "auto")
        self.checkpoint_path.setText(str(engine.get("checkpoint") or ""))
        self.device_combo.setEditText(str(engine.get("device") or "auto"))
        set_combo_data(self.precision_combo, engine.get("precision") or "float32")

        self.output.load(section("output"))
        self._engine_changed()

    # -------------------------------------------------------------------------- read-outs

    def output_length(self) -> int | None:
        """The number of output frames shown in the timing section (None when unknown)."""
        text = self.timing.length_label.text()
        head = text.split(" ", 1)[0]
        return int(head) if head.isdigit() else None

    # ---------------------------------------------------------------------------- render

    def set_busy(self, busy: bool) -> None:
        """While a render runs, Render stays disabled."""
        self._busy = busy
        self.render_button.setEnabled(self._job is not None and not busy)

    def _render_clicked(self) -> None:
        if self.validate() and self._job is not None:
            self.renderRequested.emit(self._job.to_dict())


__all__ = [
    "CLASSICAL_BYTES_PER_PIXEL",
    "ENGINE_BYTES_PER_PIXEL",
    "OUTPUT_FORMATS",
    "VTINKER_BYTES_PER_PIXEL",
    "SettingsPanel",
]
