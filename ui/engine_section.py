"""The engine and tiles sections of the settings panel: which engine, on what, in what tiles.

Example::

    engine, tiles = EngineSection(), TilesSection()
    engine.load({"name": "vtinker", "device": "cuda", "precision": "float16"})
    engine.engine_dict()        # the job's "engine" object, not yet validated
    tiles.load({"size": 1024, "overlap": 64})
    tiles.tiles_dict()          # {"size": 1024, "overlap": 64}
    tiles.update_memory_estimate(engine.engine_dict(), source_size=(2160, 4096))

The checkpoint and precision apply to the VTinker network only (and ``auto``, which may pick
it); the tile size is free only while "Auto" is off. The Device list offers the devices this
machine has (:func:`~vtinker_core.devices.available_devices`), found when the list first opens;
a job's other device (``cuda:1`` from a farm machine) is kept as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from vtinker_core.job import PRECISIONS
from vtinker_core.tiling import DEFAULT_OVERLAP, MIN_TILE_SIZE, TILE_SIZE_STEP
from vtinker_ui.fields import NOTE_STYLE, FieldRow, PathField, set_combo_data
from vtinker_ui.job_checks import auto_engine_note, memory_estimate_text

_NETWORK_ENGINES = ("auto", "vtinker")
#: Offered before the machine's devices are looked up: always valid.
_FIRST_DEVICES = ("auto", "cpu")


class DeviceComboBox(QComboBox):
    """The Device list: ``auto`` and the devices this machine has, looked up on first use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItems(list(_FIRST_DEVICES))
        self._probed = False
        if "torch" in sys.modules:  # already paid for: offer the real list at once
            self.offer_devices()

    def offer_devices(self) -> None:
        """Replace the list by this machine's devices, keeping the text."""
        from vtinker_core.devices import available_devices

        self._probed = True
        text = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItems(list(available_devices()))
        self.setEditText(text)
        self.blockSignals(False)

    def devices(self) -> list[str]:
        """The devices the list offers now."""
        return [self.itemText(i) for i in range(self.count())]

    def showPopup(self) -> None:
        if not self._probed:
            self.offer_devices()
        super().showPopup()


class EngineSection(QGroupBox):
    """The engine, its checkpoint, device and precision.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        from vtinker_core.engines import engine_names

        super().__init__("Engine", parent)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout(self)
        self.combo = QComboBox(self)
        for name in engine_names():
            self.combo.addItem(name, name)
        form.addRow("Engine", self._row("engine.name", self.combo))
        self.checkpoint_path = PathField(
            mode="open",
            caption="VTinker checkpoint",
            file_filter="Checkpoints (*.pkl *.safetensors *.pth);;All files (*)",
            placeholder="found automatically ($VTINKER_CHECKPOINT, the cache)",
        )
        form.addRow("Checkpoint", self._row("engine.checkpoint", self.checkpoint_path))
        self.note = QLabel("", self)
        self.note.setStyleSheet(NOTE_STYLE)
        self.note.setWordWrap(True)
        form.addRow("", self.note)
        self.device_combo = DeviceComboBox(self)
        self.device_combo.setToolTip("Where the engine runs: auto picks a GPU when there is one")
        form.addRow("Device", self._row("engine.device", self.device_combo))
        self.precision_combo = QComboBox(self)
        for name in PRECISIONS:
            self.precision_combo.addItem(name, name)
        form.addRow("Precision", self._row("engine.precision", self.precision_combo))

        self.checkpoint_path.textChanged.connect(self._edited)
        self.device_combo.editTextChanged.connect(self._edited)
        self.precision_combo.currentIndexChanged.connect(self._edited)
        self.combo.currentIndexChanged.connect(self._engine_changed)
        self._update_enabled()

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def _edited(self, *_args: object) -> None:
        self.changed.emit()

    def _engine_changed(self, *_args: object) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        name = self.combo.currentData()
        self.checkpoint_path.setEnabled(name in _NETWORK_ENGINES)
        self.precision_combo.setEnabled(name in _NETWORK_ENGINES)

    def engine_dict(self) -> dict[str, Any]:
        """The job's ``engine`` object as the fields say (not validated)."""
        return {
            "name": self.combo.currentData(),
            "checkpoint": self.checkpoint_path.text() or None,
            "device": self.device_combo.currentText().strip() or "auto",
            "precision": self.precision_combo.currentData(),
        }

    def load(self, engine: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``engine`` object (missing keys: the defaults)."""
        set_combo_data(self.combo, engine.get("name") or "auto")
        self.checkpoint_path.setText(str(engine.get("checkpoint") or ""))
        self.device_combo.setEditText(str(engine.get("device") or "auto"))
        set_combo_data(self.precision_combo, engine.get("precision") or "float32")
        self._update_enabled()

    def update_note(self) -> None:
        """Say which engine ``auto`` would pick (empty for a named engine)."""
        self.note.setText(
            auto_engine_note(str(self.combo.currentData()), self.checkpoint_path.text() or None)
        )


class TilesSection(QGroupBox):
    """The tile size (auto or fixed), the overlap, and the memory estimate.

    Signals:
        changed(): a field was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tiles", parent)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout(self)
        self.auto_check = QCheckBox("Auto (follow free memory)", self)
        self.auto_check.setChecked(True)
        form.addRow("", self._row("tiles", self.auto_check))
        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(MIN_TILE_SIZE, 16384)
        self.size_spin.setSingleStep(TILE_SIZE_STEP)
        self.size_spin.setValue(1024)
        self.size_spin.setSuffix(" px")
        form.addRow("Size", self._row("tiles.size", self.size_spin))
        self.overlap_spin = QSpinBox(self)
        self.overlap_spin.setRange(0, 4096)
        self.overlap_spin.setValue(DEFAULT_OVERLAP)
        self.overlap_spin.setSuffix(" px")
        form.addRow("Overlap", self._row("tiles.overlap", self.overlap_spin))
        self.memory_label = QLabel("", self)
        self.memory_label.setObjectName("memoryEstimate")
        self.memory_label.setWordWrap(True)
        form.addRow("Memory", self.memory_label)

        self.auto_check.toggled.connect(self._auto_toggled)
        self.size_spin.valueChanged.connect(self._edited)
        self.overlap_spin.valueChanged.connect(self._edited)
        self.size_spin.setEnabled(not self.auto_check.isChecked())

    def _row(self, setting: str, field: QWidget) -> FieldRow:
        row = FieldRow(field)
        self.rows[setting] = row
        return row

    def _edited(self, *_args: object) -> None:
        self.changed.emit()

    def _auto_toggled(self, *_args: object) -> None:
        self.size_spin.setEnabled(not self.auto_check.isChecked())
        self.changed.emit()

    def tile_size(self) -> int | None:
        """The fixed tile size, or None while "Auto" is on."""
        return None if self.auto_check.isChecked() else self.size_spin.value()

    def tiles_dict(self) -> dict[str, Any]:
        """The job's ``tiles`` object as the fields say."""
        size = self.tile_size()
        return {"size": "auto" if size is None else size, "overlap": self.overlap_spin.value()}

    def load(self, tiles: Mapping[str, Any]) -> None:
        """Fill the fields from a job's ``tiles`` object (missing keys: the defaults)."""
        size = tiles.get("size", "auto")
        auto = size is None or str(size).lower() == "auto"
        self.auto_check.setChecked(auto)
        if not auto:
            self.size_spin.setValue(int(size))
        self.overlap_spin.setValue(int(tiles.get("overlap", DEFAULT_OVERLAP)))
        self.size_spin.setEnabled(not auto)

    def update_memory_estimate(
        self, engine: Mapping[str, Any], source_size: tuple[int, int] | None
    ) -> None:
        """Show the memory a frame of ``source_size`` needs with ``engine`` and these tiles."""
        self.memory_label.setText(
            memory_estimate_text(
                str(engine["name"]),
                engine["checkpoint"],
                str(engine["precision"]),
                source_size,
                tile_size=self.tile_size(),
                overlap=self.overlap_spin.value(),
            )
        )


__all__ = ["DeviceComboBox", "EngineSection", "TilesSection"]
