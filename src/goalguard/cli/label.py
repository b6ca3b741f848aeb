"""``goalguard label``: label a stratified sample of a run's transcripts by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from goalguard.cli._app import app, fail


@app.command()
def label(
    source: Annotated[
        Path,
        typer.Argument(help="An Inspect log, a log folder, or a transcripts JSONL (as classify)."),
    ],
    n: Annotated[
        int | None,
        typer.Option("-n", help="Transcripts to draw (default 40, or the labels file's)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("-o", "--out", help="The labels JSONL (resumed when it exists).")
    ] = Path("labels.jsonl"),
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Seed of the draw (default 0, or the labels file's)."),
    ] = None,
    show_labels: Annotated[
        bool,
        typer.Option("--show-labels", help="Show the classifier's labels from the start."),
    ] = False,
) -> None:
    """Label a stratified sample of transcripts in a terminal app, for `goalguard validate`.

    Stratified by condition and classifier verdict; each label saved at once; rerun resumes.
    """
    from goalguard.label import LabelFileError, SourceError, open_session

    try:
        session = open_session(source, out, n, seed)
    except (LabelFileError, SourceError, ValueError) as ex:
        fail(str(ex))
    draw = session.sample.draw
    strata = ", ".join(
        f"{name} {draw.allocation[name]}/{size}" for name, size in draw.sizes.items()
    )
    typer.echo(
        f"drew {len(session.sample.items)} of {session.sample.population} transcripts "
        f"(seed {session.info.seed}, digest {session.info.digest}); strata drawn/size: {strata}"
    )
    if session.resumed:
        done = sum(item.key in session.store.records for item in session.sample.items)
        typer.echo(f"resuming {out}: {done} of {len(session.sample.items)} labelled")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("goalguard label needs an interactive terminal.")
    labelled = session.app(show_classifier=show_labels).run()
    total = len(session.sample.items)
    typer.echo(f"labelled {labelled or 0} of {total} -> {out}")
    typer.echo(f"next: goalguard validate {out}")
