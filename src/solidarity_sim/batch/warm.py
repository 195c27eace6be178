"""Warm workers: importing this module steps a tiny town, so its compiled loops are loaded.

The model's per-citizen loops are compiled by Numba (:mod:`solidarity_sim.model.kernels`) and
cached on disk; a process loads them on first use, which takes about half a second. The local
pool's fork server imports this module once before it forks its workers
(:data:`~solidarity_sim.batch.executors.PRELOAD`), so every worker starts with the loops loaded
instead of loading them on its first run.
"""

from __future__ import annotations

from ..model.solidarity_model import SolidarityModel, forget

_TOWN = SolidarityModel("baseline", rng=0, weeks=2, **{"population.citizens": 1_000})
_TOWN.run()
forget(_TOWN)
del _TOWN
