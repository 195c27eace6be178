"""The best mix for a budget: how to split a fixed sum between funding and the levers.

``optimise`` searches the split of a budget B (€/citizen/year) between the funding policy (and
which policy: core funding, project grants, performance or procurement) and the five money
levers (emergency fund, awareness campaign, training, recognition awards, network support)
with Optuna's TPE sampler, for one objective outcome. The model is noisy, so:

1. **Paired replications per trial.** Every trial runs ``replications`` times, replication
   ``r`` with ``derive_seed(seed, r)`` for every trial (common random numbers: two mixes are
   compared on the same towns and chance events), and Optuna is told the mean.
2. **Batches.** Trials are asked ``batch`` at a time (the sampler's constant liar keeps them
   apart) and their runs go to the executor together; the sequence of trials depends only on
   the seed and ``batch``, not on the engine, so a stopped search resumes from its stored runs.
3. **A final re-evaluation.** The ``top`` best distinct mixes are run again with
   ``final_replications`` fresh seeds (``derive_seed(seed, 1, k)``: selecting on the search's
   seeds flatters the winner), together with every single-lever option at the same budget. The
   best mix is the best of these re-evaluated means; it is reported with its 95 % interval and
   its paired difference from each single-lever option.

With ``futures`` the replications also meet different crises: replication ``r`` (and final
replication ``k``) runs in future ``r`` (``k``) of a Latin-hypercube sample
(:mod:`.decision_space`), so the mix is chosen for an uncertain crisis.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..batch.executors import Executor
from ..batch.store import RunStore, StoreError
from ..extras import needs
from ..model.scenario import Scenario, load_scenario
from ..model.streams import derive_seed
from .decision_runs import (
    DECISION_OUTCOME_BY_NAME,
    DECISION_OUTCOMES,
    DecisionTask,
    decision_store,
    run_tasks,
)
from .decision_space import (
    FUNDED_POLICIES,
    ITEMS,
    Mix,
    future_overrides,
    sample_futures,
    single_lever_mixes,
)
from .statistics import CONFIDENCE, paired_difference, t_interval

FINAL_KEY = 1
"""First element of the seed key of the final re-evaluation (search seeds use ``(r,)``)."""


@dataclass(frozen=True)
class Search:
    """The settings of a search (everything that decides its runs).

    Attributes:
        budget: €/citizen/year to split.
        objective: The outcome to optimise (its better direction decides min or max).
        trials: Mixes tried.
        replications: Paired runs per trial.
        batch: Trials asked at a time.
        top: Best mixes re-evaluated.
        final_replications: Runs per re-evaluated mix (fresh seeds).
        seed: The search's seed.
        futures: 0: every run in the scenario's own crisis; else replications run in sampled
            futures.
    """

    budget: float
    objective: str = "unmet_need"
    trials: int = 40
    replications: int = 4
    batch: int = 4
    top: int = 5
    final_replications: int = 20
    seed: int = 0
    futures: int = 0

    def __post_init__(self) -> None:
        outcome = DECISION_OUTCOME_BY_NAME.get(self.objective)
        if outcome is None or outcome.better == 0:
            raise ValueError(f"objective {self.objective!r} is not an outcome with a better "
                             "direction")
        for name, low in (("trials", 2), ("replications", 1), ("batch", 1), ("top", 1),
                          ("final_replications", 2)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be at least {low}, not {getattr(self, name)}")
        if self.budget < 0:
            raise ValueError(f"the budget must not be negative, not {self.budget}")

    @property
    def better(self) -> int:
        """+1 to maximise the objective, -1 to minimise it."""
        return DECISION_OUTCOME_BY_NAME[self.objective].better


@dataclass
class Optimisation:
    """What a search found.

    Attributes:
        scenario: The base scenario.
        search: The settings.
        trials: One row per trial: ``trial``, ``mix`` (in words), ``policy``, ``share_ITEM``,
            ``value`` (mean objective over its replications).
        final: One row per re-evaluated option (the top mixes, then the single-lever
            options): ``option``, ``kind`` (``candidate`` or ``single``), ``mix``, the shares,
            ``mean``, ``ci_low``, ``ci_high``, ``spent``.
        differences: The best mix minus each single-lever option (and each other candidate):
            ``option``, ``diff``, ``diff_low``, ``diff_high``, ``verdict``.
        runs: Every run's row.
    """

    scenario: Scenario
    search: Search
    trials: pd.DataFrame
    final: pd.DataFrame
    differences: pd.DataFrame
    runs: pd.DataFrame

    @property
    def best(self) -> pd.Series:
        """The best re-evaluated mix."""
        candidates = self.final[self.final["kind"] == "candidate"]
        order = candidates["mean"] * -self.search.better
        return candidates.loc[order.idxmin()]


def _suggest(trial) -> Mix:
    """Optuna's proposal: a funding policy and a weight per budget item."""
    policy = trial.suggest_categorical("policy", list(FUNDED_POLICIES))
    weights = {item: trial.suggest_float(f"w_{item}", 0.0, 1.0) for item in ITEMS}
    return Mix.from_weights(policy, weights)


class Runner:
    """Builds the tasks of a search and runs them through one store."""

    def __init__(self, scenario: Scenario, search: Search, store: RunStore | None,
                 executor: Executor | None, workers: int | None,
                 progress: Callable[[int, int], None] | None):
        self.scenario, self.search, self.store = scenario, search, store
        self.executor, self.workers, self.progress = executor, workers, progress
        self.total = (search.trials * search.replications
                      + (search.top + len(single_lever_mixes())) * search.final_replications)
        self.done = 0
        count = max(search.replications, search.final_replications)
        self.futures = (sample_futures(count, search.seed, scenario.params["weeks"])
                        if search.futures else None)

    def tasks(self, prefix: str, mix: Mix, seeds: Sequence[int]) -> list[DecisionTask]:
        """The runs of one mix, one per seed (replication ``k`` in future ``k`` if any)."""
        base = self.scenario.with_overrides(mix.overrides(self.search.budget), "the mix")
        out = []
        for k, seed in enumerate(seeds):
            scenario = base
            if self.futures is not None:
                scenario = base.with_overrides(
                    future_overrides(self.futures.iloc[k % len(self.futures)]), "the future")
            out.append(DecisionTask(f"{prefix}-r{k:04d}", scenario, seed,
                                    (("option", prefix), ("mix", mix.label()),
                                     ("replication", k), *mix.record().items())))
        return out

    def run(self, tasks: list[DecisionTask]) -> pd.DataFrame:
        """Run a group of tasks; check stored runs belong to them; advance the progress."""
        offset = self.done

        def progress(done: int, total: int) -> None:
            if self.progress is not None:
                self.progress(offset + done, self.total)

        rows = run_tasks(tasks, store=self.store, executor=self.executor,
                         workers=self.workers, progress=progress)
        expected = [dict(t.columns)["mix"] for t in tasks]
        if list(rows["mix"]) != expected:
            raise StoreError(f"--out {self.store.path if self.store else ''}: its stored runs "
                             "were made by another search (the mixes differ, e.g. another "
                             "Optuna version); give another --out folder")
        self.done += len(tasks)
        return rows


def run_optimisation(scenario: str | Path | Scenario, search: Search, *,
                     weeks: int | None = None, overrides: Mapping[str, Any] | None = None,
                     workers: int | None = None, executor: Executor | None = None,
                     out: str | Path | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     where: str = "overrides") -> Optimisation:
    """Search the best split of ``search.budget``; re-evaluate the best few and the singles.

    Args:
        scenario: The base scenario (bundled name, TOML file or :class:`Scenario`); its own
            funding and lever settings are replaced by each mix.
        search: The settings.
        weeks: Override the horizon.
        overrides: Dotted-path overrides.
        workers: Processes of the local pool built when no ``executor`` is given.
        executor: Where to run (left open).
        out: A folder to store every run in (and resume from).
        progress: Called as ``progress(done, total)``.
        where: How error messages name the overrides.

    Raises:
        MissingExtra: Optuna is not installed (the ``decide`` extra).
        ScenarioError: A bad scenario or override, or ``out`` holds something else.
    """
    with needs("decide", "the optimiser (Optuna)"):
        import optuna

    changes = dict(overrides or {})
    if weeks is not None:
        changes["weeks"] = weeks
    base = load_scenario(scenario, changes, where=where)
    store = optimisation_store(out, base, search).open() if out is not None else None
    runner = Runner(base, search, store, executor, workers, progress)
    trials, runs = _search(runner, optuna)
    top = _top(trials, search)
    final_seeds = [derive_seed(search.seed, FINAL_KEY, k)
                   for k in range(search.final_replications)]
    options = {f"c{i:02d}": Mix(row["policy"], {item: row[f"share_{item}"] for item in ITEMS
                                                if row[f"share_{item}"] > 0})
               for i, (_, row) in enumerate(top.iterrows())}
    options.update({f"s-{name}": mix for name, mix in single_lever_mixes().items()})
    tasks = [t for prefix, mix in options.items() for t in runner.tasks(prefix, mix,
                                                                        final_seeds)]
    final_runs = runner.run(tasks)
    final, differences = _final_tables(final_runs, search)
    return Optimisation(base, search, trials, final, differences,
                        pd.concat([runs, final_runs], ignore_index=True))


def _search(runner: Runner, optuna) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ask, run and tell the trials in batches; one row per trial, and every run."""
    search = runner.search
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental options warn on older Optuna
        sampler = optuna.samplers.TPESampler(
            seed=search.seed, multivariate=True, constant_liar=True,
            n_startup_trials=max(2, min(10, search.trials // 3)))
    study = optuna.create_study(
        direction="maximize" if search.better > 0 else "minimize", sampler=sampler)
    seeds = [derive_seed(search.seed, r) for r in range(search.replications)]
    rows, runs = [], []
    for start in range(0, search.trials, search.batch):
        asked = [study.ask() for _ in range(min(search.batch, search.trials - start))]
        mixes = [_suggest(trial) for trial in asked]
        done = runner.run([t for trial, mix in zip(asked, mixes, strict=True)
                           for t in runner.tasks(f"t{trial.number:04d}", mix, seeds)])
        runs.append(done)
        for trial, mix in zip(asked, mixes, strict=True):
            value = float(done.loc[done["option"] == f"t{trial.number:04d}",
                                   search.objective].mean())
            study.tell(trial, value)
            rows.append({"trial": trial.number, "mix": mix.label(), **mix.record(),
                         "value": value})
    return pd.DataFrame(rows), pd.concat(runs, ignore_index=True)


def _top(trials: pd.DataFrame, search: Search) -> pd.DataFrame:
    """The ``top`` best distinct mixes of the search."""
    order = trials.assign(rank=trials["value"] * -search.better).sort_values(
        ["rank", "trial"], kind="stable")
    return order.drop_duplicates("mix").head(search.top).drop(columns="rank")


def _final_tables(runs: pd.DataFrame, search: Search) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Means of the re-evaluated options, and the best mix's paired differences."""
    wide = runs.pivot(index="replication", columns="option", values=search.objective)
    rows = []
    for option, group in runs.groupby("option", sort=False):
        mean, low, high = t_interval(group[search.objective].to_numpy())
        first = group.iloc[0]
        rows.append({"option": option,
                     "kind": "candidate" if option.startswith("c") else "single",
                     "mix": first["mix"], "policy": first["policy"],
                     **{f"share_{i}": first[f"share_{i}"] for i in ITEMS},
                     "mean": mean, "ci_low": low, "ci_high": high,
                     "spent": group["spent_per_citizen_year"].mean()})
    final = pd.DataFrame(rows)
    candidates = final[final["kind"] == "candidate"]
    best = candidates.loc[(candidates["mean"] * -search.better).idxmin(), "option"]
    diffs = []
    for option in final["option"]:
        if option == best:
            continue
        diffs.append({"option": option, "mix": final.set_index("option").loc[option, "mix"],
                      **paired_difference(wide[best].to_numpy(), wide[option].to_numpy(),
                                          search.better, CONFIDENCE)})
    return final, pd.DataFrame(diffs)


def optimisation_store(out: str | Path, scenario: Scenario, search: Search) -> RunStore:
    """The run store of a search: identified by its scenario, settings and Optuna's version."""
    from importlib.metadata import version

    identity = {"scenario": {"name": scenario.name, "hash": scenario.hash},
                "search": {k: getattr(search, k) for k in search.__dataclass_fields__},
                "optuna": version("optuna"),
                "outcomes": {o.name: o.spec() for o in DECISION_OUTCOMES}}
    manifest = {"origin": scenario.name, "seed": search.seed,
                "derivation": "search replication r of every trial: derive_seed(seed, r); "
                              "final replication k: derive_seed(seed, 1, k)",
                "scenario": {"name": scenario.name, "origin": scenario.origin,
                             "hash": scenario.hash, "overrides": dict(scenario.overrides)}}
    return decision_store(out, "mix search", identity, manifest)

