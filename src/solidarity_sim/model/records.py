"""Records kept during a run: the volunteer spell log and the 12-month retention memory.

Also the summaries of CSO arrays the weekly series use (:func:`gini`, :func:`mean_sd`,
:func:`mean`); the weekly series themselves are declared in :mod:`.series`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .calendar import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from .population import Population

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

    def table(self, pop: Population, week: int) -> pd.DataFrame:
        """All spells, the ongoing ones with ``end`` missing and reason ``"ongoing"``.

        Args:
            pop: The citizens (for the spells still going on).
            week: The week the table is made (ongoing spells' length counts to it).
        """
        ongoing = np.flatnonzero(pop.volunteer)
        chunks = self._chunks + [{
            "citizen": ongoing, "cso": pop.cso[ongoing], "start": pop.spell_start[ongoing],
            "end": np.full(ongoing.size, -1), "reason": np.full(ongoing.size, ONGOING, np.int8),
        }]
        frame = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
        frame["end"] = frame["end"].astype("Int64").mask(frame["reason"] == ONGOING)
        frame["weeks"] = (frame["end"].fillna(week) - frame["start"]).astype("int64")
        frame["reason"] = np.asarray(REASONS, dtype=object)[frame["reason"].to_numpy()].astype(str)
        return frame.sort_values(["start", "citizen"], kind="stable").reset_index(drop=True)


class RetentionMemory:
    """Who volunteered in each of the last 52 weeks, as packed bits (a ring buffer)."""

    def __init__(self, n: int):
        self._ring = np.zeros((WEEKS_PER_YEAR, (n + 7) // 8), dtype=np.uint8)
        self._filled = 0

    def push(self, week: int, volunteer: np.ndarray) -> float:
        """Store this week's volunteers; return the 12-month retention (NaN in the first year)."""
        now = np.packbits(volunteer)
        slot = week % WEEKS_PER_YEAR
        retention = float("nan")
        if self._filled >= WEEKS_PER_YEAR:
            then = self._ring[slot]
            before = int(np.bitwise_count(then).sum())
            kept = int(np.bitwise_count(then & now).sum())
            retention = kept / before if before else float("nan")
        self._ring[slot] = now
        self._filled += 1
        return retention

    def resize(self, n: int) -> None:
        """Make room for ``n`` citizens (newcomers added to the town were not volunteering)."""
        extra = (n + 7) // 8 - self._ring.shape[1]
        if extra > 0:
            self._ring = np.pad(self._ring, ((0, 0), (0, extra)))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, towards 1 concentrated)."""
    x = np.sort(values[values >= 0])
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * ranks - x.size - 1) @ x / (x.size * x.sum()))


def mean(values: np.ndarray) -> float:
    """The mean, exactly as ``values.mean()`` (0 for no values); see :func:`mean_sd`."""
    return float(values.sum() / values.size) if values.size else 0.0


def mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (``ddof=0``), exactly as ``values.mean()`` and ``.std()``.

    Written out because NumPy's own pay a fixed cost that outweighs the work on a few CSOs.
    Both are 0 for no values.
    """
    if values.size == 0:
        return 0.0, 0.0
    centre = values.sum() / values.size
    deviation = values - centre
    return float(centre), float(np.sqrt((deviation * deviation).sum() / values.size))
