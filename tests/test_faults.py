"""Provider faults lose nothing: a sweep through Inspect's real providers over HTTP.

Two fake models (``openai-api/fake/model-a`` through Inspect's OpenAI-compatible provider,
``anthropic/claude-fake-b`` through its Anthropic provider) and a judge
(``openai-api/fake/judge``) are served by :mod:`fake_provider` on 127.0.0.1, which injects
429s with Retry-After, 500/503/529s, dropped connections, replies slower than the attempt
timeout and malformed JSON, and refuses some requests as a provider does (content filter,
Anthropic's refusal stop reason, empty completions). The model replies are scripted by the
fake server (no inference). The SDKs' own retries are off (``-M max_retries=0``) so that
Inspect's retries are the ones counted, and Inspect's backoff (3 s and up, with no setting to
shorten it) is replaced by 50 ms through ``ModelAPI.retry_wait``, its override hook.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries
from inspect_ai.model import ModelAPI
from tenacity import wait_fixed
from typer.testing import CliRunner

import goalguard.sweep as sweep_module
from fake_provider import FAULTS_ANTHROPIC, FAULTS_OPENAI, FakeProvider
from goalguard.analysis import read_table
from goalguard.analysis.outcomes import call_stats
from goalguard.classifiers.labels import JUDGE_ERROR, LABELS
from goalguard.cli import app

pytest.importorskip("anthropic", reason="Inspect's Anthropic provider needs the dev extra")

MODELS = ("openai-api/fake/model-a", "anthropic/claude-fake-b")
JUDGE = "openai-api/fake/judge"
QUERIES = 20


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setattr(ModelAPI, "retry_wait", lambda self: wait_fixed(0.05))
    # as tests/organism_runs.py does: no realtime log buffer, no live scores (speed only)
    fast = functools.partial(sweep_module.eval_set, log_realtime=False, score_display=False)
    monkeypatch.setattr(sweep_module, "eval_set", fast)
    with FakeProvider(fault_every=6, refuse_share=0.08, judge_garble_share=0.03,
                      slow_s=2.5, lifetime_s=400) as server:  # fmt: skip
        monkeypatch.setenv("FAKE_API_KEY", "test-key")
        monkeypatch.setenv("FAKE_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        yield server


def test_fault_sweep_loses_nothing_and_counts_what_happened(
    fake: FakeProvider, tmp_path: Path
) -> None:
    log_dir = tmp_path / "logs"
    result = CliRunner().invoke(
        app,
        ["sweep", "--models", ",".join(MODELS), "--scenarios", "helpful-only,animal-welfare",
         "--limit", str(QUERIES), "--judge", JUDGE, "--log-dir", str(log_dir),
         "--max-connections", "20", "--attempt-timeout", "2", "-M", "max_retries=0",
         "--display", "none", "--json", str(tmp_path / "summary.json")],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # every kind of fault was injected on both APIs
    for api, kinds in (("openai", FAULTS_OPENAI), ("anthropic", FAULTS_ANTHROPIC)):
        assert all(fake.faults[f"{api}:{kind}"] for kind in kinds), fake.faults

    # 0 lost, 0 duplicated: each run holds each (query, condition) once, without error
    logs = [read_eval_log(info.name, header_only=True) for info in list_eval_logs(str(log_dir))]
    assert sorted((log.eval.model, log.eval.task) for log in logs) == sorted(
        (m, t) for m in MODELS for t in ("helpful-only", "animal-welfare")
    )
    for log in logs:
        assert log.status == "success"
        summaries = read_eval_log_sample_summaries(log.location)
        ids = [str(s.id) for s in summaries]
        assert len(ids) == len(set(ids)) == 2 * QUERIES
        assert set(ids) == {str(i) for i in log.eval.dataset.sample_ids or []}
        assert not [s.id for s in summaries if s.error]

    # retries: every failed attempt Inspect logged is shown; a malformed reply (which Inspect
    # does not retry) re-ran its sample. Under load, attempt timeouts add retries beyond the
    # injected faults, so these are lower bounds, not exact counts.
    stats = {s.model: s for s in call_stats([log.location for log in logs])}
    for model in MODELS:
        s = stats[model]
        assert s.calls >= 2 * 2 * QUERIES and s.failed_attempts > 0
        line = f"calls to {model}: {s.calls:,} completed; {s.failed_attempts:,} failed attempt"
        assert line in result.output
    assert sum(s.samples_rerun for s in stats.values()) > 0
    assert "sample(s) run again after an error" in result.output

    # provider refusals: each refused request is one provider_refusal sample, shown per condition
    table = read_table(log_dir)
    for model in MODELS:
        refused = {user for name, user in fake.refused if name in model}
        rows = table[(table["model"] == model) & table["provider_refusal"].notna()]
        assert len(rows) == len(refused) > 0
    assert "provider refusals: training" in result.output
    # the fake's replies all follow the protocol: a fragment of a dropped reply read as an
    # answer would show here as a parse failure
    assert (table.loc[table["provider_refusal"].isna(), "parse_status"] == "ok").all()

    # judge failures are counted and shown, not silent zeros
    judge_errors = int((table[list(LABELS)] == JUDGE_ERROR).any(axis=1).sum())
    assert judge_errors > 0 and "judge errors:" in result.output
    assert "the judge failed on" in result.output  # the warning

    # prompt caching: every Anthropic request marks its system context for the cache
    anthropic = [r.body for r in fake.requests if r.api == "anthropic"]
    assert anthropic and all(b["system"][-1].get("cache_control") for b in anthropic)
    assert table.loc[table["model"] == MODELS[1], "cached_input_tokens"].sum() > 0
    assert "of which cached" in result.output


def test_cache_breakpoints_by_default_and_off_with_the_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fake server (no faults) records what Inspect's Anthropic provider sent."""
    with FakeProvider(fault_every=10**9, refuse_share=0.0, lifetime_s=120) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.anthropic_url)
        for flag in ("--cache-prompt", "--no-cache-prompt"):
            result = CliRunner().invoke(
                app,
                ["sweep", "--models", MODELS[1], "--scenarios", "helpful-only", "--limit", "2",
                 "--log-dir", str(tmp_path / flag), "--display", "none", "--no-report", flag],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
        bodies = [r.body for r in fake.requests]
    assert len(bodies) == 8
    marked = ["cache_control" in b["system"][-1] for b in bodies]
    assert marked == [True] * 4 + [False] * 4
    assert all("cache_control" not in b for b in bodies[4:])
