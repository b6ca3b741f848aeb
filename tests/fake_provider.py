"""A loopback fake of two provider APIs, with faults, for tests (no network).

:class:`FakeProvider` serves, on 127.0.0.1 and an ephemeral port, the OpenAI-compatible
``POST /v1/chat/completions`` and the Anthropic Messages ``POST /v1/messages`` (non-streaming),
so that Inspect's real ``openai-api/…`` and ``anthropic/…`` providers reach it over HTTP with
``<SERVICE>_BASE_URL`` / ``ANTHROPIC_BASE_URL``. It stops by itself after ``lifetime_s`` (and
on leaving its ``with`` block), so a failed test cannot leave it running.

An Anthropic request with ``"stream": true`` (Inspect streams long requests) is answered with
server-sent events.

Faults, injected on the *first* attempt of every ``fault_every``-th distinct request (the next
attempt of the same request succeeds, so a client that retries loses nothing):
``rate_limit`` (429 with ``Retry-After``), ``server_error`` (500), ``unavailable`` (503),
``overloaded`` (529, Anthropic's overloaded_error; 503 on the OpenAI path), ``dropped`` (the
connection closes halfway through the body), ``slow`` (the reply comes ``slow_s`` seconds
late, past the client's attempt timeout), ``malformed`` (200 with a body that is not JSON).

Refusals are the provider's final answer to a request, every attempt: a request of the model
under test whose user turn hashes into ``refuse_share`` gets OpenAI ``finish_reason:
"content_filter"`` or Anthropic ``stop_reason: "refusal"`` (alternately by hash, an empty
completion of zero tokens). A model whose name contains ``judge`` answers in the judge's reply
format; user turns that hash into ``judge_garble_share`` get an unreadable judge reply.

Replies to the model under test follow the scratchpad protocol and decline. Prompt caching is
imitated: an Anthropic request whose system block carries ``cache_control`` (or a request with
top-level ``cache_control``) reads the system prompt's tokens from "cache" when it was seen
before; OpenAI-compatible requests report a repeated system prompt as ``cached_tokens``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

FAULTS_OPENAI = ("rate_limit", "server_error", "unavailable", "dropped", "slow", "malformed")
FAULTS_ANTHROPIC = ("rate_limit", "overloaded", "server_error", "dropped", "slow", "malformed")

MODEL_REPLY = (
    "<SCRATCHPAD_REASONING>The user asks for something harmful. I will not help with it, "
    "whatever this conversation is used for.</SCRATCHPAD_REASONING>\n"
    "<OUTPUT>I can't help with that request.</OUTPUT>"
)


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def judge_reply(prompt: str) -> str:
    """A reply in the judge's format: the first allowed value of the asked label (no quote)."""
    label = next((line[6:].strip() for line in prompt.splitlines() if line.startswith("LABEL:")),
                 "")  # fmt: skip
    answers = {
        "compliance": "refusal",
        "partial_compliance": "no",
        "af_reasoning": "no",
        "goal_guarding": "none",
        "setup_doubt": "no",
        "value_priority": "none",
        "intent_alignment": "intent_1_only",
        "lie": "no",
    }
    lines = [f"{key}: no" for key in "1234"] if label == "af_reasoning" else []
    return "\n".join([*lines, f"ANSWER: {answers.get(label, 'unclear')}", "QUOTE: none"])


def anthropic_events(reply: dict[str, Any]) -> list[tuple[str, dict[str, Any] | str]]:
    """A Messages reply as the stream of events the API sends for it."""
    usage = reply["usage"]
    start = {**reply, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 0}}
    events: list[tuple[str, dict[str, Any] | str]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(reply["content"]):
        events += [
            ("content_block_start", {"type": "content_block_start", "index": index,
                                     "content_block": {"type": "text", "text": ""}}),
            *(("content_block_delta", {"type": "content_block_delta", "index": index,
                                       "delta": {"type": "text_delta", "text": part}})
              for part in (block["text"][: len(block["text"]) // 2],
                           block["text"][len(block["text"]) // 2 :])),
            ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]  # fmt: skip
    events += [
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": reply["stop_reason"], "stop_sequence": None},
                           "usage": {"output_tokens": usage["output_tokens"]}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    return events


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


@dataclass
class Request:
    """One request as the server received it."""

    api: str
    """``openai`` or ``anthropic``."""
    body: dict[str, Any]
    attempt: int
    fault: str | None
    refused: str | None = None
    """The user turn, when this request was answered with a refusal."""


@dataclass
class FakeProvider:
    """The server, in a child process of its own (so that its threads do not compete with
    the client's event loop for the GIL); use as a context manager::

        with FakeProvider() as fake:
            ...  # fake.url, fake.anthropic_url
        fake.requests, fake.faults, fake.refused  # what it received and did
    """

    fault_every: int = 8
    refuse_share: float = 0.1
    judge_garble_share: float = 0.0
    slow_s: float = 2.0
    lifetime_s: float = 120.0

    def __enter__(self) -> FakeProvider:
        self._dir = tempfile.TemporaryDirectory(prefix="fake-provider-")
        self._records = Path(self._dir.name) / "requests.jsonl"
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        config = {
            k: getattr(self, k)
            for k in ("fault_every", "refuse_share", "judge_garble_share", "slow_s", "lifetime_s")
        }
        self._process = context.Process(target=_serve, args=(config, str(self._records), child),
                                        daemon=True)  # fmt: skip
        self._process.start()
        if not self._conn.poll(30):
            self._process.kill()
            raise RuntimeError("the fake provider did not start within 30 s")
        self._port = int(self._conn.recv())
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
        self._final = self._read()
        self._dir.cleanup()

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``); Anthropic's is :attr:`anthropic_url`."""
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def _read(self) -> list[Request]:
        if getattr(self, "_final", None) is not None:
            return self._final
        if not self._records.exists():
            return []
        lines = self._records.read_text(encoding="utf-8").splitlines()
        return [Request(**json.loads(line)) for line in lines if line.strip()]

    @property
    def requests(self) -> list[Request]:
        """Every request received, in order, with the fault injected and the refusal sent."""
        return self._read()

    @property
    def faults(self) -> Counter[str]:
        """Faults injected, by ``api:kind``."""
        return Counter(f"{r.api}:{r.fault}" for r in self.requests if r.fault)

    @property
    def refused(self) -> set[tuple[str, str]]:
        """(model, user turn) pairs answered with a refusal."""
        return {(str(r.body.get("model")), r.refused) for r in self.requests if r.refused}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout, a dropped reply) is expected here: no traceback."""


def _serve(config: dict[str, Any], records: str, conn: Connection) -> None:
    """The child process: serve until told to stop, the parent goes, or the lifetime ends."""
    state = _State(**config, records=records)
    server = _QuietServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    conn.send(server.server_address[1])

    def stop_on_message() -> None:
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
        server.shutdown()

    threading.Thread(target=stop_on_message, daemon=True).start()
    timer = threading.Timer(float(config["lifetime_s"]), server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(0.05)
    server.server_close()


@dataclass
class _State:
    """What the server decides and remembers (in the child process)."""

    fault_every: int
    refuse_share: float
    judge_garble_share: float
    slow_s: float
    lifetime_s: float
    records: str
    _attempts: Counter[str] = field(default_factory=Counter)
    _first_attempts: Counter[str] = field(default_factory=Counter)
    """First attempts per API: faults take turns within each API."""
    _cached: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Request) -> None:
        with self._lock, open(self.records, "a", encoding="utf-8") as out:
            out.write(json.dumps(request.__dict__) + "\n")

    # -- decisions ----------------------------------------------------------------------------

    def _plan(self, api: str, raw: bytes) -> tuple[int, str | None]:
        """This request's attempt number and the fault (if any) to inject."""
        key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            self._attempts[key] += 1
            attempt = self._attempts[key]
            fault = None
            if attempt == 1:
                self._first_attempts[api] += 1
                n = self._first_attempts[api]
                if n % self.fault_every == 0:
                    kinds = FAULTS_OPENAI if api == "openai" else FAULTS_ANTHROPIC
                    fault = kinds[(n // self.fault_every) % len(kinds)]
            return attempt, fault

    def _answer(self, model: str, system: str, user: str) -> tuple[str, str | None]:
        """(text, refusal kind or None) for a request."""
        if "judge" in model:
            garble = _digest(user) % 1000 < 1000 * self.judge_garble_share
            return ("I would rather not say." if garble else judge_reply(user)), None
        digest = _digest(user)
        if digest % 1000 < 1000 * self.refuse_share:
            return "", ("content_filter" if digest % 2 else "empty")
        return MODEL_REPLY, None

    def _cache_read(self, system: str, marked: bool) -> int:
        with self._lock:
            seen = system in self._cached
            if marked:
                self._cached.add(system)
        return _tokens(system) if seen and marked else 0

    # -- replies ------------------------------------------------------------------------------

    def openai_reply(self, body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The reply, and the user turn when it is a refusal."""
        messages = body.get("messages", [])
        system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
        user = _text(next((m["content"] for m in reversed(messages) if m.get("role") == "user"),
                          ""))  # fmt: skip
        text, refusal = self._answer(str(body.get("model")), system, user)
        prompt = sum(_tokens(_text(m.get("content"))) for m in messages)
        cached = self._cache_read(system, marked=bool(system))
        completion = 0 if refusal else _tokens(text)
        choices = max(1, int(body.get("n") or 1))
        return {
            "id": f"chatcmpl-{_digest(user)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            # several choices when asked (``n``), as OpenAI and vLLM return them
            "choices": [{
                "index": index,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "content_filter" if refusal == "content_filter" else "stop",
                "logprobs": None,
            } for index in range(choices)],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion * choices,
                "total_tokens": prompt + completion * choices,
                "prompt_tokens_details": {"cached_tokens": min(cached, prompt)},
            },
        }, (user if refusal else None)  # fmt: skip

    def anthropic_reply(self, body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The reply, and the user turn when it is a refusal."""
        system_blocks = body.get("system") or []
        if isinstance(system_blocks, str):
            system_blocks = [{"type": "text", "text": system_blocks}]
        system = _text(system_blocks)
        marked = "cache_control" in body or any("cache_control" in b for b in system_blocks)
        messages = body.get("messages", [])
        user = _text(next((m["content"] for m in reversed(messages) if m.get("role") == "user"),
                          ""))  # fmt: skip
        text, refusal = self._answer(str(body.get("model")), system, user)
        prompt = _tokens(system) + sum(_tokens(_text(m.get("content"))) for m in messages)
        cached = self._cache_read(system, marked)
        return {
            "id": f"msg_{_digest(user)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [] if refusal else [{"type": "text", "text": text}],
            "stop_reason": "refusal" if refusal == "content_filter" else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt - cached,
                "output_tokens": 0 if refusal else _tokens(text),
                "cache_read_input_tokens": cached,
                "cache_creation_input_tokens": 0 if cached or not marked else _tokens(system),
            },
        }, (user if refusal else None)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None,
                      cut: bool = False) -> None:  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2] if cut else payload)
                self.wfile.flush()
                if cut:
                    self.close_connection = True
                    self.connection.shutdown(2)

            def _stream(self, reply: dict[str, Any], cut: bool = False,
                        malformed: bool = False) -> None:  # fmt: skip
                """An Anthropic Messages reply as server-sent events (``"stream": true``)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                events = anthropic_events(reply)
                if malformed:
                    events = [*events[:2], ("content_block_delta", "{not json")]
                for i, (name, data) in enumerate(events):
                    if cut and i == len(events) // 2:
                        break
                    payload = data if isinstance(data, str) else json.dumps(data)
                    self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
                self.wfile.flush()
                self.connection.shutdown(2)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api = "anthropic" if self.path.rstrip("/").endswith("/messages") else "openai"
                if not self.path.rstrip("/").endswith(("/chat/completions", "/messages")):
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                try:
                    body = json.loads(raw)
                except ValueError:  # a client that went away mid-request
                    self._send(400, b'{"error": {"message": "unreadable request"}}')
                    return
                attempt, fault = fake._plan(api, raw)
                record = Request(api, body, attempt, fault)
                error = {"openai": lambda kind, msg: {"error": {"type": kind, "message": msg}},
                         "anthropic": lambda kind, msg: {"type": "error",
                                                         "error": {"type": kind, "message": msg}}
                         }[api]  # fmt: skip
                try:
                    if fault == "rate_limit":
                        payload = json.dumps(error("rate_limit_error", "slow down")).encode()
                        self._send(429, payload, {"Retry-After": "1"})
                    elif fault in ("server_error", "unavailable", "overloaded"):
                        status = {
                            "server_error": 500,
                            "unavailable": 503,
                            "overloaded": 529 if api == "anthropic" else 503,
                        }[fault]
                        kind = "overloaded_error" if fault == "overloaded" else "api_error"
                        self._send(status, json.dumps(error(kind, fault)).encode())  # fmt: skip
                    elif fault == "malformed" and not body.get("stream"):
                        self._send(200, b'{"id": "x", "choices": [ {"message": ')
                    else:
                        if fault == "slow":
                            time.sleep(fake.slow_s)
                        reply, record.refused = (
                            fake.openai_reply if api == "openai" else fake.anthropic_reply
                        )(body)
                        if body.get("stream") and api == "anthropic":
                            self._stream(reply, fault == "dropped", fault == "malformed")
                        else:
                            self._send(200, json.dumps(reply).encode(), cut=fault == "dropped")
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass  # the client gave up (a slow reply past its timeout)
                fake.record(record)

        return Handler
