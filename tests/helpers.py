"""Helpers shared by the tests: small, fast runs of the real model."""

import solidarity_sim as ss

SMALL = {"population.citizens": 1500, "population.neighbourhoods": 9, "weeks": 80}
"""A small town: fast enough for many runs, large enough for every mechanism to act."""


def small_run(scenario="baseline", seed=0, **overrides):
    """Run a small version of a scenario; overrides use dotted paths with '__' for '.'."""
    changes = dict(SMALL)
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return ss.run(scenario, seed=seed, overrides=changes)


def small_model(scenario="baseline", seed=0, **overrides):
    """Build (not run) a small model."""
    changes = dict(SMALL)
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return ss.SolidarityModel(scenario, rng=seed, **changes)
