"""What a colourspace is: interop ids, name reading, chromaticities, video tags both ways."""

from __future__ import annotations

import pytest

from vtinker_core.color import ColorPipeline
from vtinker_core.colorspaces import (
    CHROMATICITIES,
    SpaceId,
    VideoTags,
    chromaticities,
    colorspace_for_video,
    find_colorspace,
    header_name,
    identify,
    resolve_file_colorspace,
    video_tags,
)
from vtinker_core.errors import ColorConfigError

# Built-in configs by explicit name: v5 carries interop ids, v2.2 does not (names are read).
CG_V5 = "ocio://cg-config-v5.0.0_aces-v2.1_ocio-v2.6"
STUDIO_V22 = "ocio://studio-config-v2.2.0_aces-v1.3_ocio-v2.4"

REC709 = VideoTags("bt709", "bt709", "bt709", "tv")


@pytest.fixture(scope="module")
def v5() -> ColorPipeline:
    return ColorPipeline(CG_V5)


@pytest.fixture(scope="module")
def studio22() -> ColorPipeline:
    return ColorPipeline(STUDIO_V22)


def test_interop_ids_parse_into_curve_gamut_and_reference() -> None:
    assert SpaceId.parse("lin_ap1_scene") == SpaceId("lin", "ap1", "scene")
    assert SpaceId.parse("ocio:g24_rec709_display") == SpaceId("g24", "rec709", "display")
    assert SpaceId.parse("data") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACEScg", SpaceId("lin", "ap1", "scene")),
        ("ACEScct", SpaceId("acescct", "ap1", "scene")),
        ("Linear Rec.709 (sRGB)", SpaceId("lin", "rec709", "scene")),
        ("sRGB Encoded Rec.709 (sRGB)", SpaceId("srgb", "rec709", "scene")),
        ("Gamma 2.4 Encoded Rec.709", SpaceId("g24", "rec709", "scene")),
        ("Rec.2100-PQ - Display", SpaceId("pq", "rec2020", "display")),
        ("scene_linear", SpaceId("lin", "ap1", "scene")),  # roles resolve first
    ],
)
def test_identify_with_interop_ids(v5: ColorPipeline, name: str, expected: SpaceId) -> None:
    assert identify(v5, name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACEScg", SpaceId("lin", "ap1", "scene")),
        ("Linear Rec.2020", SpaceId("lin", "rec2020", "scene")),
        ("Gamma 2.2 Encoded AdobeRGB", SpaceId("g22", "adobergb", "scene")),
        ("Rec.1886 Rec.2020 - Display", SpaceId("g24", "rec2020", "display")),
        ("Rec.2100-HLG - Display", SpaceId("hlg", "rec2020", "display")),
        ("P3-DCI - Display", SpaceId(None, "p3dci", "display")),
        ("S-Log3 S-Gamut3", SpaceId(None, None, "scene")),  # nothing we can name
    ],
)
def test_identify_reads_names_without_interop_ids(
    studio22: ColorPipeline, name: str, expected: SpaceId
) -> None:
    assert identify(studio22, name) == expected


def test_chromaticities_and_header_names(v5: ColorPipeline, studio22: ColorPipeline) -> None:
    ap1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)  # ACES AP1, D60 white
    assert chromaticities(v5, "ACEScg") == ap1
    assert chromaticities(v5, "Linear Rec.709 (sRGB)") == CHROMATICITIES["rec709"]
    assert chromaticities(studio22, "S-Log3 S-Gamut3") is None
    assert header_name(v5, "ACEScg") == "lin_ap1_scene"
    assert header_name(studio22, "ACEScg") == "ACEScg"  # no interop id: the config's name


def test_file_headers_resolve_back_to_the_config(v5: ColorPipeline) -> None:
    assert resolve_file_colorspace(v5, "lin_rec709_scene") == "Linear Rec.709 (sRGB)"
    assert resolve_file_colorspace(v5, "ocio:acescct_ap1_scene") == "ACEScct"
    assert resolve_file_colorspace(v5, "ACEScg") == "ACEScg"
    assert resolve_file_colorspace(v5, "lin_xyz_unknown") is None
    assert resolve_file_colorspace(v5, None) is None


@pytest.mark.parametrize(
    ("tags", "expected", "noted"),
    [
        (REC709, "Gamma 2.4 Encoded Rec.709", False),
        (VideoTags(), "Gamma 2.4 Encoded Rec.709", True),  # untagged: the default, and a note
        (VideoTags("bt709", "iec61966-2-1", "bt709", "pc"), "sRGB Encoded Rec.709 (sRGB)", False),
        (VideoTags("bt2020", "smpte2084", "bt2020nc", "tv"), "Rec.2100-PQ - Display", False),
        (VideoTags("smpte170m", "smpte170m", "smpte170m", "tv"), "Gamma 2.4 Encoded Rec.709", True),
        (VideoTags("smpte432", "iec61966-2-1", "bt709", "tv"), "sRGB Encoded P3-D65", False),
    ],
)
def test_video_tags_pick_the_matching_colourspace(
    v5: ColorPipeline, tags: VideoTags, expected: str, noted: bool
) -> None:
    name, note = colorspace_for_video(v5, tags)
    assert name == expected
    assert (note is not None) == noted


def test_hlg_is_found_where_the_config_has_it(v5: ColorPipeline, studio22: ColorPipeline) -> None:
    hlg = VideoTags("bt2020", "arib-std-b67", "bt2020nc", "tv")
    assert colorspace_for_video(studio22, hlg) == ("Rec.2100-HLG - Display", None)
    with pytest.raises(ColorConfigError) as caught:
        colorspace_for_video(v5, hlg)
    assert "arib-std-b67" in str(caught.value)
    assert "--input-colorspace" in str(caught.value)
    assert caught.value.setting == "input.colorspace"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Gamma 2.4 Encoded Rec.709", REC709),
        ("sRGB Encoded Rec.709 (sRGB)", VideoTags("bt709", "iec61966-2-1", "bt709", "tv")),
        ("Rec.2100-PQ - Display", VideoTags("bt2020", "smpte2084", "bt2020nc", "tv")),
        ("ACEScct", VideoTags(None, None, "bt709", "tv")),  # log in a video: untagged curve
    ],
)
def test_colourspaces_give_the_tags_a_stream_carries(
    v5: ColorPipeline, name: str, expected: VideoTags
) -> None:
    assert video_tags(v5, name) == expected


def test_tags_and_colourspaces_round_trip(v5: ColorPipeline) -> None:
    names = ("Gamma 2.4 Encoded Rec.709", "sRGB Encoded Rec.709 (sRGB)", "Rec.2100-PQ - Display")
    for name in names:
        assert colorspace_for_video(v5, video_tags(v5, name))[0] == name


def test_find_prefers_scene_referred(v5: ColorPipeline) -> None:
    assert find_colorspace(v5, "srgb", "rec709") == "sRGB Encoded Rec.709 (sRGB)"
    assert find_colorspace(v5, "pq", "rec2020") == "Rec.2100-PQ - Display"
    assert find_colorspace(v5, "g24", "rec2020") is None
