"""``solidarity-sim schema``: print the JSON Schema of scenario files."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    """Add the ``schema`` subcommand."""
    p = subparsers.add_parser(
        "schema", help="print the JSON Schema of scenario files",
        description="Print the JSON Schema (draft 2020-12) of scenario files, generated from the "
                    "parameter table, so editors can check TOML scenarios as they are written: "
                    "solidarity-sim schema > scenario.schema.json")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the schema as indented JSON."""
    from ..model.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))
    return 0
