"""The analyst's decision space: futures we cannot predict, and the levers the state controls.

Following EMA Workbench's separation of *uncertainties* from *levers*:

* A **future** is one draw of the deep uncertainties (:func:`uncertainties`): which crisis comes
  (economic, migration or pandemic), when (onset), for how long, how hard (severity), how many it
  hits (reach), and how deep the austerity that follows a year later cuts. :func:`sample_futures`
  draws them by Latin hypercube (SALib, as sweeps do); :func:`future_overrides` turns one into
  the dotted-path overrides that replace a scenario's crises and austerity.
* A **mix** (:class:`Mix`) splits a budget in €/citizen/year between the funding policy and the
  five money levers (:data:`ITEMS`); :meth:`Mix.overrides` gives the scenario overrides.

A table of parameter sets (e.g. a calibration posterior) can be attached to the futures: future
``i`` then also takes parameter set ``i mod len(table)`` (:func:`future_overrides`), so that every
policy meets the same parameter set in the same future. Until such a table exists the model's
defaults are used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..model.calendar import WEEKS_PER_YEAR
from ..model.parameters import CRISIS_KINDS, FUNDING_POLICIES

AUSTERITY_LAG = WEEKS_PER_YEAR
"""Weeks from a crisis's onset to the austerity that follows it (as in great-recession)."""


@dataclass(frozen=True)
class Uncertainty:
    """One deep uncertainty: a range of numbers, or a set of choices.

    Attributes:
        name: Column name in the futures table.
        label: Human-readable name.
        unit: Unit of the values.
        low: Smallest value (numbers).
        high: Largest value (numbers).
        choices: The possible values (categories).
        integer: Whether the values are whole numbers.
    """

    name: str
    label: str
    unit: str = ""
    low: float = 0.0
    high: float = 1.0
    choices: tuple[str, ...] = ()
    integer: bool = False

    def from_unit(self, u: np.ndarray) -> np.ndarray | list:
        """Map uniform numbers in [0, 1) onto the uncertainty's range or choices."""
        if self.choices:
            index = np.minimum((u * len(self.choices)).astype(int), len(self.choices) - 1)
            return [self.choices[i] for i in index]
        x = self.low + u * (self.high - self.low)
        return np.floor(x + 0.5).astype(int) if self.integer else x

    def show(self, x: float) -> str:
        """A value in words: 'week 40', '26 weeks', '13 %' (shares) or '0.45'."""
        if self.unit == "week":
            return f"week {x:.0f}"
        if self.unit == "weeks":
            return f"{x:.0f} weeks"
        if self.unit.startswith("share"):
            return f"{100 * x:.0f} %"
        return f"{x:.2f}"

    def describe(self) -> str:
        """The range in words, e.g. '13-130 weeks' or 'economic, migration or pandemic'."""
        if self.choices:
            return ", ".join(self.choices[:-1]) + f" or {self.choices[-1]}"
        fmt = "{:.0f}" if self.integer else "{:g}"
        return f"{fmt.format(self.low)}-{fmt.format(self.high)} {self.unit}".strip()


def uncertainties(weeks: int) -> tuple[Uncertainty, ...]:
    """The deep uncertainties of a run of ``weeks`` weeks.

    A crisis begins in the first half of the run and lasts up to half of it, so that every
    future has a crisis and some time after it.
    """
    half = max(14, weeks // 2)
    return (
        Uncertainty("kind", "crisis kind", choices=CRISIS_KINDS),
        Uncertainty("onset", "crisis onset", "week", 4, half, integer=True),
        Uncertainty("duration", "crisis duration", "weeks", 13, half, integer=True),
        Uncertainty("severity", "crisis severity", "level 0-1", 0.2, 0.8),
        Uncertainty("reach", "crisis reach", "share of citizens", 0.05, 0.4),
        Uncertainty("austerity", "austerity cut", "share of budgets and welfare", 0.0, 0.5),
    )


def sample_futures(n: int, seed: int, weeks: int) -> pd.DataFrame:
    """Draw ``n`` futures by Latin hypercube (SALib's ``latin.sample``, seeded).

    Returns:
        One row per future: ``future`` (0, 1, ...) and a column per uncertainty.
    """
    from SALib.sample import latin

    space = uncertainties(weeks)
    problem = {"num_vars": len(space), "names": [u.name for u in space],
               "bounds": [[0.0, 1.0]] * len(space)}
    u = latin.sample(problem, n, seed=seed)
    table = pd.DataFrame({"future": np.arange(n)})
    for j, unc in enumerate(space):
        table[unc.name] = unc.from_unit(u[:, j])
    return table


def future_overrides(future: Mapping[str, Any],
                     parameter_sets: pd.DataFrame | None = None) -> dict[str, Any]:
    """The dotted-path overrides that put a scenario into one future.

    The future's crisis replaces the scenario's crises; the austerity cut starts
    :data:`AUSTERITY_LAG` weeks after its onset.

    Args:
        future: A row of :func:`sample_futures` (``future`` and the uncertainties).
        parameter_sets: Optional table of parameter sets, one column per dotted path; future
            ``i`` takes row ``i mod len(table)``.
    """
    onset = int(future["onset"])
    crisis = {"kind": str(future["kind"]), "onset": onset, "duration": int(future["duration"]),
              "severity": float(future["severity"]), "reach": float(future["reach"])}
    changes: dict[str, Any] = {"crises": [crisis],
                               "state.austerity.start": onset + AUSTERITY_LAG,
                               "state.austerity.cut": float(future["austerity"])}
    if parameter_sets is not None and len(parameter_sets):
        row = parameter_sets.iloc[int(future["future"]) % len(parameter_sets)]
        changes.update({path: _plain(value) for path, value in row.items()})
    return changes


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number a scenario expects."""
    return value.item() if isinstance(value, np.generic) else value


# -- levers ---------------------------------------------------------------------------------------

ITEMS: dict[str, str] = {
    "funding": "state.funding.budget",
    "emergency_fund": "state.levers.emergency_fund",
    "awareness_campaign": "state.levers.awareness_campaign",
    "training": "state.levers.training",
    "recognition_awards": "state.levers.recognition_awards",
    "network_support": "state.levers.network_support",
}
"""Each way the state can spend money on civil society, and its parameter (€/citizen/year)."""

ITEM_LABELS = {"funding": "funding", "emergency_fund": "emergency fund",
               "awareness_campaign": "awareness campaign", "training": "training programme",
               "recognition_awards": "recognition awards", "network_support": "network support"}

FUNDED_POLICIES = tuple(p for p in FUNDING_POLICIES if p != "none")
"""The funding policies that pay CSOs (all but ``none``)."""


@dataclass(frozen=True)
class Mix:
    """A split of the civil-society budget between the funding policy and the levers.

    Attributes:
        policy: The funding policy that pays the ``funding`` share.
        shares: Share of the budget per item of :data:`ITEMS` (they sum to 1; missing: 0).
    """

    policy: str = "core_funding"
    shares: Mapping[str, float] = field(default_factory=lambda: {"funding": 1.0})

    def __post_init__(self) -> None:
        unknown = set(self.shares) - set(ITEMS)
        if unknown:
            raise ValueError(f"unknown budget items {sorted(unknown)}; known: {', '.join(ITEMS)}")
        if self.policy not in FUNDED_POLICIES:
            raise ValueError(f"funding policy {self.policy!r} is not one of "
                             f"{', '.join(FUNDED_POLICIES)}")
        total = sum(self.shares.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9) or min(self.shares.values()) < 0:
            raise ValueError(f"the shares of a mix must be non-negative and sum to 1, not {total}")

    @classmethod
    def from_weights(cls, policy: str, weights: Mapping[str, float]) -> Mix:
        """A mix from non-negative weights (normalised; all zero gives equal shares)."""
        total = sum(weights.values())
        if total <= 0:
            return cls(policy, {k: 1.0 / len(ITEMS) for k in ITEMS})
        return cls(policy, {k: float(w) / total for k, w in weights.items() if w > 0})

    def overrides(self, budget: float) -> dict[str, Any]:
        """The scenario overrides that spend ``budget`` €/citizen/year by this mix."""
        changes: dict[str, Any] = {"state.funding.policy": self.policy}
        changes.update({path: budget * self.shares.get(item, 0.0)
                        for item, path in ITEMS.items()})
        return changes

    def label(self) -> str:
        """The mix in words, e.g. 'core_funding 60 % + training 40 %'."""
        parts = []
        for item in ITEMS:
            share = self.shares.get(item, 0.0)
            if share >= 0.005:
                name = self.policy if item == "funding" else ITEM_LABELS[item]
                parts.append(f"{name} {share:.0%}")
        return " + ".join(parts)

    def record(self) -> dict[str, Any]:
        """The mix as flat columns: ``policy`` and ``share_ITEM`` for every item."""
        return {"policy": self.policy,
                **{f"share_{item}": float(self.shares.get(item, 0.0)) for item in ITEMS}}


def single_lever_mixes() -> dict[str, Mix]:
    """Every way of spending the whole budget on one thing, by name.

    Each funding policy alone (``core_funding``, ...), and each money lever alone (with the
    funding policy left at ``core_funding``, which then pays nothing).
    """
    mixes = {policy: Mix(policy, {"funding": 1.0}) for policy in FUNDED_POLICIES}
    mixes.update({item: Mix("core_funding", {item: 1.0}) for item in ITEMS if item != "funding"})
    return mixes

