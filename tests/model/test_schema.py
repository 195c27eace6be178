"""The JSON Schema of scenario files, and ``solidarity-sim schema`` / ``check``."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import jsonschema
import pytest

from solidarity_sim.cli import main
from solidarity_sim.model.parameters import CRISIS_SCHEMA, iter_params
from solidarity_sim.model.scenario import ScenarioError, bundled_scenarios, load_scenario
from solidarity_sim.model.schema import REQUIRED, scenario_schema

MODULE = [sys.executable, "-m", "solidarity_sim.cli"]
HEAD = 'name = "t"\ndescription = "a test"\nsources = ["test"]\n'


@pytest.fixture(scope="module")
def validator():
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def node(schema: dict, path: str) -> dict:
    for part in path.split("."):
        schema = schema["properties"][part]
    return schema


def test_every_parameter_is_in_the_schema_with_its_type_and_range():
    schema = scenario_schema()
    types = {"float": "number", "int": "integer", "bool": "boolean", "str": "string"}
    for path, param in iter_params():
        prop = node(schema, path)
        if param.kind in types:
            assert prop["type"] == types[param.kind], path
            assert prop["default"] == param.default, path
        if param.low is not None:
            assert prop["minimum"] == param.low, path
        if param.high is not None:
            assert prop["maximum"] == param.high, path
        if param.choices:
            assert prop["enum"] == list(param.choices), path
        if param.unit:
            assert param.unit in prop["description"], path
    crisis = schema["$defs"]["crisis"]
    assert set(crisis["properties"]) == set(CRISIS_SCHEMA)
    assert crisis["additionalProperties"] is False
    assert schema["required"] == list(REQUIRED)


def test_every_table_rejects_unknown_keys():
    def tables(schema):
        if schema.get("type") == "object":
            yield schema
            for child in schema["properties"].values():
                yield from tables(child)

    found = list(tables(scenario_schema()))
    assert len(found) >= 10
    assert all(t["additionalProperties"] is False for t in found)


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_file_is_valid(validator, name):
    data = tomllib.loads(bundled_scenarios()[name].read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


MALFORMED = [
    pytest.param('weeks = 52\nwekks = 3\n', "wekks", id="unknown-key"),
    pytest.param('[csos.factors]\nmeanin = 0.5\n', "meanin", id="unknown-factor"),
    pytest.param('[population]\ncitizens = "many"\n', "citizens", id="wrong-type"),
    pytest.param('[population]\ncitizens = 1000.5\n', "citizens", id="fractional-count"),
    pytest.param('[csos.factors]\nmeaning = 1.5\n', "meaning", id="factor-out-of-range"),
    pytest.param('[emergence]\nenabled = 1\n', "enabled", id="number-for-bool"),
    pytest.param('[state.funding]\npolicy = "grants"\n', "policy", id="unknown-policy"),
    pytest.param('[[crises]]\nkind = "flood"\n', "kind", id="unknown-crisis-kind"),
    pytest.param('[[crises]]\nduration = -4\n', "duration", id="negative-duration"),
    pytest.param('[[crises]]\nonset = 10\nseverty = 0.2\n', "severty",
                 id="unknown-crisis-key"),
    pytest.param('population = 500\n', "population", id="value-for-table"),
    pytest.param('sources = "SOLIDUS"\n', "sources", id="string-for-list"),
]


@pytest.mark.parametrize(("body", "key"), MALFORMED)
def test_schema_and_loader_both_reject_malformed_files(validator, tmp_path, body, key):
    text = HEAD.replace('sources = ["test"]\n', "") if key == "sources" else HEAD
    path = tmp_path / "bad.toml"
    path.write_text(text + body, encoding="utf-8")
    errors = list(validator.iter_errors(tomllib.loads(path.read_text())))
    assert errors, "the schema accepted it"
    assert any(key in e.message or key in e.json_path for e in errors), \
        [(e.json_path, e.message) for e in errors]
    with pytest.raises(ScenarioError, match=key):
        load_scenario(path)


@pytest.mark.parametrize("missing", REQUIRED)
def test_schema_requires_name_description_and_sources(validator, missing):
    data = tomllib.loads(HEAD)
    del data[missing]
    assert any(missing in e.message for e in validator.iter_errors(data))
    data = tomllib.loads(HEAD)
    data[missing] = [] if missing == "sources" else ""
    assert list(validator.iter_errors(data))


def test_schema_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(scenario_schema()))
    assert printed["$schema"].endswith("2020-12/schema")


# -- check ---------------------------------------------------------------------------------------


def test_check_accepts_every_bundled_file_through_the_executable(tmp_path):
    files = [str(p) for p in bundled_scenarios().values()]
    proc = subprocess.run([*MODULE, "check", *files], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    for line, (name, path) in zip(lines, bundled_scenarios().items(), strict=True):
        assert line.startswith(f"ok  {path}  ({name}, "), line


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


CHECK_ERRORS = [
    pytest.param("bad-toml.toml", HEAD + "weeks = = 3\n", ["not valid TOML"], id="bad-toml"),
    pytest.param("empty.toml", "", ["the file is empty", "'name'"], id="empty-file"),
    pytest.param("binary.toml", b"name = \"x\xff\"\n", ["not a UTF-8"], id="not-utf8"),
    pytest.param("unknown.toml", HEAD + "[csos]\ndensty = 3\n",
                 ["unknown key 'csos.densty'", "Did you mean 'density'"], id="unknown-key"),
    pytest.param("type.toml", HEAD + "weeks = \"ten years\"\n",
                 ["key 'weeks'", "'ten years'", "a whole number from 1 to 5200"],
                 id="wrong-type"),
    pytest.param("factor.toml", HEAD + "[csos.factors]\ntransparency = 1.2\n",
                 ["key 'csos.factors.transparency'", "1.2", "a number from 0 to 1"],
                 id="factor-out-of-range"),
    pytest.param("duration.toml", HEAD + "[[crises]]\nkind = \"economic\"\nduration = -52\n",
                 ["key 'crises.0.duration'", "-52", "a whole number from 1"],
                 id="negative-duration"),
    pytest.param("policy.toml", HEAD + "[state.funding]\npolicy = \"vouchers\"\n",
                 ["key 'state.funding.policy'", "'vouchers'", "'core_funding'"],
                 id="unknown-policy"),
    pytest.param("kind.toml", HEAD + "[[crises]]\nkind = \"earthquake\"\n",
                 ["key 'crises.0.kind'", "'earthquake'", "'migration'"],
                 id="unknown-crisis-kind"),
    pytest.param("orphan.toml", HEAD + "extends = \"no-such-parent\"\n",
                 ["key 'extends'", "'no-such-parent'"], id="missing-extends-target"),
    pytest.param("loop-a.toml", HEAD + "extends = \"loop-b.toml\"\n",
                 ["key 'extends'", "circular extends", "loop-a.toml -> loop-b.toml"],
                 id="circular-extends"),
    pytest.param("nodesc.toml", 'name = "x"\nsources = ["test"]\n',
                 ["key 'description' is missing", "every scenario file states"],
                 id="missing-description"),
    pytest.param("nosources.toml", 'name = "x"\ndescription = "d"\nsources = []\n',
                 ["key 'sources' has the empty value []"], id="empty-sources"),
    pytest.param("infinite.toml", HEAD + "[donations]\nper_capita = inf\n",
                 ["key 'donations.per_capita'", "inf"], id="infinite"),
]


@pytest.mark.parametrize(("filename", "text", "fragments"), CHECK_ERRORS)
def test_check_rejects_a_bad_file_naming_file_and_key(tmp_path, capsys, filename, text,
                                                      fragments):
    write(tmp_path, "loop-b.toml", HEAD + "extends = \"loop-a.toml\"\n")
    path = write(tmp_path, filename, text)
    status = main(["check", str(path)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    error = captured.err.strip()
    assert error.startswith(f"solidarity-sim: error: {path}")
    assert "\n" not in error and "Traceback" not in error
    for fragment in fragments:
        assert fragment in error, (fragment, error)


def test_check_stops_at_the_first_bad_file(tmp_path):
    good = write(tmp_path, "good.toml", HEAD + "extends = \"pandemic\"\n")
    bad = write(tmp_path, "bad.toml", HEAD + "[population]\ncitizens = -5\n")
    later = write(tmp_path, "later.toml", HEAD)
    proc = subprocess.run([*MODULE, "check", str(good), str(bad), str(later)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [f"ok  {good}  (t, 156 weeks, extends pandemic)"]
    assert f"{bad}: key 'population.citizens': value -5 is out of range" in proc.stderr
    assert "later" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
