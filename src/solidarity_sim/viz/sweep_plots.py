"""Figures of sensitivity analyses (tables from :mod:`solidarity_sim.analysis.sensitivity`).

Each plot function takes a DataFrame and an optional ``ax`` and returns the ``ax``; none imports
the model. :func:`sensitivity_figure` lays out one panel per outcome (or per outcome and factor).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

INDEX_LABEL = {"sobol": "Sobol' index (share of the outcome's variance)",
               "lhs": "RBD-FAST first-order index (share of variance)"}


METHOD_TITLE = {"sobol": "Sobol' indices", "lhs": "RBD-FAST first-order indices",
                "morris": "Morris screening", "grid": "main effects"}


def shared_prefix(paths: list[str]) -> str:
    """The dotted prefix all paths share, e.g. ``csos.factors.`` (empty if none)."""
    parts = [p.split(".") for p in paths]
    shared = 0
    while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return "".join(f"{part}." for part in parts[0][:shared])


def _parameter_axis(ax: Axes, paths: list[str]) -> list[str]:
    """Label the parameter axis with the shared prefix; return the paths without it."""
    prefix = shared_prefix(paths)
    ax.set_ylabel(f"parameter ({prefix}…)" if prefix else "parameter")
    return [p[len(prefix):] for p in paths]


def index_bars(indices: pd.DataFrame, ax: Axes | None = None,
               xlabel: str = INDEX_LABEL["sobol"]) -> Axes:
    """Horizontal bars of S1 (and ST, if present) per parameter, with confidence intervals.

    Args:
        indices: One outcome's rows: ``parameter``, ``S1``, ``S1_conf`` and optionally ``ST``,
            ``ST_conf``.
        ax: Axes to draw on (default: a new figure).
        xlabel: Label of the index axis.
    """
    ax = ax or plt.figure(figsize=(6, 4)).gca()
    names = _parameter_axis(ax, list(indices["parameter"]))
    y = np.arange(len(indices))
    kinds = [("S1", "first order (S1)", "tab:blue")]
    if "ST" in indices:
        kinds.append(("ST", "total (ST)", "tab:orange"))
    height = 0.8 / len(kinds)
    for k, (column, label, colour) in enumerate(kinds):
        ax.barh(y + (k - (len(kinds) - 1) / 2) * height, indices[column], height,
                xerr=indices[f"{column}_conf"], color=colour, label=label, capsize=2,
                error_kw={"elinewidth": 0.8})
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return ax


def morris_scatter(indices: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Morris mu* against sigma per parameter, with mu*'s confidence interval.

    Args:
        indices: One outcome's rows: ``parameter``, ``mu_star``, ``mu_star_conf``, ``sigma``.
        ax: Axes to draw on (default: a new figure).
    """
    ax = ax or plt.figure(figsize=(6, 4)).gca()
    prefix = shared_prefix(list(indices["parameter"]))
    ax.errorbar(indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o",
                capsize=2)
    for _, row in indices.iterrows():
        ax.annotate(row["parameter"][len(prefix):], (row["mu_star"], row["sigma"]),
                    textcoords="offset points", xytext=(4, 4), fontsize="small")
    ax.set_xlabel("μ*: mean |elementary effect| (outcome units)")
    ax.set_ylabel("σ: spread of elementary effects")
    top = indices[["mu_star", "mu_star_conf"]].sum(axis=1).max()
    ax.set_xlim(0, 1.4 * top if top > 0 else 1)  # room for the labels
    ax.set_ylim(0, 1.2 * indices["sigma"].max() if indices["sigma"].max() > 0 else 1)
    ax.grid(alpha=0.3)
    return ax


def main_effect(effects: pd.DataFrame, ax: Axes | None = None, ylabel: str = "") -> Axes:
    """An outcome's mean at each value of one factor, with 95 % confidence intervals.

    Args:
        effects: One outcome's and one factor's rows: ``parameter``, ``value``, ``mean``,
            ``ci_low``, ``ci_high``.
        ax: Axes to draw on (default: a new figure).
        ylabel: Label of the outcome axis.
    """
    ax = ax or plt.figure(figsize=(4, 3)).gca()
    numeric = pd.api.types.is_numeric_dtype(pd.Series(list(effects["value"])))
    x = effects["value"].astype(float) if numeric else np.arange(len(effects))
    err = np.vstack([effects["mean"] - effects["ci_low"], effects["ci_high"] - effects["mean"]])
    ax.errorbar(x, effects["mean"], yerr=err, fmt="o-", capsize=3)
    if not numeric:
        ax.set_xticks(x, [str(v) for v in effects["value"]])
    ax.set_xlabel(effects["parameter"].iloc[0])
    ax.set_ylabel(textwrap.fill(ylabel, 32))
    ax.grid(alpha=0.3)
    return ax


def sensitivity_figure(table: pd.DataFrame, method: str, labels: dict[str, str],
                       title: str = "") -> Figure:
    """All outcomes of an analysis in one figure.

    Args:
        table: The analysis table (:attr:`solidarity_sim.analysis.sensitivity.Analysis.table`).
        method: ``sobol``, ``morris``, ``lhs`` or ``grid``.
        labels: Outcome name -> label (panel titles, or y axes of main effects).
        title: Figure title.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    if method == "grid":
        factors = list(dict.fromkeys(table["parameter"]))
        fig, axes = plt.subplots(len(outcomes), len(factors), squeeze=False,
                                 figsize=(3.6 * len(factors), 2.8 * len(outcomes)),
                                 layout="constrained")
        for i, outcome in enumerate(outcomes):
            for j, factor in enumerate(factors):
                rows = table[(table["outcome"] == outcome) & (table["parameter"] == factor)]
                main_effect(rows, axes[i, j], ylabel=labels.get(outcome, outcome) if j == 0
                            else "")
    else:
        fig, axes = plt.subplots(1, len(outcomes), squeeze=False, layout="constrained",
                                 figsize=(max(6.5, 4.6 * len(outcomes)),
                                          0.35 * table["parameter"].nunique() + 2.2))
        for ax, outcome in zip(axes[0], outcomes, strict=True):
            rows = table[table["outcome"] == outcome]
            if method == "morris":
                morris_scatter(rows, ax)
            else:
                index_bars(rows, ax, xlabel=INDEX_LABEL[method])
                ax.get_legend().remove()
            ax.set_title(labels.get(outcome, outcome), fontsize="medium")
        if method != "morris":
            fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                       ncols=2)
    if title:
        fig.suptitle(title)
    return fig
