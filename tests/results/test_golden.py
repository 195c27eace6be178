"""Golden baseline: short seeded runs of every bundled scenario match their stored figures.

Runs are deterministic, so integers must match exactly and floats to a relative 1e-9 (room for
rounding differences between NumPy versions, not for a changed decision). A deliberate change
refreshes the references: ``python tests/results/golden/refresh.py [SCENARIO ...]``.
"""

import json
import math

import pytest

from solidarity_sim.model.scenario import bundled_scenarios
from tests.results.golden.refresh import SETTINGS, figures, path

RTOL = 1e-9
HOW_TO_REFRESH = ("If the change is intended, refresh the reference on purpose with "
                  "`python tests/results/golden/refresh.py {name}` and commit "
                  "tests/results/golden/{name}.json.")


def differences(stored: dict, now: dict) -> list[str]:
    """Human-readable differences between stored and fresh figures."""
    lines = [f"  {key}: missing now" for key in stored.keys() - now.keys()]
    lines += [f"  {key}: new, not stored" for key in now.keys() - stored.keys()]
    for key in sorted(stored.keys() & now.keys()):
        a, b = stored[key], now[key]
        if isinstance(a, int) and isinstance(b, int):
            same = a == b
        else:
            same = math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12) or (
                math.isnan(a) and math.isnan(b))
        if not same:
            lines.append(f"  {key}: stored {a!r}, now {b!r}")
    return lines


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_scenario_matches_its_golden_figures(name):
    reference = path(name)
    assert reference.is_file(), (
        f"no golden reference for scenario '{name}' ({reference.name} is missing): run "
        f"`python tests/results/golden/refresh.py {name}` and commit the file")
    stored = json.loads(reference.read_text())
    assert stored["settings"] == SETTINGS, (
        f"tests/results/golden/{name}.json was made with other settings ({stored['settings']}). "
        + HOW_TO_REFRESH.format(name=name))
    lines = differences(stored["figures"], figures(name))
    assert not lines, (f"scenario '{name}' no longer reproduces its golden figures:\n"
                       + "\n".join(lines) + "\n" + HOW_TO_REFRESH.format(name=name))


def test_differences_reports_a_changed_float_and_integer():
    stored = {"joins": 10, "recognition_mean": 0.5}
    assert differences(stored, dict(stored)) == []
    assert differences(stored, {"joins": 10, "recognition_mean": 0.5 * (1 + 1e-12)}) == []
    lines = differences(stored, {"joins": 11, "recognition_mean": 0.5 * (1 + 1e-6)})
    assert len(lines) == 2 and "joins: stored 10, now 11" in lines[0]
