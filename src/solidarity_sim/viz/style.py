"""What every family of figures shares: the colours of scenarios and verdicts, and a grid.

A scenario (or policy) keeps one colour in every figure, picked by its position; green and red
are kept for better and worse, so no scenario is drawn in either.
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure

PALETTE = ("#2f5d9e", "#e08a1e", "#56b4e9", "#8b5a2b", "#cc79a7", "#3d3d3d", "#b8a100",
           "#7f7fbf")
"""Scenario colours: blue, orange, sky blue, brown, pink, charcoal, ochre, lavender. No green or
red, which mean better and worse (:data:`VERDICT_COLOURS`)."""
VERDICT_COLOURS = {"better": "#2a9d4b", "worse": "#c8372d", "unclear": "#8c8c8c",
                   "equal": "#8c8c8c", "higher": "#6a3d9a", "lower": "#6a3d9a",
                   "undefined": "#bbbbbb"}
"""Colour of each verdict: green better, red worse, grey unclear or equal, purple higher or lower
where neither is better."""


def colour(position: int) -> str:
    """The colour of the scenario at ``position`` (0 is the reference)."""
    return PALETTE[position % len(PALETTE)]


def grid(panels: int, columns: int = 2, height: float = 3.2, width: float = 12.0
         ) -> tuple[Figure, list[Axes]]:
    """A figure with ``panels`` axes in rows of ``columns``; unused axes are hidden."""
    from matplotlib import pyplot as plt

    rows = math.ceil(panels / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width, height * rows),
                             constrained_layout=True, squeeze=False)
    flat = list(axes.flat)
    for ax in flat[panels:]:
        ax.set_visible(False)
    return fig, flat[:panels]
