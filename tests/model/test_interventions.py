"""The intervention API: each way to act on a running model equals the event scheduled for that
week in the scenario's ``[[events]]``, number for number, and is recorded."""

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.model.scenario import ScenarioError
from solidarity_sim.model.solidarity_model import SolidarityModel
from solidarity_sim.results.run_result import collect
from tests.helpers import small_model

WEEK, WEEKS = 5, 30

ACTIONS = {
    "economic crisis": (lambda m: m.start_crisis("economic", severity=0.4, reach=0.3),
                        {"crisis": {"kind": "economic", "severity": 0.4, "reach": 0.3}}),
    "pandemic": (lambda m: m.start_crisis("pandemic", duration=8),
                 {"crisis": {"kind": "pandemic", "duration": 8}}),
    "migration": (lambda m: m.start_crisis("migration", duration=6, arrivals=0.1),
                  {"crisis": {"kind": "migration", "duration": 6, "arrivals": 0.1}}),
    "funding policy": (lambda m: m.set_policy("core_funding", budget=20.0),
                       {"set": {"state.funding.policy": "core_funding",
                                "state.funding.budget": 20.0}}),
    "lever": (lambda m: m.set_lever("awareness_campaign", 15.0),
              {"set": {"state.levers.awareness_campaign": 15.0}}),
    "austerity": (lambda m: m.set_austerity(0.4),
                  {"set": {"state.austerity.cut": 0.4, "state.austerity.start": WEEK}}),
    "practice": (lambda m: m.set_practice(1, meaning=0.95, democracy=0.1),
                 {"practice": {"cso": 1, "meaning": 0.95, "democracy": 0.1}}),
}


def run(model: SolidarityModel, act=None) -> SolidarityModel:
    while model.week < WEEKS:
        if act is not None and model.week == WEEK:
            act(model)
        model.step()
    return model


@pytest.mark.parametrize("name", ACTIONS)
def test_an_intervention_equals_the_event_scheduled_for_its_week(name):
    act, table = ACTIONS[name]
    acted = run(small_model(seed=4), act)
    scheduled = run(small_model(seed=4, events=[{"week": WEEK, **table}]))
    untouched = run(small_model(seed=4))
    acted_ts, scheduled_ts = (m.datacollector.get_model_vars_dataframe()
                              for m in (acted, scheduled))
    pd.testing.assert_frame_equal(acted_ts, scheduled_ts)
    for a, s in zip(collect(acted).csos.itertuples(), collect(scheduled).csos.itertuples(),
                    strict=True):
        assert a == s
    differs = ~np.isclose(acted_ts, untouched.datacollector.get_model_vars_dataframe(),
                          equal_nan=True).all(axis=1)
    assert not differs[:WEEK].any() and differs[WEEK:].any()  # it acts, from its week on
    events = collect(acted).events
    assert events[["week", "kind", "origin"]].values.tolist() == [
        [WEEK, next(iter(table)), "intervention"]]
    assert collect(scheduled).events["origin"].tolist() == ["scenario"]
    assert collect(acted).manifest["events"][0]["week"] == WEEK


def test_an_intervention_happens_now_or_is_refused():
    model = run(small_model(seed=4))
    with pytest.raises(ScenarioError, match="an intervention happens now, in week 30"):
        model.intervene({"week": 12, "set": {"state.levers.training": 5.0}})
    with pytest.raises(ScenarioError, match="key 'cso'"):
        model.set_practice(999, meaning=0.5)
    assert model.events == []
