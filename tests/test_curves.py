"""Curve keys: parsing JSON and CSV, validation, linear and monotone-smooth evaluation."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from vtinker_core.curves import evaluate_curve, load_curve_keys, parse_curve_keys
from vtinker_core.errors import JobError

# --------------------------------------------------------------------------- evaluation


def test_smooth_curve_does_not_overshoot_monotone_keys() -> None:
    keys = [(0, 0.0), (1, 0.0), (2, 10.0), (3, 10.0), (10, 11.0)]
    xs = [i / 20 for i in range(201)]
    values = evaluate_curve(keys, xs, shape="smooth")
    assert min(values) >= 0.0 and max(values) <= 11.0
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
    assert evaluate_curve(keys, [0.5, 2.5], shape="smooth") == [0.0, 10.0]  # flat stays flat


# --------------------------------------------------------------------------- keys


def test_curve_keys_from_json_and_csv(tmp_path: Path) -> None:
    expected = ((1001, 1001.0), (1010, 1004.5))
    assert parse_curve_keys(
        '[{"frame": 1001, "source": 1001.0}, {"frame": 1010, "source": 1004.5}]'
    )
    assert parse_curve_keys("[[1001, 1001.0], [1010, 1004.5]]") == expected
    assert parse_curve_keys('{"keys": [[1001, 1001], [1010.0, 1004.5]]}') == expected
    assert parse_curve_keys("frame,source\n1001,1001.0\n1010,1004.5\n") == expected
    assert parse_curve_keys("# exported\n1001, 1001\n\n1010, 1004.5\n") == expected
    assert parse_curve_keys("source,frame\n1001,1001\n1004.5,1010\n") == expected
    (tmp_path / "keys.json").write_text(json.dumps([{"frame": 1001, "source": 1001.0}]))
    (tmp_path / "keys.csv").write_text("frame,source\n1001,1001\n1010,1004.5\n")
    assert load_curve_keys(tmp_path / "keys.json") == ((1001, 1001.0),)
    assert load_curve_keys(tmp_path / "keys.csv") == expected
    with pytest.raises(JobError) as err:
        load_curve_keys(tmp_path / "missing.csv")
    assert err.value.setting == "timing.keys" and err.value.path == tmp_path / "missing.csv"


@pytest.mark.parametrize(
    "text",
    ["[]", "", "[[1, 1], [1, 2]]", "[[2, 1], [1, 2]]", "[[1.5, 1]]", "[[1, \"x\"]]", "[1, 2]",
     "time,value\n1,1\n", "[[1, NaN]]", "{bad json"],
)  # fmt: skip
def test_invalid_curve_keys_name_the_setting(text: str) -> None:
    with pytest.raises(JobError) as err:
        parse_curve_keys(text)
    assert err.value.setting == "timing.keys"
