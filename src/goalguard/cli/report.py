"""``goalguard report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from goalguard.cli._app import app, fail


@app.command()
def report(
    paths: Annotated[
        list[Path], typer.Argument(help="Inspect log files and/or folders (searched recursively).")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The HTML report to write.")
    ] = Path("report.html"),
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Also write every number shown, with interval and n."),
    ] = None,
    max_transcripts: Annotated[
        int,
        typer.Option(help="Most transcripts in the HTML browser (the numbers use all).", min=0),
    ] = 500,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes reading logs side by side (default: one per core for more "
            "than 64 MiB of logs).",
            min=1,
        ),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration",
            help="Calibration file (goalguard validate --calibration-out) to correct the "
            "label rates with (default: the shipped heuristic one, for heuristic labels).",
        ),
    ] = None,
) -> None:
    """Print the summary of Inspect logs and write a self-contained HTML report."""
    from goalguard.analysis import LogReadError, format_summary, log_files
    from goalguard.classifiers.calibration import CalibrationError, read_calibration
    from goalguard.report import write_report

    try:
        measured = read_calibration(calibration) if calibration is not None else None
        if not log_files(paths):
            fail("no Inspect logs (.eval or .json) in " + ", ".join(map(str, paths)) + ".")
        data = write_report(
            paths,
            output,
            json_path,
            max_transcripts=max_transcripts,
            workers=workers,
            calibration=measured,
        )
    except (LogReadError, CalibrationError) as ex:
        fail(str(ex))
    typer.echo(format_summary(data.summary))
    for effect in data.summary.causal:  # goalguard intervene logs among the paths
        if effect.condition == "all":
            typer.echo(f"causal, {effect.model} · {effect.scenario}: {effect.headline()}")
    typer.echo("")
    if output is not None:
        typer.echo(f"report: {output}")
    if json_path is not None:
        typer.echo(f"json: {json_path}")
