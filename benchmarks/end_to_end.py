"""End-to-end runs of ``solidarity_sim.run``, each in a fresh process: time and peak memory.

A run is timed the way a user meets it: ``run(scenario, seed=..., weeks=..., overrides=...)``
builds the model (population and network included), steps it and assembles the result tables.
Each run gets its own freshly spawned Python process, so its peak resident memory is its own and
not the high-water mark of whatever the benchmark ran before.
"""

from __future__ import annotations

import math
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from solidarity_sim.results.run_result import run

CITIZENS_PER_NEIGHBOURHOOD = 500
"""City-sized runs keep neighbourhoods at this size (the baseline: 20 for 10,000 citizens)."""
MB = 1e6
"""Bytes per megabyte (decimal, as in the 2 GB target)."""


def city(citizens: int) -> dict[str, int]:
    """Overrides for ``citizens`` citizens in neighbourhoods of ``CITIZENS_PER_NEIGHBOURHOOD``."""
    return {"population.citizens": citizens,
            "population.neighbourhoods": max(1, citizens // CITIZENS_PER_NEIGHBOURHOOD)}


@dataclass
class RunMeasure:
    """One end-to-end run in a fresh process.

    Attributes:
        citizens: Number of citizens.
        weeks: Weeks run.
        build_seconds: Building the model, network included (from the run's manifest).
        step_seconds: Stepping it (from the manifest).
        run_seconds: The whole ``run()`` call: build, steps and result tables.
        process_seconds: From starting the process to getting the answer back: adds Python's
            start-up and the imports (mesa, pandas, scipy, ...).
        baseline_bytes: Peak resident memory after the imports, before the run.
        peak_bytes: Peak resident memory of the process.
    """

    citizens: int
    weeks: int
    build_seconds: float
    step_seconds: float
    run_seconds: float
    process_seconds: float
    baseline_bytes: int
    peak_bytes: int

    @property
    def bytes_per_citizen(self) -> float:
        """Peak memory above the post-import baseline, per citizen."""
        return (self.peak_bytes - self.baseline_bytes) / self.citizens


def resident_bytes() -> int:
    """This process's resident memory now, in bytes."""
    return psutil.Process().memory_info().rss


def peak_rss() -> int:
    """This process's peak resident memory in bytes.

    On Linux, the high-water mark of the process's own memory (``VmHWM``). Not ``ru_maxrss``: a
    process started by fork and exec inherits its parent's peak there. Elsewhere ``ru_maxrss``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def measure_run(scenario: str, seed: int, citizens: int, weeks: int) -> RunMeasure:
    """Run ``scenario`` at ``citizens`` x ``weeks`` in this process and measure it."""
    baseline = peak_rss()
    started = time.perf_counter()
    result = run(scenario, seed=seed, weeks=weeks, overrides=city(citizens))
    seconds = time.perf_counter() - started
    manifest = result.manifest
    return RunMeasure(citizens, weeks, manifest["build_seconds"], manifest["run_seconds"],
                      seconds, math.nan, baseline, peak_rss())


def measure_run_in_child(scenario: str, seed: int, citizens: int, weeks: int) -> RunMeasure:
    """:func:`measure_run` in a freshly spawned process (nothing else ever ran in it)."""
    started = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        measure = pool.submit(measure_run, scenario, seed, citizens, weeks).result()
    measure.process_seconds = time.perf_counter() - started
    return measure


def best_run(scenario: str, seed: int, citizens: int, weeks: int, repeat: int) -> RunMeasure:
    """The fastest of ``repeat`` runs (by ``run_seconds``), with the highest peak memory seen."""
    measures = [measure_run_in_child(scenario, seed, citizens, weeks) for _ in range(repeat)]
    best = min(measures, key=lambda m: m.run_seconds)
    best.peak_bytes = max(m.peak_bytes for m in measures)
    best.baseline_bytes = min(m.baseline_bytes for m in measures)
    return best
