"""solidarity-sim: an agent-based simulation of solidarity dynamics, built on Mesa.

Quick start::

    import solidarity_sim as ss
    result = ss.run("baseline", seed=1, weeks=104)
    result.timeseries[["week", "volunteer_share", "retention_12m"]].tail()

The model and results (which import Mesa and pandas) load on first use, so the command line
starts fast.
"""

from importlib import import_module

from .model.scenario import Scenario, ScenarioError, bundled_scenarios, load_scenario
from .versions import package_version

__version__ = package_version()
"""The installed version (the ``version`` of ``pyproject.toml``)."""

_LAZY = {"SolidarityModel": ".model.solidarity_model", "RunResult": ".results.run_result",
         "run": ".results.run_result",
         "compare": ".analysis.comparison", "run_figure": ".viz.run_plots",
         "load_posterior": ".batch.uncertainty"}

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SolidarityModel",
    "__version__",
    "bundled_scenarios",
    "compare",
    "load_posterior",
    "load_scenario",
    "run",
    "run_figure",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'solidarity_sim' has no attribute {name!r}")
