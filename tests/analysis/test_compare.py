"""Scenario comparison: paired statistics, common random numbers, parallel runs, CLI and report."""

from __future__ import annotations

import base64
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import solidarity_sim as ss
from solidarity_sim.analysis.comparison import (
    OUTCOME_BY_NAME,
    OUTCOMES,
    Comparison,
    outcome_values,
    pairwise,
    run_comparison,
    spending_gaps,
    summarise,
    weekly_differences,
)
from solidarity_sim.analysis.statistics import difference_verdict
from solidarity_sim.batch.store import StoreNotice
from solidarity_sim.cli import main
from solidarity_sim.model.streams import derive_seed
from solidarity_sim.viz.report import headline_table, pairs_table, write_report

MODULE = [sys.executable, "-m", "solidarity_sim.cli"]
SMALL = {"population.citizens": 1500, "population.neighbourhoods": 9}
WEEKS = 120  # the recession starts in week 52 and the cuts in week 104
RECESSION = ["great-recession", "core-funding", "project-grants"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def recession():
    """A real comparison of the recession with two funding variants, run in this process."""
    return run_comparison(RECESSION, replications=4, seed=3, weeks=WEEKS, overrides=SMALL,
                          workers=1)


# -- statistics -----------------------------------------------------------------------------------


def synthetic_runs(values: dict[str, list[float]], outcome: str = "unmet_need") -> pd.DataFrame:
    """A tidy runs table with one outcome filled in and the others constant."""
    rows = []
    for name, xs in values.items():
        for k, x in enumerate(xs):
            for o in OUTCOMES:
                rows.append({"scenario": name, "replication": k, "seed": k, "outcome": o.name,
                             "value": x if o.name == outcome else 1.0})
    return pd.DataFrame(rows)


def test_summary_gives_paired_differences_from_the_first_scenario():
    ref = [10.0, 20.0, 30.0, 40.0]
    better = [9.0, 18.5, 29.2, 38.1]  # lower unmet need in every replication
    summary = summarise(synthetic_runs({"ref": ref, "policy": better}))
    row = summary[(summary["scenario"] == "policy") & (summary["outcome"] == "unmet_need")]
    row = row.iloc[0]
    diff = np.subtract(better, ref)
    expected = stats.ttest_1samp(diff, 0.0).confidence_interval(0.95)
    assert row["diff"] == pytest.approx(diff.mean())
    assert (row["diff_low"], row["diff_high"]) == pytest.approx((expected.low, expected.high))
    assert row["verdict"] == "better"
    # the replications differ a lot, the pairs hardly: unpaired is far wider than paired
    assert row["unpaired_high"] - row["unpaired_low"] > 10 * (row["diff_high"] - row["diff_low"])
    assert row["mean"] == pytest.approx(np.mean(better))
    reference = summary[summary["scenario"] == "ref"]
    assert (reference["verdict"] == "reference").all()
    assert reference["diff"].isna().all()
    assert len(summary) == 2 * len(OUTCOMES)


@pytest.mark.parametrize(("outcome", "low", "high", "expected"), [
    ("unmet_need", -3.0, -1.0, "better"),
    ("unmet_need", 1.0, 3.0, "worse"),
    ("volunteer_share", 1.0, 3.0, "better"),
    ("volunteer_share", -3.0, -0.5, "worse"),
    ("capacity_gini", 0.1, 0.2, "higher"),
    ("state_spending", -5.0, -1.0, "lower"),
    ("unmet_need", -1.0, 2.0, "unclear"),
    ("cost_per_need_met", np.nan, np.nan, "undefined"),
])
def test_verdict_knows_which_direction_is_better(outcome, low, high, expected):
    assert difference_verdict(OUTCOME_BY_NAME[outcome].better, low, high) == expected


def test_spending_gaps_flag_pairs_differing_by_more_than_five_percent():
    runs = synthetic_runs({"a": [100.0, 100.0], "b": [104.0, 104.0], "c": [80.0, 80.0]},
                          outcome="state_spending")
    warnings = spending_gaps(summarise(runs))
    assert [w.split(" on civil")[0] for w in warnings] == [
        "Unequal cost: a spent €100 and c €80", "Unequal cost: b spent €104 and c €80"]
    assert "a difference of 20%" in warnings[0]


def test_outcomes_of_a_run_follow_their_definitions(baseline_small):
    ts = baseline_small.timeseries
    values = outcome_values(ts)
    assert set(values) == set(OUTCOME_BY_NAME)
    assert values["volunteer_share"] == pytest.approx(100 * ts["volunteer_share"].mean())
    assert values["retention"] == pytest.approx(
        100 * ts.loc[ts["week"] >= 52, "retention_12m"].mean())
    assert values["unmet_need"] == pytest.approx(ts["unmet_need"].mean())
    assert values["state_spending"] == pytest.approx(ts["state_spending"].sum())
    # the baseline funds no CSO: a cost per unit of need met is not defined
    assert values["state_spending"] == 0 and np.isnan(values["cost_per_need_met"])


# -- a real comparison ----------------------------------------------------------------------------


def test_every_scenario_shares_the_seed_of_each_replication(recession):
    runs = recession.runs
    assert len(runs) == len(RECESSION) * 4 * len(OUTCOMES)
    assert list(dict.fromkeys(runs["scenario"])) == RECESSION
    seeds = runs.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all()
    assert runs.groupby("replication")["seed"].first().tolist() == [derive_seed(3, k)
                                                                   for k in range(4)]
    weekly = recession.weekly
    assert len(weekly) == len(RECESSION) * 4 * WEEKS
    assert {"scenario", "replication", "seed", "week", "unmet_need"} <= set(weekly.columns)


def test_paired_intervals_are_narrower_than_unpaired_ones(recession):
    summary = recession.summary
    others = summary[summary["scenario"] != RECESSION[0]]
    for outcome in ("volunteer_share", "unmet_need", "need_met_csos", "recognition"):
        rows = others[others["outcome"] == outcome]
        paired = rows["diff_high"] - rows["diff_low"]
        unpaired = rows["unpaired_high"] - rows["unpaired_low"]
        assert (paired < unpaired).all(), (outcome, paired.tolist(), unpaired.tolist())
        assert (paired < 0.5 * unpaired).any(), outcome


def test_the_funding_variants_spend_the_same_money(recession):
    summary = recession.summary.set_index(["scenario", "outcome"])
    spent = {name: summary.loc[(name, "state_spending"), "mean"] for name in RECESSION}
    assert spent["great-recession"] == 0
    # 10 €/citizen/year, cut by a fifth from week 104
    expected = 10 * 1500 / 52 * (104 + 0.8 * (WEEKS - 104))
    assert spent["core-funding"] == pytest.approx(expected)
    assert spent["project-grants"] == pytest.approx(expected, rel=0.05)
    warnings = spending_gaps(recession.summary)
    assert len(warnings) == 2
    assert all("great-recession" in w for w in warnings)


def test_weekly_differences_pair_replications(recession):
    diffs = weekly_differences(recession.weekly, "state_spending")
    assert set(diffs["scenario"]) == {"core-funding", "project-grants"}
    core = diffs[diffs["scenario"] == "core-funding"]
    assert core["mean"].iloc[0] == pytest.approx(10 * 1500 / 52)
    assert len(core) == WEEKS


def test_pairwise_differences_agree_with_differences_from_the_reference(recession):
    pairs = pairwise(recession.runs).set_index("outcome")
    assert set(pairs["scenario"]) == {"project-grants"}
    assert set(pairs["versus"]) == {"core-funding"}
    summary = recession.summary.set_index(["scenario", "outcome"])
    for outcome in ("unmet_need", "volunteer_share", "csos_active"):
        expected = (summary.loc[("project-grants", outcome), "diff"]
                    - summary.loc[("core-funding", outcome), "diff"])
        assert pairs.loc[outcome, "diff"] == pytest.approx(expected, abs=1e-9)


def test_pairs_table_prints_one_line_per_outcome(recession):
    text = pairs_table(pairwise(recession.runs))
    assert text.count("project-grants − core-funding") == len(OUTCOMES)
    assert pairs_table(pairwise(recession.runs[recession.runs["scenario"] != "core-funding"])) \
        == ""


def test_report_of_three_scenarios_shows_the_other_pair(recession, tmp_path):
    path = write_report(recession, tmp_path, elapsed=1.0)
    text = path.read_text(encoding="utf-8")
    assert "Between the other scenarios" in text
    assert "project-grants − core-funding" in text
    assert text.count("data:image/png;base64,") == 3
    assert {p.name for p in tmp_path.iterdir()} == {
        "report.html", "differences.png", "trajectories.png", "weekly-differences.png"}


def test_a_saved_comparison_loads_back(recession, tmp_path):
    recession.save(tmp_path)
    loaded = Comparison.load(tmp_path)
    assert [s.hash for s in loaded.scenarios] == [s.hash for s in recession.scenarios]
    assert (loaded.seed, loaded.seeds) == (recession.seed, recession.seeds)
    pd.testing.assert_frame_equal(loaded.runs, recession.runs)
    pd.testing.assert_frame_equal(loaded.weekly, recession.weekly)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "summary.csv"), recession.summary,
                                  check_dtype=False)


def test_serial_and_parallel_runs_give_identical_tables(recession):
    finished = []
    parallel = run_comparison(RECESSION, replications=4, seed=3, weeks=WEEKS, overrides=SMALL,
                              workers=2, progress=lambda done, total: finished.append(done))
    assert finished == list(range(1, 13))
    pd.testing.assert_frame_equal(parallel.runs, recession.runs)
    pd.testing.assert_frame_equal(parallel.weekly, recession.weekly)
    pd.testing.assert_frame_equal(parallel.summary, recession.summary)
    # a run on a pool worker is, bit for bit, the run alone
    for name, k in ((RECESSION[0], 0), (RECESSION[2], 3)):
        alone = ss.run(name, seed=parallel.seeds[k], weeks=WEEKS, overrides=SMALL).timeseries
        pooled = parallel.weekly[(parallel.weekly["scenario"] == name)
                                 & (parallel.weekly["replication"] == k)]
        # (the table of every run has float columns where one run alone has only integers)
        pd.testing.assert_frame_equal(pooled[alone.columns].reset_index(drop=True), alone,
                                      check_dtype=False, check_exact=True)


def test_identical_scenarios_differ_by_exactly_zero(tmp_path):
    twin = tmp_path / "twin.toml"
    twin.write_text('name = "twin"\ndescription = "baseline again"\nsources = ["test"]\n'
                    'extends = "baseline"\n', encoding="utf-8")
    table = ss.compare(["baseline", twin], replications=3, weeks=60, overrides=SMALL, workers=1)
    twin_rows = table[table["scenario"] == "twin"]
    defined = twin_rows.dropna(subset=["diff"])
    assert len(defined) >= len(OUTCOMES) - 2  # retention and cost need more weeks or money
    assert (defined["diff"] == 0).all() and (defined["diff_low"] == 0).all()
    assert (defined["verdict"] == "equal").all()  # not "unclear": identical in every pair


def test_the_package_function_stays_callable():
    first = ss.compare
    table = ss.compare(["baseline", "sse-support"], replications=2, weeks=20, overrides=SMALL,
                       workers=1)
    assert callable(first) and callable(ss.compare)
    assert list(table.columns[:3]) == ["scenario", "outcome", "label"]
    assert len(table) == 2 * len(OUTCOMES)


def test_two_scenarios_with_one_name_are_rejected(tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text('name = "baseline"\n', encoding="utf-8")
    with pytest.raises(ss.ScenarioError, match="both named 'baseline'"):
        run_comparison(["baseline", copy], replications=2, workers=1)


def test_headline_table_lists_every_outcome_and_scenario(recession):
    text = headline_table(recession.summary)
    for outcome in OUTCOMES:
        assert outcome.label in text
    assert text.count("project-grants") == len(OUTCOMES)
    assert "minus great-recession" in text


# -- the command line and the report --------------------------------------------------------------


class StrictHTML(HTMLParser):
    """Checks that every element is closed in order; collects img sources and links."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        self.urls += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


@pytest.mark.slow
def test_compare_command_end_to_end(tmp_path):
    """One run of the command (it is slow to start), checked as a user would read it."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [*MODULE, "compare", "great-recession", "austerity", "--replications", "3", "--weeks",
         "60", "--set", "population.citizens=1200", "--seed", "5", "--workers", "1", "--out",
         str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    check_outputs(out)
    check_printed_table(proc.stdout, out)
    check_report(out / "report.html")


def check_outputs(out: Path) -> None:
    for name in ("summary.csv", "runs.parquet", "weekly.parquet", "manifest.json", "report.html",
                 "differences.png", "trajectories.png", "weekly-differences.png"):
        assert (out / name).stat().st_size > 0, name
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {"great-recession", "austerity"}
    assert set(summary["outcome"]) == set(OUTCOME_BY_NAME)
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns) == ["scenario", "replication", "seed", "outcome", "value"]
    assert len(runs) == 2 * 3 * len(OUTCOMES)
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    weekly = pd.read_parquet(out / "weekly.parquet")
    assert len(weekly) == 2 * 3 * 60


def check_printed_table(stdout: str, out: Path) -> None:
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["outcome", "(unit)", "scenario"]
    assert any(line.startswith("unmet need (need units/week)") for line in lines)
    # great-recession funds no CSO; austerity pays core funding
    assert "warning: Unequal cost: great-recession spent €0 and austerity" in stdout
    assert f"written to {out}/" in stdout


def check_report(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    assert {"html", "head", "body", "table", "h1", "style"} <= set(parser.tags)
    assert len(parser.images) == 3
    for src in parser.images:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix):])[:8] == PNG_SIGNATURE
    assert not any(u.startswith(("http:", "https:", "//")) for u in parser.urls)
    assert "<script" not in text and "@import" not in text
    assert "Spending differs by more than 5 %" in text
    for outcome in OUTCOMES:
        assert outcome.label in text
    assert "How to read this" in text


@pytest.mark.parametrize(("args", "fragments"), [
    pytest.param(["baseline"], ["at least two scenarios"], id="one-scenario"),
    pytest.param(["baseline", "pandemic", "--replications", "1"],
                 ["--replications 1", "at least 2"], id="one-replication"),
    pytest.param(["baseline", "pandemic", "--workers", "0"], ["--workers 0"], id="no-workers"),
    pytest.param(["baseline", "no-such-scenario"], ["'no-such-scenario'", "baseline"],
                 id="unknown-scenario"),
    pytest.param(["baseline", "pandemic", "--set", "state.funding.policy=grants"],
                 ["--set", "state.funding.policy", "'grants'", "core_funding"],
                 id="unknown-policy"),
    pytest.param(["baseline", "pandemic", "--set", "csos.factors.meanig=0.5"],
                 ["--set", "csos.factors.meanig", "Did you mean 'meaning'"], id="typo"),
    pytest.param(["baseline", "baseline"], ["both named 'baseline'"], id="same-name"),
    pytest.param(["baseline", "pandemic", "--weeks", "-3"], ["'weeks'", "-3"],
                 id="negative-weeks"),
    pytest.param(["baseline", "pandemic", "--executor", "slurm"],
                 ["--executor 'slurm'", "allowed: local", "dask"], id="bad-executor"),
    pytest.param(["baseline", "pandemic", "--executor", "local", "--scheduler", "tcp://h:1"],
                 ["--scheduler tcp://h:1", "--executor dask"], id="scheduler-without-dask"),
])
def test_compare_rejects_bad_input_with_exit_2(tmp_path, capsys, args, fragments):
    status = main(["compare", *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.out == ""
    error = captured.err.strip()
    assert error.startswith("solidarity-sim: error: ")
    assert "\n" not in error  # one paragraph
    for fragment in fragments:
        assert fragment in error, (fragment, error)
    assert not (tmp_path / "out").exists()


def test_compare_accepts_scenario_files(tmp_path):
    inclusive = tmp_path / "inclusive.toml"
    inclusive.write_text('name = "refugee-inclusive"\ndescription = "inclusive CSOs"\n'
                         'sources = ["test"]\nextends = "refugee-reception"\n'
                         '[csos.factors]\npluralism = 0.9\n', encoding="utf-8")
    comparison = run_comparison([Path(ss.bundled_scenarios()["refugee-reception"]), inclusive],
                                replications=2, weeks=80, overrides=SMALL, workers=1)
    assert [s.name for s in comparison.scenarios] == ["refugee-reception", "refugee-inclusive"]
    assert comparison.scenarios[1].get("csos.factors.pluralism") == 0.9


# -- the run store: resume ------------------------------------------------------------------------

TINY = {"population.citizens": 600, "population.neighbourhoods": 3}
TINY_WEEKS = 30


def tiny_comparison(**kwargs):
    return run_comparison(["baseline", "austerity"], replications=3, seed=2, weeks=TINY_WEEKS,
                          overrides=TINY, **kwargs)


@pytest.fixture(scope="module")
def tiny_reference():
    """The tiny comparison run serially, without a store."""
    return tiny_comparison(workers=1)


def assert_same_comparison(a: Comparison, b: Comparison) -> None:
    assert a.seeds == b.seeds
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.weekly, b.weekly)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_an_interrupted_comparison_resumes_from_its_stored_runs(tiny_reference, tmp_path):
    out = tmp_path / "out"
    first = tiny_comparison(workers=2, out=out)
    assert_same_comparison(first, tiny_reference)
    stored = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert stored == [f"s{i:02d}-r{k:04d}.parquet" for i in range(2) for k in range(3)]
    assert len(list((out / "series").glob("*.parquet"))) == 6
    # as if stopped after four runs: two runs lost (one with its series, one half-written)
    for name in ("s00-r0002", "s01-r0000"):
        (out / "runs" / f"{name}.parquet").unlink()
    (out / "series" / "s00-r0002.parquet").unlink()
    (out / "series" / ".s01-r0001.parquet.123.tmp").write_bytes(b"half a file")
    calls = []
    with pytest.warns(StoreNotice, match=r"set aside 2 stored run\(s\).*s00-r0002 \(series/"):
        again = tiny_comparison(workers=1, out=out,
                                progress=lambda done, total: calls.append(done))
    assert calls == [4, 5, 6]  # four runs read back, only the two missing runs computed
    assert_same_comparison(again, tiny_reference)
    assert not list((out / "series").glob(".*.tmp"))
    calls.clear()
    tiny_comparison(workers=1, out=out, progress=lambda done, total: calls.append(done))
    assert calls == [6]  # nothing left to compute


def test_a_folder_of_another_comparison_is_refused_with_what_changed(tiny_reference, tmp_path):
    out = tmp_path / "out"
    tiny_reference.save(out)  # a saved comparison is a store of this comparison, with no runs
    with pytest.raises(ss.ScenarioError, match="different set of scenarios") as err:
        run_comparison(["baseline", "austerity"], replications=4, seed=2, weeks=TINY_WEEKS,
                       overrides=TINY, workers=1, out=out)
    assert "Changed: replications" in str(err.value)
    assert "give another --out folder" in str(err.value)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ss.ScenarioError, match="not empty and holds no comparison"):
        tiny_comparison(workers=1, out=tmp_path / "mine")
