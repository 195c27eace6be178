"""Cost-effectiveness: what each extra euro buys, and which options are worth their cost.

``frontier`` runs every policy at every budget (€/citizen/year) over the same replications:
replication ``k`` of every option runs with ``derive_seed(seed, k)`` (paired). A policy is a
scenario; its money (the funding budget if it funds CSOs, and every money lever it uses) is
scaled so that it spends the budget in the same proportions. A scenario that spends nothing is
run once. The **reference** is the first policy at the lowest budget (normally 0: nothing
spent).

For every option the analysis gives its cost (what the state actually spent, €/citizen/year)
and its effects as paired differences from the reference: need units no longer unmet, and
volunteer-years gained, over the run, each with a 95 % t-interval. The **efficient frontier**
keeps the options that no other option beats at equal or lower cost (strong dominance) or that
a mix of two cheaper and dearer options beats (extended dominance). **ICERs** (incremental
cost-effectiveness ratios) divide the extra cost by the extra effect: against the reference for
every option, and between neighbours on the frontier, in € per need unit no longer unmet and €
per volunteer-year; their 95 % intervals come from a paired percentile bootstrap over the
replications (SciPy), and are not defined when the effect's interval contains zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..batch.executors import Executor
from ..batch.store import RunStore
from ..model.scenario import Scenario
from ..model.streams import derive_seed
from .comparison import resolve
from .decision_runs import (
    DECISION_OUTCOMES,
    SPENT,
    DecisionTask,
    common_horizon,
    decision_store,
    run_tasks,
    scenario_identity,
)
from .decision_space import ITEMS
from .statistics import CONFIDENCE, t_interval

BOOTSTRAP_RESAMPLES = 2000
"""Resamples of the paired bootstrap of an ICER."""


@dataclass(frozen=True)
class Effect:
    """An effect of spending: a paired gain over the reference in one outcome.

    Attributes:
        name: Short name (column prefix).
        outcome: The outcome (a total over the run).
        sign: +1 if the gain is the increase of the outcome, -1 if its decrease.
        label: The gain in words.
        unit: Its unit.
        ratio: The ICER's unit.
    """

    name: str
    outcome: str
    sign: int
    label: str
    unit: str
    ratio: str


EFFECTS = (
    Effect("need", "unmet_need_total", -1, "need no longer unmet", "need units over the run",
           "€ per need unit no longer unmet"),
    Effect("volunteering", "volunteer_years", +1, "volunteering gained",
           "volunteer-years over the run", "€ per volunteer-year gained"),
)
"""The effects every frontier reports; the first decides the frontier."""


def spending_items(scenario: Scenario) -> dict[str, float]:
    """What a scenario spends on each item of :data:`ITEMS`, in €/citizen/year (nominal)."""
    funds = scenario.params["state"]["funding"]["policy"] != "none"
    return {item: (float(scenario.get(path)) if item != "funding" or funds else 0.0)
            for item, path in ITEMS.items()}


def at_budget(scenario: Scenario, budget: float) -> Scenario:
    """The scenario with its money scaled to spend ``budget`` €/citizen/year (same shares)."""
    items = spending_items(scenario)
    total = sum(items.values())
    if total <= 0:
        return scenario
    return scenario.with_overrides({ITEMS[item]: budget * amount / total
                                    for item, amount in items.items()}, where="--budgets")


@dataclass
class Frontier:
    """The runs of a cost-effectiveness study.

    Attributes:
        policies: The resolved policies, the reference's first.
        budgets: The budgets, €/citizen/year.
        seed: The study's seed.
        runs: One row per option and replication: ``policy``, ``budget``, ``replication``,
            ``seed``, every outcome and what was spent.
        citizens: Citizens at the start (to express costs per citizen).
        weeks: The horizon.
    """

    policies: list[Scenario]
    budgets: list[float]
    seed: int
    runs: pd.DataFrame
    citizens: int
    weeks: int

    @property
    def reference(self) -> tuple[str, float]:
        """The reference option: the first policy at the lowest budget."""
        first = self.runs.iloc[0]
        return str(first["policy"]), float(first["budget"])

    def _paired(self, column: str) -> pd.DataFrame:
        """One row per replication, one column per option (policy, budget)."""
        return self.runs.pivot_table(index="replication", columns=["policy", "budget"],
                                     values=column, sort=False)

    def options(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """Every option's cost, effects and ICERs against the reference, and its status.

        Columns: ``policy``, ``budget``, ``cost`` with ``cost_low``/``cost_high``
        (€/citizen/year, as spent); per effect ``E``: ``E`` with ``E_low``/``E_high`` (paired
        gain over the reference) and ``E_icer`` with ``E_icer_low``/``E_icer_high``; and
        ``reference`` (whether it is the reference), ``status`` on the first effect's frontier
        (``frontier``, ``dominated`` or ``extendedly dominated``) and ``icer_step`` with
        ``icer_step_low``/``icer_step_high`` (€ per unit of the first effect from the previous
        frontier point, where that gain is clear).
        """
        spent = self._paired(SPENT)
        money = self._paired("state_spending")
        ref = self.reference
        rows = []
        for option in spent.columns:
            row: dict[str, Any] = {"policy": option[0], "budget": option[1]}
            row["cost"], row["cost_low"], row["cost_high"] = t_interval(
                spent[option].to_numpy(), confidence)
            d_money = (money[option] - money[ref]).to_numpy()
            for e in EFFECTS:
                gain = e.sign * (self._paired(e.outcome)[option]
                                 - self._paired(e.outcome)[ref]).to_numpy()
                row[e.name], row[f"{e.name}_low"], row[f"{e.name}_high"] = t_interval(
                    gain, confidence)
                row.update(_icer(d_money, gain, e.name, row, self.seed, confidence))
            rows.append(row)
        table = pd.DataFrame(rows)
        return _mark_frontier(table, ref, EFFECTS[0].name, money, self._paired,
                              self.seed, confidence)


def _icer(d_money: np.ndarray, gain: np.ndarray, name: str, row: Mapping[str, float],
          seed: int, confidence: float) -> dict[str, float]:
    """The ICER (€ per unit of gain) and its paired bootstrap interval.

    Defined only for a clear gain (its interval above zero): a ratio of a loss, or of a gain
    that may be zero, says nothing about value for money.
    """
    keys = (f"{name}_icer", f"{name}_icer_low", f"{name}_icer_high")
    if not row[f"{name}_low"] > 0:
        return dict.fromkeys(keys, math.nan)
    return dict(zip(keys, ratio_interval(d_money, gain, seed, confidence), strict=True))


def ratio_interval(cost: np.ndarray, gain: np.ndarray, seed: int,
                   confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """mean(cost) / mean(gain) and its paired percentile bootstrap interval (SciPy)."""
    estimate = float(np.mean(cost) / np.mean(gain))
    if np.allclose(cost, cost[0]) and np.allclose(gain, gain[0]):
        return estimate, estimate, estimate
    result = stats.bootstrap((cost, gain), lambda c, g: np.mean(c) / np.mean(g), paired=True,
                             vectorized=False, n_resamples=BOOTSTRAP_RESAMPLES,
                             confidence_level=confidence, method="percentile",
                             rng=np.random.default_rng(seed))
    return estimate, float(result.confidence_interval.low), float(
        result.confidence_interval.high)


def _mark_frontier(table: pd.DataFrame, ref: tuple[str, float], effect: str,
                   money: pd.DataFrame, paired: Callable[[str], pd.DataFrame], seed: int,
                   confidence: float) -> pd.DataFrame:
    """Mark each option's status on the frontier of ``effect``; add the step ICERs."""
    table = table.copy()
    table["reference"] = (table["policy"] == ref[0]) & (table["budget"] == ref[1])
    table["status"] = "dominated"
    order = table.sort_values(["cost", effect], ascending=[True, False], kind="stable")
    candidates = []
    best = -math.inf
    for index, row in order.iterrows():
        if row[effect] > best:
            candidates.append(index)
            best = row[effect]
    strong = set(candidates)
    changed = True
    while changed:  # extended dominance: ICERs must rise along the frontier
        changed = False
        for i in range(1, len(candidates) - 1):
            a, b, c = (table.loc[candidates[j]] for j in (i - 1, i, i + 1))
            if _slope(a, b, effect) < _slope(b, c, effect):
                del candidates[i]
                changed = True
                break
    for index in strong - set(candidates):
        table.loc[index, "status"] = "extendedly dominated"
    table.loc[candidates, "status"] = "frontier"
    table["icer_step"] = table["icer_step_low"] = table["icer_step_high"] = math.nan
    e = next(x for x in EFFECTS if x.name == effect)
    for prev, index in zip(candidates, candidates[1:], strict=False):
        a, b = table.loc[prev], table.loc[index]
        cost = (money[(b["policy"], b["budget"])] - money[(a["policy"], a["budget"])]).to_numpy()
        gains = paired(e.outcome)
        gain = e.sign * (gains[(b["policy"], b["budget"])]
                         - gains[(a["policy"], a["budget"])]).to_numpy()
        if t_interval(gain, confidence)[1] > 0:
            table.loc[index, ["icer_step", "icer_step_low", "icer_step_high"]] = (
                ratio_interval(cost, gain, seed, confidence))
    return table


def _slope(a: pd.Series, b: pd.Series, effect: str) -> float:
    """Effect gained per € from ``a`` to ``b`` (infinite when the cost does not rise)."""
    dc = b["cost"] - a["cost"]
    return (b[effect] - a[effect]) / dc if dc > 0 else math.inf


def frontier_tasks(policies: Sequence[Scenario], budgets: Sequence[float], replications: int,
                   seed: int) -> list[DecisionTask]:
    """One task per option and replication; the reference (first policy, lowest budget) first.

    A policy that spends nothing is run once, at the lowest budget.
    """
    tasks = []
    lowest = min(budgets)
    for j, policy in enumerate(policies):
        spends = sum(spending_items(policy).values()) > 0
        for budget in (budgets if spends else [lowest]):
            scenario = at_budget(policy, budget)
            for k in range(replications):
                tasks.append(DecisionTask(
                    f"p{j:02d}-b{budget:g}-r{k:04d}", scenario, derive_seed(seed, k),
                    (("policy", policy.name), ("budget", float(budget)), ("replication", k))))
    return tasks


def frontier_store(out: str | Path, policies: Sequence[Scenario], budgets: Sequence[float],
                   replications: int, seed: int) -> RunStore:
    """The run store of a cost-effectiveness study."""
    identity = {"policies": scenario_identity(policies), "budgets": list(budgets),
                "replications": replications, "seed": seed,
                "outcomes": {o.name: o.spec() for o in DECISION_OUTCOMES}}
    manifest = {"origin": " / ".join(s.name for s in policies), "seed": seed,
                "derivation": "replication k of every option: derive_seed(seed, k)",
                "policies": [{"name": s.name, "origin": s.origin, "hash": s.hash,
                              "overrides": dict(s.overrides)} for s in policies]}
    return decision_store(out, "cost-effectiveness study", identity, manifest)


def run_frontier(policies: Sequence[str | Path | Scenario], *, budgets: Sequence[float],
                 replications: int = 10, seed: int = 0, weeks: int | None = None,
                 overrides: Mapping[str, Any] | None = None, workers: int | None = None,
                 executor: Executor | None = None, out: str | Path | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 where: str = "overrides") -> Frontier:
    """Run every policy at every budget over paired replications.

    Args:
        policies: Bundled names, TOML files or :class:`Scenario` objects; the first at the
            lowest budget is the reference.
        budgets: Budgets in €/citizen/year (distinct, not negative).
        replications: Runs per option (at least 2 for intervals).
        seed: The study's seed.
        weeks: Override every policy's horizon.
        overrides: Dotted-path overrides applied to every policy.
        workers: Processes of the local pool built when no ``executor`` is given.
        executor: Where to run (left open).
        out: A folder to store every run in (and resume from).
        progress: Called as ``progress(done, total)``.
        where: How error messages name the overrides.

    Raises:
        ScenarioError: A policy or override is invalid, or ``out`` holds something else.
        ValueError: Bad budgets or replications.
    """
    if replications < 2:
        raise ValueError(f"replications must be at least 2, not {replications}")
    if not budgets or min(budgets) < 0 or len(set(budgets)) != len(budgets):
        raise ValueError(f"budgets must be distinct and not negative, not {list(budgets)}")
    resolved = resolve(policies, weeks, overrides, where)
    horizon = common_horizon(resolved)
    budgets = sorted(float(b) for b in budgets)
    tasks = frontier_tasks(resolved, budgets, replications, seed)
    store = (frontier_store(out, resolved, budgets, replications, seed).open()
             if out is not None else None)
    runs = run_tasks(tasks, store=store, executor=executor, workers=workers, progress=progress)
    citizens = resolved[0].params["population"]["citizens"]
    return Frontier(list(resolved), budgets, seed, runs, citizens, horizon)

