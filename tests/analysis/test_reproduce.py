"""``reproduce`` on run, compare and sweep folders: identical when untouched, and exactly which
numbers, files and versions differ when edited; every folder's RO-Crate metadata loads back with
the ``rocrate`` library and describes inputs, parameters, seeds, software and outputs."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rocrate.rocrate import ROCrate

import solidarity_sim as ss
from solidarity_sim.analysis.reproduction import reproduce
from solidarity_sim.cli import main
from tests.analysis.test_compare import TINY, TINY_WEEKS
from tests.batch.test_sweep import serial

__all__ = ["serial"]  # the sweep fixture
RUN = {"population.citizens": 600, "population.neighbourhoods": 3}
SETS = [arg for path, value in TINY.items() for arg in ("--set", f"{path}={value}")]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run written by ``RunResult.save`` with the figure: the files of ``run --out``."""
    result = ss.run("baseline", seed=4, weeks=30, overrides=RUN)
    return result.save(tmp_path_factory.mktemp("run") / "out", figure=ss.run_figure(result))


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    assert main(["compare", "baseline", "austerity", "--replications", "2", "--weeks",
                 str(TINY_WEEKS), *SETS, "--workers", "1", "--out", str(out)]) == 0
    return out


def edit_parquet(path, column, row, change):
    """Change one number of a Parquet file, as someone editing the results would."""
    table = pq.read_table(path).to_pandas()
    table.loc[row, column] += change
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), path)


def test_save_writes_the_same_files_as_the_run_command(run_folder, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["run", "--seed", "4", "--weeks", "30", *[a for p, v in RUN.items()
                                                          for a in ("--set", f"{p}={v}")],
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in run_folder.iterdir())
    for name in ("timeseries", "spells", "csos", "events"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"),
                                      pd.read_parquet(run_folder / f"{name}.parquet"))
    assert (out / "overview.png").read_bytes()[:8] == (run_folder / "overview.png").read_bytes()[:8]


def test_a_run_folder_reproduces_and_an_edited_number_is_named(run_folder, tmp_path, capsys):
    assert reproduce(run_folder).identical
    edited = shutil.copytree(run_folder, tmp_path / "edited")
    edit_parquet(edited / "timeseries.parquet", "volunteer_share", 12, 0.5)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["libraries"]["numpy"] = "0.0.1"
    (edited / "manifest.json").write_text(json.dumps(manifest))
    assert main(["reproduce", str(edited)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == "DIFFERENT: 1 of 1 run(s) do not reproduce the recorded numbers:"
    now = pd.read_parquet(run_folder / "timeseries.parquet")["volunteer_share"].iloc[12]
    assert printed[2] == (f"  run: timeseries.parquet: volunteer_share: week 12: recorded "
                          f"{float(now + 0.5)!r}, now {float(now)!r} (1 row(s))")
    assert printed[3].startswith("versions that differ from the recorded ones (recorded -> "
                                 f"now): numpy 0.0.1 -> {ss.versions.library_versions()['numpy']}")


def test_a_comparison_reproduces_and_edited_numbers_are_named(compare_folder, tmp_path, capsys):
    assert main(["reproduce", str(compare_folder), "--workers", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "identical: every recorded number of the 4 run(s) is reproduced exactly")
    edited = shutil.copytree(compare_folder, tmp_path / "edited")
    runs = pd.read_parquet(edited / "runs.parquet")
    row = runs.index[(runs["scenario"] == "austerity") & (runs["replication"] == 1)
                     & (runs["outcome"] == "unmet_need")][0]
    edit_parquet(edited / "runs.parquet", "value", row, 1.0)
    edit_parquet(edited / "runs" / "s00-r0000.parquet", "unmet_need", 0, -0.01)
    found = reproduce(edited, workers=1)
    assert not found.identical
    assert [(d.run, d.file, d.column, d.rows) for d in found.differences] == [
        ("s00-r0000", "runs/s00-r0000.parquet", "unmet_need", 1),
        ("s01-r0001", "runs.parquet", "value", 1)]
    assert found.differences[1].first.startswith("outcome unmet_need: recorded ")
    assert found.damaged == ["run s00-r0000: runs/s00-r0000.parquet does not match its SHA-256 "
                             "(damaged or changed after writing)"]


def test_a_sweep_reproduces_all_or_a_sample_and_names_an_edited_run(serial, tmp_path):
    everything = reproduce(serial, workers=1)
    assert everything.identical and len(everything.runs) == everything.stored == 8
    sample = reproduce(serial, sample=3, sample_seed=5, workers=1)
    assert sample.identical and len(sample.runs) == 3
    assert sample.runs == reproduce(serial, sample=3, sample_seed=5, workers=1).runs
    edited = shutil.copytree(serial, tmp_path / "edited")
    edit_parquet(edited / "series" / "run-000005.parquet", "volunteer_share", 40, 0.1)
    found = reproduce(edited, workers=1)
    assert [(d.run, d.file, d.column, d.rows) for d in found.differences] == [
        ("run-000005", "series/run-000005.parquet", "volunteer_share", 1)]
    assert found.differences[0].first.startswith("week 40: recorded ")
    assert found.damaged == ["run run-000005: series/run-000005.parquet does not match its "
                             "SHA-256 (damaged or changed after writing)"]


def check_crate(folder, kind: str, outputs: set[str], parameters: set[str]) -> None:
    """Load the metadata back with rocrate and check the entities a citation needs."""
    crate = ROCrate(folder)
    root = crate.root_dataset
    assert root["name"].startswith(f"solidarity-sim {kind}: ")
    assert root["datePublished"] and root["description"]
    (action,) = crate.get_by_type("CreateAction")
    software = action["instrument"]
    assert software["name"] == "solidarity-sim" and software["version"] == ss.__version__
    libraries = {lib["name"]: lib["version"] for lib in software["softwareRequirements"]}
    assert libraries["numpy"] == ss.versions.library_versions()["numpy"] and "python" in libraries
    results = {entity.id.rstrip("/") for entity in action["result"]}
    assert outputs <= results
    assert all((folder / name).exists() for name in results)
    values = {p["name"]: p["value"] for p in action["object"] if p.type == "PropertyValue"}
    assert parameters <= set(values), parameters - set(values)


def test_every_output_folder_carries_ro_crate_metadata(run_folder, compare_folder, serial):
    check_crate(run_folder, "run", {"timeseries.parquet", "overview.png", "manifest.json"},
                {"seed", "population.citizens", "csos.factors.meaning", "weeks"})
    check_crate(compare_folder, "comparison",
                {"summary.csv", "report.html", "runs", "records", "manifest.json"},
                {"seed", "seeds", "replications", "scenarios.s01.hash"})
    check_crate(serial, "sweep", {"runs", "series", "design.parquet", "records"},
                {"seed", "replications", "parameters.csos.factors.meaning", "seeds.runs",
                 "design.method"})
