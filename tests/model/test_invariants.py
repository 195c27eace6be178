"""Property-based tests: invariants hold for any valid parameters (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import solidarity_sim as ss
from solidarity_sim.model.parameters import FACTORS, FUNDING_POLICIES
from solidarity_sim.model.records import mean, mean_sd

level = st.floats(0.0, 1.0)
crisis = st.fixed_dictionaries({
    "kind": st.sampled_from(["economic", "migration", "pandemic"]),
    "onset": st.integers(0, 30), "duration": st.integers(1, 30), "severity": level,
    "reach": level, "arrivals": st.floats(0.0, 0.3), "confinement": st.integers(0, 20),
})
overrides = st.fixed_dictionaries({
    "population.citizens": st.integers(50, 600),
    "population.neighbourhoods": st.integers(1, 12),
    "population.minority_share": level,
    "population.homophily": level,
    "weeks": st.integers(5, 60),
    "csos.density": st.floats(0.0, 80.0),
    **{f"csos.factors.{f}": level for f in FACTORS},
    "state.welfare_coverage": level,
    "state.funding.policy": st.sampled_from(FUNDING_POLICIES),
    "state.funding.budget": st.floats(0.0, 100.0),
    "state.levers.training": st.floats(0.0, 20.0),
    "state.levers.emergency_fund": st.floats(0.0, 20.0),
    "state.levers.recognition_awards": st.floats(0.0, 5.0),
    "state.austerity.cut": level,
    "volunteering.join_rate": st.floats(0.0, 0.5),
    "volunteering.quit_rate": st.floats(0.0, 0.5),
    "volunteering.productivity": st.floats(0.0, 2.0),
    "crises": st.lists(crisis, max_size=3),
})

SHARES = ["volunteer_share", "minority_volunteer_share", "retention_12m", "recognition_mean",
          "capacity_gini", "awareness_mean", "fatigue_mean", "welfare_coverage",
          "crisis_salience"]
NON_NEGATIVE = ["volunteers", "joins", "quits", "quits_burnout", "csos_active", "csos_formal",
                "csos_informal", "csos_founded", "csos_dissolved", "need_total", "need_met_state",
                "need_met_csos", "unmet_need_minority", "state_spending", "donations",
                "cso_income", "cso_spend", "cso_budget_total", "beneficiaries", "mean_tenure"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides, st.integers(0, 2**31 - 1))
def test_invariants_hold_for_any_valid_parameters(changes, seed):
    try:
        spec = ss.load_scenario("baseline", changes)
    except ss.ScenarioError as err:  # a town too small for any CSO is refused
        assert "nobody could ever volunteer" in str(err)
        assume(False)
    model = ss.SolidarityModel(spec, rng=seed)
    previous_budget = model.cso_table.budget.sum()
    previous_volunteers = int(model.pop.volunteer.sum())
    residents = changes["population.citizens"]
    while model.running:
        model.step()
        f = model.flows
        # people: volunteers = earlier volunteers + joins - quits; nobody appears or vanishes
        volunteers = int(model.pop.volunteer.sum())
        assert volunteers == previous_volunteers + f["joins"] - f["quits"]
        previous_volunteers = volunteers
        assert model.n_present == residents + int((model.pop.newcomer & model.pop.present).sum())
        assert not (model.pop.volunteer & ~model.pop.present).any()
        # counts kept up to date as spells start and end agree with a recount
        pop = model.pop
        assert (model.cso_table.members == np.bincount(
            pop.cso[pop.volunteer], minlength=len(model.cso_table))).all()
        assert (model.town.volunteer_neighbours
                == model.net.neighbour_sum(pop.volunteer.astype(np.float64))).all()
        # money: CSO budgets change by income - spending - what dissolved CSOs held + what new
        # associations brought
        budget = model.cso_table.budget.sum()
        expected = previous_budget + f["cso_income"] - f["cso_spend"] \
            - f["cso_money_at_dissolution"] + f["cso_money_at_founding"]
        assert np.isclose(budget, expected, rtol=1e-9, atol=1e-6)
        previous_budget = budget
        # the state pays exactly what CSOs receive from it, and never a negative amount
        assert all(v >= -1e-9 for v in model.state.spending.amounts.values())
        assert model.town.payments.sum() <= model.state.spending.total + 1e-6
        assert (model.cso_table.budget >= -1e-9).all()
    ts = model.datacollector.get_model_vars_dataframe()
    for column in SHARES:
        values = ts[column].dropna()
        assert ((values >= -1e-12) & (values <= 1 + 1e-12)).all(), column
    for column in NON_NEGATIVE:
        assert (ts[column] >= -1e-9).all(), column
    assert (ts["need_met_state"] + ts["need_met_csos"] <= ts["need_total"] + 1e-6).all()
    assert (ts["unmet_need_minority"] <= ts["need_minority"] + 1e-6).all()
    assert (ts["unmet_need"] >= -1e-6).all()
    assert (ts["citizens"] >= residents).all()


@given(st.lists(st.floats(-1e6, 1e6), max_size=300))
def test_mean_sd_and_mean_are_numpy_mean_and_std_exactly(values):
    x = np.array(values, dtype=np.float64)
    expected = (float(x.mean()), float(x.std())) if x.size else (0.0, 0.0)
    assert mean_sd(x) == expected
    assert mean(x) == expected[0]
