"""Mesa compatibility: agents as views, the DataCollector, batch_run with dotted parameters."""

import mesa
import numpy as np
import pytest

import solidarity_sim as ss
from solidarity_sim.model.agents import Role
from solidarity_sim.model.parameters import FACTORS
from tests.helpers import SMALL, small_model


def test_citizens_are_mesa_agents_viewing_the_arrays():
    m = small_model()
    m.step()
    citizens = m.citizens
    assert isinstance(citizens, mesa.agent.AgentSet) and len(citizens) == 1500
    c = list(citizens)[10]
    assert isinstance(c, mesa.Agent)
    assert c.need == m.pop.need[10] and c.awareness == m.pop.awareness[10]
    m.pop.awareness[10] = 0.123
    assert c.awareness == 0.123  # a view, not a copy
    assert np.isclose(citizens.agg("need", sum), np.sum(m.pop.need))


def test_volunteers_csos_and_state():
    m = small_model()
    for _ in range(5):
        m.step()
    vols = m.volunteers
    assert len(vols) == int(m.pop.volunteer.sum())
    assert all(v.role is Role.VOLUNTEER and v.cso is not None and v.tenure >= 0 for v in vols)
    assert len(m.csos) == int(m.cso_table.active.sum())
    cso = list(m.csos)[0]
    assert set(cso.factors) == set(FACTORS)
    assert cso.volunteers == sum(1 for v in vols if v.cso is cso)
    assert isinstance(m.state, mesa.Agent) and m.state.policy == "none"


def test_datacollector_is_a_mesa_datacollector():
    m = small_model()
    for _ in range(3):
        m.step()
    assert isinstance(m.datacollector, mesa.DataCollector)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 3 and "volunteer_share" in df


def test_after_a_step_the_datacollector_ends_with_the_week_just_simulated():
    m = small_model(crises=[{"kind": "pandemic", "onset": 0, "duration": 10}])
    m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert m.week == 1 and df["week"].tolist() == [0]
    for _ in range(3):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert df["week"].tolist() == [0, 1, 2, 3]
    last = df.iloc[-1]  # measured after the week's processes: the town as the week left it
    assert last["volunteers"] == np.count_nonzero(m.pop.volunteer)
    assert last["csos_active"] == np.count_nonzero(m.cso_table.active)
    assert last["awareness_mean"] == pytest.approx(m.pop.awareness.mean(), rel=1e-12)
    assert last["joins"] == m.flows["joins"] > 0
    assert last.to_dict() == pytest.approx(m.last_row, nan_ok=True)


def test_model_accepts_dotted_keyword_overrides():
    m = ss.SolidarityModel("baseline", rng=1, **{**SMALL, "csos.factors.meaning": 0.8,
                                                  "csos.factor_spread": 0.0})
    assert np.allclose(m.cso_table.factor("meaning"), 0.8)


def test_mesa_batch_run_builds_the_model_from_keyword_arguments():
    params = {**SMALL, "weeks": 10, "csos.factors.meaning": [0.2, 0.8]}
    # Mesa 3.5 takes the seeds as batch_run(rng=...) and deprecates iterations; 3.3 takes them
    # as a model parameter
    if tuple(int(v) for v in mesa.__version__.split(".")[:2]) >= (3, 5):
        seeds = {"rng": [1]}
    else:
        params["rng"], seeds = [1], {"iterations": 1}
    rows = mesa.batch_run(ss.SolidarityModel, parameters=params, max_steps=50,
                          number_processes=1, display_progress=False, **seeds)
    assert {r["csos.factors.meaning"] for r in rows} == {0.2, 0.8}
    assert all(r["week"] == 9 for r in rows)
