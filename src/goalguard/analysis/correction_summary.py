"""Plain-text lines for a group's corrected rates (``goalguard run`` / ``report`` summary)."""

from __future__ import annotations

from goalguard.analysis.correction import LABEL_NAMES, format_count
from goalguard.analysis.results import CorrectedGap, CorrectedRate, Correction


def _rate(rate: CorrectedRate) -> tuple[str, str]:
    raw = rate.raw
    shown = "n/a" if raw.estimate is None else f"{raw.estimate:.2f} [{raw.low:.2f}, {raw.high:.2f}]"
    if rate.estimate is None:  # no samples to correct, or Se + Sp <= 1
        return shown, "n/a" if raw.estimate is None else "undefined"
    return shown, f"{rate.estimate:.2f} [{rate.low:.2f}, {rate.high:.2f}]"


def _gap(gap: CorrectedGap) -> str:
    raw = gap.raw
    text = (
        f"{LABEL_NAMES.get(gap.label, gap.label)} gap ({gap.first} − {gap.second}), "
        f"{raw.n_pairs} pairs: raw "
    )
    text += (
        "n/a"
        if raw.estimate is None
        else (f"{raw.estimate:+.3f} [{raw.low:+.3f}, {raw.high:+.3f}]")
    )
    if gap.estimate is None:
        return text + ", corrected undefined"
    return text + f", corrected {gap.estimate:+.3f} [{gap.low:+.3f}, {gap.high:+.3f}]"


def format_correction(correction: Correction | None) -> list[str]:
    """The corrected-rates block of one group (no lines without a correction)."""
    if correction is None:
        return []
    lines = [
        "",
        f"corrected for classifier error (Rogan–Gladen), calibration: {correction.calibration}",
    ]
    for label, error in correction.errors.items():
        se = "n/a" if error.sensitivity is None else f"{error.sensitivity:.2f}"
        sp = "n/a" if error.specificity is None else f"{error.specificity:.2f}"
        name = LABEL_NAMES.get(label, label)
        lines.append(
            f"  {name}: sensitivity {se} ({format_count(error.tp)}/"
            f"{format_count(error.tp + error.fn)}), specificity {sp} ({format_count(error.tn)}/"
            f"{format_count(error.tn + error.fp)})"
        )
    header = f"  {'label':<14}{'condition':<13}{'raw [95% CI]':<22}{'corrected [95% CI]':<22}"
    lines += [header]
    for rate in correction.rates:
        raw, corrected = _rate(rate)
        lines.append(
            f"  {LABEL_NAMES.get(rate.label, rate.label):<14}{rate.condition:<13}{raw:<22}"
            f"{corrected:<22}"
        )
    lines += ["  " + _gap(gap) for gap in correction.gaps]
    lines += [f"warning: {w}" for w in correction.warnings]
    return lines
