"""The shared lesson without a browser: the town, seats and tokens, plans, the clock, the export."""

from __future__ import annotations

import copy
import gc
import threading
import weakref

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.app.debrief import export, practice_links, results_by_cso
from solidarity_sim.app.lesson import (
    BUDGET,
    MAX_POINTS,
    Classroom,
    Lesson,
    LessonError,
    check_plan,
    lesson_town,
    month_of,
    month_start,
    plan_from_levels,
    plan_week,
)
from solidarity_sim.model.csos import F
from solidarity_sim.model.parameters import FACTORS
from solidarity_sim.model.scenario import Scenario, load_scenario
from solidarity_sim.model.solidarity_model import SolidarityModel

STUDENTS = 3


def even(**changes) -> dict[str, int]:
    return {**dict.fromkeys(FACTORS, BUDGET // len(FACTORS)), **changes}


def replay(lesson: Lesson) -> pd.DataFrame:
    """The same town run with every event of the lesson scheduled in its scenario."""
    params = copy.deepcopy(lesson.model.spec.params)
    params["events"] = [e.as_table() for e in lesson.model.events]
    model = SolidarityModel(Scenario(params), rng=lesson.model.seed)
    model.run(lesson.week)
    return model.datacollector.get_model_vars_dataframe()


def test_the_town_is_the_default_scenario_with_one_cso_per_student():
    lesson = Lesson("TEST", STUDENTS, seed=1)
    assert len(lesson.model.cso_table) == len(lesson.seats) == STUDENTS
    assert lesson.model.spec.params == load_scenario("baseline", lesson_town(STUDENTS)).params
    assert set(lesson_town(STUDENTS)) == {"population.citizens"}
    with pytest.raises(LessonError, match="class size 0 is not allowed"):
        Lesson("TEST", 0)


def test_months_of_the_lesson_cover_a_year_of_52_weeks():
    starts = [month_start(m) for m in range(13)]
    assert starts == [0, 5, 9, 13, 18, 22, 26, 31, 35, 39, 44, 48, 52]
    assert all(month_of(w) == m for m in range(12) for w in range(starts[m], starts[m + 1]))
    assert [plan_week(w) for w in (0, 1, 4, 5, 6, 52)] == [0, 5, 5, 5, 9, 52]


def test_a_plan_spends_at_most_the_budget_in_whole_points():
    assert check_plan(even(meaning=MAX_POINTS, democracy=0)) == even(meaning=10, democracy=0)
    with pytest.raises(LessonError, match="spends 41 points; the budget is 40"):
        check_plan(even(meaning=6))
    with pytest.raises(LessonError, match="meaning: 11 points is not allowed"):
        check_plan(even(meaning=11, democracy=0))
    with pytest.raises(LessonError, match="meaning: 2.5 points"):
        check_plan(even(meaning=2.5))
    with pytest.raises(LessonError, match="each of the eight practices"):
        check_plan({"meaning": 5})
    drawn = plan_from_levels(np.array([0.9, 0.9, 0.8, 0.6, 0.5, 0.5, 0.4, 0.3]))
    assert list(drawn.values()) == [5, 6, 6, 6, 5, 5, 4, 3]  # 49 points, trimmed from the top


def test_seats_tokens_and_refusals():
    lesson = Lesson("TEST", 2)
    ana, bo = lesson.join("  Ana  "), lesson.join("Bo")
    assert (ana.name, ana.cso, bo.cso) == ("Ana", 0, 1) and ana.token != bo.token
    assert lesson.seat(ana.token) is ana and lesson.seat("guess") is None
    with pytest.raises(LessonError, match="the lesson is full"):
        lesson.join("Cy")
    with pytest.raises(LessonError, match="a name of 1 to 24 characters"):
        lesson.join("   ")
    with pytest.raises(LessonError, match="not a student's of the running lesson"):
        lesson.choose("guess", even())


def test_a_plan_changes_its_own_cso_from_the_next_month_and_no_other():
    lesson, same = Lesson("TEST", STUDENTS, seed=2), Lesson("SAME", STUDENTS, seed=2)
    ana = lesson.join("Ana")
    lesson.clock.step()  # month 0 has started with the drawn plans
    start = lesson.model.cso_table.factors.copy()
    lesson.choose(ana.token, even(meaning=MAX_POINTS, democracy=0))
    for _ in range(month_start(1) - 1):
        lesson.clock.step()
    assert np.array_equal(lesson.model.cso_table.factors, start)  # not before month 1
    lesson.clock.step()
    factors = lesson.model.cso_table.factors
    assert factors[ana.cso, F["meaning"]] == 1.0 and factors[ana.cso, F["democracy"]] == 0.0
    assert np.array_equal(factors[1:], start[1:])
    practice = [e for e in lesson.model.events if e.kind == "practice" and e.week > 0]
    assert [(e.week, e.detail["cso"]) for e in practice] == [(month_start(1), ana.cso)]
    for _ in range(lesson.week):
        same.clock.step()
    ts = lesson.model.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(ts.iloc[:month_start(1)],
                                  same.model.datacollector.get_model_vars_dataframe().iloc[
                                      :month_start(1)])
    choices = lesson.choices_table()
    assert len(choices) == 2 * STUDENTS and list(choices["month"]) == [0] * 3 + [1] * 3
    assert choices.iloc[3][["student", "meaning", "democracy"]].tolist() == ["Ana", 10, 0]


def test_play_and_students_never_act_inside_a_week():
    """Plans and the teacher's buttons, sent while the clock plays, land between weeks: the run
    equals the town whose scenario schedules the same events from the start."""
    lesson = Lesson("TEST", STUDENTS, seed=3)
    seats = [lesson.join(f"S{i}") for i in range(STUDENTS)]
    lesson.clock.set_speed(8.0)
    lesson.clock.play(until=40)

    def fiddle(seat, factor):
        for k in range(30):
            lesson.choose(seat.token, even(**{factor: 5 + k % 6, "democracy": 5 - k % 6}))

    workers = [threading.Thread(target=fiddle, args=(s, f))
               for s, f in zip(seats, ("meaning", "awareness", "scalability"), strict=True)]
    for w in workers:
        w.start()
    lesson.clock.wait(lesson.version, 1.0)
    lesson.intervene("economic")
    lesson.intervene("cut funding")
    for w in workers:
        w.join()
    while lesson.clock.playing:
        lesson.clock.wait(lesson.version, 1.0)
    assert lesson.week == 40
    pd.testing.assert_frame_equal(lesson.model.datacollector.get_model_vars_dataframe(),
                                  replay(lesson))
    with pytest.raises(LessonError, match="unknown action 'flood'"):
        lesson.intervene("flood")


def test_ending_a_lesson_frees_its_town_and_the_classroom_holds_a_bounded_number():
    classroom = Classroom("TEACHER1", "http://localhost:8765/", limit=2)
    first = classroom.start(STUDENTS)
    classroom.start(1)
    with pytest.raises(LessonError, match="already runs 2 lessons: end one first"):
        classroom.start(1)
    assert classroom.find(first.code.lower()) is first
    seat = first.join("Ana")
    assert classroom.find_student(seat.token) == (first, seat)
    town = weakref.ref(first.model)
    first.clock.play()
    classroom.end(first.code)
    gc.collect()
    assert town() is None and first.ended and not first.clock.playing
    assert classroom.find(first.code) is None and classroom.find_student(seat.token) is None
    classroom.start(1)  # room again
    assert classroom.is_teacher(" teacher1 ") and not classroom.is_teacher("TEACHER2")


def test_debrief_links_practices_to_results_and_export_writes_the_lesson(tmp_path):
    lesson = Lesson("TEST", 4, seed=4)
    seats = [lesson.join(n) for n in ("Ana", "Bo", "Cy", "Di")]
    for k, seat in enumerate(seats):
        lesson.choose(seat.token, even(meaning=2 + 2 * k, democracy=8 - 2 * k))
    lesson.intervene("pandemic")
    for _ in range(month_start(3)):
        lesson.clock.step()
    table = results_by_cso(lesson)
    assert list(table["student"]) == ["Ana", "Bo", "Cy", "Di"]
    assert list(table["points_meaning"]) == [2, 4, 6, 8]
    assert list(table["points_recognition"]) == [5] * 4  # not the recognition result
    assert 0 < table["recognition"].min() < 1
    links = practice_links(table)
    assert links.loc["meaning", "volunteers"] == pytest.approx(
        np.corrcoef(table["points_meaning"], table["volunteers"])[0, 1])
    assert links.loc["recognition"].isna().all()  # every CSO spent the same on it
    assert links.loc["democracy", "volunteers"] == pytest.approx(
        -links.loc["meaning", "volunteers"])
    assert links.loc["pluralism"].isna().all()  # every CSO spent the same on it
    assert practice_links(table.iloc[:2]).isna().all().all()

    folder = export(lesson, tmp_path / "lesson")
    choices = pd.read_parquet(folder / "choices.parquet")
    assert len(choices) == 3 * 4 and set(choices["month"]) == {0, 1, 2}
    weekly = pd.read_parquet(folder / "csos_weekly.parquet")
    assert len(weekly) == 4 * lesson.week and weekly["student"].iloc[0] == "Ana"
    assert len(pd.read_parquet(folder / "timeseries.parquet")) == lesson.week
    events = pd.read_parquet(folder / "events.parquet")
    assert "pandemic crisis" in set(events["what"])
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Which practices went with which results" in html and "Ana" in html
    assert "data:image/png;base64," in html and "http" not in html.replace("https://", "")
