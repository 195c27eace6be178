"""Fuzzing the command line: random options and files end in exit status 0, 1 or 2, never in a
traceback (hypothesis, in this process: an exception that escapes ``main`` is the traceback a
user would see)."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidarity_sim.cli import main
from tests.fuzz import DOTTED, SCALARS, trees

TINY = ["--weeks", "3", "--set", "population.citizens=600", "--set",
        "population.neighbourhoods=3"]
"""Appended last, so that a random run that is valid stays tiny (the last value wins)."""
OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--set"), st.builds("{}={}".format, DOTTED,
                                          st.one_of(st.text(max_size=8), SCALARS.map(str)))),
    st.tuples(st.just("--weeks"), st.one_of(st.integers(-5, 10**7).map(str),
                                            st.text(max_size=4))),
    st.tuples(st.just("--seed"), st.one_of(st.integers(-5, 2**70).map(str),
                                           st.text(max_size=4)))), max_size=4)


def run_main(args: list[str], capsys) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            status = main(args)
        except SystemExit as done:  # argparse: --help or a bad option
            status = done.code
    assert status in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(["run", "compare"]), options=OPTIONS)
def test_random_options_never_end_in_a_traceback(command, options, capsys):
    flat = [part for pair in options for part in pair]
    scenarios = ["baseline"] if command == "run" else ["baseline", "austerity",
                                                       "--replications", "2", "--workers", "1"]
    with tempfile.TemporaryDirectory() as out:
        run_main([command, *scenarios, *flat, *TINY, "--out", str(Path(out) / "out")], capsys)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(trees(), st.sampled_from(["check", "sweep"]))
def test_random_files_never_end_in_a_traceback(tmp_path, capsys, tree, command):
    path = tmp_path / "fuzz.toml"
    path.write_text(tomli_w.dumps(tree))
    extra = ["--workers", "1", "--out", str(tmp_path / "out")] if command == "sweep" else []
    run_main([command, str(path), *extra], capsys)


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe", b"name = 'x'\n[[[", b""])
def test_unreadable_files_never_end_in_a_traceback(tmp_path, capsys, garbage):
    path = tmp_path / "bad.toml"
    path.write_bytes(garbage)
    for command in (["check", str(path)], ["run", str(path)], ["sweep", str(path)],
                    ["calibrate", str(path), "--out", str(tmp_path / "out")]):
        run_main(command, capsys)
