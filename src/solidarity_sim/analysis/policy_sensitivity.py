"""Which assumptions decide which policy wins: Morris screening of policy differences.

An experiment file (``experiments/policy-sensitivity.toml``: a Morris design over the
``effects.*`` strengths and the scale and catchment parameters, with ``common_seeds``) is swept,
with the project's sweep engine, once on its own scenario (the reference) and once on each
policy scenario, with the same design points and the same seeds. Each run of a policy minus the
reference's run with the same id is the policy's paired effect at that design point and seed;
Morris elementary effects (SALib) of those differences, averaged over replications, say which
assumptions move each policy's effect, and the share of design points at which each policy
is the best says how often each would be chosen.

On the command line: ``solidarity-sim policy-sensitivity``
(:mod:`solidarity_sim.cli.policy_sensitivity`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..batch.executors import Executor
from ..batch.experiment import Experiment
from ..batch.sweep import load_table, run_sweep
from ..model.scenario import load_scenario


def on_scenario(experiment: Experiment, scenario: str) -> Experiment:
    """The same experiment (design, seeds, [fixed], horizon) on another scenario."""
    base = load_scenario(scenario).with_overrides({**experiment.fixed, "weeks": experiment.weeks},
                                                  where=f"{experiment.origin}: [fixed]")
    return dataclasses.replace(experiment, name=f"{experiment.name}-{scenario}",
                               scenario_ref=scenario, scenario=base)


def run_policies(experiment: Experiment, policies: Sequence[str], out: str | Path,
                 executor: Executor) -> dict[str, pd.DataFrame]:
    """Sweep the experiment on its scenario and on each policy; the runs table of each.

    Every sweep goes to ``out/<scenario>/`` (resumable, as any sweep).
    """
    out = Path(out)
    tables = {}
    for name in [experiment.scenario_ref, *policies]:
        folder = out / name
        run_sweep(on_scenario(experiment, name), folder, executor)
        tables[name] = load_table(folder).sort_values("run").reset_index(drop=True)
    return tables


def differences(tables: dict[str, pd.DataFrame], experiment: Experiment) -> pd.DataFrame:
    """Each policy minus the reference, run by run, averaged over replications per point.

    Returns:
        One row per policy and design point: ``policy``, ``point``, the factors, and each
        outcome's mean paired difference.
    """
    reference, *policies = tables
    outcomes = [o.name for o in experiment.outcomes]
    factors = [f.path for f in experiment.factors]
    base = tables[reference]
    rows = []
    for name in policies:
        other = tables[name]
        if not other["seed"].equals(base["seed"]):
            raise ValueError(f"the sweeps of {reference} and {name} do not share their seeds")
        diff = other[outcomes] - base[outcomes]
        diff[["point", *factors]] = base[["point", *factors]]
        rows.append(diff.groupby("point", sort=True).mean().reset_index().assign(policy=name))
    return pd.concat(rows, ignore_index=True)


def morris_effects(diffs: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Morris mu* and sigma of each policy's effect on each outcome, per factor.

    Returns:
        One row per policy, outcome and factor: ``mu_star``, ``sigma`` and ``share`` (mu*
        over the largest mu* of that policy and outcome).
    """
    from SALib.analyze import morris

    problem = experiment.problem
    design = experiment.design().to_numpy(dtype=float)
    rows = []
    for (policy, outcome), values in _by_policy(diffs, experiment):
        result = morris.analyze(problem, design, values, num_levels=experiment.levels,
                                seed=experiment.seed)
        top = np.nanmax(result["mu_star"])
        rows += [{"policy": policy, "outcome": outcome, "factor": f, "mu_star": m, "sigma": s,
                  "share": m / top if top > 0 else np.nan}
                 for f, m, s in zip(problem["names"], result["mu_star"], result["sigma"],
                                    strict=True)]
    return pd.DataFrame(rows)


def _by_policy(diffs: pd.DataFrame, experiment: Experiment):
    for policy, group in diffs.groupby("policy", sort=False):
        for outcome in (o.name for o in experiment.outcomes):
            values = group.sort_values("point")[outcome].to_numpy(dtype=float)
            yield (policy, outcome), np.where(np.isnan(values), np.nanmean(values), values)


def winners(diffs: pd.DataFrame, outcome: str, better: int, reference: str) -> pd.Series:
    """Share of design points at which each policy (or the reference) is best on ``outcome``.

    Args:
        diffs: :func:`differences`.
        outcome: The outcome.
        better: +1 if higher is better, -1 if lower.
        reference: The reference's name (its difference is 0 at every point).
    """
    wide = diffs.pivot(index="point", columns="policy", values=outcome)
    wide[reference] = 0.0
    best = (wide * better).idxmax(axis=1)
    return best.value_counts(normalize=True).reindex(wide.columns, fill_value=0.0)
