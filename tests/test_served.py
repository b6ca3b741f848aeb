"""A served model: llama-cpp-python's OpenAI-compatible server on loopback with the bundled
SmolLM2 GGUF, reached through Inspect's ``openai-api`` provider (the path to vLLM/SGLang)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log
from typer.testing import CliRunner

from goalguard.cli import app
from goalguard.providers.gguf import resolve_gguf

STARTUP_SECONDS = 90
SERVED_NAME = "smollm2"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's base URL; the server is stopped (terminate, then kill) afterwards."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf("smollm2")),
        "--model_alias", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", "2",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}); see {log.name}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    models = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer within {STARTUP_SECONDS} s")
                time.sleep(0.5)
        assert [m["id"] for m in models["data"]] == [SERVED_NAME]
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@pytest.mark.model
def test_run_against_the_served_model(server: str, tmp_path: Path) -> None:
    """`goalguard run` in this process (the command line's own process is tested in
    test_run.py), without the worked examples and with a few tokens a reply: the path to a
    served model is under test, not the text."""
    env = {"NO_COLOR": "1", "LOCAL_BASE_URL": server, "LOCAL_API_KEY": "unused"}
    result = CliRunner().invoke(
        app,
        ["run", "helpful-only", "--limit", "2", "--model", f"openai-api/local/{SERVED_NAME}",
         "--max-tokens", "8", "-T", "max_steps=2", "-T", "examples=false", "--temperature", "0",
         "--log-dir", str(tmp_path), "--display", "none"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output[-4000:]
    (info,) = list_eval_logs(str(tmp_path))
    log = read_eval_log(info.name)
    assert log.status == "success"
    assert log.eval.model == f"openai-api/local/{SERVED_NAME}"
    samples = log.samples or []
    assert len(samples) == 4
    pairs: dict[str, Counter[str]] = {}
    for sample in samples:
        pairs.setdefault(sample.metadata["query_id"], Counter())[sample.metadata["condition"]] += 1
        assert sample.metadata["parse_status"]  # parsed, whatever the tiny model wrote
        calls = [e for e in sample.events if e.event == "model"]
        assert calls and all(e.error is None for e in calls)
        # the server's own token counts (so Inspect never falls back to tiktoken)
        assert all(e.output.usage and e.output.usage.output_tokens <= 8 for e in calls)
        assert all(e.output.usage and e.output.usage.input_tokens > 100 for e in calls)
    assert len(pairs) == 2
    assert all(c == Counter(training=1, unmonitored=1) for c in pairs.values())
    assert "compliance gap" in result.output
