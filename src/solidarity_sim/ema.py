"""An EMA Workbench bridge: the model as an EMA ``Model`` with uncertainties, levers, outcomes.

An EMA Workbench user runs ``perform_experiments`` and every EMA analysis (PRIM, CART, feature
scoring, robustness metrics, many-objective search) on this model::

    from ema_workbench import MultiprocessingEvaluator, perform_experiments
    from solidarity_sim.ema import ema_model

    model = ema_model("great-recession", budget=10.0, overrides={"population.citizens": 5000})
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=100, policies=8,
                                                    evaluator=evaluator)

The same definitions serve ``explore`` and ``optimise`` (:mod:`.analysis.decision_space`):

* **uncertainties** (EMA scenarios): the crisis kind, onset, duration, severity and reach, the
  austerity cut, and ``seed``: chance is part of a future, so every policy run in one EMA
  scenario meets the same town and chance events (paired, as in ``explore``);
* **levers** (EMA policies): the ``funding_policy`` and a weight per budget item
  (``w_funding``, ``w_emergency_fund``, ...); the budget is split in proportion to them
  (:meth:`~.analysis.decision_space.Mix.from_weights`);
* **outcomes**: every outcome a decision analysis reports, each a ``ScalarOutcome`` minimised or
  maximised by its better direction (``INFO`` where neither is better).

Where it sits: this module is an entry point for users of another tool (as EMA keeps one
``connectors/`` file per outside tool), beside ``cli`` and ``app`` in the top layer of the
import contract; it builds on ``analysis`` and ``results`` and nothing imports it. Needs the
``decide`` extra.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .analysis.decision_runs import DECISION_OUTCOME_BY_NAME, DecisionTask, run_decision_task
from .analysis.decision_space import FUNDED_POLICIES, ITEMS, Mix, future_overrides, uncertainties
from .extras import needs
from .model.scenario import Scenario, load_scenario

SEED_RANGE = (0, 2**31 - 1)
"""The range of the ``seed`` uncertainty."""


def evaluate(params: dict[str, Any], budget: float, seed: int, funding_policy: str,
             **values: Any) -> dict[str, float]:
    """Run the model once for EMA: one future (uncertainties) under one mix (levers).

    Args:
        params: The base scenario's resolved parameters (an EMA ``Constant``).
        budget: €/citizen/year split by the levers (a ``Constant``).
        seed: The run's seed (an uncertainty).
        funding_policy: The funding policy (a lever; EMA names its policies ``policy``).
        **values: The other uncertainties (``kind``, ``onset``, ...) and the weights
            ``w_ITEM``.

    Returns:
        Every outcome by name.
    """
    future = {u.name: values[u.name] for u in uncertainties(params["weeks"])}
    mix = Mix.from_weights(funding_policy, {item: float(values[f"w_{item}"]) for item in ITEMS})
    scenario = Scenario(params).with_overrides(
        {**future_overrides({**future, "future": 0}), **mix.overrides(budget)}, "EMA")
    row = run_decision_task(DecisionTask("ema", scenario, int(seed))).row
    return {name: float(row[name]) for name in DECISION_OUTCOME_BY_NAME}


def ema_model(scenario: str | Path | Scenario = "great-recession", *, budget: float = 10.0,
              overrides: Mapping[str, Any] | None = None, weeks: int | None = None,
              name: str = "solidarity"):
    """The model as an EMA Workbench ``Model`` (see the module docstring).

    Args:
        scenario: The base scenario (bundled name, TOML file or :class:`Scenario`); its crises,
            austerity, funding and levers are replaced by each experiment's.
        budget: €/citizen/year the levers split.
        overrides: Dotted-path overrides of the base scenario (e.g. a smaller town).
        weeks: Override the horizon (the ranges of onset and duration follow it).
        name: The EMA model's name (an identifier).

    Raises:
        MissingExtra: EMA Workbench is not installed (the ``decide`` extra).
        ScenarioError: A bad scenario or override.
    """
    with needs("decide", "the EMA Workbench bridge"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA warns about optional evaluators at import
        from ema_workbench import (
            CategoricalParameter,
            Constant,
            IntegerParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )

    changes = dict(overrides or {})
    if weeks is not None:
        changes["weeks"] = weeks
    base = load_scenario(scenario, changes)
    model = Model(name, function=evaluate)
    params = []
    for u in uncertainties(base.params["weeks"]):
        if u.choices:
            params.append(CategoricalParameter(u.name, list(u.choices)))
        elif u.integer:
            params.append(IntegerParameter(u.name, int(u.low), int(u.high)))
        else:
            params.append(RealParameter(u.name, u.low, u.high))
    model.uncertainties = [*params, IntegerParameter("seed", *SEED_RANGE)]
    model.levers = [CategoricalParameter("funding_policy", list(FUNDED_POLICIES)),
                    *(RealParameter(f"w_{item}", 0.0, 1.0) for item in ITEMS)]
    model.constants = [Constant("params", base.params), Constant("budget", float(budget))]
    kinds = {1: ScalarOutcome.MAXIMIZE, -1: ScalarOutcome.MINIMIZE, 0: ScalarOutcome.INFO}
    model.outcomes = [ScalarOutcome(o.name, kind=kinds[o.better])
                      for o in DECISION_OUTCOME_BY_NAME.values()]
    return model
