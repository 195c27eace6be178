"""Where the full model's time goes: a cProfile of its weeks, grouped by weekly process.

Builds ``SolidarityModel("baseline")`` (500 citizens per neighbourhood, as in ``bench_model.py``),
profiles ``--weeks`` calls of ``model.step()`` with ``cProfile`` and prints Markdown tables: the
time of each call that ``SolidarityModel.step`` makes (one per weekly process, plus the records),
the functions with the most time spent in themselves (``tottime``) while stepping, and the same
for the build (population, network, CSOs). Profiling slows Python-level code more than NumPy, so
the shares are a guide, not exact.

Usage::

    .venv/bin/python benchmarks/profile_model.py                               # 10,000 x 300
    .venv/bin/python benchmarks/profile_model.py --citizens 1000000 --weeks 10
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from end_to_end import city

from solidarity_sim.model.solidarity_model import SolidarityModel

TOP = 12
"""Functions listed by their own time."""
MINOR = 0.01
"""Calls of ``step`` under this share of its time are summed in one row."""


def label(func: tuple[str, int, str]) -> str:
    """``module.function`` for a pstats key ``(file, line, name)``."""
    filename, _, name = func
    if filename == "~":  # built-ins such as "<method 'random' of 'numpy.random...' objects>"
        return name
    return f"{Path(filename).stem}.{name}"


def profile(citizens: int, weeks: int, seed: int = 0) -> tuple[pstats.Stats, pstats.Stats]:
    """Profile building the model, then ``weeks`` of its steps.

    Returns:
        The build's and the steps' statistics.
    """
    build = cProfile.Profile()
    model = build.runcall(SolidarityModel, "baseline", rng=seed, **city(citizens), weeks=weeks)
    steps = cProfile.Profile()
    steps.runcall(model.run)
    return pstats.Stats(build), pstats.Stats(steps)


def step_calls(stats: pstats.Stats) -> tuple[float, list[tuple[str, float]]]:
    """Total seconds in ``SolidarityModel.step`` and the seconds of each call it makes."""
    step = next(f for f in stats.stats if f[2] == "step" and f[0].endswith("model.py"))
    total = stats.stats[step][3]
    calls = [(label(func), callers[step][3]) for func, (*_, callers) in stats.stats.items()
             if step in callers]
    return total, sorted(calls, key=lambda c: -c[1])


def step_table(stats: pstats.Stats, weeks: int) -> str:
    """Markdown table: what ``SolidarityModel.step`` spends its time on."""
    total, calls = step_calls(stats)
    lines = ["| called by `SolidarityModel.step` | s | ms / week | share of step |",
             "|---|---:|---:|---:|"]
    major = [(f"`{name}`", seconds) for name, seconds in calls if seconds >= MINOR * total]
    minor = sum(seconds for _, seconds in calls) - sum(seconds for _, seconds in major)
    rows = [*major, (f"(other calls, each < {MINOR:.0%})", minor),
            ("(`step` itself)", total - minor - sum(seconds for _, seconds in major)),
            ("**total**", total)]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds:.2f} | {1e3 * seconds / weeks:.2f} "
                     f"| {seconds / total:.0%} |")
    return "\n".join(lines)


def top_table(stats: pstats.Stats) -> str:
    """Markdown table: the functions with the most time spent in themselves."""
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:TOP]
    lines = ["| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
    for func, (_, ncalls, tottime, cumtime, _) in rows:
        lines.append(f"| `{label(func)}` | {ncalls:,} | {tottime:.2f} | {cumtime:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Profile and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=300)
    args = parser.parse_args(argv)
    build, steps = profile(args.citizens, args.weeks)
    print(f"## Profile: {args.citizens:,} citizens x {args.weeks} weeks\n")
    print(step_table(steps, args.weeks) + "\n")
    print(f"Stepping, top {TOP} functions by own time:\n")
    print(top_table(steps) + "\n")
    print(f"Building ({build.total_tt:.2f} s under the profiler), top {TOP} functions by own "
          "time:\n")
    print(top_table(build))


if __name__ == "__main__":
    main()
