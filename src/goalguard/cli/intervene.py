"""``goalguard intervene``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from goalguard.cli._app import app, fail, finished_log, parse_key_values


@app.command()
def intervene(
    log: Annotated[Path, typer.Argument(help="The original run's Inspect log file.")],
    edit: Annotated[
        str,
        typer.Option(
            "--edit", help="remove-af, neutralise, insert-af or truncate:N (first N sentences)."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Inspect model (default: the original log's)."),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Inspect model that classifies (default: the heuristic)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Most original samples to intervene on.")
    ] = None,
    log_dir: Annotated[
        Path | None,
        typer.Option("--log-dir", help="Where the new log goes (default: the original's folder)."),
    ] = None,
    model_args: Annotated[
        list[str] | None, typer.Option("-M", help="Model arg key=value (e.g. n_ctx=8192).")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Most tokens per reply.")] = None,
    max_steps: Annotated[int, typer.Option(help="Most replies after the prefill.", min=1)] = 2,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the samples and estimated tokens; no call.")
    ] = False,
    display: Annotated[
        str | None, typer.Option(help="Inspect progress display: full, rich, plain, none.")
    ] = None,
) -> None:
    """Edit the scratchpads of a run, let the model continue, and measure the change.

    Each chosen sample is continued twice from a prefill, edited and unedited.
    """
    from inspect_ai import eval as inspect_eval

    from goalguard.intervene.effects import causal_effects
    from goalguard.intervene.task import InterventionError, intervention, prefill_config
    from goalguard.provenance import eval_provenance

    try:
        task = intervention(log=str(log), edit=edit, limit=limit, max_steps=max_steps,
                            judge=judge)  # fmt: skip
        original_model = task.metadata["goalguard_intervention"]["original_model"]
        chosen = model or original_model
        extra_body = prefill_config(chosen)
    except (InterventionError, ValueError) as ex:
        fail(str(ex))
    if dry_run:
        from goalguard.intervene.cost import format_plan, plan_intervention
        from goalguard.sweep import prompt_token_counter

        count, name = prompt_token_counter()
        plan = plan_intervention(task, count, name, max_tokens, max_steps, judge)
        typer.echo(format_plan(plan, chosen))
        return
    generate: dict[str, Any] = {
        k: v
        for k, v in {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}.items()
        if v is not None
    }
    if extra_body:
        generate["extra_body"] = extra_body
    if chosen.startswith("llamacpp/"):
        generate["max_connections"] = 1
    logs = inspect_eval(
        task,
        model=chosen,
        model_args=parse_key_values(model_args, "-M"),
        log_dir=str(log_dir or log.resolve().parent),
        display=display,  # type: ignore[arg-type]
        metadata=eval_provenance([chosen]),
        **generate,
    )
    result = finished_log(logs[0], "intervention")
    for effect in causal_effects([result.location]):
        typer.echo(f"{effect.condition}: {effect.headline()}")
