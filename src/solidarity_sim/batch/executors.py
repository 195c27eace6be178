"""One executor interface, three ways to run it: in this process, a local process pool, Dask.

An executor applies a function to many tasks and yields ``(task, result)`` pairs as the tasks
finish, in any order. A task whose function raises yields a :class:`Failed` with the error text,
and the others go on. A task whose worker dies is run again on another worker; one that has killed
workers :data:`MAX_ATTEMPTS` times yields a :class:`Failed` instead of killing more.

* :class:`SerialExecutor` runs the tasks one after another in the calling process.
* :class:`LocalExecutor` runs them on a local process pool (nothing to start).
* :class:`DaskExecutor` runs them on Dask distributed: a local cluster it starts, or an existing
  scheduler (``dask scheduler`` / ``dask worker`` on other machines, or dask-jobqueue on SLURM or
  PBS); it needs the ``dask`` extra.

The function and the tasks must be picklable, and the function importable on the workers. Local
worker processes (and those of a local Dask cluster) start by importing the main module again: a
script that calls a batch at its top level, outside ``if __name__ == "__main__":``, would call it
again in every worker, so such a call stops at once with :class:`UnguardedScript`.
"""

from __future__ import annotations

import ast
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import traceback
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from ..extras import needs

T = TypeVar("T")

MAX_ATTEMPTS = 3
"""How often a task may be running on a worker that dies before it is recorded as failed."""
PRELOAD = ("solidarity_sim.batch.sweep", "solidarity_sim.batch.warm")
"""Modules the local pool's fork server imports once, so that new workers start at once (with the
model's compiled loops loaded: :mod:`.warm`)."""


def start_fork_server() -> None:
    """Start the local pool's fork server now, if this platform has one; it returns at once.

    The fork server imports :data:`PRELOAD` (the model, with its compiled loops loaded: about
    1.5 s) before it forks the first worker. Started early, it does so while this process goes
    on (importing the analysis, reading the scenarios), instead of when the first run is
    submitted. A :class:`LocalExecutor` built later uses the same server.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
    forkserver.ensure_running()


class ExecutorLost(RuntimeError):
    """The executor lost the scheduler of its workers mid-job (the message says what to do)."""


class UnguardedScript(RuntimeError):
    """A batch was called from a script's top level, which every worker process would run again."""


def unguarded_call() -> str | None:
    """Where the main script calls this outside ``if __name__ == "__main__":``, or None.

    Worker processes started by spawn or forkserver (the local pool, a local Dask cluster) run
    the main module again before they take work; a call at its top level outside the guard would
    then start a batch in every worker. Notebooks, ``python -c`` and ``python -m pkg`` (whose
    ``__main__`` module the workers skip) are not affected.

    Returns:
        ``FILE, line N`` of the unguarded call, or None.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if main is None or path is None or name == "__main__" or name.endswith(".__main__"):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is vars(main)
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return None
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    guarded = [(node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno)
               for node in ast.walk(tree) if isinstance(node, ast.If) and _is_main_guard(node)]
    if any(first <= frame.f_lineno <= last for first, last in guarded):
        return None
    return f"{path}, line {frame.f_lineno}"


def _is_main_guard(node: ast.If) -> bool:
    """Whether an ``if`` tests ``__name__ == "__main__"`` (either way round)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def check_main_guard() -> None:
    """Stop at once if worker processes would run the calling script's batch again.

    Raises:
        UnguardedScript: The batch is called at a script's top level outside the guard.
    """
    where = unguarded_call()
    if where is not None:
        raise UnguardedScript(
            f"{where}: this batch runs in worker processes, and each worker starts by running "
            "the script again from the top, which would start the batch again; put the "
            "script's code under `if __name__ == \"__main__\":`, or pass workers=1 to run "
            "in this process")


def default_workers() -> int:
    """The number of cores this process may use (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Failed:
    """A task that raised, or whose workers kept dying.

    Attributes:
        error: One line: the exception type and message.
        traceback: The full traceback, where there is one.
        worker: Where it ran (``host:pid``), where known.
    """

    error: str
    traceback: str = ""
    worker: str = ""


def worker_name() -> str:
    """This process as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def prepare_worker() -> None:
    """Set up a pool worker: leave Ctrl-C to the sweep, and exit when the sweep's process dies.

    Without the watchdog, the workers of a sweep killed with SIGKILL would wait for tasks
    forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def call_guarded(fn: Callable[[T], Any], task: T) -> Any:
    """Return ``fn(task)``, or a :class:`Failed` if it raises (runs on the worker)."""
    try:
        return fn(task)
    except Exception as err:
        return Failed(f"{type(err).__name__}: {err}", traceback.format_exc(), worker_name())


class Executor(ABC):
    """Runs a function over tasks and yields results as they finish.

    Use as a context manager, so that workers and clusters are shut down.
    """

    @abstractmethod
    def map_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                      ) -> Iterator[tuple[T, Any]]:
        """Yield ``(task, fn(task))`` for every task in order of completion.

        A task that raised yields a :class:`Failed` in place of its result.
        """

    @abstractmethod
    def describe(self) -> str:
        """Say in words where the tasks run."""

    @abstractmethod
    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs the tasks one after another in this process (for debugging and as a reference)."""

    def map_unordered(self, fn, tasks):
        """Yield ``(task, result)`` in task order."""
        for task in tasks:
            yield task, call_guarded(fn, task)

    def describe(self) -> str:
        """Say in words where the tasks run."""
        return "serially in this process"

    def close(self) -> None:
        """Nothing to release."""


class LocalExecutor(Executor):
    """Runs the tasks on a pool of local worker processes.

    Args:
        workers: Number of worker processes (default: the number of CPUs).

    At most two tasks per worker are queued at a time. If a worker dies (killed, out of memory)
    the pool breaks: a new pool is started and the unfinished tasks are submitted again.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn")
        if self._context.get_start_method() == "forkserver":
            self._context.set_forkserver_preload(list(PRELOAD))
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        """The process pool itself (started if need be), for libraries that take one (pyabc)."""
        return self._ready_pool()

    def _ready_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            check_main_guard()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context,
                                             initializer=prepare_worker)
        return self._pool

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def map_unordered(self, fn, tasks):
        """Yield ``(task, result)`` as tasks finish; redo the tasks of a dead worker."""
        pending: deque[tuple[int, Any]] = deque(enumerate(tasks))
        deaths: dict[int, int] = {}
        running: dict[Future, tuple[int, Any]] = {}
        while pending or running:
            if self._top_up(fn, pending, running, deaths):
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                if not any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    for future in done:
                        yield running.pop(future)[1], future.result()
                    continue
            yield from self._recover(running, pending, deaths)

    def _top_up(self, fn, pending: deque, running: dict, deaths: dict[int, int]) -> bool:
        """Queue up to two tasks per worker (a task whose worker died runs alone).

        Returns:
            False if the pool turned out to be broken.
        """
        while pending and len(running) < 2 * self.workers:
            if any(index in deaths for index, _ in running.values()):
                break
            if pending[0][0] in deaths and running:
                break
            try:
                future = self._ready_pool().submit(call_guarded, fn, pending[0][1])
            except BrokenProcessPool:
                return False
            running[future] = pending.popleft()
        return True

    def _recover(self, running: dict, pending: deque, deaths: dict[int, int]):
        """After a worker died: keep the finished results, resubmit the rest on a new pool."""
        lost = []
        for future, item in running.items():
            if future.exception() is None:
                yield item[1], future.result()
            else:
                lost.append(item)
        running.clear()
        self._drop_pool()
        for index, task in sorted(lost, key=lambda item: item[0], reverse=True):
            deaths[index] = deaths.get(index, 0) + 1
            if deaths[index] >= MAX_ATTEMPTS:
                yield task, Failed(f"a worker process died {MAX_ATTEMPTS} times while "
                                   "running this task (killed, or out of memory?)")
            else:
                pending.appendleft((index, task))

    def describe(self) -> str:
        """Say in words where the tasks run."""
        return f"local process pool, {self.workers} workers"

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Runs the tasks on Dask distributed.

    Args:
        scheduler: Address of a running scheduler (``tcp://host:8786``); None starts a local
            cluster of ``workers`` single-threaded worker processes.
        workers: Workers of the local cluster (default: the number of CPUs).
        timeout: Seconds to wait for the scheduler.

    A worker that dies has its tasks rerun elsewhere by the scheduler; a task that was running on
    :data:`MAX_ATTEMPTS` dying workers is recorded as :class:`Failed` (Dask's ``KilledWorker``).

    Needs the ``dask`` extra (``pip install 'solidarity-sim[dask]'``).

    Raises:
        OSError: The scheduler cannot be reached.
        MissingExtra: Dask is not installed.
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 timeout: float = 20.0):
        with needs("dask", "the Dask executor"):
            import dask
            from distributed import Client, LocalCluster

        self._cluster = None
        self.address = scheduler or "of the local cluster"
        if scheduler is None:
            check_main_guard()
            with dask.config.set({"distributed.scheduler.allowed-failures": MAX_ATTEMPTS - 1}):
                self._cluster = LocalCluster(n_workers=workers or default_workers(),
                                             threads_per_worker=1, processes=True,
                                             dashboard_address=":0")
            self.client = Client(self._cluster)
        else:
            self.client = Client(scheduler, timeout=timeout)
        self._tag = uuid.uuid4().hex[:8]

    def map_unordered(self, fn, tasks):
        """Yield ``(task, result)`` as tasks finish, keeping every worker thread busy.

        Raises:
            ExecutorLost: The connection to the scheduler was lost.
        """
        try:
            yield from self._map(fn, tasks)
        except (OSError, TimeoutError, CancelledError) as err:
            logging.getLogger("distributed").setLevel(logging.CRITICAL)  # it said so already
            raise ExecutorLost(f"lost the Dask scheduler {self.address} mid-run "
                               f"({type(err).__name__}: {str(err).splitlines()[0][:200]})"
                               ) from None

    def _map(self, fn, tasks):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        pending = deque(enumerate(tasks))
        queue = as_completed()
        running: dict[str, Any] = {}

        def top_up() -> None:
            threads = max(1, sum(self.client.nthreads().values()))
            while pending and len(running) < 2 * threads:
                index, task = pending.popleft()
                future = self.client.submit(call_guarded, fn, task, pure=False,
                                            key=f"solidarity-sim-{self._tag}-{index}")
                running[future.key] = task
                queue.add(future)

        top_up()
        for future in queue:
            task = running.pop(future.key)
            try:
                result = future.result()
            except KilledWorker as err:
                result = Failed(f"KilledWorker: {err}")
            future.release()
            yield task, result
            top_up()

    def describe(self) -> str:
        """Say in words where the tasks run."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        where = ("local Dask cluster" if self._cluster
                 else f"Dask scheduler {self.client.scheduler.address}")
        return f"{where}, {len(workers)} workers"

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


EXECUTORS = ("local", "dask")
"""The engines the command line offers (``--executor``)."""


@contextmanager
def using(executor: Executor | None, workers: int | None = None, tasks: int | None = None
          ) -> Iterator[Executor]:
    """The executor to run on: the one given (left open), or a local one built and closed here.

    The Python API of every batch (compare, validate, calibrate) takes ``executor=`` or
    ``workers=``; this is the one place that turns them into an executor.

    Args:
        executor: An executor the caller manages, or None.
        workers: Processes of the local executor built when ``executor`` is None (default: the
            usable cores; 1 runs serially in this process).
        tasks: The number of tasks, to start no more workers than there are tasks.

    Raises:
        ValueError: ``workers`` is below 1.
    """
    if executor is not None:
        yield executor
        return
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    count = workers or default_workers()
    if tasks is not None:
        count = max(1, min(count, tasks))
    with make_executor("local", count) as built:
        yield built


def make_executor(kind: str = "local", workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """Build the executor the command line asks for.

    Args:
        kind: ``local`` (a process pool; one worker runs serially in this process) or ``dask``.
        workers: Worker processes (local pool or local Dask cluster).
        scheduler: A Dask scheduler address (implies ``dask``).

    Returns:
        The executor (use it as a context manager).
    """
    if kind == "dask" or scheduler is not None:
        return DaskExecutor(scheduler, workers)
    if workers == 1:
        return SerialExecutor()
    return LocalExecutor(workers)
