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
from solidarity_sim.model.network import SocialNetwork, neighbourhood_grid, tie_arrays
from solidarity_sim.model.parameters import FACTORS
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
    """The hand-built town, before its first week (``week`` 0), with the default parameters.

    Eight citizens, 0-3 in neighbourhood 0 and 4-7 in neighbourhood 1, each tied to the next
    round a ring; 3 and 7 in the minority group; 1, 3 and 5 in need (0.5 need units); every
    disposition, availability and awareness 0.5; all present, nobody volunteering. One formal CSO
    (row 0) at home in neighbourhood 0 serving both (scale 2), every practice level ``factors``,
    legitimacy and recognition half its legitimacy practice, ``budget`` €. No crisis unless
    ``crises`` lists some; the streams are those of ``seed``, not yet drawn from.

    Args:
        seed: The run's seed.
        crises: The scenario's ``[[crises]]`` tables.
        budget: The CSO's money, in €.
        factors: The CSO's level of each of the eight practices.
        **changes: Dotted parameter overrides, with ``__`` for ``.``.
    """
    overrides = {"population.neighbourhoods": 2,
                 **{k.replace("__", "."): v for k, v in changes.items()}}
    if crises is not None:
        overrides["crises"] = crises
    p = copy.deepcopy(load_scenario(None, overrides).params)
    p["population"]["citizens"] = N  # below a scenario's smallest town (10): set after the check
    zeros, never = np.zeros(N), np.full(N, NEVER)
    pop = Population(
        nbhd=NBHD.copy(), group=GROUP.copy(), newcomer=np.zeros(N, bool),
        arrival=np.zeros(N, np.int64), present=np.ones(N, bool), base_need=BASE_NEED.copy(),
        need=BASE_NEED.copy(), disposition=np.full(N, 0.5), base_availability=np.full(N, 0.5),
        availability=np.full(N, 0.5), awareness=np.full(N, 0.5), volunteer=np.zeros(N, bool),
        cso=np.full(N, -1), spell_start=never.copy(), fatigue=zeros.copy(),
        meaning=zeros.copy(), trained=np.zeros(N, bool), served=zeros.copy(),
        last_served=never.copy(), provider_democracy=zeros.copy(), join_motivation=zeros.copy(),
        recognised=np.zeros(N, np.float32), cell=NBHD * 2 + GROUP)
    src, dst = (np.array(side) for side in zip(*RING, strict=True))
    net = SocialNetwork(*tie_arrays(src, dst, N), neighbourhood_grid(2))
    csos = CSOTable()
    csos.add(np.full((1, 8), factors), np.array([0]), 0, "initial", budget=budget, scale=2)
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
    new_week(town)
    return town


def add_cso(town: Town, home: int, scale: int = 1, formal: bool = True, budget: float = 0.0,
            factors: float | dict[str, float] = 0.5) -> int:
    """Found one more CSO in week ``town.week``; return its row.

    ``factors`` is one level for all eight factors or a level per factor (e.g.
    ``INFORMAL_PROFILE``). Its catchment counts at once; it is paid nothing this week.
    """
    levels = np.array([[factors[f] if isinstance(factors, dict) else factors for f in FACTORS]])
    row = int(town.cso_table.add(levels, np.array([home]), town.week,
                                 "initial" if formal else "emerged", budget=budget,
                                 scale=scale)[0])
    town.payments = np.zeros(len(town.cso_table))
    town.update_reach()
    return row


def new_week(town: Town) -> None:
    """Start counting the week's flows afresh, as ``SolidarityModel.step`` does."""
    town.flows = dict.fromkeys(FLOWS, 0)


def volunteer(town: Town, *who: int, cso: int = 0) -> None:
    """Make citizens volunteers of CSO row ``cso`` (the town's first CSO unless given) now."""
    proc.start_spells(town, np.array(who), np.full(len(who), cso, np.int64), town.week)
