"""A small typed fake of DaVinci Resolve's scripting object model, for the host tests.

Only the host API is faked (STYLE.md §10): the method names are Resolve's, exactly as in
HOSTS.md, and failures answer the way Resolve does: ``None``, ``False`` or ``[]``, never an
exception. Knobs on the objects switch those failures on. Example::

    clip = sequence_clip("/plates", "shot.", 1001, 1020, fps="25")
    scene = make_scene(clip, timeline_fps="24", left_offset=2, duration=10, record_frame=86410)
    scene.resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
    scene.media_pool.import_calls        # what ImportMedia was given
    scene.media_pool.import_answer = []  # ImportMedia fails from now on

Python 3.6 compatible (annotations are strings, no dataclasses): the Python 3.6 test runs the
adapter against this fake under a real 3.6 interpreter.
"""

import os
import re

_PRINTF = re.compile(r"%0?(\d*)d")


def _number(frame: int, padding: int) -> str:
    return str(frame).zfill(padding)


# Answer ImportMedia normally (checks the files exist, makes one clip per clipInfo).
AUTO = "auto"


class FakeMediaPoolItem:
    """A media-pool clip: string clip properties, as Resolve keeps them."""

    def __init__(self, properties: "dict", name: str = "") -> None:
        self.properties = dict(properties)
        self.name = name or self.properties.get("Clip Name") or self.properties.get("File Name", "")
        #: Properties SetClipProperty refuses (answers False).
        self.refuse_properties = set()

    def GetClipProperty(self, key: "str | None" = None) -> "dict | str":
        if key is None or key == "":
            return dict(self.properties)
        return self.properties.get(key, "")

    def SetClipProperty(self, key: str, value: str) -> bool:
        if key in self.refuse_properties:
            return False
        self.properties[key] = str(value)
        return True

    def GetName(self) -> str:
        return self.name


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
    """A clip on a timeline track; offsets and duration in timeline frames."""

    def __init__(
        self,
        media_pool_item: "FakeMediaPoolItem | None",
        start: int,
        duration: int,
        left_offset: int = 0,
        right_offset: int = 0,
        name: str = "",
    ) -> None:
        self.media_pool_item = media_pool_item
        self.start = start
        self.duration = duration
        self.left_offset = left_offset
        self.right_offset = right_offset
        self.name = name or (media_pool_item.GetName() if media_pool_item else "Solid Color")
        self.takes = []  # type: list
        self.selected_take = 0
        self.refuse_take = False

    def GetName(self) -> str:
        return self.name

    def GetMediaPoolItem(self) -> "FakeMediaPoolItem | None":
        return self.media_pool_item

    def GetStart(self) -> int:
        return self.start

    def GetDuration(self) -> int:
        return self.duration

    def GetLeftOffset(self) -> int:
        return self.left_offset

    def GetRightOffset(self) -> int:
        return self.right_offset

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
    """What a refused AppendToTimeline may answer: an item whose getters give None."""

    def GetDuration(self) -> None:
        return None

    def GetStart(self) -> None:
        return None


class FakeTimeline:
    """A timeline with video tracks (lists of items, 1-based in the API)."""

    def __init__(self, fps: str = "24", start_frame: int = 86400, name: str = "Timeline 1"):
        self.fps = fps
        self.start_frame = start_frame
        self.name = name
        self.tracks = [[]]  # type: list
        self.current_item = None  # type: FakeTimelineItem | None
        self.refuse_add_track = False

    def GetName(self) -> str:
        return self.name

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
        #: None, "empty" ([]), "none" (None) or "ghost" (an item whose getters give None).
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

    def AppendToTimeline(self, clip_infos: "list") -> "list | None":
        self.append_calls.append(clip_infos)
        if self.refuse_append == "none":
            return None
        if self.refuse_append == "empty":
            return []
        if self.refuse_append == "ghost":
            return [_RefusedItem()]
        timeline = self.project.timeline
        placed = []
        for info in clip_infos:
            clip = info.get("mediaPoolItem")
            start, end = info.get("startFrame", 0), info.get("endFrame")
            track, record = info.get("trackIndex", 1), info.get("recordFrame")
            if timeline is None or not isinstance(clip, FakeMediaPoolItem):
                return []
            if end is None:
                end = int(clip.GetClipProperty("Frames") or 0)
            if not 1 <= track <= timeline.GetTrackCount("video") or record is None:
                return []
            for other in timeline.GetItemListInTrack("video", track):
                if other.start < record + (end - start) and record < other.start + other.duration:
                    return []  # Resolve refuses to cover a clip with a recordFrame append
            item = FakeTimelineItem(clip, record, end - start, left_offset=start)
            timeline.put(item, track)
            placed.append(item)
        return placed


class FakeProject:
    def __init__(self, fps: str = "24", name: str = "Project") -> None:
        self.settings = {"timelineFrameRate": fps}
        self.name = name
        self.timeline = None  # type: FakeTimeline | None
        self.media_pool = FakeMediaPool(self, sequence_fps=fps)

    def GetName(self) -> str:
        return self.name

    def GetMediaPool(self) -> FakeMediaPool:
        return self.media_pool

    def GetCurrentTimeline(self) -> "FakeTimeline | None":
        return self.timeline

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
    def __init__(self, project: "FakeProject | None") -> None:
        self.project_manager = FakeProjectManager(project)

    def GetProjectManager(self) -> FakeProjectManager:
        return self.project_manager


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
) -> Scene:
    """A project whose current timeline holds ``clip`` on ``track`` (None: a generator)."""
    project = FakeProject(fps=timeline_fps)
    timeline = FakeTimeline(fps=timeline_fps)
    project.timeline = timeline
    while len(timeline.tracks) < max(tracks, track):
        timeline.tracks.append([])
    item = timeline.put(FakeTimelineItem(clip, record_frame, duration, left_offset), track)
    if under_playhead:
        timeline.current_item = item
    if clip is not None:
        project.media_pool.root.clips.append(clip)
    return Scene(FakeResolve(project), project, timeline, project.media_pool, item)
