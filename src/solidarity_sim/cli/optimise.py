"""``solidarity-sim optimise``: the best split of a budget between funding and the levers."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import CommandError
from .common import add_batch_options, check_executor_options, output_folder, overrides, run_batch


def register(subparsers) -> None:
    """Add the ``optimise`` subcommand."""
    p = subparsers.add_parser(
        "optimise", help="the best mix of funding and levers for a budget (Optuna)",
        description="Search the split of --budget €/citizen/year between the funding policy "
                    "and the money levers (emergency fund, awareness campaign, training, "
                    "recognition awards, network support) with Optuna's TPE sampler: every "
                    "trial runs --replications times with the same seeds (paired), the "
                    "--top best mixes are run again with --final-replications fresh seeds "
                    "beside every single-lever option, and the best is reported with its 95% "
                    "interval and its paired difference from each. Writes trials.csv, "
                    "final.csv, differences.csv, report.html and its figures; resumable.")
    p.add_argument("scenario", nargs="?", default="great-recession",
                   help="the base scenario (default: great-recession); its funding and levers "
                        "are replaced by each mix")
    p.add_argument("--budget", type=float, required=True,
                   help="€/citizen/year to split (e.g. 10)")
    p.add_argument("--objective", default="unmet_need",
                   help="outcome to optimise (default: unmet_need, lowered)")
    p.add_argument("--trials", type=int, default=40, help="mixes to try (default: 40)")
    p.add_argument("--replications", type=int, default=4,
                   help="paired runs per trial (default: 4)")
    p.add_argument("--batch", type=int, default=4,
                   help="trials proposed and run at a time (default: 4)")
    p.add_argument("--top", type=int, default=5,
                   help="best mixes re-evaluated at the end (default: 5)")
    p.add_argument("--final-replications", type=int, default=20,
                   help="fresh paired runs per re-evaluated option (default: 20)")
    p.add_argument("--futures", type=int, default=0,
                   help="run replication k in sampled future k (crisis kind, onset, ..., "
                        "austerity) instead of the scenario's own crisis (default: 0, off)")
    add_batch_options(p, "output folder, resumed if it holds some runs of the same search "
                         "(default: results/optimise-SCENARIO-BUDGET)")
    p.set_defaults(func=handle)


def search_of(args: argparse.Namespace):
    """The :class:`~solidarity_sim.analysis.mix.Search` the options ask for.

    Raises:
        CommandError: An option is out of range (named, with what is allowed).
    """
    from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME
    from ..analysis.mix import Search

    objective = DECISION_OUTCOME_BY_NAME.get(args.objective)
    if objective is None or objective.better == 0:
        ranked = [n for n, o in DECISION_OUTCOME_BY_NAME.items() if o.better]
        raise CommandError(f"--objective {args.objective!r}: allowed: an outcome with a better "
                           f"direction, one of {', '.join(ranked)}")
    for option, low in (("budget", 0), ("trials", 2), ("replications", 1), ("batch", 1),
                        ("top", 1), ("final_replications", 2), ("futures", 0)):
        value = getattr(args, option)
        if value < low:
            raise CommandError(f"--{option.replace('_', '-')} {value:g}: allowed: a number from "
                               f"{low}")
    return Search(args.budget, args.objective, args.trials, args.replications, args.batch,
                  args.top, args.final_replications, args.seed, args.futures)


def handle(args: argparse.Namespace) -> int:
    """Run the search, print the best mix and its differences, write the tables and report."""
    search = search_of(args)
    check_executor_options(args)
    from ..analysis.mix import optimisation_store, run_optimisation
    from ..extras import require
    from ..model.scenario import load_scenario

    require("decide", "the optimiser (Optuna)")
    base = load_scenario(args.scenario, overrides(args), where="--set")
    out = output_folder(args.out or Path("results") / f"optimise-{base.name}-{args.budget:g}")
    store = optimisation_store(out, base, search).open()
    started = time.perf_counter()
    result = run_batch(
        args, out, f"{search.trials} trials x {search.replications} replications, then "
                   f"{search.top} mixes and 9 single-lever options x {search.final_replications}",
        len(store.done()),
        lambda executor, progress: run_optimisation(base, search, executor=executor, out=out,
                                                    progress=progress))
    if result is None:
        return 130
    elapsed = time.perf_counter() - started
    result.trials.to_csv(out / "trials.csv", index=False)
    result.final.to_csv(out / "final.csv", index=False)
    result.differences.to_csv(out / "differences.csv", index=False)
    from ..viz.decision_report import optimisation_text, write_optimisation_report

    report = write_optimisation_report(result, out, elapsed)
    print(optimisation_text(result))
    print(f"\n{len(result.runs)} runs in {elapsed:,.0f} s; written to {out}/: trials.csv, "
          f"final.csv, differences.csv, {report.name} and its figures as PNG", file=sys.stderr)
    return 0
