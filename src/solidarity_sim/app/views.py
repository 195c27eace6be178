"""The views of the classroom page: the town, the week's figures and buttons, charts, a guide.

The views are redrawn when the page's :class:`~.clock.Clock` counts a change (a week, a button;
:func:`use_clock`), from one :class:`Snapshot` of the model taken under its ``lock``: the
headline figures, the charts and the town always show the same week. While playing, the clock
steps the model in a thread of its own and never waits for a frame: a page that draws slowly
skips to the latest week. The town's layout is computed once per model
(:class:`~solidarity_sim.viz.town_plots.TownPicture`); each frame only recolours it. The charts
are drawn by the browser (ECharts, which Solara ships), so a frame costs the server little more
than the town's picture.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import solara

from ..model.agents import Role
from ..model.calendar import WEEKS_PER_YEAR
from ..model.crises import ACTIVE as CRISIS_ACTIVE
from ..viz.town_plots import FOLDED, FORMAL, INFORMAL, ROLE_COLOURS, TownPicture, png
from .classroom import ClassroomModel, event_label
from .clock import Clock

CHART_PX = 160
"""Height of each chart: the three fit beside the town, above the fold of a 1280 x 720 screen."""


@dataclass(frozen=True)
class Snapshot:
    """What a frame shows, copied under the model's lock so that every view shows one week.

    Attributes:
        week: The week the next step simulates (the figures are of the week before).
        weeks: The horizon.
        ts: The weekly series so far.
        town: The town's changing layer (PNG).
        events: The interventions so far, in words.
        running: The model has weeks left.
        cut: Public spending is cut.
    """

    week: int
    weeks: int
    ts: pd.DataFrame
    town: bytes
    events: str
    running: bool
    cut: bool


def snapshot(model: ClassroomModel, picture: TownPicture) -> Snapshot:
    """Copy this week's state under the lock; draw the town's picture after releasing it."""
    with model.lock:
        picture.update(model.town)  # the picture's artists now hold copies of the arrays
        ts = model.datacollector.get_model_vars_dataframe()
        state = {"week": model.week, "weeks": model.p["weeks"], "running": model.running,
                 "cut": model.funding_cut,
                 "events": " · ".join(f"week {e.week}: {event_label(e)}" for e in model.events)}
    return Snapshot(ts=ts, town=png(picture.figure), **state)


@solara.component
def TownView(picture: TownPicture, snap: Snapshot):
    """The town picture of the snapshot's week."""
    with solara.Card("The town", classes=["ss-card"]), solara.Div(classes=["ss-town"]):
        solara.Image(picture.background, width="100%")
        solara.Image(snap.town, width="100%", classes=["ss-layer"])


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
        "grid": {"left": 56, "right": 16, "top": 52, "bottom": 34},
        "legend": {"top": 22, "textStyle": {"fontSize": 12}, "itemGap": 8},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(range(weeks)), "boundaryGap": False,
                  "name": "week", "nameLocation": "middle", "nameGap": 20,
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
def ChartView(snap: Snapshot, build: Callable[[pd.DataFrame, int], dict], title: str):
    """A chart of the weekly series so far, drawn by the browser (ECharts)."""
    option = solara.use_memo(lambda: build(snap.ts, snap.weeks) if len(snap.ts) else None,
                             [snap])
    with solara.Div(classes=["ss-chart"], attributes={"data-week": str(snap.week)}):
        if option is None:
            solara.Text(f"{title}: press ▶ or Step to start the clock.")
        else:
            option = {**option, "title": {"text": title, "left": 4, "top": 0,
                                          "textStyle": {"fontSize": 14}}}
            solara.FigureEcharts(option, attributes={"style": f"height: {CHART_PX}px; "
                                                              "width: 100%"},
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
def WeekView(model: ClassroomModel, clock: Clock, snap: Snapshot):
    """The week, its headline figures, and the buttons that act on the model now."""
    figures = headline(snap.ts.to_dict("list")) if snap.week else "&nbsp;<br>&nbsp;"
    actions = solara.use_memo(lambda: interventions(model, clock), [model, clock])
    running, cut = snap.running, snap.cut
    enabled = {"economic crisis": running, "pandemic crisis": running,
               "migration crisis": running, "cut funding": running and not cut,
               "restore funding": running and cut}

    title = " · ".join([model.spec.name, f"seed {model.seed}", *model.changes])
    with solara.Card(classes=["ss-now"]):
        with solara.Row(style={"align-items": "baseline", "gap": "16px"}):
            solara.Text(f"Week {snap.week} of {snap.weeks}", classes=["ss-week"])
            solara.Text(title, classes=["ss-title"])
        solara.HTML(unsafe_innerHTML=figures, classes=["ss-figures"],
                    attributes={"data-week": str(snap.week)})
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            for label, (colour, action) in actions.items():
                solara.Button(label, color=colour, outlined=True, on_click=action,
                              disabled=not enabled[label], small=True)
        if snap.events:
            solara.Text(snap.events, classes=["ss-events"])


def interventions(model: ClassroomModel,
                  clock: Clock) -> dict[str, tuple[str, Callable[[], None]]]:
    """Each button's label, colour and action on the model (the clock then redraws the page)."""
    def then_redraw(action: Callable[[], object]) -> Callable[[], None]:
        def act() -> None:
            action()
            clock.touch()
        return act

    return {**{f"{kind} crisis": ("error", then_redraw(lambda kind=kind: model.press(kind)))
               for kind in ("economic", "pandemic", "migration")},
            "cut funding": ("warning", then_redraw(model.cut_funding)),
            "restore funding": ("success", then_redraw(model.restore_funding))}


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
.ss-week { font-size: 1.8rem; font-weight: 600; color: #222; }
.ss-title { font-size: 1.05rem; color: #444; }
.ss-now { padding: 6px 14px !important; }
.ss-card .v-card__title { padding: 6px 14px; }
.ss-figures { font-size: 1.1rem; line-height: 1.5; margin-bottom: 6px; }
.ss-events { display: block; margin-top: 6px; color: #555; font-size: 1rem; }
.ss-guide p { font-size: 1rem; line-height: 1.5; }
.ss-town { position: relative; }
.ss-layer { position: absolute; top: 0; left: 0; }
"""


def use_clock(clock: Clock) -> int:
    """Redraw the calling view whenever ``clock`` counts a change; return its version.

    A thread per page waits on the clock and moves the page's version, which redraws the page
    in that thread; a page that draws slowly skips to the latest week.
    """
    version = solara.use_reactive(clock.version)

    def watch(cancel: threading.Event) -> None:
        seen = version.value
        while not cancel.is_set() and not clock.closed:
            now = clock.wait(seen, 0.5)
            if now != seen:
                seen = now
                version.value = now

    solara.use_thread(watch, dependencies=[clock], intrusive_cancel=False)
    return version.value


@solara.component
def Dashboard(model: ClassroomModel, clock: Clock):
    """The main area: the week and its buttons, the town, three charts, and the guide."""
    version = use_clock(clock)
    picture = solara.use_memo(lambda: TownPicture(model.town, model.seed), [model])
    snap = solara.use_memo(lambda: snapshot(model, picture), [picture, version])
    solara.Style(CSS)
    with solara.Column(gap="8px", style={"padding": "8px"}):
        WeekView(model, clock, snap)
        with solara.Columns([5, 7], gutters_dense=True):
            TownView(picture, snap)
            with solara.Column(gap="4px"):
                ChartView(snap, volunteering_chart, "Volunteering")
                ChartView(snap, need_chart, "Material need")
                ChartView(snap, organisations_chart, "Civil-society organisations")
        GuideView()
