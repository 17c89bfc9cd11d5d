"""The image viewer: zoom and pan like a compositing viewer, with an A/B wipe.

Example::

    viewer = ImageViewer()
    viewer.set_image(rgb_uint8)                   # H×W×3 uint8 (display-referred)
    viewer.set_reference(other_uint8, "B: source 1001")   # for the wipe
    viewer.set_wipe(True)                         # A left of the line, B right; drag to move it
    viewer.fit()                                  # F
    viewer.set_zoom(1.0)                          # 1: 100 %

Mouse and keys (the habits of players and compositing viewers, listed in
:data:`VIEWER_GESTURES`): the wheel zooms around the cursor, middle-drag or space-drag pans,
space tapped without a drag asks to play or stop (:attr:`ImageViewer.playToggleRequested`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_ZOOM = 1.0 / 64.0
MAX_ZOOM = 64.0
#: Zoom factor per wheel notch (120 eighths of a degree).
WHEEL_STEP = 1.25
_BACKGROUND = QColor(38, 38, 40)
#: What the mouse and keys do in the viewer, as (gesture, effect); Help > Keyboard Shortcuts
#: lists these with the window's own shortcuts.
VIEWER_GESTURES: tuple[tuple[str, str], ...] = (
    ("Wheel", "zoom about the cursor"),
    ("Middle-drag, or hold Space and drag", "pan"),
    ("Space, tapped", "play / stop"),
    ("Drag, in the A/B wipe", "move the wipe line"),
)


def qimage_from_rgb(rgb: NDArray[np.uint8]) -> QImage:
    """An H×W×3 uint8 array as a QImage that owns a copy of the pixels."""
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected H×W×3 uint8 pixels, got shape {array.shape}")
    height, width = array.shape[:2]
    image = QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()  # detach from the numpy buffer


class ImageViewer(QWidget):
    """Shows one image (or two with a wipe) with zoom and pan.

    Signals:
        playToggleRequested(): space was tapped (pressed and released without dragging).
        zoomChanged(float): the zoom factor changed (1.0 = 100 %).
        pixelHovered(int, int): the image pixel under the cursor (-1, -1 when outside).
    """

    playToggleRequested = Signal()
    zoomChanged = Signal(float)
    pixelHovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self._image: QImage | None = None
        self._reference: QImage | None = None
        self._label_a = ""
        self._label_b = ""
        self._caption = ""
        self._busy = False
        self._wipe = False
        self._wipe_position = 0.5  # fraction of the image width
        self._zoom = 1.0
        self._offset = QPointF(0.0, 0.0)  # widget position of the image's top-left corner
        self._fitting = True  # refit on resize until the user zooms or pans
        self._pan_from: QPointF | None = None
        self._dragging_wipe = False
        self._space_down = False
        self._space_dragged = False

    # ---------------------------------------------------------------------------- content

    def set_image(self, rgb: NDArray[np.uint8] | QImage | None, label: str = "") -> None:
        """Show ``rgb`` (H×W×3 uint8, or a QImage); the view keeps its zoom and pan unless
        the size changed."""
        image = rgb if isinstance(rgb, QImage) or rgb is None else qimage_from_rgb(rgb)
        resized = image is not None and (self._image is None or self._image.size() != image.size())
        self._image = image
        self._label_a = label
        if resized:
            self._fitting = True
            self._fit_now()
        self.update()

    def set_reference(self, rgb: NDArray[np.uint8] | QImage | None, label: str = "") -> None:
        """The B side of the wipe."""
        self._reference = rgb if isinstance(rgb, QImage) or rgb is None else qimage_from_rgb(rgb)
        self._label_b = label
        self.update()

    def set_wipe(self, on: bool) -> None:
        self._wipe = on
        self.update()

    def wipe_position(self) -> float:
        return self._wipe_position

    def set_wipe_position(self, fraction: float) -> None:
        self._wipe_position = min(max(fraction, 0.0), 1.0)
        self.update()

    def set_caption(self, text: str) -> None:
        """A line drawn at the top left (frame numbers, what is shown)."""
        self._caption = text
        self.update()

    def set_busy(self, busy: bool) -> None:
        """Draws a "computing" note while a newer frame is on its way."""
        if busy != self._busy:
            self._busy = busy
            self.update()

    def image(self) -> QImage | None:
        return self._image

    def reference(self) -> QImage | None:
        return self._reference

    # ------------------------------------------------------------------------- zoom & pan

    def zoom(self) -> float:
        return self._zoom

    def fit(self) -> None:
        """Fit the image to the view (F)."""
        self._fitting = True
        self._fit_now()
        self.update()

    def _fit_now(self) -> None:
        if self._image is None or self._image.isNull():
            return
        w, h = self._image.width(), self._image.height()
        margin = 8
        scale = min((self.width() - margin) / w, (self.height() - margin) / h)
        self._set_zoom_about(max(min(scale, MAX_ZOOM), MIN_ZOOM), None)
        self._offset = QPointF(
            (self.width() - w * self._zoom) / 2, (self.height() - h * self._zoom) / 2
        )

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` (1.0 = 100 %, one image pixel per screen pixel) about ``anchor``
        (widget coordinates; default: the view's centre)."""
        self._fitting = False
        self._set_zoom_about(zoom, anchor if anchor is not None else self._centre())
        self.update()

    def _centre(self) -> QPointF:
        return QPointF(self.width() / 2, self.height() / 2)

    def _set_zoom_about(self, zoom: float, anchor: QPointF | None) -> None:
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is not None:
            # Keep the image point under the anchor where it is.
            ratio = zoom / self._zoom
            self._offset = anchor - (anchor - self._offset) * ratio
        changed = zoom != self._zoom
        self._zoom = zoom
        if changed:
            self.zoomChanged.emit(zoom)

    def pan_by(self, dx: float, dy: float) -> None:
        self._fitting = False
        self._offset += QPointF(dx, dy)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image lies, in widget coordinates."""
        if self._image is None:
            return QRectF()
        return QRectF(
            self._offset.x(),
            self._offset.y(),
            self._image.width() * self._zoom,
            self._image.height() * self._zoom,
        )

    def map_to_image(self, point: QPointF) -> QPointF:
        return (point - self._offset) / self._zoom

    # ----------------------------------------------------------------------------- events

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fitting:
            self._fit_now()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self._zoom * WHEEL_STEP**steps, event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:
        # Space is ours while the viewer has focus (tap: play/stop, hold: pan), so the
        # window's Space shortcut must not take it first.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Space
            and not event.modifiers()
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.modifiers():
            if not event.isAutoRepeat():
                self._space_down = True
                self._space_dragged = False
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.modifiers():
            if not event.isAutoRepeat():
                if self._space_down and not self._space_dragged:
                    self.playToggleRequested.emit()
                self._space_down = False
                self._pan_from = None
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._pan_from = event.position()
            self._space_dragged = self._space_down
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and self._wipe and self._image is not None:
            self._dragging_wipe = True
            self._move_wipe(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._pan_from is not None:
            delta = position - self._pan_from
            self._pan_from = position
            self.pan_by(delta.x(), delta.y())
        elif self._dragging_wipe:
            self._move_wipe(position)
        if self._image is not None:
            point = self.map_to_image(position)
            x, y = int(np.floor(point.x())), int(np.floor(point.y()))
            inside = 0 <= x < self._image.width() and 0 <= y < self._image.height()
            self.pixelHovered.emit(x if inside else -1, y if inside else -1)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self.unsetCursor()
        self._dragging_wipe = False
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.pixelHovered.emit(-1, -1)
        super().leaveEvent(event)

    def _move_wipe(self, position: QPointF) -> None:
        if self._image is None:
            return
        x = self.map_to_image(position).x()
        self.set_wipe_position(x / max(self._image.width(), 1))

    # ------------------------------------------------------------------------------ paint

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self._image is None or self._image.isNull():
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "Open a sequence, a video or two images (File menu, or drop them here)",
            )
            painter.end()
            return
        # Smooth when shrinking; sharp pixels when zoomed in, to inspect them.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1.0)
        target = self.image_rect()
        wipe = self._wipe and self._reference is not None
        if wipe:
            split = target.left() + target.width() * self._wipe_position
            painter.save()
            painter.setClipRect(
                QRectF(target.left(), target.top(), split - target.left(), target.height())
            )
            painter.drawImage(target, self._image)
            painter.setClipRect(
                QRectF(split, target.top(), target.right() - split, target.height())
            )
            painter.drawImage(target, self._reference)  # type: ignore[arg-type]
            painter.restore()
            painter.setPen(QPen(QColor(255, 210, 60), 1.5))
            painter.drawLine(QPointF(split, target.top()), QPointF(split, target.bottom()))
            self._draw_tag(
                painter, QPointF(split - 6, target.top() + 6), self._label_a or "A", True
            )
            self._draw_tag(
                painter, QPointF(split + 6, target.top() + 6), self._label_b or "B", False
            )
        else:
            painter.drawImage(target, self._image)
        lines = [self._caption] if self._caption else []
        lines.append(f"{self._zoom * 100:.0f} %")
        if self._busy:
            lines.append("computing…")
        self._draw_caption(painter, "   ".join(lines))
        painter.end()

    def _draw_caption(self, painter: QPainter, text: str) -> None:
        font = QFont(self.font())
        painter.setFont(font)
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(text).adjusted(-6, -3, 6, 3)
        box.moveTopLeft(self.rect().topLeft() + QPointF(8, 8).toPoint())
        painter.fillRect(box, QColor(0, 0, 0, 150))
        painter.setPen(QColor(235, 235, 235))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_tag(self, painter: QPainter, at: QPointF, text: str, left: bool) -> None:
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(text).adjusted(-5, -2, 5, 2)
        top = max(at.y(), 36.0)
        if left:
            box.moveTopRight(QPointF(at.x(), top).toPoint())
        else:
            box.moveTopLeft(QPointF(at.x(), top).toPoint())
        painter.fillRect(box, QColor(0, 0, 0, 160))
        painter.setPen(QColor(255, 210, 60))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
