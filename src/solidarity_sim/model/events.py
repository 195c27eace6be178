"""Events: changes to a running model at the start of a week, scheduled or applied now.

An :class:`Event` happens at the start of a week, before that week's processes. There are three
kinds:

* ``crisis``: a crisis of any kind starts (a crisis table; its ``onset`` is the event's week).
  A migration brings its newcomers into the town then (their rows and ties are drawn from the
  ``arrivals`` stream, so a migration can come at any week and more than once).
* ``set``: parameters of the state change from this week: the funding policy and budget, any
  lever, austerity, welfare coverage (dotted paths under ``state.``).
* ``practice``: one CSO's practice levels of some of the eight factors change.

Scenario files schedule events in ``[[events]]`` tables (``week`` and one of ``crisis``, ``set``
or ``practice``); :class:`~solidarity_sim.model.solidarity_model.SolidarityModel` applies them
in their week, and its methods (``start_crisis``, ``set_policy``, ...) apply an event now. Both go
through :func:`apply`, so an intervention in week ``w`` gives exactly the run whose scenario
schedules the same event for week ``w``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .checks import ScenarioError, check_value, unknown_key
from .parameters import CRISIS_SCHEMA, FACTORS, crisis_defaults, iter_params

KINDS = ("crisis", "set", "practice")
"""What an event can do."""

SETTABLE = {path: param for path, param in iter_params() if path.startswith("state.")}
"""The parameters a ``set`` event may change, by dotted path."""


@dataclass(frozen=True)
class Event:
    """One change to a running model, at the start of week ``week``.

    Attributes:
        week: The week it happens (before that week's processes).
        kind: One of :data:`KINDS`.
        detail: ``crisis``: the whole crisis table; ``set``: ``{dotted path: value}``;
            ``practice``: ``{"cso": row, factor: level, ...}``.
        origin: ``scenario`` (scheduled in the scenario file) or ``intervention`` (applied to
            the running model).
    """

    week: int
    kind: str
    detail: Mapping[str, Any]
    origin: str = "intervention"

    def describe(self) -> str:
        """The event in words, e.g. ``economic crisis`` or ``state.funding.budget = 5``."""
        if self.kind == "crisis":
            return f"{self.detail['kind']} crisis"
        if self.kind == "set":
            return ", ".join(f"{path} = {value}" for path, value in self.detail.items())
        levels = ", ".join(f"{f} {v:g}" for f, v in self.detail.items() if f != "cso")
        return f"CSO {self.detail['cso']} practice: {levels}"

    def record(self) -> dict[str, Any]:
        """The event as a row of ``events.parquet`` (the detail as JSON)."""
        return {"week": self.week, "kind": self.kind, "origin": self.origin,
                "what": self.describe(), "detail": json.dumps(dict(self.detail), sort_keys=True)}

    def as_table(self) -> dict[str, Any]:
        """The event as a scenario file's ``[[events]]`` table."""
        return {"week": self.week, self.kind: dict(self.detail)}


def make_event(table: Mapping[str, Any], where: str, key: str = "events",
               origin: str = "scenario") -> Event:
    """Check one ``[[events]]`` table (or an intervention's) and turn it into an :class:`Event`.

    Args:
        table: ``{"week": w, KIND: detail}`` with exactly one kind.
        where: The file or place, for error messages.
        key: The table's dotted key, for error messages (e.g. ``events.2``).
        origin: ``scenario`` or ``intervention``.

    Raises:
        ScenarioError: A key or value is not allowed; the message names it.
    """
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: key '{key}': value {table!r} is not allowed; allowed: a "
                            "table with 'week' and one of 'crisis', 'set', 'practice'")
    for name in table:
        if name not in ("week", *KINDS):
            raise unknown_key(where, f"{key}.{name}", name, ["week", *KINDS])
    kinds = [k for k in KINDS if k in table]
    if "week" not in table or len(kinds) != 1:
        raise ScenarioError(f"{where}: key '{key}': an event needs 'week' and exactly one of "
                            f"'crisis', 'set', 'practice' (got {', '.join(table) or 'nothing'})")
    week = check_value(CRISIS_SCHEMA["onset"], table["week"], where, f"{key}.week")
    kind = kinds[0]
    detail = table[kind]
    if not isinstance(detail, Mapping) or not detail:
        raise ScenarioError(f"{where}: key '{key}.{kind}': value {detail!r} is not allowed; "
                            "allowed: a non-empty table")
    check = {"crisis": _crisis, "set": _settings, "practice": _practice}[kind]
    return Event(week, kind, check(dict(detail), week, where, f"{key}.{kind}"), origin)


def _crisis(detail: dict[str, Any], week: int, where: str, key: str) -> dict[str, Any]:
    if "onset" in detail and detail["onset"] != week:
        raise ScenarioError(f"{where}: key '{key}.onset': value {detail['onset']!r} is not "
                            f"allowed; an event's crisis starts in the event's week ({week})")
    full = crisis_defaults(detail.get("kind", CRISIS_SCHEMA["kind"].default))
    for name in detail:
        if name not in CRISIS_SCHEMA:
            raise unknown_key(where, f"{key}.{name}", name, list(CRISIS_SCHEMA))
    full.update(detail, onset=week)
    return {name: check_value(param, full[name], where, f"{key}.{name}")
            for name, param in CRISIS_SCHEMA.items()}


def _settings(detail: dict[str, Any], week: int, where: str, key: str) -> dict[str, Any]:
    out = {}
    for path, value in detail.items():
        if path not in SETTABLE:
            raise unknown_key(where, f"{key}.{path}", path, list(SETTABLE))
        out[path] = check_value(SETTABLE[path], value, where, f"{key}.{path}")
    return out


def _practice(detail: dict[str, Any], week: int, where: str, key: str) -> dict[str, Any]:
    cso = detail.pop("cso", None)
    if isinstance(cso, bool) or not isinstance(cso, int) or cso < 0:
        raise ScenarioError(f"{where}: key '{key}.cso': value {cso!r} is not allowed; allowed: "
                            "a CSO's row number, a whole number from 0")
    if not detail:
        raise ScenarioError(f"{where}: key '{key}': name at least one factor to change; "
                            f"allowed: {', '.join(FACTORS)}")
    out: dict[str, Any] = {"cso": cso}
    level = next(param for path, param in iter_params() if path == "csos.factors.meaning")
    for factor, value in detail.items():
        if factor not in FACTORS:
            raise unknown_key(where, f"{key}.{factor}", factor, ["cso", *FACTORS])
        out[factor] = check_value(level, value, where, f"{key}.{factor}")
    return out


def check_event_tables(tables: Any, where: str) -> list[dict[str, Any]]:
    """Check a scenario's ``[[events]]`` list; return the tables completed (crises filled in).

    Raises:
        ScenarioError: It is not a list of tables, or one of its keys or values is not allowed.
    """
    if not isinstance(tables, list):
        raise ScenarioError(f"{where}: key 'events': value {tables!r} is not allowed; allowed: "
                            "a list of event tables ([[events]] in TOML)")
    return [make_event(table, where, f"events.{i}").as_table() for i, table in enumerate(tables)]
