"""Pattern checks: does the model reproduce the facts and the mechanisms it was built on?

Three groups of checks, each run over replications (replication ``k`` has the seed
``derive_seed(seed, k)``, :func:`~solidarity_sim.model.streams.derive_seed`):

* **calibration**: the empirical targets P1-P3 (docs/sources.md) on the default scenarios (formal
  volunteering share and annual retention in ``baseline``; the surge, its decay and the survival
  of new informal groups in ``pandemic``);
* **factors**: each of the eight factors moves what it drives (``docs/sources.md``): paired runs
  with the factor's mean level at 0.2 and at 0.8, with common random numbers;
* **limits**: analytic limits (the two-state chain; no CSOs; full welfare coverage).

Every check reduces each replication to one number (a :class:`Statistic` of a run: an
:class:`~solidarity_sim.results.outcomes.Outcome` such as :func:`mean`, or a statistic of the
surge or of new groups; or the paired difference of two runs), takes the mean and its 95 %
t-interval over replications, and **passes when the whole interval lies inside the target
band** (for a factor, when it excludes zero on the expected side). ``docs/validation.md`` gives
each check's definition and source.

Example:
    >>> report = validate(default_checks(), replications=20)  # doctest: +SKIP
    >>> report.table[["check", "target", "value", "ci_low", "ci_high", "passed"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.executors import Executor, using
from ..batch.store import RunStore, Stored, execute, opened, raise_failures
from ..batch.uncertainty import RUNS_PER_SET, Posterior
from ..model.calendar import WEEKS_PER_YEAR
from ..model.parameters import FACTORS, SCHEMA
from ..model.scenario import Scenario, load_scenario
from ..model.streams import derive_seed
from ..results.outcomes import Outcome
from ..results.run_result import RunResult
from .statistics import t_interval, variance_split

GROUPS = ("calibration", "dynamics", "factors", "limits")
LOW, HIGH = 0.2, 0.8
"""Factor levels of the paired factor runs."""
FACTOR_WEEKS = 4 * WEEKS_PER_YEAR
"""Horizon of the factor runs: four years, outcomes averaged or summed over years 2–4."""
SURGE_BASELINE = 13
"""Weeks before onset whose mean number of volunteers is the pre-crisis level."""
SURGE_SEARCH = WEEKS_PER_YEAR
"""The surge's peak is looked for in the year after onset."""
SURGE_DECAY = 13
"""Weeks after the peak at which the remaining excess is measured (about three months)."""
GROUP_AGE = 2 * WEEKS_PER_YEAR
"""Age, in weeks, at which new informal groups' survival is measured (two years)."""


# -- statistics of a run ------------------------------------------------------------------------

def mean(column: str, start: int = WEEKS_PER_YEAR) -> Outcome:
    """Mean of a weekly column over weeks ``start`` and later (missing weeks skipped)."""
    return Outcome(column, column, "mean", start)


def total(column: str, start: int = WEEKS_PER_YEAR) -> Outcome:
    """Sum of a weekly column over weeks ``start`` and later."""
    return Outcome(column, column, "total", start)


def largest(column: str) -> Outcome:
    """Largest absolute weekly value of a column over the whole run."""
    return Outcome(column, column, "largest")


def crisis_onset(result, kind: str = "pandemic") -> int:
    """Onset week of the run's first crisis of ``kind``."""
    for crisis in result.manifest["parameters"]["crises"]:
        if crisis["kind"] == kind:
            return int(crisis["onset"])
    raise ValueError(f"the run has no {kind} crisis")


def excess_volunteers(ts: pd.DataFrame, onset: int) -> pd.Series:
    """Volunteers above the pre-onset level (mean of the 13 weeks before onset), by week."""
    before = ts.loc[ts["week"].between(onset - SURGE_BASELINE, onset - 1), "volunteers"]
    return pd.Series((ts["volunteers"] - before.mean()).to_numpy(), index=ts["week"])


def peak(excess: pd.Series, onset: int) -> tuple[int, float]:
    """Week and size of the largest excess in the year after onset."""
    window = excess.loc[onset:onset + SURGE_SEARCH - 1]
    return int(window.idxmax()), float(window.max())


def surge_peak(result) -> tuple[int, float]:
    """Week and size of the peak excess of volunteers in the year after the pandemic's onset."""
    onset = crisis_onset(result)
    return peak(excess_volunteers(result.timeseries, onset), onset)


@dataclass(frozen=True)
class SurgePeakWeeks:
    """Weeks from the pandemic's onset to the peak excess of volunteers."""

    def __call__(self, result) -> float:
        """Evaluate on a run result."""
        return float(surge_peak(result)[0] - crisis_onset(result))


@dataclass(frozen=True)
class SurgeRemaining:
    """Excess volunteers ``after`` weeks past the peak, as a share of the peak excess."""

    after: int = SURGE_DECAY

    def __call__(self, result) -> float:
        """Evaluate on a run result (NaN if the run ends first or there is no surge)."""
        week, peak = surge_peak(result)
        excess = excess_volunteers(result.timeseries, crisis_onset(result))
        if peak <= 0 or week + self.after not in excess.index:
            return math.nan
        return float(excess.loc[week + self.after] / peak)


def group_survival(csos: pd.DataFrame, horizon: int, age: int = GROUP_AGE) -> float:
    """Share of informal groups founded during a run still active ``age`` weeks after founding.

    Only groups founded early enough to reach that age before the run ends count. A group that
    became a formal association counts as active: it still exists. NaN if no group qualifies.
    """
    groups = csos[(csos["origin"] == "emerged") & (csos["founded"] + age <= horizon - 1)]
    if groups.empty:
        return math.nan
    alive = groups["dissolved"].isna() | (groups["dissolved"] > groups["founded"] + age)
    return float(alive.mean())


@dataclass(frozen=True)
class GroupSurvival:
    """Share of new informal groups still active two years after founding."""

    age: int = GROUP_AGE

    def __call__(self, result) -> float:
        """Evaluate on a run result."""
        return group_survival(result.csos, int(result.manifest["weeks"]), self.age)


Statistic = Callable[[Any], float]


# -- checks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arm:
    """One model configuration that a check runs in every replication.

    Attributes:
        label: Unique name; arms with the same label are run once and shared.
        scenario: Bundled scenario name.
        overrides: Dotted-path parameter overrides.
        keep: Keep the whole results of its runs (for the figures).
        runs: Runs per replication of the validation, for statistics that vary much from run
            to run (a pandemic founds only a few informal groups); run ``k`` uses seed ``k``.
    """

    label: str
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    keep: bool = False
    runs: int = 1

    def resolve(self) -> Scenario:
        """The arm's scenario with its overrides, checked: resolved once, shared by its runs.

        Raises:
            ScenarioError: The scenario or an override is invalid.
        """
        return load_scenario(self.scenario, self.overrides)


@dataclass(frozen=True)
class Band:
    """The region a check's interval must lie in; ``closed=False`` excludes the ends."""

    low: float = -math.inf
    high: float = math.inf
    closed: bool = True

    def contains(self, low: float, high: float) -> bool:
        """Whether the interval ``[low, high]`` lies inside the band."""
        if math.isnan(low) or math.isnan(high):
            return False
        if self.closed:
            return self.low <= low and high <= self.high
        return self.low < low and high < self.high

    def describe(self, percent: bool = False) -> str:
        """The band in words, e.g. ``17%–30%``, ``> 0``, ``≤ 50%``, ``0–16``."""
        def num(x: float) -> str:
            return f"{100 * x:g}%" if percent else f"{x:g}"

        if math.isinf(self.low) and math.isinf(self.high):
            return "any"
        if math.isinf(self.low):
            return f"{'≤' if self.closed else '<'} {num(self.high)}"
        if math.isinf(self.high):
            return f"{'≥' if self.closed else '>'} {num(self.low)}"
        if self.low == self.high:
            return f"= {num(self.low)}"
        return f"{num(self.low)}–{num(self.high)}"


@dataclass(frozen=True)
class Check:
    """One pattern check.

    Attributes:
        group: ``calibration``, ``factors`` or ``limits``.
        name: The pattern, in words.
        statistic: Reduces a run to a number.
        arms: One arm (the check's value is the statistic) or two (the paired difference,
            second minus first, with the same seed).
        band: Where the 95 % interval of the mean must lie.
        fmt: Format of values (a format spec, e.g. ``.1%``).
        unit: Unit of the value.
        source: Where the target comes from.
        target: The band in words, if not :meth:`Band.describe`'s.
        relative: With two arms, the value is the second arm's relative to the first
            (``second / first - 1``) instead of their difference.
    """

    group: str
    name: str
    statistic: Statistic
    arms: tuple[Arm, ...]
    band: Band
    fmt: str = ".3g"
    unit: str = ""
    source: str = ""
    target: str = ""
    relative: bool = False

    def describe_target(self) -> str:
        """The target band in words."""
        return self.target or self.band.describe(percent=self.fmt.endswith("%"))


def _with_citizens(overrides: dict[str, Any], citizens: int | None) -> dict[str, Any]:
    """Add a population size (the neighbourhoods follow from it, at the default size)."""
    if citizens is None:
        return overrides
    return {**overrides, "population.citizens": citizens}


SHARE_TARGET = Band(0.17, 0.30)
RETENTION_TARGET = Band(0.60, 0.72)
PEAK_TARGET = Band(0, 16)
REMAINING_TARGET = Band(0.0, 0.5)
SURVIVAL_TARGET = Band(0.30, 0.50)
PANDEMIC_RUNS = 3
"""Pandemic runs per replication: survival needs many new groups."""
PANDEMIC_CITIZENS = 50_000
"""Size of the pandemic arm's town: a run of it founds a few new groups (about one per 10,000
citizens), so that the survival of groups is measured on a few hundred of them in all."""


def calibration_checks(citizens: int | None = None) -> list[Check]:
    """The calibration targets P1-P3 (docs/sources.md#reference-facts), on the bundled defaults."""
    baseline = Arm("baseline", "baseline", _with_citizens({}, citizens), keep=True)
    pandemic = Arm("pandemic", "pandemic", _with_citizens(
        {"population.citizens": PANDEMIC_CITIZENS}, citizens), keep=True, runs=PANDEMIC_RUNS)
    return [
        Check("calibration", "baseline: share of citizens volunteering formally, years 2–10",
              mean("volunteer_share"), (baseline,), SHARE_TARGET, ".1%", "share",
              "17–19 % EU-28 [EU-SILC-2015]; 25–26 % US [CNCS-2007]"),
        Check("calibration", "baseline: 12-month volunteer retention, years 2–10",
              mean("retention_12m"), (baseline,), RETENTION_TARGET, ".1%", "share",
              "about two thirds return the next year [CNCS-2007]"),
        Check("calibration", "pandemic: weeks from onset to the peak of excess volunteers",
              SurgePeakWeeks(), (pandemic,), PEAK_TARGET, ".1f", "weeks",
              "UK mutual-aid groups formed and peaked in spring 2020 [UK-MUTUAL-AID]"),
        Check("calibration", "pandemic: excess volunteers 13 weeks after the peak, share of peak",
              SurgeRemaining(), (pandemic,), REMAINING_TARGET, ".1%", "share",
              "UK mutual-aid activity down about 75 % from the March peak by June 2020 "
              "[UK-MUTUAL-AID]"),
        Check("calibration", "pandemic: new informal groups still active 2 years after founding",
              GroupSurvival(), (pandemic,), SURVIVAL_TARGET, ".1%", "share",
              "UK mutual-aid groups: about 41 % still active after 25 months [UK-MUTUAL-AID]"),
    ]


SIZES = (2_000, 100_000)
"""Town sizes compared with the default (10,000 citizens) for size invariance."""
SIZE_WEEKS = 5 * WEEKS_PER_YEAR
SIZE_RUNS = 5
"""Runs per replication of the size arms: a town of 2,000 has two CSOs, so its share varies
much from run to run with the practice of those two (paired runs, as the pandemic's)."""
SIZE_TOLERANCE = Band(-0.03, 0.03)
"""Largest difference in volunteer share (3 percentage points) that counts as the same."""
LONG_RUN_WEEKS = 30 * WEEKS_PER_YEAR
LONG_RUN_CITIZENS = 30_000
"""Size of the 30-year town: three times the default, so that a run's share is less at the
mercy of which of its few CSOs thrive (the drift, not that noise, is what the check is for)."""
DRIFT_TOLERANCE = Band(-0.03, 0.03)
RECESSION = (WEEKS_PER_YEAR, 6 * WEEKS_PER_YEAR)
"""The recession's first five years (weeks 52-311 of ``great-recession``)."""
RECESSION_TOLERANCE = Band(-0.15, 0.15)
AFTERMATH_WEEKS = 7 * WEEKS_PER_YEAR
AFTERMATH = (26 + 3 * WEEKS_PER_YEAR, 26 + 6 * WEEKS_PER_YEAR)
"""Years 4-6 after the bundled pandemic's onset (week 26)."""
AFTERMATH_TARGET = Band(-0.10, 0.05)
TURNOVER_TARGET = Band(0.02, 0.07)
GROUPS_FOUNDED_TARGET = Band(0.2, 2.0)


def years(column: str, first: int, last: int) -> Outcome:
    """Mean of a weekly column over years ``first`` to ``last`` of a run (year 1: weeks 0-51)."""
    return Outcome(f"{column} years {first}-{last}", column, "mean",
                   (first - 1) * WEEKS_PER_YEAR, last * WEEKS_PER_YEAR)


def closures_per_cso(result) -> float:
    """Formal CSOs that closed a year per active formal CSO, years 2 to the end of the run."""
    ts, csos = result.timeseries, result.csos
    late = ts["week"] >= WEEKS_PER_YEAR
    years = late.sum() / WEEKS_PER_YEAR
    closed = csos["formal"] & csos["dissolved"].ge(WEEKS_PER_YEAR).fillna(False).astype(bool)
    return float(closed.sum() / years / ts.loc[late, "csos_formal"].mean())


def groups_founded(result) -> float:
    """Informal groups founded per 10,000 citizens in the year after the pandemic's onset."""
    onset = crisis_onset(result)
    csos = result.csos
    new = (csos["origin"] == "emerged") & csos["founded"].between(onset, onset + WEEKS_PER_YEAR)
    return float(new.sum() / result.manifest["citizens"] * 10_000)


def dynamics_checks(citizens: int | None = None) -> list[Check]:
    """Dynamics that hold at any size, horizon and crisis (docs/validation.md, 'Dynamics').

    ``citizens`` shrinks the default-size arms (not the size arms, whose sizes are the point).
    """
    share = mean("volunteer_share", 2 * WEEKS_PER_YEAR)
    default = Arm("baseline, 5 years", "baseline",
                  _with_citizens({"weeks": SIZE_WEEKS}, citizens), runs=SIZE_RUNS)
    checks = [
        Check("dynamics", f"size: volunteer share, years 3–5, {n:,} minus 10,000 citizens",
              share, (default, Arm(f"baseline, 5 years, {n:,} citizens", "baseline",
                                   {"weeks": SIZE_WEEKS, "population.citizens": n},
                                   runs=SIZE_RUNS)),
              SIZE_TOLERANCE, "+.1%", "difference in share",
              "per-capita outcomes do not depend on the town's size (intensive parameters)")
        for n in SIZES]
    long_run = Arm("baseline, 30 years", "baseline", _with_citizens(
        {"weeks": LONG_RUN_WEEKS, "population.citizens": LONG_RUN_CITIZENS}, citizens))
    start = years("volunteer_share", 2, 3)
    for last in (10, 20, 30):
        change = _Change(start, years("volunteer_share", last - 1, last))
        checks.append(Check(
            "dynamics", f"stationary baseline: volunteer share, years {last - 1}–{last} minus "
            f"years 2–3 ({LONG_RUN_CITIZENS:,} citizens)", change, (long_run,),
            DRIFT_TOLERANCE, "+.1%", "difference in share",
            "no crisis, no change of policy: a stationary town (balancing loops, ODD 7.7)"))
    checks.append(Check("dynamics", "stationary baseline: volunteer share in years 29–30",
                        years("volunteer_share", 29, 30), (long_run,), SHARE_TARGET, ".1%",
                        "share", "17–19 % EU-28 [EU-SILC-2015]; 25–26 % US [CNCS-2007]"))
    checks.append(Check("dynamics", "baseline: formal CSOs closing a year, per formal CSO",
                        closures_per_cso, (long_run,), TURNOVER_TARGET, ".1%", "share a year",
                        "under 4 % of charities close a year [GUIDESTAR]; 64 % of a cohort "
                        "survive ten years [NCCS-2015]"))
    base, recession = (Arm(f"{name}, 6 years", name, _with_citizens(
        {"weeks": RECESSION[1]}, citizens)) for name in ("baseline", "great-recession"))
    formal = Outcome("formal", "formal_volunteer_share", "mean", *RECESSION)
    informal = Outcome("informal", "informal_volunteer_share", "mean", *RECESSION)
    checks += [
        Check("dynamics", "recession: formal volunteering, years 2–6, relative to the paired "
              "baseline", formal, (base, recession), RECESSION_TOLERANCE, "+.1%",
              "relative difference", "the US formal rate stayed at 26–27 % from 2008 to 2012, "
              "then eased to 25 % [BLS]; [LIM-LAURENCE-2015]", relative=True),
        Check("dynamics", "recession: informal mutual aid (share in informal groups), years 2–6, "
              "minus the paired baseline", informal, (base, recession),
              Band(0.0, math.inf, closed=False), "+.2%", "difference in share",
              "grassroots groups rose after 2008 ([SOLIDUS] 'Introduction'; PAH, 'Annex 1')"),
    ]
    calm, pandemic = (Arm(f"{name}, 7 years", name, _with_citizens(
        {"weeks": AFTERMATH_WEEKS}, citizens)) for name in ("baseline", "pandemic"))
    checks += [
        Check("dynamics", "pandemic aftermath: volunteering 4–6 years after onset, relative to "
              "the paired baseline", Outcome("aftermath", "volunteer_share", "mean", *AFTERMATH),
              (calm, pandemic), AFTERMATH_TARGET, "+.1%", "relative difference",
              "back towards the pre-crisis path, no rebound above it; England's formal "
              "volunteering was still below its 2019/20 level in 2021/22 [DCMS-CLS-2022]",
              relative=True),
        Check("dynamics", "pandemic: new informal groups per 10,000 citizens in the first year",
              groups_founded, (pandemic,), GROUPS_FOUNDED_TARGET, ".2f", "groups per 10,000",
              "about 4,000 UK mutual-aid groups in spring 2020, 0.6 per 10,000 [UK-MUTUAL-AID]; "
              "58 Madrid networks, 0.2 per 10,000 [FRAVM-2020]"),
    ]
    return checks


@dataclass(frozen=True)
class _Change:
    """A run's change in one outcome between two windows: ``later - earlier``."""

    earlier: Outcome
    later: Outcome

    def __call__(self, result) -> float:
        """Evaluate on a run result."""
        return self.later(result) - self.earlier(result)


PERFORMANCE_FUNDING = {"state.funding.policy": "performance", "state.funding.budget": 10.0}
ECONOMIC_CRISIS = {"crises": [{"kind": "economic", "onset": 20, "duration": 150,
                               "severity": 0.5, "reach": 0.3}]}
CONTEXTS = {"": {}, "performance funding": PERFORMANCE_FUNDING,
            "economic crisis": ECONOMIC_CRISIS}
"""Settings some factor effects need: funding to compete for, or demand to grow into."""

DRIVEN: dict[str, Outcome] = {o.name: o for o in (
    Outcome("retention", "retention_12m", "mean", WEEKS_PER_YEAR, unit="12-month retention (share)",
            fmt=".3f"),
    Outcome("recruitment", "joins", "total", WEEKS_PER_YEAR, unit="joins in years 2–4", fmt=".0f"),
    Outcome("burnout quits", "quits_burnout", "total", WEEKS_PER_YEAR,
            unit="burnout quits in years 2–4", fmt=".0f"),
    Outcome("recognition", "recognition_mean", "mean", WEEKS_PER_YEAR,
            unit="mean CSO recognition (level)", fmt=".3f"),
    Outcome("funding", "cso_income", "total", WEEKS_PER_YEAR, unit="CSO income in years 2–4 (€)",
            fmt=".0f"),
    Outcome("minority recruitment", "minority_volunteer_share", "mean", WEEKS_PER_YEAR,
            unit="share of the minority group volunteering", fmt=".3f"),
    Outcome("inclusiveness", "unmet_need_minority", "mean", WEEKS_PER_YEAR,
            unit="unmet need of the minority group (need units/week)", fmt=".2f"),
    Outcome("scale", "scale_mean", "mean", WEEKS_PER_YEAR, unit="mean catchment (neighbourhoods)",
            fmt=".3f"),
    Outcome("awareness", "awareness_mean", "mean", WEEKS_PER_YEAR,
            unit="mean citizen awareness (level)", fmt=".3f"),
)}
"""What a factor may drive, by name: the outcome of a run, with its unit and format."""

FACTOR_EFFECTS = (
    # factor, what it drives, expected sign, context
    ("democracy", "retention", +1, ""),
    ("democracy", "recruitment", +1, ""),
    ("democracy", "burnout quits", -1, ""),
    ("transparency", "recognition", +1, ""),
    ("transparency", "funding", +1, "performance funding"),
    ("pluralism", "minority recruitment", +1, ""),
    ("pluralism", "inclusiveness", -1, ""),
    ("recognition", "recognition", +1, ""),
    ("recognition", "recruitment", +1, ""),
    ("recognition", "scale", +1, "economic crisis"),
    ("legitimacy", "recognition", +1, ""),
    ("scalability", "scale", +1, "economic crisis"),
    ("scalability", "retention", +1, ""),
    ("awareness", "awareness", +1, ""),
    ("awareness", "recruitment", +1, ""),
    ("meaning", "retention", +1, ""),
    ("meaning", "burnout quits", -1, ""),
)
"""Each factor's expected effects ([SOLIDUS] factors 01–08; docs/sources.md#factor-mechanisms)."""


def factor_checks(citizens: int | None = None) -> list[Check]:
    """Each factor moves what it drives: paired runs at levels 0.2 and 0.8 in ``baseline``."""
    checks = []
    for factor, drives, sign, context in FACTOR_EFFECTS:
        arms = tuple(
            Arm(f"{factor}={level}" + (f", {context}" if context else ""), "baseline",
                _with_citizens({"weeks": FACTOR_WEEKS, **CONTEXTS[context],
                                f"csos.factors.{factor}": level}, citizens))
            for level in (LOW, HIGH))
        driven = DRIVEN[drives]
        band = Band(0.0, math.inf, closed=False) if sign > 0 else Band(-math.inf, 0.0,
                                                                       closed=False)
        where = f" ({context})" if context else ""
        checks.append(Check("factors", f"{factor} → {drives}{where}", driven, arms, band,
                            driven.fmt, f"difference in {driven.unit}, level {HIGH} minus {LOW}",
                            f"[SOLIDUS] factor {FACTORS.index(factor) + 1:02d}"))
    lever = tuple(Arm(f"volunteer recognition={money}", "baseline", _with_citizens(
        {"weeks": FACTOR_WEEKS, "state.levers.volunteer_recognition": money}, citizens))
        for money in (0.0, 2.0))
    driven = DRIVEN["retention"]
    checks.append(Check("factors", "recognition of new volunteers (lever, 2 €/citizen/year) → "
                        "retention", driven, lever, Band(0.0, math.inf, closed=False), driven.fmt,
                        f"difference in {driven.unit}, 2 minus 0 €/citizen/year",
                        "[SOLIDUS] factor 04 (felt recognition as an incentive to continue)"))
    return checks

CHAIN_CITIZENS = 4000
CHAIN_WEEKS = 700
CHAIN_START = 300
"""The chain runs are averaged from week 300, long after the start from no volunteers."""
CHAIN_SHARE_TOLERANCE = 0.01
CHAIN_RETENTION_TOLERANCE = 0.02
LIMIT_WEEKS = 2 * WEEKS_PER_YEAR


def fixed_hazards(join: float, quit: float) -> dict[str, Any]:
    """Overrides that reduce the model to a two-state chain with fixed weekly hazards.

    Contagion, factor effects, crises, fatigue, emergence, closures, recruiting by need and
    every hazard modifier are off; every citizen is fully disposed, available and aware, in one
    neighbourhood.
    """
    return {
        **{f"effects.{name}": 0.0 for name in SCHEMA["effects"]},
        "population.citizens": CHAIN_CITIZENS, "population.neighbourhoods": 1,
        "weeks": CHAIN_WEEKS,
        "citizens.disposition_mean": 1.0, "citizens.disposition_spread": 0.0,
        "citizens.availability_mean": 1.0, "citizens.availability_spread": 0.0,
        "citizens.awareness_initial": 1.0, "awareness.decay": 0.0,
        "volunteering.join_rate": join, "volunteering.quit_rate": quit,
        "volunteering.contagion": 0.0, "volunteering.crisis_motivation": 0.0,
        "volunteering.idle_quit": 0.0, "volunteering.early_quit": 0.0,
        "volunteering.burnout_rate": 0.0, "volunteering.fatigue_gain": 0.0,
        "volunteering.initial_share": 0.0, "volunteering.recruit_by_need": 0.0,
        "csos.closure_rate": 0.0, "emergence.enabled": False,
    }


def two_state_chain(join: float, quit: float) -> tuple[float, float]:
    """Weekly probabilities ``(a, b)`` of becoming and ceasing to be a volunteer.

    A bystander joins with probability ``1 - exp(-join)`` and, as retention follows recruitment
    in the weekly schedule, may quit the same week; a volunteer quits with ``1 - exp(-quit)``.
    """
    p, q = -math.expm1(-join), -math.expm1(-quit)
    return p * (1 - q), q


def chain_share(join: float, quit: float) -> float:
    """Stationary share of volunteers of the two-state chain, ``a / (a + b)``."""
    a, b = two_state_chain(join, quit)
    return a / (a + b)


def chain_retention(join: float, quit: float) -> float:
    """Stationary 12-month retention: P(volunteer in 52 weeks | volunteer now)."""
    a, b = two_state_chain(join, quit)
    return (a + b * (1 - a - b) ** WEEKS_PER_YEAR) / (a + b)


def limit_checks(citizens: int | None = None) -> list[Check]:
    """Analytic limits of the model."""
    checks = []
    for join, quit in ((0.01, 0.02), (0.03, 0.01)):
        arm = Arm(f"chain join={join} quit={quit}", "baseline",
                  _with_citizens(fixed_hazards(join, quit), citizens))
        share = chain_share(join, quit)
        checks.append(Check(
            "limits", f"fixed hazards {join}/{quit}: long-run volunteer share = {share:.4f}",
            mean("volunteer_share", CHAIN_START), (arm,),
            Band(share - CHAIN_SHARE_TOLERANCE, share + CHAIN_SHARE_TOLERANCE), ".4f",
            "share", "stationary distribution of the two-state Markov chain",
            f"{share:.4f} ± {CHAIN_SHARE_TOLERANCE}"))
        if join < quit:
            retention = chain_retention(join, quit)
            checks.append(Check(
                "limits", f"fixed hazards {join}/{quit}: 12-month retention = {retention:.4f}",
                mean("retention_12m", CHAIN_START), (arm,),
                Band(retention - CHAIN_RETENTION_TOLERANCE,
                     retention + CHAIN_RETENTION_TOLERANCE), ".4f", "share",
                "52-step transition probability of the two-state Markov chain",
                f"{retention:.4f} ± {CHAIN_RETENTION_TOLERANCE}"))
    short = {"weeks": LIMIT_WEEKS}
    no_csos = Arm("no CSOs", "baseline", _with_citizens(
        {**short, "csos.density": 0.0, "csos.founding_rate": 0.0}, citizens))
    welfare = Arm("full welfare", "baseline", _with_citizens(
        {**short, "state.welfare_coverage": 1.0, "state.newcomer_coverage": 1.0}, citizens))
    return checks + [
        Check("limits", "no CSOs: nobody volunteers", largest("volunteers"), (no_csos,),
              Band(0, 0), ".0f", "largest weekly number of volunteers",
              "volunteering needs a CSO to join"),
        Check("limits", "no CSOs: no need met by CSOs", largest("need_met_csos"), (no_csos,),
              Band(0, 0), ".3g", "largest weekly need met by CSOs", "conservation of need"),
        Check("limits", "full welfare coverage: no unmet need", largest("unmet_need"),
              (welfare,), Band(0, 1e-9), ".3g", "largest weekly unmet need (need units)",
              "conservation of need", "≤ 1e-9 (rounding)"),
    ]


def default_checks(citizens: int | None = None) -> list[Check]:
    """Every check, in the order of :data:`GROUPS`.

    Args:
        citizens: Run every check with this many citizens instead of the defaults, and
            neighbourhoods in proportion (250 citizens each, as in the defaults). Faster,
            for trying things out: the calibration targets refer to the default sizes.
    """
    return (calibration_checks(citizens) + dynamics_checks(citizens) + factor_checks(citizens)
            + limit_checks(citizens))


# -- running ------------------------------------------------------------------------------------

@dataclass
class Validation:
    """The outcome of :func:`validate`.

    Attributes:
        table: One row per check: ``group``, ``check``, ``target`` (in words),
            ``target_low``, ``target_high`` (the band, infinite if open), ``value`` (mean over
            replications), ``ci_low``, ``ci_high`` (95 % t-interval), ``n`` (replications with a
            value), ``passed``, ``reference`` (mean of the first arm of a paired check, else
            NaN), ``fmt``, ``unit``, ``source``.
        values: One row per check and replication: ``check``, ``replication``, ``seed``,
            ``value``.
        kept: The results of the arms marked ``keep``, by arm label, in replication order.
        seed: The seed the replication seeds derive from.
    """

    table: pd.DataFrame
    values: pd.DataFrame
    kept: dict[str, list[Any]]
    seed: int

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return bool(self.table["passed"].all())

    def weekly(self, label: str) -> pd.DataFrame:
        """The weekly series of a kept arm's runs, stacked, with a ``replication`` column."""
        return pd.concat([r.timeseries.assign(replication=k)
                          for k, r in enumerate(self.kept[label])], ignore_index=True)




def evaluate(scenario: Scenario, seed: int, statistics: tuple[Statistic, ...], keep: bool = False
             ) -> tuple[list[float], Any]:
    """Run an arm's resolved scenario with one seed: its statistics, and its results if kept."""
    from ..results.run_result import run

    result = run(scenario, seed=seed)
    return [s(result) for s in statistics], (result if keep else None)


def plan(checks: Sequence[Check]) -> dict[str, tuple[Arm, tuple[Statistic, ...]]]:
    """The distinct arms to run and the statistics each must deliver, by arm label.

    Raises:
        ValueError: Two different arms share a label, or a paired check's arms differ in runs.
    """
    arms: dict[str, tuple[Arm, list[Statistic]]] = {}
    for check in checks:
        if len({arm.runs for arm in check.arms}) > 1:
            raise ValueError(f"the arms of check {check.name!r} differ in runs per replication")
        for arm in check.arms:
            known, wanted = arms.setdefault(arm.label, (arm, []))
            if (known.scenario, known.overrides, known.keep, known.runs) != (
                    arm.scenario, arm.overrides, arm.keep, arm.runs):
                raise ValueError(f"two different arms are labelled {arm.label!r}")
            if check.statistic not in wanted:
                wanted.append(check.statistic)
    return {label: (arm, tuple(wanted)) for label, (arm, wanted) in arms.items()}


KEPT_TABLES = ("series", "csos", "spells", "events")
"""The tables of a kept arm's runs in the store (timeseries, CSO table, spells, events)."""


@dataclass(frozen=True)
class ArmTask:
    """One run of a validation: an arm with one replication's seed.

    Attributes:
        index: The arm's place in the plan.
        replication: The run number of the arm.
        seed: Its seed (``derive_seed(seed, replication)``, shared by every arm).
        arm: The arm.
        scenario: The arm's scenario, resolved once for all its runs (:meth:`Arm.resolve`),
            with the replication's posterior set under parameter uncertainty.
        statistics: The statistics the arm's checks need.
        parameter_set: Under parameter uncertainty, ``replication // RUNS_PER_SET``.
    """

    index: int
    replication: int
    seed: int
    arm: Arm
    scenario: Scenario = field(hash=False)
    statistics: tuple[Statistic, ...]
    parameter_set: int | None = None

    @property
    def key(self) -> str:
        """The run's file name in the store, e.g. ``a003-r0007``."""
        return f"{arm_key(self.index)}-r{self.replication:04d}"

    def row(self) -> dict[str, Any]:
        """The run's identity columns."""
        row = {"arm": self.arm.label, "replication": self.replication, "seed": self.seed}
        if self.parameter_set is not None:
            row["parameter_set"] = self.parameter_set
        return row


def arm_key(index: int) -> str:
    """How a validation's store names the arm in place ``index`` of the plan: ``a000``, ..."""
    return f"a{index:03d}"


def run_arm_task(task: ArmTask) -> Stored:
    """Run one arm with one seed (on a worker): its statistics, and its tables if kept."""
    values, result = evaluate(task.scenario, task.seed, task.statistics, task.arm.keep)
    row = {**task.row(), **{f"statistic_{i}": v for i, v in enumerate(values)},
           "manifest": json.dumps(result.manifest) if result is not None else ""}
    tables = ({} if result is None else
              {"series": result.timeseries, "csos": result.csos, "spells": result.spells,
               "events": result.events})
    return Stored(row, tables)


def kept_result(stored: Stored) -> RunResult:
    """A kept run's results, as read back from the store."""
    return RunResult(stored.tables["series"], stored.tables["spells"], stored.tables["csos"],
                     stored.tables["events"], json.loads(stored.row["manifest"]))


def validation_store(out: str | Path, arms: Mapping[str, tuple[Arm, tuple[Statistic, ...]]],
                     seed: int, replications: int,
                     scenarios: Mapping[str, Scenario] | None = None,
                     uncertainty: Mapping[str, Any] | None = None) -> RunStore:
    """The run store of a validation: identified by its arms, statistics, seed, replications.

    Args:
        out: The store's folder.
        arms: The validation's :func:`plan`.
        seed: The validation's seed.
        replications: Seeds per arm.
        scenarios: The arms' resolved scenarios, by label (resolved here if not given).
        uncertainty: The posterior's :meth:`~solidarity_sim.batch.uncertainty.Posterior.spec`
            under parameter uncertainty.
    """
    scenarios = scenarios or {label: arm.resolve() for label, (arm, _) in arms.items()}
    identity = {"seed": seed, "replications": replications, "arms": {
        arm_key(i): {"label": label, "scenario": scenarios[label].hash,
                     "keep": arm.keep, "runs": arm.runs,
                     "statistics": [_statistic_name(s) for s in statistics]}
        for i, (label, (arm, statistics)) in enumerate(arms.items())}}
    manifest = {"package": "solidarity-sim", "origin": "validate", "seed": seed,
                "derivation": "replication k of every arm: derive_seed(seed, k)"}
    if uncertainty is not None:
        identity["uncertainty"] = manifest["uncertainty"] = dict(uncertainty)
    return RunStore(out, "validation", identity, tables=KEPT_TABLES, manifest=manifest,
                    what="set of checks, seed or replications")


def _statistic_name(statistic: Statistic) -> str:
    """A statistic in words that stays the same from one process to the next."""
    if isinstance(statistic, types.FunctionType):
        return f"{statistic.__module__}.{statistic.__qualname__}"
    return repr(statistic)


def validate(checks: Sequence[Check], *, replications: int = 20, seed: int = 0,
             workers: int | None = None, executor: Executor | None = None,
             out: str | Path | None = None,
             progress: Callable[[int, int], None] | None = None,
             uncertainty: Posterior | None = None) -> Validation:
    """Run every check over ``replications`` seeds and decide pass or fail.

    Args:
        checks: The checks (e.g. :func:`default_checks`).
        replications: Seeds per arm (at least 2, for an interval); an arm with ``runs`` > 1
            runs that many times more.
        seed: The validation's seed; replication seeds derive from it.
        workers: Processes of the local pool built when no ``executor`` is given (default: the
            usable cores; 1 runs in this process).
        executor: Where to run (:mod:`solidarity_sim.batch.executors`; left open).
        out: A folder to store every run in as it finishes (statistics; the tables of kept
            arms); if it holds some runs of this same validation, only the missing runs are
            computed.
        progress: Called as ``progress(done, total)`` each time a run finishes.
        uncertainty: A posterior: replication ``k`` of every arm runs with its set ``k // 2``
            (an arm's own overrides win); intervals are taken over sets and the table adds the
            share of each check's variance that comes from the parameters. None: chance only.

    Returns:
        The :class:`Validation`; its tables do not depend on the engine, ``workers`` or the
        order in which runs finish.

    Raises:
        ScenarioError: An arm's scenario or overrides are invalid (checked before any run), or
            ``out`` holds something else.
        ValueError: Fewer than two replications, fewer than one worker, or clashing arm labels.
        RuntimeError: A run raised (the others are stored in ``out``).
    """
    if replications < 2:
        raise ValueError(f"replications must be at least 2 for an interval, not {replications}")
    arms = plan(checks)
    scenarios = {label: arm.resolve() for label, (arm, _) in arms.items()}  # before any run
    runs = {label: replications * arm.runs for label, (arm, _) in arms.items()}
    seeds = [derive_seed(seed, k) for k in range(max(runs.values()))]
    tasks = [ArmTask(i, k, seeds[k], arm, scenarios[label], statistics) if uncertainty is None
             else ArmTask(i, k, seeds[k], arm, uncertainty.apply(scenarios[label], k), statistics,
                          k // RUNS_PER_SET)
             for k in range(len(seeds))
             for i, (label, (arm, statistics)) in enumerate(arms.items()) if k < runs[label]]
    spec = uncertainty.spec() if uncertainty is not None else None
    with (opened(validation_store(out, arms, seed, replications, scenarios, spec) if out
                 else None) as store, using(executor, workers, len(tasks)) as engine):
        stored = execute(engine, run_arm_task, tasks, store=store, progress=progress)
    raise_failures(stored, store)
    done = {(t.arm.label, t.replication): (
        [float(stored[t.key].row[f"statistic_{i}"]) for i in range(len(t.statistics))],
        kept_result(stored[t.key]) if t.arm.keep else None) for t in tasks}
    return _assemble(checks, arms, runs, seeds, seed, done, uncertainty is not None)


def _assemble(checks: Sequence[Check], arms: dict[str, tuple[Arm, tuple[Statistic, ...]]],
              runs: dict[str, int], seeds: list[int], seed: int,
              done: dict[tuple[str, int], tuple[list[float], Any]],
              by_set: bool = False) -> Validation:
    """Build the tables in check and replication order.

    With ``by_set`` (parameter uncertainty) each check's interval is taken over the means of
    its posterior sets (replications ``k // RUNS_PER_SET``), and ``parameter_share`` says how
    much of its variance comes from the parameters.
    """
    def stat(arm: Arm, statistic: Statistic, k: int) -> float:
        return done[(arm.label, k)][0][arms[arm.label][1].index(statistic)]

    rows, values = [], []
    for check in checks:
        n = runs[check.arms[0].label]
        per_arm = np.array([[stat(arm, check.statistic, k) for k in range(n)]
                            for arm in check.arms])
        if len(check.arms) == 1:
            value = per_arm[0]
        elif check.relative:
            value = np.divide(per_arm[1], per_arm[0], out=np.full(n, np.nan),
                              where=per_arm[0] != 0) - 1.0
        else:
            value = per_arm[1] - per_arm[0]
        sets = np.arange(n) // RUNS_PER_SET
        mean, low, high = t_interval(_set_means(value, sets) if by_set else value)
        rows.append({
            "group": check.group, "check": check.name, "target": check.describe_target(),
            "target_low": check.band.low, "target_high": check.band.high,
            "value": mean, "ci_low": low, "ci_high": high, "n": int(np.sum(~np.isnan(value))),
            "passed": check.band.contains(low, high),
            "reference": float(np.nanmean(per_arm[0])) if len(check.arms) == 2 else math.nan,
            "fmt": check.fmt, "unit": check.unit, "source": check.source,
            **({"parameter_share": variance_split(value, sets)["parameter_share"]}
               if by_set else {}),
        })
        values.extend({"check": check.name, "replication": k, "seed": s, "value": v}
                      for k, (s, v) in enumerate(zip(seeds[:n], value, strict=True)))
    kept = {label: [done[(label, k)][1] for k in range(runs[label])]
            for label, (arm, _) in arms.items() if arm.keep}
    return Validation(pd.DataFrame(rows), pd.DataFrame(values), kept, seed)


# -- the table in words ---------------------------------------------------------------------------

def _set_means(value: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """The mean of each set's values (NaN left out; NaN for a set without a value)."""
    return np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan
                     for v in (value[sets == j] for j in np.unique(sets))])


def _number(value: float, fmt: str) -> str:
    return "n/a" if math.isnan(value) else f"{value:{fmt}}"


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text: pattern, target band, model mean [95 % CI], replications, result."""
    return pd.DataFrame({
        "group": table["group"],
        "pattern": table["check"],
        "target": table["target"],
        "model [95% CI]": [
            f"{_number(r.value, r.fmt)} [{_number(r.ci_low, r.fmt)}, {_number(r.ci_high, r.fmt)}]"
            for r in table.itertuples()],
        "n": table["n"].astype(str),
        **({"from parameters": table["parameter_share"].map(
            lambda x: "n/a" if math.isnan(x) else f"{x:.0%}")}
           if "parameter_share" in table.columns else {}),
        "result": np.where(table["passed"], "pass", "FAIL"),
        "source": table["source"],
    })


def text_table(table: pd.DataFrame) -> str:
    """Plain-text table for the terminal (without the sources)."""
    return padded_table(readable(table).drop(columns=["group", "source"]))


def padded_table(cells: pd.DataFrame) -> str:
    """Plain-text table of string cells: columns padded, a rule under the header."""
    rows = [list(cells.columns)] + cells.to_numpy().tolist()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(table: pd.DataFrame) -> str:
    """GitHub-flavoured Markdown table, with the sources."""
    cells = readable(table)
    rows = [list(cells.columns), ["---"] * cells.shape[1]] + cells.to_numpy().tolist()
    return "\n".join("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"
                     for row in rows)


def replications_in_words(values: pd.DataFrame) -> str:
    """How many replications the checks had, e.g. ``20 replications (60 for some checks)``."""
    counts = values.groupby("check")["replication"].nunique()
    low, high = int(counts.min()), int(counts.max())
    return f"{low} replications" + (f" ({high} for some checks)" if high > low else "")


def verdict(table: pd.DataFrame) -> str:
    """One line: how many checks passed, and which failed."""
    failed = table.loc[~table["passed"], "check"].tolist()
    line = f"{len(table) - len(failed)} of {len(table)} checks pass"
    return line + (f"; failing: {'; '.join(failed)}" if failed else "")
