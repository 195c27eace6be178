"""Runs per minute through the real entry points, this checkout against an earlier one, in turns.

Times the two commands that many-run studies use, `sweep` and `compare`, each as a whole
command in a fresh process on the local pool (2 workers by default), for this checkout (after)
and for another source tree (before, ``--before``: e.g. a ``git worktree`` of an earlier commit),
alternated (after, before; before, after; ...) so that both meet the same load, after one
tiny run of each (a first run after an install compiles the model's loops):

* ``compare baseline core-funding --replications R`` (2 R runs);
* ``sweep`` of an experiment of ``--points`` levels of ``csos.factors.meaning`` x R replications
  (each a baseline run).

Every run is ``--citizens`` x ``--weeks`` (default 10,000 x 520). Figures per command and
version: runs per minute over the whole command (start-up, imports, pool, runs, storage, report)
and over its runs alone (from the first stored run to the last: ``(n - 1)`` runs between their
files' times), the median of ``--rounds`` rounds; the ratio after / before pair by pair (median).
It also checks that both versions stored the same numbers: the comparison's ``summary.csv``
and every sweep run's outcomes, bit for bit. The load average is printed beside every figure:
on a shared machine the times vary with it; the ratios, taken in turns, vary less.

Usage::

    git worktree add /tmp/before 6dd72b6
    .venv/bin/python benchmarks/bench_throughput.py --before /tmp/before/src     # ~10 min
    .venv/bin/python benchmarks/bench_throughput.py --before /tmp/before/src --replications 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

EXPERIMENT = """
name = "throughput"
scenario = "baseline"
seed = 3
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
volunteer_share = {{ column = "volunteer_share", stat = "mean" }}
unmet_need = {{ column = "unmet_need", stat = "mean" }}
retention = {{ column = "retention_12m", stat = "final" }}
"""

SRC = Path(__file__).resolve().parent.parent / "src"
WARM_UP = ("import solidarity_sim as ss; "
           "ss.run('baseline', weeks=2, overrides={'population.citizens': 1000})")


def command(kind: str, args: argparse.Namespace, experiment: Path, out: Path) -> list[str]:
    """The command line of one study."""
    common = ["--workers", str(args.workers), "--out", str(out)]
    if kind == "compare":
        return [sys.executable, "-m", "solidarity_sim.cli", "compare", "baseline",
                "core-funding", "--replications", str(args.replications), "--weeks",
                str(args.weeks), "--set", f"population.citizens={args.citizens}", *common]
    return [sys.executable, "-m", "solidarity_sim.cli", "sweep", str(experiment), *common]


def timed(kind: str, src: Path, args: argparse.Namespace, experiment: Path, out: Path
          ) -> dict[str, float]:
    """Run one study with the package from ``src``; its wall time, run phase and load."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    load = os.getloadavg()[0]
    started = time.time()
    subprocess.run(command(kind, args, experiment, out), env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - started
    stamps = sorted(p.stat().st_mtime for p in (out / "runs").glob("*.parquet"))
    runs = len(stamps)
    phase = stamps[-1] - stamps[0]
    return {"runs": runs, "wall": wall, "per_min": 60 * runs / wall,
            "phase_per_min": 60 * (runs - 1) / phase if phase > 0 else float("nan"),
            "load": (load + os.getloadavg()[0]) / 2}


def warm_up(src: Path) -> None:
    """One tiny run with the package from ``src``: compiles and caches what it compiles."""
    subprocess.run([sys.executable, "-c", WARM_UP], env={**os.environ, "PYTHONPATH": str(src)},
                   check=True)


def stored(kind: str, out: Path) -> pd.DataFrame:
    """The numbers a study stored, in a fixed order (to compare versions)."""
    if kind == "compare":
        return pd.read_csv(out / "summary.csv")
    runs = pd.concat([pd.read_parquet(path) for path in (out / "runs").glob("*.parquet")])
    return (runs.drop(columns=["seconds", "worker"]).sort_values("run", kind="stable")
            .reset_index(drop=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="the src folder of the earlier checkout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replications", type=int, default=16)
    parser.add_argument("--points", type=int, default=2)
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    levels = [round(0.3 + 0.3 * i / max(args.points - 1, 1), 3) for i in range(args.points)]
    versions = {"after": SRC, "before": args.before.resolve()}
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    identical = {}
    print(f"load average at the start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; "
          f"{args.rounds} rounds; runs of {args.citizens:,} citizens x {args.weeks} weeks",
          flush=True)
    for src in versions.values():  # a first run after an install compiles the model's loops
        warm_up(src)
    with tempfile.TemporaryDirectory() as tmp:
        experiment = Path(tmp) / "throughput.toml"
        experiment.write_text(EXPERIMENT.format(replications=args.replications,
                                                weeks=args.weeks, citizens=args.citizens,
                                                levels=levels))
        for r in range(args.rounds):
            for kind in ("sweep", "compare"):
                order = list(versions) if r % 2 == 0 else list(versions)[::-1]
                for name in order:
                    out = Path(tmp) / f"{kind}-{name}-{r}"
                    figures = timed(kind, versions[name], args, experiment, out)
                    results.setdefault((kind, name), []).append(figures)
                    print(f"round {r + 1} {kind:7s} {name:6s} {figures['runs']} runs "
                          f"{figures['wall']:6.1f} s  {figures['per_min']:6.1f} runs/min  "
                          f"(runs alone {figures['phase_per_min']:6.1f})  "
                          f"load {figures['load']:.1f}", flush=True)
                first = {n: stored(kind, Path(tmp) / f"{kind}-{n}-{r}") for n in versions}
                same = first["after"].equals(first["before"])
                identical[kind] = identical.get(kind, True) and same
    print("\n| command | runs | before: runs/min | after: runs/min | after / before | "
          "runs alone, before | runs alone, after | after / before | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("sweep", "compare"):
        before, after = results[(kind, "before")], results[(kind, "after")]
        med = {k: (statistics.median(b[k] for b in before), statistics.median(a[k] for a in after))
               for k in ("per_min", "phase_per_min", "load")}
        ratio = statistics.median(a["per_min"] / b["per_min"] for a, b in zip(after, before,
                                                                            strict=True))
        phase = statistics.median(a["phase_per_min"] / b["phase_per_min"]
                                  for a, b in zip(after, before, strict=True))
        loads = [f["load"] for f in before + after]
        print(f"| {kind} | {after[0]['runs']} | {med['per_min'][0]:.1f} | {med['per_min'][1]:.1f}"
              f" | {ratio:.2f}x | {med['phase_per_min'][0]:.1f} | {med['phase_per_min'][1]:.1f} "
              f"| {phase:.2f}x | {min(loads):.1f}-{max(loads):.1f} |")
    print(f"\nthe same stored numbers, before and after, in every round: "
          f"sweep {identical['sweep']}, compare {identical['compare']}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
