"""Is the town large enough for its civil society? The one check of a town's size.

A town founds ``round(csos.density x population.citizens / 10,000)`` formal CSOs at the start
(:func:`initial_csos`, used by :func:`~solidarity_sim.model.build.found_initial_csos`). In a small
town that rounds to none: nobody can volunteer until a crisis founds an informal group, and without
a crisis (or with emergence off) never. :func:`check_town_size` refuses a town where no CSO can
ever exist, and warns where none exists at the start. ``csos.density = 0`` asks for a town
without CSOs on purpose (the analytic limit of the validation) and passes silently.

Every rule about the town's size belongs here (the number of neighbourhoods comes from
:func:`~solidarity_sim.model.population.neighbourhood_count`), so that a change in how the town's
size is given changes one function.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .checks import Notice, ScenarioError
from .population import neighbourhood_count

PER = 10_000
"""``csos.density`` counts CSOs per this many citizens."""


class TownNotice(Notice):
    """A town founds no CSO at the start (one can still emerge in a crisis)."""


def initial_csos(params: dict[str, Any]) -> int:
    """The number of formal CSOs a town founds at the start."""
    return int(round(params["csos"]["density"] * params["population"]["citizens"] / PER))


def check_town_size(params: dict[str, Any], where: str) -> None:
    """Refuse a town where no CSO can ever exist; warn where none exists at the start.

    Args:
        params: A full, checked parameter tree.
        where: The file or place, for the message.

    Raises:
        ScenarioError: No initial CSO and no way for one to emerge (no crisis or event, or
            ``emergence.enabled`` is false), although ``csos.density`` asks for some.
    """
    density, citizens = params["csos"]["density"], params["population"]["citizens"]
    if density == 0 or initial_csos(params) > 0:
        return
    neighbourhoods = neighbourhood_count(params["population"])
    town = (f"a town of {citizens:,} citizens in {neighbourhoods:,} neighbourhood"
            f"{'s' if neighbourhoods != 1 else ''} with csos.density {density:g} per {PER:,} "
            f"citizens founds {density * citizens / PER:.2g} CSOs at the start, which rounds to "
            "none")
    enough = (f"population.citizens from {math.floor(PER / 2 / density) + 1:,} at this "
              f"density, or csos.density above {PER / 2 / citizens:.3g} for this town")
    emerges = params["emergence"]["enabled"] and bool(params["crises"] or params["events"])
    if not emerges:
        raise ScenarioError(
            f"{where}: {town}, and without a crisis (or with emergence.enabled = false) no "
            f"group can emerge: nobody could ever volunteer. Allowed: {enough}; or "
            "csos.density = 0 for a town without CSOs on purpose")
    warnings.warn(TownNotice(f"{where}: {town}; nobody can volunteer until a crisis founds an "
                             f"informal group. For CSOs from the start: {enough}"),
                  stacklevel=3)
