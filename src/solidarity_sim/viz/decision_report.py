"""Self-contained HTML reports of the decision analyses: explore, frontier and optimise.

Each report opens with the answer to the question it was asked (which option is best, on which
outcome, how sure, at what cost), then how to read it, then the figures and every number. Like
the comparison report (:mod:`.report`), the CSS is inline and the figures are embedded PNGs, so
the file opens offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.decision_runs import DECISION_OUTCOME_BY_NAME, REPORTED
from ..analysis.decision_space import uncertainties
from ..analysis.robustness import Exploration, Threshold
from ..results.run_result import package_version
from . import decision_plots
from .report import CSS, figure_html, png
from .style import colour, grid


def value(outcome: str, x: float, signed: bool = False) -> str:
    """A value of a decision outcome in its format (``–`` when missing)."""
    if x is None or not np.isfinite(x):
        return "–"
    text = DECISION_OUTCOME_BY_NAME[outcome].format(x)
    if signed and x > 0:
        text = "+" + text
    return text.replace("-", "−")


def span(outcome: str, low: float, high: float, signed: bool = False) -> str:
    """An interval ``[low, high]`` in the outcome's format."""
    return f"[{value(outcome, low, signed)}, {value(outcome, high, signed)}]"


def page(title: str, meta: str, body: str) -> str:
    """A whole report page."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class='meta'>{meta} · solidarity-sim "
            f"{escape(package_version())} · {when}</p>{body}</body></html>\n")


def write_page(directory: str | Path, html_of: callable, figures: Mapping[str, Figure],
               name: str = "report.html") -> Path:
    """Save the figures as PNG, render the page with their bytes, write it; return its path.

    Args:
        directory: Output folder (created if needed).
        html_of: ``html_of(images)`` gives the page from the PNG bytes by figure name.
        figures: The figures by file stem.
        name: The page's file name.
    """
    from matplotlib import pyplot as plt

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    for stem, fig in figures.items():
        images[stem] = png(fig)
        (out / f"{stem}.png").write_bytes(images[stem])
        plt.close(fig)
    path = out / name
    path.write_text(html_of(images), encoding="utf-8")
    return path


def table_html(frame: pd.DataFrame, numeric: Sequence[str] = ()) -> str:
    """A plain HTML table of a frame of strings (``numeric`` columns right-aligned)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = "".join(f"<td class='num'>{escape(str(r[c]))}</td>" if c in numeric
                        else f"<td>{escape(str(r[c]))}</td>" for c in frame.columns)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _policy_list(scenarios) -> str:
    items = "".join(f"<li><b>{escape(s.name)}</b>: "
                    f"{escape(' '.join(s.params['description'].split()))}</li>"
                    for s in scenarios)
    return f"<ul class='small'>{items}</ul>"


# -- explore --------------------------------------------------------------------------------------

def explore_figures(exploration: Exploration, objective: str,
                    thresholds: Sequence[Threshold]) -> dict[str, Figure]:
    """The figures of an exploration: outcomes over the futures, regret, PRIM boxes."""
    names = exploration.names
    colours = [colour(i) for i in range(len(names))]
    shown = [o for o in REPORTED if o.name in (
        objective, "unmet_need_minority", "volunteer_share", "csos_active", "retention",
        "spent_per_citizen_year")]
    fig, axes = grid(len(shown), columns=2, height=1.0 + 0.55 * len(names))
    for o, ax in zip(shown, axes, strict=True):
        decision_plots.spread(exploration.wide(o.name), ax, label=o.label, unit=o.unit,
                              colours=colours)
    fig.suptitle(f"Every outcome over {len(exploration.futures)} futures (box: middle half; "
                 "whiskers: 1.5 × its width; diamond: mean)", fontsize="medium")
    o = DECISION_OUTCOME_BY_NAME[objective]
    regret_fig, (ax,) = grid(1, columns=1, height=1.4 + 0.6 * len(names), width=9)
    decision_plots.regret(exploration.regret(objective), ax, label=o.label, unit=o.unit)
    figures = {"futures-outcomes": fig, "regret": regret_fig}
    space = uncertainties(exploration.weeks)
    found = [exploration.discover(n, thresholds) for n in names]
    boxed = [d for d in found if not d.note]
    if boxed:
        prim_fig, axes = grid(2 * len(boxed), columns=2, height=3.8)
        fails = exploration.failed(thresholds)
        for d, (left, right) in zip(boxed, zip(axes[::2], axes[1::2], strict=True),
                                    strict=True):
            decision_plots.box_limits(
                d.limits, space, left,
                title=f"{d.policy}: where it fails\n(coverage {d.coverage:.0%}, "
                      f"density {d.density:.0%})")
            x, y = _scatter_axes(d.limits)
            ux, uy = (next(u for u in space if u.name == n) for n in (x, y))
            decision_plots.failures_scatter(
                exploration.futures, fails[d.policy].to_numpy(), x, y, right, limits=d.limits,
                labels=(f"{ux.label} ({ux.unit})", f"{uy.label} ({uy.unit})"))
            right.set_title(f"{d.policy}: {d.failures} of {d.futures} futures fail",
                            fontsize="medium")
        figures["scenario-discovery"] = prim_fig
    return figures


def _scatter_axes(limits: pd.DataFrame) -> tuple[str, str]:
    """The two numeric uncertainties to plot: the box's restricted ones first."""
    numeric = [n for n in limits.loc[limits["choices"] == "", "uncertainty"]]
    for n in ("severity", "onset", "reach", "duration", "austerity"):
        if n not in numeric:
            numeric.append(n)
    return numeric[0], numeric[1]


def explore_answer(exploration: Exploration, robust: pd.DataFrame, objective: str,
                   thresholds: Sequence[Threshold], discoveries: Mapping) -> str:
    """The answer: the minimax-regret policy, how sure, at what cost, and where it fails."""
    o = DECISION_OUTCOME_BY_NAME[objective]
    best = robust.iloc[0]
    n = len(exploration.futures)
    others = robust.iloc[1:]
    contrast = "; ".join(f"{escape(r['policy'])} {value(objective, r['max_regret'])}"
                         for _, r in others.iterrows())
    most = robust.sort_values("met", ascending=False, kind="stable").iloc[0]
    wording = " and ".join(escape(t.describe()) for t in thresholds)
    spread = exploration.wide(objective)
    futures_range = spread.max(axis=1).max() - spread.min(axis=1).min()
    share = best["max_regret"] / futures_range if futures_range > 0 else np.nan
    parts = [
        f"<p class='verdict'><b>Most robust on {escape(o.label)}: {escape(best['policy'])}</b>"
        f" (smallest largest regret). Across {n} futures its {escape(o.label)} was at most "
        f"<b>{value(objective, best['max_regret'])} {escape(o.unit)}</b> worse than the best "
        f"policy of that future (mean regret {value(objective, best['mean_regret'])}); it was "
        f"the best policy in {best['best_in']} of {n} futures. Largest regret of the others: "
        f"{contrast}.</p>",
        _typical(robust, objective, n),
        f"<p>Thresholds ({wording}): met in "
        + "; ".join(f"{escape(r['policy'])} {r['met']:.0%} [{r['met_low']:.0%}, "
                    f"{r['met_high']:.0%}]" for _, r in robust.iterrows())
        + f" of futures (95 % Wilson intervals). Most often met: <b>"
          f"{escape(most['policy'])}</b>.</p>",
        "<p>Cost: " + "; ".join(f"{escape(r['policy'])} spent €{r['spent']:.2f}"
                                for _, r in robust.iterrows())
        + " per citizen per year on civil society (mean over the futures, as spent).</p>",
    ]
    if np.isfinite(share):
        parts.append(f"<p class='small'>For scale: {escape(o.label)} ranges over "
                     f"{value(objective, futures_range)} {escape(o.unit)} between the futures; "
                     f"the robust policy's largest regret is {share:.0%} of that: the crisis "
                     "matters more than the choice of policy where this share is small.</p>")
    d = discoveries[best["policy"]]
    parts.append(f"<p>Where {escape(best['policy'])} fails: {escape(d.describe())}.</p>")
    return "<div class='answer'>" + "".join(parts) + "</div>"


def _typical(robust: pd.DataFrame, objective: str, n: int) -> str:
    """The policy with the smallest mean regret, if it is not the minimax-regret one."""
    typical = robust.sort_values("mean_regret", kind="stable").iloc[0]
    if typical["policy"] == robust.iloc[0]["policy"]:
        return ""
    return (f"<p>Smallest <i>mean</i> regret: <b>{escape(typical['policy'])}</b> "
            f"({value(objective, typical['mean_regret'])}; the best policy in "
            f"{typical['best_in']} of {n} futures, but at most "
            f"{value(objective, typical['max_regret'])} worse): the better choice for the "
            "typical future, the other for the worst.</p>")


def _robust_table(robust: pd.DataFrame, objective: str) -> str:
    o = DECISION_OUTCOME_BY_NAME[objective]
    frame = pd.DataFrame({
        "policy": robust["policy"],
        f"mean {o.label}": [value(objective, x) for x in robust["mean"]],
        "5-95 % of futures": [span(objective, a, b) for a, b in zip(robust["p05"],
                                                                     robust["p95"],
                                                                     strict=True)],
        "mean regret": [value(objective, x) for x in robust["mean_regret"]],
        "90 % of futures: regret below": [value(objective, x) for x in robust["p90_regret"]],
        "largest regret": [value(objective, x) for x in robust["max_regret"]],
        "best in (futures)": robust["best_in"],
        "thresholds met [95 % CI]": [f"{m:.0%} [{lo:.0%}, {hi:.0%}]" for m, lo, hi in
                                     zip(robust["met"], robust["met_low"], robust["met_high"],
                                         strict=True)],
        "spent (€/citizen/year)": [f"{x:.2f}" for x in robust["spent"]],
    })
    return (f"<p class='small'>{escape(o.label)} in {escape(o.unit)}; policies ordered from "
            "the smallest largest regret.</p>"
            + table_html(frame, numeric=frame.columns[1:]))


def _distribution_table(exploration: Exploration) -> str:
    dist = exploration.distribution()
    frame = pd.DataFrame({
        "outcome": [f"{r['label']} ({r['unit']})" for _, r in dist.iterrows()],
        "policy": dist["policy"],
        "mean": [value(r["outcome"], r["mean"]) for _, r in dist.iterrows()],
        "5 %": [value(r["outcome"], r["p05"]) for _, r in dist.iterrows()],
        "median": [value(r["outcome"], r["median"]) for _, r in dist.iterrows()],
        "95 %": [value(r["outcome"], r["p95"]) for _, r in dist.iterrows()],
    })
    return table_html(frame, numeric=("mean", "5 %", "median", "95 %"))


def _discovery_html(discoveries: Mapping) -> str:
    parts = []
    for name, d in discoveries.items():
        if d.note:
            parts.append(f"<p><b>{escape(name)}</b> {escape(d.note)}.</p>")
            continue
        frame = pd.DataFrame({"uncertainty": d.limits["label"],
                              "box": d.limits["restriction"],
                              "quasi-p": [f"{q:.2g}" for q in d.limits["qp"]]})
        parts.append(f"<p><b>{escape(name)}</b>: {escape(d.describe())}.</p>"
                     + table_html(frame, numeric=("quasi-p",)))
    return "".join(parts)


def _uncertainty_table(weeks: int) -> str:
    frame = pd.DataFrame({"uncertainty": [u.label for u in uncertainties(weeks)],
                          "range sampled": [u.describe() for u in uncertainties(weeks)]})
    return table_html(frame)


def render_exploration(exploration: Exploration, objective: str,
                       thresholds: Sequence[Threshold], images: Mapping[str, bytes],
                       note: str = "", elapsed: float | None = None) -> str:
    """The exploration report as HTML."""
    robust = exploration.robustness(objective, thresholds)
    discoveries = {n: exploration.discover(n, thresholds) for n in exploration.names}
    first = exploration.policies[0]
    took = f" · {elapsed:,.0f} s" if elapsed is not None else ""
    meta = (f"{len(exploration.futures)} futures × {len(exploration.names)} policies, paired "
            f"(future i: the same seed for every policy) · seed {exploration.seed} · "
            f"{exploration.weeks} weeks · {first.params['population']['citizens']:,} citizens"
            f"{took}")
    body = [explore_answer(exploration, robust, objective, thresholds, discoveries)]
    if note:
        body.append(f"<p class='small'>{escape(note)}</p>")
    body += [
        "<h2>How to read this</h2><p>Each future is one draw of what we cannot predict: the "
        "kind of crisis, when it starts, how long and how hard it hits, how many it reaches, and "
        "how deep the austerity a year later cuts (Latin hypercube over the ranges below). "
        "Every policy was run in every future with the same seed, so in each future the "
        "policies meet the same town, crisis and chance events. <b>Regret</b> is how much worse "
        "a policy did than the best policy <i>in that future</i>; a robust policy keeps its "
        "largest regret small. The share of futures meeting the thresholds has a 95 % Wilson "
        "interval (it reflects how many futures were sampled). Scenario discovery (PRIM) "
        "describes the futures where a policy fails: <i>coverage</i> is the share of its "
        "failures inside the box, <i>density</i> the share of futures in the box that fail. "
        "These statements are about the model under the sampled ranges, not forecasts.</p>",
        "<h2>Robustness</h2>" + _robust_table(robust, objective),
        figure_html("Regret", images["regret"], "box plots of regret per policy"),
        figure_html("Outcomes over the futures", images["futures-outcomes"],
                    "box plots of outcomes per policy over the futures"),
        "<h2>Where each policy fails (scenario discovery, PRIM)</h2>"
        + _discovery_html(discoveries),
    ]
    if "scenario-discovery" in images:
        body.append(figure_html("Boxes of failing futures", images["scenario-discovery"],
                                "PRIM boxes and scatter of failing futures"))
    body += ["<h2>Every outcome over the futures</h2>" + _distribution_table(exploration),
             "<h2>Futures sampled</h2>" + _uncertainty_table(exploration.weeks),
             "<h2>Policies</h2>" + _policy_list(exploration.policies)]
    title = "Robustness across futures: " + ", ".join(exploration.names)
    return page(title, escape(meta), "".join(body))


def write_exploration_report(exploration: Exploration, directory: str | Path, objective: str,
                             thresholds: Sequence[Threshold], note: str = "",
                             elapsed: float | None = None) -> Path:
    """Write the exploration's ``report.html`` and its figures as PNG; return the report."""
    figures = explore_figures(exploration, objective, thresholds)
    return write_page(directory, lambda images: render_exploration(
        exploration, objective, thresholds, images, note, elapsed), figures)


# -- frontier -------------------------------------------------------------------------------------

def _number(x: float, digits: int = 0) -> str:
    return "–" if not np.isfinite(x) else f"{x:,.{digits}f}".replace("-", "−")


def _with_interval(x: float, low: float, high: float, digits: int = 0) -> str:
    if not np.isfinite(x):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return _number(x, digits)
    return f"{_number(x, digits)} [{_number(low, digits)}, {_number(high, digits)}]"


def _icer_text(row: pd.Series, name: str) -> str:
    """An ICER with its interval, or why there is none."""
    if np.isfinite(row[f"{name}_icer"]):
        if row[f"{name}_icer"] <= 0:
            return "no extra cost (dominant)"
        return "€" + _with_interval(row[f"{name}_icer"], row[f"{name}_icer_low"],
                                    row[f"{name}_icer_high"], 1)
    if row["reference"]:
        return "reference"
    if row[f"{name}_low"] == 0 == row[f"{name}_high"]:
        return "equal to the reference"
    return "no clear gain" if row[f"{name}_high"] > 0 else "no gain"


def _option_name(row: pd.Series) -> str:
    return f"{row['policy']} at {row['budget']:g}"


def frontier_answer(options: pd.DataFrame) -> str:
    """The answer: the frontier, what the next euro buys on it, and the best value."""
    from ..analysis.cost_effectiveness import EFFECTS

    first = EFFECTS[0]
    path = options[options["status"] == "frontier"].sort_values("cost")
    steps = []
    for _, r in path.iterrows():
        step = ("" if not np.isfinite(r["icer_step"]) else
                f" (€{_with_interval(r['icer_step'], r['icer_step_low'], r['icer_step_high'], 1)}"
                " per extra unit)")
        steps.append(f"{escape(_option_name(r))}{step}")
    ref = options[options["reference"]].iloc[0]
    dominated = options[(options["status"] != "frontier") & ~options["reference"]]
    parts = [f"<p class='verdict'><b>Efficient options</b> for {escape(first.label)}, from the "
             f"cheapest: {' → '.join(steps)}. Budgets are nominal €/citizen/year; costs below "
             "are what the state actually spent.</p>"]
    for e in EFFECTS:
        valued = options[np.isfinite(options[f"{e.name}_icer"])
                         & (options[f"{e.name}_icer"] > 0)]
        if valued.empty:
            parts.append(f"<p>{escape(e.label.capitalize())}: no option gains clearly over "
                         f"{escape(_option_name(ref))} at a cost.</p>")
            continue
        best = valued.sort_values(f"{e.name}_icer").iloc[0]
        parts.append(
            f"<p>Best value for <b>{escape(e.label)}</b> against {escape(_option_name(ref))}: "
            f"<b>{escape(_option_name(best))}</b>, {_icer_text(best, e.name)} "
            f"{escape(e.ratio.removeprefix('€ '))} (95 % bootstrap interval); it gains "
            f"{_with_interval(best[e.name], best[e.name + '_low'], best[e.name + '_high'])} "
            f"{escape(e.unit)} for €{best['cost']:.2f}/citizen/year.</p>")
    if len(dominated):
        parts.append("<p>Dominated (another option gains as much or more for less, or a mix of "
                     "two neighbours does): "
                     + ", ".join(escape(_option_name(r)) for _, r in dominated.iterrows())
                     + ".</p>")
    return "<div class='answer'>" + "".join(parts) + "</div>"


def options_frame(options: pd.DataFrame) -> pd.DataFrame:
    """The options as a table of text, one row per option."""
    from ..analysis.cost_effectiveness import EFFECTS

    frame = pd.DataFrame({
        "option": [_option_name(r) + (" (reference)" if r["reference"] else "")
                   for _, r in options.iterrows()],
        "spent (€/citizen/year)": [_with_interval(r["cost"], r["cost_low"], r["cost_high"], 2)
                                   for _, r in options.iterrows()]})
    for e in EFFECTS:
        frame[f"{e.label} ({e.unit})"] = [
            _with_interval(r[e.name], r[f"{e.name}_low"], r[f"{e.name}_high"])
            for _, r in options.iterrows()]
        frame[e.ratio] = [_icer_text(r, e.name) for _, r in options.iterrows()]
    frame["status"] = options["status"].to_numpy()
    return frame


def frontier_text(study, options: pd.DataFrame) -> str:
    """The options table as plain text (for the terminal)."""
    frame = options_frame(options)
    ref = options[options["reference"]].iloc[0]
    reps = study.runs["replication"].nunique()
    return (f"paired differences from {_option_name(ref)} over {reps} replications, with 95% "
            "intervals\n" + frame.to_string(index=False))


def frontier_figures(study, options: pd.DataFrame) -> dict[str, Figure]:
    """Cost against each effect, with the first effect's frontier."""
    from ..analysis.cost_effectiveness import EFFECTS

    colours = {p.name: colour(i) for i, p in enumerate(study.policies)}
    fig, axes = grid(len(EFFECTS), columns=2, height=5.2, width=13)
    for e, ax in zip(EFFECTS, axes, strict=True):
        shown = options.assign(effect=options[e.name], effect_low=options[f"{e.name}_low"],
                               effect_high=options[f"{e.name}_high"])
        decision_plots.frontier(shown, ax, effect_label=e.label, effect_unit=e.unit,
                                colours=colours, line=e is EFFECTS[0])
        ax.set_title(f"{e.label} against cost (numbers: nominal budget)", fontsize="medium")
    fig.suptitle("Cost and effect of every option, paired against the reference, with 95 % "
                 "intervals; filled: on the efficient frontier of need", fontsize="medium")
    return {"frontier": fig}


def render_frontier(study, options: pd.DataFrame, images: Mapping[str, bytes],
                    elapsed: float | None = None) -> str:
    """The cost-effectiveness report as HTML."""
    first = study.policies[0]
    reps = study.runs["replication"].nunique()
    took = f" · {elapsed:,.0f} s" if elapsed is not None else ""
    meta = (f"{len(study.policies)} policies × budgets {', '.join(f'{b:g}' for b in study.budgets)}"
            f" €/citizen/year × {reps} paired replications · seed {study.seed} · "
            f"{study.weeks} weeks · {first.params['population']['citizens']:,} citizens{took}")
    frame = options_frame(options)
    body = [
        frontier_answer(options),
        "<h2>How to read this</h2><p>Every option (a policy at a budget) ran in the same "
        f"{reps} replications (replication <i>k</i>: the same seed for every option), so its "
        "gain over the reference is a paired difference with a 95 % t-interval. A policy's money "
        "(funding and levers) is scaled to the budget in its own proportions; what it actually "
        "spent can be lower (austerity cuts, emergency funds only in a crisis, training only for "
        "volunteers there are). An ICER divides the extra spending by the extra gain; its "
        "interval is a paired percentile bootstrap, and it is given only where the gain is "
        "clearly above zero. The efficient frontier joins the options no other option (or mix of "
        "two neighbours) beats on need no longer unmet at their cost. Intervals describe the "
        "model's randomness at these parameters, not whether the model is right.</p>",
        figure_html("Cost and effect", images["frontier"],
                    "cost against effect with intervals and the efficient frontier"),
        "<h2>Every option</h2>" + table_html(frame, numeric=frame.columns[1:-1]),
        "<h2>Policies</h2>" + _policy_list(study.policies),
    ]
    title = "Cost-effectiveness: " + ", ".join(p.name for p in study.policies)
    return page(title, escape(meta), "".join(body))


def write_frontier_report(study, options: pd.DataFrame, directory: str | Path,
                          elapsed: float | None = None) -> Path:
    """Write the study's ``report.html`` and its figure; return the report."""
    return write_page(directory, lambda images: render_frontier(study, options, images, elapsed),
                      frontier_figures(study, options))


# -- optimise -------------------------------------------------------------------------------------

def _mix_name(option: str, mix: str, best: str) -> str:
    if option == best:
        return f"best mix ({option})"
    if option.startswith("s-"):
        return f"all on {mix.removesuffix(' 100%')}"
    return f"mix {option}"


def optimisation_answer(result) -> str:
    """The answer: the best mix, how sure, at what cost, against each single lever."""
    search, best = result.search, result.best
    o = DECISION_OUTCOME_BY_NAME[search.objective]
    diffs = result.differences
    singles = diffs[diffs["option"].str.startswith("s-")]
    beaten = singles[singles["verdict"] == "better"]
    tied = singles[singles["verdict"].isin(["unclear", "equal"])]
    lost = singles[singles["verdict"] == "worse"]
    where = "in sampled futures" if search.futures else "in the scenario's crisis"

    def listing(rows: pd.DataFrame) -> str:
        return "; ".join(f"{escape(_mix_name(r['option'], r['mix'], ''))} "
                         f"(Δ {value(search.objective, r['diff'], True)} "
                         f"{span(search.objective, r['diff_low'], r['diff_high'], True)})"
                         for _, r in rows.iterrows())

    parts = [
        f"<p class='verdict'><b>Best mix for €{search.budget:g} per citizen per year</b> "
        f"({escape(o.label)}, {'higher' if search.better > 0 else 'lower'} is better): "
        f"<b>{escape(best['mix'])}</b>.</p>",
        f"<p>Re-evaluated with {search.final_replications} fresh paired runs {where}: "
        f"{escape(o.label)} {value(search.objective, best['mean'])} "
        f"{span(search.objective, best['ci_low'], best['ci_high'])} {escape(o.unit)}; it "
        f"spent €{best['spent']:.2f}/citizen/year.</p>",
        f"<p>Against spending the whole budget on one thing (paired, best mix minus option): "
        f"clearly better than {len(beaten)} of {len(singles)}"
        + (f": {listing(beaten)}" if len(beaten) else "") + ".</p>",
    ]
    if len(tied):
        parts.append(f"<p>Not distinguishable from: {listing(tied)}.</p>")
    final = result.final.set_index("option")
    ahead = [o for o in singles["option"]
             if (final.loc[o, "mean"] - best["mean"]) * search.better > 0]
    if ahead:
        parts.append("<p><b>Spending it all on one thing did as well</b>: "
                     + "; ".join(f"{escape(_mix_name(o, final.loc[o, 'mix'], ''))} had the "
                                 f"better mean ({value(search.objective, final.loc[o, 'mean'])})"
                                 for o in ahead)
                     + ". The search found no mix that beats it clearly; the simpler option "
                       "is as good an answer.</p>")
    if len(lost):
        parts.append(f"<p>Worse than: {listing(lost)}.</p>")
    others = diffs[diffs["option"].str.startswith("c")]
    if len(others):
        close = others[others["verdict"].isin(["unclear", "equal"])]
        parts.append(f"<p class='small'>{len(close)} of the {len(others)} other re-evaluated "
                     "mixes cannot be told apart from the best: the optimum is a region, not a "
                     "point.</p>")
    return "<div class='answer'>" + "".join(parts) + "</div>"


def optimisation_text(result) -> str:
    """The best mix and its differences as plain text."""
    search, best = result.search, result.best
    o = DECISION_OUTCOME_BY_NAME[search.objective]
    lines = [f"best mix for €{search.budget:g}/citizen/year: {best['mix']}",
             f"{o.label} ({o.unit}): {o.format(best['mean'])} "
             f"[{o.format(best['ci_low'])}, {o.format(best['ci_high'])}] over "
             f"{search.final_replications} fresh paired runs; spent "
             f"€{best['spent']:.2f}/citizen/year", "",
             "best mix minus option [95% CI, paired]:"]
    for _, r in result.differences.iterrows():
        lines.append(f"  {_mix_name(r['option'], r['mix'], ''):<40} "
                     f"{o.format(r['diff']):>8} [{o.format(r['diff_low'])}, "
                     f"{o.format(r['diff_high'])}]  {r['verdict']}")
    return "\n".join(lines)


def optimisation_figures(result) -> dict[str, Figure]:
    """The search's history, the re-evaluated mixes and the best mix's differences."""
    from ..analysis.decision_space import ITEM_LABELS, ITEMS

    search = result.search
    o = DECISION_OUTCOME_BY_NAME[search.objective]
    best = result.best["option"]
    fig, (history, shares) = grid(2, columns=2, height=4.6, width=13)
    decision_plots.search_history(result.trials, history, label=o.label, unit=o.unit,
                                  better=search.better)
    candidates = result.final[result.final["kind"] == "candidate"]
    shown = candidates.assign(option=[
        f"{_mix_name(r['option'], r['mix'], best)}: {o.format(r['mean'])}"
        for _, r in candidates.iterrows()])
    labels = [ITEM_LABELS[i] if i != "funding" else "funding (its policy in the table)"
              for i in ITEMS]
    decision_plots.mix_shares(shown, list(ITEMS), labels, shares)
    shares.set_title(f"Re-evaluated mixes and their mean {o.label} ({o.unit})",
                     fontsize="medium")
    diff_fig, (ax,) = grid(1, columns=1, height=1.5 + 0.5 * len(result.differences), width=10)
    table = result.differences.assign(option=[_mix_name(r["option"], r["mix"], best)
                                              for _, r in result.differences.iterrows()])
    decision_plots.mix_differences(table, ax, label=o.label, unit=o.unit, better=search.better)
    return {"search": fig, "differences": diff_fig}


def render_optimisation(result, images: Mapping[str, bytes], elapsed: float | None = None
                        ) -> str:
    """The optimisation report as HTML."""
    search = result.search
    o = DECISION_OUTCOME_BY_NAME[search.objective]
    took = f" · {elapsed:,.0f} s" if elapsed is not None else ""
    meta = (f"{result.scenario.name} · budget €{search.budget:g}/citizen/year · objective "
            f"{o.label} · {search.trials} trials × {search.replications} paired replications, "
            f"batches of {search.batch} · top {search.top} and single-lever options × "
            f"{search.final_replications} fresh replications · seed {search.seed}"
            + (f" · {search.futures} sampled futures" if search.futures else "")
            + f" · {result.scenario.params['weeks']} weeks · "
            f"{result.scenario.params['population']['citizens']:,} citizens{took}")
    best = result.best["option"]
    final = result.final
    frame = pd.DataFrame({
        "option": [_mix_name(r["option"], r["mix"], best) for _, r in final.iterrows()],
        "mix": final["mix"],
        f"{o.label} ({o.unit}) [95 % CI]": [
            f"{value(search.objective, r['mean'])} "
            f"{span(search.objective, r['ci_low'], r['ci_high'])}" for _, r in final.iterrows()],
        "spent (€/citizen/year)": [f"{x:.2f}" for x in final["spent"]]})
    trials = result.trials.assign(value=[value(search.objective, v)
                                         for v in result.trials["value"]])
    body = [
        optimisation_answer(result),
        "<h2>How to read this</h2><p>Optuna's TPE sampler proposed each mix: a funding policy "
        "and a share of the budget for funding and each money lever. Every trial ran in the "
        f"same {search.replications} replications (the same seeds), so trials are compared on "
        "the same towns and chance events; the search saw only the mean of these few runs, "
        "which flatters the luckiest mixes. The best few were therefore run again with "
        f"{search.final_replications} fresh seeds, beside every way of spending the whole "
        "budget on one thing, and compared by paired differences with 95 % t-intervals. The "
        "split is of the nominal budget; what a mix actually spends can be lower (emergency "
        "funds pay only in a crisis, training only for volunteers there are, austerity cuts "
        "everything). Intervals describe the model's randomness, not whether the model is "
        "right.</p>",
        figure_html("The best mix against single levers", images["differences"],
                    "paired differences of the best mix from each single-lever option"),
        figure_html("Search and re-evaluated mixes", images["search"],
                    "search history and the shares of the re-evaluated mixes"),
        "<h2>Re-evaluated options</h2>" + table_html(frame, numeric=frame.columns[2:]),
        "<h2>Every trial</h2>" + table_html(
            trials[["trial", "mix", "value"]].rename(
                columns={"value": f"{o.label}, mean of {search.replications} runs"}),
            numeric=("trial", f"{o.label}, mean of {search.replications} runs")),
        "<h2>Base scenario</h2>" + _policy_list([result.scenario]),
    ]
    return page(f"Best mix for €{search.budget:g}/citizen/year: {result.scenario.name}",
                escape(meta), "".join(body))


def write_optimisation_report(result, directory: str | Path, elapsed: float | None = None
                              ) -> Path:
    """Write the search's ``report.html`` and its figures; return the report."""
    return write_page(directory, lambda images: render_optimisation(result, images, elapsed),
                      optimisation_figures(result))
