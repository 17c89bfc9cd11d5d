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
"""

from __future__ import annotations

import queue
import re
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

STARTLINE = 0x00001000
ENDLINE = 0x00002000
INVISIBLE = 0x00000400
NO_ANIMATION = 0x00000100


class ThreadViolation(AssertionError):
    """Nuke was touched from a thread other than the main thread."""


def _main_thread_only(state: FakeState | None, what: str) -> None:
    if state is None or threading.current_thread() is threading.main_thread():
        return
    message = f"{what} called from thread {threading.current_thread().name!r}"
    state.violations.append(message)
    raise ThreadViolation(message)


# ---------------------------------------------------------------------------------- values


class Format:
    """An image format: ``width() x height()``, pixel aspect and an optional name."""

    def __init__(self, width: int, height: int, pixel_aspect: float = 1.0, name: str = "") -> None:
        self._width, self._height = width, height
        self._aspect, self._name = pixel_aspect, name

    def width(self) -> int:
        return self._width

    def height(self) -> int:
        return self._height

    def pixelAspect(self) -> float:
        return self._aspect

    def name(self) -> str | None:
        return self._name or None

    def __repr__(self) -> str:
        return f"Format({self._width}, {self._height}, {self._aspect}, {self._name!r})"


@dataclass
class AnimationKey:
    """One key of a curve: ``x`` (frame), ``y`` (value)."""

    x: float
    y: float


class AnimationCurve:
    """A knob's animation; linear between keys, constant outside them."""

    def __init__(self) -> None:
        self._keys: list[AnimationKey] = []

    def keys(self) -> list[AnimationKey]:
        return list(self._keys)

    def setKey(self, x: float, y: float) -> AnimationKey:
        for key in self._keys:
            if key.x == x:
                key.y = y
                return key
        key = AnimationKey(float(x), float(y))
        self._keys.append(key)
        self._keys.sort(key=lambda k: k.x)
        return key

    def evaluate(self, t: float) -> float:
        keys = self._keys
        if not keys:
            return 0.0
        if t <= keys[0].x:
            return keys[0].y
        if t >= keys[-1].x:
            return keys[-1].y
        for i in range(len(keys) - 1):  # (no itertools.pairwise: this fake runs on 3.9 too)
            a, b = keys[i], keys[i + 1]
            if a.x <= t <= b.x:
                return a.y + (b.y - a.y) * (t - a.x) / (b.x - a.x)
        return keys[-1].y  # pragma: no cover


# ---------------------------------------------------------------------------------- knobs


class Knob:
    """Base knob: a value, an optional animation curve, visibility, flags."""

    _default: Any = ""

    def __init__(self, name: str, label: str | None = None, *args: Any) -> None:
        self._name = name
        self._label = name if label is None else label
        self._value: Any = self._default
        self._visible = True
        self._enabled = True
        self._flags = STARTLINE
        self._tooltip = ""
        self._curve: AnimationCurve | None = None
        self._node: Node | None = None

    # --- helpers
    def _touch(self, what: str) -> None:
        state = self._node._state if self._node is not None else None
        _main_thread_only(state, f"{type(self).__name__}('{self._name}').{what}")

    def _coerce(self, value: Any) -> Any:
        return value

    def _frame(self) -> float:
        return self._node._state.frame if self._node is not None else 0.0

    # --- the API
    def name(self) -> str:
        return self._name

    def label(self) -> str:
        return self._label

    def Class(self) -> str:
        return type(self).__name__

    def node(self) -> Node | None:
        return self._node

    def tooltip(self) -> str:
        return self._tooltip

    def setTooltip(self, text: str) -> None:
        self._tooltip = text

    def value(self) -> Any:
        self._touch("value")
        if self.isAnimated():
            return self._coerce(self._curve.evaluate(self._frame()))  # type: ignore[union-attr]
        return self._value

    def getValue(self) -> Any:
        return self.value()

    def setValue(self, value: Any) -> bool:
        self._touch("setValue")
        if self.isAnimated():
            self.setValueAt(value, self._frame())
        else:
            self._value = self._coerce(value)
        return True

    def isAnimated(self) -> bool:
        return self._curve is not None and bool(self._curve.keys())

    def hasExpression(self) -> bool:
        return False

    def animation(self, index: int = 0) -> AnimationCurve | None:
        self._touch("animation")
        return self._curve if self.isAnimated() else None

    def setAnimated(self) -> bool:
        self._touch("setAnimated")
        if self._curve is None:
            self._curve = AnimationCurve()
            self._curve.setKey(self._frame(), float(self._value))
        return True

    def clearAnimated(self) -> bool:
        self._touch("clearAnimated")
        self._curve = None
        return True

    def setValueAt(self, value: Any, time: float, index: int = -1) -> bool:
        self._touch("setValueAt")
        if self._curve is None:
            self._curve = AnimationCurve()
        self._curve.setKey(float(time), float(value))
        return True

    def getValueAt(self, time: float, index: int = -1) -> Any:
        self._touch("getValueAt")
        if self.isAnimated():
            return self._coerce(self._curve.evaluate(float(time)))  # type: ignore[union-attr]
        return self._value

    def valueAt(self, time: float, index: int = -1) -> Any:
        return self.getValueAt(time, index)

    def evaluate(self) -> str:
        return str(self.value())

    def visible(self) -> bool:
        return self._visible

    def setVisible(self, visible: bool) -> None:
        self._touch("setVisible")
        self._visible = bool(visible)

    def enabled(self) -> bool:
        return self._enabled

    def setEnabled(self, enabled: bool) -> None:
        self._touch("setEnabled")
        self._enabled = bool(enabled)

    def setFlag(self, flag: int) -> None:
        self._flags |= flag

    def clearFlag(self, flag: int) -> None:
        self._flags &= ~flag

    def getFlag(self, flag: int) -> bool:
        return bool(self._flags & flag)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}={self._value!r}>"


class Tab_Knob(Knob):
    pass


class Int_Knob(Knob):
    _default = 0

    def _coerce(self, value: Any) -> int:
        return int(value)


class Double_Knob(Knob):
    _default = 0.0

    def _coerce(self, value: Any) -> float:
        return float(value)


class Boolean_Knob(Knob):
    _default = False

    def _coerce(self, value: Any) -> bool:
        return bool(value)


class String_Knob(Knob):
    _default = ""

    def _coerce(self, value: Any) -> str:
        return str(value)


class File_Knob(String_Knob):
    pass


class ChannelMask_Knob(String_Knob):
    _default = "all"


class Text_Knob(Knob):
    def __init__(self, name: str, label: str | None = None, text: str = "") -> None:
        super().__init__(name, label)
        self._value = text


class Enumeration_Knob(Knob):
    """``value()`` is the chosen item's text; ``setValue`` takes the text or the index."""

    def __init__(self, name: str, label: str | None = None, values: list[str] | None = None):
        super().__init__(name, label)
        self._values = list(values or [])
        self._value = self._values[0] if self._values else ""

    def values(self) -> list[str]:
        return list(self._values)

    def _coerce(self, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._values[int(value)]
        if value not in self._values:
            raise ValueError(f"{self._name}: {value!r} is not one of {self._values}")
        return str(value)

    def getValue(self) -> float:
        return float(self._values.index(self.value()))


class PyScript_Knob(Knob):
    """A button; ``execute()`` runs its command with ``thisNode``/``thisKnob`` set."""

    def __init__(self, name: str, label: str | None = None, command: str = "") -> None:
        super().__init__(name, label)
        self._value = command
        self.executions = 0

    def execute(self) -> Any:
        self._touch("execute")
        self.executions += 1
        if self._node is not None and self._value:
            return self._node._state.run_script(self._node, self, self._value)
        return None


class Format_Knob(Knob):
    def _coerce(self, value: Any) -> Any:
        if isinstance(value, str) and self._node is not None:
            return self._node._state.format_named(value)
        return value


class Link_Knob(Knob):
    def makeLink(self, node: str, knob: str) -> None:
        self._value = f"{node}.{knob}"


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
        (String_Knob, "colorspace", "default"),
        (Boolean_Knob, "raw", False),
        (String_Knob, "frame_mode", "start at"),
        (String_Knob, "frame", ""),
        (PyScript_Knob, "reload", ""),
    ],
    "Write": [
        (File_Knob, "file", ""),
        (String_Knob, "file_type", ""),
        (ChannelMask_Knob, "channels", "rgb"),
        (String_Knob, "colorspace", "default"),
        (String_Knob, "datatype", "16 bit half"),
    ],
    "Group": [(String_Knob, "knobChanged", ""), (String_Knob, "onCreate", "")],
    "Root": [
        (File_Knob, "name", ""),
        (Int_Knob, "first_frame", 1),
        (Int_Knob, "last_frame", 100),
        (Double_Knob, "fps", 24.0),
        (Format_Knob, "format", None),
        (String_Knob, "OCIO_config", "nuke-default"),
        (File_Knob, "customOCIOConfigPath", ""),
    ],
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
        for knob_cls, name, default in [
            (String_Knob, "name", ""),
            (String_Knob, "label", ""),
            (Boolean_Knob, "disable", False),
            *_CLASS_KNOBS.get(cls, []),
        ]:
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
        return True

    def removeKnob(self, knob: Knob) -> None:
        self._touch("removeKnob")
        self._knobs.pop(knob.name(), None)

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
        if name == "root":
            return self.root
        for start in (self.context[-1], self.root):
            node: Node | None = start
            for part in name.split("."):
                node = node.node(part) if node is not None else None
            if node is not None:
                return node
        return None

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
        """Run a knob script the way Nuke does: ``nuke`` in scope, thisNode/thisKnob set."""
        self.this.append((node, knob))
        try:
            namespace: dict[str, Any] = {"nuke": self.module}
            exec(script, namespace)
            return namespace.get("ret")
        finally:
            self.this.pop()

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
        _main_thread_only(state, "filename")
        knob = node.knob("file")
        return knob.value() if knob is not None and knob.value() else None

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
        "Format": Format,
        "AnimationCurve": AnimationCurve,
        "AnimationKey": AnimationKey,
        "Knob": Knob,
        "Node": Node,
    }
    for cls in (
        Tab_Knob,
        Int_Knob,
        Double_Knob,
        Boolean_Knob,
        String_Knob,
        File_Knob,
        ChannelMask_Knob,
        Text_Knob,
        Enumeration_Knob,
        PyScript_Knob,
        Format_Knob,
        Link_Knob,
    ):
        namespace[cls.__name__] = cls
    for function in (
        createNode,
        toNode,
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
