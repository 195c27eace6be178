"""Figures of a scenario comparison.

Plot functions take a DataFrame and an optional ``ax`` and return the ``ax``; they never import the
model. Each scenario keeps one colour in every figure: its position among the scenarios picks it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from .run_plots import axes_or_new, shade_crises
from .style import VERDICT_COLOURS, colour


def trajectory(bands: pd.DataFrame, ax: Axes | None = None, *, title: str = "",
               unit: str = "", crisis: pd.DataFrame | None = None, first: int = 0) -> Axes:
    """Mean weekly series of each scenario with its 95 % band across replications.

    Args:
        bands: Columns ``scenario``, ``week``, ``mean``, ``low``, ``high``.
        ax: Axes to draw on (a new figure if None).
        title: Panel title.
        unit: Unit of the y axis.
        crisis: Optional weekly series of the reference scenario (as a run's timeseries);
            the weeks of a crisis are shaded.
        first: Position of the first scenario in ``bands`` among all scenarios (its colour).
    """
    ax = axes_or_new(ax)
    if crisis is not None:
        shade_crises(crisis, ax)
    for position, (name, group) in enumerate(bands.groupby("scenario", sort=False), first):
        c = colour(position)
        ax.fill_between(group["week"], group["low"], group["high"], color=c, alpha=0.2,
                        linewidth=0)
        ax.plot(group["week"], group["mean"], color=c, lw=1.4, label=name)
    ax.set(title=title, xlabel="week", ylabel=unit)
    ax.set_ylim(bottom=min(0.0, float(bands["low"].min())))
    ax.margins(x=0)
    return ax


def difference_trajectory(bands: pd.DataFrame, ax: Axes | None = None, *, title: str = "",
                          unit: str = "", reference: str = "",
                          crisis: pd.DataFrame | None = None) -> Axes:
    """Weekly paired difference of each scenario from the reference, with its 95 % band.

    Args:
        bands: Columns ``scenario``, ``week``, ``mean``, ``low``, ``high`` (every scenario but
            the reference, in order).
        ax: Axes to draw on (a new figure if None).
        title: Panel title.
        unit: Unit of the difference.
        reference: Name of the reference scenario (for the axis label).
        crisis: Optional weekly series of the reference scenario; crisis weeks are shaded.
    """
    ax = trajectory(bands, ax, title=title, unit=f"difference ({unit})", crisis=crisis, first=1)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_ylim(auto=True)
    ax.relim()
    ax.autoscale_view(scalex=False)
    ax.set_ylabel(f"minus {reference} ({unit})" if reference else f"difference ({unit})")
    return ax


def differences(summary: pd.DataFrame, outcome: str, ax: Axes | None = None) -> Axes:
    """Forest plot of one outcome: each scenario's paired difference from the reference.

    Args:
        summary: The comparison summary (one row per scenario and outcome, with ``diff``,
            ``diff_low``, ``diff_high``, ``verdict``, ``label``, ``unit`` and ``better``).
        outcome: The outcome to draw.
        ax: Axes to draw on (a new figure if None).
    """
    ax = axes_or_new(ax)
    rows = summary[summary["outcome"] == outcome].reset_index(drop=True)
    reference, others = rows.iloc[0], rows.iloc[1:]
    y = np.arange(len(others))[::-1]
    for yi, (position, row) in zip(y, others.iterrows(), strict=True):
        c = VERDICT_COLOURS[row["verdict"]]
        ax.plot([row["diff_low"], row["diff_high"]], [yi, yi], color=c, lw=2.5,
                solid_capstyle="butt")
        ax.plot(row["diff"], yi, "o", color=colour(position), markersize=8,
                markeredgecolor=c, markeredgewidth=2)
    ax.axvline(0.0, color="k", lw=0.8)
    if others["diff"].isna().all():
        ax.text(0.5, 0.5, "not defined: the outcome has no value for a scenario",
                transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_yticks(y, [f"{name}\n({verdict})" for name, verdict
                      in zip(others["scenario"], others["verdict"], strict=True)])
    ax.set_ylim(-0.6, len(others) - 0.4)
    _pad_around_zero(ax, others)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    if abs(others["diff"]).max() >= 1000:
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    better = int(reference["better"])
    hint = {1: "  (higher is better)", -1: "  (lower is better)"}.get(better, "")
    ax.set_title(f"{reference['label']}{hint}", fontsize="medium")
    ax.set_xlabel(f"difference from {reference['scenario']} ({reference['unit']})")
    return ax


def _pad_around_zero(ax: Axes, rows: pd.DataFrame) -> None:
    """Make the x range include zero and every interval, with a margin."""
    values = np.concatenate([[0.0], rows["diff_low"], rows["diff_high"], rows["diff"]])
    values = values[np.isfinite(values)]
    low, high = values.min(), values.max()
    pad = 0.08 * (high - low) if high > low else max(abs(high), 1.0) * 0.1
    ax.set_xlim(low - pad, high + pad)
