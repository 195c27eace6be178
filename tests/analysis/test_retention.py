"""Kaplan–Meier retention curves of volunteer spells (lifelines) on real runs of the model."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

import solidarity_sim as ss
from solidarity_sim.analysis.retention import pool, retention_curves, spells_started_in_run
from solidarity_sim.analysis.validation import fixed_hazards
from solidarity_sim.viz.retention_plots import retention_figure, survival

QUIT = 0.02


@pytest.fixture(scope="module")
def chain_run():
    """Fixed weekly hazards, no factor effects: spell lengths are geometric."""
    return ss.run("baseline", seed=3, overrides={
        **fixed_hazards(0.01, QUIT), "population.citizens": 1500, "weeks": 260,
        "csos.density": 20})


SMALL_TOWN = {"population.citizens": 2000, "population.neighbourhoods": 4, "weeks": 208}


@pytest.fixture(scope="module")
def baseline_runs():
    """Three small baseline runs, to pool."""
    return [ss.run("baseline", seed=s, overrides=SMALL_TOWN) for s in range(3)]


def paired_runs(factor):
    """The same town and seed with the factor's mean level at 0.2 and at 0.8 (little spread).

    No CSO closes or is founded, so both towns keep the same CSOs (the two groups of the curves
    are then the two runs).
    """
    return [ss.run("baseline", seed=0, overrides={
        **SMALL_TOWN, "population.citizens": 6000, "population.neighbourhoods": 0,
        "csos.factor_spread": 0.05, f"csos.factors.{factor}": level,
        "csos.closure_rate": 0.0, "csos.founding_rate": 0.0})
        for level in (0.2, 0.8)]


def test_curves_follow_the_geometric_law_of_fixed_hazards(chain_run):
    curves = retention_curves(chain_run.spells, chain_run.csos, "meaning", groups=2)
    q = -math.expm1(-QUIT)  # a spell of w weeks survives w + 1 weekly quit draws
    for week in (13, 52, 104):
        rows = curves.curves[curves.curves["week"] == week]
        expected = (1 - q) ** (week + 1)
        assert ((rows["ci_lower"] <= expected) & (expected <= rows["ci_upper"])).all(), (
            week, expected, rows)
    median = math.ceil(math.log(0.5) / math.log(1 - q)) - 1
    g = curves.groups
    assert ((g["median_lower"] <= median) & (median <= g["median_upper"])).all(), g
    # the factors have no effect here, so the groups must not differ
    assert curves.logrank_p > 0.05


def test_tables_count_the_spells_that_began_during_the_run(baseline_runs):
    spells, csos = pool(baseline_runs)
    assert (spells["start"] < 0).any(), "the initial volunteers' spells are left-truncated"
    new = spells_started_in_run(spells)
    curves = retention_curves(spells, csos, "democracy", groups=2)
    g = curves.groups
    assert g["spells"].sum() == len(new)
    assert g["quits"].sum() == (new["reason"] != "ongoing").sum()
    first = curves.curves[curves.curves["week"] == 0]
    assert first["at_risk"].sum() == len(new)
    for _, c in curves.curves.groupby("group", observed=True):
        assert (np.diff(c["survival"]) <= 1e-12).all()
        assert ((c["ci_lower"] <= c["survival"] + 1e-12)
                & (c["survival"] <= c["ci_upper"] + 1e-12)).all()
        assert (np.diff(c["at_risk"]) <= 0).all()


@pytest.mark.parametrize("factor", ["meaning", "democracy"])
def test_meaning_and_democracy_raise_retention(factor):
    spells, csos = pool(paired_runs(factor))
    curves = retention_curves(spells, csos, factor, groups=2)
    g = curves.groups
    assert list(g["group"].str.split().str[0]) == ["low", "high"]
    assert g["level_max"].iloc[0] < 0.5 < g["level_min"].iloc[1], "one run per group"
    assert g["retained_1y"].iloc[1] > g["retained_1y"].iloc[0], g
    assert g["median_weeks"].iloc[1] > g["median_weeks"].iloc[0], g
    assert curves.logrank_p < 0.05, curves.logrank_p


def test_terciles_are_named_low_middle_high(baseline_runs):
    spells, csos = pool(baseline_runs)
    g = retention_curves(spells, csos, "meaning").groups
    assert list(g["group"].str.split().str[0]) == ["low", "middle", "high"]
    assert (g["level_max"].to_numpy()[:-1] < g["level_min"].to_numpy()[1:]).all()
    assert g["csos"].sum() == csos["cso"].isin(spells_started_in_run(spells)["cso"]).sum()


def test_pool_numbers_csos_uniquely_across_runs(baseline_runs):
    spells, csos = pool(baseline_runs)
    assert csos["cso"].is_unique
    assert len(csos) == sum(len(r.csos) for r in baseline_runs)
    assert set(spells["cso"]) <= set(csos["cso"])
    assert sorted(spells["run"].unique()) == [0, 1, 2]
    second = baseline_runs[1]
    offset = len(baseline_runs[0].csos)
    mine = spells[spells["run"] == 1]
    np.testing.assert_array_equal(mine["cso"] - offset, second.spells["cso"])


def test_bad_arguments_name_what_is_allowed(chain_run):
    with pytest.raises(ValueError, match="unknown factor 'joy'.*meaning"):
        retention_curves(chain_run.spells, chain_run.csos, "joy")
    with pytest.raises(ValueError, match="at least 2"):
        retention_curves(chain_run.spells, chain_run.csos, groups=1)
    old = chain_run.spells[chain_run.spells["start"] < 0]
    with pytest.raises(ValueError, match="no volunteer spell began"):
        retention_curves(old, chain_run.csos)


def test_figure_is_labelled(baseline_runs, tmp_path):
    spells, csos = pool(baseline_runs)
    curves = retention_curves(spells, csos, "meaning")
    ax = survival(curves.curves, curves.groups)
    assert ax.get_xlabel() == "weeks since joining"
    assert ax.get_ylabel() == "share still volunteering"
    assert "log-rank p" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 3 and all("median" in t for t in labels)
    plt.close(ax.figure)
    fig = retention_figure([(curves.curves, curves.groups)] * 2, title="test")
    fig.savefig(tmp_path / "km.png")
    assert (tmp_path / "km.png").stat().st_size > 10_000
    plt.close(fig)
