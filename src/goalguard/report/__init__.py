"""The report: plots and one self-contained HTML file from Inspect logs.

``build_report_data(paths)`` reads the logs into a :class:`ReportSummary` (the analysis
summary plus what the report adds) and a bounded transcript sample; ``all_plots`` draws
the plots; ``render_html`` writes the page; ``write_report`` does all three.
"""

from goalguard.report.build import write_report
from goalguard.report.data import (
    DEFAULT_MAX_TRANSCRIPTS,
    GroupSetup,
    ReportData,
    ReportGroup,
    ReportSummary,
    TranscriptRow,
    build_report_data,
)
from goalguard.report.html import render_html
from goalguard.report.plots import all_plots

__all__ = [
    "DEFAULT_MAX_TRANSCRIPTS",
    "GroupSetup",
    "ReportData",
    "ReportGroup",
    "ReportSummary",
    "TranscriptRow",
    "all_plots",
    "build_report_data",
    "render_html",
    "write_report",
]
