"""Each of the eight SOLIDUS factors moves what it drives (docs/sources.md), seed by seed (paired).

The expected effects, their contexts and statistics are ``solidarity_sim.analysis.validation``'s
(the same table ``solidarity-sim validate`` checks at full size); here on a small town, three seeds.
"""

import functools

import pytest

import solidarity_sim as ss
from solidarity_sim.analysis.validation import (
    CONTEXTS,
    DRIVEN,
    FACTOR_EFFECTS,
    PERFORMANCE_FUNDING,
)
from solidarity_sim.model.csos import F
from solidarity_sim.model.parameters import FACTORS

pytestmark = pytest.mark.xdist_group("factors")  # one worker, so the run cache is shared

SEEDS = range(3)
BASE = {"population.citizens": 3000, "weeks": 208}
SCALE_CITIZENS = 10_000


@functools.cache
def result(factor, level, seed, context, citizens=BASE["population.citizens"]):
    """One run (cached: several effects share the same runs)."""
    overrides = {**BASE, **CONTEXTS[context], f"csos.factors.{factor}": level,
                 "population.citizens": citizens}
    return ss.run("baseline", seed=seed, overrides=overrides)


@pytest.mark.parametrize("factor, drives, sign, context", FACTOR_EFFECTS,
                         ids=[f"{f}->{d}" for f, d, _, _ in FACTOR_EFFECTS])
def test_raising_a_factor_moves_what_it_drives(factor, drives, sign, context):
    """Paired runs (common random numbers) at 0.2 and 0.8: the outcome moves the right way."""
    statistic = DRIVEN[drives]
    # a town's catchments depend on its few CSOs: scale needs the default town of ten of them
    citizens = SCALE_CITIZENS if drives == "scale" else BASE["population.citizens"]
    diffs = [statistic(result(factor, 0.8, seed, context, citizens))
             - statistic(result(factor, 0.2, seed, context, citizens)) for seed in SEEDS]
    assert sign * sum(diffs) > 0, f"{factor} -> {drives}: paired differences {diffs}"
    assert sum(sign * d > 0 for d in diffs) >= len(SEEDS) - 1, diffs


@pytest.mark.parametrize("factor", ["legitimacy", "transparency"])
def test_performance_funding_rewards_a_csos_legitimacy_and_transparency(factor):
    # the budget is fixed, so the factor decides who gets it: raise it for one CSO only
    for seed in SEEDS:
        income = []
        for level in (0.2, 0.9):
            m = ss.SolidarityModel("baseline", rng=seed, **BASE, **PERFORMANCE_FUNDING)
            m.cso_table.factors[0, F["transparency"]] = 0.6  # meets the social clause
            m.cso_table.factors[0, F[factor]] = level
            m.run()
            income.append(m.cso_table.income_total[0])
        assert income[1] > income[0], (factor, seed, income)


def test_every_factor_has_a_direction_test():
    assert {f for f, _, _, _ in FACTOR_EFFECTS} == set(FACTORS)
