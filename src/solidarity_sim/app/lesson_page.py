"""The shared lesson's pages, served by ``solidarity-sim classroom`` (``solara run`` this module).

Three addresses: ``/`` where a student joins with the code and a name (``/?code=ABCD`` fills in
the code, as the QR code does), ``/play?token=...`` where a student runs their CSO (the token in
the address brings them back to it after a reload or a lost connection), and ``/teacher``,
which asks for the teacher code once per browser session, then starts or reopens a lesson and
shows the projector view. Every page of this server shares one :class:`~.lesson.Classroom`.

The command passes the teacher code, the address students open and the export folder in the
environment (:data:`TEACHER_CODE_ENV`, :data:`JOIN_URL_ENV`, :data:`OUT_ENV`).
"""

from __future__ import annotations

import os
import sys
import warnings
from urllib.parse import parse_qs, quote

import solara

from .lesson import (
    MAX_STUDENTS,
    TEACHER_CODE_LENGTH,
    Classroom,
    LessonError,
    new_code,
)
from .lesson_views import CSS, ProjectorView, StudentView

warnings.filterwarnings(  # the page is served over plain http on this machine
    "ignore", message=r"Cookies with samesite=none require https")

TEACHER_CODE_ENV = "SOLIDARITY_SIM_TEACHER_CODE"
JOIN_URL_ENV = "SOLIDARITY_SIM_JOIN_URL"
OUT_ENV = "SOLIDARITY_SIM_LESSONS_OUT"


def classroom_from_environment() -> Classroom:
    """The server's classroom; a teacher code is made (and printed) if none was given."""
    code = os.environ.get(TEACHER_CODE_ENV)
    if not code:
        code = new_code(TEACHER_CODE_LENGTH)
        print(f"teacher code: {code}", file=sys.stderr, flush=True)
    return Classroom(code.upper(), os.environ.get(JOIN_URL_ENV, "http://localhost:8765/"))


CLASSROOM = classroom_from_environment()
OUT = os.environ.get(OUT_ENV, "results/lessons")
TEACHERS: dict[str, str] = {}
"""Browser sessions that gave the teacher code, and the lesson each has open ("" for none)."""


def query(name: str) -> str:
    """A value of the page's query string (``""`` if absent)."""
    search = solara.use_router().search or ""
    return parse_qs(search).get(name, [""])[0]


@solara.component
def JoinPage():
    """Join a lesson with its code and a name."""
    router = solara.use_router()
    code = solara.use_reactive(query("code"))
    name = solara.use_reactive("")
    error = solara.use_reactive("")

    def join() -> None:
        lesson = CLASSROOM.find(code.value)
        if lesson is None:
            error.value = (f"No lesson has the code {code.value.strip() or '(empty)'}: check "
                           "the code on the board.")
            return
        try:
            seat = lesson.join(name.value)
        except LessonError as err:
            error.value = f"Cannot join: {err}."
            return
        router.push(f"/play?token={quote(seat.token)}")

    solara.Style(CSS)
    with solara.Card("Join the lesson", style={"max-width": "480px", "margin": "16px auto"}):
        solara.InputText("Code on the board", value=code)
        solara.InputText("Your name", value=name)
        solara.Button("Join", on_click=join, color="primary")
        if error.value:
            solara.Text(error.value, classes=["ss-error"])


@solara.component
def StudentPage():
    """A student's CSO, found by the token in the address."""
    found = CLASSROOM.find_student(query("token"))
    if found is None:
        solara.Style(CSS)
        with solara.Card("Not in a lesson", style={"max-width": "480px", "margin": "16px auto"}):
            solara.Text("This link is not a student's of a running lesson.",
                        classes=["ss-error"])
            solara.Button("Join a lesson", href="/", color="primary", text=True)
        return
    StudentView(*found)


@solara.component
def TeacherPage():
    """The teacher code, then a lesson to start or reopen, then the projector view."""
    session = solara.get_session_id()
    opened = solara.use_reactive(TEACHERS.get(session))
    lesson = CLASSROOM.find(opened.value) if opened.value else None
    solara.Style(CSS)
    if opened.value is None:
        TeacherLogin(session, opened)
    elif lesson is None:
        LessonStarter(session, opened)
    else:
        def end() -> None:
            CLASSROOM.end(lesson.code)
            TEACHERS[session] = opened.value = ""

        ProjectorView(lesson, CLASSROOM.join_url, end, OUT)


@solara.component
def TeacherLogin(session: str, opened: solara.Reactive):
    """Ask for the teacher code."""
    code = solara.use_reactive("")
    error = solara.use_reactive("")

    def check() -> None:
        if CLASSROOM.is_teacher(code.value):
            TEACHERS[session] = opened.value = ""
        else:
            error.value = "That is not the teacher code (the command printed it)."

    with solara.Card("Teacher", style={"max-width": "480px", "margin": "16px auto"}):
        solara.InputText("Teacher code", value=code, password=True)
        solara.Button("Open", on_click=check, color="primary")
        if error.value:
            solara.Text(error.value, classes=["ss-error"])


@solara.component
def LessonStarter(session: str, opened: solara.Reactive):
    """Start a lesson for a class of a given size, or reopen a running one."""
    students = solara.use_reactive(30)
    seed = solara.use_reactive(0)
    error = solara.use_reactive("")

    def open_lesson(code: str) -> None:
        TEACHERS[session] = opened.value = code

    def start() -> None:
        try:
            open_lesson(CLASSROOM.start(students.value, seed.value).code)
        except LessonError as err:
            error.value = f"Cannot start: {err}."

    with solara.Card("A new lesson", style={"max-width": "560px", "margin": "16px auto"}):
        solara.Text("One town, one CSO for each student (1,000 citizens each, the default "
                        "scenario). Students join with the code the next page shows.")
        solara.InputInt(f"Students (1 to {MAX_STUDENTS})", value=students)
        solara.InputInt("Seed", value=seed)
        solara.Button("Start the lesson", on_click=start, color="primary")
        if error.value:
            solara.Text(error.value, classes=["ss-error"])
        for lesson in CLASSROOM:
            solara.Button(f"Reopen lesson {lesson.code} (week {lesson.week}, "
                          f"{len(lesson.joined())} students)",
                          on_click=lambda code=lesson.code: open_lesson(code), text=True)


@solara.component
def Layout(children):  # noqa: N802 (Solara's name for the frame around every page)
    """No navigation bar: each address is a page of its own."""
    return solara.Column(children=children, style={"padding": "0"})


routes = [
    solara.Route(path="/", component=JoinPage, label="Join", layout=Layout),
    solara.Route(path="play", component=StudentPage, label="Play"),
    solara.Route(path="teacher", component=TeacherPage, label="Teacher"),
]
