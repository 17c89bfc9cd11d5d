"""A small, typed fake of Nuke's Python API (the ``nuke`` module), for the adapter's tests.

It is shaped after the documented API and nothing more: nodes with knobs (values, animation
curves, visibility, flags), groups as node contexts, ``thisNode``/``thisKnob`` while a knob
script runs, ``createNode`` / ``nodes.<Class>(...)`` / ``toNode`` / ``allNodes``,
``ProgressTask``, ``executeInMainThread`` / ``executeInMainThreadWithResult``, ``execute``,
``menu(...).addCommand``, ``pluginAddPath``, ``root()`` (format, fps, frame range, script name,
OCIO settings), ``message`` / ``alert`` and ``env['gui']``. A fresh module per test::

    fake = new_nuke_module()
    monkeypatch.setitem(sys.modules, "nuke", fake)
    read = fake.nodes.Read(file="/plates/a.####.exr", first=1001, last=1010)
    fake.state.run_until(lambda: not thread.is_alive())     # the "event loop"

Facts it enforces, so the tests catch what would hang or crash a real Nuke:

* nodes, knobs, ``message``, ``execute``... may be touched only from the main thread: anything
  else raises :class:`ThreadViolation` (also listed in ``state.violations``). A worker thread
  may use ``ProgressTask`` and ``executeInMainThread`` (as Nuke's documentation does);
* ``executeInMainThreadWithResult`` from the main thread raises (Nuke would hang);
* calls queued with ``executeInMainThread`` run only when the test pumps
  ``state.process_events()`` / ``state.run_until(...)`` in the main thread;
* ``Knob.setValue`` from Python does not run ``knobChanged``; ``state.user_set(...)`` plays a
  user's edit in the panel and does.

It renders nothing: ``execute`` records the call and runs ``state.execute_handler`` (a test
provides one that writes the files a Write would write). Animated knobs interpolate linearly
between keys here (real Nuke's default is smooth), which is why the adapter samples curves
through ``getValueAt`` instead of reading keys.

Rules about names, scripts and colour, each from a source (see also :mod:`fakes.nuke_knobs`):

* [KNOBNAMES] Foundry, Nuke Python API, ``nuke.knob``: names are dot-separated paths
  (``root.Group1.Blur1.size``); a name not starting with ``root`` is searched for upwards from
  the current node's group (or in it, if it is a group) to the root, and ``input`` means a
  node's first input. So ``toNode`` is relative to the current group, and a knob script on a
  Group runs with that group as the context (``nuke.allNodes()`` there lists its children).
* [FILENAME] Foundry, Nuke Python API, ``nuke.filename``: "All expansion of commands and
  variables is done", yet the result keeps ``%04d`` unless ``REPLACE`` is given.
* [OCIO-DCN] aws-deadline/deadline-cloud-for-nuke, ``src/deadline/nuke_util/ocio.py``: the
  root's ``colorManagement`` is ``Nuke`` or ``OCIO``; ``OCIO_config`` is a stock config's name
  or ``custom``; the custom config is ``customOCIOConfigPath``, the stock one's file is
  ``OCIOConfigPath`` (both read with ``getEvaluatedValue``); ``$OCIO`` overrides both.
* [NUKE-DEFAULT] the ``nuke-default`` OCIO config shipped with Nuke (``plugins/OCIOConfigs/
  configs/nuke-default/config.ocio``; also in imageworks/OpenColorIO-Configs): its colourspace
  names (``linear``, ``sRGB``, ``rec709``, ``Cineon``, ...) are the Read menu's items.
* [REOPEN] what a saved and reopened script keeps of a user knob: its class, name, label,
  value, animation and flags. Not kept: ``setVisible`` (a panel state; issue #19 reports it
  lost on reopen) and knobs before the first tab get a ``User`` tab (issue #19). Both are
  reported, not documented: ``docs/hosts.md`` lists them for a check in a real Nuke.
"""

from __future__ import annotations

import copy
import queue
import re
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fakes.nuke_knobs import (
    ENDLINE,
    INVISIBLE,
    KNOB_CLASSES,
    NO_ANIMATION,
    STARTLINE,
    AnimationCurve,
    AnimationKey,
    Boolean_Knob,
    ChannelMask_Knob,
    Colorspace_Knob,
    Double_Knob,
    Enumeration_Knob,
    File_Knob,
    Format,
    Format_Knob,
    Int_Knob,
    Knob,
    PyScript_Knob,
    String_Knob,
    Tab_Knob,
    ThreadViolation,
    expand_frame,
    expand_tcl,
)
from fakes.nuke_knobs import main_thread_only as _main_thread_only

__all__ = ["FakeState", "Node", "ThreadViolation", "new_nuke_module"]

# ---------------------------------------------------------------------------------- nodes

# Extra knobs per node class: (knob class, name, default value).
_CLASS_KNOBS: dict[str, list[tuple[type[Knob], str, Any]]] = {
    "Read": [
        (File_Knob, "file", ""),
        (Int_Knob, "first", 1),
        (Int_Knob, "last", 1),
        (Int_Knob, "origfirst", 1),
        (Int_Knob, "origlast", 1),
        (Format_Knob, "format", None),
        (Colorspace_Knob, "colorspace", "default"),
        (Boolean_Knob, "raw", False),
        (String_Knob, "frame_mode", "start at"),
        (String_Knob, "frame", ""),
        (PyScript_Knob, "reload", ""),
    ],
    "Write": [
        (File_Knob, "file", ""),
        (String_Knob, "file_type", ""),
        (ChannelMask_Knob, "channels", "rgb"),
        (Colorspace_Knob, "colorspace", "default"),
        (String_Knob, "datatype", "16 bit half"),
    ],
    "Group": [(String_Knob, "knobChanged", ""), (String_Knob, "onCreate", "")],
    "Switch": [(Int_Knob, "which", 0)],
    "Grade": [(Double_Knob, "white", 1.0), (ChannelMask_Knob, "channels", "rgb")],
    "Root": [
        (File_Knob, "name", ""),
        (Int_Knob, "first_frame", 1),
        (Int_Knob, "last_frame", 100),
        (Double_Knob, "fps", 24.0),
        (Format_Knob, "format", None),
        # [OCIO-DCN]; Nuke 14+ defaults to OCIO colour management with a stock config.
        (Enumeration_Knob, "colorManagement", None),
        (String_Knob, "OCIO_config", "nuke-default"),
        (File_Knob, "customOCIOConfigPath", ""),
        (File_Knob, "OCIOConfigPath", ""),
        # [CS-DEFAULT] the working space and the default LUT per file kind.
        (String_Knob, "workingSpaceLUT", "linear"),
        (String_Knob, "int8Lut", "sRGB"),
        (String_Knob, "int16Lut", "sRGB"),
        (String_Knob, "logLut", "Cineon"),
        (String_Knob, "floatLut", "linear"),
    ],
}
#: [NUKE-DEFAULT] the colourspaces of Nuke's nuke-default config, in its order.
NUKE_DEFAULT_COLORSPACES = (
    "linear",
    "sRGB",
    "rec709",
    "Cineon",
    "Gamma1.8",
    "Gamma2.2",
    "Gamma2.4",
    "Panalog",
    "REDLog",
    "ViperLog",
    "AlexaV3LogC",
    "PLogLin",
    "SLog",
    "SLog1",
    "SLog2",
    "SLog3",
    "raw",
)
# [CS-DEFAULT] which root LUT is a file's "default", by extension.
_DEFAULT_LUT_BY_EXTENSION = {
    "exr": "floatLut",
    "hdr": "floatLut",
    "dpx": "logLut",
    "cin": "logLut",
    "png": "int8Lut",
    "jpg": "int8Lut",
    "jpeg": "int8Lut",
    "tif": "int16Lut",
    "tiff": "int16Lut",
}


class Node:
    """A node: knobs, inputs, a name unique in its group."""

    def __init__(self, state: FakeState, cls: str, parent: Node | None) -> None:
        self._state = state
        self._class = cls
        self._parent = parent
        self._knobs: dict[str, Knob] = {}
        self._inputs: list[Node | None] = []
        self._selected = False
        self._children: list[Node] = []
        self.panel_shown = 0
        self._user_knobs: list[str] = []  # addKnob order: what a saved script writes
        for knob_cls, name, default in [
            (String_Knob, "name", ""),
            (String_Knob, "label", ""),
            (Boolean_Knob, "disable", False),
            *_CLASS_KNOBS.get(cls, []),
        ]:
            if name == "colorManagement":
                knob: Knob = Enumeration_Knob(name, name, ["Nuke", "OCIO"])
                knob._value = "OCIO"
            else:
                knob = knob_cls(name)
            knob._node = self
            if default is not None:
                knob._value = default
            self._knobs[name] = knob

    def _touch(self, what: str) -> None:
        _main_thread_only(self._state, f"{self._class} node .{what}")

    # --- identity
    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        self._touch("name")
        if self._class == "Root":
            return self._knobs["name"]._value or "Root"
        return str(self._knobs["name"]._value)

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        self._touch("setName")
        self._knobs["name"]._value = ""  # so the old name does not collide with itself
        self._knobs["name"]._value = self._state.unique_name(self._parent, name)

    def fullName(self) -> str:
        self._touch("fullName")
        parts = [self.name()]
        parent = self._parent
        while parent is not None and parent._class != "Root":
            parts.append(parent.name())
            parent = parent._parent
        return ".".join(reversed(parts))

    # --- knobs
    def knobs(self) -> dict[str, Knob]:
        self._touch("knobs")
        return dict(self._knobs)

    def knob(self, name: str) -> Knob | None:
        self._touch("knob")
        return self._knobs.get(name)

    def __getitem__(self, name: str) -> Knob:
        self._touch("__getitem__")
        try:
            return self._knobs[name]
        except KeyError:
            raise NameError(f"knob {name} does not exist") from None

    def addKnob(self, knob: Knob) -> bool:
        self._touch("addKnob")
        if knob.name() in self._knobs:
            raise ValueError(f"{self.name()} already has a knob {knob.name()}")
        knob._node = self
        self._knobs[knob.name()] = knob
        self._user_knobs.append(knob.name())
        return True

    def removeKnob(self, knob: Knob) -> None:
        self._touch("removeKnob")
        self._knobs.pop(knob.name(), None)
        if knob.name() in self._user_knobs:
            self._user_knobs.remove(knob.name())

    def user_knobs(self) -> list[Knob]:
        """Test helper (not Nuke API): the user knobs in panel order."""
        return [self._knobs[n] for n in self._user_knobs]

    # --- graph
    def input(self, index: int) -> Node | None:
        self._touch("input")
        return self._inputs[index] if index < len(self._inputs) else None

    def setInput(self, index: int, node: Node | None) -> bool:
        self._touch("setInput")
        while len(self._inputs) <= index:
            self._inputs.append(None)
        self._inputs[index] = node
        return True

    def inputs(self) -> int:
        return len([n for n in self._inputs if n is not None])

    def format(self) -> Format:
        self._touch("format")
        if self._class == "Read" and self._knobs["format"]._value is not None:
            return self._knobs["format"]._value
        upstream = self.input(0)
        return upstream.format() if upstream is not None else self._state.root_format()

    def firstFrame(self) -> int:
        return self._frame_range()[0]

    def lastFrame(self) -> int:
        return self._frame_range()[1]

    def _frame_range(self) -> tuple[int, int]:
        self._touch("frameRange")
        if self._class == "Read":
            return int(self._knobs["first"]._value), int(self._knobs["last"]._value)
        upstream = self.input(0)
        if upstream is not None:
            return upstream._frame_range()
        root = self._state.root
        return int(root["first_frame"].value()), int(root["last_frame"].value())

    def setSelected(self, selected: bool) -> None:
        self._selected = bool(selected)

    def isSelected(self) -> bool:
        return self._selected

    def showControlPanel(self) -> None:
        self._touch("showControlPanel")
        self.panel_shown += 1

    # --- groups
    def begin(self) -> Node:
        self._touch("begin")
        self._state.context.append(self)
        return self

    def end(self) -> None:
        self._touch("end")
        if self._state.context[-1] is not self:
            raise RuntimeError(f"{self.name()}.end() without a matching begin()")
        self._state.context.pop()

    def __enter__(self) -> Node:
        return self.begin()

    def __exit__(self, *exc: object) -> None:
        self.end()

    def nodes(self) -> list[Node]:
        self._touch("nodes")
        return list(self._children)

    def node(self, name: str) -> Node | None:
        self._touch("node")
        for child in self._children:
            if child.name() == name:
                return child
        return None

    def __repr__(self) -> str:
        return f"<{self._class} {self._knobs['name']._value}>"


# ---------------------------------------------------------------------------------- the rest


class ProgressTask:
    """Nuke's progress bar with a Cancel button; usable from any thread."""

    _state: FakeState

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: list[str] = []
        self.progress_values: list[int] = []
        self._state.progress_tasks.append(self)

    def setMessage(self, message: str) -> None:
        self.messages.append(str(message))

    def setProgress(self, percent: int) -> None:
        if not isinstance(percent, int):
            raise TypeError(f"ProgressTask.setProgress takes an int, got {percent!r}")
        self.progress_values.append(percent)

    def isCancelled(self) -> bool:
        policy = self._state.cancel_when
        return bool(policy(self)) if policy is not None else False

    @property
    def progress(self) -> int:
        return self.progress_values[-1] if self.progress_values else 0


@dataclass
class MenuItem:
    """A command in a menu."""

    name: str
    command: Any
    icon: str = ""
    shortcut: str = ""


class Menu:
    """``nuke.menu(name)`` and its submenus."""

    def __init__(self, state: FakeState, name: str, icon: str = "") -> None:
        self._state, self._name, self.icon = state, name, icon
        self.items: dict[str, Menu | MenuItem] = {}

    def name(self) -> str:
        return self._name

    def addMenu(self, name: str, icon: str = "", **_: Any) -> Menu:
        _main_thread_only(self._state, "Menu.addMenu")
        head, _, rest = name.partition("/")
        existing = self.items.get(head)
        menu = existing if isinstance(existing, Menu) else Menu(self._state, head, icon)
        self.items[head] = menu
        return menu.addMenu(rest, icon) if rest else menu

    def addCommand(
        self, name: str, command: Any = None, shortcut: str = "", icon: str = "", **_: Any
    ) -> MenuItem:
        _main_thread_only(self._state, "Menu.addCommand")
        path, _, leaf = name.rpartition("/")
        menu = self.addMenu(path) if path else self
        item = MenuItem(leaf, command, icon, shortcut)
        menu.items[leaf] = item
        return item

    def findItem(self, name: str) -> Menu | MenuItem | None:
        head, _, rest = name.partition("/")
        item = self.items.get(head)
        if not rest or item is None:
            return item
        return item.findItem(rest) if isinstance(item, Menu) else None


class _NodeFactory:
    """``nuke.nodes``: ``nuke.nodes.Read(file=..., first=...)`` creates without connecting."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def __getattr__(self, cls: str) -> Callable[..., Node]:
        if cls.startswith("_"):
            raise AttributeError(cls)

        def create(**knobs: Any) -> Node:
            return self._state.create(cls, **knobs)

        return create


@dataclass
class FakeState:
    """Everything the fake module remembers; ``fake.state`` in tests."""

    module: types.ModuleType
    env: dict[str, Any] = field(default_factory=lambda: {"gui": True, "NukeVersionMajor": 14})
    frame: float = 1.0
    context: list[Node] = field(default_factory=list)
    this: list[tuple[Node | None, Knob | None]] = field(default_factory=list)
    formats: list[Format] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    plugin_paths: list[str] = field(default_factory=list)
    menus: dict[str, Menu] = field(default_factory=dict)
    progress_tasks: list[ProgressTask] = field(default_factory=list)
    cancel_when: Callable[[ProgressTask], bool] | None = None
    execute_calls: list[tuple[str, int, int]] = field(default_factory=list)
    execute_handler: Callable[[Node, int, int], None] | None = None
    main_queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = field(
        default_factory=queue.Queue
    )
    violations: list[str] = field(default_factory=list)
    #: The session config's colourspace names (what Read/Write colourspace menus offer).
    colorspaces: list[str] = field(default_factory=lambda: list(NUKE_DEFAULT_COLORSPACES))
    root: Node = field(init=False)

    def __post_init__(self) -> None:
        self.root = Node(self, "Root", None)
        self.root._knobs["name"]._value = ""
        self.formats.append(Format(2048, 1556, 1.0, "2K_Super_35(full-ap)"))
        self.root._knobs["format"]._value = self.formats[0]
        self.context.append(self.root)

    # --- nodes
    def unique_name(self, parent: Node | None, wanted: str) -> str:
        taken = {c._knobs["name"]._value for c in (parent._children if parent else [])}
        if wanted not in taken:
            return wanted
        stem = re.sub(r"\d+$", "", wanted)
        n = 1
        while f"{stem}{n}" in taken:
            n += 1
        return f"{stem}{n}"

    def create(self, cls: str, **knobs: Any) -> Node:
        _main_thread_only(self, f"nodes.{cls}")
        parent = self.context[-1]
        node = Node(self, cls, parent)
        node._knobs["name"]._value = self.unique_name(parent, f"{cls}1")
        parent._children.append(node)
        for name, value in knobs.items():
            if name == "name":
                node.setName(value)
            elif name in node._knobs:
                node._knobs[name].setValue(value)
            else:
                raise NameError(f"{cls} has no knob {name}")
        return node

    def resolve(self, name: str) -> Node | None:
        """A node by (dotted) name, the way [KNOBNAMES] says: ``root...`` from the root, any
        other name searched for from the current group upwards."""
        parts = name.split(".")
        if parts[0] == "root":
            starts: list[Node] = [self.root]
            parts = parts[1:]
        else:
            starts = []
            group: Node | None = self.context[-1]
            while group is not None:
                starts.append(group)
                group = group._parent
        for start in starts:
            node: Node | None = start
            for part in parts:
                node = node.node(part) if node is not None else None
            if node is not None:
                return node
        return None

    def default_colorspace(self, node: Node) -> str:
        """[CS-DEFAULT] the colourspace a Read/Write's ``default`` stands for."""
        if node._class == "Write":
            extension = str(node._knobs["file_type"]._value or "").lower()
        else:
            path = str(node._knobs["file"]._value or "")
            extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        lut = _DEFAULT_LUT_BY_EXTENSION.get(extension, "floatLut")
        return str(self.root._knobs[lut]._value)

    def walk(self, group: Node, recurse: bool) -> Iterator[Node]:
        for child in group._children:
            yield child
            if recurse and child._class == "Group":
                yield from self.walk(child, recurse)

    def format_named(self, name: str) -> Format:
        for fmt in self.formats:
            if fmt.name() == name:
                return fmt
        raise ValueError(f"no format named {name!r}")

    def root_format(self) -> Format:
        return self.root._knobs["format"]._value

    # --- scripts and callbacks
    def run_script(self, node: Node | None, knob: Knob | None, script: str) -> Any:
        """Run a knob script the way Nuke does: ``nuke`` in scope, thisNode/thisKnob set, and
        a Group's own scripts run inside the group ([KNOBNAMES])."""
        self.this.append((node, knob))
        inside = node is not None and node._class == "Group"
        if inside:
            self.context.append(node)  # type: ignore[arg-type]
        try:
            namespace: dict[str, Any] = {"nuke": self.module}
            exec(script, namespace)
            return namespace.get("ret")
        finally:
            if inside:
                self.context.pop()
            self.this.pop()

    def reopen(self, node: Node) -> Node:
        """Save and reopen the script, as far as ``node``'s user knobs go ([REOPEN]): each
        keeps class, name, label, value, animation and flags; ``setVisible`` is forgotten;
        knobs before the first tab land on a new ``User`` tab. Then ``onCreate`` runs, as
        Nuke runs it when a script loads. Returns ``node``."""
        knobs = node.user_knobs()
        for old in knobs:
            node._knobs.pop(old.name())
        node._user_knobs = []
        if knobs and not isinstance(knobs[0], Tab_Knob):
            node.addKnob(Tab_Knob("User", "User"))
        for old in knobs:
            new = copy.copy(old)
            new._curve = copy.deepcopy(old._curve)
            new._hidden = False
            node.addKnob(new)
        script = node.knob("onCreate")
        if script is not None and script.value():
            self.run_script(node, None, script.value())
        return node

    def user_set(self, node: Node, knob_name: str, value: Any) -> None:
        """A user's edit in the panel: set the value, then run the node's knobChanged."""
        knob = node[knob_name]
        knob.setValue(value)
        self.knob_changed(node, knob)

    def knob_changed(self, node: Node, knob: Knob | str) -> None:
        """Run ``knobChanged`` for ``knob`` (a name gives a pseudo knob: showPanel...)."""
        if isinstance(knob, str):
            knob = Knob(knob)
        script = node.knob("knobChanged")
        if script is not None and script.value():
            self.run_script(node, knob, script.value())

    # --- the event loop
    def process_events(self) -> int:
        """Run the calls queued by executeInMainThread (in the main thread); returns how many."""
        _main_thread_only(self, "process_events")
        count = 0
        while True:
            try:
                call, args, kwargs = self.main_queue.get_nowait()
            except queue.Empty:
                return count
            call(*args, **kwargs)
            count += 1

    def run_until(self, done: Callable[[], bool], timeout: float = 60.0) -> None:
        """Pump events until ``done()`` (checked after each pump) or fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            self.process_events()
            if done() and self.main_queue.empty():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("fake nuke: the condition was not met in time")
            time.sleep(0.01)


def new_nuke_module(*, gui: bool = True) -> types.ModuleType:
    """A fresh fake ``nuke`` module with its own state (``module.state``)."""
    module = types.ModuleType("nuke", "A fake of Nuke's Python API (tests only).")
    state = FakeState(module)
    state.env["gui"] = gui

    def createNode(node: str, args: str = "", inpanel: bool = True) -> Node:
        _main_thread_only(state, "createNode")
        selected = [n for n in state.context[-1]._children if n.isSelected()]
        created = state.create(node)
        if selected:
            created.setInput(0, selected[-1])
        for other in state.context[-1]._children:
            other.setSelected(other is created)
        return created

    def toNode(name: str) -> Node | None:
        _main_thread_only(state, "toNode")
        return state.resolve(name)

    def knob(name: str, value: Any = None) -> str | None:
        """[KNOBNAMES] ``Node.knob`` by path: ``input`` is a node's first input, the first part
        that names no node (nor ``input``) is the knob; the value comes back as text."""
        _main_thread_only(state, "knob")
        parts = name.split(".")
        node = state.resolve(parts[0])
        for part in parts[1:]:
            if node is None:
                return None
            if part == "input":
                node = node.input(0)
            elif node.node(part) is not None and node._class == "Group":
                node = node.node(part)
            else:
                found = node.knob(part)  # any part after it is a field (size.w): not needed
                if found is None:
                    return None
                if value is not None:
                    found.setValue(value)
                    return None
                return str(found.value())
        return None

    def allNodes(
        filter: str | None = None, group: Node | None = None, recurseGroups: bool = False
    ) -> list[Node]:
        _main_thread_only(state, "allNodes")
        nodes = state.walk(group or state.context[-1], recurseGroups)
        return [n for n in nodes if filter is None or n.Class() == filter]

    def selectedNode() -> Node:
        _main_thread_only(state, "selectedNode")
        chosen = [n for n in state.context[-1]._children if n.isSelected()]
        if not chosen:
            raise ValueError("no node selected")
        return chosen[-1]

    def selectedNodes() -> list[Node]:
        return [n for n in state.context[-1]._children if n.isSelected()]

    def thisNode() -> Node | None:
        _main_thread_only(state, "thisNode")
        return state.this[-1][0] if state.this else state.root

    def thisKnob() -> Knob | None:
        _main_thread_only(state, "thisKnob")
        return state.this[-1][1] if state.this else None

    def thisGroup() -> Node:
        return state.context[-1]

    def root() -> Node:
        _main_thread_only(state, "root")
        return state.root

    def message(text: str) -> None:
        _main_thread_only(state, "message")
        state.messages.append(str(text))

    def alert(text: str) -> None:
        _main_thread_only(state, "alert")
        state.alerts.append(str(text))

    def executeInMainThread(call: Callable[..., Any], args: Any = (), kwargs: Any = None) -> None:
        if not isinstance(args, tuple):
            args = (args,)  # Nuke accepts a single argument as is
        state.main_queue.put((call, args, dict(kwargs or {})))

    def executeInMainThreadWithResult(
        call: Callable[..., Any], args: Any = (), kwargs: Any = None
    ) -> Any:
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("executeInMainThreadWithResult from the main thread hangs Nuke")
        if not isinstance(args, tuple):
            args = (args,)
        box: dict[str, Any] = {}
        ready = threading.Event()

        def run() -> None:
            try:
                box["value"] = call(*args, **dict(kwargs or {}))
            finally:
                ready.set()

        state.main_queue.put((run, (), {}))
        ready.wait()
        return box.get("value")

    def execute(node: Node | str, first: int, last: int, incr: int = 1, **_: Any) -> None:
        _main_thread_only(state, "execute")
        target = state.resolve(node) if isinstance(node, str) else node
        if target is None or target["disable"].value():
            raise RuntimeError(f"cannot execute {node!r}: missing or disabled")
        state.execute_calls.append((target.fullName(), int(first), int(last)))
        if state.execute_handler is None:
            raise RuntimeError("the fake nuke renders nothing: set state.execute_handler")
        state.execute_handler(target, int(first), int(last))

    def filename(node: Node, replace: int | None = None) -> str | None:
        # [FILENAME]: commands and variables expanded, %04d kept unless REPLACE.
        _main_thread_only(state, "filename")
        knob = node.knob("file")
        text = expand_tcl(str(knob._value)) if knob is not None else ""
        if not text:
            return None
        return expand_frame(text, int(state.frame)) if replace == REPLACE else text

    def addFormat(spec: str) -> Format:
        parts = spec.split()
        aspect = float(parts[2]) if len(parts) > 3 else 1.0
        fmt = Format(int(parts[0]), int(parts[1]), aspect, parts[-1])
        state.formats.append(fmt)
        return fmt

    def pluginAddPath(path: str, addToSysPath: bool = True) -> None:
        # Nuke also puts the folder on sys.path; the fake only records it (tests stay clean).
        state.plugin_paths.insert(0, str(path))

    def pluginPath() -> list[str]:
        return list(state.plugin_paths)

    def menu(name: str) -> Menu:
        _main_thread_only(state, "menu")
        return state.menus.setdefault(name, Menu(state, name))

    def scriptName() -> str:
        path = state.root._knobs["name"]._value
        if not path:
            raise RuntimeError("no script name: the script was never saved")
        return str(path)

    def tprint(*values: Any) -> None:
        print(*values)

    REPLACE = 1
    progress_task = type("ProgressTask", (ProgressTask,), {"_state": state})
    namespace: dict[str, Any] = {
        "state": state,
        "env": state.env,
        "nodes": _NodeFactory(state),
        "ProgressTask": progress_task,
        "NUKE_VERSION_MAJOR": 14,
        "STARTLINE": STARTLINE,
        "ENDLINE": ENDLINE,
        "INVISIBLE": INVISIBLE,
        "NO_ANIMATION": NO_ANIMATION,
        "REPLACE": REPLACE,
        "Format": Format,
        "AnimationCurve": AnimationCurve,
        "AnimationKey": AnimationKey,
        "Knob": Knob,
        "Node": Node,
    }
    for cls in KNOB_CLASSES:
        namespace[cls.__name__] = cls
    for function in (
        createNode,
        toNode,
        knob,
        allNodes,
        selectedNode,
        selectedNodes,
        thisNode,
        thisKnob,
        thisGroup,
        root,
        message,
        alert,
        executeInMainThread,
        executeInMainThreadWithResult,
        execute,
        filename,
        addFormat,
        pluginAddPath,
        pluginPath,
        menu,
        scriptName,
        tprint,
    ):
        namespace[function.__name__] = function
    module.__dict__.update(namespace)
    return module
