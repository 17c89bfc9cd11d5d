"""The source and colour sections of the settings panel: what to read, and in which colours.

Example::

    source, colour = SourceSection(), ColourSection()
    source.load({"path": "plates/shot.####.exr", "frames": "1001-1100"})
    source.source_frames(None)          # (1001, ..., 1100): the range typed, else on disk
    colour.colorspacesLoaded.connect(output_combo.set_items)
    colour.load({"ocio": "config.ocio", "sanitize": True}, {"colorspace": "ACEScg"})
    colour.pipeline                     # the loaded ColorPipeline (None if OCIO failed)

Import-light (STYLE.md §1): OCIO is loaded on first use, inside a function, and only for the
colourspace lists; a missing OCIO leaves the colourspace fields free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from vtinker_core.errors import VTinkerError
from vtinker_ui.fields import NOTE_STYLE, FieldRow, PathField, SearchableComboBox

SOURCE_FILTER = (
    "Frames and video (*.exr *.dpx *.tif *.tiff *.png *.jpg *.jpeg *.mov *.mp4 *.mkv *.mxf);;"
    "All files (*)"
)
_SEQUENCE_CACHE_SIZE = 64


class SourceSection(QGroupBox):
    """The source path (a sequence, one frame of it, or a video) and its frame range.

    Signals:
        changed(): the path or the range was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Source", parent)
        self.rows: dict[str, FieldRow] = {}
        self._sequence_cache: dict[str, tuple[int, ...] | None] = {}
        form = QFormLayout(self)
        self.input_path = PathField(
            mode="open",
            caption="Open source frames or video",
            file_filter=SOURCE_FILTER,
            placeholder="plates/shot.####.exr, one frame of it, or a video",
        )
        form.addRow("Frames", self._row("input.path", self.input_path))
        self.frames_edit = QLineEdit(self)
        self.frames_edit.setPlaceholderText("all frames on disk")
        self.frames_edit.setToolTip("Source frame range, e.g. 1001-1100")
        form.addRow("Range", self._row("input.frames", self.frames_edit))
        self.note = QLabel("", self)
        self.note.setStyleSheet(NOTE_STYLE)
        form.addRow("", self.note)
        self.frames_edit.textChanged.connect(self._edited)
        self.input_path.textChanged.connect(self._edited)

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def _edited(self, *_args: object) -> None:
        self.changed.emit()

    def input_dict(self) -> dict[str, Any]:
        """The path and range of the job's ``input`` object (the colourspace is the colour
        section's)."""
        return {
            "path": self.input_path.text() or None,
            "frames": self.frames_edit.text().strip() or None,
        }

    def load(self, source: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``input`` object."""
        self.input_path.setText(str(source.get("path") or ""))
        self.frames_edit.setText(str(source.get("frames") or ""))

    def source_frames(self, told: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """The source frame numbers: the range typed, else ``told`` (what the opened source
        holds), else the sequence found on disk; None when unknown or the range is invalid."""
        from vtinker_core.errors import FrameRangeError
        from vtinker_core.io.sequences import parse_frame_range

        frames_text = self.frames_edit.text().strip()
        if frames_text:
            try:
                return parse_frame_range(frames_text)
            except FrameRangeError:
                return None
        if told is not None:
            return told
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
            if len(self._sequence_cache) > _SEQUENCE_CACHE_SIZE:
                self._sequence_cache.clear()
            self._sequence_cache[path] = frames
        return self._sequence_cache[path]


class ColourSection(QGroupBox):
    """The input colourspace, the OCIO config, and NaN/Inf sanitizing.

    Signals:
        changed(): the colourspace or the sanitize option was edited.
        ocioChanged(): the OCIO config was edited or browsed (its colourspaces are reloaded).
        colorspacesLoaded(list): the colourspace names of a newly loaded config (empty when
            none could be loaded), for other colourspace fields.
    """

    changed = Signal()
    ocioChanged = Signal()
    colorspacesLoaded = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Colour", parent)
        self.rows: dict[str, FieldRow] = {}
        self.pipeline: Any = None
        self.pipeline_error: str | None = None
        self._pipeline_key: str | None = "<unloaded>"
        form = QFormLayout(self)
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
        self.sanitize_check = QCheckBox("Replace NaN/Inf instead of failing", self)
        form.addRow("", self._row("sanitize", self.sanitize_check))
        self.ocio_path.edit.editingFinished.connect(self._ocio_edited)
        self.ocio_path.browsed.connect(lambda _path: self._ocio_edited())
        self.input_colorspace.editTextChanged.connect(self._edited)
        self.sanitize_check.toggled.connect(self._edited)

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def _edited(self, *_args: object) -> None:
        self.changed.emit()

    def _ocio_edited(self) -> None:
        self.load_colorspaces()
        self.ocioChanged.emit()

    def load_colorspaces(self) -> None:
        """(Re)load the OCIO config named by the OCIO field and offer its colourspaces."""
        key = self.ocio_path.text() or None
        if key == self._pipeline_key:
            return
        self._pipeline_key = key
        self.pipeline = None
        self.pipeline_error = None
        names: list[str] = []
        try:
            from vtinker_core.color import ColorPipeline

            self.pipeline = ColorPipeline(key)
            names = self.pipeline.colorspace_names()
        except VTinkerError as err:
            self.pipeline_error = str(err)
        except ImportError as err:  # a host Python without OCIO: free text, no list
            self.pipeline_error = None
            self.input_colorspace.setToolTip(f"OCIO is not available here ({err}); type a name")
        self.input_colorspace.set_items(names)
        self.colorspacesLoaded.emit(names)

    def load(self, data: Mapping[str, Any], source: Mapping[str, Any]) -> None:
        """Fill the fields from a job: its ``ocio`` and ``sanitize``, and the input's
        ``colorspace`` (after loading the config, so the name can be offered)."""
        self.ocio_path.setText(str(data.get("ocio") or ""))
        self.load_colorspaces()
        self.input_colorspace.set_value(source.get("colorspace"))
        self.sanitize_check.setChecked(bool(data.get("sanitize", False)))


__all__ = ["SOURCE_FILTER", "ColourSection", "SourceSection"]
