"""Calibration with a posterior: screen every assumed parameter (Morris), fit by ABC-SMC (pyabc).

A posterior file (``experiments/posterior.toml``; method and results in
``docs/calibration.md``)::

    name = "posterior"
    seed = 707                   # the screening's design and every run's seed derive from it

    [screening]                  # Morris elementary effects (SALib), the project's executors
    trajectories = 6
    levels = 4
    threshold = 2.0              # a parameter enters when its mu* reaches this many times the
    most = 8                     # noise floor for some statistic; at most this many (largest first)
    parameters = ["..."]         # optional: screen only these (default: every assumed one)

    [smc]                        # ABC-SMC (pyabc), stopped by whichever limit comes first
    population = 200             # particles per generation
    generations = 12
    minutes = 35                 # wall-time budget of the fit
    simulations = 10000

    [fixed]                      # optional: overrides of every run, by dotted path
    "population.citizens" = 1000

    [priors]                     # optional: uniform priors; the others: default x [0.5, 1.5]
    "volunteering.join_rate" = { min = 0.004, max = 0.03 }

**Screening.** Every numeric parameter whose basis is an assumption (or a calibration) and that
is not a scenario's input (:data:`SCENARIO_INPUTS`) is screened over its prior: Morris
trajectories (SALib) of the fitted statistics (:func:`fitted_checks`), each point run once in
the baseline and once in the pandemic, each with its own seed. Every statistic varies from run
to run, so a parameter's ``mu*`` holds noise as well as its effect: :data:`DUMMIES` dummy
parameters, which the model never sees, are screened beside the real ones, and their mean
``mu*`` is the statistic's noise floor. A parameter enters the fit when its ``mu*`` reaches
``threshold`` times the floor for some statistic (the ``most`` largest ratios); the rest keep
their values, with the screening as their basis.

**ABC-SMC.** A particle is a parameter set; it runs once in each arm and is reduced to the
fitted statistics. Its distance is the largest excess of a statistic outside its target band,
in band widths (0 when every statistic lies inside its band), so that the tolerance falls
generation by generation (pyabc's median epsilon) towards "every target met". pyabc's history
(SQLite, ``abc.db``) keeps every finished generation: calibrating into the same folder again
resumes after the last one. A particle's seed derives from the file's seed and its values
(:func:`particle_seed`), so each simulation can be rerun on its own; the SMC path itself
depends on the order in which parallel simulations finish (pyabc's sampler).

Example:
    >>> spec = load_spec("experiments/posterior.toml")  # doctest: +SKIP
    >>> screen = screening(spec, workers=2)  # doctest: +SKIP
    >>> fit = fit_smc(spec, screen.entered, out="results/posterior", workers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.executors import DaskExecutor, Executor, LocalExecutor, using
from ..batch.experiment import ExperimentError, check_settable, flatten, reject_unknown_keys
from ..batch.store import execute, raise_failures
from ..model.parameters import SCHEMA, Param, count, iter_params
from ..model.scenario import ScenarioError, check_value, load_scenario, read_toml
from ..model.streams import derive_seed
from .calibration import Task, run_task
from .validation import (
    GROUPS_FOUNDED_TARGET,
    TURNOVER_TARGET,
    Check,
    calibration_checks,
    closures_per_cso,
    groups_founded,
    plan,
)

STATISTICS = ("volunteer_share", "retention_12m", "surge_peak_weeks", "surge_remaining",
              "group_survival", "groups_founded", "closures")
"""Names of the fitted statistics, one per check of :func:`fitted_checks`."""
SCENARIO_INPUTS = ("weeks", "population.citizens", "population.neighbourhoods",
                   "csos.factors.", "state.funding.", "state.levers.", "state.austerity.")
"""Paths (or prefixes) that a scenario sets to ask its question: not screened."""
DUMMIES = 4
"""Dummy parameters of the screening (their effects are noise only: the floor)."""
PRIOR_SPAN = 0.5
"""Without an explicit prior, a parameter is screened over its default x [1 - span, 1 + span]."""
LOCAL_FRACTION = 0.25
"""The proposal of each particle is a normal with the covariance of its nearest quarter of the
population (pyabc's LocalTransition): the posterior lies along ridges (joining against quitting
and availability), where one global covariance proposed too few points in the ridge's ends and
left the weights on a handful of particles (effective sample size 6.5 of 200 in a first run)."""
MISSING_DISTANCE = 10.0
"""Distance of a statistic that is not defined in a run (e.g. no new group to survive)."""
IDENTIFIED = 0.5
"""A parameter counts as identified when its 90 % posterior interval is under this share of its
prior's width."""
SPEC_KEYS: dict[str, Any] = {
    "name": Param("", "str", doc="Short name."),
    "description": Param("", "str", doc="What it calibrates."),
    "seed": Param(0, "int", 0, 2**63 - 1, doc="The seed every design and run derives from."),
    "screening": {}, "smc": {}, "fixed": {}, "priors": {},
}
SCREENING_KEYS: dict[str, Param] = {
    "trajectories": count(6, "Morris trajectories.", low=2, high=100),
    "levels": count(4, "Morris grid levels.", low=2, high=20),
    "threshold": Param(2.0, "float", 1.0, 100.0, unit="times the noise floor",
                       doc="A parameter enters when its mu* reaches this multiple of the dummy "
                           "parameters' mean mu* for a statistic."),
    "most": count(8, "Most parameters that enter the fit.", low=1, high=50),
    "parameters": Param([], "list[str]", doc="Screen only these (default: every assumed one)."),
}
SMC_KEYS: dict[str, Param] = {
    "population": count(200, "Particles per generation.", low=10, high=100_000),
    "generations": count(12, "Most generations.", low=1, high=100),
    "minutes": Param(35.0, "float", 0.01, 10_000.0, unit="minutes",
                     doc="Wall-time budget of the fit."),
    "simulations": count(10_000, "Most simulations of the fit.", low=10, high=10_000_000),
}


# -- the posterior file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Prior:
    """A uniform prior of one parameter."""

    path: str
    kind: str
    low: float
    high: float
    default: float

    def value(self, x: float) -> float | int:
        """A number on the prior's scale as the parameter takes it (rounded if whole)."""
        return int(round(x)) if self.kind == "int" else float(x)


@dataclass(frozen=True)
class Spec:
    """A checked posterior file (see the module's docstring)."""

    name: str
    description: str
    origin: str
    seed: int
    fixed: dict[str, Any]
    priors: dict[str, Prior]
    screening: dict[str, Any]
    smc: dict[str, Any]

    def checks(self) -> list[Check]:
        """The fitted checks with [fixed] applied to every arm, one run per arm."""
        return [dataclasses.replace(check, arms=tuple(
            dataclasses.replace(arm, overrides={**arm.overrides, **self.fixed}, keep=False,
                                runs=1) for arm in check.arms)) for check in fitted_checks()]

    def to_dict(self) -> dict[str, Any]:
        """Everything that affects the results (for the manifest)."""
        return {"name": self.name, "seed": self.seed, "fixed": self.fixed,
                "screening": self.screening, "smc": self.smc,
                "priors": {p.path: {"min": p.low, "max": p.high} for p in self.priors.values()}}


def fitted_checks() -> list[Check]:
    """The checks the posterior is fitted to: P1-P3, new groups a year, CSO closures a year.

    The five calibration checks of ``validate`` and two of its dynamics patterns measured on
    the same two arms (new informal groups in the pandemic's first year; formal CSOs closing a
    year over the baseline's years 2-10, where ``validate`` measures 30 years). The other
    dynamics checks (size, the 30-year stationarity, the recession, the pandemic's aftermath)
    are held out: ``calibrate`` reports them as out-of-sample checks.
    """
    checks = calibration_checks()
    baseline, pandemic = checks[0].arms[0], checks[2].arms[0]
    return checks + [
        Check("dynamics", "pandemic: new informal groups per 10,000 citizens in the first year",
              groups_founded, (pandemic,), GROUPS_FOUNDED_TARGET, ".2f", "groups per 10,000",
              "about 4,000 UK mutual-aid groups in spring 2020, 0.6 per 10,000 "
              "[UK-MUTUAL-AID]; 58 Madrid networks, 0.2 per 10,000 [FRAVM-2020]"),
        Check("dynamics", "baseline: formal CSOs closing a year, per formal CSO, years 2-10",
              closures_per_cso, (baseline,), TURNOVER_TARGET, ".1%", "share a year",
              "under 4 % of charities close a year [GUIDESTAR]; 64 % of a cohort survive ten "
              "years [NCCS-2015]"),
    ]


def screened_paths() -> list[str]:
    """Every parameter screened by default: numeric, assumed or calibrated, not an input."""
    return [path for path, p in iter_params(SCHEMA)
            if p.kind in ("float", "int") and not path.startswith(SCENARIO_INPUTS)
            and ("assumption" in p.basis or "calibrated" in p.basis)]


def default_prior(path: str, p: Param) -> Prior:
    """The default x [0.5, 1.5], inside the allowed range."""
    low, high = p.default * (1 - PRIOR_SPAN), p.default * (1 + PRIOR_SPAN)
    low = max(low, p.low) if p.low is not None else low
    high = min(high, p.high) if p.high is not None else high
    return Prior(path, p.kind, float(low), float(high), float(p.default))


def load_spec(path: str | Path) -> Spec:
    """Read and check a posterior file.

    Raises:
        ExperimentError: The file or one of its values is invalid (names the file and the key).
    """
    where = str(path)
    try:
        data = read_toml(Path(path))
        reject_unknown_keys(data, SPEC_KEYS, where, "")
        top = {k: check_value(p, data.get(k, p.default), where, k)
               for k, p in SPEC_KEYS.items() if isinstance(p, Param)}
        tables = {k: data.get(k, {}) for k in ("screening", "smc", "fixed", "priors")}
        for key, table in tables.items():
            if not isinstance(table, dict):
                raise ExperimentError(f"{where}: key {key!r}: value {table!r} is not allowed; "
                                      "allowed: a table")
        screening = _settings(tables["screening"], SCREENING_KEYS, where, "screening")
        smc = _settings(tables["smc"], SMC_KEYS, where, "smc")
        fixed = flatten(tables["fixed"])
        check_settable(fixed, where, "fixed")
        load_scenario("baseline", fixed, where=f"{where}: [fixed]")
        schema = dict(iter_params(SCHEMA))
        paths = screening["parameters"] or screened_paths()
        for p in paths:
            if p not in schema or schema[p].kind not in ("float", "int"):
                raise ExperimentError(f"{where}: key 'screening.parameters': value {p!r} is not "
                                      "allowed; allowed: numeric parameter paths (see "
                                      "`solidarity-sim schema`)")
        priors = {p: default_prior(p, schema[p]) for p in paths if p not in fixed}
        for p, bounds in _priors(tables["priors"]).items():
            if p not in priors:
                raise ExperimentError(f"{where}: key 'priors.{p}': not a screened parameter; "
                                      "allowed: " + ", ".join(sorted(priors)[:5]) + ", ...")
            priors[p] = _prior(p, bounds, schema[p], where)
    except ScenarioError as err:
        raise ExperimentError(str(err)) from None
    return Spec(top["name"] or Path(path).stem, " ".join(top["description"].split()), where,
                top["seed"], fixed, priors, screening, smc)


def _settings(table: Mapping[str, Any], keys: Mapping[str, Param], where: str, name: str
              ) -> dict[str, Any]:
    reject_unknown_keys(table, keys, where, f"{name}.")
    return {k: check_value(p, table.get(k, p.default), where, f"{name}.{k}")
            for k, p in keys.items()}


def _priors(table: Mapping[str, Any]) -> dict[str, Any]:
    """The [priors] table by dotted path (its values are {min, max} tables)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and set(value) - {"min", "max"}:
            out.update({f"{key}.{k}": v for k, v in _priors(value).items()})
        else:
            out[key] = value
    return out


def _prior(path: str, bounds: Any, p: Param, where: str) -> Prior:
    key = f"priors.{path}"
    if not isinstance(bounds, dict) or set(bounds) != {"min", "max"}:
        raise ExperimentError(f"{where}: key {key!r}: value {bounds!r} is not allowed; allowed: "
                              "{ min = LOW, max = HIGH }")
    low, high = (check_value(p, bounds[k], where, f"{key}.{k}") for k in ("min", "max"))
    if not low < high:
        raise ExperimentError(f"{where}: key {key!r}: min {low!r} must be below max {high!r}")
    return Prior(path, p.kind, float(low), float(high), float(p.default))


# -- running one parameter set --------------------------------------------------------------------

def particle_seed(seed: int, values: Mapping[str, float]) -> int:
    """The seed of a parameter set's runs: from the file's seed and the values, nothing else."""
    text = json.dumps({k: float(v) for k, v in sorted(values.items())}).encode()
    return derive_seed(seed, int.from_bytes(hashlib.sha256(text).digest()[:7], "big"))


def point_tasks(spec: Spec, point: int, values: Mapping[str, Any], seed: int) -> list[Task]:
    """One run of each fitted arm for one parameter set, with the statistics each delivers."""
    checks = spec.checks()
    names = dict(zip((c.statistic for c in checks), STATISTICS, strict=True))
    tasks = []
    for arm, statistics in plan(checks).values():
        arm = dataclasses.replace(arm, overrides={**arm.overrides, **values})
        tasks.append(Task(point, 0, seed, arm, arm.resolve(),
                          tuple((names[s], s) for s in statistics)))
    return tasks


@dataclass(frozen=True)
class ParticleModel:
    """The model as pyabc sees it: a parameter set in, the fitted statistics out."""

    spec: Spec
    paths: tuple[str, ...]

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """Run the set's arms (its seed from its values) and return its statistics."""
        values = {p: self.spec.priors[p].value(parameters[safe_name(p)]) for p in self.paths}
        stats: dict[str, float] = {}
        for task in point_tasks(self.spec, 0, values, particle_seed(self.spec.seed, values)):
            row = run_task(task).row
            stats.update({name: float(row[name]) for name, _ in task.statistics})
        return stats


def safe_name(path: str) -> str:
    """A parameter's name in pyabc's database (dots are not allowed there)."""
    return path.replace(".", "__")


def band_distance(bands: Mapping[str, tuple[float, float]], x: Mapping[str, float]) -> float:
    """Largest excess of a statistic outside its band, in band widths (0: every one inside)."""
    worst = 0.0
    for name, (low, high) in bands.items():
        value = x[name]
        if value is None or math.isnan(value):
            return MISSING_DISTANCE
        width = high - low if math.isfinite(high - low) else max(abs(low), abs(high), 1.0)
        worst = max(worst, (low - value) / width, (value - high) / width)
    return worst


@dataclass(frozen=True)
class BandDistance:
    """pyabc's distance: :func:`band_distance` of the simulated statistics (``x_0`` unused)."""

    bands: tuple[tuple[str, float, float], ...]

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float]) -> float:
        """The distance of simulated statistics ``x`` from the target bands."""
        return band_distance({n: (lo, hi) for n, lo, hi in self.bands}, x)


def bands() -> tuple[tuple[str, float, float], ...]:
    """Each fitted statistic's target band."""
    return tuple((n, c.band.low, c.band.high)
                 for n, c in zip(STATISTICS, fitted_checks(), strict=True))


# -- screening ------------------------------------------------------------------------------------

@dataclass
class Screening:
    """The outcome of :func:`screening`.

    Attributes:
        effects: One row per parameter: ``parameter``, ``low``, ``high``, then for each
            statistic ``mu_star.S`` (Morris mu*) and ``ratio.S`` (mu* over the noise floor of
            S, the dummies' mean mu*), ``largest`` (the largest ratio) and ``entered``; the
            dummies' rows last (``parameter`` ``(dummy k)``, never entered).
        points: The design and the statistics of each point.
        seconds: Wall time.
    """

    effects: pd.DataFrame
    points: pd.DataFrame
    seconds: float

    @property
    def entered(self) -> list[str]:
        """The parameters that enter the fit, largest share first."""
        chosen = self.effects[self.effects["entered"]]
        return chosen.sort_values("largest", ascending=False, kind="stable")["parameter"].tolist()

    def save(self, folder: Path, spec: Spec) -> None:
        """Write ``effects.csv``, ``points.csv`` and the file's identity into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.effects.to_csv(folder / "effects.csv", index=False, float_format="%.6g")
        self.points.to_csv(folder / "points.csv", index=False, float_format="%.17g")
        (folder / "identity.json").write_text(json.dumps(
            {"spec": spec.to_dict(), "seconds": self.seconds}, indent=1))

    @classmethod
    def load(cls, folder: Path, spec: Spec) -> Screening | None:
        """A screening saved by :meth:`save` for this same file, else None."""
        try:
            identity = json.loads((folder / "identity.json").read_text())
            effects = pd.read_csv(folder / "effects.csv")
            points = pd.read_csv(folder / "points.csv")
        except (OSError, ValueError):
            return None
        if identity.get("spec") != json.loads(json.dumps(spec.to_dict())):
            return None
        return cls(effects, points, float(identity["seconds"]))


def screening(spec: Spec, *, workers: int | None = None, executor: Executor | None = None,
              progress: Callable[[int, int], None] | None = None) -> Screening:
    """Morris screening of every prior on the fitted statistics (one run per arm and point)."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    start = time.perf_counter()
    priors = list(spec.priors.values())
    dummies = [f"(dummy {k + 1})" for k in range(DUMMIES)]
    problem = {"num_vars": len(priors) + DUMMIES, "names": [p.path for p in priors] + dummies,
               "bounds": [[p.low, p.high] for p in priors] + [[0.0, 1.0]] * DUMMIES}
    settings = spec.screening
    design = sample.sample(problem, settings["trajectories"], num_levels=settings["levels"],
                           seed=spec.seed)
    tasks = [task for i, row in enumerate(design)
             for task in point_tasks(spec, i, {p.path: p.value(x) for p, x in
                                               zip(priors, row[:len(priors)], strict=True)},
                                     derive_seed(spec.seed, i))]
    with using(executor, workers, len(tasks)) as engine:
        done = execute(engine, run_task, tasks, progress=progress)
    raise_failures(done, None)
    stats = pd.DataFrame([{"point": t.point, **{n: done[t.key].row[n] for n, _ in t.statistics}}
                          for t in tasks]).groupby("point").first()
    points = pd.DataFrame(design, columns=problem["names"]).join(stats)
    effects = pd.DataFrame({"parameter": problem["names"],
                            "low": [b[0] for b in problem["bounds"]],
                            "high": [b[1] for b in problem["bounds"]]})
    dummy = effects["parameter"].isin(dummies).to_numpy()
    for name in STATISTICS:
        y = points[name].to_numpy(dtype=float)
        y = np.where(np.isnan(y), np.nanmean(y) if np.isfinite(y).any() else 0.0, y)
        mu_star = np.asarray(analyze.analyze(problem, design, y, num_levels=settings["levels"],
                                             seed=spec.seed)["mu_star"])
        floor = mu_star[dummy].mean()
        effects[f"mu_star.{name}"] = mu_star
        effects[f"ratio.{name}"] = mu_star / floor if floor > 0 else np.where(
            mu_star > 0, np.inf, 0.0)
    effects["largest"] = effects[[f"ratio.{n}" for n in STATISTICS]].max(axis=1)
    ranked = effects[(effects["largest"] >= settings["threshold"]) & ~dummy].sort_values(
        "largest", ascending=False, kind="stable")["parameter"].head(settings["most"])
    effects["entered"] = effects["parameter"].isin(ranked)
    return Screening(effects, points, time.perf_counter() - start)


# -- ABC-SMC -------------------------------------------------------------------------------------

@dataclass
class Fit:
    """The outcome of :func:`fit_smc`.

    Attributes:
        posterior: The last generation: a column per fitted parameter (dotted path) and
            ``weight``, plus its simulated statistics.
        generations: One row per generation: ``t``, ``epsilon``, ``particles``,
            ``simulations``, ``acceptance``, ``ess``.
        parameters: The fitted parameters.
        stopped: Why the fit stopped, in words.
        seconds: Wall time of the fit, over every call that resumed it.
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    parameters: list[str]
    stopped: str
    seconds: float


def sampler_for(executor: Executor):
    """The pyabc sampler on the project's executor: its process pool, its Dask client, or serial."""
    import pyabc

    if isinstance(executor, DaskExecutor):
        return pyabc.sampler.DaskDistributedSampler(executor.client, client_max_jobs=2 * max(
            1, sum(executor.client.nthreads().values())))
    if isinstance(executor, LocalExecutor):
        return pyabc.sampler.ConcurrentFutureSampler(executor.pool(),
                                                     client_max_jobs=2 * executor.workers)
    return pyabc.sampler.SingleCoreSampler()


def fit_smc(spec: Spec, parameters: Sequence[str], out: str | Path, *,
            workers: int | None = None, executor: Executor | None = None,
            progress: Callable[[dict[str, Any]], None] | None = None) -> Fit:
    """Fit ``parameters`` by ABC-SMC into ``out/abc.db``, resuming a fit stored there.

    One generation at a time (``ABCSMC.run(max_nr_populations=1)``), so that every finished
    generation is stored before the next starts. Stops when the tolerance reaches 0 (every
    particle of the last generation meets every target), or at the file's generations,
    minutes or simulations.

    Args:
        spec: The posterior file.
        parameters: The paths to fit (the screening's ``entered``).
        out: Folder of the history.
        workers: Processes of the local pool built when no ``executor`` is given.
        executor: Where to run (left open).
        progress: Called after each generation with its row of :attr:`Fit.generations`.

    Raises:
        ExperimentError: ``out`` holds a fit of other parameters or another file.
    """
    import pyabc

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db, identity_file = out / "abc.db", out / "abc.json"
    identity = {"spec": spec.to_dict(), "parameters": list(parameters)}
    spent = 0.0
    if db.exists():
        stored = json.loads(identity_file.read_text()) if identity_file.exists() else {}
        if {k: stored.get(k) for k in identity} != json.loads(json.dumps(identity)):
            raise ExperimentError(f"{db}: holds another fit (other parameters, priors or "
                                  "settings); give another --out or delete the folder")
        spent = float(stored.get("seconds", 0.0))
    start = time.perf_counter() - spent  # the budget counts the time of earlier calls
    prior = pyabc.Distribution(**{safe_name(p): pyabc.RV(
        "uniform", spec.priors[p].low, spec.priors[p].high - spec.priors[p].low)
        for p in parameters})
    settings = spec.smc
    np.random.seed(derive_seed(spec.seed, 1) % 2**32)  # pyabc draws proposals from NumPy's global
    with using(executor, workers, settings["population"]) as engine:
        abc = pyabc.ABCSMC(ParticleModel(spec, tuple(parameters)), prior,
                           BandDistance(bands()), population_size=settings["population"],
                           transitions=pyabc.LocalTransition(k_fraction=LOCAL_FRACTION),
                           sampler=sampler_for(engine))
        if db.exists():
            abc.load(f"sqlite:///{db}", 1)
        else:
            abc.new(f"sqlite:///{db}", {n: 0.0 for n in STATISTICS})
        try:
            stopped = _generations(abc, settings, start, progress)
        finally:
            identity_file.write_text(json.dumps(
                {**identity, "seconds": time.perf_counter() - start}, indent=1))
    return _fit(abc.history, list(parameters), stopped, time.perf_counter() - start)


def _generations(abc, settings: Mapping[str, Any], start: float,
                 progress: Callable[[dict[str, Any]], None] | None) -> str:
    """Run the remaining generations in one ``ABCSMC.run``; the reason it stopped.

    One call, so that pyabc adapts the tolerance from each generation to the next (median of
    the last generation's distances). ``progress`` hears of each finished generation through
    pyabc's "ABC" logger, which reports it.
    """
    from datetime import timedelta

    done = generations_table(abc.history)
    simulations = int(done["simulations"].sum()) if len(done) else 0
    left = settings["generations"] - len(done)
    if len(done) and done["epsilon"].iloc[-1] <= 0:
        left = 0
    budget = timedelta(minutes=settings["minutes"]) - timedelta(
        seconds=time.perf_counter() - start)
    if left > 0 and simulations < settings["simulations"] and budget.total_seconds() > 0:
        hook = _GenerationHook(abc.history, progress)
        logger = logging.getLogger("ABC")
        logger.addHandler(hook)
        try:
            abc.run(minimum_epsilon=0.0, max_nr_populations=left,
                    max_total_nr_simulations=settings["simulations"] - simulations,
                    max_walltime=budget)
        finally:
            logger.removeHandler(hook)
    table = generations_table(abc.history)
    if len(table) and table["epsilon"].iloc[-1] <= 0:
        return (f"tolerance 0 reached in generation {int(table['t'].iloc[-1])}: every particle "
                "meets every target")
    if len(table) >= settings["generations"]:
        return f"{settings['generations']} generations"
    if table["simulations"].sum() >= settings["simulations"]:
        return f"{int(table['simulations'].sum())} simulations"
    return f"the budget of {settings['minutes']:g} minutes"


class _GenerationHook(logging.Handler):
    """Calls ``progress`` with the last generation's row when pyabc logs its acceptance."""

    def __init__(self, history, progress: Callable[[dict[str, Any]], None] | None):
        super().__init__(logging.INFO)
        self.history, self.progress = history, progress

    def emit(self, record: logging.LogRecord) -> None:
        if self.progress is not None and record.getMessage().startswith("Accepted"):
            row = generations_table(self.history)
            if len(row):
                self.progress(row.iloc[-1].to_dict())


def generations_table(history) -> pd.DataFrame:
    """One row per finished generation: t, epsilon, particles, simulations, acceptance, ess."""
    if history.max_t < 0:
        return pd.DataFrame(columns=["t", "epsilon", "particles", "simulations", "acceptance",
                                     "ess"])
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    rows = []
    for row in pops.itertuples():
        _, w = history.get_distribution(m=0, t=int(row.t))
        rows.append({"t": int(row.t), "epsilon": float(row.epsilon),
                     "particles": int(row.particles), "simulations": int(row.samples),
                     "acceptance": row.particles / row.samples,
                     "ess": float(1 / np.sum(np.asarray(w) ** 2))})
    return pd.DataFrame(rows)


def _fit(history, parameters: list[str], stopped: str, seconds: float) -> Fit:
    """The last generation as a table of named parameters, weights and statistics."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = pd.DataFrame({p: frame[safe_name(p)].to_numpy() for p in parameters})
    posterior["weight"] = np.asarray(weights) / np.sum(weights)
    stat_w, stats = history.get_weighted_sum_stats(t=history.max_t)
    posterior = posterior.join(pd.DataFrame([{n: s[n] for n in STATISTICS} for s in stats]))
    return Fit(posterior, generations_table(history), parameters, stopped, seconds)


# -- reading the posterior ------------------------------------------------------------------------

def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted distribution function)."""
    order = np.argsort(x, kind="stable")
    cdf = np.cumsum(w[order]) / np.sum(w)
    return np.asarray(x)[order][np.minimum(np.searchsorted(cdf, q), len(x) - 1)]


def marginals(posterior: pd.DataFrame, spec: Spec, parameters: Sequence[str]) -> pd.DataFrame:
    """Each fitted parameter: prior, weighted median and 90 % interval, identified or not."""
    w = posterior["weight"].to_numpy()
    rows = []
    for p in parameters:
        prior = spec.priors[p]
        low, median, high = weighted_quantile(posterior[p].to_numpy(), w, (0.05, 0.5, 0.95))
        share = (high - low) / (prior.high - prior.low)
        rows.append({"parameter": p, "prior_low": prior.low, "prior_high": prior.high,
                     "low": low, "median": median, "high": high, "share_of_prior": share,
                     "identified": bool(share < IDENTIFIED), "default": prior.default,
                     "default_inside": bool(low <= prior.default <= high)})
    return pd.DataFrame(rows)


def highest_weight_passing(posterior: pd.DataFrame, parameters: Sequence[str]) -> dict[str, float]:
    """The particle of largest weight whose own statistics meet every fitted target."""
    inside = [band_distance({n: (lo, hi) for n, lo, hi in bands()}, row) == 0
              for row in posterior[list(STATISTICS)].to_dict("records")]
    pool = posterior[inside] if any(inside) else posterior
    best = pool.sort_values("weight", ascending=False, kind="stable").iloc[0]
    return {p: float(best[p]) for p in parameters}


def save_posterior(fit: Fit, spec: Spec, folder: str | Path, extra: Mapping[str, Any]) -> Path:
    """Write ``posterior.parquet`` (parameters and weights) and ``manifest.json`` into ``folder``.

    The pair is what :func:`~solidarity_sim.batch.uncertainty.load_posterior` reads: the
    folder can be shipped (``posterior/`` in the package) or given to ``--uncertainty``.
    """
    from ..results.files import write_json, write_table

    folder = Path(folder)
    write_table(fit.posterior[[*fit.parameters, "weight"]], folder / "posterior.parquet")
    write_json(folder / "manifest.json", {
        "kind": "solidarity-sim posterior", "origin": spec.origin, "seed": spec.seed,
        "calibration": spec.to_dict(), "parameters": fit.parameters,
        "particles": len(fit.posterior), "stopped": fit.stopped,
        "generations": fit.generations.to_dict("records"), **extra})
    return folder


def predictive_checks(citizens: int | None = None) -> list[Check]:
    """The checks of the posterior predictive check: the fitted ones' and the held-out ones.

    ``validate``'s calibration and dynamics checks (the fitted statistics are measured there
    as ``validate`` measures them, e.g. closures over 30 years).
    """
    from .validation import dynamics_checks

    return calibration_checks(citizens) + dynamics_checks(citizens)


FITTED_CHECKS = frozenset(c.name for c in calibration_checks()) | {
    "pandemic: new informal groups per 10,000 citizens in the first year",
    "baseline: formal CSOs closing a year, per formal CSO"}
"""Names of the predictive checks whose statistic was fitted (the others are held out)."""


def parameter_status(screen: Screening, marginals: pd.DataFrame) -> dict[str, str]:
    """Each parameter's status, by dotted path, for the ODD's parameter table.

    Calibrated (posterior median and 90 % interval), screened out or in but over the cap
    (the largest effect in noise floors), a scenario's input, or sourced (not screened: its
    basis is a source).
    """
    fitted = marginals.set_index("parameter")
    effects = screen.effects.set_index("parameter")
    status = {}
    for path, p in iter_params(SCHEMA):
        if path in fitted.index:
            m = fitted.loc[path]
            status[path] = (f"calibrated: median {m['median']:.3g}, 90 % interval "
                            f"{m['low']:.3g}–{m['high']:.3g} ("
                            + ("identified" if m["identified"] else
                               f"not identified: {m['share_of_prior']:.0%} of the prior")
                            + ")")
        elif path in effects.index:
            e = effects.loc[path]
            status[path] = (f"screened {'in, over the cap' if e['entered'] else 'out'}: "
                            f"largest effect {e['largest']:.1f} x the noise floor (Morris)")
        elif path.startswith(SCENARIO_INPUTS):
            status[path] = "scenario input"
        elif p.kind in ("float", "int"):
            status[path] = "sourced (not screened)"
    return status
