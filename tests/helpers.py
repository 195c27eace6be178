"""Helpers shared by the tests: small, fast runs of the real model; a small full disk."""

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

import solidarity_sim as ss

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
