"""The shared statistics: t-intervals, Welch's interval, paired differences and their verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from solidarity_sim.analysis.statistics import (
    difference_verdict,
    paired_difference,
    t_interval,
    t_quantile,
    welch_interval,
)


@pytest.mark.parametrize("p", [0.975, 0.995, 0.5, 0.0, 1.0, 1.5, np.nan])
def test_t_quantile_is_scipy_t_ppf_bit_for_bit(p):
    df = np.concatenate([np.arange(-2, 300), np.random.default_rng(2).uniform(0, 80, 500),
                         [np.nan, np.inf]])
    got, expected = t_quantile(p, df), stats.t.ppf(p, df)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected, equal_nan=True)
    for d in (1, 4, 7.5, 0, np.nan):
        one, scipy_one = t_quantile(p, d), stats.t.ppf(p, d)
        assert type(one) is type(scipy_one)
        assert np.array_equal(one, scipy_one, equal_nan=True)


def test_t_interval_matches_scipy():
    x = np.random.default_rng(1).normal(5.0, 2.0, size=7)
    mean, low, high = t_interval(x)
    expected = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    assert mean == pytest.approx(x.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


def test_t_interval_ignores_missing_values_and_needs_two():
    assert t_interval(np.array([1.0, np.nan, 3.0]))[0] == pytest.approx(2.0)
    mean, low, high = t_interval(np.array([4.0]))
    assert mean == 4.0 and np.isnan(low) and np.isnan(high)


def test_welch_interval_matches_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1.0, 1.0, 6), rng.normal(0.0, 3.0, 9)
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert welch_interval(a, b) == pytest.approx((expected.low, expected.high))


def test_paired_difference_pairs_replications_and_words_the_verdict():
    ref = np.array([10.0, 20.0, 30.0])
    x = ref - np.array([1.0, 1.2, 0.9])
    out = paired_difference(x, ref, better=-1)
    assert out["diff"] == pytest.approx(-31 / 30)
    assert out["diff_high"] < 0 < out["unpaired_high"]
    assert out["verdict"] == "better"
    assert difference_verdict(+1, out["diff_low"], out["diff_high"]) == "worse"
    assert difference_verdict(0, out["diff_low"], out["diff_high"]) == "lower"
