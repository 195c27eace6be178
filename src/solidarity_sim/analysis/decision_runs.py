"""The runs of the decision analyses (explore, frontier, optimise): one task type, one store.

Each analysis builds :class:`DecisionTask` objects (a resolved scenario, a seed and the columns
that say where the run sits in the study: future, policy, budget, trial, replication ...) and
runs them with :func:`run_tasks` through the one batch engine
(:func:`~solidarity_sim.batch.store.execute`: any executor, every run stored as it finishes,
resumed when the same study is run again). Each run is reduced to one value per outcome of
:data:`DECISION_OUTCOMES`: the comparison's outcomes plus the totals that cost-effectiveness
divides by, and what the state actually spent per citizen and year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..batch.executors import Executor, using
from ..batch.store import RunStore, Stored, execute, raise_failures
from ..model.calendar import WEEKS_PER_YEAR
from ..model.scenario import Scenario, ScenarioError
from ..results.outcomes import Outcome
from ..results.run_result import run
from .comparison import OUTCOMES

DECISION_OUTCOMES: tuple[Outcome, ...] = (
    *OUTCOMES,
    Outcome("unmet_need_total", "unmet_need", "total", label="unmet need over the run",
            unit="need units", better=-1, fmt=",.0f",
            definition="total over the run of the need met neither by welfare nor by CSOs"),
    Outcome("volunteer_years", "volunteers", "total", label="volunteering",
            unit="volunteer-years", better=+1, scale=1 / WEEKS_PER_YEAR, fmt=",.0f",
            definition="total over the run of the volunteers each week, divided by 52"),
)
"""Every outcome a decision analysis keeps per run."""

SPENT = "spent_per_citizen_year"
"""Column of what the state actually spent on civil society, in €/citizen/year."""

REPORTED: tuple[Outcome, ...] = (
    *DECISION_OUTCOMES,
    Outcome(SPENT, "state_spending", "mean", label="state spending on civil society",
            unit="€/citizen/year", fmt=",.2f",
            definition="what the state paid CSOs and spent on levers over the run, per citizen "
                       "(at the start) and year; computed by run_decision_task"),
)
"""Every column a decision analysis reports: the outcomes and what was spent."""

DECISION_OUTCOME_BY_NAME = {o.name: o for o in REPORTED}


@dataclass(frozen=True)
class DecisionTask:
    """One run of a decision analysis.

    Attributes:
        key: The run's file name in the store (unique within the study).
        scenario: The fully resolved scenario (future and levers applied).
        seed: Its seed (shared by the runs it is paired with).
        columns: Where the run sits in the study, as ``(name, value)`` pairs.
    """

    key: str
    scenario: Scenario
    seed: int
    columns: tuple[tuple[str, Any], ...] = ()

    def row(self) -> dict[str, Any]:
        """The run's identity columns and seed."""
        return {**dict(self.columns), "seed": self.seed}


def run_decision_task(task: DecisionTask) -> Stored:
    """Run one task; keep its outcomes and its spending per citizen and year (on a worker)."""
    result = run(task.scenario, seed=task.seed)
    ts = result.timeseries
    citizens = task.scenario.params["population"]["citizens"]
    years = len(ts) / WEEKS_PER_YEAR
    spent = float(ts["state_spending"].sum()) / citizens / years
    return Stored({**task.row(), **{o.name: o.measure(ts) for o in DECISION_OUTCOMES},
                   SPENT: spent})


def decision_store(out: str | Path, kind: str, identity: Mapping[str, Any],
                   manifest: Mapping[str, Any] | None = None) -> RunStore:
    """The run store of a decision analysis (a folder of one Parquet file per run)."""
    return RunStore(out, kind, identity, manifest=manifest, what="design")


def run_tasks(tasks: Sequence[DecisionTask], *, store: RunStore | None = None,
              executor: Executor | None = None, workers: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run (or read back) every task; one row per task, in task order.

    Args:
        tasks: The tasks (distinct keys).
        store: An opened store to keep and resume runs in, or None.
        executor: Where to run (left open); None builds a local pool of ``workers``.
        workers: Processes of that pool (default: the usable cores).
        progress: Called as ``progress(done, total)``.

    Raises:
        RuntimeError: A run raised (the others are kept in the store).
    """
    with using(executor, workers, len(tasks)) as engine:
        done = execute(engine, run_decision_task, tasks, store=store, progress=progress)
    raise_failures(done, store)
    return pd.DataFrame([done[t.key].row for t in tasks])


def scenario_identity(scenarios: Sequence[Scenario]) -> dict[str, dict[str, str]]:
    """The part of a study's identity that names its scenarios: name and parameter hash."""
    return {f"p{i:02d}": {"name": s.name, "hash": s.hash} for i, s in enumerate(scenarios)}


def common_horizon(scenarios: Sequence[Scenario]) -> int:
    """The horizon every scenario shares (in weeks).

    Raises:
        ScenarioError: They differ.
    """
    weeks = {s.name: s.params["weeks"] for s in scenarios}
    if len(set(weeks.values())) > 1:
        raise ScenarioError("the policies run for different horizons ("
                            + ", ".join(f"{k}: {v} weeks" for k, v in weeks.items())
                            + "); give --weeks to run them all equally long")
    return next(iter(weeks.values()))

