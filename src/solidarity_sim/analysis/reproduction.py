"""Reproduce an output folder: run again what its manifest records and compare every number.

A folder written by ``run``, ``compare`` or ``sweep`` records everything that determines its
numbers: the resolved parameters, every seed and the versions of the package and its libraries.
:func:`reproduce` re-runs its runs (all, or a random sample), in memory, and compares each recorded
table with the new one value by value (exactly: one seed gives bit-identical numbers on every
engine). The result names each run, file and column that differs, with its first differing row,
every file that no longer matches the SHA-256 recorded when it was written, and every package or
library whose version differs from the recorded one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.executors import Executor, using
from ..batch.experiment import RUN_COLUMNS, ExperimentError
from ..batch.store import MANIFEST, RunStore
from ..batch.sweep import RunTask, load_design, simulate
from ..model.scenario import Scenario
from ..results.files import FileError, read_json, read_table
from ..results.outcomes import Outcome
from ..results.run_result import RunResult, run
from ..versions import LIBRARIES, library_versions, package_version
from .comparison import OUTCOMES, CompareTask, run_compare_task, scenario_key

KINDS = ("run", "comparison", "sweep")
RUN_METADATA = ("seconds", "worker")
"""Columns of a sweep's runs that say where and how fast a run ran: not compared."""
SHOWN = 20
"""Differences listed one by one in the report (the rest are counted)."""


@dataclass(frozen=True)
class Difference:
    """One column of one recorded file that the re-run does not reproduce.

    Attributes:
        run: The run (``run``, a store key such as ``s01-r0003`` or ``run-000042``).
        file: The recorded file, relative to the folder.
        column: The column (or ``rows``/``columns`` when the shape differs).
        rows: How many rows differ.
        first: The first difference in words (``week 17: recorded 0.25, now 0.2875``).
    """

    run: str
    file: str
    column: str
    rows: int
    first: str

    def describe(self) -> str:
        """The difference on one line."""
        return f"{self.run}: {self.file}: {self.column}: {self.first} ({self.rows} row(s))"


@dataclass
class Reproduction:
    """What :func:`reproduce` found.

    Attributes:
        folder: The folder.
        kind: ``run``, ``comparison`` or ``sweep``.
        runs: The runs re-run (keys).
        stored: How many runs the folder holds.
        differences: Every recorded column the re-runs do not reproduce.
        damaged: Files that no longer match their recorded SHA-256, or cannot be read, in words.
        versions: Each package or library whose version differs: name -> (recorded, now).
        seconds: Wall time of the re-runs.
        where: Where they ran, in words.
    """

    folder: Path
    kind: str
    runs: list[str]
    stored: int
    differences: list[Difference] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    versions: dict[str, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0
    where: str = "serially in this process"

    @property
    def identical(self) -> bool:
        """Whether every number re-run matches the record (and every file its checksum)."""
        return not self.differences and not self.damaged

    def report(self) -> str:
        """The findings in words (what ``solidarity-sim reproduce`` prints)."""
        lines = [f"reproduce {self.folder} ({self.kind}): re-ran {len(self.runs)} of "
                 f"{self.stored} stored run(s), {self.where}, in {self.seconds:.1f} s"]
        if self.identical:
            lines.append(f"identical: every recorded number of the {len(self.runs)} run(s) is "
                         "reproduced exactly")
        else:
            runs = sorted({d.run for d in self.differences})
            if runs:
                lines.append(f"DIFFERENT: {len(runs)} of {len(self.runs)} run(s) do not "
                             "reproduce the recorded numbers:")
                lines += [f"  {d.describe()}" for d in self.differences[:SHOWN]]
                if len(self.differences) > SHOWN:
                    lines.append(f"  and {len(self.differences) - SHOWN} more")
            if self.damaged:
                lines.append("files changed or damaged since they were written:")
                lines += [f"  {problem}" for problem in self.damaged]
        if self.versions:
            lines.append("versions that differ from the recorded ones (recorded -> now): "
                         + ", ".join(f"{name} {old} -> {new}"
                                     for name, (old, new) in self.versions.items()))
        else:
            lines.append("versions: the package and every library as recorded")
        return "\n".join(lines)


def reproduce(folder: str | Path, *, sample: int | None = None, sample_seed: int = 0,
              workers: int | None = None, executor: Executor | None = None) -> Reproduction:
    """Re-run the runs of a ``run``, ``compare`` or ``sweep`` folder and compare every number.

    Args:
        folder: The output folder.
        sample: Re-run this many stored runs, drawn at random (default: all).
        sample_seed: Seed of the draw.
        workers: Processes of the local pool built when no ``executor`` is given (default: the
            usable cores; 1 runs in this process).
        executor: Where to run (left open).

    Returns:
        The :class:`Reproduction`.

    Raises:
        FileError: The folder holds no output of these commands, or its manifest cannot be read.
        ValueError: ``sample`` is below 1.
    """
    out = Path(folder)
    manifest = read_json(out / MANIFEST, "give the --out folder of a run, compare or sweep")
    if not isinstance(manifest, dict):
        manifest = {}
    kind = str(manifest.get("kind") or ("run" if "parameters" in manifest else "")
               ).removeprefix("solidarity-sim ")
    if kind not in KINDS:
        raise FileError(f"{out}: holds {kind or 'no result'}, which reproduce cannot re-run; "
                        "give the --out folder of a `solidarity-sim run`, `compare` or `sweep`")
    if sample is not None and sample < 1:
        raise ValueError(f"sample must be at least 1, not {sample}")
    plan = {"run": _run_plan, "comparison": _comparison_plan, "sweep": _sweep_plan}[kind]
    fn, tasks, check = plan(out, manifest)
    if not tasks:
        raise FileError(f"{out}: holds no finished run to reproduce; run the same command "
                        "again to finish it first")
    stored = len(tasks)
    if sample is not None and sample < len(tasks):
        picked = np.random.default_rng(sample_seed).choice(len(tasks), sample, replace=False)
        tasks = [tasks[i] for i in sorted(picked)]
    found = Reproduction(out, kind, [key for key, _ in tasks], stored,
                         versions=version_changes(manifest))
    started = time.perf_counter()
    with using(executor, workers, len(tasks)) as engine:
        found.where = engine.describe()
        keys = {id(task): key for key, task in tasks}
        results = {keys[id(task)]: result
                   for task, result in engine.map_unordered(fn, [t for _, t in tasks])}
    found.seconds = time.perf_counter() - started
    for key, _ in tasks:
        result = results[key]
        if hasattr(result, "error"):  # a Failed run
            found.differences.append(Difference(key, "-", "run", 1,
                                                f"the re-run raised {result.error}"))
            continue
        differences, damaged = check(key, result)
        found.differences += differences
        found.damaged += damaged
    return found


def version_changes(manifest: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each package or library whose running version differs from the manifest's."""
    recorded = {"solidarity-sim": str(manifest.get("version", "unknown")),
                **{k: str(v) for k, v in manifest.get("libraries", {}).items()}}
    extra = tuple(k for k in recorded if k not in (*LIBRARIES, "python", "solidarity-sim"))
    now = {"solidarity-sim": package_version(), **library_versions(extra)}
    return {name: (old, now.get(name, "missing")) for name, old in recorded.items()
            if now.get(name, "missing") != old}


# -- what each kind of folder records, and how to run it again ----------------------------------

Check = Callable[[str, Any], tuple[list[Difference], list[str]]]


def _run_plan(out: Path, manifest: dict[str, Any]) -> tuple[Callable, list, Check]:
    """A run folder: one run, its four tables."""
    scenario = Scenario(manifest["parameters"], str(manifest.get("scenario_origin", "")))
    recorded = RunResult.load(out)

    def check(key: str, result: RunResult) -> tuple[list[Difference], list[str]]:
        return [d for name in RunResult.TABLES
                for d in compare_frames(getattr(recorded, name), getattr(result, name), key,
                                        f"{name}.parquet")], []

    return _rerun, [("run", (scenario, int(manifest["seed"])))], check


def _rerun(task: tuple[Scenario, int]) -> RunResult:
    """Run a scenario with a seed (on a worker)."""
    scenario, seed = task
    return run(scenario, seed=seed)


def _comparison_plan(out: Path, manifest: dict[str, Any]) -> tuple[Callable, list, Check]:
    """A comparison folder: each stored run's row and series, and the tidy tables.

    A folder written by :meth:`Comparison.save` alone (no run store) is checked against its
    tidy tables.
    """
    store = RunStore.existing(out)
    scenarios = [Scenario(s["parameters"], s["origin"]) for s in manifest["scenarios"]]
    seeds = manifest["seeds"]
    tidy = {name: read_table(out / name) for name in ("runs.parquet", "weekly.parquet")
            if (out / name).is_file()}
    tasks = [(f"{scenario_key(i)}-r{k:04d}", CompareTask(i, k, seed, scenario))
             for k, seed in enumerate(seeds) for i, scenario in enumerate(scenarios)]

    def check(key: str, result: Any) -> tuple[list[Difference], list[str]]:
        task = next(t for k, t in tasks if k == key)
        differences, damaged = ([], []) if key not in stored else _stored(
            store, key, result.row, result.tables["series"])
        ident = {"scenario": task.scenario.name, "replication": task.replication}
        if "runs.parquet" in tidy:
            runs = tidy["runs.parquet"]
            mine = runs[(runs["scenario"] == ident["scenario"])
                        & (runs["replication"] == ident["replication"])]
            now = pd.DataFrame({"outcome": [o.name for o in OUTCOMES],
                                "value": [float(result.row[o.name]) for o in OUTCOMES]})
            differences += compare_frames(mine[["outcome", "value"]], now, key,
                                          "runs.parquet", index="outcome")
        if "weekly.parquet" in tidy:
            weekly = tidy["weekly.parquet"]
            mine = weekly[(weekly["scenario"] == ident["scenario"])
                          & (weekly["replication"] == ident["replication"])]
            differences += compare_frames(mine.drop(columns=["scenario", "replication", "seed"]),
                                          result.tables["series"], key, "weekly.parquet")
        return differences, damaged

    stored = store.present()
    return run_compare_task, [(k, t) for k, t in tasks if k in stored or tidy], check


def _sweep_plan(out: Path, manifest: dict[str, Any]) -> tuple[Callable, list, Check]:
    """A sweep folder: each stored run's row (without its timing) and series."""
    if "scenario_parameters" not in manifest:
        raise ExperimentError(f"{out / MANIFEST}: records no resolved scenario (written by an "
                              "older solidarity-sim); it cannot be reproduced")
    store = RunStore.existing(out)
    exp = manifest["experiment"]
    scenario = Scenario(manifest["scenario_parameters"], str(manifest.get("origin", "")))
    outcomes = tuple(Outcome(name, spec["column"], spec["stat"], spec["window"][0],
                             spec["window"][1], spec.get("label", ""), per=spec.get("per", ""))
                     for name, spec in exp["outcomes"].items())
    factors = list(exp["parameters"])
    design = load_design(out)
    stored = store.present()
    tasks = [(f"run-{int(r['run']):06d}",
              RunTask(int(r["run"]), int(r["seed"]), {p: _plain(r[p]) for p in factors},
                      scenario, outcomes, tuple(exp.get("series", []))))
             for r in design.to_dict("records")]
    points = {f"run-{int(r['run']):06d}": r for r in design.to_dict("records")}

    def check(key: str, result: dict[str, Any]) -> tuple[list[Difference], list[str]]:
        point = points[key]
        row = {**{c: point[c] for c in (*RUN_COLUMNS, *factors)}, **result["outcomes"]}
        series = None
        if result["series"] is not None:
            series = result["series"].astype(dict.fromkeys(exp["series"], "float64"))
            series.insert(0, "run", int(point["run"]))
        return _stored(store, key, row, series)

    return simulate, [(k, t) for k, t in tasks if k in stored], check


def _stored(store: RunStore, key: str, row: dict[str, Any], series: pd.DataFrame | None
            ) -> tuple[list[Difference], list[str]]:
    """Compare a re-run with a store's files of the run; note files that fail their checksum."""
    problem = store.problem(key)
    damaged = [f"run {key}: {problem}"] if problem is not None else []
    try:
        recorded = read_table(store.file("runs", key))
    except FileError as err:
        return [], [*damaged, str(err)]
    keep = [c for c in recorded.columns if c not in RUN_METADATA]
    differences = compare_frames(recorded[keep], pd.DataFrame([row]), key, f"runs/{key}.parquet")
    if series is not None or store.file("series", key).is_file():
        try:
            differences += compare_frames(read_table(store.file("series", key)), series, key,
                                          f"series/{key}.parquet")
        except FileError as err:
            damaged.append(str(err))
    return differences, damaged


def compare_frames(recorded: pd.DataFrame, now: pd.DataFrame | None, run: str, file: str,
                   index: str = "week") -> list[Difference]:
    """Every column in which a recorded table differs from a re-run's (exact; NaN equals NaN).

    Args:
        recorded: The table as recorded.
        now: The same table from the re-run.
        run: The run, for the report.
        file: The recorded file, for the report.
        index: A column that names the rows in the report (else the row number).
    """
    if now is None:
        return [Difference(run, file, "rows", len(recorded), "the re-run has no such table")]
    recorded, now = recorded.reset_index(drop=True), now.reset_index(drop=True)
    found = []
    missing = [c for c in recorded.columns if c not in now.columns]
    extra = [c for c in now.columns if c not in recorded.columns]
    if missing or extra:
        found.append(Difference(run, file, "columns", 0,
                                f"recorded only: {missing or 'none'}; now only: {extra or 'none'}"))
    if len(recorded) != len(now):
        return [*found, Difference(run, file, "rows", abs(len(recorded) - len(now)),
                                   f"recorded {len(recorded)} rows, now {len(now)}")]
    for column in (c for c in recorded.columns if c in now.columns):
        a, b = recorded[column].to_numpy(), now[column].to_numpy()
        same = np.array([_same(x, y) for x, y in zip(a, b, strict=True)], dtype=bool)
        if same.all():
            continue
        i = int(np.flatnonzero(~same)[0])
        where = (f"{index} {recorded[index].iloc[i]}" if index in recorded.columns
                 else f"row {i}")
        found.append(Difference(run, file, column, int((~same).sum()),
                                f"{where}: recorded {_show(a[i])}, now {_show(b[i])}"))
    return found


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return bool(a == b)


def _missing(value: Any) -> bool:
    try:
        return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _show(value: Any) -> str:
    return repr(_plain(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value

