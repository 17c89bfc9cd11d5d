"""Colour for the Nuke node: the session's own OCIO config and names, or a linear EXR prerender.

The engine resolves colourspace names in one OCIO config and refuses names it does not know.
A Read's ``colorspace`` knob names a space of *Nuke's* config (``Cineon``, ``sRGB``,
``rec709``, ``default (linear)`` in ``nuke-default``; ``ACES - ACEScg`` in an ACES config),
so the job carries that config (``ocio``) with those names::

    session = session_colour(nuke)          # the root's OCIO settings, $OCIO first
    plan = plan_colour(session, read["colorspace"].value(), raw=False, prerender=False)
    plan.ocio               # ".../OCIOConfigs/configs/nuke-default/config.ocio"
    plan.input_colorspace   # "Cineon"
    plan.output_colorspace  # "linear": the EXRs are in the working space, as the Result Read

Where the engine cannot be given the session's names (Nuke's own colour management with no
config file the engine can read, or a name the config does not define), the input is
prerendered to EXR in Nuke's working space instead (``plan.prerender_reason`` says why), and
the engine reads and writes that space. The Result Read always gets a name of the session's
config (the working space), never a ``default (...)`` text.

Where the facts come from: the root knobs and their order (``$OCIO``, then ``customOCIOConfigPath``
when ``OCIO_config`` is ``custom``, else the stock config's ``OCIOConfigPath``) follow
aws-deadline/deadline-cloud-for-nuke ``src/deadline/nuke_util/ocio.py``; ``workingSpaceLUT``
and the ``default (...)`` display follow Nuke's Project Settings > Color (docs/hosts.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: What every OCIO config can be asked for, whatever it names its spaces (OCIO roles).
SCENE_LINEAR_ROLE = "scene_linear"
DATA_ROLE = "data"

_DEFAULT_TEXT = re.compile(r"^\s*default\s*\((.*)\)\s*$", re.IGNORECASE)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w]*)\s*:")
_NAME_LINE = re.compile(r"^\s*(?:-\s+!<\w+>\s*\{\s*)?name\s*:\s*(.+?)\s*[,}]?\s*$")
_INLINE_NAME = re.compile(r"!<(?:ColorSpace|NamedTransform)>\s*\{\s*name\s*:\s*([^,}]+)")
_ALIASES = re.compile(r"^\s*aliases\s*:\s*\[(.*)\]\s*$")
_ROLE_LINE = re.compile(r"^\s+([\w.-]+)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class SessionColour:
    """The Nuke session's colour set-up, as plain values.

    Attributes:
        mode: ``OCIO`` or ``Nuke`` (the root's ``colorManagement``).
        config: the OCIO config the engine can load (a file or an ``ocio://`` URI), or None.
        working_space: the root's working space (``workingSpaceLUT``), a name of ``config``.
        names: the colourspace names, aliases and roles ``config`` defines (lower case), or
            None when they cannot be read here (an ``ocio://`` URI).
    """

    mode: str
    config: str | None
    working_space: str
    names: frozenset[str] | None = None

    def defines(self, name: str) -> bool:
        """True when the config defines ``name`` (or when that cannot be told here)."""
        return self.names is None or name.strip().lower() in self.names


@dataclass(frozen=True)
class ColourPlan:
    """How colour travels for one render.

    Attributes:
        ocio: the job's ``ocio`` (None: the engine's own default; only roles are then used).
        input_colorspace: the job's ``input.colorspace``.
        output_colorspace: the job's ``output.colorspace``.
        read_colorspace: what the Result Read's ``colorspace`` knob is set to.
        read_raw: the Result Read's ``raw`` knob.
        prerender_colorspace: the Prerender Write's ``colorspace`` when the input is
            prerendered.
        prerender_reason: why a Read is prerendered for colour's sake, or None.
    """

    ocio: str | None
    input_colorspace: str | None
    output_colorspace: str | None
    read_colorspace: str
    read_raw: bool = False
    prerender_colorspace: str | None = None
    prerender_reason: str | None = None


def _knob_text(node: Any, name: str, *, evaluate: bool = False) -> str:
    knob = node.knob(name)
    if knob is None:
        return ""
    if evaluate:
        getter = getattr(knob, "getEvaluatedValue", None) or knob.evaluate
        return str(getter() or "").strip()
    return str(knob.value() or "").strip()


# Config file → (size, mtime) and its names: the stale check reads them on every knob change.
_NAMES_CACHE: dict[str, tuple[tuple[int, int], frozenset[str] | None]] = {}


def read_config_names(path: str) -> frozenset[str] | None:
    """The colourspace names, aliases and roles an OCIO config file defines (lower case).

    A small reader of the config's YAML (standard library only): ``name:`` entries of the
    (display) colourspace and named-transform lists, their ``aliases: [...]`` and the
    ``roles:`` keys.
    Returns None when the file cannot be read or names nothing.
    """
    try:
        info = os.stat(path)
        stamp = (int(info.st_size), int(info.st_mtime_ns))
        cached = _NAMES_CACHE.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    names = _parse_names(text)
    _NAMES_CACHE[path] = (stamp, names)
    return names


def _parse_names(text: str) -> frozenset[str] | None:
    names: set[str] = set()
    section = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = _TOP_KEY.match(line)
        if top:
            section = top.group(1)
            continue
        if section == "roles":
            role = _ROLE_LINE.match(line)
            if role:
                names.add(role.group(1).lower())
            continue
        if section not in ("colorspaces", "display_colorspaces", "named_transforms"):
            continue
        for match in [_INLINE_NAME.search(line), _NAME_LINE.match(line)]:
            if match:
                names.add(match.group(1).strip().strip("'\"").lower())
        aliases = _ALIASES.match(line)
        if aliases:
            names.update(a.strip().strip("'\"").lower() for a in aliases.group(1).split(","))
    names.discard("")
    return frozenset(names) or None


def session_colour(nuke: Any, environ: Mapping[str, str] | None = None) -> SessionColour:
    """The session's colour set-up (call in Nuke's main thread)."""
    env = os.environ if environ is None else environ
    root = nuke.root()
    mode = _knob_text(root, "colorManagement") or ("OCIO" if root.knob("OCIO_config") else "Nuke")
    working = _knob_text(root, "workingSpaceLUT") or SCENE_LINEAR_ROLE
    config = env.get("OCIO", "").strip()
    if not config:
        if _knob_text(root, "OCIO_config") == "custom":
            config = _knob_text(root, "customOCIOConfigPath", evaluate=True)
        else:
            config = _knob_text(root, "OCIOConfigPath", evaluate=True)
    if not config:
        return SessionColour(mode, None, working)
    if config.startswith("ocio://"):
        return SessionColour(mode, config, working)
    if not os.path.isfile(config):
        return SessionColour(mode, None, working)
    return SessionColour(mode, config, working, read_config_names(config))


def read_colorspace_name(value: str) -> str:
    """A colourspace knob's text as a name: ``default (Cineon)`` → ``Cineon``."""
    text = (value or "").strip()
    match = _DEFAULT_TEXT.match(text)
    return match.group(1).strip() if match else text


def _linear_prerender(session: SessionColour, reason: str | None) -> ColourPlan:
    space = session.working_space
    if session.config is not None and session.defines(space):
        return ColourPlan(session.config, space, space, space, False, space, reason)
    return ColourPlan(None, SCENE_LINEAR_ROLE, SCENE_LINEAR_ROLE, space, False, space, reason)


def plan_colour(
    session: SessionColour, read_value: str | None, *, raw: bool = False, prerender: bool
) -> ColourPlan:
    """The colour plan for an input.

    Args:
        session: from :func:`session_colour`.
        read_value: the upstream Read's ``colorspace`` knob text (None: not a Read).
        raw: the Read's ``raw`` knob (pixels used as they are in the file).
        prerender: the input is prerendered anyway (not a plain image-sequence Read).

    Returns:
        The plan; ``prerender_reason`` is set when a Read must be prerendered for colour.
    """
    space = session.working_space
    if prerender or read_value is None:
        return _linear_prerender(session, None)
    if raw:
        return ColourPlan(session.config, DATA_ROLE, DATA_ROLE, space, True)
    name = read_colorspace_name(read_value)
    if not name or name.lower() == "default":
        name = space
    if session.config is None:
        if name == space:  # already in the working space: nothing to convert
            return ColourPlan(None, SCENE_LINEAR_ROLE, SCENE_LINEAR_ROLE, space)
        return _linear_prerender(
            session,
            f"Nuke's own colour management gives no OCIO config the engine can read, so the "
            f"'{name}' plate is written to {space} EXR first",
        )
    if not session.defines(name):
        return _linear_prerender(
            session,
            f"the colourspace '{name}' is not in the session's OCIO config "
            f"({session.config}), so the plate is written to {space} EXR first",
        )
    out = space if session.defines(space) else SCENE_LINEAR_ROLE
    return ColourPlan(session.config, name, out, space)
