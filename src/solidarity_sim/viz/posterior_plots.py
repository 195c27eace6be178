"""Figures of a calibration with a posterior: screening, marginals, pairs, predictive check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

ENTERED, LEFT_OUT = "#1b6ca8", "#b8b8b8"
FITTED, HELD_OUT = "#1b6ca8", "#d95f02"
SHOWN = 25
"""Parameters shown in the screening figure (the largest effects)."""


def short(path: str) -> str:
    """The last two parts of a dotted path (``volunteering.join_rate``)."""
    return ".".join(path.split(".")[-2:])


def screening_figure(effects: pd.DataFrame, threshold: float) -> Figure:
    """Bars of each parameter's largest relative Morris effect; the ones that entered coloured."""
    top = effects.sort_values("largest", ascending=False, kind="stable").head(SHOWN)[::-1]
    fig = Figure(figsize=(8, 0.28 * len(top) + 1.6), layout="constrained")
    ax = fig.subplots()
    ax.barh([short(p) for p in top["parameter"]], top["largest"],
            color=[ENTERED if e else LEFT_OUT for e in top["entered"]])
    ax.axvline(threshold, color="black", lw=1, ls="--")
    ax.set_xlabel("largest mu* over the fitted statistics, as a share of that statistic's "
                  "largest mu*")
    ax.set_xlim(0, 1.05)
    ax.set_title(f"Morris screening of {len(effects)} parameters: the {len(top)} largest "
                 f"effects\nblue: enter the fit; dashed: threshold {threshold:g}", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def _weighted_hist(ax, x: np.ndarray, w: np.ndarray, low: float, high: float) -> None:
    ax.hist(x, bins=np.linspace(low, high, 21), weights=w, density=True, color=ENTERED,
            alpha=0.75)


def marginals_figure(posterior: pd.DataFrame, marginals: pd.DataFrame) -> Figure:
    """Each fitted parameter's weighted posterior over its prior range, with the default."""
    n = len(marginals)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(3.2 * cols, 2.5 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    w = posterior["weight"].to_numpy()
    for ax, m in zip(axes, marginals.itertuples(), strict=False):
        _weighted_hist(ax, posterior[m.parameter].to_numpy(), w, m.prior_low, m.prior_high)
        ax.axvspan(m.low, m.high, color=ENTERED, alpha=0.12)
        ax.axvline(m.default, color="black", lw=1.2, ls="--")
        ax.set_xlim(m.prior_low, m.prior_high)
        ax.set_title(f"{short(m.parameter)}\n90 %: {m.share_of_prior:.0%} of prior"
                     + (" (identified)" if m.identified else ""), fontsize=9)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Posterior of each fitted parameter (density over its uniform prior's range); "
                 "shaded: 90 % interval; dashed: current default", fontsize=10)
    return fig


def pairs_figure(posterior: pd.DataFrame, parameters: list[str],
                 ranges: dict[str, tuple[float, float]]) -> Figure:
    """Pairwise scatter of the posterior's particles (size by weight), over the prior ranges."""
    n = len(parameters)
    fig = Figure(figsize=(1.9 * n + 1, 1.9 * n + 1), layout="constrained")
    axes = np.array(fig.subplots(n, n, squeeze=False))
    size = 4 + 200 * posterior["weight"].to_numpy() / posterior["weight"].max() ** 0.5 / 10
    for i, yp in enumerate(parameters):
        for j, xp in enumerate(parameters):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                _weighted_hist(ax, posterior[xp].to_numpy(), posterior["weight"].to_numpy(),
                               *ranges[xp])
                ax.set_yticks([])
            else:
                ax.scatter(posterior[xp], posterior[yp], s=size, color=ENTERED, alpha=0.4,
                           linewidths=0)
                ax.set_ylim(*ranges[yp])
            ax.set_xlim(*ranges[xp])
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(short(xp), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(short(yp), fontsize=7)
    fig.suptitle("Posterior particles, pair by pair (axes: prior ranges; dot size: weight)",
                 fontsize=10)
    return fig


def predictive_figure(table: pd.DataFrame, fitted: set[str]) -> Figure:
    """Each check's posterior predictive mean and 95 % interval against its target band."""
    n = len(table)
    fig = Figure(figsize=(9, 0.55 * n + 1.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n, 1))
    for ax, r in zip(axes, table.itertuples(), strict=True):
        colour = FITTED if r.check in fitted else HELD_OUT
        finite = [v for v in (r.target_low, r.target_high, r.ci_low, r.ci_high, r.value)
                  if math.isfinite(v)]
        span = (max(finite) - min(finite)) or 1.0
        low = r.target_low if math.isfinite(r.target_low) else min(finite) - span
        high = r.target_high if math.isfinite(r.target_high) else max(finite) + span
        ax.axvspan(low, high, color="#2ca02c", alpha=0.15)
        ax.errorbar([r.value], [0], xerr=[[r.value - r.ci_low], [r.ci_high - r.value]],
                    fmt="o", color=colour, capsize=3)
        ax.set_xlim(min(finite + [low]) - 0.15 * span, max(finite + [high]) + 0.15 * span)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=7)
        mark = "" if r.passed else "  FAIL"
        ax.set_title(f"{r.check} ({'fitted' if r.check in fitted else 'held out'}){mark}",
                     fontsize=7.5, loc="left", pad=2)
    fig.suptitle("Posterior predictive check: mean and 95 % interval over posterior sets "
                 "(blue: fitted, orange: held out) against the target band (green)",
                 fontsize=10)
    return fig
