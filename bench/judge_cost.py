"""Judge cost: model calls per transcript and agreement with the labels, for majority voting
at 1, 5 and 20 votes and for single-call log-probability scoring, on the bundled labelled
set with the scripted judge (``scriptedjudge/truth``).

The scripted judge knows each transcript's label and answers from a distribution that puts
``1 - noise`` on it (temperature 0, used for a single vote, gives that label; temperature 1,
used for several votes, draws from the distribution), with log-probabilities when asked. So
these figures measure goalguard's voting and scoring arithmetic and its call counts, not a
real judge's quality. Calls are counted at the model (every ``generate`` the judge makes),
next to the count the judge reports. Real-judge figures need a key: run
``goalguard validate --judge <model> --votes N`` and add them to bench/README.md.
Usage: python bench/judge_cost.py [--noise 0.3] [--votes 1,5,20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from typing import Any

from _common import GOALGUARD, header, shell


def validate(args: list[str]) -> tuple[dict[str, Any], int, float]:
    """`goalguard validate ARGS --json` in this process: its report, the calls the judge
    model received, and the wall time."""
    from goalguard.cli import app
    from goalguard.providers.scripted_judge import ScriptedJudgeAPI

    calls = 0
    original = ScriptedJudgeAPI.generate

    async def counted(self: Any, *a: Any, **k: Any) -> Any:
        nonlocal calls
        calls += 1
        return await original(self, *a, **k)

    ScriptedJudgeAPI.generate = counted  # type: ignore[method-assign]
    out = io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out):
            app(["validate", *args, "--json"], prog_name="goalguard", standalone_mode=False)
    finally:
        ScriptedJudgeAPI.generate = original  # type: ignore[method-assign]
    return json.loads(out.getvalue()), calls, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--votes", default="1,5,20")
    options = parser.parse_args()

    header("judge cost: calls per transcript and agreement (scripted judge)")
    judge = ["--judge", "scriptedjudge/truth", "-J", f"noise={options.noise}"]
    settings = [(f"{v} vote{'s' if v != '1' else ''}", ["--votes", v])
                for v in options.votes.split(",")]  # fmt: skip
    settings.append(("logprobs", ["--logprobs"]))

    labels: list[str] = []
    rows = []
    for name, extra in settings:
        report, calls, seconds = validate([*judge, *extra])
        metrics = report["metrics"]
        labels = labels or list(metrics)
        n = report["n_lines"]
        aurocs = [m["auroc"] for m in metrics.values() if m["auroc"] is not None]
        rows.append((name, calls / n, report["calls_per_transcript"], seconds,
                     sum(m["accuracy"] for m in metrics.values()) / len(metrics),
                     sum(aurocs) / len(aurocs) if aurocs else None,
                     [metrics[label]["kappa"] for label in labels]))  # fmt: skip
        print(f"{name:<10} {shell([GOALGUARD, 'validate', *judge, *extra])}")

    print(f"\n{n} labelled transcripts, noise {options.noise}\n")
    short = [label.replace("_compliance", "").replace("_", " ")[:12] for label in labels]
    print(f"{'setting':<10} {'calls/tr.':>9} {'reported':>8} {'seconds':>7} {'mean acc.':>9} "
          f"{'mean AUROC':>10}  " + "  ".join(f"{s:>12}" for s in short))  # fmt: skip
    print(" " * 60 + "  ".join(f"{'kappa':>12}" for _ in short))
    for name, counted, reported, seconds, accuracy, auroc, kappas in rows:
        shown_auroc = "n/a" if auroc is None else f"{auroc:.3f}"
        shown_kappas = "  ".join("n/a".rjust(12) if k is None else f"{k:12.3f}" for k in kappas)
        print(f"{name:<10} {counted:9.1f} {reported:8.1f} {seconds:7.1f} {accuracy:9.3f} "
              f"{shown_auroc:>10}  {shown_kappas}")  # fmt: skip


if __name__ == "__main__":
    main()
