"""``solidarity-sim run``: one scenario, a printed summary, results and an overview figure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_override_options, output_folder, overrides, scenarios_help


def register(subparsers) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run", help="run one scenario and summarise it",
        description="Run one scenario, print a summary, and write results (Parquet, "
                    "manifest.json, RO-Crate metadata) and an overview figure.",
        epilog=scenarios_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="a bundled scenario name or a TOML file (default: baseline)")
    add_override_options(p)
    p.add_argument("--out", help="output folder (default: results/SCENARIO-seedN)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the scenario, print its summary, write its results and overview figure."""
    from ..model.scenario import load_scenario

    scenario = load_scenario(args.scenario, overrides(args), where="--set")
    out = output_folder(args.out or Path("results") / f"{scenario.name}-seed{args.seed}")

    from tqdm import tqdm

    from ..results.run_result import run
    from ..results.summary import describe_run
    from ..viz.run_plots import run_figure

    with tqdm(total=scenario.params["weeks"], unit="week", delay=2, disable=None,
              leave=False, file=sys.stderr) as bar:
        result = run(scenario, seed=args.seed,
                     progress=lambda week, total: bar.update(week - bar.n))
    result.save(out, figure=run_figure(result))
    print(describe_run(result))
    print(f"\nresults and figure written to {out}/ (timeseries, spells, csos and events as "
          "Parquet, manifest.json, overview.png, ro-crate-metadata.json)")
    return 0
