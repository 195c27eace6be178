"""The Python API from a plain script (no ``__main__`` guard) and from a notebook, in real
processes: a batch either works or stops at once with one sentence saying what to do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # Python processes and a Jupyter kernel

COMPARE = """import solidarity_sim as ss
table = ss.compare(["baseline", "austerity"], replications=2, weeks=20,
                   overrides={"population.citizens": 600, "population.neighbourhoods": 3})
print("rows", len(table))
"""


def script(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / "study.py"
    path.write_text(text)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=300, check=False, cwd=tmp_path)


def test_a_plain_script_without_a_guard_stops_at_once_saying_what_to_do(tmp_path):
    started = time.monotonic()
    proc = script(tmp_path, COMPARE)
    assert time.monotonic() - started < 60  # no pool of workers each running the script
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        f"solidarity_sim.batch.executors.UnguardedScript: {tmp_path / 'study.py'}, line 2: "
        "this batch runs in worker processes, and each worker starts by running the script "
        "again from the top, which would start the batch again; put the script's code under "
        "`if __name__ == \"__main__\":`, or pass workers=1 to run in this process")
    assert "BrokenProcessPool" not in proc.stderr


def test_the_same_script_with_a_guard_or_one_worker_runs(tmp_path):
    guarded = "if __name__ == \"__main__\":\n" + "".join(f"    {line}\n"
                                                         for line in COMPARE.splitlines())
    proc = script(tmp_path, guarded)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "rows 20\n"
    serial = script(tmp_path, COMPARE.replace("replications=2,", "replications=2, workers=1,"))
    assert serial.returncode == 0, serial.stderr
    assert serial.stdout == "rows 20\n"


def test_a_notebook_kernel_runs_a_batch_on_worker_processes():
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(
        kernel_name="python3", env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        outputs: list[str] = []
        reply = client.execute_interactive(
            COMPARE, timeout=300,
            output_hook=lambda msg: outputs.append(
                msg["content"].get("text", "") or msg["content"].get("evalue", "")))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", outputs
    assert "rows 20\n" in "".join(outputs)
