"""``solidarity-sim validate``: every pattern check over replications, a table and figures.

Exit status 0 when every check passes, 1 when one fails, 2 on bad arguments or without the
``survival`` extra (lifelines), which the retention figures need.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..extras import require
from . import CommandError
from .common import (
    add_executor_options,
    add_uncertainty_option,
    check_executor_options,
    open_executor,
    run_progress,
    seed,
    uncertainty,
)

GROUPS = ("calibration", "dynamics", "factors", "limits")
"""The groups of checks (``validation.GROUPS``, repeated so that ``--help`` stays fast)."""
DEFAULT_REPLICATIONS = 20


def register(subparsers) -> None:
    """Add the ``validate`` subcommand."""
    p = subparsers.add_parser(
        "validate", help="check that the model reproduces its target patterns",
        description="Run every pattern check with replications (calibration targets, the "
                    "direction of the eight factors' effects, analytic limits), print a table "
                    "(pattern, target band, model mean with its 95%% interval, pass or fail) "
                    "and write it with figures. A check passes when its whole interval lies "
                    "in the target band. Exit status 1 when a check fails.")
    p.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="N",
                   help=f"seeds per configuration, at least 2 (default: {DEFAULT_REPLICATIONS})")
    p.add_argument("--out", default="results/validation", metavar="DIR",
                   help="output folder; every run is stored there as it finishes, and running "
                        "the same command again computes only the missing runs (default: "
                        "results/validation)")
    p.add_argument("--seed", type=seed, default=0,
                   help="seed from which the replication seeds derive (default: 0)")
    add_uncertainty_option(p)
    add_executor_options(p)
    p.add_argument("--only", action="append", choices=GROUPS, metavar="GROUP",
                   help=f"run only this group of checks ({', '.join(GROUPS)}; repeatable)")
    p.add_argument("--citizens", type=int, metavar="N",
                   help="run every check with N citizens (and neighbourhoods in proportion) "
                        "instead of the defaults: faster, but the calibration targets refer "
                        "to the default sizes")
    p.set_defaults(func=handle)


def _check_arguments(args: argparse.Namespace) -> Path:
    from ..model.scenario import load_scenario

    if args.citizens is not None:
        load_scenario("baseline", {"population.citizens": args.citizens}, where="--citizens")
    if args.replications < 2:
        raise CommandError(f"--replications {args.replications}: a 95% interval needs at "
                           "least 2 replications; give a whole number from 2 up")
    check_executor_options(args)
    return Path(args.out)


def handle(args: argparse.Namespace) -> int:
    """Run the checks, print the table, write it with figures; 1 if any check fails."""
    out = _check_arguments(args)
    require("survival", "validate (its retention curves)")  # before the runs, not after

    from ..analysis import validation
    from ..batch.lock import writing
    from ..results.crate import write_crate

    with writing(out):
        status = _validate(args, out, validation)
        write_crate(out)
    return status


def _validate(args: argparse.Namespace, out: Path, validation) -> int:
    """Run the checks into ``out`` (locked), print the table, write it with figures."""
    groups = args.only or GROUPS
    checks = [c for c in validation.default_checks(args.citizens) if c.group in groups]
    posterior = uncertainty(args)
    spec = posterior.spec() if posterior is not None else None
    stored = len(validation.validation_store(out, validation.plan(checks), args.seed,
                                             args.replications, uncertainty=spec).done())
    with open_executor(args) as executor, run_progress() as progress:
        print(f"running on {executor.describe()}, storing the runs in {out}/"
              + (f" ({stored} already stored: verified, not run again)" if stored else ""),
              file=sys.stderr)
        report = validation.validate(checks, replications=args.replications, seed=args.seed,
                                     executor=executor, out=out, progress=progress,
                                     uncertainty=posterior)
    files = write(report, out)
    print(validation.text_table(report.table))
    print(f"\n{validation.verdict(report.table)}")
    print("intervals: " + ("chance only" if posterior is None else
                           "chance and parameter uncertainty (posterior sets, two seeds each; "
                           "intervals over sets; 'from parameters': share of the variance)"))
    print(f"table and figures written to {out}/ ({', '.join(files)})")
    return 0 if report.passed else 1


def write(report, out: Path) -> list[str]:
    """Write the tables (CSV, Markdown) and the figures; return the file names."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from ..analysis import validation
    from ..analysis.retention import pool, retention_curves
    from ..results.files import save_figure, write_csv, write_text
    from ..viz.retention_plots import retention_figure
    from ..viz.validation_plots import calibration_figure, factors_figure, targets_figure

    table = report.table
    write_csv(table.drop(columns=["fmt"]), out / "validation.csv")
    write_csv(report.values, out / "replications.csv")
    write_text(out / "validation.md",
               f"{validation.markdown_table(table)}\n\n{validation.verdict(table)}; "
               f"{validation.replications_in_words(report.values)}, seed {report.seed}.\n")
    files = ["validation.csv", "validation.md", "replications.csv"]
    figures = {}
    if table["reference"].isna().any():
        figures["targets.png"] = targets_figure(table)
    if table["reference"].notna().any():
        figures["factors.png"] = factors_figure(table)
    if {"baseline", "pandemic"} <= report.kept.keys():
        pandemic = report.kept["pandemic"]
        figures["calibration.png"] = calibration_figure(
            report.weekly("baseline"), report.weekly("pandemic"), pool(pandemic)[1],
            validation.crisis_onset(pandemic[0]), int(pandemic[0].manifest["weeks"]))
    if "baseline" in report.kept:
        spells, csos = pool(report.kept["baseline"])
        curves = [retention_curves(spells, csos, factor) for factor in ("meaning", "democracy")]
        figures["retention.png"] = retention_figure(
            [(c.curves, c.groups) for c in curves],
            title=f"Baseline: volunteers who joined during the run, "
                  f"{len(report.kept['baseline'])} replications pooled")
        write_csv(pd.concat([c.groups for c in curves]), out / "retention.csv")
        files.append("retention.csv")
    for name, fig in figures.items():
        save_figure(fig, out / name, dpi=110)
        plt.close(fig)
    return files + list(figures)
