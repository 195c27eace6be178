"""Unit tests of each weekly process, on small real models."""

import numpy as np

from solidarity_sim.model import processes as proc
from solidarity_sim.model.crises import intensity_profile
from solidarity_sim.model.csos import F
from tests.helpers import small_model, small_run

ECON = {"kind": "economic", "onset": 10, "duration": 20, "severity": 0.5, "reach": 0.3,
        "recovery": 5.0}


def step_to(model, week):
    while model.week < week:
        model.step()
    return model


# 1. crises

def test_crisis_profile_rises_holds_and_fades():
    prof = intensity_profile({**ECON, "confinement": 0, "arrivals": 0, "kind": "economic",
                              "availability_boost": 0}, 60)
    assert prof[:10].max() == 0 and np.all(prof[10:30] == 0.5)
    assert 0 < prof[31] < prof[30] and prof[59] < 0.01


def test_economic_crisis_adds_need_to_those_it_hits_only():
    m = step_to(small_model(crises=[ECON]), 15)
    hit = m.crises.hit[0]
    np.testing.assert_allclose(m.pop.need[~hit], m.pop.base_need[~hit])
    assert np.all(m.pop.need[hit] >= m.pop.base_need[hit])
    assert m.pop.need[hit].mean() > m.pop.base_need[hit].mean() + 0.3


def test_migration_brings_newcomers_of_the_minority_group():
    crisis = {"kind": "migration", "onset": 5, "duration": 10, "arrivals": 0.1, "severity": 0.7}
    ts = small_run(crises=[crisis]).timeseries
    assert ts["citizens"].iloc[0] == 1500 and ts["citizens"].iloc[-1] == 1650
    assert ts["citizens"].is_monotonic_increasing
    m = small_model(crises=[crisis])
    assert np.all(m.pop.group[m.pop.newcomer] == 1)
    assert np.all(m.pop.base_need[m.pop.newcomer] >= 0.7)


def test_pandemic_confinement_frees_time_for_those_not_hit():
    crisis = {"kind": "pandemic", "onset": 5, "duration": 10, "confinement": 6,
              "availability_boost": 0.3, "strain": 0.0}
    m = step_to(small_model(crises=[crisis]), 8)
    free = ~m.crises.hit[0]
    assert m.pop.availability[free].mean() > m.pop.base_availability[free].mean() + 0.2
    step_to(m, 14)
    np.testing.assert_allclose(m.pop.availability, m.pop.base_availability)


# 2. state

def test_austerity_cuts_welfare_coverage_from_its_start():
    ts = small_run(state__austerity__start=30, state__austerity__cut=0.5).timeseries
    assert ts["welfare_coverage"].iloc[29] == 0.6 and ts["welfare_coverage"].iloc[30] == 0.3


def test_newcomers_face_legal_barriers_to_welfare():
    m = small_model(crises=[{"kind": "migration", "onset": 0, "duration": 1}])
    cov = m.town.state.coverage(0, m.pop.newcomer)
    assert np.all(cov[m.pop.newcomer] == 0.2) and np.all(cov[~m.pop.newcomer] == 0.6)


def test_each_funding_policy_pays_formal_csos_within_budget():
    for policy in ("project_grants", "core_funding", "performance", "procurement"):
        r = small_run(state__funding__policy=policy, state__funding__budget=20.0)
        weekly_budget = 20.0 * 1500 / 52
        funding = r.timeseries["spending_funding"]
        assert funding.max() <= weekly_budget * (1 + 1e-9), policy
        assert funding.sum() > 0, policy


def test_training_programme_trains_volunteers_and_reports_its_cost():
    base = small_model()
    funded = small_model(state__levers__training=10.0)
    step_to(base, 40)
    step_to(funded, 40)
    assert funded.pop.trained[funded.pop.volunteer].mean() > base.pop.trained[
        base.pop.volunteer].mean()
    assert funded.state.spent_total > 0 and base.state.spent_total == 0


def test_awareness_campaign_raises_awareness():
    a = small_run(state__levers__awareness_campaign=20.0).timeseries
    b = small_run().timeseries
    assert a["awareness_mean"].iloc[-1] > b["awareness_mean"].iloc[-1] + 0.05
    assert a["spending_campaign"].iloc[-1] > 0


def test_recognition_awards_go_to_the_most_legitimate():
    m = step_to(small_model(state__levers__recognition_awards=2.0), 51)
    before = m.cso_table.recognition.copy()
    legit = m.cso_table.legitimacy.copy()
    m.step()
    winners = np.argsort(-legit)[:3]
    assert np.all(m.cso_table.recognition[winners] > before[winners])
    assert m.state.spending.amounts["awards"] == 2.0 * 1500


# 3. awareness

def test_awareness_decays_without_inputs():
    m = small_model(awareness__media=0.0, awareness__neighbours=0.0, awareness__outreach=0.0)
    start = m.pop.awareness.mean()
    step_to(m, 20)
    assert m.pop.awareness.mean() < start * 0.5


def test_crisis_salience_raises_awareness():
    calm = step_to(small_model(), 25)
    crisis = step_to(small_model(crises=[ECON]), 25)
    assert crisis.pop.awareness.mean() > calm.pop.awareness.mean() + 0.05


# 4. recruitment

def test_contagion_raises_joining():
    lo = small_run(volunteering__contagion=0.0).timeseries["joins"].sum()
    hi = small_run(volunteering__contagion=5.0).timeseries["joins"].sum()
    assert hi > lo * 1.3


def test_recruits_join_only_csos_that_reach_their_neighbourhood():
    m = step_to(small_model(), 30)
    vols = np.flatnonzero(m.pop.volunteer)
    served = set(zip(m.pairs.cso.tolist(), m.pairs.cell.tolist(), strict=True))
    assert all((j, c) in served or not m.cso_table.active[j]
               for j, c in zip(m.pop.cso[vols], m.cell[vols], strict=True))


# 5. service

def test_need_is_met_by_state_then_csos_and_never_over():
    ts = small_run(crises=[ECON]).timeseries
    assert np.all(ts["need_met_state"] + ts["need_met_csos"] <= ts["need_total"] + 1e-9)
    np.testing.assert_allclose(ts["need_met_state"], 0.6 * ts["need_total"])


def test_more_productive_volunteers_meet_more_need():
    lo = small_run(volunteering__productivity=0.05).timeseries["need_met_csos"].mean()
    hi = small_run(volunteering__productivity=0.3).timeseries["need_met_csos"].mean()
    assert hi > lo


# 6. wellbeing and retention

def test_overload_builds_fatigue_and_burnout():
    calm = small_run(volunteering__productivity=1.0).timeseries
    stretched = small_run(volunteering__productivity=0.02).timeseries
    assert stretched["fatigue_mean"].iloc[-1] > calm["fatigue_mean"].iloc[-1]
    assert stretched["quits_burnout"].sum() > calm["quits_burnout"].sum()


def test_spells_record_every_quit_with_its_reason():
    r = small_run()
    ended = r.spells[r.spells["reason"] != "ongoing"]
    assert len(ended) == r.timeseries["quits"].sum()
    assert set(ended["reason"]) <= {"burnout", "other"}
    assert (ended["reason"] == "burnout").sum() == r.timeseries["quits_burnout"].sum()
    assert (r.spells["reason"] == "ongoing").sum() == r.timeseries["volunteers"].iloc[-1]


# 7. CSO dynamics

def test_a_cso_without_volunteers_or_money_dissolves():
    r = small_run(csos__initial_budget=0.0, volunteering__initial_share=0.0,
                  volunteering__join_rate=0.0, csos__founding_rate=0.0)
    assert r.timeseries["csos_active"].iloc[-1] == 0
    assert r.csos["dissolved"].notna().all()


def test_legitimacy_tracks_visible_impact():
    opaque = small_run(csos__factors__transparency=0.0).csos["legitimacy"].mean()
    open_ = small_run(csos__factors__transparency=1.0).csos["legitimacy"].mean()
    assert open_ > opaque


# 8. emergence and institutionalisation

def test_crisis_founds_informal_groups_which_can_formalise():
    crisis = {"kind": "pandemic", "onset": 5, "duration": 30, "severity": 0.8, "reach": 0.4}
    r = small_run(crises=[crisis], emergence__rate=0.3, emergence__institutionalise_after=20,
                  emergence__institutionalise_rate=0.2, emergence__institutionalise_members=2,
                  weeks=120)
    emerged = r.csos[r.csos["origin"] == "emerged"]
    assert len(emerged) > 0
    assert (emerged["founded"] >= 5).all()
    assert emerged["formalised"].notna().any()


PANDEMIC = {"kind": "pandemic", "onset": 5, "duration": 30, "severity": 0.8, "reach": 0.4}


def model_with_groups(**overrides):
    """A small model stepped until its crisis has founded informal groups."""
    m = small_model(crises=[PANDEMIC], emergence__fold_rate=0.0, emergence__rate=0.3,
                    **overrides)
    while not (m.cso_table.active & ~m.cso_table.formal).any():
        m.step()
        assert m.week < 40, "no informal group was founded"
    return m


def test_folding_ends_informal_groups_and_their_members_spells_only():
    m = model_with_groups()
    csos, t = m.cso_table, m.week
    informal = np.flatnonzero(csos.active & ~csos.formal)
    members = np.flatnonzero(m.pop.volunteer & np.isin(m.pop.cso, informal))
    others = int(m.pop.volunteer.sum()) - members.size
    m.p["emergence"]["fold_rate"] = 50.0  # certain folding at any scalability below 1
    m.town.flows = dict.fromkeys(m.flows, 0)
    proc.fold_groups(m.town, t, np.zeros(len(csos)))
    assert not csos.active[informal].any() and (csos.dissolved[informal] == t).all()
    assert csos.active[csos.formal].all()
    assert not m.pop.volunteer[members].any() and m.pop.volunteer.sum() == others
    assert m.flows["csos_dissolved"] == informal.size and m.flows["quits"] == members.size
    assert not np.isin(m.pairs.cso, informal).any()
    spells = m.spells.table(m.pop, m.week)
    assert (spells.loc[spells["citizen"].isin(members) & (spells["end"] == t), "reason"]
            == "folded").all()


def test_folding_hazard_falls_with_scalability_and_network_support():
    m = model_with_groups()
    csos = m.cso_table
    informal = np.flatnonzero(csos.active & ~csos.formal)
    m.p["emergence"]["fold_rate"] = 0.5
    u = np.full(len(csos), 1.0 - np.exp(-0.5 * 0.5))  # folds iff scalability < 0.5
    csos.factors[informal, F["scalability"]] = 0.6
    proc.fold_groups(m.town, m.week, u)
    assert csos.active[informal].all()
    csos.factors[informal, F["scalability"]] = 0.4
    m.town.state.network_strength = 0.5  # effective scalability 0.7
    proc.fold_groups(m.town, m.week, u)
    assert csos.active[informal].all()
    m.town.state.network_strength = 0.0
    proc.fold_groups(m.town, m.week, u)
    assert not csos.active[informal].any()


def test_no_groups_emerge_without_a_crisis_or_when_disabled():
    def emerged(result):
        return int((result.csos["origin"] == "emerged").sum())

    assert emerged(small_run()) == 0
    crisis = {"kind": "pandemic", "onset": 5, "duration": 30, "severity": 0.8, "reach": 0.4}
    assert emerged(small_run(crises=[crisis], emergence__enabled=False)) == 0
    assert emerged(small_run(crises=[crisis], emergence__rate=0.3)) > 0
