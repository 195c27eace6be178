"""One run store for every batch: a folder holding one Parquet file per finished run, verified.

Sweeps, comparisons, validations and calibrations keep their runs in the same layout::

    manifest.json           kind, identity hash, package and library versions, what was asked
    runs/KEY.parquet        one row per finished run
    failed/KEY.parquet      one row per run that raised: its error and traceback
    series/KEY.parquet      extra tables of a run (weekly series, CSOs, spells), one folder each
    records/KEY.json        the run's record: the job's hash, the run's identity (run number or
                            scenario and replication, seed) and the SHA-256 of each of its files;
                            written last, it commits the run
    corrupt/KEY/            runs set aside because they failed verification, with reason.txt
    .lock, .lock.json       the lock of the one command writing here (:mod:`.lock`)
    ro-crate-metadata.json  RO-Crate metadata of the folder (:mod:`~solidarity_sim.results.crate`)

Each file is written to a hidden temporary name and renamed into place, so a crash or a full disk
never leaves half a file under a final name; a run's tables are written before its record, so a
run is committed or absent. Each run has its own record, so runs finishing together never
rewrite one shared file.

Nothing stored is trusted blindly. When a command resumes (:meth:`RunStore.verify`), every stored
run of the job is checked: its record exists and names this job, its files match their SHA-256,
its row opens, has the expected columns and the expected identity. A run that fails is set aside
into ``corrupt/`` (named in a warning) and computed again. Readers (:meth:`RunStore.load`,
:meth:`RunStore.read_run`) check the same and raise a :class:`StoreError` naming the file. A
folder holding a different job is refused with a message naming what changed; one whose manifest
is missing or damaged, but whose records all name this job, gets its manifest back.

:func:`execute` runs tasks on an :class:`~solidarity_sim.batch.executors.Executor` through a
store: runs already stored are read back instead of run, and every result is read back from its
files, so a resumed job gives the same tables as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..model.checks import Notice
from ..model.scenario import identity_hash
from ..results.crate import write_crate
from ..results.files import (
    FileError,
    make_folder,
    read_arrow,
    read_json,
    sha256,
    write_json,
    write_table,
)
from ..versions import library_versions, package_version
from .executors import Executor, ExecutorLost, Failed
from .lock import writing

MANIFEST = "manifest.json"
RECORDS = "records"
CORRUPT = "corrupt"
SHOWN = 10
"""Set-aside runs named one by one in a warning (the rest are counted)."""


class StoreError(FileError):
    """A run store is unusable: not a folder, another job, a damaged run (names the file)."""


class StoreNotice(Notice):
    """Runs were set aside, or a manifest was written again."""


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
        schema: The Arrow schema every ``runs/`` file must have (default: any with the
            identity columns).
    """

    def __init__(self, path: str | Path, kind: str, identity: Mapping[str, Any], *,
                 tables: Sequence[str] = (), manifest: Mapping[str, Any] | None = None,
                 what: str = "experiment", origin: str = "", version: str | None = None,
                 schema: pa.Schema | None = None):
        self.path = Path(path)
        self.kind = kind
        self.identity = dict(identity)
        self.tables = ("runs", "failed", *tables)
        self.extra = dict(manifest or {})
        self.what = what
        self.origin = origin or f"this {kind}"
        self.version = version or package_version()
        self.hash = identity_hash(self.identity, self.version)
        self.schema = schema

    @classmethod
    def existing(cls, path: str | Path) -> RunStore:
        """The store in an existing folder, as its manifest describes it (for reading).

        Raises:
            StoreError: The folder holds no run store.
        """
        folder = Path(path)
        if not (folder / MANIFEST).is_file():
            raise StoreError(f"{folder}: not a solidarity-sim output folder (no {MANIFEST}); "
                             "give the --out folder of a sweep, compare, validate or calibrate")
        manifest = read_json(folder / MANIFEST)
        kind = str(manifest.get("kind", "")).removeprefix("solidarity-sim ")
        if "hash" not in manifest or "experiment" not in manifest:
            raise StoreError(f"{folder / MANIFEST}: holds no run store (no hash or "
                             "experiment); give the --out folder of a sweep, compare, validate "
                             "or calibrate")
        store = cls(folder, kind, manifest["experiment"], version=manifest.get("version"))
        store.hash = manifest["hash"]
        return store

    # -- opening ----------------------------------------------------------------------------------

    def open(self) -> RunStore:
        """Create the folder, or check that it holds this job; clear stale temporary files.

        Call it while holding the folder's lock (:func:`opened` does both).

        Returns:
            The store itself.

        Raises:
            StoreError: The path is a file, a non-empty folder without a manifest, or a store
                of another kind or of a different job (the message names what changed).
            FileError: The folder cannot be created or written into.
        """
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"--out {self.path}: exists and is not a folder; give a folder for "
                             f"the {self.kind}'s results")
        make_folder(self.path)
        manifest = self._read_manifest()
        if manifest is not None:
            self._check_same(manifest)
        elif self._records():
            self._recover_manifest()
        elif any(not p.name.startswith(".") for p in self.path.iterdir()):
            raise StoreError(f"--out {self.path}: the folder is not empty and holds no "
                             f"{self.kind} (no {MANIFEST}); give a new or empty folder")
        else:
            self.write_manifest()
        for name in (*self.tables, RECORDS, "."):
            folder = self.path / name
            folder.mkdir(exist_ok=True)
            for stale in folder.glob(".*.tmp"):
                stale.unlink()
        return self

    def _read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if it is missing or damaged (a damaged one is set aside)."""
        path = self.path / MANIFEST
        if not path.is_file():
            return None
        try:
            manifest = read_json(path)
            if isinstance(manifest, dict):
                return manifest
        except FileError:
            pass
        aside = self._aside_folder(MANIFEST)
        aside.mkdir(parents=True)
        os.replace(path, aside / MANIFEST)
        warnings.warn(StoreNotice(f"{path}: damaged (not a JSON object); set aside into "
                                  f"{aside}/"), stacklevel=3)
        return None

    def _records(self) -> list[Path]:
        return sorted((self.path / RECORDS).glob("*.json"))

    def _recover_manifest(self) -> None:
        """Write the manifest again if every record names this job; refuse otherwise."""
        records = self._records()
        for path in records:
            try:
                job = read_json(path).get("job")
            except (FileError, AttributeError):
                job = None
            if job != self.hash:
                raise StoreError(
                    f"--out {self.path}: {MANIFEST} is missing and the stored runs belong to "
                    f"another job ({path} names job {str(job)[:12]}, {self.origin} has hash "
                    f"{self.hash[:12]}); give another --out folder, or delete {self.path} to "
                    "start again")
        self.write_manifest()
        warnings.warn(StoreNotice(
            f"{self.path / MANIFEST} was missing; the {len(records)} stored runs' records all "
            f"name this {self.kind} (hash {self.hash[:12]}), so it was written again"),
            stacklevel=3)

    def manifest(self) -> dict[str, Any]:
        """The manifest: kind, hash, versions, the identity and the extra fields."""
        return {"kind": f"solidarity-sim {self.kind}", "hash": self.hash,
                "version": self.version, "libraries": library_versions(), **self.extra,
                "experiment": self.identity, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    def write_manifest(self) -> None:
        """Write ``manifest.json`` atomically."""
        write_json(self.path / MANIFEST, self.manifest())

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

    # -- verifying --------------------------------------------------------------------------------

    def done(self) -> set[str]:
        """Keys of the committed runs (with a record; :meth:`verify` checks them)."""
        return {p.stem for p in self._records()}

    def present(self) -> set[str]:
        """Keys of every run with a record or a ``runs/`` file (committed or not)."""
        return self.done() | {p.stem for p in (self.path / "runs").glob("*.parquet")}

    def verify(self, expected: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """Check the stored runs of the given keys; set aside those that fail.

        Args:
            expected: Each run's key and identity (the columns and values its row and record
                must have, e.g. run number and seed).

        Returns:
            The keys of the runs that passed (the others are in ``corrupt/``, named in a
            :class:`StoreNotice`).
        """
        good, bad = set(), {}
        for key in sorted(self.present() & set(expected)):
            problem = self.problem(key, plain(expected[key]))
            if problem is None:
                good.add(key)
            else:
                bad[key] = (problem, self._set_aside(key, problem))
        if bad:
            shown = [f"{key} ({problem}) -> {aside}/"
                     for key, (problem, aside) in list(bad.items())[:SHOWN]]
            more = f"; and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""
            warnings.warn(StoreNotice(
                f"{self.path}: set aside {len(bad)} stored run(s) that failed verification, "
                f"to be computed again: {'; '.join(shown)}{more}"), stacklevel=2)
        return good

    def problem(self, key: str, identity: Mapping[str, Any] | None = None) -> str | None:
        """What is wrong with a stored run, in words, or None if it passes every check.

        Checks: the record exists, names this job and this key; every file it lists exists
        and matches its SHA-256; the ``runs/`` file opens as Parquet with one row and the
        expected columns; the record and the row carry ``identity`` (default: the identity in
        the record).
        """
        try:
            record = read_json(self.path / RECORDS / f"{key}.json")
        except FileError as err:
            return ("no record: the command stopped before committing it"
                    if not (self.path / RECORDS / f"{key}.json").exists() else str(err))
        runs = f"runs/{key}.parquet"
        if not isinstance(record, dict) or not isinstance(record.get("files"), dict) or \
                runs not in record["files"]:
            return f"{RECORDS}/{key}.json is not a run record"
        if record.get("job") != self.hash or record.get("key") != key:
            return (f"{RECORDS}/{key}.json names run {record.get('key')} of job "
                    f"{str(record.get('job'))[:12]}, not {key} of {self.hash[:12]}")
        for name, digest in record["files"].items():
            path = self.path / name
            if not path.is_file():
                return f"{name} is missing"
            if sha256(path) != digest:
                return f"{name} does not match its SHA-256 (damaged or changed after writing)"
        try:
            table = pq.read_table(self.path / runs)
        except (pa.ArrowException, OSError) as err:
            return f"{runs} is not a readable Parquet file ({err})"
        return self._check_row(runs, table, record,
                               record.get("identity") if identity is None else identity)

    def _check_row(self, name: str, table: pa.Table, record: Mapping[str, Any],
                   identity: Mapping[str, Any] | None) -> str | None:
        if not isinstance(identity, Mapping):
            return f"{RECORDS}/{record['key']}.json records no identity"
        if table.num_rows != 1:
            return f"{name} has {table.num_rows} rows, not one"
        if self.schema is not None and not table.schema.equals(self.schema):
            return f"{name} has the columns {table.schema.names}, not {self.schema.names}"
        row = table.to_pylist()[0]
        for column, value in identity.items():
            if row.get(column) != value or record.get("identity", {}).get(column) != value:
                return (f"{name} is {column} {row.get(column)!r} (recorded "
                        f"{record.get('identity', {}).get(column)!r}), not {value!r}")
        return None

    def _aside_folder(self, key: str) -> Path:
        base = self.path / CORRUPT / key
        aside, n = base, 1
        while aside.exists():
            n += 1
            aside = base.with_name(f"{key}.{n}")
        return aside

    def _set_aside(self, key: str, reason: str) -> Path:
        """Move every file of a run into ``corrupt/KEY/`` (``KEY.2``, ... if taken)."""
        aside = self._aside_folder(key)
        aside.mkdir(parents=True)
        for name in (*self.tables, RECORDS):
            for path in (self.path / name).glob(f"{key}.*"):
                (aside / name).mkdir(exist_ok=True)
                shutil.move(path, aside / name / path.name)
        (aside / "reason.txt").write_text(f"{time.strftime('%Y-%m-%d %H:%M:%S %z')}: {reason}\n")
        return aside.relative_to(self.path)

    # -- writing and reading ----------------------------------------------------------------------

    def file(self, table: str, key: str) -> Path:
        """Where a run's table lives."""
        return self.path / table / f"{key}.parquet"

    def write_run(self, key: str, row: Mapping[str, Any] | pa.Table,
                  tables: Mapping[str, pd.DataFrame | pa.Table] | None = None,
                  schema: pa.Schema | None = None,
                  identity: Mapping[str, Any] | None = None) -> None:
        """Store one finished run: its tables, its row, then its record (the commit).

        Args:
            key: The run's key (a file name without extension).
            row: The run's row (a dict of scalars, or a one-row Arrow table).
            tables: Extra tables by folder name (each folder must be in ``tables``).
            schema: Arrow schema of the row (default: inferred).
            identity: The run's identity columns (run number, seed, ...), kept in its record.
        """
        for name in tables or {}:
            if name not in self.tables:
                raise ValueError(f"the store has no table folder {name!r}; it has "
                                 f"{', '.join(self.tables)}")
        files = {}
        for name, table in {**(tables or {}), "runs": _arrow(row, schema)}.items():
            write_table(_arrow(table), self.file(name, key))
            files[f"{name}/{key}.parquet"] = sha256(self.file(name, key))
        record = {"key": key, "job": self.hash, "identity": plain(identity or {}),
                  "files": files}
        write_json(self.path / RECORDS / f"{key}.json", record)
        self.file("failed", key).unlink(missing_ok=True)

    def write_failure(self, key: str, row: Mapping[str, Any], failure: Failed,
                      schema: pa.Schema | None = None) -> None:
        """Store a run that raised: its row with ``error``, ``traceback`` and ``worker``."""
        full = {**row, "error": failure.error, "traceback": failure.traceback,
                "worker": failure.worker}
        write_table(_arrow(full, schema), self.file("failed", key))

    def read_run(self, key: str) -> Stored:
        """Read one stored run back, verified: its row and every extra table it has.

        Raises:
            StoreError: The run fails verification (the message names the file).
        """
        problem = self.problem(key)
        if problem is not None:
            raise self._damaged(key, problem)
        row = pd.read_parquet(self.file("runs", key)).iloc[0].to_dict()
        tables = {name: pd.read_parquet(self.file(name, key)) for name in self.tables[2:]
                  if self.file(name, key).is_file()}
        return Stored(row, tables)

    def load(self, table: str = "runs") -> pd.DataFrame:
        """One table of every committed run (or every failure), in key order (empty if none).

        Raises:
            StoreError: A run fails verification (the message names its file).
        """
        if table == "failed":
            files = sorted((self.path / "failed").glob("*.parquet"))
            return _concat([read_arrow(f) for f in files])
        files = []
        for key in sorted(self.done()):
            problem = self.problem(key)
            if problem is not None:
                raise self._damaged(key, problem)
            if self.file(table, key).is_file():
                files.append(str(self.file(table, key)))
        if not files:
            return pd.DataFrame()
        return ds.dataset(files, format="parquet").to_table().to_pandas()

    def _damaged(self, key: str, problem: str) -> StoreError:
        return StoreError(f"{self.path}: run {key} fails verification: {problem}. Run the same "
                          f"`solidarity-sim {self.kind}` command again: it sets the run aside "
                          f"into {CORRUPT}/ and computes it again")

    def lost(self, err: ExecutorLost) -> ExecutorLost:
        """The error of a lost executor, saying what is kept and how to resume."""
        return ExecutorLost(f"{err}. The {len(self.done())} finished runs are kept in "
                            f"{self.path}/: start the scheduler and its workers again (or use "
                            "the local pool) and run the same command to compute the rest")


@contextmanager
def opened(store: RunStore | None) -> Iterator[RunStore | None]:
    """Hold a store's lock, open it, and describe it (RO-Crate) when done; None passes through.

    Raises:
        FolderLocked: Another command is writing into the folder.
        StoreError: The folder holds something else (see :meth:`RunStore.open`).
    """
    if store is None:
        yield None
        return
    with writing(store.path):
        yield store.open()
        write_crate(store.path)


def plain(value: Any) -> Any:
    """A value with NumPy scalars turned into Python ones (for JSON and comparisons)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def execute(executor: Executor, fn: Callable[[Any], Stored], tasks: Sequence[Any], *,
            store: RunStore | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Stored | Failed]:
    """Run every task not yet stored; return every task's result by key.

    Args:
        executor: Where to run.
        fn: The function run for each task; returns a :class:`Stored`.
        tasks: Tasks with a ``key`` (distinct) and a ``row()`` giving the identity columns
            (stored in the run's record, checked on resume, and kept with a failure).
        store: An opened store: stored runs that pass verification are not run again (those
            that fail are set aside and run again), results are stored as they finish and
            every result is read back from its files (so that a resumed job gives identical
            tables). None keeps the results in memory only.
        progress: Called as ``progress(done, total)`` as runs finish (stored runs count as
            done).

    Returns:
        Each task's :class:`Stored` result, or a :class:`Failed`.

    Raises:
        ExecutorLost: The executor lost its scheduler (the message says how to resume).
    """
    identities = {task.key: plain(task.row()) for task in tasks}
    stored = store.verify(identities) if store is not None else set()
    todo = [task for task in tasks if task.key not in stored]
    done = len(tasks) - len(todo)
    if progress is not None and done:
        progress(done, len(tasks))
    results: dict[str, Stored | Failed] = {}
    try:
        for task, result in executor.map_unordered(fn, todo):
            if store is not None:
                if isinstance(result, Failed):
                    store.write_failure(task.key, task.row(), result)
                else:
                    store.write_run(task.key, result.row, result.tables,
                                    identity=identities[task.key])
            results[task.key] = result
            done += 1
            if progress is not None:
                progress(done, len(tasks))
    except ExecutorLost as err:
        raise (store.lost(err) if store is not None else err) from None
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


def _concat(tables: list[pa.Table]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    return pa.concat_tables(tables, promote_options="default").to_pandas()


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
