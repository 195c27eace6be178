"""``solidarity-sim sweep``: run an experiment's design on a process pool or a Dask cluster."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import CommandError
from .common import whole_number


def register(subparsers) -> None:
    """Add the ``sweep`` subcommand."""
    p = subparsers.add_parser(
        "sweep", help="run a parameter sweep (an experiment file)",
        description="Run every design point x replication of an experiment file, streaming "
                    "one Parquet file per run into --out. Run it again to finish an "
                    "interrupted sweep: only missing runs are computed.")
    p.add_argument("experiment", help="an experiment TOML file (see experiments/)")
    p.add_argument("--out", help="output folder (default: results/sweeps/NAME)")
    p.add_argument("--workers", type=whole_number("worker count", 1),
                   help=f"worker processes (default: the number of CPUs, {os.cpu_count()}); "
                        "1 runs serially in this process")
    p.add_argument("--executor", choices=("local", "dask"),
                   help="local: a process pool (default); dask: Dask distributed (a local "
                        "cluster, or --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                        "(implies --executor dask)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Load the experiment, run its missing runs and say where the results are."""
    from ..batch.experiment import load_experiment

    if args.scheduler and args.executor == "local":
        raise CommandError(f"--scheduler {args.scheduler}: a scheduler address needs "
                           "--executor dask (or no --executor)")
    if args.scheduler and args.workers:
        raise CommandError(f"--workers {args.workers}: the workers of an existing Dask "
                           "scheduler are started with `dask worker`; leave --workers out")
    experiment = load_experiment(args.experiment)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / experiment.name

    from ..batch.executors import make_executor
    from ..batch.sweep import run_sweep

    try:
        executor = make_executor(args.executor or "local", args.workers, args.scheduler)
    except OSError as err:
        raise CommandError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler "
                           f"({err}); start one with `dask scheduler` and give its address, "
                           "e.g. tcp://127.0.0.1:8786") from None
    signal.signal(signal.SIGTERM, _interrupt)  # batch systems stop jobs with SIGTERM
    with executor:
        print(f"{experiment.name}: {experiment.method} design into {out}/, "
              f"{executor.describe()}")
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
