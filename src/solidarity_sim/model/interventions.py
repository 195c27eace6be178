"""Interventions: the one way to change a running model; each is an :class:`~.events.Event`.

:func:`apply` makes an event happen in a town. Scenario files schedule events in ``[[events]]``
tables and :class:`~solidarity_sim.model.solidarity_model.SolidarityModel` applies them in their
week; its methods (``start_crisis``, ``set_policy``, ``set_lever``, ``set_austerity``,
``set_practice``, ``intervene``) apply one now. Both go through :func:`apply`, so an intervention
in week ``w`` gives exactly the run whose scenario schedules the same event for week ``w``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .checks import ScenarioError
from .csos import F
from .events import Event
from .newcomers import add_newcomers

if TYPE_CHECKING:
    from .town import Town


def apply(town: Town, event: Event) -> None:
    """Make an event happen in the town now (at the start of the week being simulated).

    Raises:
        ScenarioError: A ``practice`` event names a CSO the town does not have (or one that
            has dissolved).
    """
    if event.kind == "crisis":
        start_crisis(town, event.detail)
    elif event.kind == "set":
        for path, value in event.detail.items():
            *parents, leaf = path.split(".")
            node = town.p
            for part in parents:
                node = node[part]
            node[leaf] = copy.deepcopy(value)
        town.state.changed()
    else:
        set_practice(town, event.detail)


def start_crisis(town: Town, crisis: Mapping[str, Any]) -> None:
    """Start a crisis now: bring a migration's newcomers, then add it to the crisis schedule."""
    crisis = dict(crisis)
    if crisis["kind"] == "migration":
        add_newcomers(town, crisis)
    town.crises.add(crisis, town.pop.base_need)


def set_practice(town: Town, detail: Mapping[str, Any]) -> None:
    """Set one CSO's practice levels."""
    csos, row = town.cso_table, detail["cso"]
    if row >= len(csos) or not csos.active[row]:
        active = ", ".join(str(j) for j in range(len(csos)) if csos.active[j])
        raise ScenarioError(f"practice event: key 'cso': value {row!r} is not allowed; "
                            f"allowed: an active CSO's row ({active})")
    for factor, level in detail.items():
        if factor != "cso":
            csos.factors[row, F[factor]] = level
