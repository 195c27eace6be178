"""``solidarity-sim calibrate``: rejection ABC of the uncertain base rates against P1-P3.

The targets P1-P3 are the reference facts of ``docs/sources.md`` ('Reference facts').

Exit status 0 when a candidate passes the verification (or, with ``--verify 0``, when some point
is accepted), 1 otherwise, 2 on bad arguments or a bad calibration file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import CommandError
from .common import (
    add_executor_options,
    check_executor_options,
    open_executor,
    run_progress,
    whole_number,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_VERIFY = 20
DEFAULT_CANDIDATES = 5
STORE = "store"
"""Subfolder of --out holding the calibration's runs (a run store: rerun to resume)."""
VERIFICATION = "verification"
"""Subfolder of --out holding the run store of each candidate's verification (``point-N/``)."""


def register(subparsers) -> None:
    """Add the ``calibrate`` subcommand."""
    p = subparsers.add_parser(
        "calibrate", help="calibrate the uncertain base rates against the empirical targets",
        description="Draw Latin hypercubes from the priors of a calibration file (later waves "
                    "from the region near the targets), run every point in the baseline and "
                    "the pandemic scenario, and accept the points "
                    "whose mean statistics all lie inside the target bands (rejection ABC). "
                    "Prints the acceptance rate, the accepted region and whether the current "
                    "defaults lie in it; verifies the accepted points nearest the band centres "
                    "with the validation's calibration checks and recommends the best that "
                    "passes. Writes tables and figures to --out. See docs/calibration.md.")
    p.add_argument("experiment", nargs="?",
                   help="a calibration TOML file (default: experiments/calibration.toml)")
    p.add_argument("--out", default="results/calibration", metavar="DIR",
                   help="output folder (default: results/calibration)")
    add_executor_options(p)
    p.add_argument("--samples", type=whole_number("sample count", 1), metavar="N",
                   help="design points per wave (default: the file's design.samples)")
    p.add_argument("--replications", type=whole_number("replication count", 1), metavar="N",
                   help="replications per point (default: the file's replications)")
    p.add_argument("--verify", type=whole_number("verification replications", 0),
                   default=DEFAULT_VERIFY, metavar="N",
                   help="replications of the validation's calibration checks for each "
                        f"candidate, at least 2, or 0 to skip (default: {DEFAULT_VERIFY})")
    p.add_argument("--candidates", type=whole_number("candidate count", 1),
                   default=DEFAULT_CANDIDATES, metavar="K",
                   help="accepted points to verify, nearest the band centres first (default: "
                        f"{DEFAULT_CANDIDATES})")
    p.set_defaults(func=handle)


def _check_arguments(args: argparse.Namespace) -> Path:
    if args.verify == 1:
        raise CommandError("--verify 1: a 95% interval needs at least 2 replications; give a "
                           "whole number from 2 up, or 0 to skip the verification")
    check_executor_options(args)
    return Path(args.out)


def handle(args: argparse.Namespace) -> int:
    """Run the calibration, print the acceptance and the region, write tables and figures."""
    out = _check_arguments(args)

    from ..analysis import calibration as c
    from ..batch.lock import writing
    from ..results.crate import write_crate

    cal = c.load_calibration(args.experiment or c.bundled_calibration())
    cal = cal.resized(args.samples, args.replications)
    with writing(out):
        status = _calibrate(args, out, cal)
        write_crate(out)
    return status


def _calibrate(args: argparse.Namespace, out: Path, cal) -> int:
    """Calibrate into ``out`` (locked); print and write the results."""
    from ..analysis import calibration as c
    with open_executor(args) as executor:
        with run_progress("calibration") as progress:
            result = c.calibrate(cal, executor=executor, out=out / STORE, progress=progress)
        print(headline(result))
        selection = None
        if args.verify and not result.accepted.empty:
            with run_progress("verification") as progress:
                selection = c.select(cal, result.candidates(args.candidates),
                                     replications=args.verify, executor=executor,
                                     out=out / VERIFICATION, progress=progress)
    body = report(result, selection)
    print(body)
    files = write(result, selection, f"{headline(result)}\n{body}", out)
    print(f"\ntables and figures written to {out}/ ({', '.join(files)})")
    found = selection.chosen is not None if selection else not result.accepted.empty
    return 0 if found else 1


def headline(result) -> str:
    """What ran, where and how long."""
    cal, runs = result.calibration, result.runs
    per_point = ", ".join(f"{n} {scenario}" for scenario, n in
                          runs.groupby("scenario", sort=False)["replication"].nunique().items())
    lines = [f"{cal.name} ({cal.origin}): {len(result.waves)} wave(s) of "
             f"{cal.design.samples} Latin-hypercube points x ({per_point} runs) + the current "
             f"defaults; {result.workers}; {result.seconds:.0f} s"]
    if result.failures:
        lines.append(f"{len(result.failures)} runs failed (their statistics are missing), "
                     f"e.g. {result.failures[0]}")
    return "\n".join(lines)


def report(result, selection) -> str:
    """The acceptance, the region, the defaults and the recommendation, in words and tables."""
    from ..analysis import calibration as c
    from ..analysis import validation

    points, targets = result.points, result.targets
    region = result.region()
    lines = ["", "share of the first wave's points (a sample of the priors) inside each band:"]
    lines += [f"  {row.statistic:<17} {row.target:<8} {row.inside:6.1%}"
              for row in targets.itertuples()]
    lines.append("\naccepted: every mean statistic inside its band; plausible: within "
                 f"{result.calibration.margin:g} band widths of it")
    lines += [f"  wave {w.wave}: {w.points} points "
              + ("over the priors" if w.wave == 0 else
                 f"in the box of wave {w.wave - 1}'s plausible points ({w.volume:.0%} of the "
                 "priors' volume)")
              + f": {w.accepted} accepted ({w.acceptance:.1%}), {w.plausible} plausible"
              for w in result.waves.itertuples()]
    if len(result.waves) < result.calibration.waves:
        lines.append(f"  no plausible point in wave {len(result.waves) - 1}: the later waves "
                     "were not run")
    if not points["accepted"].any():
        lines.append("no point is accepted: widen the priors or add points")
        return "\n".join(lines)
    lines += ["", f"accepted region ({int(points['accepted'].sum())} points):",
              validation.padded_table(region_cells(region)), ""]
    inside = region["default_inside"].all()
    lines.append("current defaults: " + (
        "inside the accepted range of every parameter" if inside else
        "outside the accepted range of " + ", ".join(
            region.loc[~region["default_inside"], "parameter"])))
    defaults = result.defaults.iloc[0]
    missed = [f"{row.statistic} {defaults[row.statistic]:{row.fmt}} (target {row.target})"
              for row in targets.itertuples()
              if not c.inside(result.defaults[row.statistic], row.low, row.high).iloc[0]]
    lines.append("their own mean statistics are " + (
        "accepted" if defaults["accepted"] else "rejected: " + "; ".join(missed)))
    if selection is None:
        return "\n".join(lines)
    words = validation.replications_in_words(selection.validations[0].values)
    lines += ["", f"candidates: the {len(selection.table)} accepted points nearest the band "
                  f"centres, rounded to {c.SIGNIFICANT} significant digits, each verified with "
                  f"the validation's calibration checks ({words}; passed: checks whose 95% "
                  "interval lies in the band):",
              validation.padded_table(candidate_cells(selection, targets))]
    if selection.chosen is None:
        lines.append("\nno candidate passes every check: keep the current defaults; verify more "
                     "candidates (--candidates) or add design points")
        return "\n".join(lines)
    lines += ["", "recommended values (the candidate that passes every check with the verified "
                  "means nearest the band centres):",
              "  " + " ".join(f"--set {k}={v:g}" for k, v in selection.chosen.items()),
              validation.text_table(selection.validation.table)]
    return "\n".join(lines)


def candidate_cells(selection, targets: pd.DataFrame) -> pd.DataFrame:
    """The candidates table as text cells: values, verified means, checks passed, distance."""
    import pandas as pd

    table = selection.table
    cells = {"point": table["point"].astype(str)}
    cells.update({p.rsplit(".", 1)[-1]: table[p].map("{:g}".format)
                  for p in selection.parameters})
    cells.update({row.statistic: table[row.statistic].map(f"{{:{row.fmt}}}".format)
                  for row in targets.itertuples()})
    cells.update({"passed": table["passed"].map(f"{{}}/{len(targets)}".format),
                  "distance": table["distance"].map("{:.2f}".format),
                  "chosen": table["chosen"].map({True: "yes", False: ""})})
    return pd.DataFrame(cells)


def region_cells(region: pd.DataFrame) -> pd.DataFrame:
    """The region table as text cells (3 significant digits)."""
    import pandas as pd

    def num(x: float) -> str:
        return "n/a" if pd.isna(x) else f"{x:.3g}"

    return pd.DataFrame({
        "parameter": region["parameter"],
        "prior": [f"{num(a)}–{num(b)}" for a, b in zip(region["prior_min"],
                                                       region["prior_max"], strict=True)],
        "accepted min": region["min"].map(num), "median": region["median"].map(num),
        "max": region["max"].map(num), "share of prior": region["width"].map(
            lambda w: "n/a" if pd.isna(w) else f"{w:.0%}"),
        "default": region["default"].map(num),
        "default inside": region["default_inside"].map({True: "yes", False: "no"}),
    })


def write(result, selection, text: str, out: Path) -> list[str]:
    """Write the tables, the printed report, the manifest and the figures; return file names."""
    import matplotlib.pyplot as plt

    from ..analysis import calibration as c
    from ..results.files import save_figure, write_csv, write_json, write_text
    from ..versions import library_versions, package_version
    from ..viz.calibration_plots import pairs_figure, responses_figure, targets_figure

    cal = result.calibration
    region = result.region()
    tables = {
        "points.csv": result.points, "runs.csv": result.runs, "waves.csv": result.waves,
        "region.csv": region, "targets.csv": result.targets, "defaults.csv": result.defaults,
        "correlations.csv": c.correlations(result.points, cal.parameters),
    }
    if selection is not None:
        tables["candidates.csv"] = selection.table
    if selection is not None and selection.validation is not None:
        tables["verification.csv"] = selection.validation.table.drop(columns=["fmt"])
    for name, table in tables.items():
        write_csv(table, out / name, index=name == "correlations.csv", float_format="%.6g")
    write_text(out / "summary.md", f"# {cal.name}\n\n```text\n{text}\n```\n")
    manifest = {
        "kind": "solidarity-sim calibration", "origin": cal.origin,
        "calibration": cal.to_dict(), "version": package_version(),
        "libraries": library_versions(), "workers": result.workers,
        "seconds": round(result.seconds, 1), "runs": len(result.runs),
        "seeds": "run k of design point p: derive_seed(seed, p, k) = SeedSequence(seed, "
                 "spawn_key=(p, k)).generate_state(1, uint64)[0] >> 1 in both scenarios (points "
                 "numbered across waves); the defaults: derive_seed(seed, k); Latin hypercube of "
                 "wave w: SALib seed + w; verification: the validation's seeds, "
                 "derive_seed(0, k)",
        "failures": result.failures,
        "recommended": None if selection is None else selection.chosen,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(out / "manifest.json", manifest)
    chosen = None if selection is None else selection.table[selection.table["chosen"]]
    figures = {"targets.png": targets_figure(result.points, result.targets, result.defaults,
                                             chosen if chosen is not None and len(chosen)
                                             else None),
               "pairs.png": pairs_figure(result.points, region, result.waves),
               "responses.png": responses_figure(result.points, result.targets, region)}
    for name, fig in figures.items():
        save_figure(fig, out / name, dpi=100)
        plt.close(fig)
    return [*tables, "summary.md", "manifest.json", *figures]
