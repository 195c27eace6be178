"""One run store for every batch: a folder holding one Parquet file per finished run.

Sweeps, comparisons, validations and calibrations keep their runs in the same layout::

    manifest.json           kind, identity hash, package and library versions, what was asked
    runs/KEY.parquet        one row per finished run (written last: the run's commit marker)
    failed/KEY.parquet      one row per run that raised: its error and traceback
    series/KEY.parquet      extra tables of a run (weekly series, CSOs, spells), one folder each

Each file is written to a hidden temporary name and renamed into place, so a crash never leaves
half a file, and a run's extra tables are written before its ``runs/`` file, so a run is either
complete or absent. Opening the folder again for the same job lets the caller compute only the
runs that have no ``runs/`` file (:meth:`RunStore.done`); a folder holding a different job is
refused with a message naming what changed.

:func:`execute` runs tasks on an :class:`~solidarity_sim.batch.executors.Executor` through a
store: runs already stored are read back instead of run, and every result is read back from its
files, so a resumed job gives the same tables as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..model.scenario import ScenarioError, identity_hash
from ..results.run_result import library_versions, package_version
from .executors import Executor, Failed

MANIFEST = "manifest.json"


class StoreError(ScenarioError):
    """A run store's folder is unusable: not a folder, something else, or a different job."""


@dataclass(frozen=True)
class Stored:
    """One run's result as the store keeps it: a row of scalars and named tables.

    Attributes:
        row: The run's values (identity, outcomes, timing), one column each in ``runs/``.
        tables: Extra tables by folder name, e.g. ``{"series": weekly}``.
    """

    row: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


class RunStore:
    """A folder of runs of one job (see the module docstring for its layout).

    Args:
        path: The folder.
        kind: What the job is (``sweep``, ``comparison``, ``validation``, ``calibration``).
        identity: Everything that affects the results, in canonical (JSON) form; its hash
            identifies the job.
        tables: Folders of extra per-run tables (besides ``runs`` and ``failed``).
        manifest: More fields for the manifest (not part of the identity).
        what: What the identity describes, in error messages (``experiment``).
        origin: Where the job comes from, in error messages (a file name).
        version: The package version (default: the installed one).
    """

    def __init__(self, path: str | Path, kind: str, identity: Mapping[str, Any], *,
                 tables: Sequence[str] = (), manifest: Mapping[str, Any] | None = None,
                 what: str = "experiment", origin: str = "", version: str | None = None):
        self.path = Path(path)
        self.kind = kind
        self.identity = dict(identity)
        self.tables = ("runs", "failed", *tables)
        self.extra = dict(manifest or {})
        self.what = what
        self.origin = origin or f"this {kind}"
        self.version = version or package_version()
        self.hash = identity_hash(self.identity, self.version)

    def open(self) -> RunStore:
        """Create the folder, or check that it holds this job; clear stale temporary files.

        Returns:
            The store itself.

        Raises:
            StoreError: The path is a file, a non-empty folder without a manifest, or a store
                of another kind or of a different job (the message names what changed).
        """
        manifest = self.path / MANIFEST
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"--out {self.path}: exists and is not a folder; give a folder for "
                             f"the {self.kind}'s results")
        if manifest.is_file():
            self._check_same(json.loads(manifest.read_text()))
        elif self.path.is_dir() and any(not p.name.startswith(".")
                                        for p in self.path.iterdir()):
            raise StoreError(f"--out {self.path}: the folder is not empty and holds no "
                             f"{self.kind} (no {MANIFEST}); give a new or empty folder")
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.write_manifest()
        for name in self.tables:
            (self.path / name).mkdir(exist_ok=True)
            for stale in (self.path / name).glob(".*.tmp"):
                stale.unlink()
        return self

    def manifest(self) -> dict[str, Any]:
        """The manifest: kind, hash, versions, the identity and the extra fields."""
        return {"kind": f"solidarity-sim {self.kind}", "hash": self.hash,
                "version": self.version, "libraries": library_versions(), **self.extra,
                "experiment": self.identity, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    def write_manifest(self) -> None:
        """Write ``manifest.json`` atomically."""
        text = json.dumps(self.manifest(), indent=2) + "\n"
        atomic(self.path / MANIFEST, lambda tmp: tmp.write_text(text))

    def _check_same(self, manifest: Mapping[str, Any]) -> None:
        kind = f"solidarity-sim {self.kind}"
        if manifest.get("kind") != kind:
            found = manifest.get("kind") or "no run store (its manifest names no kind)"
            raise StoreError(f"--out {self.path}: holds {found}, not a {self.kind}; give "
                             f"another --out folder, or delete {self.path} to start again")
        if manifest.get("hash") == self.hash:
            return
        old, new = _flat(manifest.get("experiment", {})), _flat(self.identity)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if manifest.get("version") != self.version:
            changed.append(f"package version {manifest.get('version')} -> {self.version}")
        origin = manifest.get("origin") or "origin unknown"
        raise StoreError(
            f"--out {self.path}: holds a {self.kind} of a different {self.what} ({origin}, "
            f"hash {str(manifest.get('hash'))[:12]}); {self.origin} has hash {self.hash[:12]}. "
            f"Changed: {', '.join(changed) or 'unknown'}. Results of different {self.what}s "
            f"cannot be mixed: give another --out folder, or delete {self.path} to start again")

    def done(self) -> set[str]:
        """Keys of the runs with a ``runs/`` file."""
        return {p.stem for p in (self.path / "runs").glob("*.parquet")}

    def file(self, table: str, key: str) -> Path:
        """Where a run's table lives."""
        return self.path / table / f"{key}.parquet"

    def write_run(self, key: str, row: Mapping[str, Any] | pa.Table,
                  tables: Mapping[str, pd.DataFrame | pa.Table] | None = None,
                  schema: pa.Schema | None = None) -> None:
        """Store one finished run: its extra tables first, then its row (the commit marker).

        Args:
            key: The run's key (a file name without extension).
            row: The run's row (a dict of scalars, or a one-row Arrow table).
            tables: Extra tables by folder name (each folder must be in ``tables``).
            schema: Arrow schema of the row (default: inferred).
        """
        for name, table in (tables or {}).items():
            if name not in self.tables:
                raise ValueError(f"the store has no table folder {name!r}; it has "
                                 f"{', '.join(self.tables)}")
            write_table(_arrow(table), self.file(name, key))
        write_table(_arrow(row, schema), self.file("runs", key))
        self.file("failed", key).unlink(missing_ok=True)

    def write_failure(self, key: str, row: Mapping[str, Any], failure: Failed,
                      schema: pa.Schema | None = None) -> None:
        """Store a run that raised: its row with ``error``, ``traceback`` and ``worker``."""
        full = {**row, "error": failure.error, "traceback": failure.traceback,
                "worker": failure.worker}
        write_table(_arrow(full, schema), self.file("failed", key))

    def read_run(self, key: str) -> Stored:
        """Read one stored run back: its row and every extra table it has."""
        row = pd.read_parquet(self.file("runs", key)).iloc[0].to_dict()
        tables = {name: pd.read_parquet(self.file(name, key)) for name in self.tables[2:]
                  if self.file(name, key).is_file()}
        return Stored(row, tables)

    def load(self, table: str = "runs") -> pd.DataFrame:
        """Every run's file of one table as one frame, in key order (empty if none)."""
        return load_folder(self.path / table)


def execute(executor: Executor, fn: Callable[[Any], Stored], tasks: Sequence[Any], *,
            store: RunStore | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Stored | Failed]:
    """Run every task not yet stored; return every task's result by key.

    Args:
        executor: Where to run.
        fn: The function run for each task; returns a :class:`Stored`.
        tasks: Tasks with a ``key`` (distinct) and a ``row()`` giving the identity columns a
            failed run is recorded with.
        store: An opened store: tasks with a stored run are not run again, results are stored
            as they finish and every result is read back from its files (so that a resumed job
            gives identical tables). None keeps the results in memory only.
        progress: Called as ``progress(done, total)`` as runs finish (stored runs count as
            done).

    Returns:
        Each task's :class:`Stored` result, or a :class:`Failed`.
    """
    stored = store.done() if store is not None else set()
    todo = [task for task in tasks if task.key not in stored]
    done = len(tasks) - len(todo)
    if progress is not None and done:
        progress(done, len(tasks))
    results: dict[str, Stored | Failed] = {}
    for task, result in executor.map_unordered(fn, todo):
        if store is not None:
            if isinstance(result, Failed):
                store.write_failure(task.key, task.row(), result)
            else:
                store.write_run(task.key, result.row, result.tables)
        results[task.key] = result
        done += 1
        if progress is not None:
            progress(done, len(tasks))
    if store is not None:
        results.update({task.key: store.read_run(task.key) for task in tasks
                        if not isinstance(results.get(task.key), Failed)})
    return results


def raise_failures(results: Mapping[str, Stored | Failed], store: RunStore | None) -> None:
    """Raise a :class:`RuntimeError` naming the runs that failed, if any did.

    The finished runs are kept in the store, so running the job again retries only the failed
    ones.
    """
    failed = {key: r for key, r in results.items() if isinstance(r, Failed)}
    if not failed:
        return
    key, first = next(iter(failed.items()))
    where = (f"; the {len(results) - len(failed)} finished runs are stored in {store.path}/ "
             "(run the same command again to retry the others)" if store is not None else "")
    raise RuntimeError(f"{len(failed)} of {len(results)} runs failed (first: {key}: "
                       f"{first.error}){where}\n{first.traceback}")


def load_folder(folder: str | Path) -> pd.DataFrame:
    """Read every Parquet file of one folder as one frame, in file-name order."""
    files = sorted(Path(folder).glob("*.parquet"))
    if not files:
        return pd.DataFrame()
    return ds.dataset([str(f) for f in files], format="parquet").to_table().to_pandas()


def write_table(table: pa.Table, path: Path) -> None:
    """Write a Parquet file atomically."""
    atomic(path, lambda tmp: pq.write_table(table, tmp))


def atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write to a hidden temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _arrow(data: Mapping[str, Any] | pd.DataFrame | pa.Table,
           schema: pa.Schema | None = None) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return pa.Table.from_pylist([dict(data)], schema=schema)


def _flat(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.dumps(value, sort_keys=True)
    return out

