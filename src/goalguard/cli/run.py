"""``goalguard run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from goalguard.cli._app import (
    CachePromptOption,
    app,
    fail,
    finished_log,
    parse_key_values,
    warn_seeded_epochs,
)
from goalguard.provenance import eval_provenance
from goalguard.providers.gguf import GGUFError, resolve_gguf
from goalguard.scenarios import ScenarioError

DEFAULT_MODEL = "llamacpp/smollm2"
TASK_ARGS = ("variant", "developer", "probe", "p", "examples", "max_steps", "judge_votes",
             "judge_threshold", "judge_logprobs", "judge_args", "paraphrases", "judge_preset",
             "judge_max_tokens")  # fmt: skip
"""The task's arguments that have no option of their own (scenario, --limit, --judge)."""


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or scenario folder.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Inspect model.")] = DEFAULT_MODEL,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Number of queries (each under every condition).")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Samples per query and condition.")] = 1,
    log_dir: Annotated[Path, typer.Option("--log-dir", help="Where Inspect logs go.")] = Path(
        "logs"
    ),
    task_args: Annotated[
        list[str] | None,
        typer.Option("-T", help="Task arg key=value: " + ", ".join(TASK_ARGS) + "."),
    ] = None,
    model_args: Annotated[
        list[str] | None, typer.Option("-M", help="Model arg key=value (e.g. n_ctx=8192).")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Most tokens per reply.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    cache_prompt: CachePromptOption = True,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Inspect model that classifies each sample (default: "
            "the offline heuristic; -T judge_votes=N, judge_logprobs=true, "
            "judge_preset=greenblatt2024, judge_max_tokens=4000).",
        ),
    ] = None,
    model_role: Annotated[
        list[str] | None,
        typer.Option(
            "--model-role",
            help="Inspect model role role=model; grader=M is the judge (as --judge M) and is "
            "recorded in the log's model roles.",
        ),
    ] = None,
    display: Annotated[
        str | None, typer.Option(help="Inspect progress display: full, rich, plain, none.")
    ] = None,
) -> None:
    """Run a scenario: every query under each condition, then print a summary."""
    from inspect_ai import eval as inspect_eval

    from goalguard.analysis import format_summary, read_table, summarize
    from goalguard.cli.classify import grader_role
    from goalguard.task import goalguard

    judge = grader_role(judge, model_role)
    t_args = parse_key_values(task_args, "-T")
    unknown = sorted(set(t_args) - set(TASK_ARGS))
    if unknown:
        fail(f"unknown -T {', '.join(unknown)}; known: {', '.join(TASK_ARGS)}.")
    try:
        task = goalguard(scenario=scenario, limit=limit, judge=judge, **t_args)
    except (ScenarioError, ValueError) as ex:  # ValueError: bad judge settings
        fail(str(ex))

    warn_seeded_epochs(epochs, seed)
    generate: dict[str, Any] = {
        k: v
        for k, v in {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "cache_prompt": None if cache_prompt else False,
        }.items()
        if v is not None
    }
    if model.startswith("llamacpp/"):
        try:  # a missing or corrupt GGUF is bad input: say so before Inspect starts
            resolve_gguf(model.removeprefix("llamacpp/"))
        except GGUFError as ex:
            fail(str(ex))
        # One in-process model: samples one at a time keep the shared prefix in its KV cache.
        generate.setdefault("max_connections", 1)
    if model.startswith("organism/"):
        from goalguard.providers.organism import OrganismError, organism_rates

        try:  # an unknown profile or a bad rate is bad input: say so before Inspect starts
            organism_rates(model.removeprefix("organism/"), **parse_key_values(model_args, "-M"))
        except OrganismError as ex:
            fail(str(ex))
    logs = inspect_eval(
        task,
        model=model,
        model_args=parse_key_values(model_args, "-M"),
        log_dir=str(log_dir),
        epochs=epochs,
        display=display,  # type: ignore[arg-type]
        metadata=eval_provenance([model]),
        model_roles={"grader": judge} if judge else None,
        **generate,
    )
    log = finished_log(logs[0], "run")
    typer.echo(format_summary(summarize(read_table(log.location))))
