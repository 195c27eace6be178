"""Every bundled scenario validates and runs a short horizon."""

import pytest

import solidarity_sim as ss
from solidarity_sim.model.scenario import bundled_scenarios


def test_the_required_scenarios_are_bundled():
    assert {"baseline", "pandemic"} <= set(bundled_scenarios())


def test_baseline_is_the_documented_default():
    s = ss.load_scenario("baseline")
    assert s.get("population.citizens") == 10_000
    assert s.get("weeks") == 520
    assert s.get("crises") == []


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenario_runs(name):
    s = ss.load_scenario(name)
    assert s.params["description"] and s.params["sources"], "describe it and cite its sources"
    result = ss.run(name, seed=1, weeks=60, overrides={"population.citizens": 1500})
    ts = result.timeseries
    assert len(ts) == 60
    assert ts["volunteers"].iloc[-1] > 0
    assert ts["need_total"].min() > 0
