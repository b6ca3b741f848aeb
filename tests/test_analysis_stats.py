"""The statistics against published values, scipy/statsmodels and hand computation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy.stats import binomtest

from goalguard.analysis.stats import (
    bootstrap_paired,
    mcnemar_exact,
    newcombe_paired,
    paired_gap,
    sweep_fit,
    wilson,
)
from goalguard.providers.organism import draw, organism_rates


def _known(values: tuple[float | None, ...]) -> tuple[float, ...]:
    assert all(v is not None for v in values), values
    return tuple(float(v) for v in values if v is not None)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 20), (7, 20), (20, 20), (140, 300), (3, 1000)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    got = wilson(k, n)
    assert got.k == k and got.n == n
    assert got.estimate == pytest.approx(k / n)
    assert got.low == pytest.approx(ref.low, abs=1e-12)
    assert got.high == pytest.approx(ref.high, abs=1e-12)


def test_wilson_by_hand() -> None:
    # k=7, n=20, z=1.96: centre (0.35 + 0.09604) / 1.19208; half-width
    # 1.96·sqrt(0.35·0.65/20 + 0.9604/1600) / 1.19208.
    z = 1.959963984540054
    centre = (0.35 + z * z / 40) / (1 + z * z / 20)
    half = z * math.sqrt(0.35 * 0.65 / 20 + z * z / 1600) / (1 + z * z / 20)
    low, high = _known((wilson(7, 20).low, wilson(7, 20).high))
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)
    assert (round(low, 4), round(high, 4)) == (0.1812, 0.5671)


def test_wilson_empty_and_bad_counts() -> None:
    empty = wilson(0, 0)
    assert empty.estimate is None and empty.low is None and empty.high is None
    with pytest.raises(ValueError, match="k=3, n=2"):
        wilson(3, 2)


def test_mcnemar_exact_published_value() -> None:
    # Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8,
    # Cavo et al. (2012) table [[59, 6], [16, 80]]: exact conditional McNemar P = 0.052479.
    assert mcnemar_exact(6, 16) == pytest.approx(0.052479, abs=5e-7)
    assert mcnemar_exact(16, 6) == mcnemar_exact(6, 16)


@pytest.mark.parametrize(
    "b,c", [(0, 0), (0, 5), (3, 3), (10, 2), (40, 25), (0, 80), (2900, 3100), (40000, 41000)]
)
def test_mcnemar_exact_is_a_binomial_test_on_discordant_pairs(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9)


def test_newcombe_published_value() -> None:
    # Same source and table: Newcombe square-and-add, estimate -0.0621 (95% CI -0.1186 to
    # -0.0046), where p1 = row margin (59+6)/161 and p2 = column margin (59+16)/161.
    estimate, low, high = _known(newcombe_paired(59, 6, 16, 80))
    assert (round(estimate, 4), round(low, 4), round(high, 4)) == (-0.0621, -0.1186, -0.0046)


def test_newcombe_edge_cases() -> None:
    assert newcombe_paired(0, 0, 0, 0) == (None, None, None)
    estimate, low, high = _known(newcombe_paired(0, 10, 0, 0))  # every pair discordant one way
    assert estimate == 1.0 and high == 1.0 and 0.5 < low < 1.0
    estimate, low, high = _known(newcombe_paired(5, 0, 0, 5))  # no discordant pairs
    assert estimate == 0.0 and low < 0 < high


def test_paired_gap_one_epoch_counts_pairs_and_uses_newcombe() -> None:
    first = [1, 1, 1, 0, 0, 1, 0, 1]
    second = [1, 0, 0, 0, 1, 0, 0, 0]
    gap = paired_gap(first, second, several_epochs=False)
    # a (both) = 1, b (first only) = 4, c (second only) = 1, d = 2
    assert gap.method == "newcombe" and gap.n_pairs == 8
    assert (gap.discordant_first_only, gap.discordant_second_only) == (4, 1)
    assert gap.estimate == pytest.approx(3 / 8)
    assert (gap.low, gap.high) == pytest.approx(newcombe_paired(1, 4, 1, 2)[1:])
    assert gap.mcnemar_p == pytest.approx(binomtest(1, 5, 0.5).pvalue)
    with pytest.raises(ValueError, match="0 or 1"):
        paired_gap([0.5], [0.0], several_epochs=False)


def test_bootstrap_resamples_queries_not_samples() -> None:
    """Averaging within a query first: more epochs of the same query means add no pairs."""
    rng = np.random.default_rng(1)
    first, second = rng.random(40), rng.random(40)
    est, low, high = _known(bootstrap_paired(first, second))
    assert est == pytest.approx(float(np.mean(first - second)))
    assert low < est < high
    # The percentile interval of the mean difference is close to mean ± 1.96·sd/sqrt(n).
    se = float(np.std(first - second, ddof=1) / math.sqrt(40))
    assert low == pytest.approx(est - 1.96 * se, abs=0.25 * se)
    assert high == pytest.approx(est + 1.96 * se, abs=0.25 * se)
    gap = paired_gap(first, second, several_epochs=True)
    assert gap.method == "bootstrap" and gap.n_pairs == 40
    assert (gap.estimate, gap.low, gap.high) == pytest.approx((est, low, high))


def test_sweep_slope_matches_statsmodels_clustered_ols() -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    ps = [0.0, 0.25, 0.5, 0.75, 1.0]
    queries = [f"q{i}" for i in range(40)]
    p = np.array([v for _ in queries for v in ps])
    cluster = np.array([q for q in queries for _ in ps])
    y = (rng.random(p.size) < 0.1 + 0.5 * p).astype(float)
    fit = sweep_fit(p, y, cluster)

    codes = np.unique(cluster, return_inverse=True)[1]
    ref = sm.OLS(y, sm.add_constant(p)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    low, high = ref.conf_int()[1]
    assert fit.slope == pytest.approx(ref.params[1])
    assert fit.intercept == pytest.approx(ref.params[0])
    assert (fit.low, fit.high) == pytest.approx((low, high))
    assert fit.n == p.size and [pt.p for pt in fit.points] == ps
    assert fit.points[0].compliance.n == 40


def test_sweep_needs_two_values_of_p() -> None:
    fit = sweep_fit([0.5, 0.5], [1.0, 0.0], ["a", "b"])
    assert fit.slope is None and len(fit.points) == 1


def test_gap_interval_covers_the_true_gap_at_about_95_percent() -> None:
    """100 datasets of 300 queries drawn with the organism's own sampling function."""
    rates = organism_rates("faker", comply_training=0.4, comply_unmonitored=0.05)
    true_gap = 0.4 - 0.05
    covered = 0
    for dataset in range(100):
        rng = random.Random(f"coverage:{dataset}")
        first = [draw(rates, "training", None, rng).complied for _ in range(300)]
        second = [draw(rates, "unmonitored", None, rng).complied for _ in range(300)]
        gap = paired_gap(np.array(first, float), np.array(second, float), several_epochs=False)
        assert gap.low is not None and gap.high is not None
        covered += gap.low <= true_gap <= gap.high
    assert 93 <= covered <= 97
