"""Fuzzing the scenario loader: random TOML files and random dotted overrides raise nothing but
a ScenarioError (hypothesis)."""

from __future__ import annotations

import warnings

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solidarity_sim as ss
from tests.fuzz import DOTTED, VALUES, trees

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(trees(), st.booleans(), st.sampled_from([None, "baseline", "pandemic"]))
def test_any_scenario_file_loads_or_raises_a_scenario_error(tmp_path, tree, bom, extends):
    if extends:
        tree = {**tree, "extends": extends}
    path = tmp_path / "fuzz.toml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + tomli_w.dumps(tree).encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.model.checks.Notice)
        try:
            scenario = ss.load_scenario(path)
        except ss.ScenarioError as err:
            assert str(path) in str(err) or "scenario" in str(err)
        else:
            assert scenario.params["name"]


@FUZZ
@given(st.dictionaries(DOTTED, VALUES, max_size=4))
def test_any_dotted_overrides_apply_or_raise_a_scenario_error(overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.model.checks.Notice)
        try:
            ss.load_scenario("baseline", overrides, where="--set")
        except ss.ScenarioError as err:
            assert str(err).startswith("--set")
