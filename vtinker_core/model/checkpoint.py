"""Loading and saving VTinker checkpoints, strictly and safely.

The official ``VTinker.pkl`` is ``torch.save`` of a DDP-wrapped model's state dict: an
``OrderedDict`` of 388 float32 tensors whose keys start with ``module.`` (MODEL.md §9.1). It is
read with ``weights_only=True`` (a checkpoint must never run code), the ``module.`` prefix is
removed only where present, and every key and shape must match — no silent partial loads::

    net, info = load_network("checkpoints/VTinker.pkl", device="cpu", dtype=torch.float32)
    info.sha256, info.parameter_count      # 'ab12…', 60644711
    info.padding_divisor(3)                # 32

``.safetensors`` files with the same keys (prefixed or not) load too.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from vtinker_core.errors import CheckpointError
from vtinker_core.model.flow import padding_divisor as _padding_divisor
from vtinker_core.model.network import VTinkerNet
from vtinker_core.model.stage1 import Stage1Net

__all__ = [
    "MODULE_PREFIX",
    "CheckpointInfo",
    "check_state_dict",
    "expected_shapes",
    "load_checkpoint",
    "load_network",
    "save_checkpoint",
    "strip_module_prefix",
]

#: Prefix DistributedDataParallel puts before every key of the official checkpoints.
MODULE_PREFIX = "module."

Architecture = Literal["vtinker", "stage1", "unknown"]

#: How many offending keys an error message lists before "… and N more".
_SHOWN = 5


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint file is and the input contract of its weights.

    Attributes:
        path: the file.
        sha256: hex SHA-256 of the file's bytes.
        parameter_count: number of scalar values in the state dict.
        architecture: ``"vtinker"`` (the full network), ``"stage1"`` (the stage-1 motion
            model) or ``"unknown"`` (neither key set matches exactly).
        input_encoding: what the network expects: ``"srgb"`` = sRGB-encoded (display) RGB in
            [0, 1], channels in R, G, B order (training used random RGB/BGR swaps, so BGR
            works too).
        padding_rule: how frames are padded before the network (see :meth:`padding_divisor`).
        padding_value: the constant padded pixels get.
        source: provenance of the weights, as far as the file tells.
    """

    path: Path
    sha256: str
    parameter_count: int
    architecture: Architecture = "vtinker"
    input_encoding: str = "srgb"
    padding_rule: str = (
        "pad right and bottom to a multiple of max(2^(depth+2), 16), depth from the unpadded "
        "size: max(H, W)/1024 >= 3 -> depth 5, skip 1; >= 1.5 -> 4, 0; else 3, 0"
    )
    padding_value: float = 0.5
    source: str = ""

    @staticmethod
    def padding_divisor(depth: int) -> int:
        """The multiple H and W are padded to for pyramid depth ``depth``."""
        return _padding_divisor(depth)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def strip_module_prefix(
    state_dict: Mapping[str, torch.Tensor], *, path: str | Path | None = None
) -> OrderedDict[str, torch.Tensor]:
    """Remove a leading ``module.`` from the keys that have one (and only from those).

    Raises:
        CheckpointError: when two keys become the same after stripping.
    """
    stripped: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, value in state_dict.items():
        new_key = key[len(MODULE_PREFIX) :] if key.startswith(MODULE_PREFIX) else key
        if new_key in stripped:
            raise CheckpointError(
                f"checkpoint {_name(path)} holds {new_key!r} both with and without the "
                f"'{MODULE_PREFIX}' prefix",
                path=path,
                unexpected=[key],
            )
        stripped[new_key] = value
    return stripped


def _name(path: str | Path | None) -> str:
    return f"'{path}'" if path is not None else "(in memory)"


def expected_shapes(
    architecture: Literal["vtinker", "stage1"] = "vtinker",
) -> dict[str, tuple[int, ...]]:
    """Key → shape of a model's state dict, in definition order (checkpoint order)."""
    return dict(_expected_shapes(architecture))


@functools.cache
def _expected_shapes(architecture: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if architecture not in ("vtinker", "stage1"):
        raise ValueError(f"architecture must be 'vtinker' or 'stage1', got {architecture!r}")
    factory: type[nn.Module] = VTinkerNet if architecture == "vtinker" else Stage1Net
    with torch.device("meta"):  # no parameter memory, no initialisation
        model = factory()
    return tuple((key, tuple(value.shape)) for key, value in model.state_dict().items())


def _listing(label: str, items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    more = f" … and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return f"{len(items)} {label} ({shown}{more})"


def check_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    expected: Mapping[str, tuple[int, ...]],
    *,
    path: str | Path | None = None,
    what: str = "VTinker",
) -> None:
    """Raise :class:`CheckpointError` unless keys and shapes match ``expected`` exactly.

    The error names the file and lists a few missing and unexpected keys and mismatched
    shapes; all of them are in its ``missing``, ``unexpected`` and ``mismatched`` attributes.
    """
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    mismatched = [
        f"{key}: {tuple(state_dict[key].shape)} in file, {tuple(shape)} expected"
        for key, shape in expected.items()
        if key in state_dict and tuple(state_dict[key].shape) != tuple(shape)
    ]
    not_float = [
        f"{key}: {value.dtype}"
        for key, value in state_dict.items()
        if key in expected and not value.is_floating_point()
    ]
    mismatched += not_float
    if not (missing or unexpected or mismatched):
        return
    parts = []
    if missing:
        parts.append(_listing("missing keys", missing))
    if unexpected:
        parts.append(_listing("unexpected keys", unexpected))
    if mismatched:
        parts.append(_listing("mismatched tensors", mismatched))
    raise CheckpointError(
        f"checkpoint {_name(path)} does not match the {what} architecture: " + "; ".join(parts),
        path=path,
        missing=missing,
        unexpected=unexpected,
        mismatched=mismatched,
    )


def _unpickler_reason(message: str) -> str:
    """The informative line of a weights-only unpickler error (torch wraps it in advice)."""
    boilerplate = ("Weights only load failed", "Please file an issue", "Check the documentation")
    for line in message.splitlines():
        line = line.strip()
        if line and not line.startswith(boilerplate):
            return line[:200]
    return "refused by the weights-only unpickler"


def _read_torch_file(path: Path, map_location: str | torch.device) -> object:
    try:
        with warnings.catch_warnings():
            # torch warns about odd pickle protocols while failing on corrupt files; the
            # failure becomes a CheckpointError, the warning is noise.
            warnings.simplefilter("ignore")
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(str(err))
        if "GLOBAL" in reason or "global" in reason:
            # weights_only allows tensors and plain containers only: a pickle naming any
            # function or class (os.system via __reduce__, ...) is refused before it can run.
            raise CheckpointError(
                f"refusing checkpoint '{path}': it references Python code or objects that a "
                f"weights-only load does not allow, so nothing in it was run ({reason})",
                path=path,
            ) from err
        raise CheckpointError(
            f"checkpoint '{path}' is corrupt or not a PyTorch weights file ({reason})",
            path=path,
        ) from err
    except (EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(
            f"checkpoint '{path}' is truncated or not a PyTorch file ({err})", path=path
        ) from err
    except Exception as err:  # torch reports corrupt archives as RuntimeError, OSError, …
        text = str(err).strip()
        first_line = text.splitlines()[0] if text else type(err).__name__
        raise CheckpointError(
            f"checkpoint '{path}' is unreadable (corrupt, truncated or not a PyTorch file): "
            f"{first_line}",
            path=path,
        ) from err


def _read_safetensors(path: Path, map_location: str | torch.device) -> object:
    from safetensors.torch import load as load_safetensors

    try:
        data = path.read_bytes()
        tensors = load_safetensors(data)
    except Exception as err:  # SafetensorError is not importable by a stable name
        raise CheckpointError(
            f"checkpoint '{path}' is not a readable safetensors file: {err}", path=path
        ) from err
    return OrderedDict((key, value.to(map_location)) for key, value in tensors.items())


def _expected_keys(architecture: str) -> list[str]:
    return [key for key, _ in _expected_shapes(architecture)]


def _architecture_of(state: Mapping[str, torch.Tensor]) -> Architecture:
    keys = set(state)
    if keys == set(_expected_keys("vtinker")):
        return "vtinker"
    if keys == set(_expected_keys("stage1")):
        return "stage1"
    return "unknown"


def load_checkpoint(
    path: str | Path, *, map_location: str | torch.device = "cpu"
) -> tuple[OrderedDict[str, torch.Tensor], CheckpointInfo]:
    """Read a checkpoint file into a state dict with the ``module.`` prefix removed.

    Nothing is checked against an architecture here except that the file holds a mapping of
    names to tensors (see :func:`load_network` for the strict load).

    Args:
        path: a ``torch.save`` file (``.pkl``, ``.pth``, ``.pt``) or ``.safetensors``.
        map_location: device the tensors are loaded onto.

    Returns:
        ``(state_dict, info)``.

    Raises:
        CheckpointError: the file is missing, empty, truncated, corrupt, carries code, or does
            not hold a state dict.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint '{path}' does not exist", path=path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' is not a file", path=path)
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint '{path}' is empty (0 bytes)", path=path)
    try:
        sha256 = _file_sha256(path)
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint '{path}': {err}", path=path) from err

    if path.suffix.lower() == ".safetensors":
        loaded = _read_safetensors(path, map_location)
    else:
        loaded = _read_torch_file(path, map_location)

    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]  # a common training wrapper; the official file is flat
    if not isinstance(loaded, Mapping) or not loaded:
        raise CheckpointError(
            f"checkpoint '{path}' does not hold a state dict (found {type(loaded).__name__})",
            path=path,
        )
    bad = [
        str(key)
        for key, value in loaded.items()
        if not isinstance(key, str) or not isinstance(value, torch.Tensor)
    ]
    if bad:
        listing = _listing("entries that are not name → tensor", bad)
        raise CheckpointError(
            f"checkpoint '{path}' is not a plain state dict: {listing}",
            path=path,
            unexpected=bad,
        )
    had_prefix = any(key.startswith(MODULE_PREFIX) for key in loaded)
    state = strip_module_prefix(loaded, path=path)
    architecture = _architecture_of(state)
    if architecture != "unknown":  # canonical order (safetensors files store keys sorted)
        state = OrderedDict((key, state[key]) for key in _expected_keys(architecture))
    layout = f"'{MODULE_PREFIX}' prefix" if had_prefix else "no prefix"
    info = CheckpointInfo(
        path=path,
        sha256=sha256,
        parameter_count=sum(value.numel() for value in state.values()),
        architecture=architecture,
        source=(
            f"{path.name}: {len(state)} tensors, {layout}, architecture {architecture}; "
            "weights of unverified origin (compare sha256 with the published checkpoint)"
        ),
    )
    return state, info


def load_network(
    path: str | Path,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[VTinkerNet, CheckpointInfo]:
    """Build :class:`VTinkerNet` from a checkpoint, strictly, in eval mode.

    Args:
        path: checkpoint file (official layout, see the module docstring).
        device: where the network runs.
        dtype: parameter dtype (float32; float16/bfloat16 where the device supports them).

    Returns:
        ``(network, info)``.

    Raises:
        CheckpointError: unreadable or unsafe file, or keys/shapes that do not match exactly.
    """
    state, info = load_checkpoint(path, map_location="cpu")
    check_state_dict(state, expected_shapes("vtinker"), path=info.path)
    with torch.device("meta"):
        net = VTinkerNet()
    # assign=True adopts the loaded tensors instead of initialising 60M parameters first.
    net.load_state_dict(state, strict=True, assign=True)
    net = net.to(device=device, dtype=dtype).eval()
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    return net, info


def save_checkpoint(
    state_dict: Mapping[str, torch.Tensor],
    path: str | Path,
    *,
    prefix: str = MODULE_PREFIX,
) -> Path:
    """Write a state dict in the official layout: an OrderedDict with ``module.`` keys.

    Tensors are saved from CPU, contiguous. ``.safetensors`` paths are written with
    safetensors (same keys). The file is written to a temporary name and renamed, so an
    interrupted save never leaves a partial checkpoint under ``path``.

    Args:
        state_dict: key → tensor, without a prefix (e.g. ``VTinkerNet().state_dict()``).
        path: destination file.
        prefix: prefix put before every key (``""`` for a plain state dict).

    Returns:
        ``path`` as a :class:`Path`.
    """
    path = Path(path)
    out: OrderedDict[str, torch.Tensor] = OrderedDict(
        (prefix + key, value.detach().to("cpu").contiguous()) for key, value in state_dict.items()
    )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import save as save_safetensors

            tmp.write_bytes(save_safetensors(dict(out)))
        else:
            torch.save(out, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
