"""Every model parameter, documented once, beside its default.

Each parameter has a dotted path (``csos.factors.meaning``), a default, a unit, an allowed range and
its *basis*: a passage of a source document or an empirical fact, cited by its key in square
brackets (``[SOLIDUS]``, ``[CNCS-2007]``; every key is defined in ``docs/sources.md``), or the word
"assumption". The ODD document's parameter table is generated from this
module (``python -m solidarity_sim.model.parameters``), so the two cannot drift apart.

Source documents (``docs/sources.md``):
    [SOLIDUS]: the SOLIDUS handbook for civil society organisations (the eight factors).
    [VALLECAS]: the RESISTIRÉ Better Story of the Vallecas mutual-support network (COVID-19).
    [SSOLEIL]: the SSOLEIL training manual, section 8 (policy levers of the SSE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FACTORS = (
    "democracy",
    "transparency",
    "pluralism",
    "recognition",
    "legitimacy",
    "scalability",
    "awareness",
    "meaning",
)
"""The eight SOLIDUS factors, in the handbook's order ([SOLIDUS] 'Recommendations', 01-08)."""

FUNDING_POLICIES = ("none", "project_grants", "core_funding", "performance", "procurement")
CRISIS_KINDS = ("economic", "migration", "pandemic")

SOLIDUS = "[SOLIDUS]"
VALLECAS = "[VALLECAS]"
SSOLEIL = "[SSOLEIL]"
CALIBRATED = ("calibrated by rejection ABC against P1-P3 (docs/sources.md#reference-facts, "
              "docs/calibration.md)")


@dataclass(frozen=True)
class Param:
    """One parameter: its default, type, allowed range, unit, basis and meaning.

    Attributes:
        default: The default value.
        kind: ``float``, ``int``, ``bool``, ``str`` or ``list[str]``.
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        choices: The allowed values (strings only).
        unit: Unit of measurement ("share", "per week", "€/citizen/year", ...).
        basis: Where the value or the mechanism comes from.
        doc: What the parameter means.
    """

    default: Any
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = ""
    basis: str = "assumption"
    doc: str = ""

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and the ODD table."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("str", "list[str]"):
            return "a string" if self.kind == "str" else "a list of strings"
        noun = "a whole number" if self.kind == "int" else "a number"
        high = "" if self.high is None else f" to {self.high:g}"
        return f"{noun} from {self.low:g}{high}" if self.low is not None else noun


def share(default: float, doc: str, basis: str = "assumption", unit: str = "share") -> Param:
    """A number in [0, 1]."""
    return Param(default, "float", 0.0, 1.0, unit=unit, basis=basis, doc=doc)


def rate(default: float, doc: str, unit: str = "per week", basis: str = "assumption",
         high: float | None = None) -> Param:
    """A non-negative number (a rate, weight or amount)."""
    return Param(default, "float", 0.0, high, unit=unit, basis=basis, doc=doc)


def count(default: int, doc: str, low: int = 0, high: int | None = None, unit: str = "",
          basis: str = "assumption") -> Param:
    """A whole number."""
    return Param(default, "int", low, high, unit=unit, basis=basis, doc=doc)


def _factor_means() -> dict[str, Param]:
    return {
        f: share(0.5, f"Mean practice level of factor '{f}' across the initial CSOs.",
                 basis=f"assumption (level); the factor: {SOLIDUS}, factor {i:02d}",
                 unit="level")
        for i, f in enumerate(FACTORS, start=1)
    }


SCHEMA: dict[str, Any] = {
    "name": Param("unnamed", "str", doc="Short name of the scenario."),
    "description": Param("", "str", doc="What the scenario represents and what it draws on."),
    "sources": Param([], "list[str]", doc="Source documents or facts the scenario draws on."),
    "weeks": count(520, "Horizon of a run.", low=1, high=5200, unit="weeks"),
    "population": {
        "citizens": count(10_000, "Initial number of citizens.", low=10, high=10_000_000,
                          unit="citizens"),
        "minority_share": share(0.12, "Share of citizens in the minority identity group.",
                                basis="empirical: foreign-born share of EU residents, about 12 %"
                                      " [EUROSTAT-MIGR] (migr_pop3ctb, 2020)"),
        "neighbourhood_size": count(250, "Citizens per neighbourhood: the number of "
                                         "neighbourhoods is round(citizens / neighbourhood_size)"
                                         ", at least 1, unless 'neighbourhoods' is set.",
                                    low=1, high=10_000_000, unit="citizens",
                                    basis="assumption (a neighbourhood of about a hundred "
                                          "households, the scale of a local mutual-aid group: "
                                          "[VALLECAS] 'groups were formed in each part of the "
                                          "district')"),
        "neighbourhoods": count(0, "Number of neighbourhoods, laid out on a grid; 0 (the "
                                   "default) derives it from 'neighbourhood_size'.", low=0,
                                high=100_000, unit="neighbourhoods"),
        "mean_degree": rate(10.0, "Mean number of social ties per citizen.", unit="ties",
                            high=200),
        "local_ties": share(0.7, "Share of ties inside the citizen's own neighbourhood; the "
                                 "rest go to adjacent neighbourhoods."),
        "homophily": share(0.8, "Probability that a tie links two citizens of the same group.",
                           basis="empirical: homophily in personal networks "
                                 "[MCPHERSON-2001]"),
    },
    "citizens": {
        "disposition_mean": share(0.5, "Mean solidarity disposition.", unit="level",
                                  basis=f"{SOLIDUS}, 'About solidarity' (a disposition)"),
        "disposition_spread": rate(0.2, "Standard deviation of disposition.", unit="level",
                                   high=0.5),
        "availability_mean": share(0.5, "Mean availability (free time).", unit="level"),
        "availability_spread": rate(0.2, "Standard deviation of availability.", unit="level",
                                    high=0.5),
        "awareness_initial": share(0.5, "Initial awareness of the social problem and of CSOs.",
                                   unit="level"),
        "need_share": share(0.2, "Share of citizens in material need at the start.",
                            basis="empirical: about one in five EU residents at risk of poverty "
                                  "or social exclusion [EUROSTAT-AROPE] (ilc_peps01, 2019)"),
        "need_level": share(0.5, "Mean need of a citizen in need (share of a basic basket "
                                 "lacking).", unit="need units"),
        "minority_need_ratio": rate(1.5, "How much more likely a minority citizen is to be in "
                                         "need.", unit="ratio", high=10,
                                    basis="empirical: higher poverty risk of non-EU citizens "
                                          "[EUROSTAT-AROPE-NONEU] (ilc_peps05)"),
    },
    "awareness": {
        "decay": share(0.05, "Weekly decay of awareness.", unit="per week"),
        "media": rate(0.03, "Background media input to awareness.", unit="per week"),
        "neighbours": rate(0.03, "Input from the share of volunteering neighbours.",
                           basis="assumption (strength); direction: "
                                 f"{SOLIDUS}, factor 07 (empathy, personal stories)"),
        "outreach": rate(0.02, "Input from CSO outreach (awareness practice x recognition) in "
                               "the neighbourhood, saturating in the number of CSOs.",
                         basis=f"assumption (strength); direction: {SOLIDUS}, factor 07"),
        "crisis": rate(0.15, "Input from crisis intensity (sameness of risk, media).",
                       basis="assumption (strength); direction: "
                             f"{SOLIDUS}, factor 07 ('sameness ... in experienced risk'); "
                             f"{VALLECAS} (media spread the news)"),
    },
    "volunteering": {
        "initial_share": share(0.2, "Share of citizens volunteering at the start.",
                               basis="empirical: 17-19 % formal volunteering EU-28 "
                                     "[EU-SILC-2015], 25-26 % US [CNCS-2007]"),
        "join_rate": rate(0.012, "Base weekly join hazard of a fully available, disposed and "
                               "aware bystander.", basis=CALIBRATED),
        "contagion": rate(1.3, "Join-hazard gain per unit share of volunteering neighbours.",
                          unit="multiplier", basis="assumption (social contagion of "
                                                    f"volunteering); {CALIBRATED}, weakly "
                                                    "identified"),
        "crisis_motivation": rate(5.6, "Join-hazard gain per unit of crisis motivation (salience "
                                       "x shared risk).",
                                  unit="multiplier", basis="assumption (strength); direction: "
                                                           f"{SOLIDUS}, factor 07 ('sameness "
                                                           "... in experienced risk, motivation "
                                                           "generally increases'); "
                                                           f"{CALIBRATED}, weakly identified"),
        "episodic_quit": rate(75.0, "Quit-hazard gain per unit of crisis motivation lost since "
                                    "the volunteer joined.", unit="multiplier",
                              basis="assumption (spontaneous volunteers drawn in by a crisis "
                                    "leave as it fades); calibrated to UK mutual-aid activity "
                                    "falling about 75 % within three months ([UK-MUTUAL-AID]; "
                                    f"{CALIBRATED})"),
        "quit_rate": rate(0.004, "Base weekly quit hazard (reasons other than burnout).",
                          basis="annual retention of about two thirds [CNCS-2007]; "
                                f"{CALIBRATED}"),
        "recruit_by_need": share(1.0, "How far a CSO's recruiting follows its need for "
                                      "volunteers: it recruits 1 - r + r x min(1, load) as "
                                      "actively as a CSO with work for more hands.",
                                 unit="strength",
                                 basis="assumption; direction: organisations' capacity to "
                                       "engage volunteers limits volunteering "
                                       "[VOLUNTEERMATCH-2015]; "
                                       f"{SOLIDUS}, factor 06 ('constant recruitment and "
                                       "replacement of their members')"),
        "availability_quit": rate(1.0, "Quit-hazard gain per unit of missing availability.",
                                  unit="multiplier"),
        "idle_quit": rate(1.5, "Quit-hazard gain when the CSO has no demand for its capacity "
                               "(scaled by 1 - workload).", unit="multiplier",
                          basis=f"assumption; {SOLIDUS}, factor 08 ('disenchantment and "
                                "decreasing involvement')"),
        "early_quit": rate(2.0, "Extra quit hazard of new volunteers, relative to the base.",
                           unit="multiplier", basis="assumption (attrition is highest in the "
                                                     "first months)"),
        "early_weeks": rate(13.0, "Time scale over which the early extra hazard fades.",
                            unit="weeks"),
        "burnout_rate": rate(0.1, "Weekly burnout quit hazard at full fatigue (scales with "
                                  "fatigue squared).", basis="assumption (strength); direction: "
                                                             f"{SOLIDUS}, factor 08 (Debt Aid "
                                                              "Companion: prevent burn out)"),
        "fatigue_gain": rate(0.02, "Weekly fatigue gain at a workload of one (demand equal to "
                                   "capacity).", basis="assumption (strength); direction: "
                                                       f"{SOLIDUS}, factor 08"),
        "fatigue_recovery": share(0.03, "Weekly recovery of fatigue, before meaning and "
                                        "training.", unit="per week"),
        "productivity": rate(0.15, "Need units served per volunteer-week.",
                             unit="need units/week"),
        "training_bonus": rate(0.5, "Productivity gain of a trained volunteer.",
                               unit="multiplier", basis="assumption (strength); direction: "
                                                        f"{SSOLEIL}, 8.3.4; {SOLIDUS}, "
                                                        "factor 08 (DAC training)"),
        "training_recovery": rate(0.5, "Fatigue-recovery gain of a trained volunteer.",
                                  unit="multiplier", basis="assumption (strength); direction: "
                                                           f"{SOLIDUS}, factor 08"),
        "training_rate": share(0.01, "Weekly chance a volunteer is trained, per unit of the "
                                     "CSO's meaning practice.", unit="per week",
                               basis="assumption (strength); direction: "
                                     f"{SOLIDUS}, factor 08 (regular training)"),
        "meaning_adapt": share(0.05, "Weekly pull of a volunteer's sense of meaning towards "
                                     "the CSO's meaning practice.", unit="per week"),
    },
    "effects": {
        "democracy_retention": share(0.6, "Largest cut of the burnout hazard by internal "
                                          "democracy (voice).", unit="strength",
                                     basis="assumption (strength); direction: "
                                           f"{SOLIDUS}, factor 01"),
        "democracy_recruitment": rate(3.0, "Join-hazard gain of recent beneficiaries, times "
                                           "their providers' democracy.", unit="multiplier",
                                      basis="assumption (strength); direction: "
                                            f"{SOLIDUS}, factors 01 and 03 (Trussell Trust, "
                                            "RIO: users become volunteers)"),
        "transparency_visibility": share(0.7, "Share of impact that stays invisible without "
                                              "transparency.", unit="strength",
                                         basis="assumption (strength); direction: "
                                               f"{SOLIDUS}, factors 02 and 05"),
        "transparency_trust": rate(1.0, "Donation-weight gain of full transparency.",
                                   unit="multiplier", basis="assumption (strength); direction: "
                                                            f"{SOLIDUS}, factor 02 (trust "
                                                            "criterion for citizens)"),
        "pluralism_reach": share(0.8, "Largest cut of minority recruitment and service by a "
                                      "non-pluralist (exclusive) CSO.", unit="strength",
                                 basis="assumption (strength); direction: "
                                       f"{SOLIDUS}, factor 03 and 'Inclusive solidarity'"),
        "recognition_attraction": rate(1.0, "Attractiveness gain of full recognition, for "
                                            "recruits and demand.", unit="multiplier",
                                       basis="assumption (strength); direction: "
                                             f"{SOLIDUS}, factors 04 and 06 (recognition -> "
                                             "demand -> scale)"),
        "recognition_practice": share(0.6, "Share of recognition that depends on the CSO's "
                                           "public-profile practice.", unit="strength",
                                      basis="assumption (strength); direction: "
                                            f"{SOLIDUS}, factor 04"),
        "legitimacy_demonstration": share(0.6, "Share of impact that stays undemonstrated "
                                               "without impact data collection.",
                                          unit="strength",
                                          basis=f"assumption (strength); direction: {SOLIDUS}, "
                                                "factor 05"),
        "scalability_relief": share(0.7, "Largest cut of overload fatigue by good "
                                         "management of scale.", unit="strength",
                                    basis="assumption (strength); direction: "
                                          f"{SOLIDUS}, factor 06"),
        "scalability_growth": share(0.6, "Weekly chance of adding the next neighbourhood to "
                                          "the catchment, at full scalability and recognition "
                                          "and no need met there (times 2 x gap - 1 of that "
                                          "neighbourhood, 0 at or below one half).",
                                    unit="per week", basis=f"assumption (strength); direction: "
                                                           f"{SOLIDUS}, factor 06 (recognition "
                                                           "-> demand -> extension)"),
        "awareness_outreach": rate(1.0, "Outreach strength per unit of awareness practice.",
                                   unit="multiplier", basis="assumption (strength); direction: "
                                                            f"{SOLIDUS}, factor 07"),
        "meaning_retention": share(0.5, "Largest cut of the other-reasons quit hazard by a "
                                        "full sense of meaning.", unit="strength",
                                   basis=f"assumption (strength); direction: {SOLIDUS}, factor 08"),
        "volunteer_recognition": share(0.25, "Cut of a recognised new volunteer's "
                                             "other-reasons quit hazard in the first year.",
                                       unit="strength",
                                       basis=f"assumption (strength); direction: {SOLIDUS}, "
                                             "factor 04 (felt recognition as an incentive to "
                                             "continue)"),
        "meaning_recovery": rate(2.0, "Fatigue-recovery gain of full meaning practice.",
                                 unit="multiplier", basis="assumption (strength); direction: "
                                                          f"{SOLIDUS}, factor 08 (wellbeing "
                                                          "care)"),
    },
    "csos": {
        "density": rate(10.0, "Initial formal CSOs per 10,000 citizens.",
                        unit="per 10,000 citizens", high=10_000),
        "factors": _factor_means(),
        "factor_spread": rate(0.15, "Standard deviation of factor levels across CSOs.",
                              unit="level", high=0.5),
        "initial_scale": count(8, "Catchment a formal CSO starts with (one of the town's "
                                  "first, before they extend into the gaps between them, or "
                                  "a newly founded association).", low=1,
                               unit="neighbourhoods"),
        "initial_budget": rate(5000.0, "Initial budget of a formal CSO.", unit="€"),
        "spend_rate": share(0.1, "Share of its budget a CSO spends each week on staff and "
                                 "goods.", unit="per week"),
        "unit_cost": rate(60.0, "Cost of one need unit delivered by paid staff.",
                          unit="€/need unit"),
        "legitimacy_rate": share(0.05, "Weekly adjustment of legitimacy to visible impact.",
                                 unit="per week", basis=f"{SOLIDUS}, factor 05 ('visibly "
                                                        "and sustainably over time')"),
        "recognition_rate": share(0.03, "Weekly adjustment of recognition to its drivers.",
                                  unit="per week", basis=f"{SOLIDUS}, factor 04"),
        "shrink_rate": share(0.09, "Weekly chance of giving up the farthest neighbourhood, at "
                                   "zero scalability and a load trend of 3 or more (times the "
                                   "share of the way from 1.5, the most volunteers can give, "
                                   "to 3; 0 at or below 1.5).",
                             unit="per week", basis=f"assumption (strength); direction: "
                                                    f"{SOLIDUS}, factor 06 ('limiting their "
                                                    "solidarity action to a particular "
                                                    "territory')"),
        "span_cost": rate(0.1, "Share of capacity an unmanaged CSO spends coordinating each "
                               "neighbourhood beyond its first (times 1 - scalability).",
                          unit="share per neighbourhood", high=10,
                          basis="assumption; direction: design reading of factor 06 ('growth "
                                "without [management] overstretches volunteers')"),
        "dissolve_budget": rate(100.0, "A CSO with no volunteers and less money than this "
                                       "dissolves.", unit="€"),
        "closure_rate": rate(0.0018, "Weekly closure hazard of a formal CSO per unit of "
                                     "vulnerability: (smallness + poverty) x lack of "
                                     "recognition, each from 0 to 1.",
                             basis="level: about 4 % of charities close each year [GUIDESTAR] "
                                   "and 64 % of a cohort survive ten years [NCCS-2015] "
                                   "(assumption for this town); the terms' directions: "
                                   "[SINGH-1986] (legitimacy), [TUCKMAN-CHANG-1991] "
                                   "(financial vulnerability)"),
        "small_size": rate(30.0, "Volunteers at which a CSO's smallness term is 1/e.",
                           unit="volunteers"),
        "reserve": rate(2000.0, "Money at which a CSO's poverty term is 1/e.", unit="€"),
        "founding_rate": rate(20.0, "New formal CSOs founded a year per 10,000 residents of a "
                                    "neighbourhood that no CSO serves and where welfare leaves "
                                    "need (a neighbourhood of 250 residents: one in about two "
                                    "years).",
                              unit="per 10,000 citizens per year",
                              basis="[NCCS-2015], [GUIDESTAR]: about as many charities are "
                                    "founded as close each year (foundings fill the holes "
                                    "closures leave; the level, how fast: assumption); where: "
                                    f"{SOLIDUS} 'The findings' ('actions frequently arose as "
                                    "gaps in welfare state provision occurred')"),
    },
    "donations": {
        "per_capita": rate(6.0, "Private donations to solidarity CSOs.",
                           unit="€/citizen/year"),
        "crisis_sensitivity": share(0.5, "Largest fall of donations in an economic crisis.",
                                    unit="strength"),
    },
    "state": {
        "welfare_coverage": share(0.6, "Share of a citizen's need met by public welfare.",
                                  basis=f"{SOLIDUS}, 'The findings' (gaps in welfare "
                                        "provision)"),
        "newcomer_coverage": share(0.2, "Share of a newcomer's need met by public welfare "
                                        "(legal barriers).",
                                  basis=f"assumption; cf. {SOLIDUS}, factor 04 (legal barriers, "
                                        "'particularly significant is the cases of help for "
                                        "refugees and medical care')"),
        "funding": {
            "policy": Param("none", "str", choices=FUNDING_POLICIES,
                            basis=f"{SOLIDUS}, 'The findings' (sustained funding); "
                                  f"{SSOLEIL}, 8.3.2 and 8.4.4",
                            doc="How the civil-society budget is paid to CSOs."),
            "budget": rate(10.0, "Civil-society budget of the funding policy.",
                           unit="€/citizen/year"),
            "round_weeks": count(52, "Weeks between project-grant rounds (and grant length).",
                                 low=1, high=520, unit="weeks"),
            "success_rate": share(0.4, "Share of applicants that win a project grant."),
            "application_overhead": share(0.2, "Capacity lost by applicants in the four "
                                               "weeks before a grant round.",
                                          basis="assumption"),
            "price": rate(70.0, "Procurement price per need unit served.",
                          unit="€/need unit", basis=f"{SSOLEIL}, 8.4.4 (responsible public "
                                                    "procurement)"),
            "social_clause": share(0.4, "Transparency a CSO needs to win procurement or "
                                        "performance funding.", unit="level",
                                   basis=f"{SSOLEIL}, 8.4.4 (transparency and monitoring)"),
        },
        "levers": {
            "emergency_fund": rate(0.0, "Crisis emergency funds to formal CSOs, at full crisis "
                                        "intensity.", unit="€/citizen/year"),
            "awareness_campaign": rate(0.0, "Public awareness campaign.",
                                       unit="€/citizen/year", basis=f"{SSOLEIL}, 8.3.1"),
            "campaign_effect": rate(0.002, "Weekly awareness input per €/citizen/year of "
                                           "campaign.", unit="per week per €/citizen/year"),
            "training": rate(0.0, "Training programme for volunteers.", unit="€/citizen/year",
                             basis=f"{SSOLEIL}, 8.3.4"),
            "training_cost": rate(300.0, "Cost of training one volunteer.", unit="€"),
            "recognition_awards": rate(0.0, "Prize money of yearly recognition awards to "
                                            "CSOs: one award per 'award_prize' €, to the most "
                                            "legitimate.",
                                       unit="€/citizen/year", basis=f"{SOLIDUS}, factor 04 "
                                                                    "(awards)"),
            "award_prize": rate(2000.0, "Prize money of one recognition award.", unit="€"),
            "award_boost": share(0.2, "Recognition gained by an award winner.", unit="level"),
            "volunteer_recognition": rate(0.0, "Symbolic recognition of volunteers in their "
                                               "first year (thanks, a certificate, a public "
                                               "award): one per 'volunteer_recognition_cost' "
                                               "€, offered to new volunteers as they join.",
                                          unit="€/citizen/year",
                                          basis=f"{SOLIDUS}, factor 04 (recognition 'can "
                                                "provide powerful incentives to continue their "
                                                "work')"),
            "volunteer_recognition_cost": rate(30.0, "Cost of recognising one new volunteer.",
                                               unit="€"),
            "network_support": rate(0.0, "Support of an inter-cooperation network.",
                                    unit="€/citizen/year", basis=f"{SSOLEIL}, 8.3.3"),
            "network_scale": rate(2.0, "Network support at which CSOs get 63 % of the full "
                                       "benefit.", unit="€/citizen/year"),
        },
        "austerity": {
            "start": count(0, "Week austerity cuts begin.", unit="week", high=5200),
            "cut": share(0.0, "Cut of the civil-society budget, levers and welfare coverage.",
                         basis=f"{SOLIDUS}, 'Introduction' (austerity responses) and factor 05 "
                               "('reduced public spending')"),
        },
    },
    "emergence": {
        "enabled": Param(True, "bool", doc="Whether informal groups can emerge in a crisis.",
                         basis=VALLECAS),
        "unmet_threshold": rate(0.03, "Unmet need per resident above which a neighbourhood "
                                      "can found a group.", unit="need units/citizen"),
        "rate": share(0.008, "Weekly founding chance of a neighbourhood at full crisis "
                             "salience and awareness.",
                      unit="per week", basis=f"{VALLECAS} ('multiple groups ... in each part "
                                             "of the district'); level: about one new group per "
                                             "10,000 citizens in a pandemic's first year, "
                                             "between the UK's 0.6 [UK-MUTUAL-AID] and more "
                                             "(assumption)"),
        "media_recognition": share(0.5, "Recognition of a new group at full crisis salience "
                                        "(media amplification).", unit="level",
                                   basis=f"{VALLECAS} ('the media subsequently spread the "
                                         "news')"),
        "founders": count(5, "Founding members of an informal group.", low=1, unit="citizens"),
        "fold_rate": rate(0.012, "Weekly hazard that an informal group disappears, at zero "
                                "scalability practice (times 1 - effective scalability).",
                          basis=f"{SOLIDUS}, factor 06 ('constant recruitment and replacement of "
                                "their members to reduce the risk of disappearing'); level "
                                f"{CALIBRATED}"),
        "institutionalise_after": count(78, "Age from which an informal group can become a "
                                            "formal association.", unit="weeks",
                                        basis=f"{VALLECAS} ('Two years after ... four new "
                                              "active associations')"),
        "institutionalise_members": count(5, "Members an informal group needs to become "
                                             "formal.", unit="volunteers"),
        "institutionalise_rate": share(0.02, "Weekly chance of becoming formal once eligible.",
                                       unit="per week"),
    },
    "crises": Param([], "list[crisis]", doc="Scheduled crises; see the crisis table."),
    "events": Param([], "list[event]", doc="Scheduled interventions: a crisis that starts, "
                                           "state parameters that change, or a CSO's practices "
                                           "that change, at the start of a week."),
}
"""The parameter tree: nested tables whose leaves are :class:`Param`."""

CRISIS_SCHEMA: dict[str, Param] = {
    "kind": Param("economic", "str", choices=CRISIS_KINDS, doc="What kind of crisis."),
    "onset": count(52, "Week the crisis begins.", unit="week", high=5200),
    "duration": count(104, "Weeks at full intensity.", low=1, high=5200, unit="weeks"),
    "severity": share(0.5, "Intensity at its height: need added to those hit (economic, "
                           "pandemic) or the newcomers' need (migration).", unit="level"),
    "reach": share(0.2, "Share of citizens hit (economic, pandemic).",
                   basis="empirical: unemployment in Spain rose from 8 % to 26 %, 2007-2013 "
                         "[EUROSTAT-UNEMPLOYMENT]"),
    "recovery": rate(26.0, "Time scale of the fade-out after the crisis.", unit="weeks"),
    "attention": rate(6.0, "Time scale over which media attention fades after onset (0: it "
                           "does not fade).", unit="weeks",
                      basis="empirical: the issue-attention cycle [DOWNS-1972]; UK mutual-aid "
                            "activity fell about 75 % within three months [UK-MUTUAL-AID]; "
                            "time scale an assumption"),
    "arrivals": share(0.05, "Newcomers arriving, as a share of the initial population "
                            "(migration).", basis=f"{SOLIDUS}, 'Introduction' (2015 migration)"),
    "confinement": count(12, "Weeks of confinement at the start of a pandemic.",
                         unit="weeks", high=5200, basis=VALLECAS),
    "availability_boost": share(0.2, "Availability gained by confined, furloughed citizens "
                                     "(pandemic).", unit="level",
                                basis=f"{VALLECAS} (neighbours volunteering while confined)"),
    "strain": share(0.1, "Availability lost by the citizens a crisis hits, at full intensity "
                         "(job loss and search, second jobs, care, illness).", unit="level",
                    basis="assumption; direction: in the 2008-9 recession UK volunteering fell "
                          "most where unemployment rose most [LIM-LAURENCE-2015]"),
    "shared_risk": share(1.0, "How far the public feels the crisis's risk as its own: scales "
                              "the crisis motivation to volunteer (kind defaults: economic 0.2, "
                              "migration 0.5, pandemic 1).", unit="level",
                         basis=f"assumption; {SOLIDUS}, factor 07 ('sameness on a human level, "
                               "or in experienced risk'): a pandemic threatens everyone, a "
                               "recession the fifth it hits"),
}
"""The keys of one ``[[crises]]`` entry."""

CRISIS_KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "economic": {"shared_risk": 0.2},
    "migration": {"shared_risk": 0.5},
    "pandemic": {"shared_risk": 1.0},
}
"""Defaults that depend on a crisis's kind (they replace those of :data:`CRISIS_SCHEMA`)."""


def crisis_defaults(kind: Any) -> dict[str, Any]:
    """Every key of a crisis table with its default for ``kind``.

    An unknown kind gets the plain defaults (the kind itself is checked with the other values).
    """
    full = {name: param.default for name, param in CRISIS_SCHEMA.items()}
    return {**full, **CRISIS_KIND_DEFAULTS.get(kind, {})} if isinstance(kind, str) else full


def iter_params(tree: dict[str, Any] | None = None, prefix: str = ""):
    """Yield ``(dotted_path, Param)`` for every leaf of the parameter tree, in order."""
    for key, node in (SCHEMA if tree is None else tree).items():
        path = f"{prefix}{key}"
        if isinstance(node, Param):
            yield path, node
        else:
            yield from iter_params(node, path + ".")


def defaults(tree: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a nested dict of default values for the parameter tree."""
    out: dict[str, Any] = {}
    for key, node in (SCHEMA if tree is None else tree).items():
        if isinstance(node, Param):
            out[key] = list(node.default) if isinstance(node.default, list) else node.default
        else:
            out[key] = defaults(node)
    return out


def calibration_status() -> dict[str, str]:
    """Each parameter's status in the shipped calibration, by dotted path (empty without one).

    Read from the bundled posterior's ``manifest.json`` (``solidarity-sim calibrate`` writes
    it): calibrated (with its posterior interval), screened out (with its screening result),
    sourced, or a scenario's input.
    """
    import json

    from .bundled import bundled_path

    folder = bundled_path("posterior")
    try:
        manifest = json.loads((folder / "manifest.json").read_text()) if folder else {}
    except (OSError, ValueError):
        return {}
    return dict(manifest.get("status", {}))


def markdown_table() -> str:
    """Render every parameter as a Markdown table (the ODD parameter table)."""
    rows = ["| parameter | default | unit | range | basis | calibration | meaning |",
            "|---|---|---|---|---|---|---|"]
    status = calibration_status()
    leaves = list(iter_params()) + [(f"crises[].{k}", p) for k, p in CRISIS_SCHEMA.items()]
    for path, p in leaves:
        if p.kind.startswith("list[") or path in ("name", "description"):
            continue
        default = f"`{p.default}`" if p.kind != "str" else f"`{p.default!r}`"
        rows.append(f"| `{path}` | {default} | {p.unit or '–'} | {p.allowed()} | {p.basis} "
                    f"| {status.get(path, '–')} | {p.doc} |")
    return "\n".join(rows)


BEGIN_TABLE = ("<!-- BEGIN PARAMETER TABLE (generated by python -m "
               "solidarity_sim.model.parameters) -->")
END_TABLE = "<!-- END PARAMETER TABLE -->"


def update_document(path: str) -> None:
    """Replace the generated parameter table between the markers of a Markdown file."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text()
    start, end = text.index(BEGIN_TABLE) + len(BEGIN_TABLE), text.index(END_TABLE)
    doc.write_text(f"{text[:start]}\n{markdown_table()}\n{text[end:]}")


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:  # python -m solidarity_sim.model.parameters docs/ODD.md
        update_document(sys.argv[1])
    else:
        print(markdown_table())
