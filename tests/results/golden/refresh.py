"""Refresh the golden baseline: short seeded runs of every bundled scenario, stored as JSON.

Run it on purpose, after a change that is meant to move the numbers, and commit the JSON files:

    python tests/results/golden/refresh.py              # every bundled scenario
    python tests/results/golden/refresh.py pandemic     # only these

``tests/results/test_golden.py`` compares fresh runs with the stored figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import solidarity_sim as ss
from solidarity_sim.model.scenario import bundled_scenarios

HERE = Path(__file__).resolve().parent
SETTINGS = {"seed": 7, "weeks": 104,
            "overrides": {"population.citizens": 1500, "population.neighbourhoods": 6}}
"""A small town over two years: every process acts, and a run takes well under a second."""


def figures(scenario: str) -> dict[str, int | float]:
    """The reference figures of a short seeded run of ``scenario``."""
    result = ss.run(scenario, seed=SETTINGS["seed"], weeks=SETTINGS["weeks"],
                    overrides=SETTINGS["overrides"])
    ts, spells, csos = result.timeseries, result.spells, result.csos
    return {
        "final_volunteers": int(ts["volunteers"].iloc[-1]),
        "joins": int(ts["joins"].sum()),
        "quits": int(ts["quits"].sum()),
        "quits_burnout": int(ts["quits_burnout"].sum()),
        "spells": len(spells),
        "csos_active_final": int(ts["csos_active"].iloc[-1]),
        "csos_founded": int(ts["csos_founded"].sum()),
        "csos_dissolved": int(ts["csos_dissolved"].sum()),
        "csos_formalised": int(ts["csos_formalised"].sum()),
        "recognition_mean": float(ts["recognition_mean"].mean()),
        "awareness_mean": float(ts["awareness_mean"].mean()),
        "retention_12m_mean": float(ts["retention_12m"].mean()),
        "need_total": float(ts["need_total"].sum()),
        "need_met_csos": float(ts["need_met_csos"].sum()),
        "unmet_need": float(ts["unmet_need"].sum()),
        "unmet_need_minority": float(ts["unmet_need_minority"].sum()),
        "state_spending": float(ts["state_spending"].sum()),
        "donations": float(ts["donations"].sum()),
        "cso_budget_final": float(csos["budget"].sum()),
        "capacity_gini_mean": float(ts["capacity_gini"].mean()),
    }


def path(scenario: str) -> Path:
    """Where the reference figures of ``scenario`` are stored."""
    return HERE / f"{scenario}.json"


def refresh(scenarios: list[str]) -> None:
    """Run each scenario and write its reference figures."""
    for name in scenarios:
        record = {"scenario": name, "settings": SETTINGS, "figures": figures(name)}
        path(name).write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {path(name).relative_to(HERE.parents[2])}")


if __name__ == "__main__":
    known = bundled_scenarios()
    wanted = sys.argv[1:] or list(known)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        sys.exit(f"refresh.py: unknown scenario(s) {', '.join(unknown)}; bundled: "
                 f"{', '.join(known)}")
    refresh(wanted)
