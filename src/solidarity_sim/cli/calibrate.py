"""``solidarity-sim calibrate``: a posterior by screening and ABC-SMC, or rejection ABC.

The default file (``experiments/posterior.toml``, a file with an ``[smc]`` table) screens every
assumed parameter, fits the ones that matter by ABC-SMC (pyabc) and checks the posterior against
every target of ``validate`` (:mod:`solidarity_sim.analysis.posterior_fit`). A calibration file
with a ``[design]`` table (``experiments/calibration.toml``) runs the earlier rejection ABC of six
base rates against P1-P3 (:mod:`solidarity_sim.analysis.calibration`).

Exit status 0 when the posterior passes its predictive check (rejection ABC: when a candidate
passes the verification, or some point is accepted with ``--verify 0``), 1 otherwise, 2 on bad
arguments, a bad file, or without the ``abc`` extra.
"""

from __future__ import annotations

import argparse
import sys
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
DEFAULT_CHECK = 20
SCREENING = "screening"
"""Subfolder of --out holding the Morris screening (reused when the file is the same)."""
CHECK = "check"
"""Subfolder of --out holding the run store of the posterior predictive check."""
DEFAULT_CANDIDATES = 5
STORE = "store"
"""Subfolder of --out holding the calibration's runs (a run store: rerun to resume)."""
VERIFICATION = "verification"
"""Subfolder of --out holding the run store of each candidate's verification (``point-N/``)."""


def register(subparsers) -> None:
    """Add the ``calibrate`` subcommand."""
    p = subparsers.add_parser(
        "calibrate", help="calibrate the model: a posterior of its uncertain parameters",
        description="With a posterior file (default: experiments/posterior.toml): screen every "
                    "assumed parameter (Morris), fit the ones that matter by ABC-SMC (pyabc) "
                    "against the targets of validate, write the posterior (posterior.parquet "
                    "and manifest.json: usable with --uncertainty), its figures and a posterior "
                    "predictive check of every fitted and held-out target. Stop it at any time: "
                    "the same command resumes after the last finished generation. With a "
                    "rejection file (a [design] table, e.g. experiments/calibration.toml): "
                    "Latin hypercubes and rejection ABC of the base rates against P1-P3. See "
                    "docs/calibration.md.")
    p.add_argument("experiment", nargs="?",
                   help="a posterior or calibration TOML file (default: "
                        "experiments/posterior.toml)")
    p.add_argument("--out", default="results/calibration", metavar="DIR",
                   help="output folder (default: results/calibration)")
    p.add_argument("--check", type=whole_number("check replications", 0), default=DEFAULT_CHECK,
                   metavar="N", help="posterior file: replications of the predictive check, "
                                     f"at least 2, or 0 to skip (default: {DEFAULT_CHECK})")
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
    for option, value in (("--verify", args.verify), ("--check", args.check)):
        if value == 1:
            raise CommandError(f"{option} 1: a 95% interval needs at least 2 replications; "
                               "give a whole number from 2 up, or 0 to skip it")
    check_executor_options(args)
    return Path(args.out)


def handle(args: argparse.Namespace) -> int:
    """Run the calibration, print the acceptance and the region, write tables and figures."""
    out = _check_arguments(args)

    from ..analysis import calibration as c
    from ..batch.lock import writing
    from ..model.scenario import read_toml
    from ..results.crate import write_crate

    path = Path(args.experiment) if args.experiment else c.bundled_calibration().with_name(
        "posterior.toml")
    smc = "smc" in read_toml(path) if path.is_file() else False
    if smc:
        from ..analysis import posterior_fit as pf
        from ..extras import require

        require("abc", "calibrate with a posterior file (ABC-SMC)")
        spec = pf.load_spec(path)
    else:
        cal = c.load_calibration(path).resized(args.samples, args.replications)
    with writing(out):
        status = _posterior(args, out, spec) if smc else _calibrate(args, out, cal)
        write_crate(out)
    return status


def _posterior(args: argparse.Namespace, out: Path, spec) -> int:
    """Screen, fit and check a posterior into ``out`` (locked); print and write the results."""
    from ..analysis import posterior_fit as pf
    from ..analysis import validation
    from ..batch.uncertainty import load_posterior
    from ..versions import library_versions, package_version

    started = time.perf_counter()
    with open_executor(args) as executor:
        print(f"{spec.name} ({spec.origin}) on {executor.describe()}", file=sys.stderr)
        screen = pf.Screening.load(out / SCREENING, spec)
        if screen is None:
            with run_progress("screening") as progress:
                screen = pf.screening(spec, executor=executor, progress=progress)
            screen.save(out / SCREENING, spec)
        print(f"screening: {len(screen.effects)} parameters, {len(screen.points)} Morris points "
              f"({screen.seconds:.0f} s); enter the fit: {', '.join(screen.entered)}")
        fit = pf.fit_smc(spec, screen.entered, out, executor=executor,
                         progress=_generation_line)
        print(f"ABC-SMC: {len(fit.generations)} generations, "
              f"{int(fit.generations['simulations'].sum())} simulations; stopped: {fit.stopped}")
        marginals = pf.marginals(fit.posterior, spec, fit.parameters)
        pf.save_posterior(fit, spec, out, {
            "version": package_version(), "libraries": library_versions(("pyabc", "SALib")),
            "workers": executor.describe(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": pf.parameter_status(screen, marginals)})
        check = None
        if args.check:
            with run_progress("predictive check") as progress:
                check = validation.validate(
                    pf.predictive_checks(spec.fixed.get("population.citizens")),
                    replications=args.check, executor=executor,
                    out=out / CHECK, progress=progress, uncertainty=load_posterior(out))
    text = posterior_report(fit, marginals, check, time.perf_counter() - started)
    print(text)
    files = write_posterior(out, spec, screen, fit, marginals, check, text)
    print(f"\nposterior and figures written to {out}/ ({', '.join(files)}); use it with "
          f"--uncertainty posterior after copying posterior.parquet and manifest.json to the "
          "package's posterior/ folder")
    return 0 if check is None or check.passed else 1


def _generation_line(row: dict) -> None:
    """One line on standard error per finished ABC-SMC generation."""
    print(f"  generation {int(row['t'])}: tolerance {row['epsilon']:.3g} band widths, "
          f"{int(row['particles'])} of {int(row['simulations'])} simulations accepted "
          f"({row['acceptance']:.0%}), effective sample size {row['ess']:.0f}",
          file=sys.stderr, flush=True)


def posterior_report(fit, marginals: pd.DataFrame, check, seconds: float) -> str:
    """The generations, the marginals, the predictive check, in words and tables."""
    import pandas as pd

    from ..analysis import posterior_fit as pf
    from ..analysis import validation

    gens = fit.generations
    lines = ["", "generations (tolerance: the largest excess of a statistic outside its band, in "
                 "band widths):", validation.padded_table(gens.assign(
                     epsilon=gens["epsilon"].map("{:.3g}".format),
                     acceptance=gens["acceptance"].map("{:.1%}".format),
                     ess=gens["ess"].map("{:.0f}".format)).astype(str)), "",
             f"posterior: {len(fit.posterior)} weighted parameter sets; 90 % intervals "
             f"(identified: under {pf.IDENTIFIED:.0%} of the prior's width):",
             validation.padded_table(pd.DataFrame({
                 "parameter": marginals["parameter"],
                 "prior": [f"{a:.3g}-{b:.3g}" for a, b in zip(
                     marginals["prior_low"], marginals["prior_high"], strict=True)],
                 "median": marginals["median"].map("{:.3g}".format),
                 "90% interval": [f"{a:.3g}-{b:.3g}" for a, b in zip(
                     marginals["low"], marginals["high"], strict=True)],
                 "share of prior": marginals["share_of_prior"].map("{:.0%}".format),
                 "identified": marginals["identified"].map({True: "yes", False: "no"}),
                 "default": marginals["default"].map("{:.3g}".format),
                 "default inside": marginals["default_inside"].map({True: "yes",
                                                                    False: "no"})}))]
    best = pf.highest_weight_passing(fit.posterior, fit.parameters)
    lines += ["", "highest-weight set whose own statistics meet every fitted target:",
              "  " + " ".join(f"--set {k}={v:.3g}" for k, v in best.items())]
    if check is not None:
        table = check.table.assign(check=[
            f"{name} [{'fitted' if name in pf.FITTED_CHECKS else 'held out'}]"
            for name in check.table["check"]])
        lines += ["", "posterior predictive check (intervals over posterior sets, two seeds "
                      "each; a check passes when its interval lies in the band):",
                  validation.text_table(table), "", validation.verdict(check.table)]
    lines.append(f"\n{seconds / 60:.1f} minutes")
    return "\n".join(lines)


def write_posterior(out: Path, spec, screen, fit, marginals: pd.DataFrame, check, text: str
                    ) -> list[str]:
    """Write the tables, the report and the figures; return the file names."""
    import matplotlib.pyplot as plt

    from ..analysis import posterior_fit as pf
    from ..results.files import save_figure, write_csv, write_text
    from ..viz.posterior_plots import (
        marginals_figure,
        pairs_figure,
        predictive_figure,
        screening_figure,
    )

    tables = {"particles.csv": fit.posterior, "generations.csv": fit.generations,
              "marginals.csv": marginals, "screening.csv": screen.effects}
    if check is not None:
        tables["check.csv"] = check.table.drop(columns=["fmt"])
    for name, table in tables.items():
        write_csv(table, out / name, index=False, float_format="%.6g")
    write_text(out / "summary.md", f"# {spec.name}\n\n```text\n{text}\n```\n")
    ranges = {p: (spec.priors[p].low, spec.priors[p].high) for p in fit.parameters}
    figures = {"screening.png": screening_figure(screen.effects,
                                                 spec.screening["threshold"]),
               "marginals.png": marginals_figure(fit.posterior, marginals),
               "pairs.png": pairs_figure(fit.posterior, fit.parameters, ranges)}
    if check is not None:
        figures["check.png"] = predictive_figure(check.table, set(pf.FITTED_CHECKS))
    for name, fig in figures.items():
        save_figure(fig, out / name, dpi=100)
        plt.close(fig)
    return ["posterior.parquet", "manifest.json", *tables, "summary.md", *figures]


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
