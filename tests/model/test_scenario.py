"""Tests of the scenario loader: defaults, ``extends``, overrides, hashing and error messages."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from solidarity_sim.model.parameters import (
    CRISIS_KIND_DEFAULTS,
    CRISIS_SCHEMA,
    FACTORS,
    SCHEMA,
    defaults,
    iter_params,
)
from solidarity_sim.model.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    parse_assignment,
)

METADATA = ("name", "description", "sources")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run from an empty working directory, so relative ``extends`` cannot hit stray files."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


# -- defaults -------------------------------------------------------------------------------------


def test_no_scenario_gives_the_schema_defaults():
    scenario = load_scenario(None)
    assert scenario.origin == "defaults"
    assert scenario.overrides == ()
    assert scenario.params == defaults()
    assert scenario.name == SCHEMA["name"].default
    for path, param in iter_params():
        assert scenario.get(path) == param.default, path


def test_a_file_with_only_a_name_is_filled_with_every_default(tmp_path, elsewhere):
    path = write(tmp_path, "tiny.toml", 'name = "tiny"\n')
    scenario = load_scenario(path)
    assert scenario.name == "tiny"
    assert scenario.origin == str(path)
    expected = defaults()
    expected["name"] = "tiny"
    assert scenario.params == expected
    # every leaf of the schema is present, including every factor
    for path_, _ in iter_params():
        scenario.get(path_)
    assert set(scenario.params["csos"]["factors"]) == set(FACTORS)


def test_defaults_are_copies_not_shared_state():
    first = load_scenario(None)
    first.params["population"]["citizens"] = 12
    first.params["sources"].append("mutated")
    assert load_scenario(None).params == defaults()
    assert SCHEMA["sources"].default == []


def test_crisis_entries_are_completed_with_crisis_defaults(tmp_path, elsewhere):
    path = write(tmp_path, "c.toml", 'name = "c"\n[[crises]]\nkind = "migration"\nonset = 10\n')
    crisis = load_scenario(path).params["crises"][0]
    assert set(crisis) == set(CRISIS_SCHEMA)
    assert crisis["kind"] == "migration"
    assert crisis["onset"] == 10
    kind_defaults = CRISIS_KIND_DEFAULTS["migration"]
    assert crisis["shared_risk"] == kind_defaults["shared_risk"] == 0.5  # the kind's default
    for key in set(CRISIS_SCHEMA) - {"kind", "onset"} - set(kind_defaults):
        assert crisis[key] == CRISIS_SCHEMA[key].default, key


@pytest.mark.parametrize(("kind", "shared_risk"), [("economic", 0.2), ("migration", 0.5),
                                                   ("pandemic", 1.0)])
def test_a_crisis_kind_sets_its_own_defaults_and_a_file_overrides_them(tmp_path, kind,
                                                                      shared_risk):
    path = write(tmp_path, "k.toml", f'name = "k"\n[[crises]]\nkind = "{kind}"\n'
                                     f'[[crises]]\nkind = "{kind}"\nshared_risk = 0.7\n')
    crises = load_scenario(path).params["crises"]
    assert [c["shared_risk"] for c in crises] == [shared_risk, 0.7]


# -- bundled scenarios ----------------------------------------------------------------------------


def test_bundled_scenarios_include_baseline_and_pandemic():
    bundled = bundled_scenarios()
    assert {"baseline", "pandemic"} <= set(bundled)
    assert list(bundled) == sorted(bundled)
    for name, path in bundled.items():
        assert path.is_file() and path.suffix == ".toml" and path.stem == name


def test_bundled_name_and_bundled_path_load_the_same_scenario():
    by_name = load_scenario("pandemic")
    by_path = load_scenario(bundled_scenarios()["pandemic"])
    assert by_name.params == by_path.params
    assert by_name.hash == by_path.hash
    assert by_name.name == "pandemic"


def test_baseline_is_the_defaults_apart_from_its_description():
    baseline = load_scenario("baseline")
    plain = defaults()
    for key in METADATA:
        plain.pop(key)
        baseline.params.pop(key)
    assert baseline.params == plain


def test_pandemic_scenario_values():
    pandemic = load_scenario("pandemic")
    assert pandemic.params["weeks"] == 156
    [crisis] = pandemic.params["crises"]
    assert crisis["kind"] == "pandemic"
    assert crisis["onset"] == 26 and crisis["duration"] == 12
    assert crisis["recovery"] == 8.0 and isinstance(crisis["recovery"], float)
    assert crisis["arrivals"] == CRISIS_SCHEMA["arrivals"].default


def test_a_scenario_object_is_accepted_as_is():
    pandemic = load_scenario("pandemic")
    assert load_scenario(pandemic) is pandemic
    assert pandemic.with_overrides(None) is pandemic
    assert pandemic.with_overrides({}) is pandemic


# -- extends --------------------------------------------------------------------------------------


PARENT = """\
name = "parent"
weeks = 100

[population]
citizens = 2000

[csos.factors]
meaning = 0.9
democracy = 0.2

[[crises]]
kind = "economic"
onset = 20
"""


def test_child_states_only_what_differs_from_its_parent(tmp_path, elsewhere):
    write(tmp_path, "parent.toml", PARENT)
    child_path = write(tmp_path, "child.toml", 'name = "child"\nextends = "parent.toml"\n'
                                               "[csos.factors]\nmeaning = 0.3\n")
    child = load_scenario(child_path)
    parent = load_scenario(tmp_path / "parent.toml")
    assert child.name == "child"
    assert child.get("weeks") == 100
    assert child.get("population.citizens") == 2000
    assert child.get("csos.factors.meaning") == 0.3
    assert child.get("csos.factors.democracy") == 0.2
    # untouched by both files: the default
    assert child.get("csos.factors.pluralism") == SCHEMA["csos"]["factors"]["pluralism"].default
    assert child.get("crises.0.onset") == 20
    assert "extends" not in child.params
    # the parent is unaffected, and the two differ only where the child said so
    assert parent.get("csos.factors.meaning") == 0.9
    expected = copy.deepcopy(parent.params)
    expected["name"] = "child"
    expected["csos"]["factors"]["meaning"] = 0.3
    assert child.params == expected


def test_extends_chains_over_several_files(tmp_path, elsewhere):
    write(tmp_path, "grand.toml", 'name = "grand"\nweeks = 60\n[donations]\nper_capita = 9.0\n')
    write(tmp_path, "parent.toml", 'name = "parent"\nextends = "grand.toml"\nweeks = 70\n')
    child = load_scenario(write(tmp_path, "child.toml",
                                'extends = "parent.toml"\n[donations]\ncrisis_sensitivity = 0.1\n'))
    assert child.name == "parent"  # inherited, since the child does not name itself
    assert child.get("weeks") == 70
    assert child.get("donations.per_capita") == 9.0
    assert child.get("donations.crisis_sensitivity") == 0.1


def test_extends_a_bundled_scenario_by_name(tmp_path, elsewhere):
    child = load_scenario(write(tmp_path, "short.toml",
                                'name = "short-pandemic"\nextends = "pandemic"\nweeks = 52\n'))
    pandemic = load_scenario("pandemic")
    assert child.name == "short-pandemic"
    assert child.get("weeks") == 52
    assert child.params["crises"] == pandemic.params["crises"]
    assert child.hash != pandemic.hash


def test_a_childs_crises_list_replaces_the_parents(tmp_path, elsewhere):
    child = load_scenario(write(tmp_path, "m.toml", 'name = "m"\nextends = "pandemic"\n'
                                                    '[[crises]]\nkind = "migration"\nonset = 5\n'))
    assert [c["kind"] for c in child.params["crises"]] == ["migration"]
    assert child.get("crises.0.onset") == 5


def test_extends_is_resolved_next_to_the_extending_file(tmp_path, elsewhere):
    write(tmp_path, "sub/parent.toml", 'name = "p"\nweeks = 22\n')
    child = load_scenario(write(tmp_path, "sub/child.toml", 'extends = "parent.toml"\n'))
    assert child.get("weeks") == 22


def test_extends_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path, "parent.toml", 'name = "stray"\nweeks = 11\n')
    write(tmp_path, "sub/parent.toml", 'name = "sibling"\nweeks = 22\n')
    child = write(tmp_path, "sub/child.toml", 'extends = "parent.toml"\n')
    monkeypatch.chdir(tmp_path)
    assert load_scenario(child).get("weeks") == 22
    monkeypatch.chdir(tmp_path / "sub")
    assert load_scenario("child.toml").get("weeks") == 22


def test_extends_accepts_relative_and_absolute_paths(tmp_path, elsewhere):
    write(tmp_path, "common/base.toml", 'name = "common"\nweeks = 33\n')
    relative = write(tmp_path, "mine/a.toml", 'extends = "../common/base.toml"\n')
    absolute = write(tmp_path, "mine/b.toml",
                     f'extends = "{(tmp_path / "common" / "base.toml").as_posix()}"\n')
    assert load_scenario(relative).get("weeks") == 33
    assert load_scenario(absolute).get("weeks") == 33


def test_a_file_beside_the_scenario_wins_over_a_bundled_name(tmp_path, elsewhere):
    write(tmp_path, "pandemic", 'name = "local"\nweeks = 44\n')
    child = load_scenario(write(tmp_path, "c.toml", 'extends = "pandemic"\n'))
    assert child.name == "local" and child.get("weeks") == 44
    assert child.params["crises"] == []


# -- overrides ------------------------------------------------------------------------------------


def test_dotted_override_changes_one_value_only():
    base = load_scenario("baseline")
    changed = load_scenario("baseline", {"csos.factors.meaning": 0.8})
    assert changed.get("csos.factors.meaning") == 0.8
    assert changed.overrides == (("csos.factors.meaning", 0.8),)
    expected = copy.deepcopy(base.params)
    expected["csos"]["factors"]["meaning"] = 0.8
    assert changed.params == expected
    assert base.params == load_scenario("baseline").params  # the original is not mutated


def test_overrides_accumulate_on_a_scenario():
    first = load_scenario("baseline", {"weeks": 10})
    second = first.with_overrides({"population.citizens": 900, "state.funding.policy":
                                   "core_funding"})
    assert second.get("weeks") == 10
    assert second.get("population.citizens") == 900
    assert second.get("state.funding.policy") == "core_funding"
    assert [k for k, _ in second.overrides] == ["weeks", "population.citizens",
                                                "state.funding.policy"]
    assert first.get("population.citizens") == load_scenario("baseline").get("population.citizens")


def test_crisis_entries_can_be_overridden_by_index():
    pandemic = load_scenario("pandemic")
    changed = load_scenario("pandemic", {"crises.0.onset": 40, "crises.0.severity": 0.9})
    assert changed.get("crises.0.onset") == 40
    assert changed.get("crises.0.severity") == 0.9
    assert changed.get("crises.0.kind") == "pandemic"
    assert changed.get("crises.0.duration") == pandemic.get("crises.0.duration")
    assert pandemic.get("crises.0.onset") == 26


def test_the_whole_crises_list_can_be_overridden():
    changed = load_scenario("baseline", {"crises": [{"kind": "migration", "onset": 10}]})
    [crisis] = changed.params["crises"]
    assert crisis["kind"] == "migration" and crisis["onset"] == 10
    assert crisis["arrivals"] == CRISIS_SCHEMA["arrivals"].default


def test_override_on_a_file_scenario(tmp_path, elsewhere):
    path = write(tmp_path, "s.toml", PARENT)
    changed = load_scenario(path, {"csos.factors.democracy": 0.7})
    assert changed.origin == str(path)
    assert changed.get("csos.factors.democracy") == 0.7
    assert changed.get("csos.factors.meaning") == 0.9


@pytest.mark.parametrize(("text", "expected"), [
    ("csos.factors.meaning=0.8", ("csos.factors.meaning", 0.8)),
    (" weeks = 52 ", ("weeks", 52)),
    ("emergence.enabled=false", ("emergence.enabled", False)),
    ("state.funding.policy=core_funding", ("state.funding.policy", "core_funding")),
    ('name="quoted name"', ("name", "quoted name")),
    ('sources=["a", "b"]', ("sources", ["a", "b"])),
    ("description=two words", ("description", "two words")),
    ("crises.0.onset=30", ("crises.0.onset", 30)),
])
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["csos.factors.meaning", "=0.8", "  =1", ""])
def test_parse_assignment_rejects_text_without_path_and_value(text):
    with pytest.raises(ScenarioError) as err:
        parse_assignment(text)
    message = str(err.value)
    assert message.startswith("--set ")
    assert repr(text) in message
    assert "PATH=VALUE" in message


def test_parsed_assignments_apply_as_overrides():
    overrides = dict(map(parse_assignment, ["csos.factors.meaning=1", "weeks=52.0"]))
    scenario = load_scenario("baseline", overrides, where="--set")
    assert scenario.get("csos.factors.meaning") == 1.0
    assert scenario.get("weeks") == 52


# -- ints widened to floats, floats narrowed to ints ----------------------------------------------


def test_ints_in_a_file_are_widened_to_float(tmp_path, elsewhere):
    path = write(tmp_path, "ints.toml", 'name = "ints"\n[csos.factors]\nmeaning = 1\n'
                                        "[donations]\nper_capita = 6\n"
                                        '[[crises]]\nkind = "economic"\nrecovery = 8\n')
    scenario = load_scenario(path)
    for key, value in [("csos.factors.meaning", 1.0), ("donations.per_capita", 6.0),
                       ("crises.0.recovery", 8.0)]:
        assert scenario.get(key) == value
        assert type(scenario.get(key)) is float, key
    assert type(scenario.get("crises.0.onset")) is int


def test_int_overrides_are_widened_and_whole_floats_kept_as_int():
    scenario = load_scenario("baseline", {"csos.factors.meaning": 1, "weeks": 52.0,
                                          "population.citizens": 800.0})
    assert type(scenario.get("csos.factors.meaning")) is float
    assert type(scenario.get("weeks")) is int and scenario.get("weeks") == 52
    assert type(scenario.get("population.citizens")) is int


def test_every_value_has_the_type_of_its_parameter():
    scenario = load_scenario("pandemic")
    kinds = {"float": float, "int": int, "bool": bool, "str": str, "list[str]": list}
    for path, param in iter_params():
        if param.kind in kinds:
            assert type(scenario.get(path)) is kinds[param.kind], path
    for key, param in CRISIS_SCHEMA.items():
        assert type(scenario.get(f"crises.0.{key}")) is kinds[param.kind], key


# -- hash -----------------------------------------------------------------------------------------


def test_hash_is_a_stable_sha256():
    first, second = load_scenario("baseline"), load_scenario("baseline")
    assert first.hash == second.hash
    assert len(first.hash) == 64 and int(first.hash, 16) >= 0
    assert load_scenario("pandemic").hash != first.hash


def test_hash_ignores_key_order_and_int_float_spelling(tmp_path, elsewhere):
    a = write(tmp_path, "a.toml", 'name = "x"\nweeks = 10\n[csos.factors]\nmeaning = 1\n'
                                  "democracy = 0.25\n")
    # the same values in another order, with a float spelling and a restated default
    b = write(tmp_path, "b.toml", 'weeks = 10\nname = "x"\n[population]\ncitizens = 10000\n'
                                  "[csos.factors]\ndemocracy = 0.25\nmeaning = 1.0\n")
    assert load_scenario(a).params == load_scenario(b).params
    assert load_scenario(a).hash == load_scenario(b).hash
    assert load_scenario(a).canonical_json() == load_scenario(b).canonical_json()


def test_hash_changes_when_a_parameter_changes_and_not_otherwise():
    base = load_scenario("baseline")
    assert load_scenario("baseline", {"csos.factors.meaning": 0.8}).hash != base.hash
    assert load_scenario("baseline", {"weeks": 519}).hash != base.hash
    # restating a value, or stating it as an int, changes nothing
    for path in ("csos.factors.meaning", "awareness.media", "weeks", "state.funding.policy"):
        assert load_scenario("baseline", {path: base.get(path)}).hash == base.hash, path
    assert (load_scenario("baseline", {"csos.factors.meaning": 1}).hash
            == load_scenario("baseline", {"csos.factors.meaning": 1.0}).hash)
    # the origin and the record of overrides are not part of the hash
    assert Scenario(base.params, origin="elsewhere").hash == base.hash


def test_hash_sees_every_numeric_parameter():
    base = load_scenario("baseline")
    seen = {base.hash}
    for path, param in iter_params():
        if param.kind not in ("int", "float"):
            continue
        value = base.get(path)
        new = value + 1 if param.high is None or value + 1 <= param.high else value - 1
        if param.low is not None and new < param.low:
            new = (value + param.low) / 2 if param.kind == "float" else value
        assert new != value, path
        changed = load_scenario("baseline", {path: new})
        assert changed.hash not in seen, path
        seen.add(changed.hash)


def test_hash_sees_crisis_parameters():
    base = load_scenario("pandemic")
    assert load_scenario("pandemic", {"crises.0.reach": 0.3}).hash != base.hash
    assert load_scenario("pandemic", {"crises.0.kind": "economic"}).hash != base.hash


# -- malformed files ------------------------------------------------------------------------------

BAD_FILES = [
    pytest.param({"scenario.toml": 'name = "x"\n[population\ncitizens = 5\n'}, "scenario.toml",
                 ["not valid TOML", "line 2"], id="bad-toml"),
    pytest.param({"scenario.toml": 'name = "x"\nwekes = 10\n'}, "scenario.toml",
                 ["unknown key 'wekes'", "Did you mean 'weeks'?", "Valid keys here:",
                  "population", "extends"], id="unknown-top-level-key"),
    pytest.param({"scenario.toml": 'name = "x"\nnonsense = 1\n'}, "scenario.toml",
                 ["unknown key 'nonsense'", "Valid keys here:"], id="unknown-key-no-suggestion"),
    pytest.param({"scenario.toml": '[population]\ncitizenz = 100\n'}, "scenario.toml",
                 ["unknown key 'population.citizenz'", "Did you mean 'citizens'?",
                  "minority_share"], id="unknown-nested-key-typo"),
    pytest.param({"scenario.toml": '[csos.factors]\nmeening = 0.4\n'}, "scenario.toml",
                 ["unknown key 'csos.factors.meening'", "Did you mean 'meaning'?"],
                 id="unknown-factor-typo"),
    pytest.param({"scenario.toml": '[csos.factors]\nmeaning = "high"\n'}, "scenario.toml",
                 ["key 'csos.factors.meaning'", "'high'", "wrong type",
                  "allowed: a number from 0 to 1"], id="string-for-number"),
    pytest.param({"scenario.toml": '[csos.factors]\nmeaning = true\n'}, "scenario.toml",
                 ["key 'csos.factors.meaning'", "True", "wrong type",
                  "allowed: a number from 0 to 1"], id="bool-for-number"),
    pytest.param({"scenario.toml": '[emergence]\nenabled = 1\n'}, "scenario.toml",
                 ["key 'emergence.enabled'", "value 1", "wrong type", "allowed: true or false"],
                 id="number-for-bool"),
    pytest.param({"scenario.toml": '[csos.factors]\nmeaning = 1.3\n'}, "scenario.toml",
                 ["key 'csos.factors.meaning'", "1.3", "out of range",
                  "allowed: a number from 0 to 1"], id="factor-out-of-range"),
    pytest.param({"scenario.toml": '[donations]\nper_capita = -1.0\n'}, "scenario.toml",
                 ["key 'donations.per_capita'", "-1.0", "out of range",
                  "allowed: a number from 0"], id="negative-rate"),
    pytest.param({"scenario.toml": '[volunteering]\njoin_rate = nan\n'}, "scenario.toml",
                 ["key 'volunteering.join_rate'", "nan", "out of range"], id="nan"),
    pytest.param({"scenario.toml": '[csos]\ninitial_budget = inf\n'}, "scenario.toml",
                 ["key 'csos.initial_budget'", "inf", "out of range", "a number from 0"],
                 id="infinite-number"),
    pytest.param({"scenario.toml": '[[crises]]\nkind = "economic"\nduration = -4\n'},
                 "scenario.toml", ["key 'crises.0.duration'", "-4", "out of range",
                                   "allowed: a whole number from 1 to 5200"],
                 id="negative-crisis-duration"),
    pytest.param({"scenario.toml": '[state.funding]\npolicy = "basic_income"\n'},
                 "scenario.toml", ["key 'state.funding.policy'", "'basic_income'",
                                   "not allowed", "'none'", "'project_grants'", "'core_funding'",
                                   "'performance'", "'procurement'"], id="unknown-policy"),
    pytest.param({"scenario.toml": '[[crises]]\nkind = "earthquake"\n'}, "scenario.toml",
                 ["key 'crises.0.kind'", "'earthquake'", "not allowed",
                  "one of 'economic', 'migration', 'pandemic'"], id="unknown-crisis-kind"),
    pytest.param({"scenario.toml": '[[crises]]\nkind = "economic"\n'
                                   '[[crises]]\nkind = "pandemic"\nseverty = 0.3\n'},
                 "scenario.toml", ["unknown key 'crises.1.severty'", "Did you mean 'severity'?",
                                   "availability_boost"], id="unknown-key-in-crisis"),
    pytest.param({"scenario.toml": 'crises = 5\n'}, "scenario.toml",
                 ["key 'crises'", "value 5", "a list of crisis tables"], id="crises-not-a-list"),
    pytest.param({"scenario.toml": 'name = "x"\nextends = "no_such_parent"\n'}, "scenario.toml",
                 ["key 'extends'", "'no_such_parent'", "baseline", "pandemic", "no file"],
                 id="missing-extends-target"),
    pytest.param({"scenario.toml": 'extends = 3\n'}, "scenario.toml",
                 ["key 'extends'", "value 3", "the name of a bundled scenario"],
                 id="extends-not-a-string"),
    pytest.param({"scenario.toml": 'name = "a"\nextends = "b.toml"\n',
                  "b.toml": 'name = "b"\nextends = "scenario.toml"\n'}, "scenario.toml",
                 ["key 'extends'", "circular", "scenario.toml -> b.toml -> scenario.toml"],
                 id="circular-extends"),
    pytest.param({"scenario.toml": 'extends = "scenario.toml"\n'}, "scenario.toml",
                 ["key 'extends'", "circular"], id="extends-itself"),
    pytest.param({"scenario.toml": 'extends = "parent.toml"\n',
                  "parent.toml": '[csos.factors]\nmeaning = 1.3\n'}, "parent.toml",
                 ["key 'csos.factors.meaning'", "1.3", "out of range"],
                 id="error-in-extended-file-names-that-file"),
    pytest.param({"scenario.toml": ""}, "scenario.toml", ["empty", "'name'"], id="empty-file"),
    pytest.param({"scenario.toml": "\n   \n\t\n"}, "scenario.toml", ["empty"], id="blank-file"),
    pytest.param({"scenario.toml": '[population]\ncitizens = 10.5\n'}, "scenario.toml",
                 ["key 'population.citizens'", "10.5", "not a whole number",
                  "allowed: a whole number from 10"], id="non-integer-for-int"),
    pytest.param({"scenario.toml": '[population]\ncitizens = 5\n'}, "scenario.toml",
                 ["key 'population.citizens'", "value 5", "out of range",
                  "a whole number from 10"], id="int-below-range"),
    pytest.param({"scenario.toml": 'weeks = { length = 10 }\n'}, "scenario.toml",
                 ["key 'weeks'", "{'length': 10}", "wrong type", "a whole number from 1 to 5200"],
                 id="inline-table-for-value"),
    pytest.param({"scenario.toml": '[population.citizens]\nn = 5\n'}, "scenario.toml",
                 ["key 'population.citizens'", "{'n': 5}", "wrong type", "a whole number"],
                 id="table-for-value"),
    pytest.param({"scenario.toml": 'population = 5000\n'}, "scenario.toml",
                 ["key 'population'", "value 5000", "a table with keys citizens"],
                 id="value-for-table"),
    pytest.param({"scenario.toml": 'sources = "one string"\n'}, "scenario.toml",
                 ["key 'sources'", "'one string'", "wrong type", "a list of strings"],
                 id="string-for-list"),
]


@pytest.mark.parametrize(("files", "culprit", "fragments"), BAD_FILES)
def test_malformed_file_raises_a_precise_scenario_error(tmp_path, elsewhere, files, culprit,
                                                       fragments):
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "scenario.toml")
    message = str(err.value)
    assert message.startswith(f"{tmp_path / culprit}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "\n" not in message


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)


@pytest.mark.parametrize("name", ["no_such_scenario", "baseline.toml", "missing/dir.toml"])
def test_unknown_scenario_name_lists_the_bundled_ones(elsewhere, name):
    with pytest.raises(ScenarioError) as err:
        load_scenario(name)
    message = str(err.value)
    assert f"'{name}'" in message
    assert "baseline" in message and "pandemic" in message


# -- malformed overrides --------------------------------------------------------------------------

BAD_OVERRIDES = [
    pytest.param("baseline", {"csos.factors.meaning": 2}, "--set",
                 ["key 'csos.factors.meaning'", "value 2", "out of range",
                  "allowed: a number from 0 to 1"], id="factor-out-of-range"),
    pytest.param("baseline", {"csos.factors.meaning": "high"}, "overrides",
                 ["key 'csos.factors.meaning'", "'high'", "wrong type"], id="string-for-number"),
    pytest.param("baseline", {"nosuch.key": 1}, "--set",
                 ["unknown key 'nosuch'", "Valid keys here:", "population"],
                 id="unknown-top-level-key"),
    pytest.param("baseline", {"csos.factors.meening": 0.5}, "--set",
                 ["unknown key 'csos.factors.meening'", "Did you mean 'meaning'?"],
                 id="unknown-nested-key-typo"),
    pytest.param("baseline", {"csos.factorz.meaning": 0.5}, "overrides",
                 ["unknown key 'csos.factorz'", "Did you mean 'factors'?"],
                 id="unknown-intermediate-table"),
    pytest.param("pandemic", {"crises.3.onset": 5}, "--set",
                 ["key 'crises.3.onset'", "no crisis number 3", "1 crises", "numbered from 0"],
                 id="crisis-index-out-of-range"),
    pytest.param("baseline", {"crises.0.onset": 5}, "overrides",
                 ["key 'crises.0.onset'", "no crisis number 0", "0 crises"],
                 id="crisis-index-without-crises"),
    pytest.param("pandemic", {"crises.first.onset": 5}, "overrides",
                 ["key 'crises.first.onset'", "no crisis number first"],
                 id="crisis-index-not-a-number"),
    pytest.param("pandemic", {"crises.0.kind": "earthquake"}, "--set",
                 ["key 'crises.0.kind'", "'earthquake'", "one of 'economic', 'migration', "
                  "'pandemic'"], id="unknown-crisis-kind"),
    pytest.param("pandemic", {"crises.0.severty": 0.1}, "--set",
                 ["unknown key 'crises.0.severty'", "Did you mean 'severity'?"],
                 id="unknown-key-in-crisis"),
    pytest.param("pandemic", {"crises.0.duration": -3}, "--set",
                 ["key 'crises.0.duration'", "-3", "out of range"], id="negative-crisis-duration"),
    pytest.param("baseline", {"csos.factors": 0.5}, "--set",
                 ["key 'csos.factors'", "value 0.5", "'csos.factors.democracy'"],
                 id="value-for-table"),
    pytest.param("baseline", {"weeks": {"a": 1}}, "overrides",
                 ["key 'weeks'", "{'a': 1}", "wrong type", "a whole number"],
                 id="table-for-value"),
    pytest.param("baseline", {"population.citizens": 10.5}, "--set",
                 ["key 'population.citizens'", "10.5", "not a whole number"],
                 id="non-integer-for-int"),
    pytest.param("baseline", {"state.funding.policy": "basic_income"}, "--set",
                 ["key 'state.funding.policy'", "'basic_income'", "'core_funding'"],
                 id="unknown-policy"),
    pytest.param("baseline", {"emergence.enabled": "yes"}, "--set",
                 ["key 'emergence.enabled'", "'yes'", "true or false"], id="string-for-bool"),
    pytest.param("baseline", {"crises": [{"kind": "economic", "onsett": 3}]}, "overrides",
                 ["unknown key 'crises.0.onsett'", "Did you mean 'onset'?"],
                 id="unknown-key-in-crises-list"),
    pytest.param("baseline", {"extends": "pandemic"}, "overrides",
                 ["unknown key 'extends'"], id="extends-is-not-an-override"),
]


@pytest.mark.parametrize(("scenario", "overrides", "where", "fragments"), BAD_OVERRIDES)
def test_malformed_override_raises_a_precise_scenario_error(scenario, overrides, where,
                                                           fragments):
    base = load_scenario(scenario)
    before = copy.deepcopy(base.params)
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario, overrides, where=where)
    message = str(err.value)
    assert message.startswith(f"{where}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert base.params == before


def test_override_errors_name_overrides_by_default():
    with pytest.raises(ScenarioError, match=r"^overrides: key 'weeks'"):
        load_scenario("baseline", {"weeks": 0})


def test_override_of_a_table_by_a_value_says_what_is_allowed():
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", {"population": 5}, where="--set")
    message = str(err.value)
    assert message.startswith("--set: key 'population': value 5 is not allowed; allowed: ")
    assert "'population.citizens'" in message
    assert "Did you mean" not in message


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("path", ["donations.per_capita", "csos.initial_budget",
                                  "csos.factors.meaning", "weeks"])
def test_non_finite_numbers_are_rejected(path, value):
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", {path: value})
    message = str(err.value)
    assert message.startswith(f"overrides: key '{path}': value {value!r} ")
    assert "allowed: a " in message


@pytest.mark.parametrize(("scenario", "path", "value_key"), [
    ("baseline", "weeks.x", "weeks"),
    ("pandemic", "crises.0.onset.x", "crises.0.onset"),
])
def test_override_path_through_a_value_is_explained(scenario, path, value_key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario, {path: 1}, where="--set")
    message = str(err.value)
    assert message.startswith(f"--set: key '{path}': ")
    assert f"'{value_key}' is a single value" in message
    assert f"{value_key}=VALUE" in message
    assert "Did you mean" not in message


@pytest.mark.parametrize("value", [1, {"onset": 3}])
def test_override_of_a_whole_crisis_entry_lists_its_keys(value):
    with pytest.raises(ScenarioError) as err:
        load_scenario("pandemic", {"crises.0": value})
    message = str(err.value)
    assert message.startswith("overrides: key 'crises.0': ")
    assert "'crises.0.onset'" in message
    assert ", ".join(CRISIS_SCHEMA) in message


def test_a_file_that_is_not_utf8_raises_a_scenario_error(tmp_path, elsewhere):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "café"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}: ")
    assert "UTF-8" in str(err.value)


def test_a_file_with_a_utf8_byte_order_mark_loads(tmp_path):
    """As some Windows editors save it."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\nextends = "pandemic"\n')
    assert load_scenario(path).params == {**load_scenario("pandemic").params, "name": "bom"}
