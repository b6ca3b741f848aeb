"""The report's overview: one table across runs first, the setup reduced to what differs,
and the causal section from ``goalguard intervene`` logs (scripted organism runs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from goalguard.cli import app


def test_overview_comes_first_with_one_row_per_run(three_runs: dict[str, Any]) -> None:
    html = three_runs["html"]
    body = html[html.index("<body>") :]
    order = [body.index(f'<section id="{name}">') for name in ("overview", "setup", "numbers")]
    assert order == sorted(order)
    table = body[body.index('<table id="overview-table">') : body.index("</table>")]
    rows = re.findall(r"<tr>\s*<td><a href=\"#group-\d\">([^<]+)</a>", table)
    assert sorted(rows) == [
        "organism/af-causal · helpful-only",
        "organism/af-causal · helpful-only · high-stakes",
        "organism/af-causal · helpful-only · weights-deleted",
    ]
    # the goal-guarding reading and the causal reading of the base run are in the table
    reading = three_runs["data"].summary.goal_guarding[0].reading
    assert f">{reading}</a>" in table
    assert table.count("remove-af: ") == 1
    assert 'id="overview-forest"' in body
    # AF reasoning corrected for the heuristic's error (its shipped calibration), with the
    # same JSON paths as the corrected block below
    groups = three_runs["data"].summary.groups
    assert all(g.corrected is not None for g in groups)
    assert table.count("<br>corrected: ") == 3
    assert re.search(r'data-json="/groups/\d/corrected/rates/\d+"', table)
    # the intervention log is not pooled with the run it came from
    assert [g.n_samples for g in three_runs["data"].summary.groups] == [24, 24, 24]


def test_setup_shows_what_differs_and_keeps_the_rest_a_click_away(
    three_runs: dict[str, Any],
) -> None:
    html = three_runs["html"]
    differ = html[html.index('<table id="setup-differences">') :]
    differ = differ[: differ.index("</table>")]
    labels = re.findall(r"<tr><th>([^<]+)</th>", differ)
    assert "variant" in labels and "system context" in labels
    assert "scenario spec sha256 (after variant and -T overrides)" in labels
    assert "Intent 1" not in labels  # shared: listed once, folded
    assert html.count('<details class="group group-setup"') == 3


def test_causal_section_leads_with_the_headline(three_runs: dict[str, Any]) -> None:
    data = three_runs["data"]
    overall = [e for e in data.summary.causal if e.condition == "all"]
    assert len(overall) == 1 and overall[0].edit == "remove-af"
    html = three_runs["html"]
    section = html[html.index('<section id="causal">') :]
    assert "removing the AF reasoning changes compliance by" in section
    assert overall[0].headline() in section


def test_report_command_prints_the_causal_headline(
    three_runs: dict[str, Any], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["report", str(Path(three_runs["path"]).parent), "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    assert "causal, organism/af-causal · helpful-only: removing the AF reasoning" in result.output


def test_every_overview_and_causal_number_is_in_the_json(three_runs: dict[str, Any]) -> None:
    """Each data-json path of the overview and the causal section names a value of the
    report's JSON summary (what --json writes)."""
    from goalguard.analysis import summary_json

    document = json.loads(summary_json(three_runs["data"].summary))
    html = three_runs["html"]
    sections = [
        html[html.index(f'<section id="{name}">') :].split("</section>")[0]
        for name in ("overview", "causal")
    ]
    paths = [p for section in sections for p in re.findall(r'data-json="([^"]+)"', section)]
    assert any(p.startswith("/causal/") for p in paths)
    for path in paths:
        value: Any = document
        for part in path.lstrip("/").split("/"):
            value = value[int(part)] if isinstance(value, list) else value[part]
        assert value is not None, path
