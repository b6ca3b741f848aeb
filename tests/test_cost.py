"""The price table, the dollar estimate of ``sweep --dry-run``, and the prompt-cache flag."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from goalguard.analysis.cost import (
    Price,
    PriceTableError,
    TokenCounts,
    estimate_cost,
    load_prices,
    price_for,
)
from goalguard.cli import app
from goalguard.sweep import parse_scenarios, plan_costs, plan_sweep, sweep_tasks

runner = CliRunner()


def _sweep(*args: str) -> str:
    result = runner.invoke(app, ["sweep", *args], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_bundled_table_says_when_and_where_from() -> None:
    table = load_prices()
    assert table.read and "openai.com" in table.source and "anthropic.com" in table.source
    for price in table.prices.values():
        assert 0 < price.cached_input < price.input < price.output
    assert price_for(table, "llamacpp/smollm2") == Price(0.0, 0.0, 0.0)
    assert price_for(table, "openai-api/azure/gpt-4o") == table.prices["openai/gpt-4o"]
    assert price_for(table, "vllm/Qwen/Qwen2.5-7B-Instruct") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models: [1, 2]", "'models' mapping"),
        ("models:\n  m/x: {input: 1, output: 2}", "models.m/x.cached_input"),
        ("models:\n  m/x: {input: -1, cached_input: 0, output: 2}", "models.m/x.input"),
        ("models:\n  m/x: {input: 1, cached_input: 0, output: 2, cost: 3}", "unknown field"),
        ("models: {", "cannot read"),
    ],
)
def test_bad_tables_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(PriceTableError, match=message) as info:
        load_prices(path)
    assert str(path) in str(info.value)


def test_cost_by_hand() -> None:
    price = Price(input=3.0, cached_input=0.3, output=15.0, cache_write=3.75)
    tokens = TokenCounts(
        input_tokens=1_000_000, cacheable_tokens=900_000, cache_write_tokens=2_000,
        output_tokens=100_000,
    )  # fmt: skip
    cost = estimate_cost(price, tokens)
    assert cost.without_cache == pytest.approx(3.0 + 1.5)
    # 100k uncached at 3, 2k written at 3.75, 898k read at 0.3, output 1.5
    assert cost.with_cache == pytest.approx(0.3 + 0.0075 + 0.2694 + 1.5)


def test_dry_run_prints_dollars_with_and_without_caching(tmp_path: Path) -> None:
    refs = parse_scenarios("helpful-only")
    tasks = sweep_tasks(refs, limit=5)
    plan = plan_sweep(["openai/gpt-4o"], refs, tasks, count=(lambda t: len(t) // 4, "chars/4"))
    [task] = plan.tasks
    # the system context is most of every prompt, and each run writes it once
    assert 0.8 * task.input_tokens < task.cacheable_tokens < task.input_tokens
    assert task.max_cacheable_tokens <= task.max_input_tokens
    assert task.cache_write_tokens * task.samples == task.cacheable_tokens
    [(typical, most)] = plan_costs(plan, load_prices()).values()
    assert typical and most and typical.with_cache < typical.without_cache <= most.without_cache

    out = _sweep("--models", "openai/gpt-4o,vllm/my/model", "--scenarios", "helpful-only",
                 "--limit", "5", "--dry-run", "--log-dir", str(tmp_path))  # fmt: skip
    assert "openai/gpt-4o: $" in out and "with prompt caching" in out
    assert "vllm/my/model: no price in" in out and "No model was called." in out

    own = tmp_path / "mine.yaml"
    own.write_text("read: 2026-12-06\nsource: our contract\nmodels:\n"
                   "  vllm/my/model: {input: 1, cached_input: 0.1, output: 2}\n")  # fmt: skip
    out = _sweep("--models", "vllm/my/model", "--scenarios", "helpful-only", "--limit", "5",
                 "--dry-run", "--prices", str(own), "--log-dir", str(tmp_path))  # fmt: skip
    assert "vllm/my/model: $" in out and "our contract" in out
    own.write_text("models:\n  x/y: {input: free}\n")
    result = runner.invoke(app, ["sweep", "--models", "x/y", "--scenarios", "helpful-only",
                                 "--dry-run", "--prices", str(own)])  # fmt: skip
    assert result.exit_code != 0 and "models.x/y.input" in result.output
