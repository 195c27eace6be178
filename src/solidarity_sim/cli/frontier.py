"""``solidarity-sim frontier``: what each extra euro buys (cost-effectiveness, ICERs)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import CommandError
from .common import add_batch_options, check_executor_options, output_folder, overrides, run_batch


def budget_list(text: str) -> list[float]:
    """Parse ``--budgets 0,5,10,20`` (distinct, not negative)."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --budgets {text!r}: numbers in €/citizen/year separated by commas, "
            "e.g. 0,5,10,20") from None
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(
            f"invalid --budgets {text!r}: allowed: distinct numbers from 0 (€/citizen/year), "
            "separated by commas")
    return values


def register(subparsers) -> None:
    """Add the ``frontier`` subcommand."""
    p = subparsers.add_parser(
        "frontier", help="cost-effectiveness of policies at several budgets (ICERs, frontier)",
        description="Run every policy at every budget (€/citizen/year; a policy's money is "
                    "scaled in its own proportions) over --replications paired replications. "
                    "Reports cost against effect (need no longer unmet, volunteer-years "
                    "gained) with intervals, the efficient frontier, dominated options, and "
                    "incremental cost-effectiveness ratios against the reference (the first "
                    "policy at the lowest budget) with bootstrap intervals. Writes "
                    "options.csv, runs.parquet, report.html and its figures; resumable.")
    p.add_argument("policies", nargs="+", metavar="POLICY",
                   help="bundled scenario names or TOML files; the first at the lowest budget "
                        "is the reference")
    p.add_argument("--budgets", type=budget_list, default=[0.0, 5.0, 10.0, 20.0],
                   help="budgets in €/citizen/year, comma-separated (default: 0,5,10,20)")
    p.add_argument("--replications", type=int, default=10,
                   help="paired runs per option, at least 2 (default: 10)")
    add_batch_options(p, "output folder, resumed if it holds some runs of the same study "
                         "(default: results/frontier-A-vs-B...)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the study, print the options table, write the tables and report."""
    if args.replications < 2:
        raise CommandError(f"--replications {args.replications}: at least 2 are needed for an "
                           "interval; allowed: a whole number from 2")
    check_executor_options(args)
    from ..analysis.comparison import resolve
    from ..analysis.cost_effectiveness import frontier_store, frontier_tasks, run_frontier

    policies = resolve(args.policies, overrides=overrides(args), where="--set")
    budgets = sorted(args.budgets)
    out = output_folder(args.out or Path("results") / ("frontier-" + "-vs-".join(
        p.name for p in policies)))
    store = frontier_store(out, policies, budgets, args.replications, args.seed).open()
    total = len(frontier_tasks(policies, budgets, args.replications, args.seed))
    started = time.perf_counter()
    study = run_batch(
        args, out, f"{total} runs ({len(policies)} policies x {len(budgets)} budgets x "
                   f"{args.replications} replications)", len(store.done()),
        lambda executor, progress: run_frontier(
            policies, budgets=budgets, replications=args.replications, seed=args.seed,
            executor=executor, out=out, progress=progress))
    if study is None:
        return 130
    elapsed = time.perf_counter() - started
    study.runs.to_parquet(out / "runs.parquet", index=False)
    options = study.options()
    options.to_csv(out / "options.csv", index=False)
    from ..viz.decision_report import frontier_text, write_frontier_report

    report = write_frontier_report(study, options, out, elapsed)
    print(frontier_text(study, options))
    print(f"\n{len(study.runs)} runs in {elapsed:,.0f} s; written to {out}/: options.csv, "
          f"runs.parquet, {report.name} and its figures as PNG", file=sys.stderr)
    return 0
