"""Experiment files: which parameters to vary, how to sample them, and which outcomes to keep.

An experiment is a TOML file (see ``experiments/`` and ``docs/sweeps.md``)::

    scenario = "baseline"          # bundled name, or a path (relative to this file first)
    seed = 7                       # every run's seed derives from it
    replications = 2               # runs per design point
    weeks = 208                    # horizon (default: the scenario's)
    series = ["volunteer_share"]   # optional: weekly series to keep in full

    [fixed]                        # dotted-path overrides applied to every run
    "population.citizens" = 5000

    [design]
    method = "sobol"               # grid, lhs, sobol or morris
    samples = 64                   # lhs: points; sobol: base N (a power of 2); morris: trajectories

    [parameters]                   # grid: a list of values; sampled designs: { min, max }
    "csos.factors.meaning" = { min = 0.1, max = 0.9 }

    [outcomes]                     # name = { column, stat, window = [from, to), label, per }
    retention = { column = "retention_12m", stat = "mean", window = [104, 208] }

Each outcome is a :class:`~solidarity_sim.results.outcomes.Outcome`, the type every batch uses.

Errors name the file, the key, the bad value and what is allowed, like scenario errors, and are
raised as :class:`ExperimentError` (a :class:`~solidarity_sim.model.scenario.ScenarioError`).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.parameters import CRISIS_SCHEMA, Param, count, iter_params
from ..model.scenario import (
    Scenario,
    ScenarioError,
    check_value,
    identity_hash,
    load_scenario,
    read_toml,
    resolve_path,
    unknown_key,
)
from ..model.series import COLUMNS
from ..model.streams import derive_seed
from ..results.outcomes import STATS, Outcome
from .uncertainty import RUNS_PER_SET, UNCERTAINTY, Posterior, uncertainty_of

METHODS = ("grid", "lhs", "sobol", "morris")
FIXED_BY_EXPERIMENT = ("name", "description", "sources", "weeks")
"""Parameters an experiment may not set in [fixed] or [parameters] (``weeks`` is a top key)."""
RUN_COLUMNS = ("run", "point", "replication", "seed")
"""Identity columns of every row of a sweep's results."""

TOP_KEYS: dict[str, Any] = {
    "name": Param("", "str", doc="Short name (default: the file name)."),
    "description": Param("", "str", doc="What the experiment asks."),
    "scenario": Param("", "str", doc="Bundled scenario name or path to a scenario file."),
    "seed": count(0, "Seed from which every run's seed derives."),
    "replications": count(1, "Runs per design point, each with its own seed.", low=1,
                          high=100_000),
    "weeks": count(520, "Horizon of every run.", low=1, high=5200, unit="weeks"),
    "series": Param([], "list[str]", doc="Weekly series to keep in full."),
    "uncertainty": Param("none", "str", choices=UNCERTAINTY,
                         doc="'posterior': replication r runs with set r // 2 of the calibrated "
                             "posterior (parameter uncertainty); 'none': chance only."),
    "fixed": {}, "design": {}, "parameters": {}, "outcomes": {},
}
DESIGN_KEYS: dict[str, Param] = {
    "method": Param("grid", "str", choices=METHODS, doc="How design points are chosen."),
    "samples": count(0, "lhs: points; sobol: base sample N (a power of 2); morris: "
                        "trajectories.", low=1, high=10_000_000),
    "levels": count(4, "Morris grid levels.", low=2, high=1000),
    "common_seeds": Param(False, "bool", doc="Give replication r the same seed at every "
                                             "point (common random numbers)."),
}
OUTCOME_KEYS: dict[str, Param] = {
    "column": Param("", "str", choices=tuple(c for c in COLUMNS if c != "week"),
                    doc="Weekly series summarised."),
    "stat": Param("mean", "str", choices=STATS, doc="Statistic over the window."),
    "label": Param("", "str", doc="Axis label in figures, with its unit."),
    "per": Param("", "str", choices=("", *(c for c in COLUMNS if c != "week")),
                 doc="Denominator column of a 'ratio' (total of column / total of per)."),
}


class ExperimentError(ScenarioError):
    """An experiment file, or a sweep folder made from another experiment, is unusable."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter.

    Attributes:
        path: Dotted parameter path, e.g. ``csos.factors.meaning``.
        kind: The parameter's kind (``float``, ``int``, ``bool``, ``str``).
        values: The grid values (grid designs), else None.
        low: Lower bound (sampled designs).
        high: Upper bound (sampled designs).
    """

    path: str
    kind: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    def spec(self) -> list[Any] | dict[str, float]:
        """The factor as written in the file (values, or min and max)."""
        return list(self.values) if self.values is not None else {"min": self.low,
                                                                   "max": self.high}


@dataclass(frozen=True)
class Experiment:
    """A checked experiment.

    Attributes:
        name: Short name.
        description: What it asks.
        origin: The file it was read from.
        scenario_ref: The ``scenario`` value as written.
        scenario: The base scenario with ``[fixed]`` and ``weeks`` applied.
        fixed: The ``[fixed]`` overrides by dotted path.
        seed: The experiment's seed.
        replications: Runs per design point.
        weeks: Horizon of every run.
        method: One of :data:`METHODS`.
        samples: The design's sample size (None for grids).
        levels: Morris grid levels.
        common_seeds: Whether replication r has the same seed at every point.
        factors: The varied parameters, in file order.
        outcomes: The outcomes kept, in file order.
        series: Weekly series kept in full.
        uncertainty: The posterior replication ``r`` draws its set ``r // 2`` from (the design's
            factors win over it), or None.
    """

    name: str
    description: str
    origin: str
    scenario_ref: str
    scenario: Scenario
    fixed: dict[str, Any]
    seed: int
    replications: int
    weeks: int
    method: str
    samples: int | None
    levels: int
    common_seeds: bool
    factors: tuple[Factor, ...]
    outcomes: tuple[Outcome, ...]
    series: tuple[str, ...]
    uncertainty: Posterior | None = None

    def to_dict(self) -> dict[str, Any]:
        """Everything that affects the results, in canonical form (for the hash and manifest)."""
        return {
            "scenario": self.scenario_ref, "scenario_hash": self.scenario.hash,
            "fixed": self.fixed, "seed": self.seed, "replications": self.replications,
            "weeks": self.weeks,
            "design": {"method": self.method, "samples": self.samples, "levels": self.levels,
                       "common_seeds": self.common_seeds},
            "parameters": {f.path: f.spec() for f in self.factors},
            "outcomes": {o.name: o.spec() for o in self.outcomes},
            "series": list(self.series),
            **({"uncertainty": self.uncertainty.spec()} if self.uncertainty else {}),
        }

    def hash(self, version: str) -> str:
        """SHA-256 of the canonical experiment and the package version that runs it."""
        return identity_hash(self.to_dict(), version)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and bounds of the sampled factors."""
        return {"num_vars": len(self.factors), "names": [f.path for f in self.factors],
                "bounds": [[f.low, f.high] for f in self.factors]}

    def design(self) -> pd.DataFrame:
        """One row per design point, one column per factor, in the order SALib analyses them.

        Grids are the full factorial (the first factor varies slowest); sampled designs come from
        SALib, seeded with the experiment's seed. Integer parameters are rounded.
        """
        if self.method == "grid":
            rows = list(itertools.product(*(f.values for f in self.factors)))
            return pd.DataFrame(rows, columns=[f.path for f in self.factors])
        from SALib.sample import latin, morris, sobol

        problem, n = self.problem, self.samples
        if self.method == "lhs":
            x = latin.sample(problem, n, seed=self.seed)
        elif self.method == "sobol":
            x = sobol.sample(problem, n, calc_second_order=False, seed=self.seed)
        else:
            x = morris.sample(problem, n, num_levels=self.levels, seed=self.seed)
        frame = pd.DataFrame(x, columns=problem["names"])
        for f in self.factors:
            if f.kind == "int":
                frame[f.path] = frame[f.path].round().astype("int64")
        return frame

    def runs(self) -> pd.DataFrame:
        """Every run: id, design point, replication, seed and the factor values.

        Run ``point * replications + replication`` has the seed of the child
        ``SeedSequence(seed, spawn_key=(point, replication))`` (``(replication,)`` with common
        seeds), so it does not depend on the engine, the workers or the order of completion.
        """
        design = self.design()
        points = np.repeat(np.arange(len(design)), self.replications)
        reps = np.tile(np.arange(self.replications), len(design))
        seeds = [derive_seed(self.seed, *((r,) if self.common_seeds else (p, r)))
                 for p, r in zip(points.tolist(), reps.tolist(), strict=True)]
        ids = pd.DataFrame({"run": np.arange(points.size), "point": points,
                            "replication": reps, "seed": np.array(seeds, dtype="int64")})
        if self.uncertainty is not None:
            ids["parameter_set"] = reps // RUNS_PER_SET
        return pd.concat([ids, design.iloc[points].reset_index(drop=True)], axis=1)


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file.

    Args:
        path: The TOML file.

    Returns:
        The checked :class:`Experiment`.

    Raises:
        ExperimentError: The file, one of its values or the scenario it names is invalid.
    """
    try:
        return _load(Path(path))
    except ExperimentError:
        raise
    except ScenarioError as err:
        raise ExperimentError(str(err)) from None


def _load(path: Path) -> Experiment:
    """Read and check an experiment file (scenario errors pass through)."""
    where = str(path)
    if path.is_file() and not path.read_bytes().strip():
        raise ExperimentError(f"{where}: the file is empty; an experiment needs at least "
                              "'scenario', 'seed', [parameters] and [outcomes]")
    data = read_toml(path)
    reject_unknown_keys(data, TOP_KEYS, where, "")
    for key in ("scenario", "seed"):
        if key not in data:
            raise ExperimentError(f"{where}: key '{key}' is missing; it is required "
                                  f"({TOP_KEYS[key].doc.lower()})")
    top = {k: check_value(p, data.get(k, p.default), where, k)
           for k, p in TOP_KEYS.items() if isinstance(p, Param)}
    tables = {k: subtable(data, k, where) for k in ("fixed", "design", "parameters", "outcomes")}

    base = load_scenario(_scenario_path(top["scenario"], path, where))
    weeks = top["weeks"] if "weeks" in data else base.params["weeks"]
    fixed = flatten(tables["fixed"])
    check_settable(fixed, where, "fixed")
    scenario = base.with_overrides({**fixed, "weeks": weeks}, where=f"{where}: [fixed]")

    design = tables["design"]
    reject_unknown_keys(design, DESIGN_KEYS, where, "design.")
    method = check_value(DESIGN_KEYS["method"], design.get("method", "grid"), where,
                         "design.method")
    samples = parse_samples(design, method, where)
    levels = check_value(DESIGN_KEYS["levels"], design.get("levels", 4), where, "design.levels")
    common = check_value(DESIGN_KEYS["common_seeds"], design.get("common_seeds", False), where,
                         "design.common_seeds")
    factors = parse_factors(tables["parameters"], method, scenario, fixed, where)
    outcomes = _outcomes(tables["outcomes"], weeks, {f.path for f in factors}, where)
    series = tuple(top["series"])
    for i, column in enumerate(series):
        check_value(OUTCOME_KEYS["column"], column, where, f"series.{i}")
    return Experiment(
        name=top["name"] or path.stem, description=" ".join(top["description"].split()),
        origin=where, scenario_ref=top["scenario"], scenario=scenario, fixed=fixed,
        seed=top["seed"], replications=top["replications"], weeks=weeks, method=method,
        samples=samples, levels=levels, common_seeds=common, factors=factors,
        outcomes=outcomes, series=series, uncertainty=uncertainty_of(top["uncertainty"]))


def reject_unknown_keys(data: Mapping[str, Any], schema: Mapping[str, Any], where: str,
                        prefix: str) -> None:
    """Raise an :class:`ExperimentError` naming the first key of ``data`` not in ``schema``."""
    for key in data:
        if key not in schema:
            raise unknown_key(where, f"{prefix}{key}", key, list(schema))


def subtable(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    """The table ``data[key]`` (empty if absent); anything else is an :class:`ExperimentError`."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ExperimentError(f"{where}: key '{key}': value {value!r} is not allowed; allowed: "
                              f"a table ([{key}] in TOML)")
    return value


def _scenario_path(ref: str, experiment: Path, where: str) -> str | Path:
    beside = experiment.parent / ref
    if ref.endswith(".toml") and beside.is_file():
        return beside
    try:
        return resolve_path(ref)
    except ScenarioError as err:
        raise ExperimentError(f"{where}: key 'scenario': {err}") from None


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Turn nested tables into dotted paths; a table with ``min``/``max`` is a range, a leaf."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not {"min", "max"} & set(value):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def check_settable(paths: Mapping[str, Any], where: str, table: str) -> None:
    """Refuse dotted paths that an experiment's ``[table]`` may not set (the horizon, names)."""
    for path in paths:
        if path.split(".")[0] in FIXED_BY_EXPERIMENT:
            raise ExperimentError(
                f"{where}: key '{table}.{path}': '{path}' cannot be set in [{table}]; set the "
                f"horizon with the top-level 'weeks' key; name, description and sources "
                f"belong to the scenario")


def _param(path: str, where: str) -> Param:
    """The schema entry of a dotted path (``crises.N.key`` for a crisis key)."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "crises" and parts[2] in CRISIS_SCHEMA:
        return CRISIS_SCHEMA[parts[2]]
    params = dict(iter_params())
    if path not in params:
        hint = difflib.get_close_matches(path, params, n=1)
        maybe = f"Did you mean '{hint[0]}'? " if hint else ""
        raise ExperimentError(f"{where}: key 'parameters.{path}': no such parameter. {maybe}"
                              "Parameters are dotted paths such as 'csos.factors.meaning' "
                              "(docs/ODD.md lists them all)")
    return params[path]


def parse_samples(design: Mapping[str, Any], method: str, where: str) -> int | None:
    """The ``design.samples`` a method needs (None for a grid), checked."""
    given = design.get("samples")
    if method == "grid":
        if given is not None:
            raise ExperimentError(f"{where}: key 'design.samples': value {given!r} is not "
                                  "allowed with method 'grid'; a grid runs every combination "
                                  "of the listed values, so leave 'samples' out")
        return None
    if given is None:
        raise ExperimentError(f"{where}: key 'design.samples' is missing; method '{method}' "
                              f"needs it ({DESIGN_KEYS['samples'].doc})")
    n = check_value(DESIGN_KEYS["samples"], given, where, "design.samples")
    if method == "sobol" and n & (n - 1):
        raise ExperimentError(f"{where}: key 'design.samples': value {n} is not allowed with "
                              "method 'sobol'; allowed: a power of 2 (e.g. 64, 128, 256), "
                              "which Sobol' sequences need to converge")
    return n


def parse_factors(table: Mapping[str, Any], method: str, scenario: Scenario,
                  fixed: Mapping[str, Any], where: str) -> tuple[Factor, ...]:
    """The ``[parameters]`` table as factors: value lists for a grid, ranges otherwise.

    Every value must be valid for its parameter in ``scenario``, and no path may also be in
    ``fixed``.
    """
    specs = flatten(table)
    if not specs:
        raise ExperimentError(f"{where}: key 'parameters': the table is empty; list at least "
                              "one dotted parameter path to vary")
    check_settable(specs, where, "parameters")
    factors = []
    for path, spec in specs.items():
        key = f"parameters.{path}"
        if path in fixed:
            raise ExperimentError(f"{where}: key '{key}': '{path}' is also in [fixed]; a "
                                  "parameter is either fixed or varied")
        param = _param(path, where)
        check = f"{where}: [parameters]"
        if method == "grid":
            if not isinstance(spec, list) or not spec:
                raise ExperimentError(f"{where}: key '{key}': value {spec!r} is not allowed "
                                      "with method 'grid'; allowed: a non-empty list of "
                                      "values, e.g. [0.2, 0.5, 0.8]")
            values = tuple(check_value(param, v, where, key) for v in spec)
            for v in values:
                scenario.with_overrides({path: v}, where=check)
            factors.append(Factor(path, param.kind, values=values))
            continue
        if param.kind not in ("float", "int"):
            raise ExperimentError(f"{where}: key '{key}': method '{method}' samples numbers, "
                                  f"but '{path}' is {param.allowed()}; vary it with a grid")
        if not isinstance(spec, dict) or set(spec) != {"min", "max"}:
            raise ExperimentError(f"{where}: key '{key}': value {spec!r} is not allowed with "
                                  f"method '{method}'; allowed: a range {{ min = …, max = … }}"
                                  f" within {param.allowed()}")
        low, high = (check_value(param, spec[k], where, f"{key}.{k}") for k in ("min", "max"))
        if not low < high:
            raise ExperimentError(f"{where}: key '{key}': min {low!r} is not below max "
                                  f"{high!r}; allowed: min < max")
        scenario.with_overrides({path: low}, where=check)
        factors.append(Factor(path, param.kind, low=float(low), high=float(high)))
    return tuple(factors)


def _outcomes(table: Mapping[str, Any], weeks: int, factor_paths: set[str],
              where: str) -> tuple[Outcome, ...]:
    if not table:
        raise ExperimentError(f"{where}: key 'outcomes': the table is empty; name at least one "
                              "outcome, e.g. retention = { column = \"retention_12m\", "
                              "stat = \"mean\" }")
    reserved = set(RUN_COLUMNS) | factor_paths | {"seconds", "worker", "error", "traceback"}
    outcomes = []
    for name, spec in table.items():
        key = f"outcomes.{name}"
        if not name.isidentifier() or name in reserved:
            raise ExperimentError(f"{where}: key '{key}': the name '{name}' is not allowed; "
                                  "allowed: a Python-style name (letters, digits, _) other "
                                  f"than {', '.join(sorted(reserved))}")
        if not isinstance(spec, dict):
            raise ExperimentError(f"{where}: key '{key}': value {spec!r} is not allowed; "
                                  "allowed: a table { column = …, stat = …, window = [from, "
                                  "to], label = … }")
        reject_unknown_keys(spec, {**OUTCOME_KEYS, "window": None}, where, key + ".")
        if "column" not in spec:
            raise ExperimentError(f"{where}: key '{key}.column' is missing; allowed: "
                                  f"{OUTCOME_KEYS['column'].allowed()}")
        column, stat, label, per = (
            check_value(OUTCOME_KEYS[k], spec.get(k, OUTCOME_KEYS[k].default), where,
                        f"{key}.{k}") for k in ("column", "stat", "label", "per"))
        if (stat == "ratio") != bool(per):
            raise ExperimentError(f"{where}: key '{key}': stat {stat!r} with per {per!r} is not "
                                  "allowed; allowed: stat = \"ratio\" with per = a column (the "
                                  "denominator), or another stat without per")
        start, end = _window(spec.get("window", [0, weeks]), weeks, where, f"{key}.window")
        outcomes.append(Outcome(name, column, stat, start, end, label or name, per=per))
    return tuple(outcomes)


def _window(value: Any, weeks: int, where: str, key: str) -> tuple[int, int]:
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
          and 0 <= value[0] < value[1] <= weeks)
    if not ok:
        raise ExperimentError(f"{where}: key '{key}': value {value!r} is not allowed; allowed: "
                              f"[from, to] with 0 <= from < to <= {weeks} (weeks from <= w < "
                              "to; the run's weeks are numbered 0 to weeks - 1)")
    return value[0], value[1]
