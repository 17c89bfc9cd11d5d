"""ColorPipeline on real OCIO: inline configs for exact numbers, built-in configs by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest

from vtinker_core.color import ColorPipeline, ModelImage, check_finite, merge_outside
from vtinker_core.errors import ColorConfigError, NonFiniteError
from vtinker_core.frame import Frame

ACES_CG = "ocio://cg-config-v2.2.0_aces-v1.3_ocio-v2.4"  # no file rules beyond the default
ACES_CG_V5 = "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6"  # file rules for EXR and movies

# lin: linear Rec.709 (scene_linear). log: y = 0.1 * log2(x) + 0.5. gamma22: x = y ** 2.2.
# srgb_tx: the sRGB curve. A file rule sends "*_log*.exr" to log.
TEST_CONFIG = """
ocio_profile_version: 2.1
name: vtinker-test
roles:
  default: lin
  scene_linear: lin
  compositing_log: log
  color_timing: log
  data: raw
  texture_paint: srgb_tx
file_rules:
  - !<Rule> {name: LogPlates, pattern: "*_log*", extension: "exr", colorspace: log}
  - !<Rule> {name: Default, colorspace: default}
displays:
  sRGB:
    - !<View> {name: Standard, colorspace: srgb_tx}
    - !<View> {name: Raw, colorspace: raw}
active_displays: []
active_views: []
colorspaces:
  - !<ColorSpace>
    name: lin
    aliases: [linear_rec709]
    encoding: scene-linear
  - !<ColorSpace>
    name: log
    encoding: log
    from_scene_reference: !<LogAffineTransform> {base: 2, log_side_slope: 0.1, log_side_offset: 0.5}
  - !<ColorSpace>
    name: gamma22
    encoding: sdr-video
    to_scene_reference: !<ExponentTransform> {value: 2.2}
  - !<ColorSpace>
    name: srgb_tx
    encoding: sdr-video
    to_scene_reference: !<ExponentWithLinearTransform> {gamma: 2.4, offset: 0.055}
  - !<ColorSpace>
    name: raw
    encoding: data
    isdata: true
"""

# Only a linear space and data: no log, no sRGB to fall back on.
BARE_CONFIG = """
ocio_profile_version: 2
roles:
  default: lin
  scene_linear: lin
displays:
  none:
    - !<View> {name: Raw, colorspace: lin}
colorspaces:
  - !<ColorSpace>
    name: lin
    encoding: scene-linear
  - !<ColorSpace>
    name: filmlog
    encoding: log
    from_scene_reference: !<LogAffineTransform>
      {base: 10, log_side_slope: 0.2, log_side_offset: 0.6}
"""


def iec_srgb(x: np.ndarray) -> np.ndarray:
    """The IEC 61966-2-1 encoding, in float64, by hand."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.abs(x) ** (1 / 2.4) - 0.055)


def grey(values: list[float]) -> np.ndarray:
    """A 1×N×3 float32 image of neutral pixels."""
    return np.repeat(np.asarray(values, np.float32)[None, :, None], 3, axis=2)


@pytest.fixture(scope="module")
def pipe() -> ColorPipeline:
    return ColorPipeline.from_config(ocio.Config.CreateFromStream(TEST_CONFIG))


@pytest.fixture(scope="module")
def aces() -> ColorPipeline:
    return ColorPipeline(ACES_CG)


def test_builtin_configs_used_here_exist() -> None:
    names = {entry[0] for entry in ocio.BuiltinConfigRegistry().getBuiltinConfigs()}
    assert {ACES_CG[len("ocio://") :], ACES_CG_V5[len("ocio://") :]} <= names


# ------------------------------------------------------------------------ model encoding


def test_model_encoding_is_the_iec_srgb_curve(pipe: ColorPipeline) -> None:
    values = [0.0, 0.0031308, 0.18, 0.5, 1.0]
    image = pipe.to_model(grey(values), "lin")
    assert isinstance(image, ModelImage)
    expected = iec_srgb(values)  # 0, 0.0404500, 0.4613561, 0.7353570, 1
    np.testing.assert_allclose(image.model[0, :, 0], expected, atol=1e-6, rtol=0)
    assert image.model[0, 2, 1] == pytest.approx(0.4613561, abs=1e-6)
    assert image.model.dtype == np.float32 and image.model.shape == (1, 5, 3)
    assert not image.outside.any()


def test_linear_model_linear_round_trip_within_1e_4(pipe: ColorPipeline) -> None:
    rng = np.random.default_rng(7)
    linear = rng.uniform(1e-4, 1.0, size=(8, 8, 3)).astype(np.float32)
    linear[0, :, :] = np.logspace(-4, 0, 8, dtype=np.float32)[:, None]
    image = pipe.to_model(linear, "lin")
    back = pipe.from_model(image.model, "lin")
    np.testing.assert_allclose(back, linear, rtol=1e-4, atol=0)
    assert not image.outside.any()


def test_round_trip_on_aces_through_its_linear_rec709(aces: ColorPipeline) -> None:
    assert aces.scene_linear == "ACEScg"
    assert aces.model_linear == "Linear Rec.709 (sRGB)"
    acescg = np.array([[[0.18, 0.18, 0.18], [0.5, 0.4, 0.3], [0.9, 0.9, 0.9], [0.01, 0.02, 0.015]]])
    image = aces.to_model(acescg, "ACEScg")
    assert not image.outside.any()
    np.testing.assert_array_equal(image.linear, acescg.astype(np.float32))
    # Neutral grey has the same value in every RGB space with a D60/D65-ish white: the model
    # sees the sRGB encoding of 0.18 (the AP1 → Rec.709 white adaptation keeps greys grey).
    np.testing.assert_allclose(image.model[0, 0], [iec_srgb(0.18)] * 3, atol=1e-6)  # 0.4613561
    back = aces.from_model(image.model, "ACEScg")
    np.testing.assert_allclose(back, acescg, rtol=1e-4)


def test_srgb_texture_reaches_the_network_unchanged(aces: ColorPipeline) -> None:
    # An 8-bit sRGB PNG's code values are already the model encoding: sRGB → ACEScg → model
    # must hand them through, whites and blacks included, without flagging them.
    codes = np.arange(0, 256, 15, dtype=np.float32) / 255.0
    png = np.stack([codes, codes[::-1], np.full_like(codes, 0.5)], axis=-1)[None]
    image = aces.to_model(png, "sRGB Encoded Rec.709 (sRGB)")
    np.testing.assert_allclose(image.model, png, atol=1e-6, rtol=0)
    assert not image.outside.any()


def test_hdr_values_are_flagged_and_kept_in_linear(pipe: ColorPipeline) -> None:
    values = [-65504.0, -1.0, -0.001, 0.0, 0.18, 1.0, 40.0, 65504.0]
    image = pipe.to_model(grey(values), "lin")
    np.testing.assert_array_equal(image.linear[0, :, 0], np.float32(values))
    assert image.linear[0, 6].tolist() == [40.0, 40.0, 40.0]
    assert image.outside[0].tolist() == [True, True, True, False, False, False, True, True]
    assert image.model.min() == 0.0 and image.model.max() == 1.0
    assert image.model[0, :, 0].tolist()[:3] == [0.0, 0.0, 0.0]
    assert image.model[0, 6:, 0].tolist() == [1.0, 1.0]


def test_out_of_range_model_values_map_through_the_curve_extension(pipe: ColorPipeline) -> None:
    # from_model does not clip: 1.1 and -0.01 decode on the curve's extensions.
    back = pipe.from_model(grey([1.1, -0.01]), "lin")[0, :, 0]
    assert back[0] == pytest.approx(((1.1 + 0.055) / 1.055) ** 2.4, rel=1e-6)  # 1.2434
    assert back[1] < 0.0 and back[1] == pytest.approx(-0.01 / 12.92, rel=1e-3)


def test_only_one_channel_out_of_range_flags_the_pixel(pipe: ColorPipeline) -> None:
    image = pipe.to_model(np.array([[[0.2, 3.0, 0.2], [0.2, 0.3, 0.4]]], np.float32), "lin")
    assert image.outside.tolist() == [[True, False]]
    assert image.model[0, 0, 1] == 1.0


def test_merge_outside_takes_carried_pixels_where_masked() -> None:
    model_linear = np.array([[[0.5, 0.5, 0.5], [0.2, 0.2, 0.2]]], np.float32)
    carried = np.array([[[40.0, 41.0, 42.0], [9.0, 9.0, 9.0]]], np.float32)
    merged = merge_outside(model_linear, carried, np.array([[True, False]]))
    np.testing.assert_array_equal(merged, np.float32([[[40.0, 41.0, 42.0], [0.2, 0.2, 0.2]]]))
    assert merged.dtype == np.float32
    with pytest.raises(ValueError, match="shapes"):
        merge_outside(model_linear, carried, np.array([True, False]))


def test_rgb_shape_is_checked(pipe: ColorPipeline) -> None:
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        pipe.to_model(np.zeros((4, 4), np.float32), "lin")


# ----------------------------------------------------------------- colourspaces, exact numbers


def test_log_space_exact_numbers(pipe: ColorPipeline) -> None:
    log = grey([0.3, 0.4, 0.5, 0.6])
    np.testing.assert_allclose(
        pipe.to_linear(log, "log")[0, :, 0], [0.25, 0.5, 1.0, 2.0], rtol=1e-6
    )
    to_log = pipe.linear_to(grey([0.18]), "log")[0, 0, 0]
    assert to_log == pytest.approx(0.1 * np.log2(0.18) + 0.5, abs=1e-6)  # 0.2526069

    image = pipe.to_model(log, "compositing_log")  # the role, resolved to "log"
    np.testing.assert_allclose(image.linear[0, :, 0], [0.25, 0.5, 1.0, 2.0], rtol=1e-6)
    assert image.outside[0].tolist() == [False, False, False, True]
    np.testing.assert_allclose(image.model[0, :3, 0], iec_srgb([0.25, 0.5, 1.0]), atol=1e-6)
    back = pipe.from_model(image.model[:, :3], "log")
    np.testing.assert_allclose(back[0, :, 0], [0.3, 0.4, 0.5], atol=1e-6)


def test_gamma_space_exact_numbers(pipe: ColorPipeline) -> None:
    assert pipe.to_linear(grey([0.5]), "gamma22")[0, 0, 0] == pytest.approx(0.5**2.2, rel=1e-6)
    assert pipe.linear_to(grey([0.5**2.2]), "gamma22")[0, 0, 0] == pytest.approx(0.5, rel=1e-6)


def test_names_aliases_and_roles_resolve(pipe: ColorPipeline, aces: ColorPipeline) -> None:
    assert pipe.resolve_colorspace("linear_rec709") == "lin"
    assert pipe.resolve_colorspace("data") == "raw"
    assert aces.resolve_colorspace("scene_linear") == "ACEScg"
    assert aces.resolve_colorspace("compositing_log") == "ACEScct"
    assert aces.resolve_colorspace("color_timing") == "ACEScct"
    assert aces.resolve_colorspace("data") == "Raw"
    assert aces.resolve_colorspace("lin_ap1") == "ACEScg"
    assert aces.resolve_colorspace("acescg") == "ACEScg"
    assert pipe.colorspace_names() == ["lin", "log", "gamma22", "srgb_tx", "raw"]


def test_unknown_colorspace_suggests_the_closest(aces: ColorPipeline) -> None:
    with pytest.raises(ColorConfigError) as caught:
        aces.resolve_colorspace("ACEScgg", setting="input_colorspace")
    err = caught.value
    assert err.suggestions[0] == "ACEScg"
    assert "ACES - ACEScg" not in err.suggestions  # one label per colourspace
    assert err.setting == "input_colorspace"  # the caller names its own setting
    assert "'ACEScgg'" in str(err) and "'ACEScg'" in str(err)
    with pytest.raises(ColorConfigError) as caught:
        aces.resolve_colorspace("no such thing at all")
    assert caught.value.suggestions == ()
    assert "ACEScg" in str(caught.value)  # lists what the config has instead


# ------------------------------------------------------------------------ default colourspaces


def test_defaults_by_file_type_on_the_aces_cg_config(aces: ColorPipeline) -> None:
    assert aces.default_colorspace("plate.1001.exr") == "ACEScg"
    dpx = aces.default_colorspace("scan.####.dpx", "uint10")
    assert dpx == "ACEScct"
    assert aces.config.getColorSpace(dpx).getEncoding() == "log"
    assert aces.default_colorspace("scan.1001.cin") == "ACEScct"
    assert aces.default_colorspace("ref.png", "uint8") == "sRGB Encoded Rec.709 (sRGB)"
    assert aces.default_colorspace("ref.JPG") == "sRGB Encoded Rec.709 (sRGB)"
    assert aces.default_colorspace("ref.tif", "uint16") == "sRGB Encoded Rec.709 (sRGB)"
    assert aces.default_colorspace("render.tif", "float") == "ACEScg"
    assert aces.default_colorspace("render.tiff", "half") == "ACEScg"
    assert aces.default_colorspace("edit.mov") == "Gamma 2.4 Encoded Rec.709"


def test_config_file_rules_come_first() -> None:
    v5 = ColorPipeline(ACES_CG_V5)
    assert v5.default_colorspace("plate.1001.exr") == "ACES2065-1"  # the config's EXR rule
    assert v5.default_colorspace("edit.mov") == "Rec.1886 Rec.709 - Display"  # its Movies rule
    assert v5.default_colorspace("ref.png") == "sRGB Encoded Rec.709 (sRGB)"  # default rule: ours


def test_inline_file_rule_and_fallbacks(pipe: ColorPipeline) -> None:
    assert pipe.default_colorspace("shot_log.1001.exr") == "log"  # file rule
    assert pipe.default_colorspace("shot.1001.exr") == "lin"
    assert pipe.default_colorspace("shot.1001.dpx") == "log"
    assert pipe.default_colorspace("ref.png") == "srgb_tx"  # texture_paint role
    assert pipe.default_colorspace("edit.mp4") == "srgb_tx"  # no Rec.709 space: sRGB


def test_bare_config_log_fallback_and_no_srgb_error() -> None:
    bare = ColorPipeline.from_config(ocio.Config.CreateFromStream(BARE_CONFIG))
    assert bare.default_colorspace("scan.dpx") == "filmlog"  # no role: the log-encoded space
    with pytest.raises(ColorConfigError, match="sRGB") as caught:
        bare.default_colorspace("ref.png")
    assert caught.value.setting == "input.colorspace"


# -------------------------------------------------------------------------- config loading


def test_ocio_environment_variable_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "show.ocio"
    path.write_text(TEST_CONFIG)
    monkeypatch.setenv("OCIO", str(path))
    from_env = ColorPipeline()
    assert from_env.colorspace_names() == ["lin", "log", "gamma22", "srgb_tx", "raw"]
    assert from_env.config_source == f"{path} (from $OCIO)"
    explicit = ColorPipeline(ACES_CG)  # an explicit config beats $OCIO
    assert explicit.scene_linear == "ACEScg"
    assert explicit.config_source == f"{ACES_CG} (explicit)"


def test_builtin_default_without_ocio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCIO", raising=False)
    default = ColorPipeline()
    assert default.config_source.startswith("ocio://default (built-in default: ")
    assert default.config.getName() in default.config_source


def test_bad_config_path_and_uri(tmp_path: Path) -> None:
    missing = tmp_path / "missing.ocio"
    with pytest.raises(ColorConfigError) as caught:
        ColorPipeline(missing)
    assert str(missing) in str(caught.value) and "does not exist" in str(caught.value)
    assert caught.value.path == missing

    broken = tmp_path / "broken.ocio"
    broken.write_text("ocio_profile_version: 2\ncolorspaces: [\n")
    with pytest.raises(ColorConfigError, match=r"broken\.ocio.*yaml"):
        ColorPipeline(broken)

    with pytest.raises(ColorConfigError, match=r"ocio://no-such-config.*built-in") as caught:
        ColorPipeline("ocio://no-such-config")
    assert caught.value.path is None


def test_processors_are_built_once(pipe: ColorPipeline) -> None:
    assert pipe.processor("log", "lin") is pipe.processor("log", "linear_rec709")
    assert pipe.processor("log", "lin") is not pipe.processor("lin", "log")
    assert pipe.model_processor("log") is pipe.model_processor("compositing_log")
    assert pipe.model_processor("log") is not pipe.model_processor("log", inverse=True)
    first = pipe.display_processor("lin", "sRGB", "Standard")
    assert pipe.display_processor("lin", "sRGB", "Standard") is first


# ----------------------------------------------------------------------------- display


def test_display_view_with_exposure(pipe: ColorPipeline) -> None:
    assert pipe.displays() == ["sRGB"]
    assert pipe.views("sRGB") == ["Standard", "Raw"]
    shown = pipe.to_display(grey([0.09, 0.18]), "lin", "sRGB", "Standard")
    np.testing.assert_allclose(shown[0, :, 0], iec_srgb([0.09, 0.18]), atol=1e-6)
    brighter = pipe.to_display(grey([0.09]), "lin", "sRGB", "Standard", exposure_stops=1.0)
    assert brighter[0, 0, 0] == pytest.approx(iec_srgb(0.18), abs=1e-6)  # 0.4613561
    with pytest.raises(ColorConfigError) as caught:
        pipe.to_display(grey([0.1]), "lin", "sRGB", "Standart")
    assert caught.value.suggestions == ("Standard",) and caught.value.setting == "view"
    with pytest.raises(ColorConfigError) as caught:
        pipe.views("SRGB display")
    assert caught.value.setting == "display"


def test_aces_untonemapped_view(aces: ColorPipeline) -> None:
    assert "sRGB - Display" in aces.displays()
    shown = aces.to_display(grey([0.18]), "ACEScg", "sRGB - Display", "Un-tone-mapped", -1.0)
    np.testing.assert_allclose(shown[0, 0], [iec_srgb(0.09)] * 3, atol=1e-6)  # 0.3318300


# ---------------------------------------------------------------------------- non-finite


def nan_frame() -> Frame:
    pixels = np.ones((2, 3, 4), np.float32)
    pixels[0, 0, 1] = np.nan
    pixels[1, 2, 1] = np.nan
    pixels[0, 1, 3] = np.inf
    pixels[1, 1, 3] = -np.inf
    return Frame.from_array(pixels)


def test_non_finite_pixels_are_an_error_naming_file_channel_and_count() -> None:
    with pytest.raises(NonFiniteError) as caught:
        check_finite(nan_frame(), source="plate.1001.exr")
    err = caught.value
    assert err.channel == "G" and err.count == 4
    assert err.path == Path("plate.1001.exr")
    assert "'plate.1001.exr'" in str(err) and "G 2, A 2" in str(err) and "--sanitize" in str(err)


def test_sanitize_replaces_and_counts() -> None:
    frame = nan_frame()
    clean, count = check_finite(frame, source="plate.1001.exr", sanitize=True)
    assert count == 4
    assert clean.pixels[0, 0, 1] == 0.0 and clean.pixels[1, 2, 1] == 0.0
    assert clean.pixels[0, 1, 3] == 65504.0 and clean.pixels[1, 1, 3] == -65504.0
    assert np.isfinite(clean.pixels).all() and clean.channels == frame.channels
    assert np.isnan(frame.pixels[0, 0, 1])  # the input frame is left alone
    fine = Frame.from_array(np.zeros((2, 2, 3), np.float32))
    assert check_finite(fine, source="a.exr") == (fine, 0)
