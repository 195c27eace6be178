"""The run store shared by sweep, compare, validate and calibrate: real Parquet files on disk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from solidarity_sim.batch.executors import Failed, SerialExecutor
from solidarity_sim.batch.store import RunStore, Stored, StoreError, execute, raise_failures


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
