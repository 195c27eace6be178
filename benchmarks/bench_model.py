"""Benchmark the full solidarity-sim model against a minimal kernel and two plain Mesa models.

Four implementations are timed side by side, in one process, on the same social network (the
``model.net.adjacency`` CSR graph of a freshly built ``SolidarityModel``) and from the same initial
volunteers (see ``contagion.py`` for the three reference implementations of one contagion rule):

1. **Full model**: ``SolidarityModel("baseline")`` stepped week by week (every process: crises,
   state, awareness, recruitment, service, retention, CSO dynamics, emergence, records).
2. **Minimal kernel** (the practical floor): the contagion rule vectorised with NumPy/SciPy.
3. **Plain Mesa, neighbour lists**: one ``mesa.Agent`` per citizen holding a Python list of its
   neighbour agents (the fastest plain-Mesa baseline).
4. **Plain Mesa, discrete_space.Network**: the rule written as Mesa's ``virus_on_network``
   example is written (cells of a ``Network``, ``self.cell.neighborhood.agents``): the usual way.

Figures are citizen-steps per second (citizens x weeks / stepping seconds). Building and the first
week (which fills caches) are timed apart. Every size has 500 citizens per neighbourhood.

Before that, each end-to-end ``solidarity_sim.run("baseline")`` (10,000 x 520 weeks, and every
size x 52 weeks) runs in a freshly spawned process, for its wall time and its own peak memory
(``end_to_end.py``). The tables are Markdown, to paste into ``docs/performance.md``.

Usage::

    .venv/bin/python benchmarks/bench_model.py                   # 10k, 100k, 1M; about 15 min
    .venv/bin/python benchmarks/bench_model.py --quick --repeat 1 --sizes 10000,100000
    .venv/bin/python benchmarks/bench_model.py --sizes 20000 --repeat 5

Every figure is the best of ``--repeat`` repetitions (default 3): other processes on the machine
can only slow a timing down, so the fastest repetition is the least disturbed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np
import scipy.sparse as sp
from contagion import (
    ContagionKernel,
    ContagionRule,
    MesaListContagion,
    MesaNetworkContagion,
)
from end_to_end import (
    CITIZENS_PER_NEIGHBOURHOOD,
    MB,
    RunMeasure,
    best_run,
    city,
    resident_bytes,
)

from solidarity_sim.model.calendar import WEEKS_PER_YEAR
from solidarity_sim.model.solidarity_model import SolidarityModel, forget

SEED = 0
SCENARIO = "baseline"
RULE = ContagionRule()
"""The reference implementations' contagion rule (a=0.002, b=0.01, q=0.02)."""
SIZES = (10_000, 100_000, 1_000_000)

FULL_MODEL_BUDGET = 5_000_000
"""Citizen-steps for the full model: 500 weeks at 10,000 citizens, 50 at 100,000."""
FULL_MODEL_WEEKS = (26, 520)
"""Smallest and largest horizon for the full model."""
MIN_SECONDS = 1.0
"""Reference models step until at least this long has passed (and MIN_WEEKS weeks)."""
MIN_WEEKS = 3
QUICK_FACTOR = 0.2
"""``--quick`` scales the full-model budget and MIN_SECONDS by this."""
REPEAT = 3
"""Default number of repetitions; the fastest is reported."""

FULL = "full model"
KERNEL = "minimal kernel"
MESA_LISTS = "plain Mesa, neighbour lists"
MESA_NETWORK = "plain Mesa, discrete_space.Network"
REFERENCES = {KERNEL: ContagionKernel, MESA_LISTS: MesaListContagion,
              MESA_NETWORK: MesaNetworkContagion}

KERNEL_COST_TARGET = 5.0
"""At KERNEL_COST_SIZE, the full model should cost at most this many times the kernel."""
KERNEL_COST_SIZE = 100_000
SPEEDUP_TARGET = 30.0
"""The full model should be at least this many times faster per citizen-step than plain Mesa."""
MEMORY_WEEKS = WEEKS_PER_YEAR
"""Horizon of the end-to-end run at every size (for time and memory per citizen)."""


@dataclass(frozen=True)
class RunTarget:
    """An end-to-end target: ``run("baseline")`` at ``citizens`` x ``weeks``, build included.

    Attributes:
        citizens: Number of citizens.
        weeks: Weeks run.
        seconds: The ``run()`` call must take less.
        peak_bytes: The process's peak memory must stay below this (None: no target).
    """

    citizens: int
    weeks: int
    seconds: float
    peak_bytes: float | None = None


SMALL_RUN = RunTarget(10_000, 520, 1.5)
"""The baseline scenario as it stands: a town of 10,000 over ten years."""
CITY_RUN = RunTarget(1_000_000, MEMORY_WEEKS, 60.0, 2e9)
"""A city of a million for a year, on a laptop."""


@dataclass
class Timing:
    """One implementation's timing at one population size.

    Attributes:
        name: Which implementation.
        citizens: Number of citizens.
        weeks: Weeks timed (after the first week).
        build_seconds: Time to build the model.
        first_week_seconds: Time of the first week (fills caches; not counted in the rate).
        step_seconds: Time to step ``weeks`` weeks.
        volunteer_share: Share of citizens volunteering at the end (a sanity check).
        memory_bytes: Resident memory the model added, measured after its first week.
    """

    name: str
    citizens: int
    weeks: int
    build_seconds: float
    first_week_seconds: float
    step_seconds: float
    volunteer_share: float
    memory_bytes: float

    @property
    def rate(self) -> float:
        """Citizen-steps per second."""
        return self.citizens * self.weeks / self.step_seconds


def timed(call: Callable[[], object]) -> tuple[object, float]:
    """Call ``call()``; return its value and the seconds it took."""
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def step_for_at_least(step: Callable[[], None], min_seconds: float) -> tuple[int, float]:
    """Call ``step`` until ``min_seconds`` have passed and it ran ``MIN_WEEKS`` times.

    Returns:
        The number of steps and the seconds they took.
    """
    weeks = 0
    start = now = time.perf_counter()
    while weeks < MIN_WEEKS or now - start < min_seconds:
        step()
        weeks += 1
        now = time.perf_counter()
    return weeks, now - start


def full_model_weeks(citizens: int, quick: bool) -> int:
    """Horizon for the full model: a fixed budget of citizen-steps, within FULL_MODEL_WEEKS."""
    budget = FULL_MODEL_BUDGET * (QUICK_FACTOR if quick else 1.0)
    low, high = FULL_MODEL_WEEKS
    return min(high, max(low, math.ceil(budget / citizens)))


def time_full_model(citizens: int, weeks: int) -> tuple[Timing, sp.csr_array, np.ndarray]:
    """Build ``SolidarityModel`` and step it ``weeks`` weeks (the first one timed apart).

    Returns:
        The timing, the model's citizen graph and its initial volunteers (taken before the first
        step), for the reference implementations.
    """
    before = resident_bytes()
    model, build = timed(lambda: SolidarityModel(
        SCENARIO, rng=SEED, **city(citizens), weeks=weeks))
    adjacency, initial = model.net.adjacency, model.pop.volunteer.copy()
    _, first = timed(model.step)
    memory = resident_bytes() - before
    _, seconds = timed(lambda: model.run())
    timing = Timing(FULL, citizens, weeks - 1, build, first, seconds,
                    float(model.pop.volunteer.mean()), memory)
    forget(model)
    return timing, adjacency, initial


def time_reference(name: str, adjacency: sp.csr_array, initial: np.ndarray,
                   min_seconds: float) -> Timing:
    """Build a reference implementation and step it for at least ``min_seconds``.

    Its memory does not count the graph it is given (the kernel uses it as it is).
    """
    before = resident_bytes()
    model, build = timed(lambda: REFERENCES[name](adjacency, initial, SEED, RULE))
    _, first = timed(model.step)
    memory = resident_bytes() - before
    weeks, seconds = step_for_at_least(model.step, min_seconds)
    timing = Timing(name, initial.size, weeks, build, first, seconds, model.volunteer_share(),
                    memory)
    getattr(model, "release", lambda: None)()
    return timing


def bench_size(citizens: int, quick: bool) -> list[Timing]:
    """Time the four implementations once at one population size, on the same graph."""
    min_seconds = MIN_SECONDS * (QUICK_FACTOR if quick else 1.0)
    full, adjacency, initial = time_full_model(citizens, full_model_weeks(citizens, quick))
    timings = [full]
    for name in REFERENCES:
        gc.collect()
        timings.append(time_reference(name, adjacency, initial, min_seconds))
    gc.collect()
    return timings


def bench_size_best(citizens: int, quick: bool, repeat: int) -> list[Timing]:
    """Best of ``repeat`` repetitions of :func:`bench_size`, per implementation.

    The fastest repetition (by rate), with the most memory any repetition added: Python's
    allocator keeps some memory freed by earlier models and hands it out again without the
    process growing, so later repetitions can show less.
    """
    best = []
    for reps in zip(*(bench_size(citizens, quick) for _ in range(repeat)), strict=True):
        fastest = max(reps, key=lambda t: t.rate)
        fastest.memory_bytes = max(t.memory_bytes for t in reps)
        best.append(fastest)
    return best


# -- Reporting ------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """'yes' or 'NO'."""
    return "yes" if ok else "NO"


def timings_table(timings: list[Timing]) -> str:
    """Markdown table of every timing."""
    lines = [
        "| citizens | implementation | build s | first week s | weeks timed | step s "
        "| citizen-steps/s | ns / citizen-step | memory MB | bytes / citizen "
        "| final volunteer share |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.citizens:,} | {t.name} | {t.build_seconds:.2f} | {t.first_week_seconds:.2f} "
            f"| {t.weeks} | {t.step_seconds:.2f} | {t.rate:,.0f} | {1e9 / t.rate:,.0f} "
            f"| {t.memory_bytes / MB:,.0f} | {t.memory_bytes / t.citizens:,.0f} "
            f"| {t.volunteer_share:.3f} |"
        )
    return "\n".join(lines)


def ratios_table(by_size: dict[int, dict[str, Timing]]) -> str:
    """Markdown table of the full model's ratios to each reference, against the targets."""
    lines = [
        f"| citizens | full model cost vs minimal kernel (target <= {KERNEL_COST_TARGET:g}x "
        f"at {KERNEL_COST_SIZE:,}) | met | speed-up vs {MESA_LISTS} (target >= "
        f"{SPEEDUP_TARGET:g}x) | met | speed-up vs {MESA_NETWORK} (target >= "
        f"{SPEEDUP_TARGET:g}x) | met |",
        "|---:|---:|:-:|---:|:-:|---:|:-:|",
    ]
    for citizens, t in by_size.items():
        full = t[FULL].rate
        cost = t[KERNEL].rate / full
        cost_met = verdict(cost <= KERNEL_COST_TARGET) if citizens == KERNEL_COST_SIZE else "–"
        cells = [f"{citizens:,}", f"{cost:.1f}x", cost_met]
        for name in (MESA_LISTS, MESA_NETWORK):
            speedup = full / t[name].rate
            cells += [f"{speedup:.1f}x", verdict(speedup >= SPEEDUP_TARGET)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_target(measure: RunMeasure) -> tuple[str, str]:
    """The target of an end-to-end run and whether it was met ('–' if it has none)."""
    for target in (SMALL_RUN, CITY_RUN):
        if (target.citizens, target.weeks) == (measure.citizens, measure.weeks):
            text, ok = f"< {target.seconds:g} s", measure.run_seconds < target.seconds
            if target.peak_bytes is not None:
                text += f", peak < {target.peak_bytes / 1e9:g} GB"
                ok = ok and measure.peak_bytes < target.peak_bytes
            return text, verdict(ok)
    return "–", "–"


def runs_table(measures: list[RunMeasure]) -> str:
    """Markdown table of the end-to-end runs: time, peak memory, targets."""
    lines = [
        "| citizens x weeks | build s | step s | `run()` s | fresh process s | peak RSS MB "
        "| bytes / citizen | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|:-:|",
    ]
    for m in measures:
        target, met = run_target(m)
        lines.append(
            f"| {m.citizens:,} x {m.weeks} | {m.build_seconds:.2f} | {m.step_seconds:.2f} "
            f"| {m.run_seconds:.2f} | {m.process_seconds:.1f} | {m.peak_bytes / MB:,.0f} "
            f"| {m.bytes_per_citizen:,.0f} | {target} | {met} |"
        )
    return "\n".join(lines)


def notes(timings: list[Timing], quick: bool) -> str:
    """How the stepping table was measured, and which models were stepped only a few weeks."""
    min_seconds = MIN_SECONDS * (QUICK_FACTOR if quick else 1.0)
    text = (f"Rates exclude the build and the first week (which fills caches). After the first "
            f"week, the reference models step for at least {min_seconds:g} s and {MIN_WEEKS} "
            f"weeks; the full model for a budget of citizen-steps ({FULL_MODEL_WEEKS[0]} to "
            f"{FULL_MODEL_WEEKS[1]} weeks). Memory: resident memory the model added by the end "
            "of its first week (the kernel reuses the full model's graph, not counted).")
    few = [f"{t.name} at {t.citizens:,}" for t in timings
           if t.name != FULL and t.weeks == MIN_WEEKS and t.step_seconds > min_seconds]
    if few:
        text += (f" Slow enough to be stepped only {MIN_WEEKS} weeks (after the first): "
                 + "; ".join(few) + ".")
    return text


def commit() -> str:
    """The checked-out commit, and whether the working tree has changes."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True,
                                  cwd=Path(__file__).parent).stdout.strip()
        except OSError:  # no git
            return ""

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", ":/src")
    return sha + (" with uncommitted changes" if dirty else "")


def header(args: argparse.Namespace) -> str:
    """What was run, where and when."""
    return (
        f"{datetime.date.today()}, commit {commit()}; Python {platform.python_version()}, "
        f"Mesa {mesa.__version__}, NumPy {np.__version__}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {load()} at the start. Seed {SEED}; "
        f"{CITIZENS_PER_NEIGHBOURHOOD} citizens per neighbourhood at every size; reference rule "
        f"{RULE}. Best of {args.repeat} repetitions{', quick mode' if args.quick else ''}."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    default_sizes = ",".join(str(n) for n in SIZES)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=default_sizes,
                        help=f"comma-separated population sizes (default: {default_sizes})")
    parser.add_argument("--quick", action="store_true",
                        help=f"time {QUICK_FACTOR:g}x as long: faster, rougher figures")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help=f"repetitions of every timing; the fastest is reported "
                        f"(default: {REPEAT})")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def load() -> str:
    """The one-minute load average, for the record."""
    return f"load average {os.getloadavg()[0]:.2f}"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print Markdown tables, each as soon as it is measured.

    The end-to-end runs come first: they are short, so they meet the load of the start.
    """
    args = parse_args(argv)
    started = time.perf_counter()
    print(f"# solidarity-sim model benchmark\n\n{header(args)}\n", flush=True)
    print(f"## End-to-end `run(\"{SCENARIO}\", seed={SEED})`, each in a fresh process\n")
    cases = [(SMALL_RUN.citizens, SMALL_RUN.weeks)] + [(n, MEMORY_WEEKS) for n in args.sizes]
    measures = [best_run(SCENARIO, SEED, n, w, args.repeat) for n, w in dict.fromkeys(cases)]
    print(runs_table(measures) + "\n")
    print("`run()` s: building (network included), stepping and the result tables; fastest "
          "repetition. Fresh process s adds Python's start-up and the imports. Peak RSS: the "
          "highest of the repetitions; bytes / citizen: peak above the process's memory after "
          f"its imports, per citizen. {load().capitalize()} after these runs.\n", flush=True)
    by_size = {}
    for n in args.sizes:
        by_size[n] = {t.name: t for t in bench_size_best(n, args.quick, args.repeat)}
    timings = [t for ts in by_size.values() for t in ts.values()]
    print("## Stepping speed, side by side in one process\n")
    print(timings_table(timings) + "\n")
    print(notes(timings, args.quick) + "\n")
    print("## Ratios per citizen-step\n")
    print(ratios_table(by_size) + "\n")
    print(f"Finished in {(time.perf_counter() - started) / 60:.1f} min; {load()} at the end.")


if __name__ == "__main__":
    main()
