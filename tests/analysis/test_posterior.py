"""Parameter uncertainty: the posterior's draws, the variance split, --uncertainty in compare,
validate and sweep, and a tiny calibration by screening and ABC-SMC end to end (pyabc, real
runs, a local pool and a real Dask cluster)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.analysis import posterior_fit as pf
from solidarity_sim.analysis.comparison import run_comparison
from solidarity_sim.analysis.statistics import variance_split
from solidarity_sim.analysis.validation import calibration_checks, validate
from solidarity_sim.batch.experiment import ExperimentError, load_experiment
from solidarity_sim.batch.uncertainty import (
    RUNS_PER_SET,
    draw_order,
    load_posterior,
    uncertainty_of,
)
from solidarity_sim.cli import main
from solidarity_sim.model.parameters import calibration_status, iter_params, markdown_table
from solidarity_sim.model.scenario import ScenarioError, load_scenario
from solidarity_sim.model.streams import derive_seed
from solidarity_sim.results.run_result import weekly_series

SMALL = {"population.citizens": 1000, "population.neighbourhoods": 4}


def write_posterior(folder: Path, table: pd.DataFrame, seed: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table.to_parquet(folder / "posterior.parquet")
    (folder / "manifest.json").write_text(json.dumps({"seed": seed}))
    return folder


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    """Four sets far apart, so that the parameters move the outcomes."""
    table = pd.DataFrame({"volunteering.join_rate": [0.004, 0.01, 0.02, 0.04],
                          "volunteering.quit_rate": [0.002, 0.004, 0.006, 0.008],
                          "csos.initial_scale": [3.0, 5.0, 8.0, 12.0],
                          "weight": [1.0, 1.0, 1.0, 1.0]})
    return load_posterior(write_posterior(tmp_path_factory.mktemp("posterior"), table))


# -- draws and the variance split -------------------------------------------------------------

def test_the_draw_order_resamples_by_weight_and_is_fixed():
    order = draw_order(np.array([0.7, 0.1, 0.1, 0.1]), seed=5)
    assert Counter(order.tolist()) == {0: 3, 2: 1}  # offsets 1/8, 3/8, 5/8, 7/8
    assert np.array_equal(order, draw_order(np.array([0.7, 0.1, 0.1, 0.1]), seed=5))


def test_replications_share_a_set_two_by_two_and_whole_numbers_stay_whole(posterior):
    sets = [posterior.set_of(k) for k in range(8)]
    assert sets[0::2] == sets[1::2] and sorted(sets[0::2]) == [0, 1, 2, 3]
    first = posterior.overrides(0)
    assert first == posterior.overrides(1) and isinstance(first["csos.initial_scale"], int)


def test_variance_split_of_two_sets_by_hand():
    split = variance_split(np.array([0.0, 2.0, 10.0, 12.0]), np.array([0, 0, 1, 1]))
    # within: (2 + 2) / 2 = 2; between: var(1, 11) = 50, less 2 / 2 -> 49
    assert split == pytest.approx({"parameter_variance": 49.0, "chance_variance": 2.0,
                                   "parameter_share": 49 / 51})


def test_variance_split_recovers_known_components():
    rng = np.random.default_rng(3)
    sets = np.repeat(np.arange(4000), 2)
    values = rng.normal(0, 2, 4000)[sets] + rng.normal(0, 1, 8000)
    assert variance_split(values, sets)["parameter_share"] == pytest.approx(0.8, abs=0.02)
    alone = variance_split(rng.normal(0, 1, 8000), sets)["parameter_share"]
    assert alone < 0.05
    assert np.isnan(variance_split(values[::2], sets[::2])["parameter_share"])  # no repeats


@pytest.mark.parametrize("table, fragment", [
    (pd.DataFrame({"no.such": [1.0], "weight": [1.0]}), "column 'no.such' is not a model"),
    (pd.DataFrame({"volunteering.join_rate": [0.01]}), "column 'weight' is missing"),
    (pd.DataFrame({"volunteering.join_rate": [0.01], "weight": [-1.0]}), "key 'weight'"),
])
def test_a_bad_posterior_names_the_file_and_the_problem(tmp_path, table, fragment):
    folder = write_posterior(tmp_path, table)
    with pytest.raises(ScenarioError, match=fragment) as err:
        load_posterior(folder)
    assert str(folder / "posterior.parquet") in str(err.value)


def test_an_unknown_uncertainty_is_refused():
    with pytest.raises(ScenarioError, match="allowed: 'none', 'posterior'"):
        uncertainty_of("bayes")


# -- compare, validate, sweep -------------------------------------------------------------------

@pytest.fixture(scope="module")
def uncertain(posterior):
    return run_comparison(["baseline", "core-funding"], replications=8, weeks=60,
                          overrides=SMALL, workers=2, uncertainty=posterior)


def test_each_run_of_a_comparison_has_its_sets_parameters_and_its_seed(uncertain, posterior):
    runs = uncertain.runs[uncertain.runs["outcome"] == "volunteer_share"]
    assert runs["parameter_set"].tolist() == [k // RUNS_PER_SET for k in runs["replication"]]
    for row in runs[runs["replication"].isin([0, 5])].itertuples():
        scenario = load_scenario(row.scenario, {**SMALL, "weeks": 60,
                                                **posterior.overrides(row.replication)})
        alone = weekly_series(scenario, derive_seed(0, row.replication))
        assert alone["volunteer_share"].mean() * 100 == pytest.approx(row.value, rel=1e-12)


def test_intervals_are_over_sets_and_report_the_parameters_share(uncertain):
    summary = uncertain.summary
    assert set(summary.loc[summary["n"] > 0, "n"]) == {4}  # 8 replications, 2 per set
    share = summary.set_index(["scenario", "outcome"]).loc[("baseline", "volunteer_share")]
    assert 0.5 < share["parameter_share"] <= 1  # join rates 0.004 to 0.04: parameters dominate
    other = summary.set_index(["scenario", "outcome"]).loc[("core-funding", "volunteer_share")]
    assert 0 <= other["diff_parameter_share"] <= 1


def test_with_a_scenarios_own_override_the_scenario_wins(posterior):
    comparison = run_comparison(["baseline", "core-funding"], replications=2, weeks=3,
                                overrides={**SMALL, "volunteering.join_rate": 0.02}, workers=1,
                                uncertainty=posterior)
    assert comparison.scenarios[0].get("volunteering.join_rate") == 0.02
    assert comparison.uncertainty["sets"] == 4


def test_validate_takes_intervals_over_sets(posterior):
    report = validate(calibration_checks(1000)[:2], replications=4, workers=2,
                      uncertainty=posterior)
    values = report.values[report.values["check"] == report.table["check"].iloc[0]]
    means = values.groupby(values["replication"] // 2)["value"].mean()
    half = report.table["ci_high"].iloc[0] - report.table["value"].iloc[0]
    assert report.table["value"].iloc[0] == pytest.approx(means.mean())
    assert half == pytest.approx(12.706 * means.std(ddof=1) / np.sqrt(2), rel=1e-3)
    assert report.table["parameter_share"].between(0, 1).all()


def test_a_sweep_with_uncertainty_runs_each_replication_with_its_set(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('name = "u"\nscenario = "baseline"\nseed = 2\nreplications = 4\nweeks = 5\n'
                    'uncertainty = "posterior"\n[fixed]\n"population.citizens" = 1000\n'
                    '[parameters]\n"csos.factors.meaning" = [0.2, 0.8]\n'
                    '[outcomes]\nshare = { column = "volunteer_share" }\n')
    experiment = load_experiment(path)
    runs = experiment.runs()
    assert runs["parameter_set"].tolist() == [0, 0, 1, 1] * 2
    post = experiment.uncertainty
    from solidarity_sim.batch.sweep import make_tasks

    task = make_tasks(experiment, runs.iloc[[5]])[0]
    assert task.values == {**post.overrides(1), "csos.factors.meaning": 0.8}
    assert "uncertainty" in experiment.to_dict()
    path.write_text(path.read_text().replace('"posterior"', '"everything"'))
    with pytest.raises(ExperimentError, match="uncertainty"):
        load_experiment(path)


def test_compare_command_with_the_shipped_posterior(tmp_path, capsys):
    out = tmp_path / "cmp"
    status = main(["compare", "baseline", "core-funding", "--replications", "4", "--weeks", "8",
                   "--set", "population.citizens=800", "--uncertainty", "posterior",
                   "--workers", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert "Intervals: chance and parameter uncertainty" in printed
    assert "Share of the variance from parameters" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["uncertainty"]["posterior"] == load_posterior().digest
    assert "parameter uncertainty" in (out / "report.html").read_text()


# -- the shipped posterior ----------------------------------------------------------------------

def test_the_shipped_posterior_is_complete_and_its_status_reaches_the_odd():
    post = load_posterior()
    assert len(post.table) >= 200 and post.table["weight"].sum() == pytest.approx(1.0)
    assert post.parameters == post.manifest["parameters"]
    status = calibration_status()
    for path in post.parameters:
        assert status[path].startswith("calibrated: median")
    numeric = [p for p, q in iter_params() if q.kind in ("float", "int")]
    assert all(p in status for p in numeric)  # calibrated, screened, input or sourced
    assert "| calibration |" in markdown_table()


# -- calibrating a tiny town --------------------------------------------------------------------

TINY = """
name = "tiny"
seed = 4

[screening]
trajectories = 2
parameters = ["volunteering.join_rate", "volunteering.quit_rate", "awareness.decay"]
threshold = 1.0
most = 2

[smc]
population = 12
generations = 2
minutes = 5

[fixed]
"population.citizens" = 600
"population.neighbourhoods" = 2
"emergence.rate" = 0.3

[priors]
"volunteering.join_rate" = { min = 0.005, max = 0.03 }
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("posterior-file") / "tiny.toml"
    path.write_text(TINY)
    return path


def test_a_tiny_town_calibrates_end_to_end_in_under_a_minute(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    started = time.perf_counter()
    status = main(["calibrate", str(tiny), "--out", str(out), "--check", "0", "--workers", "2"])
    seconds = time.perf_counter() - started
    printed = capsys.readouterr().out
    assert status == 0 and seconds < 60, seconds
    post = load_posterior(out)
    assert len(post.table) == 12 and post.parameters == pf.Screening.load(
        out / "screening", pf.load_spec(tiny)).entered
    effects = pd.read_csv(out / "screening.csv")
    assert effects["parameter"].str.startswith("(dummy").sum() == pf.DUMMIES
    assert "ABC-SMC: 2 generations" in printed
    for name in ("screening.png", "marginals.png", "pairs.png"):
        assert (out / name).stat().st_size > 10_000
    assert post.manifest["status"]["awareness.decay"].startswith("screened")
    # run again: the screening and both generations are read back, nothing is simulated
    again = main(["calibrate", str(tiny), "--out", str(out), "--check", "0", "--workers", "2"])
    assert again == 0 and load_posterior(out).digest == post.digest


def test_a_fit_on_a_dask_cluster(tiny, tmp_path):
    from solidarity_sim.batch.executors import DaskExecutor

    spec = pf.load_spec(tiny)
    with DaskExecutor(None, 2) as executor:
        fit = pf.fit_smc(spec, ["volunteering.join_rate"], tmp_path, executor=executor)
    assert len(fit.generations) == 2 and len(fit.posterior) == 12
    assert fit.posterior["volunteering.join_rate"].between(0.005, 0.03).all()


def test_a_particles_statistics_follow_from_its_values_alone(tiny):
    spec = pf.load_spec(tiny)
    model = pf.ParticleModel(spec, ("volunteering.join_rate",))
    first = model({"volunteering__join_rate": 0.012})
    assert first == model({"volunteering__join_rate": 0.012})
    assert set(first) == set(pf.STATISTICS)


def test_band_distance_is_zero_inside_every_band_and_counts_band_widths():
    bands = {"a": (0.0, 1.0), "b": (10.0, 20.0)}
    assert pf.band_distance(bands, {"a": 0.5, "b": 15.0}) == 0
    assert pf.band_distance(bands, {"a": 1.5, "b": 5.0}) == pytest.approx(0.5)
    assert pf.band_distance(bands, {"a": float("nan"), "b": 15.0}) == pf.MISSING_DISTANCE


@pytest.mark.parametrize("change, fragment", [
    (("population = 12", "population = 3"), "key 'smc.population'"),
    (("most = 2", "most = 2\nnoise = 1"), "screening.noise"),
    (('"awareness.decay"]', '"no.such"]'), "screening.parameters"),
    (("max = 0.03", "max = 0.001"), "priors.volunteering.join_rate"),
])
def test_a_bad_posterior_file_exits_2_naming_the_key(tiny, tmp_path, capsys, change, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(tiny.read_text().replace(*change))
    with pytest.raises(ExperimentError, match=fragment):
        pf.load_spec(path)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
