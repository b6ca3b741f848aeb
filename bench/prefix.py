"""Prefix reuse: the same `goalguard run` with the provider's prefix cache on and off.
Target: speed-up (wall time off / on) >= 3x.

Both runs are the same command but for ``-M prefix_cache=…``, at temperature 0, so they make
the same calls. Besides wall times it prints the prompt tokens llama.cpp evaluated (the
logs' ``input_tokens``) and read from its cache (``input_tokens_cache_read``): the work the
cache saves, independent of the machine. Prefill dominates when the shared system context
is long and replies are short; ``--max-tokens`` sets the reply length.
Usage: python bench/prefix.py [--limit 10] [--max-tokens 64] [--scenario helpful-only]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from _common import GOALGUARD, OUT_DIR, Timed, header, shell, timed


@dataclass(frozen=True)
class Calls:
    """The model calls of a run's log, added up."""

    calls: int = 0
    evaluated: int = 0  # prompt tokens llama.cpp evaluated
    cached: int = 0  # prompt tokens read from the KV cache
    output: int = 0
    seconds: float = 0.0  # time inside the model calls (start-up and the rest excluded)


def _calls(log_dir: Path) -> Calls:
    from inspect_ai.log import list_eval_logs, read_eval_log

    (info,) = list_eval_logs(str(log_dir))
    total = Calls()
    for sample in read_eval_log(info.name).samples or []:
        for event in sample.events:
            if event.event == "model" and event.output.usage:
                usage = event.output.usage
                total = Calls(
                    total.calls + 1,
                    total.evaluated + usage.input_tokens,
                    total.cached + (usage.input_tokens_cache_read or 0),
                    total.output + usage.output_tokens,
                    total.seconds + (event.working_time or 0.0),
                )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--scenario", default="helpful-only")
    args = parser.parse_args()

    header("prefix reuse: prefix_cache on vs off")
    results: dict[str, tuple[Timed, list[str], Calls]] = {}
    for setting in ("true", "false"):
        log_dir = OUT_DIR / "prefix" / f"cache-{setting}"
        for old in log_dir.glob("*.eval"):
            old.unlink()
        command = [GOALGUARD, "run", args.scenario, "--limit", str(args.limit), "--max-tokens",
                   str(args.max_tokens), "--temperature", "0", "-M", f"prefix_cache={setting}",
                   "--log-dir", str(log_dir), "--display", "none"]  # fmt: skip
        results[setting] = (timed(command).check(), command, _calls(log_dir))

    for setting, (run, command, c) in results.items():
        print(f"prefix_cache={setting:<5} {run.wall_s:8.2f} s ({c.seconds:.2f} s in model calls)  "
              f"{c.calls} calls, prompt tokens evaluated {c.evaluated:,}, from cache "
              f"{c.cached:,}, output {c.output:,}")  # fmt: skip
        print(f"    {shell(command)}")
    (on, _, on_calls), (off, _, off_calls) = results["true"], results["false"]
    speedup = off.wall_s / on.wall_s
    print(f"speed-up (wall, off/on)            {speedup:6.2f}x  (target >= 3x: "
          f"{'met' if speedup >= 3 else 'NOT met'})")  # fmt: skip
    print(f"speed-up (in model calls, off/on)  {off_calls.seconds / on_calls.seconds:6.2f}x")
    print(f"prompt tokens evaluated, off/on    {off_calls.evaluated / on_calls.evaluated:6.2f}x")
    if (on_calls.calls, on_calls.output) != (off_calls.calls, off_calls.output):
        print("note: the two runs made different calls or output; compare with care")


if __name__ == "__main__":
    main()
