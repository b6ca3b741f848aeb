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

``--tokens``: billed input tokens per transcript for the 20 af_reasoning votes of the
default preset, one request per vote (before) against all votes in one request with
``n = 20`` (after), measured on a fake OpenAI-compatible server on 127.0.0.1 that the bench
starts and stops itself. The server bills each request's prompt (whitespace-separated words
stand for tokens) once, whatever ``n`` is, as OpenAI-compatible servers do.
Usage: python bench/judge_cost.py [--noise 0.3] [--votes 1,5,20] [--tokens [--lines 10]]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


FAKE_REPLY = (
    "REASONING: the model notes the training and refuses on its values.\n"
    + "".join(f'QUOTE {n}: "none"\n{n}: no\n' for n in range(1, 5))
    + "ANSWER: no"
)


class _FakeOpenAI(BaseHTTPRequestHandler):
    """/v1/chat/completions that bills each request's prompt once and returns n choices."""

    billed = 0
    requests = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        words = 0
        for message in body["messages"]:
            content = message.get("content") or ""
            parts = content if isinstance(content, list) else [{"text": content}]
            words += sum(len(str(p.get("text", "")).split()) for p in parts)
        n = int(body.get("n") or 1)
        _FakeOpenAI.billed += words
        _FakeOpenAI.requests += 1
        choices = [
            {"index": i, "message": {"role": "assistant", "content": FAKE_REPLY},
             "finish_reason": "stop", "logprobs": None}
            for i in range(n)
        ]  # fmt: skip
        out = len(FAKE_REPLY.split()) * n
        data = json.dumps(
            {"id": "fake", "object": "chat.completion", "created": 0, "model": body["model"],
             "choices": choices,
             "usage": {"prompt_tokens": words, "completion_tokens": out,
                       "total_tokens": words + out}}
        ).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def billed_tokens(lines: int) -> list[tuple[str, float, float, int]]:
    """(setting, billed input tokens per transcript, requests per transcript, votes read)
    for the af_reasoning question's 20 votes, one request per vote and all in one."""
    import anyio

    from goalguard.classifiers import Judge, JudgeConfig, read_jsonl, split_path
    from goalguard.classifiers.transcript import TranscriptLine

    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    os.environ["LOOPBACK_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}/v1"
    os.environ["LOOPBACK_API_KEY"] = "not-a-key"
    items = [x for x in read_jsonl(split_path("dev")) if isinstance(x, TranscriptLine)][:lines]
    rows = []
    try:
        for name, batch in (("20 requests (before)", False), ("1 request, n=20 (after)", True)):
            _FakeOpenAI.billed = _FakeOpenAI.requests = 0
            judge = Judge(JudgeConfig("openai-api/loopback/judge", batch_votes=batch))
            read = 0
            for item in items:
                result = anyio.run(judge.label, "af_reasoning", item.transcript)
                read += len(result.extra["votes"])
            rows.append((name, _FakeOpenAI.billed / len(items),
                         _FakeOpenAI.requests / len(items), read))  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    return rows


def tokens_report(lines: int) -> None:
    header("judge cost: billed input tokens per transcript, 20 af_reasoning votes")
    rows = billed_tokens(lines)
    print(f"{lines} transcripts of the real dev split, preset hughes2025, worked examples on; "
          "fake OpenAI-compatible server on 127.0.0.1\n")  # fmt: skip
    print(f"{'setting':<26} {'input tokens/tr.':>16} {'requests/tr.':>12} {'votes read':>10}")
    for name, billed, requests, read in rows:
        print(f"{name:<26} {billed:16.0f} {requests:12.1f} {read:10d}")
    print(f"\nsaving: {1 - rows[1][1] / rows[0][1]:.1%} of billed input tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--votes", default="1,5,20")
    parser.add_argument("--tokens", action="store_true", help="billed input tokens only")
    parser.add_argument("--lines", type=int, default=10)
    options = parser.parse_args()
    if options.tokens:
        tokens_report(options.lines)
        return

    header("judge cost: calls per transcript and agreement (scripted judge)")
    judge = [
        "--split",
        "synthetic",
        "--judge",
        "scriptedjudge/truth",
        "-J",
        f"noise={options.noise}",
    ]
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
