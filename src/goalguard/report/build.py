"""Logs -> the HTML report and the JSON summary, in one call."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from goalguard.analysis import summary_json
from goalguard.classifiers.calibration import Calibration
from goalguard.report.data import DEFAULT_MAX_TRANSCRIPTS, ReportData, build_report_data
from goalguard.report.html import render_html
from goalguard.report.plots import all_plots


def write_report(
    paths: str | Path | Iterable[str | Path],
    html_path: str | Path | None = "report.html",
    json_path: str | Path | None = None,
    max_transcripts: int = DEFAULT_MAX_TRANSCRIPTS,
    workers: int | None = None,
    calibration: Calibration | None = None,
) -> ReportData:
    """Read logs and write the self-contained HTML report and/or the JSON summary.

    The JSON is the report summary dumped: every number the HTML shows, with its interval
    and n, under the JSON Pointer the HTML's ``data-json`` attributes name. ``workers``:
    processes reading logs side by side (see :func:`goalguard.analysis.read_table`).
    ``calibration``: the classifier error the rates are corrected for (None: the shipped
    heuristic calibration, for heuristic labels).
    """
    data = build_report_data(
        paths, max_transcripts=max_transcripts, workers=workers, calibration=calibration
    )
    if html_path is not None:
        page = render_html(data, all_plots(data.summary.groups))
        _write(Path(html_path), page)
    if json_path is not None:
        _write(Path(json_path), summary_json(data.summary) + "\n")
    return data


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
