"""Sweeps: run an experiment's design x replications on an executor into a Parquet dataset.

The output folder holds::

    manifest.json           the experiment, its hash, package and library versions, every seed
    design.parquet          every planned run: id, design point, replication, seed, factor values
    runs/run-000042.parquet one row per finished run: identity, factor values, outcomes, seconds,
                            worker
    failed/run-000017.parquet  one row per run that raised: identity, factor values, error
    series/run-000042.parquet  the weekly series the experiment keeps (if any)

Each file is written to a temporary name and renamed into place, so a crash never leaves half a
file. Running the same experiment into the same folder again computes only the runs that have no
file in ``runs/`` (runs that failed are tried again); a folder made from a different experiment is
refused.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from tqdm import tqdm

from ..model.scenario import Scenario
from ..model.solidarity_model import SolidarityModel, forget
from ..results.run_result import library_versions, package_version
from .executors import Executor, Failed, worker_name
from .experiment import RUN_COLUMNS, Experiment, ExperimentError, Outcome

FOLDERS = ("runs", "failed", "series")
ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run.

    Attributes:
        run: Run id.
        seed: The run's seed.
        values: The design point's factor values by dotted path.
        scenario: The base scenario ([fixed] and weeks applied).
        outcomes: The outcomes to measure.
        series: The weekly series to keep.
    """

    run: int
    seed: int
    values: dict[str, Any]
    scenario: Scenario
    outcomes: tuple[Outcome, ...]
    series: tuple[str, ...]


def simulate(task: RunTask) -> dict[str, Any]:
    """Run one model and measure its outcomes (the function sweeps send to the workers).

    Returns:
        ``outcomes`` (name -> value), ``series`` (a DataFrame, or None), ``seconds`` (wall time)
        and ``worker`` (``host:pid``).
    """
    started = time.perf_counter()
    scenario = task.scenario.with_overrides(task.values, where=f"run {task.run}")
    model = SolidarityModel(scenario, rng=task.seed)
    try:
        model.run()
        timeseries = model.datacollector.get_model_vars_dataframe()
    finally:
        forget(model)
    return {
        "outcomes": {o.name: o.measure(timeseries) for o in task.outcomes},
        "series": timeseries[["week", *task.series]] if task.series else None,
        "seconds": time.perf_counter() - started,
        "worker": worker_name(),
    }


@dataclass(frozen=True)
class SweepSummary:
    """What a call of :func:`run_sweep` did.

    Attributes:
        planned: Runs in the design.
        skipped: Runs already in the folder, not run again.
        finished: Runs finished now.
        failed: Runs that raised now.
        seconds: Wall time.
    """

    planned: int
    skipped: int
    finished: int
    failed: int
    seconds: float


class SweepFolder:
    """A sweep's output folder: manifest, design, and one Parquet file per run.

    Args:
        path: The folder.
        experiment: The experiment whose results it holds.
    """

    def __init__(self, path: str | Path, experiment: Experiment):
        self.path = Path(path)
        self.experiment = experiment
        factors = [pa.field(f.path, ARROW_TYPES[f.kind]) for f in experiment.factors]
        identity = [pa.field(c, pa.int64()) for c in RUN_COLUMNS]
        self.run_schema = pa.schema([
            *identity, *factors, *(pa.field(o.name, pa.float64()) for o in experiment.outcomes),
            pa.field("seconds", pa.float64()), pa.field("worker", pa.string())])
        self.failure_schema = pa.schema([
            *identity, *factors, pa.field("error", pa.string()),
            pa.field("traceback", pa.string()), pa.field("worker", pa.string())])

    def open(self, version: str) -> None:
        """Create the folder, or check that it holds this experiment; clear stale temp files.

        Raises:
            ExperimentError: The path is a file, a folder of something else, or a sweep of a
                different experiment or package version.
        """
        exp, manifest_file = self.experiment, self.path / "manifest.json"
        if self.path.exists() and not self.path.is_dir():
            raise ExperimentError(f"--out {self.path}: exists and is not a folder; give a "
                                  "folder for the sweep's results")
        runs = exp.runs()
        if manifest_file.is_file():
            self._check_same(json.loads(manifest_file.read_text()), version)
        elif self.path.is_dir() and any(not p.name.startswith(".")
                                        for p in self.path.iterdir()):
            raise ExperimentError(f"--out {self.path}: the folder is not empty and holds no "
                                  "sweep (no manifest.json); give a new or empty folder")
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            manifest = self._manifest(version, runs)
            self._atomic(manifest_file, lambda tmp: tmp.write_text(
                json.dumps(manifest, indent=2) + "\n"))
        for name in FOLDERS:
            (self.path / name).mkdir(exist_ok=True)
            for stale in (self.path / name).glob(".*.tmp"):
                stale.unlink()
        if not (self.path / "design.parquet").is_file():
            self._write_table(pa.Table.from_pandas(runs, preserve_index=False),
                              self.path / "design.parquet")

    def _manifest(self, version: str, runs: pd.DataFrame) -> dict[str, Any]:
        exp = self.experiment
        return {
            "kind": "solidarity-sim sweep", "name": exp.name, "description": exp.description,
            "origin": exp.origin, "hash": exp.hash(version), "version": version,
            "libraries": library_versions(("SALib", "dask", "distributed")),
            "experiment": exp.to_dict(),
            "scenario": exp.scenario.name, "points": int(runs["point"].nunique()),
            "runs": len(runs),
            "seeds": {"experiment": exp.seed,
                      "derivation": "run seed = SeedSequence(seed, spawn_key=(replication,) if "
                                    "common_seeds else (point, replication)).generate_state(1, "
                                    "uint64)[0] >> 1",
                      "runs": runs["seed"].tolist()},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def _check_same(self, manifest: dict[str, Any], version: str) -> None:
        exp = self.experiment
        if manifest.get("hash") == exp.hash(version):
            return
        old, new = _flat(manifest.get("experiment", {})), _flat(exp.to_dict())
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if manifest.get("version") != version:
            changed.append(f"package version {manifest.get('version')} -> {version}")
        raise ExperimentError(
            f"--out {self.path}: holds a sweep of a different experiment ({manifest.get('origin')}"
            f", hash {str(manifest.get('hash'))[:12]}); {exp.origin} has hash "
            f"{exp.hash(version)[:12]}. Changed: {', '.join(changed) or 'unknown'}. Results of "
            "different experiments cannot be mixed: give another --out folder, or delete "
            f"{self.path} to start again")

    def done(self) -> set[int]:
        """Ids of the runs with a result file."""
        return {int(p.stem[4:]) for p in (self.path / "runs").glob("run-*.parquet")}

    def record(self, task: RunTask, point: dict[str, Any], result: dict[str, Any] | Failed
               ) -> bool:
        """Write one run's result (or failure) atomically; return whether it succeeded."""
        name = f"run-{task.run:06d}.parquet"
        if isinstance(result, Failed):
            row = {**point, "error": result.error, "traceback": result.traceback,
                   "worker": result.worker}
            self._write_table(pa.Table.from_pylist([row], schema=self.failure_schema),
                              self.path / "failed" / name)
            return False
        if result["series"] is not None:
            series = result["series"].astype(dict.fromkeys(task.series, "float64"))
            series.insert(0, "run", task.run)
            self._write_table(pa.Table.from_pandas(series, preserve_index=False),
                              self.path / "series" / name)
        row = {**point, **result["outcomes"], "seconds": result["seconds"],
               "worker": result["worker"]}
        self._write_table(pa.Table.from_pylist([row], schema=self.run_schema),
                          self.path / "runs" / name)
        (self.path / "failed" / name).unlink(missing_ok=True)
        return True

    def _write_table(self, table: pa.Table, path: Path) -> None:
        self._atomic(path, lambda tmp: pq.write_table(table, tmp))

    @staticmethod
    def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
        """Write to a hidden temporary file beside ``path``, then rename it into place."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        write(tmp)
        os.replace(tmp, path)


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.dumps(value, sort_keys=True)
    return out


def make_tasks(experiment: Experiment, runs: pd.DataFrame) -> list[RunTask]:
    """The tasks of some of an experiment's runs (rows of :meth:`Experiment.runs`)."""
    factors = [f.path for f in experiment.factors]
    return [RunTask(int(r["run"]), int(r["seed"]), {p: r[p] for p in factors},
                    experiment.scenario, experiment.outcomes, experiment.series)
            for r in runs.to_dict("records")]


def run_sweep(experiment: Experiment, out: str | Path, executor: Executor, *,
              fn: Callable[[RunTask], dict[str, Any]] = simulate,
              progress: bool = True) -> SweepSummary:
    """Run every missing run of an experiment and store its results in ``out``.

    Args:
        experiment: The experiment.
        out: The output folder (created, or resumed if it holds this experiment).
        executor: Where to run (see :mod:`solidarity_sim.batch.executors`).
        fn: The function run for each task (:func:`simulate`).
        progress: Show a progress bar with an ETA on standard error.

    Returns:
        A :class:`SweepSummary`.

    Raises:
        ExperimentError: ``out`` holds something else (see :meth:`SweepFolder.open`).
    """
    started = time.perf_counter()
    folder = SweepFolder(out, experiment)
    folder.open(package_version())
    runs = pd.read_parquet(folder.path / "design.parquet")
    skip = folder.done()
    todo = runs[~runs["run"].isin(skip)]
    points = {int(r["run"]): r for r in todo.to_dict("records")}
    tasks = make_tasks(experiment, todo)
    failed = 0
    with tqdm(total=len(runs), initial=len(skip), unit="run", desc=experiment.name,
              disable=None if progress else True, file=sys.stderr, smoothing=0.05) as bar:
        for task, result in executor.map_unordered(fn, tasks):
            failed += not folder.record(task, points[task.run], result)
            bar.update()
            if failed:
                bar.set_postfix(failed=failed)
    return SweepSummary(len(runs), len(skip), len(tasks) - failed, failed,
                        time.perf_counter() - started)


def load_table(out: str | Path, kind: str = "runs") -> pd.DataFrame:
    """Read a sweep folder's ``runs``, ``failed`` or ``series`` files as one table, by run id."""
    files = sorted((Path(out) / kind).glob("run-*.parquet"))
    if not files:
        return pd.DataFrame()
    frame = ds.dataset([str(f) for f in files], format="parquet").to_table().to_pandas()
    return frame.sort_values(["run", "week"] if kind == "series" else "run",
                             kind="stable").reset_index(drop=True)


def load_manifest(out: str | Path) -> dict[str, Any]:
    """Read a sweep folder's manifest.

    Raises:
        ExperimentError: The folder holds no sweep.
    """
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise ExperimentError(f"{out}: not a sweep folder (no manifest.json); give the --out "
                              "folder of a `solidarity-sim sweep`")
    return json.loads(path.read_text())
