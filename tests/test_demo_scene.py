"""Tests for vtinker_core.demo_scene: the synthetic demo shot and the contact sheet."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from vtinker_core.demo_scene import (
    DEMO_CHANNELS,
    demo_layout,
    make_contact_sheet,
    make_demo_frames,
)
from vtinker_core.frame import Frame, Window


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    return make_demo_frames()


def _at(frame: Frame, point: tuple[float, float]) -> np.ndarray:
    """The pixel whose area holds ``point`` (x, y)."""
    return frame.pixels[int(point[1]), int(point[0])]


def test_same_seed_same_frames_other_seed_other_textures(frames):
    again = make_demo_frames()
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(frames, again, strict=True))
    other = make_demo_frames(seed=8)
    assert not np.array_equal(frames[0].pixels, other[0].pixels)
    # The seed changes textures, not where things are.
    assert np.array_equal(frames[0].pixels[:, :, 3], other[0].pixels[:, :, 3])


def test_frames_shape_channels_and_metadata(frames):
    assert len(frames) == 9
    for index, frame in enumerate(frames):
        assert frame.pixels.shape == (180, 320, 4) and frame.pixels.dtype == np.float32
        assert frame.channels == DEMO_CHANNELS == ("R", "G", "B", "A")
        assert frame.meta.fps == Fraction(24)
        assert frame.meta.bit_depth == "half"
        assert frame.meta.data_window == frame.meta.display_window == Window(0, 0, 320, 180)
        assert frame.meta.timecode == f"01:00:00:{index:02d}"
        # Values a half-float EXR holds exactly.
        assert np.array_equal(frame.pixels.astype(np.float16).astype(np.float32), frame.pixels)
    long = make_demo_frames(count=26, width=32, height=18)
    assert [f.meta.timecode for f in long[23:]] == ["01:00:00:23", "01:00:01:00", "01:00:01:01"]


def test_highlight_is_far_above_one_and_rides_on_the_disc(frames):
    layout = demo_layout(320, 180)
    peaks = []
    for index, frame in enumerate(frames):
        rgb = frame.pixels[:, :, :3]
        assert rgb.max() == pytest.approx(40.0)
        y, x = np.unravel_index(np.argmax(rgb[:, :, 1]), rgb.shape[:2])
        assert (x + 0.5, y + 0.5) == layout.highlight_center(index)
        peaks.append(x)
        assert _at(frame, layout.highlight_center(index))[3] == 1.0  # on the disc
    assert np.all(np.diff(peaks) == 6)  # moves right with the disc, 6 px per frame


def test_alpha_is_a_soft_matte_of_the_objects(frames):
    layout = demo_layout(320, 180)
    for index, frame in enumerate(frames):
        alpha = frame.pixels[:, :, 3]
        assert alpha.min() == 0.0 and alpha.max() == 1.0
        soft = (alpha > 0.0) & (alpha < 1.0)
        assert soft.any()  # anti-aliased edges, not a binary mask
        assert _at(frame, layout.disc_center(index))[3] == 1.0
        assert _at(frame, layout.square_center(index))[3] == 1.0
        assert alpha[0, 0] == 0.0 and alpha[-1, -1] == 0.0


def test_objects_move_where_expected(frames):
    layout = demo_layout(320, 180)
    first, last = frames[0], frames[-1]
    # 48 px later the disc has left its first place, and is where the layout says.
    assert _at(last, layout.disc_center(0))[3] == 0.0
    assert _at(last, layout.disc_center(8))[3] == 1.0
    assert layout.disc_center(8)[0] - layout.disc_center(0)[0] == pytest.approx(48.0)
    assert _at(last, layout.square_center(0))[3] == 0.0
    assert _at(last, layout.square_center(8))[3] == 1.0
    # The matte changes only near the objects' paths; between frames everything moves.
    changed = first.pixels[:, :, 3] != frames[1].pixels[:, :, 3]
    ys, xs = np.nonzero(changed)
    assert ys.min() > 0.25 * 180 - 30 and xs.max() < 0.62 * 320 + 30
    assert np.abs(first.pixels[:, :, :3] - frames[1].pixels[:, :, :3]).mean() > 0.01


def test_plate_pans_left_two_pixels_per_frame(frames):
    a, b = frames[0].pixels, frames[1].pixels
    # Top-right corner: plate only (alpha 0 in both frames).
    rows, cols = slice(0, 20), slice(250, 316)
    shifted = slice(252, 318)
    assert np.all(a[rows, shifted, 3] == 0.0) and np.all(b[rows, cols, 3] == 0.0)
    np.testing.assert_array_equal(b[rows, cols, :3], a[rows, shifted, :3])


def test_values_are_scene_linear_plate_and_coloured_objects(frames):
    layout = demo_layout(320, 180)
    frame = frames[0]
    plate = frame.pixels[:, :, :3][frame.pixels[:, :, 3] == 0.0]
    assert plate.min() >= 0.0195 and plate.max() <= 0.601
    assert np.median(plate) < 0.4
    dx, dy = layout.disc_center(0)
    disc = frame.pixels[int(dy) - 10 : int(dy) + 10, int(dx) - 10 : int(dx) + 10, :3]
    disc = disc.reshape(-1, 3)[disc.reshape(-1, 3).max(axis=1) < 2.0]  # leave out the glint
    assert np.all(disc[:, 0] > disc[:, 2])  # orange: more red than blue
    sq = _at(frame, layout.square_center(0))
    assert sq[1] > sq[0] and sq[2] > sq[0]  # teal


@pytest.mark.parametrize(("count", "width", "height"), [(1, 64, 36), (3, 100, 40)])
def test_other_sizes(count, width, height):
    frames = make_demo_frames(count, width, height)
    assert len(frames) == count
    assert frames[0].pixels.shape == (height, width, 4)
    assert frames[0].pixels[:, :, :3].max() == pytest.approx(40.0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_demo_frames(count=0)
    with pytest.raises(ValueError):
        make_demo_frames(width=8)


# --- contact sheet ---------------------------------------------------------------------------


def _images(count: int, height: int = 18, width: int = 32) -> list[np.ndarray]:
    return [np.full((height, width, 3), i / max(count - 1, 1), np.float32) for i in range(count)]


def test_contact_sheet_size_matches_columns_and_rows():
    sheet = make_contact_sheet(_images(9), None, 4, gap=3)
    assert sheet.dtype == np.uint8
    assert sheet.shape == (3 * 18 + 4 * 3, 4 * 32 + 5 * 3, 3)
    # Image 5 sits in row 1, column 1.
    top, left = 3 + 18 + 3, 3 + 32 + 3
    assert np.all(sheet[top : top + 18, left : left + 32] == round(5 / 8 * 255))
    assert np.all(sheet[:3] == 24)  # the gap colour
    assert make_contact_sheet(_images(2), columns=4, gap=0).shape == (18, 64, 3)


def test_contact_sheet_labels_add_a_strip_with_text():
    sheet = make_contact_sheet(_images(3), ["1001", "1001.5", "1002"], 3, gap=2, label_height=14)
    assert sheet.shape == (18 + 14 + 2 * 2, 3 * 32 + 4 * 2, 3)
    strip = sheet[2 + 18 : 2 + 18 + 14, 2 : 2 + 32]
    assert (strip > 128).any()  # the caption was drawn


def test_contact_sheet_clips_and_scales():
    image = np.full((20, 40, 3), 40.0, np.float32)
    image[0, 0] = np.nan
    sheet = make_contact_sheet([image, -image], columns=2, gap=0, thumbnail_width=20)
    assert sheet.shape == (10, 40, 3)
    assert sheet[5, 5, 0] == 255 and sheet[5, 25, 0] == 0


@pytest.mark.parametrize(
    ("images", "labels", "columns"),
    [([], None, 2), (_images(2), ["one"], 2), (_images(1), None, 0)],
)
def test_contact_sheet_rejects_bad_input(images, labels, columns):
    with pytest.raises(ValueError):
        make_contact_sheet(images, labels, columns)


def test_contact_sheet_rejects_non_rgb():
    with pytest.raises(ValueError, match="H×W×3"):
        make_contact_sheet([np.zeros((4, 4, 4), np.float32)])
