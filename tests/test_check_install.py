"""The install check fails loudly when the embedded model cannot generate.

A crashing llama.cpp build is stood in for by real child processes that die by a signal or
generate nothing; the passing case runs the real model.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys

import pytest

from goalguard.check_install import (
    CHECK_N_BATCH,
    InstallCheckError,
    check_generation,
    cpu_features,
    llama_system_info,
)


def _child(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_crash_in_the_model_process_names_the_cpu_the_build_and_the_fix(tmp_path):
    segfault = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    with pytest.raises(InstallCheckError) as raised:
        check_generation(tmp_path / "model.gguf", child=_child(segfault))
    message = str(raised.value)
    assert "killed by signal 11" in message
    assert "crash inside llama.cpp" in message
    assert "CPU: " in message and "flags:" in message
    assert "llama.cpp build: " in message
    assert "make setup" in message and "install_llama_cpp.sh" in message


def test_a_model_that_generates_nothing_fails_the_check(tmp_path):
    nothing = json.dumps({"prompt_tokens": 300, "completion_tokens": 0, "text": ""})
    with pytest.raises(InstallCheckError, match="generated no tokens"):
        check_generation(tmp_path / "m.gguf", child=_child(f"print({nothing!r})"))


def test_a_prompt_within_one_chunk_does_not_count_as_a_check(tmp_path):
    short = json.dumps({"prompt_tokens": CHECK_N_BATCH, "completion_tokens": 4, "text": "x"})
    with pytest.raises(InstallCheckError, match=f"only {CHECK_N_BATCH} tokens"):
        check_generation(tmp_path / "m.gguf", child=_child(f"print({short!r})"))


def test_cpu_features_lists_only_flags_this_cpu_has():
    text = cpu_features()
    flags = set(text.partition("flags: ")[2].split())
    with open("/proc/cpuinfo") as f:
        cpu_flags = next(set(ln.split(":", 1)[1].split()) for ln in f if ln.startswith("flags"))
    assert flags and flags <= cpu_flags


@pytest.mark.model
def test_the_install_check_command_passes_and_says_what_it_ran():
    done = subprocess.run(
        [sys.executable, "-m", "goalguard.check_install"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    generated = re.search(
        r"generation: (\d+) prompt tokens in chunks of (\d+), (\d+) tokens", done.stdout
    )
    assert generated, done.stdout
    prompt_tokens, chunk, completion_tokens = map(int, generated.groups())
    assert chunk == CHECK_N_BATCH and prompt_tokens > 3 * CHECK_N_BATCH and completion_tokens >= 1
    assert "llama.cpp build: " in done.stdout


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 build flags")
def test_the_installed_llama_cpp_is_the_portable_build():
    """`make setup` must install the AVX2 build, whatever this CPU has (a native build on an
    AVX-512 machine reports AVX512 = 1 here)."""
    info = llama_system_info()
    assert "AVX2 = 1" in info, info
    assert "AVX512" not in info and "AMX" not in info, info
