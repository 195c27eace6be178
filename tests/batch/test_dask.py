"""Sweeps and comparisons on Dask: real ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1 give the serial result tables, survive a killed worker and record a run that raises."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from solidarity_sim.batch.executors import DaskExecutor, make_executor
from solidarity_sim.batch.experiment import load_experiment
from solidarity_sim.batch.sweep import load_table, run_sweep
from tests.analysis.test_compare import TINY, TINY_WEEKS, assert_same_comparison, tiny_comparison
from tests.batch.test_sweep import (
    CLI,
    SMOKE,
    fails_at_one_point,
    results,
    serial,
    sweep_cli,
    wait_for_runs,
)

pytestmark = pytest.mark.slow  # real dask scheduler and worker processes

__all__ = ["serial"]  # the reference fixture, shared with test_sweep

DASK = Path(sys.executable).with_name("dask")
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2
                 ) -> Iterator[tuple[str, list, subprocess.Popen]]:
    """Start ``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes.

    Yields the scheduler's address, the worker processes and the scheduler process.
    """
    started: list[subprocess.Popen] = []

    # the cluster can import the test modules, as a real one can import the user's code
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}

    def start(*args: str, log: str) -> subprocess.Popen:
        with open(folder / log, "w") as out:
            proc = subprocess.Popen([str(DASK), *args], stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
        started.append(proc)
        return proc

    info = folder / "scheduler.json"
    try:
        scheduler = start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(info), log="scheduler.log")
        deadline = time.monotonic() + 60
        while not info.is_file() or not info.read_text().strip():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs = [start("worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                       "--no-nanny", "--no-dashboard", "--name", f"w{i}", log=f"w{i}.log")
                 for i in range(workers)]
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, procs, scheduler
    finally:
        for proc in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask")) as (address, _, _):
        yield address


def test_a_dask_cluster_gives_the_serial_table(scheduler, serial, tmp_path):
    exp = load_experiment(SMOKE)
    with DaskExecutor(scheduler) as executor:
        assert executor.describe() == f"Dask scheduler {scheduler}, 2 workers"
        summary = run_sweep(exp, tmp_path / "out", executor, progress=False)
    assert (summary.finished, summary.failed) == (8, 0)
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(serial))
    pd.testing.assert_frame_equal(load_table(tmp_path / "out", "series"),
                                  load_table(serial, "series"))
    assert load_table(tmp_path / "out")["worker"].nunique() == 2


def test_a_run_that_raises_on_a_dask_worker_is_recorded(scheduler, serial, tmp_path):
    with DaskExecutor(scheduler) as executor:
        summary = run_sweep(load_experiment(SMOKE), tmp_path / "out", executor,
                            fn=fails_at_one_point, progress=False)
    assert (summary.finished, summary.failed) == (6, 2)
    failed = load_table(tmp_path / "out", "failed")
    assert failed["error"].str.contains("broke on purpose").all()
    kept = results(serial)
    pd.testing.assert_frame_equal(results(tmp_path / "out"),
                                  kept[kept["point"] != 1].reset_index(drop=True))


def test_a_local_dask_cluster_gives_the_serial_table(serial, tmp_path):
    with make_executor("dask", workers=2) as executor:
        assert executor.describe() == "local Dask cluster, 2 workers"
        run_sweep(load_experiment(SMOKE), tmp_path / "out", executor, progress=False)
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(serial))


def test_killing_a_dask_worker_mid_sweep_loses_nothing(serial, tmp_path):
    out = tmp_path / "out"
    with dask_cluster(tmp_path) as (address, workers, _):
        proc = sweep_cli(SMOKE, "--out", out, "--scheduler", address)
        wait_for_runs(out, 1, proc)
        os.killpg(workers[0].pid, signal.SIGKILL)
        assert len(list((out / "runs").glob("run-*.parquet"))) < 8, "kill part-way"
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "8 finished now, 0 failed" in stdout
    pd.testing.assert_frame_equal(results(out), results(serial))


def test_a_comparison_on_a_dask_cluster_gives_the_serial_tables(scheduler, tmp_path):
    reference = tiny_comparison(workers=1)
    with DaskExecutor(scheduler) as executor:
        on_dask = tiny_comparison(executor=executor, out=tmp_path / "out")
        # the executor is the caller's: still open, and a rerun reads every run back
        again = tiny_comparison(executor=executor, out=tmp_path / "out")
    assert_same_comparison(on_dask, reference)
    assert_same_comparison(again, reference)


def test_the_compare_command_runs_on_dask(tmp_path):
    """``compare --executor dask`` end to end (a local Dask cluster of two workers)."""
    reference = tiny_comparison(workers=1)
    out = tmp_path / "out"
    sets = [arg for path, value in TINY.items() for arg in ("--set", f"{path}={value}")]
    proc = subprocess.run(
        [*CLI, "compare", "baseline", "austerity", "--replications", "3", "--seed", "2",
         "--weeks", str(TINY_WEEKS), *sets, "--executor", "dask", "--workers", "2", "--out",
         str(out)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "local Dask cluster, 2 workers" in proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), reference.runs)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "weekly.parquet"), reference.weekly)
    assert len(list((out / "runs").glob("*.parquet"))) == 6
    # an interrupted comparison: the same command (here in one process) finishes it
    (out / "runs" / "s01-r0002.parquet").unlink()  # as if stopped before storing it
    (out / "records" / "s01-r0002.json").unlink()
    (out / "runs.parquet").unlink()
    proc = subprocess.run(
        [*CLI, "compare", "baseline", "austerity", "--replications", "3", "--seed", "2",
         "--weeks", str(TINY_WEEKS), *sets, "--workers", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "serially in this process" in proc.stderr
    assert "5 already stored (verified, not run again)" in proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), reference.runs)


def test_a_scheduler_lost_mid_sweep_exits_2_saying_how_to_resume(serial, tmp_path):
    out = tmp_path / "out"
    with dask_cluster(tmp_path) as (address, _, scheduler):
        proc = sweep_cli(SMOKE, "--out", out, "--scheduler", address)
        wait_for_runs(out, 1, proc)
        os.killpg(scheduler.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    error = [line for line in stderr.splitlines() if line.startswith("solidarity-sim: error:")]
    assert error and error[0].startswith(
        f"solidarity-sim: error: lost the Dask scheduler {address} mid-run (")
    assert f"finished runs are kept in {out}/: start the scheduler and its workers again (or " \
           "use the local pool) and run the same command to compute the rest" in error[0]
    assert "Traceback" not in stderr
    done = len(list((out / "records").glob("*.json")))
    assert 1 <= done < 8
    rerun = subprocess.run([*CLI, "sweep", str(SMOKE), "--out", str(out), "--workers", "2"],
                           capture_output=True, text=True, timeout=120, check=True)
    assert f"{done} already done, {8 - done} finished now" in rerun.stdout
    pd.testing.assert_frame_equal(results(out), results(serial))
