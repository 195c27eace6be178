"""The validation machinery on small, fast settings of the real model.

The full validation (default sizes, 20 replications) is run by ``solidarity-sim validate``; here
the checks run on small towns and few replications, so the tests check the machinery (tables,
intervals, pass/fail, exit status, files), not the calibration.
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import solidarity_sim as ss
from solidarity_sim.analysis import validation as v
from solidarity_sim.batch.store import StoreNotice
from solidarity_sim.cli import main
from solidarity_sim.cli import validate as validate_command
from solidarity_sim.model.parameters import FACTORS

CITIZENS = 1500
TABLE_COLUMNS = ["group", "check", "target", "target_low", "target_high", "value", "ci_low",
                 "ci_high", "n", "passed", "reference", "fmt", "unit", "source"]


def exact_limits():
    """The limit checks that hold exactly at any size (no CSOs, full welfare)."""
    return [c for c in v.limit_checks(CITIZENS) if not c.name.startswith("fixed hazards")]


@pytest.fixture(scope="module")
def pandemic_run():
    return ss.run("pandemic", seed=2, overrides={"population.citizens": 3000,
                                                 "population.neighbourhoods": 6,
                                                 "emergence.rate": 0.3})


def test_every_check_is_defined_once_and_every_factor_is_checked():
    checks = v.default_checks()
    assert [c.group for c in checks] == sorted((c.group for c in checks), key=v.GROUPS.index)
    assert len({c.name for c in checks}) == len(checks)
    factors = {c.name.split(" → ")[0] for c in checks if c.group == "factors"}
    assert factors - {"recognition of new volunteers (lever, 2 €/citizen/year)"} == set(FACTORS)
    plan = v.plan(checks)
    assert {"baseline", "pandemic"} <= plan.keys()
    # the two factor levels share the seed of each replication and differ in one parameter
    low, high = next(c for c in checks if c.group == "factors").arms
    changed = {k for k in low.overrides.keys() | high.overrides.keys()
               if low.overrides.get(k) != high.overrides.get(k)}
    assert changed == {"csos.factors.democracy"}


def test_the_command_offers_every_group():
    assert validate_command.GROUPS == v.GROUPS


def test_bands_decide_pass_or_fail():
    band = v.Band(0.17, 0.30)
    assert band.contains(0.2, 0.25) and band.contains(0.17, 0.30)
    assert not band.contains(0.16, 0.25) and not band.contains(0.2, math.nan)
    above = v.Band(0.0, math.inf, closed=False)
    assert above.contains(0.1, 5.0) and not above.contains(0.0, 5.0)
    assert band.describe(percent=True) == "17%–30%"
    assert above.describe() == "> 0" and v.Band(0, 0).describe() == "= 0"
    assert v.Band(-math.inf, 0.5).describe(percent=True) == "≤ 50%"


def test_two_state_chain_is_stationary():
    a, b = v.two_state_chain(0.01, 0.02)
    share = v.chain_share(0.01, 0.02)
    assert share == pytest.approx(share * (1 - b) + (1 - share) * a)
    assert v.chain_retention(0.01, 0.02) == pytest.approx(
        share + (1 - share) * (1 - a - b) ** 52)


def test_surge_statistics_read_the_weekly_series(pandemic_run):
    ts = pandemic_run.timeseries
    onset = v.crisis_onset(pandemic_run)
    assert onset == 26
    excess = v.excess_volunteers(ts, onset)
    assert excess.loc[onset - 13:onset - 1].mean() == pytest.approx(0.0, abs=1e-9)
    weeks = v.SurgePeakWeeks()(pandemic_run)
    peak = excess.loc[onset + weeks]
    assert 0 <= weeks < v.SURGE_SEARCH and peak == excess.loc[onset:onset + 51].max() > 0
    remaining = v.SurgeRemaining()(pandemic_run)
    assert remaining == pytest.approx(excess.loc[onset + weeks + 13] / peak)


def test_group_survival_counts_formalised_groups_as_active(pandemic_run):
    csos = pandemic_run.csos
    emerged = csos[csos["origin"] == "emerged"]
    assert len(emerged) > 0
    horizon = int(pandemic_run.manifest["weeks"])
    assert v.GroupSurvival()(pandemic_run) == v.group_survival(csos, horizon)
    # the same groups, one dissolved after 50 weeks and one formalised: half of two survive
    two = emerged.iloc[:2].copy()
    two["dissolved"] = pd.array([int(two["founded"].iloc[0]) + 50, pd.NA], dtype="Int64")
    two["formal"] = [False, True]
    assert v.group_survival(two, horizon) == 0.5
    # a group founded too late to reach two years does not count
    assert math.isnan(v.group_survival(two.assign(founded=horizon - 10), horizon))


def test_validate_gives_the_same_table_in_a_pool_and_in_one_process():
    checks = exact_limits()[:1] + v.calibration_checks(CITIZENS)[:1]
    serial = v.validate(checks, replications=3, workers=1)
    pooled = v.validate(checks, replications=3, workers=2)
    assert list(serial.table.columns) == TABLE_COLUMNS
    pd.testing.assert_frame_equal(serial.table, pooled.table)
    pd.testing.assert_frame_equal(serial.values, pooled.values)
    assert list(serial.values.columns) == ["check", "replication", "seed", "value"]
    assert len(serial.values) == 3 * len(checks)
    assert serial.table["n"].tolist() == [3, 3]
    assert len(serial.kept["baseline"]) == 3
    shares = [r.timeseries.loc[r.timeseries["week"] >= 52, "volunteer_share"].mean()
              for r in serial.kept["baseline"]]
    assert serial.table["value"].iloc[1] == pytest.approx(np.mean(shares))


def test_an_arm_with_more_runs_per_replication_gets_more_seeds():
    check = exact_limits()[0]
    more = dataclasses.replace(check, name="more runs", arms=tuple(
        dataclasses.replace(arm, label="no CSOs x3", runs=3) for arm in check.arms))
    report = v.validate([check, more], replications=2, workers=1)
    assert report.table["n"].tolist() == [2, 6]
    seeds = report.values.groupby("check")["seed"].apply(list)
    assert seeds["more runs"][:2] == seeds[check.name]
    assert len(set(seeds["more runs"])) == 6
    assert v.replications_in_words(report.values) == "2 replications (6 for some checks)"
    assert v.calibration_checks()[-1].arms[0].runs == v.PANDEMIC_RUNS > 1


def test_paired_arms_must_have_the_same_runs():
    factor = v.factor_checks(CITIZENS)[0]
    low, high = factor.arms
    uneven = dataclasses.replace(factor, arms=(low, dataclasses.replace(high, runs=2)))
    with pytest.raises(ValueError, match="differ in runs"):
        v.plan([uneven])


def test_a_wrong_target_band_fails():
    check = exact_limits()[0]  # nobody volunteers without CSOs: truly 0
    wrong = dataclasses.replace(check, band=v.Band(1, 10))
    report = v.validate([check, wrong], replications=2, workers=1)
    assert report.table["passed"].tolist() == [True, False]
    assert not report.passed
    assert "1 of 2 checks pass; failing: no CSOs: nobody volunteers" == v.verdict(report.table)


def test_cli_exits_zero_when_every_check_holds(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(v, "default_checks", lambda citizens=None: exact_limits())
    out = tmp_path / "val"
    status = main(["validate", "--replications", "2", "--workers", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "3 of 3 checks pass" in printed
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {
        "validation.csv", "validation.md", "replications.csv", "targets.png",
        # the run store: every run's statistics, and the tables of the arms kept for figures
        "manifest.json", "runs", "failed", "series", "csos", "spells", "events", "records",
        "ro-crate-metadata.json"}
    assert len(list((out / "runs").glob("*.parquet"))) == 2 * 2  # 2 arms x 2 replications
    table = pd.read_csv(out / "validation.csv")
    assert table["passed"].all() and len(table) == 3
    # the same command again reads every run back from the store
    assert main(["validate", "--replications", "2", "--workers", "1", "--out", str(out)]) == 0
    assert "(4 already stored: verified, not run again)" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(out / "validation.csv"), table)


def test_cli_exits_one_when_a_check_fails(tmp_path, monkeypatch, capsys):
    wrong = dataclasses.replace(exact_limits()[0], band=v.Band(1, 10))
    monkeypatch.setattr(v, "default_checks", lambda citizens=None: [wrong])
    status = main(["validate", "--replications", "2", "--workers", "1",
                   "--out", str(tmp_path / "val")])
    printed = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in printed and "0 of 1 checks pass" in printed


def test_cli_writes_the_calibration_table_and_figures(tmp_path, capsys):
    out = tmp_path / "val"
    status = main(["validate", "--only", "calibration", "--citizens", str(CITIZENS),
                   "--replications", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "validation.csv")
    assert status == (0 if table["passed"].all() else 1)
    assert list(table["group"].unique()) == ["calibration"]
    for name in ("targets.png", "calibration.png", "retention.png"):
        assert (out / name).stat().st_size > 20_000, name
    retention = pd.read_csv(out / "retention.csv")
    assert set(retention["factor"]) == {"meaning", "democracy"}
    markdown = (out / "validation.md").read_text()
    assert markdown.startswith("| group | pattern | target | model [95% CI] |")
    for pattern in table["check"]:
        assert pattern in printed and pattern in markdown


@pytest.mark.parametrize("args, message", [
    (["--replications", "1"], "--replications 1: a 95% interval needs at least 2"),
    (["--workers", "0"], "--workers 0"),
    (["--citizens", "5"], "--citizens: key 'population.citizens': value 5 is out of range"),
])
def test_bad_arguments_exit_two_with_one_paragraph(args, message, tmp_path, capsys):
    status = main(["validate", *args, "--out", str(tmp_path / "val")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "val").exists()


def test_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["validate", "--out", str(target)]) == 2
    assert "--out" in capsys.readouterr().err


def tiny_checks():
    """A kept arm (its tables are stored for the figures) and an unkept one, on a tiny town."""
    town = {"population.citizens": 600, "population.neighbourhoods": 3, "weeks": 30}
    kept = v.Arm("tiny baseline", "baseline", town, keep=True)
    share = v.Check("calibration", "tiny: volunteer share", v.mean("volunteer_share", 10),
                    (kept,), v.Band(0, 1), ".1%", "share")
    no_csos = v.Arm("tiny no CSOs", "baseline", {**town, "csos.density": 0.0,
                                                  "csos.founding_rate": 0.0})
    nobody = v.Check("limits", "tiny: nobody volunteers", v.largest("volunteers"), (no_csos,),
                     v.Band(0, 0), ".0f")
    return [share, nobody]


def test_an_interrupted_validation_resumes_from_its_stored_runs(tmp_path):
    reference = v.validate(tiny_checks(), replications=3, seed=4, workers=1)
    out = tmp_path / "val"
    first = v.validate(tiny_checks(), replications=3, seed=4, workers=2, out=out)
    for report in (first, reference):
        assert report.table["passed"].all()
    pd.testing.assert_frame_equal(first.table, reference.table)
    pd.testing.assert_frame_equal(first.values, reference.values)
    assert len(list((out / "runs").glob("*.parquet"))) == 6
    # only the kept arm's runs have their tables stored
    for table in ("series", "csos", "spells"):
        assert sorted(p.stem for p in (out / table).glob("*.parquet")) == [
            f"a000-r{k:04d}" for k in range(3)]
    for name in ("a000-r0001", "a001-r0002"):
        (out / "runs" / f"{name}.parquet").unlink()
    calls = []
    with pytest.warns(StoreNotice, match=r"set aside 2 stored run\(s\).*a000-r0001 \(runs/"):
        again = v.validate(tiny_checks(), replications=3, seed=4, workers=1, out=out,
                           progress=lambda done, total: calls.append(done))
    assert calls == [4, 5, 6]  # only the two missing runs computed
    pd.testing.assert_frame_equal(again.table, reference.table)
    pd.testing.assert_frame_equal(again.values, reference.values)
    kept, fresh = again.kept["tiny baseline"], reference.kept["tiny baseline"]
    for a, b in zip(kept, fresh, strict=True):
        pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
        pd.testing.assert_frame_equal(a.csos, b.csos)
        pd.testing.assert_frame_equal(a.spells, b.spells)
        assert a.manifest["seed"] == b.manifest["seed"]
    with pytest.raises(ss.ScenarioError, match="Changed: seed"):
        v.validate(tiny_checks(), replications=3, seed=5, workers=1, out=out)


def test_bad_executor_exits_two_with_one_paragraph(tmp_path, capsys):
    status = main(["validate", "--executor", "mpi", "--out", str(tmp_path / "val")])
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.startswith("solidarity-sim: error: --executor 'mpi'")
    assert "\n" not in err and "allowed: local" in err
    assert not (tmp_path / "val").exists()
