"""Scenario files: load, merge, override and check parameters.

A scenario is a TOML file whose tables mirror :data:`solidarity_sim.model.parameters.SCHEMA`.
It states only what differs from the defaults (or from the scenario it ``extends``). Any
parameter can be overridden by its dotted path, e.g. ``{"csos.factors.meaning": 0.8}`` or, on the
command line, ``--set csos.factors.meaning=0.8``. Every error names the file, the dotted key, the
bad value and what is allowed, and is raised as :class:`ScenarioError`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundled import HERE, bundled_path
from .checks import ScenarioError, check_value, unknown_key
from .events import check_event_tables
from .parameters import CRISIS_SCHEMA, SCHEMA, crisis_defaults, defaults
from .town_size import check_town_size


def bundled_dir(name: str = "scenarios") -> Path:
    """Return a bundled folder (``scenarios``, ``posterior``): inside the wheel, or the tree.

    Raises:
        ScenarioError: It is missing.
    """
    folder = bundled_path(name)
    if folder is None:
        raise ScenarioError(f"the bundled {name} folder is missing (looked in {HERE.parent} "
                            f"and {HERE.parents[2]})")
    return folder


def bundled_scenarios() -> dict[str, Path]:
    """Map each bundled scenario name to its file, sorted by name."""
    return {p.stem: p for p in sorted(bundled_dir().glob("*.toml"), key=lambda p: p.stem)}


@dataclass(frozen=True)
class Scenario:
    """A checked, fully resolved parameter set.

    Attributes:
        params: Nested dict of every parameter value (defaults filled in).
        origin: Where it came from (a file path or "defaults").
        overrides: The dotted-path overrides applied on top of the file.
    """

    params: dict[str, Any]
    origin: str = "defaults"
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.params["name"]

    def get(self, path: str) -> Any:
        """Return the value at a dotted path."""
        node: Any = self.params
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def canonical_json(self) -> str:
        """Serialise the parameters deterministically (sorted keys)."""
        return json.dumps(self.params, sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved parameters: equal hashes mean equal models."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def with_overrides(self, overrides: Mapping[str, Any] | None, where: str = "overrides"
                       ) -> Scenario:
        """Return a new scenario with dotted-path overrides applied and checked."""
        if not overrides:
            return self
        params = copy.deepcopy(self.params)
        for path, value in overrides.items():
            _set_dotted(params, path, value, where)
        check_params(params, where)
        return Scenario(params, self.origin, self.overrides + tuple(overrides.items()))


def identity_hash(identity: Mapping[str, Any], version: str) -> str:
    """SHA-256 of a job's canonical description and the package version that runs it."""
    text = json.dumps({"experiment": identity, "version": version}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def load_scenario(scenario: str | Path | Scenario | None = "baseline",
                  overrides: Mapping[str, Any] | None = None, where: str = "overrides"
                  ) -> Scenario:
    """Load a bundled scenario by name, or a TOML file by path, and apply overrides.

    Args:
        scenario: A bundled name (``"baseline"``), a path to a TOML file, a :class:`Scenario`,
            or None for the built-in defaults.
        overrides: Dotted-path overrides, e.g. ``{"csos.factors.meaning": 0.8}``.
        where: How error messages name the overrides (``--set`` on the command line).

    Returns:
        The checked scenario.

    Raises:
        ScenarioError: The file is missing, unreadable or invalid, or an override is invalid.
    """
    if isinstance(scenario, Scenario):
        base = scenario
    elif scenario is None:
        base = Scenario(defaults())
    else:
        path = resolve_path(scenario)
        base = Scenario(_resolve_file(path, ()), origin=str(path))
    return base.with_overrides(overrides, where)


def resolve_path(scenario: str | Path) -> Path:
    """Turn a bundled name or a path into an existing file path."""
    bundled = bundled_scenarios()
    if isinstance(scenario, str) and scenario in bundled:
        return bundled[scenario]
    path = Path(scenario)
    if path.is_file():
        return path
    names = ", ".join(bundled) or "none"
    raise ScenarioError(f"scenario '{scenario}' is neither a bundled scenario ({names}) nor an "
                        "existing file")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every read or syntax problem into a :class:`ScenarioError`.

    A UTF-8 byte-order mark (as some Windows editors write) is accepted.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{path}: not a UTF-8 text file (byte {err.start}); TOML files "
                            "must be UTF-8") from None
    if not text.strip():
        raise ScenarioError(f"{path}: the file is empty; a scenario needs at least a 'name'")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None


def _resolve_file(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Read a file, resolve its ``extends`` chain and check the merged result."""
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise ScenarioError(f"{path}: key 'extends': circular extends ({cycle})")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        base = defaults()
    elif not isinstance(parent, str):
        raise ScenarioError(f"{path}: key 'extends': value {parent!r} is not allowed; allowed: "
                            "the name of a bundled scenario or a path to a TOML file")
    else:
        base = _resolve_file(_parent_path(path, parent), (*chain, real))
    check_keys(data, SCHEMA, str(path))
    merged = _merge(base, data)
    check_params(merged, str(path))
    return merged


def _parent_path(path: Path, parent: str) -> Path:
    """Find the scenario a file extends: a file beside it, else a bundled name, else a path."""
    sibling = path.parent / parent
    if sibling.is_file():
        return sibling
    bundled = bundled_scenarios()
    if parent in bundled:
        return bundled[parent]
    if Path(parent).is_absolute() and Path(parent).is_file():
        return Path(parent)
    raise ScenarioError(f"{path}: key 'extends': value {parent!r} names no bundled scenario "
                        f"({', '.join(bundled)}) and no file beside {path.name}")


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def check_keys(data: Mapping[str, Any], schema: Mapping[str, Any], where: str,
               prefix: str = "") -> None:
    """Reject keys that the schema does not know, suggesting the closest valid key."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in schema:
            raise unknown_key(where, path, key, list(schema) + ([] if prefix else ["extends"]))
        node = schema[key]
        if isinstance(node, dict):
            if not isinstance(value, dict):
                raise ScenarioError(f"{where}: key '{path}': value {value!r} is not allowed; "
                                    f"allowed: a table with keys {', '.join(node)}")
            check_keys(value, node, where, path + ".")
        elif key == "crises" and not prefix:
            _check_crises_keys(value, where)


def _check_crises_keys(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ScenarioError(f"{where}: key 'crises': value {value!r} is not allowed; allowed: a "
                            "list of crisis tables ([[crises]] in TOML)")
    for i, crisis in enumerate(value):
        for key in crisis:
            if key not in CRISIS_SCHEMA:
                raise unknown_key(where, f"crises.{i}.{key}", key, list(CRISIS_SCHEMA))


def check_params(params: dict[str, Any], where: str) -> None:
    """Check every value of a full parameter tree in place (types and ranges)."""
    check_keys(params, SCHEMA, where)
    _check_tree(params, SCHEMA, where, "")
    crises = params["crises"]
    for i, crisis in enumerate(crises):
        full = crisis_defaults(crisis.get("kind", CRISIS_SCHEMA["kind"].default))
        full.update(crisis)
        for key, param in CRISIS_SCHEMA.items():
            full[key] = check_value(param, full[key], where, f"crises.{i}.{key}")
        crises[i] = full
    params["events"] = check_event_tables(params["events"], where)
    check_town_size(params, where)


def _check_tree(values: dict[str, Any], schema: Mapping[str, Any], where: str,
                   prefix: str) -> None:
    for key, node in schema.items():
        path = f"{prefix}{key}"
        if isinstance(node, dict):
            _check_tree(values[key], node, where, path + ".")
        elif key not in ("crises", "events") or prefix:
            values[key] = check_value(node, values[key], where, path)


def _set_dotted(params: dict[str, Any], path: str, value: Any, where: str) -> None:
    """Set ``params[a][b][c] = value`` for the path ``a.b.c``; crises use ``crises.0.onset``."""
    *parents, leaf = path.split(".")
    node: Any = params
    schema: Any = SCHEMA
    for depth, part in enumerate(parents):
        prefix = ".".join(parents[:depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"{where}: key '{path}': there is no crisis number "
                                    f"{part}; this scenario has {len(node)} crises "
                                    f"(numbered from 0)")
            node, schema = node[int(part)], CRISIS_SCHEMA
        elif isinstance(schema.get(part), dict) or (part == "crises" and schema is SCHEMA):
            node, schema = node[part], schema[part]
        elif part in schema:
            raise ScenarioError(f"{where}: key '{path}': '{prefix}' is a single value, not a "
                                f"table; set it as {prefix}=VALUE")
        else:
            raise unknown_key(where, prefix, part, list(schema))
    if isinstance(node, list):
        raise ScenarioError(f"{where}: key '{path}': set one key of a crisis at a time, e.g. "
                            f"'{path}.onset'; crisis keys: {', '.join(CRISIS_SCHEMA)}")
    if leaf not in schema:
        raise unknown_key(where, path, leaf, list(schema))
    if isinstance(schema[leaf], dict):
        raise ScenarioError(f"{where}: key '{path}': value {value!r} is not allowed; allowed: "
                            f"one of its keys, e.g. '{path}.{next(iter(schema[leaf]))}'")
    node[leaf] = copy.deepcopy(value)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a command-line ``PATH=VALUE`` override; the value is read as TOML, else a string."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"--set {text!r}: expected PATH=VALUE, e.g. "
                            "csos.factors.meaning=0.8")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path.strip(), value
