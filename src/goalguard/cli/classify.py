"""``goalguard classify``, ``goalguard validate`` and ``goalguard rescore``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from goalguard.cli._app import app, fail, parse_key_values

JudgeOpt = Annotated[
    str | None,
    typer.Option("--judge", help="Inspect model that classifies (default: the offline heuristic)."),
]
JudgeArgsOpt = Annotated[
    list[str] | None, typer.Option("--judge-arg", "-J", help="Judge model arg key=value.")
]
VotesOpt = Annotated[
    int | None,
    typer.Option(
        "--votes",
        help="Judge votes per transcript and label (temperature 1 when above 1). Default: "
        "the preset's for af_reasoning (hughes2025: 20), 1 for the others.",
    ),
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        help="Share of all votes for the positive value that decides. Default: the "
        "preset's for af_reasoning (hughes2025: 0.4), 0.5 for the others.",
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--judge-preset",
        help="How the judge asks af_reasoning: hughes2025 (default) or greenblatt2024 "
        "(docs/classifiers.md).",
    ),
]
MaxTokensOpt = Annotated[
    int | None,
    typer.Option(
        "--judge-max-tokens",
        help="Most tokens per judge reply (default 2000; raise it for reasoning models). "
        "A reply cut off at the limit is asked again with twice as many.",
    ),
]
ModelRoleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--model-role",
        help="Inspect model role role=model; grader=M names the judge, as --judge M does.",
    ),
]
LogprobsOpt = Annotated[
    bool, typer.Option("--logprobs", help="Score from the answer token's probability (one call).")
]
CONCURRENT_TRANSCRIPTS = 8


def grader_role(judge: str | None, model_roles: list[str] | None) -> str | None:
    """The judge model: ``--judge``, or the ``grader`` of ``--model-role grader=M``."""
    roles = parse_key_values(model_roles, "--model-role")
    unknown = sorted(set(roles) - {"grader"})
    if unknown:
        fail(f"--model-role: unknown role {', '.join(unknown)}; goalguard uses 'grader'.")
    grader = roles.get("grader")
    if grader is not None and judge is not None and str(grader) != judge:
        fail(f"--judge {judge} and --model-role grader={grader} name different judges.")
    return judge if judge is not None else (str(grader) if grader is not None else None)


def judge_config(
    judge: str | None,
    judge_args: list[str] | None,
    votes: int | None,
    threshold: float | None,
    logprobs: bool,
    preset: str | None = None,
    max_tokens: int | None = None,
    model_roles: list[str] | None = None,
) -> Any:
    """A :class:`JudgeConfig`, or None for the heuristic; bad settings end the command."""
    from goalguard.classifiers import JudgeConfig

    judge = grader_role(judge, model_roles)
    if judge is None:
        given = (judge_args, votes is not None, threshold is not None, logprobs, preset,
                 max_tokens is not None)  # fmt: skip
        if any(given):
            fail(
                "--judge-arg, --votes, --threshold, --logprobs, --judge-preset and "
                "--judge-max-tokens need --judge (or --model-role grader=M)."
            )
        return None
    args = parse_key_values(judge_args, "--judge-arg")
    settings: dict[str, Any] = {"preset": preset} if preset else {}
    if max_tokens is not None:
        settings["max_tokens"] = max_tokens
    try:
        return JudgeConfig(
            judge, votes, threshold, logprobs, model_args=tuple(sorted(args.items())), **settings
        )
    except ValueError as ex:
        fail(str(ex))


def judge_settings(config: Any) -> dict[str, Any] | None:
    """The judge settings a report records (None for the heuristic)."""
    if config is None:
        return None
    return {
        "preset": config.preset,
        "votes": config.votes,
        "af_votes": config.votes_for("af_reasoning"),
        "threshold": config.threshold,
        "af_threshold": config.threshold_for("af_reasoning"),
        "logprobs": config.logprobs,
        "max_tokens": config.max_tokens,
    }


def _read(path: Path, require_labels: bool) -> tuple[list[Any], list[int]]:
    """The usable lines of a JSONL file; each bad one is reported on stderr by line number."""
    from goalguard.classifiers import LineError, read_jsonl

    if not path.is_file():
        fail(f"{path}: no such file.")
    lines, skipped = [], []
    for item in read_jsonl(path, require_labels=require_labels):
        if isinstance(item, LineError):
            typer.secho(f"skipped {item}", fg=typer.colors.YELLOW, err=True)
            skipped.append(item.line)
        else:
            lines.append(item)
    return lines, skipped


def classify_lines(lines: list[Any], config: Any) -> list[dict[str, Any]]:
    """Each line's results per label: the heuristic, or the judge (concurrently)."""
    from goalguard.classifiers import classify_heuristic

    if config is None:
        return [classify_heuristic(line.transcript) for line in lines]
    import anyio

    from goalguard.classifiers import get_judge

    judge = get_judge(config)
    results: list[dict[str, Any]] = [{} for _ in lines]

    async def run_all() -> None:
        limiter = anyio.Semaphore(CONCURRENT_TRANSCRIPTS)

        async def one(i: int) -> None:
            async with limiter:
                results[i] = await judge.classify(lines[i].transcript)

        async with anyio.create_task_group() as tg:
            for i in range(len(lines)):
                tg.start_soon(one, i)

    anyio.run(run_all)
    return results


def _explain(out: TextIO, line: Any, results: dict[str, Any]) -> None:
    from goalguard.classifiers.rules import describe

    out.write(f"# {line.transcript.id} (line {line.number})\n")
    for label, result in results.items():
        out.write(f"{label}: {result.value}\n")
        if result.criteria:
            held = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in result.criteria.items())
            out.write(f"    criteria: {held}\n")
        evidence = result.extra.get("evidence", {})
        for name in result.rules:
            quote = f' <- "{evidence[name]}"' if name in evidence else ""
            out.write(f"    {name}: {describe(name)}{quote}\n")
        if result.method == "judge":
            out.write(f"    {result.justification}\n")
    out.write("\n")


@app.command()
def classify(
    transcripts: Annotated[
        Path, typer.Argument(help="JSONL: id, scratchpad, output, query?, scenario?, probe_answer?")
    ],  # fmt: skip
    judge: JudgeOpt = None,
    judge_arg: JudgeArgsOpt = None,
    votes: VotesOpt = None,
    threshold: ThresholdOpt = None,
    logprobs: LogprobsOpt = False,
    judge_preset: PresetOpt = None,
    judge_max_tokens: MaxTokensOpt = None,
    model_role: ModelRoleOpt = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write JSONL here (default: stdout).")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show which heuristic rules fired, and why.")
    ] = False,
) -> None:
    """Classify transcripts that did not come from a run: every label, score and reason."""
    config = judge_config(
        judge, judge_arg, votes, threshold, logprobs, judge_preset, judge_max_tokens, model_role
    )
    lines, skipped = _read(transcripts, require_labels=False)
    results = classify_lines(lines, config)
    heuristic = classify_lines(lines, None) if config is not None else None
    sink = out.open("w", encoding="utf-8") if out else sys.stdout
    explain_to = sys.stdout if out else sys.stderr
    try:
        for i, (line, result) in enumerate(zip(lines, results, strict=True)):
            record = dict(line.raw)
            record["classifier"] = "heuristic" if config is None else f"judge:{config.model}"
            record["classification"] = {k: r.to_dict(rules=explain) for k, r in result.items()}
            if heuristic is not None:
                record["heuristic"] = {k: r.to_dict(rules=explain) for k, r in heuristic[i].items()}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            if explain:
                _explain(explain_to, line, heuristic[i] if heuristic is not None else result)
    finally:
        if out:
            sink.close()
    _report_counts(len(lines), skipped, out)
    if not lines:
        fail("no line could be classified.", code=1)


def _report_counts(done: int, skipped: Iterable[int], out: Path | None) -> None:
    skipped = list(skipped)
    where = f" -> {out}" if out else ""
    message = f"classified {done} transcript(s){where}"
    if skipped:
        message += f"; skipped {len(skipped)} malformed line(s): {', '.join(map(str, skipped))}"
    typer.echo(message, err=True)


def _validation_source(labelled: Path | None, split: str | None) -> Path:
    """The file to validate against: given, or a bundled split (default: the real test)."""
    from goalguard.classifiers import DEFAULT_SPLIT, SPLITS, split_path

    if labelled is not None:
        if split is not None:
            fail("give a labelled file or --split, not both.")
        return labelled
    name = split or DEFAULT_SPLIT
    if name not in SPLITS:
        fail(f"--split: unknown split '{name}'; known: {', '.join(SPLITS)}.")
    path = split_path(name)
    if not path.is_file():
        if split is not None:
            fail(f"{path}: the bundled '{name}' split is missing from this install.")
        typer.secho(
            f"note: the real test split ({path}) is missing from this install; validating "
            "against the synthetic set, a unit-test fixture whose figures are not evidence.",
            fg=typer.colors.YELLOW,
            err=True,
        )
        path = split_path("synthetic")
    return path


@app.command()
def validate(
    labelled: Annotated[
        Path | None,
        typer.Argument(help="JSONL with human labels (default: the bundled real test split)."),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="Bundled labelled set: test (real, held out; the default), dev (real), "
            "families (real, other model families, held out) or synthetic (hand-written "
            "unit-test fixture).",
        ),
    ] = None,
    judge: JudgeOpt = None,
    judge_arg: JudgeArgsOpt = None,
    votes: VotesOpt = None,
    threshold: ThresholdOpt = None,
    logprobs: LogprobsOpt = False,
    judge_preset: PresetOpt = None,
    judge_max_tokens: MaxTokensOpt = None,
    model_role: ModelRoleOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    calibration_out: Annotated[
        Path | None,
        typer.Option(
            "--calibration-out",
            help="Also write a calibration file (confusion counts per label) for "
            "goalguard report --calibration.",
        ),
    ] = None,
    calibration_date: Annotated[
        str | None,
        typer.Option(help="The date recorded in the calibration file (default: today)."),
    ] = None,
) -> None:
    """Compare a classifier with human labels: accuracy, precision, recall, F1, kappa, AUROC."""
    from goalguard.classifiers.validation import format_metrics, validate_lines

    path = _validation_source(labelled, split)
    config = judge_config(
        judge, judge_arg, votes, threshold, logprobs, judge_preset, judge_max_tokens, model_role
    )
    lines, skipped = _read(path, require_labels=True)
    if not lines:
        fail(f"{path}: no labelled line to validate against.", code=1)
    results = classify_lines(lines, config)
    report = validate_lines(lines, results)
    if calibration_out is not None:
        _write_calibration(lines, results, path, config, calibration_out, calibration_date)
    report.update(
        source=str(path),
        classifier="heuristic" if config is None else f"judge:{config.model}",
        judge=judge_settings(config),
        skipped_lines=skipped,
    )
    if as_json:
        shown = {**report, "metrics": {m.label: m.as_dict() for m in report["metrics"]}}
        typer.echo(json.dumps(shown, indent=2))
        return
    preset = f", preset {config.preset}" if config is not None else ""
    typer.echo(f"{report['classifier']} against {path} ({report['n_lines']} lines{preset})\n")
    for metrics in report["metrics"]:
        typer.echo(format_metrics(metrics) + "\n")
    typer.echo("af_reasoning criteria:")
    for row in report["criteria"]:
        typer.echo(
            f"  {row['name']:<26} n {row['n']:<4} accuracy {_f(row['accuracy'])}  "
            f"precision {_f(row['precision'])}  recall {_f(row['recall'])}  "
            f"F1 {_f(row['f1'])}  kappa {_f(row['kappa'])}"
        )
    hard, comp = report["hard_negatives"], report["compliance_with_output"]
    typer.echo(
        f"\naf_reasoning false positives on hard negatives: {hard['false_positives']}/"
        f"{hard['n']} ({_f(hard['rate'])})"
    )
    typer.echo(
        f"compliance accuracy where an output exists: {_f(comp['accuracy'])} (n {comp['n']})"
    )
    if report["calls_per_transcript"] is not None:
        typer.echo(f"\njudge calls per transcript: {report['calls_per_transcript']:.1f}")
        typer.echo(
            f"judge votes unreadable: {_f(report['unreadable_rate'])} (counted as not-yes); "
            f"asked again {report['retries']} times, {report['truncated']} cut off at max tokens"
        )


def _write_calibration(
    lines: list[Any], results: list[Any], path: Path, config: Any, out: Path, date: str | None
) -> None:
    from goalguard.classifiers.calibration import (
        build_calibration,
        heuristic_id,
        judge_id,
        write_calibration,
    )

    classifier = heuristic_id() if config is None else judge_id(config)
    calibration = build_calibration(lines, results, path, classifier, date)
    write_calibration(calibration, out)
    typer.echo(f"calibration: {out}", err=True)


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


@app.command()
def rescore(
    log: Annotated[Path, typer.Argument(help="An Inspect log written by `goalguard run`.")],
    judge: JudgeOpt = None,
    judge_arg: JudgeArgsOpt = None,
    votes: VotesOpt = None,
    threshold: ThresholdOpt = None,
    logprobs: LogprobsOpt = False,
    judge_preset: PresetOpt = None,
    judge_max_tokens: MaxTokensOpt = None,
    model_role: ModelRoleOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="The new log (default: beside the original)."),
    ] = None,
) -> None:
    """Re-classify an existing log without regenerating; writes a new log, keeps the original."""
    from goalguard.classifiers.rescore import RescoreError, rescore_log

    config = judge_config(
        judge, judge_arg, votes, threshold, logprobs, judge_preset, judge_max_tokens, model_role
    )
    try:
        written = rescore_log(log, config, out)
    except RescoreError as ex:
        fail(str(ex))
    typer.echo(f"log: {written}")
    from goalguard.analysis import format_summary, read_table, summarize

    typer.echo(format_summary(summarize(read_table(written))))
