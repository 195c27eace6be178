"""Compare scenarios over replications with common random numbers and paired statistics.

Replication ``k`` of every scenario runs with the same seed, derived from the comparison's seed and
``k`` by :class:`numpy.random.SeedSequence`. As every process draws from its own named stream
(:mod:`solidarity_sim.model.streams`), two scenarios run with one seed share their network, crisis
and behaviour draws, so the difference between them in replication ``k`` is mostly the effect of the
scenario, not noise, and the paired interval of a difference is narrower than the unpaired one.

Each run is reduced to one value per outcome (:data:`OUTCOMES`, averaged or summed over the whole
run). For each scenario and outcome the summary gives the mean and its 95 % t-interval; for each
scenario after the first, the mean paired difference from the first with its 95 % t-interval (and,
for reference, Welch's unpaired interval). Runs go to a local process pool; the tables do not
depend on the number of workers or on the order in which runs finish.

Example:
    >>> import solidarity_sim as ss
    >>> table = ss.compare(["great-recession", "core-funding"], replications=5)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..batch.executors import default_workers
from ..model.scenario import Scenario, ScenarioError, load_scenario
from ..results.run_result import library_versions, package_version, run

CONFIDENCE = 0.95
SPENDING_TOLERANCE = 0.05
"""Relative difference in total state spending above which scenarios are flagged as unequal."""

YEAR = 52


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run, reduced to a single number.

    Attributes:
        name: Column name in the tables.
        label: Human-readable name.
        unit: Unit of the value.
        better: +1 if higher is better, -1 if lower is better, 0 if neither.
        fmt: Format of a value in reports.
        definition: How the value is computed from the weekly series.
    """

    name: str
    label: str
    unit: str
    better: int
    fmt: str
    definition: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("volunteer_share", "volunteer share", "% of citizens", +1, "{:.1f}",
            "mean over all weeks of the share of citizens present who volunteer"),
    Outcome("retention", "annual retention", "% of volunteers", +1, "{:.1f}",
            "mean over the weeks from week 52 of the share of those volunteering 52 weeks "
            "earlier who still volunteer"),
    Outcome("csos_active", "active CSOs", "CSOs", 0, "{:.1f}",
            "mean over all weeks of the number of active CSOs, formal and informal"),
    Outcome("recognition", "mean recognition", "level 0-1", +1, "{:.3f}",
            "mean over all weeks of the mean social recognition of active CSOs"),
    Outcome("capacity_gini", "Gini of CSO capacity", "0-1", 0, "{:.3f}",
            "mean over all weeks of the Gini coefficient of active CSOs' capacity (higher: "
            "service concentrated in fewer, larger CSOs)"),
    Outcome("need_met_csos", "need met by CSOs", "need units/week", +1, "{:,.1f}",
            "mean over all weeks of the need served by CSOs"),
    Outcome("unmet_need", "unmet need", "need units/week", -1, "{:,.1f}",
            "mean over all weeks of the need met neither by welfare nor by CSOs"),
    Outcome("unmet_need_minority", "unmet need, minority group", "need units/week", -1,
            "{:,.1f}", "mean over all weeks of the unmet need of the minority identity group"),
    Outcome("state_spending", "state spending on civil society", "€ over the run", 0,
            "{:,.0f}", "total over the run of what the state paid CSOs and spent on levers"),
    Outcome("cost_per_need_met", "cost per need unit met by CSOs", "€/need unit", -1,
            "{:,.2f}", "total state spending divided by the total need CSOs met over the run "
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
    retention = ts.loc[ts["week"] >= YEAR, "retention_12m"].dropna()
    spent = float(ts["state_spending"].sum())
    met = float(ts["need_met_csos"].sum())
    return {
        "volunteer_share": 100.0 * ts["volunteer_share"].mean(),
        "retention": 100.0 * retention.mean() if len(retention) else np.nan,
        "csos_active": ts["csos_active"].mean(),
        "recognition": ts["recognition_mean"].mean(),
        "capacity_gini": ts["capacity_gini"].mean(),
        "need_met_csos": ts["need_met_csos"].mean(),
        "unmet_need": ts["unmet_need"].mean(),
        "unmet_need_minority": ts["unmet_need_minority"].mean(),
        "state_spending": spent,
        "cost_per_need_met": spent / met if spent > 0 and met > 0 else np.nan,
    }


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seed of each replication, shared by every scenario (common random numbers)."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(child.generate_state(1)[0]) for child in children]


# -- statistics ---------------------------------------------------------------------------------

def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of ``values`` and its t-interval (NaN bounds with fewer than two values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return mean, mean - half, mean + half


def welch_interval(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE
                   ) -> tuple[float, float]:
    """Welch's (unpaired) t-interval of ``mean(a) - mean(b)``."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return np.nan, np.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff, se = a.mean() - b.mean(), np.sqrt(va + vb)
    if se == 0:
        return float(diff), float(diff)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = stats.t.ppf(0.5 + confidence / 2, df) * se
    return float(diff - half), float(diff + half)


def verdict(outcome: Outcome, low: float, high: float) -> str:
    """Word a difference: better / worse (or higher / lower), unclear if 0 is in the CI.

    ``undefined`` when there is no interval (the outcome is not defined for a scenario).
    """
    if np.isnan(low) or np.isnan(high):
        return "undefined"
    if low <= 0 <= high:
        return "unclear"
    higher = low > 0
    if outcome.better == 0:
        return "higher" if higher else "lower"
    return "better" if higher == (outcome.better > 0) else "worse"


def paired_difference(x: np.ndarray, ref: np.ndarray, outcome: Outcome,
                      confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean paired difference ``x - ref`` with its t-interval, Welch's interval and verdict.

    Args:
        x: One value per replication.
        ref: The reference's values, replication by replication (the same seeds).
        outcome: The outcome (for the verdict).
        confidence: Level of the intervals.
    """
    diff, low, high = t_interval(x - ref, confidence)
    u_low, u_high = welch_interval(x, ref, confidence)
    return {"diff": diff, "diff_low": low, "diff_high": high, "unpaired_low": u_low,
            "unpaired_high": u_high, "verdict": verdict(outcome, low, high)}


def _by_replication(runs: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """Scenario names in order, and the values with one column per (outcome, scenario)."""
    names = list(dict.fromkeys(runs["scenario"]))
    wide = runs.pivot_table(index="replication", columns=["outcome", "scenario"],
                            values="value", dropna=False)
    return names, wide


def summarise(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Summary statistics of a tidy runs table.

    Args:
        runs: One row per scenario, replication and outcome (columns ``scenario``,
            ``replication``, ``outcome``, ``value``); the first scenario is the reference.
        confidence: Level of the intervals.

    Returns:
        One row per scenario and outcome: ``n``, ``mean``, ``ci_low``, ``ci_high``, the paired
        difference from the reference ``diff`` with ``diff_low``, ``diff_high``, Welch's
        unpaired interval ``unpaired_low``, ``unpaired_high``, and a ``verdict``.
    """
    names, wide = _by_replication(runs)
    rows = []
    for name in names:
        for outcome in OUTCOMES:
            x = wide[(outcome.name, name)].to_numpy()
            mean, low, high = t_interval(x, confidence)
            row = {"scenario": name, "outcome": outcome.name, "label": outcome.label,
                   "unit": outcome.unit, "better": outcome.better,
                   "n": int(np.count_nonzero(~np.isnan(x))), "mean": mean, "ci_low": low,
                   "ci_high": high}
            if name == names[0]:
                row.update(diff=np.nan, diff_low=np.nan, diff_high=np.nan,
                           unpaired_low=np.nan, unpaired_high=np.nan, verdict="reference")
            else:
                ref = wide[(outcome.name, names[0])].to_numpy()
                row.update(paired_difference(x, ref, outcome, confidence))
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
                         **paired_difference(x, ref, outcome, confidence)})
    return pd.DataFrame(rows, columns=["scenario", "versus", "outcome", "diff", "diff_low",
                                       "diff_high", "unpaired_low", "unpaired_high", "verdict"])


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
    half = stats.t.ppf(0.5 + confidence / 2, np.maximum(out["count"] - 1, 1)) * (
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
    """

    scenarios: list[Scenario]
    seed: int
    seeds: list[int]
    runs: pd.DataFrame
    weekly: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """Means, intervals and paired differences (see :func:`summarise`)."""
        return summarise(self.runs)

    def save(self, directory: str | Path) -> Path:
        """Write the tables and a manifest into ``directory`` (created if needed); return it.

        Files: ``summary.csv``, ``runs.parquet``, ``weekly.parquet`` and ``manifest.json``
        (versions, seeds, and each scenario's resolved parameters, origin, overrides and hash).
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(out / "summary.csv", index=False)
        self.runs.to_parquet(out / "runs.parquet", index=False)
        self.weekly.to_parquet(out / "weekly.parquet", index=False)
        manifest = {
            "package": "solidarity-sim", "version": package_version(),
            "libraries": library_versions(), "seed": self.seed, "seeds": self.seeds,
            "scenarios": [{"name": s.name, "origin": s.origin, "hash": s.hash,
                           "overrides": dict(s.overrides), "parameters": s.params}
                          for s in self.scenarios],
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Comparison:
        """Read a comparison written by :meth:`save`."""
        src = Path(directory)
        manifest = json.loads((src / "manifest.json").read_text())
        scenarios = [Scenario(s["parameters"], s["origin"], tuple(s["overrides"].items()))
                     for s in manifest["scenarios"]]
        return cls(scenarios, manifest["seed"], manifest["seeds"],
                   pd.read_parquet(src / "runs.parquet"), pd.read_parquet(src / "weekly.parquet"))


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


def _run_one(scenario: Scenario, seed: int) -> tuple[dict[str, float], pd.DataFrame]:
    result = run(scenario, seed=seed)
    return outcome_values(result.timeseries), result.timeseries


def run_comparison(scenarios: Sequence[str | Path | Scenario], *, replications: int = 10,
                   seed: int = 0, weeks: int | None = None,
                   overrides: Mapping[str, Any] | None = None, workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run every scenario ``replications`` times with shared seeds; collect the results.

    Args:
        scenarios: Bundled names, TOML paths or :class:`Scenario` objects; the first is the
            reference for paired differences.
        replications: Runs per scenario (at least 2 for intervals).
        seed: The comparison's seed; replication seeds derive from it.
        weeks: Override every scenario's horizon.
        overrides: Dotted-path overrides applied to every scenario.
        workers: Processes to run in parallel (default: the usable cores; 1 runs in this
            process).
        progress: Called as ``progress(done, total)`` each time a run finishes.

    Returns:
        The :class:`Comparison`.

    Raises:
        ScenarioError: A scenario or override is invalid, or two scenarios share a name.
        ValueError: ``replications`` or ``workers`` is below 1.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    resolved = resolve(scenarios, weeks, overrides)
    seeds = replication_seeds(seed, replications)
    tasks = [(i, k) for k in range(replications) for i in range(len(resolved))]
    workers = min(default_workers() if workers is None else workers, len(tasks))
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    done: dict[tuple[int, int], tuple[dict[str, float], pd.DataFrame]] = {}

    def finished(key, value) -> None:
        done[key] = value
        if progress is not None:
            progress(len(done), len(tasks))

    if workers == 1:
        for i, k in tasks:
            finished((i, k), _run_one(resolved[i], seeds[k]))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(_run_one, resolved[i], seeds[k]): (i, k) for i, k in tasks}
            for future in as_completed(futures):
                finished(futures[future], future.result())
    return _assemble(resolved, seed, seeds, done)


def _assemble(scenarios: list[Scenario], seed: int, seeds: list[int],
              done: dict[tuple[int, int], tuple[dict[str, float], pd.DataFrame]]) -> Comparison:
    """Build the tables in scenario and replication order, whatever order runs finished in."""
    runs, weekly = [], []
    for i, scenario in enumerate(scenarios):
        for k, run_seed in enumerate(seeds):
            values, ts = done[(i, k)]
            runs.extend({"scenario": scenario.name, "replication": k, "seed": run_seed,
                         "outcome": o.name, "value": values[o.name]} for o in OUTCOMES)
            weekly.append(ts.assign(scenario=scenario.name, replication=k, seed=run_seed))
    weekly_table = pd.concat(weekly, ignore_index=True)
    front = ["scenario", "replication", "seed"]
    weekly_table = weekly_table[front + [c for c in weekly_table.columns if c not in front]]
    return Comparison(scenarios, seed, seeds, pd.DataFrame(runs), weekly_table)


def compare(scenarios: Sequence[str | Path | Scenario], *, replications: int = 10,
            seed: int = 0, weeks: int | None = None, overrides: Mapping[str, Any] | None = None,
            workers: int | None = None) -> pd.DataFrame:
    """Compare scenarios with common random numbers; return the tidy summary table.

    Args:
        scenarios: Bundled names, TOML paths or :class:`Scenario` objects; the first is the
            reference for paired differences.
        replications: Runs per scenario (at least 2 for intervals).
        seed: The comparison's seed; replication ``k`` of every scenario uses the same seed.
        weeks: Override every scenario's horizon.
        overrides: Dotted-path overrides applied to every scenario.
        workers: Processes to run in parallel (default: the usable cores).

    Returns:
        One row per scenario and outcome (see :func:`summarise`). For the runs themselves and
        the weekly series, use :func:`run_comparison`.
    """
    return run_comparison(scenarios, replications=replications, seed=seed, weeks=weeks,
                          overrides=overrides, workers=workers).summary
