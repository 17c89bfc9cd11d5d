"""Playback and scrubbing of the preview: which output frame (or pair ``t``) is on show.

Example::

    playback = PlaybackController(worker, timeline, transport, view_controls, FrameCache(2**31),
                                  parent=window)
    playback.reopen(first_look=True)             # another source: first look, empty cache
    playback.info = source_info                  # what the worker opened
    playback.set_samples(samples, cuts={1010})   # the output frames of the timeline
    playback.set_frame(1003)                     # scrub: from the cache, else the worker
    playback.toggle_play(24.0)                   # the flipbook: play at 24 fps

The controller keeps the current output frame (or, for a pair of images, the in-between
``t``), moves the timeline and the transport bar along with it, and asks the
:class:`~vtinker_ui.workers.PreviewWorker` for the frame to show; the newest request wins.
The window shows what comes back (``frameReady``, or ``frameFromCache`` for a frame already
computed) and stores it in :attr:`PlaybackController.result`.

First look: when a source opens, the playhead goes to the first in-between (for a clip at the
default 50 %, t = 0.5 between its first two frames; for a pair, t = 0.5), so the first thing
shown is what the engine makes, not a copy of a source frame.

The flipbook: every computed frame is kept in a :class:`~vtinker_ui.frame_cache.FrameCache`
(bounded in bytes, oldest out). Playing ticks at the output frame rate; a tick whose next frame
is cached shows it at once, and a tick whose next frame is not computed yet waits for it (the
playback never skips a frame), so the first pass over the range plays as fast as the engine
computes and every later pass plays from RAM at the rate. The timeline marks cached frames.
:func:`transport_actions` makes the Play/First/Previous/Next/Last actions (shortcuts, icons,
tooltips) that the Playback menu and the transport bar share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

from vtinker_ui.compute import DisplaySettings, FrameResult, SourceInfo, pair_sample
from vtinker_ui.controls import TransportBar, ViewControls
from vtinker_ui.frame_cache import FrameCache, frame_key
from vtinker_ui.timeline import Timeline
from vtinker_ui.workers import PreviewWorker

DEFAULT_PLAY_FPS = 24.0
#: Where a pair's t starts: halfway, the in-between furthest from both images.
FIRST_T = 0.5
_PAIR_STEP = 0.05  # t advances by 1/20 per step (and per tick while playing) for a pair


class PlaybackController(QObject):
    """Scrubbing, stepping and playing through the output frames of the preview.

    Args:
        worker: computes the frames that are asked for.
        timeline, transport: follow the current frame (and ``t`` for a pair).
        view_controls: the view mode and display settings a frame request carries.
        cache: keeps computed frames for the flipbook.

    Signals:
        playingChanged(bool): playback started (True) or stopped (False).
        frameFromCache(object): the frame asked for was already computed: this
            :class:`~vtinker_ui.compute.FrameResult` (the worker is not asked).
        cacheChanged(): frames were added to or dropped from the cache.
    """

    playingChanged = Signal(bool)
    frameFromCache = Signal(object)
    cacheChanged = Signal()

    def __init__(
        self,
        worker: PreviewWorker,
        timeline: Timeline,
        transport: TransportBar,
        view_controls: ViewControls,
        cache: FrameCache,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.timeline = timeline
        self.transport = transport
        self.view_controls = view_controls
        self.cache = cache
        self.info: SourceInfo | None = None
        self.samples: list[Any] = []
        self.current: int | None = None
        self.t = FIRST_T
        self.result: FrameResult | None = None
        self._asked: tuple[Any, int] = (None, 0)  # the latest request: its frame key, ticket
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        worker.frameComputed.connect(self._keep)

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

    def reopen(self, *, first_look: bool) -> None:
        """The source is being opened again (a setting it depends on changed) or another one
        is: forget the frames computed so far. With ``first_look`` (another source), the
        next timing plan starts at its first in-between, and a pair at t = 0.5."""
        self.info = None
        if first_look:
            self.current = None
            self.result = None
            self.t = FIRST_T
            self.transport.set_t(FIRST_T)
        self.clear_cache()

    def clear_cache(self) -> None:
        """Forget every computed frame."""
        self.cache.clear()
        self.timeline.set_cached(())
        self.cacheChanged.emit()

    def set_samples(self, samples: Sequence[Any], cuts: Iterable[int] = ()) -> None:
        """A new timing plan: keep the current frame where it still exists (a new source:
        its first in-between), then show it."""
        self.samples = list(samples)
        self.timeline.set_samples(self.samples, cuts=cuts)
        frames = self.output_frames()
        if self.current is None:
            between = (s.output_frame for s in self.samples if not (s.is_copy or s.is_hold))
            self.current = next(between, frames[0])
        elif self.current not in frames:
            self.current = frames[0]
        self._mark_cached()
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

    def _views(self) -> tuple[str, ...]:
        mode = self.view_controls.mode()
        return {"wipe": ("reference",), "flow": ("flow",), "occlusion": ("occlusion",)}.get(
            mode, ()
        )

    def is_cached(self, sample: Any) -> bool:
        """Whether ``sample`` is computed, as the viewer would show it now."""
        display = self.view_controls.display_settings()
        return frame_key(sample, display, self._views()) in self.cache

    def request_frame(self) -> int | None:
        """Show the current frame: from the cache when it was computed (returns None), else
        ask the worker for it (superseding any older request; returns the ticket)."""
        sample = self.sample()
        if sample is None or self.info is None:
            return None
        display, views = self.view_controls.display_settings(), self._views()
        key = frame_key(sample, display, views)
        cached = self.cache.get(key)
        if cached is not None:
            self.worker.supersede()
            self.frameFromCache.emit(cached)
            return None
        asked_key, asked_ticket = self._asked
        on_its_way = self.worker.is_busy() and self.worker.latest_frame_ticket() == asked_ticket
        if key == asked_key and on_its_way:
            return asked_ticket  # that very frame is being computed: do not ask twice
        ticket: int = self.worker.request(sample, display, views)
        self._asked = (key, ticket)
        return ticket

    def _keep(self, result: FrameResult, display: DisplaySettings, views: Sequence[str]) -> None:
        if self.info is None:
            return
        self.cache.put(frame_key(result.sample, display, views), result)
        self._mark_cached()
        self.cacheChanged.emit()

    def _mark_cached(self) -> None:
        if self.is_pair():
            return
        self.timeline.set_cached(s.output_frame for s in self.samples if self.is_cached(s))

    def set_cache_limit(self, max_bytes: int) -> None:
        """Change the cache's limit (frames beyond it are dropped, oldest first)."""
        self.cache.set_max_bytes(max_bytes)
        self._mark_cached()
        self.cacheChanged.emit()

    # -------------------------------------------------------------------------- playback

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def tick_interval_ms(self) -> int:
        """The time between two frames while playing, ms."""
        return int(self._timer.interval())

    def toggle_play(self, fps: float | None = None) -> None:
        """Stop, or start playing at ``fps`` (default :data:`DEFAULT_PLAY_FPS`)."""
        if self._timer.isActive():
            self.stop()
            return
        rate = fps or DEFAULT_PLAY_FPS
        self._timer.start(max(round(1000 / rate), 1))
        self.playingChanged.emit(True)

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playingChanged.emit(False)

    def tick(self) -> None:
        """One frame of playback (the play timer calls this at the output rate): the next
        frame if it is cached or nothing is computing, else wait for the frame in hand
        (every frame is shown, none is skipped)."""
        if self.is_pair():
            if not self.worker.is_busy():
                self.set_t(0.0 if self.t >= 1.0 else min(self.t + _PAIR_STEP, 1.0))
            return
        frames = self.output_frames()
        if not frames or self.current is None:
            return
        index = frames.index(self.current) if self.current in frames else -1
        following = self.samples[(index + 1) % len(frames)]
        if self.worker.is_busy() and not self.is_cached(following):
            return
        self.set_frame(following.output_frame)


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


__all__ = [
    "DEFAULT_PLAY_FPS",
    "FIRST_T",
    "PlaybackController",
    "TransportActions",
    "transport_actions",
]
