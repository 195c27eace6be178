"""The Morris study of policy differences: the same design and seeds on every scenario, paired
differences, elementary effects and winners (real sweeps of a small town)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.analysis import policy_sensitivity as ps
from solidarity_sim.batch.executors import SerialExecutor
from solidarity_sim.batch.experiment import load_experiment

EXPERIMENT = """
name = "tiny-policy"
scenario = "great-recession"
seed = 9
replications = 2
weeks = 60

[fixed]
"population.citizens" = 1000
"population.neighbourhoods" = 4

[design]
method = "morris"
samples = 2
levels = 4
common_seeds = true

[parameters]
"effects.scalability_growth" = { min = 0.3, max = 0.9 }
"csos.initial_scale" = { min = 2, max = 4 }

[outcomes]
unmet_need = { column = "unmet_need", stat = "mean" }
volunteer_share = { column = "volunteer_share", stat = "mean" }
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policy")
    (folder / "exp.toml").write_text(EXPERIMENT)
    experiment = load_experiment(folder / "exp.toml")
    with SerialExecutor() as executor:
        tables = ps.run_policies(experiment, ["core-funding", "procurement"], folder / "runs",
                                 executor)
    return experiment, tables


def test_every_scenario_runs_the_same_design_with_the_same_seeds(study):
    experiment, tables = study
    assert list(tables) == ["great-recession", "core-funding", "procurement"]
    first = tables["great-recession"]
    for table in tables.values():
        assert table["seed"].equals(first["seed"]) and len(table) == len(experiment.runs())
        assert table["effects.scalability_growth"].equals(first["effects.scalability_growth"])


def test_differences_are_paired_run_by_run_and_averaged_per_point(study):
    experiment, tables = study
    diffs = ps.differences(tables, experiment)
    base, core = tables["great-recession"], tables["core-funding"]
    point = int(base["point"].iloc[0])
    rows = base["point"] == point
    expected = (core.loc[rows, "unmet_need"] - base.loc[rows, "unmet_need"]).mean()
    got = diffs[(diffs["policy"] == "core-funding") & (diffs["point"] == point)]["unmet_need"]
    assert got.iloc[0] == pytest.approx(expected)
    assert len(diffs) == 2 * len(experiment.design())


def test_effects_and_winners(study):
    experiment, tables = study
    diffs = ps.differences(tables, experiment)
    effects = ps.morris_effects(diffs, experiment)
    assert len(effects) == 2 * 2 * 2  # policies x outcomes x factors
    assert (effects.groupby(["policy", "outcome"])["share"].max().dropna() == 1).all()
    wins = ps.winners(diffs, "unmet_need", -1, "great-recession")
    assert wins.sum() == pytest.approx(1.0) and set(wins.index) == {
        "great-recession", "core-funding", "procurement"}


def test_winners_by_hand():
    diffs = pd.DataFrame({"policy": ["a", "a", "b", "b"], "point": [0, 1, 0, 1],
                          "need": [-1.0, 2.0, -3.0, 1.0]})
    wins = ps.winners(diffs, "need", -1, "ref")
    assert wins.to_dict() == {"a": 0.0, "b": 0.5, "ref": 0.5}
    assert np.isclose(wins.sum(), 1)


def test_the_command_reads_back_the_stored_sweeps_and_writes_its_files(study, capsys):
    from solidarity_sim.cli import main

    experiment, _ = study
    folder = Path(experiment.origin).parent
    status = main(["policy-sensitivity", experiment.origin, "core-funding", "procurement",
                   "--out", str(folder), "--workers", "1"])
    printed = capsys.readouterr().out
    assert status == 0 and "best on unmet_need at each design point" in printed
    assert (folder / "sensitivity.png").stat().st_size > 10_000
    assert len(pd.read_csv(folder / "effects.csv")) == 8


def test_the_command_refuses_a_design_other_than_morris(tmp_path, capsys):
    from solidarity_sim.cli import main

    path = tmp_path / "exp.toml"
    path.write_text(EXPERIMENT.replace('method = "morris"', 'method = "lhs"'))
    assert main(["policy-sensitivity", str(path), "core-funding", "--out",
                 str(tmp_path / "o")]) == 2
    assert "allowed: 'morris'" in capsys.readouterr().err
