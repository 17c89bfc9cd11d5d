"""Engines by name, and how ``auto`` chooses one.

Example::

    from vtinker_core.engines import create_engine, engine_names
    engine_names()                     # ('auto', 'vtinker', 'classical', 'blend', 'nearest')
    engine = create_engine("blend")
    engine = create_engine("auto")     # the network if a checkpoint is found, else classical

The ``vtinker`` and ``classical`` engines are imported only when asked for, so importing this
package stays cheap (no torch).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtinker_core.engines.base import Engine, FramePair, Motion, Region
from vtinker_core.errors import EngineError

__all__ = [
    "Engine",
    "EngineChoice",
    "FramePair",
    "Motion",
    "Region",
    "choose_engine",
    "create_engine",
    "engine_class",
    "engine_names",
    "find_checkpoint",
]

# name -> (module, class); modules are imported on first use.
_REGISTRY: dict[str, tuple[str, str]] = {
    "vtinker": ("vtinker_core.engines.vtinker", "VTinkerEngine"),
    "classical": ("vtinker_core.engines.classical", "ClassicalEngine"),
    "blend": ("vtinker_core.engines.simple", "BlendEngine"),
    "nearest": ("vtinker_core.engines.simple", "NearestEngine"),
}

CHECKPOINT_ENV = "VTINKER_CHECKPOINT"
CHECKPOINT_NAMES = ("VTinker.pkl", "VTinker.safetensors", "vtinker.pkl", "vtinker.safetensors")


def engine_names() -> tuple[str, ...]:
    """Every name ``create_engine`` accepts, ``auto`` first."""
    return ("auto", *_REGISTRY)


def user_cache_dir() -> Path:
    """Where ``vtinker-install checkpoint`` puts weights: ``$XDG_CACHE_HOME/vtinker`` or the
    platform's equivalent."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "vtinker"


def find_checkpoint(explicit: str | Path | None = None) -> Path | None:
    """The checkpoint ``auto`` would use: explicit path, ``$VTINKER_CHECKPOINT``, the cache.

    An explicit path or environment value that names no file is an error, not a fallback: the
    user asked for it.
    """
    for value, origin in (
        (explicit, "--checkpoint"),
        (os.environ.get(CHECKPOINT_ENV), CHECKPOINT_ENV),
    ):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise EngineError(
                    f"checkpoint '{path}' (from {origin}) does not exist or is not a file",
                    path=path,
                    setting="engine.checkpoint",
                )
            return path
    cache = user_cache_dir()
    for name in CHECKPOINT_NAMES:
        if (cache / name).is_file():
            return cache / name
    return None


@dataclass(frozen=True)
class EngineChoice:
    """What ``auto`` (or an explicit name) resolved to, and why."""

    name: str
    checkpoint: Path | None
    reason: str

    @property
    def summary(self) -> str:
        """One line for people: ``classical (auto: no VTinker checkpoint found ...)``."""
        return f"{self.name} ({self.reason})"


def choose_engine(name: str, checkpoint: str | Path | None = None) -> EngineChoice:
    """Resolve ``name`` (``auto`` included) to a concrete engine, saying why."""
    if name not in engine_names():
        raise EngineError(
            f"unknown engine '{name}'; choose one of {', '.join(engine_names())}",
            setting="engine.name",
        )
    if name == "auto":
        found = find_checkpoint(checkpoint)
        if found is not None:
            return EngineChoice("vtinker", found, f"auto: the VTinker checkpoint {found} was found")
        return EngineChoice(
            "classical",
            None,
            "auto: no VTinker checkpoint found (--checkpoint, $VTINKER_CHECKPOINT, "
            f"{user_cache_dir()}), so the weight-free engine runs",
        )
    if name == "vtinker":
        found = find_checkpoint(checkpoint)
        if found is None:
            raise EngineError(
                "the vtinker engine needs a checkpoint: pass --checkpoint VTinker.pkl, set "
                f"${CHECKPOINT_ENV}, or run 'vtinker-install checkpoint FILE'",
                setting="engine.checkpoint",
            )
        return EngineChoice("vtinker", found, f"asked for, with the checkpoint {found}")
    return EngineChoice(name, None, "asked for")


def engine_class(name: str) -> type[Engine]:
    """The class of a concrete engine (its facts: memory per pixel, tile alignment, name).

    Raises:
        EngineError: unknown name, or the engine's module cannot be imported.
    """
    if name not in _REGISTRY:
        raise EngineError(
            f"unknown engine '{name}'; choose one of {', '.join(_REGISTRY)}", setting="engine.name"
        )
    module_name, class_name = _REGISTRY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise EngineError(f"the {name} engine is not available: {err}") from err
    cls: type[Engine] = getattr(module, class_name)
    return cls


def create_engine(name: str, checkpoint: str | Path | None = None, **options: Any) -> Engine:
    """An engine instance by name (``auto`` resolves first); options go to its constructor."""
    choice = choose_engine(name, checkpoint)
    cls = engine_class(choice.name)
    if choice.checkpoint is not None:
        return cls(choice.checkpoint, **options)  # type: ignore[call-arg]
    return cls(**options)
