"""Shared helpers for the model tests: the official state-dict spec and synthetic checkpoints.

Checkpoints are generated from ``tests/data/vtinker_state_dict.json`` (not from our own
modules), so a test that loads them checks our module tree against the official key list.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from functools import cache
from pathlib import Path

import pytest
import torch

# A copy of shared/design/vtinker_state_dict.json (every key and shape of the official
# checkpoints) lives beside the tests, so checkpoint tests never depend on the design folder.
SPEC_PATH = Path(__file__).resolve().parent / "data" / "vtinker_state_dict.json"

VTINKER_SECTION = "vtinker_modelVFI"
STAGE1_SECTION = "stage1_UPR_ReDesign_Model"


@pytest.fixture
def single_torch_thread():
    """Run a test with one torch thread (the CI machines are small and shared), then restore."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@cache
def load_spec() -> dict:
    """The parsed JSON spec of the official checkpoints."""
    return json.loads(SPEC_PATH.read_text())


def spec_entries(section: str = VTINKER_SECTION) -> list[tuple[str, tuple[int, ...], str]]:
    """(key, shape, dtype) of every state-dict entry, in the official order."""
    return [(e["key"], tuple(e["shape"]), e["dtype"]) for e in load_spec()[section]["keys"]]


def random_state_dict(
    section: str = VTINKER_SECTION, *, seed: int = 0
) -> OrderedDict[str, torch.Tensor]:
    """Well-scaled random weights for every key of the spec (no prefix).

    Convolution weights and biases are uniform in ±1/sqrt(fan_in) (PyTorch's default scale),
    GroupNorm weights near 1 and biases near 0, PReLU slopes 0.25.
    """
    generator = torch.Generator().manual_seed(seed)
    entries = spec_entries(section)
    shapes = {key: shape for key, shape, _ in entries}
    state: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, shape, dtype in entries:
        assert dtype == "float32"
        if key.endswith("gn.weight"):
            value = 1.0 + 0.1 * (torch.rand(shape, generator=generator) - 0.5)
        elif key.endswith("gn.bias"):
            value = 0.1 * (torch.rand(shape, generator=generator) - 0.5)
        elif len(shape) == 1 and key.endswith(".weight"):  # PReLU slopes (stage 1)
            value = torch.full(shape, 0.25)
        else:
            weight_shape = shapes[key[: -len("bias")] + "weight"] if key.endswith("bias") else shape
            fan_in = weight_shape[1] * math.prod(weight_shape[2:])
            bound = 1.0 / math.sqrt(fan_in)
            value = (torch.rand(shape, generator=generator) * 2 - 1) * bound
        state[key] = value.float()
    return state


def official_layout(state: OrderedDict[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    """The keys as the official DDP checkpoints store them (``module.`` prefix)."""
    return OrderedDict(("module." + key, value) for key, value in state.items())


def save_official_checkpoint(path: Path, *, seed: int = 0) -> Path:
    """Write a random-weight VTinker checkpoint exactly like the official ``VTinker.pkl``."""
    torch.save(official_layout(random_state_dict(seed=seed)), path)
    return path
