"""The classroom page's model: the controls' choices on top of :class:`SolidarityModel`.

:class:`ClassroomModel` is what the page's controls build (called with their values, as
Mesa's SolaraViz would) and what its buttons act on; the buttons go through the model's own
interventions.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..model.events import Event
from ..model.parameters import FACTORS, FUNDING_POLICIES, SCHEMA
from ..model.scenario import Scenario, bundled_scenarios, load_scenario
from ..model.solidarity_model import SolidarityModel, forget

SCENARIO_OWN = "as in the scenario"
"""Funding-policy choice that keeps the preset's own policy."""

CLASSROOM_CITIZENS = 3000
"""The page's first town size: 3,000 citizens, so twelve neighbourhoods and three CSOs at the
model's defaults. Everything else is the scenario's own defaults, as in every other entry
point; the size is a slider."""

CLASSROOM_CRISES: dict[str, dict[str, Any]] = {
    "economic": {},
    "pandemic": {"from_scenario": "pandemic"},
    "migration": {"duration": 26},
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

def crisis_keys(kind: str) -> dict[str, Any]:
    """The crisis table a button starts (without its onset: it starts now)."""
    keys = dict(CLASSROOM_CRISES[kind])
    preset = keys.pop("from_scenario", None)
    if preset is not None:  # read when the button is first pressed, not at import
        crisis = next(c for c in load_scenario(preset).params["crises"] if c["kind"] == kind)
        keys = {k: v for k, v in crisis.items() if k not in ("kind", "onset")}
    return keys


class ClassroomModel(SolidarityModel):
    """The model as the page's controls build it; everything else is :class:`SolidarityModel`'s.

    It adds only what the controls need: the funding choice :data:`SCENARIO_OWN` (keep the
    preset's own policy), the list of controls set away from their defaults (for the page's
    title), and the buttons' actions in words. The buttons act through the model's own
    interventions (``start_crisis``, ``set_austerity``), so pressing one in week ``w`` gives
    exactly the run whose scenario schedules the same event for week ``w``.

    Args:
        preset: A bundled scenario name.
        rng: The seed.
        scenario: Mesa 3.5's ``Scenario`` (what SolaraViz's Reset passes; see the model).
        **kwargs: Parameter overrides by dotted path; ``state.funding.policy`` may be
            :data:`SCENARIO_OWN`.

    Attributes:
        changes: The controls set away from the page's defaults, as ``label value`` texts.
    """

    def __init__(self, preset: str = "baseline", *, rng: Any = 0, scenario: Any = None,
                 **kwargs: Any):
        controls = model_params()
        self.changes = [f"{controls[k]['label']} {v:g}" if isinstance(v, float) else
                        f"{controls[k]['label']} {v}"
                        for k, v in kwargs.items() if k in controls and controls[k]["value"] != v]
        if kwargs.get("state.funding.policy") == SCENARIO_OWN:
            del kwargs["state.funding.policy"]
        super().__init__(preset, rng=rng, scenario=scenario, **kwargs)

    @property
    def funding_cut(self) -> bool:
        """Public spending is cut this week."""
        return self.town.state.austerity(self.week) < 1.0

    def press(self, kind: str) -> None:
        """Start a crisis of ``kind`` now (a crisis button).

        Raises:
            ValueError: ``kind`` is not one of the buttons' crises.
        """
        if kind not in CLASSROOM_CRISES:
            raise ValueError(f"unknown crisis kind {kind!r}; allowed: "
                             f"{', '.join(CLASSROOM_CRISES)}")
        self.start_crisis(kind, **crisis_keys(kind))

    def cut_funding(self) -> None:
        """Cut public spending by :data:`FUNDING_CUT` from this week (the austerity lever)."""
        self.set_austerity(FUNDING_CUT)

    def restore_funding(self) -> None:
        """End any austerity cut from this week."""
        self.set_austerity(0.0)

    def replay(self) -> SolidarityModel:
        """A new model of the same run: this one's scenario with its interventions scheduled.

        Stepped to this model's week, it gives the same weeks: an intervention in week ``w``
        is exactly the event scheduled for week ``w``.
        """
        params = copy.deepcopy(self.spec.params)
        params["events"] = [*params["events"], *(e.as_table() for e in self.events
                                                 if e.origin == "intervention")]
        return SolidarityModel(Scenario(params), rng=self.seed)

    def film(self, path: str | Path) -> int:
        """Write a film of the run so far; return its number of frames (one a week).

        The film (:class:`~solidarity_sim.viz.film.Film`) is drawn from :meth:`replay`.
        """
        from ..viz.film import Film

        title = " · ".join([self.spec.name, f"seed {self.seed}", *self.changes])
        replay = self.replay()
        with Film(path, title=title, weeks=self.p["weeks"]) as film:
            try:
                while replay.week < self.week:
                    replay.step()
                    film.add(replay.town, replay.seed, replay.datacollector.model_vars)
            finally:
                forget(replay)
        return film.frames


def event_label(event: Event) -> str:
    """An event in the page's words, e.g. ``economic crisis``, ``public spending cut by 50%``."""
    cut = event.detail.get("state.austerity.cut") if event.kind == "set" else None
    if cut is None:
        return event.describe()
    return f"public spending cut by {cut:.0%}" if cut > 0 else "public spending restored"


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
                                "value": CLASSROOM_CITIZENS, "min": 500, "max": 10000,
                                "step": 500},
        "csos.density": {"type": "SliderInt", "label": "CSOs per 10,000 citizens",
                         "value": int(SCHEMA["csos"]["density"].default), "min": 5, "max": 40,
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
