"""A small typed fake of DaVinci Resolve's scripting object model, for the host tests.

Only the host API is faked (STYLE.md §10): the method names are Resolve's, exactly as in
HOSTS.md, and failures answer the way Resolve does: ``None``, ``False`` or ``[]``, never an
exception. Knobs on the objects switch those failures on. Example::

    clip = sequence_clip("/plates", "shot.", 1001, 1020, fps="25")
    scene = make_scene(clip, timeline_fps="24", left_offset=2, duration=10, record_frame=86410)
    scene.resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
    scene.media_pool.import_calls        # what ImportMedia was given
    scene.media_pool.import_answer = []  # ImportMedia fails from now on

How it counts frames (offsets, ``startFrame``/``endFrame``, mixed rates, speed changes, each
Resolve version's conventions) lives in :mod:`fakes.resolve_frames`, with the source of every
rule; the rules below cite the same sources by tag.

Python 3.6 compatible (annotations are strings, no dataclasses): the Python 3.6 test runs the
adapter against this fake under a real 3.6 interpreter.
"""

import itertools
import math
import os
import re
from fractions import Fraction

try:  # the fake runs both as ``fakes.resolve`` and loaded from its file (the 3.6 test)
    from fakes.resolve_frames import FrameConventions, placed_duration, source_span
except ImportError:  # pragma: no cover - the 3.6 test loads this file by path
    import importlib.util as _util

    _spec = _util.spec_from_file_location(
        "resolve_frames", os.path.join(os.path.dirname(__file__), "resolve_frames.py")
    )
    _frames = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_frames)
    FrameConventions = _frames.FrameConventions
    placed_duration = _frames.placed_duration
    source_span = _frames.source_span

_PRINTF = re.compile(r"%0?(\d*)d")
_RANGE = re.compile(r"\[(-?\d+)-(-?\d+)\]")
_IDS = itertools.count(1)

#: The version a scene has unless a test says otherwise: [README] GetVersion's form.
DEFAULT_VERSION = [20, 3, 2, 9, ""]


def _number(frame: int, padding: int) -> str:
    return str(frame).zfill(padding)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_IDS):06d}"


# Answer ImportMedia normally (checks the files exist, makes one clip per clipInfo).
AUTO = "auto"


class FakeMediaPoolItem:
    """A media-pool clip: string clip properties, as Resolve keeps them."""

    def __init__(self, properties: "dict", name: str = "") -> None:
        self.properties = dict(properties)
        self.name = name or self.properties.get("Clip Name") or self.properties.get("File Name", "")
        #: Properties SetClipProperty refuses (answers False).
        self.refuse_properties = set()
        #: [MCP-LIMITS] properties SetClipProperty answers True for and does not keep.
        self.ignore_properties = set()
        self.unique_id = _new_id("mpi")

    def GetClipProperty(self, key: "str | None" = None) -> "dict | str":
        if key is None or key == "":
            return dict(self.properties)
        return self.properties.get(key, "")

    def SetClipProperty(self, key: str, value: str) -> bool:
        if key in self.refuse_properties:
            return False
        if key not in self.ignore_properties:
            self.properties[key] = str(value)
        return True

    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.unique_id

    # --- test helpers (not Resolve API)
    def first_frame(self) -> int:
        """The clip's first file frame number (0 for a movie)."""
        match = _RANGE.search(os.path.basename(self.properties.get("File Path", "")))
        if match:
            return int(match.group(1))
        try:
            return int(self.properties.get("Start") or 0) if self.is_sequence() else 0
        except ValueError:
            return 0

    def frame_count(self) -> int:
        try:
            return int(self.properties.get("Frames") or 0)
        except ValueError:
            return 0

    def is_sequence(self) -> bool:
        path = self.properties.get("File Path", "")
        return bool(_RANGE.search(os.path.basename(path)) or _PRINTF.search(path))

    def fps(self) -> str:
        return self.properties.get("FPS") or ""


class FakeFolder:
    """A media-pool bin."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.clips = []  # type: list
        self.subfolders = []  # type: list

    def GetName(self) -> str:
        return self.name

    def GetSubFolderList(self) -> "list":
        return list(self.subfolders)

    def GetClipList(self) -> "list":
        return list(self.clips)


class FakeTimelineItem:
    """A clip on a timeline track.

    Its truth: ``left_offset`` clip frames (counted from the clip's first frame, 0) are
    skipped, ``duration`` timeline frames are shown at ``speed`` percent. What the getters
    answer follows [MCP-LIMITS] and the version's conventions (:mod:`fakes.resolve_frames`).
    """

    def __init__(
        self,
        media_pool_item: "FakeMediaPoolItem | None",
        start: int,
        duration: int,
        left_offset: int = 0,
        right_offset: int = 0,
        name: str = "",
        speed: float = 100.0,
        timeline_fps: str = "24",
        conventions: "FrameConventions | None" = None,
        unique_id: "str | None" = None,
    ) -> None:
        self.media_pool_item = media_pool_item
        self.start = start
        self.duration = duration
        self.left_offset = left_offset
        self.right_offset = right_offset
        self.name = name or (media_pool_item.GetName() if media_pool_item else "Solid Color")
        self.speed = speed
        self.timeline_fps = timeline_fps
        self.conventions = conventions or FrameConventions(DEFAULT_VERSION)
        self.unique_id = _new_id("item") if unique_id is None else unique_id
        self.takes = []  # type: list
        self.selected_take = 0
        self.refuse_take = False

    # --- what the item's numbers mean
    def _base(self) -> int:
        clip = self.media_pool_item
        if clip is None:
            return 0
        return self.conventions.base(clip.first_frame(), clip.is_sequence())

    def _clip_fps(self) -> Fraction:
        clip = self.media_pool_item
        text = clip.fps() if clip is not None else ""
        try:
            return Fraction(text) if text else Fraction(self.timeline_fps)
        except ValueError:
            return Fraction(self.timeline_fps)

    def _mixed(self) -> bool:
        return self._clip_fps() != Fraction(self.timeline_fps)

    # --- the API
    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.unique_id

    def GetMediaPoolItem(self) -> "FakeMediaPoolItem | None":
        return self.media_pool_item

    def GetStart(self) -> int:
        return self.start

    def GetEnd(self) -> int:
        return self.start + self.duration

    def GetDuration(self) -> int:
        return self.duration

    def GetLeftOffset(self) -> int:
        # [MCP-LIMITS] the startFrame sent; on a retimed item position / speed (warped).
        return self._base() + int(Fraction(self.left_offset) * 100 / Fraction(str(self.speed)))

    def GetRightOffset(self) -> int:
        return self.right_offset

    def GetSourceStartFrame(self) -> "int | None":
        if not self.conventions.source_range:
            return None  # [README] not in this version (the call reads as None)
        return self._base() + self.left_offset  # [MCP-LIMITS] the true source start

    def GetSourceEndFrame(self) -> "int | None":
        if not self.conventions.source_range:
            return None
        span = source_span(self.duration, self._clip_fps(), self.timeline_fps, self.speed)
        if self._mixed():  # [MCP-LIMITS] inclusive when the rates differ ...
            return self._base() + self.left_offset + math.ceil(span) - 1
        return self._base() + self.left_offset + int(span)  # ... exclusive when they agree

    def AddTake(self, media_pool_item: FakeMediaPoolItem, start=None, end=None) -> bool:
        if self.refuse_take or not isinstance(media_pool_item, FakeMediaPoolItem):
            return False
        if not self.takes:  # the first AddTake turns the item into a take selector
            self.takes.append(self.media_pool_item)
            self.selected_take = 1
        self.takes.append(media_pool_item)
        return True

    def GetTakesCount(self) -> int:
        return len(self.takes)

    def SelectTakeByIndex(self, index: int) -> bool:
        if not 1 <= index <= len(self.takes):
            return False
        self.selected_take = index
        return True


class _RefusedItem:
    """[AYON] What a refused AppendToTimeline may answer: an item whose getters give None."""

    def GetDuration(self) -> None:
        return None

    def GetStart(self) -> None:
        return None

    def GetUniqueId(self) -> None:
        return None


class FakeTimeline:
    """A timeline with video tracks (lists of items, 1-based in the API)."""

    def __init__(self, fps: str = "24", start_frame: int = 86400, name: str = "Timeline 1"):
        self.fps = fps
        self.start_frame = start_frame
        self.name = name
        self.unique_id = _new_id("timeline")
        self.tracks = [[]]  # type: list
        self.current_item = None  # type: FakeTimelineItem | None
        self.refuse_add_track = False

    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.unique_id

    def GetSetting(self, name: str = "") -> str:
        return self.fps if name == "timelineFrameRate" else ""

    def GetStartFrame(self) -> int:
        return self.start_frame

    def GetCurrentVideoItem(self) -> "FakeTimelineItem | None":
        return self.current_item

    def GetTrackCount(self, track_type: str) -> int:
        return len(self.tracks) if track_type == "video" else 0

    def GetItemListInTrack(self, track_type: str, index: int) -> "list":
        if track_type != "video" or not 1 <= index <= len(self.tracks):
            return []
        return sorted(self.tracks[index - 1], key=lambda item: item.start)

    def AddTrack(self, track_type: str, sub_type: str = "") -> bool:
        if self.refuse_add_track or track_type != "video":
            return False
        self.tracks.append([])
        return True

    def put(self, item: FakeTimelineItem, track: int = 1) -> FakeTimelineItem:
        """Test helper (not Resolve API): put ``item`` on ``track``, adding tracks as needed."""
        while len(self.tracks) < track:
            self.tracks.append([])
        item.timeline_fps = self.fps
        self.tracks[track - 1].append(item)
        return item


class FakeMediaPool:
    """The media pool: bins, import, append; records what it was asked."""

    def __init__(self, timeline_holder: "FakeProject", sequence_fps: str = "24") -> None:
        self.project = timeline_holder
        self.root = FakeFolder("Master")
        self.current = self.root
        self.sequence_fps = sequence_fps
        self.selected = []  # type: list
        self.import_calls = []  # type: list
        self.append_calls = []  # type: list
        #: AUTO, or the answer ImportMedia gives (None, [] ...).
        self.import_answer = AUTO
        self.refuse_add_subfolder = False
        #: None, "empty" ([]), "none" (None), "ghost" (an item whose getters give None),
        #: "null-id" (an item with an empty id, not placed) or "null-id-placed" (placed, but
        #: the answer's id is empty) - [MCP-LIMITS], [AYON].
        self.refuse_append = None

    def GetRootFolder(self) -> FakeFolder:
        return self.root

    def GetCurrentFolder(self) -> FakeFolder:
        return self.current

    def SetCurrentFolder(self, folder: FakeFolder) -> bool:
        if not isinstance(folder, FakeFolder):
            return False
        self.current = folder
        return True

    def AddSubFolder(self, parent: FakeFolder, name: str) -> "FakeFolder | None":
        if self.refuse_add_subfolder or not isinstance(parent, FakeFolder):
            return None
        folder = FakeFolder(name)
        parent.subfolders.append(folder)
        return folder

    def GetSelectedClips(self) -> "list":
        return list(self.selected)

    def ImportMedia(self, items: "list") -> "list | None":
        self.import_calls.append(items)
        if self.import_answer != AUTO:
            return self.import_answer
        made = []
        for info in items:
            clip = self._import_one(info)
            if clip is None:
                return []
            self.current.clips.append(clip)
            made.append(clip)
        return made

    def _import_one(self, info: "dict | str") -> "FakeMediaPoolItem | None":
        if not isinstance(info, dict):
            return None
        pattern = info.get("FilePath", "")
        first, last = info.get("StartIndex"), info.get("EndIndex")
        match = _PRINTF.search(os.path.basename(pattern))
        if match is None or not isinstance(first, int) or not isinstance(last, int):
            return None
        width = int(match.group(1) or 1)
        folder, name = os.path.split(pattern)
        for frame in range(first, last + 1):
            file_name = name[: match.start()] + _number(frame, width) + name[match.end() :]
            if not os.path.exists(os.path.join(folder, file_name)):
                return None  # Resolve imports nothing when the frames are not there
        head, tail = name[: match.start()], name[match.end() :]
        shown = f"{head}[{_number(first, width)}-{_number(last, width)}]{tail}"
        return FakeMediaPoolItem(
            {
                "File Path": os.path.join(folder, shown),
                "File Name": shown,
                "Clip Name": shown,
                "Type": "Video",
                "Start": str(first),
                "End": str(last),
                "Frames": str(last - first + 1),
                "FPS": self.sequence_fps,
                "Input Color Space": "Project",
            }
        )

    def _extent(self, clip: FakeMediaPoolItem, info: "dict") -> "tuple | None":
        """(first clip frame from 0, frames) a clipInfo asks for, or None when refused."""
        count = clip.frame_count()
        if "startFrame" not in info and "endFrame" not in info:
            return 0, count  # [AYON] the whole clip
        conventions = self.project.conventions
        base = conventions.base(clip.first_frame(), clip.is_sequence())
        start = int(info.get("startFrame", base)) - base
        end = info.get("endFrame")
        stop = count if end is None else int(end) - base + (1 if conventions.end_inclusive else 0)
        if start < 0 or stop > count or stop <= start:
            return None  # outside the clip: nothing is placed (a guess: docs/hosts.md)
        return start, stop - start

    def AppendToTimeline(self, clip_infos: "list") -> "list | None":
        self.append_calls.append(clip_infos)
        if self.refuse_append == "none":
            return None
        if self.refuse_append == "empty":
            return []
        if self.refuse_append == "ghost":
            return [_RefusedItem()]
        timeline = self.project.GetCurrentTimeline()  # [README] "in the current timeline"
        placed = []
        for info in clip_infos:
            clip = info.get("mediaPoolItem")
            track, record = info.get("trackIndex", 1), info.get("recordFrame")
            if timeline is None or not isinstance(clip, FakeMediaPoolItem):
                return []
            extent = self._extent(clip, info)
            if extent is None or not 1 <= track <= timeline.GetTrackCount("video"):
                return []
            first, frames = extent
            duration = placed_duration(frames, clip.fps() or timeline.fps, timeline.fps)
            record = int(record) if record is not None else timeline.start_frame  # [MCP-164]
            for other in timeline.GetItemListInTrack("video", track):
                if other.start < record + duration and record < other.start + other.duration:
                    return []  # [MCP-LIMITS] the earlier item wins; nothing is placed
            item = FakeTimelineItem(
                clip,
                record,
                duration,
                left_offset=first,
                timeline_fps=timeline.fps,
                conventions=self.project.conventions,
            )
            if self.refuse_append == "null-id":
                placed.append(FakeTimelineItem(clip, record, duration, unique_id=""))
                continue  # [MCP-LIMITS] an answer with an empty id, and nothing placed
            if self.refuse_append == "null-id-placed":
                item.unique_id = ""
            timeline.put(item, track)
            placed.append(item)
        return placed


class FakeProject:
    def __init__(self, fps: str = "24", name: str = "Project", version=None) -> None:
        self.settings = {"timelineFrameRate": fps}
        self.name = name
        self.conventions = FrameConventions(version or DEFAULT_VERSION)
        self.timelines = []  # type: list
        self.current_timeline = None  # type: FakeTimeline | None
        self.refuse_switch = False
        self.media_pool = FakeMediaPool(self, sequence_fps=fps)

    @property
    def timeline(self) -> "FakeTimeline | None":
        """Test helper: the current timeline (setting one adds it to the project)."""
        return self.current_timeline

    @timeline.setter
    def timeline(self, value: "FakeTimeline | None") -> None:
        if value is not None and value not in self.timelines:
            self.timelines.append(value)
        self.current_timeline = value

    def GetName(self) -> str:
        return self.name

    def GetMediaPool(self) -> FakeMediaPool:
        return self.media_pool

    def GetCurrentTimeline(self) -> "FakeTimeline | None":
        return self.current_timeline

    def GetTimelineCount(self) -> int:
        return len(self.timelines)

    def GetTimelineByIndex(self, index: int) -> "FakeTimeline | None":
        return self.timelines[index - 1] if 1 <= index <= len(self.timelines) else None

    def SetCurrentTimeline(self, timeline: "FakeTimeline") -> bool:
        if self.refuse_switch or timeline not in self.timelines:
            return False
        self.current_timeline = timeline
        return True

    def GetSetting(self, name: str = "") -> "str | dict":
        if not name:
            return dict(self.settings)
        return self.settings.get(name, "")


class FakeProjectManager:
    def __init__(self, project: "FakeProject | None") -> None:
        self.project = project

    def GetCurrentProject(self) -> "FakeProject | None":
        return self.project


class FakeResolve:
    """The application object: [README] product name and version, the project manager."""

    def __init__(
        self,
        project: "FakeProject | None",
        product: str = "DaVinci Resolve Studio",
        version=None,
    ) -> None:
        self.project_manager = FakeProjectManager(project)
        self.product = product
        self.version = list(version or DEFAULT_VERSION)

    def GetProjectManager(self) -> FakeProjectManager:
        return self.project_manager

    def GetProductName(self) -> str:
        return self.product

    def GetVersion(self) -> "list":
        return list(self.version)

    def GetVersionString(self) -> str:
        numbers = ".".join(str(v) for v in self.version[:3])
        suffix = str(self.version[4]) if len(self.version) > 4 and self.version[4] else ""
        build = f".{self.version[3]}" if len(self.version) > 3 else ""
        return numbers + suffix + build


# ------------------------------------------------------------------------------ builders


def sequence_clip(
    folder: str,
    prefix: str,
    first: int,
    last: int,
    fps: str = "24",
    ext: str = "exr",
    padding: int = 4,
    color_space: str = "",
) -> FakeMediaPoolItem:
    """A clip for the frames ``<folder>/<prefix><number>.<ext>`` as Resolve shows it
    (``File Path`` = ``/plates/shot.[1001-1020].exr``)."""
    shown = f"{prefix}[{_number(first, padding)}-{_number(last, padding)}].{ext}"
    return FakeMediaPoolItem(
        {
            "File Path": os.path.join(folder, shown),
            "File Name": shown,
            "Clip Name": shown,
            "Type": "Video",
            "Start": str(first),
            "End": str(last),
            "Frames": str(last - first + 1),
            "FPS": fps,
            "Resolution": "12x8",
            "Start TC": "00:00:41:17",
            "Input Color Space": color_space,
            "PAR": "Square",
        }
    )


class Scene:
    """A fake Resolve with one project, one timeline and one clip on it."""

    def __init__(self, resolve, project, timeline, media_pool, item):
        self.resolve = resolve
        self.project = project
        self.timeline = timeline
        self.media_pool = media_pool
        self.item = item


def make_scene(
    clip: "FakeMediaPoolItem | None",
    timeline_fps: str = "24",
    left_offset: int = 0,
    duration: int = 5,
    record_frame: int = 86400,
    track: int = 1,
    tracks: int = 1,
    under_playhead: bool = True,
    speed: float = 100.0,
    version=None,
    product: str = "DaVinci Resolve Studio",
) -> Scene:
    """A project whose current timeline holds ``clip`` on ``track`` (None: a generator),
    ``left_offset`` clip frames in (counted from the clip's first frame), at ``speed`` %."""
    project = FakeProject(fps=timeline_fps, version=version)
    timeline = FakeTimeline(fps=timeline_fps)
    project.timeline = timeline
    while len(timeline.tracks) < max(tracks, track):
        timeline.tracks.append([])
    item = FakeTimelineItem(
        clip,
        record_frame,
        duration,
        left_offset,
        speed=speed,
        timeline_fps=timeline_fps,
        conventions=project.conventions,
    )
    timeline.put(item, track)
    if under_playhead:
        timeline.current_item = item
    if clip is not None:
        project.media_pool.root.clips.append(clip)
    resolve = FakeResolve(project, product=product, version=version)
    return Scene(resolve, project, timeline, project.media_pool, item)
