"""The pages' clock: steps a model in a thread of its own, at a chosen pace, until told to stop.

A :class:`Clock` plays (a week every ``1 / speed`` seconds, to a given week or to the end),
pauses, and steps one week; the step itself (``step``, which returns False at the end) holds
the model's lock, so a button pressed on a page acts between two weeks. The clock never waits
for a page to draw: pages learn of each change through :meth:`Clock.wait` (a counter and a
condition), redraw at their own pace, and show the latest week. On a busy machine the clock
plays slower, never stalls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Plays, pauses and steps; counts changes for the pages that wait on them.

    Args:
        step: Simulates one week; returns False when there is no week left.
        week: The week the next step simulates.
        speeds: The paces allowed, in weeks per second.
        speed: The pace to start at (one of ``speeds``).
        name: The clock thread's name.

    Attributes:
        playing: The clock is running.
        speed: Weeks per second while playing.
        stop_at: The week the clock stops at (None: the end).
        version: Counts changes (:meth:`touch`); pages wait on it.
    """

    def __init__(self, step: Callable[[], bool], week: Callable[[], int],
                 speeds: tuple[float, ...], speed: float, name: str = "clock"):
        self._step, self._week = step, week
        self.speeds = speeds
        self.speed = speed
        self.name = name
        self.playing = False
        self.stop_at: int | None = None
        self.version = 0
        self.closed = False
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def touch(self) -> None:
        """Count a change and wake the pages waiting for one."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until :attr:`version` differs from ``seen`` (or ``timeout`` s); return it."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.closed, timeout)
            return self.version

    def step(self) -> bool:
        """Simulate one week now; False if there was none left."""
        stepped = self._step()
        self.touch()
        return stepped

    def play(self, until: int | None = None) -> None:
        """Play to week ``until`` (None: to the end), in the clock's thread."""
        with self._changed:
            if self.closed:
                return
            self.stop_at = until
            self.playing = True
            self._wake.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name=self.name)
                self._thread.start()
        self.touch()

    def pause(self) -> None:
        """Stop after the week being simulated."""
        self.playing = False
        self._wake.set()
        self.touch()

    def set_speed(self, weeks_per_second: float) -> None:
        """Play at ``weeks_per_second`` (one of :attr:`speeds`).

        Raises:
            ValueError: The speed is not one of :attr:`speeds`.
        """
        if weeks_per_second not in self.speeds:
            raise ValueError(f"speed {weeks_per_second} is not allowed; allowed: "
                             f"{', '.join(f'{s:g}' for s in self.speeds)} weeks a second")
        self.speed = weeks_per_second
        self.touch()

    def close(self) -> None:
        """Stop for good (the model is going away) and release the waiting pages."""
        self.closed = True
        self.pause()

    def _run(self) -> None:
        """Step at :attr:`speed` until paused, at :attr:`stop_at`, or at the end."""
        def arrived() -> bool:
            return self.stop_at is not None and self._week() >= self.stop_at

        while self.playing and not self.closed and not arrived():
            started = time.monotonic()
            if not self.step() or arrived():
                break
            self._wake.wait(max(0.0, 1 / self.speed - (time.monotonic() - started)))
        self.playing = False
        self.touch()
