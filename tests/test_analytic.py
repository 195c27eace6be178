"""Analytic limits of the model."""

import numpy as np
from conftest import small_run

EFFECTS_OFF = {f"effects.{name}": 0.0 for name in (
    "democracy_retention", "democracy_recruitment", "transparency_visibility",
    "transparency_trust", "pluralism_reach", "recognition_attraction", "recognition_practice",
    "legitimacy_demonstration", "scalability_relief", "scalability_growth", "awareness_outreach",
    "meaning_retention", "meaning_recovery")}


def fixed_hazards(join, quit_):
    """Contagion, factors and crises off; every hazard modifier neutral; fixed join and quit."""
    return {
        **EFFECTS_OFF,
        "population.citizens": 4000, "population.neighbourhoods": 1, "weeks": 700,
        "citizens.disposition_mean": 1.0, "citizens.disposition_spread": 0.0,
        "citizens.availability_mean": 1.0, "citizens.availability_spread": 0.0,
        "citizens.awareness_initial": 1.0, "awareness.decay": 0.0,
        "volunteering.join_rate": join, "volunteering.quit_rate": quit_,
        "volunteering.contagion": 0.0, "volunteering.crisis_motivation": 0.0,
        "volunteering.idle_quit": 0.0, "volunteering.early_quit": 0.0,
        "volunteering.burnout_rate": 0.0, "volunteering.fatigue_gain": 0.0,
        "volunteering.initial_share": 0.0, "emergence.enabled": False,
    }


def chain(join, quit_):
    """Weekly probabilities of the two-state chain: a bystander joins (and may quit the same
    week, as retention follows recruitment in the schedule); a volunteer quits."""
    p, q = -np.expm1(-join), -np.expm1(-quit_)
    return p * (1 - q), q


def run_fixed(join, quit_):
    return small_run(**{k.replace(".", "__"): v for k, v in fixed_hazards(join, quit_).items()}
                     ).timeseries


def test_long_run_volunteer_share_is_join_over_join_plus_quit():
    for join, quit_ in ((0.01, 0.02), (0.03, 0.01)):
        observed = run_fixed(join, quit_)["volunteer_share"].iloc[300:].mean()
        a, b = chain(join, quit_)
        assert abs(observed - a / (a + b)) < 0.01, (join, quit_, observed, a / (a + b))
        assert abs(observed - join / (join + quit_)) < 0.02


def test_retention_matches_the_two_state_chain():
    join, quit_ = 0.01, 0.02
    a, b = chain(join, quit_)
    expected = (a + b * (1 - a - b) ** 52) / (a + b)
    observed = run_fixed(join, quit_)["retention_12m"].iloc[300:].mean()
    assert abs(observed - expected) < 0.02, (observed, expected)


def test_without_csos_nobody_volunteers():
    ts = small_run(csos__density=0.0).timeseries
    assert ts["volunteers"].max() == 0
    assert ts["need_met_csos"].max() == 0
    np.testing.assert_allclose(ts["unmet_need"], ts["need_total"] - ts["need_met_state"])


def test_full_welfare_coverage_leaves_no_unmet_need():
    ts = small_run(state__welfare_coverage=1.0, state__newcomer_coverage=1.0).timeseries
    assert ts["unmet_need"].abs().max() < 1e-9
    assert ts["need_met_csos"].max() < 1e-9
