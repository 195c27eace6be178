"""The (CSO, cell) pairs of the CSOs' catchments, against the dense CSOs x cells matrices."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solidarity_sim.model.catchments import Catchments

K = 4  # neighbourhoods


def dense(pairs: Catchments, values: np.ndarray, n_csos: int) -> np.ndarray:
    """The CSOs x cells matrix of pair values (0 where a CSO does not serve a cell)."""
    out = np.zeros((n_csos, pairs.n_cells))
    out[pairs.cso, pairs.cell] = values
    return out


links = st.lists(st.tuples(st.integers(0, 5), st.integers(0, K - 1)), unique=True, max_size=20)


@settings(max_examples=60, deadline=None)
@given(links, st.integers(0, 2**32 - 1))
def test_sums_and_maxima_match_the_dense_matrix(pairs_list, seed):
    rng = np.random.default_rng(seed)
    cso = np.array([j for j, _ in pairs_list], dtype=np.int64)
    nbhd = np.array([k for _, k in pairs_list], dtype=np.int64)
    pairs = Catchments(cso, nbhd, K)
    assert len(pairs) == 2 * len(pairs_list)
    assert np.all(np.diff(pairs.cell) >= 0)
    table = rng.random((6, 2))
    values = pairs.of(table)
    matrix = dense(pairs, values, 6)
    np.testing.assert_allclose(pairs.cell_sum(values), matrix.sum(axis=0))
    np.testing.assert_allclose(pairs.cso_sum(values, 6), matrix.sum(axis=1))
    np.testing.assert_allclose(pairs.cell_max(values), matrix.max(axis=0, initial=0.0))
    by_cso = rng.random(6)
    reach = np.zeros((6, K))
    reach[cso, nbhd] = 1.0
    np.testing.assert_allclose(pairs.nbhd_sum(by_cso), by_cso @ reach)
    np.testing.assert_array_equal(pairs.served(), reach.any(axis=0))


def test_choice_follows_the_weights_within_a_cell():
    pairs = Catchments(np.array([0, 1, 2, 1]), np.array([0, 0, 0, 1]), 2)
    weights = pairs.of(np.array([[1.0, 1.0], [3.0, 3.0], [0.0, 0.0]]))
    n = 40_000
    u = np.random.default_rng(0).random(n)
    picks = pairs.choose(weights, np.zeros(n, dtype=np.int64), u)
    assert set(np.unique(picks)) == {0, 1}  # never the CSO of weight 0
    assert abs(picks.mean() - 0.75) < 0.01
    assert np.all(pairs.choose(weights, np.full(n, 3), u) == 1)  # cell 3: only CSO 1


def test_no_csos_means_nothing_served():
    pairs = Catchments(np.zeros(0, np.int64), np.zeros(0, np.int64), K)
    assert pairs.cell_max(np.zeros(0)).tolist() == [0.0] * 2 * K
    assert pairs.cell_sum(np.zeros(0)).sum() == 0


@settings(max_examples=15, deadline=None)
@given(st.integers(200, 6000), st.floats(1.0, 40.0), st.integers(1, 12), st.integers(0, 99))
def test_initial_catchments_leave_no_gap_next_to_a_cso(citizens, density, scale, seed):
    """After the build, no CSO's next neighbourhood is unserved (the gaps between the first
    catchments are filled, ODD 7.7), and each frontier is the neighbourhood after the catchment
    in order of distance from home."""
    from solidarity_sim.model.solidarity_model import SolidarityModel

    model = SolidarityModel("baseline", rng=seed, **{
        "population.citizens": citizens, "csos.density": density, "csos.initial_scale": scale})
    town = model.town
    csos = town.cso_table
    served = np.zeros(town.n_neighbourhoods, bool)
    served[town.pairs.cell // 2] = True
    for j in np.flatnonzero(csos.active):
        order = town.net.catchment(int(csos.home[j]), int(csos.scale[j]) + 1)
        assert set(town.pairs.cell[town.pairs.cso == j] // 2) == set(order[:csos.scale[j]])
        if csos.scale[j] == town.n_neighbourhoods:
            assert town.frontier[j] == -1
        else:
            assert town.frontier[j] == order[-1] and served[town.frontier[j]]
    assert (csos.scale >= min(scale, town.n_neighbourhoods)).all()
