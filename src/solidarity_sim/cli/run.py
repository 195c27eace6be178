"""``solidarity-sim run``: one scenario, a printed summary, results and an overview figure."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from ..extras import require
from . import CommandError
from .common import add_override_options, output_folder, overrides, scenarios_help, whole_number

FILM_SUFFIXES = (".mp4", ".gif")


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
    p.add_argument("--film", metavar="FILE",
                   help="also write a film of the run: the town and the main charts week by "
                        "week (.mp4 or .gif; needs the 'film' extra)")
    p.add_argument("--film-every", type=whole_number("number of weeks", 1), default=1,
                   metavar="WEEKS", help="weeks between the film's frames (default: 1)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the scenario, print its summary, write its results and overview figure."""
    from ..model.scenario import load_scenario

    scenario = load_scenario(args.scenario, overrides(args), where="--set")
    if args.film and Path(args.film).suffix.lower() not in FILM_SUFFIXES:
        raise CommandError(f"--film {args.film}: not allowed; give a file ending in .mp4 or "
                           ".gif")
    if args.film:
        require("film", "a film of a run (--film)")
    out = output_folder(args.out or Path("results") / f"{scenario.name}-seed{args.seed}")

    from tqdm import tqdm

    from ..results.run_result import run
    from ..results.summary import describe_run
    from ..viz.run_plots import run_figure

    title = f"{scenario.name} · seed {args.seed}"
    if args.film:
        from ..viz.film import FPS, Film

        film = Film(args.film, title=title, weeks=scenario.params["weeks"],
                    every=args.film_every)
    else:
        film = nullcontext()
    with film, tqdm(total=scenario.params["weeks"], unit="week", delay=2, disable=None,
                    leave=False, file=sys.stderr) as bar:
        result = run(scenario, seed=args.seed,
                     progress=lambda week, total: bar.update(week - bar.n),
                     watch=(lambda m: film.add(m.town, m.seed, m.datacollector.model_vars))
                     if args.film else None)
    result.save(out, figure=run_figure(result))
    print(describe_run(result))
    print(f"\nresults and figure written to {out}/ (timeseries, spells, csos and events as "
          "Parquet, manifest.json, overview.png, ro-crate-metadata.json)")
    if args.film:
        print(f"film written to {args.film} ({film.frames} frames, {FPS} a second)")
    return 0
