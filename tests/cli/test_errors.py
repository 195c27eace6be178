"""Clean errors from every command: one paragraph naming the option, exit status 2, no traceback;
and a command line that explains itself (--version, --help)."""

from __future__ import annotations

import json
from importlib import metadata

import pandas as pd
import pytest

import solidarity_sim as ss
from solidarity_sim.cli import main
from solidarity_sim.model.scenario import bundled_scenarios
from tests.batch.test_sweep import SMOKE, serial
from tests.helpers import small_disk

__all__ = ["serial"]  # the sweep fixture, for analyze

UNCREATABLE = "/proc/solidarity-sim/out"
COMMANDS = {
    "run": ["run", "--weeks", "3"],
    "sweep": ["sweep", str(SMOKE), "--workers", "1"],
    "compare": ["compare", "baseline", "austerity", "--replications", "2", "--workers", "1"],
    "validate": ["validate", "--replications", "2", "--workers", "1"],
    "calibrate": ["calibrate", "--workers", "1"],
}


def one_paragraph(err: str) -> str:
    assert err.startswith("solidarity-sim: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", [*COMMANDS, "analyze"])
def test_every_command_refuses_an_uncreatable_out_folder(command, serial, capsys):
    args = COMMANDS.get(command, ["analyze", str(serial)])
    assert main([*args, "--out", UNCREATABLE]) == 2
    assert one_paragraph(capsys.readouterr().err) == (
        f"solidarity-sim: error: --out {UNCREATABLE}: cannot create the folder (No such file "
        "or directory); give a folder you can write to\n")


def test_an_out_folder_under_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", "--weeks", "3", "--out", str(tmp_path / "file" / "out")]) == 2
    assert "cannot create the folder (Not a directory)" in one_paragraph(capsys.readouterr().err)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_bad_weeks_names_the_option_typed(command, capsys):
    args = COMMANDS[command][:-2] if command == "run" else COMMANDS[command]
    assert main([*args, "--weeks", "0"]) == 2
    err = one_paragraph(capsys.readouterr().err)
    assert err.startswith("solidarity-sim: error: --weeks: key 'weeks': value 0 is out of "
                          "range; allowed: a whole number from 1 to 5200")
    assert "--set" not in err


def test_version(capsys):
    assert ss.__version__ == metadata.version("solidarity-sim")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"solidarity-sim {ss.__version__}\n"


def test_run_help_lists_the_scenarios_and_where_the_keys_are(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"bundled scenarios: {', '.join(bundled_scenarios())}" in text
    assert "`solidarity-sim schema` prints every key" in text and "docs/ODD.md" in text


def test_a_town_where_no_cso_can_exist_is_refused_and_one_without_csos_at_first_warned(
        tmp_path, capsys):
    assert main(["run", "--weeks", "3", "--set", "population.citizens=10", "--set",
                 "population.neighbourhoods=500", "--set", "csos.founding_rate=0", "--out",
                 str(tmp_path / "a")]) == 2
    err = one_paragraph(capsys.readouterr().err)
    assert err.startswith("solidarity-sim: error: --set: a town of 10 citizens in 500 "
                          "neighbourhoods with csos.density 10 per 10,000 citizens founds "
                          "0.01 CSOs at the start, which rounds to none")
    assert "nobody could ever volunteer" in err and "population.citizens from 501" in err
    assert not (tmp_path / "a").exists()
    assert main(["run", "pandemic", "--weeks", "3", "--set", "population.citizens=300",
                 "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == (
        "solidarity-sim: warning: --set: a town of 300 citizens in 1 neighbourhood with "
        "csos.density 10 per 10,000 citizens founds 0.3 CSOs at the start, which rounds to "
        "none; nobody can volunteer until an association is founded where need is left unmet "
        "or a crisis founds an informal group. For CSOs from the start: population.citizens "
        "from 501 at this density, or csos.density above 16.7 for this town\n")


def test_a_density_too_small_to_invert_is_refused_without_a_size_to_suggest(tmp_path, capsys):
    """Found by hypothesis: 10,000 / 2 / 2.2e-309 overflows to infinity."""
    assert main(["run", "--weeks", "3", "--set", "csos.density=2.2e-309", "--set",
                 "csos.founding_rate=0", "--out", str(tmp_path / "a")]) == 2
    err = one_paragraph(capsys.readouterr().err)
    assert "nobody could ever volunteer" in err and "population.citizens from" not in err
    assert "Allowed: csos.density above 0.5 for this town" in err


@pytest.mark.slow  # mounts a tmpfs
def test_a_full_disk_while_writing_a_run_leaves_no_half_written_file(tmp_path, capsys):
    with small_disk(tmp_path / "disk", free=100_000):
        out = tmp_path / "disk" / "run"
        assert main(["run", "--weeks", "20", "--set", "population.citizens=800", "--out",
                     str(out)]) == 2
        err = one_paragraph(capsys.readouterr().err)
        assert err.startswith(f"solidarity-sim: error: {out}/")
        assert "cannot write the file (No space left on device: free some space" in err
        written = {p.name: p for p in out.iterdir()}
        assert written and "overview.png" not in written  # it stopped part-way...
        assert not [name for name in written if name.endswith(".tmp")]
        for name, path in written.items():  # ...and every file under a final name is whole
            if name.endswith(".parquet"):
                pd.read_parquet(path)
            else:
                json.loads(path.read_text())
