"""Prompt tokens of an intervention on the embedded model: evaluated vs read from the cache.

An intervention resends each chosen sample's prompt (system context, user turn) with the
edited or unedited reasoning as a prefill, so most of every prompt is a prefix an earlier
call already evaluated. This runs an original on the scripted organism (no inference), then
`goalguard intervene ... --model llamacpp/smollm2` on it, and reads every model call's usage
back from the new log: prompt tokens llama.cpp evaluated (`input_tokens`) and those the
prefix cache served (`input_tokens_cache_read`). Token counts do not depend on machine
load; the wall time does. The dry-run's estimate is printed beside them.
Usage: python bench/intervene_tokens.py [--limit 3] [--edit remove-af] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import shutil

from _common import GOALGUARD, OUT_DIR, header, timed


def main() -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import list_eval_logs, read_eval_log

    from goalguard.task import goalguard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=3, help="original samples to edit")
    parser.add_argument("--queries", type=int, default=6, help="queries of the original run")
    parser.add_argument("--edit", default="remove-af")
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()

    header(f"intervention {args.edit} on the embedded model: prompt tokens evaluated vs cached")
    out = OUT_DIR / "intervene_tokens"
    shutil.rmtree(out, ignore_errors=True)
    [original] = inspect_eval(
        goalguard(scenario="helpful-only", limit=args.queries),
        model="organism/af-causal",
        model_args={"seed": 3},
        log_dir=str(out / "original"),
        display="none",
    )
    common = [GOALGUARD, "intervene", original.location, "--edit", args.edit, "--limit",
              str(args.limit), "--model", "llamacpp/smollm2"]  # fmt: skip
    dry = timed([*common, "--dry-run"]).check()
    print(dry.stdout.strip())
    print()
    command = [*common, "--max-tokens", str(args.max_tokens), "--max-steps", "1", "--seed", "1",
               "--display", "none", "--log-dir", str(out / "edit")]  # fmt: skip
    run = timed(command).check()
    [info] = list_eval_logs(str(out / "edit"))
    log = read_eval_log(info.name)
    evaluated = cached = calls = 0
    for sample in log.samples or []:
        for event in sample.events:
            if event.event == "model" and event.output.usage is not None:
                usage = event.output.usage
                calls += 1
                evaluated += usage.input_tokens
                cached += usage.input_tokens_cache_read or 0
    total = evaluated + cached
    print(f"$ {' '.join(command)}")
    print(f"{calls} model calls, {total:,} prompt tokens: {evaluated:,} evaluated, {cached:,} "
          f"read from the prefix cache ({cached / total:.0%}); {total / evaluated:.1f}x fewer "
          f"evaluated than with no cache")  # fmt: skip
    print(f"wall {run.wall_s:.1f} s (load-dependent)")


if __name__ == "__main__":
    main()
