"""How many paired queries a gap needs: McNemar power, and what classifier error costs.

The compliance gap is tested with McNemar's test on paired queries (each query run under
training and unmonitored). With p₁ = compliance(training) = baseline + gap and
p₀ = baseline, the gap δ = p₁ − p₀ equals p₁₀ − p₀₁ (the discordant pairs' shares) and the
discordance ψ = p₁₀ + p₀₁. The number of pairs for power 1 − β at two-sided level α is

    n = (z₁₋α/₂ · √ψ + z₁₋β · √(ψ − δ²))² / δ²        (Connor 1987, Biometrics 43:207)

ψ is an assumption: by default the two conditions' outcomes are independent within a query,
ψ = p₁(1 − p₀) + p₀(1 − p₁); positively correlated outcomes (the usual case: a query that
one condition complies with, the other often does too) give a smaller ψ and fewer pairs,
down to ψ = δ (no pair discordant against the gap).

A label read by a classifier with sensitivity Se and specificity Sp shows each true pair
through that error, independently per sample: the apparent gap is (Se + Sp − 1)·δ and the
apparent discordance follows from the true 2×2 table; the same formula then gives the pairs
needed to see an AF-reasoning gap through the classifier.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any


class PowerError(ValueError):
    """Settings that describe no possible pair of rates; the message names the option."""


@dataclass(frozen=True)
class PairsNeeded:
    """Paired queries needed for one gap, with what it assumed."""

    gap: float
    baseline: float
    discordance: float
    discordance_assumed: str
    """``independence`` or ``given``."""
    power: float
    alpha: float
    pairs: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def independent_discordance(first: float, second: float) -> float:
    """ψ when the two conditions' outcomes are independent within a query."""
    return first * (1 - second) + second * (1 - first)


def mcnemar_pairs(delta: float, discordance: float, power: float, alpha: float) -> int:
    """Pairs for McNemar's test to detect ``delta`` with discordance ``discordance``."""
    z_alpha = NormalDist().inv_cdf(1 - alpha / 2)
    z_beta = NormalDist().inv_cdf(power)
    root = z_alpha * math.sqrt(discordance) + z_beta * math.sqrt(discordance - delta**2)
    return math.ceil(root**2 / delta**2)


def _check(gap: float, baseline: float, power: float, alpha: float) -> None:
    if gap == 0 or not -1 < gap < 1:
        raise PowerError(f"--gap must be non-zero and between -1 and 1, got {gap}")
    if not 0 <= baseline <= 1 or not 0 <= baseline + gap <= 1:
        raise PowerError(
            f"--baseline {baseline} with --gap {gap} gives a training rate of "
            f"{baseline + gap:.3g}, outside [0, 1]"
        )
    if not 0 < power < 1:
        raise PowerError(f"--power must be between 0 and 1, got {power}")
    if not 0 < alpha < 1:
        raise PowerError(f"--alpha must be between 0 and 1, got {alpha}")


def _check_discordance(gap: float, baseline: float, discordance: float) -> None:
    first = baseline + gap
    # p10 = (ψ + δ)/2 <= min(p1, 1 - p0); p01 = (ψ - δ)/2 <= min(p0, 1 - p1)
    most = min(2 * min(first, 1 - baseline) - gap, 2 * min(baseline, 1 - first) + gap)
    if not abs(gap) <= discordance <= most + 1e-12:
        raise PowerError(
            f"--discordance {discordance} is impossible with these rates: it must lie between "
            f"|gap| = {abs(gap):.3g} and {most:.3g}"
        )


def pairs_needed(
    gap: float,
    baseline: float,
    power: float = 0.8,
    alpha: float = 0.05,
    discordance: float | None = None,
) -> PairsNeeded:
    """Paired queries to detect a ``gap`` over ``baseline`` (the unmonitored rate)."""
    _check(gap, baseline, power, alpha)
    assumed = "given" if discordance is not None else "independence"
    if discordance is None:
        discordance = independent_discordance(baseline + gap, baseline)
    _check_discordance(gap, baseline, discordance)
    return PairsNeeded(
        gap=gap,
        baseline=baseline,
        discordance=discordance,
        discordance_assumed=assumed,
        power=power,
        alpha=alpha,
        pairs=mcnemar_pairs(gap, discordance, power, alpha),
    )


def through_classifier(
    need: PairsNeeded, sensitivity: float, specificity: float
) -> PairsNeeded | None:
    """The same gap seen through a classifier's error (None when Se + Sp <= 1: no power)."""
    j = sensitivity + specificity - 1
    if j <= 0:
        return None
    first, second, psi, delta = need.baseline + need.gap, need.baseline, need.discordance, need.gap
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    p11 = first - p10
    p00 = 1 - p11 - p10 - p01
    say = {1: sensitivity, 0: 1 - specificity}  # P(labelled positive | true value)
    cells = {(1, 1): p11, (1, 0): p10, (0, 1): p01, (0, 0): p00}
    a10 = sum(p * say[i] * (1 - say[k]) for (i, k), p in cells.items())
    a01 = sum(p * (1 - say[i]) * say[k] for (i, k), p in cells.items())
    apparent_gap = a10 - a01
    apparent_second = sensitivity * second + (1 - specificity) * (1 - second)
    return PairsNeeded(
        gap=apparent_gap,
        baseline=apparent_second,
        discordance=a10 + a01,
        discordance_assumed=need.discordance_assumed,
        power=need.power,
        alpha=need.alpha,
        pairs=mcnemar_pairs(apparent_gap, a10 + a01, need.power, need.alpha),
    )


def sweep_power_note(queries: int, gap: float = 0.05, baseline: float = 0.10) -> str:
    """One line for ``goalguard sweep --dry-run``: pairs a typical gap needs, beside the plan."""
    need = pairs_needed(gap, baseline)
    verdict = "enough" if queries >= need.pairs else "too few"
    return (
        f"Power: a {100 * gap:.0f}-point compliance gap over a {100 * baseline:.0f}% baseline "
        f"needs {need.pairs:,} paired queries for {100 * need.power:.0f}% power (McNemar, "
        f"independent outcomes within a query); the smallest run here has {queries:,} "
        f"queries: {verdict}. `goalguard plan` gives other gaps and the cost of classifier error."
    )
