"""Analytic limits of the model (the same reductions ``solidarity-sim validate`` checks)."""

import numpy as np

import solidarity_sim as ss
from solidarity_sim.analysis.validation import fixed_hazards, two_state_chain
from tests.helpers import small_run


def run_fixed(join, quit_):
    return ss.run("baseline", seed=0, overrides=fixed_hazards(join, quit_)).timeseries


def test_long_run_volunteer_share_is_join_over_join_plus_quit():
    for join, quit_ in ((0.01, 0.02), (0.03, 0.01)):
        observed = run_fixed(join, quit_)["volunteer_share"].iloc[300:].mean()
        a, b = two_state_chain(join, quit_)
        assert abs(observed - a / (a + b)) < 0.01, (join, quit_, observed, a / (a + b))
        assert abs(observed - join / (join + quit_)) < 0.02


def test_retention_matches_the_two_state_chain():
    join, quit_ = 0.01, 0.02
    a, b = two_state_chain(join, quit_)
    expected = (a + b * (1 - a - b) ** 52) / (a + b)
    observed = run_fixed(join, quit_)["retention_12m"].iloc[300:].mean()
    assert abs(observed - expected) < 0.02, (observed, expected)


def test_without_csos_nobody_volunteers():
    ts = small_run(csos__density=0.0, csos__founding_rate=0.0).timeseries
    assert ts["volunteers"].max() == 0
    assert ts["need_met_csos"].max() == 0
    np.testing.assert_allclose(ts["unmet_need"], ts["need_total"] - ts["need_met_state"])


def test_full_welfare_coverage_leaves_no_unmet_need():
    ts = small_run(state__welfare_coverage=1.0, state__newcomer_coverage=1.0).timeseries
    assert ts["unmet_need"].abs().max() < 1e-9
    assert ts["need_met_csos"].max() < 1e-9
