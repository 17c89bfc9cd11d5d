"""Playback and scrubbing of the preview: which output frame (or pair ``t``) is on show.

Example::

    playback = PlaybackController(worker, timeline, transport, view_controls, parent=window)
    playback.info = source_info                  # what the worker opened (None: nothing)
    playback.set_samples(samples, cuts={1010})   # the output frames of the timeline
    playback.set_frame(1003)                     # scrub: asks the worker for that frame
    playback.toggle_play(24.0)                   # play at 24 fps, waiting for every frame

The controller keeps the current output frame (or, for a pair of images, the in-between
``t``), moves the timeline and the transport bar along with it, and asks the
:class:`~vtinker_ui.workers.PreviewWorker` for the frame to show; the newest request wins.
The window shows what comes back and stores it in :attr:`PlaybackController.result`.
:func:`transport_actions` makes the Play/First/Previous/Next/Last actions (shortcuts, icons,
tooltips) that the Playback menu and the transport bar share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

from vtinker_ui.compute import FrameResult, SourceInfo, pair_sample
from vtinker_ui.controls import TransportBar, ViewControls
from vtinker_ui.timeline import Timeline
from vtinker_ui.workers import PreviewWorker

DEFAULT_PLAY_FPS = 24.0
_PAIR_STEP = 0.05  # t advances by 1/20 per step (and per tick while playing) for a pair


class PlaybackController(QObject):
    """Scrubbing, stepping and playing through the output frames of the preview.

    Args:
        worker: computes the frames that are asked for.
        timeline, transport: follow the current frame (and ``t`` for a pair).
        view_controls: the view mode and display settings a frame request carries.

    Signals:
        playingChanged(bool): playback started (True) or stopped (False).
    """

    playingChanged = Signal(bool)

    def __init__(
        self,
        worker: PreviewWorker,
        timeline: Timeline,
        transport: TransportBar,
        view_controls: ViewControls,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.timeline = timeline
        self.transport = transport
        self.view_controls = view_controls
        self.info: SourceInfo | None = None
        self.samples: list[Any] = []
        self.current: int | None = None
        self.t = 0.5
        self.result: FrameResult | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    # ----------------------------------------------------------------------------- state

    def is_pair(self) -> bool:
        """True while a pair of images (not a sequence or video) is open."""
        return self.info is not None and self.info.kind == "pair"

    def output_frames(self) -> list[int]:
        return [s.output_frame for s in self.samples]

    def sample(self) -> Any:
        """The sample on show: the pair's in-between at ``t``, or the current output frame's."""
        if self.is_pair():
            return pair_sample(self.t)
        for sample in self.samples:
            if sample.output_frame == self.current:
                return sample
        return None

    def set_samples(self, samples: Sequence[Any], cuts: Iterable[int] = ()) -> None:
        """A new timing plan: keep the current frame where it still exists, then show it."""
        self.samples = list(samples)
        self.timeline.set_samples(self.samples, cuts=cuts)
        frames = self.output_frames()
        if self.current not in frames:
            self.current = frames[0]
        self.timeline.set_current(self.current)
        self.transport.set_frame(self.current)
        self.request_frame()

    # ------------------------------------------------------------------------- scrubbing

    def set_frame(self, frame: int) -> None:
        """Show output frame ``frame`` (clamped to the timeline; computed in the background)."""
        frames = self.output_frames()
        if not frames:
            return
        frame = min(max(int(frame), frames[0]), frames[-1])
        if (
            frame == self.current
            and self.result is not None
            and self.result.sample.output_frame == frame
        ):
            return
        self.current = frame
        self.timeline.set_current(frame)
        self.transport.set_frame(frame)
        self.request_frame()

    def set_t(self, t: float) -> None:
        """For an image pair: show the in-between at ``t`` in [0, 1]."""
        self.t = min(max(float(t), 0.0), 1.0)
        if abs(self.transport.t() - self.t) > 0.5 / self.transport.T_STEPS:
            self.transport.set_t(self.t)
        self.request_frame()

    def step(self, count: int) -> None:
        """Step ``count`` output frames (or t by 1/20 for a pair)."""
        if self.is_pair():
            self.set_t(round((self.t + count * _PAIR_STEP) * 20) / 20)
            return
        frames = self.output_frames()
        if not frames or self.current is None:
            return
        index = frames.index(self.current) if self.current in frames else 0
        self.set_frame(frames[min(max(index + count, 0), len(frames) - 1)])

    def go_to_end(self, *, first: bool) -> None:
        if self.is_pair():
            self.set_t(0.0 if first else 1.0)
            return
        frames = self.output_frames()
        if frames:
            self.set_frame(frames[0] if first else frames[-1])

    def request_frame(self) -> int | None:
        """Ask the worker for the current frame (superseding any older request)."""
        sample = self.sample()
        if sample is None or self.info is None:
            return None
        mode = self.view_controls.mode()
        views = {"wipe": ("reference",), "flow": ("flow",), "occlusion": ("occlusion",)}.get(
            mode, ()
        )
        ticket: int = self.worker.request(sample, self.view_controls.display_settings(), views)
        return ticket

    # -------------------------------------------------------------------------- playback

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def toggle_play(self, fps: float | None = None) -> None:
        """Stop, or start playing at ``fps`` (default :data:`DEFAULT_PLAY_FPS`)."""
        if self._timer.isActive():
            self.stop()
            return
        rate = fps or DEFAULT_PLAY_FPS
        self._timer.start(max(int(1000 / rate), 1))
        self.playingChanged.emit(True)

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playingChanged.emit(False)

    def _tick(self) -> None:
        if self.worker.is_busy():
            return  # show every frame: wait for the one in hand
        if self.is_pair():
            self.set_t(0.0 if self.t >= 1.0 else min(self.t + _PAIR_STEP, 1.0))
            return
        frames = self.output_frames()
        if not frames or self.current is None:
            return
        index = frames.index(self.current) if self.current in frames else -1
        self.set_frame(frames[(index + 1) % len(frames)])


@dataclass(frozen=True)
class TransportActions:
    """The playback actions, shared by the Playback menu and the transport bar."""

    play: QAction
    first: QAction
    prev: QAction
    next: QAction
    last: QAction

    def menu_order(self) -> list[QAction]:
        return [self.play, self.first, self.prev, self.next, self.last]

    def bar_order(self) -> list[QAction]:
        return [self.first, self.prev, self.play, self.next, self.last]


def transport_actions(
    owner: QWidget,
    *,
    play: Callable[[], None],
    step: Callable[[int], None],
    go_to_end: Callable[..., None],
) -> TransportActions:
    """The playback actions of ``owner`` (a window): their shortcuts work anywhere in it."""
    style = owner.style()
    pixmap = QStyle.StandardPixmap

    def make(
        text: str, shortcut: str, slot: Callable[[], None], icon: QStyle.StandardPixmap, tip: str
    ) -> QAction:
        action = QAction(text, owner)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        owner.addAction(action)
        action.setIcon(style.standardIcon(icon))
        action.setToolTip(tip)
        return action

    return TransportActions(
        play=make("Play", "Space", play, pixmap.SP_MediaPlay, "Play / stop (Space)"),
        first=make(
            "First Frame",
            "Home",
            lambda: go_to_end(first=True),
            pixmap.SP_MediaSkipBackward,
            "First frame (Home)",
        ),
        prev=make(
            "Previous Frame",
            "Left",
            lambda: step(-1),
            pixmap.SP_MediaSeekBackward,
            "Previous frame (Left)",
        ),
        next=make(
            "Next Frame",
            "Right",
            lambda: step(1),
            pixmap.SP_MediaSeekForward,
            "Next frame (Right)",
        ),
        last=make(
            "Last Frame",
            "End",
            lambda: go_to_end(first=False),
            pixmap.SP_MediaSkipForward,
            "Last frame (End)",
        ),
    )


__all__ = ["DEFAULT_PLAY_FPS", "PlaybackController", "TransportActions", "transport_actions"]
