"""How close each hot weekly process is to what the memory allows: its time against its floor.

A weekly process over a million citizens is bound by memory traffic: it must read the citizen
arrays its rule depends on and write the ones it changes, once each. Its **floor** is that
traffic divided by this machine's memory bandwidth, measured here with a STREAM triad
(``a = b + s c`` over arrays far larger than the caches; 24 bytes moved per element, one core,
compiled, as the model's loops are). The process's time is measured in the full model at
``--citizens`` (default 1,000,000), the median of ``--weeks`` weeks after a first week.

The traffic of each process is counted from the arrays it must touch, with their real item
sizes, and the week's real number of volunteers and of citizens with need left (who alone are
touched by some rules):

* **awareness**: reads each citizen's volunteering and present neighbours, neighbourhood,
  awareness (and presence); writes the neighbour share and the awareness.
* **recruitment**: draws a uniform per citizen (written, then read); reads availability,
  disposition, awareness, neighbour share, fatigue, last week served, provider's democracy,
  cell, presence and volunteering.
* **service**: reads volunteering (and each volunteer's CSO, training, fatigue); writes what
  each citizen was served; reads each needy citizen's place, cell and need left.
* **wellbeing and retention**: draws two uniforms per citizen; reads volunteering and reads and
  writes fatigue (everyone rests); per volunteer reads its CSO, training, meaning (and writes
  it), availability, crisis motivation, spell start and recognition.
* **records**: reads volunteering, presence, group, awareness (and each volunteer's CSO); packs
  the volunteers into the retention memory.

Drawing the random numbers (PCG64) costs more than storing them, so the floor understates the
two processes that draw; the table says how much of each process's time the draws take.

A second table lists every array the town keeps per citizen, with its type and bytes per citizen
(ties and needy citizens at their number in this town), which is what a city's memory grows by.

Usage::

    .venv/bin/python benchmarks/bench_floors.py                     # 1,000,000 citizens, ~1 min
    .venv/bin/python benchmarks/bench_floors.py --citizens 3000000 --weeks 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from numba import njit

from solidarity_sim.model import processes as proc
from solidarity_sim.model import solidarity_model
from solidarity_sim.model.solidarity_model import SolidarityModel

PROCESSES = {
    "spread_awareness": "awareness",
    "recruit": "recruitment",
    "serve": "service",
    "wellbeing_and_retention": "wellbeing and retention",
    "week_row": "records",
}


@njit(cache=True)
def _triad(a, b, c, s):
    for i in range(a.size):
        a[i] = b[i] + s * c[i]


def bandwidth(n: int = 40_000_000, repeat: int = 5) -> float:
    """Memory bandwidth in bytes a second: the fastest of ``repeat`` STREAM triads."""
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    _triad(a, b, c, 3.0)
    best = min(_timed(_triad, a, b, c, 3.0) for _ in range(repeat))
    return 24 * n / best


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def traffic(model: SolidarityModel) -> dict[str, float]:
    """Bytes each process must move in one week of ``model``'s town (see the module doc)."""
    town = model.town
    pop = town.pop
    n, vols, needy = pop.size, int(pop.volunteer.sum()), town.welfare_gap().needy.size
    size = {name: getattr(pop, name).itemsize for name in vars(pop)}
    f8, u = 8, 4  # float64 per-citizen arrays of the town; a float32 uniform
    volunteer_row = size["cso"] + size["trained"] + size["fatigue"]
    return {
        "spread_awareness": n * (2 * f8 + size["nbhd"] + size["present"]
                                 + 2 * size["awareness"] + f8),
        "recruit": n * (2 * u + sum(size[k] for k in (
            "availability", "disposition", "awareness", "fatigue", "last_served",
            "provider_democracy", "cell", "present", "volunteer")) + f8),
        "serve": n * (size["volunteer"] + size["served"]) + vols * volunteer_row
        + needy * (2 * 8 + f8),
        "wellbeing_and_retention": n * (2 * 2 * u + size["volunteer"] + 2 * size["fatigue"])
        + vols * (size["cso"] + size["trained"] + 2 * size["meaning"] + size["availability"]
                  + size["join_motivation"] + size["spell_start"] + size["recognised"]),
        "week_row": n * (size["volunteer"] + size["present"] + size["group"]
                         + size["awareness"]) + vols * size["cso"] + n / 8,
    }


def per_citizen_arrays(model: SolidarityModel) -> list[tuple[str, str, float]]:
    """(array, type, bytes per citizen) of every array the town keeps per citizen."""
    town = model.town
    n = town.pop.size
    gap = town.welfare_gap()
    arrays = {f"population.{name}": value for name, value in vars(town.pop).items()}
    arrays |= {
        "town.neighbour_share": town.neighbour_share,
        "town.volunteer_neighbours": town.volunteer_neighbours,
        "town.present_neighbours": town.present_neighbours,
        "welfare coverage": town.coverage,
        "welfare gap: need left": gap.remaining,
        "welfare gap: needy citizens": gap.needy,
        "welfare gap: their cells": gap.needy_cell,
        "network: row pointers": town.net.indptr,
        "network: neighbours": town.net.indices,
        "12-month retention memory (52 weeks of bits)": town.retention._ring,
        **{f"crisis {k}: who it hits": hit for k, hit in enumerate(town.crises.hit)},
    }
    return [(name, str(a.dtype), a.nbytes / n) for name, a in arrays.items()]


def time_processes(citizens: int, weeks: int) -> tuple[dict[str, list[float]], dict[str, float],
                                                      SolidarityModel]:
    """Seconds of each hot process in each of ``weeks`` weeks, and of the streams' draws."""
    seconds: dict[str, list[float]] = {name: [] for name in PROCESSES}
    draws: dict[str, float] = dict.fromkeys(PROCESSES, 0.0)
    current = []

    def timing(module, name):
        fn = getattr(module, name)

        def timed(*args, **kwargs):
            current.append(name)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name].append(time.perf_counter() - started)
                current.pop()
        setattr(module, name, timed)
        return fn

    model = SolidarityModel("baseline", rng=0, weeks=weeks + 1,
                            **{"population.citizens": citizens})
    model.step()
    # SolidarityModel.step calls the processes as proc.NAME and the records as week_row
    originals = [(proc, name, timing(proc, name)) for name in PROCESSES if name != "week_row"]
    originals.append((solidarity_model, "week_row", timing(solidarity_model, "week_row")))
    draw = type(model.town).draw

    def timed_draw(self, stream, n):
        started = time.perf_counter()
        values = draw(self, stream, n)
        if current:
            draws[current[0]] += time.perf_counter() - started
        return values

    type(model.town).draw = timed_draw
    try:
        model.run()
    finally:
        type(model.town).draw = draw
        for module, name, fn in originals:
            setattr(module, name, fn)
    return seconds, {k: v / weeks for k, v in draws.items()}, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=8)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    bw = bandwidth()
    seconds, draws, model = time_processes(args.citizens, args.weeks)
    floors = traffic(model)
    print(f"{args.citizens:,} citizens, median of {args.weeks} weeks; memory bandwidth "
          f"(STREAM triad, one core) {bw / 1e9:.1f} GB/s; load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f}\n")
    print("| process | traffic MB/week | floor ms | measured ms | of which drawing ms | "
          "measured / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, label in PROCESSES.items():
        measured = statistics.median(seconds[name])
        floor = floors[name] / bw
        print(f"| {label} | {floors[name] / 1e6:.0f} | {1e3 * floor:.1f} | {1e3 * measured:.1f} "
              f"| {1e3 * draws[name]:.1f} | {measured / floor:.1f}x |")
    arrays = per_citizen_arrays(model)
    print("\n| array kept per citizen | type | bytes per citizen |")
    print("|---|---|---:|")
    for name, dtype, size in arrays:
        print(f"| {name} | {dtype} | {size:.1f} |")
    print(f"| **total** | | **{sum(size for *_, size in arrays):.0f}** |")


if __name__ == "__main__":
    main()
