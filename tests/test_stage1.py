"""The stage-1 model (MODEL.md §10.1): documented shapes, layout, gradients, flowgen hand-off."""

from __future__ import annotations

import pytest
import torch

from vtinker_core.model.checkpoint import expected_shapes
from vtinker_core.model.network import VTinkerNet
from vtinker_core.model.ops import softsplat_average
from vtinker_core.model.stage1 import Stage1Net


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _pair(n: int, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.rand(n, 3, h, w), torch.rand(n, 3, h, w)


def test_forward_returns_the_documented_shapes() -> None:
    torch.manual_seed(1)
    model = Stage1Net()
    img0, img1 = _pair(2, 32, 48)
    with torch.no_grad():
        interp, bi_flow, extras = model(img0, img1, 0.5)
    assert interp.shape == (2, 3, 32, 48)
    assert bi_flow.shape == (2, 4, 32, 48)
    assert float(interp.min()) >= 0.0 and float(interp.max()) <= 1.0  # clamped, as upstream
    assert [t.shape for t in extras["interp_imgs"]] == [
        (2, 3, 8, 12),
        (2, 3, 16, 24),
        (2, 3, 32, 48),
    ]
    assert [t.shape for t in extras["bi_flows"]] == [(2, 4, 8, 12), (2, 4, 16, 24), (2, 4, 32, 48)]
    assert torch.equal(extras["interp_imgs"][-1], interp)
    assert torch.equal(extras["bi_flows"][-1], bi_flow)


def test_sizes_must_be_multiples_of_the_divisor() -> None:
    model = Stage1Net()
    assert model.size_divisor() == 16
    img0, img1 = _pair(1, 24, 32)
    with pytest.raises(ValueError, match="multiples of 16"):
        model(img0, img1, 0.5)
    with pytest.raises(ValueError, match="N×3×H×W"):
        model(img0, img1[:, :, :16], 0.5)


def test_state_dict_is_the_stage1_checkpoint_layout() -> None:
    with torch.device("meta"):
        model = Stage1Net()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == expected_shapes("stage1")
    assert len(shapes) == 80


def test_every_parameter_gets_a_gradient() -> None:
    # DDP in stage 1 runs with find_unused_parameters=False, as upstream: all are used.
    torch.manual_seed(2)
    model = Stage1Net()
    img0, img1 = _pair(1, 32, 32)
    interp, bi_flow, _ = model(img0, img1, 0.5)
    (interp.mean() + bi_flow.mean()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert missing == []


def test_identical_frames_with_zero_flow_give_the_frame() -> None:
    # Zero motion: every splat is the identity, so the merged image is the frame itself and
    # only the residual (2·sigmoid − 1) can move it. Zeroing the prediction head checks the
    # merge arithmetic (masks 0.5, residual 0).
    model = Stage1Net()
    with torch.no_grad():
        model.motion_estimator.conv_layer6[0].weight.zero_()
        model.motion_estimator.conv_layer6[0].bias.zero_()
        model.synthesis_network.pred.weight.zero_()
        model.synthesis_network.pred.bias.zero_()
        frame = torch.rand(1, 3, 32, 32)
        interp, bi_flow, _ = model(frame, frame, 0.5)
    assert torch.count_nonzero(bi_flow) == 0
    assert torch.allclose(interp, frame, atol=1e-6)
    assert torch.equal(softsplat_average(frame, torch.zeros(1, 2, 32, 32)), frame)


def test_flowgen_weights_load_into_vtinker_strictly() -> None:
    torch.manual_seed(3)
    stage1 = Stage1Net()
    net = VTinkerNet()
    result = net.flowgen.load_state_dict(stage1.flowgen_state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for key, value in stage1.flowgen_state_dict().items():
        assert torch.equal(net.flowgen.state_dict()[key], value)
