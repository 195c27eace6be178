"""Building the town a scenario describes: citizens, ties, CSOs, crises and the first volunteers.

:func:`build_town` draws everything from the run's named streams, in a fixed order, so that one
seed gives one town.
"""

from __future__ import annotations

import copy

import numpy as np

from . import processes as proc
from .crises import CrisisSchedule
from .csos import CSOTable, draw_factors
from .network import build_network
from .policies import Government
from .population import make_population, neighbourhood_count
from .records import RetentionMemory
from .scenario import Scenario
from .series import FLOWS
from .streams import Streams
from .town import Town
from .town_size import initial_csos

INITIAL_TENURE_MEAN = 156.0
"""Mean tenure, in weeks, of the volunteers already active at the start (assumption)."""


def build_town(spec: Scenario, seed: int) -> Town:
    """The town of a resolved scenario, with one seed, before its first week.

    Args:
        spec: The resolved scenario.
        seed: The run's seed; every random stream is derived from it.

    Returns:
        The town, with the initial CSOs founded and the initial volunteers seeded.
    """
    p = copy.deepcopy(spec.params)  # events change the town's own copy, never the scenario
    streams = Streams(seed)
    pop = make_population(p, streams["population"])
    pp = p["population"]
    net = build_network(pop.nbhd, pop.group, neighbourhood_count(pp), pp["mean_degree"],
                        pp["local_ties"], pp["homophily"], streams["network"])
    crises = CrisisSchedule(p["crises"], p["weeks"], pop.base_need, streams["crises"])
    csos = CSOTable()
    town = Town(p=p, streams=streams, pop=pop, net=net, cso_table=csos,
                state=Government(p["state"], csos), crises=crises,
                has_arrivals=bool(pop.newcomer.any()), n_present=int(pop.present.sum()))
    town.present_neighbours = proc.present_neighbours(town)
    found_initial_csos(town)
    town.cso_slots = len(csos) + 4 * town.n_neighbourhoods + 16
    town.coverage = town.state.coverage(0, pop.newcomer)
    town.payments = np.zeros(len(csos))
    town.neighbour_share = np.zeros(pop.size)
    town.volunteer_neighbours = np.zeros(pop.size)
    seed_volunteers(town)
    town.retention = RetentionMemory(pop.size)
    return town


def found_initial_csos(town: Town) -> None:
    """Found the initial formal CSOs: ``csos.density`` per 10,000 citizens, spread over the town.

    Homes are a systematic sample of the neighbourhoods (one CSO in every ``K / n``, from a
    random start), so that the initial CSOs cover the town evenly whatever its size; each starts
    with ``initial_scale`` neighbourhoods and then extends (:func:`cover_town`) into the gaps
    between the catchments, as the catchment rule would over the years (assumption; ODD 7.7).
    """
    c = town.p["csos"]
    rng = town.streams["csos"]
    n = initial_csos(town.p)
    factors = draw_factors(c["factors"], c["factor_spread"], n, rng)
    start = rng.random()
    homes = np.minimum(((np.arange(n) + start) * town.n_neighbourhoods / max(n, 1)).astype(
        np.int64), town.n_neighbourhoods - 1)
    scale = min(c["initial_scale"], town.n_neighbourhoods)
    town.cso_table.add(factors, homes, 0, "initial", budget=c["initial_budget"], scale=scale)
    town.update_reach()
    cover_town(town)


def cover_town(town: Town) -> None:
    """Extend the initial catchments into the neighbourhoods that none of them serves.

    In rounds, every CSO whose next neighbourhood (:attr:`Town.frontier`) is still unserved adds
    it, until no CSO's next neighbourhood is unserved: the state that the catchment rule (growth
    only into unmet need, ODD 7.7) settles in, so that a run does not spend its first decade
    filling the gaps of an arbitrary layout. Deterministic: no random numbers are drawn.
    """
    csos = town.cso_table
    while True:
        served = town.pairs.served()
        grew = False
        for j in np.flatnonzero(csos.active & (town.frontier >= 0)):
            if not served[town.frontier[j]]:
                served[town.frontier[j]] = True
                csos.scale[j] += 1
                grew = True
        if not grew:
            return
        town.update_reach()


def seed_volunteers(town: Town) -> None:
    """Start with ``initial_share`` of citizens volunteering, the keenest most likely."""
    pop, rng = town.pop, town.streams["population"]
    u_pick, u_cso = rng.random((2, pop.size))
    tenure = rng.exponential(INITIAL_TENURE_MEAN, size=pop.size).astype(np.int64)
    weights = town.pairs.of(proc.attractiveness(town))
    reachable = town.pairs.cell_max(weights)[pop.cell] > 0
    keen = pop.disposition * pop.availability * pop.awareness * reachable * pop.present
    target = town.p["volunteering"]["initial_share"] * pop.present.sum()
    p = np.minimum(1.0, target * keen / keen.sum()) if keen.sum() > 0 else keen
    who = np.flatnonzero(u_pick < p)
    town.flows = dict.fromkeys(FLOWS, 0)
    proc.start_spells(town, who, town.pairs.choose(weights, pop.cell[who], u_cso[who]), 0)
    pop.spell_start[who] = -tenure[who]
