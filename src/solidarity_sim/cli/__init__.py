"""The ``solidarity-sim`` command line: one module per subcommand.

Each subcommand module defines ``register(subparsers)``, which adds its subparser and sets ``func``
to a handler ``(args) -> exit status``. Handlers import heavy libraries inside, so ``--help`` stays
fast. Handlers raise :class:`~solidarity_sim.model.scenario.ScenarioError` or
:class:`CommandError` for bad input, and :class:`~solidarity_sim.extras.MissingExtra` when a
feature's extra is not installed; :func:`main` turns each into a one-paragraph message and exit
status 2, with no traceback. The command line draws its figures into files, with matplotlib's Agg
backend unless ``MPLBACKEND`` says otherwise (the figure modules leave the backend to the
program that uses them).
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from ..extras import MissingExtra
from ..model.scenario import ScenarioError

COMMANDS = ("run", "scenarios", "sweep", "analyze", "schema", "check", "compare", "explore",
            "frontier", "optimise", "app", "validate", "calibrate")
"""Modules of this package that register a subcommand, in the order ``--help`` lists them."""


class CommandError(Exception):
    """A command-line argument is unusable; the message says which and why."""


def register_all(subparsers) -> None:
    """Add every subcommand to the parser."""
    for name in COMMANDS:
        import_module(f"{__name__}.{name}").register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="solidarity-sim",
        description="Agent-based simulation of solidarity dynamics (citizens, volunteers, CSOs, "
                    "the state).")
    register_all(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``solidarity-sim`` command."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files, never to a window
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, CommandError, MissingExtra) as err:
        print(f"solidarity-sim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

