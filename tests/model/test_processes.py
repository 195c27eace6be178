"""Each weekly process, run alone on the hand-built town of :mod:`tests.model.handmade`.

Every expected value is worked out by hand from the equations of docs/ODD.md (section 7.x for
process x), with the numbers of the town (:func:`~tests.model.handmade.tiny_town`) and of the
default parameters written out. A random outcome is either forced by the parameters (a hazard so
large that the event is certain) or decided by hand from the same named stream the process draws
from (:func:`uniforms`).
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from solidarity_sim.model import processes as proc
from solidarity_sim.model.crises import CrisisWeek
from solidarity_sim.model.csos import INFORMAL_PROFILE, F
from solidarity_sim.model.parameters import FACTORS
from solidarity_sim.model.streams import Streams
from tests.model.handmade import BASE_NEED, GROUP, N, add_cso, new_week, tiny_town, volunteer

EXACT = 1e-12
"""Relative tolerance of a value computed in another order than the process computes it."""

CALM = CrisisWeek(0.0, 0.0, 0.0, False)


def uniforms(stream: str, n: int, seed: int = 0) -> np.ndarray:
    """The first ``n`` numbers a process draws from a named stream of a fresh town."""
    return Streams(seed)[stream].random(n, dtype=np.float32).astype(np.float64)


def crisis_now(intensity: float, salience: float, economic: float = 0.0,
               motivation: float | None = None) -> CrisisWeek:
    """What the crises do this week, set by hand (process 1 is tested on its own).

    The motivation to volunteer is the salience (a shared risk of 1) unless given.
    """
    return CrisisWeek(intensity, salience, economic, False,
                      salience if motivation is None else motivation)


# 1. Crises (ODD 7.1) ---------------------------------------------------------------------------

ECONOMIC = {"kind": "economic", "onset": 2, "duration": 4, "severity": 0.3, "reach": 1.0,
            "recovery": 2.0, "attention": 6.0}


def test_a_crisis_adds_its_intensity_to_the_need_of_those_it_hits_only():
    town = tiny_town(crises=[ECONOMIC])
    # P(hit) = min(1, reach x w / mean(w)), w = 3 for the needy (1, 3, 5), else 1: mean(w) =
    # 14/8, so the needy are hit for sure and the others with probability 8/14 (`crises` stream,
    # drawn when the schedule is made)
    hit = Streams(0)["crises"].random(N) < np.where(BASE_NEED > 0, 1.0, 8 / 14)
    assert_array_equal(town.crises.hit[0], hit)
    assert hit[[1, 3, 5]].all() and hit[[0, 2, 7]].all() and not hit[[4, 6]].any()

    proc.apply_crises(town, 1)  # before onset
    assert_array_equal(town.pop.need, BASE_NEED)
    assert town.crisis == CALM

    proc.apply_crises(town, 3)  # at full intensity: need = min(1, base + severity)
    assert_array_equal(town.pop.need, np.where(hit, BASE_NEED + 0.3, BASE_NEED))
    # salience = I x (0.25 + 0.75 exp(-(t - onset) / attention))
    assert town.crisis.salience == pytest.approx(0.3 * (0.25 + 0.75 * math.exp(-1 / 6)),
                                                 rel=EXACT)
    assert (town.crisis.intensity, town.crisis.economic, town.crisis.active) == (0.3, 0.3, True)

    proc.apply_crises(town, 7)  # one week after the end: I = 0.3 exp(-1 / recovery)
    assert_allclose(town.pop.need, np.where(hit, BASE_NEED + 0.3 * math.exp(-1 / 2), BASE_NEED),
                    rtol=EXACT)


def test_need_added_by_crises_stops_at_one():
    town = tiny_town(crises=[{**ECONOMIC, "severity": 0.7}])
    proc.apply_crises(town, 3)
    hit = town.crises.hit[0]
    assert_array_equal(town.pop.need, np.where(hit, np.minimum(BASE_NEED + 0.7, 1.0), BASE_NEED))
    assert town.pop.need[1] == 1.0  # 0.5 + 0.7


def test_a_confinement_frees_time_for_those_the_pandemic_does_not_hit():
    town = tiny_town(crises=[{"kind": "pandemic", "onset": 2, "duration": 4, "confinement": 2,
                              "availability_boost": 0.2, "reach": 0.5, "strain": 0.1}])
    hit = town.crises.hit[0]
    assert hit.any() and not hit.all()
    proc.apply_crises(town, 3)  # confined in weeks 2 and 3; the hit lose strain 0.1 of theirs
    assert_allclose(town.pop.availability, np.where(hit, 0.5 - 0.1, 0.5 + 0.2), rtol=EXACT)
    assert town.crisis.confinement
    proc.apply_crises(town, 4)  # confinement over; the crisis (weeks 2-5) still strains the hit
    assert_allclose(town.pop.availability, np.where(hit, 0.5 - 0.1, 0.5), rtol=EXACT)
    assert not town.crisis.confinement
    proc.apply_crises(town, 200)  # long faded: the tail below 1 % of its height is cut
    assert_array_equal(town.pop.availability, np.full(N, 0.5))
    assert_array_equal(town.pop.need, BASE_NEED)


def test_motivation_is_salience_times_shared_risk_and_economic_crises_share_little():
    town = tiny_town(crises=[{**ECONOMIC, "attention": 0.0}])
    assert town.crises.crises[0]["shared_risk"] == 0.2  # the economic kind's default
    proc.apply_crises(town, 3)
    assert town.crisis.salience == pytest.approx(0.3, rel=EXACT)  # severity, full attention
    assert town.crisis.motivation == pytest.approx(0.2 * 0.3, rel=EXACT)


def test_newcomers_arrive_in_their_arrival_week_and_count_as_neighbours_from_then():
    town = tiny_town()
    pop = town.pop
    pop.arrival[7], pop.present[7] = 3, False
    town.n_present, town.has_arrivals = 7, True
    town.present_neighbours = proc.present_neighbours(town)
    assert town.present_neighbours[[6, 0]].tolist() == [1.0, 1.0]  # 7 is their other tie
    proc.apply_crises(town, 2)
    assert not pop.present[7] and town.n_present == 7
    proc.apply_crises(town, 3)
    assert pop.present[7] and town.n_present == N
    assert town.present_neighbours[[6, 0]].tolist() == [2.0, 2.0]


# 2. State (ODD 7.2) ----------------------------------------------------------------------------

def test_welfare_coverage_falls_with_austerity_and_is_lower_for_newcomers():
    town = tiny_town(state__austerity__start=2, state__austerity__cut=0.5)
    town.pop.newcomer[7] = True
    town.state.changed()
    proc.state_acts(town, 1)  # cov = welfare_coverage (0.6), newcomers newcomer_coverage (0.2)
    assert town.coverage.tolist() == [0.6] * 7 + [0.2]
    proc.state_acts(town, 2)  # from the start of austerity, both x keep = 1 - 0.5
    assert town.coverage.tolist() == [0.3] * 7 + [0.1]
    assert town.state.welfare_coverage == 0.3


def test_core_funding_shares_the_weekly_budget_among_formal_csos_by_scale():
    town = tiny_town(state__funding__policy="core_funding", state__funding__budget=52.0)
    add_cso(town, home=1, scale=1)
    add_cso(town, home=1, scale=1, formal=False)  # informal groups get no public money
    proc.state_acts(town, 0)
    # W = budget x N / 52 = 52 x 8 / 52 = 8 € this week, shared by scale 2 : 1
    assert_allclose(town.payments, [8 * 2 / 3, 8 / 3, 0.0], rtol=EXACT)
    assert town.state.spending.amounts["funding"] == pytest.approx(8.0, rel=EXACT)


def test_a_project_grant_goes_to_the_best_score_and_is_paid_until_the_next_round():
    town = tiny_town(state__funding__policy="project_grants", state__funding__budget=52.0,
                     state__funding__success_rate=0.5)
    add_cso(town, home=1)
    add_cso(town, home=1, formal=False)  # does not apply
    csos = town.cso_table
    csos.recognition[:2], csos.legitimacy[:2] = [0.2, 0.3], [0.3, 0.2]
    # score = R + F02 + L + 0.5 u (`policy` stream): 1.0 + 0.5 u for both applicants, so the
    # draw decides; ceil(0.5 x 2) = 1 winner gets all of W = 8 € a week until week 52
    u = uniforms("policy", 8)
    winner = int(np.argmax(1.0 + 0.5 * u[:2]))
    expected = np.zeros(3)
    expected[winner] = 8.0
    proc.state_acts(town, 0)
    assert_allclose(town.payments, expected, rtol=EXACT)
    assert csos.grant_until[winner] == 52
    proc.state_acts(town, 1)  # no round: the grant goes on
    assert_allclose(town.payments, expected, rtol=EXACT)


def test_levers_spend_their_budgets_and_emergency_funds_follow_last_weeks_demand():
    town = tiny_town(state__levers__emergency_fund=26.0, state__levers__awareness_campaign=13.0,
                     state__levers__network_support=2.0)
    add_cso(town, home=1)
    town.cso_table.demand[:] = [0.2, 0.6]
    town.crisis = crisis_now(0.5, 0.5)
    proc.state_acts(town, 0)
    # emergency: 26 x 8 / 52 x I (0.5) = 2 €, shared by demand 1 : 3
    assert_allclose(town.payments, [0.5, 1.5], rtol=EXACT)
    spent = town.state.spending.amounts
    assert spent["emergency"] == pytest.approx(2.0, rel=EXACT)
    assert spent["campaign"] == pytest.approx(13 * 8 / 52, rel=EXACT)
    assert spent["network"] == pytest.approx(2 * 8 / 52, rel=EXACT)
    # s_net = 1 - exp(-network_support / network_scale) = 1 - exp(-2 / 2)
    assert town.state.network_strength == pytest.approx(1 - math.exp(-1), rel=EXACT)


def test_recognition_awards_in_the_last_week_of_a_year_go_to_the_most_legitimate():
    # 1 € x 8 citizens buys 8 // 3 = 2 awards of 3 €: the money scales the number of awards
    town = tiny_town(state__levers__recognition_awards=1.0, state__levers__award_prize=3.0)
    for home in (1, 0, 1):
        add_cso(town, home=home)
    csos = town.cso_table
    csos.legitimacy[:] = [0.4, 0.1, 0.3, 0.2]
    proc.state_acts(town, 50)
    assert town.state.spending.amounts["awards"] == 0.0
    proc.state_acts(town, 51)
    # the 2 most legitimate (rows 0, 2) share the year's money; R += award_boost x (1 - R)
    assert_allclose(town.payments, [4.0, 0.0, 4.0, 0.0], rtol=EXACT)
    assert town.state.spending.amounts["awards"] == pytest.approx(8.0, rel=EXACT)
    assert_allclose(csos.recognition, [0.25 + 0.2 * 0.75, 0.25, 0.25 + 0.2 * 0.75, 0.25],
                    rtol=EXACT)


def test_new_volunteers_are_recognised_in_the_share_the_lever_buys_and_it_is_booked():
    # 52 €/citizen/year x 8 citizens = 8 € a week: 8 / (2 € x 3 new volunteers) = 4/3 > 1
    town = tiny_town(state__levers__volunteer_recognition=52.0,
                     state__levers__volunteer_recognition_cost=2.0)
    proc.state_acts(town, 0)
    assert town.state.recognise_newcomers(0, N, 3) == 1.0
    assert town.state.spending.amounts["volunteer_recognition"] == pytest.approx(6.0)
    assert town.state.recognise_newcomers(0, N, 8) == pytest.approx(0.5)  # 8 € for 16 €
    assert town.state.spending.amounts["volunteer_recognition"] == pytest.approx(8.0)


# 3. Awareness (ODD 7.3) ------------------------------------------------------------------------

def test_awareness_of_one_citizen_moves_by_the_equation():
    town = tiny_town(state__levers__awareness_campaign=10.0)
    volunteer(town, 1)  # citizen 0's ties are 7 and 1: half of them volunteer
    town.crisis = crisis_now(0.4, 0.2)
    proc.spread_awareness(town, 0)
    assert town.neighbour_share.tolist() == [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]
    # outreach O = awareness_outreach x F07 x (0.5 + R) = 1 x 0.5 x 0.75, reaching both
    # neighbourhoods: o = 1 - exp(-0.375); campaign input 0.002 x 10
    drive = 0.03 + 0.03 * 0.5 + 0.02 * (1 - math.exp(-0.375)) + 0.15 * 0.2 + 0.002 * 10
    expected = 0.5 + (1 - 0.5) * (1 - math.exp(-drive)) - 0.05 * 0.5
    assert town.pop.awareness[0] == pytest.approx(expected, rel=EXACT)
    alone = 0.5 + 0.5 * (1 - math.exp(-(drive - 0.03 * 0.5))) - 0.05 * 0.5  # no volunteer ties
    assert town.pop.awareness[4] == pytest.approx(alone, rel=EXACT)


def test_awareness_of_citizens_not_yet_arrived_stays_as_it_was():
    town = tiny_town()
    town.pop.present[5] = False
    town.n_present = N - 1
    town.pop.awareness[5] = 0.3
    proc.spread_awareness(town, 0)
    assert town.pop.awareness[5] == 0.3 and town.pop.awareness[4] != 0.5


# 4. Recruitment (ODD 7.4) ----------------------------------------------------------------------

def test_a_bystander_certain_to_join_joins_the_only_cso_that_reaches_them():
    town = tiny_town(volunteering__join_rate=1e4)  # h in the thousands: P(join) = 1
    town.cso_table.scale[0] = 1  # CSO 0 now serves neighbourhood 0 only
    other = add_cso(town, home=1)  # and CSO 1 neighbourhood 1 only
    pop = town.pop
    pop.disposition[:] = [1, 0, 1, 0, 1, 0, 1, 0]  # h = 0 for the odd citizens: they never join
    volunteer(town, 2)  # a volunteer already: not a bystander
    pop.present[4] = False  # not arrived yet
    town.cso_table.load[:] = 1.0  # both have work for more hands: they recruit fully
    town.crisis = crisis_now(0.5, 0.25)
    new_week(town)
    proc.recruit(town, 3)
    assert np.flatnonzero(pop.volunteer).tolist() == [0, 2, 6]
    assert pop.cso[[0, 2, 6]].tolist() == [0, 0, other]
    assert pop.spell_start[[0, 6]].tolist() == [3, 3] and pop.spell_start[2] == 0
    assert pop.meaning[[0, 6]].tolist() == [1.0, 1.0]  # starts at the disposition
    assert pop.join_motivation[[0, 6]].tolist() == [0.25, 0.25]
    assert town.cso_table.members.tolist() == [2, 1] and town.flows["joins"] == 2
    assert town.volunteer_neighbours[[7, 1, 5]].tolist() == [2.0, 2.0, 1.0]


def test_the_join_hazard_is_the_product_of_its_terms():
    """Each citizen's availability is set so that its join chance lands just above (joins) or
    just below (stays) its draw from the `recruitment` stream: a term of the hazard off by more
    than one part in a million turns a decision."""
    town = tiny_town(volunteering__join_rate=50.0)
    pop, csos, v = town.pop, town.cso_table, town.p["volunteering"]
    csos.factors[0, F["pluralism"]] = 0.0  # exclusive: reaches 1 - 0.8 x (1 - 0) of minorities
    csos.load[0] = 0.8  # recruits 1 - r + r x min(1, load) as actively as a CSO short of hands
    recruiting = 1 - v["recruit_by_need"] + v["recruit_by_need"] * 0.8
    town.crisis = crisis_now(0.5, 0.2, motivation=0.1)
    share = np.array([0.5, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0])
    town.neighbour_share = share.copy()
    fatigue = np.array([0.0, 0.0, 0.0, 0.0, 0.4, 0.2, 0.0, 0.0])
    pop.fatigue[:] = fatigue
    pop.last_served[[1, 2]], pop.provider_democracy[[1, 2]] = -20, [0.5, 0.7]  # 20 weeks ago
    pop.last_served[6], pop.provider_democracy[6] = -27, 0.5  # too long ago for the bonus
    # boost = 1 + democracy_recruitment x PD, for those served in the last 26 weeks
    boost = np.array([1.0, 1 + 3.0 * 0.5, 1 + 3.0 * 0.7, 1.0, 1.0, 1.0, 1.0, 1.0])
    # best: w = 1 + recognition_attraction x R = 1.25; in minority cells 1.25 x 0.2
    best = np.where(GROUP == 1, 1.25 * 0.2, 1.25) * recruiting
    # h = join_rate x availability x disposition x awareness x (1 + contagion x s)
    #     x (1 - fatigue) x (1 + crisis_motivation x motivation) x boost x best
    per_availability = (50.0 * 0.5 * 0.5 * (1 + v["contagion"] * share) * (1 - fatigue)
                        * (1 + v["crisis_motivation"] * 0.1) * boost * best)
    joins = np.array([True, False, True, True, False, True, False, False])
    u = uniforms("recruitment", N)
    chance = u * np.where(joins, 1 + 1e-6, 1 - 1e-6)
    pop.availability[:] = -np.log1p(-chance) / per_availability  # P(join) = 1 - exp(-h)
    assert pop.availability.max() <= 1.0
    proc.recruit(town, 0)
    assert_array_equal(pop.volunteer, joins)
    assert (pop.cso[joins] == 0).all() and town.flows["joins"] == joins.sum()


def test_a_cso_whose_volunteers_meet_its_demand_recruits_nobody_when_recruiting_follows_need():
    town = tiny_town(volunteering__join_rate=1e4, volunteering__recruit_by_need=1.0)
    town.cso_table.load[0] = 0.0  # no demand for more hands
    proc.recruit(town, 0)
    assert not town.pop.volunteer.any()
    town.p["volunteering"]["recruit_by_need"] = 0.0  # recruiting regardless of need
    proc.recruit(town, 1)
    assert town.pop.volunteer.sum() == N


# 5. Service (ODD 7.5) --------------------------------------------------------------------------

def test_short_capacity_is_rationed_in_proportion_to_the_need_brought_to_the_cso():
    town = tiny_town(budget=3.0)
    volunteer(town, 0, 2)
    town.pop.trained[2], town.pop.fatigue[2] = True, 0.5
    proc.serve(town, 4)
    csos, pop = town.cso_table, town.pop
    # capacity = (0.15 + 0.15 x (1 + 0.5) x (1 - 0.5 x 0.5) + spend_rate x budget / unit_cost)
    #   x span, span = 1 / (1 + span_cost x (1 - scalability_relief x S*) x (scale - 1))
    span = 1 / (1 + town.p["csos"]["span_cost"] * (1 - 0.7 * 0.5) * (2 - 1))
    capacity = (0.15 + 0.15 * 1.5 * 0.75 + 0.1 * 3.0 / 60.0) * span
    assert csos.capacity[0] == pytest.approx(capacity, rel=EXACT)
    assert csos.spend[0] == pytest.approx(0.3, rel=EXACT)
    # welfare leaves 0.5 x (1 - 0.6) = 0.2 to citizens 1, 3 and 5; the CSO is brought the
    # uptake (1 + R) / 2 = 0.625 of it, times 1 - 0.8 x (1 - 0.5) = 0.6 for minority member 3
    demand = np.array([0.0, 0.125, 0.0, 0.075, 0.0, 0.125, 0.0, 0.0])
    assert csos.demand[0] == pytest.approx(0.325, rel=EXACT)
    assert csos.load[0] == pytest.approx(0.325 / capacity, rel=EXACT)
    # all of the capacity is shared in proportion to demand; none is left for round two
    assert_allclose(pop.served, demand * capacity / 0.325, rtol=EXACT, atol=1e-15)
    f = town.flows
    assert f["need_total"] == 1.5 and f["need_met_state"] == pytest.approx(0.9, rel=EXACT)
    assert f["need_met_csos"] == pytest.approx(capacity, rel=EXACT)
    assert f["need_minority"] == 0.5
    assert f["unmet_need_minority"] == pytest.approx(0.2 - 0.075 * capacity / 0.325, rel=EXACT)
    assert f["beneficiaries"] == 3
    assert pop.last_served[[1, 3, 5]].tolist() == [4, 4, 4]
    assert pop.provider_democracy[[1, 3, 5]].tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("pluralism", [0.0, 1.0])
def test_spare_capacity_serves_a_second_round_in_reach_and_minorities_only_if_inclusive(
        pluralism):
    town = tiny_town(budget=1e6, effects__pluralism_reach=1.0)  # paid staff: ample capacity
    town.cso_table.scale[0] = 1  # neighbourhood 0 only: citizen 5 is out of reach
    town.update_reach()
    town.cso_table.factors[0, F["pluralism"]] = pluralism  # minority reach = pluralism
    proc.serve(town, 0)
    # each round serves the uptake 0.625 of the need still left: 0.2 x (1 - 0.375²) in two
    both_rounds = 0.2 * (1 - 0.375 ** 2)
    assert_allclose(town.pop.served, [0.0, both_rounds, 0.0, both_rounds * pluralism,
                                      0.0, 0.0, 0.0, 0.0], rtol=EXACT)
    assert town.cso_table.demand[0] == pytest.approx(0.125 * (1 + pluralism), rel=EXACT)


# 6. Wellbeing and retention (ODD 7.6) ----------------------------------------------------------

def test_fatigue_and_meaning_move_by_the_equations():
    town = tiny_town(volunteering__quit_rate=0.0, volunteering__burnout_rate=0.0)
    volunteer(town, 0, 2)
    pop = town.pop
    pop.fatigue[:] = 0.4
    pop.trained[2] = True
    pop.meaning[0] = 0.9
    town.cso_table.load[0] = 2.0
    town.state.network_strength = 0.5
    proc.wellbeing_and_retention(town, 0)
    # S* = F06 + (1 - F06) s_net = 0.75; overload = fatigue_gain x min(load, 1.5) x (1 - 0.7 S*)
    overload = town.p["volunteering"]["fatigue_gain"] * 1.5 * (1 - 0.7 * 0.75)
    # care = 1 + meaning_recovery x F08 (+ training_recovery if trained) = 2 (2.5)
    assert pop.fatigue[0] == pytest.approx(0.4 * (1 - 0.03 * 2.0) + overload, rel=EXACT)
    assert pop.fatigue[2] == pytest.approx(0.4 * (1 - 0.03 * 2.5) + overload, rel=EXACT)
    assert pop.fatigue[1] == pytest.approx(0.4 * (1 - 0.03), rel=EXACT)  # not volunteering
    assert pop.meaning[0] == pytest.approx(0.9 + 0.05 * (0.5 - 0.9), rel=EXACT)
    assert pop.volunteer[[0, 2]].all()  # no hazard, no quit


def test_an_exhausted_volunteer_quits_by_burnout_when_that_is_the_only_hazard():
    town = tiny_town(volunteering__quit_rate=0.0, volunteering__burnout_rate=1e4)
    volunteer(town, 0, 2)
    new_week(town)
    town.cso_table.load[0] = 0.0  # no workload: no fatigue is added this week
    town.pop.fatigue[0] = 1.0  # h_burn = 1e4 x f² x (1 - 0.6 x 0.5): certain; 2 is rested
    proc.wellbeing_and_retention(town, 5)
    pop = town.pop
    assert not pop.volunteer[0] and pop.cso[0] == -1 and pop.volunteer[2]
    spells = town.spells.table(pop, 6)
    ended = spells[spells["reason"] != "ongoing"]
    assert ended[["citizen", "cso", "start", "end", "reason"]].values.tolist() == [
        [0, 0, 0, 5, "burnout"]]
    assert (town.flows["quits"], town.flows["quits_burnout"]) == (1, 1)
    assert town.cso_table.members[0] == 1
    assert town.volunteer_neighbours[[7, 1]].tolist() == [0.0, 1.0]


def test_quits_and_their_reasons_follow_the_hazards_and_the_retention_stream():
    town = tiny_town(volunteering__quit_rate=0.05, volunteering__burnout_rate=2.0,
                     volunteering__training_rate=0.0)
    volunteer(town, *range(N))
    town.cso_table.load[0] = 0.0
    fatigue = np.linspace(0.0, 1.0, N)
    town.pop.fatigue[:] = fatigue
    proc.wellbeing_and_retention(town, 10)
    # load 0: no overload; care 2, so fatigue x (1 - 0.03 x 2); meaning stays at F08 = 0.5
    f = fatigue * (1 - 0.03 * 2)
    h_burn = 2.0 * f ** 2 * (1 - 0.6 * 0.5)
    # quit_rate x (1 - meaning_retention x 0.5) x (1 + availability_quit x (1 - 0.5))
    # x (1 + idle_quit x (1 - load)) x (1 + early_quit x exp(-tenure / early_weeks))
    h_other = 0.05 * (1 - 0.5 * 0.5) * (1 + 1.0 * 0.5) * (1 + 1.5) * (1 + 2 * math.exp(-10 / 13))
    p_quit = 1 - np.exp(-(h_burn + h_other))
    u = uniforms("retention", N)
    quits = u < p_quit
    burnout = quits & (u / p_quit < h_burn / (h_burn + h_other))
    assert burnout.any() and (quits & ~burnout).any() and not quits.all()
    assert_array_equal(town.pop.volunteer, ~quits)
    assert (town.flows["quits"], town.flows["quits_burnout"]) == (quits.sum(), burnout.sum())
    spells = town.spells.table(town.pop, 11).set_index("citizen")
    assert (spells.loc[np.flatnonzero(burnout), "reason"] == "burnout").all()
    assert (spells.loc[np.flatnonzero(quits & ~burnout), "reason"] == "other").all()


def test_the_quit_hazard_is_the_sum_of_its_burnout_and_other_terms():
    """As for joining, each volunteer's fatigue is set so that its quit chance lands just above
    (quits) or just below (stays) its draw from the `retention` stream."""
    town = tiny_town(volunteering__quit_rate=0.01, volunteering__burnout_rate=10.0,
                     volunteering__training_rate=0.0)
    pop = town.pop
    volunteer(town, *range(N))
    pop.spell_start[:] = [0, 5, 10, 15, 18, 19, 20, -100]
    pop.availability[:] = [0.2, 0.5, 0.8, 1.0, 0.3, 0.6, 0.9, 0.4]
    pop.join_motivation[:] = [0.1, 0.06, 0.0, 0.0, 0.0, 0.06, 0.0, 0.0]
    pop.recognised[:] = [0.0, 0.0, 1.0, 0.0, 0.5, 0.0, 0.0, 1.0]  # 7 is past its first year
    town.crisis = crisis_now(0.1, 0.05)
    town.cso_table.load[0] = 0.4
    t = 20
    tenure = t - pop.spell_start
    # h_other = quit_rate x (1 - meaning_retention x meaning) x (1 + availability_quit x
    #   (1 - availability)) x (1 + idle_quit x (1 - load)) x (1 + episodic_quit x
    #   max(0, joining motivation - motivation)) x (1 + early_quit x exp(-tenure / early_weeks))
    #   x (1 - effects.volunteer_recognition x recognised x [tenure < 52])
    episodic = town.p["volunteering"]["episodic_quit"]
    h_other = (0.01 * (1 - 0.5 * 0.5) * (1 + 1.0 * (1 - pop.availability)) * (1 + 1.5 * 0.6)
               * (1 + episodic * np.maximum(0.0, pop.join_motivation - 0.05))
               * (1 + 2.0 * np.exp(-tenure / 13.0))
               * (1 - 0.25 * pop.recognised * (tenure < 52)))
    quits = np.array([True, False, True, False, True, True, False, False])
    u = uniforms("retention", N)
    hazard = -np.log1p(-u * np.where(quits, 1 + 1e-6, 1 - 1e-6))  # P(quit) = 1 - exp(-h)
    # h_burn = burnout_rate x f² x (1 - democracy_retention x F01), with f this week's fatigue:
    # f0 x (1 - fatigue_recovery x care 2) + fatigue_gain x load x (1 - 0.7 x S*)
    fatigue = np.sqrt((hazard - h_other) / (10.0 * (1 - 0.6 * 0.5)))
    gain = town.p["volunteering"]["fatigue_gain"]
    pop.fatigue[:] = (fatigue - gain * 0.4 * (1 - 0.7 * 0.5)) / (1 - 0.03 * 2)
    assert 0.0 < pop.fatigue.min() and pop.fatigue.max() < 1.0
    proc.wellbeing_and_retention(town, t)
    assert_array_equal(pop.volunteer, ~quits)


def test_csos_and_the_state_programme_train_volunteers():
    # T = training x N / 52 = 1462.5 x 8 / 52 = 225 €, for 3 untrained volunteers at 300 €:
    # p_state = 225 / 900 = 0.25; p_cso = training_rate x F08 = 0.5
    town = tiny_town(volunteering__training_rate=1.0, state__levers__training=1462.5)
    vols = np.array([0, 1, 3, 4])
    volunteer(town, *vols)
    town.pop.trained[3] = True
    proc.wellbeing_and_retention(town, 0)
    u = uniforms("training", N)[vols]
    by_cso = u < 0.5
    by_state = ~by_cso & (u < 0.5 + 0.25) & (vols != 3)
    assert by_cso.any() and by_state.any() and not (by_cso | by_state).all()
    assert_array_equal(town.pop.trained[vols], by_cso | by_state | (vols == 3))
    assert town.state.spending.amounts["training"] == 300.0 * by_state.sum()


# 7. CSO dynamics (ODD 7.7) ---------------------------------------------------------------------

def test_legitimacy_recognition_and_budget_of_a_cso():
    town = tiny_town(donations__per_capita=13.0)
    volunteer(town, 0)
    csos = town.cso_table
    csos.served[0], csos.demand[0], csos.spend[0] = 0.1, 0.2, 10.0
    town.payments = np.array([4.0])
    town.crisis = crisis_now(0.8, 0.5, economic=0.5)
    proc.cso_dynamics(town, 0)
    # impact 0.5; visible = impact x (1 - 0.7 x (1 - F02)) x (1 - 0.6 x (1 - F05)) = 0.2275
    legitimacy = 0.25 + 0.05 * (0.2275 - 0.25)
    assert csos.legitimacy[0] == pytest.approx(legitimacy, rel=EXACT)
    recognition = 0.25 + 0.03 * (legitimacy * (1 - 0.6 * 0.5) - 0.25)
    assert csos.recognition[0] == pytest.approx(recognition, rel=EXACT)
    # donations: 13 x 8 / 52 = 2 €, x (1 - 0.5 x 0.5) in the economic crisis, all to this CSO
    assert town.flows["donations"] == pytest.approx(1.5, rel=EXACT)
    assert csos.budget[0] == pytest.approx(1000 + 4 + 1.5 - 10, rel=EXACT)
    assert (csos.volunteers[0], csos.active[0]) == (1, True)


def test_donations_follow_recognition_and_transparency():
    town = tiny_town(donations__per_capita=13.0, csos__recognition_rate=0.0)
    add_cso(town, home=1)
    csos = town.cso_table
    csos.factors[1, F["transparency"]] = 1.0
    proc.cso_dynamics(town, 0)
    # trust = R x (1 + transparency_trust x F02): 0.25 x 1.5 and 0.25 x 2 share 2 €
    assert_allclose(csos.income, [2 * 1.5 / 3.5, 2 * 2 / 3.5], rtol=EXACT)


@pytest.mark.parametrize("grows", [True, False])
def test_a_recognised_managed_cso_extends_into_unmet_need_next_door(grows):
    """P(grow) = scalability_growth x S* x R x max(0, 2 gap - 1) of the next neighbourhood;
    nobody has been served, so the gap next door is 1, and the growth rate is set so that
    P(grow) lands just above (grows) or just below (stays) the `scale` draw."""
    town = tiny_town(csos__recognition_rate=0.0, csos__legitimacy_rate=0.0)
    csos = town.cso_table
    csos.scale[0] = 1
    town.update_reach()
    assert town.frontier.tolist() == [1]  # the neighbourhood it would add next
    csos.factors[0, F["scalability"]] = 1.0
    csos.recognition[0], csos.load[0], csos.load_trend[0] = 0.8, 2.0, 2.0  # busy: it still grows
    volunteer(town, 0)
    u = uniforms("scale", 8)[0]
    town.p["effects"]["scalability_growth"] = u / (1.0 * 0.8 * 1.0) * (
        1 + 1e-6 if grows else 1 - 1e-6)
    proc.cso_dynamics(town, 0)
    assert csos.scale[0] == (2 if grows else 1)
    assert sorted(town.pairs.cell.tolist()) == ([0, 1, 2, 3] if grows else [0, 1])
    assert town.frontier[0] == (-1 if grows else 1)  # the whole town: nothing left to add


@pytest.mark.parametrize(("met", "pull"), [(1.0, 0.0), (0.5, 0.0), (0.25, 0.5)])
def test_a_cso_does_not_extend_where_most_of_the_need_next_door_is_met(met, pull):
    """Citizen 5 has neighbourhood 1's only need; serving ``met`` of what welfare leaves of it
    makes the gap 1 - met, and the pull 2 gap - 1 is 0 once half of it is met."""
    town = tiny_town(csos__recognition_rate=0.0, csos__legitimacy_rate=0.0)
    csos = town.cso_table
    csos.scale[0] = 1
    town.update_reach()
    csos.factors[0, F["scalability"]] = 1.0
    csos.recognition[0] = 1.0
    town.pop.served[5] = met * town.welfare_gap().remaining_nbhd[1]
    assert proc.neighbourhood_gap(town)[1] == pytest.approx(1 - met, rel=EXACT)
    u = uniforms("scale", 8)[0]
    town.p["effects"]["scalability_growth"] = 1.0
    proc.cso_dynamics(town, 0)
    assert csos.scale[0] == (2 if u < pull else 1)


@pytest.mark.parametrize("shrinks", [True, False])
def test_an_overstretched_unmanaged_cso_gives_up_a_neighbourhood(shrinks):
    """P(shrink) = shrink_rate x (1 - S*) x min(1, max(0, (load trend - 1.5) / 1.5)), against
    the same draw."""
    town = tiny_town(effects__scalability_growth=0.0)
    csos = town.cso_table
    csos.factors[0, F["scalability"]] = 0.0
    csos.load[0], csos.load_trend[0] = 3.0, 2.5  # the trend moves 1/26 of the way to 3
    volunteer(town, 0)
    trend = 2.5 + (3.0 - 2.5) / proc.LOAD_MEMORY
    overstretch = (trend - proc.OVERLOAD_MAX) / (proc.LOAD_FULL - proc.OVERLOAD_MAX)
    u = uniforms("scale", 8)[0]
    town.p["csos"]["shrink_rate"] = (1 - u) / overstretch * (1 + 1e-6 if shrinks else 1 - 1e-6)
    proc.cso_dynamics(town, 0)
    assert csos.load_trend[0] == pytest.approx(trend, rel=EXACT)
    assert csos.scale[0] == (1 if shrinks else 2)


def test_a_cso_asked_for_no_more_than_its_volunteers_can_give_keeps_its_catchment():
    town = tiny_town(effects__scalability_growth=0.0, csos__shrink_rate=1.0)
    csos = town.cso_table
    csos.factors[0, F["scalability"]] = 0.0
    csos.load[0], csos.load_trend[0] = proc.OVERLOAD_MAX, proc.OVERLOAD_MAX
    volunteer(town, 0)
    proc.cso_dynamics(town, 0)
    assert csos.scale[0] == 2


def test_closure_hazard_is_rate_times_smallness_plus_poverty_times_lack_of_recognition():
    town = tiny_town(budget=2000.0)
    csos, c = town.cso_table, town.p["csos"]
    volunteer(town, 0, 1, 2)
    csos.recognition[0] = 0.4
    expected = (math.exp(-3 / c["small_size"]) + math.exp(-2000.0 / c["reserve"])) * 0.6
    assert proc.vulnerability(town)[0] == pytest.approx(expected, rel=EXACT)
    u = uniforms("closure", 8)[0]
    town.p["csos"]["closure_rate"] = -math.log1p(-u) / expected * (1 + 1e-6)  # just enough
    proc.cso_dynamics(town, 0)
    assert not csos.active[0] and csos.dissolved[0] == 0
    assert not town.pop.volunteer.any() and town.flows["quits"] == 3  # spells end, 'folded'


def test_associations_are_founded_only_where_no_cso_serves_and_welfare_leaves_need():
    town = tiny_town(csos__founding_rate=1e9)  # a near-certain founding wherever one may be
    town.pop.served[:] = 0.0  # nobody served: the gaps are 1, but the CSO serves both
    proc.found_associations(town, 0)
    assert len(town.cso_table) == 1
    town.cso_table.scale[0] = 1  # neighbourhood 1 is left unserved
    town.update_reach()
    proc.found_associations(town, 0)
    added = np.arange(1, len(town.cso_table))
    assert added.size >= 1 and set(town.cso_table.home[added]) == {1}
    # formal, with the initial catchment (8 neighbourhoods, bounded by the town's two)
    assert town.cso_table.formal[added].all() and (town.cso_table.scale[added] == 2).all()
    town2 = tiny_town(csos__founding_rate=1e9)
    town2.cso_table.scale[0] = 1
    town2.update_reach()
    town2.pop.need = np.where(town2.pop.nbhd == 1, 0.0, town2.pop.need)  # no need there
    proc.found_associations(town2, 0)
    assert len(town2.cso_table) == 1


def test_a_cso_with_no_volunteers_and_too_little_money_dissolves():
    town = tiny_town(budget=50.0)
    kept = add_cso(town, home=1, budget=50.0)
    volunteer(town, 4, cso=kept)
    proc.cso_dynamics(town, 3)
    csos = town.cso_table
    assert csos.active.tolist() == [False, True] and csos.dissolved[0] == 3
    # the two CSOs are alike, so each gets half of the donations, 6 x 8 / 52 €
    assert town.flows["cso_money_at_dissolution"] == pytest.approx(50 + 6 * 8 / 52 / 2, rel=EXACT)
    assert csos.budget[0] == 0.0 and town.flows["csos_dissolved"] == 1
    assert set(town.pairs.cso.tolist()) == {kept}


# 8. Informal groups (ODD 7.8) ------------------------------------------------------------------

def test_in_a_crisis_needy_aware_neighbourhoods_found_groups_with_their_keenest_residents():
    town = tiny_town(emergence__rate=1.0, emergence__founders=2)
    pop = town.pop
    pop.awareness[:] = 1.0
    pop.disposition[:] = [0.9, 0.1, 0.8, 0.2, 0.3, 0.4, 0.6, 0.5]
    town.crisis = crisis_now(1.0, 0.8)
    # unmet per resident: (0.2 + 0.2) / 4 in neighbourhood 0, 0.2 / 4 in 1, both above 0.03;
    # P(found) = rate x salience x mean awareness = 0.8, and the draws are below it
    assert (uniforms("emergence", 2) < 0.8).all()
    proc.emergence(town, 7)
    csos = town.cso_table
    assert len(csos) == 3 and town.flows["csos_founded"] == 2
    assert csos.home[1:].tolist() == [0, 1] and not csos.formal[1:].any()
    assert csos.scale[1:].tolist() == [1, 1] and csos.budget[1:].tolist() == [0.0, 0.0]
    assert csos.founded[1:].tolist() == [7, 7]
    # democracy, transparency, pluralism, recognition, legitimacy, scalability, awareness, meaning
    assert_array_equal(csos.factors[1:], [[0.8, 0.15, 0.6, 0.3, 0.15, 0.2, 0.6, 0.8]] * 2)
    assert csos.legitimacy[1:].tolist() == [0.5 * 0.15] * 2
    assert csos.recognition[1:].tolist() == [0.5 * 0.8] * 2  # media_recognition x salience
    # founders: the 2 keenest (disposition x availability x awareness) of each neighbourhood
    assert np.flatnonzero(pop.cso == 1).tolist() == [0, 2]
    assert np.flatnonzero(pop.cso == 2).tolist() == [6, 7]
    assert pop.spell_start[[0, 2, 6, 7]].tolist() == [7] * 4


def test_the_founding_chance_is_rate_times_salience_times_mean_awareness():
    town = tiny_town(emergence__rate=0.5)
    town.pop.awareness[:] = 0.8
    town.crisis = crisis_now(1.0, 0.5)
    proc.emergence(town, 7)
    # P(found) = 0.5 x 0.5 x 0.8 = 0.2 in each neighbourhood, decided by the `emergence` stream
    founded = np.flatnonzero(uniforms("emergence", 2) < 0.5 * 0.5 * 0.8)
    assert founded.size == 1
    assert town.cso_table.home[1:].tolist() == founded.tolist()


@pytest.mark.parametrize(("threshold", "intensity", "group_in_0", "founded_in"), [
    (0.06, 1.0, False, [0]),  # neighbourhood 1's unmet need 0.05 is below the threshold
    (0.03, 1.0, True, [1]),  # one informal group per neighbourhood
    (0.03, 0.05, False, []),  # no crisis under way (intensity not above 0.05)
])
def test_groups_are_founded_only_under_the_stated_conditions(threshold, intensity, group_in_0,
                                                            founded_in):
    town = tiny_town(emergence__rate=1.0, emergence__unmet_threshold=threshold,
                     emergence__fold_rate=0.0)
    town.pop.awareness[:] = 1.0
    if group_in_0:
        add_cso(town, home=0, formal=False, factors=INFORMAL_PROFILE)
    before = len(town.cso_table)
    town.crisis = crisis_now(intensity, 1.0)
    proc.emergence(town, 7)
    assert town.cso_table.home[before:].tolist() == founded_in


def test_an_informal_group_folds_with_its_members_spells_and_a_formal_cso_does_not():
    town = tiny_town(emergence__fold_rate=0.5)
    group = add_cso(town, home=1, formal=False, factors=INFORMAL_PROFILE)
    volunteer(town, 4, 5, cso=group)
    volunteer(town, 0)
    new_week(town)
    # h_fold = fold_rate x (1 - F06) = 0.5 x (1 - 0.2) for the group; a formal CSO never folds,
    # though its draw is below the chance it would have (1 - exp(-0.5 x 0.5))
    u = uniforms("folding", 8)
    assert u[group] < 1 - math.exp(-0.5 * 0.8) and u[0] < 1 - math.exp(-0.5 * 0.5)
    proc.emergence(town, 9)
    csos = town.cso_table
    assert csos.active.tolist() == [True, False] and csos.dissolved[group] == 9
    assert town.pop.volunteer.tolist() == [True] + [False] * 7
    spells = town.spells.table(town.pop, 10)
    assert spells.loc[spells["cso"] == group, "reason"].tolist() == ["folded", "folded"]
    assert (town.flows["quits"], town.flows["csos_dissolved"]) == (2, 1)


@pytest.mark.parametrize(("week", "members", "formal"), [(10, 2, True), (9, 2, False),
                                                         (10, 1, False)])
def test_an_old_enough_large_enough_informal_group_becomes_formal(week, members, formal):
    town = tiny_town(emergence__fold_rate=0.0, emergence__institutionalise_after=10,
                     emergence__institutionalise_members=2, emergence__institutionalise_rate=1.0)
    group = add_cso(town, home=1, formal=False, factors=INFORMAL_PROFILE)
    town.cso_table.volunteers[group] = members  # as counted at this week's CSO update
    proc.emergence(town, week)
    csos = town.cso_table
    assert csos.formal[group] == formal
    # on formalising: transparency 0.15 + 0.3, legitimacy 0.15 + 0.2, scalability 0.2 + 0.2
    lift = {"transparency": 0.3, "legitimacy": 0.2, "scalability": 0.2} if formal else {}
    assert_allclose(csos.factors[group], [INFORMAL_PROFILE[f] + lift.get(f, 0.0)
                                          for f in FACTORS], rtol=EXACT)
    if formal:
        assert csos.formalised[group] == 10 and town.flows["csos_formalised"] == 1


def test_disabled_emergence_changes_nothing_but_draws_its_numbers_all_the_same():
    town = tiny_town(emergence__enabled=False, emergence__fold_rate=50.0)
    group = add_cso(town, home=1, formal=False, factors=INFORMAL_PROFILE)
    town.crisis = crisis_now(1.0, 1.0)
    proc.emergence(town, 0)
    assert len(town.cso_table) == 2 and town.cso_table.active[group]
    fresh = Streams(0)  # one number per neighbourhood and per CSO slot, then per CSO slot
    fresh["emergence"].random(2 + 8, dtype=np.float32)
    fresh["folding"].random(8, dtype=np.float32)
    for stream in ("emergence", "folding"):
        assert_array_equal(town.streams[stream].random(4), fresh[stream].random(4))
