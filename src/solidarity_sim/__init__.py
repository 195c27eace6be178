"""solidarity-sim: an agent-based simulation of solidarity dynamics, built on Mesa.

Quick start::

    import solidarity_sim as ss
    result = ss.run("baseline", seed=1, weeks=104)
    result.timeseries[["week", "volunteer_share", "retention_12m"]].tail()
"""

from .model import SolidarityModel
from .results import RunResult, run
from .scenario import Scenario, ScenarioError, bundled_scenarios, load_scenario

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SolidarityModel",
    "bundled_scenarios",
    "load_scenario",
    "run",
]
