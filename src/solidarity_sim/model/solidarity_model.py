"""``SolidarityModel``: the Mesa model, its weekly schedule and its interventions."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from . import interventions
from . import processes as proc
from .agents import CSO, Citizen, State
from .build import build_town
from .events import Event, make_event
from .scenario import Scenario, ScenarioError, load_scenario
from .series import FLOWS, reporters, week_row


class WeeklySeries(mesa.DataCollector):
    """Mesa's ``DataCollector`` of the weekly series, one model reporter per series.

    A week's values are numbers measured once, by :func:`week_row` (``model.last_row``), so it
    stores them as they are: Mesa's own ``collect`` would call every reporter and deep-copy its
    value, which costs more than measuring the week.
    """

    def __init__(self):
        super().__init__(model_reporters=reporters())

    def collect(self, model: Any) -> None:
        """Store the week just simulated (``model.last_row``)."""
        if hasattr(self, "_collection_steps"):  # Mesa 3.5 keeps the time of every collection
            self._collection_steps.append(model.time)
        for name, value in model.last_row.items():
            self.model_vars[name].append(value)


def forget(model: mesa.Model) -> None:
    """Let a finished model be freed.

    Mesa 3.3 keeps every model alive through the class-level ``Agent._ids`` (one id counter per
    model), so a process that runs many models drops each one's entry when done with it. Mesa 3.5
    has no such table.
    """
    getattr(mesa.Agent, "_ids", {}).pop(model, None)


def mesa_scenario_values(scenario: Any) -> tuple[Any, dict[str, Any]]:
    """The seed and parameter overrides a Mesa 3.5 ``Scenario`` carries (its own attributes).

    Mesa 3.5's SolaraViz passes one as ``scenario=`` when it rebuilds the model (Reset); our
    parameters then come as dotted keyword arguments, so it is usually empty.
    """
    if scenario is None:
        return None, {}
    values = {k: v for k, v in vars(scenario).items() if not k.startswith("_") and k != "model"}
    return values.pop("rng", None), values


class SolidarityModel(mesa.Model):
    """Citizens, volunteers, CSOs and the state on a social network, one step per week.

    Args:
        preset: A bundled scenario name, a TOML path, or a :class:`Scenario` (already resolved:
            it is used as it is).
        rng: The run's seed; every random stream is derived from it. None draws a fresh seed
            (recorded in :attr:`seed`).
        scenario: A Mesa 3.5 ``mesa.experimental.scenarios.Scenario`` (what SolaraViz's Reset
            passes): its ``rng`` is the seed if ``rng`` is not given, and its other attributes
            are dotted parameter overrides. Not our scenario files: those are ``preset``.
        **kwargs: Parameter overrides by dotted path, e.g. ``**{"csos.factors.meaning": 0.8}``
            (how ``mesa.batch_run`` and SolaraViz pass parameters).

    After ``step()`` simulated week ``w``, :attr:`week` is ``w + 1`` (the week the next step
    simulates), and the last row of :attr:`datacollector` is week ``w``'s.

    Attributes:
        spec: The resolved scenario, overrides applied (Mesa 3.5's own is ``scenario``).
        town: The state of the run (:class:`~.town.Town`): citizens, network, CSOs, the state,
            crises and this week's flows; the weekly processes act on it.
        state: The state as a Mesa agent (a view over ``town.state``).
        events: Every event applied so far, scheduled and interventions, in order.
        lock: Held while a week is simulated or an intervention applied, so that another thread
            (a page's buttons) never acts in the middle of a week.
        last_row: The weekly series of the week just simulated (:func:`.series.week_row`;
            empty before the first step): the row the DataCollector's reporters read.
        datacollector: Mesa ``DataCollector`` of the weekly series (:mod:`.series`).
    """

    def __init__(self, preset: str | Path | Scenario | None = "baseline", *, rng: Any = None,
                 scenario: Any = None, **kwargs: Any):
        mesa_rng, overrides = mesa_scenario_values(scenario)
        rng = mesa_rng if rng is None else rng
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        super().__init__(rng=rng)
        self.seed = int(rng)
        overrides.update(kwargs)
        self.spec = preset if isinstance(preset, Scenario) and not overrides else load_scenario(
            preset, overrides)
        self.town = build_town(self.spec, self.seed)
        self.state = State(self, self.town.state)
        self.events: list[Event] = []
        self._scheduled: dict[int, list[Event]] = {}
        for i, table in enumerate(self.spec.params["events"]):
            event = make_event(table, self.spec.origin, f"events.{i}")
            self._scheduled.setdefault(event.week, []).append(event)
        self.lock = threading.RLock()
        self._citizen_views: list[Citizen | None] = []
        self._cso_views: list[CSO] = []
        self.last_row: dict[str, float] = {}
        self.datacollector = WeeklySeries()
        self.running = True

    # -- what the processes and the agents read ---------------------------------------------

    p = property(lambda self: self.town.p, doc="The run's parameters (nested dict).")
    pop = property(lambda self: self.town.pop, doc="Citizen arrays.")
    net = property(lambda self: self.town.net, doc="The social network.")
    cso_table = property(lambda self: self.town.cso_table, doc="CSO arrays.")
    week = property(lambda self: self.town.week, doc="The week the next step simulates.")
    n_present = property(lambda self: self.town.n_present, doc="Citizens living here now.")
    spells = property(lambda self: self.town.spells, doc="The log of ended spells.")
    flows = property(lambda self: self.town.flows, doc="The last week's flows.")
    n_neighbourhoods = property(lambda self: self.town.n_neighbourhoods,
                                doc="Number of neighbourhoods.")
    crises = property(lambda self: self.town.crises, doc="The crisis schedule.")
    pairs = property(lambda self: self.town.pairs, doc="The CSOs' catchments (CSO, cell) pairs.")
    cell = property(lambda self: self.town.cell, doc="Each citizen's neighbourhood x group cell.")

    # -- the schedule ----------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one week.

        First the events scheduled for the week happen (:mod:`.interventions`); then the
        processes run in this order (ODD 'Process overview and scheduling'):

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
        9. **Records**: the state closes its week's spending, the 12-month retention is
           computed, and the DataCollector records the week's row (:attr:`last_row`).

        Then :attr:`week` advances: after ``step()`` simulated week ``w``, :attr:`week` is
        ``w + 1`` and the DataCollector's last row is week ``w``'s, the week just simulated
        (its ``week`` column is ``w``). The series are measured after the week's processes, so
        the row describes the end of that week.
        """
        with self.lock:
            town = self.town
            t = town.week
            for event in self._scheduled.pop(t, ()):
                self._apply(event)
            town.flows = dict.fromkeys(FLOWS, 0)
            proc.apply_crises(town, t)
            proc.state_acts(town, t)
            proc.spread_awareness(town, t)
            proc.recruit(town, t)
            proc.serve(town, t)
            proc.wellbeing_and_retention(town, t)
            proc.cso_dynamics(town, t)
            proc.emergence(town, t)
            town.state.close_week()
            town.flows["retention_12m"] = town.retention.push(t, town.pop.volunteer)
            self.last_row = week_row(town)
            self.datacollector.collect(self)
            town.week += 1
            self._sync_cso_views()
            if town.week >= town.p["weeks"]:
                self.running = False

    def run(self, weeks: int | None = None) -> None:
        """Step to the scenario's horizon (or ``weeks`` more weeks)."""
        end = self.p["weeks"] if weeks is None else self.week + weeks
        while self.week < end:
            self.step()

    # -- interventions -----------------------------------------------------------------------

    def intervene(self, table: dict[str, Any]) -> Event:
        """Apply an event now: ``{KIND: detail}`` (see :mod:`.events`); return it.

        The event happens at the start of week :attr:`week`, before its processes: exactly as
        the same event scheduled for that week in the scenario's ``[[events]]``.

        Raises:
            ScenarioError: The event, one of its keys or values is not allowed.
        """
        with self.lock:
            if "week" in table and table["week"] != self.week:
                raise ScenarioError(f"intervention: key 'week': value {table['week']!r} is not "
                                    f"allowed; an intervention happens now, in week {self.week}"
                                    " (schedule later events in the scenario's [[events]])")
            event = make_event({**table, "week": self.week}, "intervention", "intervention",
                               origin="intervention")
            self._apply(event)
            return event

    def start_crisis(self, kind: str, **keys: Any) -> Event:
        """Start a crisis of ``kind`` (economic, migration, pandemic) now.

        Args:
            kind: The crisis kind.
            **keys: Other keys of a crisis table (severity, duration, reach, ...); the rest
                take their defaults.
        """
        return self.intervene({"crisis": {"kind": kind, **keys}})

    def set_policy(self, policy: str | None = None, budget: float | None = None) -> Event:
        """Change the funding policy and/or its budget (€/citizen/year) from now."""
        changes = {"state.funding.policy": policy, "state.funding.budget": budget}
        return self.intervene({"set": {k: v for k, v in changes.items() if v is not None}})

    def set_lever(self, lever: str, value: float) -> Event:
        """Set one lever (a key of ``state.levers``, e.g. ``awareness_campaign``) from now."""
        return self.intervene({"set": {f"state.levers.{lever}": value}})

    def set_austerity(self, cut: float) -> Event:
        """Cut the civil-society budget, the levers and welfare coverage by ``cut`` from now."""
        return self.intervene({"set": {"state.austerity.cut": cut,
                                       "state.austerity.start": self.week}})

    def set_practice(self, cso: int, **levels: float) -> Event:
        """Set CSO row ``cso``'s practice levels of some of the eight factors from now."""
        return self.intervene({"practice": {"cso": cso, **levels}})

    def _apply(self, event: Event) -> None:
        interventions.apply(self.town, event)
        self.events.append(event)

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
        if i >= len(self._citizen_views):  # newcomers added since the last look
            self._citizen_views.extend([None] * (self.pop.size - len(self._citizen_views)))
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
