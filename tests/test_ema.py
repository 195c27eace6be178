"""The EMA Workbench bridge: EMA's own evaluators (sequential and multiprocessing) run the model
and give the numbers of a direct run; every policy in one EMA scenario is paired by its seed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from solidarity_sim.analysis.decision_runs import DecisionTask, run_decision_task
from solidarity_sim.analysis.decision_space import Mix, future_overrides
from solidarity_sim.ema import ema_model
from solidarity_sim.model.scenario import load_scenario

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import ema_workbench
    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator, perform_experiments

# EMA Workbench 2 (Python 3.11) names its points Scenario and Policy; version 3 calls both Sample
Scenario = getattr(ema_workbench, "Scenario", None) or ema_workbench.Sample
Policy = getattr(ema_workbench, "Policy", None) or ema_workbench.Sample

TOWN = {"population.citizens": 800, "population.neighbourhoods": 9}
WEEKS = 40
FUTURES = [Scenario(f"f{i}", kind=kind, onset=8 + i, duration=15, severity=0.5, reach=0.2,
                    austerity=0.1, seed=100 + i)
           for i, kind in enumerate(["economic", "pandemic", "migration"])]
WEIGHTS = ("funding", "emergency_fund", "awareness_campaign", "training", "recognition_awards",
           "network_support")
POLICIES = [Policy("core", funding_policy="core_funding",
                   **{f"w_{w}": float(w == "funding") for w in WEIGHTS}),
            Policy("network", funding_policy="core_funding",
                   **{f"w_{w}": float(w == "network_support") for w in WEIGHTS})]


def experiments(evaluator_class, **options):
    model = ema_model("great-recession", budget=10.0, overrides=TOWN, weeks=WEEKS)
    with evaluator_class(model, **options) as evaluator:
        return perform_experiments(model, FUTURES, POLICIES, evaluator=evaluator)


def test_the_model_declares_uncertainties_levers_and_outcomes():
    model = ema_model("great-recession", overrides=TOWN, weeks=WEEKS)
    assert [u.name for u in model.uncertainties] == ["kind", "onset", "duration", "severity",
                                                     "reach", "austerity", "seed"]
    assert [lever.name for lever in model.levers] == ["funding_policy",
                                                      *(f"w_{w}" for w in WEIGHTS)]
    assert {"unmet_need", "volunteer_share", "spent_per_citizen_year"} <= {
        o.name for o in model.outcomes}


@pytest.fixture(scope="module")
def sequential():
    return experiments(SequentialEvaluator)


def test_the_sequential_evaluator_gives_the_numbers_of_a_direct_run(sequential):
    table, outcomes = sequential
    assert len(table) == 6
    row = table.iloc[4]  # the second future under the second policy
    scenario = load_scenario("great-recession", {**TOWN, "weeks": WEEKS})
    future = {"future": 0, **{k: row[k] for k in ("kind", "onset", "duration", "severity",
                                                  "reach", "austerity")}}
    direct = run_decision_task(DecisionTask("x", scenario.with_overrides(
        {**future_overrides(future), **Mix("core_funding", {"network_support": 1.0})
         .overrides(10.0)}), int(row["seed"]))).row
    assert outcomes["unmet_need"][4] == direct["unmet_need"]
    assert outcomes["spent_per_citizen_year"][4] == pytest.approx(direct["spent_per_citizen_year"])
    # the two policies of one EMA scenario share its seed: paired
    assert list(table["seed"][:3]) == list(table["seed"][3:])


@pytest.mark.slow  # EMA's multiprocessing pool
def test_the_multiprocessing_evaluator_gives_the_sequential_numbers(sequential):
    table, outcomes = experiments(MultiprocessingEvaluator, n_processes=2)
    for name, values in sequential[1].items():
        np.testing.assert_array_equal(outcomes[name], values, err_msg=name)
    assert list(table["seed"]) == list(sequential[0]["seed"])
