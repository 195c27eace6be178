"""``SolidarityModel``: the Mesa model and its weekly schedule."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from . import processes as proc
from .agents import CSO, Citizen, State
from .catchments import Catchments
from .crises import CrisisSchedule, CrisisWeek
from .csos import CSOTable, draw_factors
from .network import build_network
from .population import make_population
from .records import REPORTERS, RetentionMemory, SpellLog, measure
from .scenario import Scenario, load_scenario
from .streams import Streams

FLOW_KEYS = ("joins", "quits", "quits_burnout", "csos_founded", "csos_dissolved",
             "csos_formalised", "cso_money_at_dissolution")
INITIAL_TENURE_MEAN = 156.0
"""Mean tenure, in weeks, of the volunteers already active at the start (assumption)."""


def forget(model: mesa.Model) -> None:
    """Let a finished model be freed.

    Mesa 3.3 keeps every model alive through the class-level ``Agent._ids`` (one id counter per
    model), so a process that runs many models drops each one's entry when done with it. Mesa 3.5
    has no such table.
    """
    getattr(mesa.Agent, "_ids", {}).pop(model, None)


class SolidarityModel(mesa.Model):
    """Citizens, volunteers, CSOs and the state on a social network, one step per week.

    Args:
        scenario: A bundled scenario name, a TOML path, or a :class:`Scenario`.
        rng: The run's seed; every random stream is derived from it. None draws a fresh seed
            (recorded in ``self.seed``).
        **kwargs: Parameter overrides by dotted path, e.g. ``**{"csos.factors.meaning": 0.8}``
            (how ``mesa.batch_run`` and SolaraViz pass parameters).

    Attributes:
        spec: The validated scenario, overrides applied (``scenario`` is Mesa 3.5's).
        p: Its parameters (nested dict).
        pop: Citizen arrays (:class:`~solidarity_sim.model.population.Population`).
        net: The social network.
        cso_table: CSO arrays (:class:`~solidarity_sim.model.csos.CSOTable`).
        state: The :class:`~solidarity_sim.model.agents.State` agent.
        datacollector: Mesa ``DataCollector`` of the weekly model-level series.
        spells: Log of every volunteering spell.
    """

    def __init__(self, scenario: str | Scenario | None = "baseline", *, rng: Any = None,
                 **kwargs: Any):
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        super().__init__(rng=rng)
        self.seed = int(rng)
        self.spec = load_scenario(scenario, kwargs)
        self.p = self.spec.params
        self.streams = Streams(self.seed)
        self.week = 0
        self.flows: dict[str, Any] = {}

        self.pop = make_population(self.p, self.streams["population"])
        pop = self.pop
        self.n_neighbourhoods = self.p["population"]["neighbourhoods"]
        self.n_cells = 2 * self.n_neighbourhoods
        self.cell = pop.nbhd * 2 + pop.group
        pp = self.p["population"]
        self.net = build_network(pop.nbhd, pop.group, self.n_neighbourhoods,
                                 pp["mean_degree"], pp["local_ties"], pp["homophily"],
                                 self.streams["network"])
        self.crises = CrisisSchedule(self.p["crises"], self.p["weeks"], pop.base_need,
                                     self.streams["crises"])
        self.crisis = CrisisWeek(0.0, 0.0, 0.0, False)
        self.has_arrivals = bool(pop.newcomer.any())
        self.n_present = int(pop.present.sum())
        self.present_neighbours = proc.present_neighbours(self)
        self.state = State(self, self.p["state"])
        self.cso_table = CSOTable()
        self._citizen_views: list[Citizen | None] = [None] * pop.size
        self._cso_views: list[CSO] = []
        self._found_initial_csos()
        self.cso_slots = len(self.cso_table) + 4 * self.n_neighbourhoods + 16
        self.coverage = self.state.coverage(0, pop.newcomer)
        self.payments = np.zeros(len(self.cso_table))
        self.neighbour_share = np.zeros(pop.size)
        self.volunteer_neighbours = np.zeros(pop.size)
        self._seed_volunteers()

        self.spells = SpellLog()
        self.retention = RetentionMemory(pop.size)
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.running = True

    # -- set-up --------------------------------------------------------------------------------

    def _found_initial_csos(self) -> None:
        c = self.p["csos"]
        rng = self.streams["csos"]
        n = int(round(c["density"] * self.p["population"]["citizens"] / 10_000))
        factors = draw_factors(c["factors"], c["factor_spread"], n, rng)
        homes = rng.integers(0, self.n_neighbourhoods, size=n)
        scale = min(c["initial_scale"], self.n_neighbourhoods)
        self.cso_table.add(factors, homes, 0, formal=True, budget=c["initial_budget"], scale=scale)
        self.update_reach()

    def _seed_volunteers(self) -> None:
        """Start with ``initial_share`` of citizens volunteering, the keenest most likely."""
        pop, rng = self.pop, self.streams["population"]
        u_pick, u_cso = rng.random((2, pop.size))
        tenure = rng.exponential(INITIAL_TENURE_MEAN, size=pop.size).astype(np.int64)
        weights = self.pairs.of(proc.attractiveness(self))
        reachable = self.pairs.cell_max(weights)[self.cell] > 0
        keen = pop.disposition * pop.availability * pop.awareness * reachable * pop.present
        target = self.p["volunteering"]["initial_share"] * pop.present.sum()
        p = np.minimum(1.0, target * keen / keen.sum()) if keen.sum() > 0 else keen
        who = np.flatnonzero(u_pick < p)
        self.flows = dict.fromkeys(FLOW_KEYS, 0)
        proc.start_spells(self, who, self.pairs.choose(weights, self.cell[who], u_cso[who]), 0)
        pop.spell_start[who] = -tenure[who]

    # -- helpers used by the processes -------------------------------------------------------

    def draw_per_cso(self, stream: str) -> np.ndarray:
        """One uniform per CSO row, drawn in a fixed-size block so that runs stay aligned.

        The block has ``cso_slots`` numbers (more only if a run founds more CSOs than that).
        """
        return self.draw(stream, max(self.cso_slots, len(self.cso_table)))[:len(self.cso_table)]

    def draw(self, stream: str, n: int) -> np.ndarray:
        """``n`` uniform numbers from a named stream (drawn every week, whatever the state)."""
        return self.streams[stream].random(n, dtype=np.float32)

    def update_reach(self) -> None:
        """Recompute which neighbourhoods each active CSO serves (:attr:`pairs`)."""
        t = self.cso_table
        active = np.flatnonzero(t.active)
        served = [self.net.catchment(int(t.home[j]), int(t.scale[j])) for j in active]
        self.pairs = Catchments(np.repeat(active, [s.size for s in served]),
                                np.concatenate(served) if served else np.zeros(0, np.int64),
                                self.n_neighbourhoods)

    # -- the schedule ----------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one week.

        The processes run in this order (docs/sources.md; ODD 'Process overview and scheduling'):

        1. **Crises** set arrivals, need and availability for the week.
        2. **State** sets welfare coverage and pays CSOs by the funding policy and levers.
        3. **Awareness** spreads from volunteering neighbours, CSO outreach, crises and
           campaigns, and decays.
        4. **Recruitment**: bystanders join a reachable CSO.
        5. **Service**: CSO capacity (volunteers and paid staff) serves the need welfare leaves.
        6. **Wellbeing and retention**: fatigue, meaning and training change; volunteers may quit
           (burnout or other reasons); every spell is logged.
        7. **CSO dynamics**: legitimacy, recognition, donations, budgets, scale, dissolution.
        8. **Informal groups** may fold or, when old enough, formalise; in a crisis, new ones
           are founded.
        9. **Records**: the weekly series are collected.
        """
        t = self.week
        self.flows = dict.fromkeys(FLOW_KEYS, 0)
        proc.apply_crises(self, t)
        proc.state_acts(self, t)
        proc.spread_awareness(self, t)
        proc.recruit(self, t)
        proc.serve(self, t)
        proc.wellbeing_and_retention(self, t)
        proc.cso_dynamics(self, t)
        proc.emergence(self, t)
        self.state.close_week()
        self.flows["retention_12m"] = self.retention.push(t, self.pop.volunteer)
        self.flows["volunteers"] = int(np.count_nonzero(self.pop.volunteer))
        self.measures = measure(self)
        self.datacollector.collect(self)
        self.week += 1
        self._sync_cso_views()
        if self.week >= self.p["weeks"]:
            self.running = False

    def run(self, weeks: int | None = None) -> None:
        """Step to the scenario's horizon (or ``weeks`` more weeks)."""
        end = self.p["weeks"] if weeks is None else self.week + weeks
        while self.week < end:
            self.step()

    # -- Mesa agent views ------------------------------------------------------------------------

    def _sync_cso_views(self) -> None:
        for j in range(len(self._cso_views), len(self.cso_table)):
            self._cso_views.append(CSO(self, j))

    def cso_agent(self, j: int) -> CSO:
        """The Mesa agent of CSO row ``j``."""
        self._sync_cso_views()
        return self._cso_views[j]

    def citizen(self, i: int) -> Citizen:
        """The Mesa agent of citizen row ``i`` (made on first use)."""
        view = self._citizen_views[i]
        if view is None:
            view = self._citizen_views[i] = Citizen(self, i)
        return view

    @property
    def citizens(self) -> mesa.agent.AgentSet:
        """Every present citizen as a Mesa agent (views are made on first access)."""
        return mesa.agent.AgentSet(
            [self.citizen(int(i)) for i in np.flatnonzero(self.pop.present)], random=self.random)

    @property
    def volunteers(self) -> mesa.agent.AgentSet:
        """Citizens in the volunteer role."""
        return mesa.agent.AgentSet(
            [self.citizen(int(i)) for i in np.flatnonzero(self.pop.volunteer)],
            random=self.random)

    @property
    def csos(self) -> mesa.agent.AgentSet:
        """Active CSOs as Mesa agents."""
        self._sync_cso_views()
        return mesa.agent.AgentSet(
            [self._cso_views[j] for j in np.flatnonzero(self.cso_table.active)],
            random=self.random)
