"""From Inspect logs to a tidy table and honest statistics.

``read_table(paths)`` gives one row per sample; ``summarize(table)`` gives an
:class:`AnalysisSummary` (one :class:`GroupSummary` per model, scenario and variant);
``format_summary(summary)`` prints it.
"""

from goalguard.analysis.results import (
    AnalysisSummary,
    AnalysisWarning,
    CategoryRow,
    ConditionStats,
    GroupSummary,
    PairedGap,
    ParaphraseGap,
    ParaphraseSpread,
    Proportion,
    SweepFit,
    SweepPoint,
)
from goalguard.analysis.summarize import summarize, summary_json
from goalguard.analysis.summary import format_summary
from goalguard.analysis.table import LogReadError, log_files, read_table, read_transcripts

__all__ = [
    "AnalysisSummary",
    "AnalysisWarning",
    "CategoryRow",
    "ConditionStats",
    "GroupSummary",
    "LogReadError",
    "PairedGap",
    "ParaphraseGap",
    "ParaphraseSpread",
    "Proportion",
    "SweepFit",
    "SweepPoint",
    "format_summary",
    "log_files",
    "read_table",
    "read_transcripts",
    "summarize",
    "summary_json",
]
