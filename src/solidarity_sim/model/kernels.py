"""Compiled loops over the citizens (Numba): the per-citizen arithmetic of the weekly processes.

Each kernel does, citizen by citizen, exactly the arithmetic the NumPy expression it replaces
did element by element: the same operations in the same order on the same types (a Python float
times a float32 array is float32 arithmetic in NumPy 2, so it is here too), without the
temporaries. So a run gives the same numbers, bit for bit, as the vectorised NumPy code did
(``tests/model/test_kernels.py`` checks each kernel against that code). Three things stay in
NumPy on purpose:

* transcendental functions (``exp``, ``expm1``): NumPy computes them with its own SIMD code,
  which may round differently from the C library Numba calls, so the kernels leave them to NumPy
  (one call on a contiguous array between two kernels);
* sums of floats (``.sum()``): NumPy adds pairwise, a loop adds in order;
* the random draws (the named streams).

Sums over a bin index in citizen order (``np.bincount`` with weights, ``np.add.at``) add in the
same order here, so they agree exactly. No kernel uses ``fastmath`` (which would let the compiler
reorder arithmetic), and compiled kernels are cached on disk (``cache=True``), so only the first
run after an install compiles them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True}


@njit(**_JIT)
def neighbour_sum(indptr, indices, values, out):
    """``out[i] = sum of values over i's neighbours`` (in neighbour order, as a CSR product)."""
    for i in range(indptr.size - 1):
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            total += values[indices[k]]
        out[i] = total
    return out


@njit(**_JIT)
def csr_from_ties(src, dst, n, indptr):
    """CSR arrays of the undirected ties ``src[t]``--``dst[t]``.

    Fills ``indptr`` (given, zeros) and returns it with each citizen's neighbours, sorted and
    without repeats (a tie drawn twice counts once).
    """
    for t in range(src.size):
        indptr[src[t] + 1] += 1
        indptr[dst[t] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    indices = np.empty(indptr[n], src.dtype)
    fill = indptr[:n].copy()
    for t in range(src.size):
        indices[fill[src[t]]] = dst[t]
        fill[src[t]] += 1
        indices[fill[dst[t]]] = src[t]
        fill[dst[t]] += 1
    kept = 0
    for i in range(n):
        first, last = indptr[i], indptr[i + 1]
        for k in range(first + 1, last):  # insertion sort: a row has a few ties
            x = indices[k]
            m = k - 1
            while m >= first and indices[m] > x:
                indices[m + 1] = indices[m]
                m -= 1
            indices[m + 1] = x
        indptr[i] = kept
        for k in range(first, last):  # each neighbour once (rows only move left)
            if k == first or indices[k] != indices[k - 1]:
                indices[kept] = indices[k]
                kept += 1
    indptr[n] = kept
    return indptr, indices[:kept].copy()


@njit(**_JIT)
def tie_ends(src, u_local, u_adj, u_group, u_pick, nbhd, group, members, block_size,
             block_start, nb_ptr, nb_idx, local_ties, homophily, out_src, out_dst):
    """The other end of each tie a citizen in ``src`` sends; return how many ties are kept.

    The tie stays in the sender's neighbourhood if ``u_local < local_ties`` (or it has no
    adjacent one), else goes to the adjacent neighbourhood ``u_adj`` picks; to the sender's
    group if ``u_group < homophily`` (to the other group if that block is empty); its other end
    is the member of the target block ``u_pick`` picks. Ties to an empty block or to oneself are
    dropped; the kept ones fill ``out_src`` and ``out_dst`` in order.
    """
    kept = 0
    for t in range(src.size):
        i = src[t]
        k = np.int64(nbhd[i])
        n_adj = nb_ptr[k + 1] - nb_ptr[k]
        if nb_idx.size and u_local[t] >= local_ties and n_adj > 0:
            pick = nb_ptr[k] + min(np.int64(u_adj[t] * n_adj), max(n_adj - 1, 0))
            k = nb_idx[min(pick, nb_idx.size - 1)]
        g = group[i] if u_group[t] < homophily else 1 - group[i]
        block = k * 2 + g
        if block_size[block] == 0:
            block ^= 1
        size = block_size[block]
        if size > 0:
            j = members[block_start[block] + np.int64(u_pick[t] * size)]
            if j != i:
                out_src[kept] = i
                out_dst[kept] = j
                kept += 1
    return kept


@njit(**_JIT)
def add_to_neighbours(indptr, indices, who, counts, delta):
    """Add ``delta`` to ``counts`` of every neighbour of every citizen in ``who``."""
    for i in who:
        for k in range(indptr[i], indptr[i + 1]):
            counts[indices[k]] += delta


@njit(**_JIT)
def awareness_drive(volunteer_neighbours, present_neighbours, nbhd, outreach, media, neighbours,
                    crisis, campaign, share, minus_drive):
    """The neighbour share and minus the awareness drive of every citizen.

    ``share = volunteer_neighbours / present_neighbours``;
    ``drive = media + neighbours * share + outreach[nbhd] + crisis + campaign``.
    """
    for i in range(share.size):
        s = volunteer_neighbours[i] / present_neighbours[i]
        share[i] = s
        minus_drive[i] = -((((media + neighbours * s) + outreach[nbhd[i]]) + crisis) + campaign)


@njit(**_JIT)
def awareness_update(awareness, expm1_minus_drive, decay, present, everyone_present):
    """``awareness += (awareness - 1) expm1(-drive) - decay awareness`` (present), in [0, 1]."""
    for i in range(awareness.size):
        aw = awareness[i]
        change = expm1_minus_drive[i] * (aw - 1.0)
        change -= decay * aw
        if not everyone_present:
            change *= 1.0 if present[i] else 0.0
        aw += change
        awareness[i] = min(max(aw, 0.0), 1.0)


@njit(**_JIT)
def join_hazard(u, availability, disposition, awareness, share, fatigue, last_served,
                provider_democracy, cell, present, volunteer, best, join_rate, contagion,
                motivation, recent, democracy, hazard):
    """Every citizen's weekly join hazard; return the citizens with ``u < hazard``.

    ``join_rate x availability x disposition x awareness x (1 + contagion x share)
    x (1 - fatigue) x motivation``, times ``1 + democracy x provider_democracy`` for the
    recently served (``last_served >= recent``), times the best weight in the citizen's cell,
    times 0 for volunteers and citizens not present.
    """
    candidates = np.empty(u.size, np.int64)
    n = 0
    for i in range(u.size):
        h = (((((join_rate * availability[i]) * disposition[i]) * awareness[i])
              * (1.0 + contagion * share[i])) * (1.0 - fatigue[i])) * motivation
        if last_served[i] >= recent:
            h *= 1.0 + democracy * provider_democracy[i]
        h *= best[cell[i]]
        h *= 1.0 if present[i] and not volunteer[i] else 0.0
        hazard[i] = h
        if u[i] < h:
            candidates[n] = i
            n += 1
    return candidates[:n]


@njit(**_JIT)
def volunteer_capacity(volunteer, cso, trained, fatigue, productivity, training_bonus,
                       fatigue_productivity, n_csos):
    """Need units each CSO's volunteers can serve.

    ``productivity (1 + training_bonus trained) (1 - fatigue_productivity fatigue)``, summed
    over each CSO's volunteers.
    """
    capacity = np.zeros(n_csos)
    for i in range(volunteer.size):
        if volunteer[i]:
            bonus = training_bonus * (1.0 if trained[i] else 0.0)
            capacity[cso[i]] += (productivity * (1.0 + bonus)) * (
                1.0 - fatigue_productivity * fatigue[i])
    return capacity


@njit(**_JIT)
def serve_citizens(needy, needy_cell, remaining, share_met, provider_dem, min_help, week,
                   served, last_served, provider_democracy):
    """What CSOs gave each needy citizen this week; mark the beneficiaries; return their count.

    ``served`` is zero for everyone else.
    """
    served[:] = 0.0
    beneficiaries = 0
    for k in range(needy.size):
        i = needy[k]
        got = share_met[needy_cell[k]] * remaining[i]
        served[i] = got
        if got >= min_help:
            last_served[i] = week
            provider_democracy[i] = provider_dem[needy_cell[k]]
            beneficiaries += 1
    return beneficiaries


@njit(**_JIT)
def bin_difference(rows, bins, a, b, n_bins):
    """``np.bincount(bins, weights=a - b, minlength=n_bins)``, when ``a - b`` is 0 off ``rows``.

    ``rows`` is sorted, so the same terms are added in the same order, without the zeros.
    """
    out = np.zeros(n_bins)
    for i in rows:
        out[bins[i]] += a[i] - b[i]
    return out


@njit(**_JIT)
def volunteer_counts(volunteer, present, group, cso, formal):
    """Volunteers, minority volunteers, minority citizens present, volunteers of formal CSOs."""
    volunteers = minority_volunteers = minority_present = in_formal = 0
    for i in range(volunteer.size):  # no branches: a bystander's CSO (-1) reads the last row
        v = volunteer[i]
        minority = group[i] == 1
        minority_present += minority & present[i]
        volunteers += v
        minority_volunteers += v & minority
        in_formal += v & formal[cso[i]]
    return volunteers, minority_volunteers, minority_present, in_formal


@njit(**_JIT)
def members_of(volunteer, cso, closing, out):
    """Fill ``out`` with the volunteers of the CSOs marked ``closing``; return how many."""
    n = 0
    for i in range(volunteer.size):
        if volunteer[i] and closing[cso[i]]:
            out[n] = i
            n += 1
    return n


@njit(**_JIT)
def count_untrained(trained, vols):
    """How many of the volunteers ``vols`` are not trained."""
    n = 0
    for i in vols:
        if not trained[i]:
            n += 1
    return n


@njit(**_JIT)
def train(u, vols, j, p_cso, p_state, trained):
    """Train volunteers; return how many the state's programme trained.

    A CSO trains with ``u < p_cso[j]``; else the state's programme, if any, trains an untrained
    volunteer with ``u < p_cso[j] + p_state``.
    """
    by_state = 0
    for k in range(vols.size):
        i = vols[k]
        p = p_cso[j[k]]
        if u[i] < p:
            trained[i] = True
        elif p_state > 0.0 and not trained[i] and u[i] < p + p_state:
            trained[i] = True
            by_state += 1
    return by_state


@njit(**_JIT)
def wellbeing(volunteer, vols, j, fatigue, meaning, trained, availability, join_motivation,
              spell_start, overload, care, meaning_practice, burnout_factor, idle, recovery,
              training_recovery, meaning_adapt, burnout_rate, quit_rate, meaning_retention,
              availability_quit, episodic_quit, motivation, week, early_weeks,
              fatigue_v, h_burn, h_other, minus_age):
    """Fatigue and meaning of every volunteer, and the parts of their quit hazards.

    Everyone's fatigue recovers by ``recovery``; a volunteer's follows
    ``clip(fatigue (1 - recovery care) + overload, 0, 1)`` with
    ``care = care[j] + training_recovery trained``; meaning adapts to the CSO's practice. Fills,
    per volunteer: the new fatigue, the burnout hazard, the other-reasons hazard without its
    tenure and recognition terms, and ``-tenure / early_weeks`` (for NumPy's ``exp``).
    """
    keep = 1.0 - recovery
    for i in range(volunteer.size):
        if not volunteer[i]:
            fatigue[i] *= keep
    for k in range(vols.size):
        i, c = vols[k], j[k]
        f = fatigue[i] * (1.0 - recovery * (care[c] + training_recovery * (
            1.0 if trained[i] else 0.0))) + overload[c]
        f = min(max(f, 0.0), 1.0)
        fatigue[i] = f
        fatigue_v[k] = f
        m = meaning[i]
        m += meaning_adapt * (meaning_practice[c] - m)
        meaning[i] = m
        h_burn[k] = (burnout_rate * (f * f)) * burnout_factor[c]
        h_other[k] = ((((quit_rate * (1.0 - meaning_retention * m))
                        * (1.0 + availability_quit * (1.0 - availability[i]))) * idle[c])
                      * (1.0 + episodic_quit * max(0.0, join_motivation[i] - motivation)))
        minus_age[k] = -(week - spell_start[i]) / early_weeks


@njit(**_JIT)
def quit_hazard(u, vols, spell_start, recognised, h_burn, h_other, early_quit, exp_minus_age,
                recognition, week, first_year, hazard):
    """Every volunteer's quit hazard; return the places in ``vols`` with ``u < hazard``.

    ``h_burn + h_other (1 + early_quit exp(-tenure / early_weeks))
    (1 - recognition recognised [tenure < first_year])``, the last factor in float32 (as
    ``recognised`` is).
    """
    candidates = np.empty(vols.size, np.int64)
    n = 0
    rec = np.float32(recognition)
    for k in range(vols.size):
        i = vols[k]
        new = np.float32(1.0) if week - spell_start[i] < first_year else np.float32(0.0)
        stay = np.float32(1.0) - (rec * recognised[i]) * new
        h = h_burn[k] + (h_other[k] * (1.0 + early_quit * exp_minus_age[k])) * stay
        hazard[k] = h
        if u[i] < h:
            candidates[n] = k
            n += 1
    return candidates[:n]


# CSO-level loops: over the (CSO, cell) pairs of the catchments and the CSO rows -------------

@njit(**_JIT)
def recruit_weights(pair_cso, pair_group, start, end, appeal, minority_reach, recruiting,
                    weights, best):
    """Each pair's recruitment weight, and the largest weight (at least 0) of each cell.

    A pair's weight is its CSO's ``appeal x reach of the group x recruiting``; a cell no CSO
    serves has 0.
    """
    for p in range(pair_cso.size):
        j = pair_cso[p]
        reach = minority_reach[j] if pair_group[p] == 1 else 1.0
        weights[p] = (appeal[j] * reach) * recruiting[j]
    for c in range(best.size):
        top = 0.0
        if end[c] > start[c]:
            top = weights[start[c]]
            for p in range(start[c] + 1, end[c]):
                top = max(top, weights[p])
            top = max(top, 0.0)
        best[c] = top


@njit(**_JIT)
def choose(pair_cso, start, end, weights, cells, u, picked):
    """Pick a CSO for each citizen, with probability proportional to its weight in their cell.

    The pair whose segment of the cumulative weights holds ``low + u (high - low)`` (a binary
    search, as ``np.searchsorted(..., side="right")``), kept inside the citizen's cell.
    """
    cum = np.empty(weights.size + 1)
    cum[0] = 0.0
    for p in range(weights.size):
        cum[p + 1] = cum[p] + weights[p]
    for k in range(cells.size):
        c = cells[k]
        low, high = cum[start[c]], cum[end[c]]
        x = low + u[k] * (high - low)
        lo, hi = 0, cum.size  # first place with cum > x
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        pick = min(max(lo - 1, start[c]), end[c] - 1)
        picked[k] = pair_cso[pick]


@njit(**_JIT)
def allocate_service(pair_cso, pair_cell, pair_group, appeal, minority_reach, uptake,
                     remaining_cell, capacity, democracy, rounds, no_demand, load_max,
                     demand, served, load, met_cell, share_met, provider_dem):
    """CSOs serve the need welfare leaves, cell by cell, rationing proportionally.

    Each cell's need left goes to the CSOs serving it in proportion to their appeal, times the
    share of the group the CSO reaches and its uptake; a CSO serves what its capacity allows
    (all, or the same share of every demand); in later rounds spare capacity serves need others
    left. Fills each CSO's first-round demand, what it served and its load (demand / capacity,
    at most ``load_max``; 0 without demand), each cell's need met and the share of it met, and
    the mean democracy of the CSOs that served each cell (weighted by what they served).
    """
    n_pairs, n_csos, n_cells = pair_cso.size, capacity.size, remaining_cell.size
    total = np.zeros(n_cells)
    for p in range(n_pairs):
        total[pair_cell[p]] += appeal[pair_cso[p]]
    share = np.empty(n_pairs)
    for p in range(n_pairs):
        j, t = pair_cso[p], total[pair_cell[p]]
        reach = minority_reach[j] if pair_group[p] == 1 else 1.0
        share[p] = (appeal[j] / t if t > 0 else 0.0) * (reach * uptake[j])
    served_pair = np.zeros(n_pairs)
    spare, left = capacity.copy(), remaining_cell.copy()
    pair_demand, round_served = np.empty(n_pairs), np.empty(n_pairs)
    for rnd in range(rounds):
        demand_cso = np.zeros(n_csos)
        for p in range(n_pairs):
            pair_demand[p] = share[p] * left[pair_cell[p]]
            demand_cso[pair_cso[p]] += pair_demand[p]
        if rnd == 0:
            demand[:] = demand_cso
        ratio = np.empty(n_csos)
        for j in range(n_csos):
            ratio[j] = min(1.0, spare[j] / demand_cso[j] if demand_cso[j] > no_demand else 0.0)
        used, met = np.zeros(n_csos), np.zeros(n_cells)
        for p in range(n_pairs):
            round_served[p] = pair_demand[p] * ratio[pair_cso[p]]
            served_pair[p] += round_served[p]
            used[pair_cso[p]] += round_served[p]
            met[pair_cell[p]] += round_served[p]
        for j in range(n_csos):
            spare[j] -= used[j]
        for c in range(n_cells):
            left[c] = max(left[c] - met[c], 0.0)
    served[:] = 0.0
    met_cell[:] = 0.0
    weighted = np.zeros(n_cells)
    for p in range(n_pairs):
        served[pair_cso[p]] += served_pair[p]
        met_cell[pair_cell[p]] += served_pair[p]
        weighted[pair_cell[p]] += democracy[pair_cso[p]] * served_pair[p]
    for j in range(n_csos):
        d = demand[j]
        load[j] = (d / capacity[j] if d < load_max * capacity[j] else load_max) \
            if d > no_demand else 0.0
    for c in range(n_cells):
        share_met[c] = met_cell[c] / remaining_cell[c] if remaining_cell[c] > 0 else 0.0
        provider_dem[c] = weighted[c] / met_cell[c] if met_cell[c] > 0 else 0.0


@njit(**_JIT)
def cso_standing(active, served, demand, transparency, legitimacy_practice,
                 recognition_practice, visibility, demonstration, legitimacy_rate,
                 recognition_practice_effect, recognition_rate, transparency_trust, no_demand,
                 legitimacy, recognition, trust):
    """Legitimacy tracks visible impact, recognition tracks legitimacy; fill donors' trust.

    ``visible = served / demand x (1 - visibility (1 - transparency)) x (1 - demonstration
    (1 - legitimacy practice))``; ``legitimacy += rate (visible - legitimacy)``;
    ``recognition += rate (legitimacy (1 - effect (1 - recognition practice)) -
    recognition)`` (active CSOs); ``trust = recognition (1 + transparency_trust
    transparency)`` (0 for dissolved ones).
    """
    for j in range(active.size):
        on = 1.0 if active[j] else 0.0
        impact = served[j] / demand[j] if demand[j] > no_demand else 0.0
        visible = (impact * (1.0 - visibility * (1.0 - transparency[j]))) * (
            1.0 - demonstration * (1.0 - legitimacy_practice[j]))
        legitimacy[j] += (legitimacy_rate * (visible - legitimacy[j])) * on
        drive = legitimacy[j] * (1.0 - recognition_practice_effect * (
            1.0 - recognition_practice[j]))
        recognition[j] += (recognition_rate * (drive - recognition[j])) * on
        trust[j] = (recognition[j] * (1.0 + transparency_trust * transparency[j])) * on


@njit(**_JIT)
def add_where(values, mask, delta, where):
    """``values[mask == where] += delta``, in place (a crisis's change to those it hits or not)."""
    for i in range(values.size):
        if mask[i] == where:
            values[i] += delta


@njit(**_JIT)
def masked_bincount(bins, values, mask, n_bins):
    """``np.bincount(bins, weights=values * mask, minlength=n_bins)``."""
    out = np.zeros(n_bins)
    for i in range(bins.size):
        out[bins[i]] += values[i] * (1.0 if mask[i] else 0.0)
    return out


@njit(**_JIT)
def welfare_gap(need, present, coverage, cell, nbhd, n_cells, n_nbhd):
    """Need left after welfare: per citizen, the needy and their cells, sums per cell and place.

    ``need_here = need x present``, ``remaining = need_here (1 - coverage)``; returns
    ``remaining``, ``need_here`` and ``remaining`` summed per cell, the citizens with
    ``remaining > 0`` and their cells, ``remaining`` and ``present`` summed per neighbourhood
    (the sums of ``np.bincount``, in citizen order).
    """
    remaining = np.empty(need.size)
    need_cell, remaining_cell = np.zeros(n_cells), np.zeros(n_cells)
    remaining_nbhd, residents = np.zeros(n_nbhd), np.zeros(n_nbhd)
    needy = np.empty(need.size, np.int64)
    n = 0
    for i in range(need.size):
        here = 1.0 if present[i] else 0.0
        need_here = need[i] * here
        left = need_here * (1.0 - coverage[i])
        remaining[i] = left
        need_cell[cell[i]] += need_here
        remaining_cell[cell[i]] += left
        remaining_nbhd[nbhd[i]] += left
        residents[nbhd[i]] += here
        if left > 0:
            needy[n] = i
            n += 1
    needy = needy[:n]
    return remaining, need_cell, remaining_cell, needy, cell[needy], remaining_nbhd, residents
