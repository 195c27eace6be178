"""``solidarity-sim compare``: scenarios side by side, with paired intervals and a report."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from . import CommandError
from .common import (
    add_executor_options,
    add_override_options,
    check_executor_options,
    open_executor,
    overrides,
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
                   help="runs per scenario, at least 2 (default: 10)")
    add_override_options(p)
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


def handle(args: argparse.Namespace) -> int:
    """Run the comparison, print its headline table, write its tables and report."""
    _check_arguments(args)
    from ..analysis.comparison import resolve
    from ..batch.lock import writing

    scenarios = resolve(args.scenarios, overrides=overrides(args), where="--set")
    names = [s.name for s in scenarios]
    out = Path(args.out) if args.out else Path("results") / ("compare-" + "-vs-".join(names))
    with writing(out):
        return _compare(args, scenarios, out)


def _compare(args: argparse.Namespace, scenarios: list, out: Path) -> int:
    """Run the comparison into ``out`` (locked), print its table, write its files."""
    from tqdm import tqdm

    from ..analysis.comparison import comparison_store, run_comparison, spending_gaps

    names = [s.name for s in scenarios]
    total = len(scenarios) * args.replications
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _interrupt)  # batch systems stop jobs with SIGTERM
    stored = len(comparison_store(out, scenarios, args.seed, args.replications).done())
    with open_executor(args) as executor:
        print(f"{total} runs ({len(names)} scenarios x {args.replications} replications) on "
              f"{executor.describe()}, stored in {out}/"
              + (f"; {stored} already stored (verified, not run again)" if stored else ""),
              file=sys.stderr)
        with tqdm(total=total, unit="run", disable=None, leave=False, file=sys.stderr) as bar:
            try:
                comparison = run_comparison(
                    scenarios, replications=args.replications, seed=args.seed,
                    executor=executor, out=out,
                    progress=lambda done, _: bar.update(done - bar.n))
            except KeyboardInterrupt:
                print(f"\ninterrupted: the finished runs are kept in {out}/; run the same "
                      "command again to compute the rest", file=sys.stderr)
                return 130
    elapsed = time.perf_counter() - started

    comparison.save(out)  # the runs are kept even if the report fails

    from ..analysis.comparison import pairwise
    from ..results.crate import write_crate
    from ..viz.report import headline_table, pairs_table, write_report

    write_report(comparison, out, elapsed)
    write_crate(out)
    summary = comparison.summary
    print(headline_table(summary))
    pairs = pairs_table(pairwise(comparison.runs))
    if pairs:
        print(f"\nBetween the other scenarios (paired):\n{pairs}")
    for warning in spending_gaps(summary):
        print(f"\nwarning: {warning}")
    print(f"\n{total} runs in {elapsed:,.0f} s; written to {out}/: summary.csv, runs.parquet, "
          "weekly.parquet, manifest.json, report.html and its figures as PNG, "
          "ro-crate-metadata.json")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
