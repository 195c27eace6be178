"""The run store shared by sweep, compare, validate and calibrate: real Parquet files on disk."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import pandas as pd
import pytest

from solidarity_sim.batch.executors import Failed, SerialExecutor
from solidarity_sim.batch.store import (
    RunStore,
    Stored,
    StoreError,
    StoreNotice,
    execute,
    raise_failures,
)


def store(path, identity=None, kind="comparison"):
    return RunStore(path, kind, identity or {"seed": 1, "scenarios": {"s00": "abc"}},
                    tables=("series",), what="set-up")


class Task:
    def __init__(self, n: int):
        self.n, self.key = n, f"t{n:03d}"

    def row(self):
        return {"n": self.n}


def square(task: Task) -> Stored:
    if task.n == 3:
        raise ValueError("three is bad")
    return Stored({"n": task.n, "square": float(task.n ** 2)},
                  {"series": pd.DataFrame({"week": [0, 1], "x": [task.n, -task.n]})})


def test_runs_are_stored_read_back_and_not_run_again(tmp_path):
    s = store(tmp_path / "out").open()
    results = execute(SerialExecutor(), square, [Task(n) for n in range(5)], store=s)
    assert isinstance(results["t003"], Failed) and "three is bad" in results["t003"].error
    assert s.done() == {"t000", "t001", "t002", "t004"}
    assert pd.read_parquet(s.file("failed", "t003"))["error"].iloc[0].startswith("ValueError")
    assert results["t004"].row == {"n": 4, "square": 16.0}
    pd.testing.assert_frame_equal(results["t004"].tables["series"],
                                  pd.DataFrame({"week": [0, 1], "x": [4, -4]}))
    with pytest.raises(RuntimeError, match=r"1 of 5 runs failed \(first: t003: ValueError"):
        raise_failures(results, s)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["kind"] == "solidarity-sim comparison" and manifest["hash"] == s.hash
    calls = []
    again = execute(SerialExecutor(), square, [Task(n) for n in (0, 1, 2, 4)],
                    store=store(tmp_path / "out").open(),
                    progress=lambda done, total: calls.append(done))
    assert calls == [4] and again["t001"].row["square"] == 1.0  # nothing run again


def test_a_run_is_committed_by_its_runs_file_written_last(tmp_path):
    s = store(tmp_path / "out").open()
    with pytest.raises(ValueError, match="no table folder 'csos'"):
        s.write_run("t000", {"n": 0}, {"series": pd.DataFrame({"x": [1]}),
                                       "csos": pd.DataFrame({"x": [1]})})
    assert s.done() == set()  # its series was written, but the run is not stored
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_a_folder_of_another_kind_or_job_is_refused(tmp_path):
    store(tmp_path / "out").open()
    with pytest.raises(StoreError, match="holds solidarity-sim comparison, not a sweep"):
        store(tmp_path / "out", kind="sweep").open()
    with pytest.raises(StoreError, match="different set-up") as err:
        store(tmp_path / "out", {"seed": 2, "scenarios": {"s00": "abc"}}).open()
    assert "Changed: seed." in str(err.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="exists and is not a folder"):
        store(tmp_path / "file").open()


# -- verification: every stored run is checked on resume and on read ------------------------------


def stored_five(path):
    """A store with the runs t000-t004 (t003 failed), and their expected identities."""
    s = store(path).open()
    execute(SerialExecutor(), square, [Task(n) for n in range(5)], store=s)
    return s, {f"t{n:03d}": {"n": n} for n in range(5)}


def flip_byte(path, at=-20):
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated run file": (lambda s: s.file("runs", "t001").write_bytes(
        s.file("runs", "t001").read_bytes()[:100]),
        "runs/t001.parquet does not match its SHA-256"),
    "a flipped byte in a series": (lambda s: flip_byte(s.file("series", "t001")),
                                   "series/t001.parquet does not match its SHA-256"),
    "a deleted series": (lambda s: s.file("series", "t001").unlink(),
                         "series/t001.parquet is missing"),
    "no record (not committed)": (lambda s: (s.path / "records" / "t001.json").unlink(),
                                  "no record: the command stopped before committing it"),
    "a record of another job": (lambda s: (s.path / "records" / "t001.json").write_text(
        (s.path / "records" / "t001.json").read_text().replace(s.hash, "f" * 64)),
        "records/t001.json names run t001 of job ffffffffffff"),
    "a run file of another run": (lambda s: (
        s.file("runs", "t001").write_bytes(s.file("runs", "t002").read_bytes()),
        (s.path / "records" / "t001.json").write_text(
            (s.path / "records" / "t001.json").read_text().replace(
                json.loads((s.path / "records" / "t001.json").read_text())["files"][
                    "runs/t001.parquet"],
                json.loads((s.path / "records" / "t002.json").read_text())["files"][
                    "runs/t002.parquet"]))),
        "runs/t001.parquet is n 2 (recorded 1), not 1"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_run_is_set_aside_named_and_computed_again(tmp_path, damage):
    s, identities = stored_five(tmp_path / "out")
    harm, reason = DAMAGE[damage]
    harm(s)
    said = re.escape(reason)
    if damage == "no record (not committed)":
        assert list(s.load("runs")["n"]) == [0, 2, 4]  # readers see committed runs only
    else:
        with pytest.raises(StoreError, match=f"run t001 fails verification: {said}"):
            s.load("runs")  # a reader names the run and the file, and what to do
    with pytest.warns(StoreNotice, match=rf"set aside 1 stored run\(s\).*t001 \({said}"):
        assert store(tmp_path / "out").open().verify(identities) == {"t000", "t002", "t004"}
    aside = tmp_path / "out" / "corrupt" / "t001"
    assert reason in (aside / "reason.txt").read_text()
    assert not s.file("runs", "t001").exists() and not s.file("series", "t001").exists()
    again = execute(SerialExecutor(), square, [Task(n) for n in range(5)],
                    store=store(tmp_path / "out").open())
    assert again["t001"].row == {"n": 1, "square": 1.0}
    assert list(s.load("runs")["n"]) == [0, 1, 2, 4]


def test_a_missing_or_damaged_manifest_is_written_again_from_the_records(tmp_path):
    s, identities = stored_five(tmp_path / "out")
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    (tmp_path / "out" / "manifest.json").unlink()
    with pytest.warns(StoreNotice, match=r"manifest.json was missing; the 4 stored runs' "
                                         r"records all name this comparison"):
        store(tmp_path / "out").open()
    assert json.loads(manifest)["hash"] == json.loads(
        (tmp_path / "out" / "manifest.json").read_text())["hash"]
    (tmp_path / "out" / "manifest.json").write_text("{ half a manif")
    with pytest.warns(StoreNotice) as notes:
        assert store(tmp_path / "out").open().verify(identities) == {"t000", "t001", "t002",
                                                                       "t004"}
    assert "damaged (not a JSON object); set aside into" in str(notes[0].message)
    assert (tmp_path / "out" / "corrupt" / "manifest.json" / "manifest.json").is_file()
    (tmp_path / "out" / "manifest.json").unlink()
    with pytest.raises(StoreError, match="manifest.json is missing and the stored runs belong "
                                         "to another job"):
        store(tmp_path / "out", {"seed": 9}).open()


@pytest.mark.slow
def test_a_run_killed_while_writing_leaves_no_half_file_and_is_computed_again(tmp_path):
    """SIGKILL a real process in the middle of writing a run's files (a large series)."""
    out = tmp_path / "out"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(out)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "t000 committed\n"
    deadline = time.monotonic() + 60
    while not list(out.glob("*/.*.tmp")):  # a file is being written right now
        assert writer.poll() is None and time.monotonic() < deadline
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    s, identities = stored_five(tmp_path / "other")  # a reference of the same runs
    resumed = store(out).open()
    assert not list(out.rglob(".*.tmp"))  # the half-written file is cleared on opening
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreNotice)  # a run written but not committed
        good = resumed.verify(identities)
    assert good == {"t000"}  # the first run was committed before the kill; nothing else is
    results = execute(SerialExecutor(), square, [Task(n) for n in range(5)], store=resumed)
    assert {k: r.row for k, r in results.items() if k != "t003"} == {
        k: s.read_run(k).row for k in ("t000", "t001", "t002", "t004")}


KILLED_WRITER = """
import sys
import numpy as np
import pandas as pd
from solidarity_sim.batch.store import RunStore, Stored
store = RunStore(sys.argv[1], "comparison", {"seed": 1, "scenarios": {"s00": "abc"}},
                 tables=("series",), what="set-up").open()
store.write_run("t000", {"n": 0, "square": 0.0},
                {"series": pd.DataFrame({"week": [0, 1], "x": [0, 0]})}, identity={"n": 0})
print("t000 committed", flush=True)
big = pd.DataFrame({"week": np.arange(3_000_000), "x": np.random.default_rng(1).random(3_000_000)})
while True:  # write a large series again and again until killed
    store.write_run("t001", {"n": 1, "square": 1.0}, {"series": big}, identity={"n": 1})
"""
