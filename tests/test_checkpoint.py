"""Checkpoint loading: official layout, strictness, and files that must be refused."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from model_helpers import (
    STAGE1_SECTION,
    official_layout,
    random_state_dict,
    save_official_checkpoint,
    single_torch_thread,  # noqa: F401  (fixture)
    spec_entries,
)

from vtinker_core.errors import CheckpointError
from vtinker_core.model.checkpoint import (
    check_state_dict,
    expected_shapes,
    load_checkpoint,
    load_network,
    save_checkpoint,
)

pytestmark = pytest.mark.usefixtures("single_torch_thread")

PARAMETERS = 60_644_711


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight checkpoint written exactly like upstream's VTinker.pkl."""
    return save_official_checkpoint(tmp_path_factory.mktemp("ckpt") / "VTinker.pkl", seed=3)


def _skeleton(section: str = "vtinker_modelVFI") -> OrderedDict[str, torch.Tensor]:
    """Every key with a correctly shaped but storage-free tensor: tiny files for error tests."""
    return OrderedDict(
        (key, torch.zeros(1).expand(shape)) for key, shape, _ in spec_entries(section)
    )


def _write(path: Path, state: OrderedDict[str, torch.Tensor]) -> Path:
    torch.save(official_layout(state), path)
    return path


# --- good files -------------------------------------------------------------------------------


def test_official_layout_loads_strictly(official: Path) -> None:
    net, info = load_network(official, device="cpu", dtype=torch.float32)
    expected = random_state_dict(seed=3)
    got = net.state_dict()
    assert list(got) == list(expected)
    assert all(torch.equal(got[k], expected[k]) for k in expected)
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert info.path == official
    assert info.sha256 == hashlib.sha256(official.read_bytes()).hexdigest()
    assert info.parameter_count == PARAMETERS
    assert info.architecture == "vtinker"
    assert info.input_encoding == "srgb"
    assert info.padding_value == 0.5
    assert [info.padding_divisor(d) for d in (3, 4, 5)] == [32, 64, 128]
    assert "module." in info.source


def test_save_checkpoint_round_trip_in_official_layout(official: Path, tmp_path: Path) -> None:
    state, _ = load_checkpoint(official)
    out = save_checkpoint(state, tmp_path / "copy.pkl")
    raw = torch.load(out, weights_only=True)
    assert isinstance(raw, OrderedDict)
    assert list(raw) == ["module." + key for key in state]
    again, info = load_checkpoint(out)
    assert list(again) == list(state) and all(torch.equal(again[k], state[k]) for k in state)
    assert info.parameter_count == PARAMETERS
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


@pytest.mark.parametrize("prefix", ["module.", ""])
def test_safetensors_and_unprefixed_files(tmp_path: Path, prefix: str) -> None:
    state = random_state_dict(STAGE1_SECTION, seed=1)
    for name in ("stage1.safetensors", "stage1.pth"):
        path = save_checkpoint(state, tmp_path / name, prefix=prefix)
        loaded, info = load_checkpoint(path)
        assert list(loaded) == list(state)
        assert all(torch.equal(loaded[k], state[k]) for k in state)
        assert info.architecture == "stage1"


# --- strictness -------------------------------------------------------------------------------


def test_renamed_key_names_both_sides(tmp_path: Path) -> None:
    state = _skeleton()
    state["main_model.mid_net.Dfinal.2.weightt"] = state.pop("main_model.mid_net.Dfinal.2.weight")
    path = _write(tmp_path / "renamed.pkl", state)
    with pytest.raises(CheckpointError) as info:
        load_network(path)
    err = info.value
    assert err.path == path and str(path) in str(err)
    assert err.missing == ("main_model.mid_net.Dfinal.2.weight",)
    assert err.unexpected == ("main_model.mid_net.Dfinal.2.weightt",)
    assert "Dfinal.2.weightt" in str(err) and "missing" in str(err)


def test_changed_shape_is_reported(tmp_path: Path) -> None:
    state = _skeleton()
    state["up_sample.final.weight"] = torch.zeros(1).expand(3, 32, 1, 1)
    path = _write(tmp_path / "shape.pkl", state)
    with pytest.raises(CheckpointError, match=r"up_sample\.final\.weight: \(3, 32, 1, 1\)") as info:
        load_network(path)
    assert len(info.value.mismatched) == 1 and not info.value.missing


def test_missing_key_is_reported(tmp_path: Path) -> None:
    state = _skeleton()
    del state["flowgen.motion_estimator.conv_layer6.0.bias"]
    path = _write(tmp_path / "missing.pkl", state)
    with pytest.raises(CheckpointError, match="1 missing keys") as info:
        load_network(path)
    assert info.value.missing == ("flowgen.motion_estimator.conv_layer6.0.bias",)


def test_wrong_architecture_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "UPR_ReDesgin.pkl", _skeleton(STAGE1_SECTION))
    _, info = load_checkpoint(path)
    assert info.architecture == "stage1"
    with pytest.raises(CheckpointError, match="does not match the VTinker") as err:
        load_network(path)
    assert len(err.value.missing) == 388 and "… and" in str(err.value)


def test_check_state_dict_lists_a_few_and_keeps_all() -> None:
    expected = expected_shapes("vtinker")
    with pytest.raises(CheckpointError) as info:
        check_state_dict({}, expected)
    assert len(info.value.missing) == 388
    assert str(info.value).count("flowgen.") <= 5


def test_duplicate_keys_after_prefix_strip(tmp_path: Path) -> None:
    path = tmp_path / "dup.pkl"
    torch.save({"module.a": torch.zeros(1), "a": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="with and without"):
        load_checkpoint(path)


# --- files that must be refused ---------------------------------------------------------------


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pkl")
    (tmp_path / "empty.pkl").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(tmp_path / "empty.pkl")
    with pytest.raises(CheckpointError, match="not a file"):
        load_checkpoint(tmp_path)


def test_truncated_and_corrupt_files(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.pkl", _skeleton(STAGE1_SECTION))
    data = good.read_bytes()
    cases = {
        "truncated.pkl": data[: len(data) // 2],
        "corrupt_header.pkl": os.urandom(64) + data[64:],
        "random.pkl": os.urandom(4096),
        "text.pkl": b"this is not a checkpoint\n",
        "random.safetensors": os.urandom(256),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        assert info.value.path == path, name
        assert str(path) in str(info.value), name


def test_not_a_state_dict(tmp_path: Path) -> None:
    path = tmp_path / "list.pkl"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="does not hold a state dict"):
        load_checkpoint(path)
    path = tmp_path / "mixed.pkl"
    torch.save({"a": torch.zeros(1), "b": 3}, path)
    with pytest.raises(CheckpointError, match="not a plain state dict"):
        load_checkpoint(path)


class _RunsCode:
    """Unpickling this object would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL, "torch"])
def test_pickle_carrying_code_is_refused_and_not_run(tmp_path: Path, protocol) -> None:
    marker = tmp_path / "it_ran"
    path = tmp_path / "evil.pkl"
    payload = {"module.flowgen.x": _RunsCode(marker)}
    if protocol == "torch":
        torch.save(payload, path)  # zip container, code inside data.pkl
    else:
        path.write_bytes(pickle.dumps(payload, protocol=protocol))
    with pytest.raises(CheckpointError, match=r"evil\.pkl") as info:
        load_checkpoint(path)
    assert not marker.exists()
    if protocol != pickle.HIGHEST_PROTOCOL:  # protocol 5 fails earlier, on its framing opcode
        assert "refusing" in str(info.value) and "system" in str(info.value)
