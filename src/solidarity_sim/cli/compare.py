"""``solidarity-sim compare``: scenarios side by side, with paired intervals and a report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import CommandError
from .common import (
    add_executor_options,
    add_override_options,
    add_uncertainty_option,
    check_executor_options,
    output_folder,
    overrides,
    run_batch,
    start_workers_early,
    uncertainty,
)


def register(subparsers) -> None:
    """Add the ``compare`` subcommand."""
    p = subparsers.add_parser(
        "compare", help="compare scenarios over replications (paired, with a report)",
        description="Run each scenario --replications times; replication k of every scenario "
                    "uses the same seed (common random numbers), so differences are paired. "
                    "Prints each outcome's mean and 95% interval and the paired difference "
                    "from the first scenario; writes summary.csv, runs.parquet, weekly.parquet, "
                    "manifest.json, report.html and its figures. Every run is stored in --out "
                    "as it finishes: run the same command again to finish an interrupted "
                    "comparison (only missing runs are computed).")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="two or more bundled scenario names or TOML files; the first is the "
                        "reference")
    p.add_argument("--replications", type=int, default=10,
                   help="runs per scenario, at least 2 (default: 10); with --precision, the "
                        "first round")
    p.add_argument("--precision", action="append", default=[], metavar="[OUTCOME=]H",
                   help="add replications until every paired-difference interval of OUTCOME "
                        "(default: unmet_need) has a half-width of at most H in the outcome's "
                        "unit, e.g. 2 or volunteer_share=0.5 (repeatable)")
    p.add_argument("--max-replications", type=int, default=100,
                   help="the most replications --precision may run (default: 100)")
    add_override_options(p)
    add_uncertainty_option(p)
    add_executor_options(p)
    p.add_argument("--out", help="output folder, resumed if it holds some runs of the same "
                                 "comparison (default: results/compare-A-vs-B...)")
    p.set_defaults(func=handle)


def _check_arguments(args: argparse.Namespace) -> None:
    if len(args.scenarios) < 2:
        raise CommandError(f"compare needs at least two scenarios, got {len(args.scenarios)} "
                           f"({', '.join(args.scenarios)}); the first is the reference")
    if args.replications < 2:
        raise CommandError(f"--replications {args.replications}: at least 2 are needed for a "
                           "confidence interval; allowed: a whole number from 2")
    check_executor_options(args)


def precision_of(args: argparse.Namespace):
    """The :class:`~solidarity_sim.analysis.comparison.Precision` of ``--precision``, or None.

    Raises:
        CommandError: A bad outcome or half-width, or a cap below the first round.
    """
    if not args.precision:
        return None
    from ..analysis.comparison import OUTCOME_BY_NAME, Precision

    targets = {}
    for text in args.precision:
        name, _, number = text.rpartition("=")
        name = name.strip() or "unmet_need"
        if name not in OUTCOME_BY_NAME:
            raise CommandError(f"--precision {text!r}: no outcome {name!r}; allowed: "
                               f"{', '.join(OUTCOME_BY_NAME)}")
        try:
            half = float(number)
        except ValueError:
            half = -1.0
        if not half > 0:
            raise CommandError(f"--precision {text!r}: the half-width {number!r} must be a "
                               f"number above 0, in {OUTCOME_BY_NAME[name].unit}")
        targets[name] = half
    if args.max_replications < args.replications:
        raise CommandError(f"--max-replications {args.max_replications}: allowed: at least "
                           f"--replications ({args.replications})")
    return Precision(targets, args.replications, args.max_replications)


def handle(args: argparse.Namespace) -> int:
    """Run the comparison, print its headline table, write its tables and report."""
    _check_arguments(args)
    start_workers_early(args)
    from ..analysis.comparison import resolve
    from ..batch.lock import writing

    scenarios = resolve(args.scenarios, overrides=overrides(args), where="--set")
    precision = precision_of(args)
    posterior = uncertainty(args)
    names = [s.name for s in scenarios]
    out = output_folder(args.out or Path("results") / ("compare-" + "-vs-".join(names)))
    with writing(out):
        return _compare(args, scenarios, precision, posterior, out)


def _compare(args: argparse.Namespace, scenarios: list, precision: object, posterior: object,
             out: Path) -> int:
    """Run the comparison into ``out`` (locked), print its table, write its files."""
    from ..analysis.comparison import OUTCOMES, comparison_store, run_comparison, spending_gaps
    from ..results.crate import load_library, write_crate
    from ..viz.report import (
        headline_table,
        interval_kind,
        pairs_table,
        variance_table,
        write_report,
    )

    load_library()  # with matplotlib, while the fork server starts the workers

    names = [s.name for s in scenarios]
    total = len(scenarios) * args.replications
    what = (f"{total} runs ({len(names)} scenarios x {args.replications} replications)"
            if precision is None else
            f"runs of {len(names)} scenarios in rounds from {args.replications} replications "
            f"until the paired intervals are narrow enough (at most {args.max_replications})")
    started = time.perf_counter()
    spec = posterior.spec() if posterior is not None else None
    stored = len(comparison_store(out, scenarios, args.seed, args.replications,
                                  precision, spec).done())
    comparison = run_batch(args, out, what, stored, lambda executor, progress: run_comparison(
        scenarios, replications=args.replications, seed=args.seed, executor=executor, out=out,
        progress=progress, precision=precision, uncertainty=posterior))
    if comparison is None:
        return 130
    elapsed = time.perf_counter() - started
    total = len(comparison.runs) // len(OUTCOMES)

    comparison.save(out)  # the runs are kept even if the report fails

    from ..analysis.comparison import pairwise

    write_report(comparison, out, elapsed)
    write_crate(out)
    summary = comparison.summary
    print(headline_table(summary))
    print(f"\n{interval_kind(comparison)}")
    if posterior is not None:
        print(f"\nShare of the variance from parameters (the rest is chance):\n"
              f"{variance_table(summary)}")
    pairs = pairs_table(pairwise(comparison.runs))
    if pairs:
        print(f"\nBetween the other scenarios (paired):\n{pairs}")
    for warning in spending_gaps(summary):
        print(f"\nwarning: {warning}")
    print(f"\n{total} runs in {elapsed:,.0f} s; written to {out}/: summary.csv, runs.parquet, "
          "weekly.parquet, manifest.json, report.html and its figures as PNG, "
          "ro-crate-metadata.json")
    return 0


