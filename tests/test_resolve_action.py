"""The Resolve action end to end against the fake Resolve, with the real engine subprocess.

The headless path runs ``vtinker render --job ... --progress json`` from this environment; the
window path launches a stand-in ``vtinker-preview`` written into ``tmp_path`` (the Qt window is
another package), which reads the hand-off and writes the result file like the window does.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from fakes.resolve import FakeMediaPoolItem, FakeResolve, make_scene, sequence_clip

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import RenderJob
from vtinker_hosts.resolve import app as app_module
from vtinker_hosts.resolve.action import RetimeOptions, retime_current_clip, run_menu
from vtinker_hosts.resolve.errors import RenderError, ScriptingUnavailableError

pytestmark = pytest.mark.host

ENGINE_BIN = sysconfig.get_path("scripts")
VTINKER = shutil.which("vtinker", path=ENGINE_BIN)
needs_engine = pytest.mark.skipif(VTINKER is None, reason="the vtinker command is not installed")
posix_only = pytest.mark.skipif(os.name == "nt", reason="the stand-in window is a #! script")


def _plates(folder: Path, first: int, last: int) -> str:
    """A tiny half-float EXR sequence whose values are above 1.0 (Resolve must keep them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1):
        pixels = np.full((8, 12, 3), 1.0 + (frame - first) * 0.25, np.float32)
        write_frame(folder / f"shot.{frame:04d}.exr", Frame.from_array(pixels), bit_depth="half")
    return str(folder)


def _options(work: Path, **changes) -> RetimeOptions:
    values = {"engine_bin": ENGINE_BIN, "ui": "none", "engine": "blend", "work_dir": str(work)}
    values.update(changes)
    return RetimeOptions(log=lambda _text: None, **values)


def _window(bin_dir: Path, body: str) -> str:
    """A stand-in ``vtinker-preview`` (plus the real ``vtinker`` beside it) in ``bin_dir``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "vtinker-preview"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body), encoding="utf-8")
    script.chmod(0o755)
    return str(bin_dir)


# ------------------------------------------------------------------------------ headless


@needs_engine
def test_headless_same_rate_renders_imports_and_places_above(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1012)
    clip = sequence_clip(folder, "shot.", 1001, 1012, fps="24")
    scene = make_scene(clip, timeline_fps="24", left_offset=3, duration=5, record_frame=86430)
    summary = retime_current_clip(scene.resolve, _options(tmp_path / "work"))

    job = RenderJob.from_dict(json.loads((tmp_path / "work" / "job.json").read_text()))
    assert job.input.path == f"{folder}/shot.####.exr" and job.input.frames == "1004-1008"
    assert job.timing.mode == "speed" and job.timing.speed == 1.0
    out_dir = Path(folder) / "vtinker" / "shot_vtinker_v001"
    pattern = str(out_dir / "shot_vtinker_v001.####.exr")
    assert job.output.path == pattern and job.output.fps == Fraction(24)
    assert sorted(p.name for p in out_dir.glob("*.exr")) == [
        f"shot_vtinker_v001.{n}.exr" for n in range(1004, 1009)
    ]
    assert read_frame(out_dir / "shot_vtinker_v001.1008.exr").pixels.max() == pytest.approx(2.75)

    assert scene.media_pool.import_calls == [
        [{"FilePath": pattern.replace("####", "%04d"), "StartIndex": 1004, "EndIndex": 1008}]
    ]
    (bin_folder,) = scene.media_pool.root.GetSubFolderList()
    assert bin_folder.GetName() == "VTinker" and len(bin_folder.GetClipList()) == 1
    ((placed,),) = scene.media_pool.append_calls
    assert (placed["trackIndex"], placed["recordFrame"]) == (2, 86430)
    assert "startFrame" not in placed and "endFrame" not in placed  # the whole clip
    assert placed["mediaPoolItem"] is bin_folder.GetClipList()[0]
    [on_v2] = scene.timeline.GetItemListInTrack("video", 2)
    assert (on_v2.GetStart(), on_v2.GetDuration()) == (86430, 5)
    assert summary == {
        "status": "rendered",
        "ui": "none",
        "clip": clip.GetName(),
        "output": pattern,
        "first": 1004,
        "last": 1008,
        "fps": "24",
        "bin": "VTinker",
        "placement": "timeline",
        "track": 2,
        "record_frame": 86430,
        "take": None,
        "warnings": [],
        "product": "DaVinci Resolve Studio 20.3.2.9",
    }


@needs_engine
def test_headless_mixed_rate_converts_to_the_timeline_rate(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1020)
    clip = sequence_clip(folder, "shot.", 1001, 1020, fps="25")
    scene = make_scene(clip, timeline_fps="24", left_offset=2, duration=10, record_frame=86410)
    scene.media_pool.sequence_fps = "25"  # Resolve's default rate for new sequences
    summary = retime_current_clip(scene.resolve, _options(tmp_path / "work", placement="take"))

    job = RenderJob.from_dict(json.loads((tmp_path / "work" / "job.json").read_text()))
    assert job.input.frames == "1003-1013"
    assert (job.timing.mode, job.timing.source_fps, job.timing.output_fps) == (
        "fps",
        Fraction(25),
        Fraction(24),
    )
    assert (summary["first"], summary["last"]) == (1003, 1012)  # 10 frames at 24 fps
    ((call,),) = scene.media_pool.import_calls
    assert (call["StartIndex"], call["EndIndex"]) == (1003, 1012)
    (imported,) = scene.media_pool.root.GetSubFolderList()[0].GetClipList()
    assert imported.GetClipProperty("FPS") == "24"  # set to the result's rate
    assert summary["placement"] == "take" and summary["take"] == 2
    assert scene.item.takes[-1] is imported and scene.item.selected_take == 2
    assert scene.media_pool.append_calls == []


@needs_engine
def test_an_engine_failure_reaches_the_user(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1006)
    os.remove(os.path.join(folder, "shot.1004.exr"))  # a hole in the used range
    scene = make_scene(sequence_clip(folder, "shot.", 1001, 1006), duration=6)
    with pytest.raises(RenderError, match=r"The render failed \(exit status 2\): .*1004"):
        retime_current_clip(scene.resolve, _options(tmp_path / "work"))
    assert scene.media_pool.import_calls == []


# ------------------------------------------------------------------------------ the window

RENDERING_WINDOW = """\
import json, os, subprocess, sys
assert sys.argv[1] == "--resolve-job", sys.argv
with open(sys.argv[2], encoding="utf-8") as handle:
    handoff = json.load(handle)
with open({seen!r}, "w", encoding="utf-8") as handle:
    json.dump(handoff, handle)
job = handoff["job"]
job["timing"] = {{"mode": "speed", "speed": 0.5, "centre_samples": False}}
job["engine"]["name"] = "blend"
job_path = os.path.join(os.path.dirname(sys.argv[2]), "window-job.json")
with open(job_path, "w", encoding="utf-8") as handle:
    json.dump(job, handle)
out = subprocess.run([{vtinker!r}, "render", "--job", job_path, "--progress", "json"],
                     check=True, capture_output=True, text=True).stdout
first, last = [json.loads(line) for line in out.splitlines()][0]["frames"]
result = {{"version": 1, "status": "rendered", "output": job["output"]["path"],
          "first": first, "last": last, "fps": handoff["clip"]["timeline_fps"]}}
tmp = handoff["result_path"] + ".part"
with open(tmp, "w", encoding="utf-8") as handle:
    json.dump(result, handle)
os.replace(tmp, handoff["result_path"])
"""


@needs_engine
@posix_only
def test_the_window_gets_the_handoff_and_its_render_is_imported(tmp_path: Path) -> None:
    folder = _plates(tmp_path / "plates", 1001, 1012)
    clip = sequence_clip(folder, "shot.", 1001, 1012, fps="24")
    scene = make_scene(clip, left_offset=3, duration=5, record_frame=86430)
    seen = tmp_path / "seen-handoff.json"
    bin_dir = _window(tmp_path / "bin", RENDERING_WINDOW.format(seen=str(seen), vtinker=VTINKER))
    work = tmp_path / "work"
    summary = retime_current_clip(scene.resolve, _options(work, engine_bin=bin_dir, ui="auto"))

    handoff = json.loads(seen.read_text())
    assert set(handoff) == {"version", "job", "clip", "result_path"}
    assert handoff["version"] == 1 and handoff["result_path"] == str(work / "result.json")
    assert handoff["clip"] == {
        "name": clip.GetName(),
        "timeline_fps": "24",
        "record_frame": 86430,
        "track": 1,
    }
    assert RenderJob.from_dict(handoff["job"]).input.frames == "1004-1008"
    # The editor chose 50 % in the window: 9 frames, all imported and placed.
    assert (summary["first"], summary["last"]) == (1004, 1012)
    ((call,),) = scene.media_pool.import_calls
    assert (call["StartIndex"], call["EndIndex"]) == (1004, 1012)
    ((placed,),) = scene.media_pool.append_calls
    assert (placed["trackIndex"], placed["recordFrame"]) == (2, 86430)
    [on_v2] = scene.timeline.GetItemListInTrack("video", 2)
    assert on_v2.GetDuration() == 9


@posix_only
def test_a_cancelled_window_imports_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "plates"
    folder.mkdir()
    (folder / "shot.1001.exr").write_bytes(b"")
    scene = make_scene(sequence_clip(str(folder), "shot.", 1001, 1010))
    body = """\
        import json, sys
        handoff = json.load(open(sys.argv[2]))
        json.dump({"version": 1, "status": "cancelled"}, open(handoff["result_path"], "w"))
        """
    bin_dir = _window(tmp_path / "bin", body)
    summary = retime_current_clip(
        scene.resolve, _options(tmp_path / "work", engine_bin=bin_dir, ui="window")
    )
    assert summary["status"] == "cancelled"
    assert scene.media_pool.import_calls == [] and scene.media_pool.root.subfolders == []


@posix_only
def test_a_window_that_closes_without_a_result_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "plates"
    folder.mkdir()
    (folder / "shot.1001.exr").write_bytes(b"")
    scene = make_scene(sequence_clip(str(folder), "shot.", 1001, 1010))
    bin_dir = _window(tmp_path / "bin", "import sys\nprint('no display')\nsys.exit(3)\n")
    with pytest.raises(RenderError, match=r"closed without a result \(exit status 3\).*no display"):
        retime_current_clip(
            scene.resolve, _options(tmp_path / "work", engine_bin=bin_dir, ui="window")
        )


def test_asking_for_the_window_where_there_is_none_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "plates"
    folder.mkdir()
    (folder / "shot.1001.exr").write_bytes(b"")
    scene = make_scene(sequence_clip(str(folder), "shot.", 1001, 1010))
    options = _options(tmp_path / "work", engine_bin=str(tmp_path / "empty"), ui="window")
    with pytest.raises(RenderError, match=r"window .*vtinker-preview.* is not installed"):
        retime_current_clip(scene.resolve, options)


# ------------------------------------------------------------------------------ the menu's errors

# A stand-in window that "renders" by pointing at frames already on disk: the import-side
# failures below need a finished render, not the engine.
INSTANT_WINDOW = """\
    import json, sys
    handoff = json.load(open(sys.argv[2]))
    json.dump({{"version": 1, "status": "rendered", "output": {output!r}, "first": 1001,
               "last": 1003, "fps": "24"}}, open(handoff["result_path"], "w"))
    """


def _menu_scene(tmp_path: Path):
    folder = tmp_path / "plates"
    folder.mkdir(exist_ok=True)
    (folder / "shot.1001.exr").write_bytes(b"")
    return make_scene(sequence_clip(str(folder), "shot.", 1001, 1010))


def _instant_window(tmp_path: Path) -> str:
    out = tmp_path / "rendered"
    out.mkdir(exist_ok=True)
    for frame in (1001, 1002, 1003):
        (out / f"r.{frame:04d}.exr").write_bytes(b"")
    return _window(tmp_path / "bin", INSTANT_WINDOW.format(output=str(out / "r.####.exr")))


def _no_project(tmp_path):
    return FakeResolve(None)


def _no_timeline(tmp_path):
    scene = _menu_scene(tmp_path)
    scene.project.timeline = None
    return scene.resolve


def _no_item(tmp_path):
    scene = _menu_scene(tmp_path)
    scene.timeline.current_item = None
    return scene.resolve


def _generator(tmp_path):
    return make_scene(None).resolve


def _no_file_path(tmp_path):
    return make_scene(FakeMediaPoolItem({"File Path": "", "FPS": "24"}, name="Title")).resolve


def _import_none(tmp_path):
    scene = _menu_scene(tmp_path)
    scene.media_pool.import_answer = None
    return scene.resolve


def _import_empty(tmp_path):
    scene = _menu_scene(tmp_path)
    scene.media_pool.import_answer = []
    return scene.resolve


def _no_bin(tmp_path):
    scene = _menu_scene(tmp_path)
    scene.media_pool.refuse_add_subfolder = True
    return scene.resolve


@posix_only
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_no_project, "No project is open in DaVinci Resolve"),
        (_no_timeline, "No timeline is open"),
        (_no_item, "No clip to retime: put the playhead over a video clip"),
        (_generator, "'Solid Color' is not file-based"),
        (_no_file_path, "'Title' is not file-based (it has no File Path"),
        (_import_none, "Resolve did not import the result (ImportMedia gave nothing"),
        (_import_empty, "Resolve did not import the result (ImportMedia gave nothing"),
        (_no_bin, "Resolve could not create the Media Pool bin 'VTinker'"),
    ],
)
def test_the_menu_explains_each_failure(tmp_path: Path, monkeypatch, make, message) -> None:
    monkeypatch.setenv("VTINKER_RESOLVE_UI", "window")
    resolve = make(tmp_path)
    lines: list[str] = []
    code = run_menu(resolve=resolve, engine_bin=_instant_window(tmp_path), log=lines.append)
    assert code == 1
    assert any(message in line for line in lines), lines
    assert not any("Traceback" in line for line in lines)


def test_the_menu_explains_that_scripting_is_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", None)  # import fails
    monkeypatch.delenv("RESOLVE_SCRIPT_API", raising=False)
    lines: list[str] = []
    assert run_menu(resolve=None, app=None, bmd=None, log=lines.append) == 1
    assert "DaVinci Resolve scripting is not available" in lines[-1]


def test_a_bad_setting_is_explained(monkeypatch) -> None:
    monkeypatch.setenv("VTINKER_RESOLVE_PLACE", "sideways")
    lines: list[str] = []
    assert run_menu(resolve=FakeResolve(None), log=lines.append) == 1
    assert "placement must be one of timeline, take, none" in lines[-1]


# ------------------------------------------------------------------------------ the app object


class _App:
    def __init__(self, resolve):
        self.resolve = resolve

    def GetResolve(self):
        return self.resolve


class _Bmd:
    def __init__(self, resolve):
        self.resolve = resolve

    def scriptapp(self, name):
        return self.resolve if name == "Resolve" else None


def _forget_module(monkeypatch, name: str) -> None:
    """Let ``name`` be imported afresh in this test and forgotten after it."""
    monkeypatch.setitem(sys.modules, name, None)
    del sys.modules[name]


def test_the_app_object_is_found_most_robust_first(monkeypatch, tmp_path: Path) -> None:
    injected, via_app, via_bmd = object(), object(), object()
    assert app_module.get_resolve(injected, _App(via_app), _Bmd(via_bmd)) is injected
    assert app_module.get_resolve(None, _App(via_app), _Bmd(via_bmd)) is via_app
    assert app_module.get_resolve(None, _App(None), _Bmd(via_bmd)) is via_bmd

    # External scripting: DaVinciResolveScript found under $RESOLVE_SCRIPT_API/Modules.
    modules = tmp_path / "Scripting" / "Modules"
    modules.mkdir(parents=True)
    (modules / "DaVinciResolveScript.py").write_text(
        "import os\nRESOLVED = object()\n"
        "def scriptapp(name):\n"
        "    return RESOLVED if os.environ.get('RESOLVE_SCRIPT_LIB') else None\n"
    )
    # Set (empty) through monkeypatch so what get_resolve() writes is undone afterwards.
    monkeypatch.setenv("RESOLVE_SCRIPT_API", "")
    monkeypatch.setenv("RESOLVE_SCRIPT_LIB", "")
    _forget_module(monkeypatch, "DaVinciResolveScript")
    monkeypatch.setattr(sys, "path", list(sys.path))
    found = app_module.get_resolve(
        None, None, None, script_api=str(tmp_path / "Scripting"), script_lib="/x/fusionscript.so"
    )
    assert found is sys.modules["DaVinciResolveScript"].RESOLVED
    assert os.environ["RESOLVE_SCRIPT_LIB"] == "/x/fusionscript.so"


def test_a_module_that_exits_does_not_end_the_menu(monkeypatch, tmp_path: Path) -> None:
    modules = tmp_path / "Modules"
    modules.mkdir()
    (modules / "DaVinciResolveScript.py").write_text("import sys\nsys.exit()\n")
    monkeypatch.setenv("RESOLVE_SCRIPT_API", str(tmp_path))
    _forget_module(monkeypatch, "DaVinciResolveScript")
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(ScriptingUnavailableError, match="External scripting using"):
        app_module.get_resolve(None, _App(None), _Bmd(None))


class _FakeUI:
    """Fusion's UIManager, as much of it as notify() uses."""

    def __getattr__(self, name):
        return lambda *args: (name, args)


class _FakeWindow:
    def __init__(self, dispatcher):
        class _Events:
            pass

        self.On = _Events()
        self.On.OK = _Events()
        self.On.VTinkerMessage = _Events()
        self.dispatcher = dispatcher
        self.shown = False

    def Show(self):
        self.shown = True

    def Hide(self):
        self.shown = False


class _FakeDispatcher:
    def __init__(self, ui):
        self.ui = ui
        self.window = None

    def AddWindow(self, props, layout):
        self.props, self.layout = props, layout
        self.window = _FakeWindow(self)
        return self.window

    def RunLoop(self):
        self.window.On.OK.Clicked(None)  # the user presses OK

    def ExitLoop(self):
        self.exited = True


def test_notify_shows_a_window_when_fusion_ui_is_there_and_always_prints() -> None:
    lines: list[str] = []
    assert app_module.notify("No clip.", log=lines.append) is False
    assert lines == ["VTinker Retime: No clip."]

    class App:
        UIManager = _FakeUI()

    class Bmd:
        made: list[_FakeDispatcher] = []  # noqa: RUF012

        @classmethod
        def UIDispatcher(cls, ui):
            dispatcher = _FakeDispatcher(ui)
            cls.made.append(dispatcher)
            return dispatcher

    assert app_module.notify("No clip.", app=App(), bmd=Bmd, log=lines.append) is True
    (dispatcher,) = Bmd.made
    assert dispatcher.props["WindowTitle"] == "VTinker Retime" and dispatcher.exited
