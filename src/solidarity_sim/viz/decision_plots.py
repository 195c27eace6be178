"""Figures of the decision analyses: robustness across futures, cost-effectiveness, best mix.

Plot functions take tables (from :mod:`solidarity_sim.analysis.robustness`,
:mod:`~solidarity_sim.analysis.cost_effectiveness` and :mod:`~solidarity_sim.analysis.mix`)
and an optional ``ax``, and return the ``ax``; they never import the model. A policy keeps its
colour (:func:`~solidarity_sim.viz.style.colour`) in every figure; green and red are
kept for better and worse.
"""

from __future__ import annotations

from collections.abc import Sequence
from inspect import signature

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import StrMethodFormatter

from .run_plots import axes_or_new
from .style import VERDICT_COLOURS, colour

HORIZONTAL = ({"orientation": "horizontal"} if "orientation" in signature(Axes.boxplot).parameters
              else {"vert": False})
"""Horizontal box plots on Matplotlib 3.10 and later, and before (``vert`` is deprecated)."""
FAIL_COLOUR = VERDICT_COLOURS["worse"]
MEET_COLOUR = "#9a9a9a"


def spread(wide: pd.DataFrame, ax: Axes | None = None, *, label: str = "", unit: str = "",
           colours: Sequence[str] | None = None) -> Axes:
    """Box plot of an outcome over the futures, one box per policy (column), mean marked.

    Args:
        wide: One row per future, one column per policy.
        ax: Axes to draw on (a new figure if None).
        label: The outcome's name (title).
        unit: Its unit (x axis).
        colours: One colour per policy (default: by position).
    """
    ax = axes_or_new(ax)
    names = list(wide.columns)
    colours = list(colours or [colour(i) for i in range(len(names))])
    y = np.arange(len(names))[::-1]
    data = [wide[n].dropna().to_numpy() for n in names]
    drawn = [i for i, x in enumerate(data) if x.size]
    if drawn:
        parts = ax.boxplot([data[i] for i in drawn], positions=y[drawn], widths=0.55,
                           patch_artist=True, flierprops={"markersize": 3, "alpha": 0.5},
                           medianprops={"color": "k"}, **HORIZONTAL)
        for patch, i in zip(parts["boxes"], drawn, strict=True):
            patch.set(facecolor=colours[i], alpha=0.45, edgecolor=colours[i])
        ax.plot([data[i].mean() for i in drawn], y[drawn], "D", color="k", markersize=5,
                label="mean")
        _thousands(ax, float(np.abs(np.concatenate([data[i] for i in drawn])).max()))
    else:
        ax.text(0.5, 0.5, "not defined in these runs", transform=ax.transAxes, ha="center",
                va="center", color="0.4")
    ax.set_yticks(y, names)
    ax.set_xlabel(unit)
    ax.set_title(label, fontsize="medium")
    return ax


def regret(regrets: pd.DataFrame, ax: Axes | None = None, *, label: str = "",
           unit: str = "") -> Axes:
    """Box plot of each policy's regret over the futures (0: the best policy in that future).

    Args:
        regrets: One row per future, one column per policy.
        ax: Axes to draw on.
        label: The objective's name.
        unit: Its unit.
    """
    ax = spread(regrets, ax, label=f"Regret on {label}: shortfall from the best policy in "
                                  "each future", unit=f"regret ({unit}); 0 = best in that future")
    y = np.arange(regrets.shape[1])[::-1]
    ax.plot(regrets.max().to_numpy(), y, "|", color="k", markersize=14, mew=2,
            label="largest regret")
    ax.axvline(0.0, color="k", lw=0.8)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def box_limits(limits: pd.DataFrame, space: Sequence, ax: Axes | None = None, *,
               title: str = "") -> Axes:
    """The PRIM box drawn on every uncertainty's full range (0-100 % of the range).

    Args:
        limits: The restricted uncertainties (``uncertainty``, ``low``, ``high``, ``choices``).
        space: Every uncertainty (:func:`~solidarity_sim.analysis.decision_space.uncertainties`).
        ax: Axes to draw on.
        title: Title (policy, coverage, density).
    """
    ax = axes_or_new(ax)
    restricted = limits.set_index("uncertainty")
    y = np.arange(len(space))[::-1]
    labels = []
    for yi, u in zip(y, space, strict=True):
        ax.plot([0, 1], [yi, yi], color="0.85", lw=10, solid_capstyle="butt")
        if u.name not in restricted.index:
            labels.append(f"{u.label}\n(any: {u.describe()})")
            continue
        row = restricted.loc[u.name]
        if u.choices:
            kept = row["choices"].split(", ")
            for k, choice in enumerate(u.choices):
                if choice in kept:
                    ax.plot([k / len(u.choices), (k + 1) / len(u.choices)], [yi, yi],
                            color=FAIL_COLOUR, lw=10, solid_capstyle="butt")
            labels.append(f"{u.label}\n{row['choices']}")
            continue
        lo = (row["low"] - u.low) / (u.high - u.low)
        hi = (row["high"] - u.low) / (u.high - u.low)
        ax.plot([max(lo, 0.0), min(hi, 1.0)], [yi, yi], color=FAIL_COLOUR, lw=10,
                solid_capstyle="butt")
        fmt = "{:.0f}" if u.integer else "{:.2f}"
        labels.append(f"{u.label} ({u.unit})\n{fmt.format(row['low'])} to "
                      f"{fmt.format(row['high'])}")
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["lowest", "middle", "highest"])
    ax.set_xlabel("position in the sampled range (grey: whole range; red: the box)")
    ax.set_title(title, fontsize="medium")
    return ax


def failures_scatter(futures: pd.DataFrame, failed: np.ndarray, x: str, y: str,
                     ax: Axes | None = None, *, limits: pd.DataFrame | None = None,
                     labels: tuple[str, str] = ("", "")) -> Axes:
    """The futures on two uncertainties, failures in red, with the PRIM box's limits.

    Futures outside the box's categories (e.g. another crisis kind) are drawn faint: they lie
    outside the box wherever they fall on these two axes.

    Args:
        futures: The futures table.
        failed: Whether the policy failed in each future.
        x: Uncertainty on the x axis.
        y: Uncertainty on the y axis.
        ax: Axes to draw on.
        limits: The box's restricted uncertainties (drawn where they restrict x or y).
        labels: Axis labels.
    """
    ax = axes_or_new(ax)
    failed = np.asarray(failed, dtype=bool)
    inside = np.ones(len(futures), dtype=bool)
    if limits is not None:
        for _, row in limits[limits["choices"] != ""].iterrows():
            inside &= futures[row["uncertainty"]].isin(row["choices"].split(", ")).to_numpy()
    for keep, alpha, note in ((inside, 1.0, ""), (~inside, 0.25, " (outside the box's "
                                                                  "categories)")):
        if not keep.any() or (note and keep.all()):
            continue
        ax.scatter(futures.loc[keep & ~failed, x], futures.loc[keep & ~failed, y], s=18,
                   color=MEET_COLOUR, alpha=alpha, label="meets the thresholds" + note)
        ax.scatter(futures.loc[keep & failed, x], futures.loc[keep & failed, y], s=22,
                   color=FAIL_COLOUR, alpha=alpha, marker="x", label="fails" + note)
    if limits is not None and len(limits):
        bounds = limits.set_index("uncertainty")
        x0, x1 = _bounds(bounds, x, futures[x])
        y0, y1 = _bounds(bounds, y, futures[y])
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=1.5, ls="--",
                               edgecolor="k", label="PRIM box"))
    ax.set(xlabel=labels[0] or x, ylabel=labels[1] or y)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", frameon=False)
    return ax


def _bounds(limits: pd.DataFrame, name: str, values: pd.Series) -> tuple[float, float]:
    if name in limits.index and not np.isnan(limits.loc[name, "low"]):
        return float(limits.loc[name, "low"]), float(limits.loc[name, "high"])
    return float(values.min()), float(values.max())


def frontier(options: pd.DataFrame, ax: Axes | None = None, *, effect_label: str = "",
             effect_unit: str = "", colours: dict[str, str] | None = None,
             line: bool = True) -> Axes:
    """Cost against effect for every option, with 95 % intervals and the efficient frontier.

    Args:
        options: One row per option: ``policy``, ``budget``, ``cost``, ``cost_low``,
            ``cost_high``, ``effect``, ``effect_low``, ``effect_high``, ``status``
            (``frontier``, ``dominated`` or ``extendedly dominated``). Options of one cost
            are spread sideways by policy so that they do not hide each other.
        ax: Axes to draw on.
        effect_label: What the effect is (y axis).
        effect_unit: Its unit.
        colours: Colour per policy.
        line: Join the frontier's options (filled markers show them either way).
    """
    ax = axes_or_new(ax)
    colours = colours or {}
    groups = list(options.groupby("policy", sort=False))
    width = 0.012 * max(float(options["cost"].max()), 1e-9)
    for position, (policy, group) in enumerate(groups):
        c = colours.get(policy, "k")
        dodge = width * (position - (len(groups) - 1) / 2)
        for _, r in group.iterrows():
            on = r["status"] == "frontier"
            ax.errorbar(r["cost"] + dodge, r["effect"],
                        xerr=[[r["cost"] - r["cost_low"]], [r["cost_high"] - r["cost"]]],
                        yerr=[[r["effect"] - r["effect_low"]], [r["effect_high"] - r["effect"]]],
                        fmt="o", color=c, mfc=c if on else "white", mec=c, ms=7, lw=1,
                        capsize=2, alpha=1.0 if on else 0.7)
            ax.annotate(f"{r['budget']:g}", (r["cost"] + dodge, r["effect"]), xytext=(5, 4),
                        textcoords="offset points", fontsize="x-small", color=c)
        ax.plot([], [], "o", color=c, label=policy)
    if line:
        on = options[options["status"] == "frontier"].sort_values("cost")
        ax.plot(on["cost"], on["effect"], "-", color="k", lw=1.2, zorder=0,
                label="efficient frontier")
    ax.plot([], [], "o", mfc="white", mec="0.3", label="dominated (hollow)")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set(xlabel="state spending on civil society (€/citizen/year, as spent)",
           ylabel=f"{effect_label} ({effect_unit})")
    ax.legend(loc="best", fontsize="small")
    _thousands(ax, float(np.nanmax(np.abs(options["effect"]))) if len(options) else 0,
               axis="y")
    return ax


def mix_differences(table: pd.DataFrame, ax: Axes | None = None, *, label: str = "",
                    unit: str = "", better: int = 0) -> Axes:
    """Forest plot: the best mix minus each single-lever option, with 95 % intervals.

    Args:
        table: One row per option: ``option``, ``diff``, ``diff_low``, ``diff_high``,
            ``verdict`` (from the best mix's side).
        ax: Axes to draw on.
        label: The objective's name.
        unit: Its unit.
        better: +1 if higher is better, -1 if lower is.
    """
    ax = axes_or_new(ax)
    y = np.arange(len(table))[::-1]
    for yi, (_, r) in zip(y, table.iterrows(), strict=True):
        c = VERDICT_COLOURS.get(r["verdict"], "k")
        ax.plot([r["diff_low"], r["diff_high"]], [yi, yi], color=c, lw=2.5,
                solid_capstyle="butt")
        ax.plot(r["diff"], yi, "o", color=c, ms=7)
    ax.axvline(0.0, color="k", lw=0.8)
    ax.set_yticks(y, [f"{o}\n({v})" for o, v in zip(table["option"], table["verdict"],
                                                     strict=True)], fontsize="small")
    hint = {1: "higher is better", -1: "lower is better"}.get(better, "")
    ax.set_xlabel(f"best mix minus option ({unit}){'; ' + hint if hint else ''}")
    ax.set_title(f"{label}: the best mix against spending it all on one thing",
                 fontsize="medium")
    return ax


def search_history(trials: pd.DataFrame, ax: Axes | None = None, *, label: str = "",
                   unit: str = "", better: int = -1) -> Axes:
    """Each trial's mean objective, the best so far, and the re-evaluated top mixes.

    Args:
        trials: One row per trial: ``trial``, ``value`` (mean over its replications).
        ax: Axes to draw on.
        label: The objective's name.
        unit: Its unit.
        better: +1 if higher is better, -1 if lower is.
    """
    ax = axes_or_new(ax)
    ax.plot(trials["trial"], trials["value"], "o", color="0.45", ms=4,
            label="trial (mean of its replications)")
    best = trials["value"].cummin() if better < 0 else trials["value"].cummax()
    ax.step(trials["trial"], best, where="post", color="k", lw=1.4, label="best so far")
    ax.set(xlabel="trial", ylabel=f"{label} ({unit})", title="Search (Optuna)")
    ax.legend(loc="best", fontsize="small")
    return ax


def _thousands(ax: Axes, largest: float, axis: str = "x") -> None:
    if largest >= 1000:
        target = ax.xaxis if axis == "x" else ax.yaxis
        target.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


ITEM_COLOURS = ("#2f5d9e", "#e08a1e", "#56b4e9", "#8b5a2b", "#cc79a7", "#b8a100")
"""One colour per budget item (funding first), none of them green or red."""


def mix_shares(final: pd.DataFrame, items: Sequence[str], labels: Sequence[str],
               ax: Axes | None = None) -> Axes:
    """Stacked bars: how each re-evaluated mix splits the budget (percent).

    Args:
        final: One row per option: ``option`` (its name on the axis), ``policy`` and
            ``share_ITEM`` for each item.
        items: The items, in order (``funding`` first).
        labels: Their names.
        ax: Axes to draw on.
    """
    ax = axes_or_new(ax)
    y = np.arange(len(final))[::-1]
    left = np.zeros(len(final))
    for item, label, c in zip(items, labels, ITEM_COLOURS, strict=False):
        width = 100 * final[f"share_{item}"].to_numpy(dtype=float)
        ax.barh(y, width, left=left, color=c, label=label, height=0.6)
        for yi, x0, w in zip(y, left, width, strict=True):
            if w >= 7:
                ax.text(x0 + w / 2, yi, f"{w:.0f}", ha="center", va="center", fontsize="small",
                        color="white")
        left += width
    ax.set_yticks(y, final["option"])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the budget (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3, fontsize="small",
              frameon=False)
    return ax
