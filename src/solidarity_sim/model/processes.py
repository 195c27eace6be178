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

from .calendar import WEEKS_PER_YEAR
from .csos import FORMALISATION_LIFT, INFORMAL_PROFILE, F
from .parameters import FACTORS
from .policies import application_capacity
from .records import BURNOUT, FOLDED, OTHER

if TYPE_CHECKING:
    from .town import Town

LOAD_MAX = 3.0
"""Workload (demand / capacity) at which the load is capped: heavier loads add no more fatigue
(assumption)."""

FATIGUE_PRODUCTIVITY = 0.5
"""Productivity lost at full fatigue (assumption)."""

BENEFICIARY_MEMORY = 26
"""Weeks a former beneficiary keeps the democracy recruitment bonus (assumption)."""

BUSY, IDLE = 0.8, 0.5
"""Workloads above which a CSO may extend its catchment, and below which it may retreat."""

NO_DEMAND = 1e-9
"""Demand below which a CSO counts as having none."""

SERVICE_ROUNDS = 2
"""Allocation rounds; in the second, spare capacity serves need others left (assumption)."""


def _exp_hazard(h: np.ndarray) -> np.ndarray:
    """Weekly probability from a hazard: ``1 - exp(-h)``."""
    return -np.expm1(-h)


def happens(u: np.ndarray, hazard: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which events happen this week (``u < p``, ``p = 1 - exp(-hazard)``), and ``u / p``.

    ``u / p`` is again uniform on [0, 1) given the event, so it can decide what kind of event
    it is (which CSO, which reason) without another draw. As ``1 - exp(-h) <= h``, only the few
    with ``u < h`` need the exponential.

    Returns:
        The indices of the events and their conditional uniforms.
    """
    candidates = np.flatnonzero(u < hazard)
    p = _exp_hazard(hazard[candidates])
    hit = u[candidates] < p
    return candidates[hit], u[candidates[hit]] / p[hit]


# 1. Crises ---------------------------------------------------------------------------------

def present_neighbours(town: Town) -> np.ndarray:
    """Each citizen's present neighbours, at least 1: the denominator of the neighbour share."""
    return np.maximum(town.net.neighbour_sum(town.pop.present.astype(np.float64)), 1.0)


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
    town.neighbour_share = town.volunteer_neighbours / town.present_neighbours
    # factor 07 (awareness practice) and 04 (recognition): outreach in the catchment
    outreach_j = (town.p["effects"]["awareness_outreach"] * csos.factor("awareness")
                  * (0.5 + csos.recognition) * csos.active)
    outreach_k = a["outreach"] * -np.expm1(-town.pairs.nbhd_sum(outreach_j))
    drive = (a["media"] + a["neighbours"] * town.neighbour_share + outreach_k[pop.nbhd]
             + a["crisis"] * town.crisis.salience + town.state.campaign_input(t))
    aw = pop.awareness
    # change = (1 - aw) * (1 - exp(-drive)) - decay * aw, for present citizens; computed in
    # place as (aw - 1) * expm1(-drive), which is the same number
    change = np.expm1(-drive, out=drive)
    change *= aw - 1.0
    change -= a["decay"] * aw
    if town.n_present < pop.size:
        change *= pop.present
    aw += change
    np.clip(aw, 0.0, 1.0, out=aw)


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


def inclusion(town: Town) -> np.ndarray:
    """Share of each group's members a CSO reaches (CSOs x 2): exclusive CSOs miss minorities."""
    csos, e = town.cso_table, town.p["effects"]
    reach = np.ones((len(csos), 2))
    reach[:, 1] = 1.0 - e["pluralism_reach"] * (1.0 - csos.factor("pluralism"))
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
    pop.join_salience[who] = town.crisis.salience
    np.add.at(town.cso_table.members, cso, 1)
    np.add.at(town.volunteer_neighbours, town.net.neighbours_of(who), 1.0)
    town.flows["joins"] += who.size


def recruit(town: Town, t: int) -> None:
    """Bystanders join a reachable CSO with a hazard from their state and their neighbours."""
    pop, v, e = town.pop, town.p["volunteering"], town.p["effects"]
    u_join = town.draw("recruitment", pop.size)
    weights = town.pairs.of(attractiveness(town))
    best = town.pairs.cell_max(weights)
    hazard = (v["join_rate"] * pop.availability * pop.disposition * pop.awareness
              * (1.0 + v["contagion"] * town.neighbour_share) * (1.0 - pop.fatigue)
              * (1.0 + v["crisis_motivation"] * town.crisis.salience))
    # factor 01: beneficiaries involved in decisions become volunteers (Trussell Trust, RIO);
    # the boost is 1 for everyone not served in the last BENEFICIARY_MEMORY weeks
    recent = np.flatnonzero(pop.last_served >= t - BENEFICIARY_MEMORY)
    hazard[recent] *= 1.0 + e["democracy_recruitment"] * pop.provider_democracy[recent]
    hazard *= best[town.cell]
    hazard *= pop.present & ~pop.volunteer
    joins, u_pick = happens(u_join, hazard)
    if joins.size:
        start_spells(town, joins, town.pairs.choose(weights, town.cell[joins], u_pick), t)


# 5. Service ---------------------------------------------------------------------------------

def volunteer_capacity(town: Town) -> np.ndarray:
    """Need units each CSO's volunteers can serve this week."""
    pop, v = town.pop, town.p["volunteering"]
    vols = np.flatnonzero(pop.volunteer)
    effort = v["productivity"] * (1.0 + v["training_bonus"] * pop.trained[vols]) * (
        1.0 - FATIGUE_PRODUCTIVITY * pop.fatigue[vols])
    return np.bincount(pop.cso[vols], weights=effort, minlength=len(town.cso_table))


def serve(town: Town, t: int) -> None:
    """CSOs serve the need that welfare leaves, in their catchment, rationing proportionally."""
    pop, csos, c = town.pop, town.cso_table, town.p["csos"]
    fp = town.p["state"]["funding"]
    csos.spend = c["spend_rate"] * np.maximum(csos.budget, 0.0) * csos.active
    staff = csos.spend / c["unit_cost"]
    overhead = application_capacity(csos, t, fp, town.state.policy)
    csos.capacity = (volunteer_capacity(town) + staff) * overhead * csos.active

    gap = town.welfare_gap()
    need_cell, by_cell = gap.need_cell, gap.remaining_cell
    pairs, n = town.pairs, len(csos)
    # each cell's need goes to the CSOs serving it, in proportion to their attractiveness:
    # recognition draws demand (factor 04); exclusive CSOs serve fewer minority members (03)
    weights = appeal(town)[pairs.cso]
    total = pairs.cell_sum(weights)[pairs.cell]
    share = np.divide(weights, total, out=np.zeros(len(pairs)), where=total > 0) * pairs.of(
        inclusion(town) * uptake(town)[:, None])
    served = np.zeros(len(pairs))
    spare, left = csos.capacity.copy(), by_cell.copy()
    for rnd in range(SERVICE_ROUNDS):
        demand = share * left[pairs.cell]
        demand_cso = pairs.cso_sum(demand, n)
        if rnd == 0:
            csos.demand = demand_cso
        ratio = np.minimum(1.0, np.divide(spare, demand_cso, out=np.zeros(n),
                                          where=demand_cso > NO_DEMAND))
        round_served = demand * ratio[pairs.cso]
        served += round_served
        spare -= pairs.cso_sum(round_served, n)
        left = np.maximum(left - pairs.cell_sum(round_served), 0.0)
    csos.served = pairs.cso_sum(served, n)
    csos.served_total += csos.served
    has_demand = csos.demand > NO_DEMAND
    csos.load = np.where(has_demand, np.divide(csos.demand, csos.capacity,
                                               out=np.full(len(csos), LOAD_MAX),
                                               where=csos.demand < LOAD_MAX * csos.capacity),
                         0.0)
    met_cell = pairs.cell_sum(served)
    share_met = np.divide(met_cell, by_cell, out=np.zeros(town.n_cells), where=by_cell > 0)
    served_needy = share_met[gap.needy_cell] * gap.remaining[gap.needy]
    pop.served = np.zeros(pop.size)
    pop.served[gap.needy] = served_needy
    provider_dem = np.divide(pairs.cell_sum(csos.factor("democracy")[pairs.cso] * served),
                             met_cell, out=np.zeros(town.n_cells), where=met_cell > 0)
    got = served_needy > 0
    beneficiaries = gap.needy[got]
    pop.last_served[beneficiaries] = t
    pop.provider_democracy[beneficiaries] = provider_dem[gap.needy_cell[got]]

    f = town.flows  # cells alternate majority, minority
    f["need_total"] = float(need_cell.sum())
    f["need_met_state"] = float((need_cell - by_cell).sum())
    f["need_met_csos"] = float(met_cell.sum())
    f["need_minority"] = float(need_cell[1::2].sum())
    f["unmet_need_minority"] = float((by_cell - met_cell)[1::2].sum())
    f["beneficiaries"] = beneficiaries.size


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
    u = town.draw("training", pop.size)[vols]
    p_cso = (town.p["volunteering"]["training_rate"] * town.cso_table.factor("meaning"))[j]
    trains = u < p_cso
    budget = town.state.training_budget(t, town.n_present)
    untrained = ~pop.trained[vols]
    n_untrained = int(np.count_nonzero(untrained))
    if budget > 0 and n_untrained:
        cost = town.p["state"]["levers"]["training_cost"]
        p_state = min(1.0, budget / (cost * n_untrained))
        by_state = untrained & ~trains & (u < p_cso + p_state)
        trains |= by_state
        town.state.record_training(cost * int(np.count_nonzero(by_state)))
    pop.trained[vols] |= trains


def wellbeing_and_retention(town: Town, t: int) -> None:
    """Fatigue follows workload and recovery, meaning follows the CSO; volunteers may quit."""
    pop, csos, v, e = town.pop, town.cso_table, town.p["volunteering"], town.p["effects"]
    u_quit = town.draw("retention", pop.size)
    vols = np.flatnonzero(pop.volunteer)
    j = pop.cso[vols]
    train(town, t, vols, j)
    before = pop.fatigue[vols]
    pop.fatigue *= 1.0 - v["fatigue_recovery"]  # former volunteers rest
    # per-CSO terms first, then one look-up per volunteer
    # factor 06: good management of scale shields volunteers from overload
    overload = (v["fatigue_gain"] * csos.load * (
        1.0 - e["scalability_relief"] * effective_scalability(town)))[j]
    # factor 08: wellbeing care and training speed recovery (Debt Aid Companion)
    care = (1.0 + e["meaning_recovery"] * csos.factor("meaning"))[j] + (
        v["training_recovery"] * pop.trained[vols])
    fatigue = np.clip(before * (1.0 - v["fatigue_recovery"] * care) + overload, 0.0, 1.0)
    pop.fatigue[vols] = fatigue
    meaning = pop.meaning[vols]
    meaning += v["meaning_adapt"] * (csos.factor("meaning")[j] - meaning)
    pop.meaning[vols] = meaning

    # factor 01: voice lowers the fatigue -> quit hazard; factor 08: meaning lowers the rest
    h_burn = v["burnout_rate"] * fatigue ** 2 * (
        1.0 - e["democracy_retention"] * csos.factor("democracy"))[j]
    tenure = t - pop.spell_start[vols]
    h_other = (v["quit_rate"] * (1.0 - e["meaning_retention"] * meaning)
               * (1.0 + v["availability_quit"] * (1.0 - pop.availability[vols]))
               * (1.0 + v["idle_quit"] * np.maximum(0.0, 1.0 - csos.load))[j]
               # the crisis motivation that brought a volunteer in fades with the crisis
               * (1.0 + v["episodic_quit"] * np.maximum(
                   0.0, pop.join_salience[vols] - town.crisis.salience))
               * (1.0 + v["early_quit"] * np.exp(-tenure / max(v["early_weeks"], 1e-9))))
    hazard = h_burn + h_other
    quits, u_reason = happens(u_quit[vols], hazard)
    burnout = u_reason < h_burn[quits] / hazard[quits]  # competing risks
    end_spells(town, vols[quits], np.where(burnout, BURNOUT, OTHER), t)
    stay = vols.size - quits.size
    town.flows["fatigue_mean"] = (fatigue.sum() - fatigue[quits].sum()) / stay if stay else 0.0
    town.flows["mean_tenure"] = (tenure.sum() - tenure[quits].sum()) / stay if stay else 0.0


def end_spells(town: Town, who: np.ndarray, reasons: np.ndarray | int, t: int) -> None:
    """Volunteers stop in week ``t``; their spells are logged with their reasons (codes)."""
    pop = town.pop
    cso = pop.cso[who]
    town.spells.close(who, cso, pop.spell_start[who], t, reasons)
    np.subtract.at(town.cso_table.members, cso, 1)
    np.subtract.at(town.volunteer_neighbours, town.net.neighbours_of(who), 1.0)
    pop.volunteer[who] = False
    pop.cso[who] = -1
    town.flows["quits"] += who.size
    town.flows["quits_burnout"] += int(np.count_nonzero(np.asarray(reasons) == BURNOUT))


# 7. CSO dynamics ----------------------------------------------------------------------------

def cso_dynamics(town: Town, t: int) -> None:
    """Legitimacy, recognition, money, scale and dissolution of every CSO."""
    csos, c, e = town.cso_table, town.p["csos"], town.p["effects"]
    u_scale = town.draw_per_cso("scale")
    csos.volunteers = csos.members.copy()
    csos.peak_volunteers = np.maximum(csos.peak_volunteers, csos.volunteers)
    # factors 02 and 05: impact becomes legitimacy only when reported and demonstrated
    impact = np.divide(csos.served, csos.demand, out=np.zeros(len(csos)),
                       where=csos.demand > NO_DEMAND)
    visible = impact * (1.0 - e["transparency_visibility"] * (1.0 - csos.factor("transparency"))) \
        * (1.0 - e["legitimacy_demonstration"] * (1.0 - csos.factor("legitimacy")))
    csos.legitimacy += c["legitimacy_rate"] * (visible - csos.legitimacy) * csos.active
    # factor 04: a credible public profile turns legitimacy into recognition
    drive = csos.legitimacy * (1.0 - e["recognition_practice"] * (1.0 - csos.factor("recognition")))
    csos.recognition += c["recognition_rate"] * (drive - csos.recognition) * csos.active

    d = town.p["donations"]
    pool = d["per_capita"] * town.n_present / WEEKS_PER_YEAR * (1.0 - d["crisis_sensitivity"]
                                                   * town.crisis.economic)
    # factor 02: transparency is a trust criterion for donors
    trust = csos.recognition * (1.0 + e["transparency_trust"] * csos.factor("transparency")) \
        * csos.active
    donations = pool * trust / trust.sum() if trust.sum() > 0 else np.zeros(len(csos))
    csos.income = town.payments + donations
    csos.income_total += csos.income
    csos.budget += csos.income - csos.spend
    town.flows["donations"] = float(donations.sum())
    town.flows["cso_income"] = float(csos.income.sum())
    town.flows["cso_spend"] = float(csos.spend.sum())

    # factor 06 (and 04 via demand): catchment grows under excess demand when managed well
    # recognition brings demand, management turns it into reach; idle, unmanaged CSOs retreat
    managed = effective_scalability(town)
    grow = csos.active & (csos.load >= BUSY) & (
        u_scale < e["scalability_growth"] * managed * csos.recognition)
    shrink = csos.active & (csos.scale > 1) & (csos.load < IDLE) & (
        u_scale > 1.0 - c["shrink_rate"] * (1.0 - managed))
    csos.scale = np.minimum(np.maximum(csos.scale + grow - shrink, 1), town.n_neighbourhoods)

    gone = np.flatnonzero(csos.active & (csos.volunteers == 0)
                          & (csos.budget < c["dissolve_budget"]))
    dissolve(town, gone, t)
    if grow.any() or shrink.any():
        town.update_reach()


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
    """Informal groups fold or formalise; in a crisis, needy neighbourhoods found new ones."""
    u_found = town.draw("emergence", town.n_neighbourhoods)
    u_formal = town.draw_per_cso("emergence")
    u_fold = town.draw_per_cso("folding")
    if not town.p["emergence"]["enabled"]:
        return
    fold_groups(town, t, u_fold)
    informal = town.cso_table.active & ~town.cso_table.formal
    formalise_groups(town, t, u_formal, informal)
    if town.crisis.active:
        found_groups(town, t, u_found, informal)


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
    residents = np.bincount(pop.nbhd, weights=pop.present, minlength=k_n)
    unmet = np.bincount(pop.nbhd, weights=town.welfare_gap().remaining - pop.served,
                        minlength=k_n)
    aware = np.bincount(pop.nbhd, weights=pop.awareness * pop.present, minlength=k_n)
    per_capita = np.divide(unmet, residents, out=np.zeros(k_n), where=residents > 0)
    mean_aware = np.divide(aware, residents, out=np.zeros(k_n), where=residents > 0)
    has_group = np.zeros(k_n, bool)
    has_group[csos.home[informal]] = True
    p_found = em["rate"] * town.crisis.salience * mean_aware
    found = np.flatnonzero((per_capita > em["unmet_threshold"]) & ~has_group & (u < p_found))
    for k in found:
        found_group(town, int(k), t)


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
    folded = np.flatnonzero(informal & (u < _exp_hazard(hazard)))
    if folded.size == 0:
        return
    members = np.flatnonzero(town.pop.volunteer & np.isin(town.pop.cso, folded))
    end_spells(town, members, FOLDED, t)
    dissolve(town, folded, t)


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
    row = town.cso_table.add(factors, np.array([k]), t, formal=False, budget=0.0)
    town.cso_table.recognition[row] = em["media_recognition"] * town.crisis.salience
    town.flows["csos_founded"] += 1
    town.update_reach()
    start_spells(town, founders, np.full(founders.size, row[0]), t)
