"""The shared lesson: one town on the server, every student runs one of its CSOs.

A :class:`Lesson` holds one town (a :class:`~.classroom.ClassroomModel` of the default scenario)
and one :class:`Seat` per CSO. A student joins with the lesson's short join code and a name and
gets a free seat and a secret token; every action of a student names its token, so no student
can act for another CSO. Each month a student spends :data:`BUDGET` effort points across the
eight practices (at most :data:`MAX_POINTS` on one); the plan takes effect at the start of the
next month, through the model's own intervention ``set_practice`` (level = points /
:data:`MAX_POINTS`, an assumption stated in the ODD, section 7.0). A student who leaves keeps
their seat and their CSO carries on with its last plan.

The teacher plays, pauses and steps the town and starts crises or cuts funding; a week and an
intervention never interleave, because both hold the model's ``lock`` (the students' plans are
applied inside the week's lock, at the start of a month). The lesson's :class:`~.clock.Clock`
plays the town; pages wait for its changes instead of polling the model.

:class:`Classroom` is the server's set of lessons: at most :data:`MAX_LESSONS` at once; ending
one stops its clock and drops its town, its records and its seats, so its memory is freed even
while pages still hold the (now empty) lesson.

:func:`lesson_town` is the lesson's one departure from the defaults: the town's size.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..model.calendar import WEEKS_PER_YEAR
from ..model.parameters import FACTORS, SCHEMA
from ..model.solidarity_model import forget
from .classroom import CLASSROOM_CRISES, ClassroomModel
from .clock import Clock

BUDGET = 40
"""Effort points a student spends each month across the eight practices. Spread evenly (5 on
each) they give every practice the default mean level, 0.5: a plan can concentrate effort, not
add to it."""

MAX_POINTS = 10
"""The most points one practice can take; its level is points / MAX_POINTS, so 10 is 1.0."""

MAX_STUDENTS = 40
"""The largest class a lesson seats (one CSO each)."""

MAX_LESSONS = 4
"""Lessons one server holds at once; a fifth waits until one ends."""

SCENARIO = "baseline"
"""Every lesson's town is the default scenario, only its size set (:func:`lesson_town`)."""

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters of join and teacher codes: no 0/O or 1/I to misread on a projector."""

JOIN_CODE_LENGTH = 4
TEACHER_CODE_LENGTH = 8

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Weeks per second the teacher can play at."""
DEFAULT_SPEED = 1.0

PRACTICE_HINTS = {
    "democracy": "a say for volunteers and the people you help",
    "transparency": "open accounts and reports",
    "pluralism": "welcoming everyone, minorities too",
    "recognition": "a public profile people trust",
    "legitimacy": "collecting and showing your impact",
    "scalability": "managing growth and workload",
    "awareness": "outreach: making people aware",
    "meaning": "care, training and meaning for volunteers",
}
"""What each practice means, in the words of a student's page ([SOLIDUS] recommendations)."""


class LessonError(ValueError):
    """A student's or teacher's request that the lesson refuses; the message says why."""


def citizens_per_student() -> int:
    """Citizens per student: the default CSO density gives one CSO per this many citizens."""
    return round(10_000 / SCHEMA["csos"]["density"].default)


def lesson_town(students: int) -> dict[str, Any]:
    """The lesson's town: the default scenario with one CSO per student.

    Only the town's size is set: :func:`citizens_per_student` citizens per student, so that the
    default CSO density founds exactly one CSO per student and every other parameter (the
    neighbourhoods included) takes its default.
    """
    return {"population.citizens": students * citizens_per_student()}


def month_start(month: int) -> int:
    """The first week of lesson month ``month`` (0 is the first): months of 52/12 weeks."""
    return math.ceil(month * WEEKS_PER_YEAR / 12)


def month_of(week: int) -> int:
    """The lesson month that week ``week`` belongs to."""
    return (week * 12) // WEEKS_PER_YEAR


def plan_week(week: int) -> int:
    """The week a plan chosen now takes effect: the first month start from ``week`` on."""
    month = month_of(week)
    return week if month_start(month) == week else month_start(month + 1)


def new_code(length: int) -> str:
    """A random code of :data:`CODE_LETTERS`."""
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(length))


def plan_from_levels(levels: np.ndarray) -> dict[str, int]:
    """A CSO's drawn practice levels as a plan within the budget.

    Each level is rounded to points; while the plan is over :data:`BUDGET`, a point is taken
    from the practice with the most (the first of equals).
    """
    points = np.clip(np.rint(np.asarray(levels) * MAX_POINTS), 0, MAX_POINTS).astype(int)
    while points.sum() > BUDGET:
        points[int(np.argmax(points))] -= 1
    return {f: int(p) for f, p in zip(FACTORS, points, strict=True)}


def check_plan(points: Mapping[str, Any]) -> dict[str, int]:
    """A plan as whole points per practice, or :class:`LessonError` saying what is wrong."""
    if set(points) != set(FACTORS):
        raise LessonError(f"a plan gives points to each of the eight practices "
                          f"({', '.join(FACTORS)})")
    plan = {}
    for f in FACTORS:
        value = points[f]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) \
                or not 0 <= value <= MAX_POINTS:
            raise LessonError(f"{f}: {value!r} points is not allowed; give 0 to {MAX_POINTS}")
        plan[f] = int(value)
    if sum(plan.values()) > BUDGET:
        raise LessonError(f"the plan spends {sum(plan.values())} points; the budget is "
                          f"{BUDGET} a month")
    return plan


def levels(plan: Mapping[str, int]) -> dict[str, float]:
    """The practice levels a plan gives (``set_practice``'s keyword arguments)."""
    return {f: plan[f] / MAX_POINTS for f in FACTORS}


@dataclass
class Seat:
    """One CSO of the town and the student who runs it (nobody yet if ``token`` is None).

    Attributes:
        cso: The CSO's row in the model.
        plan: Points per practice, applied at the start of the next month.
        name: The student's display name.
        token: The student's secret: every action of theirs names it.
        applied: The plan in force (the last one applied).
    """

    cso: int
    plan: dict[str, int]
    name: str | None = None
    token: str | None = None
    applied: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``CSO 3 · Ana``, or ``CSO 3`` while nobody runs it."""
        return f"CSO {self.cso + 1}" + (f" · {self.name}" if self.name else "")


class Lesson:
    """One shared town and its seats.

    Args:
        code: The join code.
        students: The class size: the town has one CSO per student.
        seed: The town's seed.

    Attributes:
        code: The join code.
        model: The town (None once the lesson has ended).
        seats: One per CSO, in the CSOs' order.
        weekly: One row per CSO per week: volunteers, tiredness, recognition, help, money.
        choices: One row per CSO per month: who ran it and the plan in force that month.
        clock: The teacher's clock (play, pause, step, speed); pages wait on it.
        stepped_at: Wall-clock time (seconds since the epoch) the last week ended.
    """

    def __init__(self, code: str, students: int, seed: int = 0):
        if not 1 <= students <= MAX_STUDENTS:
            raise LessonError(f"class size {students} is not allowed; give 1 to {MAX_STUDENTS}")
        self.code = code
        self.model: ClassroomModel | None = ClassroomModel(SCENARIO, rng=seed,
                                                           **lesson_town(students))
        csos = self.model.cso_table
        if len(csos) != students:  # the defaults changed: the town no longer fits the class
            raise LessonError(f"the town has {len(csos)} CSOs for {students} students")
        self.seats = [Seat(j, plan_from_levels(csos.factors[j])) for j in range(students)]
        self._tokens: dict[str, Seat] = {}
        self.weekly: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.stepped_at = time.time()
        self.ended = False
        self._lock = self.model.lock
        self.clock = Clock(self._simulate_week, lambda: self.week, SPEEDS, DEFAULT_SPEED,
                           name=f"lesson-{code}")

    # -- state the pages read ----------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The town's lock: held for a whole week and for every intervention."""
        return self._lock

    @property
    def week(self) -> int:
        """The week the next step simulates (0 before the first)."""
        return self.model.week if self.model is not None else 0

    @property
    def weeks(self) -> int:
        """The town's horizon."""
        return self.model.p["weeks"] if self.model is not None else 0

    def joined(self) -> list[Seat]:
        """The seats a student has taken."""
        return [s for s in self.seats if s.token is not None]

    def seat(self, token: str | None) -> Seat | None:
        """The seat of a student's token (None for a wrong token)."""
        return self._tokens.get(token or "")

    @property
    def version(self) -> int:
        """Counts changes: a page redraws when it moves (:meth:`Clock.wait`)."""
        return self.clock.version

    # -- students ----------------------------------------------------------------------------

    def join(self, name: str) -> Seat:
        """Give a student the first free seat and a token.

        Raises:
            LessonError: The name is empty or too long, or every seat is taken.
        """
        name = " ".join(name.split())
        if not 1 <= len(name) <= 24:
            raise LessonError("give a name of 1 to 24 characters")
        with self.lock:
            if self.ended:
                raise LessonError("this lesson has ended")
            seat = next((s for s in self.seats if s.token is None), None)
            if seat is None:
                raise LessonError(f"the lesson is full: its {len(self.seats)} CSOs are all "
                                  "taken; ask the teacher")
            seat.name, seat.token = name, secrets.token_urlsafe(16)
            self._tokens[seat.token] = seat
        self.clock.touch()
        return seat

    def choose(self, token: str, points: Mapping[str, Any]) -> Seat:
        """Set the plan of the student with ``token`` (from the start of the next month).

        Raises:
            LessonError: The token is not a student's of this lesson, or the plan breaks the
                budget.
        """
        plan = check_plan(points)
        with self.lock:
            seat = self.seat(token)
            if seat is None or self.ended:
                raise LessonError("this page is not a student's of the running lesson")
            seat.plan = plan
        self.clock.touch()
        return seat

    # -- the clock -----------------------------------------------------------------------------

    def _simulate_week(self) -> bool:
        """Simulate one week (applying the plans first if a month starts); False at the end."""
        with self.lock:
            model = self.model
            if model is None or not model.running:
                return False
            if month_start(month_of(model.week)) == model.week:
                self._apply_plans()
            model.step()
            self._record_week()
            self.stepped_at = time.time()
        return True

    def _apply_plans(self) -> None:
        """Put every seat's plan in force (a ``set_practice`` event where it changed)."""
        model = self.model
        month = month_of(model.week)
        for seat in self.seats:
            if seat.plan != seat.applied and model.cso_table.active[seat.cso]:
                model.set_practice(seat.cso, **levels(seat.plan))
                seat.applied = dict(seat.plan)
            self.choices.append({"month": month, "week": model.week, "cso": seat.cso,
                                 "student": seat.name or "", **seat.applied})

    def _record_week(self) -> None:
        model = self.model
        pop, csos = model.pop, model.cso_table
        n = len(self.seats)
        vols = pop.volunteer & (pop.cso >= 0) & (pop.cso < n)
        count = np.bincount(pop.cso[vols], minlength=n)
        fatigue = np.bincount(pop.cso[vols], weights=pop.fatigue[vols], minlength=n)
        week = model.week - 1
        for j in range(n):
            self.weekly.append({
                "week": week, "cso": j, "active": bool(csos.active[j]),
                "volunteers": int(count[j]),
                "tiredness": float(fatigue[j] / count[j]) if count[j] else float("nan"),
                "recognition": float(csos.recognition[j]), "help": float(csos.served[j]),
                "money": float(csos.budget[j]),
            })

    # -- the teacher's interventions -----------------------------------------------------------

    def intervene(self, action: str) -> None:
        """Apply a teacher's button now: a crisis kind, ``cut funding`` or ``restore funding``.

        Raises:
            LessonError: The lesson has ended, or the action is unknown.
        """
        with self.lock:
            model = self.model
            if model is None:
                raise LessonError("this lesson has ended")
            if action in CLASSROOM_CRISES:
                model.press(action)
            elif action == "cut funding":
                model.cut_funding()
            elif action == "restore funding":
                model.restore_funding()
            else:
                raise LessonError(f"unknown action {action!r}")
        self.clock.touch()

    # -- records -------------------------------------------------------------------------------

    def weekly_table(self) -> pd.DataFrame:
        """:attr:`weekly` as a table, with each CSO's student."""
        with self.lock:
            table = pd.DataFrame(self.weekly, columns=list(WEEKLY_COLUMNS))
            names = {s.cso: s.name or "" for s in self.seats}
        table.insert(2, "student", table["cso"].map(names).fillna(""))
        return table

    def choices_table(self) -> pd.DataFrame:
        """:attr:`choices` as a table: one row per CSO per month, points per practice."""
        with self.lock:
            return pd.DataFrame(self.choices,
                                columns=["month", "week", "cso", "student", *FACTORS])

    def end(self) -> None:
        """Stop the clock and drop the town and the records (the memory is freed)."""
        self.clock.close()
        with self.lock:
            model, self.model = self.model, None
            self.ended = True
            self.weekly, self.choices = [], []
            self._tokens.clear()
        if model is not None:
            forget(model)


WEEKLY_COLUMNS = ("week", "cso", "active", "volunteers", "tiredness", "recognition", "help",
                  "money")
"""The columns of :meth:`Lesson.weekly_table` (before ``student``)."""


class Classroom:
    """The lessons of one server, by join code.

    Args:
        teacher_code: The code that opens the teacher's controls.
        join_url: The address students open (it goes into the QR code).
        limit: The most lessons at once.
    """

    def __init__(self, teacher_code: str, join_url: str, limit: int = MAX_LESSONS):
        self.teacher_code = teacher_code
        self.join_url = join_url
        self.limit = limit
        self._lessons: dict[str, Lesson] = {}
        self._lock = threading.Lock()

    def is_teacher(self, code: str) -> bool:
        """``code`` is the teacher code (compared in constant time)."""
        return secrets.compare_digest(code.strip().upper(), self.teacher_code)

    def start(self, students: int, seed: int = 0) -> Lesson:
        """Start a lesson with a fresh join code.

        Raises:
            LessonError: The server already holds :attr:`limit` lessons, or the class size is
                not allowed.
        """
        with self._lock:
            if len(self._lessons) >= self.limit:
                raise LessonError(f"this server already runs {self.limit} lessons: end one "
                                  "first")
            code = new_code(JOIN_CODE_LENGTH)
            while code in self._lessons:
                code = new_code(JOIN_CODE_LENGTH)
            lesson = self._lessons[code] = Lesson(code, students, seed)
        return lesson

    def find(self, code: str) -> Lesson | None:
        """The running lesson with join code ``code`` (spaces and case ignored)."""
        return self._lessons.get("".join(code.split()).upper())

    def find_student(self, token: str | None) -> tuple[Lesson, Seat] | None:
        """The lesson and seat of a student's token."""
        for lesson in list(self._lessons.values()):
            seat = lesson.seat(token)
            if seat is not None:
                return lesson, seat
        return None

    def __iter__(self) -> Iterator[Lesson]:
        return iter(list(self._lessons.values()))

    def end(self, code: str) -> None:
        """End the lesson ``code`` and forget it."""
        with self._lock:
            lesson = self._lessons.pop(code, None)
        if lesson is not None:
            lesson.end()

