"""The one outcome type: statistics over a window, ratios, scale, and the experiment-file form."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from solidarity_sim.analysis.comparison import OUTCOME_BY_NAME, outcome_values
from solidarity_sim.analysis.validation import largest, mean
from solidarity_sim.batch.experiment import ExperimentError, load_experiment
from solidarity_sim.results.outcomes import Outcome
from tests.batch.test_experiment import GOOD, write

WEEKLY = pd.DataFrame({"week": range(5), "spent": [0.0, 4.0, 6.0, 0.0, 2.0],
                       "met": [1.0, 1.0, 2.0, 0.0, 0.0], "v": [-3.0, 1.0, math.nan, 2.0, 0.5]})


def test_a_ratio_divides_two_totals_over_the_window():
    cost = Outcome("cost", "spent", "ratio", per="met")
    assert cost.measure(WEEKLY) == pytest.approx(12.0 / 4.0)
    assert math.isnan(Outcome("c", "spent", "ratio", 3, per="met").measure(WEEKLY))  # met 0
    assert cost.spec() == {"column": "spent", "stat": "ratio", "window": [0, None],
                           "label": "", "per": "met"}


def test_largest_scale_and_open_windows():
    assert Outcome("x", "v", "largest").measure(WEEKLY) == 3.0
    assert Outcome("x", "v", "mean", 1, scale=100.0).measure(WEEKLY) == pytest.approx(
        100 * 3.5 / 3)
    assert Outcome("x", "v", "peak_week", scale=100.0).measure(WEEKLY) == 3.0  # a week: unscaled
    assert Outcome("x", "v", "mean", 1).describe() == "mean of v, weeks 1 on"
    assert Outcome("x", "v", "total", 0, 3).describe() == "total of v, weeks 0-2"


def test_a_ratio_needs_its_denominator_and_only_a_ratio_has_one():
    with pytest.raises(ValueError, match="needs 'per'"):
        Outcome("c", "spent", "ratio")
    with pytest.raises(ValueError, match="needs 'per'"):
        Outcome("c", "spent", "mean", per="met")
    with pytest.raises(ValueError, match="'median' is not one of"):
        Outcome("c", "spent", "median")


def test_compare_and_validate_use_the_same_outcome_type():
    assert isinstance(OUTCOME_BY_NAME["cost_per_need_met"], Outcome)
    assert mean("volunteer_share") == Outcome("volunteer_share", "volunteer_share", "mean", 52)
    assert largest("volunteers").stat == "largest"
    values = outcome_values(WEEKLY.rename(columns={"spent": "state_spending",
                                                   "met": "need_met_csos"}).assign(
        volunteer_share=0.5, retention_12m=0.6, csos_active=3, recognition_mean=0.4,
        capacity_gini=0.2, unmet_need=1.0, unmet_need_minority=0.5))
    assert values["cost_per_need_met"] == pytest.approx(3.0)
    assert values["volunteer_share"] == pytest.approx(50.0)


def test_experiment_files_declare_ratios_with_per(tmp_path):
    text = GOOD.replace('retention = { column = "retention_12m", stat = "final" }',
                        'cost = { column = "state_spending", stat = "ratio", '
                        'per = "need_met_csos", window = [10, 60] }')
    (cost,) = load_experiment(write(tmp_path, text)).outcomes
    assert (cost.stat, cost.per, cost.start, cost.end) == ("ratio", "need_met_csos", 10, 60)
    bad = text.replace(', per = "need_met_csos"', "")
    with pytest.raises(ExperimentError, match="key 'outcomes.cost': stat 'ratio' with per ''"):
        load_experiment(write(tmp_path, bad, "bad.toml"))
