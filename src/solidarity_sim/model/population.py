"""Citizen state as NumPy arrays, one per attribute.

Every citizen is a row: the Mesa ``Citizen`` agents are views over these arrays. Newcomers of a
migration crisis have rows from the start; they are not ``present`` until their arrival week, so
array sizes never change and every random stream draws the same amount each week.

Levels are drawn as normals clipped to [0, 1], so each attribute consumes exactly one normal per
citizen whatever its parameters (changing a spread does not shift the other draws).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crises import newcomer_count

NEVER = -(10**6)
"""Week stamp meaning 'never happened'."""


@dataclass(eq=False)
class Population:
    """Array-backed citizens. All arrays have one row per citizen slot (newcomers included).

    Attributes:
        nbhd: Neighbourhood index.
        group: Identity group: 0 majority, 1 minority.
        newcomer: Arrived in a migration crisis (faces legal barriers to welfare).
        arrival: Week the citizen arrives (0 for residents).
        present: Arrived and living here now.
        base_need: Material need before crises, in [0, 1] need units.
        need: Current need (crises add to the base), in [0, 1].
        disposition: Solidarity disposition, in [0, 1].
        base_availability: Free time before crises, in [0, 1].
        availability: Current free time, in [0, 1].
        awareness: Awareness of the social problem and of CSOs, in [0, 1].
        volunteer: Currently volunteering.
        cso: Index of the CSO the citizen volunteers for (-1 if none).
        spell_start: Week the current volunteering spell began.
        fatigue: Burnout level, in [0, 1].
        meaning: Sense of meaning from volunteering, in [0, 1].
        trained: Trained as a volunteer.
        served: Need units met by CSOs this week.
        last_served: Last week the citizen was a CSO beneficiary.
        provider_democracy: Democracy level of the CSOs that served the citizen last.
        join_salience: Crisis salience when the current volunteering spell began.
        cell: Neighbourhood x group block, ``2 * nbhd + group`` (how CSOs reach citizens).
    """

    nbhd: np.ndarray
    group: np.ndarray
    newcomer: np.ndarray
    arrival: np.ndarray
    present: np.ndarray
    base_need: np.ndarray
    need: np.ndarray
    disposition: np.ndarray
    base_availability: np.ndarray
    availability: np.ndarray
    awareness: np.ndarray
    volunteer: np.ndarray
    cso: np.ndarray
    spell_start: np.ndarray
    fatigue: np.ndarray
    meaning: np.ndarray
    trained: np.ndarray
    served: np.ndarray
    last_served: np.ndarray
    provider_democracy: np.ndarray
    join_salience: np.ndarray
    cell: np.ndarray

    @property
    def size(self) -> int:
        """Number of citizen slots (residents and future newcomers)."""
        return self.nbhd.size


def clipped_normal(rng: np.random.Generator, mean: float, sd: float, size: int) -> np.ndarray:
    """Draw levels ``clip(mean + sd * z, 0, 1)``; always consumes ``size`` normals."""
    return np.clip(mean + sd * rng.standard_normal(size), 0.0, 1.0)


def neighbourhood_count(population: dict) -> int:
    """The number of neighbourhoods of a scenario's ``population`` table.

    ``neighbourhoods`` when set (above 0), else ``round(citizens / neighbourhood_size)``, at least
    1: towns of any size then have neighbourhoods of the same size, so per-capita outcomes do not
    depend on the population (ODD 2, 'Space, network and scales').
    """
    if population["neighbourhoods"] > 0:
        return int(population["neighbourhoods"])
    return max(1, round(population["citizens"] / population["neighbourhood_size"]))


def make_population(params: dict, rng: np.random.Generator) -> Population:
    """Draw the initial citizens (and the newcomers of every migration crisis).

    Args:
        params: The resolved scenario parameters.
        rng: The ``population`` random stream.

    Returns:
        The population, with nobody volunteering yet.
    """
    pop, cit = params["population"], params["citizens"]
    residents = pop["citizens"]
    migrations = [c for c in params["crises"] if c["kind"] == "migration"]
    arrivals = [newcomer_count(c, residents) for c in migrations]
    n = residents + sum(arrivals)
    k = neighbourhood_count(pop)

    u_group, u_need, u_arrive = rng.random((3, n))
    nbhd = rng.integers(0, k, size=n)
    group = (u_group < pop["minority_share"]).astype(np.int8)
    disposition = clipped_normal(rng, cit["disposition_mean"], cit["disposition_spread"], n)
    availability = clipped_normal(rng, cit["availability_mean"], cit["availability_spread"], n)
    need_draw = clipped_normal(rng, cit["need_level"], 0.15, n)

    m, ratio = pop["minority_share"], cit["minority_need_ratio"]
    p_major = cit["need_share"] / (1.0 - m + m * ratio)
    p_need = np.where(group == 1, min(1.0, p_major * ratio), min(1.0, p_major))
    base_need = np.where(u_need < p_need, need_draw, 0.0)

    newcomer = np.zeros(n, dtype=bool)
    arrival = np.zeros(n, dtype=np.int64)
    start = residents
    for crisis, count in zip(migrations, arrivals, strict=True):
        rows = slice(start, start + count)
        newcomer[rows] = True
        group[rows] = 1
        base_need[rows] = np.maximum(base_need[rows], crisis["severity"])
        arrival[rows] = crisis["onset"] + (u_arrive[rows] * crisis["duration"]).astype(np.int64)
        start += count

    awareness = np.where(newcomer, 0.1, cit["awareness_initial"])
    return Population(
        nbhd=nbhd, group=group, newcomer=newcomer, arrival=arrival, present=arrival <= 0,
        base_need=base_need, need=base_need.copy(), disposition=disposition,
        base_availability=availability, availability=availability.copy(),
        awareness=awareness.astype(np.float64), volunteer=np.zeros(n, dtype=bool),
        cso=np.full(n, -1, dtype=np.int64), spell_start=np.full(n, NEVER, dtype=np.int64),
        fatigue=np.zeros(n), meaning=np.zeros(n), trained=np.zeros(n, dtype=bool),
        served=np.zeros(n), last_served=np.full(n, NEVER, dtype=np.int64),
        provider_democracy=np.zeros(n), join_salience=np.zeros(n), cell=nbhd * 2 + group,
    )
