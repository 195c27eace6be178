"""The end of a shared lesson: which practices went with which results, and the lesson's export.

:func:`results_by_cso` puts each CSO's average plan beside its results; :func:`practice_links`
says, practice by practice, how the CSOs that spent more on it fared (a correlation across the
class's CSOs: what went together in this lesson, not a measured effect). :func:`export` writes
the whole lesson for the next one: Parquet tables, the choices of each CSO by month and a
self-contained HTML report.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.parameters import FACTORS
from ..results.run_result import events_table
from ..viz.report import CSS
from ..viz.run_plots import overview
from .classroom import FACTOR_LABELS
from .lesson import BUDGET, MAX_POINTS, Lesson

RESULTS = {
    "volunteers": "volunteers at the end",
    "tiredness": "average tiredness (%)",
    "recognition": "recognition at the end",
    "help": "help given (need units)",
    "money": "money at the end (€)",
}
"""Each CSO's results in the debrief, and their column titles."""


def points(factor: str) -> str:
    """The debrief table's column of the average points spent on ``factor``."""
    return f"points_{factor}"


def results_by_cso(lesson: Lesson) -> pd.DataFrame:
    """One row per CSO: its student, average points per practice, and its results.

    The points are in columns ``points_<practice>`` (a practice and a result may share a name).
    Results: volunteers and recognition in the last week, the average tiredness of its
    volunteers over the lesson, the need it met over the lesson, and its money at the end.
    """
    weekly, choices = lesson.weekly_table(), lesson.choices_table()
    if weekly.empty:
        return pd.DataFrame(columns=["cso", "student", *map(points, FACTORS), *RESULTS])
    last = weekly[weekly["week"] == weekly["week"].max()].set_index("cso")
    by_cso = weekly.groupby("cso")
    table = pd.DataFrame({
        "student": last["student"],
        **choices.groupby("cso")[list(FACTORS)].mean().rename(columns=points),
        "volunteers": last["volunteers"],
        "tiredness": 100 * by_cso["tiredness"].mean(),
        "recognition": last["recognition"],
        "help": by_cso["help"].sum(),
        "money": last["money"],
    })
    return table.reset_index()


def practice_links(table: pd.DataFrame) -> pd.DataFrame:
    """Correlation across CSOs of the points spent on each practice with each result.

    Rows are practices, columns results; a cell is missing where a practice or a result did
    not vary between CSOs (or fewer than three CSOs had a student).
    """
    links = pd.DataFrame(index=list(FACTORS), columns=list(RESULTS), dtype=float)
    if len(table) >= 3:
        for f in FACTORS:
            for r in RESULTS:
                x, y = table[points(f)].to_numpy(float), table[r].to_numpy(float)
                ok = ~(np.isnan(x) | np.isnan(y))
                if ok.sum() >= 3 and x[ok].std() > 0 and y[ok].std() > 0:
                    links.loc[f, r] = np.corrcoef(x[ok], y[ok])[0, 1]
    return links


def link_words(r: float) -> str:
    """A correlation in a teacher's words."""
    if np.isnan(r):
        return "–"
    strength = "strongly" if abs(r) >= 0.6 else "somewhat" if abs(r) >= 0.3 else "hardly"
    sign = "" if strength == "hardly" else (" more" if r > 0 else " less")
    return f"{r:+.2f} {strength}{sign}"


def _html_table(frame: pd.DataFrame, formats: dict[str, str]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            fmt = formats.get(column)
            text = value if fmt is None or pd.isna(value) else format(value, fmt)
            cells.append(f"<td>{escape(str('–' if pd.isna(text) else text))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def report_html(lesson: Lesson, table: pd.DataFrame, links: pd.DataFrame,
                timeseries: pd.DataFrame) -> str:
    """The lesson's report: results by CSO, practices and results, events, the town's charts."""
    figure = overview(timeseries, title=f"The town of lesson {lesson.code}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    image = base64.b64encode(buffer.getvalue()).decode()
    shown = table.rename(columns={**{points(f): label for f, label in FACTOR_LABELS.items()},
                                  **RESULTS, "cso": "CSO"})
    shown["CSO"] = shown["CSO"] + 1
    words = links.map(link_words).rename(index=FACTOR_LABELS, columns=RESULTS)
    words.insert(0, "practice", words.index)
    events = " · ".join(f"week {e.week}: {escape(e.describe())}"
                        for e in lesson.model.events if e.kind != "practice") or "none"
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Lesson {lesson.code}</title><style>{CSS}</style></head><body>
<h1>Lesson {lesson.code}: every student ran a CSO</h1>
<p class="meta">{len(lesson.joined())} students, {len(lesson.seats)} CSOs, weeks 0 to
{lesson.week - 1}; written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Effort points:
{lesson_budget_words()}.</p>
<h2>Results of each CSO</h2>
<p>Practices: the average points the CSO spent on each practice per month.</p>
{_html_table(shown, {label: ".1f" for label in FACTOR_LABELS.values()}
             | {RESULTS["tiredness"]: ".0f", RESULTS["recognition"]: ".2f",
                RESULTS["help"]: ",.0f", RESULTS["money"]: ",.0f"})}
<h2>Which practices went with which results</h2>
<p>Correlation across the class's CSOs between the points spent on a practice and a result: +1,
the CSOs that spent more on it always did better on that result; 0, no relation; −1, always
worse. It says what went together in this lesson, not what caused what: other choices, the
neighbourhoods and chance differ between CSOs.</p>
{_html_table(words, {})}
<h2>The teacher's interventions</h2><p>{events}</p>
<h2>The town</h2><img alt="the town's volunteering, need, organisations and recognition"
src="data:image/png;base64,{image}">
</body></html>
"""


def lesson_budget_words() -> str:
    """The effort-point rule in one phrase."""
    return (f"{BUDGET} a month across the eight practices, at most {MAX_POINTS} on one; "
            f"a practice's level is its points / {MAX_POINTS}")


def export(lesson: Lesson, folder: str | Path) -> Path:
    """Write the whole lesson to ``folder``: tables, choices by month, and ``report.html``.

    Files: ``timeseries.parquet`` (the town, week by week), ``csos_weekly.parquet`` (each CSO,
    week by week), ``choices.parquet`` (each CSO's plan by month), ``events.parquet`` (every
    intervention, the plans included), ``results.csv`` (the debrief table) and ``report.html``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with lesson.lock:
        timeseries = lesson.model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        events = events_table(lesson.model.events)
    lesson.weekly_table().to_parquet(folder / "csos_weekly.parquet", index=False)
    lesson.choices_table().to_parquet(folder / "choices.parquet", index=False)
    timeseries.to_parquet(folder / "timeseries.parquet", index=False)
    events.to_parquet(folder / "events.parquet", index=False)
    table = results_by_cso(lesson)
    table.to_csv(folder / "results.csv", index=False)
    html = report_html(lesson, table, practice_links(table), timeseries)
    (folder / "report.html").write_text(html, encoding="utf-8")
    return folder
