"""Is the town large enough for its civil society? The one check of a town's size.

A town founds ``round(csos.density x population.citizens / 10,000)`` formal CSOs at the start
(:func:`initial_csos`, used by :func:`~solidarity_sim.model.build.found_initial_csos`). In a small
town that rounds to none: nobody can volunteer until an association is founded where need is left
unmet (``csos.founding_rate``) or a crisis founds an informal group, and with neither never.
:func:`check_town_size` refuses a town where no CSO can ever exist, and warns where none exists
at the start. ``csos.density = 0`` asks for a town
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
    """A town founds no CSO at the start (one can still be founded later)."""


def initial_csos(params: dict[str, Any]) -> int:
    """The number of formal CSOs a town founds at the start."""
    return int(round(params["csos"]["density"] * params["population"]["citizens"] / PER))


def check_town_size(params: dict[str, Any], where: str) -> None:
    """Refuse a town where no CSO can ever exist; warn where none exists at the start.

    Args:
        params: A full, checked parameter tree.
        where: The file or place, for the message.

    Raises:
        ScenarioError: No initial CSO and no way for one to be founded (``csos.founding_rate``
            is 0, and there is no crisis or event, or ``emergence.enabled`` is false), although
            ``csos.density`` asks for some.
    """
    density, citizens = params["csos"]["density"], params["population"]["citizens"]
    if density == 0 or initial_csos(params) > 0:
        return
    neighbourhoods = neighbourhood_count(params["population"])
    town = (f"a town of {citizens:,} citizens in {neighbourhoods:,} neighbourhood"
            f"{'s' if neighbourhoods != 1 else ''} with csos.density {density:g} per {PER:,} "
            f"citizens founds {density * citizens / PER:.2g} CSOs at the start, which rounds to "
            "none")
    least = PER / 2 / density  # infinite for a density too small to invert
    larger = (f"population.citizens from {math.floor(least) + 1:,} at this density, or "
              if math.isfinite(least) else "")
    enough = f"{larger}csos.density above {PER / 2 / citizens:.3g} for this town"
    emerges = params["emergence"]["enabled"] and bool(params["crises"] or params["events"])
    founds = params["csos"]["founding_rate"] > 0
    if not (emerges or founds):
        raise ScenarioError(
            f"{where}: {town}, no association is founded later (csos.founding_rate = 0) and "
            "without a crisis (or with emergence.enabled = false) no group can emerge: nobody "
            f"could ever volunteer. Allowed: {enough}; or csos.founding_rate above 0; or "
            "csos.density = 0 for a town without CSOs on purpose")
    later = " or ".join(
        (["an association is founded where need is left unmet"] if founds else [])
        + (["a crisis founds an informal group"] if emerges else []))
    warnings.warn(TownNotice(f"{where}: {town}; nobody can volunteer until {later}. For CSOs "
                             f"from the start: {enough}"), stacklevel=3)
