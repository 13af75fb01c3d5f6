"""The interval helper of the statistical checks (tests/intervals.py) against tables."""

from __future__ import annotations

import math

import pytest

from intervals import assert_contains, interval, t_quantile


@pytest.mark.parametrize(
    "df, table",
    [(1, 636.6192), (2, 31.5991), (3, 12.9240), (15, 4.0728), (19, 3.8834), (30, 3.6460), (60, 3.4602),
     (120, 3.3735), (None, 3.2905)],
)
def test_999_quantiles_match_tables(df, table):
    assert t_quantile(0.999, df) == pytest.approx(table, abs=6e-5)


def test_95_quantiles_match_the_engines_table():
    from sim.analysis.statistics import t_quantile_975

    for df in (1, 2, 4, 19, 30, 47, 120):
        assert t_quantile(0.95, df) == pytest.approx(t_quantile_975(df), abs=6e-5)
    assert t_quantile(0.95, None) == pytest.approx(1.959964, abs=1e-6)


def test_interval_and_the_check_by_hand():
    # 1, 2, 3, 4: mean 2.5, sd sqrt(5/3), t(0.9995, 3) = 12.9240.
    mean, half = interval([1.0, 2.0, 3.0, 4.0])
    assert (mean, half) == pytest.approx((2.5, 12.9240 * math.sqrt(5 / 3) / 2), rel=1e-5)
    values = [9.9, 10.1, 10.0, 10.05, 9.95]
    assert_contains(values, 10.0, "x", 0.05)  # 10.0 ± 0.30
    with pytest.raises(AssertionError, match="outside"):
        assert_contains(values, 10.4, "x", 0.1)
    with pytest.raises(AssertionError, match="wider"):
        assert_contains(values, 10.0, "x", 0.001)  # a loose interval cannot pass
    with pytest.raises(AssertionError, match="non-finite"):
        interval([1.0, math.nan])
