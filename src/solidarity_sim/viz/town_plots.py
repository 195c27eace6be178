"""The town as a picture: citizens on the network of neighbourhoods, volunteers and CSOs.

:class:`TownPicture` lays the town out once and recolours it week by week; the classroom pages
show it live, and a run's film (:mod:`.film`) puts it beside the charts. It reads the town's
arrays (a model's ``town``), never the model.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import matplotlib.colors
import matplotlib.patches
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..model.agents import Role, roles

if TYPE_CHECKING:
    from ..model.town import Town


ROLE_COLOURS = {Role.BYSTANDER: "#c9c9c9", Role.VOLUNTEER: "#1b9e3e",
                Role.BENEFICIARY: "#e8710a"}
FORMAL, INFORMAL, FOLDED = "#1f3a93", "#8e44ad", "#7f7f7f"
DPI = 80
"""Resolution of the images sent to the browser (dots per inch)."""

def png(fig: Figure) -> bytes:
    """Render a figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def neighbourhood_centres(k: int) -> np.ndarray:
    """Centre of each neighbourhood on the page: the grid of ``network.neighbourhood_grid``."""
    cols = math.ceil(k / max(1, math.isqrt(k)))
    row, col = np.divmod(np.arange(k), cols)
    return np.column_stack((col, -row)).astype(float)


class TownPicture:
    """The town as a picture: citizens in their neighbourhoods, their ties, and the CSOs.

    Positions are drawn once, when the picture is made: each neighbourhood is a disc on the
    grid of neighbourhoods, each citizen a point at a random place in its disc (from a generator
    seeded by the run's seed, not one of the model's streams), each CSO a marker near the centre
    of its home neighbourhood. The ties and the legend never change: they are drawn once, as a
    background image; each frame draws only the citizens, CSOs and volunteers' links, on a
    transparent image laid over it.

    Args:
        town: The town (a model's ``town``).
        seed: The run's seed (the citizens' places are drawn from it).

    Attributes:
        background: The background image (PNG).
        figure: The figure of the changing layer.
    """

    RADIUS = 0.42
    """Radius of a neighbourhood's disc, in grid steps."""

    SIZE = (6.4, 6.6)
    """Size of both layers, in inches."""

    def __init__(self, town: Town, seed: int):
        self._rng = np.random.default_rng([seed, 0x70776E])  # 'town': its own stream
        self.centres = neighbourhood_centres(town.n_neighbourhoods)
        self.xy = np.zeros((0, 2))
        self._place_new_citizens(town)
        self.cso_xy = np.zeros((0, 2))
        self.background = png(self._background(town))

        self.figure = Figure(figsize=self.SIZE, dpi=DPI)
        self.figure.patch.set_alpha(0.0)
        ax = self._axes(self.figure)
        self.links = ax.add_collection(LineCollection([], linewidths=0.5, alpha=0.35))
        self.citizens = ax.scatter(self.xy[:, 0], self.xy[:, 1], s=10, linewidths=0)
        self.formal = ax.scatter([], [], marker="s", c=FORMAL, edgecolors="white")
        self.informal = ax.scatter([], [], marker="D", c=INFORMAL, edgecolors="white")
        self.folded = ax.scatter([], [], marker="X", c=FOLDED, s=80)
        self._colours = matplotlib.colors.to_rgba_array([ROLE_COLOURS[r] for r in Role])

    def _axes(self, fig: Figure):
        """The town's axes, the same on both layers."""
        ax = fig.add_axes((0.0, 0.1, 1.0, 0.9))
        ax.set_axis_off()
        ax.set_aspect("equal")
        pad = 0.55
        ax.set_xlim(self.centres[:, 0].min() - pad, self.centres[:, 0].max() + pad)
        ax.set_ylim(self.centres[:, 1].min() - pad, self.centres[:, 1].max() + pad)
        return ax

    def _background(self, town: Town) -> Figure:
        """The neighbourhoods, the ties between citizens, and the legend."""
        fig = Figure(figsize=self.SIZE, dpi=DPI)
        ax = self._axes(fig)
        for x, y in self.centres:
            ax.add_patch(matplotlib.patches.Circle((x, y), self.RADIUS * 1.08, color="#f2f4f7"))
        ties = town.net.adjacency.tocoo()
        once = ties.row < ties.col
        ax.add_collection(LineCollection(
            np.stack((self.xy[ties.row[once]], self.xy[ties.col[once]]), axis=1),
            colors="#9aa7b8", linewidths=0.3, alpha=0.25))
        fig.legend(handles=legend_handles(), loc="lower center", ncol=3, fontsize="large",
                   frameon=False, handletextpad=0.2, columnspacing=1.0)
        return fig

    def _place_new_citizens(self, town: Town) -> None:
        """Give citizens added since the last frame (a migration's arrivals) a place.

        Each gets a place in their neighbourhood's disc; their ties are not drawn (the
        background is drawn once).
        """
        nbhd = town.pop.nbhd[len(self.xy):]
        radius = self.RADIUS * np.sqrt(self._rng.random(nbhd.size))
        angle = 2 * np.pi * self._rng.random(nbhd.size)
        self.xy = np.vstack((self.xy, self.centres[nbhd] + radius[:, None] * np.column_stack(
            (np.cos(angle), np.sin(angle)))))

    def _place_new_csos(self, town: Town) -> None:
        """Give CSOs founded since the last frame a place near their home's centre."""
        homes = town.cso_table.home
        for j in range(len(self.cso_xy), homes.size):
            slot = int(np.count_nonzero(homes[:j] == homes[j]))
            angle = 2 * np.pi * slot / 6 + np.pi / 4
            offset = 0.45 * self.RADIUS * np.array([np.cos(angle), np.sin(angle)]) * (slot > 0)
            self.cso_xy = np.vstack((self.cso_xy, self.centres[homes[j]] + offset))

    def update(self, town: Town) -> None:
        """Recolour the citizens and redraw the CSOs and the volunteers' links for this week."""
        pop, csos = town.pop, town.cso_table
        self._place_new_citizens(town)
        self._place_new_csos(town)
        if len(self.xy) > len(self.citizens.get_offsets()):
            self.citizens.set_offsets(self.xy)
        colours = self._colours[roles(pop)]
        colours[:, 3] = pop.present  # newcomers appear when they arrive
        self.citizens.set_facecolors(colours)
        vols = np.flatnonzero(pop.volunteer)
        self.links.set_segments(np.stack((self.xy[vols], self.cso_xy[pop.cso[vols]]), axis=1))
        self.links.set_colors(np.where(csos.formal[pop.cso[vols]], FORMAL, INFORMAL))
        size = 40 + 6 * csos.volunteers
        for scatter, rows in ((self.formal, csos.active & csos.formal),
                              (self.informal, csos.active & ~csos.formal)):
            scatter.set_offsets(self.cso_xy[rows])
            scatter.set_sizes(size[rows])
        self.folded.set_offsets(self.cso_xy[~csos.active])


def legend_handles() -> list[Line2D]:
    """Legend entries of the town picture."""
    def dot(colour: str, label: str, marker: str = "o", size: float = 8) -> Line2D:
        return Line2D([], [], ls="", marker=marker, markersize=size, color=colour, label=label)

    return [dot(ROLE_COLOURS[Role.BYSTANDER], "bystander"),
            dot(ROLE_COLOURS[Role.VOLUNTEER], "volunteer"),
            dot(ROLE_COLOURS[Role.BENEFICIARY], "helped this week"),
            dot(FORMAL, "CSO (association)", "s", 10),
            dot(INFORMAL, "informal group", "D", 9),
            dot(FOLDED, "CSO that folded", "X", 10)]
