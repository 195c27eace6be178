"""``explore``, ``frontier``, ``optimise`` and ``compare --precision`` end to end: in this process,
on the local pool and on a real Dask scheduler; bad input exits 2 naming the option."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from solidarity_sim.cli import main
from tests.batch.test_dask import dask_cluster

TOWN = ["--set", "population.citizens=800", "--set", "population.neighbourhoods=9",
        "--weeks", "40"]
COMMANDS = {
    "explore": ["explore", "great-recession", "core-funding", "--futures", "4",
                "--threshold", "unmet_need<=60"],
    "frontier": ["frontier", "great-recession", "core-funding", "--budgets", "0,10",
                 "--replications", "2"],
    "optimise": ["optimise", "--budget", "10", "--trials", "2", "--replications", "2",
                 "--top", "1", "--final-replications", "2"],
}
TABLE = {"explore": "runs.parquet", "frontier": "options.csv", "optimise": "final.csv"}
ANSWER = {"explore": "Most robust on unmet need", "frontier": "Efficient options",
          "optimise": "Best mix for €10 per citizen per year"}


def read(out: Path, command: str) -> pd.DataFrame:
    path = out / TABLE[command]
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> dict[str, Path]:
    """Each command run in this process (one worker): the reference tables."""
    folders = {}
    for command, args in COMMANDS.items():
        out = tmp_path_factory.mktemp(command) / "out"
        assert main([*args, *TOWN, "--workers", "1", "--out", str(out)]) == 0
        folders[command] = out
    return folders


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_writes_its_tables_and_a_report_that_opens_with_the_answer(serial,
                                                                              command):
    out = serial[command]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.index("class='answer'") < report.index("How to read this")
    assert ANSWER[command] in report
    assert "src='http" not in report and "<script" not in report  # opens offline
    assert (out / "manifest.json").is_file() and not read(out, command).empty
    pngs = list(out.glob("*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_a_command_run_again_reads_its_runs_back(serial, capsys):
    out = serial["frontier"]
    before = read(out, "frontier")
    assert main([*COMMANDS["frontier"], *TOWN, "--workers", "1", "--out", str(out)]) == 0
    assert "6 already stored (verified, not run again)" in capsys.readouterr().err
    pd.testing.assert_frame_equal(read(out, "frontier"), before)


@pytest.mark.parametrize(("args", "fragments"), [
    (["explore", "baseline"], ["at least two policies"]),
    (["explore", "baseline", "pandemic", "--futures", "1"], ["--futures 1", "from 2"]),
    (["explore", "baseline", "pandemic", "--objective", "csos_active"],
     ["--objective 'csos_active'", "unmet_need"]),
    (["explore", "baseline", "pandemic", "--threshold", "unmet<=3"], ["--threshold", "'unmet'"]),
    (["explore", "baseline", "pandemic", "--parameter-sets", "missing.csv"],
     ["--parameter-sets missing.csv", "cannot read"]),
    (["frontier", "baseline", "--budgets", "5,x"], ["--budgets", "5,x"]),
    (["frontier", "baseline", "--budgets", "5,5"], ["--budgets", "distinct"]),
    (["frontier", "baseline", "--replications", "1"], ["--replications 1", "from 2"]),
    (["optimise", "--budget", "10", "--trials", "1"], ["--trials 1", "from 2"]),
    (["optimise", "--budget", "-1"], ["--budget -1"]),
    (["optimise", "--budget", "10", "--set", "state.levers.nope=1"], ["--set", "nope"]),
    (["compare", "baseline", "pandemic", "--precision", "0"], ["--precision '0'", "above 0"]),
    (["compare", "baseline", "pandemic", "--precision", "nope=2"], ["no outcome 'nope'"]),
    (["compare", "baseline", "pandemic", "--precision", "2", "--max-replications", "3"],
     ["--max-replications 3", "--replications (10)"]),
])
def test_bad_input_exits_2_naming_the_option(tmp_path, capsys, args, fragments):
    assert exit_status([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert not (tmp_path / "out").exists()


def exit_status(args: list[str]) -> int:
    """What the command line exits with (argparse exits itself on a bad option type)."""
    try:
        return main(args)
    except SystemExit as stop:
        return stop.code


@pytest.mark.slow  # worker processes and a Dask cluster
def test_every_command_gives_the_same_tables_on_the_local_pool_and_on_dask(serial, tmp_path,
                                                                           capsys):
    with dask_cluster(tmp_path) as (address, _, _):
        for command, args in COMMANDS.items():
            for engine, where in ((["--workers", "2"], "local process pool, 2 workers"),
                                  (["--scheduler", address],
                                   f"Dask scheduler {address}, 2 workers")):
                out = tmp_path / f"{command}-{engine[0][2:]}"
                assert main([*args, *TOWN, *engine, "--out", str(out)]) == 0
                assert where in capsys.readouterr().err
                pd.testing.assert_frame_equal(read(out, command), read(serial[command], command))
