"""Shared test set-up: offscreen Qt, CUDA skips, no leaking RNG state."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        has_cuda = False
    skip_cuda = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "needs_cuda" in item.keywords and not has_cuda:
            item.add_marker(skip_cuda)


@pytest.fixture(autouse=True)
def _keep_rng_state():
    """Tests may seed freely; the global RNG state is restored afterwards."""
    py_state = random.getstate()
    np_state = np.random.get_state()
    try:
        import torch

        torch_state = torch.random.get_rng_state()
    except ImportError:  # pragma: no cover
        torch_state = None
    yield
    random.setstate(py_state)
    np.random.set_state(np_state)
    if torch_state is not None:
        import torch

        torch.random.set_rng_state(torch_state)
