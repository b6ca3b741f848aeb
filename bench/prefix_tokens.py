"""Prefix reuse in prompt tokens: what reusing the cache only in whole chunks costs.

No inference: the first prompt of each sample (dataset order, as `goalguard run` sends
them) is tokenized with the embedded model's chat template, and the prompt tokens llama.cpp
must evaluate are counted under three rules: no cache; the longest common prefix with the
previous prompt (llama-cpp-python's own rule); and whole chunks of n_batch tokens at fixed
positions (goalguard's rule, which makes seeded samples independent of the cache). Replies
are left out, so these are the first calls of each sample only.
Usage: python bench/prefix_tokens.py [--limit 10] [--scenario helpful-only] [--n-batch 64,512]
"""

from __future__ import annotations

import argparse

from _common import header


def _common_prefix(a: list[int], b: list[int]) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def main() -> None:
    from goalguard.providers.gguf import resolve_gguf
    from goalguard.providers.llamacpp import load_model
    from goalguard.task import goalguard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--scenario", default="helpful-only")
    parser.add_argument("--n-batch", default="64,512")
    args = parser.parse_args()

    header("prefix reuse in prompt tokens: longest prefix vs whole chunks")
    model = load_model(resolve_gguf("smollm2"), n_threads=1)
    task = goalguard(scenario=args.scenario, limit=args.limit)
    prompts = [
        model.render([{"role": m.role, "content": m.text} for m in sample.input])
        for sample in task.dataset
    ]
    total = sum(len(t) for t in prompts)
    longest = sum(
        len(t) - min(_common_prefix(prev, t), len(t) - 1)
        for prev, t in zip([[], *prompts], prompts, strict=False)
    )
    print(f"{args.scenario}, {len(prompts)} first calls, mean prompt {total / len(prompts):.0f} "
          f"tokens")  # fmt: skip
    print(f"no cache                  {total:8,} tokens evaluated")
    print(
        f"longest common prefix     {longest:8,} tokens evaluated  ({total / longest:.2f}x fewer)"
    )
    for chunk in (int(n) for n in args.n_batch.split(",")):
        evaluated, aligned, prev = 0, 0, []
        for t in prompts:
            reused = min(_common_prefix(prev, t), aligned, len(t) - 1) // chunk * chunk
            evaluated += len(t) - reused
            prev, aligned = t, len(t) // chunk * chunk
        print(f"whole chunks of {chunk:<4}      {evaluated:8,} tokens evaluated  "
              f"({total / evaluated:.2f}x fewer)")  # fmt: skip


if __name__ == "__main__":
    main()
