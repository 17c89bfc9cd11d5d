"""The fake ``nuke`` module's values and knobs (see :mod:`fakes.nuke` for the module itself).

Each rule that mirrors Nuke names its source. Sources used here:

* [KNOB] Foundry, Nuke Python API reference, ``nuke.Knob`` / ``nuke.File_Knob`` /
  ``nuke.EvalString_Knob`` (``value()``, ``evaluate()``, ``getEvaluatedValue()``,
  ``toScript()``, ``setVisible()``, ``setFlag()``).
* [FLAGS] Foundry, NDK developer guide, "Knob Flags, Ranges, and Tooltips" (INVISIBLE: "Disables
  panel and Viewer widgets ... cannot be undone using show()").
* [EVALSTRING] Foundry, Nuke Python API reference, ``nuke.evaluateString`` (TCL portions are
  replaced by their text; ``STRING_EXPAND_FILENUMBER`` replaces ``%nd`` and ``###`` by the
  frame number).
* [CS-DEFAULT] Foundry, Nuke user guide, Project Settings > Color: the "default" colourspace of
  a Read is the root's LUT for its file kind (``int8Lut`` 8-bit files, ``int16Lut`` 16-bit
  files, ``logLut`` log files, ``floatLut`` float files); the menu shows it as
  ``default (<name>)``.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakes.nuke import FakeState, Node

STARTLINE = 0x00001000
ENDLINE = 0x00002000
INVISIBLE = 0x00000400
NO_ANIMATION = 0x00000100


class ThreadViolation(AssertionError):
    """Nuke was touched from a thread other than the main thread."""


def main_thread_only(state: FakeState | None, what: str) -> None:
    if state is None or threading.current_thread() is threading.main_thread():
        return
    message = f"{what} called from thread {threading.current_thread().name!r}"
    state.violations.append(message)
    raise ThreadViolation(message)


# ---------------------------------------------------------------------------- TCL strings

# [EVALSTRING]: "[getenv NAME]" and Tcl's "$env(NAME)" are the forms studio paths use.
_GETENV = re.compile(r"\[getenv\s+([A-Za-z_][A-Za-z0-9_]*)\]")
_ENV_ARRAY = re.compile(r"\$env\(([A-Za-z_][A-Za-z0-9_]*)\)")
_FRAME_TOKEN = re.compile(r"%0?(\d*)d|#+")


def expand_tcl(text: str) -> str:
    """The TCL portions of ``text`` replaced by their values (the two forms above)."""
    text = _GETENV.sub(lambda m: os.environ.get(m.group(1), ""), text)
    return _ENV_ARRAY.sub(lambda m: os.environ.get(m.group(1), ""), text)


def expand_frame(text: str, frame: int) -> str:
    """``%04d`` / ``####`` replaced by ``frame`` ([EVALSTRING] STRING_EXPAND_FILENUMBER)."""

    def number(match: re.Match[str]) -> str:
        token = match.group(0)
        width = len(token) if token.startswith("#") else int(match.group(1) or 1)
        return str(frame).zfill(width)

    return _FRAME_TOKEN.sub(number, text)


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

    def toScript(self) -> str:
        return "{curve " + " ".join(f"x{k.x:g} {k.y:g}" for k in self._keys) + "}"


# ---------------------------------------------------------------------------------- knobs


class Knob:
    """Base knob: a value, an optional animation curve, visibility, flags."""

    _default: Any = ""

    def __init__(self, name: str, label: str | None = None, *args: Any) -> None:
        self._name = name
        self._label = name if label is None else label
        self._value: Any = self._default
        self._hidden = False
        self._enabled = True
        self._flags = STARTLINE
        self._tooltip = ""
        self._curve: AnimationCurve | None = None
        self._node: Node | None = None

    # --- helpers
    def _touch(self, what: str) -> None:
        state = self._node._state if self._node is not None else None
        main_thread_only(state, f"{type(self).__name__}('{self._name}').{what}")

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

    def toScript(self) -> str:
        """[KNOB] The knob's value in script syntax (a curve when animated)."""
        self._touch("toScript")
        if self.isAnimated():
            return self._curve.toScript()  # type: ignore[union-attr]
        return str(self._value)

    def visible(self) -> bool:
        # [FLAGS] INVISIBLE hides the knob for good; setVisible only toggles the panel widget.
        return not self._hidden and not self._flags & INVISIBLE

    def setVisible(self, visible: bool) -> None:
        self._touch("setVisible")
        self._hidden = not visible

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


class EvalString_Knob(String_Knob):
    """[KNOB] ``value()`` is the text as typed; ``evaluate()`` performs the TCL substitutions."""

    def evaluate(self) -> str:
        self._touch("evaluate")
        return expand_tcl(str(self._value))


class File_Knob(EvalString_Knob):
    """[KNOB] A file name: ``value()`` is the text as typed (``[getenv SHOW]/plates/...``);
    ``getEvaluatedValue()`` expands TCL and keeps ``%04d``; ``evaluate()`` also puts in the
    current frame number ([EVALSTRING])."""

    def evaluate(self) -> str:
        return expand_frame(super().evaluate(), int(self._frame()))

    def getEvaluatedValue(self, oc: Any = None) -> str:
        self._touch("getEvaluatedValue")
        return expand_tcl(str(self._value))


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


class Colorspace_Knob(Enumeration_Knob):
    """A Read's or Write's ``colorspace`` (in Nuke an Enumeration_Knob): the names of the
    session's colour config, or ``default``, shown as ``default (<root LUT for this file>)``
    ([CS-DEFAULT]). A ``default (X)`` text naming another default is refused, as Nuke refuses
    any text that is not one of its items."""

    def Class(self) -> str:
        return "Enumeration_Knob"

    def _default_label(self) -> str:
        node = self._node
        if node is None:
            return "default"
        return f"default ({node._state.default_colorspace(node)})"

    def values(self) -> list[str]:
        names = self._node._state.colorspaces if self._node is not None else []
        return [self._default_label(), *names]

    def value(self) -> str:
        self._touch("value")
        return self._default_label() if self._value == "default" else str(self._value)

    def _coerce(self, value: Any) -> str:
        text = str(value)
        if text == "default" or text == self._default_label():
            return "default"
        names = self._node._state.colorspaces if self._node is not None else [text]
        if text not in names:
            raise ValueError(f"{self._name}: {text!r} is not one of {self.values()}")
        return text

    def toScript(self) -> str:
        return str(self._value)


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


KNOB_CLASSES: tuple[type[Knob], ...] = (
    Tab_Knob,
    Int_Knob,
    Double_Knob,
    Boolean_Knob,
    String_Knob,
    EvalString_Knob,
    File_Knob,
    ChannelMask_Knob,
    Text_Knob,
    Enumeration_Knob,
    PyScript_Knob,
    Format_Knob,
    Link_Knob,
)
