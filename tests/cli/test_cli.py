"""End-to-end tests of the ``solidarity-sim`` console script, run as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from solidarity_sim.model.scenario import bundled_scenarios, load_scenario

pytestmark = pytest.mark.slow  # the console script in fresh processes

EXECUTABLE = Path(sys.executable).parent / "solidarity-sim"
MODULE = [sys.executable, "-m", "solidarity_sim.cli"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CITIZENS = 800  # small, but large enough for the default density to found one CSO
WEEKS = 30
OUTPUTS = ("timeseries.parquet", "spells.parquet", "csos.parquet", "manifest.json",
           "overview.png")


def cli(*args: str, cwd: Path, executable: bool = False, timeout: float = 120
        ) -> subprocess.CompletedProcess:
    command = [str(EXECUTABLE)] if executable else list(MODULE)
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One run through the installed executable, shared by the tests that inspect it."""
    assert EXECUTABLE.is_file(), f"console script not installed at {EXECUTABLE}"
    work = tmp_path_factory.mktemp("cli-run")
    out = work / "out"
    proc = cli("run", "--weeks", str(WEEKS), "--set", f"population.citizens={CITIZENS}",
               "--out", str(out), cwd=work, executable=True)
    return proc, out


# -- a normal run ---------------------------------------------------------------------------------


def test_run_exits_zero_and_writes_every_output(small_run):
    proc, out = small_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in OUTPUTS:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name


def test_run_prints_the_summary(small_run):
    proc, out = small_run
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"scenario baseline · seed 0 · {CITIZENS} citizens · "
                               f"{WEEKS} weeks")
    header = next(line for line in lines if "peak (week)" in line)
    assert header.split() == ["start", "peak", "(week)", "end"]
    for label in ("volunteer share", "annual retention", "active CSOs",
                  "unmet need (need units/week)"):
        assert sum(line.startswith(label) for line in lines) == 1, label
    assert re.search(r"^CSOs founded \d+, dissolved \d+; CSOs met [\d.]+% of all need; state "
                     r"spent €[\d,]+ on civil society$", proc.stdout, re.MULTILINE)
    assert f"written to {out}/" in proc.stdout


def test_summary_matches_the_written_timeseries(small_run):
    proc, out = small_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("unmet need"))
    match = re.fullmatch(r"unmet need \(need units/week\)\s+([\d,]+)\s+([\d,]+) \(week (\d+)\)"
                         r"\s+([\d,]+)", line.strip())
    assert match, line
    start, peak, peak_week, end = match.groups()
    unmet = ts["unmet_need"]
    assert start == f"{unmet.iloc[0]:,.0f}"
    assert peak == f"{unmet.max():,.0f}"
    assert int(peak_week) == int(ts.loc[unmet.idxmax(), "week"])
    assert end == f"{unmet.iloc[-1]:,.0f}"

    line = next(x for x in proc.stdout.splitlines() if x.startswith("volunteer share"))
    share = ts["volunteer_share"]
    assert line.split()[2] == f"{share.iloc[0]:.1%}"
    assert line.split()[-1] == f"{share.iloc[-1]:.1%}"

    line = next(x for x in proc.stdout.splitlines() if x.startswith("active CSOs"))
    assert line.split()[2] == f"{ts['csos_active'].iloc[0]:.0f}"
    assert line.split()[-1] == f"{ts['csos_active'].iloc[-1]:.0f}"


def test_timeseries_has_one_row_per_week(small_run):
    _, out = small_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == WEEKS
    assert ts["week"].tolist() == list(range(WEEKS))
    for column in ("volunteer_share", "retention_12m", "csos_active", "unmet_need"):
        assert column in ts.columns
    assert ts["volunteer_share"].between(0, 1).all()
    assert (ts["citizens"] == CITIZENS).all()


def test_spells_and_csos_tables_load(small_run):
    _, out = small_run
    spells = pd.read_parquet(out / "spells.parquet")
    csos = pd.read_parquet(out / "csos.parquet")
    assert {"citizen", "cso", "start", "end", "reason", "weeks"} <= set(spells.columns)
    assert len(csos) >= 1
    assert {"cso", "origin", "formal", "founded", "volunteers"} <= set(csos.columns)
    assert set(csos["origin"]) <= {"initial", "emerged", "founded"}
    assert spells["cso"].isin(csos["cso"]).all()


def test_manifest_records_the_run(small_run):
    _, out = small_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["package"] == "solidarity-sim"
    assert manifest["scenario"] == "baseline"
    assert manifest["seed"] == 0
    assert manifest["weeks"] == WEEKS
    assert manifest["parameters"]["population"]["citizens"] == CITIZENS
    assert manifest["overrides"] == {"population.citizens": CITIZENS, "weeks": WEEKS}
    expected = load_scenario("baseline", {"population.citizens": CITIZENS, "weeks": WEEKS})
    assert manifest["scenario_hash"] == expected.hash
    assert {"python", "mesa", "numpy", "pandas"} <= set(manifest["libraries"])


def test_overview_is_a_png(small_run):
    _, out = small_run
    data = (out / "overview.png").read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000


# -- seeds ----------------------------------------------------------------------------------------


def test_seed_changes_results_and_same_seed_reproduces_them(tmp_path):
    runs = {"a": "1", "b": "1", "c": "2"}
    procs = {
        key: subprocess.Popen([*MODULE, "run", "--weeks", "20", "--seed", seed, "--set",
                               f"population.citizens={CITIZENS}", "--out", str(tmp_path / key)],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        for key, seed in runs.items()
    }
    for key, proc in procs.items():
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, (key, stderr)
    ts = {key: pd.read_parquet(tmp_path / key / "timeseries.parquet") for key in runs}
    pd.testing.assert_frame_equal(ts["a"], ts["b"])
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "spells.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "spells.parquet"))
    assert not ts["a"].equals(ts["c"])
    assert len(ts["a"]) == len(ts["c"]) == 20
    seeds = [json.loads((tmp_path / k / "manifest.json").read_text())["seed"] for k in runs]
    assert seeds == [1, 1, 2]


# -- listing scenarios ----------------------------------------------------------------------------


def test_scenarios_lists_each_bundled_scenario_on_one_line(tmp_path):
    proc = cli("scenarios", cwd=tmp_path, executable=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(bundled_scenarios())
    names = [line.split()[0] for line in lines]
    assert names == list(bundled_scenarios())
    assert {"baseline", "pandemic"} <= set(names)
    for line in lines:
        name, description = line.split(maxsplit=1)
        assert description.endswith(".") and len(description) > 20, line
    for name, path in bundled_scenarios().items():
        description = " ".join(tomllib.loads(path.read_text())["description"].split())
        first_sentence = description.split(". ")[0].rstrip(".")
        assert lines[names.index(name)].endswith(f"  {first_sentence}.")


# -- bad inputs -----------------------------------------------------------------------------------

BAD_INPUTS = [
    pytest.param(["--set", "csos.factors.meaning=2"],
                 ["--set", "csos.factors.meaning", "value 2", "a number from 0 to 1"],
                 id="factor-out-of-range"),
    pytest.param(["--set", "nosuch.key=1"], ["--set", "unknown key 'nosuch'", "Valid keys"],
                 id="unknown-key"),
    pytest.param(["--set", "csos.factors.meaning"], ["--set", "PATH=VALUE"],
                 id="assignment-without-value"),
    pytest.param(["no_such_scenario"], ["'no_such_scenario'", "baseline", "pandemic"],
                 id="unknown-scenario-name"),
    pytest.param(["--set", "donations.per_capita=inf"],
                 ["donations.per_capita", "inf", "a number from 0"], id="infinite-value"),
    pytest.param(["--set", "population=800"], ["'population'", "population.citizens"],
                 id="value-for-table"),
    pytest.param(["--weeks", "0"], ["'weeks'", "value 0", "a whole number from 1"],
                 id="zero-weeks"),
]


def _assert_clean_error(proc: subprocess.CompletedProcess, fragments: list[str]) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    error = proc.stderr.strip()
    assert error.startswith("solidarity-sim: error: ")
    assert "\n\n" not in error  # one paragraph
    for fragment in fragments:
        assert fragment in error, (fragment, error)


@pytest.mark.parametrize(("args", "fragments"), BAD_INPUTS)
def test_bad_input_exits_2_with_a_one_paragraph_error(tmp_path, args, fragments):
    out = tmp_path / "out"
    # the test's own arguments come last, so its --weeks wins over the small default
    proc = cli("run", "--weeks", "5", "--set", f"population.citizens={CITIZENS}", *args,
               "--out", str(out), cwd=tmp_path)
    _assert_clean_error(proc, fragments)
    assert not out.exists()


def test_malformed_toml_file_exits_2_naming_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "broken"\n[population\ncitizens = 800\n')
    proc = cli("run", str(bad), "--weeks", "5", "--out", str(tmp_path / "out"), cwd=tmp_path,
               executable=True)
    _assert_clean_error(proc, [str(bad), "not valid TOML", "line 2"])


def test_invalid_value_in_a_file_exits_2_naming_file_and_key(tmp_path):
    bad = tmp_path / "bad_value.toml"
    bad.write_text('name = "bad"\n[csos.factors]\nmeaning = 1.3\n')
    proc = cli("run", str(bad), "--weeks", "5", cwd=tmp_path)
    _assert_clean_error(proc, [str(bad), "csos.factors.meaning", "1.3", "a number from 0 to 1"])
    assert not (tmp_path / "results").exists()


def test_a_toml_file_scenario_runs(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('name = "mine"\nextends = "pandemic"\nweeks = 12\n[population]\n'
                    f"citizens = {CITIZENS}\n")
    proc = cli("run", str(good), "--seed", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"scenario mine · seed 3 · {CITIZENS} citizens · 12 weeks")
    out = tmp_path / "results" / "mine-seed3"  # the default output folder
    assert len(pd.read_parquet(out / "timeseries.parquet")) == 12
    assert json.loads((out / "manifest.json").read_text())["scenario_origin"] == str(good)


def test_argparse_usage_errors_exit_2(tmp_path):
    for args in (["run", "--seed", "many"], ["frobnicate"], []):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert "usage: solidarity-sim" in proc.stderr
        assert "Traceback" not in proc.stderr


# -- help -----------------------------------------------------------------------------------------


def test_help_works_quickly(tmp_path):
    started = time.perf_counter()
    proc = cli("--help", cwd=tmp_path, executable=True)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: solidarity-sim")
    assert "run" in proc.stdout and "scenarios" in proc.stdout
    assert elapsed < 5, elapsed

    proc = cli("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in ("--seed", "--weeks", "--set", "--out", "PATH=VALUE"):
        assert option in proc.stdout, option


def test_help_does_not_import_the_heavy_libraries(tmp_path):
    code = ("import sys; import solidarity_sim.cli; "
            "sys.exit(sorted({'mesa', 'matplotlib', 'pandas'} & set(sys.modules)) or 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_town_too_small_for_any_cso_is_refused_in_one_paragraph(tmp_path):
    # 500 citizens x 10 CSOs per 10,000 rounds to no initial CSO; no association is founded
    # later and without a crisis no group can emerge: nobody could ever volunteer
    out = tmp_path / "out"
    proc = cli("run", "--weeks", "5", "--set", "population.citizens=500", "--set",
               "csos.founding_rate=0", "--out", str(out), cwd=tmp_path, executable=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("solidarity-sim: error: --set: a town of 500 citizens in 2 "
                                  "neighbourhoods with csos.density 10 per 10,000 citizens")
    assert "csos.density above 10 for this town" in proc.stderr
    assert proc.stderr.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("case", ["latin1-file", "negative-seed", "out-is-a-file"])
def test_other_bad_inputs_exit_2_without_a_traceback(tmp_path, case):
    args = ["run", "--weeks", "3", "--set", f"population.citizens={CITIZENS}"]
    if case == "latin1-file":
        bad = tmp_path / "latin1.toml"
        bad.write_bytes('name = "café"\n'.encode("latin-1"))
        args.insert(1, str(bad))
        fragment = str(bad)
    elif case == "negative-seed":
        args += ["--seed", "-1", "--out", str(tmp_path / "out")]
        fragment = "seed"
    else:
        (tmp_path / "taken").write_text("not a folder")
        args += ["--out", str(tmp_path / "taken")]
        fragment = str(tmp_path / "taken")
    proc = cli(*args, cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert fragment in proc.stderr
