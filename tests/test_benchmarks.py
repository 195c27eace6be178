"""The benchmark scripts' building blocks (not timings): same rule, sound measurements."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_model  # noqa: E402
from contagion import (  # noqa: E402
    ContagionKernel,
    ContagionRule,
    MesaListContagion,
    MesaNetworkContagion,
)
from end_to_end import RunMeasure, city, measure_run_in_child  # noqa: E402

from solidarity_sim.model.solidarity_model import SolidarityModel  # noqa: E402

FAST_RULE = ContagionRule(join_base=0.05, join_contagion=0.5, quit_prob=0.2)
"""High rates: the share settles within a few weeks."""


@pytest.fixture(scope="module")
def town():
    """The citizen graph and initial volunteers of a 2,000-citizen model."""
    model = SolidarityModel("baseline", rng=3, **city(2_000))
    return model.net.adjacency, model.pop.volunteer.copy()


def shares(model, weeks: int) -> np.ndarray:
    """The volunteer share after each of ``weeks`` steps."""
    out = []
    for _ in range(weeks):
        model.step()
        out.append(model.volunteer_share())
    return np.array(out)


def test_the_three_implementations_settle_at_the_rules_fixed_point(town):
    adjacency, initial = town
    target = FAST_RULE.fixed_point()
    assert abs(initial.mean() - target) > 0.2  # they start far from it
    kernel = shares(ContagionKernel(adjacency, initial, 1, FAST_RULE), 40)
    listed = shares(MesaListContagion(adjacency, initial, 1, FAST_RULE), 40)
    network_model = MesaNetworkContagion(adjacency, initial, 1, FAST_RULE)
    network = shares(network_model, 40)
    network_model.release()
    for trajectory in (kernel, listed, network):
        assert trajectory[15:].mean() == pytest.approx(target, abs=0.03)
    # Same seed, same activation order, same neighbours: the two Mesa versions are one model.
    np.testing.assert_array_equal(listed, network)


@pytest.mark.parametrize("join_base, quit_prob", [(0.01, 0.02), (0.3, 0.1)])
def test_without_contagion_the_fixed_point_is_the_two_state_balance(join_base, quit_prob):
    rule = ContagionRule(join_base=join_base, join_contagion=0.0, quit_prob=quit_prob)
    p_join = 1 - math.exp(-join_base)
    assert rule.fixed_point() == pytest.approx(p_join / (p_join + quit_prob))


def test_bench_size_times_all_four_implementations_on_one_graph(monkeypatch):
    monkeypatch.setattr(bench_model, "FULL_MODEL_WEEKS", (3, 3))
    monkeypatch.setattr(bench_model, "MIN_SECONDS", 0.0)
    timings = bench_model.bench_size(2_000, quick=True)
    assert [t.name for t in timings] == [bench_model.FULL, *bench_model.REFERENCES]
    assert timings[0].weeks == 2  # three weeks, the first timed apart
    for t in timings:
        assert t.citizens == 2_000 and t.rate > 0 and 0 < t.volunteer_share < 1
        assert t.weeks >= 2 and t.build_seconds > 0
    table = bench_model.ratios_table({2_000: {t.name: t for t in timings}})
    assert table.count("\n") == 2 and "| 2,000 |" in table


def measure(citizens, weeks, seconds, peak_gb):
    return RunMeasure(citizens, weeks, 1.0, seconds - 1.0, seconds, seconds + 2.0,
                      baseline_bytes=int(150e6), peak_bytes=int(peak_gb * 1e9))


@pytest.mark.parametrize("run, met", [
    (measure(10_000, 520, 1.2, 0.3), "yes"),
    (measure(10_000, 520, 1.6, 0.3), "NO"),
    (measure(1_000_000, 52, 40.0, 1.5), "yes"),
    (measure(1_000_000, 52, 40.0, 2.1), "NO"),   # fast enough, too much memory
    (measure(1_000_000, 52, 61.0, 1.5), "NO"),
    (measure(100_000, 52, 99.0, 9.9), "–"),      # no target
])
def test_end_to_end_targets(run, met):
    assert bench_model.run_target(run)[1] == met


def test_a_run_in_a_fresh_process_reports_its_own_memory():
    hog = np.ones(400_000_000 // 8)  # the parent's 400 MB must not count as the child's peak
    m = measure_run_in_child("baseline", 0, 5_000, 2)
    assert hog.sum() > 0
    assert (m.citizens, m.weeks) == (5_000, 2)
    assert 0 < m.build_seconds + m.step_seconds <= m.run_seconds < m.process_seconds
    assert 50e6 < m.baseline_bytes < m.peak_bytes < 400e6
    assert 0 < m.bytes_per_citizen < 50_000
