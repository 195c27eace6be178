"""The nine weekly processes (docs/sources.md), each a function of the town and the week.

Citizen processes are vectorised over the whole population; CSO processes over the short CSO
arrays. Every process that uses randomness draws from its own named stream, the same amount every
week whatever the state (common random numbers). The ODD document gives the equations with their
sources; the comments here name the factor each term carries.

Notation: ``pop`` the citizen arrays, ``csos`` the CSO arrays, ``p`` the scenario parameters,
``cell`` a citizen's neighbourhood x group block (``2 * nbhd + group``), ``pairs`` the (CSO, cell)
pairs of the CSOs' catchments (:class:`~solidarity_sim.model.catchments.Catchments`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import kernels
from .calendar import WEEKS_PER_YEAR
from .csos import FORMALISATION_LIFT, INFORMAL_PROFILE, F, draw_factors
from .parameters import FACTORS
from .policies import application_capacity
from .records import BURNOUT, FOLDED, OTHER

if TYPE_CHECKING:
    from .town import Town

LOAD_MAX = 3.0
"""Workload (demand / capacity) at which the load is capped: heavier loads add no more fatigue
(assumption)."""

OVERLOAD_MAX = 1.5
"""Load above which demand adds no more fatigue: volunteers give at most half again their usual
effort, and the rest of the demand goes unmet (assumption)."""

FATIGUE_PRODUCTIVITY = 0.5
"""Productivity lost at full fatigue (assumption)."""

BENEFICIARY_MEMORY = 26
"""Weeks a former beneficiary keeps the democracy recruitment bonus (assumption)."""

LOAD_MEMORY = 26.0
"""Weeks over which a CSO judges its load when it decides on its catchment (an exponential
average): territory follows lasting demand, not a few weeks' surge (assumption)."""

LOAD_FULL = 3.0
"""Load trend at which an unmanaged CSO's retreat from its catchment is most likely (ODD 7.7;
assumption)."""

NO_DEMAND = 1e-9
"""Demand below which a CSO counts as having none."""

MIN_HELP = 0.01
"""Need units a week a citizen must receive from CSOs to count as a beneficiary (to be
recruited as a former user; assumption)."""

SERVICE_ROUNDS = 2
"""Allocation rounds; in the second, spare capacity serves need others left (assumption)."""


def _exp_hazard(h: np.ndarray) -> np.ndarray:
    """Weekly probability from a hazard: ``1 - exp(-h)``."""
    return -np.expm1(-h)


def happens(u: np.ndarray, hazard: np.ndarray, candidates: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Which events happen this week (``u < p``, ``p = 1 - exp(-hazard)``), and ``u / p``.

    ``u / p`` is again uniform on [0, 1) given the event, so it can decide what kind of event
    it is (which CSO, which reason) without another draw. As ``1 - exp(-h) <= h``, only the few
    with ``u < h`` need the exponential: the kernel that computes the hazards finds them.

    Args:
        u: The uniforms of the candidates.
        hazard: Their hazards.
        candidates: The places with ``u < hazard`` (citizens, or places among the volunteers).

    Returns:
        The places of the events and their conditional uniforms.
    """
    p = _exp_hazard(hazard)
    hit = u < p
    return candidates[hit], u[hit] / p[hit]


# 1. Crises ---------------------------------------------------------------------------------

def present_neighbours(town: Town) -> np.ndarray:
    """Each citizen's present neighbours, at least 1: the denominator of the neighbour share."""
    return np.maximum(town.net.neighbour_sum(town.pop.present), 1.0)


def apply_crises(town: Town, t: int) -> None:
    """Update arrivals, need and availability from the crisis schedule."""
    pop = town.pop
    if town.has_arrivals:
        np.less_equal(pop.arrival, t, out=pop.present)
        arrived = int(pop.present.sum())
        if arrived != town.n_present:
            town.n_present = arrived
            town.present_neighbours = present_neighbours(town)
    town.crisis = town.crises.week(t)
    if town.crises.crises:
        pop.need = town.crises.need(t, pop.base_need)
        pop.availability = town.crises.availability(t, pop.base_availability)


# 2. State -----------------------------------------------------------------------------------

def state_acts(town: Town, t: int) -> None:
    """Set welfare coverage and pay CSOs by the funding policy and levers."""
    noise = town.draw_per_cso("policy")
    town.payments = town.state.act(t, town.n_present, town.crisis.intensity, noise)
    town.coverage = town.state.coverage(t, town.pop.newcomer)


# 3. Awareness -------------------------------------------------------------------------------

def spread_awareness(town: Town, t: int) -> None:
    """Awareness grows from volunteering neighbours, CSO outreach, crises and campaigns; decays."""
    pop, csos, a = town.pop, town.cso_table, town.p["awareness"]
    # factor 07 (awareness practice) and 04 (recognition): outreach in the catchment
    outreach_j = (town.p["effects"]["awareness_outreach"] * csos.factor("awareness")
                  * (0.5 + csos.recognition) * csos.active)
    outreach_k = a["outreach"] * -np.expm1(-town.pairs.nbhd_sum(outreach_j))
    # drive = media + neighbours x share + outreach + crisis + campaign; the change of a present
    # citizen's awareness, (1 - aw) (1 - exp(-drive)) - decay aw, is (aw - 1) expm1(-drive) - ...
    minus_drive = np.empty(pop.size)
    kernels.awareness_drive(town.volunteer_neighbours, town.present_neighbours, pop.nbhd,
                            outreach_k, a["media"], a["neighbours"],
                            a["crisis"] * town.crisis.salience, town.state.campaign_input(t),
                            town.neighbour_share, minus_drive)
    kernels.awareness_update(pop.awareness, np.expm1(minus_drive, out=minus_drive), a["decay"],
                             pop.present, town.n_present == pop.size)


# 4. Recruitment -----------------------------------------------------------------------------

def appeal(town: Town) -> np.ndarray:
    """How strongly each CSO draws recruits and demand: recognition attracts (factor 04)."""
    csos = town.cso_table
    return (1.0 + town.p["effects"]["recognition_attraction"] * csos.recognition) * csos.active


def attractiveness(town: Town) -> np.ndarray:
    """Attractiveness of each CSO to recruits of each group (CSOs x 2).

    :func:`appeal`, less for minority members where a CSO is not pluralist (factor 03,
    exclusive solidarity).
    """
    return appeal(town)[:, None] * inclusion(town)


def recruiting(town: Town) -> np.ndarray:
    """How actively each CSO recruits: ``1 - r + r x min(1, load)``, ``r = recruit_by_need``.

    A CSO with work for more hands (last week's load of 1 or more) recruits fully; one whose
    volunteers already meet its demand recruits less: volunteering follows the organisations'
    capacity to engage volunteers (a balancing loop; ODD 7.4).
    """
    r = town.p["volunteering"]["recruit_by_need"]
    return 1.0 - r + r * np.minimum(town.cso_table.load, 1.0)


def minority_reach(town: Town) -> np.ndarray:
    """Share of the minority a CSO reaches: exclusive CSOs miss minorities (factor 03)."""
    return 1.0 - town.p["effects"]["pluralism_reach"] * (1.0 - town.cso_table.factor("pluralism"))


def recruitment_weights(town: Town) -> tuple[np.ndarray, np.ndarray]:
    """Each (CSO, cell) pair's weight as a recruiter, and the largest weight in each cell.

    A pair's weight is its CSO's :func:`attractiveness` to the cell's group times how actively
    it recruits (:func:`recruiting`).
    """
    pairs = town.pairs
    weights, best = np.empty(len(pairs)), np.empty(town.n_cells)
    kernels.recruit_weights(pairs.cso, pairs.group, pairs.start, pairs.end, appeal(town),
                            minority_reach(town), recruiting(town), weights, best)
    return weights, best


def inclusion(town: Town) -> np.ndarray:
    """Share of each group's members a CSO reaches (CSOs x 2): exclusive CSOs miss minorities."""
    reach = np.ones((len(town.cso_table), 2))
    reach[:, 1] = minority_reach(town)
    return reach


def uptake(town: Town) -> np.ndarray:
    """Share of the need in its catchment that is brought to each CSO: known CSOs get more.

    ``(1 + e * recognition) / (1 + e)`` with ``e`` the recognition attraction (factor 04:
    recognition raises demand for a CSO's services).
    """
    e = town.p["effects"]["recognition_attraction"]
    return (1.0 + e * town.cso_table.recognition) / (1.0 + e)


def start_spells(town: Town, who: np.ndarray, cso: np.ndarray, t: int) -> None:
    """Make citizens volunteers of the given CSOs from week ``t``."""
    pop = town.pop
    pop.volunteer[who] = True
    pop.cso[who] = cso
    pop.spell_start[who] = t
    pop.meaning[who] = pop.disposition[who]  # then adapts to the CSO's meaning practice
    pop.join_motivation[who] = town.crisis.motivation
    pop.recognised[who] = 0.0  # the state's recognition, if any, is given by recruit()
    town.cso_table.members += np.bincount(cso, minlength=len(town.cso_table))
    kernels.add_to_neighbours(town.net.indptr, town.net.indices, who, town.volunteer_neighbours,
                              1.0)
    town.flows["joins"] += who.size


def recruit(town: Town, t: int) -> None:
    """Bystanders join a reachable CSO with a hazard from their state and their neighbours."""
    pop, v, e = town.pop, town.p["volunteering"], town.p["effects"]
    u_join = town.draw("recruitment", pop.size)
    weights, best = recruitment_weights(town)
    # join_rate x availability x disposition x awareness x (1 + contagion x neighbour share)
    # x (1 - fatigue) x crisis motivation; factor 01: beneficiaries involved in decisions become
    # volunteers (Trussell Trust, RIO): x (1 + democracy_recruitment x their provider's
    # democracy) for those served in the last BENEFICIARY_MEMORY weeks; x the best weight of the
    # citizen's cell; 0 for volunteers and absent citizens
    hazard = np.empty(pop.size)
    candidates = kernels.join_hazard(
        u_join, pop.availability, pop.disposition, pop.awareness, town.neighbour_share,
        pop.fatigue, pop.last_served, pop.provider_democracy, town.cell, pop.present,
        pop.volunteer, best, v["join_rate"], v["contagion"],
        1.0 + v["crisis_motivation"] * town.crisis.motivation, t - BENEFICIARY_MEMORY,
        e["democracy_recruitment"], hazard)
    joins, u_pick = happens(u_join[candidates], hazard[candidates], candidates)
    if joins.size:
        start_spells(town, joins, town.pairs.choose(weights, town.cell[joins], u_pick), t)
        # the state's recognition of new volunteers (factor 04, felt recognition)
        pop.recognised[joins] = town.state.recognise_newcomers(t, town.n_present, joins.size)


# 5. Service ---------------------------------------------------------------------------------

def volunteer_capacity(town: Town) -> np.ndarray:
    """Need units each CSO's volunteers can serve this week.

    ``productivity x (1 + training_bonus x trained) x (1 - FATIGUE_PRODUCTIVITY x fatigue)``,
    summed over each CSO's volunteers.
    """
    pop, v = town.pop, town.p["volunteering"]
    return kernels.volunteer_capacity(pop.volunteer, pop.cso, pop.trained, pop.fatigue,
                                      v["productivity"], v["training_bonus"],
                                      FATIGUE_PRODUCTIVITY, len(town.cso_table))


def span(town: Town) -> np.ndarray:
    """Share of each CSO's capacity left after coordinating its catchment (factor 06).

    Every neighbourhood beyond the first costs an unmanaged CSO ``span_cost`` of its capacity in
    coordination; management of scale cuts the cost by up to ``scalability_relief``:
    ``1 / (1 + span_cost (1 - scalability_relief S*) (S - 1))``.
    """
    csos = town.cso_table
    strain = 1.0 - town.p["effects"]["scalability_relief"] * effective_scalability(town)
    return 1.0 / (1.0 + town.p["csos"]["span_cost"] * strain * (csos.scale - 1))


def serve(town: Town, t: int) -> None:
    """CSOs serve the need that welfare leaves, in their catchment, rationing proportionally."""
    pop, csos, c = town.pop, town.cso_table, town.p["csos"]
    fp = town.p["state"]["funding"]
    csos.spend = c["spend_rate"] * np.maximum(csos.budget, 0.0) * csos.active
    staff = csos.spend / c["unit_cost"]
    overhead = application_capacity(csos, t, fp, town.state.policy)
    csos.capacity = (volunteer_capacity(town) + staff) * overhead * span(town) * csos.active

    gap = town.welfare_gap()
    need_cell, by_cell = gap.need_cell, gap.remaining_cell
    pairs, n, k = town.pairs, len(csos), town.n_cells
    # each cell's need goes to the CSOs serving it, in proportion to their attractiveness:
    # recognition draws demand (factor 04); exclusive CSOs serve fewer minority members (03)
    csos.demand, csos.served, csos.load = np.empty(n), np.empty(n), np.empty(n)
    met_cell, share_met, provider_dem = np.empty(k), np.empty(k), np.empty(k)
    kernels.allocate_service(pairs.cso, pairs.cell, pairs.group, appeal(town),
                             minority_reach(town), uptake(town), by_cell, csos.capacity,
                             csos.factor("democracy"), SERVICE_ROUNDS, NO_DEMAND, LOAD_MAX,
                             csos.demand, csos.served, csos.load, met_cell, share_met,
                             provider_dem)
    csos.served_total += csos.served
    # each needy citizen gets the share of their cell's need that CSOs met; those who got at
    # least MIN_HELP are this week's beneficiaries
    beneficiaries = kernels.serve_citizens(gap.needy, gap.needy_cell, gap.remaining, share_met,
                                           provider_dem, MIN_HELP, t, pop.served,
                                           pop.last_served, pop.provider_democracy)

    f = town.flows  # cells alternate majority, minority
    f["need_total"] = float(need_cell.sum())
    f["need_met_state"] = float((need_cell - by_cell).sum())
    f["need_met_csos"] = float(met_cell.sum())
    f["need_minority"] = float(need_cell[1::2].sum())
    f["unmet_need_minority"] = float((by_cell - met_cell)[1::2].sum())
    f["beneficiaries"] = beneficiaries


# 6. Volunteer wellbeing and retention ---------------------------------------------------------

def effective_scalability(town: Town) -> np.ndarray:
    """Scalability practice, raised by inter-cooperation network support ([SSOLEIL] 8.3.3)."""
    s = town.cso_table.factor("scalability")
    return s + (1.0 - s) * town.state.network_strength


def train(town: Town, t: int, vols: np.ndarray, j: np.ndarray) -> None:
    """CSOs with meaning practice train volunteers (DAC); the state's programme trains more.

    One uniform per citizen decides both: below the CSO's chance, the CSO trains; in the next
    slice of the unit interval (as wide as the programme's chance), the state's programme does.

    Args:
        town: The town.
        t: The week.
        vols: The volunteers.
        j: Their CSOs.
    """
    pop = town.pop
    u = town.draw("training", pop.size)
    p_cso = town.p["volunteering"]["training_rate"] * town.cso_table.factor("meaning")
    budget = town.state.training_budget(t, town.n_present)
    n_untrained = kernels.count_untrained(pop.trained, vols) if budget > 0 else 0
    p_state = 0.0
    if n_untrained:
        cost = town.p["state"]["levers"]["training_cost"]
        p_state = min(1.0, budget / (cost * n_untrained))
    by_state = kernels.train(u, vols, j, p_cso, p_state, pop.trained)
    if n_untrained:
        town.state.record_training(cost * by_state)


def wellbeing_and_retention(town: Town, t: int) -> None:
    """Fatigue follows workload and recovery, meaning follows the CSO; volunteers may quit.

    Per volunteer (CSO terms computed per CSO first), with ``S*`` the effective scalability:

    * fatigue: ``clip(fatigue (1 - recovery care) + overload, 0, 1)``, where factor 06 (good
      management of scale) shields from overload,
      ``overload = fatigue_gain min(load, OVERLOAD_MAX) (1 - scalability_relief S*)``, and factor
      08 (wellbeing care and training, Debt Aid Companion) speeds recovery,
      ``care = 1 + meaning_recovery meaning_practice + training_recovery trained``; former
      volunteers rest (``fatigue x (1 - recovery)``);
    * meaning adapts to the CSO's meaning practice;
    * the quit hazard: burnout, ``burnout_rate fatigue^2 (1 - democracy_retention democracy)``
      (factor 01: voice lowers it), plus other reasons, ``quit_rate (1 - meaning_retention
      meaning) (1 + availability_quit (1 - availability)) (1 + idle_quit max(0, 1 - load))
      (1 + episodic_quit max(0, join_motivation - motivation)) (1 + early_quit
      exp(-tenure / early_weeks)) (1 - volunteer_recognition recognised [first year])``: factor
      08 (meaning), the crisis motivation that brought a volunteer in fading with the crisis,
      and factor 04 (recognised in their first year, new volunteers stay more).
    """
    pop, csos, v, e = town.pop, town.cso_table, town.p["volunteering"], town.p["effects"]
    u_quit = town.draw("retention", pop.size)
    vols = np.flatnonzero(pop.volunteer)
    j = pop.cso[vols]
    train(town, t, vols, j)
    meaning_practice = csos.factor("meaning")
    overload = v["fatigue_gain"] * np.minimum(csos.load, OVERLOAD_MAX) * (
        1.0 - e["scalability_relief"] * effective_scalability(town))
    care = 1.0 + e["meaning_recovery"] * meaning_practice
    burnout_factor = 1.0 - e["democracy_retention"] * csos.factor("democracy")
    idle = 1.0 + v["idle_quit"] * np.maximum(0.0, 1.0 - csos.load)
    fatigue, h_burn, h_other, age = (np.empty(vols.size) for _ in range(4))
    kernels.wellbeing(
        pop.volunteer, vols, j, pop.fatigue, pop.meaning, pop.trained, pop.availability,
        pop.join_motivation, pop.spell_start, overload, care, meaning_practice, burnout_factor,
        idle, v["fatigue_recovery"], v["training_recovery"], v["meaning_adapt"],
        v["burnout_rate"], v["quit_rate"], e["meaning_retention"], v["availability_quit"],
        v["episodic_quit"], town.crisis.motivation, t, max(v["early_weeks"], 1e-9),
        fatigue, h_burn, h_other, age)
    hazard = np.empty(vols.size)
    candidates = kernels.quit_hazard(
        u_quit, vols, pop.spell_start, pop.recognised, h_burn, h_other, v["early_quit"],
        np.exp(age, out=age), e["volunteer_recognition"], t, WEEKS_PER_YEAR, hazard)
    quits, u_reason = happens(u_quit[vols[candidates]], hazard[candidates], candidates)
    burnout = u_reason < h_burn[quits] / hazard[quits]  # competing risks
    tenure = t - pop.spell_start[vols]
    end_spells(town, vols[quits], np.where(burnout, BURNOUT, OTHER), t)
    stay = vols.size - quits.size
    town.flows["fatigue_mean"] = (fatigue.sum() - fatigue[quits].sum()) / stay if stay else 0.0
    town.flows["mean_tenure"] = (tenure.sum() - tenure[quits].sum()) / stay if stay else 0.0


def end_spells(town: Town, who: np.ndarray, reasons: np.ndarray | int, t: int) -> None:
    """Volunteers stop in week ``t``; their spells are logged with their reasons (codes)."""
    pop = town.pop
    cso = pop.cso[who]
    town.spells.close(who, cso, pop.spell_start[who], t, reasons)
    town.cso_table.members -= np.bincount(cso, minlength=len(town.cso_table))
    kernels.add_to_neighbours(town.net.indptr, town.net.indices, who, town.volunteer_neighbours,
                              -1.0)
    pop.volunteer[who] = False
    pop.cso[who] = -1
    pop.trained[who] = False  # training is for the role in a CSO; a new spell starts untrained
    town.flows["quits"] += who.size
    town.flows["quits_burnout"] += int(np.count_nonzero(np.asarray(reasons) == BURNOUT))


# 7. CSO dynamics ----------------------------------------------------------------------------

def cso_dynamics(town: Town, t: int) -> None:
    """Legitimacy, recognition, money, scale and dissolution of every CSO."""
    csos, c, e = town.cso_table, town.p["csos"], town.p["effects"]
    u_scale = town.draw_per_cso("scale")
    u_close = town.draw_per_cso("closure")
    csos.volunteers = csos.members.copy()
    csos.peak_volunteers = np.maximum(csos.peak_volunteers, csos.volunteers)
    # factors 02 and 05: impact becomes legitimacy only when reported and demonstrated;
    # factor 04: a credible public profile turns legitimacy into recognition; factor 02:
    # transparency is a trust criterion for donors
    trust = np.empty(len(csos))
    kernels.cso_standing(
        csos.active, csos.served, csos.demand, csos.factor("transparency"),
        csos.factor("legitimacy"), csos.factor("recognition"), e["transparency_visibility"],
        e["legitimacy_demonstration"], c["legitimacy_rate"], e["recognition_practice"],
        c["recognition_rate"], e["transparency_trust"], NO_DEMAND, csos.legitimacy,
        csos.recognition, trust)
    d = town.p["donations"]
    pool = d["per_capita"] * town.n_present / WEEKS_PER_YEAR * (1.0 - d["crisis_sensitivity"]
                                                   * town.crisis.economic)
    donations = pool * trust / trust.sum() if trust.sum() > 0 else np.zeros(len(csos))
    csos.income = town.payments + donations
    csos.income_total += csos.income
    csos.budget += csos.income - csos.spend
    town.flows["donations"] = float(donations.sum())
    town.flows["cso_income"] = float(csos.income.sum())
    town.flows["cso_spend"] = float(csos.spend.sum())

    grow, shrink = scale_steps(town, u_scale)
    csos.scale += grow.astype(np.int64) - shrink

    gone = np.flatnonzero(csos.active & (csos.volunteers == 0)
                          & (csos.budget < c["dissolve_budget"]))
    dissolve(town, gone, t)
    close(town, np.flatnonzero(csos.active & csos.formal & (u_close < _exp_hazard(
        c["closure_rate"] * vulnerability(town)))), t)
    if grow.any() or shrink.any():
        town.update_reach()


def scale_steps(town: Town, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which CSOs extend their catchment by a neighbourhood this week, and which retreat (06, 04).

    Two balancing loops (ODD 7.7), judged on the load over about half a year
    (:data:`LOAD_MEMORY`). A recognised, managed CSO extends into the next neighbourhood when
    most of the need there goes unmet (recognition brings demand from beyond its catchment,
    management turns it into reach, and it recruits there too, so being busy does not hold it
    back): the pull is ``2 gap - 1`` of that neighbourhood, 0 at or below one half, so extending
    stops once the need next door is met.
    An unmanaged CSO gives up its farthest neighbourhood only when asked for more than its
    volunteers can give at their utmost (a load trend above :data:`OVERLOAD_MAX`), the more the
    further above; retreating lowers its load.

    Args:
        town: The town.
        u: The ``scale`` stream's uniform of each CSO row.

    Returns:
        Boolean arrays ``grow`` and ``shrink`` (never both for one CSO).
    """
    csos, c, e = town.cso_table, town.p["csos"], town.p["effects"]
    managed = effective_scalability(town)
    csos.load_trend += (csos.load - csos.load_trend) / LOAD_MEMORY
    beyond = town.frontier >= 0
    pull = np.zeros(len(csos))
    pull[beyond] = np.maximum(2.0 * neighbourhood_gap(town)[town.frontier[beyond]] - 1.0, 0.0)
    overstretch = np.clip((csos.load_trend - OVERLOAD_MAX) / (LOAD_FULL - OVERLOAD_MAX), 0.0, 1.0)
    p_grow = e["scalability_growth"] * managed * csos.recognition * pull
    p_shrink = c["shrink_rate"] * (1.0 - managed) * overstretch
    grow = csos.active & (csos.scale < town.n_neighbourhoods) & (u < p_grow)
    shrink = csos.active & (csos.scale > 1) & (u > 1.0 - p_shrink)
    return grow, shrink


def vulnerability(town: Town) -> np.ndarray:
    """How exposed each CSO is to closing: (smallness + poverty) x lack of recognition (0 to 2).

    ``(exp(-volunteers / small_size) + exp(-budget / reserve)) x (1 - recognition)``: small or
    poor organisations close more often, the unrecognised most ([SINGH-1986]: external
    legitimacy lowers the death rate of voluntary social-service organisations;
    [TUCKMAN-CHANG-1991]: thin reserves make charities financially vulnerable). A large, solvent,
    recognised CSO hardly ever closes.
    """
    csos, c = town.cso_table, town.p["csos"]
    small = np.exp(-csos.members / max(c["small_size"], 1e-9))
    poor = np.exp(-np.maximum(csos.budget, 0.0) / max(c["reserve"], 1e-9))
    return (small + poor) * (1.0 - csos.recognition)


def close(town: Town, rows: np.ndarray, t: int) -> None:
    """CSOs close in week ``t``: their volunteers' spells end (``folded``) and they dissolve."""
    if rows.size == 0:
        return
    closing = np.zeros(len(town.cso_table), bool)
    closing[rows] = True
    members = np.empty(town.pop.size, np.int64)
    members = members[:kernels.members_of(town.pop.volunteer, town.pop.cso, closing, members)]
    end_spells(town, members, FOLDED, t)
    dissolve(town, rows, t)


def dissolve(town: Town, rows: np.ndarray, t: int) -> None:
    """CSOs stop in week ``t``; the money they still hold leaves the CSO sector (booked)."""
    if rows.size == 0:
        return
    csos = town.cso_table
    csos.active[rows] = False
    csos.dissolved[rows] = t
    town.flows["csos_dissolved"] += rows.size
    town.flows["cso_money_at_dissolution"] += float(csos.budget[rows].sum())
    csos.budget[rows] = 0.0
    town.update_reach()


# 8. Informal groups: emergence, folding and institutionalisation ---------------------------------

def emergence(town: Town, t: int) -> None:
    """Informal groups fold, formalise and, in a crisis, are founded; associations are founded.

    New associations are founded in any week, where need is left unmet.
    """
    u_found = town.draw("emergence", town.n_neighbourhoods)
    u_formal = town.draw_per_cso("emergence")
    u_fold = town.draw_per_cso("folding")
    if town.p["emergence"]["enabled"]:
        fold_groups(town, t, u_fold)
        informal = town.cso_table.active & ~town.cso_table.formal
        formalise_groups(town, t, u_formal, informal)
        if town.crisis.active:
            found_groups(town, t, u_found, informal)
    found_associations(town, t)


def formalise_groups(town: Town, t: int, u: np.ndarray, informal: np.ndarray) -> None:
    """Informal groups old and large enough may become formal associations (practice lifts)."""
    csos, em = town.cso_table, town.p["emergence"]
    eligible = informal & (t - csos.founded >= em["institutionalise_after"]) & (
        csos.volunteers >= em["institutionalise_members"])
    formalise = np.flatnonzero(eligible & (u < em["institutionalise_rate"]))
    if formalise.size == 0:
        return
    for name, lift in FORMALISATION_LIFT.items():
        col = csos.factors[formalise, F[name]]
        csos.factors[formalise, F[name]] = np.minimum(1.0, col + lift)
    csos.formal[formalise] = True
    csos.formalised[formalise] = t
    town.flows["csos_formalised"] = formalise.size


def found_groups(town: Town, t: int, u: np.ndarray, informal: np.ndarray) -> None:
    """Needy neighbourhoods without an informal group may found one (in a crisis).

    ``informal`` marks the groups that were informal before this week's formalisations.
    """
    pop, csos, em = town.pop, town.cso_table, town.p["emergence"]
    k_n = town.n_neighbourhoods
    residents = town.welfare_gap().residents
    aware = kernels.masked_bincount(pop.nbhd, pop.awareness, pop.present, k_n)
    per_capita = np.divide(unmet_by_neighbourhood(town), residents, out=np.zeros(k_n),
                           where=residents > 0)
    mean_aware = np.divide(aware, residents, out=np.zeros(k_n), where=residents > 0)
    has_group = np.zeros(k_n, bool)
    has_group[csos.home[informal]] = True
    p_found = em["rate"] * town.crisis.salience * mean_aware
    found = np.flatnonzero((per_capita > em["unmet_threshold"]) & ~has_group & (u < p_found))
    for k in found:
        found_group(town, int(k), t)


def neighbourhood_gap(town: Town) -> np.ndarray:
    """Share of the need welfare leaves in each neighbourhood that no CSO met this week."""
    left = town.welfare_gap().remaining_nbhd
    return np.divide(np.maximum(unmet_by_neighbourhood(town), 0.0), left,
                     out=np.zeros(town.n_neighbourhoods), where=left > 0)


def unmet_by_neighbourhood(town: Town) -> np.ndarray:
    """This week's need met neither by welfare nor by CSOs, summed over each neighbourhood."""
    pop, gap = town.pop, town.welfare_gap()  # only the needy have need left, or were served
    return kernels.bin_difference(gap.needy, pop.nbhd, gap.remaining, pop.served,
                                  town.n_neighbourhoods)


def found_associations(town: Town, t: int) -> None:
    """New formal CSOs are founded, at any time, where no CSO serves and welfare leaves need.

    In a neighbourhood outside every catchment whose residents have need that welfare leaves,
    the number of associations founded in a week is Poisson with mean ``founding_rate`` x
    residents / 10,000 / 52 ([SOLIDUS] 'The findings': actions 'arose as gaps in welfare state
    provision occurred'). A hole left by a closed or retreating CSO is filled, by a neighbour
    extending into it (:func:`scale_steps`) or by a founding: a balancing loop on coverage that
    keeps a calm town's CSOs turning over ([NCCS-2015], [GUIDESTAR]); served neighbourhoods
    found none. A new association has practice levels drawn like the initial
    CSOs', their catchment (``initial_scale``) and the initial budget. Draws come from the
    ``founding`` stream (one Poisson draw per neighbourhood a week).
    """
    c, rng = town.p["csos"], town.streams["founding"]
    k_n = town.n_neighbourhoods
    welfare_gap = town.welfare_gap()
    unserved = ~town.pairs.served() & (welfare_gap.remaining_nbhd > 0)
    counts = rng.poisson(c["founding_rate"] * welfare_gap.residents / 10_000 / WEEKS_PER_YEAR
                         * unserved)
    if not counts.any():
        return
    homes = np.repeat(np.arange(k_n), counts)
    factors = draw_factors(c["factors"], c["factor_spread"], homes.size, rng)
    town.cso_table.add(factors, homes, t, "founded", budget=c["initial_budget"],
                       scale=min(c["initial_scale"], k_n))
    town.flows["csos_founded"] += homes.size
    town.flows["cso_money_at_founding"] += c["initial_budget"] * homes.size
    town.update_reach()


def fold_groups(town: Town, t: int, u: np.ndarray) -> None:
    """Informal groups disappear with a hazard that management of scale lowers (factor 06).

    A group with no legal form, accounts or staff lasts only while its members keep it going;
    constant recruitment and replacement of members, part of the scalability practice (raised by
    network support), reduces that risk. Formal associations persist as legal entities. The
    members of a folded group stop volunteering (spell reason ``"folded"``).
    """
    csos = town.cso_table
    informal = csos.active & ~csos.formal
    if not informal.any():
        return
    hazard = town.p["emergence"]["fold_rate"] * (1.0 - effective_scalability(town))
    close(town, np.flatnonzero(informal & (u < _exp_hazard(hazard))), t)


def found_group(town: Town, k: int, t: int) -> None:
    """Found an informal mutual-aid group in neighbourhood ``k`` with its keenest residents."""
    pop = town.pop
    candidates = np.flatnonzero((pop.nbhd == k) & pop.present & ~pop.volunteer)
    if candidates.size == 0:
        return
    keen = pop.disposition[candidates] * pop.availability[candidates] * pop.awareness[candidates]
    em = town.p["emergence"]
    founders = candidates[np.argsort(-keen, kind="stable")[:em["founders"]]]
    factors = np.array([[INFORMAL_PROFILE[f] for f in FACTORS]])
    row = town.cso_table.add(factors, np.array([k]), t, "emerged", budget=0.0)
    town.cso_table.recognition[row] = em["media_recognition"] * town.crisis.salience
    town.flows["csos_founded"] += 1
    town.update_reach()
    start_spells(town, founders, np.full(founders.size, row[0]), t)
