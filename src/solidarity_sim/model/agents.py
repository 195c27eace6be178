"""Mesa agents: citizens and CSOs are thin views over arrays; the state is an ordinary agent.

A ``Citizen`` or ``CSO`` holds only its row number; every attribute reads the model's arrays, so
Mesa tools (AgentSets, ``agg``, ``select``, the visualisation) see live agents while the weekly
processes stay vectorised. Citizen views are made on demand (see ``SolidarityModel.citizens``).
"""

from __future__ import annotations

from enum import IntEnum

import mesa
import numpy as np

from .csos import F
from .policies import Government
from .processes import MIN_HELP


class Role(IntEnum):
    """What a citizen is doing this week."""

    BYSTANDER = 0
    VOLUNTEER = 1
    BENEFICIARY = 2


def roles(pop) -> np.ndarray:
    """Role of each citizen: volunteer, else beneficiary if helped this week, else bystander."""
    role = np.where(pop.served >= MIN_HELP, Role.BENEFICIARY, Role.BYSTANDER)
    return np.where(pop.volunteer, Role.VOLUNTEER, role)


class Citizen(mesa.Agent):
    """A person; a view over row ``index`` of ``model.pop``."""

    def __init__(self, model: mesa.Model, index: int):
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
    return Role.BENEFICIARY if pop.served[i] >= MIN_HELP else Role.BYSTANDER


class CSO(mesa.Agent):
    """A civil-society organisation; a view over row ``index`` of ``model.cso_table``."""

    def __init__(self, model: mesa.Model, index: int):
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
    """The state as a Mesa agent: a view over the town's :class:`~.policies.Government`.

    Attributes:
        government: The state's logic (welfare, funding policy, levers, spending).
    """

    def __init__(self, model: mesa.Model, government: Government):
        super().__init__(model)
        self.government = government

    policy = property(lambda self: self.government.policy, doc="The active funding policy.")
    params = property(lambda self: self.government.params, doc="The scenario's state table.")
    welfare_coverage = property(lambda self: self.government.welfare_coverage,
                                doc="Share of a resident's need met by welfare this week.")
    spending = property(lambda self: self.government.spending,
                        doc="What it spent this week, by item (€).")
    spent_total = property(lambda self: self.government.spent_total,
                           doc="Everything it has spent on civil society so far (€).")
    network_strength = property(lambda self: self.government.network_strength,
                                doc="Benefit of inter-cooperation network support, in [0, 1).")
