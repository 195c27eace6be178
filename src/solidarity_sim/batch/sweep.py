"""Sweeps: run an experiment's design x replications on an executor into a Parquet dataset.

The output folder holds::

    manifest.json           the experiment, its hash, package and library versions, every seed
    design.parquet          every planned run: id, design point, replication, seed, factor values
    runs/run-000042.parquet one row per finished run: identity, factor values, outcomes, seconds,
                            worker
    failed/run-000017.parquet  one row per run that raised: identity, factor values, error
    series/run-000042.parquet  the weekly series the experiment keeps (if any)

The folder is a :class:`~solidarity_sim.batch.store.RunStore` (kind ``sweep``) plus the design.
Each file is written to a temporary name and renamed into place, so a crash never leaves half a
file. Running the same experiment into the same folder again computes only the runs that have no
file in ``runs/`` (runs that failed are tried again); a folder made from a different experiment is
refused.
"""

from __future__ import annotations

import json
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
from ..results.outcomes import Outcome
from ..results.run_result import library_versions, weekly_series
from .executors import Executor, Failed, worker_name
from .experiment import RUN_COLUMNS, Experiment, ExperimentError
from .store import RunStore, StoreError, load_folder, write_table

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
        self.run_schema = pa.schema([
            *identity, *factors, *(pa.field(o.name, pa.float64()) for o in experiment.outcomes),
            pa.field("seconds", pa.float64()), pa.field("worker", pa.string())])
        self.failure_schema = pa.schema([
            *identity, *factors, pa.field("error", pa.string()),
            pa.field("traceback", pa.string()), pa.field("worker", pa.string())])

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
            write_table(pa.Table.from_pandas(self.runs, preserve_index=False),
                        self.path / "design.parquet")

    def _manifest(self) -> dict[str, Any]:
        exp, runs = self.experiment, self.runs
        return {
            "name": exp.name, "description": exp.description, "origin": exp.origin,
            "libraries": library_versions(("SALib", "dask", "distributed")),
            "scenario": exp.scenario.name, "points": int(runs["point"].nunique()),
            "runs": len(runs),
            "seeds": {"experiment": exp.seed,
                      "derivation": "run seed = derive_seed(seed, replication) if common_seeds "
                                    "else derive_seed(seed, point, replication): "
                                    "SeedSequence(seed, spawn_key=key).generate_state(1, "
                                    "uint64)[0] >> 1",
                      "runs": runs["seed"].tolist()},
        }

    def done(self) -> set[int]:
        """Ids of the runs with a result file."""
        return {int(key[4:]) for key in self.store.done()}

    def record(self, task: RunTask, point: dict[str, Any], result: dict[str, Any] | Failed
               ) -> bool:
        """Write one run's result (or failure) atomically; return whether it succeeded."""
        key = f"run-{task.run:06d}"
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
        self.store.write_run(key, row, tables, self.run_schema)
        return True


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
    folder.open()
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
    frame = load_folder(Path(out) / kind)
    if frame.empty:
        return frame
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
