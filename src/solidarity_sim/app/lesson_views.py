"""The shared lesson's views: the student's CSO and plan, the projector, and the debrief.

Every view is redrawn when its lesson changes (:func:`use_clock`: a thread per page waits on the
lesson's :class:`~.clock.Clock`, so a page learns of a new week as soon as it is simulated) and
copies what it shows under the town's lock. The data attributes ``data-week`` and
``data-stepped-at`` (the server's clock when the week ended, in ms) let a browser measure how
long a week takes to reach the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import segno
import solara

from ..model.parameters import FACTORS
from ..viz.town_plots import TownPicture, png
from .classroom import CLASSROOM_CRISES, FACTOR_LABELS, event_label
from .debrief import RESULTS, export, link_words, practice_links, results_by_cso
from .lesson import (
    BUDGET,
    MAX_POINTS,
    PRACTICE_HINTS,
    SPEEDS,
    Lesson,
    LessonError,
    Seat,
    month_of,
    month_start,
    plan_week,
)
from .views import use_clock

CSS = """
.ss-card { padding: 10px 14px; }
.ss-big { font-size: 1.9rem; font-weight: 600; color: #222; }
.ss-code { font-size: 2.4rem; font-weight: 700; letter-spacing: 0.2em; color: #1f3a93; }
.ss-url { font-size: 1.25rem; }
.ss-alert { background: #fde9d9; border-left: 6px solid #c44e52; padding: 6px 12px;
            font-size: 1.1rem; margin: 4px 0; display: block; }
.ss-figure { display: inline-block; margin: 4px 18px 4px 0; }
.ss-figure b { display: block; font-size: 1.6rem; }
.ss-figure span { color: #555; }
.ss-plan td { padding: 2px 6px; font-size: 1.05rem; }
.ss-points { font-size: 1.3rem; font-weight: 600; min-width: 1.6em; text-align: center; }
.ss-hint { color: #666; font-size: 0.9rem; }
.ss-table { border-collapse: collapse; font-size: 1.02rem; width: 100%; }
.ss-table th, .ss-table td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right; }
.ss-total th { background: #eef2f8; }
.ss-table th:nth-child(-n+2), .ss-table td:nth-child(-n+2) { text-align: left; }
.ss-debrief td, .ss-debrief th { font-size: 0.95rem; }
.ss-error { color: #b00020; font-size: 1.1rem; display: block; }
"""


def week_line(lesson: Lesson) -> str:
    """``Week 12 of 520 · month 3``."""
    week = lesson.week
    return f"Week {week} of {lesson.weeks} · month {month_of(week) + 1}"


@solara.component
def WeekHeader(lesson: Lesson, title: str, version: int):
    """The title, the week, and the teacher's crises and funding changes so far.

    ``version`` (the lesson's, as every view takes it) changes when the view must be redrawn.
    """
    with lesson.lock:
        line = week_line(lesson)
        news = [f"Week {e.week}: {event_label(e)}" for e in lesson.model.events
                if e.kind != "practice"] if lesson.model is not None else []
    stamp = {"data-week": str(lesson.week), "data-stepped-at": f"{lesson.stepped_at * 1000:.0f}"}
    with solara.Column(gap="2px"):
        solara.HTML(tag="div", unsafe_innerHTML=f"{title}", classes=["ss-big"])
        solara.HTML(tag="div", unsafe_innerHTML=line, classes=["ss-week"], attributes=stamp)
        for item in news[-3:]:
            solara.HTML(tag="div", unsafe_innerHTML=item, classes=["ss-alert"])


def cso_figures(lesson: Lesson, cso: int) -> dict[str, str]:
    """This week's figures of one CSO, formatted (``–`` before the first week)."""
    with lesson.lock:
        rows = [r for r in lesson.weekly[-len(lesson.seats):] if r["cso"] == cso]
    if not rows:
        return dict.fromkeys(["volunteers", "tiredness", "recognition", "help", "money"], "–")
    r = rows[0]
    tired = "–" if np.isnan(r["tiredness"]) else f"{r['tiredness']:.0%}"
    return {"volunteers": f"{r['volunteers']:,}", "tiredness": tired,
            "recognition": f"{r['recognition']:.2f}", "help": f"{r['help']:,.0f}",
            "money": f"€{r['money']:,.0f}"}


DEBRIEF_HEADS = ("volunteers at the end", "tiredness", "recognition", "help given", "money")
"""The debrief's column titles, short enough for a projector (:data:`~.debrief.RESULTS`)."""

SMALL_BUTTON = {"min-width": "44px", "padding": "0 8px"}

FIGURE_LABELS = {
    "volunteers": "volunteers",
    "tiredness": "tiredness of your volunteers",
    "recognition": "recognition (0 to 1)",
    "help": "help given (need units this week)",
    "money": "money",
}


@solara.component
def StudentView(lesson: Lesson, seat: Seat):
    """A student's page: their CSO this week and their plan for next month."""
    version = use_clock(lesson.clock)
    solara.Style(CSS)
    if lesson.ended:
        solara.Text("The lesson has ended. Thank you!", classes=["ss-big"])
        return
    with solara.Column(gap="10px", style={"padding": "10px", "max-width": "760px"}):
        WeekHeader(lesson, f"{seat.name} runs CSO {seat.cso + 1}", version)
        MyCso(lesson, seat, version)
        PlanEditor(lesson, seat, plan_week(lesson.week), tuple(seat.plan.values()))


@solara.component
def MyCso(lesson: Lesson, seat: Seat, version: int):
    """The student's CSO this week."""
    with solara.Card("Your CSO this week", classes=["ss-card", "ss-mine"]):
        if not lesson.model.cso_table.active[seat.cso]:
            solara.Text("Your CSO has closed: no volunteers and no money left.",
                        classes=["ss-error"])
        figures = cso_figures(lesson, seat.cso)
        solara.HTML(tag="div", unsafe_innerHTML="".join(
            f'<div class="ss-figure ss-{k}"><b>{figures[k]}</b><span>{label}</span></div>'
            for k, label in FIGURE_LABELS.items()))


@solara.component
def PlanEditor(lesson: Lesson, seat: Seat, start: int, points: tuple[int, ...]):
    """The month's effort points: a − and a + per practice, and the points left.

    It is redrawn only when the plan or the week it takes effect changes (``start``,
    ``points``), not every week: thirty students' pages redraw less each week.
    """
    error = solara.use_reactive("")
    plan = dict(zip(FACTORS, points, strict=True))
    left = BUDGET - sum(plan.values())

    def change(factor: str, by: int) -> Callable[[], None]:
        def act() -> None:
            try:
                lesson.choose(seat.token, {**seat.plan, factor: seat.plan[factor] + by})
                error.value = ""
            except LessonError as err:
                error.value = str(err)
        return act

    with solara.Card(f"Your plan from week {start} (month {month_of(start) + 1})",
                     classes=["ss-card", "ss-plan"]):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<b class='ss-left'>{left}</b> of {BUDGET} effort points left this month. "
            f"Each point is a tenth of a practice's level; the plan takes effect at the start "
            f"of a month."))
        for f in FACTORS:
            with solara.Row(gap="6px", style={"align-items": "center",
                                              "border-top": "1px solid #eee"}):
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f"<b>{FACTOR_LABELS[f]}</b><br><span class='ss-hint'>{PRACTICE_HINTS[f]}"
                    f"</span>"), style={"flex": "1"})
                solara.Button("−", on_click=change(f, -1), disabled=plan[f] == 0,
                              outlined=True, classes=[f"ss-less-{f}"], style=SMALL_BUTTON)
                solara.HTML(tag="span", unsafe_innerHTML=str(plan[f]),
                            classes=["ss-points", f"ss-points-{f}"])
                solara.Button("+", on_click=change(f, +1),
                              disabled=plan[f] == MAX_POINTS or left == 0, outlined=True,
                              classes=[f"ss-more-{f}"], style=SMALL_BUTTON)
        if error.value:
            solara.Text(error.value, classes=["ss-error"])


def qr_png(url: str) -> bytes:
    """A QR code of ``url`` (PNG)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=7, border=2)
    return buffer.getvalue()


@solara.component
def JoinCard(lesson: Lesson, join_url: str, joined: int):
    """Where students join: the address, the code and a QR code that carries both."""
    url = f"{join_url}?code={lesson.code}"
    qr = solara.use_memo(lambda: qr_png(url), [url])
    with solara.Card("Join the lesson", classes=["ss-card"]):
        with solara.Row(gap="16px", style={"align-items": "center"}):
            solara.Image(qr, width="170px")
            with solara.Column(gap="4px"):
                solara.HTML(tag="div", unsafe_innerHTML=f"Open <b>{join_url}</b>",
                            classes=["ss-url"])
                solara.HTML(tag="div", unsafe_innerHTML="and enter the code")
                solara.HTML(tag="div", unsafe_innerHTML=lesson.code, classes=["ss-code"])
                solara.Text(f"{joined} of {len(lesson.seats)} students joined")


@solara.component
def TeacherClock(lesson: Lesson, playing: bool, running: bool, week: int, speed: float):
    """Play, pause, a week, to the next month, the speed, and a week to stop at."""
    clock = lesson.clock
    next_month = month_start(month_of(week) + 1)
    stop_at = solara.use_reactive(0)
    idle = playing or not running
    with solara.Card("The town's clock", classes=["ss-card"]):
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            if playing:
                solara.Button("❚❚ Pause", on_click=clock.pause, color="primary")
            else:
                solara.Button("▶ Play", on_click=clock.play, disabled=not running,
                              color="primary")
            solara.Button("+1 week", on_click=clock.step, disabled=idle)
            solara.Button(f"to week {next_month}", on_click=lambda: clock.play(next_month),
                          disabled=idle)
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.Select("Weeks a second", values=list(SPEEDS), value=speed,
                          on_value=clock.set_speed, style={"max-width": "130px"})
            solara.InputInt("Stop at week", value=stop_at, style={"max-width": "110px"})
            solara.Button("play to it", on_click=lambda: clock.play(stop_at.value),
                          disabled=idle or stop_at.value <= week, text=True)


@solara.component
def TeacherActions(lesson: Lesson, running: bool, cut: bool):
    """The crisis and funding buttons: they act on the town now."""
    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        for kind in CLASSROOM_CRISES:
            solara.Button(f"{kind} crisis", color="error", outlined=True, small=True,
                          on_click=lambda kind=kind: lesson.intervene(kind),
                          disabled=not running)
        solara.Button("cut funding", color="warning", outlined=True, small=True,
                      on_click=lambda: lesson.intervene("cut funding"),
                      disabled=cut or not running)
        solara.Button("restore funding", color="success", outlined=True, small=True,
                      on_click=lambda: lesson.intervene("restore funding"),
                      disabled=not cut or not running)


def class_table(lesson: Lesson) -> str:
    """Every CSO's figures side by side under the class's totals, as an HTML table.

    The totals add up volunteers, help and money; tiredness is the average over all the CSOs'
    volunteers and recognition the average over the CSOs.
    """
    with lesson.lock:
        last = list(lesson.weekly[-len(lesson.seats):])
        seats = list(lesson.seats)
    rows = []
    for seat in seats:
        figures = cso_figures(lesson, seat.cso)
        rows.append(f"<tr><td>{seat.cso + 1}</td><td>{seat.name or '–'}</td>"
                    + "".join(f"<td>{figures[k]}</td>" for k in FIGURE_LABELS) + "</tr>")
    cells = ["", "all CSOs"]
    if last:
        volunteers = sum(r["volunteers"] for r in last)
        tired = sum(r["volunteers"] * np.nan_to_num(r["tiredness"]) for r in last)
        cells += [f"{volunteers:,}", f"{tired / max(volunteers, 1):.0%}",
                  f"{np.mean([r['recognition'] for r in last]):.2f}",
                  f"{sum(r['help'] for r in last):,.0f}",
                  f"€{sum(r['money'] for r in last):,.0f}"]
    total = "<tr class='ss-total'>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>"
    head = "".join(f"<th>{t}</th>" for t in ("CSO", "student", "volunteers", "tiredness",
                                             "recognition", "help", "money"))
    return f"<table class='ss-table'><tr>{head}</tr>{total}{''.join(rows)}</table>"


def town_figures(lesson: Lesson) -> str:
    """The town's headline figures this week."""
    with lesson.lock:
        series = lesson.model.datacollector.model_vars
        if not series.get("week"):
            return "The town starts when the teacher presses ▶ Play or +1 week."
        last = {name: values[-1] for name, values in series.items()}
    return (f"<b>{last['volunteers']:,}</b> volunteers ({last['volunteer_share']:.0%} of "
            f"citizens) · unmet need <b>{last['unmet_need']:,.0f}</b> units a week · "
            f"<b>{last['csos_active']}</b> CSOs and groups active")


@solara.component
def TownImage(lesson: Lesson, version: int):
    """The town picture of this week (see :class:`~solidarity_sim.viz.town_plots.TownPicture`)."""
    picture = solara.use_memo(lambda: TownPicture(lesson.model.town, lesson.model.seed),
                              [lesson])

    def draw() -> bytes:
        with lesson.lock:
            picture.update(lesson.model.town)
        return png(picture.figure)

    image = solara.use_memo(draw, [picture, lesson.week])
    with solara.Div(classes=["ss-town"]):
        solara.Image(picture.background, width="100%")
        solara.Image(image, width="100%", classes=["ss-layer"])


@solara.component
def ProjectorView(lesson: Lesson, join_url: str, on_end: Callable[[], None],
                  out_folder: str):
    """The teacher's page: join card, clock, buttons, every CSO side by side, the debrief."""
    version = use_clock(lesson.clock)
    solara.Style(CSS)
    tab = solara.use_reactive(0)
    if lesson.ended:
        solara.Text("This lesson has ended.", classes=["ss-big"])
        return
    clock, model = lesson.clock, lesson.model
    with solara.Column(gap="8px", style={"padding": "8px"}):
        with solara.ColumnsResponsive(12, large=[4, 8]):
            with solara.Column(gap="8px"):
                JoinCard(lesson, join_url, len(lesson.joined()))
                TeacherClock(lesson, clock.playing, model.running, lesson.week, clock.speed)
            with solara.Column(gap="6px"):
                WeekHeader(lesson, f"Lesson {lesson.code}: {len(lesson.seats)} CSOs, one town",
                           version)
                TeacherActions(lesson, model.running, model.funding_cut)
                solara.HTML(tag="div", unsafe_innerHTML=town_figures(lesson),
                            classes=["ss-figures"])
                with solara.lab.Tabs(value=tab):  # only the open tab is drawn, week by week
                    with solara.lab.Tab("Class"):
                        if tab.value == 0:
                            solara.HTML(tag="div", unsafe_innerHTML=class_table(lesson))
                    with solara.lab.Tab("Town"):
                        if tab.value == 1:
                            TownImage(lesson, version)
                    with solara.lab.Tab("Debrief"):
                        if tab.value == 2:
                            Debrief(lesson, out_folder, on_end, version)


@solara.component
def Debrief(lesson: Lesson, out_folder: str, on_end: Callable[[], None], version: int):
    """Which practices went with which results; export the lesson; end it."""
    written = solara.use_reactive("")
    table = results_by_cso(lesson)
    links = practice_links(table[table["student"] != ""])
    cells = "".join(
        f"<tr><td>{FACTOR_LABELS[f]}</td>"
        + "".join(f"<td>{link_words(links.loc[f, r])}</td>" for r in RESULTS) + "</tr>"
        for f in FACTORS)
    head = "".join(f"<th>{t}</th>" for t in ("more points on", *DEBRIEF_HEADS))
    solara.Text("Across the CSOs run by students: did those that spent more on a practice "
                    "do better? (+1: always, 0: no relation, −1: always worse; what went "
                    "together, not proof of cause.)")
    solara.HTML(tag="div", unsafe_innerHTML=f"<table class='ss-table ss-debrief'><tr>{head}"
                                            f"</tr>{cells}</table>")

    def save() -> None:
        written.value = str(export(lesson, f"{out_folder}/lesson-{lesson.code}"))

    with solara.Row(gap="8px", style={"margin-top": "10px"}):
        solara.Button("Export the lesson", on_click=save, color="primary", outlined=True)
        solara.Button("End the lesson", on_click=on_end, color="error", outlined=True)
    if written.value:
        solara.Text(f"Written to {written.value}/ (report.html, Parquet tables, choices by "
                    "month)")
