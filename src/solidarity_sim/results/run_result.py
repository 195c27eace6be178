"""One run's results (:class:`RunResult`), and :func:`run`: one scenario, one seed, every table.

What goes through :func:`run`: the ``run`` command, ``ss.run`` in a script or notebook, and every
run of a validation and a calibration (each reduces a run's results to its statistics). What
does not: a sweep and a comparison keep only the weekly series (:func:`weekly_series`, the same
numbers as ``run(...).timeseries``), and the classroom page steps its own model week by week and
acts on it; :func:`collect` makes a :class:`RunResult` of any model stepped so far. Each
resolves the scenario once and hands the :class:`Scenario` to the model, which uses it as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.csos import ORIGINS, CSOTable, F
from ..model.events import Event
from ..model.population import NEVER
from ..model.scenario import Scenario, load_scenario
from ..versions import library_versions, package_version
from .crate import write_crate
from .files import make_folder, read_json, read_table, save_figure, write_json, write_table

if TYPE_CHECKING:
    from ..model.solidarity_model import SolidarityModel


@dataclass
class RunResult:
    """The results of one run.

    Attributes:
        timeseries: One row per week (the columns are :data:`~.series.SERIES`).
        spells: One row per volunteering spell: citizen, cso, start, end, reason, weeks.
        csos: One row per CSO ever active.
        events: One row per event applied (scheduled in the scenario or an intervention):
            week, kind, origin, what (in words), detail (JSON).
        manifest: Versions, scenario and its hash, seed, overrides, events, timing.
    """

    timeseries: pd.DataFrame
    spells: pd.DataFrame
    csos: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any]

    TABLES = ("timeseries", "spells", "csos", "events")
    """The tables, each saved as ``NAME.parquet``."""

    def save(self, directory: str | Path, *, figure: Any = None) -> Path:
        """Write the results into ``directory`` (created if needed); return it.

        Files: ``timeseries.parquet``, ``spells.parquet``, ``csos.parquet``, ``events.parquet``,
        ``manifest.json``, ``overview.png`` (when ``figure`` is given) and
        ``ro-crate-metadata.json``; each is written whole or not at all.

        Args:
            directory: The folder.
            figure: A matplotlib figure to write as ``overview.png``; with
                ``figure=solidarity_sim.viz.run_plots.run_figure(result)`` (``ss.run_figure``)
                the folder holds the same files as ``solidarity-sim run --out``. (The figures
                live in a layer above the results, so they are passed in.)

        Raises:
            FileError: The folder or a file cannot be written (the message names it).
        """
        out = make_folder(directory, "directory")
        for name in self.TABLES:
            write_table(getattr(self, name), out / f"{name}.parquet")
        write_json(out / "manifest.json", self.manifest)
        if figure is not None:
            save_figure(figure, out / "overview.png")
        write_crate(out)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> RunResult:
        """Read results written by :meth:`save`.

        Raises:
            FileError: A file is missing or damaged (the message names it).
        """
        src = Path(directory)
        hint = "run the same `solidarity-sim run` command again to write it again"
        tables = {n: read_table(src / f"{n}.parquet", hint) for n in cls.TABLES}
        return cls(**tables, manifest=read_json(src / "manifest.json", hint))


def cso_table(t: CSOTable) -> pd.DataFrame:
    """One row per CSO: kind, dates, factor levels and final state."""

    def week_or_na(stamps: np.ndarray) -> pd.Series:
        return pd.Series(stamps, dtype="Int64").mask(stamps == NEVER)

    frame = pd.DataFrame({
        "cso": np.arange(len(t)),
        "formal": t.formal, "active": t.active, "home": t.home,
        "founded": t.founded, "formalised": week_or_na(t.formalised),
        "dissolved": week_or_na(t.dissolved),
        **{f"factor_{name}": t.factors[:, i] for name, i in F.items()},
        "recognition": t.recognition, "legitimacy": t.legitimacy, "budget": t.budget,
        "scale": t.scale, "capacity": t.capacity, "volunteers": t.volunteers,
        "peak_volunteers": t.peak_volunteers, "served_total": t.served_total,
        "income_total": t.income_total,
    })
    frame.insert(1, "origin", np.asarray(ORIGINS)[t.origin])
    return frame


def run(scenario: str | Path | Scenario = "baseline", *, seed: int = 0, weeks: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        progress: Callable[[int, int], None] | None = None,
        watch: Callable[[SolidarityModel], None] | None = None) -> RunResult:
    """Run one scenario and collect its results.

    Args:
        scenario: A bundled scenario name, a TOML path or a :class:`Scenario`.
        seed: The run's seed; all random streams derive from it.
        weeks: Override the scenario's horizon.
        overrides: Dotted-path parameter overrides, e.g. ``{"csos.factors.meaning": 0.8}``.
        progress: Called as ``progress(week, weeks)`` after every week.
        watch: Called with the model after every week (e.g. to draw a film's frame).

    Returns:
        The run's :class:`RunResult`.

    Raises:
        ScenarioError: The scenario or an override is invalid.
    """
    changes = dict(overrides or {})
    if weeks is not None:
        changes["weeks"] = weeks
    from ..model.solidarity_model import SolidarityModel, forget  # Mesa and Numba: when run

    resolved = load_scenario(scenario, changes)
    started = time.perf_counter()
    model = SolidarityModel(resolved, rng=seed)
    built = time.perf_counter()
    horizon = model.p["weeks"]
    try:
        while model.running:
            model.step()
            if watch is not None:
                watch(model)
            if progress is not None:
                progress(model.week, horizon)
    finally:
        forget(model)
    timing = {"build_seconds": round(built - started, 4),
              "run_seconds": round(time.perf_counter() - built, 4)}
    return collect(model, timing)


def weekly_series(scenario: Scenario, seed: int) -> pd.DataFrame:
    """The weekly series of one run: ``run(scenario, seed=seed).timeseries``, and nothing else.

    For batches that keep only the series (a sweep, a comparison): the spell, CSO and event
    tables cost a sixth of a default run to make.

    Args:
        scenario: The resolved scenario.
        seed: The run's seed.
    """
    from ..model.solidarity_model import SolidarityModel, forget

    model = SolidarityModel(scenario, rng=seed)
    try:
        model.run()
    finally:
        forget(model)
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def events_table(events: list[Event]) -> pd.DataFrame:
    """One row per event: week, kind, origin, what (in words), detail (JSON)."""
    return pd.DataFrame([e.record() for e in events],
                        columns=["week", "kind", "origin", "what", "detail"]).astype(
        {"week": "int64"})


def collect(model: SolidarityModel, timing: dict[str, float] | None = None) -> RunResult:
    """The results of a model stepped so far (by :func:`run`, or by hand with interventions).

    Args:
        model: The model.
        timing: Seconds spent building and running it, for the manifest.
    """
    spec = model.spec
    events = [e.record() for e in model.events]
    manifest = {
        "kind": "solidarity-sim run",
        "package": "solidarity-sim",
        "version": package_version(),
        "libraries": library_versions(),
        "scenario": spec.name,
        "scenario_origin": spec.origin,
        "scenario_hash": spec.hash,
        "parameters": spec.params,
        "seed": model.seed,
        "overrides": {k: v for k, v in spec.overrides},
        "events": events,
        "weeks": model.week,
        "citizens": int(model.pop.present.sum()),
        **(timing or {}),
    }
    return RunResult(
        timeseries=model.datacollector.get_model_vars_dataframe().reset_index(drop=True),
        spells=model.spells.table(model.pop, model.week),
        csos=cso_table(model.cso_table),
        events=events_table(model.events),
        manifest=manifest,
    )
