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

from ..model.parameters import iter_params  # noqa: E402

PARAMETERS = dict(iter_params())


def parameter_label(path: str) -> str:
    """A readable name for a parameter's dotted path, with its unit.

    ``csos.factors.meaning`` -> ``meaning factor (level)``; ``state.funding.policy`` ->
    ``funding policy``; ``state.levers.training`` -> ``training (€/citizen/year)``.
    """
    parts = path.split(".")
    words = [p.replace("_", " ") for p in parts[1:] if p != "levers"] or [parts[0]]
    if len(words) > 1 and words[-2] == "factors":
        words = [*words[:-2], f"{words[-1]} factor"]
    param = PARAMETERS.get(path)
    unit = param.unit if param is not None and param.unit not in ("", "share") else ""
    name = " ".join(words[-2:])
    return f"{name} ({unit})" if unit else name


INDEX_LABEL = {"sobol": "Sobol' index (share of the outcome's variance)",
               "lhs": "RBD-FAST first-order index (share of variance)"}


METHOD_TITLE = {"sobol": "Sobol' indices", "lhs": "RBD-FAST first-order indices",
                "morris": "Morris screening", "grid": "main effects"}


def _parameter_axis(ax: Axes, paths: list[str]) -> list[str]:
    """Label the parameter axis; return each parameter's readable name."""
    ax.set_ylabel("parameter")
    return [parameter_label(p) for p in paths]


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
    ax.errorbar(indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o",
                capsize=2)
    for _, row in indices.iterrows():
        ax.annotate(parameter_label(row["parameter"]), (row["mu_star"], row["sigma"]),
                    textcoords="offset points", xytext=(4, 4), fontsize="small")
    ax.set_xlabel("μ*: mean |elementary effect| (outcome units)")
    ax.set_ylabel("σ: spread of elementary effects")
    top = indices[["mu_star", "mu_star_conf"]].sum(axis=1).max()
    ax.set_xlim(0, 1.4 * top if top > 0 else 1)  # room for the labels
    ax.set_ylim(0, 1.2 * indices["sigma"].max() if indices["sigma"].max() > 0 else 1)
    ax.grid(alpha=0.3)
    return ax


def main_effect(effects: pd.DataFrame, ax: Axes | None = None, ylabel: str = "",
                factor: float = 1.0) -> Axes:
    """An outcome's mean at each value of one factor, with 95 % confidence intervals.

    A numeric factor gets points joined by a line; a categorical one (a funding policy) gets
    bars, as its values have no order.

    Args:
        effects: One outcome's and one factor's rows: ``parameter``, ``value``, ``mean``,
            ``ci_low``, ``ci_high``.
        ax: Axes to draw on (default: a new figure).
        ylabel: Label of the outcome axis, with its unit.
        factor: Multiplier of the values (100 to show shares in percent).
    """
    ax = ax or plt.figure(figsize=(4, 3)).gca()
    mean, low, high = (factor * effects[c].to_numpy(dtype=float)
                       for c in ("mean", "ci_low", "ci_high"))
    err = np.vstack([mean - low, high - mean])
    numeric = pd.api.types.is_numeric_dtype(pd.Series(list(effects["value"])))
    if numeric:
        ax.errorbar(effects["value"].astype(float), mean, yerr=err, fmt="o-", capsize=3)
    else:
        x = np.arange(len(effects))
        ax.bar(x, mean, yerr=err, capsize=4, color="#8fb3d9", edgecolor="#2f5d9e", width=0.6)
        ax.set_xticks(x, [str(v).replace("_", " ") for v in effects["value"]])
    ax.set_xlabel(parameter_label(effects["parameter"].iloc[0]))
    ax.set_ylabel(textwrap.fill(ylabel, 32))
    ax.grid(axis="y", alpha=0.3)
    return ax


def sensitivity_figure(table: pd.DataFrame, method: str, labels: dict[str, str],
                       title: str = "", scales: dict | None = None) -> Figure:
    """All outcomes of an analysis in one figure.

    Args:
        table: The analysis table (:attr:`solidarity_sim.analysis.sensitivity.Analysis.table`).
        method: ``sobol``, ``morris``, ``lhs`` or ``grid``.
        labels: Outcome name -> label (panel titles, or y axes of main effects).
        title: Figure title.
        scales: Outcome name -> its unit and multiplier (``unit``, ``factor``), for main
            effects in the units ``run`` and ``compare`` use (percent for shares).
    """
    scales = scales or {}
    outcomes = list(dict.fromkeys(table["outcome"]))
    if method == "grid":
        factors = list(dict.fromkeys(table["parameter"]))
        fig, axes = plt.subplots(len(outcomes), len(factors), squeeze=False,
                                 figsize=(3.6 * len(factors), 2.8 * len(outcomes)),
                                 layout="constrained")
        for i, outcome in enumerate(outcomes):
            for j, factor in enumerate(factors):
                rows = table[(table["outcome"] == outcome) & (table["parameter"] == factor)]
                scale = scales.get(outcome)
                name = labels.get(outcome, outcome)
                unit = f" ({scale.unit})" if scale is not None and scale.unit else ""
                main_effect(rows, axes[i, j], ylabel=f"{name}{unit}" if j == 0 else "",
                            factor=scale.factor if scale is not None else 1.0)
    else:
        fig, axes = plt.subplots(1, len(outcomes), squeeze=False, layout="constrained",
                                 figsize=(max(6.5, 4.6 * len(outcomes)),
                                          0.35 * table["parameter"].nunique() + 2.2))
        order = list(table.loc[table["outcome"] == outcomes[0], "parameter"])
        for k, (ax, outcome) in enumerate(zip(axes[0], outcomes, strict=True)):
            rows = table[table["outcome"] == outcome]
            if method == "morris":
                morris_scatter(rows, ax)
            else:
                index_bars(rows, ax, xlabel=INDEX_LABEL[method])
                ax.get_legend().remove()
                if k > 0 and list(rows["parameter"]) == order:  # the first panel names them
                    ax.set_ylabel("")
                    ax.tick_params(labelleft=False)
            ax.set_title(labels.get(outcome, outcome), fontsize="medium", wrap=True)
        if method != "morris":
            fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                       ncols=2)
    if title:
        fig.suptitle(title)
    return fig


def policy_sensitivity_figure(effects: pd.DataFrame, wins: pd.Series, label: str) -> Figure:
    """Which assumptions move each policy's effect (Morris mu*), and how often each wins.

    Args:
        effects: One row per policy, outcome and factor with ``share`` (mu* over the largest
            of that policy and outcome).
        wins: Share of design points at which each policy is best on the first outcome.
        label: That outcome's label.
    """
    grid = effects.pivot_table(index="factor", columns=["policy", "outcome"], values="share",
                               sort=False, dropna=False).fillna(0.0)
    grid = grid.loc[grid.max(axis=1).sort_values(ascending=True).index]
    fig = Figure(figsize=(12, 0.3 * len(grid) + 2.4), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[3, 1])
    ax = left.subplots()
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(grid)), [".".join(f.split(".")[-2:]) for f in grid.index],
                  fontsize=8)
    ax.set_xticks(range(grid.shape[1]), [f"{p}\n{o}" for p, o in grid.columns], rotation=60,
                  ha="right", fontsize=7)
    left.colorbar(image, ax=ax, label="mu* / largest mu* of that policy and outcome")
    ax.set_title("Morris: what moves each policy's paired effect", fontsize=10)
    bx = right.subplots()
    bx.barh(list(wins.index), wins.to_numpy(), color="#1b6ca8")
    bx.set_xlim(0, 1)
    bx.set_xlabel("share of design points")
    bx.set_title(f"best on {label}", fontsize=10)
    bx.tick_params(axis="y", labelsize=8)
    return fig
