"""``solidarity-sim scenarios``: list the bundled scenarios."""

from __future__ import annotations

import argparse
import tomllib

from ..model.scenario import bundled_scenarios


def register(subparsers) -> None:
    """Add the ``scenarios`` subcommand."""
    p = subparsers.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Print each bundled scenario with the first sentence of its description."""
    scenarios = bundled_scenarios()
    width = max(map(len, scenarios), default=0)
    for name, path in scenarios.items():
        with path.open("rb") as fh:
            description = " ".join(tomllib.load(fh).get("description", "").split())
        first = description.split(". ")[0].rstrip(".")
        print(f"{name:{width}}  {first}.")
    return 0
