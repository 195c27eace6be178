"""Calibration of the uncertain base rates: Latin hypercubes over their priors, rejection ABC.

A calibration file (``experiments/calibration.toml``; method and results in
``docs/calibration.md``) names the uncertain parameters with uniform prior ranges::

    name = "calibration"
    seed = 606                   # every design's and run's seed derives from it
    replications = 2             # runs per design point and scenario (x the arm's runs)

    [weeks]                      # optional: horizon per scenario (default: the scenario's own)
    baseline = 520
    pandemic = 156

    [fixed]                      # optional: dotted-path overrides of both scenarios
    "population.citizens" = 10000

    [design]
    method = "lhs"               # a Latin hypercube (SALib)
    samples = 200                # points per wave
    waves = 2                    # optional (default 1): later waves sample a narrower box
    margin = 0.25                # optional: how near the targets a point must be to shape it

    [parameters]                 # uniform priors
    "volunteering.join_rate" = { min = 0.01, max = 0.05 }

Every design point runs in both scenarios the targets P1-P3 (docs/sources.md) refer to (``baseline``
and ``pandemic``, with the same overrides and seeds). Each run is reduced to the statistics of
:func:`~solidarity_sim.analysis.validation.calibration_checks` (formal volunteering share, annual
retention, weeks to the surge's peak, excess left 13 weeks after it, survival of new informal
groups), and each statistic is averaged over the point's runs. A point is **accepted** when every
mean lies inside its target band: rejection ABC with the bands as tolerance.

The first wave samples the priors. Each later wave samples the box spanned by the previous wave's
*plausible* points, those whose means all lie within their bands widened by ``margin`` band
widths on each side (the box is padded by :data:`BOX_PAD` of each prior's width and kept inside
the priors). As long as the box holds every parameter value that can be accepted, the accepted
points of every wave are draws from the same ABC posterior (the prior restricted to the accepted
region), and later waves draw them more often.

Errors in the file name the file, the key, the bad value and what is allowed, and are raised as
:class:`~solidarity_sim.batch.experiment.ExperimentError`.

Example:
    >>> cal = load_calibration("experiments/calibration.toml")  # doctest: +SKIP
    >>> result = calibrate(cal, workers=2)  # doctest: +SKIP
    >>> result.waves, result.region()  # doctest: +SKIP
    >>> select(cal, result.candidates(5)).chosen  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.executors import Executor, Failed, using
from ..batch.experiment import (
    DESIGN_KEYS,
    TOP_KEYS,
    Experiment,
    ExperimentError,
    Factor,
    check_settable,
    flatten,
    parse_factors,
    parse_samples,
    reject_unknown_keys,
    subtable,
)
from ..batch.store import RunStore, Stored, execute, opened
from ..model.parameters import Param, count, iter_params
from ..model.scenario import Scenario, ScenarioError, check_value, load_scenario, read_toml
from ..model.streams import derive_seed
from .validation import (
    GROUP_AGE,
    WEEKS_PER_YEAR,
    Arm,
    Check,
    Statistic,
    Validation,
    calibration_checks,
    evaluate,
    plan,
    validate,
)

STATISTICS = ("volunteer_share", "retention_12m", "surge_peak_weeks", "surge_remaining",
              "group_survival")
"""Column names of the calibration statistics, one per check of ``calibration_checks()``."""
SCENARIOS = ("baseline", "pandemic")
"""The scenarios the calibration targets refer to (the arms of ``calibration_checks()``)."""
CALIBRATION_KEYS: dict[str, Any] = {
    **{key: TOP_KEYS[key] for key in ("name", "description", "seed", "replications")},
    "weeks": {}, "fixed": {}, "design": {}, "parameters": {},
}
CALIBRATION_DESIGN: dict[str, Param] = {
    "method": Param("lhs", "str", choices=("lhs",),
                    doc="How points are drawn from the priors: a Latin hypercube."),
    "samples": DESIGN_KEYS["samples"],
    "waves": count(1, "Waves of design points; each later one samples the box of the previous "
                      "one's plausible points.", low=1, high=20),
    "margin": Param(0.25, "float", 0.0, 10.0, unit="band widths",
                    doc="A point is plausible when every mean statistic lies within its band "
                        "widened by this many band widths on each side."),
}
BOX_PAD = 0.05
"""Each side of a later wave's box is padded by this share of the prior's width."""
SIGNIFICANT = 2
"""Significant digits of the recommended parameter values."""


# -- the calibration file -------------------------------------------------------------------------

@dataclass(frozen=True)
class Calibration:
    """A checked calibration file.

    Attributes:
        name: Short name.
        description: What it calibrates and why these priors.
        origin: The file it was read from.
        fixed: Overrides of both scenarios, by dotted path.
        weeks: Horizon of each scenario in :data:`SCENARIOS`.
        design: The first wave as an experiment on the baseline: its uniform priors
            (``factors``), Latin hypercube (``samples`` points, ``seed``) and ``replications``.
            Its outcomes are empty: the statistics are the calibration checks'.
        waves: Number of waves.
        margin: Widening of the bands, in band widths, that makes a point plausible.
    """

    name: str
    description: str
    origin: str
    fixed: dict[str, Any]
    weeks: dict[str, int]
    design: Experiment
    waves: int = 1
    margin: float = 0.25

    @property
    def parameters(self) -> list[str]:
        """The calibrated parameters' dotted paths, in file order."""
        return [f.path for f in self.design.factors]

    def resized(self, samples: int | None = None, replications: int | None = None
                ) -> Calibration:
        """The same calibration with another number of design points or replications."""
        changes = {k: v for k, v in (("samples", samples), ("replications", replications))
                   if v is not None}
        return dataclasses.replace(self, design=dataclasses.replace(self.design, **changes))

    def defaults(self) -> dict[str, Any]:
        """The current value of every calibrated parameter (the baseline's, with [fixed])."""
        return {path: self.design.scenario.get(path) for path in self.parameters}

    def checks(self, values: Mapping[str, Any] | None = None) -> list[Check]:
        """The calibration checks, run with [fixed], the horizons and ``values``.

        Args:
            values: Values of calibrated parameters by dotted path (default: the current ones).
        """
        def at(arm: Arm) -> Arm:
            overrides = {**arm.overrides, **self.fixed, "weeks": self.weeks[arm.scenario],
                         **(values or {})}
            return dataclasses.replace(arm, overrides=overrides, keep=False)

        return [dataclasses.replace(check, arms=tuple(at(arm) for arm in check.arms))
                for check in calibration_checks()]

    def to_dict(self) -> dict[str, Any]:
        """Everything that affects the results, in canonical form (for the manifest)."""
        exp = self.design
        return {"name": self.name, "seed": exp.seed, "replications": exp.replications,
                "weeks": self.weeks, "fixed": self.fixed,
                "design": {"method": exp.method, "samples": exp.samples, "waves": self.waves,
                           "margin": self.margin},
                "parameters": {f.path: f.spec() for f in exp.factors}}

    def wave(self, wave: int, factors: Sequence[Factor]) -> pd.DataFrame:
        """The Latin hypercube of one wave over ``factors`` (SALib, seed + wave)."""
        return dataclasses.replace(self.design, factors=tuple(factors),
                                   seed=self.design.seed + wave).design()


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file.

    Args:
        path: The TOML file.

    Returns:
        The checked :class:`Calibration`.

    Raises:
        ExperimentError: The file or one of its values is invalid.
    """
    path = Path(path)
    where = str(path)
    try:
        data = read_toml(path)
        reject_unknown_keys(data, CALIBRATION_KEYS, where, "")
        if "seed" not in data:
            raise ExperimentError(f"{where}: key 'seed' is missing; it is required "
                                  f"({TOP_KEYS['seed'].doc.lower()})")
        top = {k: check_value(p, data.get(k, p.default), where, k)
               for k, p in CALIBRATION_KEYS.items() if isinstance(p, Param)}
        tables = {k: subtable(data, k, where) for k in ("weeks", "fixed", "design", "parameters")}
        fixed = flatten(tables["fixed"])
        check_settable(fixed, where, "fixed")
        scenarios = {name: load_scenario(name, fixed, where=f"{where}: [fixed]")
                     for name in SCENARIOS}
        weeks = _weeks(tables["weeks"], scenarios, where)
        design = tables["design"]
        reject_unknown_keys(design, CALIBRATION_DESIGN, where, "design.")
        method = check_value(CALIBRATION_DESIGN["method"], design.get("method", "lhs"), where,
                             "design.method")
        baseline = scenarios["baseline"].with_overrides({"weeks": weeks["baseline"]})
        factors = parse_factors(tables["parameters"], method, baseline, fixed, where)
        samples = parse_samples(design, method, where)
        waves, margin = (check_value(CALIBRATION_DESIGN[k], design.get(
            k, CALIBRATION_DESIGN[k].default), where, f"design.{k}") for k in ("waves", "margin"))
    except ExperimentError:
        raise
    except ScenarioError as err:
        raise ExperimentError(str(err)) from None
    name = top["name"] or path.stem
    description = " ".join(top["description"].split())
    return Calibration(name, description, where, fixed, weeks, Experiment(
        name=name, description=description, origin=where, scenario_ref="baseline",
        scenario=baseline, fixed=fixed, seed=top["seed"], replications=top["replications"],
        weeks=weeks["baseline"], method=method, samples=samples,
        levels=DESIGN_KEYS["levels"].default, common_seeds=False, factors=factors, outcomes=(),
        series=()), waves, margin)


def _weeks(table: Mapping[str, Any], scenarios: Mapping[str, Scenario], where: str
           ) -> dict[str, int]:
    """Each scenario's horizon: the [weeks] table's, else the scenario's own; long enough."""
    reject_unknown_keys(table, scenarios, where, "weeks.")
    weeks = {}
    for name, scenario in scenarios.items():
        value = table.get(name, scenario.params["weeks"])
        weeks[name] = check_value(TOP_KEYS["weeks"], value, where, f"weeks.{name}")
        low, why = _shortest(scenario)
        if weeks[name] < low:
            raise ExperimentError(f"{where}: key 'weeks.{name}': value {weeks[name]!r} is not "
                                  f"allowed; allowed: at least {low} weeks ({why})")
    return weeks


def _shortest(scenario: Scenario) -> tuple[int, str]:
    """The shortest horizon on which a scenario's calibration statistics are defined, and why."""
    onsets = [c["onset"] for c in scenario.params["crises"] if c["kind"] == "pandemic"]
    if not onsets:
        return 2 * WEEKS_PER_YEAR, "volunteering and retention are averaged from week 52"
    return onsets[0] + GROUP_AGE + 1, (f"groups founded at the pandemic's onset, week "
                                       f"{onsets[0]}, must be able to reach {GROUP_AGE} weeks")


def bundled_calibration() -> Path:
    """The bundled calibration file (``experiments/calibration.toml``, in the wheel or the tree).

    Raises:
        ExperimentError: It is missing (an installed package without its experiments).
    """
    here = Path(__file__).resolve().parent
    candidates = [here.parent / "experiments", here.parents[2] / "experiments"]
    for folder in candidates:
        if (folder / "calibration.toml").is_file():
            return folder / "calibration.toml"
    raise ExperimentError(f"the bundled calibration file experiments/calibration.toml is "
                          f"missing (looked in {', '.join(map(str, candidates))}); give the "
                          "path of a calibration file")


# -- running --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """One run: a configuration in one scenario with one seed, and the statistics it delivers.

    Attributes:
        point: Design point (:data:`DEFAULTS`: the current defaults).
        replication: Run number of the configuration in this scenario.
        seed: The run's seed.
        arm: The scenario and its overrides.
        scenario: The arm's scenario, resolved once for all the configuration's runs.
        statistics: Column names and statistics to compute on the run.
    """

    point: int
    replication: int
    seed: int
    arm: Arm
    scenario: Scenario = field(hash=False)
    statistics: tuple[tuple[str, Statistic], ...]

    @property
    def key(self) -> str:
        """The run's file name in a store, e.g. ``p000042-pandemic-r0001`` (``defaults-...``)."""
        point = "defaults" if self.point == DEFAULTS else f"p{self.point:06d}"
        return f"{point}-{self.arm.scenario}-r{self.replication:04d}"

    def row(self) -> dict[str, Any]:
        """The run's identity columns in :attr:`CalibrationResult.runs`."""
        return {"point": self.point, "scenario": self.arm.scenario,
                "replication": self.replication, "seed": self.seed}


def run_task(task: Task) -> Stored:
    """Run one task and compute its statistics (the function sent to the workers)."""
    values, _ = evaluate(task.scenario, task.seed, tuple(s for _, s in task.statistics))
    return Stored({**task.row(), **dict(zip((name for name, _ in task.statistics), values,
                                            strict=True))})


DEFAULTS = -1
"""The ``point`` of the runs of the current defaults."""


def make_tasks(cal: Calibration, point: int, values: Mapping[str, Any]) -> list[Task]:
    """Every run of one configuration: each scenario ``replications`` x its arm's ``runs`` times.

    Design points are numbered across waves (wave ``w`` holds points ``w * samples`` on). Run
    ``k`` of point ``p`` has the seed of ``SeedSequence(seed, spawn_key=(p, k))`` in every
    scenario (``spawn_key=(k,)`` for the defaults), so the first runs of the pandemic share their
    seeds with the baseline's, as in :func:`~solidarity_sim.analysis.validation.validate`.
    """
    checks = cal.checks(values)
    names = dict(zip((c.statistic for c in checks), STATISTICS, strict=True))
    key = () if point == DEFAULTS else (point,)
    tasks = []
    for arm, statistics in plan(checks).values():
        scenario = arm.resolve()
        tasks += [Task(point, k, derive_seed(cal.design.seed, *key, k), arm, scenario,
                       tuple((names[s], s) for s in statistics))
                  for k in range(cal.design.replications * arm.runs)]
    return tasks


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibrate`.

    Attributes:
        calibration: What was run.
        targets: One row per statistic: ``statistic``, ``check`` (in words), ``low``, ``high``
            (the band), ``target`` (in words), ``fmt``, ``unit``, ``source`` and ``inside``
            (share of the first wave's points whose mean lies in the band).
        runs: One row per run of a design point: ``point``, ``scenario``, ``replication``,
            ``seed`` and the statistics (those of the other scenario missing).
        points: One row per design point of every wave: ``point``, ``wave``, the parameters,
            the mean statistics over its runs, ``accepted``, ``distance`` (see :func:`judge`)
            and ``plausible``.
        defaults: The same for the current defaults (one row, ``point`` = -1).
        waves: One row per wave: ``wave``, ``points``, ``plausible``, ``accepted``,
            ``acceptance`` (their share), ``volume`` (of the box it sampled, as a share of the
            priors') and the box (``PATH.low``, ``PATH.high``).
        failures: Runs that raised, in words (their statistics are missing).
        seconds: Wall time.
        workers: Where the runs ran, in words.
    """

    calibration: Calibration
    targets: pd.DataFrame
    runs: pd.DataFrame
    points: pd.DataFrame
    defaults: pd.DataFrame
    waves: pd.DataFrame
    failures: list[str]
    seconds: float
    workers: str

    @property
    def accepted(self) -> pd.DataFrame:
        """The accepted points of every wave, nearest to the band centres first."""
        return self.points[self.points["accepted"]].sort_values("distance", kind="stable")

    @property
    def acceptance_rate(self) -> float:
        """Share of the first wave's points (a sample of the priors) accepted."""
        return float(self.waves["acceptance"].iloc[0])

    def region(self) -> pd.DataFrame:
        """The accepted region: see :func:`region`."""
        return region(self.points, self.calibration)

    def candidates(self, k: int) -> pd.DataFrame:
        """The ``k`` accepted points nearest the band centres, their values rounded.

        Returns:
            One row per candidate: ``point`` and the parameters, rounded to :data:`SIGNIFICANT`
            significant digits (what :func:`select` verifies is what would be set).
        """
        best = self.accepted.head(k)
        return best[["point"]].assign(**{p: best[p].map(round_significant)
                                         for p in self.calibration.parameters}
                                      ).reset_index(drop=True)


def calibrate(cal: Calibration, *, workers: int | None = None,
              executor: Executor | None = None, out: str | Path | None = None,
              progress: Callable[[int, int], None] | None = None) -> CalibrationResult:
    """Run every wave of design points and the current defaults; accept or reject the points.

    Args:
        cal: The calibration.
        workers: Processes of the local pool built when no ``executor`` is given (default: the
            usable cores; 1 runs in this process).
        executor: Where to run (:mod:`solidarity_sim.batch.executors`; left open).
        out: A run store folder (:func:`calibration_store`): every run is stored as it
            finishes, and calibrating the same file into it again computes only the missing
            runs (the later waves' designs follow from the stored runs, so they are the same).
        progress: Called as ``progress(done, total)`` each time a run finishes.

    Returns:
        The :class:`CalibrationResult`; its tables do not depend on ``workers`` or on the order in
        which runs finish (see :func:`make_tasks` for the seeds).
    """
    started = time.perf_counter()
    targets = targets_table(cal.checks())
    per_point = len(make_tasks(cal, DEFAULTS, {}))
    total = per_point * (cal.waves * cal.design.samples + 1)
    factors, points, waves, runs = cal.design.factors, [], [], []
    failures: list[str] = []
    with (opened(calibration_store(out, cal) if out else None) as store,
          using(executor, workers) as engine):
        where = engine.describe()
        for wave in range(cal.waves):
            design = cal.wave(wave, factors)
            design.index += wave * cal.design.samples
            tasks = [task for point, values in zip(design.index, design.to_dict("records"),
                                                   strict=True)
                     for task in make_tasks(cal, int(point), values)]
            tasks += make_tasks(cal, DEFAULTS, {}) if wave == 0 else []
            runs.append(_execute(engine, tasks, store, failures, progress,
                                 sum(len(r) for r in runs), total))
            means = runs[-1].groupby("point")[list(STATISTICS)].mean()
            judged = judge(design.join(means, how="left").rename_axis("point").reset_index(),
                           targets)
            judged.insert(1, "wave", wave)
            judged["plausible"] = judge(judged[list(STATISTICS)],
                                        widen(targets, cal.margin))["accepted"]
            points.append(judged)
            waves.append(_wave_row(wave, judged, factors, cal.design.factors))
            if not judged["plausible"].any():
                break
            factors = box(judged[judged["plausible"]], cal.design.factors)
    runs = pd.concat(runs, ignore_index=True)
    means = runs.groupby("point")[list(STATISTICS)].mean()
    defaults = judge(pd.DataFrame([{"point": DEFAULTS, **cal.defaults(),
                                    **means.loc[DEFAULTS]}]), targets)
    first = points[0]
    targets["inside"] = [inside(first[row.statistic], row.low, row.high).mean()
                         for row in targets.itertuples()]
    return CalibrationResult(cal, targets, runs[runs["point"] != DEFAULTS].reset_index(drop=True),
                             pd.concat(points, ignore_index=True), defaults,
                             pd.DataFrame(waves), failures, time.perf_counter() - started, where)


def calibration_store(out: str | Path, cal: Calibration) -> RunStore:
    """The run store of a calibration, identified by the calibration file's content."""
    return RunStore(out, "calibration", cal.to_dict(), origin=cal.origin,
                    manifest={"origin": cal.origin}, what="calibration file")


def _execute(executor: Executor, tasks: list[Task], store: RunStore | None,
             failures: list[str], progress: Callable[[int, int], None] | None, done: int,
             total: int) -> pd.DataFrame:
    """Run tasks; return one row per run in task order (NaN statistics for failed runs)."""
    def step(finished: int, _: int) -> None:
        if progress is not None:
            progress(done + finished, total)

    results = execute(executor, run_task, tasks, store=store, progress=step)
    rows = []
    for task in tasks:
        result = results[task.key]
        if isinstance(result, Failed):
            failures.append(f"point {task.point}, {task.arm.scenario} run {task.replication} "
                            f"(seed {task.seed}): {result.error}")
            rows.append({**task.row(), **dict.fromkeys(STATISTICS, math.nan)})
        else:
            rows.append(result.row)
    return pd.DataFrame(rows, columns=["point", "scenario", "replication", "seed", *STATISTICS])


def _wave_row(wave: int, points: pd.DataFrame, factors: Sequence[Factor],
              priors: Sequence[Factor]) -> dict[str, Any]:
    """A wave's line of :attr:`CalibrationResult.waves`."""
    row = {"wave": wave, "points": len(points), "plausible": int(points["plausible"].sum()),
           "accepted": int(points["accepted"].sum()),
           "acceptance": float(points["accepted"].mean()),
           "volume": math.prod((f.high - f.low) / (p.high - p.low)
                               for f, p in zip(factors, priors, strict=True))}
    for f in factors:
        row.update({f"{f.path}.low": f.low, f"{f.path}.high": f.high})
    return row


def verify(cal: Calibration, values: Mapping[str, Any], *, replications: int = 20,
           seed: int = 0, workers: int | None = None, executor: Executor | None = None,
           out: str | Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> Validation:
    """Run the validation's calibration checks at ``values`` (see :func:`validation.validate`).

    Every check passes when the 95 % interval of its mean over ``replications`` lies inside
    its band: a stricter test of one configuration than the acceptance of a design point.

    Returns:
        The :class:`~solidarity_sim.analysis.validation.Validation` of the calibration checks.
    """
    return validate(cal.checks(values), replications=replications, seed=seed, workers=workers,
                    executor=executor, out=out, progress=progress)


@dataclass
class Selection:
    """The outcome of :func:`select`.

    Attributes:
        table: One row per candidate, in the order given: ``point``, the parameters, the
            verified mean of every statistic, ``passed`` (checks whose 95 % interval lies in
            the band), ``distance`` (of the verified means to the band centres, see
            :func:`judge`) and ``chosen``.
        validations: The :class:`~solidarity_sim.analysis.validation.Validation` of each candidate.
        parameters: The calibrated parameters' dotted paths.
    """

    table: pd.DataFrame
    validations: list[Validation]
    parameters: list[str]

    @property
    def chosen(self) -> dict[str, float] | None:
        """The chosen candidate's parameter values; None if no candidate passed every check."""
        rows = self.table[self.table["chosen"]]
        if rows.empty:
            return None
        return {p: float(rows[p].iloc[0]) for p in self.parameters}

    @property
    def validation(self) -> Validation | None:
        """The chosen candidate's validation."""
        rows = np.flatnonzero(self.table["chosen"])
        return self.validations[rows[0]] if rows.size else None


def select(cal: Calibration, candidates: pd.DataFrame, *, replications: int = 20,
           seed: int = 0, workers: int | None = None, executor: Executor | None = None,
           out: str | Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> Selection:
    """Verify candidate defaults with the validation's calibration checks; choose one.

    Each candidate runs the checks (:func:`verify`) with the same seeds, independent of the
    calibration's. Chosen: the candidate that passes every check (its whole 95 % interval inside
    the band) with the verified means nearest the band centres. Choosing by fresh replications
    avoids the winner's curse of choosing by the calibration's few runs, whose nearest point is
    also the one whose noise happened to fall nearest the centres.

    Args:
        cal: The calibration.
        candidates: One row per candidate: ``point`` and the parameters (e.g.
            :meth:`CalibrationResult.candidates`).
        replications: Replications of each verification (at least 2).
        seed: Seed of the verifications.
        workers: Processes in parallel when no ``executor`` is given.
        executor: Where to run (left open).
        out: A folder for the run stores of the verifications, one per candidate
            (``point-N/``), so that an interrupted selection resumes.
        progress: Called as ``progress(done, total)`` each time a run finishes.

    Returns:
        The :class:`Selection`.
    """
    targets = targets_table(cal.checks())
    validations, rows = [], []
    for i, candidate in enumerate(candidates.to_dict("records")):
        def step(done: int, total: int, before: int = i) -> None:
            if progress is not None:
                progress(before * total + done, len(candidates) * total)

        values = {p: candidate[p] for p in cal.parameters}
        report = verify(cal, values, replications=replications, seed=seed, workers=workers,
                        executor=executor, progress=step,
                        out=Path(out) / f"point-{candidate['point']}" if out else None)
        validations.append(report)
        rows.append({**candidate, **dict(zip(STATISTICS, report.table["value"], strict=True)),
                     "passed": int(report.table["passed"].sum())})
    table = judge(pd.DataFrame(rows, columns=[*candidates.columns, *STATISTICS, "passed"]),
                  targets).drop(columns="accepted")
    eligible = table[table["passed"] == len(STATISTICS)]
    table["chosen"] = table.index == (eligible["distance"].idxmin() if len(eligible) else -1)
    return Selection(table, validations, cal.parameters)


# -- acceptance -----------------------------------------------------------------------------------

def targets_table(checks: Sequence[Check]) -> pd.DataFrame:
    """One row per calibration statistic: its check, band, format, unit and source."""
    return pd.DataFrame([{
        "statistic": name, "check": c.name, "low": c.band.low, "high": c.band.high,
        "target": c.describe_target(), "fmt": c.fmt, "unit": c.unit, "source": c.source,
    } for name, c in zip(STATISTICS, checks, strict=True)])


def inside(values: pd.Series, low: float, high: float) -> pd.Series:
    """Whether each value lies in the closed band ``[low, high]`` (missing values do not)."""
    return values.between(low, high) & values.notna()


def judge(points: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Accept or reject points by their mean statistics; measure their distance to the targets.

    A point is ``accepted`` when every statistic lies inside its (closed) target band; a missing
    statistic (no surge, no group old enough) rejects it. ``distance`` is the Euclidean norm of
    each statistic's distance to its band's centre in band widths (an accepted point has at most
    ``sqrt(n) / 2`` for ``n`` statistics).

    Args:
        points: One row per point with a column per statistic of ``targets``.
        targets: One row per statistic: ``statistic``, ``low``, ``high`` (finite).

    Returns:
        ``points`` with ``accepted`` and ``distance`` columns added.
    """
    accepted = pd.Series(True, index=points.index)
    squares = pd.Series(0.0, index=points.index)
    for row in targets.itertuples():
        values = points[row.statistic]
        accepted &= inside(values, row.low, row.high)
        squares += ((values - (row.low + row.high) / 2) / (row.high - row.low)) ** 2
    return points.assign(accepted=accepted, distance=np.sqrt(squares))


def widen(targets: pd.DataFrame, margin: float) -> pd.DataFrame:
    """The targets with every band widened by ``margin`` band widths on each side."""
    width = targets["high"] - targets["low"]
    return targets.assign(low=targets["low"] - margin * width,
                          high=targets["high"] + margin * width)


def box(points: pd.DataFrame, priors: Sequence[Factor]) -> tuple[Factor, ...]:
    """The priors narrowed to the range of ``points``, padded by :data:`BOX_PAD` of their width."""
    narrowed = []
    for prior in priors:
        pad = BOX_PAD * (prior.high - prior.low)
        values = points[prior.path]
        narrowed.append(dataclasses.replace(prior, low=max(prior.low, values.min() - pad),
                                            high=min(prior.high, values.max() + pad)))
    return tuple(narrowed)


def region(points: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """The accepted region, one row per parameter, over the accepted points of every wave.

    Columns: ``parameter``, ``unit``, ``prior_min``, ``prior_max``, ``min``, ``median``,
    ``max`` (over the accepted points; NaN if none), ``width`` (their range as a share of the
    prior's), ``default`` (the current value) and ``default_inside`` (whether it lies in
    ``[min, max]``).
    """
    units = {path: param.unit for path, param in iter_params()}
    accepted = points[points["accepted"]]
    defaults = cal.defaults()
    rows = []
    for factor in cal.design.factors:
        values = accepted[factor.path]
        low, high = values.min(), values.max()
        rows.append({
            "parameter": factor.path, "unit": units[factor.path],
            "prior_min": factor.low, "prior_max": factor.high,
            "min": low, "median": values.median(), "max": high,
            "width": (high - low) / (factor.high - factor.low),
            "default": defaults[factor.path],
            "default_inside": bool(low <= defaults[factor.path] <= high),
        })
    return pd.DataFrame(rows)


def correlations(points: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """Spearman rank correlations between the parameters over the accepted points.

    In a Latin hypercube the parameters are nearly uncorrelated a priori, so a correlation among
    accepted points is a trade-off the targets impose (e.g. a higher join rate needs a higher
    quit rate for the same share of volunteers).
    """
    return points.loc[points["accepted"], list(parameters)].corr(method="spearman")


def round_significant(x: float, digits: int = SIGNIFICANT) -> float:
    """``x`` rounded to ``digits`` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))
