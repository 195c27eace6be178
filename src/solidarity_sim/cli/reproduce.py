"""``solidarity-sim reproduce``: run a folder's runs again and say whether every number matches.

Exit status 0 when every number re-run matches the record, 1 when one differs (or a file no longer
matches its recorded checksum), 2 on a bad folder or option.
"""

from __future__ import annotations

import argparse

from .common import add_executor_options, check_executor_options, open_executor, whole_number


def register(subparsers) -> None:
    """Add the ``reproduce`` subcommand."""
    p = subparsers.add_parser(
        "reproduce", help="re-run a run, compare or sweep folder and check every number",
        description="Run again what the manifest of a `run`, `compare` or `sweep` output folder "
                    "records (its resolved parameters and seeds), all its runs or a random "
                    "sample, and compare every recorded number exactly. Reports identical, or "
                    "each run, file and column that differs, files changed since they were "
                    "written, and the package or library versions that differ from the "
                    "recorded ones. Nothing in the folder is changed. Exit status 1 when "
                    "something differs.")
    p.add_argument("folder", help="the --out folder of `solidarity-sim run`, `compare` or "
                                  "`sweep`")
    p.add_argument("--sample", type=whole_number("sample size", 1), metavar="K",
                   help="re-run K stored runs drawn at random (default: all)")
    p.add_argument("--sample-seed", type=whole_number("sample seed", 0), default=0,
                   metavar="N", help="seed of the random draw of --sample (default: 0)")
    add_executor_options(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Re-run the folder's runs, print what matches and what differs."""
    from ..analysis.reproduction import reproduce

    check_executor_options(args)
    options = {"sample": args.sample, "sample_seed": args.sample_seed}
    if args.executor == "dask" or args.scheduler:
        with open_executor(args) as executor:
            found = reproduce(args.folder, executor=executor, **options)
    else:  # a local pool only if there is more than one run
        found = reproduce(args.folder, workers=args.workers, **options)
    print(found.report())
    return 0 if found.identical else 1
