from __future__ import annotations

from fractions import Fraction

import pytest

from vtinker_core.timecode import advance_timecode, frames_to_timecode, timecode_to_frames


def test_non_drop_frame_rolls_over_seconds_and_hours() -> None:
    assert advance_timecode("01:00:00:23", 1, Fraction(24)) == "01:00:01:00"
    assert advance_timecode("00:59:59:24", 1, Fraction(25)) == "01:00:00:00"
    assert advance_timecode("23:59:59:23", 1, Fraction(24)) == "00:00:00:00"
    assert advance_timecode("01:00:00:00", 48, Fraction(24)) == "01:00:02:00"


def test_ntsc_rates_count_with_their_nominal_rate() -> None:
    assert timecode_to_frames("00:00:01:00", Fraction(24000, 1001)) == (24, False)
    assert advance_timecode("00:00:00:59", 1, Fraction(60000, 1001)) == "00:00:01:00"


def test_drop_frame_skips_two_numbers_each_minute_but_every_tenth() -> None:
    fps = Fraction(30000, 1001)
    assert advance_timecode("00:00:59;29", 1, fps) == "00:01:00;02"
    assert advance_timecode("00:09:59;29", 1, fps) == "00:10:00;00"
    count, drop = timecode_to_frames("00:10:00;00", fps)
    assert drop and count == 17982
    assert frames_to_timecode(count, fps, drop=True) == "00:10:00;00"


def test_bad_timecode_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a SMPTE timecode"):
        timecode_to_frames("1:2:3", Fraction(24))
