"""The node's knobs read into plain values (call in Nuke's main thread).

Example::

    settings = read_settings(group)        # a RetimeSettings (vtinker_hosts.nuke.job)
    settings.input_first, settings.timing  # 1001, "Output Speed"
    evaluated(group, "outputFolder")       # "/shows/x/vtinker" from "[getenv SHOW]/vtinker"

File knobs are read with ``evaluate()``, which performs the TCL substitutions studio paths use
(``[getenv SHOW]``, ``$env(SHOW)``); ``value()`` is the text as typed (Nuke Python API,
``nuke.EvalString_Knob`` / ``nuke.File_Knob``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vtinker_hosts.nuke.job import RetimeSettings, frame_mode_outputs


def scalar(value: Any) -> Any:
    """A knob value as one value (array knobs may answer with a list)."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else 0
    return value


def evaluated(node: Any, name: str) -> str:
    """A string or file knob's text with its TCL expressions evaluated ("" if no such knob)."""
    knob = node.knob(name)
    if knob is None:
        return ""
    evaluate = getattr(knob, "evaluate", None)
    text = evaluate() if callable(evaluate) else knob.value()
    return str(text or "").strip()


def upstream_range(group: Any) -> tuple[int, int] | None:
    """(first, last) frame of the node feeding the group, or None when nothing is connected."""
    upstream = group.input(0)
    if upstream is None:
        return None
    if upstream.Class() == "Read":
        return int(scalar(upstream["first"].value())), int(scalar(upstream["last"].value()))
    return int(upstream.firstFrame()), int(upstream.lastFrame())


def range_unset(group: Any) -> bool:
    """True while ``inputFirst`` and ``inputLast`` are both 0 (never set)."""
    first = int(scalar(group["inputFirst"].value()))
    last = int(scalar(group["inputLast"].value()))
    return first == 0 and last == 0


def input_range(group: Any) -> tuple[int, int]:
    """``inputFirst`` / ``inputLast``, taken from upstream when both are still 0."""
    if range_unset(group):
        frames = upstream_range(group)
        if frames is not None:
            return frames
    return int(scalar(group["inputFirst"].value())), int(scalar(group["inputLast"].value()))


def _curve_key_times(knob: Any) -> list[float]:
    curve = knob.animation(0)
    if curve is None:
        return []
    return [float(key.x) for key in curve.keys()]  # noqa: SIM118 (Nuke's AnimationCurve)


def _value_at(knob: Any) -> Callable[[float], float]:
    def value_at(frame: float) -> float:
        return float(scalar(knob.getValueAt(frame)))

    return value_at


def read_settings(group: Any) -> RetimeSettings:
    """The knob values as plain values (call in Nuke's main thread)."""
    first, last = input_range(group)
    timing = group["timing2"].value()
    output_speed, input_speed = group["timingOutputSpeed"], group["timingInputSpeed"]
    output_speed_at = None
    if timing == "Output Speed" and output_speed.isAnimated():
        output_speed_at = _value_at(output_speed)  # a keyed Output Speed: a speed ramp
    input_speed_at = None
    if timing == "Input Speed" and input_speed.isAnimated():
        input_speed_at = _value_at(input_speed)
    frame_keys: tuple[tuple[int, float], ...] = ()
    if timing == "Frame":
        frame_knob = group["timingFrame2"]
        if frame_knob.isAnimated():
            outputs = frame_mode_outputs(_curve_key_times(frame_knob), first, last)
            frame_keys = tuple((f, float(scalar(frame_knob.getValueAt(f)))) for f in outputs)
        else:
            held = float(scalar(frame_knob.value()))
            frame_keys = tuple((f, held) for f in range(first, last + 1))
    return RetimeSettings(
        input_first=first,
        input_last=last,
        timing=timing,
        output_speed=float(scalar(output_speed.value())),
        output_speed_at=output_speed_at,
        input_speed=float(scalar(input_speed.value())),
        input_speed_at=input_speed_at,
        frame_keys=frame_keys,
        interpolation=group["interpolation"].value(),
        output=group["output"].value(),
        use_gpu=bool(group["useGPUIfAvailable"].value()),
        engine=group["engine"].value(),
        checkpoint=evaluated(group, "checkpoint"),
        tile_size=int(scalar(group["tileSize"].value())),
        tile_overlap=int(scalar(group["tileOverlap"].value())),
        precision=group["precision"].value(),
        centre_samples=bool(group["centreSamples"].value()),
    )
