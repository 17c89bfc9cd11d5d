"""The preview window's control strips: error banner, view controls, transport bar.

Example::

    banner = ErrorBanner()
    banner.show_error("Render failed: cannot read 'shot.1001.exr'")
    controls = ViewControls()
    controls.set_displays(info.displays)           # OCIO displays and their views
    controls.display_settings()                    # DisplaySettings(display, view, exposure)
    controls.mode()                                # "result", "wipe", "flow" or "occlusion"
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from vtinker_ui.compute import DisplaySettings

#: Proxy choices of the preview: label and scale (0 = auto).
PROXY_CHOICES: tuple[tuple[str, int], ...] = (("Auto", 0), ("Full", 1), ("1/2", 2), ("1/4", 4))

VIEW_MODES: tuple[tuple[str, str, str], ...] = (
    ("result", "Result", "The interpolated output frame"),
    ("wipe", "A/B wipe", "Wipe between the output frame (A) and the nearer source frame (B)"),
    (
        "flow",
        "Flow",
        "The pair's forward motion as a colour wheel (hue: direction, saturation: speed)",
    ),
    ("occlusion", "Occlusion", "Pixels of the first frame hidden in the second, in red"),
)
#: Exposure range of the viewer, in stops.
EXPOSURE_RANGE = 10.0
_SLIDER_STEPS_PER_STOP = 10


class ErrorBanner(QFrame):
    """A red strip above the viewer with the latest error; it stays until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet(
            "#errorBanner { background: #5a1f1f; border: 1px solid #a33; border-radius: 3px; }"
            "#errorBanner QLabel { color: #ffdcdc; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear_error)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()

    def clear_error(self) -> None:
        self.label.setText("")
        self.hide()

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""


class ViewControls(QWidget):
    """Display, view, exposure and what the viewer shows.

    Signals:
        displayChanged(): display, view or exposure changed.
        modeChanged(str): the view mode changed.
    """

    displayChanged = Signal()
    modeChanged = Signal(str)
    proxyChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        self.mode_buttons: dict[str, QToolButton] = {}
        for mode, label, tip in VIEW_MODES:
            button = QToolButton(self)
            button.setText(label)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setProperty("mode", mode)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            layout.addWidget(button)
        self.mode_buttons["result"].setChecked(True)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Display", self))
        self.display_combo = QComboBox(self)
        self.display_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self.display_combo)
        self.view_combo = QComboBox(self)
        self.view_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self.view_combo)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Exposure", self))
        self.exposure_slider = QSlider(Qt.Orientation.Horizontal, self)
        steps = int(EXPOSURE_RANGE * _SLIDER_STEPS_PER_STOP)
        self.exposure_slider.setRange(-steps, steps)
        self.exposure_slider.setFixedWidth(140)
        self.exposure_slider.setToolTip("Exposure in stops (double-click the value to type)")
        self.exposure_spin = QDoubleSpinBox(self)
        self.exposure_spin.setRange(-EXPOSURE_RANGE, EXPOSURE_RANGE)
        self.exposure_spin.setSingleStep(0.5)
        self.exposure_spin.setDecimals(1)
        self.exposure_spin.setSuffix(" EV")
        self.exposure_reset = QToolButton(self)
        self.exposure_reset.setText("0")
        self.exposure_reset.setToolTip("Reset the exposure")
        layout.addWidget(self.exposure_slider)
        layout.addWidget(self.exposure_spin)
        layout.addWidget(self.exposure_reset)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Proxy", self))
        self.proxy_combo = QComboBox(self)
        for label, scale in PROXY_CHOICES:
            self.proxy_combo.addItem(label, scale)
        self.proxy_combo.setToolTip(
            "Preview at a lower resolution for speed (Auto: full up to 2K, 1/2 up to 4K, "
            "1/4 beyond); renders always run at full resolution"
        )
        layout.addWidget(self.proxy_combo)
        layout.addStretch(1)
        self._displays: dict[str, tuple[tuple[str, ...], str]] = {}
        #: True once the user picked a display or view (then a new source keeps it).
        self.user_chose_view = False
        self.display_combo.activated.connect(self._picked_by_user)
        self.view_combo.activated.connect(self._picked_by_user)

        self.mode_group.buttonToggled.connect(self._mode_toggled)
        self.display_combo.currentIndexChanged.connect(self._display_picked)
        self.view_combo.currentIndexChanged.connect(lambda _i: self.displayChanged.emit())
        self.exposure_slider.valueChanged.connect(self._slider_moved)
        self.exposure_spin.valueChanged.connect(self._spin_changed)
        self.exposure_reset.clicked.connect(lambda: self.set_exposure(0.0))
        self.proxy_combo.currentIndexChanged.connect(lambda _i: self.proxyChanged.emit())

    # ---------------------------------------------------------------------------- values

    def mode(self) -> str:
        button = self.mode_group.checkedButton()
        return str(button.property("mode")) if button is not None else "result"

    def set_mode(self, mode: str) -> None:
        self.mode_buttons[mode].setChecked(True)

    def proxy(self) -> int:
        """The chosen proxy scale: 1, 2 or 4, or 0 for auto."""
        return int(self.proxy_combo.currentData())

    def set_proxy(self, scale: int) -> None:
        index = self.proxy_combo.findData(scale)
        if index < 0:
            raise ValueError(f"no proxy choice {scale}")
        self.proxy_combo.setCurrentIndex(index)

    def display_settings(self) -> DisplaySettings:
        return DisplaySettings(
            self.display_combo.currentText() or None,
            self.view_combo.currentText() or None,
            self.exposure_spin.value(),
        )

    def set_displays(
        self,
        displays: Sequence[tuple[str, Sequence[str], str]],
        *,
        display: str | None = None,
        view: str | None = None,
    ) -> None:
        """Offer the config's displays and select ``display`` and ``view``; None (or a name the
        config lacks) selects the first display and that display's default view."""
        wanted_display = display
        wanted_view = view
        self._displays = {name: (tuple(views), default) for name, views, default in displays}
        self.blockSignals(True)
        self.display_combo.blockSignals(True)
        self.display_combo.clear()
        self.display_combo.addItems(list(self._displays))
        if wanted_display in self._displays:
            self.display_combo.setCurrentText(wanted_display)
        self.display_combo.blockSignals(False)
        self._fill_views(wanted_view)
        self.blockSignals(False)
        self.displayChanged.emit()

    def _fill_views(self, wanted: str | None) -> None:
        views, default = self._displays.get(self.display_combo.currentText(), ((), ""))
        self.view_combo.blockSignals(True)
        self.view_combo.clear()
        self.view_combo.addItems(list(views))
        self.view_combo.setCurrentText(wanted if wanted in views else default)
        self.view_combo.blockSignals(False)

    def _picked_by_user(self, _index: int) -> None:
        # Qt says "activated" after the index changed: say it again, now as the user's choice.
        self.user_chose_view = True
        self.displayChanged.emit()

    def _display_picked(self, _index: int) -> None:
        self._fill_views(self.view_combo.currentText() or None)
        self.displayChanged.emit()

    def set_exposure(self, stops: float) -> None:
        self.exposure_spin.setValue(stops)

    def _slider_moved(self, value: int) -> None:
        stops = value / _SLIDER_STEPS_PER_STOP
        if abs(self.exposure_spin.value() - stops) > 1e-9:
            self.exposure_spin.setValue(stops)

    def _spin_changed(self, stops: float) -> None:
        self.exposure_slider.blockSignals(True)
        self.exposure_slider.setValue(round(stops * _SLIDER_STEPS_PER_STOP))
        self.exposure_slider.blockSignals(False)
        self.displayChanged.emit()

    def _mode_toggled(self, button: QToolButton, checked: bool) -> None:
        if checked:
            self.modeChanged.emit(str(button.property("mode")))


class TransportBar(QWidget):
    """Play controls, the output frame number and (for an image pair) the t slider.

    Args:
        actions: first, previous, play, next, last (the window's actions, with shortcuts).

    Signals:
        frameEntered(int): a frame number was typed.
        tChanged(float): the pair's t slider moved, t in [0, 1].
    """

    frameEntered = Signal(int)
    tChanged = Signal(float)

    T_STEPS = 1000

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            layout.addWidget(button)
        self.frame_spin = QSpinBox(self)
        self.frame_spin.setRange(-(10**7), 10**7)
        self.frame_spin.setKeyboardTracking(False)
        self.frame_spin.setToolTip("Output frame")
        layout.addWidget(self.frame_spin)
        self.t_label = QLabel("t", self)
        self.t_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.t_slider.setRange(0, self.T_STEPS)
        self.t_slider.setValue(self.T_STEPS // 2)
        self.t_slider.setMinimumWidth(240)
        self.t_value = QLabel("0.500", self)
        self.t_value.setMinimumWidth(44)
        layout.addWidget(self.t_label)
        layout.addWidget(self.t_slider, 1)
        layout.addWidget(self.t_value)
        self.info_label = QLabel("", self)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info_label, 1)
        self.frame_spin.valueChanged.connect(self.frameEntered)
        self.t_slider.valueChanged.connect(self._t_moved)
        self.set_pair_mode(False)

    def set_pair_mode(self, pair: bool) -> None:
        """Show the t slider (a pair) or the frame number (a sequence or video)."""
        for widget in (self.t_label, self.t_slider, self.t_value):
            widget.setVisible(pair)
        self.frame_spin.setVisible(not pair)

    def t(self) -> float:
        return self.t_slider.value() / self.T_STEPS

    def set_t(self, t: float) -> None:
        self.t_slider.setValue(round(min(max(t, 0.0), 1.0) * self.T_STEPS))

    def set_frame(self, frame: int) -> None:
        self.frame_spin.blockSignals(True)
        self.frame_spin.setValue(frame)
        self.frame_spin.blockSignals(False)

    def _t_moved(self, value: int) -> None:
        t = value / self.T_STEPS
        self.t_value.setText(f"{t:.3f}")
        self.tChanged.emit(t)
