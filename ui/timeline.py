"""The timeline of output frames: source frames marked, cuts shown, click or drag to scrub.

Example::

    timeline = Timeline()
    timeline.set_samples(samples, cuts=[1040])   # samples: vtinker_core.timing.Sample list
    timeline.frameChanged.connect(show_frame)    # the user scrubbed to an output frame
    timeline.set_current(1003)

Every output frame gets a slot. A slot whose frame is a source frame copied as it is gets a
tall bright tick (these are the frames the retime passes through), an in-between a short tick,
a hold forced by a scene cut an orange tick; a cut is a red line where the source position
crosses it. Frames computed and kept in the flipbook's RAM cache get a thin green bar.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from vtinker_core.timing import Sample

_BACKGROUND = QColor(30, 30, 32)
_SOURCE_TICK = QColor(230, 230, 230)
_BETWEEN_TICK = QColor(120, 160, 210)
_HOLD_TICK = QColor(240, 150, 50)
_CUT = QColor(230, 60, 60)
_CACHED = QColor(70, 180, 90)
_PLAYHEAD = QColor(255, 210, 60)


class Timeline(QWidget):
    """Output frames along the width; click or drag to pick one.

    Signals:
        frameChanged(int): the user picked this output frame.
    """

    frameChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(46)
        self.setMouseTracking(False)
        self._frames: list[int] = []
        self._positions: list[float] = []
        self._kinds: list[str] = []  # "source", "between", "hold"
        self._cut_slots: list[int] = []
        self._cached: set[int] = set()
        self._current: int | None = None

    def sizeHint(self) -> QSize:
        return QSize(600, 46)

    # ---------------------------------------------------------------------------- content

    def set_samples(self, samples: Sequence[Sample], cuts: Iterable[int] = ()) -> None:
        """Show ``samples`` (one per output frame, in order) and the cuts (source frames that
        start a shot)."""
        self._frames = [s.output_frame for s in samples]
        self._positions = [s.position for s in samples]
        self._kinds = [
            "hold" if s.is_hold else "source" if s.is_copy else "between" for s in samples
        ]
        self._cut_slots = []
        for cut in sorted(set(cuts)):
            # The old shot ends at cut - 1/2 (see vtinker_core.cuts.apply_cuts).
            index = next((i for i, p in enumerate(self._positions) if p >= cut - 0.5), len(samples))
            if 0 < index < len(samples):
                self._cut_slots.append(index)
        self._cached &= set(self._frames)
        if self._current not in self._frames:
            self._current = self._frames[0] if self._frames else None
        self.update()

    def frames(self) -> list[int]:
        return list(self._frames)

    def cut_slots(self) -> list[int]:
        """Indices of the output frames a cut lies just before."""
        return list(self._cut_slots)

    def current(self) -> int | None:
        return self._current

    def set_current(self, frame: int) -> None:
        """Move the playhead (no signal)."""
        if frame in self._frames and frame != self._current:
            self._current = frame
            self.update()

    def set_cached(self, frames: Iterable[int]) -> None:
        """Mark these output frames as computed (in the flipbook's cache); others unmarked."""
        cached = set(frames)
        if cached != self._cached:
            self._cached = cached
            self.update()

    def cached(self) -> set[int]:
        return set(self._cached)

    # ----------------------------------------------------------------------------- mouse

    def _slot_width(self) -> float:
        return (self.width() - 2) / max(len(self._frames), 1)

    def frame_at(self, x: float) -> int | None:
        """The output frame under widget x."""
        if not self._frames:
            return None
        index = int((x - 1) / self._slot_width())
        return self._frames[min(max(index, 0), len(self._frames) - 1)]

    def _pick(self, x: float) -> None:
        frame = self.frame_at(x)
        if frame is not None and frame != self._current:
            self._current = frame
            self.update()
            self.frameChanged.emit(frame)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._pick(event.position().x())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._pick(event.position().x())
            event.accept()
            return
        super().mouseMoveEvent(event)

    # ----------------------------------------------------------------------------- paint

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if not self._frames:
            painter.setPen(QColor(130, 130, 130))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no output frames")
            painter.end()
            return
        slot = self._slot_width()
        height = self.height()
        base = height - 14.0
        text_pen = QColor(170, 170, 170)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for i, kind in enumerate(self._kinds):
            x = 1 + (i + 0.5) * slot
            if kind == "source":
                painter.setPen(QPen(_SOURCE_TICK, 1))
                painter.drawLine(QPointF(x, 6), QPointF(x, base))
            elif kind == "hold":
                painter.setPen(QPen(_HOLD_TICK, 1))
                painter.drawLine(QPointF(x, 14), QPointF(x, base))
            elif slot >= 3 or i % max(int(3 / max(slot, 0.01)), 1) == 0:
                painter.setPen(QPen(_BETWEEN_TICK, 1))
                painter.drawLine(QPointF(x, base - 10), QPointF(x, base))
            if self._frames[i] in self._cached:
                painter.fillRect(QRectF(1 + i * slot, base + 1, max(slot, 1.0), 2), _CACHED)
        painter.setPen(QPen(_CUT, 2))
        for index in self._cut_slots:
            x = 1 + index * slot
            painter.drawLine(QPointF(x, 2), QPointF(x, base + 3))
        painter.setPen(text_pen)
        painter.drawText(
            QRectF(3, base + 2, 80, 12), Qt.AlignmentFlag.AlignLeft, str(self._frames[0])
        )
        painter.drawText(
            QRectF(self.width() - 83, base + 2, 80, 12),
            Qt.AlignmentFlag.AlignRight,
            str(self._frames[-1]),
        )
        if self._current is not None:
            i = bisect.bisect_left(self._frames, self._current)
            if i < len(self._frames) and self._frames[i] == self._current:
                x = 1 + (i + 0.5) * slot
                painter.fillRect(
                    QRectF(x - max(slot, 2) / 2, 0, max(slot, 2), base), QColor(255, 210, 60, 50)
                )
                painter.setPen(QPen(_PLAYHEAD, 2))
                painter.drawLine(QPointF(x, 0), QPointF(x, base))
                label = f"{self._current}  (source {self._positions[i]:g})"
                width = painter.fontMetrics().horizontalAdvance(label) + 8
                left = min(max(x - width / 2, 84), self.width() - 84 - width)
                painter.drawText(
                    QRectF(left, base + 2, width, 12), Qt.AlignmentFlag.AlignCenter, label
                )
        painter.end()
