"""Robustness across futures: which policy holds up when we cannot predict the crisis.

``explore`` runs every policy (a scenario) in ``N`` futures drawn by Latin hypercube over the deep
uncertainties (:mod:`.decision_space`). Future ``i`` runs under every policy with the same seed,
``derive_seed(seed, i)``, so the policies meet the same crisis, town and chance events (paired).
Per policy it reports:

* the distribution of every outcome over the futures (mean and 5/50/95 % quantiles);
* the **regret** on an objective outcome: in each future, how far the policy falls short of the
  best policy in that future (0 for the best); the policy with the smallest largest regret is
  the minimax-regret choice;
* the **share of futures meeting thresholds** the analyst states (e.g. ``unmet_need<=300``), with
  a Wilson 95 % interval;
* **scenario discovery**: PRIM (EMA Workbench's implementation) finds the box of futures in which
  the policy fails the thresholds, with its coverage (the share of all failures that fall in the
  box) and density (the share of the futures in the box that fail).

Runs go through the one batch engine (any executor, stored as they finish, resumed).
"""

from __future__ import annotations

import hashlib
import inspect
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..batch.executors import Executor
from ..batch.store import RunStore
from ..extras import needs
from ..model.scenario import Scenario, ScenarioError
from ..model.streams import derive_seed
from .comparison import resolve
from .decision_runs import (
    DECISION_OUTCOME_BY_NAME,
    DECISION_OUTCOMES,
    REPORTED,
    DecisionTask,
    common_horizon,
    decision_store,
    run_tasks,
    scenario_identity,
)
from .decision_space import future_overrides, sample_futures, uncertainties
from .statistics import CONFIDENCE

PRIM_DENSITY = 0.8
"""The density PRIM peels towards (EMA Workbench 2's ``threshold``; version 3 peels on to its
minimum mass, and the box is chosen from the trajectory the same way)."""
PRIM_MIN_COVERAGE = 0.5
"""The box reported is the densest one on the peeling trajectory that still covers this share of
the failures."""


@dataclass(frozen=True)
class Threshold:
    """A level an outcome must reach in a future: ``OUTCOME<=VALUE`` or ``OUTCOME>=VALUE``.

    The value is in the outcome's reported unit (percent for shares).
    """

    outcome: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str, where: str = "--threshold") -> Threshold:
        """Read ``unmet_need<=300`` or ``volunteer_share>=20``.

        Raises:
            ScenarioError: Not of that form, or an unknown outcome (the message lists them).
        """
        match = re.fullmatch(r"\s*([a-z_0-9]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*", text)
        if not match:
            raise ScenarioError(f"{where} {text!r}: write OUTCOME<=VALUE or OUTCOME>=VALUE, "
                                "e.g. unmet_need<=300 (value in the outcome's unit)")
        name, op, value = match.groups()
        if name not in DECISION_OUTCOME_BY_NAME:
            raise ScenarioError(f"{where} {text!r}: no outcome {name!r}; allowed: "
                                f"{', '.join(DECISION_OUTCOME_BY_NAME)}")
        try:
            number = float(value)
        except ValueError:
            raise ScenarioError(f"{where} {text!r}: {value!r} is not a number") from None
        return cls(name, op, number)

    def met(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets the threshold (a missing value does not)."""
        values = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return values <= self.value if self.op == "<=" else values >= self.value

    def describe(self) -> str:
        """In words, e.g. 'unmet need ≤ 300 need units/week'."""
        o = DECISION_OUTCOME_BY_NAME[self.outcome]
        return f"{o.label} {'≤' if self.op == '<=' else '≥'} {self.value:g} {o.unit}"

    def text(self) -> str:
        """As given on the command line."""
        return f"{self.outcome}{self.op}{self.value:g}"


@dataclass(frozen=True)
class Discovery:
    """The box of futures in which a policy fails (PRIM).

    Attributes:
        policy: The policy.
        failures: Futures in which it fails.
        futures: Futures in all.
        limits: One row per restricted uncertainty: ``uncertainty``, ``label``, ``low``,
            ``high`` (numbers) or ``choices`` (categories), ``restriction`` in words, and PRIM's
            quasi-p-value ``qp``.
        coverage: Share of all failures inside the box.
        density: Share of the futures inside the box that fail.
        mass: Share of all futures inside the box.
        trajectory: PRIM's peeling trajectory (coverage, density, mass, res_dim per box).
        chosen: The row of the trajectory reported.
        note: Why there is no box, if there is none.
    """

    policy: str
    failures: int
    futures: int
    limits: pd.DataFrame
    coverage: float = np.nan
    density: float = np.nan
    mass: float = np.nan
    trajectory: pd.DataFrame | None = None
    chosen: int | None = None
    note: str = ""

    def describe(self) -> str:
        """One sentence: where the policy fails."""
        if self.note:
            return f"{self.policy}: {self.note}"
        where = ", ".join(self.limits["restriction"]) or "no restriction"
        return (f"{self.policy} fails in {self.failures} of {self.futures} futures. In the box "
                f"({where}) {self.density:.0%} of the futures fail (density); the box holds "
                f"{self.coverage:.0%} of its failures (coverage) and {self.mass:.0%} of all "
                "futures")


@dataclass
class Exploration:
    """The runs of an exploration and their statistics.

    Attributes:
        policies: The resolved policies (scenarios), in order.
        seed: The exploration's seed.
        futures: One row per future: ``future``, ``seed`` and the uncertainties.
        runs: One row per future and policy: ``future``, ``policy``, ``seed`` and every outcome
            of :data:`~.decision_runs.DECISION_OUTCOMES`, and what was spent.
        weeks: The horizon of every run.
    """

    policies: list[Scenario]
    seed: int
    futures: pd.DataFrame
    runs: pd.DataFrame
    weeks: int

    @property
    def names(self) -> list[str]:
        """The policies' names, in order."""
        return [p.name for p in self.policies]

    def wide(self, outcome: str) -> pd.DataFrame:
        """One row per future, one column per policy: the outcome's values."""
        return self.runs.pivot(index="future", columns="policy", values=outcome)[self.names]

    def regret(self, outcome: str) -> pd.DataFrame:
        """Each policy's regret in each future: its shortfall from the best policy there.

        Raises:
            ValueError: The outcome has no better direction.
        """
        o = DECISION_OUTCOME_BY_NAME[outcome]
        if o.better == 0:
            raise ValueError(f"outcome {outcome!r} has no better direction: no regret")
        wide = self.wide(outcome)
        best = wide.max(axis=1) if o.better > 0 else wide.min(axis=1)
        return (best.to_numpy()[:, None] - wide) * o.better

    def distribution(self) -> pd.DataFrame:
        """Every outcome's mean and 5/50/95 % quantiles over the futures, per policy."""
        rows = []
        for o in REPORTED:
            wide = self.wide(o.name)
            for name in self.names:
                x = wide[name].dropna()
                q = x.quantile([0.05, 0.5, 0.95]) if len(x) else pd.Series([np.nan] * 3)
                rows.append({"policy": name, "outcome": o.name, "label": o.label,
                             "unit": o.unit, "mean": x.mean(), "p05": q.iloc[0],
                             "median": q.iloc[1], "p95": q.iloc[2], "futures": len(x)})
        return pd.DataFrame(rows)

    def failed(self, thresholds: Sequence[Threshold]) -> pd.DataFrame:
        """Whether each policy fails (misses any threshold) in each future."""
        fails = pd.DataFrame(False, index=self.wide(thresholds[0].outcome).index,
                             columns=self.names)
        for t in thresholds:
            fails |= ~self.wide(t.outcome).apply(t.met)
        return fails

    def robustness(self, objective: str, thresholds: Sequence[Threshold]) -> pd.DataFrame:
        """Per policy: the objective's spread, its regret and the share meeting the thresholds.

        The share has a Wilson 95 % interval; policies are sorted from the smallest largest
        regret.

        Columns: ``policy``, ``mean``, ``p05``, ``p95``, ``mean_regret``, ``p90_regret``,
        ``max_regret``, ``best_in`` (futures where it is best), ``met``, ``met_low``,
        ``met_high``, ``spent`` (mean €/citizen/year).
        """
        values, regret = self.wide(objective), self.regret(objective)
        fails = self.failed(thresholds)
        spent = self.wide("spent_per_citizen_year")
        rows = []
        for name in self.names:
            n = int(fails[name].size)
            k = int((~fails[name]).sum())
            ci = stats.binomtest(k, n).proportion_ci(CONFIDENCE, method="wilson")
            rows.append({"policy": name, "mean": values[name].mean(),
                         "p05": values[name].quantile(0.05), "p95": values[name].quantile(0.95),
                         "mean_regret": regret[name].mean(),
                         "p90_regret": regret[name].quantile(0.9),
                         "max_regret": regret[name].max(),
                         "best_in": int((regret[name] <= 0).sum()), "met": k / n,
                         "met_low": ci.low, "met_high": ci.high,
                         "spent": spent[name].mean()})
        table = pd.DataFrame(rows)
        return table.sort_values(["max_regret", "mean_regret"], kind="stable").reset_index(
            drop=True)

    def discover(self, policy: str, thresholds: Sequence[Threshold],
                 density: float = PRIM_DENSITY) -> Discovery:
        """The box of futures in which ``policy`` fails the thresholds (PRIM)."""
        failed = self.failed(thresholds)[policy].to_numpy()
        return discover(self.futures, failed, policy, self.weeks, density)

    def save(self, directory: str | Path) -> Path:
        """Write ``futures.csv`` and ``runs.parquet`` beside the store's manifest."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.futures.to_csv(out / "futures.csv", index=False)
        self.runs.to_parquet(out / "runs.parquet", index=False)
        return out


def discover(futures: pd.DataFrame, failed: np.ndarray, policy: str, weeks: int,
             density: float = PRIM_DENSITY) -> Discovery:
    """Run PRIM on the futures (uncertainty columns) against ``failed``.

    Needs the ``decide`` extra (EMA Workbench).
    """
    space = uncertainties(weeks)
    n, k = len(failed), int(np.sum(failed))
    empty = pd.DataFrame(columns=["uncertainty", "label", "restriction", "low", "high",
                                  "choices", "qp"])
    if k == 0:
        return Discovery(policy, 0, n, empty, note="meets the thresholds in every future")
    if k == n:
        return Discovery(policy, k, n, empty, note="fails the thresholds in every future")
    with needs("decide", "scenario discovery (PRIM)"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    x = futures[[u.name for u in space]].copy()
    for u in space:  # categories as their indices: PRIM peels them in the order of a set, which
        if u.choices:  # for strings changes with PYTHONHASHSEED (ties then pick other boxes)
            codes = x[u.name].map({c: i for i, c in enumerate(u.choices)})
            x[u.name] = pd.Categorical(codes, categories=range(len(u.choices)))
    # EMA Workbench 2.x peels towards a density threshold; 3.x peels to the minimum mass
    settings = ({"threshold": density}
                if "threshold" in inspect.signature(prim.Prim.__init__).parameters else {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, np.asarray(failed, dtype=int), **settings).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float)
    wide = trajectory[trajectory["coverage"] >= PRIM_MIN_COVERAGE]
    chosen = int(wide["density"].idxmax()) if len(wide) else 0
    row = trajectory.loc[chosen]
    quasi_p = box.qp if hasattr(box, "qp") else box.p_values  # renamed in EMA Workbench 3
    limits = _limits(box.box_lims[0], box.box_lims[chosen], quasi_p[chosen], space)
    return Discovery(policy, k, n, limits, float(row["coverage"]), float(row["density"]),
                     float(row["mass"]), trajectory.reset_index(drop=True), chosen)


def _limits(initial: pd.DataFrame, box: pd.DataFrame, qp: Mapping[str, Any],
            space: Sequence) -> pd.DataFrame:
    """The restricted uncertainties of a PRIM box, in words."""
    rows = []
    for u in space:
        lo, hi = box[u.name].iloc[0], box[u.name].iloc[1]
        lo0, hi0 = initial[u.name].iloc[0], initial[u.name].iloc[1]
        p = max((v for v in qp.get(u.name, []) if v is not None and v >= 0), default=np.nan)
        if u.choices:
            kept = [c for i, c in enumerate(u.choices) if i in lo]
            if len(kept) == len([i for i in range(len(u.choices)) if i in lo0]):
                continue
            rows.append({"uncertainty": u.name, "label": u.label,
                         "restriction": f"{u.label} {' or '.join(kept)}", "low": np.nan,
                         "high": np.nan, "choices": ", ".join(kept), "qp": p})
            continue
        if lo <= lo0 and hi >= hi0:
            continue
        if lo > lo0 and hi < hi0:
            words = f"{u.label} {u.show(lo)} to {u.show(hi)}"
        elif lo > lo0:
            words = f"{u.label} ≥ {u.show(lo)}"
        else:
            words = f"{u.label} ≤ {u.show(hi)}"
        rows.append({"uncertainty": u.name, "label": u.label,
                     "restriction": words, "low": float(lo),
                     "high": float(hi), "choices": "", "qp": p})
    return pd.DataFrame(rows, columns=["uncertainty", "label", "restriction", "low", "high",
                                       "choices", "qp"])


def table_hash(table: pd.DataFrame | None) -> str | None:
    """SHA-256 of a table of parameter sets (None when there is none)."""
    if table is None:
        return None
    text = table.to_json(orient="split", double_precision=15)
    return hashlib.sha256(text.encode()).hexdigest()


def exploration_tasks(policies: Sequence[Scenario], futures: pd.DataFrame,
                      parameter_sets: pd.DataFrame | None = None,
                      where: str = "parameter sets") -> list[DecisionTask]:
    """One task per future and policy; every policy runs future ``i`` with its ``seed``."""
    tasks = []
    for future in futures.to_dict("records"):
        changes = future_overrides(future, parameter_sets)
        for j, policy in enumerate(policies):
            tasks.append(DecisionTask(
                f"f{future['future']:05d}-p{j:02d}", policy.with_overrides(changes, where),
                int(future["seed"]),
                (("future", int(future["future"])), ("policy", policy.name))))
    return tasks


def run_exploration(policies: Sequence[str | Path | Scenario], *, futures: int = 100,
                    seed: int = 0, weeks: int | None = None,
                    overrides: Mapping[str, Any] | None = None,
                    parameter_sets: pd.DataFrame | None = None, workers: int | None = None,
                    executor: Executor | None = None, out: str | Path | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    where: str = "overrides") -> Exploration:
    """Run every policy in ``futures`` futures (paired by seed); collect the outcomes.

    Args:
        policies: Bundled scenario names, TOML files or :class:`Scenario` objects.
        futures: Futures drawn by Latin hypercube over the deep uncertainties.
        seed: The exploration's seed (futures and run seeds derive from it).
        weeks: Override every policy's horizon.
        overrides: Dotted-path overrides applied to every policy.
        parameter_sets: Optional table of parameter sets (a column per dotted path); future
            ``i`` uses row ``i mod len(table)``. None: the model's defaults.
        workers: Processes of the local pool built when no ``executor`` is given.
        executor: Where to run (left open).
        out: A folder to store every run in as it finishes (and resume from).
        progress: Called as ``progress(done, total)``.
        where: How error messages name the overrides.

    Raises:
        ScenarioError: A policy or override is invalid, the policies differ in horizon, or
            ``out`` holds something else.
        ValueError: ``futures`` is below 2.
    """
    if futures < 2:
        raise ValueError(f"futures must be at least 2, not {futures}")
    resolved = resolve(policies, weeks, overrides, where)
    horizon = common_horizon(resolved)
    table = sample_futures(futures, seed, horizon)
    table.insert(1, "seed", [derive_seed(seed, i) for i in range(futures)])
    tasks = exploration_tasks(resolved, table, parameter_sets)
    store = (exploration_store(out, resolved, futures, seed, horizon, parameter_sets).open()
             if out is not None else None)
    runs = run_tasks(tasks, store=store, executor=executor, workers=workers, progress=progress)
    return Exploration(list(resolved), seed, table, runs, horizon)


def exploration_store(out: str | Path, policies: Sequence[Scenario], futures: int, seed: int,
                      weeks: int, parameter_sets: pd.DataFrame | None = None) -> RunStore:
    """The run store of an exploration.

    It is identified by its policies, futures, seed, ranges and parameter sets.
    """
    identity = {"policies": scenario_identity(policies), "futures": futures, "seed": seed,
                "uncertainties": {u.name: u.describe() for u in uncertainties(weeks)},
                "parameter_sets": table_hash(parameter_sets),
                "outcomes": {o.name: o.spec() for o in DECISION_OUTCOMES}}
    manifest = {"origin": " / ".join(s.name for s in policies), "seed": seed,
                "derivation": "future i of every policy: derive_seed(seed, i)",
                "policies": [{"name": s.name, "origin": s.origin, "hash": s.hash,
                              "overrides": dict(s.overrides)} for s in policies]}
    return decision_store(out, "robustness exploration", identity, manifest)
