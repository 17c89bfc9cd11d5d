"""The flipbook's RAM cache of computed preview frames: bounded in bytes, oldest out first.

Example::

    cache = FrameCache(cache_limit(prefs.cache_limit_bytes()))
    key = frame_key(sample, display, views)
    cache.put(key, result)            # the keys of the frames it dropped to make room
    cache.get(key)                    # the FrameResult (now the newest), or None
    cache.nbytes, len(cache)          # what it holds, bytes and frames
    describe_cache(cache)             # "RAM cache: 12 frames, 34.5 MiB of 2.0 GiB"

Playing a retime from RAM is what lets it be judged in motion: once a frame is computed it
is kept, and the next pass over the range plays at the output rate without the engine. The
cache never holds more than its limit: a frame that does not fit makes room by dropping the
least recently shown frames first, never by growing. The limit is the user's preference
(:data:`~vtinker_ui.prefs.DEFAULT_CACHE_BYTES` by default) and at most
:data:`MAX_SHARE_OF_FREE` of the memory free when the source opened.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from vtinker_core.memory import format_bytes

if TYPE_CHECKING:
    from vtinker_core.timing import Sample
    from vtinker_ui.compute import DisplaySettings, FrameResult

#: The cache takes at most this share of the memory free (engine and OS keep the rest).
MAX_SHARE_OF_FREE = 0.5
#: The sizes Playback > RAM Cache offers, bytes.
CACHE_CHOICES = tuple(n * 1024**3 // 2 for n in (1, 2, 4, 8, 16, 32))


def frame_key(sample: Sample, display: DisplaySettings, views: Sequence[str]) -> Hashable:
    """What a computed frame depends on within one opened source: the source pair and ``t``,
    the display/view/exposure it was shown through, and the extra views computed."""
    return (sample.frame_a, sample.frame_b, round(sample.t, 9), display, tuple(sorted(views)))


def result_bytes(result: FrameResult) -> int:
    """The RAM a computed frame holds: its display image, its float pixels and any views."""
    arrays: list[Any] = [result.image, result.pixels, result.reference, result.flow]
    arrays.append(result.occlusion)
    return sum(int(a.nbytes) for a in arrays if a is not None)


def cache_limit(preferred: int, free: int | None = None, cached: int = 0) -> int:
    """The cache's limit: ``preferred`` bytes, but at most :data:`MAX_SHARE_OF_FREE` of the
    memory free (``free``, default: measured now) plus what the cache holds already."""
    if free is None:
        from vtinker_core.memory import free_memory_bytes

        free = free_memory_bytes("cpu")
    if free is None:
        return max(preferred, 0)
    return max(min(preferred, int((free + cached) * MAX_SHARE_OF_FREE)), 0)


class FrameCache:
    """Computed frames by key, least recently used first out, within ``max_bytes``.

    Args:
        max_bytes: the most the cached frames may hold together.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(int(max_bytes), 0)
        self._frames: OrderedDict[Hashable, tuple[FrameResult, int]] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._frames

    def get(self, key: Hashable) -> FrameResult | None:
        """The frame under ``key`` (it becomes the most recently used), or None."""
        found = self._frames.get(key)
        if found is None:
            return None
        self._frames.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, result: FrameResult) -> list[Hashable]:
        """Keep ``result`` under ``key``; returns the keys dropped to make room (a frame
        larger than the whole limit is not kept, and its key is returned)."""
        size = result_bytes(result)
        old = self._frames.pop(key, None)
        if old is not None:
            self.nbytes -= old[1]
        if size > self.max_bytes:
            return [key]
        dropped = self._make_room(self.max_bytes - size)
        self._frames[key] = (result, size)
        self.nbytes += size
        return dropped

    def set_max_bytes(self, max_bytes: int) -> list[Hashable]:
        """Change the limit; returns the keys dropped to fit the new one."""
        self.max_bytes = max(int(max_bytes), 0)
        return self._make_room(self.max_bytes)

    def _make_room(self, budget: int) -> list[Hashable]:
        dropped = []
        while self._frames and self.nbytes > budget:
            key, (_result, size) = self._frames.popitem(last=False)
            self.nbytes -= size
            dropped.append(key)
        return dropped

    def clear(self) -> None:
        self._frames.clear()
        self.nbytes = 0


def describe_cache(cache: FrameCache) -> str:
    """One line for the status bar: frames held, bytes held and the limit."""
    count = len(cache)
    frames = "1 frame" if count == 1 else f"{count} frames"
    return f"RAM cache: {frames}, {format_bytes(cache.nbytes)} of {format_bytes(cache.max_bytes)}"


__all__ = [
    "CACHE_CHOICES",
    "MAX_SHARE_OF_FREE",
    "FrameCache",
    "cache_limit",
    "describe_cache",
    "frame_key",
    "result_bytes",
]
