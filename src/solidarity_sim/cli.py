"""The ``solidarity-sim`` command line (subcommands live in :mod:`solidarity_sim.commands`).

A bad scenario, value or argument prints a one-paragraph error and exits with status 2, with no
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from .commands import CommandError, register_all
from .scenario import ScenarioError


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
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, CommandError) as err:
        print(f"solidarity-sim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
