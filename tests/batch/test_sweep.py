"""Sweeps on the local engines: identical results, resume after SIGKILL, SIGTERM or Ctrl-C, lost
workers, failures, refusal of a changed experiment, and the analysis of the results."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_array_equal

import solidarity_sim as ss
from solidarity_sim.analysis.sensitivity import analyse
from solidarity_sim.batch.executors import LocalExecutor, SerialExecutor
from solidarity_sim.batch.experiment import ExperimentError, load_experiment
from solidarity_sim.batch.store import RunStore
from solidarity_sim.batch.sweep import load_manifest, load_table, run_sweep, simulate
from solidarity_sim.model.solidarity_model import SolidarityModel, forget
from tests.helpers import small_disk

SMOKE = Path(__file__).resolve().parents[2] / "experiments" / "smoke.toml"
CLI = [sys.executable, "-m", "solidarity_sim.cli"]
RUN_METADATA = ["seconds", "worker"]
"""Columns that say where and how fast a run ran; everything else must match exactly."""
FAILING_POINT = 1

SOBOL = """
scenario = "baseline"
seed = 5
weeks = 40

[fixed]
"population.citizens" = 300
"population.neighbourhoods" = 4
"csos.density" = 100

[design]
method = "sobol"
samples = 8
common_seeds = true

[parameters]
"csos.factors.meaning" = { min = 0.1, max = 0.9 }
"volunteering.quit_rate" = { min = 0.001, max = 0.02 }

[outcomes]
volunteers = { column = "volunteer_share", stat = "mean", window = [20, 40] }
"""


def results(out: Path) -> pd.DataFrame:
    """A sweep's result table without the run metadata."""
    return load_table(out).drop(columns=RUN_METADATA)


def fails_at_one_point(task):
    """Run the real model, except at one design point, where the run raises."""
    if task.values["csos.factors.meaning"] == 0.8 and task.values[
            "state.funding.policy"] == "none":
        raise RuntimeError(f"run {task.run} broke on purpose")
    return simulate(task)


def exits_at_one_point(task):
    """Run the real model, except at one design point, where the worker process dies."""
    if task.values["csos.factors.meaning"] == 0.8 and task.values[
            "state.funding.policy"] == "none":
        os._exit(3)
    return simulate(task)


def sweep_cli(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "sweep", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def wait_for_runs(out: Path, count: int, proc: subprocess.Popen, timeout: float = 60) -> int:
    """Wait until ``count`` run files exist; return how many there are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list((out / "runs").glob("run-*.parquet"))) if (out / "runs").is_dir() else 0
        if done >= count:
            return done
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} runs after {timeout} s")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The smoke experiment run serially in this process: the reference table."""
    out = tmp_path_factory.mktemp("serial") / "out"
    summary = run_sweep(load_experiment(SMOKE), out, SerialExecutor(), progress=False)
    assert (summary.planned, summary.finished, summary.failed) == (8, 8, 0)
    return out


def test_the_dataset_has_one_row_per_run_with_outcomes_seeds_and_a_manifest(serial):
    exp = load_experiment(SMOKE)
    table = load_table(serial)
    planned = exp.runs()
    assert list(table["run"]) == list(range(8))
    pd.testing.assert_frame_equal(table[planned.columns], planned)
    assert table[["volunteers", "retention", "peak_joins"]].notna().all().all()
    assert table["volunteers"].between(0, 1).all()
    assert table["peak_week"].between(0, 103).all()
    manifest = load_manifest(serial)
    assert manifest["hash"] == exp.hash(manifest["version"])
    assert manifest["seeds"]["runs"] == list(planned["seed"])
    assert manifest["experiment"]["parameters"]["csos.factors.meaning"] == [0.2, 0.8]
    series = load_table(serial, "series")
    assert len(series) == 8 * 104
    assert list(series.columns) == ["run", "week", "volunteer_share"]


def test_every_run_is_the_run_alone(serial):
    """Each run of the sweep gives, bit for bit, what ``ss.run`` gives for its seed and point."""
    exp = load_experiment(SMOKE)
    series = load_table(serial, "series")
    for row in load_table(serial).to_dict("records"):
        alone = ss.run(exp.scenario, seed=int(row["seed"]), overrides={
            "state.funding.policy": row["state.funding.policy"],
            "csos.factors.meaning": row["csos.factors.meaning"]}).timeseries
        kept = series[series["run"] == row["run"]]
        assert_array_equal(kept["volunteer_share"], alone["volunteer_share"])
        assert row["volunteers"] == alone["volunteer_share"].iloc[52:104].mean()
        assert row["retention"] == alone["retention_12m"].iloc[-1]


def test_two_local_workers_give_the_serial_table_and_a_rerun_computes_nothing(serial,
                                                                            tmp_path):
    exp = load_experiment(SMOKE)
    with LocalExecutor(2) as pool:
        first = run_sweep(exp, tmp_path / "out", pool, progress=False)
        again = run_sweep(exp, tmp_path / "out", pool, progress=False)
    assert (first.finished, again.skipped, again.finished) == (8, 8, 0)
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(serial))
    pd.testing.assert_frame_equal(load_table(tmp_path / "out", "series"),
                                  load_table(serial, "series"))
    assert load_table(tmp_path / "out")["worker"].nunique() == 2


def as_from_a_shell() -> None:
    """In the child before it starts: Ctrl-C and SIGTERM delivered and handled as by default.

    A command started from a shell gets them so; a test worker's process may have inherited
    them ignored or blocked (both pass on to children), and the sweep would then run on.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="module")
def longer(tmp_path_factory):
    """The smoke experiment with six replications (24 runs) and its serial table: enough runs
    that a stop after the second lands part-way even on a loaded machine."""
    folder = tmp_path_factory.mktemp("longer")
    toml = folder / "longer.toml"
    toml.write_text(SMOKE.read_text().replace("replications = 2", "replications = 6"))
    run_sweep(load_experiment(toml), folder / "serial", SerialExecutor(), progress=False)
    return toml, folder / "serial"


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGKILL", "SIGTERM (batch systems)", "SIGINT (Ctrl-C)"])
def test_stopped_then_rerun_gives_the_uninterrupted_dataset(longer, tmp_path, stop):
    toml, serial = longer
    out = tmp_path / "out"
    proc = sweep_cli(toml, "--out", out, "--workers", "2", start_new_session=True,
                     preexec_fn=as_from_a_shell)
    try:
        wait_for_runs(out, 2, proc)
        os.kill(proc.pid, stop)
        _, stderr = proc.communicate(timeout=30)
        done = len(list((out / "runs").glob("run-*.parquet")))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert done < 24, "the sweep must be stopped part-way"
    if stop != signal.SIGKILL:  # a clean stop says how to go on
        assert proc.returncode == 130 and "run the same command again" in stderr
        assert "Traceback" not in stderr
    rerun = subprocess.run([*CLI, "sweep", str(toml), "--out", str(out), "--workers", "2"],
                           capture_output=True, text=True, timeout=120, check=True)
    assert "already done" in rerun.stdout
    table = results(out)
    assert table["run"].is_unique
    pd.testing.assert_frame_equal(table, results(serial))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_killing_a_pool_worker_loses_nothing(serial, tmp_path):
    out = tmp_path / "out"
    proc = sweep_cli(SMOKE, "--out", out, "--workers", "2")
    wait_for_runs(out, 1, proc)
    worker = load_table(out)["worker"].iloc[0]
    os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)
    assert len(list((out / "runs").glob("run-*.parquet"))) < 8, "kill part-way"
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "8 finished now, 0 failed" in stdout
    pd.testing.assert_frame_equal(results(out), results(serial))
    assert load_table(out)["worker"].nunique() >= 2


def test_a_run_that_raises_is_recorded_and_retried_by_the_next_sweep(serial, tmp_path):
    exp, out = load_experiment(SMOKE), tmp_path / "out"
    with LocalExecutor(2) as pool:
        summary = run_sweep(exp, out, pool, fn=fails_at_one_point, progress=False)
    assert (summary.finished, summary.failed) == (6, 2)
    failed = load_table(out, "failed")
    assert list(failed["point"]) == [FAILING_POINT, FAILING_POINT]
    assert list(failed["seed"]) == list(load_table(serial)["seed"].iloc[2:4])
    assert failed["error"].str.fullmatch(r"RuntimeError: run \d broke on purpose").all()
    assert failed["traceback"].str.contains("fails_at_one_point").all()
    assert set(load_table(out)["point"]) == {0, 2, 3}
    retry = run_sweep(exp, out, SerialExecutor(), progress=False)
    assert (retry.skipped, retry.finished, retry.failed) == (6, 2, 0)
    assert load_table(out, "failed").empty
    pd.testing.assert_frame_equal(results(out), results(serial))


@pytest.mark.slow
def test_a_run_that_kills_its_worker_fails_alone_after_three_deaths(serial, tmp_path):
    with LocalExecutor(2) as pool:
        summary = run_sweep(load_experiment(SMOKE), tmp_path / "out", pool,
                            fn=exits_at_one_point, progress=False)
    assert (summary.finished, summary.failed) == (6, 2)
    failed = load_table(tmp_path / "out", "failed")
    assert list(failed["point"]) == [FAILING_POINT, FAILING_POINT]
    assert failed["error"].str.startswith("a worker process died 3 times").all()
    kept = results(serial)
    pd.testing.assert_frame_equal(results(tmp_path / "out"),
                                  kept[kept["point"] != FAILING_POINT].reset_index(drop=True))


def test_a_changed_experiment_is_refused_with_what_changed(serial, tmp_path, capsys):
    changed = tmp_path / "changed.toml"
    changed.write_text(SMOKE.read_text().replace("seed = 1", "seed = 2").replace(
        "replications = 2", "replications = 3"))
    with pytest.raises(ExperimentError, match="different experiment") as err:
        run_sweep(load_experiment(changed), serial, SerialExecutor(), progress=False)
    assert "Changed: replications, seed" in str(err.value)
    from solidarity_sim.cli import main

    assert main(["sweep", str(changed), "--out", str(serial), "--workers", "1"]) == 2
    assert "give another --out folder" in capsys.readouterr().err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ExperimentError, match="not empty and holds no sweep"):
        run_sweep(load_experiment(SMOKE), tmp_path / "other", SerialExecutor(),
                  progress=False)


def test_a_forgotten_model_can_be_freed():
    model = SolidarityModel("baseline", rng=1, **{"population.citizens": 600, "weeks": 2})
    model.run()
    forget(model)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_grid_main_effects_table_and_figure(serial, tmp_path):
    from solidarity_sim.cli import main

    assert main(["analyze", str(serial), "--out", str(tmp_path)]) == 0
    effects = pd.read_csv(tmp_path / "main_effects.csv")
    assert len(effects) == 4 * 4  # 4 outcomes x (2 + 2 factor values)
    assert (effects["n"] == 4).all()
    table = load_table(serial)
    meaning = effects[(effects["outcome"] == "retention")
                      & (effects["parameter"] == "csos.factors.meaning")]
    expected = table.groupby("csos.factors.meaning")["retention"].mean()
    assert list(meaning["mean"]) == pytest.approx(list(expected))
    assert (meaning["ci_low"] < meaning["mean"]).all()
    assert (tmp_path / "sensitivity.png").read_bytes().startswith(b"\x89PNG")
    assert len(pd.read_csv(tmp_path / "point_means.csv")) == 4


@pytest.mark.parametrize(("method", "samples", "runs", "table", "index"), [
    ("sobol", 8, 8 * (2 + 2), "sobol", "ST"),
    ("morris", 4, 4 * (2 + 1), "morris", "mu_star"),
    ("lhs", 44, 44, "rbd_fast", "S1")])
def test_sampled_designs_find_the_dominant_parameter(tmp_path, capsys, method, samples, runs,
                                                     table, index):
    from solidarity_sim.cli import main

    path = tmp_path / "sampled.toml"
    path.write_text(SOBOL.replace('"sobol"', f'"{method}"').replace("samples = 8",
                                                                   f"samples = {samples}"))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    assert len(load_table(out)) == runs
    assert main(["analyze", str(out)]) == 0
    assert f"{table}.csv" in capsys.readouterr().out
    indices = pd.read_csv(out / f"{table}.csv").set_index("parameter")
    assert list(indices.index) == ["csos.factors.meaning", "volunteering.quit_rate"]
    assert indices.notna().all().all()
    # a twentyfold range of the quit hazard moves the volunteer share far more than meaning
    assert indices.loc["volunteering.quit_rate", index] > 2 * abs(
        indices.loc["csos.factors.meaning", index])
    assert (out / "sensitivity.png").read_bytes().startswith(b"\x89PNG")
    (out / "runs" / "run-000003.parquet").unlink()  # a run that never finished
    (out / "records" / "run-000003.json").unlink()
    with pytest.raises(ExperimentError, match=f"1 of {runs} design points have no finished run"):
        analyse(out)


def test_sobol_indices_with_confidence_intervals(tmp_path):
    path = tmp_path / "sobol.toml"
    path.write_text(SOBOL)
    run_sweep(load_experiment(path), tmp_path / "out", SerialExecutor(), progress=False)
    indices = analyse(tmp_path / "out").table.set_index("parameter")
    assert list(indices.columns) == ["outcome", "S1", "S1_conf", "ST", "ST_conf"]
    assert (indices[["S1_conf", "ST_conf"]] > 0).all().all()
    assert indices.loc["volunteering.quit_rate", "ST"] > 0.5
    assert indices.loc["csos.factors.meaning", "ST"] < 0.2


# -- a damaged store, a full disk ------------------------------------------------------------------


def test_a_resumed_sweep_whose_store_was_damaged_gives_exactly_the_undamaged_dataset(
        serial, tmp_path, capsys):
    from solidarity_sim.cli import main

    out = tmp_path / "out"
    shutil.copytree(serial, out)
    runs = out / "runs"
    (runs / "run-000001.parquet").write_bytes((runs / "run-000001.parquet").read_bytes()[:100])
    series = bytearray((out / "series" / "run-000004.parquet").read_bytes())
    series[300] ^= 0xFF
    (out / "series" / "run-000004.parquet").write_bytes(bytes(series))
    (out / "records" / "run-000006.json").unlink()  # as if killed before committing it
    (runs / ".run-000007.parquet.99.tmp").write_bytes(b"half a file")
    assert main(["analyze", str(out), "--out", str(tmp_path / "analysis")]) == 2
    assert capsys.readouterr().err == (
        f"solidarity-sim: error: {out}: run run-000001 fails verification: "
        "runs/run-000001.parquet does not match its SHA-256 (damaged or changed after "
        "writing). Run the same `solidarity-sim sweep` command again: it sets the run aside "
        "into corrupt/ and computes it again\n")
    (out / "manifest.json").unlink()
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "8 runs planned: 5 already done, 3 finished now, 0 failed" in captured.out
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert warnings[0].startswith(f"solidarity-sim: warning: {out}/manifest.json was missing; "
                                  "the 7 stored runs' records all name this sweep")
    assert warnings[1].startswith(f"solidarity-sim: warning: {out}: set aside 3 stored run(s) "
                                  "that failed verification, to be computed again: run-000001 "
                                  "(runs/run-000001.parquet does not match its SHA-256")
    assert "run-000004 (series/run-000004.parquet does not match" in warnings[1]
    assert "run-000006 (no record: the command stopped before committing it)" in warnings[1]
    assert sorted(p.name for p in (out / "corrupt").iterdir()) == [
        "run-000001", "run-000004", "run-000006"]
    pd.testing.assert_frame_equal(results(out), results(serial))
    pd.testing.assert_frame_equal(load_table(out, "series"), load_table(serial, "series"))
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow  # mounts a tmpfs
def test_a_full_disk_stops_the_sweep_cleanly_and_the_rerun_completes_it(serial, tmp_path,
                                                                        capsys):
    from solidarity_sim.cli import main

    disk = tmp_path / "disk"
    with small_disk(disk, free=60_000) as filler:
        out = disk / "out"
        assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "1"]) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"solidarity-sim: error: {out}/")
        assert ": cannot write the file (No space left on device: free some space (or give " \
               "another --out folder) and run the same command again)" in error
        assert error.count("\n") == 1 and "Traceback" not in error
        assert not list(out.rglob("*.tmp"))  # no half-written file under any name
        committed = RunStore.existing(out)
        assert all(committed.problem(key) is None for key in committed.done())
        filler.unlink()
        assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "1"]) == 0
        pd.testing.assert_frame_equal(results(out), results(serial))
