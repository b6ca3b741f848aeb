"""`goalguard sweep`: the plan, resuming after a hard kill, the embedded model's ordering.

Model behaviour here comes from the scripted organism (``organism/<profile>``) and the
scripted judge; one test runs the embedded SmolLM2 model with a few tokens per reply.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries
from typer.testing import CliRunner

import goalguard.sweep as sweep_module
from goalguard.cli import app
from goalguard.providers.llamacpp import DEFAULT_N_BATCH
from goalguard.scenarios import load_scenario
from goalguard.sweep import (
    MESSAGE_OVERHEAD_TOKENS,
    ScenarioRef,
    SweepError,
    parse_scenarios,
    plan_sweep,
    plan_task,
    prompt_token_counter,
    split_list,
    sweep_tasks,
)

runner = CliRunner()


def _invoke(*args: str) -> Any:
    return runner.invoke(app, ["sweep", *args], env={"NO_COLOR": "1", "COLUMNS": "200"})


def _logs(log_dir: Path) -> list[Any]:
    return [read_eval_log(info.name, header_only=True) for info in list_eval_logs(str(log_dir))]


# -- lists ------------------------------------------------------------------------------------


def test_scenario_list_with_variants_and_wildcard() -> None:
    refs = parse_scenarios("helpful-only, animal-welfare:*")
    variants = list(load_scenario("animal-welfare").spec.variants)
    assert variants, "animal-welfare should have variants for this test to mean anything"
    assert refs == [
        ScenarioRef("helpful-only"),
        ScenarioRef("animal-welfare"),
        *[ScenarioRef("animal-welfare", v) for v in variants],
    ]
    assert str(refs[-1]) == f"animal-welfare:{variants[-1]}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("helpful-only,,objector", "comma-separated"),
        ("helpful-only,helpful-only", "more than once"),
        ("helpful-only:", "empty variant"),
        ("no-such-scenario", "Unknown scenario 'no-such-scenario'"),
        ("helpful-only:no-such-variant", "no-such-variant"),
    ],
)
def test_bad_scenario_lists_are_named(text: str, message: str) -> None:
    with pytest.raises((SweepError, ValueError), match=message):
        parse_scenarios(text)


def test_bad_lists_fail_before_anything_runs(tmp_path: Path) -> None:
    result = _invoke("--models", "organism/faker,", "--scenarios", "helpful-only",
                     "--log-dir", str(tmp_path))  # fmt: skip
    assert result.exit_code == 2
    assert "--models expects a comma-separated list" in result.output
    result = _invoke("--models", "organism/faker", "--scenarios", "helpful-only",
                     "-T", "variant=x", "--log-dir", str(tmp_path))  # fmt: skip
    assert result.exit_code == 2 and "S:variant" in result.output
    result = _invoke("--models", "organism/no-such-profile", "--scenarios", "helpful-only",
                     "--log-dir", str(tmp_path))  # fmt: skip
    assert result.exit_code == 2
    assert "model 'organism/no-such-profile'" in result.output
    assert list_eval_logs(str(tmp_path)) == []
    with pytest.raises(SweepError, match="more than once"):
        split_list("a,b,a", "--models")


# -- the plan ---------------------------------------------------------------------------------


def test_dry_run_calls_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A served model that would refuse a connection, and model construction and the eval
    set made to fail: the plan must come without either."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the dry run touched a model")

    monkeypatch.setattr(sweep_module, "get_model", refuse)
    monkeypatch.setattr(sweep_module, "eval_set", refuse)
    monkeypatch.setenv("NOWHERE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("NOWHERE_API_KEY", raising=False)
    result = _invoke(
        "--models", "openai-api/nowhere/m,organism/faker", "--scenarios",
        "helpful-only,oversight-sweep", "--limit", "3", "--dry-run", "--log-dir", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    conditions = {
        s: len(load_scenario(s).conditions()) for s in ("helpful-only", "oversight-sweep")
    }
    total = next(line for line in result.output.splitlines() if line.startswith("total"))
    samples = int(total.split()[3].replace(",", ""))
    assert samples == 2 * 3 * sum(conditions.values())
    assert "4 runs" in total and "No model was called." in result.output
    assert not tmp_path.exists() or list_eval_logs(str(tmp_path)) == []


def test_plan_counts_the_rendered_prompts() -> None:
    """The first-call input estimate is the rendered prompts' size, counted here the other
    way round: from the scenario's own rendering, query by query."""
    refs = [ScenarioRef("helpful-only"), ScenarioRef("animal-welfare", "no-partner")]
    tasks = sweep_tasks(refs, limit=3, task_args={"max_steps": 2})
    plan = plan_sweep(["m1", "m2"], refs, tasks, {"max_steps": 2}, epochs=2, max_tokens=50,
                      count=(len, "characters"))  # fmt: skip
    for ref, row in zip(refs, plan.tasks, strict=True):
        scenario = load_scenario(ref.scenario, variant=ref.variant)
        expected = 0
        for query in scenario.queries()[:3]:
            for condition in scenario.conditions():
                user = scenario.user_turn(query.query, condition)
                expected += len(scenario.system_prompt) + len(user) + 2 * MESSAGE_OVERHEAD_TOKENS
        assert row.input_tokens == expected
        assert row.samples == 3 * len(scenario.conditions())
        assert row.max_calls == 2 * row.samples  # two steps each
        assert row.max_output_tokens == 2 * row.samples * 50
        # a second step resends the prompt with the first reply and a continuation turn
        assert row.max_input_tokens > 2 * row.input_tokens + row.samples * 50
        assert row.judge_calls == 0
    assert plan.runs == 4
    assert plan.total("samples") == 2 * 2 * sum(t.samples for t in plan.tasks)


def test_planned_judge_calls_match_a_run(tmp_path: Path) -> None:
    """The scripted organism answers, the scripted judge classifies; the judge calls in the
    log equal the plan's."""
    args = ["--models", "organism/faker", "--scenarios", "helpful-only", "--limit", "2",
            "--judge", "scriptedjudge/truth", "-T", "judge_votes=3", "--log-dir", str(tmp_path),
            "--display", "none", "--no-report"]  # fmt: skip
    planned = _invoke(*args, "--dry-run")
    assert planned.exit_code == 0, planned.output
    total = next(line for line in planned.output.splitlines() if line.startswith("total"))
    judge_calls = int(total.split()[-1].replace(",", ""))
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    (log_info,) = list_eval_logs(str(tmp_path))
    log = read_eval_log(log_info.name)
    calls = Counter(e.model for s in log.samples or [] for e in s.events if e.event == "model")
    # the plan is a maximum (issue 18: votes in one request, unreadable votes asked again up
    # to 3 times); this judge does not know the organism's transcripts, so each of the 5
    # asked labels of the 4 samples takes its batched request and 3 retries of 3 votes
    assert 0 < calls["scriptedjudge/truth"] == 4 * 5 * (1 + 3 * 3) <= judge_calls
    assert calls["organism/faker"] == 4


# -- running and resuming -----------------------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    # Runs `goalguard ARGS` with the organism's calls counted in a file; after KILL_AFTER
    # calls the process kills itself with SIGKILL (a crash: nothing is flushed or closed).
    import os, signal, sys
    from goalguard.providers.organism import OrganismAPI

    calls_file, kill_after, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    original = OrganismAPI.generate

    async def generate(self, input, tools, tool_choice, config):
        with open(calls_file, "a+") as f:
            f.seek(0)
            if kill_after and sum(1 for _ in f) >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            f.write("call\\n")
        return await original(self, input, tools, tool_choice, config)

    OrganismAPI.generate = generate
    from goalguard.cli import app
    app(args, prog_name="goalguard")
    """
)


def test_resume_after_a_hard_kill_repeats_no_finished_sample(tmp_path: Path) -> None:
    """Two organism runs of 16 samples each; the sweep is SIGKILLed at its 19th model call,
    then the same command runs again."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    log_dir = tmp_path / "logs"
    args = ["sweep", "--models", "organism/faker,organism/doubter", "--scenarios", "helpful-only",
            "--limit", "8", "--max-connections", "1", "--log-dir", str(log_dir),
            "--display", "none"]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}

    def attempt(calls: Path, kill_after: int) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(driver), str(calls), str(kill_after), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)

    first = attempt(tmp_path / "calls1", 19)
    assert first.returncode == -9, first.stderr[-2000:]  # killed mid-way
    assert "started" in [log.status for log in _logs(log_dir)]  # left unfinished

    second = attempt(tmp_path / "calls2", 0)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert "sweep: 2 of 2 runs finished" in second.stdout

    logs = _logs(log_dir)  # the interrupted logs are gone: their samples are in the final ones
    assert sorted(log.status for log in logs) == ["success", "success"]
    assert sorted(log.eval.model for log in logs) == ["organism/doubter", "organism/faker"]
    scenario = load_scenario("helpful-only")
    expected = {f"{q.id}:{c.name}" for q in scenario.queries()[:8] for c in scenario.conditions()}
    for log in logs:
        keys = Counter((s.id, s.epoch) for s in read_eval_log_sample_summaries(log.location))
        assert set(keys) == {(sample_id, 1) for sample_id in expected}
        assert max(keys.values()) == 1

    answered_first = len((tmp_path / "calls1").read_text().splitlines())
    answered_second = len((tmp_path / "calls2").read_text().splitlines())
    total = 2 * len(expected)
    # Only samples in flight at the kill (one per run: one connection each) run twice.
    assert total <= answered_first + answered_second <= total + 2
    assert answered_second < total  # the finished samples were not asked for again
    assert (log_dir / "report.html").is_file()


def test_a_finished_sweep_is_skipped_and_changed_options_are_explained(tmp_path: Path) -> None:
    args = ["--models", "organism/complier", "--scenarios", "helpful-only", "--limit", "2",
            "--log-dir", str(tmp_path), "--display", "none", "--no-report"]  # fmt: skip
    assert _invoke(*args).exit_code == 0
    (before,) = list_eval_logs(str(tmp_path))
    again = _invoke(*args)
    assert again.exit_code == 0 and "sweep: 1 of 1 runs finished" in again.output
    (after,) = list_eval_logs(str(tmp_path))
    assert (after.name, after.mtime) == (before.name, before.mtime)  # nothing was re-run

    changed = _invoke(*[a if a != "2" else "3" for a in args])
    assert changed.exit_code == 2
    assert "not associated with a task" in changed.output
    assert "Use a new --log-dir" in changed.output


@pytest.mark.model
def test_embedded_sweep_keeps_the_prefix_and_stays_within_its_plan(tmp_path: Path) -> None:
    """Two scenarios on the embedded model: each call after a scenario's first reuses that
    scenario's system prompt from the KV cache (samples run in order, scenarios one at a
    time), and the real token counts stay within the dry run's estimates. Without the
    worked examples (a third of the prefill; the embedded runs in test_scenarios keep them
    for helpful-only)."""
    args = ["--models", "llamacpp/smollm2", "--scenarios", "helpful-only,animal-welfare",
            "--limit", "1", "--max-tokens", "8", "-T", "max_steps=2", "-T", "examples=false",
            "--temperature", "0", "--log-dir", str(tmp_path), "--display", "none",
            "--no-report"]  # fmt: skip
    planned = _invoke(*args, "--dry-run")
    assert planned.exit_code == 0, planned.output
    rows = {line.split()[1]: line.split() for line in planned.output.splitlines()
            if line.startswith("llamacpp/smollm2")}  # fmt: skip
    result = _invoke(*args)
    assert result.exit_code == 0, result.output

    count, counter = prompt_token_counter()
    assert counter == "the SmolLM2 tokenizer"
    calls = []
    for info in list_eval_logs(str(tmp_path)):
        log = read_eval_log(info.name)
        system = log.eval.metadata["system_prompt"] if log.eval.metadata else ""
        first_input = 0
        total_input = 0
        for sample in log.samples or []:
            events = [e for e in sample.events if e.event == "model"]
            usage = [e.output.usage for e in events if e.output.usage is not None]
            assert len(usage) == len(events)  # every call reports its usage
            first_input += usage[0].input_tokens + (usage[0].input_tokens_cache_read or 0)
            total_input += sum([u.input_tokens + (u.input_tokens_cache_read or 0) for u in usage])
            calls += [
                (e.timestamp, log.eval.task, u, count(system))
                for e, u in zip(events, usage, strict=True)
            ]
        row = rows[log.eval.task]
        planned_first, planned_max = (int(row[6].replace(",", "")), int(row[7].replace(",", "")))
        assert abs(first_input - planned_first) <= 0.1 * first_input
        assert total_input <= planned_max

    calls.sort(key=lambda c: c[0])
    tasks = [c[1] for c in calls]
    assert tasks == sorted(tasks, key=tasks.index)  # one scenario, then the other
    for previous, call in zip(calls, calls[1:], strict=False):
        if call[1] == previous[1]:
            # the system prompt came from the cache: all of it but the last partial chunk
            # of n_batch tokens (the cache is reused in whole chunks)
            assert (call[2].input_tokens_cache_read or 0) >= call[3] - DEFAULT_N_BATCH > 0


def test_plan_counts_the_belief_call_and_its_judge_reads() -> None:
    refs = parse_scenarios("honesty-conflict:beliefs,honesty-conflict")
    tasks = sweep_tasks(refs, limit=3, judge="scriptedjudge/truth")
    plan = plan_sweep(["organism/liar"], refs, tasks, {}, "scriptedjudge/truth", 1, 64)
    beliefs, plain = plan.tasks
    spec = tasks[0].metadata["goalguard_scenario"]  # type: ignore[index]
    steps = spec["max_steps"] if spec["reasoning"] == "scratchpad" else 1
    assert plain.max_calls == plain.samples * steps
    assert beliefs.max_calls == beliefs.samples * (steps + 1)
    assert beliefs.max_output_tokens == beliefs.max_calls * 64
    assert beliefs.judge_calls == plain.judge_calls + 2 * beliefs.samples


def test_plan_counts_each_sample_its_own_probe_question() -> None:
    [ref] = parse_scenarios("helpful-only")
    [task] = sweep_tasks([ref], limit=12, task_args={"probe": "realism"})
    questions = [(s.metadata or {})["probe_text"] for s in task.dataset]
    assert len(set(questions)) > 1

    def questions_only(text: str) -> int:  # every other text counts 0 tokens
        return len(text) if text in questions else 0

    args = {"probe": "realism"}
    counted = plan_task(ref, task, questions_only, args).max_input_tokens
    baseline = plan_task(ref, task, lambda text: 0, args).max_input_tokens
    assert counted - baseline == sum(len(q) for q in questions)
