"""The JSON Schema of scenario files, generated from :mod:`solidarity_sim.model.parameters`.

Editors that understand JSON Schema (VS Code with Even Better TOML, JetBrains IDEs, taplo) can
check a scenario file while it is written: ``solidarity-sim schema > scenario.schema.json``. Every
parameter becomes a property with its type, range or choices, default, unit and basis; every table
rejects unknown keys (``additionalProperties: false``), so a typo is flagged, as the loader
(:mod:`solidarity_sim.model.scenario`) rejects it. A scenario file must state its own ``name``,
``description`` and ``sources``; any other key may be left out (the defaults, or the scenario it
``extends``, fill it in).

The schema checks each file on its own. What it cannot check, the loader does: that the
``extends`` target exists and is not circular, that numbers are finite, and the merged result.
"""

from __future__ import annotations

from typing import Any

from .events import SETTABLE
from .parameters import CRISIS_SCHEMA, FACTORS, SCHEMA, Param

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect (an identifier, never fetched)."""

SCHEMA_ID = "urn:solidarity-sim:scenario"

REQUIRED = ("name", "description", "sources")
"""Keys every scenario file states itself: what it is, and what it draws on."""

_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "str": "string"}


def describe(param: Param) -> str:
    """One line for an editor's tooltip: meaning, unit, allowed values and basis."""
    unit = f" Unit: {param.unit}." if param.unit else ""
    return f"{param.doc}{unit} Allowed: {param.allowed()}. Basis: {param.basis}."


def param_schema(param: Param) -> dict[str, Any]:
    """The JSON Schema of one parameter."""
    if param.kind == "list[crisis]":
        return {"type": "array", "items": {"$ref": "#/$defs/crisis"},
                "description": param.doc + " Each entry is a [[crises]] table.", "default": []}
    if param.kind == "list[event]":
        return {"type": "array", "items": {"$ref": "#/$defs/event"},
                "description": param.doc + " Each entry is an [[events]] table.", "default": []}
    if param.kind == "list[str]":
        out: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    else:
        out = {"type": _TYPES[param.kind]}
    if param.choices:
        out["enum"] = list(param.choices)
    if param.low is not None:
        out["minimum"] = param.low
    if param.high is not None:
        out["maximum"] = param.high
    out["default"] = param.default
    out["description"] = describe(param)
    return out


def table_schema(tree: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a table of parameters (nested tables become nested objects)."""
    out: dict[str, Any] = {"type": "object"}
    if title:
        out["title"] = title
    out["properties"] = {
        key: param_schema(node) if isinstance(node, Param) else table_schema(node, key)
        for key, node in tree.items()
    }
    out["additionalProperties"] = False
    return out


def event_schema() -> dict[str, Any]:
    """The JSON Schema of one ``[[events]]`` table: a week and one kind of change."""
    crisis = table_schema(CRISIS_SCHEMA, "crisis")
    practice = {"type": "object", "properties": {
        "cso": {"type": "integer", "minimum": 0, "description": "The CSO's row number."},
        **{f: {"type": "number", "minimum": 0, "maximum": 1} for f in FACTORS}},
        "required": ["cso"], "additionalProperties": False,
        "description": "New practice levels of one CSO."}
    settings = {"type": "object", "propertyNames": {"enum": list(SETTABLE)},
                "description": "Parameters of the state (dotted paths) and their new values."}
    return {"type": "object", "title": "event", "properties": {
        "week": {"type": "integer", "minimum": 0, "description": "Week the event happens."},
        "crisis": crisis, "set": settings, "practice": practice},
        "required": ["week"], "minProperties": 2, "maxProperties": 2,
        "additionalProperties": False}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file.

    Returns:
        A JSON-serialisable dict.
    """
    root = table_schema(SCHEMA)
    root["properties"] = {
        "extends": {"type": "string", "minLength": 1,
                    "description": "The scenario this file builds on: a bundled name "
                                   "(e.g. \"baseline\") or a TOML file beside this one. "
                                   "State only what differs from it."},
        **root["properties"],
    }
    for key in REQUIRED:  # metadata: a plain description, and never empty
        prop = root["properties"][key]
        prop["description"] = SCHEMA[key].doc
        prop["minItems" if prop["type"] == "array" else "minLength"] = 1
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "solidarity-sim scenario",
        "description": "A scenario of the solidarity-sim agent-based model (a TOML file). "
                       "Every key but name, description and sources is optional.",
        **root,
        "required": list(REQUIRED),
        "$defs": {"crisis": table_schema(CRISIS_SCHEMA, "crisis"), "event": event_schema()},
    }
