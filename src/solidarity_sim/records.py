"""Records: the volunteer spell log, the 12-month retention memory and the weekly reporters.

Reporters are pure functions of the model, gathered in one place (``REPORTERS``), and feed Mesa's
``DataCollector`` once a week. They read the arrays and this week's flows; they never change state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .model import SolidarityModel

YEAR = 52


class SpellLog:
    """Every volunteering spell: citizen, CSO, start, end and reason (kept as array chunks)."""

    def __init__(self):
        self._chunks: list[dict[str, np.ndarray]] = []

    def close(self, citizen: np.ndarray, cso: np.ndarray, start: np.ndarray, end: int,
              reason: np.ndarray | str) -> None:
        """Log spells that ended in week ``end``."""
        if citizen.size:
            self._chunks.append({
                "citizen": citizen.copy(), "cso": cso.copy(), "start": start.copy(),
                "end": np.full(citizen.size, end), "reason": np.broadcast_to(
                    np.asarray(reason, dtype=object), citizen.shape).copy(),
            })

    def table(self, model: SolidarityModel) -> pd.DataFrame:
        """All spells, the ongoing ones with ``end`` missing and reason ``"ongoing"``."""
        pop = model.pop
        ongoing = np.flatnonzero(pop.volunteer)
        chunks = self._chunks + [{
            "citizen": ongoing, "cso": pop.cso[ongoing], "start": pop.spell_start[ongoing],
            "end": np.full(ongoing.size, -1), "reason": np.full(ongoing.size, "ongoing", object),
        }]
        frame = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
        frame["end"] = frame["end"].astype("Int64").mask(frame["reason"] == "ongoing")
        frame["weeks"] = (frame["end"].fillna(model.week) - frame["start"]).astype("int64")
        frame["reason"] = frame["reason"].astype(str)
        return frame.sort_values(["start", "citizen"], kind="stable").reset_index(drop=True)


class RetentionMemory:
    """Who volunteered in each of the last 52 weeks, as packed bits (a ring buffer)."""

    def __init__(self, n: int):
        self._ring = np.zeros((YEAR, (n + 7) // 8), dtype=np.uint8)
        self._filled = 0

    def push(self, week: int, volunteer: np.ndarray) -> float:
        """Store this week's volunteers; return the 12-month retention (NaN in the first year)."""
        now = np.packbits(volunteer)
        slot = week % YEAR
        retention = float("nan")
        if self._filled >= YEAR:
            then = self._ring[slot]
            before = int(np.bitwise_count(then).sum())
            kept = int(np.bitwise_count(then & now).sum())
            retention = kept / before if before else float("nan")
        self._ring[slot] = now
        self._filled += 1
        return retention


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, towards 1 concentrated)."""
    x = np.sort(values[values >= 0])
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * ranks - x.size - 1) @ x / (x.size * x.sum()))


def _volunteer_mean(m: SolidarityModel, values: np.ndarray) -> float:
    """Mean of a citizen attribute over volunteers (0 if there are none)."""
    n = m.flows["volunteers"]
    return float(values @ m.pop.volunteer) / n if n else 0.0


def _active(m: SolidarityModel) -> np.ndarray:
    return m.cso_table.active


REPORTERS: dict[str, Callable[[SolidarityModel], float]] = {
    "week": lambda m: m.week,
    "citizens": lambda m: m.n_present,
    "volunteers": lambda m: m.flows["volunteers"],
    "volunteer_share": lambda m: m.flows["volunteers"] / max(m.n_present, 1),
    "minority_volunteer_share": lambda m: (
        (m.pop.volunteer & (m.pop.group == 1)).sum()
        / max(((m.pop.group == 1) & m.pop.present).sum(), 1)),
    "volunteers_deployed": lambda m: float(
        (m.cso_table.volunteers * np.minimum(1.0, m.cso_table.load)).sum()),
    "joins": lambda m: m.flows["joins"],
    "quits": lambda m: m.flows["quits"],
    "quits_burnout": lambda m: m.flows["quits_burnout"],
    "retention_12m": lambda m: m.flows["retention_12m"],
    "mean_tenure": lambda m: m.week - _volunteer_mean(m, m.pop.spell_start),
    "fatigue_mean": lambda m: _volunteer_mean(m, m.pop.fatigue),
    "awareness_mean": lambda m: float(m.pop.awareness @ m.pop.present) / max(m.n_present, 1),
    "csos_active": lambda m: int(_active(m).sum()),
    "csos_formal": lambda m: int((_active(m) & m.cso_table.formal).sum()),
    "csos_informal": lambda m: int((_active(m) & ~m.cso_table.formal).sum()),
    "csos_founded": lambda m: m.flows["csos_founded"],
    "csos_dissolved": lambda m: m.flows["csos_dissolved"],
    "csos_formalised": lambda m: m.flows["csos_formalised"],
    "recognition_mean": lambda m: float(m.cso_table.recognition[_active(m)].mean())
    if _active(m).any() else 0.0,
    "recognition_sd": lambda m: float(m.cso_table.recognition[_active(m)].std())
    if _active(m).any() else 0.0,
    "scale_mean": lambda m: float(m.cso_table.scale[_active(m)].mean())
    if _active(m).any() else 0.0,
    "capacity_total": lambda m: float(m.cso_table.capacity.sum()),
    "capacity_gini": lambda m: gini(m.cso_table.capacity[_active(m)]),
    "need_total": lambda m: m.flows["need_total"],
    "need_met_state": lambda m: m.flows["need_met_state"],
    "need_met_csos": lambda m: m.flows["need_met_csos"],
    "unmet_need": lambda m: m.flows["need_total"] - m.flows["need_met_state"]
    - m.flows["need_met_csos"],
    "need_minority": lambda m: m.flows["need_minority"],
    "unmet_need_minority": lambda m: m.flows["unmet_need_minority"],
    "beneficiaries": lambda m: m.flows["beneficiaries"],
    "welfare_coverage": lambda m: m.state.welfare_coverage,
    "state_spending": lambda m: m.state.spending.total,
    **{f"spending_{item}": (lambda m, item=item: m.state.spending.amounts[item])
       for item in ("funding", "emergency", "campaign", "training", "awards", "network")},
    "donations": lambda m: m.flows["donations"],
    "cso_income": lambda m: m.flows["cso_income"],
    "cso_spend": lambda m: m.flows["cso_spend"],
    "cso_budget_total": lambda m: float(m.cso_table.budget.sum()),
    "crisis_salience": lambda m: m.crisis.salience,
}
"""Weekly model-level series: name -> pure function of the model."""
