"""Helpers shared by the tests: small, fast runs of the real model; a page's server; a small
full disk."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import solidarity_sim as ss

ROOT = Path(__file__).resolve().parents[1]
EXECUTABLE = Path(sys.executable).parent / "solidarity-sim"
TIMEOUT_MS = 60_000
"""Longest wait for any condition on a page (a busy machine is slow, not wrong)."""

SMALL = {"population.citizens": 1500, "population.neighbourhoods": 9, "weeks": 80}
"""A small town: fast enough for many runs, large enough for every mechanism to act."""


def small_run(scenario="baseline", seed=0, **overrides):
    """Run a small version of a scenario; overrides use dotted paths with '__' for '.'."""
    changes = dict(SMALL)
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return ss.run(scenario, seed=seed, overrides=changes)


def small_model(scenario="baseline", seed=0, **overrides):
    """Build (not run) a small model."""
    changes = dict(SMALL)
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return ss.SolidarityModel(scenario, rng=seed, **changes)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(args: list[str], artifacts: Path, path: str = "") -> Iterator[tuple[str, str]]:
    """``solidarity-sim ARGS --port P`` on a free loopback port until the block ends.

    Yields the page's address and what the command had printed once the page answered. The
    server's output goes to ``artifacts/server-COMMAND.log``.
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = artifacts / f"server-{args[0]}.log"
    log = log_path.open("w")
    proc = subprocess.Popen([str(EXECUTABLE), *args, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + path, timeout=5) as reply:
                if reply.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start; see {log_path}")
            time.sleep(0.5)
    try:
        yield url, log_path.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextlib.contextmanager
def small_disk(folder: Path, free: int):
    """A 1 MB tmpfs mounted at ``folder``, filled so that about ``free`` bytes are left.

    Yields the filler file: delete it to free the space. Skips the test where tmpfs cannot be
    mounted (not root, or no mount permission in a container).
    """
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({mounted.stderr.strip()}); a full "
                    "disk is tested where tmpfs can be mounted (as root)")
    try:
        stat = os.statvfs(folder)
        filler = folder / "filler"
        filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - free))
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
