"""Crises: scheduled shocks (uncertainties, not levers), their intensity and who they hit.

A crisis has a kind, an onset week, a duration at full ``severity`` and an exponential fade-out
with time scale ``recovery``. Economic crises and pandemics add need to the citizens they hit
(``reach`` of the population, the already needy three times as likely); a migration crisis brings
newcomers of the minority group with need ``severity``, arriving evenly over its duration; a
pandemic confines citizens for ``confinement`` weeks, which frees time for those not hit ([SOLIDUS]
'Introduction'; [VALLECAS]). Every crisis raises public salience, which feeds awareness
([SOLIDUS] factor 07, 'sameness ... in experienced risk'). Salience is intensity times media
attention, which is full at onset and fades with time scale ``attention`` to a floor (the
issue-attention cycle, [DOWNS-1972]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVE = 0.05
"""Intensity above which a crisis counts as under way (emergence, shading in figures)."""

FADED = 0.01
"""Share of its height below which a crisis fading out is over: its exponential tail is cut
there, so that it leaves no trace of need or strain years later (assumption)."""

ATTENTION_FLOOR = 0.25
"""Share of a crisis's salience that outlasts the fading of media attention (assumption)."""

VULNERABLE_WEIGHT = 3.0
"""How much likelier a citizen already in need is to be hit (assumption)."""


def newcomer_count(crisis: dict, residents: int) -> int:
    """Number of newcomers a migration crisis brings."""
    return int(round(crisis["arrivals"] * residents))


def attention_profile(crisis: dict, weeks: int) -> np.ndarray:
    """Media attention to a crisis: full at onset, fading to a floor (issue-attention cycle)."""
    since = np.maximum(np.arange(weeks, dtype=np.float64) - crisis["onset"], 0.0)
    if crisis["attention"] <= 0:
        return np.ones(weeks)
    return ATTENTION_FLOOR + (1.0 - ATTENTION_FLOOR) * np.exp(-since / crisis["attention"])


def intensity_profile(crisis: dict, weeks: int) -> np.ndarray:
    """Intensity of one crisis in each week: ``severity`` while on, then an exponential fade.

    The fade is cut to 0 once below :data:`FADED` of the crisis's height.
    """
    t = np.arange(weeks, dtype=np.float64)
    end = crisis["onset"] + crisis["duration"]
    after = np.exp(-(t - end) / crisis["recovery"]) if crisis["recovery"] > 0 else 0.0
    after = np.where(after < FADED, 0.0, after)
    level = np.where(t < crisis["onset"], 0.0, np.where(t < end, 1.0, after))
    return crisis["severity"] * level


@dataclass(frozen=True)
class CrisisWeek:
    """What the crises do in one week.

    Attributes:
        intensity: The largest intensity of the crises now, in [0, 1].
        salience: Public salience: intensity times media attention (largest over crises).
        economic: Intensity of economic crises (cuts donations), in [0, 1].
        confinement: A pandemic confinement is in force.
        motivation: Salience times shared risk (largest over crises): what moves bystanders to
            volunteer ([SOLIDUS] factor 07, 'sameness ... in experienced risk').
    """

    intensity: float
    salience: float
    economic: float
    confinement: bool
    motivation: float = 0.0

    @property
    def active(self) -> bool:
        """A crisis is under way (its intensity is above :data:`ACTIVE`)."""
        return self.intensity > ACTIVE


class CrisisSchedule:
    """All crises of a run, with their precomputed profiles and who each one hits.

    Args:
        crises: The scenario's crisis tables.
        weeks: The run's horizon.
        base_need: Need of each citizen slot before crises.
        rng: The ``crises`` random stream (one draw per citizen per crisis).
    """

    def __init__(self, crises: list[dict], weeks: int, base_need: np.ndarray,
                 rng: np.random.Generator):
        self.weeks = weeks
        self.rng = rng
        self.crises: list[dict] = []
        self.profiles = np.zeros((0, weeks))
        self.salience = np.zeros((0, weeks))
        self.motivation = np.zeros((0, weeks))
        self.hit: list[np.ndarray] = []
        for crisis in crises:
            self.add(crisis, base_need)

    def add(self, crisis: dict, base_need: np.ndarray) -> None:
        """Add a crisis: its profiles, and who it hits (the next draw of the ``crises`` stream).

        Crises added during a run (interventions) draw after those of the scenario, so a crisis
        added in its onset week hits the citizens it would have hit had the scenario listed it
        last.
        """
        self.crises.append(crisis)
        profile = intensity_profile(crisis, self.weeks)
        self.profiles = np.vstack((self.profiles, profile))
        salience = profile * attention_profile(crisis, self.weeks)
        self.salience = np.vstack((self.salience, salience))
        self.motivation = np.vstack((self.motivation, crisis["shared_risk"] * salience))
        weight = 1.0 + (VULNERABLE_WEIGHT - 1.0) * (base_need > 0)
        u = self.rng.random(base_need.size)
        p_hit = np.clip(crisis["reach"] * weight / weight.mean(), 0.0, 1.0)
        hits_need = crisis["kind"] in ("economic", "pandemic")
        self.hit.append((u < p_hit) if hits_need else np.zeros(base_need.size, bool))

    def grow(self, extra: int) -> None:
        """Make room for ``extra`` new citizens, whom the crises so far did not hit."""
        self.hit = [np.concatenate((hit, np.zeros(extra, bool))) for hit in self.hit]

    def week(self, t: int) -> CrisisWeek:
        """Summarise the crises in week ``t``."""
        if not self.crises:
            return CrisisWeek(0.0, 0.0, 0.0, False)
        now = self.profiles[:, t]
        economic = max((i for c, i in zip(self.crises, now, strict=True)
                        if c["kind"] == "economic"), default=0.0)
        confined = any(c["kind"] == "pandemic" and c["onset"] <= t < c["onset"] + c["confinement"]
                       for c in self.crises)
        return CrisisWeek(float(now.max()), float(self.salience[:, t].max()), float(economic),
                          confined, float(self.motivation[:, t].max()))

    def need(self, t: int, base_need: np.ndarray) -> np.ndarray:
        """Need in week ``t``: base need plus the intensity of each crisis that hit the citizen."""
        from . import kernels  # not at the top: reading a scenario needs no Numba

        need = base_need.copy()
        for hit, level in zip(self.hit, self.profiles[:, t], strict=True):
            if level > 0:
                kernels.add_where(need, hit, level, True)
        return np.minimum(need, 1.0, out=need)

    def availability(self, t: int, base: np.ndarray) -> np.ndarray:
        """Availability in week ``t``.

        A crisis takes time from those it hits (``strain`` at full intensity: job loss and
        search, second jobs, care, illness); a pandemic's confinement frees time for those it
        did not hit.
        """
        from . import kernels

        avail = base.copy()
        for crisis, hit, level in zip(self.crises, self.hit, self.profiles[:, t], strict=True):
            if level > 0 and crisis["strain"] > 0:  # x - d is x + (-d), exactly
                kernels.add_where(avail, hit, -(crisis["strain"] * level
                                                / max(crisis["severity"], 1e-12)), True)
            if crisis["kind"] == "pandemic" and crisis["onset"] <= t < (
                    crisis["onset"] + crisis["confinement"]):
                kernels.add_where(avail, hit, crisis["availability_boost"], False)
        return np.clip(avail, 0.0, 1.0, out=avail)
