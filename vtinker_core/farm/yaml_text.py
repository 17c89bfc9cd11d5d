"""Plain data as block-style YAML, with the standard library only.

Example::

    dump_yaml({"name": "Retime", "steps": [{"name": "Render"}]}, comment="written by vtinker")
    # '# written by vtinker\\nname: "Retime"\\nsteps:\\n- name: "Render"\\n'

Every string is written as a JSON string, which is also a YAML double-quoted scalar, so no value
(``CHUNK[INT]``, ``1001-1100``, ``yes``, ``{{Param.Frames}}``, a Windows path) is ever read back
as anything but the string it is. Keys must be plain identifiers (OpenJD's field names are).
The farm bundle needs only this, so the core does not depend on a YAML library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump_yaml"]

_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_:.$-]*$")


def dump_yaml(data: Mapping[str, Any], *, comment: str = "") -> str:
    """``data`` (dicts, lists, strings, ints, bools, None) as a YAML document.

    Args:
        data: the document's top-level mapping.
        comment: lines written first as ``#`` comments (one per line of the text).

    Raises:
        TypeError: a value of another type (floats too: YAML 1.1 readers take ``1e+20`` for a
            string), or a key that is not a plain identifier.
    """
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += _mapping(data, 0)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as YAML")


def _is_block(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple) and len(value) > 0


def _empty(value: Any) -> str:
    return "{}" if isinstance(value, Mapping) else "[]"


def _mapping(data: Mapping[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise TypeError(f"YAML key {key!r} is not a plain identifier")
        if _is_block(value):
            lines.append(f"{pad}{key}:")
            lines += _block(value, indent + 2 if isinstance(value, Mapping) else indent)
        elif isinstance(value, Mapping | list | tuple):
            lines.append(f"{pad}{key}: {_empty(value)}")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


def _block(value: Mapping[str, Any] | Sequence[Any], indent: int) -> list[str]:
    if isinstance(value, Mapping):
        return _mapping(value, indent)
    pad = " " * indent
    lines: list[str] = []
    for item in value:
        if isinstance(item, Mapping) and item:
            inner = _mapping(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines += inner[1:]
        elif _is_block(item):
            lines.append(f"{pad}-")
            lines += _block(item, indent + 2)
        elif isinstance(item, Mapping | list | tuple):
            lines.append(f"{pad}- {_empty(item)}")
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines
