"""Argument types and options shared by several subcommands."""

from __future__ import annotations

import argparse

from ..scenario import parse_assignment


def seed(text: str) -> int:
    """Parse a seed: a whole number from 0 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: a whole number from 0 "
                                         "up") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid seed {value}: a whole number from 0 up")
    return value


def add_override_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--seed``, ``--weeks`` and repeatable ``--set PATH=VALUE``."""
    parser.add_argument("--seed", type=seed, default=0, help="seed (default: 0)")
    parser.add_argument("--weeks", type=int, help="override the scenario's horizon")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a parameter by dotted path, e.g. "
                             "csos.factors.meaning=0.8 (repeatable)")


def overrides(args: argparse.Namespace) -> dict:
    """The ``--set`` assignments (and ``--weeks``) as a dotted-path dict."""
    changes = dict(parse_assignment(a) for a in args.set)
    if args.weeks is not None:
        changes["weeks"] = args.weeks
    return changes
