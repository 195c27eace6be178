"""Parameter uncertainty in a batch: which posterior parameter set each replication runs with.

``--uncertainty posterior`` (experiment files: ``uncertainty = "posterior"``) makes replication
``k`` of every scenario, arm or design point run with posterior parameter set ``k // 2``
(:data:`RUNS_PER_SET` seeds per set) on top of its own overrides, so comparisons stay paired
(every scenario of replication ``k`` has the same parameters and the same seed) and each set
runs with two seeds: the spread within sets is chance, the spread between sets is parameter
uncertainty (:func:`~solidarity_sim.analysis.statistics.variance_split`).

The posterior is a weighted sample (``posterior.parquet``: one column per calibrated
parameter, by dotted path, and ``weight``) with the calibration's ``manifest.json`` beside it;
the package ships one (``posterior/``, made by ``solidarity-sim calibrate``). The sets are drawn
from it once, in a fixed order: systematic resampling by weight, then a permutation from the
manifest's seed, so set ``j`` is the same in every command and on every engine.

Example:
    >>> post = load_posterior()  # doctest: +SKIP
    >>> post.overrides(0) == post.overrides(1)  # replications 0 and 1 share set 0  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.parameters import SCHEMA, iter_params
from ..model.scenario import Scenario, ScenarioError, bundled_dir
from ..model.streams import derive_seed

UNCERTAINTY = ("none", "posterior")
"""The allowed values of ``--uncertainty``: chance only, or chance and the posterior's sets."""
RUNS_PER_SET = 2
"""Replications (seeds) that share one posterior set: 2 separate chance from parameters."""
TABLE = "posterior.parquet"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Posterior:
    """A weighted posterior sample and the order its sets are drawn in.

    Attributes:
        table: One row per parameter set: a column per parameter (dotted path) and ``weight``
            (summing to 1).
        manifest: The calibration's manifest (``seed`` fixes the draw order).
        origin: The folder it was read from.
    """

    table: pd.DataFrame
    manifest: dict[str, Any]
    origin: str
    order: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", draw_order(self.table["weight"].to_numpy(),
                                                     int(self.manifest.get("seed", 0))))

    @property
    def parameters(self) -> list[str]:
        """The calibrated parameters' dotted paths."""
        return [c for c in self.table.columns if c != "weight"]

    @property
    def digest(self) -> str:
        """SHA-256 of the sets and weights: what a run store records as its uncertainty."""
        data = self.table.to_csv(index=False, float_format="%.17g").encode()
        return hashlib.sha256(data).hexdigest()

    def set_of(self, replication: int) -> int:
        """The posterior set replication ``replication`` runs with (its place in the order)."""
        return int(self.order[(replication // RUNS_PER_SET) % len(self.order)])

    def overrides(self, replication: int) -> dict[str, Any]:
        """The dotted-path overrides of replication ``replication``."""
        row = self.table.iloc[self.set_of(replication)]
        kinds = {path: p.kind for path, p in iter_params(SCHEMA)}
        return {p: (int(round(row[p])) if kinds.get(p) == "int" else float(row[p]))
                for p in self.parameters}

    def apply(self, scenario: Scenario, replication: int) -> Scenario:
        """``scenario`` with replication ``replication``'s set; its own overrides win."""
        own = {path for path, _ in scenario.overrides}
        return scenario.with_overrides(
            {p: v for p, v in self.overrides(replication).items() if p not in own},
            where=f"{self.origin}: posterior set {self.set_of(replication)}")

    def spec(self) -> dict[str, Any]:
        """How a run store or manifest names this uncertainty."""
        return {"uncertainty": "posterior", "posterior": self.digest, "sets": len(self.table),
                "runs_per_set": RUNS_PER_SET,
                "derivation": f"replication k runs with posterior set order[k // {RUNS_PER_SET}] "
                              "(systematic resampling by weight, permuted with the "
                              "manifest's seed)"}


def draw_order(weights: np.ndarray, seed: int) -> np.ndarray:
    """Set indices in the order replications draw them: systematic resampling, then shuffled.

    Systematic resampling (offsets ``(j + 0.5) / n``) gives each set about ``n x weight``
    places; the permutation (stream ``derive_seed(seed, 0)``) spreads them, so the first sets
    drawn are a fair sample of the posterior. Deterministic.
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    cumulative = np.cumsum(w / w.sum())
    cumulative[-1] = 1.0
    picks = np.searchsorted(cumulative, (np.arange(n) + 0.5) / n)
    return np.random.default_rng(derive_seed(seed, 0)).permutation(picks)


def bundled_posterior() -> Path:
    """The folder of the posterior shipped with the package (``posterior/``).

    Raises:
        ScenarioError: It is missing (an installed package without it).
    """
    return bundled_dir("posterior")


def load_posterior(folder: str | Path | None = None) -> Posterior:
    """Read and check a posterior folder (default: the bundled one).

    Raises:
        ScenarioError: A file is missing or unreadable, a column is not a model parameter, or
            the weights are not positive.
    """
    folder = Path(folder) if folder is not None else bundled_posterior()
    path = folder / TABLE
    try:
        table = pd.read_parquet(path)
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{path}: cannot read the posterior ({err})") from None
    known = {p for p, _ in iter_params(SCHEMA)}
    unknown = [c for c in table.columns if c != "weight" and c not in known]
    if "weight" not in table.columns or unknown:
        what = (f"column {unknown[0]!r} is not a model parameter" if unknown
                else "column 'weight' is missing")
        raise ScenarioError(f"{path}: {what}; allowed: a column per calibrated parameter "
                            "(dotted path) and 'weight'")
    weights = table["weight"].to_numpy(dtype=float)
    if len(table) == 0 or not np.all(weights > 0) or not np.isfinite(weights).all():
        raise ScenarioError(f"{path}: key 'weight': every weight must be a positive number")
    table = table.assign(weight=weights / weights.sum())
    return Posterior(table, manifest, str(folder))


def uncertainty_of(value: str | None, folder: str | Path | None = None) -> Posterior | None:
    """The posterior ``value`` asks for (``"posterior"``), or None for chance only.

    Raises:
        ScenarioError: ``value`` is not one of :data:`UNCERTAINTY`.
    """
    if value in (None, "none"):
        return None
    if value != "posterior":
        raise ScenarioError(f"uncertainty: value {value!r} is not allowed; allowed: "
                            + ", ".join(repr(u) for u in UNCERTAINTY))
    return load_posterior(folder)
