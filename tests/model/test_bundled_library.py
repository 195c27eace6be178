"""The scenario library: what each bundled scenario states, draws on and does in a short run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from solidarity_sim.model.scenario import bundled_scenarios, load_scenario
from tests.helpers import small_run

DOCUMENTS = ("[SOLIDUS]", "[VALLECAS]", "[SSOLEIL]")
"""The citation keys of the three source documents (docs/sources.md)."""
LIBRARY = ("great-recession", "refugee-reception", "pandemic-vallecas", "sse-support",
           "austerity", "project-grants", "core-funding", "performance-funding", "procurement")
FUNDING_VARIANTS = {"project-grants": "project_grants", "core-funding": "core_funding",
                    "performance-funding": "performance", "procurement": "procurement"}
SOURCES_MD = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text()


def own_keys(name: str) -> dict:
    return tomllib.loads(bundled_scenarios()[name].read_text(encoding="utf-8"))


def without(params: dict, *paths: str) -> dict:
    """A copy of the parameters without the given top-level keys or ``table.key`` entries."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    for path in paths:
        head, _, tail = path.partition(".")
        if tail:
            out[head] = without(out[head], tail)
        else:
            out.pop(head, None)
    return out


def test_the_library_is_bundled():
    assert set(LIBRARY) | {"baseline", "pandemic"} <= set(bundled_scenarios())


@pytest.mark.parametrize("name", LIBRARY)
def test_each_scenario_says_what_it_is_and_cites_a_source(name):
    data = own_keys(name)
    assert data["name"] == name
    description = " ".join(data["description"].split())
    assert len(description) > 200
    cited = [k for k in DOCUMENTS if k in description or any(k in x for x in data["sources"])]
    assert cited, "cite a source document by its key, e.g. [SOLIDUS] (docs/sources.md)"
    assert all(f'<a id="{k.strip("[]").lower()}"></a>' in SOURCES_MD for k in cited)


@pytest.mark.parametrize(("name", "policy"), FUNDING_VARIANTS.items())
def test_funding_variants_change_only_how_the_same_money_is_paid(name, policy):
    variant = load_scenario(name).params
    recession = load_scenario("great-recession").params
    assert variant["state"]["funding"]["policy"] == policy
    assert variant["state"]["funding"]["budget"] == 10.0
    assert recession["state"]["funding"]["budget"] == 10.0
    meta = ("name", "description", "sources")
    assert without(variant, *meta, "state.funding") == without(recession, *meta,
                                                               "state.funding")
    assert own_keys(name)["extends"] == "great-recession"


def test_austerity_is_the_recession_with_deeper_cuts():
    austerity = load_scenario("austerity").params
    recession = load_scenario("great-recession").params
    core = load_scenario("core-funding").params
    assert austerity["state"]["funding"] == core["state"]["funding"]
    assert austerity["state"]["austerity"]["start"] == recession["state"]["austerity"]["start"]
    assert austerity["state"]["austerity"]["cut"] > recession["state"]["austerity"]["cut"] > 0
    assert austerity["crises"] == recession["crises"]


def test_great_recession_is_a_decade_with_cuts_from_the_crisis_second_year():
    s = load_scenario("great-recession")
    (crisis,) = s.get("crises")
    assert s.get("weeks") == 520
    assert crisis["kind"] == "economic"
    assert s.get("state.austerity.start") == crisis["onset"] + 52
    assert s.get("state.funding.policy") == "none"


def test_great_recession_raises_need_then_cuts_welfare():
    ts = small_run("great-recession", weeks=110).timeseries
    before, during = ts.loc[ts["week"] < 52], ts.loc[ts["week"].between(60, 100)]
    assert during["need_total"].mean() > 1.3 * before["need_total"].mean()
    coverage = ts.set_index("week")["welfare_coverage"]
    assert coverage[103] == pytest.approx(0.6)
    assert coverage[104] == pytest.approx(0.6 * 0.8)
    assert (ts["state_spending"] == 0).all()


@pytest.mark.parametrize("name", [*FUNDING_VARIANTS, "austerity"])
def test_funding_variants_pay_csos_and_cut_with_austerity(name):
    ts = small_run(name, weeks=110).timeseries.set_index("week")
    weekly = 10 * 1500 / 52
    assert ts.loc[:103, "spending_funding"].max() <= weekly * (1 + 1e-9)
    assert ts["spending_funding"].sum() > 0
    cut = load_scenario(name).get("state.austerity.cut")
    assert ts.loc[104:, "spending_funding"].max() <= weekly * (1 - cut) * (1 + 1e-9)


def test_refugee_reception_brings_newcomers_whose_need_welfare_barely_covers():
    s = load_scenario("refugee-reception")
    (crisis,) = s.get("crises")
    assert crisis["kind"] == "migration"
    assert s.get("state.newcomer_coverage") < s.get("state.welfare_coverage")
    ts = small_run("refugee-reception", weeks=120).timeseries.set_index("week")
    assert ts.loc[119, "citizens"] == 1500 + round(crisis["arrivals"] * 1500)
    assert ts.loc[119, "need_minority"] > 1.2 * ts.loc[40, "need_minority"]
    assert ts.loc[110:, "unmet_need_minority"].mean() > ts.loc[:50, "unmet_need_minority"].mean()


def test_inclusive_csos_leave_newcomers_less_unmet_need_than_exclusive_ones():
    unmet = {}
    for pluralism in (0.05, 0.95):
        runs = [small_run("refugee-reception", seed=seed, weeks=120,
                          csos__factors__pluralism=pluralism).timeseries
                for seed in (1, 2)]
        unmet[pluralism] = np.mean([ts.loc[ts["week"] >= 104, "unmet_need_minority"].mean()
                                    for ts in runs])
    assert unmet[0.95] < unmet[0.05]


def test_pandemic_vallecas_founds_neighbourhood_groups_that_can_formalise_after_two_years():
    s = load_scenario("pandemic-vallecas")
    kinds = [c["kind"] for c in s.get("crises")]
    assert kinds == ["pandemic", "economic"]
    pandemic = s.get("crises")[0]
    assert s.get("emergence.enabled")
    assert s.get("weeks") >= pandemic["onset"] + 104
    # about one group per 10,000 citizens in the first year: a district of 40,000
    result = small_run("pandemic-vallecas", weeks=60, population__citizens=40_000,
                       population__neighbourhoods=0)
    assert (result.csos["origin"] == "emerged").sum() >= 2


def test_sse_support_runs_every_ssoleil_lever():
    s = load_scenario("sse-support")
    assert s.get("state.funding.policy") == "procurement"
    ts = small_run("sse-support", weeks=60).timeseries
    for item in ("funding", "campaign", "network", "training"):
        assert ts[f"spending_{item}"].sum() > 0, item
