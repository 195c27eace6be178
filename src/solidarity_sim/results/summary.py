"""A readable text summary of one run: start, peak and end of the headline outcomes."""

from __future__ import annotations

import math

import pandas as pd

from ..model.calendar import WEEKS_PER_YEAR

HEADLINES = (
    ("volunteer_share", "volunteer share", "{:.1%}"),
    ("retention_12m", "annual retention", "{:.1%}"),
    ("csos_active", "active CSOs", "{:.0f}"),
    ("unmet_need", "unmet need (need units/week)", "{:,.0f}"),
)
"""(column, label, format) of each line of the summary."""


def _fmt(template: str, value: float) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else template.format(value)


def headline_rows(ts: pd.DataFrame) -> list[dict]:
    """Start, peak (and its week) and end value of each headline outcome."""
    rows = []
    for column, label, template in HEADLINES:
        series = ts[column].dropna()
        if series.empty:
            rows.append({"label": label, "start": "–", "peak": "–", "end": "–"})
            continue
        peak_at = series.idxmax()
        rows.append({
            "label": label,
            "start": _fmt(template, series.iloc[0]),
            "peak": f"{_fmt(template, series.max())} (week {int(ts.loc[peak_at, 'week'])})",
            "end": _fmt(template, series.iloc[-1]),
        })
    return rows


def describe_run(result) -> str:
    """Render the summary printed by ``solidarity-sim run``.

    Args:
        result: A :class:`~solidarity_sim.results.run_result.RunResult`.
    """
    man, ts = result.manifest, result.timeseries
    weeks, seconds = man["weeks"], man["build_seconds"] + man["run_seconds"]
    head = (f"scenario {man['scenario']} · seed {man['seed']} · "
            f"{man['parameters']['population']['citizens']:,} citizens · {weeks} weeks "
            f"({weeks / WEEKS_PER_YEAR:.1f} years) · ran in {seconds:.1f} s")
    rows = headline_rows(ts)
    width = max(len(r["label"]) for r in rows)
    lines = [head, "", f"{'':{width}}  {'start':>10}  {'peak (week)':>22}  {'end':>10}"]
    for r in rows:
        lines.append(f"{r['label']:{width}}  {r['start']:>10}  {r['peak']:>22}  {r['end']:>10}")
    founded = int(ts["csos_founded"].sum())
    dissolved = int(ts["csos_dissolved"].sum())
    spent = ts["state_spending"].sum()
    met = ts["need_met_csos"].sum() / max(ts["need_total"].sum(), 1e-9)
    lines += ["", f"CSOs founded {founded}, dissolved {dissolved}; CSOs met {met:.1%} of all need; "
                  f"state spent €{spent:,.0f} on civil society"]
    return "\n".join(lines)
