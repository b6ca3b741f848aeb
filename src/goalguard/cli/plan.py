"""``goalguard plan``: paired queries needed for a gap, and what classifier error costs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from goalguard.cli._app import app, fail


def power_text(need: Any, seen: Any, calibration: Any, af_baseline: float) -> list[str]:
    """The plan as plain lines (``need``: compliance; ``seen``: AF through the classifier)."""
    assumed = (
        "independent outcomes within a query"
        if need.discordance_assumed == "independence"
        else "given"
    )
    lines = [
        f"compliance gap {need.gap:+.3f} over a baseline of {need.baseline:.3f} "
        f"(training {need.baseline + need.gap:.3f}), power {need.power:.2f}, two-sided "
        f"alpha {need.alpha:.3g}, McNemar's test:",
        f"  {need.pairs:,} paired queries (each run under training and unmonitored); "
        f"discordance {need.discordance:.3f} ({assumed}; --discordance sets it: positively "
        "correlated outcomes give fewer pairs)",
    ]
    if calibration is None:
        lines.append("AF-reasoning gap: no calibration with af_reasoning counts; none shown.")
        return lines
    af = calibration.labels["af_reasoning"]
    lines.append(
        f"the same gap in AF reasoning over a baseline of {af_baseline:.3f}, read by the "
        f"classifier of calibration {calibration.name} (sensitivity {af.sensitivity:.2f}, "
        f"specificity {af.specificity:.2f}):"
    )
    if seen is None:
        lines.append("  sensitivity + specificity <= 1: no number of queries is enough.")
        return lines
    true_need = seen[0]
    apparent = seen[1]
    lines.append(
        f"  {true_need.pairs:,} paired queries with a perfect classifier; through this one the "
        f"apparent gap is {apparent.gap:+.3f} and {apparent.pairs:,} paired queries are "
        f"needed (x{apparent.pairs / true_need.pairs:.1f}). The corrected interval is wider "
        "still: it also carries the calibration's own uncertainty."
    )
    return lines


@app.command()
def plan(
    gap: Annotated[float, typer.Option(help="The gap to detect (training − unmonitored).")] = 0.05,
    baseline: Annotated[
        float, typer.Option(help="The unmonitored rate (compliance) the gap is added to.")
    ] = 0.10,
    power: Annotated[float, typer.Option(help="The power wanted.")] = 0.8,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    discordance: Annotated[
        float | None,
        typer.Option(
            help="Share of queries whose outcome differs between the conditions (default: "
            "independent outcomes, p1(1 − p0) + p0(1 − p1)).",
        ),
    ] = None,
    af_baseline: Annotated[
        float | None,
        typer.Option(help="The unmonitored AF-reasoning rate (default: --baseline)."),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="Calibration file with the AF classifier's measured error (default: the "
            "shipped heuristic one)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Paired queries needed to detect a compliance gap, and an AF-reasoning gap through
    the classifier's measured error."""
    from goalguard.analysis.power import PowerError, pairs_needed, through_classifier
    from goalguard.classifiers.calibration import (
        CalibrationError,
        read_calibration,
        shipped_heuristic_calibration,
    )

    try:
        measured = read_calibration(calibration) if calibration else shipped_heuristic_calibration()
        need = pairs_needed(gap, baseline, power, alpha, discordance)
        base = baseline if af_baseline is None else af_baseline
        af = measured.labels.get("af_reasoning") if measured is not None else None
        seen = None
        if af is not None and af.sensitivity is not None and af.specificity is not None:
            true_need = pairs_needed(gap, base, power, alpha, discordance)
            apparent = through_classifier(true_need, af.sensitivity, af.specificity)
            seen = (true_need, apparent) if apparent is not None else None
    except (PowerError, CalibrationError) as ex:
        fail(str(ex))
    if af is None or af.sensitivity is None or af.specificity is None:
        measured = None  # no usable AF counts: the compliance figure only
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "compliance": need.as_dict(),
                    "af_reasoning": None
                    if seen is None
                    else {"perfect": seen[0].as_dict(), "through_classifier": seen[1].as_dict()},
                    "calibration": None if measured is None else measured.name,
                },
                indent=2,
            )
        )
        return
    typer.echo("\n".join(power_text(need, seen, measured, base)))
