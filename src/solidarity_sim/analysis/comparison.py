"""Compare scenarios over replications with common random numbers and paired statistics.

Replication ``k`` of every scenario runs with the same seed, ``derive_seed(seed, k)``
(:func:`~solidarity_sim.model.streams.derive_seed`). As every process draws from its own named
stream (:mod:`solidarity_sim.model.streams`), two scenarios run with one seed share their network,
crisis and behaviour draws, so the difference between them in replication ``k`` is mostly the
effect of the scenario, not noise, and the paired interval of a difference is narrower than the
unpaired one.

Each run is reduced to one value per outcome (:data:`OUTCOMES`, averaged or summed over the whole
run). For each scenario and outcome the summary gives the mean and its 95 % t-interval; for each
scenario after the first, the mean paired difference from the first with its 95 % t-interval (and,
for reference, Welch's unpaired interval). Runs go to an executor (a local process pool by
default, or Dask: :mod:`solidarity_sim.batch.executors`); the tables do not depend on the engine,
the number of workers or the order in which runs finish. Given an output folder, every run is
stored there as it finishes (a :class:`~solidarity_sim.batch.store.RunStore`), and running the same
comparison into it again computes only the missing runs.

Example:
    >>> import solidarity_sim as ss
    >>> table = ss.compare(["great-recession", "core-funding"], replications=5)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.executors import Executor, using
from ..batch.lock import writing
from ..batch.store import RunStore, Stored, execute, opened, raise_failures
from ..batch.uncertainty import RUNS_PER_SET, Posterior, uncertainty_of
from ..model.calendar import WEEKS_PER_YEAR
from ..model.scenario import Scenario, ScenarioError, load_scenario
from ..model.streams import derive_seed
from ..results.crate import write_crate
from ..results.files import read_json, read_table, write_csv, write_table
from ..results.outcomes import Outcome
from ..results.run_result import weekly_series
from .statistics import CONFIDENCE, paired_difference, t_interval, t_quantile, variance_split

SPENDING_TOLERANCE = 0.05
"""Relative difference in total state spending above which scenarios are flagged as unequal."""


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("volunteer_share", "volunteer_share", "mean", label="volunteer share",
            unit="% of citizens", better=+1, scale=100.0, fmt=".1f",
            definition="mean over all weeks of the share of citizens present who volunteer"),
    Outcome("retention", "retention_12m", "mean", WEEKS_PER_YEAR, label="annual retention",
            unit="% of volunteers", better=+1, scale=100.0, fmt=".1f",
            definition="mean over the weeks from week 52 of the share of those volunteering 52 "
                       "weeks earlier who still volunteer"),
    Outcome("csos_active", "csos_active", "mean", label="active CSOs", unit="CSOs", fmt=".1f",
            definition="mean over all weeks of the number of active CSOs, formal and informal"),
    Outcome("recognition", "recognition_mean", "mean", label="mean recognition",
            unit="level 0-1", better=+1, fmt=".3f",
            definition="mean over all weeks of the mean social recognition of active CSOs"),
    Outcome("capacity_gini", "capacity_gini", "mean", label="Gini of CSO capacity", unit="0-1",
            fmt=".3f",
            definition="mean over all weeks of the Gini coefficient of active CSOs' capacity "
                       "(higher: service concentrated in fewer, larger CSOs)"),
    Outcome("need_met_csos", "need_met_csos", "mean", label="need met by CSOs",
            unit="need units/week", better=+1, fmt=",.1f",
            definition="mean over all weeks of the need served by CSOs"),
    Outcome("unmet_need", "unmet_need", "mean", label="unmet need", unit="need units/week",
            better=-1, fmt=",.1f",
            definition="mean over all weeks of the need met neither by welfare nor by CSOs"),
    Outcome("unmet_need_minority", "unmet_need_minority", "mean",
            label="unmet need, minority group", unit="need units/week", better=-1,
            fmt=",.1f",
            definition="mean over all weeks of the unmet need of the minority identity group"),
    Outcome("state_spending", "state_spending", "total",
            label="state spending on civil society", unit="€ over the run", fmt=",.0f",
            definition="total over the run of what the state paid CSOs and spent on levers"),
    Outcome("cost_per_need_met", "state_spending", "ratio", per="need_met_csos",
            label="cost per need unit met by CSOs", unit="€/need unit", better=-1,
            fmt=",.2f",
            definition="total state spending divided by the total need CSOs met over the run "
                       "(not defined when the state spends nothing)"),
)
"""Every outcome reported by a comparison, in report order."""

OUTCOME_BY_NAME = {o.name: o for o in OUTCOMES}

TRAJECTORIES = (
    ("volunteer_share", "volunteer share", "% of citizens", 100.0),
    ("csos_active", "active CSOs", "CSOs", 1.0),
    ("recognition_mean", "mean recognition", "level 0-1", 1.0),
    ("unmet_need", "unmet need", "need units/week", 1.0),
    ("unmet_need_minority", "unmet need, minority group", "need units/week", 1.0),
    ("state_spending", "state spending on civil society", "€/week", 1.0),
)
"""(weekly column, label, unit, scale) of each trajectory panel of the report."""


def outcome_values(ts: pd.DataFrame) -> dict[str, float]:
    """Reduce one run's weekly series to one value per outcome (see :data:`OUTCOMES`)."""
    return {o.name: o.measure(ts) for o in OUTCOMES}


def _by_replication(runs: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """Scenario names in order, and the values with one column per (outcome, scenario).

    Under parameter uncertainty (a ``parameter_set`` column) the rows are the posterior sets,
    each the mean of its runs: the sets are independent draws, the runs of one set are not, so
    every interval is taken over sets.
    """
    names = list(dict.fromkeys(runs["scenario"]))
    index = "parameter_set" if "parameter_set" in runs.columns else "replication"
    wide = runs.pivot_table(index=index, columns=["outcome", "scenario"],
                            values="value", dropna=False)
    return names, wide


def _parameter_shares(runs: pd.DataFrame, name: str, reference: str, outcome: str
                      ) -> dict[str, float]:
    """Share of the variance that comes from parameter sets (NaN without them).

    Of the scenario's values (``parameter_share``) and of its paired difference from the
    reference (``diff_parameter_share``).
    """
    if "parameter_set" not in runs.columns:
        return {"parameter_share": np.nan, "diff_parameter_share": np.nan}
    rows = runs[runs["outcome"] == outcome]
    own, ref = (rows[rows["scenario"] == n].set_index("replication") for n in (name, reference))
    diff = own["value"] - ref["value"].reindex(own.index)
    return {"parameter_share": variance_split(own["value"], own["parameter_set"])[
                "parameter_share"],
            "diff_parameter_share": np.nan if name == reference else variance_split(
                diff, own["parameter_set"])["parameter_share"]}


def summarise(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Summary statistics of a tidy runs table.

    Args:
        runs: One row per scenario, replication and outcome (columns ``scenario``,
            ``replication``, ``outcome``, ``value``); the first scenario is the reference.
        confidence: Level of the intervals.

    Returns:
        One row per scenario and outcome: ``n``, ``mean``, ``ci_low``, ``ci_high``, the mean's
        Monte Carlo standard error ``se``, the paired difference from the reference ``diff``
        with ``diff_low``, ``diff_high`` and its standard error ``diff_se``, Welch's unpaired
        interval ``unpaired_low``, ``unpaired_high``, the share of the difference's variance
        that pairing saved ``pairing_saving``, a ``verdict``, and under parameter uncertainty
        the share of the variance that comes from the parameters, of the values
        (``parameter_share``) and of the difference (``diff_parameter_share``; NaN otherwise).
    """
    names, wide = _by_replication(runs)
    rows = []
    for name in names:
        for outcome in OUTCOMES:
            x = wide[(outcome.name, name)].to_numpy()
            mean, low, high = t_interval(x, confidence)
            n = int(np.count_nonzero(~np.isnan(x)))
            row = {"scenario": name, "outcome": outcome.name, "label": outcome.label,
                   "unit": outcome.unit, "better": outcome.better, "n": n, "mean": mean,
                   "ci_low": low, "ci_high": high,
                   "se": float(np.nanstd(x, ddof=1) / np.sqrt(n)) if n > 1 else np.nan}
            if name == names[0]:
                row.update(diff=np.nan, diff_low=np.nan, diff_high=np.nan,
                           unpaired_low=np.nan, unpaired_high=np.nan, verdict="reference",
                           diff_se=np.nan, pairing_saving=np.nan)
            else:
                ref = wide[(outcome.name, names[0])].to_numpy()
                row.update(paired_difference(x, ref, outcome.better, confidence))
            row.update(_parameter_shares(runs, name, names[0], outcome.name))
            rows.append(row)
    return pd.DataFrame(rows)


def pairwise(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Paired differences between every pair of scenarios that leaves out the reference.

    Returns:
        One row per pair and outcome: ``scenario`` minus ``versus`` (``versus`` comes first in
        the comparison), with the columns of :func:`paired_difference`.
    """
    names, wide = _by_replication(runs)
    rows = []
    for a, b in combinations(names[1:], 2):
        for outcome in OUTCOMES:
            x, ref = (wide[(outcome.name, n)].to_numpy() for n in (b, a))
            rows.append({"scenario": b, "versus": a, "outcome": outcome.name,
                         **paired_difference(x, ref, outcome.better, confidence)})
    return pd.DataFrame(rows, columns=["scenario", "versus", "outcome", "diff", "diff_low",
                                       "diff_high", "unpaired_low", "unpaired_high", "verdict",
                                       "diff_se", "pairing_saving"])


def best_by_outcome(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """For each outcome with a better direction: the best scenario and how sure we are.

    The best is the scenario with the best mean; it is compared, pair by pair (the same
    seeds), with every other scenario.

    Returns:
        One row per outcome: ``outcome``, ``best``, its ``mean``, the ``runner_up`` (second
        best mean) with the paired difference best minus runner-up ``diff``, ``diff_low``,
        ``diff_high``, and ``tied``: the scenarios whose difference from the best is not clear
        (comma-separated; empty when the best is clearly better than every other).
    """
    names, wide = _by_replication(runs)
    rows = []
    for outcome in OUTCOMES:
        if outcome.better == 0:
            continue
        means = pd.Series({n: wide[(outcome.name, n)].mean() for n in names}).dropna()
        if len(means) < 2:
            continue
        order = means.sort_values(ascending=outcome.better < 0, kind="stable").index
        best = order[0]
        diffs = {n: paired_difference(wide[(outcome.name, best)].to_numpy(),
                                      wide[(outcome.name, n)].to_numpy(), outcome.better,
                                      confidence) for n in order[1:]}
        runner = diffs[order[1]]
        rows.append({"outcome": outcome.name, "best": best, "mean": means[best],
                     "runner_up": order[1], "diff": runner["diff"],
                     "diff_low": runner["diff_low"], "diff_high": runner["diff_high"],
                     "tied": ", ".join(n for n, d in diffs.items() if d["verdict"] != "better")})
    return pd.DataFrame(rows, columns=["outcome", "best", "mean", "runner_up", "diff",
                                       "diff_low", "diff_high", "tied"])


def weekly_bands(weekly: pd.DataFrame, column: str, scale: float = 1.0,
                 confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean of a weekly series across replications, with its t-interval, per scenario and week.

    Args:
        weekly: One row per scenario, replication and week (:attr:`Comparison.weekly`).
        column: The weekly series, e.g. ``"unmet_need"``.
        scale: Multiplier applied to the values (100 for shares shown in percent).
        confidence: Level of the band.

    Returns:
        Columns ``scenario``, ``week``, ``mean``, ``low``, ``high``, in scenario order.
    """
    g = weekly.groupby(["scenario", "week"], sort=False)[column]
    out = g.agg(["mean", "std", "count"]).reset_index()
    half = t_quantile(0.5 + confidence / 2, np.maximum(out["count"] - 1, 1)) * (
        out["std"].fillna(0.0) / np.sqrt(out["count"]))
    return pd.DataFrame({"scenario": out["scenario"], "week": out["week"],
                         "mean": scale * out["mean"], "low": scale * (out["mean"] - half),
                         "high": scale * (out["mean"] + half)})


def weekly_differences(weekly: pd.DataFrame, column: str, scale: float = 1.0,
                       confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Paired weekly difference of each scenario from the first, with its t-interval.

    Each replication's series is compared with the reference's series of the same replication
    (the same seed), week by week.

    Args:
        weekly: One row per scenario, replication and week (:attr:`Comparison.weekly`).
        column: The weekly series.
        scale: Multiplier applied to the values.
        confidence: Level of the band.

    Returns:
        Columns ``scenario``, ``week``, ``mean``, ``low``, ``high`` for every scenario but the
        first.
    """
    names = list(dict.fromkeys(weekly["scenario"]))
    keyed = weekly.set_index(["replication", "week"])
    reference = keyed.loc[keyed["scenario"] == names[0], column]
    diffs = [(keyed.loc[keyed["scenario"] == name, column] - reference).rename(column)
             .reset_index().assign(scenario=name) for name in names[1:]]
    return weekly_bands(pd.concat(diffs, ignore_index=True), column, scale, confidence)


def spending_gaps(summary: pd.DataFrame, tolerance: float = SPENDING_TOLERANCE) -> list[str]:
    """Warnings for each pair of scenarios whose mean total spending differs by more than 5 %."""
    spent = summary[summary["outcome"] == "state_spending"].set_index("scenario")["mean"]
    warnings = []
    for a, b in combinations(spent.index, 2):
        largest = max(abs(spent[a]), abs(spent[b]))
        if largest > 0 and abs(spent[a] - spent[b]) / largest > tolerance:
            warnings.append(
                f"Unequal cost: {a} spent €{spent[a]:,.0f} and {b} €{spent[b]:,.0f} on civil "
                f"society over the run (a difference of {abs(spent[a] - spent[b]) / largest:.0%}"
                f" of the larger); differences between them mix how the money is spent with "
                f"how much.")
    return warnings


# -- running --------------------------------------------------------------------------------------

@dataclass
class Comparison:
    """The runs of a comparison and their statistics.

    Attributes:
        scenarios: The resolved scenarios, the reference first.
        seed: The comparison's seed.
        seeds: The seed of each replication (shared by every scenario), derived from ``seed``.
        runs: Tidy outcomes: one row per scenario, replication and outcome.
        weekly: The weekly series: one row per scenario, replication and week.
        precision: The precision it was run to, if any.
        uncertainty: How the posterior's sets were drawn (:meth:`Posterior.spec`), or None
            when every run has the scenario's own parameters (intervals hold chance only).
    """

    scenarios: list[Scenario]
    seed: int
    seeds: list[int]
    runs: pd.DataFrame
    weekly: pd.DataFrame
    precision: Precision | None = None
    uncertainty: dict[str, Any] | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """Means, intervals and paired differences (see :func:`summarise`)."""
        return summarise(self.runs)

    def save(self, directory: str | Path) -> Path:
        """Write the tables and a manifest into ``directory`` (created if needed); return it.

        Files: ``summary.csv``, ``runs.parquet``, ``weekly.parquet``, ``manifest.json``
        (versions, seeds, and each scenario's resolved parameters, origin, overrides and hash:
        the manifest of the comparison's run store, kept if the folder already is one) and
        ``ro-crate-metadata.json``. Each file is written whole or not at all.

        Raises:
            StoreError: The folder holds the runs of another comparison.
            FolderLocked: Another command is writing into the folder.
            FileError: A file cannot be written (e.g. a full disk).
        """
        out = Path(directory)
        store = comparison_store(out, self.scenarios, self.seed, len(self.seeds),
                                 self.precision, self.uncertainty)
        with writing(out):
            if (out / "manifest.json").is_file():
                store.open()  # refuses the folder of another comparison
            store.write_manifest()  # records the seeds of every replication run
            write_csv(self.summary, out / "summary.csv")
            write_table(self.runs, out / "runs.parquet")
            write_table(self.weekly, out / "weekly.parquet")
            write_crate(out)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Comparison:
        """Read a comparison written by :meth:`save`.

        Raises:
            FileError: A file is missing or damaged (the message names it).
        """
        src = Path(directory)
        hint = "run the same `solidarity-sim compare` command again to write it again"
        manifest = read_json(src / "manifest.json", hint)
        scenarios = [Scenario(s["parameters"], s["origin"], tuple(s["overrides"].items()))
                     for s in manifest["scenarios"]]
        spec = manifest["experiment"]["replications"]
        precision = (Precision(spec["precision"], spec["start"], spec["cap"])
                     if isinstance(spec, dict) else None)
        return cls(scenarios, manifest["seed"], manifest["seeds"],
                   read_table(src / "runs.parquet", hint), read_table(src / "weekly.parquet", hint),
                   precision, manifest.get("uncertainty"))


def resolve(scenarios: Sequence[str | Path | Scenario], weeks: int | None = None,
            overrides: Mapping[str, Any] | None = None, where: str = "overrides"
            ) -> list[Scenario]:
    """Load every scenario with the shared overrides; names must be distinct.

    Args:
        scenarios: Bundled names, TOML paths or :class:`Scenario` objects.
        weeks: Override every scenario's horizon.
        overrides: Dotted-path overrides applied to every scenario.
        where: How error messages name the overrides (``--set`` on the command line).
    """
    changes = dict(overrides or {})
    if weeks is not None:
        changes["weeks"] = weeks
    resolved = [load_scenario(s, changes, where=where) for s in scenarios]
    seen: dict[str, str] = {}
    for s in resolved:
        if s.name in seen:
            raise ScenarioError(f"scenarios {seen[s.name]} and {s.origin} are both named "
                                f"'{s.name}'; a comparison needs distinct names (give each file "
                                "its own 'name')")
        seen[s.name] = s.origin
    return resolved


def scenario_key(index: int) -> str:
    """How a comparison's store names the scenario in place ``index``: ``s00``, ``s01``, ..."""
    return f"s{index:02d}"


@dataclass(frozen=True)
class CompareTask:
    """One run of a comparison: a scenario in one replication.

    Attributes:
        index: The scenario's place in the comparison (0: the reference).
        replication: The replication.
        seed: Its seed (shared by every scenario).
        scenario: The resolved scenario (with its posterior set, under uncertainty).
        parameter_set: Under parameter uncertainty, the group of replications that share a
            posterior set (``replication // RUNS_PER_SET``); else None.
    """

    index: int
    replication: int
    seed: int
    scenario: Scenario
    parameter_set: int | None = None

    @property
    def key(self) -> str:
        """The run's file name in the store, e.g. ``s01-r0003``."""
        return f"{scenario_key(self.index)}-r{self.replication:04d}"

    def row(self) -> dict[str, Any]:
        """The run's identity columns."""
        row = {"scenario": self.scenario.name, "replication": self.replication,
               "seed": self.seed}
        if self.parameter_set is not None:
            row["parameter_set"] = self.parameter_set
        return row


def run_compare_task(task: CompareTask) -> Stored:
    """Run one scenario with one seed; keep its outcomes and weekly series (runs on a worker)."""
    timeseries = weekly_series(task.scenario, task.seed)
    return Stored({**task.row(), **outcome_values(timeseries)}, {"series": timeseries})


def comparison_store(out: str | Path, scenarios: Sequence[Scenario], seed: int,
                     replications: int, precision: Precision | None = None,
                     uncertainty: Mapping[str, Any] | None = None) -> RunStore:
    """The run store of a comparison: identified by its scenarios, seed and replications.

    A comparison run to a precision is identified by the precision (targets, first round and
    cap) instead of its number of replications, which it finds as it goes; one under
    parameter uncertainty also by the posterior (``uncertainty``: :meth:`Posterior.spec`).
    """
    identity = {"scenarios": {scenario_key(i): {"name": s.name, "hash": s.hash}
                              for i, s in enumerate(scenarios)}, "seed": seed,
                "replications": replications if precision is None else precision.spec(),
                "outcomes": {o.name: o.spec() for o in OUTCOMES}}
    if uncertainty is not None:
        identity["uncertainty"] = dict(uncertainty)
    manifest = {
        "package": "solidarity-sim", "origin": " vs ".join(s.name for s in scenarios),
        "seed": seed, "seeds": [derive_seed(seed, k) for k in range(replications)],
        "derivation": "replication k of every scenario: derive_seed(seed, k)",
        "scenarios": [{"name": s.name, "origin": s.origin, "hash": s.hash,
                       "overrides": dict(s.overrides), "parameters": s.params}
                      for s in scenarios],
    }
    if uncertainty is not None:
        manifest["uncertainty"] = dict(uncertainty)
    return RunStore(out, "comparison", identity, tables=("series",), manifest=manifest,
                    what="set of scenarios, seed or replications")


@dataclass(frozen=True)
class Precision:
    """Run a comparison until its paired intervals are narrow enough (or a cap is reached).

    Attributes:
        targets: The largest allowed half-width of every paired-difference interval, per
            outcome, in the outcome's reported unit (e.g. ``{"unmet_need": 2.0}``).
        start: Replications of the first round.
        cap: The most replications to run.
    """

    targets: Mapping[str, float]
    start: int = 10
    cap: int = 100

    def __post_init__(self) -> None:
        unknown = set(self.targets) - set(OUTCOME_BY_NAME)
        if unknown:
            raise ValueError(f"no outcome {sorted(unknown)[0]!r}; allowed: "
                             f"{', '.join(OUTCOME_BY_NAME)}")
        if min(self.targets.values(), default=1.0) <= 0:
            raise ValueError("every precision must be above 0")
        if not 2 <= self.start <= self.cap:
            raise ValueError(f"need 2 <= start ({self.start}) <= cap ({self.cap})")

    def spec(self) -> dict[str, Any]:
        """The precision as stored in a comparison's identity."""
        return {"precision": dict(sorted(self.targets.items())), "start": self.start,
                "cap": self.cap}

    def widest(self, runs: pd.DataFrame) -> dict[str, float]:
        """The largest paired half-width of each target outcome, over every pair."""
        half = pd.concat([((t["diff_high"] - t["diff_low"]) / 2).groupby(t["outcome"]).max()
                          for t in (summarise(runs), pairwise(runs)) if len(t)], axis=1)
        return half.max(axis=1)[list(self.targets)].to_dict()

    def next_count(self, runs: pd.DataFrame, n: int) -> int:
        """Replications for the next round, or ``n`` when every target is met or at the cap.

        The half-width shrinks about as 1/sqrt(n): the next round aims at the count that meets
        the widest target, plus a tenth, and adds at least one replication.
        """
        ratio = max(self.widest(runs).get(k, np.inf) / h for k, h in self.targets.items())
        if ratio <= 1 or n >= self.cap:
            return n
        return min(self.cap, max(n + 1, math.ceil(1.1 * n * ratio ** 2)))


def run_comparison(scenarios: Sequence[str | Path | Scenario], *, replications: int = 10,
                   seed: int = 0, weeks: int | None = None,
                   overrides: Mapping[str, Any] | None = None, workers: int | None = None,
                   executor: Executor | None = None, out: str | Path | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   precision: Precision | None = None,
                   uncertainty: Posterior | None = None) -> Comparison:
    """Run every scenario ``replications`` times with shared seeds; collect the results.

    Args:
        scenarios: Bundled names, TOML paths or :class:`Scenario` objects; the first is the
            reference for paired differences.
        replications: Runs per scenario (at least 2 for intervals).
        seed: The comparison's seed; replication seeds derive from it.
        weeks: Override every scenario's horizon.
        overrides: Dotted-path overrides applied to every scenario.
        workers: Processes of the local pool built when no ``executor`` is given (default: the
            usable cores; 1 runs in this process).
        executor: Where to run (:mod:`solidarity_sim.batch.executors`; left open).
        out: A folder to store every run in as it finishes; if it holds some runs of this same
            comparison, only the missing runs are computed.
        progress: Called as ``progress(done, total)`` each time a run finishes.
        precision: Add replications in rounds (from ``precision.start``) until every paired
            interval of its outcomes is narrow enough or ``precision.cap`` is reached;
            ``replications`` is then ignored.
        uncertainty: A posterior (:func:`~solidarity_sim.batch.uncertainty.load_posterior`):
            replication ``k`` of every scenario runs with its set ``k // 2`` (a scenario's own
            overrides win), and intervals are taken over sets, so that they hold parameter
            uncertainty as well as chance. None: every run has the scenario's parameters.

    Returns:
        The :class:`Comparison`.

    Raises:
        ScenarioError: A scenario or override is invalid, two scenarios share a name, or
            ``out`` holds something else (a :class:`~solidarity_sim.batch.store.StoreError`).
        ValueError: ``replications`` or ``workers`` is below 1.
        RuntimeError: A run raised (the others are stored in ``out``).
        FolderLocked: Another command is writing into ``out``.
        ExecutorLost: The executor lost its scheduler (the message says how to resume).
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    resolved = resolve(scenarios, weeks, overrides)
    n = replications if precision is None else precision.start
    spec = uncertainty.spec() if uncertainty is not None else None
    with (opened(comparison_store(out, resolved, seed, n, precision, spec) if out else None)
          as store, using(executor, workers, n * len(resolved)) as engine):
        while True:
            seeds = [derive_seed(seed, k) for k in range(n)]
            tasks = [_task(i, k, seeds[k], scenario, uncertainty) for k in range(n)
                     for i, scenario in enumerate(resolved)]
            done = execute(engine, run_compare_task, tasks, store=store, progress=progress)
            raise_failures(done, store)
            comparison = _assemble(resolved, seed, seeds, tasks, done)
            comparison.uncertainty = spec
            more = n if precision is None else precision.next_count(comparison.runs, n)
            if more == n:
                comparison.precision = precision
                return comparison
            n = more


def _task(index: int, replication: int, seed: int, scenario: Scenario,
          uncertainty: Posterior | None) -> CompareTask:
    """One run; under parameter uncertainty with the replication's posterior set."""
    if uncertainty is None:
        return CompareTask(index, replication, seed, scenario)
    return CompareTask(index, replication, seed, uncertainty.apply(scenario, replication),
                       replication // RUNS_PER_SET)


def _assemble(scenarios: list[Scenario], seed: int, seeds: list[int],
              tasks: Sequence[CompareTask], done: Mapping[str, Stored]) -> Comparison:
    """Build the tables in scenario and replication order, whatever order runs finished in."""
    ordered = sorted(tasks, key=lambda t: (t.index, t.replication))
    runs = [{**task.row(), "outcome": o.name, "value": float(done[task.key].row[o.name])}
            for task in ordered for o in OUTCOMES]
    weekly = pd.concat([done[task.key].tables["series"].assign(**task.row())
                        for task in ordered], ignore_index=True)
    front = list(ordered[0].row())
    weekly = weekly[front + [c for c in weekly.columns if c not in front]]
    return Comparison(scenarios, seed, seeds, pd.DataFrame(runs), weekly)


def compare(scenarios: Sequence[str | Path | Scenario], *, replications: int = 10,
            seed: int = 0, weeks: int | None = None, overrides: Mapping[str, Any] | None = None,
            workers: int | None = None, executor: Executor | None = None,
            out: str | Path | None = None, uncertainty: str | None = None) -> pd.DataFrame:
    """Compare scenarios with common random numbers; return the tidy summary table.

    Args:
        scenarios: Bundled names, TOML paths or :class:`Scenario` objects; the first is the
            reference for paired differences.
        replications: Runs per scenario (at least 2 for intervals).
        seed: The comparison's seed; replication ``k`` of every scenario uses the same seed.
        weeks: Override every scenario's horizon.
        overrides: Dotted-path overrides applied to every scenario.
        workers: Processes in parallel when no ``executor`` is given (default: the usable cores).
        executor: Where to run (left open).
        out: A folder to store the runs in (and resume from).
        uncertainty: ``"posterior"``: replication ``k`` runs with the bundled posterior's set
            ``k // 2``, so the intervals hold parameter uncertainty too and the table gains the
            share of variance from parameters (``parameter_share``, ``diff_parameter_share``);
            ``None`` or ``"none"``: chance only.

    Returns:
        One row per scenario and outcome (see :func:`summarise`). For the runs themselves and
        the weekly series, use :func:`run_comparison`.
    """
    return run_comparison(scenarios, replications=replications, seed=seed, weeks=weeks,
                          overrides=overrides, workers=workers, executor=executor,
                          out=out, uncertainty=uncertainty_of(uncertainty)).summary
