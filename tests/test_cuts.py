"""Scene cuts: the measure on synthetic pictures, the editable list, and holds at cuts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from vtinker_core.cuts import (
    DEFAULT_THRESHOLD,
    apply_cuts,
    cut_score,
    detect_cuts,
    load_cuts,
    parse_cuts,
    save_cuts,
    score_cuts,
)
from vtinker_core.errors import JobError
from vtinker_core.timing import Sample, retime_fill, retime_multiply, retime_speed

Image = NDArray[np.float32]


def scene(seed: int, shift: float = 0.0, height: int = 90, width: int = 160) -> Image:
    """A smooth, colourful test picture (sums of sines), moved right by ``shift`` pixels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x = x - shift
    image = np.empty((height, width, 3), np.float32)
    for c in range(3):
        fx, fy = rng.uniform(0.02, 0.12, 2)
        px, py = rng.uniform(0, 6.28, 2)
        image[..., c] = 0.5 + 0.2 * np.sin(fx * x + px) + 0.2 * np.sin(fy * y + py)
    return image


def test_identical_and_slightly_changing_frames_score_low() -> None:
    a = scene(1)
    assert cut_score(a, a) == 0.0
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 0.02, a.shape), 0, 1)
    assert cut_score(a, noisy.astype(np.float32)) < 0.05
    assert cut_score(a, scene(1, shift=1.0)) < 0.1  # slow camera move


def test_different_content_scores_above_the_threshold() -> None:
    assert cut_score(scene(1), scene(2)) > DEFAULT_THRESHOLD
    assert cut_score(scene(3), scene(4)) > DEFAULT_THRESHOLD
    black = np.zeros((36, 64, 3), np.float32)
    white = np.ones((36, 64, 3), np.float32)
    assert cut_score(black, white) == pytest.approx(63 / 64)  # flat frames: the tone term
    assert cut_score(scene(1), 1 - scene(1)) > 0.7  # a negative: the structure term


def test_score_is_in_range_for_any_size_and_out_of_range_values() -> None:
    tiny = np.full((4, 5, 3), 0.2, np.float32)
    hdr = scene(5) * 40 - 3  # scene-linear highlights and negatives are clipped
    assert 0.0 <= cut_score(tiny, hdr) <= 1.0
    assert 0.0 <= cut_score(scene(5, width=1999), scene(6, height=7)) <= 1.0
    with pytest.raises(ValueError, match="H×W×3"):
        cut_score(np.zeros((4, 4), np.float32), tiny)


def test_slow_fade_and_dissolve_do_not_trigger() -> None:
    a, b = scene(1), scene(2)
    frames = {f: a * (1 - f / 24) for f in range(25)}  # fade to black over 24 frames
    frames |= {100 + f: a * (1 - f / 24) + b * f / 24 for f in range(25)}  # cross-dissolve
    frames |= {200 + f: a * (1 - f / 24) + f / 24 for f in range(25)}  # fade to white
    for start in (0, 100, 200):
        span = range(start, start + 25)
        assert detect_cuts(span, frames.__getitem__) == []
        assert max(score_cuts(span, frames.__getitem__).values()) < 0.1


def test_detect_cuts_returns_the_first_frame_of_each_shot() -> None:
    shots = {f: scene(1, shift=f * 0.5) for f in range(1001, 1012)}
    shots |= {f: scene(2, shift=f * 0.5) for f in range(1012, 1040)}
    shots |= {f: scene(3) for f in range(1040, 1046)}
    reads: list[int] = []

    def read(frame: int) -> Image:
        reads.append(frame)
        return shots[frame]

    frames = range(1001, 1046)
    assert detect_cuts(frames, read) == [1012, 1040]
    assert reads == list(frames)  # each frame read once
    assert detect_cuts(frames, shots.__getitem__, threshold=1.0) == []
    assert detect_cuts([1001], shots.__getitem__) == []
    for bad in (0, -0.1, 1.5, True):
        with pytest.raises(JobError) as err:
            detect_cuts(frames, shots.__getitem__, threshold=bad)
        assert err.value.setting == "cuts.threshold"


def test_parse_load_and_save_cut_lists(tmp_path: Path) -> None:
    assert parse_cuts("1012,1040") == [1012, 1040]
    assert parse_cuts(" 1040; 1012 1012\n") == [1012, 1040]
    assert parse_cuts("[1040, 1012.0]") == [1012, 1040]
    assert parse_cuts('{"cuts": [1012]}') == [1012]
    assert parse_cuts("") == []
    path = tmp_path / "shot.cuts.json"
    save_cuts(path, [1040, 1012])
    assert json.loads(path.read_text()) == {"cuts": [1012, 1040]}
    assert load_cuts(path) == [1012, 1040]
    (tmp_path / "cuts.txt").write_text("1012, 1040\n")
    assert load_cuts(tmp_path / "cuts.txt") == [1012, 1040]
    with pytest.raises(JobError) as err:
        load_cuts(tmp_path / "missing.txt")
    assert err.value.setting == "cuts" and err.value.path == tmp_path / "missing.txt"


@pytest.mark.parametrize("text", ["1012,abc", "1012.5", "[true]", '{"cuts": 5}', "[1, [2]]", "[1"])
def test_invalid_cut_lists_name_the_setting(text: str) -> None:
    with pytest.raises(JobError) as err:
        parse_cuts(text)
    assert err.value.setting == "cuts"


def test_apply_cuts_holds_the_nearer_frame() -> None:
    samples = retime_multiply(range(1, 5), 4)  # 1, 1.25, ..., 4
    held = apply_cuts(samples, [3])
    changed = {s.output_frame: s for s, old in zip(held, samples, strict=True) if s != old}
    # Outputs 6-8 sit at 2.25, 2.5, 2.75 between 2 and 3: t < 0.5 holds 2, t >= 0.5 holds 3.
    assert changed == {
        6: Sample(6, 2.0, 2, 2, 0.0, hold_cut=3),
        7: Sample(7, 3.0, 3, 3, 0.0, hold_cut=3),
        8: Sample(8, 3.0, 3, 3, 0.0, hold_cut=3),
    }
    assert all(s.is_copy and s.is_hold for s in changed.values())
    # Everything else is the very same sample, including the in-betweens next to the cut.
    assert [s for s in held if s.output_frame not in changed] == [
        s for s in samples if s.output_frame not in changed
    ]
    assert not any(s.is_hold for s in held if s.output_frame not in changed)


def test_apply_cuts_leaves_copies_and_other_pairs_alone() -> None:
    samples = retime_speed(range(1, 6), 0.5)
    assert apply_cuts(samples, []) == samples
    assert apply_cuts(samples, [99]) == samples
    held = apply_cuts(samples, [1, 5])  # a cut at the first frame straddles nothing
    assert [s.output_frame for s in held if s.is_hold] == [8]  # 4.5 between 4 and 5 -> 5
    assert held[7] == Sample(8, 5.0, 5, 5, 0.0, hold_cut=5)


def test_apply_cuts_on_a_wide_pair_keeps_each_side_of_the_cut() -> None:
    # Fill 4 and 5 from 3 and 6 with a cut at 5: 4 belongs to the old shot, 5 to the new one.
    held = apply_cuts(retime_fill(range(1, 8), [4, 5]), [5])
    assert held[3] == Sample(4, 3.0, 3, 3, 0.0, hold_cut=5)
    assert held[4] == Sample(5, 6.0, 6, 6, 0.0, hold_cut=5)
    # A cut at 6: 5 (t = 2/3) is still the old shot, so it holds 3, not the nearer 6.
    held = apply_cuts(retime_fill(range(1, 8), [4, 5]), [6])
    assert [s.frame_a for s in held[3:5]] == [3, 3]
