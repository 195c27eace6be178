"""Mesa agents: citizens and CSOs are thin views over arrays; the state is an ordinary agent.

A ``Citizen`` or ``CSO`` holds only its row number; every attribute reads the model's arrays, so
Mesa tools (AgentSets, ``agg``, ``select``, the visualisation) see live agents while the weekly
processes stay vectorised. Citizen views are made on demand (see ``SolidarityModel.citizens``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .csos import F
from .policies import (
    FUNDING,
    Spending,
    emergency_funds,
    network_strength,
    recognition_awards,
    weekly,
)

if TYPE_CHECKING:
    from .solidarity_model import SolidarityModel


class Role(IntEnum):
    """What a citizen is doing this week."""

    BYSTANDER = 0
    VOLUNTEER = 1
    BENEFICIARY = 2


def roles(pop) -> np.ndarray:
    """Role of each citizen: volunteer, else beneficiary if served this week, else bystander."""
    role = np.where(pop.served > 0, Role.BENEFICIARY, Role.BYSTANDER)
    return np.where(pop.volunteer, Role.VOLUNTEER, role)


class Citizen(mesa.Agent):
    """A person; a view over row ``index`` of ``model.pop``."""

    def __init__(self, model: SolidarityModel, index: int):
        super().__init__(model)
        self.index = index

    def _get(self, name: str):
        return getattr(self.model.pop, name)[self.index]

    role = property(lambda self: roles_one(self.model.pop, self.index),
                    doc="Bystander, volunteer or beneficiary.")
    neighbourhood = property(lambda self: int(self._get("nbhd")), doc="Neighbourhood index.")
    group = property(lambda self: "minority" if self._get("group") else "majority",
                     doc="Identity group.")
    present = property(lambda self: bool(self._get("present")), doc="Living here now.")
    need = property(lambda self: float(self._get("need")), doc="Material need, in [0, 1].")
    disposition = property(lambda self: float(self._get("disposition")),
                           doc="Solidarity disposition, in [0, 1].")
    awareness = property(lambda self: float(self._get("awareness")),
                         doc="Awareness, in [0, 1].")
    availability = property(lambda self: float(self._get("availability")),
                            doc="Free time, in [0, 1].")
    fatigue = property(lambda self: float(self._get("fatigue")), doc="Burnout, in [0, 1].")
    meaning = property(lambda self: float(self._get("meaning")),
                       doc="Sense of meaning, in [0, 1].")
    trained = property(lambda self: bool(self._get("trained")), doc="Trained as a volunteer.")

    @property
    def cso(self) -> CSO | None:
        """The CSO this citizen volunteers for, if any."""
        j = int(self._get("cso"))
        return self.model.cso_agent(j) if j >= 0 else None

    @property
    def tenure(self) -> int:
        """Weeks in the current volunteering spell (0 if not volunteering)."""
        if not self._get("volunteer"):
            return 0
        return self.model.week - int(self._get("spell_start"))


def roles_one(pop, i: int) -> Role:
    """Role of one citizen."""
    if pop.volunteer[i]:
        return Role.VOLUNTEER
    return Role.BENEFICIARY if pop.served[i] > 0 else Role.BYSTANDER


class CSO(mesa.Agent):
    """A civil-society organisation; a view over row ``index`` of ``model.cso_table``."""

    def __init__(self, model: SolidarityModel, index: int):
        super().__init__(model)
        self.index = index

    def _get(self, name: str):
        return getattr(self.model.cso_table, name)[self.index]

    @property
    def factors(self) -> dict[str, float]:
        """Practice level of each of the eight factors."""
        row = self.model.cso_table.factors[self.index]
        return {name: float(row[i]) for name, i in F.items()}

    recognition = property(lambda self: float(self._get("recognition")),
                           doc="Social recognition, in [0, 1].")
    legitimacy = property(lambda self: float(self._get("legitimacy")),
                          doc="Performance legitimacy, in [0, 1].")
    budget = property(lambda self: float(self._get("budget")), doc="Money held, in €.")
    scale = property(lambda self: int(self._get("scale")),
                     doc="Catchment, in neighbourhoods.")
    capacity = property(lambda self: float(self._get("capacity")),
                        doc="Need units it can serve per week.")
    volunteers = property(lambda self: int(self._get("volunteers")),
                          doc="Volunteers at this week's CSO update.")
    formal = property(lambda self: bool(self._get("formal")), doc="A formal association.")
    active = property(lambda self: bool(self._get("active")), doc="Not dissolved.")
    home = property(lambda self: int(self._get("home")), doc="Home neighbourhood.")


class State(mesa.Agent):
    """The state: welfare coverage, the funding policy and the levers.

    Attributes:
        params: The scenario's ``state`` table.
        spending: What it spent this week, by item.
        spent_total: Everything it has spent on civil society so far, in €.
    """

    def __init__(self, model: SolidarityModel, params: dict):
        super().__init__(model)
        self.params = params
        self.spending = Spending()
        self.spent_total = 0.0
        self.welfare_coverage = params["welfare_coverage"]
        self.network_strength = 0.0
        self._coverage: np.ndarray | None = None
        self._coverage_keep = 1.0

    @property
    def policy(self) -> str:
        """The active funding policy."""
        return self.params["funding"]["policy"]

    def austerity(self, week: int) -> float:
        """Share of the budgets and welfare coverage left after austerity cuts."""
        cut = self.params["austerity"]
        return 1.0 - cut["cut"] if week >= cut["start"] else 1.0

    def coverage(self, week: int, newcomer: np.ndarray) -> np.ndarray:
        """Share of each citizen's need met by public welfare this week.

        The array is rebuilt only when austerity changes it, so callers can tell by identity.
        """
        keep = self.austerity(week)
        if self._coverage is None or keep != self._coverage_keep:
            self.welfare_coverage = self.params["welfare_coverage"] * keep
            self._coverage = np.where(newcomer, self.params["newcomer_coverage"] * keep,
                                      self.welfare_coverage)
            self._coverage_keep = keep
        return self._coverage

    def act(self, week: int, citizens: int, intensity: float, noise: np.ndarray) -> np.ndarray:
        """Pay CSOs by the funding policy and run the money levers; return payments per CSO.

        Args:
            week: The current week.
            citizens: Citizens present (budgets are per citizen).
            intensity: Crisis intensity, which scales emergency funds.
            noise: The ``policy`` stream's draws (one per CSO slot).
        """
        csos = self.model.cso_table
        fp, lv = self.params["funding"], self.params["levers"]
        keep = self.austerity(week)
        amounts = dict.fromkeys(self.spending.amounts, 0.0)
        pay = FUNDING[self.policy](csos, weekly(fp["budget"], citizens) * keep, week, fp, noise)
        amounts["funding"] = pay.sum()
        emergency = emergency_funds(csos, weekly(lv["emergency_fund"], citizens) * keep * intensity)
        amounts["emergency"] = emergency.sum()
        pay = pay + emergency
        if week % 52 == 51:
            awards = recognition_awards(csos, lv["recognition_awards"] * citizens * keep,
                                        lv["award_boost"])
            amounts["awards"] = awards.sum()
            pay = pay + awards
        amounts["campaign"] = weekly(lv["awareness_campaign"], citizens) * keep
        amounts["network"] = weekly(lv["network_support"], citizens) * keep
        self.network_strength = network_strength(lv["network_support"] * keep,
                                                 lv["network_scale"])
        self.spending = Spending(amounts)
        return pay

    def campaign_input(self, week: int) -> float:
        """Weekly awareness input of the public awareness campaign."""
        lv = self.params["levers"]
        return lv["campaign_effect"] * lv["awareness_campaign"] * self.austerity(week)

    def training_budget(self, week: int, citizens: int) -> float:
        """Weekly money available to the training programme."""
        return weekly(self.params["levers"]["training"], citizens) * self.austerity(week)

    def record_training(self, amount: float) -> None:
        """Book what the training programme actually spent this week."""
        self.spending.amounts["training"] = amount

    def close_week(self) -> None:
        """Add this week's spending to the running total."""
        self.spent_total += self.spending.total
