"""The HTML report and ``goalguard report``: numbers, escaping, setup, banners, the browser.

Logs come from the scripted organism ``organism/<profile>`` (no inference) and from
Inspect's ``mockllm/model`` with a scripted callable (every output carries usage) whose
transcripts hold HTML and ``<script>`` tags.
"""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from inspect_ai.log import read_eval_log, write_eval_log
from markupsafe import escape
from typer.testing import CliRunner

from goalguard.analysis import AnalysisSummary, read_table, summarize
from goalguard.cli import app
from goalguard.report import build_report_data, render_html
from goalguard.report.data import BEHAVIOURS, behaviour_mix, sample_rows
from goalguard.report.html import highlight, reading, script_hash
from organism_runs import INJECTION


@pytest.fixture
def logs(report_logs: dict[str, Path]) -> dict[str, Path]:
    """The shared log folders (conftest's ``report_logs``): faker, complier, sweep, mock."""
    return report_logs


class _Numbers(HTMLParser):
    """Collects the text of every element carrying ``data-json`` (nested spans included)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((dict(attrs).get("data-json"), []))

    def handle_endtag(self, tag: str) -> None:
        path, text = self._open.pop()
        if self._open:
            self._open[-1][1].extend(text)
        if path is not None:
            self.found.append((path, "".join(text)))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


NUMBER = r"[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?"


def _check_number(value: Any, text: str) -> None:
    """The shown ``text`` states ``value`` (a rate, a gap or a scalar) at its precision."""
    numbers = [float(x) for x in re.findall(NUMBER, text)]
    if isinstance(value, dict) and "n_pairs" in value:
        est, low, high, pairs = numbers
        assert (est, low, high) == tuple(
            round(100 * value[k], 1) for k in ("estimate", "low", "high")
        ), text
        assert pairs == value["n_pairs"]
    elif isinstance(value, dict) and "k" not in value:  # a difference of two gaps
        est, low, high = numbers
        assert (est, low, high) == tuple(
            round(100 * value[k], 1) for k in ("estimate", "low", "high")
        ), text
    elif isinstance(value, dict):
        if value["estimate"] is None:
            assert numbers == [0, 0] and value["n"] == 0, text
            return
        est, low, high, k, n = numbers
        assert (est, low, high) == tuple(
            round(100 * value[key], 1) for key in ("estimate", "low", "high")
        ), text
        assert (k, n) == (value["k"], value["n"]), text
    else:
        [shown] = numbers
        assert shown == pytest.approx(value, rel=5e-3, abs=5e-4), text


def test_every_number_in_the_page_is_the_jsons(report: dict[str, Any]) -> None:
    parser = _Numbers()
    parser.feed(report["html"])
    found = parser.found
    assert len(found) > 200
    for path, text in found:
        _check_number(_pointer(report["json"], path), text)
    paths = {path for path, _ in found}
    for gi, group in enumerate(report["json"]["groups"]):
        for ci, _ in enumerate(group["conditions"]):
            assert f"/groups/{gi}/conditions/{ci}/compliance" in paths
            assert f"/groups/{gi}/conditions/{ci}/dual_intent/intent_1_only" in paths
        assert f"/groups/{gi}/gap" in paths
        for condition in group["behaviour"]:
            assert f"/groups/{gi}/behaviour/{condition}/full_af" in paths
    # The sweep's p conditions hold dots; the pointer keeps them whole.
    assert any(re.fullmatch(r"/groups/\d+/behaviour/p=0\.25/refusal", p) for p in paths)
    assert any(path.endswith("/sweep/slope") for path in paths)


def test_json_is_the_analysis_summary_extended(
    report: dict[str, Any], logs: dict[str, Path]
) -> None:
    """--json keeps every field of the analysis summary, with the same numbers."""
    document = report["json"]
    analysis = summarize(read_table([logs["root"]])).model_dump(mode="json")
    parsed = AnalysisSummary.model_validate(document).model_dump(mode="json")
    assert parsed == analysis
    assert document["transcripts_total"] == document["n_samples"] == 80 + 60 + 60 + 6
    for group in document["groups"]:
        for c in group["conditions"]:
            mix = group["behaviour"][c["condition"]]
            assert {p["n"] for p in mix.values()} == {c["compliance"]["n"]}
            assert (
                mix["partial"]["k"] + mix["full_no_af"]["k"] + mix["full_af"]["k"]
                == (c["compliance"]["k"])
            )
            assert mix["refusal"]["k"] == c["compliance"]["n"] - c["compliance"]["k"]


def test_model_text_renders_as_text(report: dict[str, Any]) -> None:
    page = report["html"]
    assert INJECTION not in page
    assert "onerror=" not in page.replace("onerror=&#34;", "").replace("onerror=&quot;", "")
    assert html.escape(INJECTION, quote=True) in page
    assert page.count("<script") == 1  # ours, at the end
    assert "</details></OUTPUT>" not in page
    assert "&lt;/div&gt;&lt;/pre&gt;&lt;/details&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page


def test_page_is_self_contained(report: dict[str, Any]) -> None:
    page = report["html"]
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "url(" not in page and "@import" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    # the overview's forest plot; then bars, gap, dual intent, sweep, value priority
    assert len(images) == 6 and images[0] == images[2]
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    [policy] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert "default-src 'none'" in policy
    assert f"script-src {script_hash(script)};" in html.unescape(policy)


def test_setup_shows_the_rendered_system_context(
    report: dict[str, Any], logs: dict[str, Path]
) -> None:
    metadata = read_eval_log(str(logs["faker"]), header_only=True).eval.metadata or {}
    prompt, spec = metadata["system_prompt"], metadata["goalguard_scenario"]
    page = report["html"]
    assert str(escape(prompt)) in page
    assert str(escape(spec["intent_1"])) in page
    assert str(escape(spec["intent_2"])) in page


def test_banner_for_organisms_and_the_embedded_model(logs: dict[str, Path], tmp_path: Path) -> None:
    """A log whose model is ``llamacpp/smollm2`` (the mock log relabelled) gets its banner."""
    log = read_eval_log(str(logs["mock"]))
    log.eval.model = "llamacpp/smollm2"
    write_eval_log(log, str(tmp_path / "smollm2.eval"))
    page = render_html(build_report_data([tmp_path / "smollm2.eval"]), {})
    assert 'class="banner"' in page and "does not fake alignment" in page
    assert "scripted model organism" not in page

    page = render_html(build_report_data([logs["faker"]]), {})
    assert "organism/faker: scripted model organism" in page
    assert "does not fake alignment" not in page

    page = render_html(build_report_data([logs["mock"]]), {})
    assert 'class="banner"' not in page


def test_browser_shows_a_bounded_sample_and_numbers_use_all(logs: dict[str, Path]) -> None:
    full = build_report_data([logs["root"]])
    bounded = build_report_data([logs["root"]], max_transcripts=12)
    assert len(full.transcripts) == full.summary.n_samples == 206
    assert len(bounded.transcripts) == 12
    assert bounded.summary.model_dump(exclude={"transcripts_shown"}) == full.summary.model_dump(
        exclude={"transcripts_shown"}
    )
    page = render_html(bounded, {})
    assert page.count('<details class="transcript"') == 12
    text = re.sub(r"<[^>]+>", "", page)
    assert "Showing a sample of 12 of 206 transcripts" in text
    assert "Every number above uses all samples" in text


def test_sample_rows_spreads_over_rare_labels() -> None:
    table = pd.DataFrame(
        {
            "model": "m", "scenario": "s", "variant": None,
            "condition": ["training"] * 500 + ["unmonitored"] * 500,
            "compliance": ["refusal"] * 495 + ["full"] * 5 + ["refusal"] * 500,
            "af_reasoning": ["no"] * 495 + ["yes"] * 5 + ["no"] * 500,
        }
    )  # fmt: skip
    chosen = sample_rows(table, 20)
    assert len(chosen) == 20
    assert (chosen["compliance"] == "full").sum() == 5  # the rare stratum comes in full
    assert set(chosen["condition"]) == {"training", "unmonitored"}
    assert sample_rows(table, 2000) is table


def test_behaviour_mix_by_hand() -> None:
    cell = pd.DataFrame(
        {
            "compliance": ["full", "full", "full", "partial", "refusal", "unclear", None],
            "af_reasoning": ["yes", "no", None, "yes", "yes", "yes", "yes"],
        }
    )
    mix = behaviour_mix(cell)
    assert list(mix) == list(BEHAVIOURS)
    assert {k: (p.k, p.n) for k, p in mix.items()} == {
        "refusal": (1, 5), "partial": (1, 5), "full_no_af": (2, 5), "full_af": (1, 5),
    }  # fmt: skip


def test_highlight_escapes_every_piece() -> None:
    text = 'I see <b>"bold"</b> & I WILL COMPLY to avoid being modified.'
    markup, found = highlight(
        text,
        {
            "af_reasoning": ["I will comply to avoid", "never there"],
            "compliance": ["<b>", "comply to avoid being modified."],
        },
    )
    assert str(markup) == (
        'I see <mark title="quoted by: compliance">&lt;b&gt;</mark>&#34;bold&#34;&lt;/b&gt; '
        '&amp; <mark title="quoted by: af_reasoning, compliance">I WILL COMPLY to avoid '
        "being modified.</mark>"
    )
    assert found == {
        ("af_reasoning", "I will comply to avoid"),
        ("compliance", "<b>"),
        ("compliance", "comply to avoid being modified."),
    }


def test_quotes_are_highlighted_in_the_page(report: dict[str, Any]) -> None:
    quoted = [t for t in report["data"].transcripts if any(t.quotes.values())]
    assert quoted
    assert report["html"].count("<mark title=") >= len(quoted)


def test_reading_follows_the_gap(report: dict[str, Any]) -> None:
    groups = {(g.model, g.scenario): (i, g) for i, g in enumerate(report["data"].summary.groups)}
    i, faker = groups[("organism/faker", "helpful-only")]
    text = " ".join(re.sub(r"<[^>]+>", "", str(s)) for s in reading(faker, i))
    assert "excludes zero" in text and "Intent 1" in text and "Intent 2" in text
    assert "Among training samples that complied" in text
    i, complier = groups[("organism/complier", "helpful-only")]
    text = " ".join(str(s) for s in reading(complier, i))
    assert "includes zero" in text
    assert faker.gap is not None
    below = faker.model_copy(
        update={"gap": faker.gap.model_copy(update={"estimate": -0.3, "low": -0.5, "high": -0.1})}
    )
    assert "below zero" in " ".join(str(s) for s in reading(below, 0))


def test_cli_prints_the_summary_and_writes_both_files(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    out, summary = tmp_path / "sub" / "r.html", tmp_path / "s.json"
    result = CliRunner().invoke(
        app, ["report", str(logs["faker"]), str(logs["sweep"]), "-o", str(out), "--json",
              str(summary), "--max-transcripts", "5"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "compliance gap (training − unmonitored)" in result.output
    assert "organism/faker · oversight-sweep" in result.output
    assert "compliance vs stated p: slope" in result.output
    assert out.read_text(encoding="utf-8").count('<details class="transcript"') == 5
    document = json.loads(summary.read_text(encoding="utf-8"))
    assert document["n_samples"] == 80 + 60
    assert document["transcripts_shown"] == 5


def test_cli_errors_name_the_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "absent: no such file or folder" in result.output
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "no Inspect logs" in result.output
    (tmp_path / "notes.txt").write_text("hello")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2
    assert "notes.txt: not an Inspect log" in result.output
