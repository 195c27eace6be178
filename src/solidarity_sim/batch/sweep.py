"""Sweeps: run an experiment's design x replications on an executor into a Parquet dataset.

The output folder holds::

    manifest.json           the experiment, its hash, package and library versions, every seed,
                            the resolved base scenario
    design.parquet          every planned run: id, design point, replication, seed, factor values
    runs/run-000042.parquet one row per finished run: identity, factor values, outcomes, seconds,
                            worker
    failed/run-000017.parquet  one row per run that raised: identity, factor values, error
    series/run-000042.parquet  the weekly series the experiment keeps (if any)
    records/run-000042.json    the run's record: run number, seed, SHA-256 of its files

The folder is a :class:`~solidarity_sim.batch.store.RunStore` (kind ``sweep``) plus the design.
Each file is written to a temporary name and renamed into place, so a crash never leaves half a
file. Running the same experiment into the same folder again verifies the stored runs (a damaged
one is set aside into ``corrupt/`` and run again) and computes only the runs that are missing
(runs that failed are tried again); a folder made from a different experiment, or one another
command is writing into, is refused.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from ..model.scenario import Scenario
from ..results.crate import write_crate
from ..results.files import read_json, read_table, write_table
from ..results.outcomes import Outcome
from ..results.run_result import weekly_series
from ..versions import library_versions
from .executors import Executor, ExecutorLost, Failed, worker_name
from .experiment import RUN_COLUMNS, Experiment, ExperimentError
from .lock import writing
from .store import RunStore, StoreError, plain

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
    timeseries = weekly_series(scenario, task.seed)
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
    """A sweep's output folder: a :class:`~solidarity_sim.batch.store.RunStore` and the design.

    Args:
        path: The folder.
        experiment: The experiment whose results it holds.
        version: The package version (default: the installed one).
    """

    def __init__(self, path: str | Path, experiment: Experiment, version: str | None = None):
        self.path = Path(path)
        self.experiment = experiment
        self.runs = experiment.runs()
        self.store = RunStore(path, "sweep", experiment.to_dict(), tables=("series",),
                              manifest=self._manifest(), origin=experiment.origin,
                              version=version)
        factors = [pa.field(f.path, ARROW_TYPES[f.kind]) for f in experiment.factors]
        identity = [pa.field(c, pa.int64()) for c in RUN_COLUMNS]
        if experiment.uncertainty is not None:
            identity.append(pa.field("parameter_set", pa.int64()))
        self.run_schema = pa.schema([
            *identity, *factors, *(pa.field(o.name, pa.float64()) for o in experiment.outcomes),
            pa.field("seconds", pa.float64()), pa.field("worker", pa.string())])
        self.failure_schema = pa.schema([
            *identity, *factors, pa.field("error", pa.string()),
            pa.field("traceback", pa.string()), pa.field("worker", pa.string())])
        self.store.schema = self.run_schema

    def open(self) -> None:
        """Create the folder, or check that it holds this experiment; write the design.

        Raises:
            ExperimentError: The path is a file, a folder of something else, or a sweep of a
                different experiment or package version.
        """
        try:
            self.store.open()
        except StoreError as err:
            raise ExperimentError(str(err)) from None
        if not (self.path / "design.parquet").is_file():
            write_table(self.runs, self.path / "design.parquet")

    def _manifest(self) -> dict[str, Any]:
        exp, runs = self.experiment, self.runs
        return {
            "name": exp.name, "description": exp.description, "origin": exp.origin,
            "libraries": library_versions(("SALib", "dask", "distributed")),
            "scenario": exp.scenario.name, "scenario_parameters": exp.scenario.params,
            "points": int(runs["point"].nunique()),
            "runs": len(runs),
            "seeds": {"experiment": exp.seed,
                      "derivation": "run seed = derive_seed(seed, replication) if common_seeds "
                                    "else derive_seed(seed, point, replication): "
                                    "SeedSequence(seed, spawn_key=key).generate_state(1, "
                                    "uint64)[0] >> 1",
                      "runs": runs["seed"].tolist()},
        }

    def verify(self) -> set[int]:
        """Ids of the stored runs that pass verification (the others are set aside)."""
        good = self.store.verify({run_key(int(r["run"])): identity(r)
                                  for r in self.runs.to_dict("records")})
        return {int(key[4:]) for key in good}

    def record(self, task: RunTask, point: dict[str, Any], result: dict[str, Any] | Failed
               ) -> bool:
        """Write one run's result (or failure) atomically; return whether it succeeded."""
        key = run_key(task.run)
        if isinstance(result, Failed):
            self.store.write_failure(key, point, result, self.failure_schema)
            return False
        tables = {}
        if result["series"] is not None:
            series = result["series"].astype(dict.fromkeys(task.series, "float64"))
            series.insert(0, "run", task.run)
            tables["series"] = series
        row = {**point, **result["outcomes"], "seconds": result["seconds"],
               "worker": result["worker"]}
        self.store.write_run(key, row, tables, self.run_schema, identity(point))
        return True


def run_key(run: int) -> str:
    """A run's key in the store, e.g. ``run-000042``."""
    return f"run-{run:06d}"


def identity(point: dict[str, Any]) -> dict[str, int]:
    """A run's identity columns (run, point, replication, seed), as checked on resume."""
    return {column: int(point[column]) for column in RUN_COLUMNS}


def make_tasks(experiment: Experiment, runs: pd.DataFrame) -> list[RunTask]:
    """The tasks of some of an experiment's runs (rows of :meth:`Experiment.runs`).

    Under parameter uncertainty a run's values are its posterior set's, then its design
    point's (the factors win).
    """
    factors = [f.path for f in experiment.factors]
    post = experiment.uncertainty

    def values(r: dict[str, Any]) -> dict[str, Any]:
        own = {p: r[p] for p in factors}
        return own if post is None else {**post.overrides(int(r["replication"])), **own}

    return [RunTask(int(r["run"]), int(r["seed"]), values(r), experiment.scenario,
                    experiment.outcomes, experiment.series)
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
        FolderLocked: Another command is writing into ``out``.
        ExecutorLost: The executor lost its scheduler (the message says how to resume).
    """
    started = time.perf_counter()
    folder = SweepFolder(out, experiment)
    with writing(folder.path):
        folder.open()
        runs = folder.runs
        skip = folder.verify()
        todo = runs[~runs["run"].isin(skip)]
        points = {int(r["run"]): plain(r) for r in todo.to_dict("records")}
        tasks = make_tasks(experiment, todo)
        failed = 0
        with tqdm(total=len(runs), initial=len(skip), unit="run", desc=experiment.name,
                  disable=None if progress else True, file=sys.stderr, smoothing=0.05) as bar:
            try:
                for task, result in executor.map_unordered(fn, tasks):
                    failed += not folder.record(task, points[task.run], result)
                    bar.update()
                    if failed:
                        bar.set_postfix(failed=failed)
            except ExecutorLost as err:
                raise folder.store.lost(err) from None
        write_crate(folder.path)
    return SweepSummary(len(runs), len(skip), len(tasks) - failed, failed,
                        time.perf_counter() - started)


def load_table(out: str | Path, kind: str = "runs") -> pd.DataFrame:
    """Read a sweep folder's ``runs``, ``failed`` or ``series`` files as one table, by run id.

    Every run is verified as it is read (see :meth:`RunStore.load`).

    Raises:
        StoreError: The folder holds no sweep, or a run fails verification (the message names
            the file and says what to do).
    """
    frame = RunStore.existing(out).load(kind)
    if frame.empty:
        return frame
    return frame.sort_values(["run", "week"] if kind == "series" else "run",
                             kind="stable").reset_index(drop=True)


def load_design(out: str | Path) -> pd.DataFrame:
    """Read a sweep folder's design (every planned run).

    Raises:
        FileError: The design is missing or damaged.
    """
    return read_table(Path(out) / "design.parquet", "run the same `solidarity-sim sweep` "
                      "command again to write it again")


def load_manifest(out: str | Path) -> dict[str, Any]:
    """Read a sweep folder's manifest.

    Raises:
        ExperimentError: The folder holds no sweep.
        FileError: The manifest is damaged.
    """
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise ExperimentError(f"{out}: not a sweep folder (no manifest.json); give the --out "
                              "folder of a `solidarity-sim sweep`")
    manifest = read_json(path, "run the same `solidarity-sim sweep` command again to write it "
                               "again")
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind != "solidarity-sim sweep":
        raise ExperimentError(f"{out}: not a sweep folder ({path} describes "
                              f"{kind or 'no run store'}); give the --out folder of a "
                              "`solidarity-sim sweep`")
    return manifest
