"""Prefill and decode speed of two llama-cpp-python builds: the portable one and a native one.

`make setup` builds llama.cpp for any x86-64 CPU with AVX2 (scripts/install_llama_cpp.sh)
instead of for the CPU it runs on. This measures what that costs on a machine where a
native build works: each build runs in its own interpreter (the project's .venv, and a
second virtualenv holding a native build, made as the README of bench/ shows), loads the
bundled SmolLM2 GGUF with the provider's settings, and times a cold prompt of several
``n_batch`` chunks (prefill) and a greedy continuation (decode). The two interpreters
alternate ``--repeats`` times; medians are reported.

    .venv/bin/python bench/llama_build.py --other /tmp/native-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from _common import header

# Runs inside each interpreter: only llama_cpp, so either build can be timed.
PROBE = r"""
import json, sys, time
import llama_cpp
gguf, n_batch, n_prompt, n_decode, threads = sys.argv[1], *map(int, sys.argv[2:6])
llm = llama_cpp.Llama(model_path=gguf, n_ctx=4096, n_batch=n_batch, n_threads=threads,
                      n_threads_batch=threads, verbose=False)
words = ("The committee reviewed every measurement twice before it signed the report. " * 200)
tokens = llm.tokenize(words.encode())[:n_prompt]
llm.reset()
t0 = time.perf_counter(); llm.eval(tokens); prefill = time.perf_counter() - t0
t0 = time.perf_counter()
for _ in range(n_decode):
    token = llm.sample(temp=0.0)
    llm.eval([token])
decode = time.perf_counter() - t0
print(json.dumps({"system": llama_cpp.llama_print_system_info().decode().strip(),
                  "prefill_tok_s": n_prompt / prefill, "decode_tok_s": n_decode / decode}))
"""


def measure(python: str, args: argparse.Namespace, gguf: str) -> dict[str, object]:
    argv = [python, "-c", PROBE, gguf, str(args.n_batch), str(args.prompt_tokens),
            str(args.decode_tokens), str(args.threads)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="python of the venv with the other build")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--prompt-tokens", type=int, default=1024)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--n-batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from goalguard.providers.gguf import resolve_gguf

    gguf = str(resolve_gguf("smollm2"))
    header("llama.cpp builds: portable (this venv) vs --other")
    builds = {"portable": sys.executable, "other": args.other}
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in builds}
    for _ in range(args.repeats):
        for name, python in builds.items():
            runs[name].append(measure(python, args, gguf))
    medians = {}
    for name, results in runs.items():
        prefill = statistics.median(float(r["prefill_tok_s"]) for r in results)
        decode = statistics.median(float(r["decode_tok_s"]) for r in results)
        medians[name] = (prefill, decode)
        print(f"{name:9s} prefill {prefill:8.1f} tok/s   decode {decode:7.1f} tok/s")
        print(f"          {results[0]['system']}")
    (p_port, d_port), (p_other, d_other) = medians["portable"], medians["other"]
    print(
        f"portable / other: prefill {p_port / p_other:.2f}x, decode {d_port / d_other:.2f}x "
        f"({args.prompt_tokens} prompt tokens in chunks of {args.n_batch}, "
        f"{args.decode_tokens} decoded, {args.threads} threads, median of {args.repeats})"
    )


if __name__ == "__main__":
    main()
