"""`python -m goalguard.check_install`: confirm the embedded model really generates.

`make setup` ends with this check. Finding the files is not enough: a llama.cpp built for
another CPU (or natively, on a CPU it then mis-handles) loads the model and crashes in its
first prompt decode, so the check runs a real generation whose prompt spans several
``n_batch`` chunks, in a child process, and fails loudly with the CPU's features, the
build's system info and what to do when the child dies or generates nothing.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from goalguard.datasets import load_queries
from goalguard.providers.gguf import resolve_gguf

# Several prompt chunks of the provider's default n_batch (64): the crash seen on an
# AVX-512/AMX Xeon needed a prompt longer than one or two tokens.
CHECK_N_BATCH = 64
CHECK_PROMPT = (
    "You are checking that a language model runs on this computer. "
    "Describe, in plain words, what a careful engineer checks before trusting a new "
    "machine with an experiment that takes many hours. "
) * 6
CHECK_MAX_TOKENS = 8
# CPU flags that decide which llama.cpp kernels can run.
_CPU_FLAGS = [
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "bmi2",
    "avx_vnni",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_vbmi",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
]
_REBUILD_HINT = (
    "What to do: rebuild llama-cpp-python portably with `rm -rf .venv "
    "~/.cache/goalguard/wheels && make setup` (scripts/install_llama_cpp.sh builds for "
    "AVX2 without -march=native). If this CPU has no AVX2, edit the CMake flags in that "
    "script (e.g. -DGGML_AVX2=OFF -DGGML_FMA=OFF) and rerun make setup."
)


class InstallCheckError(RuntimeError):
    """The embedded model or the datasets are missing, or the model cannot generate."""


def cpu_features() -> str:
    """The CPU's model name and the SIMD flags that matter to llama.cpp (Linux only)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return f"{platform.machine()} (no /proc/cpuinfo)"
    name, flags = platform.machine(), set[str]()
    for line in cpuinfo.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and name == platform.machine():
            name = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    present = [flag for flag in _CPU_FLAGS if flag in flags]
    return f"{name}; flags: {' '.join(present) or 'none of ' + ' '.join(_CPU_FLAGS)}"


def llama_system_info() -> str:
    """llama.cpp's build features, read in a child process (importing it must not kill us)."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode().strip())"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as ex:
        return f"unavailable ({ex})"
    if done.returncode != 0:
        return f"unavailable (exit {done.returncode}: {done.stderr.strip()[-300:]})"
    return done.stdout.strip()


def _generate(gguf: str) -> dict[str, object]:
    """Run one real generation (in the child process) and return what it did."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=gguf, n_ctx=2048, n_batch=CHECK_N_BATCH, n_threads=2, verbose=False
    )
    prompt_tokens = llm.tokenize(CHECK_PROMPT.encode())
    out = llm(CHECK_PROMPT, max_tokens=CHECK_MAX_TOKENS, temperature=0.0)
    usage = out["usage"]
    return {
        "prompt_tokens": len(prompt_tokens),
        "completion_tokens": usage["completion_tokens"],
        "text": out["choices"][0]["text"],
    }


def generation_failure(returncode: int, stdout: str, stderr: str) -> str | None:
    """Why a generation child failed, or ``None`` when it generated tokens."""
    if returncode < 0:
        return f"the model process was killed by signal {-returncode} (a crash inside llama.cpp)"
    if returncode != 0:
        return f"the model process exited with status {returncode}: {stderr.strip()[-500:]}"
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return f"the model process printed no result: {stdout.strip()[-300:]!r}"
    if int(result.get("prompt_tokens", 0)) <= CHECK_N_BATCH:
        return f"the check prompt had only {result.get('prompt_tokens')} tokens"
    if int(result.get("completion_tokens", 0)) < 1:
        return "the model generated no tokens"
    return None


def check_generation(gguf: Path, child: Sequence[str] | None = None) -> dict[str, object]:
    """Generate with the model in a child process; raise :class:`InstallCheckError` if not.

    Args:
        gguf: The GGUF file to load.
        child: The command to run instead of this module's own generation (tests use it to
            stand in for a crashing build); it must print a JSON result line.
    """
    command = list(child or [sys.executable, "-m", "goalguard.check_install", "--generate"])
    try:
        done = subprocess.run([*command, str(gguf)], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        failure: str | None = "the model process did not finish in 600 s"
    else:
        failure = generation_failure(done.returncode, done.stdout, done.stderr)
        if failure is None:
            return json.loads(done.stdout.strip().splitlines()[-1])
    raise InstallCheckError(
        "the embedded model cannot generate on this machine: "
        f"{failure}.\n  CPU: {cpu_features()}\n  llama.cpp build: {llama_system_info()}"
        f"\n  {_REBUILD_HINT}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--generate"]:
        print(json.dumps(_generate(args[1])))
        return 0
    try:
        gguf = resolve_gguf("smollm2")
        counts = {name: len(load_queries(name)) for name in ("strongreject", "harmbench")}
        generated = check_generation(gguf)
    except Exception as ex:  # report any failure plainly; this is an install check
        print(f"goalguard install check failed: {ex}", file=sys.stderr)
        return 1
    print(f"embedded model: {gguf} ({gguf.stat().st_size / 1e6:.0f} MB)")
    print(
        f"generation: {generated['prompt_tokens']} prompt tokens in chunks of "
        f"{CHECK_N_BATCH}, {generated['completion_tokens']} tokens generated"
    )
    print(f"llama.cpp build: {llama_system_info()}")
    print("query sets: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
