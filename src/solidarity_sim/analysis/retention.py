"""Retention curves: Kaplan–Meier survival of volunteer spells, by the practice of their CSO.

A spell runs from the week a citizen joins a CSO (``start``) to the week they quit (``end``);
its duration ``weeks = end - start`` is the number of weekly counts in which they were a volunteer.
A quit (for burnout or another reason) is the event; a spell still going when the run ends is
right-censored. The survival function ``S(w)`` is the share of new volunteers still volunteering
``w`` weeks after joining. A citizen who quits and joins again starts a new spell, and spells are
treated as independent.

**Spells of the volunteers active at the start are left out.** Their earlier tenure (negative
``start``) was drawn at set-up from an assumed distribution (``model.INITIAL_TENURE_MEAN``), not
produced by the model's quit hazard, so only spells that start during the run (week 0 or later)
enter the curves.

CSOs are put in groups by the level of one factor (quantiles of the level across the CSOs whose
spells are analysed: terciles by default). The estimator, its confidence intervals (exponential
Greenwood), the median survival time with its interval and the log-rank test are those of
`lifelines <https://lifelines.readthedocs.io>`_, which comes with the ``survival`` extra
(``pip install 'solidarity-sim[survival]'``).

Example:
    >>> import solidarity_sim as ss
    >>> result = ss.run("baseline", seed=1)  # doctest: +SKIP
    >>> curves = retention_curves(result.spells, result.csos, factor="meaning")  # doctest: +SKIP
    >>> curves.groups[["group", "median_weeks", "retained_1y"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..extras import needs
from ..model.calendar import WEEKS_PER_YEAR
from ..model.parameters import FACTORS
from .statistics import CONFIDENCE

with needs("survival", "the retention analysis"):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test
    from lifelines.utils import median_survival_times

GROUP_NAMES = {2: ("low", "high"), 3: ("low", "middle", "high")}
"""Names of the groups when the factor levels are cut into two or three quantile bins."""


@dataclass(frozen=True)
class RetentionCurves:
    """Survival curves of volunteer spells by a factor's level, and their summary.

    Attributes:
        curves: Tidy curves, one row per group and week: ``factor``, ``group``, ``week``
            (weeks since joining), ``survival`` (share still volunteering), ``ci_lower``,
            ``ci_upper`` (95 % pointwise interval), ``at_risk`` (spells lasting ``week`` weeks
            or more).
        groups: One row per group: ``factor``, ``group``, ``level_min``, ``level_max``,
            ``csos``, ``spells``, ``quits``, ``median_weeks`` with ``median_lower`` and
            ``median_upper`` (infinite when the curve or its bound never falls to one half),
            ``retained_1y`` (survival at 52 weeks), ``logrank_p`` (p-value of the log-rank test
            that every group has the same survival; the same in every row).
    """

    curves: pd.DataFrame
    groups: pd.DataFrame

    @property
    def factor(self) -> str:
        """The factor whose levels define the groups."""
        return str(self.groups["factor"].iloc[0])

    @property
    def logrank_p(self) -> float:
        """p-value of the log-rank test of equal survival in every group."""
        return float(self.groups["logrank_p"].iloc[0])


def spells_started_in_run(spells: pd.DataFrame) -> pd.DataFrame:
    """The spells that began during the run (week 0 or later): the ones the curves use."""
    return spells[spells["start"] >= 0]


def pool(results: Iterable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stack the spell and CSO tables of several runs, numbering CSOs uniquely across runs.

    Args:
        results: Run results (anything with ``spells`` and ``csos`` tables, such as
            :class:`~solidarity_sim.results.run_result.RunResult`).

    Returns:
        The pooled ``(spells, csos)``, each with a ``run`` column (0, 1, ...).
    """
    spells, csos, offset = [], [], 0
    for i, result in enumerate(results):
        spells.append(result.spells.assign(run=i, cso=result.spells["cso"] + offset))
        csos.append(result.csos.assign(run=i, cso=result.csos["cso"] + offset))
        offset += len(result.csos)
    if not spells:
        raise ValueError("pool() needs at least one run")
    return pd.concat(spells, ignore_index=True), pd.concat(csos, ignore_index=True)


def kaplan_meier(durations: np.ndarray, quit: np.ndarray, timeline: np.ndarray,
                 confidence: float = CONFIDENCE) -> tuple[KaplanMeierFitter, pd.DataFrame]:
    """Fit a Kaplan–Meier curve and return it as a tidy frame on ``timeline``.

    Args:
        durations: Time to the event or to censoring, per subject.
        quit: Whether the event was observed (False: right-censored).
        timeline: The times at which to report the curve.
        confidence: Level of the pointwise interval.

    Returns:
        The fitted estimator, and a frame with ``week``, ``survival``, ``ci_lower``,
        ``ci_upper`` and ``at_risk`` (subjects with a duration of at least ``week``).
    """
    kmf = KaplanMeierFitter(alpha=1.0 - confidence).fit(durations, quit, timeline=timeline)
    ci = kmf.confidence_interval_survival_function_.to_numpy()
    ordered = np.sort(np.asarray(durations))
    frame = pd.DataFrame({
        "week": timeline,
        "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
        "ci_lower": ci[:, 0], "ci_upper": ci[:, 1],
        "at_risk": ordered.size - np.searchsorted(ordered, timeline, side="left"),
    })
    return kmf, frame


def factor_groups(levels: pd.Series, groups: int) -> pd.Series:
    """Cut CSO factor levels into ``groups`` quantile bins, named by rank and level range.

    Bins with equal edges (many CSOs at one level) are merged, so there may be fewer groups.
    Names read like ``"high (0.58–0.81)"``; they sort from the lowest level to the highest.
    """
    bins = pd.qcut(levels, groups, duplicates="drop")
    codes = bins.cat.codes
    n = len(bins.cat.categories)
    names = GROUP_NAMES.get(n, tuple(f"Q{i + 1}" for i in range(n)))
    labels = []
    for code in range(n):
        inside = levels[codes == code]
        labels.append(f"{names[code]} ({inside.min():.2f}–{inside.max():.2f})")
    return pd.Series(pd.Categorical.from_codes(codes, labels, ordered=True), index=levels.index)


def retention_curves(spells: pd.DataFrame, csos: pd.DataFrame, factor: str = "meaning",
                     groups: int = 3, confidence: float = CONFIDENCE) -> RetentionCurves:
    """Kaplan–Meier curves of the spells that began during a run, by the CSO's factor level.

    Args:
        spells: The spell table of a run (``RunResult.spells``) or of pooled runs (:func:`pool`).
        csos: The matching CSO table (``RunResult.csos``).
        factor: One of the eight factors (``parameters.FACTORS``).
        groups: Number of quantile bins of the factor level across CSOs (at least 2).
        confidence: Level of the intervals.

    Returns:
        The curves, a summary per group and the log-rank p-value.

    Raises:
        ValueError: Unknown factor, fewer than two groups, or no spell began during the run.
    """
    if factor not in FACTORS:
        raise ValueError(f"unknown factor {factor!r}; one of {', '.join(FACTORS)}")
    if groups < 2:
        raise ValueError(f"groups must be at least 2, not {groups}")
    new = spells_started_in_run(spells)
    if new.empty:
        raise ValueError("no volunteer spell began during the run; nothing to estimate")
    levels = csos.set_index("cso")[f"factor_{factor}"]
    levels = levels[levels.index.isin(new["cso"])]
    group = new["cso"].map(factor_groups(levels, groups))
    quit = (new["reason"] != "ongoing").to_numpy()
    timeline = np.arange(int(new["weeks"].max()) + 1)
    p_value = (float(multivariate_logrank_test(new["weeks"], group.astype(str), quit).p_value)
               if group.nunique() > 1 else np.nan)

    curves, rows = [], []
    for name in group.cat.categories:
        inside = (group == name).to_numpy()
        kmf, frame = kaplan_meier(new["weeks"].to_numpy()[inside], quit[inside], timeline,
                                  confidence)
        curves.append(frame.assign(factor=factor, group=name))
        median = median_survival_times(kmf.confidence_interval_survival_function_)
        in_group = levels[levels.index.isin(new["cso"][inside])]
        rows.append({
            "factor": factor, "group": name,
            "level_min": float(in_group.min()), "level_max": float(in_group.max()),
            "csos": int(in_group.size), "spells": int(inside.sum()),
            "quits": int(quit[inside].sum()),
            "median_weeks": float(kmf.median_survival_time_),
            "median_lower": float(median.iloc[0, 0]), "median_upper": float(median.iloc[0, 1]),
            "retained_1y": float(kmf.survival_function_at_times(WEEKS_PER_YEAR).iloc[0]),
            "logrank_p": p_value,
        })
    order = ["factor", "group", "week", "survival", "ci_lower", "ci_upper", "at_risk"]
    return RetentionCurves(pd.concat(curves, ignore_index=True)[order], pd.DataFrame(rows))
