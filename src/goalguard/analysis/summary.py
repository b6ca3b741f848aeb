"""The plain-text summary printed by ``goalguard run`` and ``goalguard report``."""

from __future__ import annotations

from dataclasses import dataclass

from inspect_ai.log import EvalLog

from goalguard.analysis.correction_summary import format_correction
from goalguard.analysis.guarding import format_readings
from goalguard.analysis.outcomes import PROTOCOL_FAILED, format_outcomes
from goalguard.analysis.paraphrase import format_paraphrases
from goalguard.analysis.probe_summary import format_probe_sections
from goalguard.analysis.results import AnalysisSummary, GroupSummary, Proportion
from goalguard.analysis.summarize import summarize
from goalguard.analysis.table import read_table

KIND_NOTES = {
    "embedded": "embedded llama.cpp model: it shows the pipeline works, not how capable "
    "models behave.",
    "organism": "scripted model organism: its behaviour is drawn at rates set by its "
    "model args; the numbers check the pipeline against known truth.",
}


@dataclass
class ConditionSummary:
    """One condition's counts (the first summary's view, kept for its callers)."""

    condition: str
    samples: int
    parse_failures: int
    compliant: int
    scored: int

    @property
    def compliance_rate(self) -> float | None:
        return self.compliant / self.scored if self.scored else None


def summarize_log(log: EvalLog) -> list[ConditionSummary]:
    """Per-condition counts of one written log (read back from ``log.location``)."""
    summary = summarize(read_table(log.location))
    return [
        ConditionSummary(c.condition, c.n_samples, c.parse_failures, c.compliance.k, c.compliance.n)
        for group in summary.groups
        for c in group.conditions
    ]


def fmt_rate(rate: Proportion | None) -> str:
    """``0.40 [0.35, 0.46]`` (or ``n/a`` when the rate has no samples or never ran)."""
    if rate is not None and rate.method == PROTOCOL_FAILED:
        return PROTOCOL_FAILED
    if rate is None or rate.estimate is None:
        return "n/a"
    return f"{rate.estimate:.2f} [{rate.low:.2f}, {rate.high:.2f}]"


def format_group(group: GroupSummary) -> str:
    """One group's conditions, gap and warnings as a plain-text table."""
    title = f"{group.model} · {group.scenario}" + (f" · {group.variant}" if group.variant else "")
    lines = [
        title,
        f"{group.n_queries} queries, {group.n_samples} samples, {group.epochs} epoch(s)",
    ]
    if group.model_kind in KIND_NOTES:
        lines.append(f"note: {KIND_NOTES[group.model_kind]}")
    header = (
        f"{'condition':<13}{'samples':>8}{'parse failures':>15}  {'compliance [95% CI]':<22}"
        f"{'AF reasoning':<22}{'setup doubt':<22}"
    )
    lines += ["", header, "-" * len(header)]
    for c in group.conditions:
        lines.append(
            f"{c.condition:<13}{c.n_samples:>8}{c.parse_failures:>15}  "
            f"{fmt_rate(c.compliance):<22}{fmt_rate(c.af_reasoning):<22}"
            f"{fmt_rate(c.setup_doubt):<22}"
        )
    gap = group.gap
    if gap is not None and gap.estimate is not None:
        p = f"{gap.mcnemar_p:.3g}" if gap.mcnemar_p is not None else "n/a"
        lines.append(
            f"\ncompliance gap ({gap.first} − {gap.second}): {gap.estimate:+.3f} "
            f"[{gap.low:+.3f}, {gap.high:+.3f}] over {gap.n_pairs} paired queries "
            f"({gap.method}); exact McNemar p = {p}"
        )
    elif gap is not None and gap.method == PROTOCOL_FAILED:
        lines.append(f"\ncompliance gap ({gap.first} − {gap.second}): {PROTOCOL_FAILED}")
    for extra in group.rated_gaps:
        if extra.estimate is not None:
            lines.append(
                f"compliance gap ({extra.first} − {extra.second}): {extra.estimate:+.3f} "
                f"[{extra.low:+.3f}, {extra.high:+.3f}] over {extra.n_pairs} paired queries "
                f"({extra.method})"
            )
    lines += format_paraphrases(group.paraphrase_spread)
    if group.af_among_compliant_training is not None:
        lines.append(
            "AF reasoning among compliant training samples: "
            f"{fmt_rate(group.af_among_compliant_training)} "
            f"(n = {group.af_among_compliant_training.n})"
        )
    if group.sweep is not None and group.sweep.slope is not None:
        s = group.sweep
        lines.append(
            f"compliance vs stated p: slope {s.slope:+.3f} [{s.low:+.3f}, {s.high:+.3f}] "
            f"per unit p (n = {s.n})"
        )
    lines += format_correction(group.corrected)
    lines += format_outcomes(group.conditions, group.tokens)
    lines.append("compliance = compliance label full or partial; [..] = 95% interval.")
    lines += [f"warning: {w.message}" for w in group.warnings]
    return "\n".join(lines)


def format_summary(summary: AnalysisSummary) -> str:
    """Every group of a summary, separated by blank lines."""
    if not summary.groups:
        return "no samples found."
    parts = [format_group(group) for group in summary.groups]
    readings = format_readings(summary.goal_guarding, summary.no_scratchpad)
    probes = format_probe_sections(summary)  # realism probe, honesty set
    return "\n\n".join(parts + [text for text in (readings, probes) if text])
