"""A town built by hand: eight citizens on a ring of ties, two neighbourhoods, one CSO.

Small enough that each weekly process's effect can be worked out by hand; built from the real
arrays and classes of the model (no mocks), so a process runs on it exactly as in a full run.
"""

from __future__ import annotations

import copy

import numpy as np

from solidarity_sim.model import processes as proc
from solidarity_sim.model.crises import CrisisSchedule
from solidarity_sim.model.csos import CSOTable
from solidarity_sim.model.network import SocialNetwork, _adjacency, neighbourhood_grid
from solidarity_sim.model.policies import Government
from solidarity_sim.model.population import NEVER, Population
from solidarity_sim.model.records import RetentionMemory
from solidarity_sim.model.scenario import load_scenario
from solidarity_sim.model.series import FLOWS
from solidarity_sim.model.streams import Streams
from solidarity_sim.model.town import Town

N = 8
NBHD = np.array([0, 0, 0, 0, 1, 1, 1, 1])
GROUP = np.array([0, 0, 0, 1, 0, 0, 0, 1], dtype=np.int8)
"""Citizens 3 and 7 belong to the minority group."""
BASE_NEED = np.array([0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0])
RING = [(i, (i + 1) % N) for i in range(N)]
"""Each citizen is tied to the next one, round the ring (two ties each)."""


def tiny_town(seed: int = 0, crises: list[dict] | None = None, budget: float = 1000.0,
              factors: float = 0.5, **changes) -> Town:
    """The hand-built town; ``changes`` are dotted parameter overrides with ``__`` for ``.``."""
    overrides = {"population.citizens": N, "population.neighbourhoods": 2,
                 **{k.replace("__", "."): v for k, v in changes.items()}}
    if crises is not None:
        overrides["crises"] = crises
    p = copy.deepcopy(load_scenario(None, overrides).params)
    zeros, never = np.zeros(N), np.full(N, NEVER)
    pop = Population(
        nbhd=NBHD.copy(), group=GROUP.copy(), newcomer=np.zeros(N, bool),
        arrival=np.zeros(N, np.int64), present=np.ones(N, bool), base_need=BASE_NEED.copy(),
        need=BASE_NEED.copy(), disposition=np.full(N, 0.5), base_availability=np.full(N, 0.5),
        availability=np.full(N, 0.5), awareness=np.full(N, 0.5), volunteer=np.zeros(N, bool),
        cso=np.full(N, -1), spell_start=never.copy(), fatigue=zeros.copy(),
        meaning=zeros.copy(), trained=np.zeros(N, bool), served=zeros.copy(),
        last_served=never.copy(), provider_democracy=zeros.copy(), join_salience=zeros.copy(),
        cell=NBHD * 2 + GROUP)
    src, dst = (np.array(side) for side in zip(*RING, strict=True))
    net = SocialNetwork(_adjacency(src, dst, N), neighbourhood_grid(2))
    csos = CSOTable()
    csos.add(np.full((1, 8), factors), np.array([0]), 0, formal=True, budget=budget, scale=2)
    streams = Streams(seed)
    town = Town(p=p, streams=streams, pop=pop, net=net, cso_table=csos,
                state=Government(p["state"], csos),
                crises=CrisisSchedule(p["crises"], p["weeks"], pop.base_need, streams["crises"]),
                n_present=N, cso_slots=8)
    town.update_reach()
    town.coverage = town.state.coverage(0, pop.newcomer)
    town.payments = np.zeros(1)
    town.neighbour_share = np.zeros(N)
    town.volunteer_neighbours = np.zeros(N)
    town.present_neighbours = proc.present_neighbours(town)
    town.retention = RetentionMemory(N)
    town.flows = dict.fromkeys(FLOWS, 0)
    return town


def volunteer(town: Town, *who: int) -> None:
    """Make citizens volunteers of the town's CSO (row 0) now."""
    proc.start_spells(town, np.array(who), np.zeros(len(who), np.int64), town.week)
