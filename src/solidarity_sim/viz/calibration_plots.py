"""Figures of a calibration (see :mod:`solidarity_sim.analysis.calibration`).

Plot functions take the calibration's tables (``points``: one row per design point with its
parameters, mean statistics and ``accepted``; ``targets``: one row per statistic with its band;
``priors``: one row per parameter with its prior range and the default in force, e.g. the
region table) and an optional ``ax``, and return the ``ax``; they never import the model.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .run_plots import axes_or_new

ACCEPTED, REJECTED, TARGET, DEFAULT, CHOSEN = "#d95f02", "#b8b8b8", "#9fd8a8", "#222222", "#1f4e9c"


def _percent(target: pd.Series) -> bool:
    return str(target["fmt"]).endswith("%")


def parameter_label(prior: pd.Series) -> str:
    """A parameter's axis label: its last name and unit, e.g. ``join_rate (per week)``."""
    name = prior["parameter"].rsplit(".", 1)[-1]
    return f"{name} ({prior['unit']})" if prior["unit"] else name


def statistic_label(target: pd.Series) -> str:
    """A statistic's axis label: the check in words, without its scenario; a unit if not a share."""
    what = target["check"].split(": ", 1)[-1]
    unit = "" if _percent(target) else f" ({target['unit']})"
    return textwrap.fill(what + unit, 42)


def display_range(values: pd.Series, target: pd.Series) -> tuple[float, float]:
    """Axis range of a statistic: its 2nd to 98th percentiles, and its band with a margin.

    A few runaway points (a surge ratio over a tiny peak) would otherwise squash the axis.
    """
    width = target["high"] - target["low"]
    low, high = values.quantile([0.02, 0.98]) if values.notna().any() else (np.nan, np.nan)
    return (float(np.nanmin([low, target["low"] - width / 2])),
            float(np.nanmax([high, target["high"] + width / 2])))


def statistic_panel(points: pd.DataFrame, target: pd.Series, defaults: pd.DataFrame | None = None,
                    chosen: pd.DataFrame | None = None, ax: Axes | None = None) -> Axes:
    """Distribution of one statistic over the design points, accepted points stacked on top.

    Args:
        points: The design points (mean statistics and ``accepted``).
        target: The statistic's row of the targets table.
        defaults: The row of the defaults in force when it ran (their mean statistics), dashed.
        chosen: The recommended values' row (their verified means), drawn solid.
        ax: Where to draw.
    """
    ax = axes_or_new(ax)
    name = target["statistic"]
    low, high = display_range(points[name], target)
    shown = points[points[name].between(low, high)]
    bins = np.linspace(low, high, 31)
    ax.axvspan(target["low"], target["high"], color=TARGET, alpha=0.6, label="target band")
    accepted = shown.loc[shown["accepted"], name]
    rejected = shown.loc[~shown["accepted"], name]
    n_accepted = int(points["accepted"].sum())
    ax.hist([rejected, accepted], bins=bins, stacked=True, color=[REJECTED, ACCEPTED],
            label=[f"rejected points ({len(points) - n_accepted})",
                   f"accepted points ({n_accepted})"])
    for row, style, label in ((defaults, dict(color=DEFAULT, ls="--"),
                               "defaults when run (mean of their runs)"),
                              (chosen, dict(color=CHOSEN, ls="-"),
                               "recommended values (verified mean)")):
        if row is not None and not math.isnan(row[name].iloc[0]):
            ax.axvline(row[name].iloc[0], lw=1.8, label=label, **style)
    missing = int(points[name].isna().sum())
    beyond = len(points) - missing - len(shown)
    notes = [f"{missing} undefined"] * bool(missing) + [f"{beyond} off the axis"] * bool(beyond)
    scenario = target["check"].split(": ", 1)[0]
    ax.set(xlabel=statistic_label(target), ylabel="design points", xlim=(low, high),
           title=f"{scenario}: target {target['target']}"
                 + (f" ({', '.join(notes)})" if notes else ""))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if _percent(target):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return ax


def targets_figure(points: pd.DataFrame, targets: pd.DataFrame,
                   defaults: pd.DataFrame | None = None,
                   chosen: pd.DataFrame | None = None) -> Figure:
    """Model against target: a :func:`statistic_panel` per statistic."""
    cols = 3
    n_rows = math.ceil((len(targets) + 1) / cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(5.2 * cols, 3.6 * n_rows),
                             constrained_layout=True, squeeze=False)
    for ax, (_, target) in zip(axes.flat, targets.iterrows(), strict=False):
        statistic_panel(points, target, defaults, chosen, ax)
    rates = points.groupby("wave")["accepted"].mean()
    legend = axes.flat[len(targets)]
    legend.legend(*axes.flat[0].get_legend_handles_labels(), loc="center", frameon=False,
                  title=f"{len(points)} design points in {len(rates)} wave(s), mean of each "
                        "point's runs;\naccepted: every statistic inside its band ("
                        + ", ".join(f"wave {w}: {r:.1%}" for w, r in rates.items()) + ")")
    legend.axis("off")
    for ax in axes.flat[len(targets) + 1:]:
        ax.set_visible(False)
    fig.suptitle("Calibration: model against target over the design points")
    return fig


def scatter_panel(points: pd.DataFrame, x: str, y: str, ax: Axes | None = None) -> Axes:
    """Points by two columns: rejected in grey, accepted in colour on top."""
    ax = axes_or_new(ax)
    for accepted, colour, size in ((False, REJECTED, 5), (True, ACCEPTED, 14)):
        chosen = points[points["accepted"] == accepted]
        ax.scatter(chosen[x], chosen[y], s=size, color=colour, lw=0,
                   label=f"{'accepted' if accepted else 'rejected'} ({len(chosen)})")
    return ax


def pair_panel(points: pd.DataFrame, x: pd.Series, y: pd.Series,
               waves: pd.DataFrame | None = None, ax: Axes | None = None) -> Axes:
    """Two parameters over their prior ranges: the points, later waves' boxes, the defaults.

    Args:
        points: The design points.
        x: The prior row (parameter, prior_min, prior_max, default) of the horizontal axis.
        y: The same for the vertical axis.
        waves: The waves table; the boxes of waves after the first are drawn dashed.
        ax: Where to draw.
    """
    ax = scatter_panel(points, x["parameter"], y["parameter"], ax)
    for _, box in ([] if waves is None else waves[waves["wave"] > 0].iterrows()):
        x0, x1 = box[f"{x['parameter']}.low"], box[f"{x['parameter']}.high"]
        y0, y1 = box[f"{y['parameter']}.low"], box[f"{y['parameter']}.high"]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ls="--", lw=0.8,
                               color="0.35", label=f"box sampled by wave {box['wave']:.0f}"))
    ax.plot(x["default"], y["default"], "*", color=DEFAULT, ms=9, label="defaults when run")
    ax.set(xlim=(x["prior_min"], x["prior_max"]), ylim=(y["prior_min"], y["prior_max"]))
    return ax


def marginal_panel(points: pd.DataFrame, prior: pd.Series, ax: Axes | None = None) -> Axes:
    """Histogram of the accepted points over a parameter's (uniform) prior; dashed: default."""
    ax = axes_or_new(ax)
    ax.hist(points.loc[points["accepted"], prior["parameter"]], bins=10,
            range=(prior["prior_min"], prior["prior_max"]), color=ACCEPTED)
    ax.axvline(prior["default"], color=DEFAULT, ls="--", lw=1)
    ax.set(xlim=(prior["prior_min"], prior["prior_max"]), yticks=[])
    return ax


def correlation_panel(points: pd.DataFrame, x: str, y: str, ax: Axes | None = None) -> Axes:
    """The Spearman correlation of two parameters over the accepted points, as text."""
    ax = axes_or_new(ax)
    rho = points.loc[points["accepted"], [x, y]].corr(method="spearman").iloc[0, 1]
    ax.text(0.5, 0.5, "ρ = n/a" if math.isnan(rho) else f"ρ = {rho:+.2f}", ha="center",
            va="center", transform=ax.transAxes,
            fontsize=10 + 6 * (0 if math.isnan(rho) else abs(rho)))
    ax.axis("off")
    return ax


def pairs_figure(points: pd.DataFrame, priors: pd.DataFrame,
                 waves: pd.DataFrame | None = None) -> Figure:
    """The accepted region: one panel per pair of parameters.

    Below the diagonal, :func:`pair_panel`; on it, :func:`marginal_panel`; above it,
    :func:`correlation_panel`.
    """
    n = len(priors)
    fig, axes = plt.subplots(n, n, figsize=(2.3 * n + 1, 2.3 * n + 0.8),
                             constrained_layout=True, squeeze=False)
    rows = [row for _, row in priors.iterrows()]
    for i, row in enumerate(rows):
        for j, col in enumerate(rows):
            ax = axes[i, j]
            if i > j:
                pair_panel(points, col, row, waves, ax)
            elif i == j:
                marginal_panel(points, row, ax)
            else:
                correlation_panel(points, col["parameter"], row["parameter"], ax)
            ax.tick_params(labelsize="x-small", labelbottom=i == n - 1,
                           labelleft=j == 0 and i > 0)
            if i == n - 1:
                ax.set_xlabel(parameter_label(col), fontsize="small")
            if j == 0 and i > 0:
                ax.set_ylabel(parameter_label(row), fontsize="small")
    if n > 1:
        fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4)
    fig.suptitle(f"Accepted region: {int(points['accepted'].sum())} of {len(points)} design "
                 "points\n(below the diagonal: pairs of parameters over their priors; on it: "
                 "accepted points, dashed: default when run; above: Spearman ρ of the accepted "
                 "points)", fontsize="medium")
    return fig


def response_panel(points: pd.DataFrame, prior: pd.Series, target: pd.Series,
                   ax: Axes | None = None) -> Axes:
    """One statistic against one parameter over the design points, with the target band."""
    ax = axes_or_new(ax)
    ax.axhspan(target["low"], target["high"], color=TARGET, alpha=0.6, label="target band")
    scatter_panel(points, prior["parameter"], target["statistic"], ax)
    ax.set(xlim=(prior["prior_min"], prior["prior_max"]),
           ylim=display_range(points[target["statistic"]], target))
    if _percent(target):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    return ax


def responses_figure(points: pd.DataFrame, targets: pd.DataFrame,
                     priors: pd.DataFrame) -> Figure:
    """Every statistic against every parameter: which parameters the targets constrain."""
    fig, axes = plt.subplots(len(targets), len(priors), sharex="col", sharey="row",
                             figsize=(2.6 * len(priors) + 1, 2.2 * len(targets) + 0.8),
                             constrained_layout=True, squeeze=False)
    for i, (_, target) in enumerate(targets.iterrows()):
        for j, (_, prior) in enumerate(priors.iterrows()):
            ax = response_panel(points, prior, target, axes[i, j])
            ax.tick_params(labelsize="x-small")
            if i == len(targets) - 1:
                ax.set_xlabel(parameter_label(prior), fontsize="small")
            if j == 0:
                ax.set_ylabel(statistic_label(target), fontsize="x-small")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    fig.suptitle("Each calibration statistic (mean of a design point's runs) against each "
                 "parameter (vertical axes cut at the 2nd and 98th percentiles)")
    return fig
