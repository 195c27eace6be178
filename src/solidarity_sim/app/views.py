"""The views of the classroom page: the town, the week's figures and buttons, charts, a guide.

The views are redrawn by the page's own frame clock (:func:`Dashboard`), at most
:data:`FRAME_SECONDS` apart and only when the week or the interventions changed, not on each of
SolaraViz's steps: while playing, SolaraViz steps the model in a thread of its own, and the
model's speed does not depend on how long a frame takes to draw. Views copy what they show under
the model's ``lock`` and draw outside it. The town's layout is computed once per model
(:class:`TownPicture`); each frame only recolours it. The charts are drawn by the browser
(ECharts, which Solara ships), so a frame costs the server little more than the town's picture.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import matplotlib.colors
import matplotlib.patches
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..model.agents import Role, roles
from ..model.calendar import WEEKS_PER_YEAR
from ..model.crises import ACTIVE as CRISIS_ACTIVE
from .classroom import ClassroomModel, event_label

if TYPE_CHECKING:
    import pandas as pd


ROLE_COLOURS = {Role.BYSTANDER: "#c9c9c9", Role.VOLUNTEER: "#1b9e3e",
                Role.BENEFICIARY: "#e8710a"}
FORMAL, INFORMAL, FOLDED = "#1f3a93", "#8e44ad", "#7f7f7f"
DPI = 80
"""Resolution of the images sent to the browser (dots per inch)."""

FRAME_SECONDS = 0.25
"""Shortest time between two frames (and how often the clock looks for a new week)."""


def png(fig: Figure) -> bytes:
    """Render a figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def neighbourhood_centres(k: int) -> np.ndarray:
    """Centre of each neighbourhood on the page: the grid of ``network.neighbourhood_grid``."""
    cols = math.ceil(k / max(1, math.isqrt(k)))
    row, col = np.divmod(np.arange(k), cols)
    return np.column_stack((col, -row)).astype(float)


class TownPicture:
    """The town as a picture: citizens in their neighbourhoods, their ties, and the CSOs.

    Positions are drawn once, when the picture is made: each neighbourhood is a disc on the
    grid of neighbourhoods, each citizen a point at a random place in its disc (from a generator
    seeded by the run's seed, not one of the model's streams), each CSO a marker near the centre
    of its home neighbourhood. The ties and the legend never change: they are drawn once, as a
    background image; each frame draws only the citizens, CSOs and volunteers' links, on a
    transparent image laid over it.

    Args:
        model: The session's model.

    Attributes:
        background: The background image (PNG).
        figure: The figure of the changing layer.
    """

    RADIUS = 0.42
    """Radius of a neighbourhood's disc, in grid steps."""

    SIZE = (6.4, 6.6)
    """Size of both layers, in inches."""

    def __init__(self, model: ClassroomModel):
        rng = np.random.default_rng([model.seed, 0x70776E])  # 'town': its own stream
        pop = model.pop
        self.centres = neighbourhood_centres(model.n_neighbourhoods)
        radius = self.RADIUS * np.sqrt(rng.random(pop.size))
        angle = 2 * np.pi * rng.random(pop.size)
        self.xy = self.centres[pop.nbhd] + radius[:, None] * np.column_stack(
            (np.cos(angle), np.sin(angle)))
        self.cso_xy = np.zeros((0, 2))
        self.background = png(self._background(model))

        self.figure = Figure(figsize=self.SIZE, dpi=DPI)
        self.figure.patch.set_alpha(0.0)
        ax = self._axes(self.figure)
        self.links = ax.add_collection(LineCollection([], linewidths=0.5, alpha=0.35))
        self.citizens = ax.scatter(self.xy[:, 0], self.xy[:, 1], s=10, linewidths=0)
        self.formal = ax.scatter([], [], marker="s", c=FORMAL, edgecolors="white")
        self.informal = ax.scatter([], [], marker="D", c=INFORMAL, edgecolors="white")
        self.folded = ax.scatter([], [], marker="X", c=FOLDED, s=80)
        self._colours = matplotlib.colors.to_rgba_array([ROLE_COLOURS[r] for r in Role])

    def _axes(self, fig: Figure):
        """The town's axes, the same on both layers."""
        ax = fig.add_axes((0.0, 0.1, 1.0, 0.9))
        ax.set_axis_off()
        ax.set_aspect("equal")
        pad = 0.55
        ax.set_xlim(self.centres[:, 0].min() - pad, self.centres[:, 0].max() + pad)
        ax.set_ylim(self.centres[:, 1].min() - pad, self.centres[:, 1].max() + pad)
        return ax

    def _background(self, model: ClassroomModel) -> Figure:
        """The neighbourhoods, the ties between citizens, and the legend."""
        fig = Figure(figsize=self.SIZE, dpi=DPI)
        ax = self._axes(fig)
        for x, y in self.centres:
            ax.add_patch(matplotlib.patches.Circle((x, y), self.RADIUS * 1.08, color="#f2f4f7"))
        ties = model.net.adjacency.tocoo()
        once = ties.row < ties.col
        ax.add_collection(LineCollection(
            np.stack((self.xy[ties.row[once]], self.xy[ties.col[once]]), axis=1),
            colors="#9aa7b8", linewidths=0.3, alpha=0.25))
        fig.legend(handles=legend_handles(), loc="lower center", ncol=3, fontsize="large",
                   frameon=False, handletextpad=0.2, columnspacing=1.0)
        return fig

    def _place_new_csos(self, model: ClassroomModel) -> None:
        """Give CSOs founded since the last frame a place near their home's centre."""
        homes = model.cso_table.home
        for j in range(len(self.cso_xy), homes.size):
            slot = int(np.count_nonzero(homes[:j] == homes[j]))
            angle = 2 * np.pi * slot / 6 + np.pi / 4
            offset = 0.45 * self.RADIUS * np.array([np.cos(angle), np.sin(angle)]) * (slot > 0)
            self.cso_xy = np.vstack((self.cso_xy, self.centres[homes[j]] + offset))

    def update(self, model: ClassroomModel) -> None:
        """Recolour the citizens and redraw the CSOs and the volunteers' links for this week."""
        pop, csos = model.pop, model.cso_table
        self._place_new_csos(model)
        colours = self._colours[roles(pop)]
        colours[:, 3] = pop.present  # newcomers appear when they arrive
        self.citizens.set_facecolors(colours)
        vols = np.flatnonzero(pop.volunteer)
        self.links.set_segments(np.stack((self.xy[vols], self.cso_xy[pop.cso[vols]]), axis=1))
        self.links.set_colors(np.where(csos.formal[pop.cso[vols]], FORMAL, INFORMAL))
        size = 40 + 6 * csos.volunteers
        for scatter, rows in ((self.formal, csos.active & csos.formal),
                              (self.informal, csos.active & ~csos.formal)):
            scatter.set_offsets(self.cso_xy[rows])
            scatter.set_sizes(size[rows])
        self.folded.set_offsets(self.cso_xy[~csos.active])


def legend_handles() -> list[Line2D]:
    """Legend entries of the town picture."""
    def dot(colour: str, label: str, marker: str = "o", size: float = 8) -> Line2D:
        return Line2D([], [], ls="", marker=marker, markersize=size, color=colour, label=label)

    return [dot(ROLE_COLOURS[Role.BYSTANDER], "bystander"),
            dot(ROLE_COLOURS[Role.VOLUNTEER], "volunteer"),
            dot(ROLE_COLOURS[Role.BENEFICIARY], "helped this week"),
            dot(FORMAL, "CSO (association)", "s", 10),
            dot(INFORMAL, "informal group", "D", 9),
            dot(FOLDED, "CSO that folded", "X", 10)]


@solara.component
def TownView(model: ClassroomModel, frame: int):
    """The town picture of this week (``frame`` changes when it should be redrawn)."""
    picture = solara.use_memo(lambda: TownPicture(model), [model])

    def draw() -> bytes:
        with model.lock:
            picture.update(model)
        return png(picture.figure)

    image = solara.use_memo(draw, [picture, model.week])
    with solara.Card("The town"), solara.Div(classes=["ss-town"]):
        solara.Image(picture.background, width="100%")
        solara.Image(image, width="100%", classes=["ss-layer"])


def crisis_weeks(ts: pd.DataFrame) -> list[list[dict]]:
    """The runs of weeks in which a crisis is salient, as ECharts mark areas."""
    on = (ts["crisis_salience"] > CRISIS_ACTIVE).to_numpy()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(int), [0]))))
    weeks = ts["week"].to_numpy()
    return [[{"xAxis": int(weeks[a])}, {"xAxis": int(weeks[b - 1])}]
            for a, b in zip(edges[::2], edges[1::2], strict=True)]


def values(ts: pd.DataFrame, column: str, scale: float = 1.0) -> list[float | None]:
    """One weekly series, week by week (missing values as gaps)."""
    data = (ts[column].to_numpy(dtype=float) * scale).round(3)
    return [None if np.isnan(v) else float(v) for v in data]


def line(name: str, data: list[float | None], colour: str, **style) -> dict:
    """One line of a chart."""
    return {"name": name, "type": "line", "data": data, "color": colour, "showSymbol": False,
            "lineStyle": {"width": 2.5}, **style}


def week_ticks(weeks: int) -> int:
    """Weeks between labels on the time axis: a quarter, half a year, a year or more."""
    year = WEEKS_PER_YEAR
    return next((s for s in (year // 4, year // 2, year, 2 * year, 5 * year) if weeks / s <= 5),
                10 * year)


def chart(ts: pd.DataFrame, weeks: int, y_name: str, lines: list[dict],
          y_max: float | None = None) -> dict:
    """An ECharts option: weekly lines over the whole horizon, crises shaded grey."""
    lines[0]["markArea"] = {"silent": True, "itemStyle": {"color": "rgba(0,0,0,0.08)"},
                            "data": crisis_weeks(ts)}
    return {
        "animation": False,
        "grid": {"left": 56, "right": 16, "top": 48, "bottom": 44},
        "legend": {"top": 0, "textStyle": {"fontSize": 12}, "itemGap": 8},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(range(weeks)), "boundaryGap": False,
                  "name": "week", "nameLocation": "middle", "nameGap": 26,
                  "axisLabel": {"fontSize": 12, "interval": week_ticks(weeks) - 1},
                  "axisTick": {"interval": week_ticks(weeks) - 1}},
        "yAxis": {"type": "value", "name": y_name, "nameLocation": "middle", "nameGap": 40,
                  "min": 0, "max": y_max, "axisLabel": {"fontSize": 12}},
        "series": lines,
    }


def volunteering_chart(ts: pd.DataFrame, weeks: int) -> dict:
    """Volunteer share of citizens, 12-month retention and volunteers' mean fatigue, in %."""
    return chart(ts, weeks, "percent", [
        line("volunteer share of citizens", values(ts, "volunteer_share", 100), "#1b9e3e"),
        line("still volunteering a year later", values(ts, "retention_12m", 100), "#1f3a93"),
        line("tiredness of volunteers", values(ts, "fatigue_mean", 100), "#c44e52",
             lineStyle={"width": 2, "type": "dashed"}),
    ], y_max=100)


def need_chart(ts: pd.DataFrame, weeks: int) -> dict:
    """Need met by welfare, met by CSOs, and unmet, stacked."""
    def area(name: str, column: str, colour: str) -> dict:
        return line(name, values(ts, column), colour, stack="need",
                    areaStyle={"opacity": 0.75}, lineStyle={"width": 0})

    return chart(ts, weeks, "need units per week", [
        area("met by welfare", "need_met_state", "#4c72b0"),
        area("met by CSOs", "need_met_csos", "#55a868"),
        area("unmet", "unmet_need", "#c44e52"),
    ])


def organisations_chart(ts: pd.DataFrame, weeks: int) -> dict:
    """Active CSOs (associations and informal groups) and their mean recognition."""
    option = chart(ts, weeks, "number of CSOs", [
        line("associations", values(ts, "csos_formal"), FORMAL, step="end"),
        line("informal groups", values(ts, "csos_informal"), INFORMAL, step="end"),
        line("recognition (right scale)", values(ts, "recognition_mean"), "#b8860b",
             yAxisIndex=1, lineStyle={"width": 2, "type": "dashed"}),
    ])
    option["yAxis"] = [option["yAxis"], {"type": "value", "name": "recognition (0 to 1)",
                                         "nameLocation": "middle", "nameGap": 34, "min": 0,
                                         "max": 1, "splitLine": {"show": False},
                                         "axisLabel": {"fontSize": 12}}]
    option["grid"]["right"] = 50
    return option


@solara.component
def ChartView(model: ClassroomModel, frame: int, build: Callable[[pd.DataFrame, int], dict],
              title: str):
    """A live chart of the weekly series so far, drawn by the browser (ECharts)."""
    with model.lock:
        ts = model.datacollector.get_model_vars_dataframe()
    option = solara.use_memo(lambda: build(ts, model.p["weeks"]) if len(ts) else None,
                             [model, len(ts)])
    with solara.Card(title, classes=["ss-chart"]):
        if option is None:
            solara.Text("Press Step or ▶ to start the clock.")
        else:
            solara.FigureEcharts(option, attributes={"style": "height: 210px; width: 100%"},
                                 responsive=True)


def headline(series: dict[str, list]) -> str:
    """This week's headline figures (and the last year's totals), as HTML."""
    last = {name: values[-1] for name, values in series.items()}
    retention = last["retention_12m"]
    kept = "–" if np.isnan(retention) else f"{retention:.0%}"
    burnt_out = sum(series["quits_burnout"][-WEEKS_PER_YEAR:])
    spent = sum(series["state_spending"][-WEEKS_PER_YEAR:])
    return (f"<b>{last['volunteers']:,}</b> volunteers ({last['volunteer_share']:.0%} of "
            f"citizens) · still volunteering a year later: <b>{kept}</b> · burnt out in the "
            f"last year: <b>{burnt_out:,}</b><br>"
            f"<b>{last['csos_active']}</b> CSOs active ({last['csos_informal']} informal) · "
            f"unmet need <b>{last['unmet_need']:,.0f}</b> units/week · public money for civil "
            f"society in the last year: <b>€{spent:,.0f}</b>")


@solara.component
def WeekView(model: ClassroomModel, frame: int):
    """The week, its headline figures, and the buttons that act on the model now."""
    with model.lock:
        week, weeks = model.week, model.p["weeks"]
        figures = headline(model.datacollector.model_vars) if week else "&nbsp;<br>&nbsp;"
        events = " · ".join(f"week {e.week}: {event_label(e)}" for e in model.events)
        running, cut = model.running, model.funding_cut
    actions = solara.use_memo(lambda: interventions(model), [model])  # the same handlers
    enabled = {"economic crisis": running, "pandemic crisis": running,
               "migration crisis": running, "cut funding": running and not cut,
               "restore funding": running and cut}

    title = " · ".join([model.spec.name, f"seed {model.seed}", *model.changes])
    with solara.Card(title, classes=["ss-now"]):
        solara.Text(f"Week {week} of {weeks}", classes=["ss-week"])
        solara.HTML(unsafe_innerHTML=figures, classes=["ss-figures"],
                    attributes={"data-week": str(week)})
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            for label, (colour, action) in actions.items():
                solara.Button(label, color=colour, outlined=True, on_click=action,
                              disabled=not enabled[label])
        solara.Text(events, classes=["ss-events"])


def interventions(model: ClassroomModel) -> dict[str, tuple[str, Callable[[], None]]]:
    """Each button's label, colour and action on the model."""
    def crisis(kind: str) -> Callable[[], None]:
        return lambda: model.press(kind)

    return {**{f"{kind} crisis": ("error", crisis(kind))
               for kind in ("economic", "pandemic", "migration")},
            "cut funding": ("warning", model.cut_funding),
            "restore funding": ("success", model.restore_funding)}


def swatch(colour: str, mark: str = "●") -> str:
    """A coloured mark for the guide."""
    return f'<span style="color:{colour}; font-size:1.3em">{mark}</span>'


GUIDE = f"""
<p><b>The town.</b> Each dot is a citizen in one of the neighbourhoods; grey lines are ties
between friends, family and neighbours. {swatch(ROLE_COLOURS[Role.BYSTANDER])} bystanders do not
volunteer, {swatch(ROLE_COLOURS[Role.VOLUNTEER])} volunteers give time to a CSO (a thin line joins
each to its CSO), {swatch(ROLE_COLOURS[Role.BENEFICIARY])} citizens a CSO helped this week.
{swatch(FORMAL, "■")} is a civil-society organisation (an association),
{swatch(INFORMAL, "◆")} an informal mutual-aid group that neighbours set up in a crisis,
{swatch(FOLDED, "✖")} one that folded; the bigger, the more volunteers.</p>
<p><b>The charts.</b> <i>Volunteering</i>: the share of citizens who volunteer, how many of
last year's volunteers still do, and how tired volunteers are on average (dashed; the tired ones
are the ones who burn out and quit). <i>Material need</i>: what welfare covers (blue), what CSOs
cover (green) and what nobody covers (red). <i>Civil-society organisations</i>: associations and
informal groups, and how well known and trusted they are (recognition, dashed, right scale).
Grey bands mark a crisis.</p>
<p><b>The buttons.</b> ▶ plays, ❚❚ pauses, <i>Step</i> moves on one week, <i>Reset</i> starts
again with the sliders' values. A crisis button starts a crisis now: economic (a fifth of
citizens need more, for two years), a pandemic (a quarter fall ill; the others are confined and
have time) or migration (newcomers arrive who get little welfare). <i>Cut funding</i> halves
public spending (welfare, grants, campaigns) from now; <i>restore funding</i> ends the cut. The
same seed gives the same chance events, so two runs that differ by one button show what the
button did.</p>
<p><b>The sliders</b> (in the menu ☰) set up the next run, from <i>Reset</i>: the scenario, the
seed, the town, and how CSOs practise the eight factors (0 never, 1 always): 1 democracy, a say
for volunteers; 2 transparency, open accounts and reports; 3 pluralism, welcoming everyone;
4 public profile; 5 showing their impact; 6 managing growth; 7 outreach; 8 care for volunteers'
wellbeing and meaning. Then the state: how it funds CSOs, and the share of need welfare meets.</p>
"""


@solara.component
def GuideView():
    """A short plain-language guide to the colours, lines and buttons."""
    with solara.Card("How to read the page", classes=["ss-guide"]):
        solara.HTML(unsafe_innerHTML=GUIDE)


CSS = """
.ss-week { font-size: 2rem; font-weight: 600; display: block; margin-bottom: 6px;
           color: #222; }
.ss-figures { font-size: 1.15rem; line-height: 1.6; margin-bottom: 10px; }
.ss-events { display: block; margin-top: 10px; color: #555; font-size: 1rem; }
.ss-guide p { font-size: 1rem; line-height: 1.5; }
.ss-town { position: relative; }
.ss-layer { position: absolute; top: 0; left: 0; }
"""


def frame_clock(model: ClassroomModel, frame: solara.Reactive[int]):
    """A loop that moves ``frame`` on when the model's week or interventions change.

    Each move redraws the views, in this thread if no other is drawing; the loop then waits at
    least as long as the drawing took, so that frames never queue up behind each other.
    """
    def clock(cancel: threading.Event) -> None:
        shown = None
        while not cancel.is_set():
            now = (model.week, len(model.events))
            pause = FRAME_SECONDS
            if now != shown:
                shown = now
                started = time.monotonic()
                frame.value += 1
                pause = max(pause, time.monotonic() - started)
            cancel.wait(pause)

    return clock


@solara.component
def Dashboard(model: ClassroomModel):
    """The main area: the week and its buttons, the town, three charts, and the guide."""
    frame = solara.use_reactive(0)
    solara.use_thread(frame_clock(model, frame), dependencies=[model], intrusive_cancel=False)
    solara.Style(CSS)
    with solara.Column(gap="12px", style={"padding": "12px"}):
        WeekView(model, frame.value)
        with solara.ColumnsResponsive(12, large=[6, 6]):
            with solara.Column(gap="12px"):
                TownView(model, frame.value)
                ChartView(model, frame.value, organisations_chart,
                          "Civil-society organisations")
            with solara.Column(gap="12px"):
                ChartView(model, frame.value, volunteering_chart, "Volunteering")
                ChartView(model, frame.value, need_chart, "Material need")
        GuideView()
