"""Figures of retention curves (see :mod:`solidarity_sim.analysis.retention`).

Plot functions take DataFrames and an optional ``ax`` and return the ``ax``; they never import
the model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .run_plots import axes_or_new

MIN_AT_RISK = 20
"""Curves stop where fewer spells than this are still at risk (the tail is too noisy to show)."""

GROUP_COLOURS = ("#c44e52", "#8c8c8c", "#4c72b0", "#55a868", "#8172b2")
"""Colours of the groups from the lowest factor level to the highest."""


def _weeks(value: float) -> str:
    return "not reached" if np.isinf(value) or np.isnan(value) else f"{value:.0f} wk"


def survival(curves: pd.DataFrame, groups: pd.DataFrame | None = None, ax: Axes | None = None,
             min_at_risk: int = MIN_AT_RISK) -> Axes:
    """Kaplan–Meier curves with their 95 % bands: share of new volunteers still volunteering.

    Args:
        curves: ``RetentionCurves.curves`` (one factor).
        groups: ``RetentionCurves.groups``; if given, the legend shows each group's median and
            the title the log-rank p-value.
        ax: Axes to draw on (a new figure if None).
        min_at_risk: Each curve ends where fewer spells are still at risk.

    Returns:
        The axes.
    """
    ax = axes_or_new(ax)
    factor = curves["factor"].iloc[0]
    medians = {} if groups is None else dict(zip(groups["group"], groups["median_weeks"],
                                                 strict=True))
    for colour, (name, g) in zip(GROUP_COLOURS, curves.groupby("group", observed=True,
                                                                 sort=False), strict=False):
        g = g[g["at_risk"] >= min_at_risk]
        label = f"{name}, median {_weeks(medians[name])}" if name in medians else name
        ax.step(g["week"], g["survival"], where="post", color=colour, label=label)
        ax.fill_between(g["week"], g["ci_lower"], g["ci_upper"], step="post", color=colour,
                        alpha=0.2, linewidth=0)
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    title = f"By the CSO's {factor} practice"
    if groups is not None:
        p = groups["logrank_p"].iloc[0]
        title += " (log-rank p < 0.001)" if p < 0.001 else f" (log-rank p = {p:.2g})"
    ax.set(title=title, xlabel="weeks since joining", ylabel="share still volunteering",
           ylim=(0, 1.02), xlim=(0, None))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(title=f"{factor} level of the CSO (95 % band)", fontsize="small",
              title_fontsize="small", loc="upper right")
    return ax


def retention_figure(panels: list[tuple[pd.DataFrame, pd.DataFrame]], title: str = ""
                     ) -> Figure:
    """One :func:`survival` panel per ``(curves, groups)`` pair, side by side."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False,
                             constrained_layout=True)
    for (curves, groups), ax in zip(panels, axes.flat, strict=True):
        survival(curves, groups, ax)
    if title:
        fig.suptitle(title)
    return fig
