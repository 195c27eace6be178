"""Argument types and options shared by several subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..model.scenario import parse_assignment


def whole_number(what: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` (to ``high``), named ``what`` in errors."""
    allowed = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"invalid {what} {value}: {allowed}")
        return value

    return parse


seed = whole_number("seed", 0)
"""Parse a seed: a whole number from 0 up."""


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


@contextmanager
def run_progress(what: str | None = None) -> Iterator[Callable[[int, int], None]]:
    """A progress bar of runs on stderr (after 2 s, only on a terminal).

    Yields:
        The ``progress(done, total)`` callback that validation and calibration call.
    """
    from tqdm import tqdm

    with tqdm(unit="run", desc=what, delay=2, disable=None, leave=False,
              file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress
