"""Newcomers who join the town during a run: a migration crisis started by an event.

A migration in the scenario's ``[[crises]]`` table has its newcomers' rows from the start (drawn
with the residents, absent until they arrive). A migration started by an event (scheduled in
``[[events]]`` or applied to the running model) adds its newcomers when it starts: their
attributes and their ties come from the ``arrivals`` stream, and they arrive evenly over the
crisis's duration, as in :func:`~.population.make_population`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import processes as proc
from .crises import newcomer_count
from .network import add_citizens
from .population import NEVER, clipped_normal

if TYPE_CHECKING:
    from .town import Town


def add_newcomers(town: Town, crisis: dict) -> int:
    """Add a migration's newcomers to the town (absent until they arrive); return how many."""
    p, pop = town.p, town.pop
    count = newcomer_count(crisis, p["population"]["citizens"])
    if count == 0:
        return 0
    rng = town.streams["arrivals"]
    cit, share = p["citizens"], p["population"]["minority_share"]
    u_need, u_arrive = rng.random((2, count))
    nbhd = rng.integers(0, town.n_neighbourhoods, size=count)
    disposition = clipped_normal(rng, cit["disposition_mean"], cit["disposition_spread"], count)
    availability = clipped_normal(rng, cit["availability_mean"], cit["availability_spread"],
                                  count)
    need_draw = clipped_normal(rng, cit["need_level"], 0.15, count)
    ratio = cit["minority_need_ratio"]
    p_need = min(1.0, cit["need_share"] / (1.0 - share + share * ratio) * ratio)
    base_need = np.maximum(np.where(u_need < p_need, need_draw, 0.0), crisis["severity"])
    group = np.ones(count, dtype=pop.group.dtype)
    arrival = crisis["onset"] + (u_arrive * crisis["duration"]).astype(np.int64)
    new = {
        "nbhd": nbhd, "group": group, "newcomer": np.ones(count, bool), "arrival": arrival,
        "present": np.zeros(count, bool), "base_need": base_need, "need": base_need.copy(),
        "disposition": disposition, "base_availability": availability,
        "availability": availability.copy(), "awareness": np.full(count, 0.1),
        "volunteer": np.zeros(count, bool), "cso": np.full(count, -1),
        "spell_start": np.full(count, NEVER), "fatigue": np.zeros(count),
        "meaning": np.zeros(count), "trained": np.zeros(count, bool),
        "served": np.zeros(count), "last_served": np.full(count, NEVER),
        "provider_democracy": np.zeros(count), "join_motivation": np.zeros(count),
        "recognised": np.zeros(count), "cell": nbhd * 2 + group,
    }
    first = pop.size
    for name, rows in new.items():
        column = getattr(pop, name)
        setattr(pop, name, np.concatenate((column, rows.astype(column.dtype))))
    pp = p["population"]
    town.net = add_citizens(town.net, pop.nbhd, pop.group, first, pp["mean_degree"],
                            pp["local_ties"], pp["homophily"], rng)
    town.neighbour_share = np.concatenate((town.neighbour_share, np.zeros(count)))
    town.volunteer_neighbours = town.net.neighbour_sum(pop.volunteer.astype(np.float64))
    town.present_neighbours = proc.present_neighbours(town)
    town.crises.grow(count)
    town.retention.resize(pop.size)
    town.has_arrivals = True
    return count
