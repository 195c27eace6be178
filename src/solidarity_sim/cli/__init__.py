"""The ``solidarity-sim`` command line: one module per subcommand.

Each subcommand module defines ``register(subparsers)``, which adds its subparser and sets ``func``
to a handler ``(args) -> exit status``. Handlers import heavy libraries inside, so ``--help`` stays
fast. Handlers raise :class:`~solidarity_sim.model.scenario.ScenarioError` (and its kinds: a
damaged or unwritable file, a locked folder) or :class:`CommandError` for bad input,
:class:`~solidarity_sim.extras.MissingExtra` when a feature's extra is not installed, and
:class:`~solidarity_sim.batch.executors.ExecutorLost` when a Dask scheduler is lost; :func:`main`
turns each, and any other operating-system error (a full disk), into a one-paragraph message and
exit status 2, with no traceback. Warnings meant for the user
(:class:`~solidarity_sim.model.checks.Notice`) are printed as ``solidarity-sim: warning: ...``.
The command line draws its figures into files, with matplotlib's Agg backend unless
``MPLBACKEND`` says otherwise (the figure modules leave the backend to the program that uses
them).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import warnings
from importlib import import_module

from ..batch.executors import ExecutorLost
from ..extras import MissingExtra
from ..model.checks import Notice
from ..model.scenario import ScenarioError
from ..results.files import why
from ..versions import package_version

COMMANDS = ("run", "scenarios", "sweep", "analyze", "schema", "check", "compare", "explore",
            "frontier", "optimise", "app", "validate", "calibrate", "policy_sensitivity",
            "reproduce")
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
    parser.add_argument("--version", action="version",
                        version=f"solidarity-sim {package_version()}")
    register_all(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def show_notice(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a :class:`Notice` as one line; other warnings as Python prints them."""
    if issubclass(category, Notice):
        print(f"solidarity-sim: warning: {message}", file=file or sys.stderr)
    else:
        _python_show(message, category, filename, lineno, file, line)


_python_show = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``solidarity-sim`` command."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files, never to a window
    args = build_parser().parse_args(argv)
    warnings.showwarning = show_notice
    try:
        return args.func(args)
    except (ScenarioError, CommandError, MissingExtra, ExecutorLost) as err:
        print(f"solidarity-sim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # e.g. a full disk where no file name was known
        where = f"{err.filename}: " if err.filename else ""
        print(f"solidarity-sim: error: {where}{why(err)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = _python_show
        if argv is None:  # the program, about to exit
            quick_exit()


def quick_exit() -> None:
    """Let the interpreter's exit skip its last collections of every object (about 0.4 s).

    After a command, the objects left are freed by the operating system when the process ends;
    the collector's last passes over them (pandas, matplotlib, Numba...) only cost time. Files
    are all closed by then, and exit handlers still run. Only for the program (``main()``
    without arguments): a Python caller of ``main(argv)`` keeps its collector as it was.
    """
    gc.freeze()

