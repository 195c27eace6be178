import networkx as nx
import numpy as np

from solidarity_sim.model.network import SocialNetwork, build_network, neighbourhood_grid


def make(n=4000, k=16, degree=10.0, local=0.7, homophily=0.8, minority=0.3, seed=3):
    rng = np.random.default_rng(seed)
    nbhd = rng.integers(0, k, n)
    group = (rng.random(n) < minority).astype(np.int8)
    return nbhd, group, build_network(nbhd, group, k, degree, local, homophily,
                                      np.random.default_rng(seed + 1))


def test_grid_has_the_requested_neighbourhoods_and_is_connected():
    for k in (1, 2, 7, 20, 37):
        g = neighbourhood_grid(k)
        assert sorted(g.nodes) == list(range(k))
        assert nx.is_connected(g)


def test_ties_are_symmetric_simple_and_near_the_mean_degree():
    _, _, net = make()
    a = net.adjacency
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data)) == {1.0}
    assert 8.5 < net.degree().mean() < 10.5


def test_ties_are_local_and_homophilous():
    nbhd, group, net = make()
    g = net.to_networkx()
    nx.set_node_attributes(g, dict(enumerate(group.tolist())), "group")
    assert nx.attribute_assortativity_coefficient(g, "group") > 0.3
    rows = np.repeat(np.arange(nbhd.size), np.diff(net.indptr))
    same_nbhd = (nbhd[rows] == nbhd[net.indices]).mean()
    assert 0.6 < same_nbhd < 0.85


def test_no_homophily_gives_no_assortativity():
    _, group, net = make(homophily=0.5, minority=0.5)  # two equal groups mixing at random
    g = net.to_networkx()
    nx.set_node_attributes(g, dict(enumerate(group.tolist())), "group")
    assert abs(nx.attribute_assortativity_coefficient(g, "group")) < 0.1


def test_catchment_grows_outward_from_home():
    _, _, net = make(k=16)
    assert net.catchment(5, 1).tolist() == [5]
    near = net.catchment(5, 5)
    dist = nx.single_source_shortest_path_length(net.neighbourhoods, 5)
    assert [dist[int(k)] for k in near] == sorted(dist[int(k)] for k in near)
    assert len(net.catchment(5, 100)) == 16


def test_catchment_is_the_full_breadth_first_order_cut_to_size():
    graph = neighbourhood_grid(37)
    for home in (0, 18, 36):
        net = SocialNetwork(np.zeros(2, np.int32), np.zeros(0, np.int32), graph)
        dist = nx.single_source_shortest_path_length(graph, home)
        full = sorted(dist, key=lambda n: (dist[n], n))
        for size in (1, 3, 9, 4, 20, 37, 50):  # growing and shrinking, past the cached radius
            assert net.catchment(home, size).tolist() == full[:size]


def test_neighbour_sum_counts_volunteering_neighbours():
    _, _, net = make(n=500)
    flags = np.zeros(500)
    flags[[1, 2, 3]] = 1
    expected = np.array([net.indices[net.indptr[i]:net.indptr[i + 1]].tolist().count(1)
                         + net.indices[net.indptr[i]:net.indptr[i + 1]].tolist().count(2)
                         + net.indices[net.indptr[i]:net.indptr[i + 1]].tolist().count(3)
                         for i in range(500)])
    np.testing.assert_array_equal(net.neighbour_sum(flags), expected)
