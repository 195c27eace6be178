"""Which cells each active CSO serves, as a short list of (CSO, cell) pairs.

A CSO serves the ``scale`` neighbourhoods nearest its home; a cell is a neighbourhood x identity
group block (``2 * nbhd + group``). Recruitment and service weigh each CSO within each cell, so
the weekly processes work on the pairs — a few per CSO — rather than on a CSOs x cells matrix,
whose size would grow with the square of a city's population. Pairs are sorted by cell and then
by CSO, so each cell's pairs form one contiguous segment.
"""

from __future__ import annotations

import numpy as np

from . import kernels


class Catchments:
    """The (CSO, cell) pairs of every active CSO's catchment, sorted by cell, then CSO.

    Args:
        cso: CSO row of each (CSO, neighbourhood) pair.
        nbhd: Neighbourhood of each pair.
        n_neighbourhoods: Number of neighbourhoods.

    Attributes:
        cso: CSO row of each pair.
        cell: Cell of each pair.
        group: Identity group of each pair's cell (0 majority, 1 minority).
        n_cells: Number of cells.
        start, end: Each cell's segment of pairs, ``[start, end)``.
    """

    def __init__(self, cso: np.ndarray, nbhd: np.ndarray, n_neighbourhoods: int):
        cso = np.repeat(np.asarray(cso, dtype=np.int64), 2)
        cell = (2 * np.asarray(nbhd, dtype=np.int64)[:, None] + np.arange(2)).ravel()
        order = np.lexsort((cso, cell))
        self.cso, self.cell = cso[order], cell[order]
        self.group = self.cell % 2
        self.n_cells = 2 * n_neighbourhoods
        cells = np.arange(self.n_cells)
        self.start = np.searchsorted(self.cell, cells, side="left")
        self.end = np.searchsorted(self.cell, cells, side="right")

    def __len__(self) -> int:
        return self.cso.size

    def of(self, by_cso_group: np.ndarray) -> np.ndarray:
        """Each pair's entry of a CSOs x 2 (group) table."""
        return by_cso_group[self.cso, self.group]

    def cell_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum pair values over each cell."""
        return np.bincount(self.cell, weights=values, minlength=self.n_cells)

    def cso_sum(self, values: np.ndarray, n_csos: int) -> np.ndarray:
        """Sum pair values over each CSO."""
        return np.bincount(self.cso, weights=values, minlength=n_csos)

    def served(self) -> np.ndarray:
        """Whether some CSO serves each neighbourhood."""
        out = np.zeros(self.n_cells // 2, bool)
        out[self.cell // 2] = True
        return out

    def nbhd_sum(self, by_cso: np.ndarray) -> np.ndarray:
        """Sum a per-CSO value over the CSOs serving each neighbourhood."""
        first = self.group == 0
        return np.bincount(self.cell[first] // 2, weights=by_cso[self.cso[first]],
                           minlength=self.n_cells // 2)

    def cell_max(self, values: np.ndarray) -> np.ndarray:
        """Largest pair value (at least 0) in each cell; 0 where no CSO serves the cell."""
        out = np.zeros(self.n_cells)
        served = self.end > self.start
        if served.any():
            out[served] = np.maximum(np.maximum.reduceat(values, self.start[served]), 0.0)
        return out

    def choose(self, weights: np.ndarray, cells: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Pick a CSO for each citizen, with probability proportional to its weight in their cell.

        Args:
            weights: Non-negative weight of each pair.
            cells: Each citizen's cell (every one served by a CSO of positive weight).
            u: One uniform in [0, 1) per citizen.

        Returns:
            The CSO row picked for each citizen.
        """
        picked = np.empty(cells.size, np.int64)
        kernels.choose(self.cso, self.start, self.end, weights, cells, u, picked)
        return picked
