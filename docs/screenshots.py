"""Take the classroom pages' screenshots in docs/img/ with Playwright and Debian's Chromium.

    .venv/bin/python docs/screenshots.py            # about 2 minutes

Starts ``solidarity-sim app`` and ``solidarity-sim classroom`` on free loopback ports and, at
1280 x 720 (a classroom projector):

* ``page-1280x720.png``: the single-model page, baseline seed 0, an economic crisis pressed in
  week 30, stopped at week 80 with "Stop at week";
* ``lesson1-burnout.png``, ``lesson2-crisis.png``, ``lesson3-funding.png``: the set-ups of
  Lessons 1 to 3 of docs/teaching.md (:data:`LESSON_SHOTS`), chosen in "Next run (Reset)";
* ``lesson4-teacher.png``, ``lesson4-student.png``, ``lesson4-debrief.png``: Lesson 4 with eight
  students who each follow one plan (care, outreach, profile, voice, or the even spread), an
  economic crisis from week 13 (month 4), at week 52.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import running_server  # noqa: E402

IMG = ROOT / "docs" / "img"
VIEW = {"width": 1280, "height": 720}
TEACHER_CODE = "SHOTS1"
PLANS = {
    "care": {"meaning": 10, "scalability": 8, "awareness": 2, "recognition": 2, "legitimacy": 3},
    "outreach": {"awareness": 10, "recognition": 8, "meaning": 2, "scalability": 2,
                 "democracy": 3},
    "profile": {"recognition": 10, "legitimacy": 10, "transparency": 8, "meaning": 1,
                "democracy": 1, "pluralism": 0},
    "voice": {"democracy": 10, "pluralism": 10, "transparency": 2, "legitimacy": 2,
              "recognition": 1},
    "even": {},
}
"""Each plan's points where it differs from five on every practice (40 points in all)."""
STUDENTS = [("Ana", "care"), ("Bo", "outreach"), ("Cy", "profile"), ("Di", "voice"),
            ("Ed", "even"), ("Flo", "care"), ("Gus", "outreach"), ("Hana", "profile")]
CRISIS_WEEK, SHOT_WEEK = 13, 52
LESSON_SHOTS = {
    "lesson1-burnout.png": ({"8 Care (meaning)": 0.1},
                            ((52, "economic crisis"), (156, None))),
    "lesson2-crisis.png": ({"Scenario": "pandemic", "Seed": 8}, ((36, None),)),
    "lesson3-funding.png": ({"Public funding of CSOs": "core_funding", "Welfare coverage": 0.3},
                            ((52, "economic crisis"), (156, "cut funding"), (208, None))),
}
"""Lessons 1 to 3: each screenshot's settings (by control label) and its clock (stop at a week,
then press a button there, or nothing at the last stop)."""


def choose(page, label: str, option: str) -> None:
    """Choose an option in one of the page's lists (e.g. "Weeks a second", "Scenario")."""
    page.locator(".v-select").filter(has_text=re.compile(f"^{re.escape(label)}")).click()
    page.get_by_role("option", name=option, exact=True).click()


def slide(page, label: str, value: float) -> None:
    """Move a slider of "Next run (Reset)" to ``value`` with the arrow keys."""
    thumb = page.get_by_role("slider", name=re.compile(f"^{re.escape(label)}:"))
    thumb.focus()
    while (now := float(thumb.get_attribute("aria-valuenow"))) != value:
        thumb.press("ArrowRight" if now < value else "ArrowLeft")
        page.wait_for_function("([e, v]) => e.getAttribute('aria-valuenow') !== v",
                               arg=[thumb.element_handle(), str(now)])


def open_page(browser, url: str):
    """A new session of the single-model page at :data:`VIEW`."""
    page = browser.new_context(viewport=VIEW).new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.locator(".ss-week").wait_for()
    return page


def play(page, stops) -> None:
    """Play at 20 weeks a second to each week of ``stops``, pressing its button there if any."""
    choose(page, "Weeks a second", "20")
    for stop, action in stops:
        page.get_by_label("Stop at week").fill(str(stop))
        page.get_by_label("Stop at week").press("Enter")
        page.get_by_role("button", name="▶", exact=True).click()
        page.locator(f".ss-chart[data-week='{stop}']").nth(2).wait_for()
        page.get_by_role("button", name="▶", exact=True).wait_for()
        if action:
            page.get_by_role("button", name=action, exact=True).click()
            page.get_by_text(re.compile(f"week {stop}: ")).wait_for()
    page.wait_for_timeout(1500)  # the browser finishes drawing the charts


def page_shot(browser, url: str) -> None:
    """The single-model page: a crisis in week 30, stopped at week 80."""
    page = open_page(browser, url)
    play(page, ((30, "economic crisis"), (80, None)))
    page.screenshot(path=IMG / "page-1280x720.png")


def changes(settings: dict) -> str:
    """The figures card's title once the page has been reset with ``settings``."""
    scenario = settings.get("Scenario", "baseline")
    seed = settings.get("Seed", 0)
    return " · ".join([scenario, f"seed {seed}", *(f"{label} {value}" for label, value in
                                                    settings.items()
                                                    if label not in ("Scenario", "Seed"))])


def lesson_page_shots(browser, url: str) -> None:
    """Lessons 1 to 3 on the single-model page: :data:`LESSON_SHOTS`."""
    for name, (settings, stops) in LESSON_SHOTS.items():
        page = open_page(browser, url)
        for label, value in settings.items():
            if isinstance(value, str):
                choose(page, label, value)
            else:
                slide(page, label, value)
        page.get_by_role("button", name="Reset", exact=True).click()
        page.locator(".ss-title").filter(has_text=changes(settings)).wait_for()
        play(page, stops)
        page.screenshot(path=IMG / name)
        page.context.close()


def follow(tab, plan: dict[str, int]) -> None:
    """Click − and + until the page's plan is the given one (five where not given)."""
    target = {p: plan.get(p, 5) for p in ("democracy", "transparency", "pluralism",
                                          "recognition", "legitimacy", "scalability",
                                          "awareness", "meaning")}
    for sign in ("less", "more"):
        for practice, points in target.items():
            shown = tab.locator(f".ss-points-{practice}")
            while (now := int(shown.inner_text())) != points and (
                    (now > points) == (sign == "less")):
                tab.locator(f".ss-{sign}-{practice}").click()
                shown.filter(has_text=re.compile(rf"^{now + (1 if sign == 'more' else -1)}$")
                             ).wait_for()


def lesson_shots(browser, url: str) -> None:
    """Lesson 4: a teacher and the eight students of :data:`STUDENTS`, to week 52."""
    teacher = browser.new_context(viewport=VIEW).new_page()
    teacher.set_default_timeout(120_000)
    teacher.goto(url + "teacher")
    teacher.get_by_label("Teacher code").fill(TEACHER_CODE)
    teacher.get_by_role("button", name="Open").click()
    teacher.get_by_label("Students (1 to 40)").fill(str(len(STUDENTS)))
    teacher.get_by_label("Students (1 to 40)").press("Enter")
    teacher.get_by_role("button", name="Start the lesson").click()
    code = teacher.locator(".ss-code").inner_text()
    tabs = []
    for name, plan in STUDENTS:
        tab = browser.new_context(viewport=VIEW).new_page()
        tab.set_default_timeout(120_000)
        tab.goto(f"{url}?code={code}")
        tab.get_by_label("Your name").fill(name)
        tab.get_by_role("button", name="Join").click()
        tab.get_by_text(f"{name} runs CSO").wait_for()
        follow(tab, PLANS[plan])
        tabs.append(tab)
    choose(teacher, "Weeks a second", "8")
    for stop, action in ((CRISIS_WEEK, "economic crisis"), (SHOT_WEEK, None)):
        teacher.get_by_label("Stop at week").fill(str(stop))
        teacher.get_by_label("Stop at week").press("Enter")
        teacher.get_by_role("button", name="play to it").click()
        teacher.locator(f".ss-week[data-week='{stop}']").wait_for()
        teacher.get_by_role("button", name="▶ Play").wait_for()
        if action:
            teacher.get_by_role("button", name=action).click()
            teacher.get_by_text(f"Week {stop}: {action}").wait_for()
    for tab in tabs:
        tab.locator(f".ss-week[data-week='{SHOT_WEEK}']").wait_for()
    teacher.wait_for_timeout(1000)
    teacher.screenshot(path=IMG / "lesson4-teacher.png")
    tabs[0].evaluate("window.scrollTo(0, 0)")
    tabs[0].screenshot(path=IMG / "lesson4-student.png")
    teacher.get_by_role("tab", name="Debrief").click()
    teacher.get_by_text("more points on").wait_for()
    teacher.wait_for_timeout(500)  # the tab's slide ends
    teacher.screenshot(path=IMG / "lesson4-debrief.png")


def main() -> None:
    """Serve both pages in turn and take their screenshots."""
    artifacts = ROOT / "test-artifacts" / "screenshots"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--no-sandbox", "--disable-gpu"])
        with running_server(["app"], artifacts) as (url, _):
            page_shot(browser, url)
            lesson_page_shots(browser, url)
        with running_server(["classroom", "--teacher-code", TEACHER_CODE, "--out",
                             str(artifacts / "lessons")], artifacts, path="teacher") as (url, _):
            lesson_shots(browser, url)
        browser.close()
    print(f"screenshots written to {IMG}")


if __name__ == "__main__":
    main()
