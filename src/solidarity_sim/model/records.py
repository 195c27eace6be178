"""Records: the volunteer spell log, the 12-month retention memory and the weekly reporters.

Measurements are pure functions of the model, gathered in one place (:func:`measure`, run once
a week); Mesa's ``DataCollector`` collects them through ``REPORTERS``. They read the arrays and
this week's flows; they never change state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .policies import SPENDING_ITEMS

if TYPE_CHECKING:
    from .solidarity_model import SolidarityModel

YEAR = 52

REASONS = ("burnout", "other", "folded", "ongoing")
"""Why a spell ended (``ongoing``: it had not when the table was made); spells store the index."""
BURNOUT, OTHER, FOLDED, ONGOING = range(len(REASONS))


class SpellLog:
    """Every volunteering spell: citizen, CSO, start, end and reason (kept as array chunks)."""

    def __init__(self):
        self._chunks: list[dict[str, np.ndarray]] = []

    def close(self, citizen: np.ndarray, cso: np.ndarray, start: np.ndarray, end: int,
              reason: np.ndarray | int) -> None:
        """Log spells that ended in week ``end``; ``reason`` indexes :data:`REASONS`."""
        if citizen.size:
            self._chunks.append({
                "citizen": citizen.copy(), "cso": cso.copy(), "start": start.copy(),
                "end": np.full(citizen.size, end),
                "reason": np.full(citizen.shape, np.asarray(reason, dtype=np.int8)),
            })

    def table(self, model: SolidarityModel) -> pd.DataFrame:
        """All spells, the ongoing ones with ``end`` missing and reason ``"ongoing"``."""
        pop = model.pop
        ongoing = np.flatnonzero(pop.volunteer)
        chunks = self._chunks + [{
            "citizen": ongoing, "cso": pop.cso[ongoing], "start": pop.spell_start[ongoing],
            "end": np.full(ongoing.size, -1), "reason": np.full(ongoing.size, ONGOING, np.int8),
        }]
        frame = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
        frame["end"] = frame["end"].astype("Int64").mask(frame["reason"] == ONGOING)
        frame["weeks"] = (frame["end"].fillna(model.week) - frame["start"]).astype("int64")
        frame["reason"] = np.asarray(REASONS, dtype=object)[frame["reason"].to_numpy()].astype(str)
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


def mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (``ddof=0``), exactly as ``values.mean()`` and ``.std()``.

    Written out because NumPy's own pay a fixed cost that outweighs the work on a few CSOs.
    Both are 0 for no values.
    """
    if values.size == 0:
        return 0.0, 0.0
    mean = values.sum() / values.size
    deviation = values - mean
    return float(mean), float(np.sqrt((deviation * deviation).sum() / values.size))


SPENDING_COLUMNS = tuple(f"spending_{item}" for item in SPENDING_ITEMS)


def measure(m: SolidarityModel) -> dict[str, float]:
    """Every weekly measurement of the model, in one pass (after the week's processes ran)."""
    pop, csos, f = m.pop, m.cso_table, m.flows
    active = csos.active
    recognition_mean, recognition_sd = mean_sd(csos.recognition[active])
    minority = pop.group == 1
    volunteers = f["volunteers"]
    values = {
        "week": m.week,
        "citizens": m.n_present,
        "volunteers": volunteers,
        "volunteer_share": volunteers / max(m.n_present, 1),
        "minority_volunteer_share": int(np.count_nonzero(pop.volunteer & minority))
        / max(int(np.count_nonzero(minority & pop.present)), 1),
        "volunteers_deployed": float(csos.volunteers @ np.minimum(1.0, csos.load)),
        "joins": f["joins"],
        "quits": f["quits"],
        "quits_burnout": f["quits_burnout"],
        "retention_12m": f["retention_12m"],
        "mean_tenure": f["mean_tenure"],
        "fatigue_mean": f["fatigue_mean"],
        "awareness_mean": float(pop.awareness @ pop.present) / max(m.n_present, 1),
        "csos_active": int(active.sum()),
        "csos_formal": int((active & csos.formal).sum()),
        "csos_informal": int((active & ~csos.formal).sum()),
        "csos_founded": f["csos_founded"],
        "csos_dissolved": f["csos_dissolved"],
        "csos_formalised": f["csos_formalised"],
        "recognition_mean": recognition_mean,
        "recognition_sd": recognition_sd,
        "scale_mean": mean_sd(csos.scale[active])[0],
        "capacity_total": float(csos.capacity.sum()),
        "capacity_gini": gini(csos.capacity[active]),
        "need_total": f["need_total"],
        "need_met_state": f["need_met_state"],
        "need_met_csos": f["need_met_csos"],
        "unmet_need": f["need_total"] - f["need_met_state"] - f["need_met_csos"],
        "need_minority": f["need_minority"],
        "unmet_need_minority": f["unmet_need_minority"],
        "beneficiaries": f["beneficiaries"],
        "welfare_coverage": m.state.welfare_coverage,
        "state_spending": m.state.spending.total,
        **{col: m.state.spending.amounts[item]
           for col, item in zip(SPENDING_COLUMNS, SPENDING_ITEMS, strict=True)},
        "donations": f["donations"],
        "cso_income": f["cso_income"],
        "cso_spend": f["cso_spend"],
        "cso_budget_total": float(csos.budget.sum()),
        "crisis_intensity": m.crisis.intensity,
        "crisis_salience": m.crisis.salience,
    }
    return values


def _reporter(name: str) -> Callable[[SolidarityModel], float]:
    return lambda m: m.measures[name]


REPORTER_NAMES = (
    "week", "citizens", "volunteers", "volunteer_share", "minority_volunteer_share",
    "volunteers_deployed", "joins", "quits", "quits_burnout", "retention_12m", "mean_tenure",
    "fatigue_mean", "awareness_mean", "csos_active", "csos_formal", "csos_informal",
    "csos_founded", "csos_dissolved", "csos_formalised", "recognition_mean", "recognition_sd",
    "scale_mean", "capacity_total", "capacity_gini", "need_total", "need_met_state",
    "need_met_csos", "unmet_need", "need_minority", "unmet_need_minority", "beneficiaries",
    "welfare_coverage", "state_spending", *SPENDING_COLUMNS, "donations", "cso_income",
    "cso_spend", "cso_budget_total", "crisis_intensity", "crisis_salience",
)
"""The weekly series, in column order (each is a key of :func:`measure`)."""

REPORTERS: dict[str, Callable[[SolidarityModel], float]] = {
    name: _reporter(name) for name in REPORTER_NAMES}
"""Mesa ``DataCollector`` model reporters: each reads this week's :func:`measure`."""
