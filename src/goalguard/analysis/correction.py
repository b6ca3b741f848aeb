"""Label rates corrected for the classifier's measured error (Rogan–Gladen), with intervals.

A classifier with sensitivity Se and specificity Sp reports a positive for a share
p = Se·π + (1 − Sp)·(1 − π) of transcripts whose true share is π, so

    π = (p + Sp − 1) / (Se + Sp − 1)        (Rogan & Gladen 1978, Am J Epidemiol 107:71)

clipped to [0, 1]; undefined when Se + Sp <= 1 (the labels then carry no information, or
inverted information). A paired gap in apparent rates, d = p₁ − p₂, becomes d / (Se + Sp − 1)
when both conditions are labelled by the same classifier.

The 95% interval carries both sources of error by Monte Carlo: each draw takes the
apparent rate, Se and Sp from their Jeffreys Beta distributions (Beta(k + ½, n − k + ½)
for k of n: the run's count, the calibration's true positives among reference positives,
its true negatives among reference negatives), or, for a gap, resamples the paired
queries as :func:`~goalguard.analysis.stats.bootstrap_paired` does; it corrects each draw
and takes the 2.5% and 97.5% quantiles. This is the parametric-bootstrap family that
Flor et al. 2020 (BMC Public Health 20:1135) compare with Bayesian intervals; Lang &
Reiczigel 2014 (Prev Vet Med 113:13) give a closed-form alternative. Its coverage here is
checked by simulation (``tests/test_correction_simulation.py``): 2,000 runs drawn through
the scripted organism with a classifier of known error.

The correction assumes the calibration's Se and Sp hold for the run's transcripts (same
model family, same kind of text) and are the same under every condition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from goalguard.analysis.outcomes import answered, failed_conditions
from goalguard.analysis.pairs import GAP, paired_rates
from goalguard.analysis.results import (
    AnalysisWarning,
    CorrectedGap,
    CorrectedRate,
    Correction,
    GroupSummary,
    LabelError,
    PairedGap,
)
from goalguard.analysis.stats import BOOTSTRAP_SEED, paired_gap, wilson
from goalguard.classifiers.calibration import (
    CORRECTED_LABELS,
    Calibration,
    ConfusionCounts,
    model_family,
    rules_hash,
    shipped_heuristic_calibration,
)

CORRECTION_DRAWS = 4000
METHOD = (
    "Rogan–Gladen; 95% interval by Monte Carlo over the run's counts and the calibration's "
    "(Jeffreys Beta draws; paired queries resampled for gaps)"
)
LABEL_NAMES = {
    "af_reasoning": "AF reasoning",
    "compliance": "compliance",
    "setup_doubt": "setup doubt",
}


def youden(counts: ConfusionCounts) -> float | None:
    """Se + Sp − 1 of a label's counts (None when either has no reference lines)."""
    se, sp = counts.sensitivity, counts.specificity
    return None if se is None or sp is None else se + sp - 1


def rogan_gladen(apparent: float, sensitivity: float, specificity: float) -> float | None:
    """The true rate behind an apparent one, clipped to [0, 1]; None if Se + Sp <= 1."""
    j = sensitivity + specificity - 1
    if j <= 0:
        return None
    return min(1.0, max(0.0, (apparent + specificity - 1) / j))


def format_count(count: float) -> str:
    """A confusion count as written: whole, or to one decimal when weighted."""
    return f"{count:.0f}" if float(count).is_integer() else f"{count:.1f}"


def _beta(rng: np.random.Generator, k: float, n: float, size: int) -> np.ndarray:
    return rng.beta(k + 0.5, n - k + 0.5, size=size)


def error_draws(
    counts: ConfusionCounts, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of (Se, Sp) from the calibration counts' Jeffreys Beta distributions."""
    se = _beta(rng, counts.tp, counts.tp + counts.fn, draws)
    sp = _beta(rng, counts.tn, counts.tn + counts.fp, draws)
    return se, sp


def _interval(
    values: np.ndarray, valid: np.ndarray, bounds: tuple[float, float], level: float
) -> tuple[float, float, bool]:
    """Quantiles of the valid draws; the whole range when too many draws are undefined."""
    alpha = (1 - level) / 2
    if values.size == 0 or 1 - valid.mean() > alpha:
        return bounds[0], bounds[1], True
    low, high = np.quantile(values[valid], [alpha, 1 - alpha])
    return float(low), float(high), False


def corrected_rate(
    k: int,
    n: int,
    counts: ConfusionCounts,
    label: str = "",
    condition: str = "",
    draws: int = CORRECTION_DRAWS,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> CorrectedRate:
    """``k`` positives of ``n`` labelled samples, corrected with ``counts``' Se and Sp."""
    raw = wilson(k, n)
    j = youden(counts)
    se, sp = counts.sensitivity, counts.specificity
    if n == 0 or j is None or j <= 0 or se is None or sp is None:
        return CorrectedRate(
            label=label, condition=condition, raw=raw, estimate=None, low=None, high=None
        )
    rng = np.random.default_rng(seed)
    apparent = _beta(rng, k, n, draws)
    se_d, sp_d = error_draws(counts, draws, rng)
    j_d = se_d + sp_d - 1
    valid = j_d > 0
    rates = np.clip((apparent + sp_d - 1) / np.where(valid, j_d, 1.0), 0.0, 1.0)
    low, high, unbounded = _interval(rates, valid, (0.0, 1.0), level)
    return CorrectedRate(
        label=label,
        condition=condition,
        raw=raw,
        estimate=rogan_gladen(k / n, se, sp),
        low=low,
        high=high,
        unbounded=unbounded,
    )


def _resampled_means(diff: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means of ``diff`` over units, drawn as counts of its distinct values (the
    same distribution as resampling units, in memory bounded by the distinct values)."""
    values, counts = np.unique(diff, return_counts=True)
    picks = rng.multinomial(diff.size, counts / diff.size, size=draws)
    return picks @ values / diff.size


def corrected_gap(
    first: np.ndarray | pd.Series,
    second: np.ndarray | pd.Series,
    several_epochs: bool,
    counts: ConfusionCounts,
    label: str = "",
    names: tuple[str, str] = GAP,
    draws: int = CORRECTION_DRAWS,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> CorrectedGap:
    """The paired gap ``first − second`` of a label's per-query rates, corrected: gap / J."""
    x, y = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    raw: PairedGap = paired_gap(x, y, several_epochs, *names)
    j = youden(counts)
    if raw.estimate is None or j is None or j <= 0:
        return CorrectedGap(
            label=label, first=names[0], second=names[1], raw=raw, estimate=None, low=None,
            high=None,
        )  # fmt: skip
    rng = np.random.default_rng(seed)
    means = _resampled_means(x - y, draws, rng)
    se_d, sp_d = error_draws(counts, draws, rng)
    j_d = se_d + sp_d - 1
    valid = j_d > 0
    gaps = np.clip(means / np.where(valid, j_d, 1.0), -1.0, 1.0)
    low, high, unbounded = _interval(gaps, valid, (-1.0, 1.0), level)
    return CorrectedGap(
        label=label,
        first=names[0],
        second=names[1],
        raw=raw,
        estimate=max(-1.0, min(1.0, raw.estimate / j)),
        low=low,
        high=high,
        unbounded=unbounded,
    )


def label_outcome(cell: pd.DataFrame, label: str) -> pd.Series:
    """1.0 / 0.0 per sample by a corrected label's positive and negative values, else NaN.

    As in the raw rates: samples the provider refused count for no label, and compliance is
    not read in a condition whose output protocol failed.
    """
    positive, negative = CORRECTED_LABELS[label]
    values = cell[label]
    ones = pd.Series(np.where(values.isin(list(positive)), 1.0, 0.0), index=cell.index)
    kept = values.isin(list(positive) + list(negative)) & answered(cell)
    if label == "compliance" and "parse_status" in cell:
        kept &= ~cell["condition"].isin(failed_conditions(cell, cell["condition"].unique()))
    return ones.where(kept)


def _methods(cell: pd.DataFrame, label: str) -> set[str]:
    column = f"{label}_method"
    if column not in cell:
        return set()
    return {str(m) for m in cell.loc[cell[label].notna(), column].dropna().unique()}


def choose_calibration(cell: pd.DataFrame, given: Calibration | None) -> Calibration | None:
    """The calibration for a group: the one given, else the shipped heuristic one when the
    group's corrected labels came from the heuristic; None when there is none to use."""
    if given is not None:
        return given
    methods = set().union(*(_methods(cell, label) for label in CORRECTED_LABELS if label in cell))
    return shipped_heuristic_calibration() if methods == {"heuristic"} else None


def correct_group(cell: pd.DataFrame, group: GroupSummary, calibration: Calibration) -> Correction:
    """One group's corrected rates per condition and gaps, with the warnings they need."""
    family = model_family(group.model)
    warnings: list[str] = []
    if family == "unknown" or family not in calibration.source_families:
        known = ", ".join(calibration.source_families) or "none recorded"
        warnings.append(
            f"the run's model family ({family}) is not among the calibration's ({known}): "
            "the classifier's error on this family's text was not measured, so the corrected "
            "rates may be wrong; measure it (goalguard label, then goalguard validate "
            "--calibration-out) and pass it with --calibration"
        )
    version = calibration.classifier.version
    if calibration.classifier.kind == "heuristic" and version != rules_hash():
        warnings.append(
            "the calibration was measured on other heuristic rules "
            f"({version[:25]}…, now {rules_hash()[:25]}…): re-measure it"
        )
    correction = Correction(
        calibration=calibration.name,
        calibration_file=calibration.source,
        classifier_version=calibration.classifier.version,
        source_families=calibration.source_families,
        model_family=family,
        method=METHOD,
        errors={},
    )
    conditions = [c.condition for c in group.conditions]
    for label, counts in calibration.labels.items():
        if label not in cell or cell[label].isna().all():
            continue
        methods = _methods(cell, label)
        if methods and calibration.classifier.kind not in methods:
            warnings.append(
                f"{LABEL_NAMES[label]}: labelled by {', '.join(sorted(methods))}, but the "
                f"calibration measured the {calibration.classifier.kind}: not corrected"
            )
            continue
        correction.errors[label] = LabelError(
            label=label, tp=counts.tp, fp=counts.fp, fn=counts.fn, tn=counts.tn,
            sensitivity=counts.sensitivity, specificity=counts.specificity,
        )  # fmt: skip
        j = youden(counts)
        if j is None or j <= 0:
            warnings.append(
                f"{LABEL_NAMES[label]}: the calibration's sensitivity + specificity is "
                + ("unmeasured" if j is None else f"{j + 1:.2f} <= 1")
                + ": the corrected rate is undefined (the labels carry no usable information)"
            )
        outcome = cell.assign(outcome=label_outcome(cell, label))
        for condition in conditions:
            values = outcome.loc[outcome["condition"] == condition, "outcome"].dropna()
            rate = corrected_rate(int(values.sum()), len(values), counts, label, condition)
            correction.rates.append(rate)
            if rate.unbounded:
                warnings.append(
                    f"{LABEL_NAMES[label]} ({condition}): the calibration's counts leave "
                    "sensitivity + specificity <= 1 plausible, so the corrected interval is "
                    "all of [0, 1]"
                )
        if set(GAP) <= set(conditions):
            x, y, several = paired_rates(outcome, *GAP, column="outcome")
            if len(x):
                gap = corrected_gap(x, y, several, counts, label)
                correction.gaps.append(gap)
                if gap.unbounded:
                    warnings.append(
                        f"{LABEL_NAMES[label]} gap: the calibration's counts leave sensitivity "
                        "+ specificity <= 1 plausible, so the corrected interval is all of "
                        "[-1, 1]"
                    )
    correction.warnings = warnings
    return correction


def add_corrections(
    groups: list[GroupSummary], cells: list[pd.DataFrame], calibration: Calibration | None
) -> None:
    """Set each group's ``corrected`` (see :func:`choose_calibration` for which file)."""
    for group, cell in zip(groups, cells, strict=True):
        chosen = choose_calibration(cell, calibration)
        if chosen is not None:
            group.corrected = correct_group(cell, group, chosen)
            continue
        methods = set().union(*(_methods(cell, label) for label in CORRECTED_LABELS))
        if methods - {"heuristic"}:
            group.warnings.append(
                AnalysisWarning(
                    kind="calibration",
                    message=f"labels from {', '.join(sorted(methods))} and no calibration "
                    "of that classifier: rates are raw, uncorrected for its error (measure "
                    "it: goalguard validate LABELLED.jsonl --judge M --calibration-out "
                    "FILE, then goalguard report --calibration FILE)",
                )
            )
