"""Timing: every mode against hand-computed positions, pairs and t values."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import pytest

from vtinker_core.curves import evaluate_curve
from vtinker_core.errors import JobError
from vtinker_core.job import TimingSpec
from vtinker_core.timing import (
    Sample,
    build_timing,
    parse_fps,
    parse_speed,
    required_frames,
    retime_curve,
    retime_fill,
    retime_fps,
    retime_multiply,
    retime_speed,
    select_outputs,
)


def positions(samples: list[Sample]) -> list[float]:
    return [s.position for s in samples]


def check_consistent(samples: list[Sample]) -> None:
    """Every sample's pair and t describe its position; copies are whole source frames."""
    for s in samples:
        if s.is_copy:
            assert s.t == 0.0 and s.position == s.frame_a
        else:
            assert s.frame_a < s.position < s.frame_b
            assert s.t == pytest.approx((s.position - s.frame_a) / (s.frame_b - s.frame_a))


# --------------------------------------------------------------------------- speed


def test_half_speed_gives_nine_outputs_alternating_copies_and_halves() -> None:
    samples = retime_speed(range(1001, 1006), 0.5)
    assert [s.output_frame for s in samples] == list(range(1001, 1010))
    assert positions(samples) == [1001, 1001.5, 1002, 1002.5, 1003, 1003.5, 1004, 1004.5, 1005]
    assert samples[0] == Sample(1001, 1001.0, 1001, 1001, 0.0)
    assert samples[1] == Sample(1002, 1001.5, 1001, 1002, 0.5)
    assert [s.is_copy for s in samples] == [True, False] * 4 + [True]
    check_consistent(samples)


def test_double_speed_copies_every_other_frame() -> None:
    samples = retime_speed(range(1001, 1012), parse_speed("200%"))
    assert positions(samples) == [1001, 1003, 1005, 1007, 1009, 1011]
    assert all(s.is_copy for s in samples)
    assert [s.frame_a for s in samples] == [1001, 1003, 1005, 1007, 1009, 1011]


def test_speed_33_3_percent() -> None:
    # 10 intervals / 0.333 = 30.03 -> 31 outputs at 1001 + i * 0.333, never past 1011.
    samples = retime_speed(range(1001, 1012), parse_speed("33.3%"))
    assert len(samples) == 31
    assert samples[3].position == pytest.approx(1001.999)
    assert (samples[3].frame_a, samples[3].frame_b) == (1001, 1002)
    assert samples[3].t == pytest.approx(0.999)
    assert samples[-1].position == pytest.approx(1010.99)
    assert (samples[-1].frame_a, samples[-1].frame_b) == (1010, 1011)
    assert samples[-1].t == pytest.approx(0.99)
    check_consistent(samples)


def test_speed_one_third_snaps_to_whole_frames() -> None:
    # 3 * 0.3333333333333333 is not 1.0 in decimal; the 1e-6 snap makes it a copy.
    samples = retime_speed(range(1, 5), 1 / 3)
    assert len(samples) == 10
    copies = [s.output_frame for s in samples if s.is_copy]
    assert copies == [1, 4, 7, 10]
    assert [samples[i].position for i in (0, 3, 6, 9)] == [1.0, 2.0, 3.0, 4.0]
    assert all(s.t < 1 - 1e-6 for s in samples)
    check_consistent(samples)


def test_speed_not_dividing_the_range_stops_before_the_last_frame() -> None:
    samples = retime_speed(range(1, 11), 1.5)  # 9 / 1.5 = 6 -> 7 outputs
    assert positions(samples) == [1, 2.5, 4, 5.5, 7, 8.5, 10]
    samples = retime_speed(range(1, 11), 4)  # 9 / 4 = 2.25 -> 3 outputs
    assert positions(samples) == [1, 5, 9]


def test_centre_samples_at_half_speed_fall_on_quarters() -> None:
    samples = retime_speed(range(1001, 1006), 0.5, centre_samples=True)
    assert positions(samples) == [
        1001.25, 1001.75, 1002.25, 1002.75, 1003.25, 1003.75, 1004.25, 1004.75
    ]  # fmt: skip
    assert [s.t for s in samples] == [0.25, 0.75] * 4
    assert not any(s.is_copy for s in samples)
    check_consistent(samples)


def test_centre_samples_at_other_speeds() -> None:
    quarter = retime_speed(range(1, 4), 0.25, centre_samples=True)
    assert positions(quarter) == [1.125 + 0.25 * i for i in range(8)]
    third = retime_speed(range(1, 4), Fraction(1, 3), centre_samples=True)
    assert positions(third) == pytest.approx([1 + 1 / 6, 1.5, 1 + 5 / 6, 2 + 1 / 6, 2.5, 2 + 5 / 6])
    assert not any(s.is_copy for s in third)
    # At or above normal speed the option changes nothing: 100 % stays bit-exact copies.
    assert retime_speed(range(1, 6), 1.0, centre_samples=True) == retime_speed(range(1, 6), 1.0)
    assert positions(retime_speed(range(1, 6), 2, centre_samples=True)) == [1, 3, 5]
    # A single source frame still gives one output, clamped to it.
    assert positions(retime_speed([7], 0.5, centre_samples=True)) == [7.0]


# --------------------------------------------------------------------------- fps


def test_parse_fps_maps_ntsc_rates_exactly() -> None:
    assert parse_fps("23.976") == Fraction(24000, 1001)
    assert parse_fps("23.98") == Fraction(24000, 1001)
    assert parse_fps(29.97) == Fraction(30000, 1001)
    assert parse_fps("59.94") == Fraction(60000, 1001)
    assert parse_fps("47.952") == Fraction(48000, 1001)
    assert parse_fps("24000/1001") == Fraction(24000, 1001)
    assert parse_fps("25") == 25
    assert parse_fps(24) == 24
    assert parse_fps("12.5") == Fraction(25, 2)
    for bad in ("0", "-24", "abc", "1/0", True):
        with pytest.raises(JobError) as err:
            parse_fps(bad, setting="timing.source_fps")
        assert err.value.setting == "timing.source_fps"


def test_25_to_24_fps() -> None:
    # 25 intervals * 24/25 = 24 -> 25 outputs at 1 + k * 25/24, the last exactly on 26.
    samples = retime_fps(range(1, 27), 25, 24)
    assert len(samples) == 25
    assert samples[0] == Sample(1, 1.0, 1, 1, 0.0)
    assert samples[1] == Sample(2, float(Fraction(49, 24)), 2, 3, 1 / 24)
    assert samples[12] == Sample(13, 13.5, 13, 14, 0.5)
    assert samples[-1] == Sample(25, 26.0, 26, 26, 0.0)
    assert [s.output_frame for s in samples if s.is_copy] == [1, 25]
    for k, s in enumerate(samples):
        assert s.position == float(1 + Fraction(25 * k, 24))
    check_consistent(samples)


def test_24_to_25_fps() -> None:
    samples = retime_fps(range(1, 26), "24", "25")  # 24 * 25/24 = 25 -> 26 outputs
    assert len(samples) == 26
    assert positions(samples)[:3] == [1.0, 1.96, 2.92]
    assert samples[1].t == pytest.approx(0.96)
    assert samples[-1].position == 25.0 and samples[-1].is_copy


def test_23_976_to_59_94_steps_by_two_fifths() -> None:
    samples = retime_fps(range(1001, 1012), "23.976", "59.94")
    assert len(samples) == 26  # 10 * 5/2 + 1
    assert positions(samples) == [float(1001 + Fraction(2 * k, 5)) for k in range(26)]
    assert [s.t for s in samples[:6]] == [0.0, 0.4, 0.8, 0.2, 0.6, 0.0]
    assert [s.output_frame for s in samples if s.is_copy] == list(range(1001, 1027, 5))


def test_29_97_to_23_976() -> None:
    assert positions(retime_fps(range(1, 7), "29.97", "23.976")) == [1, 2.25, 3.5, 4.75, 6]


def test_long_fps_conversion_has_no_drift() -> None:
    # 23.976 -> 24: step 1000/1001, so every 1001st output lands exactly on a source frame.
    samples = retime_fps(range(1, 10_001), "24000/1001", 24)
    assert len(samples) == 10_009  # floor(9999 * 1001/1000) + 1
    assert [s.output_frame for s in samples if s.is_copy] == [1, 1002, 2003, 3004] + [
        1 + 1001 * k for k in range(4, 10)
    ]
    assert samples[1001].position == 1001.0
    assert samples[-1].position <= 10_000


# --------------------------------------------------------------------------- multiply


def test_multiply_by_four() -> None:
    samples = retime_multiply(range(1, 4), 4)
    assert len(samples) == 9
    assert positions(samples) == [1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]
    assert [s.t for s in samples] == [0, 0.25, 0.5, 0.75] * 2 + [0]
    assert [(s.frame_a, s.frame_b) for s in samples[4:6]] == [(2, 2), (2, 3)]
    check_consistent(samples)


def test_multiply_by_one_copies() -> None:
    samples = retime_multiply(range(5, 8), 1)
    assert positions(samples) == [5, 6, 7] and all(s.is_copy for s in samples)


def test_source_hole_pairs_the_frames_around_it() -> None:
    samples = retime_multiply([1, 3, 4], 2)  # frame 2 missing
    assert [(s.position, s.frame_a, s.frame_b, s.t) for s in samples[1:4]] == [
        (1.5, 1, 3, 0.25),
        (2.0, 1, 3, 0.5),
        (2.5, 1, 3, 0.75),
    ]


# --------------------------------------------------------------------------- curve


def test_linear_curve_middle_values() -> None:
    samples = retime_curve(range(1001, 1031), [(1001, 1001.0), (1011, 1021.0)])
    assert [s.output_frame for s in samples] == list(range(1001, 1012))
    assert samples[5].position == 1011.0 and samples[5].is_copy
    keys = [(1, 1.0), (5, 2.0)]
    quarter = retime_curve(range(1, 3), keys)
    assert positions(quarter) == [1, 1.25, 1.5, 1.75, 2]
    assert evaluate_curve(keys, [0, 3, 9]) == [1.0, 1.5, 2.0]  # constant outside the keys


def test_smooth_curve_middle_values() -> None:
    # Keys x=(0,2,4), y=(0,2,6): deltas 1, 2; Fritsch–Carlson tangents 1, 1.5, 2.
    # x=1: h00*0 + h10*2*1 + h01*2 + h11*2*1.5 = 0.25 + 1 - 0.375 = 0.875
    # x=3: h00*2 + h10*2*1.5 + h01*6 + h11*2*2 = 1 + 0.375 + 3 - 0.5 = 3.875
    keys = [(0, 0.0), (2, 2.0), (4, 6.0)]
    assert evaluate_curve(keys, [0, 1, 2, 3, 4], shape="smooth") == [0, 0.875, 2, 3.875, 6]
    samples = retime_curve(
        range(1001, 1011), [(f + 1001, s + 1001) for f, s in keys], shape="smooth"
    )
    assert positions(samples) == [1001, 1001.875, 1003, 1004.875, 1007]
    # Two keys: the smooth curve is the straight line.
    line = [(0, 0.0), (4, 2.0)]
    assert evaluate_curve(line, [1, 2, 3], shape="smooth") == [0.5, 1.0, 1.5]


def test_reverse_curve() -> None:
    samples = retime_curve(range(1, 11), [(1, 10.0), (10, 1.0)])
    assert positions(samples) == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert all(s.is_copy for s in samples)
    half = retime_curve(range(1, 11), [(1, 10.0), (3, 9.0)])
    assert [(s.frame_a, s.frame_b, s.t) for s in half] == [(10, 10, 0), (9, 10, 0.5), (9, 9, 0)]


def test_freeze_frame_curve() -> None:
    keys = [(1, 1.0), (5, 5.0), (8, 5.0), (12, 9.0)]
    for shape in ("linear", "smooth"):
        samples = retime_curve(range(1, 10), keys, shape=shape)
        assert [s.position for s in samples[4:8]] == [5.0, 5.0, 5.0, 5.0]
        assert all(s.is_copy and s.frame_a == 5 for s in samples[4:8])
    linear = retime_curve(range(1, 10), keys)
    assert positions(linear) == [1, 2, 3, 4, 5, 5, 5, 5, 6, 7, 8, 9]


def test_curve_positions_clamp_to_source_and_snap() -> None:
    samples = retime_curve(range(1, 6), [(1, -3.0), (3, 9.0)])
    assert positions(samples) == [1, 3, 5]
    snapped = retime_curve(range(1, 6), [(1, 2.9999999), (2, 3.0000004)])
    assert all(s.is_copy and s.frame_a == 3 for s in snapped)


# --------------------------------------------------------------------------- fill


def test_fill_run_of_two_bad_frames() -> None:
    samples = retime_fill(range(1001, 1011), [1004, 1005])
    assert [s.output_frame for s in samples] == list(range(1001, 1011))
    assert [s.is_copy for s in samples] == [True] * 3 + [False] * 2 + [True] * 5
    assert samples[3] == Sample(1004, 1004.0, 1003, 1006, 1 / 3)
    assert samples[4] == Sample(1005, 1005.0, 1003, 1006, 2 / 3)
    assert all(s.frame_a == s.output_frame for s in samples if s.is_copy)


def test_fill_single_bad_frame_and_bad_ends_hold() -> None:
    samples = retime_fill(range(1, 8), [1, 2, 4, 7])
    assert samples[3] == Sample(4, 4.0, 3, 5, 0.5)
    assert [(s.frame_a, s.is_copy) for s in (samples[0], samples[1])] == [(3, True), (3, True)]
    assert samples[6] == Sample(7, 6.0, 6, 6, 0.0)


# --------------------------------------------------------------------------- invalid settings


@pytest.mark.parametrize(
    ("call", "setting"),
    [
        (lambda: retime_speed(range(1, 5), 0), "timing.speed"),
        (lambda: retime_speed(range(1, 5), -0.5), "timing.speed"),
        (lambda: retime_speed(range(1, 5), float("nan")), "timing.speed"),
        (lambda: retime_speed(range(1, 5), Fraction(0)), "timing.speed"),
        (lambda: parse_speed("fast"), "timing.speed"),
        (lambda: retime_multiply(range(1, 5), 0), "timing.multiplier"),
        (lambda: retime_multiply(range(1, 5), 2.5), "timing.multiplier"),  # type: ignore[arg-type]
        (lambda: retime_multiply(range(1, 5), True), "timing.multiplier"),
        (lambda: retime_fps(range(1, 5), 0, 24), "timing.source_fps"),
        (lambda: retime_fps(range(1, 5), 24, "x"), "timing.output_fps"),
        (lambda: retime_curve(range(1, 5), []), "timing.keys"),
        (lambda: retime_curve(range(1, 5), [(3, 1.0), (2, 2.0)]), "timing.keys"),
        (lambda: retime_curve(range(1, 5), [(1, 1.0)], shape="cubic"), "timing.curve_shape"),  # type: ignore[arg-type]
        (lambda: retime_fill(range(1, 5), [9]), "timing.fill_frames"),
        (lambda: retime_fill(range(1, 5), [0, 2]), "timing.fill_frames"),
        (lambda: retime_fill(range(1, 5), []), "timing.fill_frames"),
        (lambda: retime_fill(range(1, 3), [1, 2]), "timing.fill_frames"),
        (lambda: retime_speed([], 1), "frames"),
        (lambda: TimingSpec.from_dict({"mode": "warp"}), "timing.mode"),
        (lambda: TimingSpec.from_dict({"mode": "speed", "speed": 0}), "timing.speed"),
        (lambda: TimingSpec.from_dict({"mode": "fps", "source_fps": 24}), "timing.output_fps"),
        (lambda: TimingSpec.from_dict({"mode": "multiply", "multiplier": 0}), "timing.multiplier"),
        (lambda: TimingSpec.from_dict({"mode": "curve"}), "timing.keys"),
        (lambda: TimingSpec.from_dict({"mode": "fill"}), "timing.fill_frames"),
    ],
)
def test_invalid_settings_raise_job_error_naming_the_setting(call, setting: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(JobError) as err:
        call()
    assert err.value.setting == setting
    assert setting.split(".")[-1] in str(err.value)


# --------------------------------------------------------------------------- the job's setting


@pytest.mark.parametrize(
    "spec",
    [
        TimingSpec(mode="speed", speed=0.5),
        TimingSpec(mode="speed", speed=0.333, centre_samples=True),
        TimingSpec(mode="fps", source_fps=Fraction(24000, 1001), output_fps=Fraction(60000, 1001)),
        TimingSpec(mode="fps", source_fps=Fraction(25), output_fps=Fraction(24)),
        TimingSpec(mode="multiply", multiplier=4),
        TimingSpec(mode="curve", keys=((1001, 1001.0), (1010, 1004.5)), curve_shape="smooth"),
        TimingSpec(mode="fill", fill_frames=(1012, 1013)),
    ],
)
def test_to_dict_from_dict_round_trip(spec: TimingSpec) -> None:
    data = spec.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON
    assert TimingSpec.from_dict(json.loads(json.dumps(data))) == spec


def test_to_dict_format() -> None:
    assert TimingSpec(mode="speed", speed=0.5).to_dict() == {
        "mode": "speed",
        "speed": 0.5,
        "centre_samples": False,
    }
    spec = TimingSpec(mode="fps", source_fps=parse_fps("23.976"), output_fps=parse_fps(24))
    assert spec.to_dict() == {
        "mode": "fps",
        "source_fps": "24000/1001",
        "output_fps": "24",
    }
    curve = TimingSpec(mode="curve", keys=((1, 1.0), (5, 3.0)))
    assert curve.to_dict() == {
        "mode": "curve",
        "keys": [{"frame": 1, "source": 1.0}, {"frame": 5, "source": 3.0}],
        "curve_shape": "linear",
    }
    assert TimingSpec(mode="fill", fill_frames=(7, 3, 7)).to_dict() == {
        "mode": "fill",
        "fill_frames": [3, 7],
    }


def test_from_dict_reads_hand_written_values() -> None:
    assert TimingSpec.from_dict({"mode": "speed", "speed": "50%"}).speed == 0.5
    fps = TimingSpec.from_dict({"mode": "fps", "source_fps": "23.976", "output_fps": 59.94})
    assert (fps.source_fps, fps.output_fps) == (Fraction(24000, 1001), Fraction(60000, 1001))
    curve = TimingSpec.from_dict({"mode": "curve", "keys": [[1, 1], [4, 2.5]]})
    assert curve.keys == ((1, 1.0), (4, 2.5))
    assert TimingSpec.from_dict({"mode": "multiply", "multiplier": 3}) == (
        TimingSpec(mode="multiply", multiplier=3)
    )


@pytest.mark.parametrize(
    ("data", "setting"),
    [
        ({}, "timing.mode"),
        ({"mode": "slow"}, "timing.mode"),
        ({"mode": "speed", "sped": 0.5}, "timing.sped"),
        ({"mode": "speed", "multiplier": 2}, "timing.multiplier"),
        ({"mode": "speed", "speed": 0}, "timing.speed"),
        ({"mode": "speed", "centre_samples": "yes"}, "timing.centre_samples"),
        ({"mode": "fps", "source_fps": "24"}, "timing.output_fps"),
        ({"mode": "multiply", "multiplier": "4"}, "timing.multiplier"),
        ({"mode": "curve", "keys": "1,2"}, "timing.keys"),
        ({"mode": "curve", "keys": [[1, 1]], "curve_shape": "bezier"}, "timing.curve_shape"),
        ({"mode": "fill", "fill_frames": 1012}, "timing.fill_frames"),
        ({"mode": "fill", "fill_frames": [1012.5]}, "timing.fill_frames"),
        # timing.output_start is gone: output.start numbers the frames.
        ({"mode": "multiply", "multiplier": 2, "output_start": 1}, "timing.output_start"),
    ],
)
def test_from_dict_rejects_invalid_fields(data: dict[str, object], setting: str) -> None:
    with pytest.raises(JobError) as err:
        TimingSpec.from_dict(data)
    # Every problem of the section is reported, each naming its field.
    assert setting in {problem.setting for problem in err.value.problems}


def test_build_timing_dispatches_every_mode() -> None:
    frames = range(1001, 1006)
    assert build_timing(TimingSpec(mode="speed", speed=0.5), frames) == retime_speed(frames, 0.5)
    assert build_timing(
        TimingSpec(mode="fps", source_fps=Fraction(25), output_fps=Fraction(24)), frames
    ) == retime_fps(frames, 25, 24)
    assert build_timing(TimingSpec(mode="multiply", multiplier=3), frames) == retime_multiply(
        frames, 3
    )
    keys = ((1, 1005.0), (5, 1001.0))
    assert build_timing(TimingSpec(mode="curve", keys=keys), frames) == retime_curve(frames, keys)
    assert build_timing(TimingSpec(mode="fill", fill_frames=(1003,)), frames) == retime_fill(
        frames, [1003]
    )


# --------------------------------------------------------------------------- chunks


def test_select_outputs_and_required_frames() -> None:
    samples = retime_speed(range(1001, 1006), 0.5)
    chunk = select_outputs(samples, range(1003, 1006))
    assert [s.output_frame for s in chunk] == [1003, 1004, 1005]
    assert required_frames(chunk) == [1002, 1003]  # 1002, 1002.5, 1003
    assert select_outputs(samples, [1009, 1001]) == [samples[0], samples[-1]]
    with pytest.raises(JobError) as err:
        select_outputs(samples, range(1005, 1012))
    assert err.value.setting == "frames" and "1010, 1011" in str(err.value)
    assert len(select_outputs(samples, range(1005, 1012), strict=False)) == 5


def test_sample_rejects_inconsistent_values() -> None:
    with pytest.raises(ValueError):
        Sample(1, 1.0, 1, 2, 1.0)
    with pytest.raises(ValueError):
        Sample(1, 1.0, 1, 2, 0.0)
    with pytest.raises(ValueError):
        Sample(1, 1.5, 1, 1, 0.5)


# --------------------------------------------------------------------------- animated speeds


def test_animated_output_speed_integrates_the_keyed_curve() -> None:
    # speed(f) = 1 at output 1, 0.5 at output 5: linear between, held after.
    # position(f) = 1 + ∫_1^f speed: ∫_1^2 = (1 + 0.875)/2 = 0.9375, ∫_2^3 = (0.875 + 0.75)/2
    # = 0.8125, ∫_3^4 = 0.6875, ∫_4^5 = 0.5625 (sum 3), then 0.5 per frame.
    spec = TimingSpec.from_dict(
        {"mode": "speed", "speed": [{"frame": 1, "speed": 1}, {"frame": 5, "speed": "50%"}]}
    )
    samples = build_timing(spec, range(1, 8))
    assert positions(samples) == [1, 1.9375, 2.75, 3.4375, 4, 4.5, 5, 5.5, 6, 6.5, 7]
    assert [s.output_frame for s in samples] == list(range(1, 12))
    assert (samples[1].frame_a, samples[1].frame_b, samples[1].t) == (1, 2, 0.9375)


def test_animated_output_speed_keys_use_the_output_numbering() -> None:
    # Keys at output frames 101 and 103 (the job's output.start is 101): speed 2 → 0 … held 0
    # would never end, so the last key comes back up: 2, 0, 2 at 101, 102, 103.
    # ∫_101^102 = 1, ∫_102^103 = 1, then 2 per frame: positions 10, 11, 12, 14, 16, 18, 20.
    keys = [(101, 2.0), (102, 0.0), (103, 2.0)]
    samples = build_timing(
        TimingSpec(mode="speed", speed_keys=keys), range(10, 21), output_start=101
    )
    assert positions(samples) == [10, 11, 12, 14, 16, 18, 20]
    assert samples[0].output_frame == 101
    # the same keys read from output frame 1 are all "after the last key": speed 2 throughout
    assert positions(build_timing(TimingSpec(mode="speed", speed_keys=keys), range(10, 21))) == [
        10, 12, 14, 16, 18, 20,
    ]  # fmt: skip


def test_a_constant_keyed_speed_equals_the_plain_speed() -> None:
    keyed = build_timing(TimingSpec(mode="speed", speed_keys=((1001, 0.4),)), range(1001, 1011))
    plain = build_timing(TimingSpec(mode="speed", speed=0.4), range(1001, 1011))
    assert keyed == plain


def test_animated_speed_reverses_and_holds_the_first_frame() -> None:
    # speed 1 at 1, −1 at 3: ∫_1^2 = 0.5, ∫_2^3 = −0.5, then −1 per frame: 1, 1.5, 1, (0 → held 1)
    samples = build_timing(TimingSpec(mode="speed", speed_keys=((1, 1.0), (3, -1.0))), range(1, 6))
    assert positions(samples) == [1, 1.5, 1]


def test_animated_speed_that_stops_for_ever_is_refused() -> None:
    with pytest.raises(JobError, match="never reaches the last source frame") as err:
        build_timing(TimingSpec(mode="speed", speed_keys=((1, 1.0), (3, 0.0))), range(1, 10))
    assert err.value.setting == "timing.speed"
    with pytest.raises(JobError, match="0 everywhere"):
        TimingSpec.from_dict({"mode": "speed", "speed": [[1, 0], [5, "0%"]]})
    with pytest.raises(JobError, match="must increase"):
        TimingSpec.from_dict({"mode": "speed", "speed": [[5, 1], [5, 0.5]]})


def test_animated_input_speed_is_evaluated_on_the_source_axis() -> None:
    # speed(p) = 1 at source 1, 0.5 at source 5 (linear), 0.5 after: each output advances by
    # the speed at the source position it shows: 1 → 2 (speed 1), 2 → 2.875 (speed 0.875),
    # 2.875 → 2.875 + (1 − 1.875/8) = 3.640625, then 3.640625 + (1 − 2.640625/8).
    spec = TimingSpec.from_dict(
        {"mode": "input_speed", "keys": [[1, 1], {"source": 5, "speed": "50%"}]}
    )
    got = positions(build_timing(spec, range(1, 8)))
    p4 = 3.640625 + (1 - 2.640625 / 8)
    assert got[:5] == [1, 2, 2.875, 3.640625, p4]
    # past source 5 the speed is held at 0.5 until the last source frame
    assert all(b - a == pytest.approx(0.5) for a, b in itertools.pairwise(got[6:]))
    assert got[-1] <= 7 < got[-1] + 0.5 + 1e-9
    assert spec.to_dict() == {
        "mode": "input_speed",
        "keys": [{"source": 1.0, "speed": 1.0}, {"source": 5.0, "speed": 0.5}],
    }


def test_input_speed_must_move_forwards() -> None:
    with pytest.raises(JobError, match="must be > 0") as err:
        TimingSpec.from_dict({"mode": "input_speed", "keys": [[1, 1], [5, 0]]})
    assert err.value.setting == "timing.keys"


def test_animated_speeds_round_trip_through_the_job_file() -> None:
    spec = TimingSpec.from_dict({"mode": "speed", "speed": [[1001, "100%"], [1025, 0.25]]})
    assert spec.to_dict()["speed"] == [
        {"frame": 1001.0, "speed": 1.0},
        {"frame": 1025.0, "speed": 0.25},
    ]
    assert TimingSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
