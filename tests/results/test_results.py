"""The run entry point, its tables, the manifest and Parquet output."""

import json

import numpy as np
import pandas as pd

from solidarity_sim.results.run_result import RunResult
from tests.helpers import small_run

REQUIRED = ["week", "volunteers", "volunteer_share", "joins", "quits", "quits_burnout",
            "retention_12m", "csos_active", "csos_informal", "csos_founded", "csos_dissolved",
            "recognition_mean", "capacity_gini", "need_total", "need_met_state", "need_met_csos",
            "unmet_need", "unmet_need_minority", "state_spending"]


def test_timeseries_has_one_row_per_week_and_the_required_columns(baseline_small):
    ts = baseline_small.timeseries
    assert list(ts["week"]) == list(range(80))
    assert set(REQUIRED) <= set(ts.columns)
    assert ts["retention_12m"].iloc[:52].isna().all()
    assert ts["retention_12m"].iloc[52:].notna().all()


def test_retention_is_the_share_of_last_years_volunteers_still_volunteering(baseline_small):
    sp = baseline_small.spells
    week = 70
    then = sp[(sp["start"] <= week - 52) & (sp["end"].isna() | (sp["end"] > week - 52))]
    still = sp[(sp["start"] <= week) & (sp["end"].isna() | (sp["end"] > week))]
    expected = then["citizen"].isin(still["citizen"]).mean()
    assert np.isclose(baseline_small.timeseries.loc[week, "retention_12m"], expected)


def test_spells_and_csos_tables(baseline_small):
    sp, cs = baseline_small.spells, baseline_small.csos
    assert list(sp.columns[:5]) == ["citizen", "cso", "start", "end", "reason"]
    ended = sp.dropna(subset=["end"])
    assert (ended["end"] >= ended["start"]).all()
    assert sp["cso"].between(0, len(cs) - 1).all()
    assert {"formal", "origin", "founded", "dissolved", "factor_meaning", "recognition",
            "scale", "budget"} <= set(cs.columns)


def test_manifest_records_what_is_needed_to_reproduce(baseline_small):
    man = baseline_small.manifest
    assert man["seed"] == 0 and man["scenario"] == "baseline"
    assert len(man["scenario_hash"]) == 64
    assert {"mesa", "numpy", "pandas", "python"} <= set(man["libraries"])
    assert man["overrides"]["population.citizens"] == 1500
    assert man["parameters"]["population"]["citizens"] == 1500


def test_save_writes_parquet_and_manifest_that_load_back(tmp_path, baseline_small):
    out = baseline_small.save(tmp_path / "run")
    assert {p.name for p in out.iterdir()} == {"timeseries.parquet", "spells.parquet",
                                               "csos.parquet", "events.parquet", "manifest.json",
                                               "ro-crate-metadata.json"}
    back = RunResult.load(out)
    pd.testing.assert_frame_equal(back.timeseries, baseline_small.timeseries)
    pd.testing.assert_frame_equal(back.spells, baseline_small.spells)
    pd.testing.assert_frame_equal(back.csos, baseline_small.csos)
    assert json.loads((out / "manifest.json").read_text()) == baseline_small.manifest


def test_weeks_argument_overrides_the_horizon():
    assert len(small_run(weeks=7).timeseries) == 7
