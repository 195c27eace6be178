"""One writer per folder: a real file lock, the holder's record, stale locks taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, replace

import pytest

from solidarity_sim.batch import lock
from solidarity_sim.batch.lock import HOLDER, FolderLocked, Holder, LockNotice, writing

HOLD = """
import sys, time
from solidarity_sim.batch.lock import writing
with writing(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(120)
"""


def holding(folder) -> subprocess.Popen:
    """Another process that holds the folder's lock."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline() == "holding\n"
    return proc


def record(folder, **changes) -> None:
    (folder / HOLDER).write_text(json.dumps(asdict(replace(Holder.me(), **changes))))


@pytest.mark.slow
def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_ones_lock_is_taken_over(
        tmp_path):
    other = holding(tmp_path / "out")
    try:
        with pytest.raises(FolderLocked) as refused, writing(tmp_path / "out"):
            pass
        message = str(refused.value)
        assert f"process {other.pid} on host" in message
        assert "another solidarity-sim command is writing into this folder" in message
        assert "`python -c " in message and "Wait for it to finish, or give another folder" \
            in message
    finally:
        other.kill()  # SIGKILL: the record stays behind
        other.wait()
        other.stdout.close()
    assert json.loads((tmp_path / "out" / HOLDER).read_text())["pid"] == other.pid
    with pytest.warns(LockNotice, match=rf"took over the lock left by `python -c .*\(process "
                                        rf"{other.pid} on host .*\), which no longer runs"):
        with writing(tmp_path / "out"):
            assert json.loads((tmp_path / "out" / HOLDER).read_text())["pid"] == os.getpid()
    assert not (tmp_path / "out" / HOLDER).exists()  # released: the record goes


@pytest.mark.slow
def test_a_second_sweep_into_the_same_folder_exits_2_naming_the_first(tmp_path):
    other = holding(tmp_path / "out")
    try:
        proc = subprocess.run([sys.executable, "-m", "solidarity_sim.cli", "sweep",
                               "experiments/smoke.toml", "--out", str(tmp_path / "out")],
                              capture_output=True, text=True, timeout=120, check=False,
                              cwd=lock.__file__.rsplit("/src/", 1)[0])
    finally:
        os.kill(other.pid, signal.SIGTERM)
        other.wait()
        other.stdout.close()
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"solidarity-sim: error: --out {tmp_path / 'out'}: another "
                                  "solidarity-sim command is writing into this folder")
    assert f"(process {other.pid} on host" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_a_record_naming_a_live_process_is_respected_even_without_the_file_lock(tmp_path):
    # e.g. someone deleted .lock under a running command: its record still names it
    parent = os.getppid()
    (tmp_path / "out").mkdir()
    record(tmp_path / "out", pid=parent, start=lock.process_start(parent), command="sweep x")
    with pytest.raises(FolderLocked, match=f"`sweep x` \\(process {parent} on host"):
        with writing(tmp_path / "out"):
            pass


def test_a_lock_of_another_host_is_trusted_until_it_is_stale(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    record(tmp_path / "out", host="node7", pid=4242, command="sweep y")
    with pytest.raises(FolderLocked) as refused, writing(tmp_path / "out"):
        pass
    assert "`sweep y` (process 4242 on host node7" in str(refused.value)
    assert "It runs on another host, which refreshed its lock 0 s ago" in str(refused.value)
    record(tmp_path / "out", host="node7", pid=4242, command="sweep y",
           refreshed=time.time() - lock.STALE_AFTER - 60)
    with pytest.warns(LockNotice, match="which has not refreshed it for 11 minutes"):
        with writing(tmp_path / "out"):
            pass


def test_the_holder_takes_its_lock_again_and_refreshes_its_record(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "HEARTBEAT", 0.05)
    with writing(tmp_path / "out"):
        first = json.loads((tmp_path / "out" / HOLDER).read_text())["refreshed"]
        with writing(tmp_path / "out"):  # nested: compare writing its report after its runs
            time.sleep(0.3)
        assert (tmp_path / "out" / HOLDER).is_file()  # still held by the outer one
        assert json.loads((tmp_path / "out" / HOLDER).read_text())["refreshed"] > first
    assert not (tmp_path / "out" / HOLDER).exists()


def test_an_uncreatable_folder_is_refused_with_the_option(tmp_path):
    with pytest.raises(lock.FileError, match=r"--out /proc/solidarity/x: cannot create the "
                                             r"folder \(No such file or directory\)"):
        with writing("/proc/solidarity/x"):
            pass
