"""``solidarity-sim analyze``: sensitivity indices or main effects of a sweep, as CSV and figure."""

from __future__ import annotations

import argparse

from .common import output_folder

SHOWN = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"], "lhs": ["S1", "S1_conf"],
         "morris": ["mu_star", "mu_star_conf", "sigma"], "grid": ["value", "mean", "ci_low",
                                                                  "ci_high", "n"]}


def register(subparsers) -> None:
    """Add the ``analyze`` subcommand."""
    p = subparsers.add_parser(
        "analyze", help="sensitivity analysis of a sweep folder",
        description="Analyse a sweep folder by its design: Sobol' S1/ST (sobol), Morris mu* "
                    "and sigma (morris), RBD-FAST S1 (lhs) or main effects (grid). Writes a "
                    "CSV table, the design points' mean outcomes and a figure.")
    p.add_argument("folder", help="the --out folder of `solidarity-sim sweep`")
    p.add_argument("--out", help="where to write the table and figure (default: FOLDER)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Analyse the sweep, write CSVs and the figure, print the table."""
    import pandas as pd

    from ..analysis.sensitivity import analyse
    from ..results.crate import write_crate
    from ..results.files import save_figure, write_csv
    from ..viz.sweep_plots import METHOD_TITLE, sensitivity_figure

    analysis = analyse(args.folder)
    out = output_folder(args.out or args.folder)
    table_file, points_file = out / f"{analysis.name}.csv", out / "point_means.csv"
    write_csv(analysis.table, table_file)
    write_csv(analysis.points, points_file)
    fig = sensitivity_figure(analysis.table, analysis.method, analysis.labels,
                             title=f"{analysis.experiment}: {METHOD_TITLE[analysis.method]} "
                                   f"({analysis.runs:,} runs)", scales=analysis.scales)
    figure_file = out / "sensitivity.png"
    save_figure(fig, figure_file, dpi=120)
    if (out / "manifest.json").is_file():  # the sweep's folder: describe the new files too
        write_crate(out)
    with pd.option_context("display.width", 120, "display.max_rows", 200,
                           "display.float_format", "{:.3f}".format):
        print(analysis.table.set_index(["outcome", "parameter"])[SHOWN[analysis.method]])
    if analysis.runs < analysis.planned:
        print(f"\nnote: {analysis.planned - analysis.runs} of {analysis.planned} runs are "
              "missing (unfinished or failed); the main effects use the runs there are")
    print(f"\nwritten: {table_file}, {points_file}, {figure_file}")
    return 0
