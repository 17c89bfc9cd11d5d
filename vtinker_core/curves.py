"""Keyed timing curves: output frame → source position, linear or monotone-smooth.

Keys come from a job file or a ``.json`` / ``.csv`` export; the ``curve`` timing mode
(:func:`vtinker_core.timing.retime_curve`) samples them once per whole output frame::

    keys = parse_curve_keys('[{"frame": 1001, "source": 1001}, {"frame": 1011, "source": 1021}]')
    keys                                      # ((1001, 1001.0), (1011, 1021.0))
    evaluate_curve(keys, [1000, 1006, 1020])  # [1001.0, 1011.0, 1021.0]: flat outside the keys
    evaluate_curve([(0, 0.0), (2, 2.0), (4, 6.0)], [1, 3], shape="smooth")   # [0.875, 3.875]
    keys = load_curve_keys("shot010_keys.csv")   # "frame,source" rows, header optional
    normalise_keys([[1001, 1001], {"frame": 1011, "source": 1021}])   # either key form

Every error is a :class:`~vtinker_core.errors.JobError` naming ``timing.keys`` (or
``timing.curve_shape``), so a job file or panel can point at the bad setting.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from vtinker_core.errors import JobError

__all__ = [
    "CurveKey",
    "CurveShape",
    "evaluate_curve",
    "load_curve_keys",
    "normalise_keys",
    "parse_curve_keys",
    "whole_number",
]

CurveShape = Literal["linear", "smooth"]
#: One curve key: (output frame, source position).
CurveKey = tuple[int, float]

_SHAPES: tuple[str, ...] = ("linear", "smooth")


def parse_curve_keys(text: str) -> tuple[CurveKey, ...]:
    """Curve keys from JSON or CSV text.

    JSON: ``[{"frame": 1001, "source": 1001.0}, ...]`` or ``[[1001, 1001.0], ...]`` (optionally
    wrapped as ``{"keys": [...]}``). CSV: ``frame,source`` rows, the header optional; blank
    lines and lines starting with ``#`` are skipped.

    Raises:
        JobError: ``setting="timing.keys"``: unreadable, empty, or output frames not increasing.
    """
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise JobError(f"timing.keys: invalid JSON: {err}", setting="timing.keys") from err
        if isinstance(data, dict):
            data = data.get("keys")
        if not isinstance(data, list):
            raise JobError("timing.keys: expected a JSON list of keys", setting="timing.keys")
        return normalise_keys(data)
    rows = [
        row
        for row in csv.reader(io.StringIO(text))
        if row and row[0].strip() and not row[0].lstrip().startswith("#")
    ]
    if rows and not _is_number(rows[0][0]):
        header = [cell.strip().lower() for cell in rows[0]]
        if "frame" not in header or "source" not in header:
            raise JobError(
                f"timing.keys: CSV header must name 'frame' and 'source', got {rows[0]}",
                setting="timing.keys",
            )
        columns = (header.index("frame"), header.index("source"))
        rows = [[row[i] if i < len(row) else "" for i in columns] for row in rows[1:]]
    return normalise_keys([[cell.strip() for cell in row] for row in rows])


def load_curve_keys(path: str | Path) -> tuple[CurveKey, ...]:
    """Curve keys from a ``.json`` or ``.csv`` file (see :func:`parse_curve_keys`).

    Raises:
        JobError: ``setting="timing.keys"``, ``path`` set: unreadable or invalid file.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise JobError(
            f"timing.keys: cannot read '{path}': {err}", setting="timing.keys", path=path
        ) from err
    try:
        return parse_curve_keys(text)
    except JobError as err:
        raise JobError(f"{err.message} (in '{path}')", setting="timing.keys", path=path) from err


def normalise_keys(raw: Iterable[Any]) -> tuple[CurveKey, ...]:
    """Validate curve keys given as ``{"frame", "source"}`` dicts or ``(frame, source)`` pairs.

    Raises:
        JobError: ``setting="timing.keys"``: no keys, a malformed key, a non-whole output
            frame, a non-finite source, or output frames not strictly increasing.
    """
    keys: list[CurveKey] = []
    for item in raw:
        pair = (item.get("frame"), item.get("source")) if isinstance(item, Mapping) else item
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise JobError(
                f"timing.keys: a key must be {{'frame': F, 'source': S}} or [F, S], got {item!r}",
                setting="timing.keys",
            )
        frame = whole_number(pair[0], "timing.keys")
        source = _finite_number(pair[1], "timing.keys")
        if keys and frame <= keys[-1][0]:
            raise JobError(
                f"timing.keys: output frames must increase, got {keys[-1][0]} then {frame}",
                setting="timing.keys",
            )
        keys.append((frame, source))
    if not keys:
        raise JobError("timing.keys: a curve needs at least one key", setting="timing.keys")
    return tuple(keys)


def evaluate_curve(
    keys: Sequence[CurveKey], frames: Iterable[float], *, shape: CurveShape = "linear"
) -> list[float]:
    """The curve's source position at each output frame (no snapping, no clamping).

    ``linear`` joins the keys with straight lines. ``smooth`` is a monotone cubic Hermite
    spline (Fritsch–Carlson tangents): it passes through every key, a segment between two keys
    never leaves the range of those two keys (no overshoot; a segment between equal keys is a
    hold), and monotone keys give a monotone curve. Before the first and after the last key the
    curve is constant (the first/last key's source).

    Args:
        keys: (output frame, source position) pairs, output frames strictly increasing.
        frames: output frames (fractional allowed) to evaluate at.
        shape: ``"linear"`` or ``"smooth"``.

    Returns:
        The source positions, in the order of ``frames``.

    Raises:
        JobError: invalid keys (``timing.keys``) or shape (``timing.curve_shape``).
    """
    keys = normalise_keys(keys)
    _check_shape(shape)
    xs = [float(k[0]) for k in keys]
    ys = [k[1] for k in keys]
    slopes = _fritsch_carlson(xs, ys) if shape == "smooth" else None
    result = []
    for x in frames:
        if x <= xs[0]:
            result.append(ys[0])
            continue
        if x >= xs[-1]:
            result.append(ys[-1])
            continue
        i = bisect.bisect_right(xs, x) - 1
        h = xs[i + 1] - xs[i]
        u = (x - xs[i]) / h
        if slopes is None:
            result.append(ys[i] + u * (ys[i + 1] - ys[i]))
        else:
            h00 = (1 + 2 * u) * (1 - u) ** 2
            h10 = u * (1 - u) ** 2
            h01 = u * u * (3 - 2 * u)
            h11 = u * u * (u - 1)
            result.append(
                h00 * ys[i] + h10 * h * slopes[i] + h01 * ys[i + 1] + h11 * h * slopes[i + 1]
            )
    return result


# --------------------------------------------------------------------------- helpers


def _fritsch_carlson(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """Tangents of the monotone cubic through (xs, ys) (Fritsch & Carlson 1980).

    https://en.wikipedia.org/wiki/Monotone_cubic_interpolation
    """
    n = len(xs)
    if n < 2:
        return [0.0] * n
    deltas = [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(n - 1)]
    m = [deltas[0], *[(deltas[k - 1] + deltas[k]) / 2 for k in range(1, n - 1)], deltas[-1]]
    for k in range(1, n - 1):
        # A local extremum (or a flat neighbour) gets a flat tangent: no overshoot past the key.
        if deltas[k - 1] * deltas[k] <= 0:
            m[k] = 0.0
    for k, delta in enumerate(deltas):
        if delta == 0:
            m[k] = m[k + 1] = 0.0
            continue
        alpha, beta = m[k] / delta, m[k + 1] / delta
        radius = alpha * alpha + beta * beta
        if radius > 9:  # outside the circle of radius 3 the segment could overshoot
            tau = 3 / math.sqrt(radius)
            m[k], m[k + 1] = tau * alpha * delta, tau * beta * delta
    return m


def _check_shape(shape: str) -> None:
    if shape not in _SHAPES:
        raise JobError(
            f"timing.curve_shape: expected 'linear' or 'smooth', got {shape!r}",
            setting="timing.curve_shape",
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finite_number(value: Any, setting: str) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError("bool")
        number = float(value)
    except (TypeError, ValueError) as err:
        raise JobError(f"{setting}: {value!r} is not a number", setting=setting) from err
    if not math.isfinite(number):
        raise JobError(f"{setting}: {value!r} is not finite", setting=setting)
    return number


def whole_number(value: Any, setting: str) -> int:
    """``value`` as a whole frame number; JobError naming ``setting`` if it is not one."""
    number = _finite_number(value, setting)
    if number != int(number):
        raise JobError(f"{setting}: {value!r} is not a whole frame number", setting=setting)
    return int(number)
