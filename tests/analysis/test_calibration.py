"""Calibration: the file format and its errors, the acceptance rule, a tiny real calibration
(determinism, seeds, outputs) and the command line.

The real calibration (default sizes, 400 points) is run by ``solidarity-sim calibrate``
(docs/calibration.md); here a town of 1,000 citizens over short horizons checks the machinery.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.analysis import calibration as c
from solidarity_sim.analysis.validation import calibration_checks
from solidarity_sim.batch.experiment import ExperimentError
from solidarity_sim.cli import calibrate as command
from solidarity_sim.cli import main
from solidarity_sim.model.scenario import load_scenario

BUNDLED = Path(__file__).resolve().parents[2] / "experiments" / "calibration.toml"
PARAMETERS = ["volunteering.join_rate", "volunteering.quit_rate", "emergence.fold_rate"]

TINY = """
name = "tiny"
seed = 3
replications = 2

[weeks]
baseline = 104
pandemic = 156

[fixed]
"population.citizens" = 1000
"population.neighbourhoods" = 2
"emergence.rate" = 0.3  # a few new groups even in so small a town

[design]
method = "lhs"
samples = 3
waves = 2
margin = 3

[parameters]
"volunteering.join_rate" = { min = 0.01, max = 0.05 }
"volunteering.quit_rate" = { min = 0.001, max = 0.008 }
"emergence.fold_rate" = { min = 0.0, max = 0.03 }
"""


def write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("calibration"), TINY)


@pytest.fixture(scope="module")
def result(tiny) -> c.CalibrationResult:
    return c.calibrate(c.load_calibration(tiny), workers=2)


# -- the file -------------------------------------------------------------------------------------

def test_the_bundled_calibration_is_valid_and_found():
    assert c.bundled_calibration() == BUNDLED
    cal = c.load_calibration(BUNDLED)
    assert set(cal.parameters) >= {"volunteering.join_rate", "volunteering.quit_rate",
                                   "volunteering.episodic_quit", "emergence.fold_rate"}
    assert cal.weeks == {"baseline": 520, "pandemic": 156}, "the validation's horizons"
    assert cal.design.method == "lhs" and cal.design.replications >= 2
    design = cal.resized(samples=50).design.design()
    assert len(design) == 50
    for factor in cal.design.factors:
        assert factor.low <= cal.defaults()[factor.path] <= factor.high, (
            "the current defaults lie inside the priors")
        values = design[factor.path]
        assert values.between(factor.low, factor.high).all()
        # a Latin hypercube: one point in each of the 50 equal slices of every prior
        slices = np.floor((values - factor.low) / (factor.high - factor.low) * 50)
        assert sorted(slices.astype(int)) == list(range(50))


def test_the_defaults_are_the_documented_calibrations_choice():
    """docs/calibration.md documents one run; the defaults must be the values it chose.

    A run whose candidates all fail a check keeps the defaults it measured (defaults.csv).
    """
    folder = BUNDLED.parents[1] / "docs" / "calibration"
    chosen = json.loads((folder / "manifest.json").read_text())["recommended"]
    if chosen is None:
        kept = pd.read_csv(folder / "defaults.csv").iloc[0]
        chosen = {path: kept[path] for path in c.load_calibration(BUNDLED).parameters}
    assert set(chosen) == set(c.load_calibration(BUNDLED).parameters)
    for scenario in c.SCENARIOS:
        for path, value in chosen.items():
            assert load_scenario(scenario).get(path) == value, (scenario, path)


def test_checks_carry_fixed_horizons_and_values_to_both_scenarios(tiny):
    cal = c.load_calibration(tiny)
    checks = cal.checks({"emergence.fold_rate": 0.02})
    assert [check.statistic for check in checks] == [
        check.statistic for check in calibration_checks()]
    for check in checks:
        (arm,) = check.arms
        assert arm.overrides["population.citizens"] == 1000
        assert arm.overrides["weeks"] == cal.weeks[arm.scenario]
        assert arm.overrides["emergence.fold_rate"] == 0.02
        assert not arm.keep


@pytest.mark.parametrize(("change", "expected"), [
    (("seed = 3", 'scenario = "baseline"\nseed = 3'), "unknown key 'scenario'"),
    (("seed = 3", ""), "key 'seed' is missing"),
    (('method = "lhs"', 'method = "sobol"'), "key 'design.method': value 'sobol'"),
    (("samples = 3", "samples = 0"), "key 'design.samples': value 0 is out of range"),
    (("samples = 3", ""), "key 'design.samples' is missing"),
    (("waves = 2", "waves = 0"), "key 'design.waves': value 0 is out of range"),
    (("margin = 3", "margin = -1"), "key 'design.margin': value -1 is out of range"),
    (("margin = 3", "levels = 4"), "unknown key 'design.levels'"),
    (("pandemic = 156", "pandemic = 130"),
     "key 'weeks.pandemic': value 130 is not allowed; allowed: at least 131 weeks"),
    (("baseline = 104", "baseline = 60"),
     "key 'weeks.baseline': value 60 is not allowed; allowed: at least 104 weeks"),
    (("pandemic = 156", "pandemic = 156\nrecession = 200"), "unknown key 'weeks.recession'"),
    (('"population.neighbourhoods" = 2', '"population.neighbourhoods" = 2\nweeks = 30'),
     "'fixed.weeks'"),
    (("min = 0.001, max = 0.008", "min = -1, max = 0.008"),
     "key 'parameters.volunteering.quit_rate.min': value -1 is out of range"),
    (("min = 0.001, max = 0.008", "min = 0.008, max = 0.001"), "min 0.008 is not below max"),
    (('"emergence.fold_rate"', '"emergence.fold_rat"'),
     "no such parameter. Did you mean 'emergence.fold_rate'?"),
    (('"population.citizens" = 1000', '"population.citizens" = "many"'),
     "key 'population.citizens': value 'many' has the wrong type"),
])
def test_bad_files_name_the_file_key_value_and_what_is_allowed(tmp_path, change, expected):
    path = write(tmp_path, TINY.replace(*change))
    with pytest.raises(ExperimentError) as err:
        c.load_calibration(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_the_command_line_reports_a_bad_file_in_one_paragraph(tmp_path, capsys):
    path = write(tmp_path, TINY.replace('method = "lhs"', 'method = "grid"'))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("solidarity-sim: error: ") and err.count("\n") == 1
    assert str(path) in err and "'design.method'" in err and "'grid'" in err and "'lhs'" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["{tiny}", "--verify", "1"], "--verify 1"),
    (["{tiny}", "--out", "{tmp}/file"], "exists and is not a folder"),
    (["{tmp}/missing.toml"], "missing.toml: cannot read the file"),
    (["{tiny}", "--executor", "ray"], "--executor 'ray': no such executor; allowed: local"),
    (["{tiny}", "--workers", "0"], "--workers 0: allowed: a whole number from 1"),
    (["{tiny}", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "leave --workers out"),
])
def test_bad_arguments_exit_two_with_one_paragraph(tmp_path, tiny, capsys, args, message):
    (tmp_path / "file").write_text("")
    assert main(["calibrate", *(a.format(tiny=tiny, tmp=tmp_path) for a in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


# -- the acceptance rule ------------------------------------------------------------------------

def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Targets of the calibration checks, and five points around them."""
    targets = c.targets_table(calibration_checks())
    centre = {r.statistic: (r.low + r.high) / 2 for r in targets.itertuples()}
    high = {r.statistic: r.high for r in targets.itertuples()}
    points = pd.DataFrame([
        centre,                                         # 0: at every centre
        high,                                           # 1: on every upper edge (closed bands)
        {**centre, "retention_12m": 0.7201},            # 2: one statistic just outside
        {**centre, "group_survival": math.nan},         # 3: no group reached two years
        {**centre, "volunteer_share": 0.17 + 0.13 / 4},  # 4: a quarter band from the centre
    ])
    return points, targets


def test_a_point_is_accepted_when_every_mean_lies_in_its_band():
    points, targets = hand_made()
    judged = c.judge(points, targets)
    assert judged["accepted"].tolist() == [True, True, False, False, True]
    assert judged.loc[0, "distance"] == 0.0
    assert judged.loc[1, "distance"] == pytest.approx(math.sqrt(5) / 2), "half a band each"
    assert judged.loc[4, "distance"] == pytest.approx(0.25)
    assert math.isnan(judged.loc[3, "distance"])
    assert judged.loc[2, "distance"] == pytest.approx((0.7201 - 0.66) / 0.12)


def test_the_region_spans_the_accepted_points_and_locates_the_defaults():
    cal = c.load_calibration(BUNDLED)
    points = pd.DataFrame({
        "volunteering.join_rate": [0.01, 0.02, 0.03, 0.045],
        "volunteering.quit_rate": [0.003, 0.004, 0.005, 0.001],
        "accepted": [True, True, True, False],
    }).assign(**{p: 1.0 for p in cal.parameters[2:]})
    region = c.region(points, cal).set_index("parameter")
    join = region.loc["volunteering.join_rate"]
    assert (join["min"], join["median"], join["max"]) == (0.01, 0.02, 0.03)
    assert join["width"] == pytest.approx(0.02 / (join["prior_max"] - join["prior_min"]))
    assert join["default_inside"] and join["unit"] == "per week"
    assert not region.loc["emergence.fold_rate", "default_inside"], "all accepted at 1.0"
    rho = c.correlations(points, PARAMETERS[:2])
    assert rho.loc["volunteering.join_rate", "volunteering.quit_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize(("x", "rounded"), [(0.012345, 0.012), (37.46, 37.0), (0.0, 0.0),
                                             (9.96, 10.0), (-0.00456, -0.0046)])
def test_recommended_values_have_two_significant_digits(x, rounded):
    assert c.round_significant(x) == rounded


# -- a tiny real calibration ----------------------------------------------------------------------

@pytest.mark.slow
def test_every_point_runs_in_both_scenarios_with_shared_seeds(result):
    runs = result.runs
    per_point = runs.groupby(["point", "scenario"]).size().unstack()
    assert per_point["baseline"].eq(2).all() and per_point["pandemic"].eq(6).all(), (
        "the validation's pandemic arm runs three times per replication")
    assert result.points["point"].tolist() == list(range(6)) and result.failures == []
    first = runs[runs["replication"] < 2].pivot(index=["point", "replication"],
                                                 columns="scenario", values="seed")
    assert first["baseline"].equals(first["pandemic"]), "common random numbers"
    assert runs["seed"].nunique() == 6 * 6
    assert runs.loc[runs["scenario"] == "baseline", list(c.STATISTICS[2:])].isna().all().all()
    means = runs.groupby("point")[list(c.STATISTICS)].mean()
    pd.testing.assert_frame_equal(result.points.set_index("point")[list(c.STATISTICS)], means)
    assert result.points["accepted"].equals(c.judge(result.points, result.targets)["accepted"])
    defaults = result.defaults.iloc[0]
    assert defaults["point"] == c.DEFAULTS
    assert defaults[PARAMETERS].to_dict() == result.calibration.defaults()


@pytest.mark.slow
def test_the_second_wave_samples_the_box_of_the_first_waves_plausible_points(result):
    cal, points, waves = result.calibration, result.points, result.waves
    first, second = points[points["wave"] == 0], points[points["wave"] == 1]
    pd.testing.assert_frame_equal(first[cal.parameters], cal.design.design())
    plausible = c.judge(first[list(c.STATISTICS)], c.widen(result.targets, 3))["accepted"]
    assert first["plausible"].equals(plausible) and plausible.any()
    assert waves["points"].tolist() == [3, 3] and waves.loc[0, "volume"] == 1.0
    for prior in cal.design.factors:
        low, high = waves.loc[1, f"{prior.path}.low"], waves.loc[1, f"{prior.path}.high"]
        pad = c.BOX_PAD * (prior.high - prior.low)
        assert low == max(prior.low, first.loc[plausible, prior.path].min() - pad)
        assert high == min(prior.high, first.loc[plausible, prior.path].max() + pad)
        assert second[prior.path].between(low, high).all()
    assert waves.loc[1, "volume"] < 1.0


def test_a_box_is_padded_and_kept_inside_the_priors():
    cal = c.load_calibration(BUNDLED)
    join, quit = cal.design.factors[:2]
    points = pd.DataFrame({join.path: [0.005, 0.02], quit.path: [0.004, 0.005]})
    narrowed = c.box(points, (join, quit))
    assert (narrowed[0].low, narrowed[0].high) == (0.004, pytest.approx(0.0213))
    assert (narrowed[1].low, narrowed[1].high) == (pytest.approx(0.00365),
                                                   pytest.approx(0.00535))


def assert_same_calibration(a: c.CalibrationResult, b: c.CalibrationResult) -> None:
    for name in ("points", "runs", "defaults", "targets", "waves"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


@pytest.mark.slow
def test_results_do_not_depend_on_the_workers_and_an_interrupted_calibration_resumes(
        tiny, result, tmp_path):
    store = tmp_path / "store"
    serial = c.calibrate(c.load_calibration(tiny), workers=1, out=store)
    assert_same_calibration(serial, result)
    files = {p.name: p.stat().st_mtime_ns for p in (store / "runs").glob("*.parquet")}
    assert len(files) == 8 * (2 * 3 + 1)  # 2 + 2 x 3 runs per point, 2 waves of 3, defaults
    lost = ["defaults-baseline-r0001.parquet", "p000001-pandemic-r0004.parquet",
            "p000004-baseline-r0000.parquet"]  # both waves and the defaults
    for name in lost:
        (store / "runs" / name).unlink()
    again = c.calibrate(c.load_calibration(tiny), workers=1, out=store)
    assert_same_calibration(again, result)
    now = {p.name: p.stat().st_mtime_ns for p in (store / "runs").glob("*.parquet")}
    assert now.keys() == files.keys()
    assert sorted(name for name in now if now[name] != files[name]) == sorted(lost)


def test_the_design_and_the_seeds_derive_from_the_file_seed(tmp_path, tiny):
    cal = c.load_calibration(tiny)
    other = c.load_calibration(write(tmp_path, TINY.replace("seed = 3", "seed = 4")))
    assert not cal.design.design().equals(other.design.design())
    seeds = [t.seed for t in c.make_tasks(cal, 0, {})]
    assert seeds != [t.seed for t in c.make_tasks(other, 0, {})]
    assert seeds == [t.seed for t in c.make_tasks(c.load_calibration(tiny), 0, {})]


def accepting(result: c.CalibrationResult) -> c.CalibrationResult:
    """The real result judged against bands wide enough to accept every defined point."""
    targets = result.targets.assign(low=-10.0, high=100.0)
    return dataclasses.replace(result, points=c.judge(result.points, targets), targets=targets)


@pytest.mark.slow
def test_candidates_are_the_accepted_points_nearest_the_centres_rounded(result):
    wide = accepting(result)
    accepted = wide.points[wide.points["accepted"]]
    assert len(accepted) >= 3, "tiny points with every statistic defined"
    candidates = wide.candidates(2)
    nearest = accepted.nsmallest(2, "distance")
    assert candidates["point"].tolist() == nearest["point"].tolist()
    for parameter in PARAMETERS:
        assert candidates[parameter].tolist() == [c.round_significant(x)
                                                  for x in nearest[parameter]]


@pytest.fixture(scope="module")
def verifications(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("verification")


@pytest.fixture(scope="module")
def selection(result, verifications) -> c.Selection:
    wide = accepting(result)
    return c.select(wide.calibration, wide.candidates(2), replications=2, workers=2,
                    out=verifications)


@pytest.mark.slow
def test_each_verification_is_stored_and_a_rerun_reads_it_back(result, selection,
                                                                verifications):
    wide = accepting(result)
    points = wide.candidates(2)["point"].tolist()
    assert sorted(p.name for p in verifications.iterdir()) == sorted(f"point-{p}"
                                                                    for p in points)
    calls = []
    again = c.select(wide.calibration, wide.candidates(2), replications=2, workers=1,
                     out=verifications, progress=lambda done, total: calls.append(done))
    assert calls == [8, 16]  # each candidate's 8 runs read back, none run again
    pd.testing.assert_frame_equal(again.table, selection.table)


@pytest.mark.slow
def test_selection_verifies_every_candidate_and_chooses_by_the_verified_means(result,
                                                                              selection):
    wide = accepting(result)
    table = selection.table
    assert len(selection.validations) == 2 and table["point"].tolist() == wide.candidates(2)[
        "point"].tolist()
    for row, validation in zip(table.itertuples(), selection.validations, strict=True):
        np.testing.assert_array_equal(validation.table["value"],  # NaN: undefined in a tiny town
                                      [getattr(row, s) for s in c.STATISTICS])
        assert row.passed == validation.table["passed"].sum()
    distances = c.judge(table[list(c.STATISTICS)], result.targets)["distance"]
    assert table["distance"].equals(distances)
    eligible = table[table["passed"] == 5]
    expected = eligible["distance"].idxmin() if len(eligible) else None
    assert table["chosen"].tolist() == [i == expected for i in table.index]
    assert (selection.chosen is None) == eligible.empty


@pytest.mark.slow
def test_the_report_and_files_of_an_accepting_calibration(tmp_path, result, selection):
    wide = accepting(result)
    text = command.report(wide, selection)
    n = int(wide.points["accepted"].sum())
    assert f"accepted region ({n} points)" in text and "wave 1: 3 points in the box" in text
    for parameter in PARAMETERS:
        assert parameter in text
    assert "candidates: the 2 accepted points nearest the band centres" in text
    assert ("--set volunteering.join_rate=" in text) == (selection.chosen is not None)
    files = command.write(wide, selection, text, tmp_path)
    assert {"points.csv", "region.csv", "waves.csv", "candidates.csv", "targets.png",
            "pairs.png", "responses.png", "manifest.json", "summary.md"} <= set(files)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "region.csv"), wide.region(),
                                  rtol=1e-5)
    assert text in (tmp_path / "summary.md").read_text()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["recommended"] == selection.chosen
    assert manifest["calibration"]["seed"] == 3 and manifest["runs"] == len(result.runs)


@pytest.mark.slow
def test_cli_end_to_end(tmp_path, tiny, capsys):
    out = tmp_path / "out"
    status = main(["calibrate", str(tiny), "--out", str(out), "--samples", "2",
                   "--replications", "1", "--verify", "2", "--workers", "1"])
    printed = capsys.readouterr().out
    points = pd.read_csv(out / "points.csv")
    assert len(points) in (2, 4) and set(PARAMETERS) <= set(points.columns)
    runs = pd.read_csv(out / "runs.csv")
    assert runs.groupby("scenario").size().to_dict() == {"baseline": len(points),
                                                         "pandemic": 3 * len(points)}
    first = int(points.loc[points["wave"] == 0, "accepted"].sum())
    assert f"wave 0: 2 points over the priors: {first} accepted" in printed
    accepted = int(points["accepted"].sum())
    assert status == (0 if accepted and "recommended values" in printed else 1)
    for name in ("targets.png", "pairs.png", "responses.png"):
        assert (out / name).stat().st_size > 10_000
    stored = list((out / "store" / "runs").glob("*.parquet"))
    assert len(stored) == len(runs) + 4  # and the defaults' runs: 1 baseline, 3 pandemic
    if accepted:  # each verified candidate's runs: 2 replications, baseline 1 + pandemic 3
        for folder in (out / "verification").iterdir():
            assert len(list((folder / "runs").glob("*.parquet"))) == 2 * (1 + 3), folder
