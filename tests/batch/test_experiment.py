"""Experiment files: validation errors, designs, run seeds and outcome statistics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.batch.experiment import ExperimentError, Outcome, load_experiment
from solidarity_sim.cli import main

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"

GOOD = """
scenario = "baseline"
seed = 3
replications = 2
weeks = 60

[fixed]
"population.citizens" = 600

[design]
method = "grid"

[parameters]
"state.funding.policy" = ["none", "core_funding", "performance"]
"csos.factors.meaning" = [0.2, 0.8]

[outcomes]
retention = { column = "retention_12m", stat = "final" }
"""

SAMPLED = """
scenario = "baseline"
seed = 3
weeks = 60

[design]
method = "{method}"
samples = {samples}

[parameters]
"csos.factors.meaning" = {{ min = 0.1, max = 0.9 }}
"emergence.founders" = {{ min = 2, max = 9 }}
"state.welfare_coverage" = {{ min = 0.3, max = 0.7 }}

[outcomes]
scale = {{ column = "scale_mean", stat = "mean" }}
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bundled_experiments_are_valid():
    smoke = load_experiment(EXPERIMENTS / "smoke.toml")
    assert smoke.method == "grid" and len(smoke.runs()) == 4 * smoke.replications
    eight = load_experiment(EXPERIMENTS / "eight-factors.toml")
    assert [f.path.split(".")[-1] for f in eight.factors] == [
        "democracy", "transparency", "pluralism", "recognition", "legitimacy", "scalability",
        "awareness", "meaning"]
    assert len(eight.design()) == eight.samples * (len(eight.factors) + 2)
    assert {o.name for o in eight.outcomes} == {"retention", "recognition", "scale"}


def test_grid_is_the_full_factorial_with_fixed_and_weeks_applied(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD))
    design = exp.design()
    assert len(design) == 6
    assert list(design["state.funding.policy"]) == ["none", "none", "core_funding",
                                                    "core_funding", "performance",
                                                    "performance"]
    assert exp.scenario.get("population.citizens") == 600
    assert exp.scenario.get("weeks") == 60
    runs = exp.runs()
    assert list(runs["run"]) == list(range(12))
    assert list(runs["point"]) == [p for p in range(6) for _ in range(2)]


@pytest.mark.parametrize(("method", "samples", "size"), [
    ("lhs", 20, 20), ("sobol", 16, 16 * 5), ("morris", 6, 6 * 4)])
def test_sampled_designs_have_salib_sizes_stay_in_bounds_and_are_seeded(tmp_path, method,
                                                                       samples, size):
    text = SAMPLED.format(method=method, samples=samples)
    design = load_experiment(write(tmp_path, text)).design()
    assert len(design) == size
    assert design["csos.factors.meaning"].between(0.1, 0.9).all()
    assert design["emergence.founders"].dtype == np.int64
    assert design["emergence.founders"].between(2, 9).all()
    again = load_experiment(write(tmp_path, text, "same.toml")).design()
    pd.testing.assert_frame_equal(design, again)
    other = load_experiment(write(tmp_path, text.replace("seed = 3", "seed = 4"),
                                  "other.toml")).design()
    assert not design.equals(other)


def test_run_seeds_are_distinct_or_common_per_replication(tmp_path):
    runs = load_experiment(write(tmp_path, GOOD)).runs()
    assert runs["seed"].is_unique
    assert (runs["seed"] >= 0).all()
    common = load_experiment(write(tmp_path, GOOD.replace(
        'method = "grid"', 'method = "grid"\ncommon_seeds = true'), "common.toml")).runs()
    per_rep = common.groupby("replication")["seed"].nunique()
    assert (per_rep == 1).all()
    assert common.groupby("replication")["seed"].first().is_unique
    assert not runs["seed"].equals(common["seed"])


def test_nested_tables_are_dotted_paths(tmp_path):
    nested = GOOD.replace('"csos.factors.meaning" = [0.2, 0.8]',
                          "csos.factors.meaning = [0.2, 0.8]")
    a, b = load_experiment(write(tmp_path, GOOD)), load_experiment(write(tmp_path, nested,
                                                                         "nested.toml"))
    assert a.to_dict() == b.to_dict()


def test_the_hash_covers_what_changes_results_and_the_version(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD))
    renamed = load_experiment(write(tmp_path, 'name = "other"\n' + GOOD, "renamed.toml"))
    reseeded = load_experiment(write(tmp_path, GOOD.replace("seed = 3", "seed = 9"),
                                     "seed.toml"))
    assert exp.hash("1.0") == renamed.hash("1.0")
    assert exp.hash("1.0") != reseeded.hash("1.0")
    assert exp.hash("1.0") != exp.hash("1.1")


def test_scenario_paths_are_resolved_beside_the_experiment(tmp_path):
    (tmp_path / "town.toml").write_text('name = "town"\nextends = "baseline"\nweeks = 70\n')
    exp = load_experiment(write(tmp_path, GOOD.replace('"baseline"', '"town.toml"').replace(
        "weeks = 60\n", "")))
    assert exp.scenario.name == "town"
    assert exp.weeks == 70


BAD = [
    ("replication = 2\n" + GOOD.replace("replications = 2\n", ""),
     ["unknown key 'replication'", "Did you mean 'replications'"]),
    (GOOD.replace('method = "grid"', 'method = "sobel"'),
     ["key 'design.method'", "'sobel'", "'grid', 'lhs', 'sobol', 'morris'"]),
    (GOOD.replace('method = "grid"', 'method = "grid"\nsamples = 8'),
     ["key 'design.samples'", "not allowed with method 'grid'"]),
    (SAMPLED.format(method="sobol", samples=24),
     ["key 'design.samples'", "value 24", "a power of 2"]),
    (SAMPLED.format(method="lhs", samples=0),
     ["key 'design.samples'", "value 0", "a whole number from 1"]),
    (SAMPLED.format(method="lhs", samples=4).replace("samples = 4\n", ""),
     ["key 'design.samples' is missing", "method 'lhs'"]),
    (GOOD.replace('"csos.factors.meaning"', '"csos.factors.meanin"'),
     ["key 'parameters.csos.factors.meanin'", "Did you mean 'csos.factors.meaning'"]),
    (GOOD.replace("[0.2, 0.8]", "[0.2, 1.8]"),
     ["key 'parameters.csos.factors.meaning'", "value 1.8", "out of range",
      "a number from 0 to 1"]),
    (GOOD.replace("[0.2, 0.8]", "{ min = 0.2, max = 0.8 }"),
     ["key 'parameters.csos.factors.meaning'", "with method 'grid'", "a non-empty list"]),
    (SAMPLED.format(method="lhs", samples=4).replace("min = 0.1, max = 0.9",
                                                     "min = 0.9, max = 0.1"),
     ["key 'parameters.csos.factors.meaning'", "min 0.9 is not below max 0.1"]),
    (SAMPLED.format(method="lhs", samples=4).replace(
        '"state.welfare_coverage" = { min = 0.3, max = 0.7 }',
        '"state.funding.policy" = { min = 0, max = 1 }'),
     ["key 'parameters.state.funding.policy'", "samples numbers", "vary it with a grid"]),
    (GOOD.replace('"population.citizens" = 600', '"csos.factors.meaning" = 0.5'),
     ["key 'parameters.csos.factors.meaning'", "also in [fixed]"]),
    (GOOD.replace('"population.citizens" = 600', '"population.citizens" = 5'),
     ["[fixed]", "key 'population.citizens'", "value 5", "a whole number from 10"]),
    (GOOD.replace('"population.citizens" = 600', '"weeks" = 10'),
     ["key 'fixed.weeks'", "top-level 'weeks' key"]),
    (GOOD.replace('"csos.factors.meaning" = [0.2, 0.8]', '"crises.0.severity" = [0.2]'),
     ["key 'crises.0.severity'", "no crisis number 0"]),
    (GOOD.replace('"retention_12m"', '"retention"'),
     ["key 'outcomes.retention.column'", "value 'retention'", "'retention_12m'"]),
    (GOOD.replace('stat = "final"', 'stat = "final", window = [50, 61]'),
     ["key 'outcomes.retention.window'", "[50, 61]", "to <= 60"]),
    (GOOD.replace("retention = {", "seed = {"),
     ["key 'outcomes.seed'", "the name 'seed' is not allowed"]),
    (GOOD.replace("[outcomes]\nretention", "[outcomes]\n# retention"),
     ["key 'outcomes'", "the table is empty"]),
    (GOOD.replace("seed = 3\n", ""), ["key 'seed' is missing"]),
    (GOOD.replace('"baseline"', '"atlantis"'),
     ["key 'scenario'", "'atlantis'", "baseline"]),
    (GOOD.replace("replications = 2", "replications = 2.5"),
     ["key 'replications'", "value 2.5", "not a whole number"]),
    ("", ["the file is empty"]),
    ("seed = [", ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "fragments"), BAD)
def test_bad_experiments_name_the_file_key_value_and_what_is_allowed(tmp_path, text,
                                                                     fragments):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    message = str(err.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_the_command_line_reports_a_bad_experiment_in_one_paragraph(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace('method = "grid"', 'method = "sobel"'))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("solidarity-sim: error: ")
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


WEEKLY = pd.DataFrame({"week": range(6), "v": [1.0, 4.0, 2.0, math.nan, 3.0, 0.5]})


@pytest.mark.parametrize(("stat", "start", "end", "expected"), [
    ("final", 0, 6, 0.5), ("final", 1, 3, 2.0), ("mean", 0, 6, 2.1), ("mean", 2, 5, 2.5),
    ("total", 0, 3, 7.0), ("peak", 0, 6, 4.0), ("peak", 2, 6, 3.0), ("peak_week", 0, 6, 1.0),
    ("peak_week", 2, 6, 4.0)])
def test_outcome_statistics_over_a_window(stat, start, end, expected):
    outcome = Outcome("x", "v", stat, start, end, "x")
    assert outcome.measure(WEEKLY) == pytest.approx(expected)


def test_peak_of_an_all_missing_window_is_missing():
    assert math.isnan(Outcome("x", "v", "peak_week", 3, 4, "x").measure(WEEKLY))


def test_docs_describe_every_experiment_key_method_and_statistic():
    from solidarity_sim.batch.experiment import DESIGN_KEYS, METHODS, OUTCOME_KEYS, STATS, TOP_KEYS

    doc = (EXPERIMENTS.parent / "docs" / "sweeps.md").read_text()
    for key in [*TOP_KEYS, *DESIGN_KEYS, *OUTCOME_KEYS, "window"]:
        assert f"{key} = " in doc or f"[{key}]" in doc, key
    for word in [*METHODS, *STATS]:
        assert f"`{word}`" in doc, word


def test_the_documented_example_experiment_is_valid(tmp_path):
    doc = (EXPERIMENTS.parent / "docs" / "sweeps.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    exp = load_experiment(write(tmp_path, example))
    assert (exp.method, exp.samples, len(exp.factors), len(exp.outcomes)) == ("sobol", 64, 2, 2)
    assert len(exp.runs()) == 64 * (2 + 2) * 2


def test_an_experiment_with_a_utf8_byte_order_mark_loads(tmp_path):
    path = tmp_path / "smoke.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (EXPERIMENTS / "smoke.toml").read_bytes())
    assert load_experiment(path).to_dict() == load_experiment(EXPERIMENTS / "smoke.toml").to_dict()
