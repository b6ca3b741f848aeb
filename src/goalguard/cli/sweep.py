"""``goalguard sweep``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from goalguard.cli._app import (
    CachePromptOption,
    app,
    fail,
    parse_key_values,
    warn_seeded_epochs,
)
from goalguard.cli.run import TASK_ARGS

DEFAULT_LOG_DIR = "logs/sweep"
REPORT_NAME = "report.html"


def _plain(message: str) -> str:
    return re.sub(r"\[/?[a-z ]+\]", "", message)  # Inspect's rich markup


@app.command()
def sweep(
    models: Annotated[
        str, typer.Option("--models", help="Comma-separated Inspect models (M1,M2,…).")
    ],
    scenarios: Annotated[
        str,
        typer.Option(
            "--scenarios",
            help="Comma-separated scenarios: NAME, NAME:variant, or NAME:* for the scenario "
            "and each of its variants.",
        ),
    ],
    limit: Annotated[
        int | None,
        typer.Option("--limit", help="Queries per scenario (each under each condition)."),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Samples per query and condition.")] = 1,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Inspect model that classifies each sample (default: "
            "the offline heuristic; -T judge_votes=N, judge_logprobs=true).",
        ),
    ] = None,
    log_dir: Annotated[
        str, typer.Option("--log-dir", help="The sweep's own log folder (local or s3://…).")
    ] = DEFAULT_LOG_DIR,
    max_connections: Annotated[
        int | None,
        typer.Option(help="Concurrent calls per served model (in-process models: always 1)."),
    ] = None,
    max_tasks: Annotated[
        int | None,
        typer.Option(help="Runs at once (default: 1 with an in-process model, else Inspect's)."),
    ] = None,
    task_args: Annotated[
        list[str] | None,
        typer.Option(
            "-T",
            help="Task arg key=value for every run: "
            + ", ".join(a for a in TASK_ARGS if a != "variant")
            + ".",
        ),
    ] = None,
    model_args: Annotated[
        list[str] | None, typer.Option("-M", help="Model arg key=value, for every model.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Most tokens per reply.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Use the providers' batch APIs (Inspect's batch mode).")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the plan, estimated tokens and dollars; call no model."
        ),
    ] = False,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            help="Price table YAML for --dry-run's cost (default: goalguard's data/prices.yaml).",
        ),
    ] = None,
    cache_prompt: CachePromptOption = True,
    attempt_timeout: Annotated[
        int | None,
        typer.Option(help="Seconds before one model call is abandoned and retried."),
    ] = None,
    retry_on_error: Annotated[
        int,
        typer.Option(
            help="Times a sample is run again after an error Inspect does not retry by "
            "itself (a malformed reply): it is replaced, never counted twice."
        ),
    ] = 3,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help=f"HTML report (default: LOG_DIR/{REPORT_NAME})."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the report's JSON summary.")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the combined report at the end.")
    ] = True,
    display: Annotated[
        str | None, typer.Option(help="Inspect progress display: full, rich, plain, none.")
    ] = None,
) -> None:
    """Run every model on every scenario (one log each); run it again to resume."""
    from goalguard.analysis.power import sweep_power_note
    from goalguard.scenarios import ScenarioError
    from goalguard.sweep import (
        SweepError,
        format_plan,
        parse_scenarios,
        plan_sweep,
        prune_superseded_logs,
        run_sweep,
        split_list,
        sweep_models,
        sweep_tasks,
    )

    t_args = parse_key_values(task_args, "-T")
    unknown = sorted(set(t_args) - set(TASK_ARGS))
    if unknown:
        fail(f"unknown -T {', '.join(unknown)}; known: {', '.join(TASK_ARGS)}.")
    try:
        names = split_list(models, "--models")
        refs = parse_scenarios(scenarios)
        tasks = sweep_tasks(refs, limit=limit, judge=judge, task_args=t_args)
    except (SweepError, ScenarioError, ValueError) as ex:  # ValueError: bad judge settings
        fail(str(ex))

    warn_seeded_epochs(epochs, seed)
    if dry_run:
        from goalguard.analysis.cost import PriceTableError, format_cost_lines, load_prices
        from goalguard.sweep import plan_costs

        try:
            table = load_prices(prices)
        except PriceTableError as ex:
            fail(str(ex))
        plan = plan_sweep(names, refs, tasks, t_args, judge, epochs, max_tokens)
        typer.echo(format_plan(plan, log_dir))
        typer.echo("")
        typer.echo(format_cost_lines(table, plan_costs(plan, table)))
        typer.echo(sweep_power_note(min((t.queries for t in plan.tasks), default=0)))
        return

    generate: dict[str, Any] = {
        k: v
        for k, v in dict(
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            batch=batch or None,
            cache_prompt=None if cache_prompt else False,
            attempt_timeout=attempt_timeout,
            retry_on_error=retry_on_error or None,
        ).items()
        if v is not None
    }
    try:
        inspect_models = sweep_models(names, parse_key_values(model_args, "-M"), max_connections)
    except SweepError as ex:
        fail(str(ex))
    try:
        success, logs = run_sweep(
            tasks, inspect_models, log_dir, epochs=epochs, max_tasks=max_tasks,
            display=display, **generate,
        )  # fmt: skip
    except Exception as ex:
        if type(ex).__name__ != "PrerequisiteError":  # Inspect's error for a bad setup
            raise
        hint = ""
        if "not associated with a task" in str(ex):
            hint = (
                "\nA sweep's log folder holds that sweep's logs only: a different --limit, "
                "--epochs, --judge, -T, -M or generation option makes different runs. Use a "
                "new --log-dir for them, or the same options to resume."
            )
        message = _plain(str(ex)).removeprefix("ERROR: ").split(" You can use the")[0]
        fail(message + hint)

    finished = [log for log in logs if log.status == "success"]
    typer.echo("")
    typer.echo(f"sweep: {len(finished)} of {len(logs)} runs finished; logs in {log_dir}")
    pruned = prune_superseded_logs(log_dir, logs)
    if pruned:
        typer.echo(f"removed {len(pruned)} log(s) of interrupted attempts, now held in full by "
                   "the finished logs")  # fmt: skip
    for log in logs:
        if log.status != "success":
            message = log.error.message.splitlines()[0] if log.error else ""
            typer.echo(f"  not finished ({log.status}): {log.eval.task} / {log.eval.model} "
                       f"{message}")  # fmt: skip
    if finished:
        from goalguard.analysis.outcomes import call_stats, format_call_stats
        from goalguard.sweep import local_path

        local = [path for log in finished if (path := local_path(log.location))]
        typer.echo(format_call_stats(call_stats(local)))
    if report and finished:
        _write_report([log.location for log in finished], log_dir, output, json_path)
    if not success:
        fail("some runs did not finish; run the same command again to resume them.", code=1)


def _write_report(
    locations: list[str], log_dir: str, output: Path | None, json_path: Path | None
) -> None:
    """The combined report of the sweep's finished logs (the summary, HTML and JSON)."""
    from goalguard.analysis import format_summary
    from goalguard.report import write_report
    from goalguard.sweep import local_path

    paths = [local_path(loc) for loc in locations]
    if None in paths or local_path(log_dir) is None:
        typer.echo(f"report: the logs are remote; copy {log_dir} to a local folder and run "
                   "`goalguard report FOLDER` there.")  # fmt: skip
        return
    html = output or Path(log_dir) / REPORT_NAME
    data = write_report([p for p in paths if p], html, json_path)
    typer.echo("")
    typer.echo(format_summary(data.summary))
    typer.echo("")
    typer.echo(f"report: {html}")
    if json_path is not None:
        typer.echo(f"json: {json_path}")
