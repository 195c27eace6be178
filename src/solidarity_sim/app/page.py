"""The classroom app: the model live in a browser (Mesa ``SolaraViz``), one model per session.

Start it with ``solidarity-sim app`` (see :mod:`solidarity_sim.cli.app`), which runs
``solara run solidarity_sim.app.page`` offline. Solara renders :func:`Page` once per browser
session, and :func:`Page` builds that session's own :class:`ClassroomModel`; nothing is shared
between sessions but the code.

:class:`ClassroomModel` is the :class:`~solidarity_sim.model.solidarity_model.SolidarityModel`
with what a class needs on top: a town sized for a projector, and interventions that act on the
running model now
(start a crisis, cut or restore public funding), each through the model's own mechanisms, so that
pressing a button in week ``w`` gives exactly the run that plans the same event for week ``w``
(same seed, same random numbers).
"""

from __future__ import annotations

import copy
import threading
import warnings
from typing import Any

import solara

warnings.filterwarnings(  # Mesa 3.3's ComponentsView trips Solara's hook check on import
    "ignore", message=r".*ComponentsView: `use_state` found despite early return")
warnings.filterwarnings(  # the page is served over plain http on this machine
    "ignore", message=r"Cookies with samesite=none require https")

from mesa.visualization import SolaraViz  # noqa: E402

from ..model.crises import CrisisSchedule, newcomer_count  # noqa: E402
from ..model.parameters import CRISIS_SCHEMA, FACTORS, FUNDING_POLICIES, SCHEMA  # noqa: E402
from ..model.scenario import Scenario, bundled_scenarios, check_value, load_scenario, validate  # noqa: E402
from ..model.solidarity_model import SolidarityModel  # noqa: E402
from ..model.streams import Streams  # noqa: E402
from .views import Dashboard  # noqa: E402

TITLE = "solidarity-sim · solidarity in a town"

SCENARIO_OWN = "as in the scenario"
"""Funding-policy choice that keeps the preset's own policy."""

CLASSROOM_TOWN = {"population.citizens": 1000, "population.neighbourhoods": 9,
                  "csos.density": 30.0}
"""The page's town: 1,000 citizens in a 3 x 3 grid of neighbourhoods with three CSOs. At this
size the default density (10 CSOs per 10,000 citizens) would leave one CSO reaching three of
twenty neighbourhoods; with nine neighbourhoods and three CSOs the baseline keeps about one
citizen in five volunteering and two thirds of volunteers a year later, as the full-size town."""

CLASSROOM_CRISES: dict[str, dict[str, Any]] = {
    "economic": {"kind": "economic"},
    "pandemic": {k: v for k, v in load_scenario("pandemic").params["crises"][0].items()
                 if k != "onset"},
    "migration": {"kind": "migration", "duration": 26},
}
"""What each crisis button starts: an economic crisis with the default severity, reach and
length (two years); the pandemic of the bundled ``pandemic`` scenario; newcomers (5 % of the
town) arriving over half a year. Unset keys take their defaults (``parameters.CRISIS_SCHEMA``)."""

FUNDING_CUT = 0.5
"""Share of public spending (civil-society budget, levers, welfare coverage) the cut removes."""

FACTOR_LABELS = {
    "democracy": "1 Democracy",
    "transparency": "2 Transparency",
    "pluralism": "3 Pluralism",
    "recognition": "4 Public profile",
    "legitimacy": "5 Showing impact",
    "scalability": "6 Managing growth",
    "awareness": "7 Outreach",
    "meaning": "8 Care (meaning)",
}
"""Short labels of the eight factors' sliders (the page's guide says what each means)."""

PLAY_INTERVAL_MS = 21
"""Pause between weeks while playing, in ms (SolaraViz's 'Play Interval' slider starts here).
With the step itself it gives about 20 weeks a second (measured in the browser, 1,000 citizens,
two cores), a ten-year run in under half a minute. The views redraw at their own pace
(``app_components.FRAME_SECONDS``), so this sets the model's speed alone."""

RENDER_INTERVAL = 1
"""Weeks per step (SolaraViz's 'Render Interval' slider): 'Step' advances one week."""


def complete_crisis(crisis: dict[str, Any], where: str = "classroom app") -> dict[str, Any]:
    """Fill a crisis table with the defaults and check every value."""
    full = {key: param.default for key, param in CRISIS_SCHEMA.items()} | crisis
    return {key: check_value(param, full[key], where, f"crises.{key}")
            for key, param in CRISIS_SCHEMA.items()}


def with_reserved_migration(spec: Scenario) -> Scenario:
    """Add a migration crisis planned for after the horizon, so that its newcomers have rows.

    Citizen arrays never grow (newcomers of a migration exist from the start and are absent until
    they arrive), so the migration button moves this crisis to the present instead of adding one.
    """
    params = copy.deepcopy(spec.params)
    params["crises"].append({**CLASSROOM_CRISES["migration"], "onset": params["weeks"]})
    validate(params, "classroom app")
    return Scenario(params, spec.origin, spec.overrides)


class ClassroomModel(SolidarityModel):
    """The model as the page runs it: a preset, overrides, interventions that act now.

    Args:
        preset: A bundled scenario name.
        rng: The seed.
        scenario: Ignored: Mesa 3.5's SolaraViz passes its own ``Scenario`` object here when it
            rebuilds the model (the preset is ``preset``).
        **kwargs: Parameter overrides by dotted path; ``state.funding.policy`` may be
            :data:`SCENARIO_OWN`.

    Attributes:
        lock: Held while the model steps or changes, so that buttons, which run in the server's
            request threads, never act in the middle of a week, and views never read one.
        events: ``(week, what)`` for each intervention, in order.
        changes: The controls set away from the page's defaults, as ``label value`` texts.
    """

    def __init__(self, preset: str = "baseline", *, rng: Any = 0, scenario: Any = None,
                 **kwargs: Any):
        controls = model_params()
        changes = [f"{controls[k]['label']} {v:g}" if isinstance(v, float) else
                   f"{controls[k]['label']} {v}"
                   for k, v in kwargs.items() if k in controls and controls[k]["value"] != v]
        if kwargs.get("state.funding.policy") == SCENARIO_OWN:
            del kwargs["state.funding.policy"]
        spec = load_scenario(preset, kwargs, where="classroom app")
        super().__init__(with_reserved_migration(spec), rng=rng)
        self.changes = changes
        self.lock = threading.RLock()
        self.events: list[tuple[int, str]] = []
        self._migration = len(self.p["crises"]) - 1

    def step(self) -> None:
        """Advance one week (holding :attr:`lock`)."""
        with self.lock:
            super().step()

    # -- interventions ---------------------------------------------------------------------------

    @property
    def migration_available(self) -> bool:
        """The reserved migration has not been started yet."""
        return self.p["crises"][self._migration]["onset"] >= self.p["weeks"]

    @property
    def funding_cut(self) -> bool:
        """Public spending is cut this week."""
        return self.state.austerity(self.week) < 1.0

    def start_crisis(self, kind: str) -> None:
        """Start a crisis of ``kind`` (economic, migration, pandemic) this week.

        An economic crisis or a pandemic is added to the scenario's crisis tables; a migration
        moves the reserved one (and its newcomers' arrival weeks) to this week. The crisis
        schedule is then rebuilt as the model's constructor builds it, from a fresh ``crises``
        stream, so that the run is the one that planned the crisis for this week from the start.

        Raises:
            ValueError: ``kind`` is not a crisis kind, or the migration was already started.
        """
        if kind not in CLASSROOM_CRISES:
            raise ValueError(f"unknown crisis kind {kind!r}; allowed: "
                             f"{', '.join(CLASSROOM_CRISES)}")
        with self.lock:
            if kind == "migration":
                self._move_migration()
            else:
                self.p["crises"].append(complete_crisis({**CLASSROOM_CRISES[kind],
                                                         "onset": self.week}))
            self.crises = CrisisSchedule(self.p["crises"], self.p["weeks"], self.pop.base_need,
                                         Streams(self.seed)["crises"])
            self.events.append((self.week, f"{kind} crisis"))

    def _move_migration(self) -> None:
        if not self.migration_available:
            raise ValueError("the migration crisis has already started; reset to start another")
        crisis = self.p["crises"][self._migration]
        count = newcomer_count(crisis, self.p["population"]["citizens"])
        rows = slice(self.pop.size - count, self.pop.size)  # the last crisis's newcomers
        self.pop.arrival[rows] += self.week - crisis["onset"]
        crisis["onset"] = self.week

    def cut_funding(self) -> None:
        """Cut public spending by :data:`FUNDING_CUT` from this week (the austerity lever)."""
        self._austerity(FUNDING_CUT, f"public spending cut by {FUNDING_CUT:.0%}")

    def restore_funding(self) -> None:
        """End any austerity cut from this week."""
        self._austerity(0.0, "public spending restored")

    def _austerity(self, cut: float, what: str) -> None:
        with self.lock:
            self.p["state"]["austerity"].update(start=self.week, cut=cut)
            self.events.append((self.week, what))


# -- the page ----------------------------------------------------------------------------------


def model_params() -> dict[str, Any]:
    """The page's controls, in SolaraViz's ``model_params`` form (dotted paths as names)."""
    factors = SCHEMA["csos"]["factors"]
    coverage = SCHEMA["state"]["welfare_coverage"]
    return {
        "preset": {"type": "Select", "value": "baseline", "values": list(bundled_scenarios()),
                   "label": "Scenario"},
        "rng": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1,
                "label": "Seed"},
        "population.citizens": {"type": "SliderInt", "label": "Citizens",
                                "value": CLASSROOM_TOWN["population.citizens"],
                                "min": 200, "max": 5000, "step": 100},
        "population.neighbourhoods": {"type": "SliderInt", "label": "Neighbourhoods",
                                      "value": CLASSROOM_TOWN["population.neighbourhoods"],
                                      "min": 1, "max": 25, "step": 1},
        "csos.density": {"type": "SliderInt", "label": "CSOs per 10,000 citizens",
                         "value": int(CLASSROOM_TOWN["csos.density"]), "min": 10, "max": 100,
                         "step": 5},
        **{f"csos.factors.{f}": {"type": "SliderFloat", "label": FACTOR_LABELS[f],
                                 "value": factors[f].default, "min": 0.0, "max": 1.0,
                                 "step": 0.05}
           for f in FACTORS},
        "state.funding.policy": {"type": "Select", "label": "Public funding of CSOs",
                                 "value": SCENARIO_OWN,
                                 "values": [SCENARIO_OWN, *FUNDING_POLICIES]},
        "state.welfare_coverage": {"type": "SliderFloat", "label": "Welfare coverage",
                                   "value": coverage.default,
                                   "min": 0.0, "max": 1.0, "step": 0.05},
    }


def initial_kwargs(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments the page's controls start at."""
    return {name: spec["value"] for name, spec in (params or model_params()).items()}


@solara.component
def Page():  # noqa: N802 (Solara finds the page by this name)
    """The page of one browser session: its own model, SolaraViz's controls, and the views.

    SolaraViz draws the title bar and the sidebar (step, play, pause, reset and the model's
    controls); the main area is :func:`~solidarity_sim.app.views.Dashboard`.
    """
    params = solara.use_memo(model_params, [])
    first = solara.use_memo(lambda: ClassroomModel(**initial_kwargs(params)), [])
    model = solara.use_reactive(first)  # SolaraViz's Reset replaces it
    with solara.Column(gap="0px") as page:
        SolaraViz(model, components=[], model_params=params, name=TITLE,
                  play_interval=PLAY_INTERVAL_MS, render_interval=RENDER_INTERVAL)
        Dashboard(model.value)
    return page
