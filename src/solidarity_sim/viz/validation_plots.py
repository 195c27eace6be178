"""Figures of a validation (see :mod:`solidarity_sim.analysis.validation`).

Plot functions take DataFrames (the validation table, stacked weekly series, pooled CSO tables)
and an optional ``ax``, and return the ``ax``; they never import the model.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..analysis.validation import (
    GROUP_AGE,
    PEAK_TARGET,
    REMAINING_TARGET,
    RETENTION_TARGET,
    SHARE_TARGET,
    SURGE_BASELINE,
    SURGE_DECAY,
    SURVIVAL_TARGET,
    WEEKS_PER_YEAR,
    Band,
    excess_volunteers,
    peak,
)
from .run_plots import axes_or_new

PASS, FAIL, TARGET = "#2a7f3f", "#c0392b", "#9fd8a8"


def _percent(fmt: str) -> bool:
    return fmt.endswith("%")


# -- the table as figures -------------------------------------------------------------------------

def check_panel(row: pd.Series, ax: Axes | None = None) -> Axes:
    """One check: its target band (green) and the model's mean with its 95 % interval."""
    ax = axes_or_new(ax)
    low, high = float(row["value"] if math.isnan(row["ci_low"]) else row["ci_low"]), float(
        row["value"] if math.isnan(row["ci_high"]) else row["ci_high"])
    band = Band(row["target_low"], row["target_high"])
    finite = [v for v in (band.low, band.high, low, high) if np.isfinite(v)]
    span = (max(finite) - min(finite)) or 1.0
    left, right = min(finite) - 0.25 * span, max(finite) + 0.25 * span
    if band.low == band.high:
        ax.axvline(band.low, color=TARGET, lw=6, label="target")
    else:
        ax.axvspan(max(band.low, left), min(band.high, right), color=TARGET, label="target")
    colour = PASS if row["passed"] else FAIL
    ax.errorbar([row["value"]], [0], xerr=[[row["value"] - low], [high - row["value"]]],
                fmt="o", color=colour, capsize=5, label="model (95 % CI)")
    ax.set(xlim=(left, right), ylim=(-1, 1), yticks=[],
           xlabel=textwrap.shorten(row["unit"], 60))
    if _percent(row["fmt"]):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    verdict = "pass" if row["passed"] else "FAIL"
    ax.set_title(f"{textwrap.fill(row['check'], 48)}\n{verdict}", fontsize="small",
                 color=colour)
    return ax


def targets_figure(table: pd.DataFrame) -> Figure:
    """A :func:`check_panel` for every check that is not a paired difference."""
    rows = table[table["reference"].isna()]
    cols = 3
    n_rows = max(1, math.ceil(len(rows) / cols))
    fig, axes = plt.subplots(n_rows, cols, figsize=(4.6 * cols, 2.5 * n_rows),
                             constrained_layout=True, squeeze=False)
    for ax, (_, row) in zip(axes.flat, rows.iterrows(), strict=False):
        check_panel(row, ax)
    for ax in axes.flat[len(rows):]:
        ax.set_visible(False)
    if len(rows):
        axes.flat[0].legend(loc="upper left", fontsize="x-small")
    fig.suptitle("Calibration targets and analytic limits: target band (green) and model "
                 "mean with its 95 % interval")
    return fig


def factor_effects(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Forest plot of the paired factor effects, as a percentage of the value at the low level.

    The interval is the paired difference's 95 % t-interval divided by the mean at the low
    level; the check passes when it excludes zero on the expected side (``+`` or ``−``).
    """
    rows = factor_rows(table).iloc[::-1]
    ax = axes_or_new(ax)
    scale = 100.0 / rows["reference"].abs().replace(0.0, np.nan)
    mid = rows["value"] * scale
    lo, hi = rows["ci_low"] * scale, rows["ci_high"] * scale
    y = np.arange(len(rows))
    colours = [PASS if p else FAIL for p in rows["passed"]]
    ax.axvline(0, color="0.3", lw=0.8)
    ax.hlines(y, lo, hi, colors=colours, lw=2)
    ax.scatter(mid, y, c=colours, zorder=3)
    expected = ["−" if high == 0 else "+" for high in rows["target_high"]]
    ax.set_yticks(y, [f"{c}  [{e}]" for c, e in zip(rows["check"], expected, strict=True)])
    ax.set_xlabel("effect of raising the factor from 0.2 to 0.8, % of the value at 0.2\n"
                  "(mean and 95 % CI of paired runs)")
    ax.set_title("Each factor moves what it drives\n(expected sign in brackets; green: the "
                 "interval excludes zero on that side)", loc="right")
    ax.xaxis.set_major_formatter(PercentFormatter(100.0))
    ax.grid(axis="x", alpha=0.3)
    return ax


def factor_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The factor checks of a validation table (paired runs at two factor levels)."""
    return table[(table["group"] == "factors") & table["reference"].notna()]


def factors_figure(table: pd.DataFrame) -> Figure:
    """:func:`factor_effects` on a figure of its own."""
    n = len(factor_rows(table))
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.38 * n), constrained_layout=True)
    factor_effects(table, ax)
    return fig


# -- calibration against targets over time -------------------------------------------------------

def _band_over_time(ax: Axes, band: Band, start: int, label: str) -> None:
    ax.axhspan(band.low, band.high, color=TARGET, alpha=0.6, label=label)
    ax.axvline(start, color="0.4", lw=0.8, ls="--", label="averaging starts")


def _replications(weekly: pd.DataFrame, column: str, ax: Axes, label: str) -> None:
    for k, (_, run) in enumerate(weekly.groupby("replication")):
        ax.plot(run["week"], run[column], color="#4c72b0", lw=0.6, alpha=0.35,
                label="replications" if k == 0 else None)
    mean = weekly.groupby("week")[column].mean()
    ax.plot(mean.index, mean.to_numpy(), color="#1f3d7a", lw=2, label=label)


def volunteer_share(weekly: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Baseline share of citizens volunteering, each replication and the mean, with the target."""
    ax = axes_or_new(ax)
    _band_over_time(ax, SHARE_TARGET, WEEKS_PER_YEAR, f"target {SHARE_TARGET.describe(True)}")
    _replications(weekly, "volunteer_share", ax, "mean of replications")
    ax.set(title="Baseline: formal volunteering", xlabel="week",
           ylabel="share of citizens volunteering", ylim=(0, 0.4))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(loc="lower right", fontsize="small", ncol=2)
    return ax


def retention(weekly: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Baseline 12-month retention, each replication and the mean, with the target."""
    ax = axes_or_new(ax)
    _band_over_time(ax, RETENTION_TARGET, WEEKS_PER_YEAR,
                    f"target {RETENTION_TARGET.describe(True)}")
    _replications(weekly, "retention_12m", ax, "mean of replications")
    ax.set(title="Baseline: volunteers still volunteering a year later", xlabel="week",
           ylabel="12-month retention", ylim=(0.4, 0.9))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize="small", ncol=2)
    return ax


def surge(weekly: pd.DataFrame, onset: int, ax: Axes | None = None) -> Axes:
    """Pandemic: excess volunteers over the pre-onset level, as a share of each run's peak."""
    ax = axes_or_new(ax)
    window = weekly["week"].between(onset - SURGE_BASELINE, onset + 1.5 * WEEKS_PER_YEAR)
    ax.axvspan(PEAK_TARGET.low, PEAK_TARGET.high, color=TARGET, alpha=0.4,
               label=f"peak target: within {PEAK_TARGET.high:g} weeks")
    ax.axhline(REMAINING_TARGET.high, color=FAIL, lw=1, ls="--",
               label=f"{REMAINING_TARGET.high:.0%} of the peak ({SURGE_DECAY} weeks after it: "
                     "target below)")
    for k, (_, run) in enumerate(weekly[window].groupby("replication")):
        excess = excess_volunteers(run, onset)
        peak_week, size = peak(excess, onset)
        share = excess / size
        ax.plot(share.index - onset, share.to_numpy(), color="#4c72b0", lw=0.7, alpha=0.5,
                label="replications" if k == 0 else None)
        after = peak_week + SURGE_DECAY
        if after in share.index:
            ax.plot(after - onset, share.loc[after], "o", ms=3, color="k",
                    label=f"{SURGE_DECAY} weeks after the peak" if k == 0 else None)
    ax.set(title="Pandemic: surge and decay of volunteering", xlabel="weeks since onset",
           ylabel="excess volunteers, share of the peak", ylim=(-0.25, 1.15))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def group_survival(csos: pd.DataFrame, horizon: int, ax: Axes | None = None) -> Axes:
    """Pandemic: Kaplan–Meier survival of new informal groups, pooled over replications.

    A group's life ends when it dissolves; one still active at the end (``horizon``) is
    censored. Becoming a formal association does not end it.
    """
    from ..analysis.retention import kaplan_meier  # lifelines: the survival extra

    ax = axes_or_new(ax)
    groups = csos[csos["origin"] == "emerged"]
    if groups.empty:
        ax.text(0.5, 0.5, "no informal group was founded", ha="center", transform=ax.transAxes)
        return ax
    ended = groups["dissolved"].notna().to_numpy()
    lives = np.where(ended, groups["dissolved"].fillna(0), horizon) - groups["founded"]
    _, curve = kaplan_meier(lives.to_numpy(dtype=float), ended,
                            np.arange(int(lives.max()) + 1))
    ax.step(curve["week"], curve["survival"], where="post", color="#1f3d7a",
            label=f"model, {len(groups)} groups (95 % band)")
    ax.fill_between(curve["week"], curve["ci_lower"], curve["ci_upper"], step="post",
                    color="#1f3d7a", alpha=0.2, linewidth=0)
    low, high = SURVIVAL_TARGET.low, SURVIVAL_TARGET.high
    mid, half = (low + high) / 2, (high - low) / 2
    ax.errorbar([GROUP_AGE], [mid], yerr=[half], fmt="s", color=PASS, capsize=6,
                label=f"target at two years: {SURVIVAL_TARGET.describe(True)}")
    ax.set(title="Pandemic: new informal groups still active", xlabel="weeks since founding",
           ylabel="share of groups still active", ylim=(0, 1.05), xlim=(0, None))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower left", fontsize="small")
    return ax


def calibration_figure(baseline: pd.DataFrame, pandemic: pd.DataFrame, pandemic_csos: pd.DataFrame,
                       onset: int, horizon: int) -> Figure:
    """Four panels of the calibration targets against the model over time.

    Args:
        baseline: Stacked weekly series of the baseline replications (``replication`` column).
        pandemic: The same for the pandemic replications.
        pandemic_csos: Pooled CSO tables of the pandemic replications.
        onset: The pandemic's onset week.
        horizon: The pandemic runs' length in weeks.
    """
    fig, axes = plt.subplots(2, 2, figsize=(13, 9), constrained_layout=True)
    volunteer_share(baseline, axes[0, 0])
    retention(baseline, axes[0, 1])
    surge(pandemic, onset, axes[1, 0])
    group_survival(pandemic_csos, horizon, axes[1, 1])
    fig.suptitle("Calibration targets (P1-P3, docs/sources.md) against the model")
    return fig
