"""One writer per folder: a file lock, and a record of who holds it.

Two commands writing into one folder would compute the same runs twice and could overwrite each
other's files. :func:`writing` takes a lock on the folder for the duration of a command:

* ``.lock`` is locked with :class:`filelock.FileLock` (``flock`` on Linux and macOS). The operating
  system releases it when the process ends, however it ends (a SIGKILL too), so a second
  command on the same machine can take it only when the first no longer holds it.
* ``.lock.json`` records the holder: host, process id, the process's start (to tell a reused
  process id apart), the command, when it started and when it last said it was alive. filelock
  records none of this, so the message of a refused command can name the holder only from here.
  A thread rewrites ``refreshed`` every :data:`HEARTBEAT` seconds.

When the file lock is free but the record names another process, the record is stale or the
lock does not reach that process:

* same host: the process is checked; if it no longer runs (or its id now belongs to another
  process), the lock is taken over with a warning naming it; if it still runs, the command is
  refused (someone deleted ``.lock`` under it);
* another host (a shared file system: ``flock`` may not reach across machines there): the record
  is trusted until it has not been refreshed for :data:`STALE_AFTER` seconds, then taken over.

A process that holds the lock may take it again (nested commands, e.g. ``compare`` writing its
report after its runs); the lock is released when the outermost holder is done.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import filelock

from ..model.checks import Notice
from ..results.files import FileError, make_folder, read_json, write_json

LOCK = ".lock"
HOLDER = ".lock.json"
HEARTBEAT = 60.0
"""Seconds between two refreshes of the holder record."""
STALE_AFTER = 600.0
"""Seconds without a refresh after which the record of a holder on another host is stale."""


class FolderLocked(FileError):
    """Another command is writing into the folder; the message names it."""


class LockNotice(Notice):
    """A stale lock was taken over."""


@dataclass(frozen=True)
class Holder:
    """Who holds a folder's lock.

    Attributes:
        host: Host name.
        pid: Process id.
        start: The process's start time in clock ticks after boot (Linux), to tell a reused
            process id apart; empty where unknown.
        boot: The boot id (Linux): a process of an earlier boot no longer runs.
        command: The command line.
        since: When it took the lock (local time, ISO 8601).
        refreshed: When it last said it was alive (seconds since the epoch).
    """

    host: str
    pid: int
    start: str
    boot: str
    command: str
    since: str
    refreshed: float

    @classmethod
    def me(cls) -> Holder:
        """This process."""
        program = "python -c" if sys.argv[0] == "-c" else Path(sys.argv[0]).name or "python"
        command = " ".join([program, shlex.join(sys.argv[1:])]).strip()
        return cls(socket.gethostname(), os.getpid(), process_start(os.getpid()), boot_id(),
                   command, time.strftime("%Y-%m-%d %H:%M:%S %z"), time.time())

    def describe(self) -> str:
        """The holder in words: command, process, host and start."""
        return f"`{self.command}` (process {self.pid} on host {self.host}, started {self.since})"

    def running(self) -> bool:
        """Whether the process still runs (only meaningful on its own host)."""
        if self.boot and boot_id() and self.boot != boot_id():
            return False
        start = process_start(self.pid)
        if start == "zombie":
            return False
        if self.start and start:
            return start == self.start
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # runs, as another user
            return True
        return True


def process_start(pid: int) -> str:
    """A process's start time in clock ticks after boot (Linux ``/proc``).

    Returns ``zombie`` for a process that has ended but not been reaped, and an empty string
    where it is unknown or the process does not run.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rindex(")") + 2:].split()
    return "zombie" if fields[0] in ("Z", "X") else fields[19]


def boot_id() -> str:
    """This boot's id (Linux), or empty."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class _Lock:
    """The lock of one folder, held by this process (see :func:`writing`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file = filelock.FileLock(str(folder / LOCK), timeout=0)
        self.holder = Holder.me()
        self.count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, option: str) -> None:
        try:
            self.file.acquire()
        except filelock.Timeout:
            raise FolderLocked(self._refusal(option, self._recorded())) from None
        try:
            self._take_over(option)
            self._write()
        except BaseException:
            self.file.release()
            raise
        self._thread = threading.Thread(target=self._refresh, daemon=True,
                                        name=f"lock {self.folder}")
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self._recorded() == self.holder:
                (self.folder / HOLDER).unlink(missing_ok=True)
        finally:
            self.file.release()

    def _recorded(self) -> Holder | None:
        path = self.folder / HOLDER
        if not path.is_file():
            return None
        try:
            return Holder(**read_json(path))
        except (FileError, TypeError):
            return None  # unreadable: a holder that died while writing it

    def _take_over(self, option: str) -> None:
        """Refuse a holder that may still run; warn when taking over a stale record."""
        old = self._recorded()
        if old is None:
            return
        if old.host == self.holder.host:
            if old.running():
                raise FolderLocked(self._refusal(option, old))
            why = "which no longer runs"
        else:
            silent = time.time() - old.refreshed
            if silent < STALE_AFTER:
                raise FolderLocked(self._refusal(option, old, silent))
            why = f"which has not refreshed it for {silent / 60:.0f} minutes"
        warnings.warn(LockNotice(f"{self.folder}: took over the lock left by {old.describe()}, "
                                 f"{why}"), stacklevel=4)

    def _refusal(self, option: str, old: Holder | None, silent: float | None = None) -> str:
        who = old.describe() if old is not None else "a process that left no record"
        text = (f"{option} {self.folder}: another solidarity-sim command is writing into this "
                f"folder: {who}; two commands writing one folder would compute the same runs "
                "twice. Wait for it to finish, or give another folder")
        if silent is not None:
            text += (f". It runs on another host, which refreshed its lock {silent:.0f} s ago; "
                     f"if it no longer runs, the lock is taken over once it is "
                     f"{STALE_AFTER / 60:.0f} minutes old, or delete {self.folder / HOLDER}")
        return text

    def _write(self) -> None:
        write_json(self.folder / HOLDER, asdict(self.holder))

    def _refresh(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            self.holder = Holder(**{**asdict(self.holder), "refreshed": time.time()})
            try:
                self._write()
            except FileError:  # e.g. a full disk: the next refresh tries again
                pass


_HELD: dict[Path, _Lock] = {}
_GUARD = threading.Lock()


@contextmanager
def writing(folder: str | Path, option: str = "--out") -> Iterator[Path]:
    """Hold the lock of a folder (created if needed) while writing into it.

    Args:
        folder: The folder.
        option: How messages name it (the command-line option that gave it).

    Yields:
        The folder.

    Raises:
        FolderLocked: Another process holds the lock (the message names it).
        FileError: The folder cannot be created or written into.
    """
    path = make_folder(folder, option).resolve()
    with _GUARD:
        lock = _HELD.get(path)
        if lock is None:
            lock = _Lock(path)
            lock.acquire(option)
            _HELD[path] = lock
        lock.count += 1
    try:
        yield Path(folder)
    finally:
        with _GUARD:
            lock.count -= 1
            if lock.count == 0:
                del _HELD[path]
                lock.release()
