"""The statistics every analysis shares: intervals of a mean and of a (paired) difference.

Compare, validate and calibrate report the mean over replications with its t-interval at
:data:`CONFIDENCE`; compare adds the paired difference of two scenarios run with the same seeds
and, for reference, Welch's unpaired interval. Missing values (NaN) are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import stdtrit

CONFIDENCE = 0.95
"""Level of every interval the analyses report."""


def t_quantile(p: Any, df: Any) -> Any:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (scalars or arrays).

    The same numbers as ``scipy.stats.t.ppf(p, df)``, from the special function it calls, with
    its checks (NaN where ``df <= 0`` or ``p`` is outside [0, 1]; -inf and inf at 0 and 1),
    without importing ``scipy.stats`` (about 0.35 s at the start of every command).
    """
    q, d = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(df, dtype=float))
    out = np.full(q.shape, np.nan)
    valid = d > 0
    inside = valid & (q > 0) & (q < 1)
    out[inside] = stdtrit(d[inside], q[inside])
    out[valid & (q == 0)] = -np.inf
    out[valid & (q == 1)] = np.inf
    return out[()] if out.ndim == 0 else out


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of ``values`` and its t-interval (NaN bounds with fewer than two values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, np.nan, np.nan
    half = t_quantile(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return mean, mean - half, mean + half


def welch_interval(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE
                   ) -> tuple[float, float]:
    """Welch's (unpaired) t-interval of ``mean(a) - mean(b)``."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return np.nan, np.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff, se = a.mean() - b.mean(), np.sqrt(va + vb)
    if se == 0:
        return float(diff), float(diff)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = t_quantile(0.5 + confidence / 2, df) * se
    return float(diff - half), float(diff + half)


def difference_verdict(better: int, low: float, high: float) -> str:
    """Word a difference: better / worse (or higher / lower), unclear, equal or undefined.

    Unclear if 0 is in the interval; equal if the interval is exactly 0 (the same value in
    every pair).

    Args:
        better: +1 if higher values are better, -1 if lower are, 0 if neither.
        low: Lower bound of the difference's interval.
        high: Upper bound.

    Returns:
        ``better``, ``worse``, ``higher``, ``lower``, ``unclear``, ``equal``, or ``undefined``
        when there is
        no interval (the outcome is not defined for a scenario).
    """
    if np.isnan(low) or np.isnan(high):
        return "undefined"
    if low == 0 == high:
        return "equal"
    if low <= 0 <= high:
        return "unclear"
    higher = low > 0
    if better == 0:
        return "higher" if higher else "lower"
    return "better" if higher == (better > 0) else "worse"


def paired_difference(x: np.ndarray, ref: np.ndarray, better: int,
                      confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean paired difference ``x - ref`` with its t-interval, Welch's interval and verdict.

    Also its standard error ``diff_se`` and ``pairing_saving``: the share of the variance of
    the difference that pairing removed, ``1 - var(x - ref) / (var(x) + var(ref))`` (0 for
    independent runs, near 1 when common random numbers make the pairs move together).

    Args:
        x: One value per replication.
        ref: The reference's values, replication by replication (the same seeds).
        better: Which way is better (see :func:`difference_verdict`).
        confidence: Level of the intervals.
    """
    d = np.asarray(x, dtype=float) - np.asarray(ref, dtype=float)
    diff, low, high = t_interval(d, confidence)
    u_low, u_high = welch_interval(x, ref, confidence)
    d = d[~np.isnan(d)]
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else np.nan
    unpaired = np.nanvar(x, ddof=1) + np.nanvar(ref, ddof=1) if d.size > 1 else np.nan
    saving = float(1 - d.var(ddof=1) / unpaired) if unpaired and unpaired > 0 else np.nan
    return {"diff": diff, "diff_low": low, "diff_high": high, "unpaired_low": u_low,
            "unpaired_high": u_high, "verdict": difference_verdict(better, low, high),
            "diff_se": se, "pairing_saving": saving}


def variance_split(values: np.ndarray, sets: np.ndarray) -> dict[str, float]:
    """How much of the variance of ``values`` comes from parameter sets, how much from chance.

    One-way random effects (law of total variance) over runs grouped by parameter set: the
    chance variance is the mean variance within sets (sets with two runs or more), the
    parameter variance the variance of the set means less the chance variance they still carry
    (``within / runs per set``), floored at 0.

    Args:
        values: One value per run (NaN left out).
        sets: The parameter set of each run.

    Returns:
        ``parameter_variance``, ``chance_variance`` and ``parameter_share`` (of their sum; NaN
        without two sets or without a set of two runs).
    """
    x, g = np.asarray(values, dtype=float), np.asarray(sets)
    keep = ~np.isnan(x)
    x, g = x[keep], g[keep]
    labels, index = np.unique(g, return_inverse=True)
    sizes = np.bincount(index)
    means = np.bincount(index, weights=x) / np.maximum(sizes, 1)
    repeated = sizes >= 2
    if len(labels) < 2 or not repeated.any():
        return {"parameter_variance": np.nan, "chance_variance": np.nan,
                "parameter_share": np.nan}
    squares = np.bincount(index, weights=(x - means[index]) ** 2)
    within = float(np.mean(squares[repeated] / (sizes[repeated] - 1)))
    between = float(np.var(means, ddof=1))
    parameter = max(0.0, between - within * float(np.mean(1 / sizes)))
    total = parameter + within
    return {"parameter_variance": parameter, "chance_variance": within,
            "parameter_share": parameter / total if total > 0 else np.nan}
