"""``Town``: the state of one run, everything the weekly processes read and change.

The weekly processes (:mod:`.processes`) are functions of a :class:`Town` and the week; they know
nothing of Mesa. :func:`.build.build_town` makes the town a scenario describes, and
:class:`~solidarity_sim.model.solidarity_model.SolidarityModel` wraps it as a Mesa model. A test can
also build a small town by hand and run one process on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import kernels
from .catchments import Catchments
from .crises import CrisisSchedule, CrisisWeek
from .csos import CSOTable
from .network import SocialNetwork
from .policies import Government
from .population import Population, neighbourhood_count
from .records import RetentionMemory, SpellLog
from .streams import Streams


class WelfareGap(NamedTuple):
    """The need that welfare leaves this week (see :meth:`Town.welfare_gap`).

    Attributes:
        remaining: Need left after welfare, per citizen.
        need_cell: Need before welfare, per cell.
        remaining_cell: Need left after welfare, per cell.
        needy: The citizens with need left (only they can be served).
        needy_cell: Their cells.
        remaining_nbhd: Need left after welfare, per neighbourhood.
        residents: Citizens present, per neighbourhood.
    """

    remaining: np.ndarray
    need_cell: np.ndarray
    remaining_cell: np.ndarray
    needy: np.ndarray
    needy_cell: np.ndarray
    remaining_nbhd: np.ndarray
    residents: np.ndarray


@dataclass(eq=False)
class Town:
    """Citizens, their ties, the CSOs, the state and the crises of one run, and this week's flows.

    Attributes:
        p: The scenario's parameters (nested dict).
        streams: The run's named random streams.
        pop: Citizen arrays.
        net: The social network.
        cso_table: CSO arrays.
        state: The state's welfare, funding policy and levers.
        crises: The crisis schedule.
        pairs: The (CSO, cell) pairs of the active CSOs' catchments.
        frontier: Each CSO row's next-nearest neighbourhood beyond its catchment, the one it
            would add on extending (-1 if its catchment is the whole town; kept for active CSOs).
        cso_slots: Uniforms drawn per CSO stream each week (fixed, so that runs stay aligned).
        week: The week being simulated (0 is the first).
        crisis: What the crises do this week.
        coverage: Share of each citizen's need met by welfare this week.
        payments: What the state pays each CSO this week (€).
        neighbour_share: Each citizen's share of present neighbours who volunteer.
        volunteer_neighbours: Each citizen's number of volunteering neighbours (kept up to date as
            spells start and end).
        present_neighbours: Each citizen's number of present neighbours (at least 1).
        n_present: Citizens living here now.
        has_arrivals: Some citizens arrive during the run (newcomers of a migration).
        flows: This week's counts and totals (the flow columns of :mod:`.records`).
        spells: Every volunteering spell that has ended.
        retention: Who volunteered in each of the last 52 weeks.
    """

    p: dict[str, Any]
    streams: Streams
    pop: Population
    net: SocialNetwork
    cso_table: CSOTable
    state: Government
    crises: CrisisSchedule
    pairs: Catchments = None  # type: ignore[assignment]  (set by update_reach)
    frontier: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cso_slots: int = 0
    week: int = 0
    crisis: CrisisWeek = CrisisWeek(0.0, 0.0, 0.0, False)
    coverage: np.ndarray | None = None
    payments: np.ndarray | None = None
    neighbour_share: np.ndarray | None = None
    volunteer_neighbours: np.ndarray | None = None
    present_neighbours: np.ndarray | None = None
    n_present: int = 0
    has_arrivals: bool = False
    flows: dict[str, Any] = field(default_factory=dict)
    spells: SpellLog = field(default_factory=SpellLog)
    retention: RetentionMemory | None = None
    _gap: tuple[Any, ...] | None = field(default=None, repr=False)
    _reach: list[np.ndarray] = field(default_factory=list, repr=False)
    _reach_scale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)

    @property
    def n_neighbourhoods(self) -> int:
        """Number of neighbourhoods."""
        return neighbourhood_count(self.p["population"])

    @property
    def n_cells(self) -> int:
        """Number of cells (neighbourhood x identity group blocks)."""
        return 2 * self.n_neighbourhoods

    @property
    def cell(self) -> np.ndarray:
        """Each citizen's cell, ``2 * neighbourhood + group``."""
        return self.pop.cell

    def draw_per_cso(self, stream: str) -> np.ndarray:
        """One uniform per CSO row, drawn in a fixed-size block so that runs stay aligned.

        The block has ``cso_slots`` numbers (more only if a run founds more CSOs than that).
        """
        return self.draw(stream, max(self.cso_slots, len(self.cso_table)))[:len(self.cso_table)]

    def draw(self, stream: str, n: int) -> np.ndarray:
        """``n`` uniform numbers from a named stream (drawn every week, whatever the state)."""
        return self.streams[stream].random(n, dtype=np.float32)

    def update_reach(self) -> None:
        """Recompute which neighbourhoods each active CSO serves (:attr:`pairs`) and would add next.

        Each CSO's catchment is kept with the scale it was found for (:attr:`_reach`), so only
        the CSOs founded or rescaled since the last update are searched again.
        """
        t = self.cso_table
        known = self._reach_scale
        if known.size < len(t):
            grown = len(t) - known.size
            known = self._reach_scale = np.concatenate((known, np.zeros(grown, known.dtype)))
            self.frontier = np.concatenate((self.frontier, np.full(grown, -1, np.int64)))
            self._reach.extend([np.zeros(0, np.int64)] * (len(t) - len(self._reach)))
        active = np.flatnonzero(t.active)
        for j in active[known[active] != t.scale[active]]:
            scale = int(t.scale[j])
            order = self.net.catchment(int(t.home[j]), scale + 1)
            self._reach[j] = order[:scale]
            self.frontier[j] = order[scale] if order.size > scale else -1
            known[j] = scale
        served = [self._reach[j] for j in active]
        self.pairs = Catchments(np.repeat(active, [s.size for s in served]),
                                np.concatenate(served) if served else np.zeros(0, np.int64),
                                self.n_neighbourhoods)

    def welfare_gap(self) -> WelfareGap:
        """The need left after welfare, per citizen, cell and neighbourhood; who is present.

        Need, coverage and who is present change only in crises, austerity and arrivals, so the
        result is kept until one of them changes (the arrays are replaced, not edited, then;
        citizens only ever arrive, so the number present tells who is).
        """
        pop = self.pop
        cached = self._gap
        if (cached is None or cached[0] is not pop.need or cached[1] is not self.coverage
                or cached[2] != self.n_present):
            cached = (pop.need, self.coverage, self.n_present, WelfareGap(*kernels.welfare_gap(
                pop.need, pop.present, self.coverage, self.cell, pop.nbhd, self.n_cells,
                self.n_neighbourhoods)))
            self._gap = cached
        return cached[3]
