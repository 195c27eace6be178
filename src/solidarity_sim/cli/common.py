"""Argument types and options shared by several subcommands."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..model.checks import check_value
from ..model.parameters import SCHEMA
from ..model.scenario import bundled_scenarios, parse_assignment
from . import CommandError

T = TypeVar("T")

EXECUTORS = ("local", "dask")
"""The engines of ``--executor`` (``batch.executors.EXECUTORS``, repeated so that ``--help`` stays
fast)."""


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


KEYS_HELP = ("parameter keys: `solidarity-sim schema` prints every key with its type, range and "
             "unit; docs/ODD.md's parameter table gives each one's meaning and source")
"""Where the parameter keys of ``--set`` are listed (the end of ``--help``)."""


def scenarios_help() -> str:
    """The bundled scenarios and where the parameter keys are, for the end of ``--help``."""
    scenarios = (f"bundled scenarios: {', '.join(bundled_scenarios())} (`solidarity-sim "
                 "scenarios` describes each).")
    return "\n".join(textwrap.fill(text, 79) for text in (scenarios, f"{KEYS_HELP}."))


def add_override_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--seed``, ``--weeks`` and repeatable ``--set PATH=VALUE``."""
    parser.add_argument("--seed", type=seed, default=0, help="seed (default: 0)")
    parser.add_argument("--weeks", type=int,
                        help="override the scenario's horizon (weeks, 1 to 5200)")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a parameter by dotted path, e.g. "
                             "csos.factors.meaning=0.8 (repeatable; see the keys below)")


def add_uncertainty_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--uncertainty {none,posterior}``."""
    parser.add_argument("--uncertainty", choices=("none", "posterior"), default=None,
                        help="posterior: replication k runs with set k // 2 of the calibrated "
                             "posterior (docs/calibration.md), so intervals hold parameter "
                             "uncertainty as well as chance, with the share of variance from "
                             "each; none (default): chance only")


def uncertainty(args: argparse.Namespace, default: str | None = None):
    """The posterior ``--uncertainty`` (else ``default``, an experiment file's) asks for."""
    from ..batch.uncertainty import uncertainty_of

    return uncertainty_of(args.uncertainty or default)


def overrides(args: argparse.Namespace) -> dict:
    """The ``--set`` assignments (and ``--weeks``) as a dotted-path dict.

    Raises:
        ScenarioError: ``--weeks`` is out of range (the message names ``--weeks``; those of
            ``--set`` values come when the scenario is loaded).
    """
    changes = dict(parse_assignment(a) for a in args.set)
    if args.weeks is not None:
        changes["weeks"] = check_value(SCHEMA["weeks"], args.weeks, "--weeks", "weeks")
    return changes


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """Create the folder a command writes into, or stop with a message naming the option.

    Raises:
        FileError: The folder is a file, cannot be created or cannot be written into.
    """
    from ..results.files import make_folder

    return make_folder(path, option)


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


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers``, ``--executor local|dask`` and ``--scheduler ADDRESS``.

    The values are checked by :func:`check_executor_options` (in the handler, so that a bad
    value gives the one-paragraph error and exit status 2 of every command).
    """
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes of the local pool or local Dask cluster "
                             "(default: the usable cores); 1 runs serially in this process")
    parser.add_argument("--executor", metavar="local|dask",
                        help="local: a process pool on this machine (default); dask: Dask "
                             "distributed (a local cluster, or the scheduler of --scheduler)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                             "(implies --executor dask)")


def check_executor_options(args: argparse.Namespace) -> None:
    """Refuse a bad ``--workers``, ``--executor`` or ``--scheduler`` before anything runs.

    Raises:
        CommandError: The option and its bad value, and what is allowed.
    """
    if args.executor is not None and args.executor not in EXECUTORS:
        raise CommandError(f"--executor {args.executor!r}: no such executor; allowed: local (a "
                           "process pool on this machine) or dask (Dask distributed: a local "
                           "cluster, or the scheduler given by --scheduler)")
    if args.workers is not None and args.workers < 1:
        raise CommandError(f"--workers {args.workers}: allowed: a whole number from 1 (1 runs "
                           "serially in this process)")
    if args.scheduler and args.executor == "local":
        raise CommandError(f"--scheduler {args.scheduler}: a scheduler address needs "
                           "--executor dask (or no --executor)")
    if args.scheduler and args.workers:
        raise CommandError(f"--workers {args.workers}: the workers of an existing Dask "
                           "scheduler are started with `dask worker`; leave --workers out")


def start_workers_early(args: argparse.Namespace) -> None:
    """Start the local pool's fork server now if the options ask for a local pool.

    It imports the model and loads its compiled loops (about 1.5 s) while the command goes on
    (imports, scenarios, stored runs), instead of when the first run is submitted. Call it
    after :func:`check_executor_options`.
    """
    if (args.executor or "local") == "local" and not args.scheduler and args.workers != 1:
        from ..batch.executors import start_fork_server

        start_fork_server()


def open_executor(args: argparse.Namespace):
    """The executor ``--executor``, ``--workers`` and ``--scheduler`` ask for (a context manager).

    Raises:
        CommandError: The Dask scheduler cannot be reached.
    """
    from ..batch.executors import make_executor

    check_executor_options(args)
    try:
        executor = make_executor(args.executor or "local", args.workers, args.scheduler)
    except OSError as err:
        raise CommandError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler "
                           f"({err}); start one with `dask scheduler` and give its address, "
                           "e.g. tcp://127.0.0.1:8786") from None
    if args.executor == "dask" or args.scheduler:
        without_tracebacks("distributed")
    return executor


class _NoTraceback(logging.Filter):
    """Keep a log record's message, drop its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def without_tracebacks(library: str) -> None:
    """Let a library's log handlers print messages but no tracebacks.

    Dask's client, for one, logs each failed reconnection to a lost scheduler with its
    traceback; the command then says what happened in one paragraph.
    """
    for handler in logging.getLogger(library).handlers:
        handler.addFilter(_NoTraceback())


def add_batch_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """Add the options of every batch command: seed, horizon, overrides, executor, ``--out``."""
    add_override_options(parser)
    add_executor_options(parser)
    parser.add_argument("--out", help=out_help)


def run_batch(args: argparse.Namespace, out: Path, what: str, stored: int,
              job: Callable[..., T]) -> T | None:
    """Run a batch job on the executor the options ask for, with a progress bar.

    Says on stderr how many runs and where (and how many are already stored in ``out``), shows
    a bar of runs, and turns Ctrl-C or SIGTERM (how batch systems stop jobs) into a message
    saying that the finished runs are kept.

    Args:
        args: The parsed options (``--workers``, ``--executor``, ``--scheduler``).
        out: The store's folder.
        what: The runs in words, e.g. ``300 runs (100 futures x 3 policies)``.
        stored: Runs already in ``out``.
        job: ``job(executor, progress)`` runs the batch and returns its result.

    Returns:
        The job's result, or None if it was interrupted (the caller exits with 130).
    """
    signal.signal(signal.SIGTERM, _interrupt)
    with open_executor(args) as executor, run_progress() as progress:
        print(f"{what} on {executor.describe()}, stored in {out}/"
              + (f"; {stored} already stored (verified, not run again)" if stored else ""),
              file=sys.stderr)
        try:
            return job(executor, progress)
        except KeyboardInterrupt:
            print(f"\ninterrupted: the finished runs are kept in {out}/; run the same "
                  "command again to compute the rest", file=sys.stderr)
            return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
