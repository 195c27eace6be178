"""Outcomes: one number per run, reduced from one of its weekly series.

One type serves every batch: the outcomes a comparison reports, those an experiment file's
``[outcomes]`` table declares for a sweep, and the simple statistics of the pattern checks. An
:class:`Outcome` names a weekly column (one of :data:`~solidarity_sim.model.series.SERIES`), a
statistic over a window of weeks, how to show the value (label, unit, scale, format) and which
way is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

STATS = ("final", "mean", "total", "peak", "peak_week", "ratio", "largest")
"""Statistics over a window of weeks: the value in its last week, the mean, the sum, the largest
value and the week it was reached, the sum divided by the sum of another column (``per``), and
the largest absolute value. Missing weeks (NaN) are skipped."""


@dataclass(frozen=True)
class Outcome:
    """One statistic of one weekly series over a window of weeks, kept for every run.

    Attributes:
        name: Column name in the results.
        column: The weekly series (a column of :data:`~solidarity_sim.model.series.COLUMNS`).
        stat: One of :data:`STATS`.
        start: First week of the window (inclusive).
        end: End of the window (exclusive); None: to the end of the run.
        label: Human-readable name (axis label in figures).
        unit: Unit of the value (after ``scale``).
        better: +1 if higher is better, -1 if lower is better, 0 if neither.
        scale: Multiplier from the column's unit to ``unit`` (100 for a share in percent).
        fmt: Format spec of a value in reports, e.g. ``,.1f`` (see :meth:`format`).
        definition: How the value is computed, in words.
        per: The denominator column of a ``ratio``.
    """

    name: str
    column: str
    stat: str = "mean"
    start: int = 0
    end: int | None = None
    label: str = ""
    unit: str = ""
    better: int = 0
    scale: float = 1.0
    fmt: str = ".3g"
    definition: str = ""
    per: str = ""

    def __post_init__(self) -> None:
        if self.stat not in STATS:
            raise ValueError(f"outcome {self.name!r}: statistic {self.stat!r} is not one of "
                             f"{', '.join(STATS)}")
        if (self.stat == "ratio") != bool(self.per):
            raise ValueError(f"outcome {self.name!r}: a 'ratio' needs 'per' (its denominator "
                             "column), and only a ratio has one")

    def measure(self, timeseries: pd.DataFrame) -> float:
        """Compute the statistic over the window from a run's weekly series (times ``scale``)."""
        weeks = timeseries["week"]
        inside = weeks >= self.start
        if self.end is not None:
            inside &= weeks < self.end
        values = timeseries.loc[inside, self.column].astype("float64")
        if self.stat == "final":
            value = float(values.iloc[-1])
        elif self.stat == "mean":
            value = float(values.mean())
        elif self.stat == "total":
            value = float(values.sum())
        elif self.stat == "ratio":
            total = float(values.sum())
            base = float(timeseries.loc[inside, self.per].astype("float64").sum())
            value = total / base if total > 0 and base > 0 else math.nan
        elif values.isna().all():
            value = math.nan
        elif self.stat == "largest":
            value = float(values.abs().max())
        else:
            top = values.idxmax()
            if self.stat == "peak_week":
                return float(weeks[top])
            value = float(values[top])
        return self.scale * value

    def __call__(self, result: Any) -> float:
        """Evaluate on a run result (anything with a ``timeseries``), as a check's statistic."""
        return self.measure(result.timeseries)

    def format(self, value: float) -> str:
        """A value as text with :attr:`fmt`, e.g. ``1,234.5``."""
        return format(value, self.fmt)

    def describe(self) -> str:
        """Say in words what the outcome measures, e.g. 'mean of retention_12m, weeks 104-207'."""
        what = f"{self.stat} of {self.column}" + (f" per {self.per}" if self.per else "")
        if self.end is None:
            return what + (f", weeks {self.start} on" if self.start else ", all weeks")
        return f"{what}, weeks {self.start}-{self.end - 1}"

    def spec(self) -> dict[str, Any]:
        """The outcome as written in an experiment file (all keys filled in)."""
        spec = {"column": self.column, "stat": self.stat, "window": [self.start, self.end],
                "label": self.label}
        return {**spec, "per": self.per} if self.per else spec
