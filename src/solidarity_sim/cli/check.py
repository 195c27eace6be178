"""``solidarity-sim check FILE...``: check scenario files with the real loader."""

from __future__ import annotations

import argparse
import tomllib

from ..model.scenario import ScenarioError, load_scenario, resolve_path
from ..model.schema import REQUIRED


def register(subparsers) -> None:
    """Add the ``check`` subcommand."""
    p = subparsers.add_parser(
        "check", help="check scenario files with the loader run and compare use",
        description="Check scenario files (or bundled names) as 'run' and 'compare' would "
                    "load them, including what they extend, and require each file to state its "
                    "own name, description and sources. Prints one 'ok' line per good file; "
                    "stops with exit status 2 at the first bad one, naming the file and key.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files or names")
    p.set_defaults(func=handle)


def require_metadata(path, data: dict) -> None:
    """Raise unless the file itself states a non-empty name, description and sources."""
    allowed = {"name": "a non-empty string", "description": "a non-empty string saying what "
               "the scenario represents", "sources": "a non-empty list of the source documents "
               "or facts it draws on"}
    for key in REQUIRED:
        if not data.get(key):
            state = "is missing" if key not in data else f"has the empty value {data[key]!r}"
            raise ScenarioError(f"{path}: key '{key}' {state}; every scenario file states its "
                                f"own {key}; allowed: {allowed[key]}")


def handle(args: argparse.Namespace) -> int:
    """Check each file in turn; print ``ok`` lines; raise on the first bad one."""
    for name in args.files:
        path = resolve_path(name)
        scenario = load_scenario(path)
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        require_metadata(path, data)
        extends = f", extends {data['extends']}" if "extends" in data else ""
        print(f"ok  {path}  ({scenario.name}, {scenario.get('weeks')} weeks{extends})",
              flush=True)
    return 0
