"""Benchmark sweeps: serial vs a two-worker process pool vs ``mesa.batch_run``, same runs.

The runs: ``--points`` levels of ``csos.factors.meaning`` x ``--replications`` seeds, each a
baseline run of ``--citizens`` citizens over ``--weeks`` weeks (default 10,000 x 260). Seeds are
common to every level (``common_seeds``), so the runs form the full factorial that ``batch_run``
needs. Timed, one after another in this process:

1. **serial loop**: ``sweep.simulate`` on every run in this process, nothing stored. The
   reference throughput.
2. **sweep, 1 worker**: ``run_sweep`` with the serial executor: the same runs plus writing one
   Parquet file per run, the manifest and the design.
3. **sweep, 2 workers**: ``run_sweep`` on a local process pool of two workers, timed once the
   pool's workers have started (their start, which imports the model once, is reported apart).
4. **mesa.batch_run**: ``mesa.batch_run(SolidarityModel, number_processes=2)`` on the same
   parameters and seeds, collecting the last week.

Each engine is timed ``--repeat`` times (interleaved) and its fastest repetition is reported:
other processes on a shared machine can only slow a timing down. Figures: runs per minute;
speed-up over the serial loop (target for two workers: at least 1.8x); overhead = worker-seconds
not spent running models (``workers x wall time - sum of the runs' own seconds``) as a share of
the runs' own seconds (target: under 5 %). It also checks that every engine produced the same
final volunteer share for every run.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py                     # 4 x 6 = 24 runs, ~3 min
    .venv/bin/python benchmarks/bench_sweep.py --points 2 --replications 4 --weeks 104
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from solidarity_sim.batch.executors import LocalExecutor, SerialExecutor
from solidarity_sim.batch.experiment import load_experiment
from solidarity_sim.batch.sweep import load_table, make_tasks, run_sweep, simulate
from solidarity_sim.model.solidarity_model import SolidarityModel

EXPERIMENT = """
name = "bench"
scenario = "baseline"
seed = 11
replications = {replications}
weeks = {weeks}

[fixed]
"population.citizens" = {citizens}

[design]
method = "grid"
common_seeds = true

[parameters]
"csos.factors.meaning" = {levels}

[outcomes]
final_share = {{ column = "volunteer_share", stat = "final" }}
"""
WARM_UP = 0.5
"""Seconds each worker sleeps while the pool starts, so that every worker is started."""


def serial_loop(exp) -> tuple[float, pd.Series]:
    started = time.perf_counter()
    finals = {t.run: simulate(t)["outcomes"]["final_share"] for t in make_tasks(exp, exp.runs())}
    return time.perf_counter() - started, pd.Series(finals).sort_index()


def start_pool(workers: int) -> tuple[float, LocalExecutor]:
    """Start a process pool and its workers; return the seconds it took."""
    pool = LocalExecutor(workers)
    started = time.perf_counter()
    list(pool.map_unordered(time.sleep, [WARM_UP] * workers))
    return time.perf_counter() - started - WARM_UP, pool


def sweep(exp, executor, out: Path) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    with executor:
        run_sweep(exp, out, executor, progress=False)
    return time.perf_counter() - started, load_table(out)


def batch(exp, levels: list[float]) -> tuple[float, pd.DataFrame]:
    seeds = sorted(set(exp.runs()["seed"]), key=list(exp.runs()["seed"]).index)
    fixed = {"population.citizens": exp.scenario.get("population.citizens"),
             "weeks": exp.weeks, "csos.factors.meaning": levels}
    version = tuple(int(v) for v in mesa.__version__.split(".")[:2])
    options = ({"rng": seeds} if version >= (3, 5) else {"iterations": 1})
    parameters = fixed if version >= (3, 5) else {**fixed, "rng": seeds}
    started = time.perf_counter()
    rows = mesa.batch_run(SolidarityModel, parameters, number_processes=2, max_steps=exp.weeks,
                          data_collection_period=-1, display_progress=False, **options)
    return time.perf_counter() - started, pd.DataFrame(rows)


def measure(exp, levels: list[float], folder: Path) -> dict[str, tuple[float, float, Any]]:
    """Time every engine once: name -> (wall seconds, runs' own seconds, final shares)."""
    t_loop, finals = serial_loop(exp)
    t_one, one = sweep(exp, SerialExecutor(), folder / "one")
    t_start, pool = start_pool(2)
    t_two, two = sweep(exp, pool, folder / "two")
    t_batch, rows = batch(exp, levels)
    return {
        "serial loop (nothing stored)": (t_loop, np.nan, finals.to_numpy()),
        "sweep, 1 worker": (t_one, one["seconds"].sum(), one["final_share"].to_numpy()),
        "sweep, 2 workers (pool started)": (t_two, two["seconds"].sum(),
                                            two["final_share"].to_numpy()),
        "pool start": (t_start, np.nan, None),
        "mesa.batch_run, 2 processes": (t_batch, np.nan,
                                        np.sort(rows["volunteer_share"].to_numpy())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=4, help="levels of the factor")
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions; each engine's fastest is reported (default 3)")
    args = parser.parse_args()
    levels = [round(float(v), 3) for v in np.linspace(0.2, 0.8, args.points)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(EXPERIMENT.format(replications=args.replications, weeks=args.weeks,
                                          citizens=args.citizens, levels=levels))
        exp = load_experiment(path)
        n = len(exp.runs())
        print(f"{n} runs of {args.citizens:,} citizens x {args.weeks} weeks "
              f"({args.points} levels x {args.replications} seeds); {os.cpu_count()} CPUs; "
              f"Mesa {mesa.__version__}; best of {args.repeat}; load average before: "
              f"{os.getloadavg()[0]:.2f}\n")
        trials = [measure(exp, levels, Path(tmp) / str(r)) for r in range(args.repeat)]
    best = {name: min((t[name] for t in trials), key=lambda m: m[0]) for name in trials[0]}
    loop = best["serial loop (nothing stored)"][0]
    cold_start = trials[0].pop("pool start")[0]  # the first start also starts the fork server
    del best["pool start"]
    print("| engine | wall s | runs/min | speed-up vs serial loop | overhead (% of run time) |")
    print("|---|---|---|---|---|")
    for name, (wall, busy, _) in best.items():
        workers = 1 if "1 worker" in name or "serial" in name else 2
        overhead = "–" if np.isnan(busy) else f"{100 * (workers * wall - busy) / busy:.1f}"
        print(f"| {name} | {wall:.1f} | {60 * n / wall:.1f} | {loop / wall:.2f}x | "
              f"{overhead} |")
    finals = trials[0]["serial loop (nothing stored)"][2]
    same = all(np.array_equal(t[k][2], finals) for t in trials
               for k in ("serial loop (nothing stored)", "sweep, 1 worker",
                         "sweep, 2 workers (pool started)"))
    batch_same = all(np.array_equal(t["mesa.batch_run, 2 processes"][2], np.sort(finals))
                     for t in trials)
    print(f"\nidentical final volunteer shares in every repetition: serial loop = sweep, 1 "
          f"worker = sweep, 2 workers: {same}; = mesa.batch_run (as a set of values): "
          f"{batch_same}")
    two = best["sweep, 2 workers (pool started)"][0]
    print(f"starting the pool the first time (fork server importing the model, two workers): "
          f"{cold_start:.1f} s; two workers counting it: {loop / (two + cold_start):.2f}x the "
          "serial loop")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
