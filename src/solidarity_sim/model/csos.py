"""CSO state as arrays, one row per CSO ever founded (dissolved ones keep their row).

CSOs are few, so their weekly logic is plain NumPy over these short arrays; the Mesa ``CSO``
agents are views over the rows. Founding appends a row (rare: a few per crisis).
"""

from __future__ import annotations

import numpy as np

from .parameters import FACTORS
from .population import NEVER, clipped_normal

F = {name: i for i, name in enumerate(FACTORS)}

ORIGINS = ("initial", "emerged", "founded")
"""How a CSO came to be: one of the town's first (formal), an informal group that emerged in a
crisis, or an association founded during the run where need was left unmet."""
"""Column of each factor in :attr:`CSOTable.factors`."""

INFORMAL_PROFILE = {
    "democracy": 0.8, "transparency": 0.15, "pluralism": 0.6, "recognition": 0.3,
    "legitimacy": 0.15, "scalability": 0.2, "awareness": 0.6, "meaning": 0.8,
}
"""Practice levels of a spontaneous mutual-aid group: assembly-like and meaningful, with no
accounts, impact data or management of scale ([VALLECAS]; docs/sources.md#weekly-processes, 8)."""

FORMALISATION_LIFT = {"transparency": 0.3, "legitimacy": 0.2, "scalability": 0.2}
"""Practice gained on becoming a formal association: accounts, reports and management come with
registration ([SOLIDUS] factor 02: accountability is a legal requirement)."""

_FIELDS = {
    "factors": np.float64, "recognition": np.float64, "legitimacy": np.float64,
    "budget": np.float64, "scale": np.int64, "home": np.int64, "formal": bool, "active": bool,
    "origin": np.int8,
    "founded": np.int64, "dissolved": np.int64, "formalised": np.int64, "members": np.int64,
    "volunteers": np.int64,
    "capacity": np.float64, "demand": np.float64, "served": np.float64, "load": np.float64,
    "load_trend": np.float64,
    "spend": np.float64, "grant": np.float64, "grant_until": np.int64, "income": np.float64,
    "served_total": np.float64, "income_total": np.float64, "peak_volunteers": np.int64,
}


class CSOTable:
    """Arrays of CSO state; ``len(table)`` counts every CSO ever founded.

    Attributes:
        factors: Practice level of each of the eight factors (rows x 8), in [0, 1].
        recognition: Dynamic social recognition, in [0, 1].
        legitimacy: Dynamic performance legitimacy (visible impact), in [0, 1].
        budget: Money held, in €.
        scale: Catchment size, in neighbourhoods.
        home: Home neighbourhood.
        formal: A formal association (has access to public funding).
        origin: How the CSO came to be, an index of :data:`ORIGINS`.
        active: Not dissolved.
        founded, dissolved, formalised: Week stamps (``NEVER`` if not).
        members: Current number of volunteers, kept up to date as spells start and end.
        volunteers: Number of volunteers at this week's CSO update (``members`` then).
        capacity, demand, served, load: This week's service figures (need units, load ratio).
        load_trend: The load averaged over about half a year (what the catchment follows).
        spend: Money spent this week on staff and goods, in €.
        grant, grant_until: Weekly project grant and the week it ends.
        income: Money received this week, in €.
        served_total, income_total, peak_volunteers: Running totals for the CSO table.
    """

    def __init__(self):
        for name, dtype in _FIELDS.items():
            shape = (0, len(FACTORS)) if name == "factors" else (0,)
            setattr(self, name, np.zeros(shape, dtype=dtype))

    def __len__(self) -> int:
        return self.recognition.size

    def add(self, factors: np.ndarray, home: np.ndarray, week: int, origin: str,
            budget: float, scale: int = 1) -> np.ndarray:
        """Append CSOs with the given factor rows and homes; return their row indices.

        Args:
            factors: Practice levels, one row per CSO.
            home: Home neighbourhood of each.
            week: The week they are founded.
            origin: One of :data:`ORIGINS`; only an ``emerged`` group is informal.
            budget: The money each starts with, in €.
            scale: The catchment each starts with, in neighbourhoods.
        """
        formal = origin != "emerged"
        n = home.size
        start = len(self)
        legit = 0.5 * factors[:, F["legitimacy"]]
        new = {
            "factors": factors, "recognition": legit.copy(), "legitimacy": legit,
            "budget": np.full(n, budget), "scale": np.full(n, scale), "home": home,
            "formal": np.full(n, formal), "active": np.ones(n, bool),
            "origin": np.full(n, ORIGINS.index(origin)), "load": np.ones(n),
            "founded": np.full(n, week), "dissolved": np.full(n, NEVER),
            "formalised": np.full(n, week if formal else NEVER),
            "grant_until": np.full(n, NEVER), "load_trend": np.ones(n),
        }
        for name, dtype in _FIELDS.items():
            column = getattr(self, name)
            rows = new.get(name)
            if rows is None:
                rows = np.zeros((n,) + column.shape[1:], dtype=dtype)
            setattr(self, name, np.concatenate((column, np.asarray(rows, dtype=dtype))))
        return np.arange(start, start + n)

    def factor(self, name: str) -> np.ndarray:
        """The practice level of one factor for every CSO."""
        return self.factors[:, F[name]]


def draw_factors(means: dict[str, float], spread: float, n: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` rows of factor levels around the scenario means (clipped normals)."""
    return np.column_stack([clipped_normal(rng, means[f], spread, n) for f in FACTORS]) \
        if n else np.zeros((0, len(FACTORS)))
