"""``solidarity-sim explore``: which policy holds up across futures we cannot predict."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import CommandError
from .common import add_batch_options, check_executor_options, output_folder, overrides, run_batch


def register(subparsers) -> None:
    """Add the ``explore`` subcommand."""
    p = subparsers.add_parser(
        "explore", help="robustness of policies across sampled futures (regret, PRIM)",
        description="Run every policy in --futures futures drawn by Latin hypercube over the "
                    "deep uncertainties (crisis kind, onset, duration, severity, reach; "
                    "austerity), each future with the same seed for every policy. Reports each "
                    "outcome's spread, regret against the best policy of each future, the share "
                    "of futures meeting --threshold, and the futures in which each policy fails "
                    "(PRIM). Writes futures.csv, runs.parquet, robustness.csv, report.html and "
                    "its figures; every run is stored in --out as it finishes, and the same "
                    "command run again computes only the missing runs.")
    p.add_argument("policies", nargs="+", metavar="POLICY",
                   help="two or more bundled scenario names or TOML files")
    p.add_argument("--futures", type=int, default=100,
                   help="futures to sample, at least 2 (default: 100)")
    p.add_argument("--objective", default="unmet_need",
                   help="outcome whose regret ranks the policies (default: unmet_need)")
    p.add_argument("--threshold", action="append", default=[], metavar="OUTCOME<=VALUE",
                   help="a level every future should reach, in the outcome's unit, e.g. "
                        "unmet_need<=300 or volunteer_share>=20 (repeatable; default: the "
                        "objective's median over all runs)")
    p.add_argument("--parameter-sets", metavar="FILE",
                   help="CSV or Parquet table of parameter sets (one column per dotted path, "
                        "e.g. a calibration posterior): future i uses row i mod its length")
    add_batch_options(p, "output folder, resumed if it holds some runs of the same exploration "
                         "(default: results/explore-A-vs-B...)")
    p.set_defaults(func=handle)


def _check(args: argparse.Namespace) -> None:
    from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME

    if len(args.policies) < 2:
        raise CommandError(f"explore needs at least two policies, got {len(args.policies)} "
                           f"({', '.join(args.policies)})")
    if args.futures < 2:
        raise CommandError(f"--futures {args.futures}: allowed: a whole number from 2")
    objective = DECISION_OUTCOME_BY_NAME.get(args.objective)
    if objective is None or objective.better == 0:
        ranked = [n for n, o in DECISION_OUTCOME_BY_NAME.items() if o.better]
        raise CommandError(f"--objective {args.objective!r}: allowed: an outcome with a better "
                           f"direction, one of {', '.join(ranked)}")
    check_executor_options(args)


def read_parameter_sets(path: str, policy):
    """Read ``--parameter-sets`` and check its first row on ``policy``.

    Raises:
        CommandError: The file is missing, unreadable or empty.
        ScenarioError: A column is not a parameter, or a value is not allowed.
    """
    import pandas as pd

    file = Path(path)
    try:
        table = (pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file))
    except (OSError, ValueError) as err:
        raise CommandError(f"--parameter-sets {path}: cannot read it as a table ({err}); give "
                           "a CSV or Parquet file, one column per dotted parameter path") from None
    if table.empty:
        raise CommandError(f"--parameter-sets {path}: the table has no rows")
    policy.with_overrides({c: v.item() if hasattr(v, "item") else v
                           for c, v in table.iloc[0].items()},
                          where=f"--parameter-sets {path}")
    return table


def handle(args: argparse.Namespace) -> int:
    """Run the exploration, print the robustness table, write the tables and report."""
    _check(args)
    from ..extras import require

    require("decide", "scenario discovery (PRIM)")
    from ..analysis.comparison import resolve
    from ..analysis.decision_runs import common_horizon
    from ..analysis.robustness import Threshold, exploration_store, run_exploration

    policies = resolve(args.policies, overrides=overrides(args), where="--set")
    thresholds = [Threshold.parse(t) for t in args.threshold]
    table = read_parameter_sets(args.parameter_sets, policies[0]) if args.parameter_sets else None
    out = output_folder(args.out or Path("results") / ("explore-" + "-vs-".join(
        p.name for p in policies)))
    store = exploration_store(out, policies, args.futures, args.seed, common_horizon(policies),
                              table).open()
    started = time.perf_counter()
    exploration = run_batch(
        args, out, f"{args.futures * len(policies)} runs ({args.futures} futures x "
                   f"{len(policies)} policies)", len(store.done()),
        lambda executor, progress: run_exploration(
            policies, futures=args.futures, seed=args.seed, parameter_sets=table,
            executor=executor, out=out, progress=progress))
    if exploration is None:
        return 130
    elapsed = time.perf_counter() - started
    exploration.save(out)
    from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME

    note = ""
    if not thresholds:
        median = float(exploration.runs[args.objective].median())
        median = float(DECISION_OUTCOME_BY_NAME[args.objective].format(median).replace(",", ""))
        thresholds = [Threshold(args.objective,
                                "<=" if _better(args.objective) < 0 else ">=", median)]
        note = (f"No --threshold was given: the threshold is the median of {args.objective} "
                f"over every run ({thresholds[0].describe()}), so about half the runs fail it.")
    from ..viz.decision_report import write_exploration_report

    robust = exploration.robustness(args.objective, thresholds)
    robust.to_csv(out / "robustness.csv", index=False)
    report = write_exploration_report(exploration, out, args.objective, thresholds, note,
                                      elapsed)
    _print(exploration, robust, args.objective, thresholds)
    if note:
        print(f"\nnote: {note}")
    print(f"\n{len(exploration.runs)} runs in {elapsed:,.0f} s; written to {out}/: futures.csv, "
          f"runs.parquet, robustness.csv, {report.name} and its figures as PNG", file=sys.stderr)
    return 0


def _better(outcome: str) -> int:
    from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME

    return DECISION_OUTCOME_BY_NAME[outcome].better


def _print(exploration, robust, objective: str, thresholds) -> None:
    from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME

    o = DECISION_OUTCOME_BY_NAME[objective]
    print(f"{o.label} ({o.unit}) over {len(exploration.futures)} futures; regret = shortfall "
          "from the best policy of each future")
    print(f"thresholds: {'; '.join(t.describe() for t in thresholds)}\n")
    shown = robust.assign(
        mean=robust["mean"].map(o.format), mean_regret=robust["mean_regret"].map(o.format),
        max_regret=robust["max_regret"].map(o.format),
        met=[f"{m:.0%} [{lo:.0%}, {hi:.0%}]" for m, lo, hi in
             zip(robust["met"], robust["met_low"], robust["met_high"], strict=True)],
        spent=robust["spent"].map("{:.2f}".format))
    print(shown[["policy", "mean", "mean_regret", "max_regret", "best_in", "met", "spent"]]
          .rename(columns={"mean_regret": "mean regret", "max_regret": "largest regret",
                           "best_in": "best in", "met": "thresholds met [95% CI]",
                           "spent": "€/citizen/yr"}).to_string(index=False))
    for name in exploration.names:
        print(f"\n{exploration.discover(name, thresholds).describe()}")
