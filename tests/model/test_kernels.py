"""The compiled loops give, bit for bit, what the NumPy expressions they replaced gave.

Each test computes a kernel's result and the vectorised NumPy version of the same rule (the code
the kernel replaced, written out here) on random inputs, and asserts they are identical (not
close): a run's numbers must not depend on which of the two computed them.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from solidarity_sim.model import kernels
from solidarity_sim.model import network as network_module
from solidarity_sim.model.catchments import Catchments
from solidarity_sim.model.network import build_network, tie_arrays

N = 5_000


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def levels(rng, n=N):
    return rng.random(n)


def test_awareness_matches_the_vectorised_update(rng):
    vn, pn = rng.integers(0, 8, N).astype(float), rng.integers(1, 12, N).astype(float)
    nbhd, outreach = rng.integers(0, 20, N), levels(rng, 20)
    aw, present = levels(rng), rng.random(N) < 0.9
    media, neighbours, crisis, campaign, decay = 0.01, 0.2, 0.03, 0.004, 0.02
    share = vn / pn
    drive = media + neighbours * share + outreach[nbhd] + crisis + campaign
    change = np.expm1(-drive)
    change *= aw - 1.0
    change -= decay * aw
    change *= present
    expected = np.clip(aw + change, 0.0, 1.0)

    got_share, minus_drive, got = np.empty(N), np.empty(N), aw.copy()
    kernels.awareness_drive(vn, pn, nbhd, outreach, media, neighbours, crisis, campaign,
                            got_share, minus_drive)
    kernels.awareness_update(got, np.expm1(minus_drive, out=minus_drive), decay, present, False)
    assert_array_equal(got_share, share)
    assert_array_equal(got, expected)


def test_join_hazard_matches_the_vectorised_hazard(rng):
    u = rng.random(N, dtype=np.float32)
    av, disp, aw, share, fatigue, dem = (levels(rng) for _ in range(6))
    last = rng.integers(-60, 30, N)
    cell, best = rng.integers(0, 40, N), levels(rng, 40)
    present, volunteer = rng.random(N) < 0.95, rng.random(N) < 0.2
    jr, contagion, motivation, recent, democracy = 0.5, 1.5, 1.1, 4, 0.7
    hazard = jr * av * disp * aw * (1.0 + contagion * share) * (1.0 - fatigue) * motivation
    r = np.flatnonzero(last >= recent)
    hazard[r] *= 1.0 + democracy * dem[r]
    hazard *= best[cell]
    hazard *= present & ~volunteer

    got = np.empty(N)
    candidates = kernels.join_hazard(u, av, disp, aw, share, fatigue, last, dem, cell, present,
                                     volunteer, best, jr, contagion, motivation, recent,
                                     democracy, got)
    assert_array_equal(got, hazard)
    assert_array_equal(candidates, np.flatnonzero(u < hazard))


def test_wellbeing_and_quit_hazards_match_the_vectorised_rules(rng):
    volunteer = rng.random(N) < 0.3
    vols = np.flatnonzero(volunteer)
    n_csos = 7
    j = rng.integers(0, n_csos, vols.size)
    fatigue, meaning, avail, motiv = (levels(rng) for _ in range(4))
    trained = rng.random(N) < 0.4
    start = rng.integers(-200, 60, N)
    recognised = rng.random(N, dtype=np.float32)
    overload, care, practice, burn, idle = (levels(rng, n_csos) for _ in range(5))
    u = rng.random(N, dtype=np.float32)
    rec, tr, adapt, br, qr, mret, aq, eq, mot, t, ew, early, vr = (
        0.03, 0.5, 0.05, 2.0, 0.05, 0.5, 1.0, 0.8, 0.2, 60, 13.0, 2.0, 0.6)

    before = fatigue[vols]
    rested = fatigue * (1.0 - rec)
    f = np.clip(before * (1.0 - rec * (care[j] + tr * trained[vols])) + overload[j], 0.0, 1.0)
    rested[vols] = f
    m = meaning[vols]
    m = m + adapt * (practice[j] - m)
    h_burn = br * f ** 2 * burn[j]
    tenure = t - start[vols]
    h_other = (qr * (1.0 - mret * m) * (1.0 + aq * (1.0 - avail[vols])) * idle[j]
               * (1.0 + eq * np.maximum(0.0, motiv[vols] - mot))
               * (1.0 + early * np.exp(-tenure / ew))
               * (1.0 - vr * recognised[vols] * (tenure < 52)))
    hazard = h_burn + h_other

    got_f, got_m = fatigue.copy(), meaning.copy()
    fv, hb, ho, age = (np.empty(vols.size) for _ in range(4))
    kernels.wellbeing(volunteer, vols, j, got_f, got_m, trained, avail, motiv, start, overload,
                      care, practice, burn, idle, rec, tr, adapt, br, qr, mret, aq, eq, mot, t,
                      ew, fv, hb, ho, age)
    got_hazard = np.empty(vols.size)
    candidates = kernels.quit_hazard(u, vols, start, recognised, hb, ho, early,
                                     np.exp(age, out=age), vr, t, 52, got_hazard)
    assert_array_equal(got_f, rested)
    assert_array_equal(got_m[vols], m)
    assert_array_equal(hb, h_burn)
    assert_array_equal(got_hazard, hazard)
    assert_array_equal(candidates, np.flatnonzero(u[vols] < hazard))


def test_volunteer_capacity_and_service_match_bincount_and_scatter(rng):
    volunteer, trained = rng.random(N) < 0.3, rng.random(N) < 0.5
    cso, fatigue = rng.integers(0, 9, N), levels(rng)
    vols = np.flatnonzero(volunteer)
    effort = 1.2 * (1.0 + 0.3 * trained[vols]) * (1.0 - 0.5 * fatigue[vols])
    assert_array_equal(kernels.volunteer_capacity(volunteer, cso, trained, fatigue, 1.2, 0.3,
                                                  0.5, 9),
                       np.bincount(cso[vols], weights=effort, minlength=9))

    needy = np.flatnonzero(rng.random(N) < 0.2)
    cell = rng.integers(0, 40, N)
    remaining, share_met, provider = np.zeros(N), levels(rng, 40), levels(rng, 40)
    remaining[needy] = rng.random(needy.size)
    got = share_met[cell[needy]] * remaining[needy]
    served, last, dem = np.full(N, 9.0), np.full(N, -99), np.zeros(N)
    count = kernels.serve_citizens(needy, cell[needy], remaining, share_met, provider, 0.01, 7,
                                   served, last, dem)
    expected = np.zeros(N)
    expected[needy] = got
    assert_array_equal(served, expected)
    helped = needy[got >= 0.01]
    assert count == helped.size
    assert (last[helped] == 7).all() and (last[np.setdiff1d(np.arange(N), helped)] == -99).all()
    assert_array_equal(dem[helped], provider[cell[helped]])

    nbhd = rng.integers(0, 20, N)
    assert_array_equal(kernels.bin_difference(needy, nbhd, remaining, served, 20),
                       np.bincount(nbhd, weights=remaining - served, minlength=20))


def catchments(rng, n_csos=12, k=10):
    cso = np.repeat(np.arange(n_csos), rng.integers(1, 4, n_csos))
    nbhd = rng.integers(0, k, cso.size)
    keep = np.unique(np.column_stack((cso, nbhd)), axis=0)
    return Catchments(keep[:, 0], keep[:, 1], k), n_csos


def test_allocation_matches_the_vectorised_rounds(rng):
    pairs, n = catchments(rng)
    appeal, reach, uptake = levels(rng, n) + 0.5, levels(rng, n), levels(rng, n)
    appeal[3] = 0.0  # a dissolved CSO
    by_cell, capacity, democracy = 5 * levels(rng, pairs.n_cells), 3 * levels(rng, n), \
        levels(rng, n)
    table = np.column_stack((np.ones(n), reach)) * uptake[:, None]
    weights = appeal[pairs.cso]
    total = pairs.cell_sum(weights)[pairs.cell]
    share = np.divide(weights, total, out=np.zeros(len(pairs)), where=total > 0) * pairs.of(
        table)
    served = np.zeros(len(pairs))
    spare, left = capacity.copy(), by_cell.copy()
    for rnd in range(2):
        demand = share * left[pairs.cell]
        demand_cso = pairs.cso_sum(demand, n)
        if rnd == 0:
            first = demand_cso
        ratio = np.minimum(1.0, np.divide(spare, demand_cso, out=np.zeros(n),
                                          where=demand_cso > 1e-9))
        round_served = demand * ratio[pairs.cso]
        served += round_served
        spare -= pairs.cso_sum(round_served, n)
        left = np.maximum(left - pairs.cell_sum(round_served), 0.0)
    load = np.where(first > 1e-9, np.divide(first, capacity, out=np.full(n, 3.0),
                                            where=first < 3.0 * capacity), 0.0)
    met = pairs.cell_sum(served)

    out = [np.empty(n) for _ in range(3)] + [np.empty(pairs.n_cells) for _ in range(3)]
    kernels.allocate_service(pairs.cso, pairs.cell, pairs.group, appeal, reach, uptake, by_cell,
                             capacity, democracy, 2, 1e-9, 3.0, *out)
    assert_array_equal(out[0], first)
    assert_array_equal(out[1], pairs.cso_sum(served, n))
    assert_array_equal(out[2], load)
    assert_array_equal(out[3], met)
    assert_array_equal(out[4], np.divide(met, by_cell, out=np.zeros(pairs.n_cells),
                                         where=by_cell > 0))
    assert_array_equal(out[5], np.divide(pairs.cell_sum(democracy[pairs.cso] * served), met,
                                         out=np.zeros(pairs.n_cells), where=met > 0))


def test_recruitment_weights_and_the_choice_match_the_vectorised_versions(rng):
    pairs, n = catchments(rng)
    appeal, reach, recruiting = levels(rng, n), levels(rng, n), levels(rng, n)
    table = appeal[:, None] * np.column_stack((np.ones(n), reach)) * recruiting[:, None]
    weights, best = np.empty(len(pairs)), np.empty(pairs.n_cells)
    kernels.recruit_weights(pairs.cso, pairs.group, pairs.start, pairs.end, appeal, reach,
                            recruiting, weights, best)
    assert_array_equal(weights, pairs.of(table))
    assert_array_equal(best, pairs.cell_max(weights))

    cells = rng.choice(np.flatnonzero(best > 0), 2_000)
    u = rng.random(cells.size)
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    low, high = cum[pairs.start[cells]], cum[pairs.end[cells]]
    pick = np.searchsorted(cum, low + u * (high - low), side="right") - 1
    expected = pairs.cso[np.clip(pick, pairs.start[cells], pairs.end[cells] - 1)]
    assert_array_equal(pairs.choose(weights, cells, u), expected)


def test_csr_arrays_are_scipys_and_sums_are_its_products(rng):
    src, dst = rng.integers(0, 300, 2_000), rng.integers(0, 300, 2_000)
    keep = src != dst
    src, dst = src[keep].astype(np.int32), dst[keep].astype(np.int32)
    matrix = sp.csr_array((np.ones(2 * src.size), (np.concatenate((src, dst)),
                                                   np.concatenate((dst, src)))), shape=(300, 300))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # a tie drawn twice counts once
    indptr, indices = tie_arrays(src, dst, 300)
    assert_array_equal(indptr, matrix.indptr)
    assert_array_equal(indices, matrix.indices)
    values = rng.random(300)
    assert_array_equal(kernels.neighbour_sum(indptr, indices, values, np.empty(300)),
                       matrix @ values)


def test_the_network_drawn_in_chunks_is_the_network_drawn_at_once(monkeypatch):
    def draw(chunk):
        monkeypatch.setattr(network_module, "TIE_CHUNK", chunk)
        rng = np.random.default_rng(5)
        nbhd, group = rng.integers(0, 9, 3_000), (rng.random(3_000) < 0.3).astype(np.int8)
        net = build_network(nbhd, group, 9, 10.0, 0.7, 0.8, rng)
        return net, rng.random(3)  # and where the stream stands afterwards

    whole, after_whole = draw(10**9)
    chunked, after_chunked = draw(97)
    assert_array_equal(chunked.indptr, whole.indptr)
    assert_array_equal(chunked.indices, whole.indices)
    assert_array_equal(after_chunked, after_whole)


def test_the_ties_stream_stands_where_one_draw_of_every_uniform_leaves_it():
    rng, reference = np.random.default_rng(8), np.random.default_rng(8)
    nbhd, group = rng.integers(0, 4, 500), np.zeros(500, np.int8)
    reference.integers(0, 4, 500)
    net_rng = np.random.default_rng(9)
    network_module.draw_ties(nbhd, group, 0, 4, 6.0, 0.7, 0.8, net_rng)
    again = np.random.default_rng(9)
    stubs = again.poisson(3.0, size=500)
    again.random((4, int(stubs.sum())))
    assert net_rng.random() == again.random()


def test_members_of_closing_csos_and_donor_trust(rng):
    volunteer, cso = rng.random(N) < 0.3, rng.integers(-1, 9, N)
    closing = np.zeros(9, bool)
    closing[[2, 5]] = True
    out = np.empty(N, np.int64)
    found = out[:kernels.members_of(volunteer, cso, closing, out)]
    assert_array_equal(found, np.flatnonzero(volunteer & np.isin(cso, [2, 5])))

    n = 11
    active = rng.random(n) < 0.8
    served, demand = levels(rng, n), levels(rng, n)
    demand[0] = 0.0
    transparency, legit_practice, recog_practice = (levels(rng, n) for _ in range(3))
    legitimacy, recognition = levels(rng, n), levels(rng, n)
    impact = np.divide(served, demand, out=np.zeros(n), where=demand > 1e-9)
    visible = impact * (1.0 - 0.4 * (1.0 - transparency)) * (1.0 - 0.3 * (1.0 - legit_practice))
    new_legit = legitimacy + 0.05 * (visible - legitimacy) * active
    drive = new_legit * (1.0 - 0.5 * (1.0 - recog_practice))
    new_recog = recognition + 0.02 * (drive - recognition) * active
    trust = new_recog * (1.0 + 0.6 * transparency) * active
    got_trust = np.empty(n)
    kernels.cso_standing(active, served, demand, transparency, legit_practice, recog_practice,
                         0.4, 0.3, 0.05, 0.5, 0.02, 0.6, 1e-9, legitimacy, recognition, got_trust)
    assert_array_equal(legitimacy, new_legit)
    assert_array_equal(recognition, new_recog)
    assert_array_equal(got_trust, trust)


def test_welfare_gap_and_crisis_changes_match_masked_numpy(rng):
    need, coverage = levels(rng), levels(rng)
    need[rng.random(N) < 0.5] = 0.0
    present, hit = rng.random(N) < 0.9, rng.random(N) < 0.3
    nbhd = rng.integers(0, 20, N)
    cell = 2 * nbhd + (rng.random(N) < 0.2)
    need_here = need * present
    remaining = need_here * (1.0 - coverage)
    needy = np.flatnonzero(remaining > 0)
    expected = (remaining, np.bincount(cell, weights=need_here, minlength=40),
                np.bincount(cell, weights=remaining, minlength=40), needy, cell[needy],
                np.bincount(nbhd, weights=remaining, minlength=20),
                np.bincount(nbhd, weights=present, minlength=20))
    for got, want in zip(kernels.welfare_gap(need, present, coverage, cell, nbhd, 40, 20),
                         expected, strict=True):
        assert_array_equal(got, want)
    assert_array_equal(kernels.masked_bincount(nbhd, coverage, present, 20),
                       np.bincount(nbhd, weights=coverage * present, minlength=20))

    level, strain, boost = np.float64(0.37), 0.1 * 0.37 / 0.5, 0.15
    shifted, got = need.copy(), need.copy()
    shifted[hit] += level
    shifted[hit] -= strain
    shifted[~hit] += boost
    kernels.add_where(got, hit, level, True)
    kernels.add_where(got, hit, -strain, True)
    kernels.add_where(got, hit, boost, False)
    assert_array_equal(got, shifted)
