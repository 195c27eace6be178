"""The shared lesson in Chromium: a teacher and five students, each in a browser context.

``solidarity-sim classroom`` runs on a free loopback port; the teacher logs in with the teacher
code, starts a lesson for five students and plays three months; the students join from the
join address (as the QR code gives it). Every wait is on a condition with a time limit;
screenshots go to ``test-artifacts/lesson/``. How fast a week reaches thirty students' pages is
measured by ``benchmarks/lesson_load.py``, not asserted here.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from solidarity_sim.app.lesson import month_start
from tests.helpers import ROOT, TIMEOUT_MS, running_server

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "lesson"
TEACHER_CODE = "TEACH42"
STUDENTS = 5
MONTHS = 3


@pytest.fixture(scope="module")
def lesson_server(tmp_path_factory):
    out = tmp_path_factory.mktemp("lessons")
    with running_server(["classroom", "--teacher-code", TEACHER_CODE, "--out", str(out)],
                        ARTIFACTS, path="teacher") as (url, printed):
        yield url, out, printed


def page(browser, url: str, width: int = 412, height: int = 915):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(url)
    return tab


def wait_week(tab, week: int) -> None:
    tab.locator(f".ss-week[data-week='{week}']").wait_for()


def join(browser, url: str, code: str, name: str):
    tab = page(browser, f"{url}?code={code}")
    tab.get_by_label("Your name").fill(name)
    tab.get_by_role("button", name="Join").click()
    tab.get_by_text(f"{name} runs CSO").wait_for()
    return tab


def points(tab, practice: str) -> int:
    return int(tab.locator(f".ss-points-{practice}").inner_text())


def test_a_teacher_and_five_students_play_three_months(browser, lesson_server):
    url, out, printed = lesson_server
    assert f"teacher code {TEACHER_CODE}" in printed and f"students: open {url}".replace(
        "127.0.0.1", "localhost") in printed

    teacher = page(browser, url + "teacher", 1280, 720)
    teacher.get_by_label("Teacher code").fill("WRONG1")
    teacher.get_by_role("button", name="Open").click()
    teacher.get_by_text("That is not the teacher code").wait_for()
    teacher.get_by_label("Teacher code").fill(TEACHER_CODE.lower())
    teacher.get_by_role("button", name="Open").click()
    teacher.get_by_label("Students (1 to 40)").fill(str(STUDENTS))
    teacher.get_by_label("Students (1 to 40)").press("Enter")
    teacher.get_by_role("button", name="Start the lesson").click()
    code = teacher.locator(".ss-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}", code)

    stranger = page(browser, url + "?code=ZZZZ" if code != "ZZZZ" else url + "?code=YYYY")
    stranger.get_by_label("Your name").fill("Eve")
    stranger.get_by_role("button", name="Join").click()
    stranger.get_by_text("No lesson has the code").wait_for()
    stranger.goto(url + "play?token=not-a-token")
    stranger.get_by_text("This link is not a student's of a running lesson").wait_for()

    students = [join(browser, url, code, f"S{i + 1}") for i in range(STUDENTS)]
    teacher.get_by_text(f"{STUDENTS} of {STUDENTS} students joined").wait_for()

    teacher.get_by_role("button", name="+1 week").click()
    for tab in students:
        wait_week(tab, 1)
    # S1 moves two points from democracy to care (meaning), for month 2 on
    first = students[0]
    first.get_by_text(f"Your plan from week {month_start(1)} (month 2)").wait_for()
    start = {p: points(first, p) for p in ("democracy", "meaning")}
    left = int(first.locator(".ss-left").inner_text())
    for _ in range(2):
        first.locator(".ss-less-democracy").click()
    first.locator(".ss-left").filter(has_text=re.compile(f"^{left + 2}$")).wait_for()
    for _ in range(2):
        first.locator(".ss-more-meaning").click()
    first.locator(".ss-left").filter(has_text=re.compile(f"^{left}$")).wait_for()

    teacher.get_by_role("button", name=f"to week {month_start(1)}").click()
    for tab in students:
        wait_week(tab, month_start(1))
    teacher.get_by_role("button", name="economic crisis").click()
    for tab in students:  # the crisis reaches every student's page
        tab.get_by_text(f"Week {month_start(1)}: economic crisis").wait_for()

    first.reload()  # a reload brings S1 back to their CSO and plan
    first.get_by_text("S1 runs CSO 1").wait_for()
    assert points(first, "meaning") == start["meaning"] + 2
    assert points(first, "democracy") == start["democracy"] - 2

    teacher.get_by_label("Stop at week").fill(str(month_start(MONTHS)))
    teacher.get_by_label("Stop at week").press("Enter")
    teacher.get_by_role("button", name="play to it").click()
    for tab in students:
        wait_week(tab, month_start(MONTHS))
    teacher.screenshot(path=ARTIFACTS / "teacher.png")
    students[1].screenshot(path=ARTIFACTS / "student.png", full_page=True)

    teacher.get_by_role("tab", name="Debrief").click()
    teacher.get_by_role("button", name="Export the lesson").click()
    teacher.get_by_text("Written to").wait_for()
    folder = out / f"lesson-{code}"
    choices = pd.read_parquet(folder / "choices.parquet")
    assert sorted(set(choices["month"])) == list(range(MONTHS))
    mine = choices[choices["cso"] == 0].set_index("month")
    assert (mine.loc[0, "meaning"], mine.loc[1, "meaning"]) == (start["meaning"],
                                                                start["meaning"] + 2)
    others = choices[choices["cso"] > 0]
    assert (others.groupby("cso")[["democracy", "meaning"]].nunique() == 1).all().all()
    events = pd.read_parquet(folder / "events.parquet")
    changed = events[(events["kind"] == "practice") & (events["week"] > 0)]
    assert list(changed["week"]) == [month_start(1)]
    assert changed["what"].iloc[0].startswith("CSO 0 practice")
    assert "economic crisis" in set(events["what"])
    assert (folder / "report.html").is_file()

    teacher.get_by_role("button", name="End the lesson").click()
    for tab in students:
        tab.get_by_text("The lesson has ended").wait_for()
