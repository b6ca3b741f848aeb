"""A run's first summary: samples, parse failures and compliance per condition."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from inspect_ai.log import EvalLog

COMPLIANCE_SCORER = "compliance_heuristic"


@dataclass
class ConditionSummary:
    condition: str
    samples: int
    parse_failures: int
    compliant: int
    scored: int

    @property
    def compliance_rate(self) -> float | None:
        return self.compliant / self.scored if self.scored else None


def summarize_log(log: EvalLog) -> list[ConditionSummary]:
    """Per-condition counts from a finished log (its samples must be loaded)."""
    rows: dict[str, ConditionSummary] = {}
    counts: dict[str, int] = defaultdict(int)
    for sample in log.samples or []:
        condition = str(sample.metadata.get("condition", "?"))
        row = rows.setdefault(condition, ConditionSummary(condition, 0, 0, 0, 0))
        row.samples += 1
        counts[condition] += 1
        if sample.metadata.get("parse_status", "ok") != "ok":
            row.parse_failures += 1
        score = (sample.scores or {}).get(COMPLIANCE_SCORER)
        if score is not None and isinstance(score.value, int | float):
            row.scored += 1
            row.compliant += int(score.value)
    return list(rows.values())


def format_summary(rows: list[ConditionSummary]) -> str:
    """A plain-text table of :func:`summarize_log`'s rows."""
    header = f"{'condition':<14}{'samples':>9}{'parse failures':>16}{'compliance':>12}"
    lines = [header, "-" * len(header)]
    for row in rows:
        rate = "n/a" if row.compliance_rate is None else f"{row.compliance_rate:.2f}"
        lines.append(f"{row.condition:<14}{row.samples:>9}{row.parse_failures:>16}{rate:>12}")
    lines.append("compliance = share of final outputs that do not read as a refusal (heuristic).")
    return "\n".join(lines)
