"""A self-contained HTML report of a scenario comparison, and its figures.

``report.html`` opens from disk with no network: the CSS is inline and the figures are embedded as
base64 PNG. It leads with a table a reader can take in at a glance (which scenario did better than
the reference on which outcome, and how sure we are), then says how to read it, then shows the
differences, the trajectories, every number and the scenarios' descriptions and sources.
"""

from __future__ import annotations

import base64
import io
import math
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..analysis.comparison import (
    OUTCOME_BY_NAME,
    OUTCOMES,
    TRAJECTORIES,
    Comparison,
    best_by_outcome,
    pairwise,
    spending_gaps,
    weekly_bands,
    weekly_differences,
)
from ..results.files import make_folder, write_atomic, write_text
from ..versions import package_version
from . import compare_plots
from .style import grid

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.better { background: #dcf2e1; } td.worse { background: #f8dcda; }
td.unclear, td.undefined, td.equal { background: #f4f4f4; color: #555; }
td.higher, td.lower { background: #ece3f3; }
.diff { display: block; font-weight: 600; }
.warning { background: #fff4d6; border: 1px solid #e0b84c; padding: 0.6em 1em; margin: 1em 0; }
.warning li { margin: 0.3em 0; }
.legend span { padding: 0.1em 0.5em; margin-right: 0.5em; border: 1px solid #ccc; }
img { max-width: 100%; height: auto; }
.small { font-size: 0.88em; color: #444; }
.answer { background: #eef4fb; border: 1px solid #9db8d9; padding: 0.7em 1.1em; margin: 1em 0; }
.answer p { margin: 0.45em 0; }
.answer .verdict { font-size: 1.08em; }
"""


def fmt(outcome: str, value: float, signed: bool = False) -> str:
    """Format a value of an outcome (``–`` for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = OUTCOME_BY_NAME[outcome].format(value)
    if not text.strip("-0.,"):  # rounds to zero: no sign
        return text.lstrip("-")
    return f"+{text}" if signed and value > 0 else text.replace("-", "−")


def interval(outcome: str, low: float, high: float, signed: bool = False) -> str:
    """Format an interval as ``[low, high]`` (empty when there is none)."""
    if math.isnan(low) and math.isnan(high):
        return ""
    return f"[{fmt(outcome, low, signed)}, {fmt(outcome, high, signed)}]"


def describe_verdict(row: pd.Series, reference: str) -> str:
    """Say in words what a difference means, e.g. 'better than great-recession'."""
    words = {"better": f"better than {reference}", "worse": f"worse than {reference}",
             "higher": f"higher than {reference}", "lower": f"lower than {reference}",
             "unclear": "no clear difference", "equal": "equal in every replication",
             "undefined": "not defined for one of the two"}
    return words[row["verdict"]]


def _text_table(cells: list[list[str]]) -> str:
    """Align rows of cells in columns, with a rule under the first row."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = []
    for j, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def pairs_table(pairs: pd.DataFrame) -> str:
    """Plain-text table of the paired differences between the other scenarios (may be empty)."""
    if pairs.empty:
        return ""
    cells = [["outcome (unit)", "difference", "[95% CI, paired]", "verdict"]]
    for _, r in pairs.iterrows():
        o = OUTCOME_BY_NAME[r["outcome"]]
        cells.append([f"{o.label} ({o.unit})", f"{r['scenario']} − {r['versus']}",
                      f"{fmt(o.name, r['diff'], True)} "
                      f"{interval(o.name, r['diff_low'], r['diff_high'], True)}",
                      r["verdict"]])
    return _text_table(cells)


def interval_kind(comparison: Comparison) -> str:
    """Which uncertainty the intervals hold, in one sentence."""
    spec = comparison.uncertainty
    if spec is None:
        return ("Intervals: chance only (every run has the scenarios' own parameters; "
                "replications differ only in their seeds).")
    sets = -(-len(comparison.seeds) // spec["runs_per_set"])
    return (f"Intervals: chance and parameter uncertainty (the calibrated posterior: "
            f"{sets} parameter sets drawn from {spec['sets']}, {spec['runs_per_set']} seeds "
            "each; intervals over sets).")


def variance_table(summary: pd.DataFrame) -> str:
    """Plain-text table: per outcome and scenario, the share of variance from parameters."""
    reference = summary["scenario"].iloc[0]
    cells = [["outcome", "scenario", "from parameters: values", f"of the difference from "
              f"{reference}"]]
    for r in summary.itertuples():
        cells.append([r.outcome, r.scenario, _percent(r.parameter_share),
                      "" if r.scenario == reference else _percent(r.diff_parameter_share)])
    return _text_table(cells)


def headline_table(summary: pd.DataFrame) -> str:
    """Plain-text table: each outcome and scenario, its mean and its paired difference."""
    reference = summary["scenario"].iloc[0]
    cells = [["outcome (unit)", "scenario", "mean [95% CI]",
              f"minus {reference} [95% CI, paired]", "verdict"]]
    for outcome in OUTCOMES:
        rows = summary[summary["outcome"] == outcome.name]
        for j, (_, r) in enumerate(rows.iterrows()):
            first = r["scenario"] == reference
            cells.append([
                f"{outcome.label} ({outcome.unit})" if j == 0 else "", r["scenario"],
                f"{fmt(outcome.name, r['mean'])} "
                f"{interval(outcome.name, r['ci_low'], r['ci_high'])}",
                "" if first else f"{fmt(outcome.name, r['diff'], True)} "
                f"{interval(outcome.name, r['diff_low'], r['diff_high'], True)}",
                "" if first else r["verdict"]])
    return _text_table(cells)


# -- figures ------------------------------------------------------------------------------------

def difference_figure(summary: pd.DataFrame) -> Figure:
    """Forest plots of every outcome's paired differences from the reference."""
    others = summary["scenario"].nunique() - 1
    fig, axes = grid(len(OUTCOMES), columns=2, height=1.2 + 0.55 * others)
    for outcome, ax in zip(OUTCOMES, axes, strict=True):
        compare_plots.differences(summary, outcome.name, ax)
    reference = summary["scenario"].iloc[0]
    fig.suptitle(f"Paired difference from {reference}: mean and 95 % interval over replications"
                 "\n(green: better, red: worse, grey: no clear difference, purple: higher or "
                 "lower where neither is better)", fontsize="medium")
    return fig


def _weekly_figure(comparison: Comparison, panel) -> Figure:
    """One panel per weekly series (:data:`TRAJECTORIES`) and a shared legend on top.

    ``panel(weekly, (column, label, unit, scale), ax, crisis, reference)`` draws one panel.
    """
    weekly = comparison.weekly
    reference = comparison.scenarios[0].name
    crisis = weekly[weekly["scenario"] == reference].groupby("week", as_index=False).mean(
        numeric_only=True)
    fig, axes = grid(len(TRAJECTORIES), columns=2, height=3.3)
    for spec, ax in zip(TRAJECTORIES, axes, strict=True):
        panel(weekly, spec, ax, crisis, reference)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=min(len(labels), 5),
               frameon=False)
    return fig


def trajectory_figure(comparison: Comparison) -> Figure:
    """Weekly trajectories of each scenario with 95 % bands across replications."""
    def panel(weekly, spec, ax, crisis, reference):
        column, label, unit, scale = spec
        compare_plots.trajectory(weekly_bands(weekly, column, scale), ax, title=label,
                                 unit=unit, crisis=crisis)

    return _weekly_figure(comparison, panel)


def difference_trajectory_figure(comparison: Comparison) -> Figure:
    """Weekly paired differences of each scenario from the reference, with 95 % bands."""
    def panel(weekly, spec, ax, crisis, reference):
        column, label, unit, scale = spec
        compare_plots.difference_trajectory(weekly_differences(weekly, column, scale), ax,
                                            title=label, unit=unit, reference=reference,
                                            crisis=crisis)

    return _weekly_figure(comparison, panel)


def figures(comparison: Comparison) -> dict[str, Figure]:
    """The report's figures by file stem."""
    return {"differences": difference_figure(comparison.summary),
            "trajectories": trajectory_figure(comparison),
            "weekly-differences": difference_trajectory_figure(comparison)}


def png(fig: Figure) -> bytes:
    """Render a figure as PNG bytes at 100 dpi.

    On the Agg canvas with matplotlib's default saving settings, the canvas writes the PNG in
    one draw (which lays the figure out and renders it); ``savefig`` would first draw it once
    more without rendering, to lay it out, for the same bytes (a fifth of the time). Anything
    else goes through ``savefig``.
    """
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    if (type(fig.canvas) is FigureCanvasAgg and fig.dpi == 100
            and all(rcParams[key] == value for key, value in _SAVEFIG_DEFAULTS.items())):
        fig.canvas.print_png(buffer)
    else:
        fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


_SAVEFIG_DEFAULTS = {"savefig.bbox": None, "savefig.facecolor": "auto",
                     "savefig.edgecolor": "auto", "savefig.transparent": False,
                     "savefig.orientation": "portrait"}
"""Settings under which :func:`png`'s one draw writes what ``savefig`` writes."""


# -- HTML -----------------------------------------------------------------------------------------

def _glance(summary: pd.DataFrame) -> str:
    names = list(dict.fromkeys(summary["scenario"]))
    reference = names[0]
    head = "".join(f"<th>{escape(n)}{' (reference)' if n == reference else ''}</th>"
                   for n in names)
    body = []
    for outcome in OUTCOMES:
        rows = summary[summary["outcome"] == outcome.name].set_index("scenario")
        hint = {1: "higher is better", -1: "lower is better"}.get(outcome.better,
                                                                  "neither is better")
        cells = [f"<th>{escape(outcome.label)}<br><span class='small'>{escape(outcome.unit)}; "
                 f"{hint}</span></th>"]
        for name in names:
            r = rows.loc[name]
            mean = (f"{fmt(outcome.name, r['mean'])} "
                    f"<span class='small'>{interval(outcome.name, r['ci_low'], r['ci_high'])}"
                    "</span>")
            if name == reference:
                cells.append(f"<td class='num'>{mean}</td>")
                continue
            cells.append(_diff_cell(outcome.name, r, reference, f"<br>{mean}"))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<p>Each cell: Δ, the paired difference from {escape(reference)} [95 % interval], "
            f"what it means, then the scenario's mean [95 % interval].</p>"
            f"<table class='glance'><tr><th>outcome</th>{head}</tr>{''.join(body)}</table>"
            + LEGEND)


LEGEND = ("<p class='legend small'>Cell colour: <span style='background:#dcf2e1'>better</span>"
          "<span style='background:#f8dcda'>worse</span><span style='background:#f4f4f4'>no "
          "clear difference (the interval contains 0)</span><span style='background:#ece3f3'>"
          "higher or lower, where neither is better</span></p>")


def _diff_cell(outcome: str, row: pd.Series, versus: str, extra: str = "") -> str:
    """A table cell with a paired difference, its interval and its verdict, coloured."""
    return (f"<td class='num {escape(row['verdict'])}'><span class='diff'>Δ "
            f"{fmt(outcome, row['diff'], True)} "
            f"{interval(outcome, row['diff_low'], row['diff_high'], True)}</span>"
            f"{escape(describe_verdict(row, versus))}{extra}</td>")


def _pairs(runs: pd.DataFrame) -> str:
    """The other pairs of scenarios (those without the reference), if there are any."""
    pairs = pairwise(runs)
    if pairs.empty:
        return ""
    keys = list(dict.fromkeys(zip(pairs["scenario"], pairs["versus"], strict=True)))
    head = "".join(f"<th>{escape(b)} − {escape(a)}</th>" for b, a in keys)
    body = []
    for outcome in OUTCOMES:
        rows = pairs[pairs["outcome"] == outcome.name]
        cells = "".join(_diff_cell(outcome.name, r, r["versus"]) for _, r in rows.iterrows())
        body.append(f"<tr><th>{escape(outcome.label)}<br><span class='small'>"
                    f"{escape(outcome.unit)}</span></th>{cells}</tr>")
    return ("<h2>Between the other scenarios</h2><p>The same paired differences for the pairs "
            "that leave out the reference: the later scenario minus the earlier one.</p>"
            f"<table><tr><th>outcome</th>{head}</tr>{''.join(body)}</table>" + LEGEND)


def _numbers(summary: pd.DataFrame) -> str:
    header = ("<tr><th>scenario</th><th>outcome</th><th>unit</th><th>n</th><th>mean</th>"
              "<th>95 % CI</th><th>Monte Carlo s.e.</th><th>paired difference</th>"
              "<th>paired 95 % CI</th><th>unpaired (Welch) 95 % CI</th>"
              "<th>variance saved by pairing</th><th>verdict</th></tr>")
    rows = []
    for _, r in summary.iterrows():
        o = r["outcome"]
        rows.append(
            f"<tr><td>{escape(r['scenario'])}</td><td>{escape(r['label'])}</td>"
            f"<td>{escape(r['unit'])}</td><td class='num'>{r['n']}</td>"
            f"<td class='num'>{fmt(o, r['mean'])}</td>"
            f"<td class='num'>{interval(o, r['ci_low'], r['ci_high'])}</td>"
            f"<td class='num'>{fmt(o, r['se'])}</td>"
            f"<td class='num'>{fmt(o, r['diff'], True)}</td>"
            f"<td class='num'>{interval(o, r['diff_low'], r['diff_high'], True)}</td>"
            f"<td class='num'>{interval(o, r['unpaired_low'], r['unpaired_high'], True)}</td>"
            f"<td class='num'>{_percent(r['pairing_saving'])}</td>"
            f"<td>{escape(r['verdict'])}</td></tr>")
    return f"<table>{header}{''.join(rows)}</table>"


def _percent(share: float) -> str:
    return "–" if share is None or not math.isfinite(share) else f"{share:.0%}"


def answer(comparison: Comparison) -> str:
    """The answer first: the best scenario on each outcome, how sure, and at what cost."""
    best = best_by_outcome(comparison.runs)
    summary = comparison.summary
    n = len(comparison.seeds)
    rows = []
    for _, r in best.iterrows():
        o = OUTCOME_BY_NAME[r["outcome"]]
        sure = ("clearly best (every paired interval excludes 0)" if not r["tied"]
                else f"not distinguishable from {r['tied']}")
        mean = summary[(summary["scenario"] == r["best"])
                       & (summary["outcome"] == r["outcome"])].iloc[0]
        rows.append(
            f"<tr><th>{escape(o.label)}<br><span class='small'>{escape(o.unit)}; "
            f"{'higher' if o.better > 0 else 'lower'} is better</span></th>"
            f"<td><b>{escape(r['best'])}</b></td><td class='num'>{fmt(o.name, r['mean'])} "
            f"<span class='small'>{interval(o.name, mean['ci_low'], mean['ci_high'])}</span>"
            f"</td><td class='num'>Δ {fmt(o.name, r['diff'], True)} "
            f"{interval(o.name, r['diff_low'], r['diff_high'], True)}<br><span class='small'>"
            f"against {escape(r['runner_up'])}</span></td><td>{escape(sure)}</td></tr>")
    first = comparison.scenarios[0].params
    years = first["weeks"] / 52
    spent = summary[summary["outcome"] == "state_spending"].set_index("scenario")["mean"]
    cost = "; ".join(f"{escape(name)} €{value / first['population']['citizens'] / years:.2f}"
                     for name, value in spent.items())
    gaps = spending_gaps(summary)
    spend = ("they spend within 5 % of each other: compared at equal cost" if not gaps else
             "<b>they do not spend equally</b> (see the warning below): a difference mixes how "
             "the money is spent with how much")
    return (f"<div class='answer'><p class='verdict'><b>Which scenario did best</b>, outcome by "
            f"outcome, over {n} paired replications (best minus the runner-up, 95 % "
            "interval):</p><table><tr><th>outcome</th><th>best</th><th>its mean [95 % CI]</th>"
            f"<th>lead</th><th>how sure</th></tr>{''.join(rows)}</table>"
            f"<p>Cost (state spending on civil society, €/citizen/year): {cost}; {spend}.</p>"
            "</div>")


def _precision(comparison: Comparison) -> str:
    """How precise the differences are: the target if one was set, and the gain of pairing."""
    summary = comparison.summary
    parts = [part for part in (summary["pairing_saving"].dropna(),
                               pairwise(comparison.runs)["pairing_saving"].dropna()) if len(part)]
    saving = pd.concat(parts) if parts else pd.Series(dtype=float)  # two scenarios: no pairs
    text = (f"<p>Every mean has a Monte Carlo standard error (the spread of the mean over "
            f"repeated comparisons of {len(comparison.seeds)} replications; 'Every number' "
            "lists them). Because replications share seeds, the paired differences are far "
            "more precise than independent runs would give: pairing removed a median "
            f"{_percent(saving.median())} of the variance of the differences (range "
            f"{_percent(saving.min())} to {_percent(saving.max())}).</p>"
            if len(saving) else "")
    p = comparison.precision
    if p is None:
        return text
    widest = p.widest(comparison.runs)
    met = all(widest.get(k, math.inf) <= h for k, h in p.targets.items())
    rows = "".join(
        f"<tr><td>{escape(OUTCOME_BY_NAME[k].label)}</td><td class='num'>{fmt(k, h)}</td>"
        f"<td class='num'>{fmt(k, widest.get(k, math.nan))}</td>"
        f"<td>{escape(OUTCOME_BY_NAME[k].unit)}</td></tr>" for k, h in p.targets.items())
    verdict = ("every target was met" if met else
               f"<b>the cap of {p.cap} replications was reached before every target was met"
               "</b>")
    return (f"<p>Run to a precision: replications were added (from {p.start}, at most "
            f"{p.cap}) until every paired-difference interval's half-width was at most the "
            f"target; {len(comparison.seeds)} replications were needed and {verdict}.</p>"
            "<table><tr><th>outcome</th><th>target half-width</th><th>widest half-width "
            f"reached</th><th>unit</th></tr>{rows}</table>" + text)


def _definitions() -> str:
    rows = "".join(f"<tr><td>{escape(o.label)}</td><td>{escape(o.unit)}</td>"
                   f"<td>{escape(o.definition)}</td></tr>" for o in OUTCOMES)
    return f"<table><tr><th>outcome</th><th>unit</th><th>definition</th></tr>{rows}</table>"


def _scenarios(comparison: Comparison) -> str:
    items = []
    for s in comparison.scenarios:
        sources = "".join(f"<li>{escape(src)}</li>" for src in s.params["sources"])
        items.append(
            f"<h3>{escape(s.name)}</h3><p>{escape(' '.join(s.params['description'].split()))}"
            f"</p><p class='small'>Sources (keys such as [SOLIDUS] are defined in the project's "
            f"docs/sources.md):</p><ul class='small'>{sources}</ul>"
            f"<p class='small'>File: {escape(s.origin)} · {s.params['weeks']} weeks · "
            f"{s.params['population']['citizens']:,} citizens · parameters SHA-256 "
            f"<code>{s.hash[:16]}…</code></p>")
    return "".join(items)


def _how_to_read(comparison: Comparison) -> str:
    reference = comparison.scenarios[0].name
    n = len(comparison.seeds)
    return (
        f"<p>Each scenario was run {n} times. Replication <i>k</i> of every scenario used the "
        f"same seed, so the scenarios met the same crises, networks and chance events (common "
        f"random numbers), and the difference between two scenarios in one replication is "
        f"mostly the effect of the scenario, not chance. Each run is reduced to one number per "
        f"outcome (defined below, mostly a mean over the whole run). The first number in a "
        f"cell is the mean over replications with its 95 % confidence interval; Δ is the mean "
        f"<b>paired</b> difference from <b>{escape(reference)}</b>, the reference, with its "
        f"95 % interval. When that interval does not contain 0 the cell says whether the "
        f"scenario did better or worse than the reference; otherwise the replications cannot "
        f"tell the two apart. Intervals describe the model's randomness (and, under "
        f"parameter uncertainty, what calibration left unknown), not whether the model's "
        f"rules are right; with many outcomes some will look different by chance (about one "
        f"in twenty). More replications give narrower intervals.</p>"
        f"<p><b>{escape(interval_kind(comparison))}</b></p>{_variance(comparison)}")


def _variance(comparison: Comparison) -> str:
    """Under parameter uncertainty: the share of each outcome's variance from parameters."""
    if comparison.uncertainty is None:
        return ""
    summary = comparison.summary
    reference = comparison.scenarios[0].name
    rows = "".join(
        f"<tr><td>{escape(r.label)}</td><td>{escape(r.scenario)}</td>"
        f"<td class='num'>{_percent(r.parameter_share)}</td><td class='num'>"
        f"{'' if r.scenario == reference else _percent(r.diff_parameter_share)}</td></tr>"
        for r in summary.itertuples())
    return ("<p>How much of the variance comes from the parameters (between posterior sets) "
            "rather than chance (between the seeds of one set): of each scenario's values, and "
            f"of its paired difference from {escape(reference)}.</p><table><tr><th>outcome</th>"
            "<th>scenario</th><th>values</th><th>difference</th></tr>" + rows + "</table>")


def figure_html(title: str, data: bytes, alt: str) -> str:
    """A titled section with a PNG embedded as base64 (the report opens offline)."""
    encoded = base64.b64encode(data).decode("ascii")
    return (f"<h2>{escape(title)}</h2><img alt='{escape(alt)}' "
            f"src='data:image/png;base64,{encoded}'>")


def render(comparison: Comparison, images: dict[str, bytes], elapsed: float | None = None
           ) -> str:
    """The report as an HTML string.

    Args:
        comparison: The comparison.
        images: PNG bytes of the ``differences`` and ``trajectories`` figures.
        elapsed: Wall time of the runs, in seconds, if known.
    """
    summary = comparison.summary
    first = comparison.scenarios[0]
    names = ", ".join(s.name for s in comparison.scenarios)
    overrides = dict(first.overrides)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    took = f" in {elapsed:,.0f} s" if elapsed is not None else ""
    meta = (f"{len(comparison.seeds)} replications per scenario · seed {comparison.seed} "
            f"(common random numbers) · {first.params['weeks']} weeks · "
            f"{first.params['population']['citizens']:,} citizens · overrides: "
            f"{escape(', '.join(f'{k}={v}' for k, v in overrides.items()) or 'none')} · "
            f"solidarity-sim {escape(package_version())} · {when}{took}")
    warnings = spending_gaps(summary)
    warning_html = ("<div class='warning'><b>Spending differs by more than 5 %.</b><ul>"
                    + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul>Pairs not "
                    "listed spend within 5 % of each other.</div>"
                    if warnings else
                    "<p class='small'>Total state spending differs by less than 5 % between "
                    "every pair of scenarios: they are compared at equal cost.</p>")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Comparison: {escape(names)}</title><style>{CSS}</style></head><body>"
        f"<h1>Scenario comparison: {escape(names)}</h1><p class='meta'>{meta}</p>"
        f"{answer(comparison)}{warning_html}"
        f"<h2>Each scenario against {escape(first.name)}</h2>{_glance(summary)}"
        f"{_pairs(comparison.runs)}"
        f"<h2>How to read this</h2>{_how_to_read(comparison)}"
        f"<h2>Precision</h2>{_precision(comparison)}"
        + figure_html("Differences from the reference", images["differences"],
                  "forest plots of paired differences with 95 % intervals")
        + figure_html("Trajectories", images["trajectories"],
                  "weekly mean of each scenario with 95 % bands")
        + "<p class='small'>Lines: mean over replications; bands: 95 % interval of the mean; "
          "grey shading: weeks in which a crisis is under way in the reference scenario.</p>"
        + figure_html("Weekly differences from the reference", images["weekly-differences"],
                  "weekly paired differences with 95 % bands")
        + "<p class='small'>Each scenario's series minus the reference's in the same "
          "replication (the same seed), week by week: mean and 95 % band over replications. "
          "Where the band leaves the zero line, the scenarios differ in that week.</p>"
        f"<h2>Every number</h2>{_numbers(summary)}"
        "<p class='small'>The unpaired interval ignores that replications share seeds; it is "
        "shown to make the gain from common random numbers visible.</p>"
        f"<h2>Outcomes</h2>{_definitions()}"
        f"<h2>Scenarios</h2>{_scenarios(comparison)}"
        "</body></html>\n")


def write_report(comparison: Comparison, directory: str | Path, elapsed: float | None = None
                 ) -> Path:
    """Write ``report.html`` and its figures as PNG files into ``directory``; return the report.

    Args:
        comparison: The comparison.
        directory: Output folder (created if needed).
        elapsed: Wall time of the runs, in seconds, if known.
    """
    from matplotlib import pyplot as plt

    out = make_folder(directory, "directory")
    images = {}
    for stem, fig in figures(comparison).items():
        images[stem] = png(fig)
        write_atomic(out / f"{stem}.png", lambda tmp, data=images[stem]: tmp.write_bytes(data))
        plt.close(fig)
    path = out / "report.html"
    write_text(path, render(comparison, images, elapsed))
    return path
