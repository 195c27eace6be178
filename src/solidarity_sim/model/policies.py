"""Funding policies and non-monetary levers of the state; each reports what it spent.

Funding policies (``state.funding.policy``) pay the weekly civil-society budget to formal CSOs
(informal groups have no access to public funding; only the recognition awards, public prizes,
can go to any active CSO):

* ``none``: nothing is paid.
* ``project_grants``: competitive rounds every ``round_weeks``; the best-scoring share
  ``success_rate`` of applicants (recognition + transparency + legitimacy + noise) win equal grants
  for one round; renewal is uncertain and applying costs ``application_overhead`` of capacity in the
  four weeks before a round ([SOLIDUS] 'The findings': 'ongoing, established funding').
* ``core_funding``: stable funding, shared in proportion to each CSO's scale ([SOLIDUS] 'The
  findings').
* ``performance``: shared in proportion to legitimacy x transparency, among CSOs whose transparency
  meets the ``social_clause`` ([SOLIDUS] factors 02 and 05).
* ``procurement``: pays ``price`` per need unit served last week, to CSOs meeting the social clause,
  pro rata when the budget runs short ([SSOLEIL] 8.4.4: market reserve, social clauses).

Levers (``state.levers``, each in €/citizen/year, each buying something stated): crisis
emergency funds (money to formal CSOs), awareness campaign (awareness input), training programme
(volunteers trained at ``training_cost``), recognition awards (one award per ``award_prize`` to the
most legitimate CSOs), recognition of new volunteers (one per ``volunteer_recognition_cost``) and
inter-cooperation network support (management of scale); ``state.austerity`` cuts the budget,
the levers and welfare coverage from its start week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .calendar import WEEKS_PER_YEAR, weekly
from .csos import CSOTable

GRANT_APPLICATION_WEEKS = 4
"""Weeks before a grant round in which applicants write proposals (assumption)."""

SPENDING_ITEMS = ("funding", "emergency", "campaign", "training", "awards", "network",
                  "volunteer_recognition")


@dataclass
class Spending:
    """What the state spent in one week on civil society, by item, in €."""

    amounts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SPENDING_ITEMS, 0.0))

    @property
    def total(self) -> float:
        """All civil-society spending this week."""
        return sum(self.amounts.values())


def _eligible(csos: CSOTable, clause: float | None = None) -> np.ndarray:
    ok = csos.active & csos.formal
    return ok if clause is None else ok & (csos.factor("transparency") >= clause)


def _share(budget: float, weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return budget * weights / total if total > 0 else np.zeros_like(weights)


def fund_none(csos: CSOTable, budget: float, week: int, fp: dict, noise: np.ndarray
              ) -> np.ndarray:
    """Pay nothing."""
    return np.zeros(len(csos))


def fund_core(csos: CSOTable, budget: float, week: int, fp: dict, noise: np.ndarray
              ) -> np.ndarray:
    """Stable core funding in proportion to scale."""
    return _share(budget, np.where(_eligible(csos), csos.scale, 0.0))


def fund_performance(csos: CSOTable, budget: float, week: int, fp: dict, noise: np.ndarray
                     ) -> np.ndarray:
    """Performance-based funding in proportion to legitimacy x transparency."""
    ok = _eligible(csos, fp["social_clause"])
    return _share(budget, np.where(ok, csos.legitimacy * csos.factor("transparency"), 0.0))


def fund_procurement(csos: CSOTable, budget: float, week: int, fp: dict, noise: np.ndarray
                     ) -> np.ndarray:
    """Procurement: a price per need unit served, pro rata when the budget is short."""
    bill = np.where(_eligible(csos, fp["social_clause"]), fp["price"] * csos.served, 0.0)
    total = bill.sum()
    return bill * min(1.0, budget / total) if total > 0 else bill


def fund_project_grants(csos: CSOTable, budget: float, week: int, fp: dict,
                        noise: np.ndarray) -> np.ndarray:
    """Competitive project grants, awarded at each round and paid weekly until the next."""
    if week % fp["round_weeks"] == 0:
        applicants = np.flatnonzero(_eligible(csos))
        csos.grant[:] = 0.0
        if applicants.size:
            score = (csos.recognition + csos.factor("transparency") + csos.legitimacy
                     + 0.5 * noise)[applicants]
            n_win = max(1, int(np.ceil(fp["success_rate"] * applicants.size)))
            winners = applicants[np.argsort(-score, kind="stable")[:n_win]]
            csos.grant[winners] = budget / n_win
            csos.grant_until[winners] = week + fp["round_weeks"]
    paid = np.where(csos.active & (csos.grant_until > week), csos.grant, 0.0)
    return paid * min(1.0, budget / paid.sum()) if paid.sum() > 0 else paid


FUNDING: dict[str, Callable[..., np.ndarray]] = {
    "none": fund_none,
    "project_grants": fund_project_grants,
    "core_funding": fund_core,
    "performance": fund_performance,
    "procurement": fund_procurement,
}
"""Each funding policy: ``(csos, weekly_budget, week, funding_params, noise) -> payments``."""


def application_capacity(csos: CSOTable, week: int, fp: dict, policy: str) -> np.ndarray:
    """Capacity multiplier: applicants lose time to proposals before a project-grant round."""
    to_round = (-week) % fp["round_weeks"]
    writing = policy == "project_grants" and 0 < to_round <= GRANT_APPLICATION_WEEKS
    return np.where(writing & _eligible(csos), 1.0 - fp["application_overhead"], 1.0)


def emergency_funds(csos: CSOTable, budget: float) -> np.ndarray:
    """Crisis emergency funds to formal CSOs, in proportion to last week's demand."""
    return _share(budget, np.where(_eligible(csos), csos.demand, 0.0))


def recognition_awards(csos: CSOTable, money: float, prize: float, boost: float) -> np.ndarray:
    """Give the year's awards to the most legitimate active CSOs; return the prize money paid.

    The money buys ``money / prize`` awards (at least one when there is money), so a town ten
    times larger gives ten times as many awards for the same budget per citizen.

    Args:
        csos: The CSOs.
        money: The year's prize money, in €.
        prize: The prize money of one award, in €.
        boost: Recognition gained by a winner (towards 1).
    """
    paid = np.zeros(len(csos))
    active = np.flatnonzero(csos.active)
    if money <= 0 or active.size == 0:
        return paid
    awards = max(1, int(money // prize)) if prize > 0 else active.size
    winners = active[np.argsort(-csos.legitimacy[active], kind="stable")[:awards]]
    csos.recognition[winners] += boost * (1.0 - csos.recognition[winners])
    paid[winners] = money / awards  # with fewer CSOs than awards, the rest is not spent
    return paid


def network_strength(per_capita_year: float, scale: float) -> float:
    """Benefit of inter-cooperation network support, in [0, 1): ``1 - exp(-support / scale)``."""
    return 1.0 - np.exp(-per_capita_year / scale) if scale > 0 else 0.0


class Government:
    """The state's logic: welfare coverage, the funding policy and the levers.

    The Mesa ``State`` agent (:mod:`.agents`) is a view over it.

    Args:
        params: The scenario's ``state`` table (read every week, so a change acts at once).
        csos: The CSO arrays it pays.

    Attributes:
        params: The scenario's ``state`` table.
        spending: What it spent this week, by item.
        spent_total: Everything it has spent on civil society so far, in €.
    """

    def __init__(self, params: dict, csos: CSOTable):
        self.params = params
        self.csos = csos
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
        if (self._coverage is None or keep != self._coverage_keep
                or self._coverage.size != newcomer.size):
            self.welfare_coverage = self.params["welfare_coverage"] * keep
            self._coverage = np.where(newcomer, self.params["newcomer_coverage"] * keep,
                                      self.welfare_coverage)
            self._coverage_keep = keep
        return self._coverage

    def changed(self) -> None:
        """Forget what was derived from :attr:`params` (after an intervention changed them)."""
        self._coverage = None

    def act(self, week: int, citizens: int, intensity: float, noise: np.ndarray) -> np.ndarray:
        """Pay CSOs by the funding policy and run the money levers; return payments per CSO.

        Args:
            week: The current week.
            citizens: Citizens present (budgets are per citizen).
            intensity: Crisis intensity, which scales emergency funds.
            noise: The ``policy`` stream's draws (one per CSO slot).
        """
        csos = self.csos
        fp, lv = self.params["funding"], self.params["levers"]
        keep = self.austerity(week)
        amounts = dict.fromkeys(self.spending.amounts, 0.0)
        pay = FUNDING[self.policy](csos, weekly(fp["budget"], citizens) * keep, week, fp, noise)
        amounts["funding"] = pay.sum()
        emergency = emergency_funds(csos, weekly(lv["emergency_fund"], citizens) * keep * intensity)
        amounts["emergency"] = emergency.sum()
        pay = pay + emergency
        if week % WEEKS_PER_YEAR == WEEKS_PER_YEAR - 1:
            awards = recognition_awards(csos, lv["recognition_awards"] * citizens * keep,
                                        lv["award_prize"], lv["award_boost"])
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

    def recognise_newcomers(self, week: int, citizens: int, joins: int) -> float:
        """Recognise this week's new volunteers; return the share of them recognised.

        The week's budget buys one recognition per ``volunteer_recognition_cost`` €; when it
        buys fewer than there are new volunteers, each gets that share (in expectation). What is
        spent is booked.
        """
        lv = self.params["levers"]
        budget = weekly(lv["volunteer_recognition"], citizens) * self.austerity(week)
        if budget <= 0 or joins == 0:
            return 0.0
        cost = lv["volunteer_recognition_cost"]
        share = min(1.0, budget / (cost * joins)) if cost > 0 else 1.0
        self.spending.amounts["volunteer_recognition"] = share * cost * joins
        return share

    def record_training(self, amount: float) -> None:
        """Book what the training programme actually spent this week."""
        self.spending.amounts["training"] = amount

    def close_week(self) -> None:
        """Add this week's spending to the running total."""
        self.spent_total += self.spending.total
