"""The ``solidarity-sim`` command line.

Heavy modules (Mesa, pandas, matplotlib) are imported inside the commands, so ``--help`` and
``scenarios`` start fast. A bad scenario or value prints a one-paragraph error and exits with
status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from .scenario import ScenarioError, bundled_scenarios, parse_assignment


class CommandError(Exception):
    """A command-line argument is unusable; the message says which and why."""


def _seed(text: str) -> int:
    """A seed: a whole number from 0 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: a whole number from 0 "
                                         "up") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid seed {value}: a whole number from 0 up")
    return value


def _overrides(assignments: list[str]) -> dict:
    return dict(parse_assignment(a) for a in assignments)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print its summary, write its results and overview figure."""
    from tqdm import tqdm

    from .results import run
    from .scenario import load_scenario
    from .summary import summarise

    overrides = _overrides(args.set)
    if args.weeks is not None:
        overrides["weeks"] = args.weeks
    scenario = load_scenario(args.scenario, overrides, where="--set")
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-seed{args.seed}"
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out}: exists and is not a folder; give a folder to write "
                           "the results into")
    with tqdm(total=scenario.params["weeks"], unit="week", delay=2, disable=None,
              leave=False, file=sys.stderr) as bar:
        result = run(scenario, seed=args.seed,
                     progress=lambda week, total: bar.update(week - bar.n))
    result.save(out)

    from .plots import overview

    fig = overview(result.timeseries, title=f"{scenario.name} · seed {args.seed}")
    fig.savefig(out / "overview.png", dpi=110)
    print(summarise(result))
    print(f"\nresults and figure written to {out}/ (timeseries, spells and csos as Parquet, "
          "manifest.json, overview.png)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the bundled scenarios, one line each."""
    scenarios = bundled_scenarios()
    width = max(map(len, scenarios), default=0)
    for name, path in scenarios.items():
        with path.open("rb") as fh:
            description = " ".join(tomllib.load(fh).get("description", "").split())
        first = description.split(". ")[0].rstrip(".")
        print(f"{name:{width}}  {first}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="solidarity-sim",
        description="Agent-based simulation of solidarity dynamics (citizens, volunteers, CSOs, "
                    "the state).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one scenario and summarise it",
                         description="Run one scenario, print a summary, and write results "
                                     "(Parquet, manifest.json) and an overview figure.")
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="a bundled scenario name or a TOML file (default: baseline)")
    run.add_argument("--seed", type=_seed, default=0, help="seed of the run (default: 0)")
    run.add_argument("--weeks", type=int, help="override the scenario's horizon")
    run.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                     help="override a parameter by dotted path, e.g. "
                          "csos.factors.meaning=0.8 (repeatable)")
    run.add_argument("--out", help="output folder (default: results/SCENARIO-seedN)")
    run.set_defaults(func=cmd_run)

    scen = sub.add_parser("scenarios", help="list the bundled scenarios")
    scen.set_defaults(func=cmd_scenarios)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``solidarity-sim`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, CommandError) as err:
        print(f"solidarity-sim: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
