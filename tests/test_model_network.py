"""The VTinker network: state-dict layout, shapes (MODEL.md §8.1), texture mapping, inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from model_helpers import (
    STAGE1_SECTION,
    VTINKER_SECTION,
    load_spec,
    random_state_dict,
    single_torch_thread,  # noqa: F401  (fixture)
    spec_entries,
)

from vtinker_core.model.blocks import OutputConv, UpSampleBlock
from vtinker_core.model.flow import GuidedFlowUpsampler, padding_divisor
from vtinker_core.model.inference import Interpolator
from vtinker_core.model.network import VTinkerNet, select_depth_skip
from vtinker_core.model.ops import backward_warp, softsplat_average
from vtinker_core.model.stage1 import Stage1Net
from vtinker_core.model.texture import map_texture

pytestmark = pytest.mark.usefixtures("single_torch_thread")

# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "factory"), [(VTINKER_SECTION, VTinkerNet), (STAGE1_SECTION, Stage1Net)]
)
def test_state_dict_matches_official_keys_shapes_dtypes(section: str, factory: type) -> None:
    with torch.device("meta"):
        model = factory()
    ours = [
        (k, tuple(v.shape), str(v.dtype).removeprefix("torch."))
        for k, v in model.state_dict().items()
    ]
    assert ours == spec_entries(section)  # same keys, shapes, dtypes and order
    assert list(model.buffers()) == []
    spec = load_spec()[section]
    assert sum(v.numel() for v in model.state_dict().values()) == spec["total_params"]
    for name, count in spec["params_per_second_level"].items():
        module = model.get_submodule(name)
        assert sum(p.numel() for p in module.parameters()) == count, name


def test_random_official_weights_load_strictly() -> None:
    with torch.device("meta"):
        net = VTinkerNet()
    result = net.load_state_dict(random_state_dict(), strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys


# --- shapes (meta device: no memory, no arithmetic) ------------------------------------------


def _meta_shapes(height: int, width: int, depth: int, skip: int) -> dict[str, list[tuple]]:
    with torch.device("meta"):
        net = VTinkerNet().eval()
    shapes: dict[str, list[tuple]] = {}

    def record(name: str):
        def hook(module, inputs, output) -> None:
            outs = output if isinstance(output, (tuple, list)) else (output,)
            shapes.setdefault(name, []).append(tuple(tuple(o.shape) for o in outs))

        return hook

    for name, module in net.named_modules():
        if name:
            module.register_forward_hook(record(name))
    img = torch.empty(1, 3, height, width, device="meta")
    out = net.inference(img, img, 0.5, depth, skip)
    shapes["out"] = [(tuple(out.shape),)]
    return shapes


def test_stage_shapes_at_480x864_match_model_md() -> None:
    h, w = 480, 864
    s = _meta_shapes(h, w, 3, 0)
    me = s["flowgen.motion_estimator"]
    # Levels rate 3..0: ME on C2 at H/32 .. H/4, batch-stacked branches (2N).
    assert [o[0] for o in me] == [(2, 2, h // d, w // d) for d in (32, 16, 8, 4)]
    assert [o[1] for o in me] == [(2, 64, h // d, w // d) for d in (32, 16, 8, 4)]
    # GFU after each level (H/16 .. H/2) and once more at full resolution.
    assert [o[0] for o in s["up_sample"]] == [(2, 2, h // d, w // d) for d in (16, 8, 4, 2, 1)]
    assert s["flowgen.feat_pyramid.conv_stage2"][0] == ((2, 64, h // 32, w // 32),)
    half, quarter = (h // 2, w // 2), (h // 4, w // 4)
    assert s["main_model.Ehead_img"] == [((1, 128, *half),)] * 2  # V0, V1
    assert s["main_model.Ehead_warp"] == [((1, 128, *half),)]  # wf
    assert s["main_model.lite_net"] == [((1, 128, *quarter),)] * 3  # K0, K1, Q
    assert s["main_model.merge_feat"] == [((1, 128, *half),)]
    mid = {
        k.removeprefix("main_model.mid_net."): v[0][0]
        for k, v in s.items()
        if k.count(".") == 2 and k.startswith("main_model.mid_net.")
    }
    assert mid["Elayer1"] == (1, 128, h // 4, w // 4)
    assert mid["Elayer2"] == (1, 256, h // 8, w // 8)
    assert mid["Elayer3"] == (1, 256, h // 16, w // 16)
    assert mid["Dlayer0"] == (1, 512, h // 16, w // 16)
    assert mid["Dlayer4"] == (1, 128, h, w)
    assert s["out"] == [((1, 3, h, w),)]


def test_depth5_skip1_shapes() -> None:
    # 4K rule (D=5, S=1) on a small frame: ME levels H/128 .. H/8, no full-resolution ME.
    h, w = 256, 384
    s = _meta_shapes(h, w, 5, 1)
    assert [o[0][2:] for o in s["flowgen.motion_estimator"]] == [
        (h // d, w // d) for d in (128, 64, 32, 16, 8)
    ]
    assert s["up_sample"][-1][0] == (2, 2, h, w)
    assert s["up_sample"][-2][0] == (2, 2, h // 4, w // 4)
    assert s["out"] == [((1, 3, h, w),)]


def test_resolution_rule_and_divisor() -> None:
    assert select_depth_skip(480, 854) == (3, 0)
    assert select_depth_skip(1080, 1920) == (4, 0)
    assert select_depth_skip(2160, 4096) == (5, 1)
    assert select_depth_skip(1536, 10) == (4, 0)
    assert [padding_divisor(d) for d in (2, 3, 4, 5)] == [16, 32, 64, 128]


def test_bad_sizes_are_rejected_with_shapes() -> None:
    net = VTinkerNet()
    img = torch.zeros(1, 3, 48, 64)
    with pytest.raises(ValueError, match="multiples of 32"):
        net.estimate_flow(img, img, 3, 0)
    with pytest.raises(ValueError, match="skip"):
        net.estimate_flow(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), 3, 4)
    with pytest.raises(ValueError, match="N×3×H×W"):
        net.estimate_flow(img, torch.zeros(1, 3, 64, 64), 2, 0)


# --- texture mapping against upstream's formulation ------------------------------------------


def _texture_reference(v0, v1, flow, q, k0, k1):
    """MODEL.md §7.5-7.6 step by step: unfold / nearest warp / fold / padded block gather."""
    n, c, h2, w2 = v0.shape
    fh = F.interpolate(flow, scale_factor=0.5, mode="bilinear", align_corners=False) / 2
    stacked = torch.cat([fh[:, 0:2], fh[:, 2:4]], dim=0)
    back = -softsplat_average(stacked, stacked)
    f0 = F.interpolate(back[:n], scale_factor=0.5, mode="nearest") * 0.5
    f1 = F.interpolate(back[n:], scale_factor=0.5, mode="nearest") * 0.5

    def block_warp(v, f):
        patches = F.unfold(v, 2, stride=1).view(n, c * 4, h2 - 1, w2 - 1)
        warped = backward_warp(patches, f, "nearest")
        return F.fold(warped.view(n, c * 4, -1), (h2, w2), 2, stride=2)

    v0w, v1w = block_warp(v0, f0), block_warp(v1, f1)
    k0w, k1w = backward_warp(k0, f0, "nearest"), backward_warp(k1, f1, "nearest")
    nh, nw = h2 // 4, w2 // 4

    def descriptor(x):
        blocks = F.normalize(F.unfold(x, 2, stride=2), dim=1)
        return blocks.view(n, c, 4, -1).mean(2)

    qd = descriptor(q)
    keys = F.pad(
        torch.cat([descriptor(k0w).view(n, c, nh, nw), descriptor(k1w).view(n, c, nh, nw)], 1),
        (1, 1, 1, 1),
    )
    values = torch.cat([v0w, v1w], 1)
    vblocks = F.pad(F.unfold(values, 4, stride=4).view(n, 2 * c * 16, nh, nw), (1, 1, 1, 1))
    out = torch.zeros(n, c * 16, nh * nw, dtype=v0.dtype)
    for b in range(n):
        for i in range(nh):
            for j in range(nw):
                scores = []
                for m in range(18):
                    f, ky, kx = m // 9, (m % 9) // 3, m % 3
                    scores.append(
                        float(
                            (
                                keys[b, f * c : (f + 1) * c, i + ky, j + kx] * qd[b, :, i * nw + j]
                            ).sum()
                        )
                    )
                m = int(np.argmax(scores))  # first maximum
                f, ky, kx = m // 9, (m % 9) // 3, m % 3
                out[b, :, i * nw + j] = vblocks[b, f * c * 16 : (f + 1) * c * 16, i + ky, j + kx]
    return F.fold(out, (h2, w2), 4, stride=4)


def _texture_inputs(
    seed: int, n: int = 1, c: int = 4, h: int = 32, w: int = 48, spread: float = 6.0
):
    g = torch.Generator().manual_seed(seed)
    v0 = torch.randn(n, c, h // 2, w // 2, generator=g, dtype=torch.float64)
    v1 = torch.randn(n, c, h // 2, w // 2, generator=g, dtype=torch.float64)
    flow = (torch.rand(n, 4, h, w, generator=g, dtype=torch.float64) * 2 - 1) * spread
    q, k0, k1 = (
        torch.randn(n, c, h // 4, w // 4, generator=g, dtype=torch.float64) for _ in range(3)
    )
    return v0, v1, flow, q, k0, k1


@pytest.mark.parametrize("seed", [0, 1])
def test_texture_mapping_equals_upstream_formulation(seed: int) -> None:
    inputs = _texture_inputs(seed, n=2 if seed else 1)
    assert torch.equal(map_texture(*inputs), _texture_reference(*inputs))


def test_texture_ties_and_zero_padded_candidates() -> None:
    v0, v1, flow, q, k0, k1 = _texture_inputs(3, spread=0.0)
    q = torch.ones_like(q)
    k0 = -torch.ones_like(k0)
    k1 = -torch.ones_like(k1)  # every real candidate scores < 0, padded ones score exactly 0
    out = map_texture(v0, v1, torch.zeros_like(flow), q, k0, k1)
    assert torch.equal(out, _texture_reference(v0, v1, torch.zeros_like(flow), q, k0, k1))
    # Border blocks pick a zero-padded candidate; interior blocks tie and take candidate 0,
    # the block up-left in frame 0.
    assert torch.all(out[:, :, :4] == 0) and torch.all(out[:, :, -4:] == 0)
    assert torch.equal(out[:, :, 4:8, 4:8], v0[:, :, 0:4, 0:4])


# --- flow stage --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def net() -> VTinkerNet:
    model = VTinkerNet()
    model.load_state_dict(random_state_dict(seed=1))
    return model.eval()


def _pair(h: int, w: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 3, h, w, generator=g)
    return base, torch.roll(base, shifts=(1, 2), dims=(2, 3)) * 0.9 + 0.05


def test_flow_branches_swap_with_the_frames(net: VTinkerNet) -> None:
    img0, img1 = _pair(64, 64)
    with torch.inference_mode():
        flow = net.estimate_flow(img0, img1, 3, 0)
        swapped = net.estimate_flow(img1, img0, 3, 0)
    assert flow.shape == (2, 2, 64, 64)
    torch.testing.assert_close(swapped, torch.cat([flow[1:], flow[:1]]), rtol=1e-5, atol=1e-5)


def test_gfu_bands_equal_the_whole(net: VTinkerNet) -> None:
    gfu: GuidedFlowUpsampler = net.up_sample
    g = torch.Generator().manual_seed(5)
    flow = torch.randn(2, 2, 150, 8, generator=g)
    guide = torch.rand(2, 3, 150, 8, generator=g)
    original = gfu.chunk_pixels
    with torch.inference_mode():
        gfu.chunk_pixels = 0
        whole = gfu(flow, guide)
        gfu.chunk_pixels = 8 * 16  # bands of 64 rows (the minimum) + 4-row halos
        try:
            banded = gfu(flow, guide)
        finally:
            gfu.chunk_pixels = original
    torch.testing.assert_close(banded, whole, rtol=1e-5, atol=1e-6)


def test_phase_decomposed_upsampling_equals_upsample_then_conv() -> None:
    torch.manual_seed(0)
    plain = UpSampleBlock(32)
    phased = UpSampleBlock(32, phase_decomposed=True)
    phased.load_state_dict(plain.state_dict())
    x = torch.randn(2, 32, 5, 7)
    with torch.inference_mode():
        torch.testing.assert_close(phased(x), plain(x), rtol=1e-5, atol=1e-5)
    # Under autograd the plain path runs (training stays upstream's computation).
    assert torch.equal(phased(x), plain(x))


def test_output_conv_by_taps_equals_the_plain_convolution() -> None:
    torch.manual_seed(0)
    layer = OutputConv(64, 3)
    x = torch.randn(2, 64, 9, 13)  # borders on every side
    plain = F.conv2d(x, layer.weight, layer.bias, padding=1)
    with torch.inference_mode():
        torch.testing.assert_close(layer(x), plain, rtol=1e-5, atol=1e-5)
    assert torch.equal(layer(x), plain)  # under autograd: the plain path


# --- inference -------------------------------------------------------------------------------


def test_multi_t_equals_per_t_and_upstream_inference(net: VTinkerNet) -> None:
    img0, img1 = _pair(64, 64, seed=2)
    interp = Interpolator(net)
    times = [0.25, 0.5]
    together = interp.interpolate(img0, img1, times)
    for t, out in zip(times, together, strict=True):
        alone = interp.interpolate(img0, img1, [t])[0]
        assert torch.equal(out, alone)
        upstream = net.inference(img0, img1, t, 3, 0)  # the network called like upstream
        torch.testing.assert_close(out, upstream, rtol=0, atol=1e-6)


def test_odd_size_is_padded_and_cropped_back(net: VTinkerNet) -> None:
    img0, img1 = _pair(67, 91, seed=3)
    interp = Interpolator(net)
    state = interp.estimate(img0, img1)
    assert state.padded_size == (96, 96) and (state.height, state.width) == (67, 91)
    # The padding is mid grey on the right and bottom only.
    assert torch.all(state.img0[:, :, 67:] == 0.5) and torch.all(state.img0[:, :, :, 91:] == 0.5)
    assert torch.equal(state.img0[:, :, :67, :91], img0)
    out = interp.synthesize(state, 0.5)
    assert out.shape == (1, 3, 67, 91) and out.dtype == torch.float32
    padded0 = F.pad(img0, (0, 5, 0, 29), value=0.5)
    padded1 = F.pad(img1, (0, 5, 0, 29), value=0.5)
    full = net.inference(padded0, padded1, 0.5, 3, 0)
    torch.testing.assert_close(out, full[:, :, :67, :91], rtol=0, atol=1e-6)


def test_inference_is_deterministic(net: VTinkerNet) -> None:
    img0, img1 = _pair(64, 96, seed=4)
    interp = Interpolator(net)
    assert torch.equal(
        interp.interpolate(img0, img1, [0.3])[0], interp.interpolate(img0, img1, [0.3])[0]
    )


def test_region_synthesis(net: VTinkerNet) -> None:
    img0, img1 = _pair(64, 96, seed=6)
    interp = Interpolator(net, tile_context=0)
    state = interp.estimate(img0, img1)
    whole = interp.synthesize(state, 0.5)
    # A region whose aligned crop is the padded frame is the whole-frame result.
    assert torch.equal(interp.synthesize(state, 0.5, (3, 5, 90, 58)), whole[:, :, 5:63, 3:93])
    tile = interp.synthesize(state, 0.5, (10, 20, 30, 17))
    assert tile.shape == (1, 3, 17, 30) and torch.isfinite(tile).all()
    assert len(state.tiles) == 1  # heads of the crop are cached for the next t
    interp.synthesize(state, 0.7, (10, 20, 30, 17))
    assert len(state.tiles) == 1
    with pytest.raises(ValueError, match="not inside"):
        interp.synthesize(state, 0.5, (90, 0, 10, 10))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        interp.synthesize(state, 1.5)


def test_state_from_external_flows(net: VTinkerNet) -> None:
    img0, img1 = _pair(64, 64, seed=7)
    interp = Interpolator(net)
    state = interp.estimate(img0, img1)
    forward, backward = state.flows_in_pixels()
    rebuilt = interp.state_from_flows(img0, img1, forward, backward)
    assert torch.equal(interp.synthesize(rebuilt, 0.5), interp.synthesize(state, 0.5))


@pytest.mark.slow
def test_training_forward_and_backward() -> None:
    model = VTinkerNet()
    img0, img1 = _pair(64, 64, seed=8)
    outs = model(img0, img1, 0.5)
    assert [tuple(o.shape) for o in outs] == [(1, 3, 64, 64)] * 3
    sum(o.mean() for o in outs).backward()
    unused = {name.split(".")[1] for name, p in model.named_parameters() if p.grad is None}
    # Queries and keys only choose texture blocks (an argmax): lite_net gets no gradient,
    # which is why upstream trains with find_unused_parameters=True.
    assert unused == {"lite_net"}
