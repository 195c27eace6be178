"""The classroom app: the model live in a browser (Mesa ``SolaraViz``), one model per session.

Start it with ``solidarity-sim app`` (see :mod:`solidarity_sim.cli.app`), which runs
``solara run solidarity_sim.app.page`` offline. Solara renders :func:`Page` once per browser
session, and :func:`Page` builds that session's own :class:`ClassroomModel`; nothing is shared
between sessions but the code.

:class:`~.classroom.ClassroomModel` is the model the controls build; the views are in
:mod:`.views`. Importing this module loads no scenario and sets no plotting backend.
"""

from __future__ import annotations

import warnings

import solara

warnings.filterwarnings(  # Mesa 3.3's ComponentsView trips Solara's hook check on import
    "ignore", message=r".*ComponentsView: `use_state` found despite early return")
warnings.filterwarnings(  # the page is served over plain http on this machine
    "ignore", message=r"Cookies with samesite=none require https")

from mesa.visualization import SolaraViz  # noqa: E402

from .classroom import ClassroomModel, initial_kwargs, model_params  # noqa: E402
from .views import Dashboard  # noqa: E402

TITLE = "solidarity-sim · solidarity in a town"

PLAY_INTERVAL_MS = 21
"""Pause between weeks while playing, in ms (SolaraViz's 'Play Interval' slider starts here).
With the step itself it gives about 20 weeks a second (measured in the browser, 1,000 citizens,
two cores), a ten-year run in under half a minute. The views redraw at their own pace
(``views.FRAME_SECONDS``), so this sets the model's speed alone."""

RENDER_INTERVAL = 1
"""Weeks per step (SolaraViz's 'Render Interval' slider): 'Step' advances one week."""


@solara.component
def Page():  # noqa: N802 (Solara finds the page by this name)
    """The page of one browser session: its own model, SolaraViz's controls, and the views.

    SolaraViz draws the title bar and the sidebar (step, play, pause, reset and the model's
    controls); the main area is :func:`~solidarity_sim.app.views.Dashboard`.
    """
    params = solara.use_memo(model_params, [])
    first = solara.use_memo(lambda: ClassroomModel(**initial_kwargs(params)), [])
    model = solara.use_reactive(first)  # SolaraViz's Reset replaces it
    with solara.Column(gap="0px") as page:
        SolaraViz(model, components=[], model_params=params, name=TITLE,
                  play_interval=PLAY_INTERVAL_MS, render_interval=RENDER_INTERVAL)
        Dashboard(model.value)
    return page
