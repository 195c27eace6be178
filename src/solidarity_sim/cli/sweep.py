"""``solidarity-sim sweep``: run an experiment's design on a process pool or a Dask cluster."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from pathlib import Path

from .common import (
    add_executor_options,
    add_uncertainty_option,
    check_executor_options,
    open_executor,
    start_workers_early,
    uncertainty,
)


def register(subparsers) -> None:
    """Add the ``sweep`` subcommand."""
    p = subparsers.add_parser(
        "sweep", help="run a parameter sweep (an experiment file)",
        description="Run every design point x replication of an experiment file, streaming "
                    "one Parquet file per run into --out. Run it again to finish an "
                    "interrupted sweep: only missing runs are computed.")
    p.add_argument("experiment", help="an experiment TOML file (see experiments/)")
    p.add_argument("--out", help="output folder (default: results/sweeps/NAME)")
    add_uncertainty_option(p)
    add_executor_options(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Load the experiment, run its missing runs and say where the results are."""
    check_executor_options(args)
    start_workers_early(args)
    from ..batch.experiment import load_experiment

    experiment = load_experiment(args.experiment)
    if args.uncertainty is not None:  # the option wins over the file's `uncertainty`
        experiment = dataclasses.replace(experiment, uncertainty=uncertainty(args))
    out = Path(args.out) if args.out else Path("results") / "sweeps" / experiment.name

    from ..batch.sweep import run_sweep
    from ..results.crate import load_library

    load_library()  # for the metadata written after the runs, while the fork server starts

    executor = open_executor(args)
    signal.signal(signal.SIGTERM, _interrupt)  # batch systems stop jobs with SIGTERM
    with executor:
        print(f"{experiment.name}: {experiment.method} design into {out}/, "
              f"{executor.describe()}"
              + ("; replication r with posterior set r // 2" if experiment.uncertainty else ""))
        try:
            summary = run_sweep(experiment, out, executor)
        except KeyboardInterrupt:
            print(f"\ninterrupted: the finished runs are kept in {out}/; run the same command "
                  "again to compute the rest", file=sys.stderr)
            return 130
    print(f"{summary.planned} runs planned: {summary.skipped} already done, "
          f"{summary.finished} finished now, {summary.failed} failed "
          f"({summary.seconds:.1f} s).")
    if summary.failed:
        print(f"failed runs are in {out}/failed/ (parameters, seed, error); run the same "
              "command again to retry them")
    print(f"analyse with: solidarity-sim analyze {out}")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
