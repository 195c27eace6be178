"""The weekly series of a run, declared once: name, unit, meaning and how each is measured.

Measurements are pure functions of the town, gathered in one place (:func:`week_row`, run once a
week, after the week's processes); Mesa's ``DataCollector``
(:class:`~solidarity_sim.model.solidarity_model.WeeklySeries`) collects them through
:func:`reporters`. *Flows* (joins, quits, need met, ...) are added up by the processes during the
week in ``town.flows``; the other series are read from the arrays. Nothing here changes state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .policies import SPENDING_ITEMS
from .records import gini, mean, mean_sd

if TYPE_CHECKING:
    from .town import Town

SPENDING_COLUMNS = tuple(f"spending_{item}" for item in SPENDING_ITEMS)


class Week:
    """What several weekly measurements share, computed once (after the week's processes ran).

    Args:
        town: The town.
    """

    def __init__(self, town: Town):
        from . import kernels  # not at the top: reading the series' names needs no Numba

        pop, csos = town.pop, town.cso_table
        self.town = town
        self.active = csos.active
        self.recognition = mean_sd(csos.recognition[self.active])
        self.present = max(town.n_present, 1)
        (self.volunteers, self.minority_volunteers, self.minority_present,
         self.in_formal) = kernels.volunteer_counts(pop.volunteer, pop.present, pop.group,
                                                    pop.cso, csos.formal)


@dataclass(frozen=True)
class Series:
    """One weekly series: a column of the run's ``timeseries`` table.

    Attributes:
        name: Column name.
        unit: Unit of the values.
        doc: What it measures.
        value: Computes it from the :class:`Week`; None for a *flow*, which the processes add up
            in ``town.flows`` during the week (reset to 0 at the start of every week).
    """

    name: str
    unit: str
    doc: str
    value: Callable[[Week], float] | None = None

    @property
    def is_flow(self) -> bool:
        """The processes record it during the week (it is a key of ``town.flows``)."""
        return self.value is None


def _spending(item: str) -> Series:
    return Series(f"spending_{item}", "€/week", f"State spending on {item} this week.",
                  lambda w: w.town.state.spending.amounts[item])


SERIES: tuple[Series, ...] = (
    Series("week", "week", "The week simulated (0 is the first).", lambda w: w.town.week),
    Series("citizens", "citizens", "Citizens living here (present).", lambda w: w.town.n_present),
    Series("volunteers", "citizens", "Citizens volunteering at the end of the week.",
           lambda w: w.volunteers),
    Series("volunteer_share", "share", "Share of present citizens who volunteer.",
           lambda w: w.volunteers / w.present),
    Series("minority_volunteer_share", "share",
           "Share of present minority citizens who volunteer.",
           lambda w: w.minority_volunteers / max(w.minority_present, 1)),
    Series("formal_volunteer_share", "share",
           "Share of present citizens who volunteer in a formal association.",
           lambda w: w.in_formal / w.present),
    Series("informal_volunteer_share", "share",
           "Share of present citizens who volunteer in an informal group (mutual aid).",
           lambda w: (w.volunteers - w.in_formal) / w.present),
    Series("volunteers_deployed", "volunteers",
           "Volunteers weighted by their CSO's load (at most 1): those with work to do.",
           lambda w: float(w.town.cso_table.volunteers @ np.minimum(1.0, w.town.cso_table.load))),
    Series("joins", "citizens/week", "Bystanders who started volunteering this week."),
    Series("quits", "citizens/week", "Volunteers who stopped this week (any reason)."),
    Series("quits_burnout", "citizens/week", "Volunteers who stopped this week from burnout."),
    Series("retention_12m", "share",
           "Share of those volunteering 52 weeks ago who volunteer now (missing in year 1)."),
    Series("mean_tenure", "weeks", "Mean length so far of the current volunteers' spells."),
    Series("fatigue_mean", "level 0-1", "Mean fatigue of the current volunteers."),
    Series("awareness_mean", "level 0-1", "Mean awareness of present citizens.",
           lambda w: float(w.town.pop.awareness @ w.town.pop.present) / w.present),
    Series("csos_active", "CSOs", "Active CSOs, formal and informal.",
           lambda w: int(w.active.sum())),
    Series("csos_formal", "CSOs", "Active formal associations.",
           lambda w: int((w.active & w.town.cso_table.formal).sum())),
    Series("csos_informal", "CSOs", "Active informal groups.",
           lambda w: int((w.active & ~w.town.cso_table.formal).sum())),
    Series("csos_founded", "CSOs/week",
           "CSOs founded this week: informal groups (in crises) and new associations."),
    Series("csos_dissolved", "CSOs/week", "CSOs that closed, dissolved or folded this week."),
    Series("csos_formalised", "CSOs/week", "Informal groups that became associations this week."),
    Series("cso_money_at_dissolution", "€/week",
           "Money held by the CSOs that dissolved this week (it leaves the CSO sector)."),
    Series("cso_money_at_founding", "€/week",
           "Money the associations founded this week start with (their founders' own)."),
    Series("recognition_mean", "level 0-1", "Mean social recognition of active CSOs.",
           lambda w: w.recognition[0]),
    Series("recognition_sd", "level 0-1", "Spread (sd) of active CSOs' recognition.",
           lambda w: w.recognition[1]),
    Series("scale_mean", "neighbourhoods", "Mean catchment of active CSOs.",
           lambda w: mean(w.town.cso_table.scale[w.active])),
    Series("load_mean", "ratio", "Mean load (demand / capacity) of active CSOs.",
           lambda w: mean(w.town.cso_table.load[w.active])),
    Series("capacity_total", "need units/week", "Need all CSOs could serve this week.",
           lambda w: float(w.town.cso_table.capacity.sum())),
    Series("capacity_gini", "0-1", "Gini coefficient of active CSOs' capacity.",
           lambda w: gini(w.town.cso_table.capacity[w.active])),
    Series("need_total", "need units/week", "Material need of present citizens."),
    Series("need_met_state", "need units/week", "Need met by public welfare."),
    Series("need_met_csos", "need units/week", "Need met by CSOs."),
    Series("unmet_need", "need units/week", "Need met neither by welfare nor by CSOs.",
           lambda w: (w.town.flows["need_total"] - w.town.flows["need_met_state"]
                      - w.town.flows["need_met_csos"])),
    Series("need_minority", "need units/week", "Material need of the minority group."),
    Series("unmet_need_minority", "need units/week", "Unmet need of the minority group."),
    Series("beneficiaries", "citizens", "Citizens a CSO served this week."),
    Series("welfare_coverage", "share", "Share of a resident's need met by welfare.",
           lambda w: w.town.state.welfare_coverage),
    Series("state_spending", "€/week", "State spending on civil society this week, all items.",
           lambda w: w.town.state.spending.total),
    *(_spending(item) for item in SPENDING_ITEMS),
    Series("donations", "€/week", "Private donations to CSOs."),
    Series("cso_income", "€/week", "CSOs' income: public payments and donations."),
    Series("cso_spend", "€/week", "CSOs' spending on staff and goods."),
    Series("cso_budget_total", "€", "Money all CSOs hold at the end of the week.",
           lambda w: float(w.town.cso_table.budget.sum())),
    Series("crisis_intensity", "level 0-1", "Largest intensity of the crises this week.",
           lambda w: w.town.crisis.intensity),
    Series("crisis_salience", "level 0-1", "Public salience of the crises this week.",
           lambda w: w.town.crisis.salience),
)
"""Every weekly series, in column order: the one declaration of the run's ``timeseries``."""

COLUMNS = tuple(s.name for s in SERIES)
"""The weekly series' names, in column order."""

FLOWS = tuple(s.name for s in SERIES if s.is_flow)
"""The series the processes record during the week (keys of ``town.flows``)."""


def week_row(town: Town) -> dict[str, float]:
    """The ``timeseries`` row of the week just simulated: every series, in column order."""
    week = Week(town)
    flows = town.flows
    return {s.name: flows[s.name] if s.value is None else s.value(week) for s in SERIES}


def reporters() -> dict[str, Callable[[Any], float]]:
    """Mesa ``DataCollector`` model reporters, one per series: each reads ``model.last_row``."""
    return {name: _reporter(name) for name in COLUMNS}


def _reporter(name: str) -> Callable[[Any], float]:
    return lambda model: model.last_row[name]
