"""Sensitivity analysis of a sweep folder, by the experiment's design.

* **sobol**: first-order (S1) and total (ST) Sobol' indices with bootstrap confidence intervals
  (SALib ``sobol.analyze``, Saltelli/Jansen estimators).
* **morris**: mu* (mean absolute elementary effect, with its confidence interval), mu and sigma
  (SALib ``morris.analyze``).
* **lhs**: first-order indices by RBD-FAST (SALib ``rbd_fast.analyze``), which works on a Latin
  hypercube.
* **grid**: main effects: each outcome's mean over every run at each value of a factor, with a
  95 % confidence interval.

Sampled designs are analysed on each design point's mean over its replications, and need every
point to have at least one finished run. The analysis reads only the sweep folder (manifest,
design, runs), not the experiment file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.experiment import ExperimentError
from ..batch.sweep import load_design, load_manifest, load_table
from ..model.series import SERIES
from .statistics import CONFIDENCE, t_interval

SERIES_UNITS = {s.name: s.unit for s in SERIES}

RESAMPLES = 1000
"""Bootstrap resamples for the confidence intervals."""
HARMONICS = 10
"""RBD-FAST's interference parameter M; its bootstrap needs more than 4 M design points."""
INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
    "lhs": ("S1", "S1_conf"),
}


@dataclass(frozen=True)
class Analysis:
    """The result of analysing a sweep folder.

    Attributes:
        experiment: The experiment's name.
        method: The design: ``sobol``, ``morris``, ``lhs`` or ``grid``.
        table: Sensitivity indices (one row per outcome and factor) or, for grids, main effects
            (one row per outcome, factor and value).
        points: Each design point's factor values and mean outcomes.
        labels: Outcome name -> axis label.
        runs: Finished runs used.
        planned: Runs in the design.
        scales: Outcome name -> how to show it (unit, multiplier, possible range).
    """

    experiment: str
    method: str
    table: pd.DataFrame
    points: pd.DataFrame
    labels: dict[str, str]
    runs: int
    planned: int
    scales: dict[str, Scale]

    @property
    def name(self) -> str:
        """The file stem of the table: ``sobol``, ``morris``, ``rbd_fast`` or ``main_effects``."""
        return {"lhs": "rbd_fast", "grid": "main_effects"}.get(self.method, self.method)


@dataclass(frozen=True)
class Scale:
    """How an outcome is shown, and the values it can take.

    Attributes:
        unit: The unit shown (``%`` for shares, as ``run`` and ``compare`` show them).
        factor: Multiplier from the stored value to the shown one (100 for shares).
        low: Smallest possible stored value.
        high: Largest possible stored value.
    """

    unit: str
    factor: float = 1.0
    low: float = -np.inf
    high: float = np.inf


def outcome_scale(spec: dict[str, Any], weeks: int, values: pd.Series) -> Scale:
    """How to show an outcome of an experiment file, and its possible range.

    A week (``peak_week``) lies in the outcome's window; a share in [0, 1] (shown in percent);
    an outcome that is never negative in the runs cannot be (counts, money, need).
    """
    unit = SERIES_UNITS.get(spec["column"], "")
    if spec["stat"] == "peak_week":
        start, end = spec["window"]
        return Scale("week", 1.0, start, (end if end is not None else weeks) - 1)
    if spec.get("per"):
        unit = f"{unit} per {SERIES_UNITS.get(spec['per'], spec['per'])}".replace(
            "/week per ", " per ")
    elif unit == "share" and spec["stat"] != "total":
        return Scale("%", 100.0, 0.0, 1.0)
    elif spec["stat"] == "total":
        unit = unit.removesuffix("/week") + " in all"
    low = 0.0 if (values.dropna() >= 0).all() else -np.inf
    return Scale(unit, 1.0, low)


def analyse(out: str | Path) -> Analysis:
    """Analyse the sweep in folder ``out`` by its design's method.

    Raises:
        ExperimentError: The folder holds no sweep, no finished run, or (for sampled designs)
            misses design points.
    """
    manifest = load_manifest(out)
    exp = manifest["experiment"]
    factors, outcomes = list(exp["parameters"]), list(exp["outcomes"])
    method = exp["design"]["method"]
    design = load_design(out)
    runs = load_table(out)
    if runs.empty:
        raise ExperimentError(f"{out}: no run has finished yet; run `solidarity-sim sweep` "
                              "first")
    points = design.drop_duplicates("point").set_index("point")[factors]
    points = points.join(runs.groupby("point")[outcomes].mean())
    labels = {name: spec["label"] for name, spec in exp["outcomes"].items()}
    scales = {name: outcome_scale(spec, exp["weeks"], runs[name])
              for name, spec in exp["outcomes"].items()}
    if method == "grid":
        table = main_effects(runs, exp["parameters"], outcomes, scales)
    else:
        missing = points[outcomes[0]].isna()
        if missing.any():
            raise ExperimentError(
                f"{out}: {int(missing.sum())} of {len(points)} design points have no finished "
                f"run (e.g. point {points.index[missing][0]}); {method} indices need every "
                "point. Run the same `solidarity-sim sweep` command again to finish the missing "
                "runs (failed runs are in failed/)")
        if method == "lhs" and len(points) <= 4 * HARMONICS:
            raise ExperimentError(f"{out}: RBD-FAST needs more than {4 * HARMONICS} design "
                                  f"points and this Latin hypercube has {len(points)}; set "
                                  f"[design] samples to {4 * HARMONICS + 1} or more")
        problem = {"num_vars": len(factors), "names": factors,
                   "bounds": [[exp["parameters"][f]["min"], exp["parameters"][f]["max"]]
                              for f in factors]}
        table = indices(method, problem, points, outcomes, seed=exp["seed"],
                        levels=exp["design"]["levels"])
    return Analysis(manifest["name"], method, table, points.reset_index(), labels, len(runs),
                    len(design), scales)


def indices(method: str, problem: dict[str, Any], points: pd.DataFrame, outcomes: list[str],
            seed: int, levels: int = 4) -> pd.DataFrame:
    """Sensitivity indices of each outcome (SALib), one row per outcome and factor.

    An outcome that is the same at every point gets missing (NaN) indices.

    Args:
        method: ``sobol``, ``morris`` or ``lhs``.
        problem: The SALib problem (names and bounds).
        points: Factor values and mean outcomes, one row per design point in design order.
        outcomes: The outcome columns to analyse.
        seed: Seed of the bootstrap.
        levels: Morris grid levels.
    """
    from SALib.analyze import morris, rbd_fast, sobol

    x = points[problem["names"]].to_numpy(dtype=float)
    rows = []
    for outcome in outcomes:
        y = points[outcome].to_numpy(dtype=float)
        common = {"num_resamples": RESAMPLES, "conf_level": CONFIDENCE, "seed": seed}
        if np.ptp(y) == 0:  # a constant outcome: no variance to apportion
            result = {c: np.full(len(problem["names"]), np.nan) for c in INDEX_COLUMNS[method]}
        elif method == "sobol":
            result = sobol.analyze(problem, y, calc_second_order=False, **common)
        elif method == "morris":
            result = morris.analyze(problem, x, y, num_levels=levels, **common)
        else:
            result = rbd_fast.analyze(problem, x, y, M=HARMONICS, **common)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name,
                         **{c: float(result[c][i]) for c in INDEX_COLUMNS[method]}})
    return pd.DataFrame(rows)


def main_effects(runs: pd.DataFrame, grid: dict[str, list[Any]], outcomes: list[str],
                 scales: dict[str, Scale] | None = None) -> pd.DataFrame:
    """Each outcome's mean at each value of each factor, over all runs, with a 95 % t-interval.

    The interval is cut to the values the outcome can take (a week within its window, a share
    within [0, 1]).

    Args:
        runs: One row per finished run (factor and outcome columns).
        grid: Factor path -> its values, in the order to report them.
        outcomes: The outcome columns.
        scales: Outcome -> its :class:`Scale` (its possible range); default: unbounded.
    """
    rows = []
    for outcome in outcomes:
        bound = (scales or {}).get(outcome, Scale(""))
        for factor, values in grid.items():
            for value in values:
                y = runs.loc[runs[factor] == value, outcome].dropna().to_numpy(dtype=float)
                mean, low, high = t_interval(y)
                rows.append({"outcome": outcome, "parameter": factor, "value": value,
                             "mean": mean, "ci_low": max(low, bound.low),
                             "ci_high": min(high, bound.high), "n": len(y)})
    return pd.DataFrame(rows)
