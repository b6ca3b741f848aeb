"""Harness overhead: `goalguard run` on the embedded model vs the same calls sent straight
to llama.cpp in one process. Target: ratio of wall times <= 1.10.

The goalguard run is timed as a whole process (start-up, Inspect, model load, generation,
scoring, log writing, summary). Then every model call it made is read from its log (the
exact conversation of each call, in the order they ran) and replayed by a second process
that loads the same GGUF with llama-cpp-python and calls ``create_chat_completion`` with the
same max_tokens, temperature 0 and thread count; the replies are compared, so both sides
did the same work. By default the run is the issue's `goalguard run helpful-only --limit 10`
with the scenario's own max_tokens (1024) at temperature 0 (so the replay can reproduce
it); ``--max-tokens 64`` shows the fixed start-up cost, which short replies do not hide.
Usage: python bench/overhead.py [--limit 10] [--max-tokens N] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import GOALGUARD, OUT_DIR, header, shell, timed


def _calls_from_log(log_dir: Path) -> list[dict[str, Any]]:
    from inspect_ai.log import list_eval_logs, read_eval_log, resolve_sample_attachments

    (info,) = list_eval_logs(str(log_dir))
    log = read_eval_log(info.name)
    calls: list[dict[str, Any]] = []
    for sample in log.samples or []:
        sample = resolve_sample_attachments(sample)  # long texts are stored once, by reference
        for event in sample.events:
            if event.event == "model":
                calls.append(
                    {
                        "at": event.timestamp.isoformat(),
                        "messages": [{"role": m.role, "content": m.text} for m in event.input],
                        "max_tokens": event.config.max_tokens,
                        "reply": event.output.completion,
                    }
                )
    return sorted(calls, key=lambda c: str(c["at"]))


def direct(calls_file: Path, gguf: str, n_ctx: int) -> None:
    """The baseline: the recorded calls, straight to llama.cpp in this process (which
    imports nothing but llama-cpp-python)."""
    start = time.perf_counter()
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=gguf,
        n_ctx=n_ctx,
        n_threads=os.cpu_count(),
        verbose=False,
    )
    calls = json.loads(calls_file.read_text())
    same = output_tokens = 0
    for call in calls:
        response: Any = llm.create_chat_completion(
            messages=call["messages"], max_tokens=call["max_tokens"], temperature=0
        )
        same += response["choices"][0]["message"]["content"] == call["reply"]
        output_tokens += response["usage"]["completion_tokens"]
    print(json.dumps({"calls": len(calls), "same_replies": same,
                      "output_tokens": output_tokens,
                      "seconds_in_process": time.perf_counter() - start}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, help="default: the scenario's own (1024)")
    parser.add_argument("--scenario", default="helpful-only")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--direct", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gguf", help=argparse.SUPPRESS)
    parser.add_argument("--n-ctx", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.direct:
        direct(args.direct, args.gguf, args.n_ctx)
        return
    from goalguard.providers.gguf import resolve_gguf
    from goalguard.providers.llamacpp import DEFAULT_N_CTX

    header("harness overhead: goalguard run vs the same calls straight to llama.cpp")
    out = OUT_DIR / "overhead"
    log_dir = out / "logs"
    max_tokens = ["--max-tokens", str(args.max_tokens)] if args.max_tokens else []
    run_cmd = [GOALGUARD, "run", args.scenario, "--limit", str(args.limit), *max_tokens,
               "--temperature", "0", "--log-dir", str(log_dir), "--display", "none"]  # fmt: skip
    calls_file = out / "calls.json"
    direct_cmd = [sys.executable, __file__, "--direct", str(calls_file), "--gguf",
                  str(resolve_gguf("smollm2")), "--n-ctx", str(DEFAULT_N_CTX)]  # fmt: skip
    harness: list[float] = []
    baseline: list[float] = []
    for _ in range(args.repeats):  # alternate, so a change in machine load hits both
        for old in log_dir.glob("*.eval"):
            old.unlink()
        harness.append(timed(run_cmd).check().wall_s)
        calls = _calls_from_log(log_dir)
        calls_file.write_text(json.dumps(calls))
        direct_run = timed(direct_cmd).check()
        baseline.append(direct_run.wall_s)
        replayed = json.loads(direct_run.stdout.strip().splitlines()[-1])
        if replayed["same_replies"] != len(calls):
            print(f"note: {len(calls) - replayed['same_replies']} of {len(calls)} replies "
                  "differ between the two; the work done may differ")  # fmt: skip

    ratios = sorted(h / b for h, b in zip(harness, baseline, strict=True))
    ratio = statistics.median(ratios)
    print(f"goalguard run      {_times(harness)}   {shell(run_cmd)}")
    print(f"straight llama.cpp {_times(baseline)}   {shell(direct_cmd)}")
    print(f"model calls        {len(calls):8d}     per run, output tokens "
          f"{replayed['output_tokens']:,} (the same replies in both)")  # fmt: skip
    print(f"ratio              {ratio:8.3f}     median of {len(ratios)} "
          f"(range {ratios[0]:.3f}-{ratios[-1]:.3f}; target <= 1.10: "
          f"{'met' if ratio <= 1.10 else 'NOT met'})")  # fmt: skip


def _times(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):8.2f} s (median of {len(seconds)})"


if __name__ == "__main__":
    main()
