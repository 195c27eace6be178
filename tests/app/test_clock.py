"""The pages' clock: plays to a week, pauses, steps, and wakes the pages that wait on it."""

from __future__ import annotations

import threading

import pytest

from solidarity_sim.app.clock import Clock


def counter(end: int = 100):
    weeks = [0]

    def step() -> bool:
        if weeks[0] >= end:
            return False
        weeks[0] += 1
        return True

    return weeks, Clock(step, lambda: weeks[0], speeds=(50.0, 100.0), speed=100.0)


def wait_stopped(clock: Clock) -> None:
    while clock.playing:
        clock.wait(clock.version, 1.0)


def test_play_stops_at_the_week_asked_for_and_at_the_end():
    weeks, clock = counter(end=12)
    clock.play(until=5)
    wait_stopped(clock)
    assert weeks[0] == 5 and not clock.playing
    clock.play()
    wait_stopped(clock)
    assert weeks[0] == 12
    assert not clock.step() and weeks[0] == 12


def test_a_waiting_page_wakes_on_a_step_and_a_closed_clock_releases_it():
    weeks, clock = counter()
    seen = clock.version
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(clock.wait(seen, 30.0)))
    waiter.start()
    clock.step()
    waiter.join(30.0)
    assert woke and woke[0] != seen and weeks[0] == 1
    clock.close()
    assert clock.wait(clock.version, 30.0) == clock.version  # returns at once
    clock.play()
    assert not clock.playing


def test_only_the_offered_speeds_are_allowed():
    _, clock = counter()
    clock.set_speed(50.0)
    with pytest.raises(ValueError, match="speed 3 is not allowed; allowed: 50, 100 weeks a second"):
        clock.set_speed(3)
