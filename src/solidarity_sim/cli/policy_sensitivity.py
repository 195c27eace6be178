"""``solidarity-sim policy-sensitivity``: which assumptions decide which policy wins (Morris).

Exit status 0, or 2 on a bad experiment file or argument.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_executor_options, check_executor_options, open_executor


def register(subparsers) -> None:
    """Add the ``policy-sensitivity`` subcommand."""
    p = subparsers.add_parser(
        "policy-sensitivity", help="which assumptions decide which policy wins (Morris)",
        description="Sweep a Morris experiment file (e.g. experiments/policy-sensitivity.toml) "
                    "on its scenario and on each POLICY scenario with the same design points "
                    "and seeds; take each policy's paired difference from the file's scenario "
                    "run by run; print and write the Morris effects of every factor on each "
                    "policy's effect (effects.csv), the differences (differences.csv), the "
                    "share of design points at which each policy is best on the file's first "
                    "outcome (winners.csv) and a figure (sensitivity.png). Each sweep is stored "
                    "in --out/runs/SCENARIO/ and resumes like any sweep.")
    p.add_argument("experiment", help="a Morris experiment file (design.method = 'morris')")
    p.add_argument("policies", nargs="+", metavar="POLICY",
                   help="bundled scenario names or scenario files to compare with the file's "
                        "scenario")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_executor_options(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the study, print the largest effects and the winners, write tables and figure."""
    check_executor_options(args)
    from ..analysis import policy_sensitivity as ps
    from ..batch.experiment import ExperimentError, load_experiment
    from ..results.files import save_figure, write_csv
    from ..viz.sweep_plots import policy_sensitivity_figure

    experiment = load_experiment(args.experiment)
    if experiment.method != "morris":
        raise ExperimentError(f"{experiment.origin}: key 'design.method': value "
                              f"{experiment.method!r} is not allowed here; allowed: 'morris'")
    out = Path(args.out)
    with open_executor(args) as executor:
        tables = ps.run_policies(experiment, args.policies, out / "runs", executor)
    diffs = ps.differences(tables, experiment)
    effects = ps.morris_effects(diffs, experiment)
    outcome = experiment.outcomes[0]
    better = -1 if "unmet" in outcome.column else 1
    wins = ps.winners(diffs, outcome.name, better, experiment.scenario_ref)
    write_csv(diffs, out / "differences.csv", index=False, float_format="%.6g")
    write_csv(effects, out / "effects.csv", index=False, float_format="%.6g")
    write_csv(wins.rename("share").rename_axis("policy").reset_index(), out / "winners.csv",
              index=False, float_format="%.4g")
    save_figure(policy_sensitivity_figure(effects, wins, outcome.label or outcome.name),
                out / "sensitivity.png", dpi=100)
    top = effects.sort_values("mu_star", ascending=False, kind="stable").groupby(
        ["policy", "outcome"], sort=False).head(3)
    print("the three largest Morris effects on each policy's paired effect:\n"
          + top[["policy", "outcome", "factor", "mu_star", "share"]].to_string(index=False))
    print(f"\nbest on {outcome.label or outcome.name} at each design point:\n"
          + wins.map("{:.0%}".format).to_string())
    print(f"\nwritten to {out}/: effects.csv, differences.csv, winners.csv, sensitivity.png")
    return 0
