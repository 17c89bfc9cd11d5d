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

The sections are widgets of their own (:mod:`~vtinker_ui.source_section`,
:mod:`~vtinker_ui.timing_editor`, :mod:`~vtinker_ui.cuts_section`,
:mod:`~vtinker_ui.engine_section`, :mod:`~vtinker_ui.output_section`), in one column or two
(:mod:`~vtinker_ui.section_columns`); the panel lays them out, gathers their fields into one job,
validates it and shows each problem next to its field. Their fields keep short names on the
panel (``panel.input_path``, ``panel.engine_combo``, ...).

Import-light (STYLE.md §1): OCIO is loaded on first use, inside a function, and only for the
colourspace lists; a missing OCIO leaves those fields free text.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QPushButton, QVBoxLayout, QWidget

from vtinker_core.errors import JobError
from vtinker_core.job import JOB_VERSION, RenderJob
from vtinker_ui.cuts_section import CutsSection
from vtinker_ui.engine_section import EngineSection, TilesSection
from vtinker_ui.fields import ErrorLabel, FieldRow, guard_wheel
from vtinker_ui.job_checks import (
    OUTPUT_FORMATS,
    check_extras,
    check_sections,
    output_length_text,
)
from vtinker_ui.motion_section import MotionSection, ShutterSection
from vtinker_ui.output_section import OutputSection
from vtinker_ui.section_columns import SectionColumns
from vtinker_ui.source_section import SOURCE_FILTER, ColourSection, SourceSection
from vtinker_ui.timing_editor import TimingEditor


class SettingsPanel(QWidget):
    """Every setting of a render job, with its validation message next to each field.

    Args:
        columns: the sections in one column or two (``panel.sections.set_columns``).

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

    def __init__(self, parent: QWidget | None = None, *, columns: int = 1) -> None:
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
        self._pair = False

        self.sections = SectionColumns(
            [
                self._source_group(),
                self._timing_group(),
                self._output_group(),
                self._colour_group(),
                self._cuts_group(),
                self._shutter_group(),
                self._motion_group(),
                self._engine_group(),
                self._tiles_group(),
            ],
            left=3,  # what a shot needs (source, timing, output) | how to compute it
            columns=columns,
        )
        layout = self._layout = QVBoxLayout(self)
        layout.addWidget(self.sections)
        self.general_error = ErrorLabel(self)
        layout.addWidget(self.general_error)
        self.render_button = QPushButton("Render", self)
        self.render_button.setObjectName("renderButton")
        self.render_button.setToolTip("Render the whole job to disk (in a separate process)")
        layout.addWidget(self.render_button)
        layout.addStretch(1)

        self.render_button.clicked.connect(self._render_clicked)
        self._connect_fields()
        self.colour.load_colorspaces()
        guard_wheel(self)
        self.validate()

    def height_for_columns(self, columns: int) -> int:
        """The height the panel needs with its sections in ``columns`` (1 or 2)."""
        spacing = max(self._layout.spacing(), 0)
        bottom = self.render_button.sizeHint().height() + spacing
        if not self.general_error.isHidden():
            bottom += self.general_error.sizeHint().height() + spacing
        margins = self.contentsMargins()
        return self.sections.height_for(columns) + bottom + margins.top() + margins.bottom()

    # ----------------------------------------------------------------------------- sections

    def _row(self, setting: str, field: QWidget, *extra: QWidget) -> FieldRow:
        row = FieldRow(field, *extra)
        self.rows[setting] = row
        return row

    def _source_group(self) -> SourceSection:
        self.source = SourceSection(self)
        self.rows.update(self.source.rows)
        self.input_path = self.source.input_path
        self.frames_edit = self.source.frames_edit
        self.source_note = self.source.note
        return self.source

    def _colour_group(self) -> ColourSection:
        self.colour = ColourSection(self)
        self.rows.update(self.colour.rows)
        self.input_colorspace = self.colour.input_colorspace
        self.ocio_path = self.colour.ocio_path
        self.sanitize_check = self.colour.sanitize_check
        return self.colour

    def _timing_group(self) -> QGroupBox:
        group = QGroupBox("Timing", self)
        column = QVBoxLayout(group)
        self.timing = TimingEditor(group)
        self.rows.update(self.timing.rows)
        column.addWidget(self.timing)
        return group

    def _cuts_group(self) -> CutsSection:
        self.cuts = CutsSection(self)
        self.rows.update(self.cuts.rows)
        self.detect_cuts_check = self.cuts.detect_check
        self.threshold_edit = self.cuts.threshold_edit
        self.cut_list_edit = self.cuts.list_edit
        self.detected_label = self.cuts.detected_label
        return self.cuts

    def _shutter_group(self) -> ShutterSection:
        self.shutter = ShutterSection(self)
        self.rows.update(self.shutter.rows)
        return self.shutter

    def _motion_group(self) -> MotionSection:
        self.motion = MotionSection(self)
        self.rows.update(self.motion.rows)
        return self.motion

    def _engine_group(self) -> EngineSection:
        self.engine = EngineSection(self)
        self.rows.update(self.engine.rows)
        self.engine_combo = self.engine.combo
        self.checkpoint_path = self.engine.checkpoint_path
        self.engine_note = self.engine.note
        self.device_combo = self.engine.device_combo
        self.precision_combo = self.engine.precision_combo
        return self.engine

    def _tiles_group(self) -> TilesSection:
        self.tiles = TilesSection(self)
        self.rows.update(self.tiles.rows)
        self.tile_auto_check = self.tiles.auto_check
        self.tile_size_spin = self.tiles.size_spin
        self.overlap_spin = self.tiles.overlap_spin
        self.memory_label = self.tiles.memory_label
        return self.tiles

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
        self.cuts.changed.connect(self._changed)
        self.shutter.changed.connect(self._changed)
        self.motion.changed.connect(self._changed)
        self.source.changed.connect(self._changed)
        self.engine.changed.connect(self._changed)
        self.output.changed.connect(self._changed)
        self.colour.ocioChanged.connect(self._ocio_changed)
        self.colour.colorspacesLoaded.connect(self.output_colorspace.set_items)
        self.colour.changed.connect(self._changed)
        self.tiles.changed.connect(self._changed)
        self.timing.changed.connect(self._changed)
        self.source.changed.connect(self._source_edited)

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
            self._pair = False
            self.sourceChanged.emit()
            self.validate()

    def _ocio_changed(self) -> None:
        if not self._loading:
            self.sourceChanged.emit()
            self.validate()

    @property
    def color_pipeline(self) -> Any:
        """The loaded :class:`~vtinker_core.color.ColorPipeline`, or None."""
        return self.colour.pipeline

    # ------------------------------------------------------------------------------ source

    def set_source_info(
        self,
        frames: Sequence[int] | None,
        *,
        fps: Fraction | None = None,
        size: tuple[int, int] | None = None,
        detected_cuts: Sequence[int] = (),
        pair: bool = False,
    ) -> None:
        """What the opened source holds (the preview window tells after opening it).

        Args:
            frames: the source frame numbers, or None when unknown.
            fps: the source's frame rate, if it says.
            size: (height, width) of the frames.
            detected_cuts: cuts found by detection (shown, and used for the output length).
            pair: two separate images are open (the preview's t slider, not a timing).
        """
        self._source_frames = tuple(frames) if frames is not None else None
        self._source_size = size
        self._source_error = None
        self._detected_cuts = tuple(detected_cuts)
        self._pair = pair
        self.timing.set_source_fps_hint(fps)
        self.cuts.set_detected(self._detected_cuts)
        self.validate()

    def begin_source(self, input_path: str, output_path: str) -> None:
        """Another source is opened: the settings that belong to a source start afresh.

        The range, the listed cuts, the output path (``output_path``) and the frame numbering
        (``output.start``) described the previous source; the
        timing, colour, engine and tiles are the user's way of working and stay.
        """
        self._loading = True
        try:
            self.input_path.setText(input_path)
            self.frames_edit.setText("")
            self.cut_list_edit.setText("")
            self.output_path.setText(output_path)
            self.output_start_edit.setText("")
        finally:
            self._loading = False
        self._source_edited()

    def set_source_error(self, message: str | None) -> None:
        """A problem opening the source (shown under the input path; blocks Render)."""
        self._source_error = message
        self.validate()

    def source_frames(self) -> tuple[int, ...] | None:
        """The source frame numbers, as told or as found on disk (sequences), else None."""
        frames: tuple[int, ...] | None = self.source.source_frames(self._source_frames)
        return frames

    # ---------------------------------------------------------------------------- the job

    def raw_dict(self) -> dict[str, Any]:
        """The job object the fields describe, not validated (a field that does not parse
        is left out)."""
        data, _errors = self._collect()
        return data

    def _collect(self) -> tuple[dict[str, Any], list[JobError]]:
        cuts, errors = self.cuts.cuts_dict()
        try:
            timing = self.timing.timing_dict()
        except JobError as err:
            errors.append(err if err.setting else JobError(err.message, setting="timing"))
            timing = {"mode": self.timing.mode()}
        output, output_errors = self.output.output_dict()
        errors.extend(output_errors)
        shutter, shutter_errors = self.shutter.shutter_dict()
        motion, motion_errors = self.motion.motion_dict()
        errors.extend(shutter_errors + motion_errors)
        data: dict[str, Any] = {
            "version": JOB_VERSION,
            "input": {**self.source.input_dict(), "colorspace": self.input_colorspace.value()},
            "output": output,
            "timing": timing,
            "shutter": shutter,
            "motion": motion,
            "cuts": cuts,
            "tiles": self.tiles.tiles_dict(),
            "engine": self.engine.engine_dict(),
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
                pipeline=self.colour.pipeline,
                pipeline_error=self.colour.pipeline_error,
                source_error=self._source_error,
            )
        )
        length_text = "—"
        if self._pair:
            length_text = "two images: the t slider picks the in-between"
        elif not any((e.setting or "").startswith("timing") for e in errors):
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
        self.tiles.update_memory_estimate(data["engine"], self._source_size)
        self.engine.update_note()
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
        name = self.timing.row_name(name)
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
        self.colour.load_colorspaces()
        self._source_frames = None
        self._source_size = None
        self._source_error = None
        self._pair = False
        self.sourceChanged.emit()
        self.validate()

    def _fill(self, data: Mapping[str, Any]) -> None:
        def section(name: str) -> Mapping[str, Any]:
            value = data.get(name)
            return value if isinstance(value, Mapping) else {}

        source = section("input")
        self.source.load(source)
        self.colour.load(data, source)

        timing = section("timing")
        if timing:
            self.timing.load(timing)

        self.cuts.load(section("cuts"))
        self.shutter.load(section("shutter"))
        self.motion.load(section("motion"))

        self.tiles.load(section("tiles"))
        self.engine.load(section("engine"))
        self.output.load(section("output"))

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


__all__ = ["OUTPUT_FORMATS", "SOURCE_FILTER", "SettingsPanel"]
