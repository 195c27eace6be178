"""Figures of a run.

Plot functions take a DataFrame and an optional ``ax`` and return the ``ax``; they never import
the model (after ``SALib/plotting/bar.py``).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ..model.crises import ACTIVE as CRISIS_ACTIVE


def axes_or_new(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new figure when it is None (every plot function's ``ax``)."""
    return ax if ax is not None else plt.figure().add_subplot()


def shade_crises(ts: pd.DataFrame, ax: Axes) -> Axes:
    """Shade the weeks in which a crisis is under way."""
    on = ts["crisis_intensity"] > CRISIS_ACTIVE
    if on.any():
        ax.fill_between(ts["week"], 0, 1, where=on, transform=ax.get_xaxis_transform(),
                        color="0.85", alpha=0.6, linewidth=0, label="crisis")
    return ax


def volunteering(ts: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Volunteer share and 12-month retention, in percent."""
    ax = shade_crises(ts, axes_or_new(ax))
    ax.plot(ts["week"], 100 * ts["volunteer_share"], label="volunteer share of citizens")
    ax.plot(ts["week"], 100 * ts["retention_12m"], label="12-month retention of volunteers")
    ax.set(title="Volunteering", xlabel="week", ylabel="percent", ylim=(0, 100))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def need(ts: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Need met by the state, by CSOs, and unmet, stacked."""
    ax = shade_crises(ts, axes_or_new(ax))
    ax.stackplot(ts["week"], ts["need_met_state"], ts["need_met_csos"], ts["unmet_need"],
                 labels=["met by welfare", "met by CSOs", "unmet"],
                 colors=["#4c72b0", "#55a868", "#c44e52"], alpha=0.85)
    ax.plot(ts["week"], ts["unmet_need_minority"], color="k", lw=1, ls="--",
            label="unmet, minority group")
    top = (ts["need_met_state"] + ts["need_met_csos"] + ts["unmet_need"]).max()
    ax.set(title="Material need", xlabel="week", ylabel="need units per week",
           ylim=(0, 1.35 * max(top, 1e-9)))
    ax.legend(loc="upper center", ncol=2, fontsize="small")
    return ax


def organisations(ts: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Active CSOs: formal associations and informal groups stacked, so that both show.

    The top of the stack is every active CSO (drawn as lines, the total hid the formal
    associations whenever there was no informal group).
    """
    ax = shade_crises(ts, axes_or_new(ax))
    ax.stackplot(ts["week"], ts["csos_formal"], ts["csos_informal"],
                 labels=["formal associations", "informal groups"],
                 colors=["#2f5d9e", "#e08a1e"], alpha=0.8)
    ax.plot(ts["week"], ts["csos_active"], color="k", lw=0.8,
            label="all active CSOs (top of the stack)")
    ax.set(title="Civil-society organisations", xlabel="week", ylabel="number of CSOs",
           ylim=(0, 1.3 * max(ts["csos_active"].max(), 1)))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize="small")
    return ax


def recognition(ts: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean recognition (with its spread) and the Gini of CSO capacity."""
    ax = shade_crises(ts, axes_or_new(ax))
    mean, sd = ts["recognition_mean"], ts["recognition_sd"]
    ax.plot(ts["week"], mean, label="mean recognition (±1 sd)")
    ax.fill_between(ts["week"], (mean - sd).clip(lower=0), mean + sd, alpha=0.25)
    ax.plot(ts["week"], ts["capacity_gini"], label="Gini of CSO capacity")
    ax.set(title="Recognition and scale", xlabel="week", ylabel="level (0 to 1)", ylim=(0, 1))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def overview(ts: pd.DataFrame, title: str = "") -> plt.Figure:
    """The four-panel overview of one run."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    for panel, ax in zip((volunteering, need, organisations, recognition), axes.flat,
                         strict=True):
        panel(ts, ax)
    if title:
        fig.suptitle(title)
    return fig


def run_figure(result: Any) -> plt.Figure:
    """The overview of a run result, titled with its scenario and seed (``run``'s figure).

    ``result.save(out, figure=run_figure(result))`` writes the same files as
    ``solidarity-sim run --out``.
    """
    manifest = result.manifest
    return overview(result.timeseries, title=f"{manifest['scenario']} · seed {manifest['seed']}")
