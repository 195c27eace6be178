"""The social network: neighbourhoods on a grid, citizen ties with locality and homophily.

networkx builds (and can analyse) the graph of neighbourhoods, a 2-D grid; citizen ties are drawn
vectorised from it, in chunks of citizens, and stored as CSR arrays (row pointers and the sorted
neighbours of each citizen; no matrix values, as every tie weighs 1), so the weekly processes sum
over neighbours with one compiled loop (:mod:`.kernels`). networkx is never used in the weekly
loop; for analysis, :attr:`SocialNetwork.adjacency` is the ``scipy.sparse`` matrix and
:meth:`SocialNetwork.to_networkx` the citizen graph.

Tie model (a stochastic block model over neighbourhood x group blocks): each citizen sends
Poisson(``mean_degree`` / 2) ties; a tie stays in the citizen's neighbourhood with probability
``local_ties`` (else goes to a random adjacent one) and links to the same identity group with
probability ``homophily``; its other end is a uniform member of that block. Ties are undirected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import networkx as nx
import numpy as np
import scipy.sparse as sp

from . import kernels


def neighbourhood_grid(k: int) -> nx.Graph:
    """Return ``k`` neighbourhoods on a near-square grid, as a graph with nodes ``0..k-1``."""
    rows = max(1, math.isqrt(k))
    cols = math.ceil(k / rows)
    grid = nx.grid_2d_graph(rows, cols)
    graph = nx.convert_node_labels_to_integers(grid, ordering="sorted")
    return graph.subgraph(range(k)).copy()


TIE_CHUNK = 1 << 21
"""Ties drawn at a time: the network of a city is built a chunk of citizens at a time, so its
temporaries do not grow with the city (the same ties as drawing them all at once)."""


@dataclass(eq=False)
class SocialNetwork:
    """Citizen ties in CSR form, plus the neighbourhood graph.

    Attributes:
        indptr: CSR row pointers: citizen ``i``'s neighbours are ``indices[indptr[i]:indptr[i+1]]``.
        indices: The neighbours of each citizen, sorted, each tie once per end.
        neighbourhoods: The networkx graph of neighbourhoods.
    """

    indptr: np.ndarray
    indices: np.ndarray
    neighbourhoods: nx.Graph
    _orders: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        """Number of citizens."""
        return self.indptr.size - 1

    @property
    def adjacency(self) -> sp.csr_array:
        """The symmetric adjacency matrix of ones (citizen x citizen), made when asked for."""
        return sp.csr_array((np.ones(self.indices.size), self.indices, self.indptr),
                            shape=(self.size, self.size))

    def degree(self) -> np.ndarray:
        """Number of ties of each citizen."""
        return np.diff(self.indptr)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` over each citizen's neighbours (as the adjacency matrix product)."""
        return kernels.neighbour_sum(self.indptr, self.indices, values, np.empty(self.size))

    def catchment(self, home: int, size: int) -> np.ndarray:
        """The ``size`` neighbourhoods nearest ``home`` (breadth-first, ties by index).

        The breadth-first search stops at the smallest radius (doubled from 1) that holds
        ``size`` neighbourhoods; every neighbourhood within the radius is found, so the nearest
        ones are exact. Orders are cached per home and widened when a catchment grows past them.
        """
        order = self._orders.get(home, np.zeros(0, np.int64))
        radius = 1
        while order.size < min(size, self.neighbourhoods.number_of_nodes()):
            dist = nx.single_source_shortest_path_length(self.neighbourhoods, home,
                                                         cutoff=radius)
            order = np.array(sorted(dist, key=lambda n: (dist[n], n)), dtype=np.int64)
            self._orders[home] = order
            radius *= 2
        return order[:size]

    def to_networkx(self) -> nx.Graph:
        """The citizen graph as networkx, for analysis (not for large populations)."""
        return nx.from_scipy_sparse_array(self.adjacency)


@cache
def _grid_arrays(k: int) -> tuple[nx.Graph, np.ndarray, np.ndarray]:
    graph = neighbourhood_grid(k)
    adj = nx.to_scipy_sparse_array(graph, nodelist=range(k), format="csr")
    return graph, adj.indptr.astype(np.int64), adj.indices.astype(np.int64)


def build_network(nbhd: np.ndarray, group: np.ndarray, n_neighbourhoods: int,
                  mean_degree: float, local_ties: float, homophily: float,
                  rng: np.random.Generator) -> SocialNetwork:
    """Draw the citizen ties.

    Args:
        nbhd: Neighbourhood of each citizen (``0..n_neighbourhoods-1``).
        group: Identity group of each citizen (0 majority, 1 minority).
        n_neighbourhoods: Number of neighbourhoods.
        mean_degree: Mean number of ties per citizen.
        local_ties: Probability a tie stays inside the neighbourhood.
        homophily: Probability a tie links the same group.
        rng: The ``network`` random stream.

    Returns:
        The network.
    """
    graph = _grid_arrays(n_neighbourhoods)[0]
    src, dst = draw_ties(nbhd, group, 0, n_neighbourhoods, mean_degree, local_ties, homophily,
                         rng)
    return SocialNetwork(*tie_arrays(src, dst, nbhd.size), graph)


def add_citizens(net: SocialNetwork, nbhd: np.ndarray, group: np.ndarray, first: int,
                 mean_degree: float, local_ties: float, homophily: float,
                 rng: np.random.Generator) -> SocialNetwork:
    """The network with citizens ``first`` to ``nbhd.size - 1`` added, and their ties.

    The new citizens send ties by the same tie model, to anyone (old or new); the old citizens'
    ties stay as they were.

    Args:
        net: The network so far (of citizens ``0`` to ``first - 1``).
        nbhd: Neighbourhood of every citizen, the new ones last.
        group: Identity group of every citizen.
        first: The first new citizen.
        mean_degree: Mean number of ties per citizen.
        local_ties: Probability a tie stays inside the neighbourhood.
        homophily: Probability a tie links the same group.
        rng: The random stream the new ties are drawn from.
    """
    n = nbhd.size
    src, dst = draw_ties(nbhd, group, first, net.neighbourhoods.number_of_nodes(), mean_degree,
                         local_ties, homophily, rng)
    old_row = np.repeat(np.arange(net.size, dtype=net.indices.dtype), net.degree())
    old = old_row < net.indices
    src = np.concatenate((old_row[old], src))
    dst = np.concatenate((net.indices[old], dst))
    return SocialNetwork(*tie_arrays(src, dst, n), net.neighbourhoods)


def draw_ties(nbhd: np.ndarray, group: np.ndarray, first: int, n_neighbourhoods: int,
              mean_degree: float, local_ties: float, homophily: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ties that citizens ``first`` and later send, as (source, destination) arrays.

    Each sends Poisson(``mean_degree`` / 2) ties: inside its neighbourhood with probability
    ``local_ties`` (else to a random adjacent one), to its own group with probability
    ``homophily``, the other end a uniform member of that block. Self-ties are dropped.
    """
    n = nbhd.size
    # citizen ids as 32-bit integers while they fit: half the memory of 64-bit tie arrays
    index = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    _, nb_ptr, nb_idx = _grid_arrays(n_neighbourhoods)
    block = nbhd.astype(np.int64) * 2 + group
    members = np.argsort(block, kind="stable").astype(index)
    block_size = np.bincount(block, minlength=2 * n_neighbourhoods)
    block_start = np.concatenate(([0], np.cumsum(block_size)[:-1]))

    stubs = rng.poisson(mean_degree / 2.0, size=n - first)
    # the ties' four uniforms come from the stream as four rows of one (4, ties) draw; each
    # chunk reads its part of every row from a copy of the generator moved ahead to it
    ties = np.concatenate(([0], np.cumsum(stubs)))
    m = int(ties[-1])
    rows = [_ahead(rng, row * m) for row in range(4)]
    src_parts, dst_parts = [], []
    start = 0
    while start < n - first:
        stop = int(np.searchsorted(ties, ties[start] + TIE_CHUNK, side="right")) - 1
        stop = min(max(stop, start + 1), n - first)
        src = np.repeat(np.arange(first + start, first + stop, dtype=index), stubs[start:stop])
        u_local, u_adj, u_group, u_pick = (r.random(src.size) for r in rows)
        ends = np.empty_like(src), np.empty_like(src)
        kept = kernels.tie_ends(src, u_local, u_adj, u_group, u_pick, nbhd, group, members,
                                block_size, block_start, nb_ptr, nb_idx, float(local_ties),
                                float(homophily), *ends)
        src_parts.append(ends[0][:kept].copy())
        dst_parts.append(ends[1][:kept].copy())
        start = stop
    _skip(rng, 4 * m)
    if not src_parts:
        return np.zeros(0, index), np.zeros(0, index)
    return np.concatenate(src_parts), np.concatenate(dst_parts)


def _ahead(rng: np.random.Generator, draws: int) -> np.random.Generator:
    """A copy of ``rng`` moved ahead by ``draws`` 64-bit draws (doubles)."""
    copy = np.random.Generator(type(rng.bit_generator)())
    copy.bit_generator.state = rng.bit_generator.state
    copy.bit_generator.advance(draws)
    return copy


def _skip(rng: np.random.Generator, draws: int) -> None:
    """Move ``rng`` ahead by ``draws`` doubles, as if it had drawn them."""
    state = rng.bit_generator.state
    rng.bit_generator.advance(draws)
    moved = rng.bit_generator.state
    moved["has_uint32"], moved["uinteger"] = state["has_uint32"], state["uinteger"]
    rng.bit_generator.state = moved


def tie_arrays(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR row pointers and sorted neighbours of the undirected ties ``src[i]``--``dst[i]``.

    A tie drawn twice counts once. 32-bit indices while the ties fit in them (as SciPy would
    choose for the same matrix).
    """
    index = np.int32 if max(n, 2 * src.size) <= np.iinfo(np.int32).max else np.int64
    return kernels.csr_from_ties(src.astype(index, copy=False), dst.astype(index, copy=False),
                                 n, np.zeros(n + 1, index))
