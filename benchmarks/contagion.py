"""One contagion rule, three implementations: the reference points of ``bench_model.py``.

The rule (a join-and-quit contagion on the citizen graph): each week a bystander joins with
probability ``1 - exp(-(a + b * share))``, where ``share`` is the share of their neighbours who
volunteer, and a volunteer quits with probability ``q``.

1. :class:`ContagionKernel`: vectorised with NumPy and one sparse product per week, synchronous
   update (the practical floor: about the least work any implementation can do).
2. :class:`MesaListContagion`: one ``mesa.Agent`` per citizen holding a Python list of its
   neighbour agents, activated with ``model.agents.shuffle_do("step")``. The fastest plain-Mesa
   baseline we know (neighbours resolved once, at build time).
3. :class:`MesaNetworkContagion`: written the way Mesa's own ``virus_on_network`` example is:
   a ``mesa.discrete_space.Network`` built from a networkx graph, one ``FixedAgent`` (a
   ``CellAgent``) per cell, neighbours read each step from ``self.cell.neighborhood.agents``.

Both Mesa models update asynchronously (in random order, one pass per week); a synchronous version
would need a second pass, so they are the cheaper, conservative Mesa baselines. All three have
the same mean-field fixed point (:meth:`ContagionRule.fixed_point`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Cell, FixedAgent, Network
from scipy.optimize import brentq

from solidarity_sim.model.solidarity_model import forget


@dataclass(frozen=True)
class ContagionRule:
    """Parameters of the join-and-quit contagion rule.

    Attributes:
        join_base: Weekly join hazard of a bystander with no volunteering neighbours (``a``).
        join_contagion: Extra join hazard when every neighbour volunteers (``b``).
        quit_prob: Weekly probability that a volunteer quits (``q``).
    """

    join_base: float = 0.002
    join_contagion: float = 0.01
    quit_prob: float = 0.02

    def join_probability(self, share: np.ndarray | float) -> np.ndarray | float:
        """Weekly probability that a bystander whose neighbours volunteer at ``share`` joins."""
        return -np.expm1(-(self.join_base + self.join_contagion * share))

    def fixed_point(self) -> float:
        """Mean-field equilibrium volunteer share ``v``: ``q v = (1 - v) join_probability(v)``.

        It assumes every citizen's neighbours volunteer at the population share (no clustering).
        """
        return brentq(lambda v: self.quit_prob * v - (1 - v) * self.join_probability(v), 0, 1)

    def __str__(self) -> str:
        return f"a={self.join_base:g}, b={self.join_contagion:g}, q={self.quit_prob:g}"


# -- 1. The minimal vectorised kernel ------------------------------------------------------------


class ContagionKernel:
    """The rule vectorised with NumPy and one sparse product per week (synchronous update).

    Args:
        adjacency: Symmetric CSR matrix of ones (citizen x citizen).
        volunteer: Initial volunteers (copied).
        seed: Seed of the NumPy ``Generator``.
        rule: The contagion rule.
    """

    def __init__(self, adjacency: sp.csr_array, volunteer: np.ndarray, seed: int,
                 rule: ContagionRule):
        self.adjacency = adjacency
        self.volunteer = volunteer.copy()
        self.inv_degree = 1.0 / np.maximum(np.diff(adjacency.indptr), 1)
        self.rng = np.random.default_rng(seed)
        self.rule = rule

    def step(self) -> None:
        """Advance one week: bystanders may join, volunteers may quit."""
        share = (self.adjacency @ self.volunteer) * self.inv_degree
        p_join = self.rule.join_probability(share)
        u = self.rng.random(self.volunteer.size)
        self.volunteer = np.where(self.volunteer, u >= self.rule.quit_prob, u < p_join)

    def volunteer_share(self) -> float:
        """Share of citizens volunteering."""
        return float(self.volunteer.mean())


# -- 2. and 3. Plain Mesa objects -----------------------------------------------------------------


class MesaContagion(mesa.Model):
    """What both Mesa versions share: the rule's constants, the weekly pass, the share.

    Args:
        adjacency: Symmetric CSR matrix of ones (citizen x citizen).
        volunteer: Initial volunteers.
        seed: Seed of the model's random streams.
        rule: The contagion rule.
    """

    def __init__(self, adjacency: sp.csr_array, volunteer: np.ndarray, seed: int,
                 rule: ContagionRule):
        super().__init__(rng=seed)
        self.join_base = rule.join_base
        self.join_contagion = rule.join_contagion
        self.quit_prob = rule.quit_prob
        self.populate(adjacency, volunteer)

    def populate(self, adjacency: sp.csr_array, volunteer: np.ndarray) -> None:
        """Create one agent per citizen and wire their neighbours (each version its own way)."""
        raise NotImplementedError

    def step(self) -> None:
        """Activate every citizen once, in a fresh random order."""
        self.agents.shuffle_do("step")

    def volunteer_share(self) -> float:
        """Share of citizens volunteering."""
        return float(np.mean(self.agents.get("volunteer")))

    def release(self) -> None:
        """Let the model be freed: Mesa 3.3 keeps every model in ``Agent._ids``."""
        forget(self)


class Volunteering:
    """Mixin: the rule's weekly step for a Mesa agent with ``volunteer`` and ``neighbours``."""

    volunteer: bool
    neighbours: list[mesa.Agent]

    def step(self) -> None:
        """Quit with probability ``q``, or join with the neighbour-driven probability."""
        model = self.model
        u = model.random.random()
        if self.volunteer:
            if u < model.quit_prob:
                self.volunteer = False
            return
        neighbours = self.neighbours
        share = sum(nb.volunteer for nb in neighbours) / len(neighbours) if neighbours else 0.0
        if u < 1.0 - math.exp(-(model.join_base + model.join_contagion * share)):
            self.volunteer = True


class ListCitizen(Volunteering, mesa.Agent):
    """A citizen as a Mesa agent with a Python list of its neighbour agents.

    Attributes:
        volunteer: Currently volunteering.
        neighbours: The neighbouring ``ListCitizen`` agents (resolved once, at build time).
    """

    def __init__(self, model: MesaListContagion, volunteer: bool):
        super().__init__(model)
        self.volunteer = volunteer
        self.neighbours = []


class MesaListContagion(MesaContagion):
    """The rule with one Mesa agent per citizen, neighbours as Python lists built once."""

    def populate(self, adjacency: sp.csr_array, volunteer: np.ndarray) -> None:
        """One ``ListCitizen`` per citizen, each holding the list of its neighbour agents."""
        citizens = [ListCitizen(self, v) for v in volunteer.tolist()]
        indptr, indices = adjacency.indptr.tolist(), adjacency.indices.tolist()
        for i, citizen in enumerate(citizens):
            citizen.neighbours = [citizens[j] for j in indices[indptr[i]:indptr[i + 1]]]


class NetworkCitizen(Volunteering, FixedAgent):
    """A citizen on a ``Network`` cell, as in Mesa's ``virus_on_network`` example.

    Attributes:
        volunteer: Currently volunteering.
    """

    def __init__(self, model: MesaNetworkContagion, volunteer: bool, cell: Cell):
        super().__init__(model)
        self.volunteer = volunteer
        self.cell = cell

    @property
    def neighbours(self) -> list[mesa.Agent]:
        """The agents on the neighbouring cells, looked up through the space every time."""
        return list(self.cell.neighborhood.agents)


NO_LAYOUT = {"layout": None} if "layout" in inspect.signature(Network).parameters else {}
"""Mesa 3.5's ``Network`` runs a spring layout by default (for drawing; minutes at 10,000 nodes);
Mesa 3.3's has no layout. A purely topological network needs none."""


def citizen_graph(adjacency: sp.csr_array) -> nx.Graph:
    """The CSR citizen graph as networkx (nodes ``0..n-1``, no edge attributes)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(adjacency.shape[0]))
    upper = sp.triu(adjacency, k=1).tocoo()
    graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return graph


class MesaNetworkContagion(MesaContagion):
    """The rule the way Mesa's examples do it: a ``discrete_space.Network`` of cells."""

    def populate(self, adjacency: sp.csr_array, volunteer: np.ndarray) -> None:
        """A ``Network`` from the networkx graph and one ``NetworkCitizen`` on each cell."""
        self.grid = Network(citizen_graph(adjacency), capacity=1, random=self.random,
                            **NO_LAYOUT)
        NetworkCitizen.create_agents(self, volunteer.size, volunteer.tolist(),
                                     list(self.grid.all_cells))

    def release(self) -> None:
        """Also empty the neighbourhood caches, shared by every ``Cell`` of every model."""
        super().release()
        Cell.get_neighborhood.cache_clear()
        Cell._neighborhood.cache_clear()
