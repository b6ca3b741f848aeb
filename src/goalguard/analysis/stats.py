"""The statistics goalguard reports, each a small function of counts or arrays.

All intervals are two-sided 95% by default. Nothing here knows about logs or labels:
:mod:`goalguard.analysis.summarize` turns the sample table into the inputs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from goalguard.analysis.results import GapDifference, PairedGap, Proportion, SweepFit, SweepPoint

Z95 = NormalDist().inv_cdf(0.975)
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20241218


def wilson(k: int, n: int, z: float = Z95) -> Proportion:
    """``k`` successes of ``n`` with the Wilson score interval (no continuity correction)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Proportion(k=0, n=0, estimate=None, low=None, high=None)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At k=0 or k=n the bound is exactly the estimate; rounding must not push it past.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(k=k, n=n, estimate=p, low=low, high=high)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact (conditional) McNemar p-value from the discordant counts ``b``, ``c``.

    Under the null each discordant pair falls either way with probability 1/2, so the
    p-value is a two-sided binomial test of ``b`` out of ``b + c``; 1.0 with none.
    """
    if b + c == 0:
        return 1.0
    return min(1.0, 2 * _binomial_half_cdf(min(b, c), b + c))


def _binomial_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n cannot overflow."""
    log_half_n = n * math.log(0.5)
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n
        for i in range(k + 1)
    ]
    top = max(logs)
    return math.exp(top) * math.fsum(math.exp(v - top) for v in logs)


def newcombe_paired(
    a: int, b: int, c: int, d: int, z: float = Z95
) -> tuple[float | None, float | None, float | None]:
    """Difference of paired proportions p1 − p2 with Newcombe's square-and-add interval.

    ``a``: both positive, ``b``: first only, ``c``: second only, ``d``: neither; so
    p1 = (a+b)/n and p2 = (a+c)/n. Newcombe (1998, Stat Med 17:2635) method 10: Wilson
    intervals for each margin, combined with the estimated correlation phi (continuity-
    corrected toward 0 when positive). Returns (estimate, low, high), all None if n = 0.
    """
    n = a + b + c + d
    if n == 0:
        return None, None, None
    p1, p2 = (a + b) / n, (a + c) / n
    w1, w2 = wilson(a + b, n, z), wilson(a + c, n, z)
    l1, u1, l2, u2 = w1.low, w1.high, w2.low, w2.high
    assert l1 is not None and u1 is not None and l2 is not None and u2 is not None
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if margins > 0:
        cross = a * d - b * c
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    delta = p1 - p2
    dl = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    du = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return delta, max(-1.0, delta - dl), min(1.0, delta + du)


def bootstrap_paired(
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float | None, float | None, float | None]:
    """Mean of ``first − second`` with a percentile bootstrap interval over paired units.

    ``first[i]`` and ``second[i]`` belong to the same unit (a query, already averaged over
    its epochs); whole units are resampled, never samples within a unit.
    """
    x = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    if x.size == 0:
        return None, None, None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(resamples, x.size))
    means = x[idx].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(x.mean()), float(low), float(high)


def paired_gap(
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    several_epochs: bool,
    first_name: str = "training",
    second_name: str = "unmonitored",
) -> PairedGap:
    """The compliance gap first − second over queries seen under both conditions.

    ``first[i]``/``second[i]`` are query i's compliance rates (0/1 with one epoch, the mean
    over epochs with several). One epoch: Newcombe's paired interval; several: a paired
    bootstrap over queries. The test is exact McNemar on queries whose rates differ (with
    one epoch exactly McNemar's discordant pairs; with several, a sign test over queries).
    """
    x = np.asarray(first, dtype=float)
    y = np.asarray(second, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired arrays differ in length: {x.size} vs {y.size}")
    b = int(np.sum(x > y))
    c = int(np.sum(x < y))
    if several_epochs:
        estimate, low, high = bootstrap_paired(x, y)
        method = "bootstrap"
    else:
        if not np.all(np.isin(x, (0.0, 1.0))) or not np.all(np.isin(y, (0.0, 1.0))):
            raise ValueError("with one epoch the paired values must be 0 or 1")
        a = int(np.sum((x == 1) & (y == 1)))
        d = int(np.sum((x == 0) & (y == 0)))
        estimate, low, high = newcombe_paired(a, b, c, d)
        method = "newcombe"
    return PairedGap(
        first=first_name,
        second=second_name,
        n_pairs=int(x.size),
        estimate=estimate,
        low=low,
        high=high,
        method=method,
        discordant_first_only=b,
        discordant_second_only=c,
        mcnemar_p=mcnemar_exact(b, c) if x.size else None,
    )


def sweep_fit(
    p: Sequence[float] | np.ndarray,
    complied: Sequence[float] | np.ndarray,
    cluster: Sequence[object] | np.ndarray,
    level: float = 0.95,
) -> SweepFit:
    """Least-squares line complied ~ a + slope·p over samples, with a cluster-robust interval.

    Samples of one query (its several p values and epochs) are correlated, so the slope's
    standard error is the sandwich estimator clustered by ``cluster`` (the query), with the
    usual small-sample factor G/(G−1)·(N−1)/(N−2) and a t quantile on G−1 degrees of
    freedom. Points are Wilson rates per distinct p.
    """
    pv = np.asarray(p, dtype=float)
    yv = np.asarray(complied, dtype=float)
    groups = np.asarray(cluster, dtype=object)
    points = [
        SweepPoint(p=float(v), compliance=wilson(int(yv[pv == v].sum()), int((pv == v).sum())))
        for v in np.unique(pv)
    ]
    n = int(pv.size)
    labels, codes = np.unique(groups.astype(str), return_inverse=True)
    n_groups = len(labels)
    if len(points) < 2 or n_groups < 2:
        return SweepFit(points=points, slope=None, low=None, high=None, intercept=None, n=n)
    design = np.column_stack([np.ones(n), pv])
    bread = np.linalg.inv(design.T @ design)
    beta = bread @ design.T @ yv
    resid = yv - design @ beta
    scores = np.zeros((n_groups, 2))
    np.add.at(scores, codes, design * resid[:, None])
    meat = scores.T @ scores
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - 2)
    cov = factor * bread @ meat @ bread
    se = math.sqrt(max(cov[1, 1], 0.0))
    # scipy only here: its import costs about half a second, which every other command skips.
    from scipy.stats import t as student_t

    t = float(student_t.ppf(1 - (1 - level) / 2, n_groups - 1))
    slope = float(beta[1])
    return SweepFit(
        points=points,
        slope=slope,
        low=slope - t * se,
        high=slope + t * se,
        intercept=float(beta[0]),
        n=n,
    )


def gap_difference(
    first: PairedGap, second: PairedGap, first_name: str, second_name: str
) -> GapDifference | None:
    """``first − second`` for two paired gaps from independent runs, with a MOVER interval.

    ``first_name``/``second_name`` name the runs (e.g. ``weights-deleted``, ``base``).

    Each gap keeps its own (possibly asymmetric) interval; the difference's interval is
    their square-and-add with no correlation term (Zou & Donner 2008, Stat Med 27:1693),
    which is right for independent runs. When both runs used the same queries, a positive
    correlation between their per-query gaps is ignored, so the interval is conservative.
    None when either gap has no estimate.
    """
    g1, l1, u1 = first.estimate, first.low, first.high
    g2, l2, u2 = second.estimate, second.low, second.high
    if g1 is None or l1 is None or u1 is None or g2 is None or l2 is None or u2 is None:
        return None
    d = g1 - g2
    return GapDifference(
        first=first_name,
        second=second_name,
        estimate=d,
        low=max(-2.0, d - math.sqrt((g1 - l1) ** 2 + (u2 - g2) ** 2)),
        high=min(2.0, d + math.sqrt((u1 - g1) ** 2 + (g2 - l2) ** 2)),
    )


def stratum_weights(strata: Sequence[tuple[str, int]]) -> list[float]:
    """Horvitz-Thompson weights of labelled lines given as ``(stratum, stratum_size)``.

    Each line stands for ``stratum_size / m`` transcripts of the run, ``m`` being the lines
    given here from its stratum.
    """
    labelled = Counter(stratum for stratum, _ in strata)
    return [size / labelled[stratum] for stratum, size in strata]
