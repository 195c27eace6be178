"""Benchmark the full solidarity-sim model against a minimal kernel and a plain Mesa model.

Three implementations are timed side by side, in one process, on the same social network
(the ``model.net.adjacency`` CSR graph of a freshly built ``SolidarityModel``) and from the same
initial volunteers:

1. **Full model**: ``SolidarityModel("baseline")`` stepped week by week (every process: crises,
   state, awareness, recruitment, service, retention, CSO dynamics, emergence, records).
2. **Minimal kernel** ("the practical floor"): a vectorised NumPy/SciPy contagion model. Each
   week bystanders join with probability ``1 - exp(-(a + b * share))``, where ``share`` is the
   share of their neighbours who volunteer, and volunteers quit with probability ``q``.
3. **Plain Mesa model**: the same rule with one ``mesa.Agent`` per citizen, each holding a Python
   list of its neighbour agents, activated with ``model.agents.shuffle_do("step")``.

Figures are citizen-steps per second (citizens x weeks / stepping seconds); building is timed
separately. It also times one full ``solidarity_sim.run("baseline", seed=0)``.

Usage::

    .venv/bin/python benchmarks/bench_model.py                # sizes 10000,100000
    .venv/bin/python benchmarks/bench_model.py --quick        # shorter timings, rougher figures
    .venv/bin/python benchmarks/bench_model.py --sizes 20000 --repeat 5

Every figure is the best of ``--repeat`` repetitions (default 3): other processes on the machine
can only slow a timing down, so the fastest repetition is the least disturbed.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np
import scipy.sparse as sp

import solidarity_sim

SEED = 0
SCENARIO = "baseline"

JOIN_BASE = 0.002
"""Kernel rule: weekly join hazard of a bystander with no volunteering neighbours (``a``)."""
JOIN_CONTAGION = 0.01
"""Kernel rule: extra join hazard when every neighbour volunteers (``b``)."""
QUIT_PROB = 0.02
"""Kernel rule: weekly probability that a volunteer quits (``q``)."""

FULL_MODEL_BUDGET = 5_000_000
"""Citizen-steps for the full model: 520 weeks at 10,000 citizens, 52 at 100,000."""
FULL_MODEL_WEEKS = (26, 520)
"""Smallest and largest horizon for the full model."""
MIN_SECONDS = 1.0
"""Kernel and Mesa models step until at least this long has passed (and MIN_WEEKS weeks)."""
MIN_WEEKS = 3
QUICK_FACTOR = 0.2
"""``--quick`` scales the full-model budget and MIN_SECONDS by this."""
REPEAT = 3
"""Default number of repetitions; the fastest is reported."""

SPEEDUP_TARGET = 20.0
"""The full model should be at least this many times faster per citizen-step than plain Mesa."""
KERNEL_COST_TARGET = 8.0
"""The full model should cost at most this many times the kernel per citizen-step."""
RUN_SECONDS_TARGET = 3.0
"""A full baseline run (10,000 citizens x 520 weeks, build included) should take less."""


@dataclass
class Timing:
    """One implementation's timing at one population size.

    Attributes:
        name: Which implementation.
        citizens: Number of citizens.
        weeks: Weeks stepped.
        build_seconds: Time to build the model (not counted in the rate).
        step_seconds: Time to step ``weeks`` weeks.
        volunteer_share: Share of citizens volunteering at the end (a sanity check).
    """

    name: str
    citizens: int
    weeks: int
    build_seconds: float
    step_seconds: float
    volunteer_share: float

    @property
    def rate(self) -> float:
        """Citizen-steps per second."""
        return self.citizens * self.weeks / self.step_seconds


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


# -- 1. The full model ------------------------------------------------------------------------


def full_model_weeks(citizens: int, quick: bool) -> int:
    """Horizon for the full model: a fixed budget of citizen-steps, within FULL_MODEL_WEEKS."""
    budget = FULL_MODEL_BUDGET * (QUICK_FACTOR if quick else 1.0)
    low, high = FULL_MODEL_WEEKS
    return min(high, max(low, math.ceil(budget / citizens)))


def time_full_model(
    citizens: int, weeks: int
) -> tuple[Timing, sp.csr_array, np.ndarray]:
    """Build and step ``SolidarityModel`` for ``weeks`` weeks.

    Returns:
        The timing, the model's citizen graph and its initial volunteers (taken before the first
        step), for the other two implementations.
    """
    start = time.perf_counter()
    model = solidarity_sim.SolidarityModel(
        SCENARIO, rng=SEED, **{"population.citizens": citizens, "weeks": weeks}
    )
    built = time.perf_counter()
    adjacency = model.net.adjacency
    initial = model.pop.volunteer.copy()
    for _ in range(weeks):
        model.step()
    stepped = time.perf_counter()
    timing = Timing("full model", citizens, weeks, built - start, stepped - built,
                    float(model.pop.volunteer.mean()))
    return timing, adjacency, initial


def time_full_run() -> tuple[float, dict]:
    """Time one ``solidarity_sim.run("baseline", seed=0)``, build and result tables included.

    Returns:
        Wall seconds and the run's manifest (with its own build and run seconds).
    """
    start = time.perf_counter()
    result = solidarity_sim.run(SCENARIO, seed=SEED)
    return time.perf_counter() - start, result.manifest


# -- 2. The minimal vectorised kernel ------------------------------------------------------------


class ContagionKernel:
    """Join-and-quit contagion on a CSR graph, vectorised with NumPy and one sparse product.

    Args:
        adjacency: Symmetric CSR matrix of ones (citizen x citizen).
        volunteer: Initial volunteers (copied).
        seed: Seed of the NumPy ``Generator``.
    """

    def __init__(self, adjacency: sp.csr_array, volunteer: np.ndarray, seed: int):
        self.adjacency = adjacency
        self.volunteer = volunteer.copy()
        self.inv_degree = 1.0 / np.maximum(np.diff(adjacency.indptr), 1)
        self.rng = np.random.default_rng(seed)

    def step(self) -> None:
        """Advance one week: bystanders may join, volunteers may quit (synchronous update)."""
        share = (self.adjacency @ self.volunteer) * self.inv_degree
        p_join = -np.expm1(-(JOIN_BASE + JOIN_CONTAGION * share))
        u = self.rng.random(self.volunteer.size)
        self.volunteer = np.where(self.volunteer, u >= QUIT_PROB, u < p_join)


def time_kernel(adjacency: sp.csr_array, initial: np.ndarray, min_seconds: float) -> Timing:
    """Build and step the minimal kernel for at least ``min_seconds``."""
    start = time.perf_counter()
    kernel = ContagionKernel(adjacency, initial, SEED)
    built = time.perf_counter()
    weeks, seconds = step_for_at_least(kernel.step, min_seconds)
    return Timing("minimal kernel", initial.size, weeks, built - start, seconds,
                  float(kernel.volunteer.mean()))


# -- 3. The plain Mesa-object model ---------------------------------------------------------------


class ContagionCitizen(mesa.Agent):
    """A citizen as a Mesa agent with a Python list of neighbour agents.

    Attributes:
        volunteer: Currently volunteering.
        neighbours: The neighbouring ``ContagionCitizen`` agents.
    """

    def __init__(self, model: MesaContagion, volunteer: bool):
        super().__init__(model)
        self.volunteer = volunteer
        self.neighbours: list[ContagionCitizen] = []

    def step(self) -> None:
        """Quit with probability ``q``, or join with the neighbour-driven probability."""
        u = self.model.random.random()
        if self.volunteer:
            if u < QUIT_PROB:
                self.volunteer = False
            return
        neighbours = self.neighbours
        share = (sum(nb.volunteer for nb in neighbours) / len(neighbours)) if neighbours else 0.0
        if u < 1.0 - math.exp(-(JOIN_BASE + JOIN_CONTAGION * share)):
            self.volunteer = True


class MesaContagion(mesa.Model):
    """The kernel's rule with one Mesa agent per citizen, in random (asynchronous) order.

    Asynchronous activation needs one pass per week; a synchronous version (as in the kernel)
    would need a second pass, so this is the cheaper, conservative baseline.

    Args:
        adjacency: Symmetric CSR matrix of ones (citizen x citizen).
        volunteer: Initial volunteers.
        seed: Seed of the model's random streams.
    """

    def __init__(self, adjacency: sp.csr_array, volunteer: np.ndarray, seed: int):
        super().__init__(rng=seed)
        citizens = [ContagionCitizen(self, bool(v)) for v in volunteer.tolist()]
        indptr, indices = adjacency.indptr.tolist(), adjacency.indices.tolist()
        for i, citizen in enumerate(citizens):
            citizen.neighbours = [citizens[j] for j in indices[indptr[i]:indptr[i + 1]]]

    def step(self) -> None:
        """Activate every citizen once, in a fresh random order."""
        self.agents.shuffle_do("step")

    def volunteer_share(self) -> float:
        """Share of citizens volunteering."""
        return float(np.mean([a.volunteer for a in self.agents]))


def time_mesa(adjacency: sp.csr_array, initial: np.ndarray, min_seconds: float) -> Timing:
    """Build and step the plain Mesa model for at least ``min_seconds``."""
    start = time.perf_counter()
    model = MesaContagion(adjacency, initial, SEED)
    built = time.perf_counter()
    weeks, seconds = step_for_at_least(model.step, min_seconds)
    return Timing("plain Mesa agents", initial.size, weeks, built - start, seconds,
                  model.volunteer_share())


# -- Running and reporting ------------------------------------------------------------------------


def bench_size(citizens: int, quick: bool) -> list[Timing]:
    """Time the three implementations once at one population size, on the same graph."""
    min_seconds = MIN_SECONDS * (QUICK_FACTOR if quick else 1.0)
    full, adjacency, initial = time_full_model(citizens, full_model_weeks(citizens, quick))
    gc.collect()
    kernel = time_kernel(adjacency, initial, min_seconds)
    gc.collect()
    plain = time_mesa(adjacency, initial, min_seconds)
    gc.collect()
    return [full, kernel, plain]


def fastest(timings: list[Timing]) -> Timing:
    """The repetition with the highest rate."""
    return max(timings, key=lambda t: t.rate)


def bench_size_best(citizens: int, quick: bool, repeat: int) -> list[Timing]:
    """Best of ``repeat`` repetitions of :func:`bench_size`, per implementation."""
    runs = [bench_size(citizens, quick) for _ in range(repeat)]
    return [fastest(list(reps)) for reps in zip(*runs, strict=True)]


def time_full_run_best(repeat: int) -> tuple[float, dict]:
    """Best of ``repeat`` full baseline runs (by wall seconds)."""
    return min((time_full_run() for _ in range(repeat)), key=lambda r: r[0])


def timings_table(timings: list[Timing]) -> str:
    """Markdown table of every timing."""
    lines = [
        "| citizens | implementation | weeks | build s | step s | citizen-steps/s "
        "| ns / citizen-step | final volunteer share |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.citizens:,} | {t.name} | {t.weeks} | {t.build_seconds:.2f} "
            f"| {t.step_seconds:.2f} | {t.rate:,.0f} | {1e9 / t.rate:,.0f} "
            f"| {t.volunteer_share:.3f} |"
        )
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    """'yes' or 'NO'."""
    return "yes" if ok else "NO"


def ratios_table(by_size: dict[int, list[Timing]]) -> str:
    """Markdown table of the two ratios at each size, against their targets."""
    lines = [
        f"| citizens | full model vs plain Mesa (speed-up, target >= {SPEEDUP_TARGET:.0f}x) "
        f"| met | full model cost vs kernel (target <= {KERNEL_COST_TARGET:.0f}x) | met |",
        "|---:|---:|:-:|---:|:-:|",
    ]
    for citizens, (full, kernel, plain) in by_size.items():
        speedup = full.rate / plain.rate
        cost = kernel.rate / full.rate
        lines.append(
            f"| {citizens:,} | {speedup:,.1f}x | {verdict(speedup >= SPEEDUP_TARGET)} "
            f"| {cost:,.1f}x | {verdict(cost <= KERNEL_COST_TARGET)} |"
        )
    return "\n".join(lines)


def run_table(seconds: float, manifest: dict) -> str:
    """Markdown table of the full baseline run."""
    return "\n".join([
        "| run | citizens x weeks | build s | step s | total wall s "
        f"| target < {RUN_SECONDS_TARGET:.0f} s met |",
        "|---|---:|---:|---:|---:|:-:|",
        f"| `run(\"{SCENARIO}\", seed={SEED})` | {manifest['citizens']:,} x {manifest['weeks']} "
        f"| {manifest['build_seconds']:.2f} | {manifest['run_seconds']:.2f} | {seconds:.2f} "
        f"| {verdict(seconds < RUN_SECONDS_TARGET)} |",
    ])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated population sizes (default: 10000,100000)")
    parser.add_argument("--quick", action="store_true",
                        help=f"time {QUICK_FACTOR:g}x as long: faster, rougher figures")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help=f"repetitions of every timing; the fastest is reported "
                        f"(default: {REPEAT})")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print Markdown tables."""
    args = parse_args(argv)
    print(f"# solidarity-sim benchmark{' (quick)' if args.quick else ''}\n")
    print(f"Python {platform.python_version()}, mesa {mesa.__version__}, numpy {np.__version__}, "
          f"{platform.machine()}, seed {SEED}. Kernel rule: a={JOIN_BASE}, b={JOIN_CONTAGION}, "
          f"q={QUIT_PROB}.\n")
    print(f"Best of {args.repeat} repetitions.\n")
    run_seconds, manifest = time_full_run_best(args.repeat)
    print("## Full baseline run\n")
    print(run_table(run_seconds, manifest) + "\n")
    by_size = {n: bench_size_best(n, args.quick, args.repeat) for n in args.sizes}
    print("## Citizen-steps per second (stepping only; build timed separately)\n")
    print(timings_table([t for ts in by_size.values() for t in ts]) + "\n")
    print("## Ratios (per citizen-step)\n")
    print(ratios_table(by_size))


if __name__ == "__main__":
    main()
