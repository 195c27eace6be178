"""The classroom app: the model live in a browser, one model per browser session.

Start it with ``solidarity-sim app`` (see :mod:`solidarity_sim.cli.app`), which runs
``solara run solidarity_sim.app.page`` offline. Solara renders :func:`Page` once per browser
session, and :func:`Page` builds that session's own :class:`~.classroom.ClassroomModel` and
:class:`~.clock.Clock`; nothing is shared between sessions but the code.

The page draws its own controls rather than Mesa's ``SolaraViz`` sidebar, which always shows
its play and render intervals and "Use Threads" and no slider values: here the teacher sees
play, pause, step, reset, a speed in weeks a second, a week to stop at, and sliders that show
their values and units. The views are in :mod:`.views`. Importing this module loads no
scenario and sets no plotting backend.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import solara

from .classroom import ClassroomModel, initial_kwargs, model_params
from .clock import Clock
from .views import Dashboard, use_clock

warnings.filterwarnings(  # the page is served over plain http on this machine
    "ignore", message=r"Cookies with samesite=none require https")

TITLE = "solidarity-sim · solidarity in a town"

SPEEDS = (1.0, 2.0, 5.0, 10.0, 20.0)
"""Weeks a second the page can play at."""
DEFAULT_SPEED = 5.0
"""The pace playing starts at: a year in about ten seconds, slow enough to pause near a given
week by hand (and "Stop at week" stops exactly)."""

SIDEBAR_PX = 290
"""Width of the controls' column."""


def model_clock(model: ClassroomModel) -> Clock:
    """The clock of one model: each step holds the model's lock (``model.step`` does)."""
    def step() -> bool:
        if not model.running:
            return False
        model.step()
        return True

    return Clock(step, lambda: model.week, SPEEDS, DEFAULT_SPEED, name="page-clock")


def slider_text(label: str, value: Any, name: str) -> str:
    """A control's label with its value and unit, e.g. ``Citizens: 1,000``."""
    if name == "state.welfare_coverage":
        return f"{label}: {value:.0%} of need"
    if name.startswith("csos.factors."):
        return f"{label}: {value:.2f}"
    if name == "csos.density":
        return f"CSOs per 10,000: {value}"
    return f"{label}: {value:,}" if isinstance(value, int) else f"{label}: {value}"


@solara.component
def Controls(model: ClassroomModel, clock: Clock, on_reset):
    """Play, pause, step, reset, the speed, and a week to stop at (0: play to the end)."""
    use_clock(clock)
    stop_at = solara.use_reactive(0)
    running = model.running

    def play() -> None:
        clock.play(stop_at.value if stop_at.value > model.week else None)

    with solara.Card("The clock", classes=["ss-card"]):
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            if clock.playing:
                solara.Button("❚❚", on_click=clock.pause, color="primary", small=True)
            else:
                solara.Button("▶", on_click=play, color="primary", disabled=not running,
                              small=True)
            solara.Button("Step", on_click=clock.step, disabled=clock.playing or not running,
                          small=True)
            solara.Button("Reset", on_click=on_reset, outlined=True, small=True)
        with solara.Row(gap="10px", style={"align-items": "center"}):
            solara.Select("Weeks a second", values=list(SPEEDS), value=clock.speed,
                          on_value=clock.set_speed, style={"max-width": "120px"})
            solara.InputInt("Stop at week", value=stop_at, style={"max-width": "110px"})


@solara.component
def Settings(params: dict[str, dict], values: solara.Reactive[dict[str, Any]]):
    """The sliders and lists that set up the next run (from Reset), with values and units."""
    def setter(name: str):
        return lambda value: values.set({**values.value, name: value})

    with solara.Card("Next run (Reset)", classes=["ss-card", "ss-settings"]):
        for name, spec in params.items():
            value = values.value[name]
            if spec["type"] == "Select":
                solara.Select(spec["label"], values=spec["values"], value=value,
                              on_value=setter(name))
                continue
            slider = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
            slider(slider_text(spec["label"], value, name), value=value, min=spec["min"],
                   max=spec["max"], step=spec["step"], on_value=setter(name))


@solara.component
def FilmButton(model: ClassroomModel, clock: Clock):
    """Download a film of the run so far (the same run replayed, with its interventions)."""
    use_clock(clock)
    week = model.week

    def film() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "film.mp4"
            model.film(path)
            return path.read_bytes()

    solara.FileDownload(film, filename=f"{model.spec.name}-seed{model.seed}-week{week}.mp4",
                        label="Film of the run so far (MP4)")


@solara.component
def Page():  # noqa: N802 (Solara finds the page by this name)
    """The page of one browser session: its own model and clock, the controls and the views."""
    params = solara.use_memo(model_params, [])
    values = solara.use_reactive(initial_kwargs(params))
    first = solara.use_memo(lambda: ClassroomModel(**values.value), [])
    model = solara.use_reactive(first)
    clock = solara.use_memo(lambda: model_clock(model.value), [model.value])
    solara.use_effect(lambda: clock.close, [clock])  # a replaced model's clock stops
    solara.Title(TITLE)

    def reset() -> None:
        clock.close()
        model.value = ClassroomModel(**values.value)

    with solara.Row(gap="0px", style={"align-items": "flex-start"}):
        with solara.Column(gap="8px", style={"width": f"{SIDEBAR_PX}px", "flex": "none",
                                            "padding": "8px"}):
            Controls(model.value, clock, reset)
            FilmButton(model.value, clock)
            Settings(params, values)
        with solara.Column(style={"flex": "1", "min-width": "0"}):
            Dashboard(model.value, clock)
