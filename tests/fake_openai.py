"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for driving the real `openai` client.

Tests enqueue replies (a good answer, invalid JSON, a refusal, a 429 with Retry-After, a slow answer, a
dropped connection, an HTML page, an answer that never comes...) and read back what the server received.
When the script runs dry and no responder is set, the server answers 500 and records the request as
unexpected: the fixture fails the test on it.
The benchmark under bench/ uses it too, with a responder and a fixed latency.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TEST_KEY = "test-key-a1b2c3d4e5f6-secret"  # looks nothing like a real key, so no scanner mistakes it for one


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict (sent as JSON), str or bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    hang: bool = False  # never answer (until the server stops): a server stuck or still loading a model
    content_type: str | None = None  # instead of the one the body's type implies (a proxy's text/html page...)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    started: float
    finished: float = 0.0


def completion(
    content: str | dict[str, Any] | None = None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    tool_arguments: str | dict[str, Any] | None = None,
    usage: tuple[int, int] = (120, 80),
    delay: float = 0.0,
) -> Reply:
    if isinstance(content, dict):
        content = json.dumps(content)
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_arguments is not None:
        arguments = tool_arguments if isinstance(tool_arguments, str) else json.dumps(tool_arguments)
        message["content"] = None
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": "case_summary", "arguments": arguments}}
        ]
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }
    return Reply(body=body, delay=delay)


def error(status: int, message: str, *, headers: dict[str, str] | None = None, delay: float = 0.0) -> Reply:
    return Reply(status, {"error": {"message": message, "type": "invalid_request_error", "code": None}},
                 headers or {}, delay)  # fmt: skip


_CASE = re.compile(r"CASE-([0-9a-f]{16})-BEGIN\n(.*?)\nCASE-\1-END", re.S)


def case_text(request: dict[str, Any]) -> str:
    """The case study inside the first user message, between its markers."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    match = _CASE.search(user)
    assert match, "the user message does not delimit the case study"
    return match.group(2)


_NUMBERED = re.compile(r"^\[(\d+)\] (.*)$")


def good_answer(request: dict[str, Any]) -> dict[str, Any]:
    """A valid, grounded answer for whatever case the request carries (the offline engine's summary), in the
    evidence style the prompt asks for: ids when it shows the case as numbered sentences, else quotes."""
    from trendsum.domain import answers
    from trendsum.engines.offline import summarise_case
    from trendsum.ingest import Source, parse_text

    text, sentences = _unnumbered(case_text(request))
    case = parse_text(text, Source(Path("case.md"), "case"), sha256="0" * 64)
    style = answers.SENTENCES if sentences else answers.QUOTES
    return answers.as_answer(summarise_case(case), style, sentences)


def _unnumbered(shown: str) -> tuple[str, list[Any]]:
    """A case shown as numbered sentences, as text again (paragraphs kept) with its sentences under their ids;
    a case shown as text, unchanged and without sentences."""
    from trendsum.domain.sentences import Sentence

    lines = shown.split("\n")
    if not all(_NUMBERED.match(line) for line in lines if line):
        return shown, []
    text, sentences, paragraph = "", [], 0
    for line in lines:
        match = _NUMBERED.match(line)
        if match is None:
            paragraph += 1
            text += "\n"
            continue
        start = len(text)
        text += match[2] + "\n"
        sentences.append(Sentence(int(match[1]), start, start + len(match[2]), match[2], paragraph, False))
    return text, sentences


def answer_for(request: dict[str, Any], **kwargs: Any) -> Reply:
    """A good answer in the shape the request's mode expects (tools mode answers with a tool call).

    As a real server would: a request with max_tokens=1 is cut off after one token, its prompt counted (about
    four characters a token); a request that carries no case study (`doctor`'s mode probe) gets the short
    answer it asks for."""
    if request.get("max_tokens") == 1:
        return completion("{", finish_reason="length", usage=(prompt_tokens(request), 1), **kwargs)
    answer = good_answer(request) if _has_case(request) else _probe_answer(request)
    if request.get("tools"):
        return completion(tool_arguments=answer, **kwargs)
    return completion(answer, **kwargs)


def _probe_answer(request: dict[str, Any]) -> dict[str, Any]:
    """What a capable model says to `doctor`'s probes: "ok" to a mode probe; the sentence about waiting times,
    by number or copied, to an evidence probe."""
    asked = " ".join(m.get("content") or "" for m in request["messages"])
    if '{"evidence": [its number]}' in asked:
        return {"evidence": [3]}
    if '{"quote": "the sentence"}' in asked:
        return {"quote": "Waiting times for a card fell from ten days to two."}
    return {"answer": "ok"}


def prompt_tokens(request: dict[str, Any]) -> int:
    text = "".join(m.get("content") or "" for m in request["messages"])
    return len(text + json.dumps(request.get("tools") or "")) // 4


def _has_case(request: dict[str, Any]) -> bool:
    return any(_CASE.search(m.get("content") or "") for m in request["messages"] if m["role"] == "user")


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops bursts of connections, which then wait 1 s to retry
    daemon_threads = True


class FakeOpenAI:
    def __init__(self, responder: Callable[[dict[str, Any]], Reply] | None = None, latency: float = 0.0) -> None:
        self.script: deque[Reply | Callable[[dict[str, Any]], Reply]] = deque()
        self.responder = responder
        self.latency = latency
        self.received: list[Received] = []
        self.unexpected: list[Received] = []
        self.models = ["test-model"]
        self.models_reply: Reply | None = None  # instead of the list of `models`
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[Received]:
        return [r for r in self.received if r.path.endswith("/chat/completions")]

    def enqueue(self, *replies: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        self.script.extend(replies)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # lets hanging replies go
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any], received: Received) -> Reply:
        with self._lock:
            scripted = self.script.popleft() if self.script else None
        if scripted is None and self.responder is None:
            self.unexpected.append(received)
            return error(500, "fake server: the script ran dry")
        source = scripted if scripted is not None else self.responder
        reply = source(body) if callable(source) else source
        return reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out as two writes: without NODELAY, Nagle's algorithm and the client's
                # delayed ACK hold the body back ~40 ms, which real servers (uvicorn, llama.cpp) do not do
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/stats"):  # for bench/: counts seen from outside the process
                    stats = {"chat_requests": len(fake.chat_requests), "max_in_flight": fake.max_in_flight}
                    self._send(Reply(body=stats))
                elif self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in fake.models]
                    self._answer(fake.models_reply or Reply(body={"object": "list", "data": data}))
                else:
                    self._send(error(404, f"no route {self.path}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with fake._lock:
                    fake.received.append(received)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    reply = fake._next(body, received)
                    time.sleep(fake.latency)
                    self._answer(reply)
                finally:
                    received.finished = time.monotonic()
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                time.sleep(reply.delay)
                if reply.hang:
                    fake._closing.wait()
                if reply.drop or reply.hang:
                    self.close_connection = True
                    self.connection.close()
                    return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if isinstance(reply.body, bytes):
                    payload, kind = reply.body, "application/octet-stream"
                elif isinstance(reply.body, str):
                    payload, kind = reply.body.encode(), "text/plain"
                else:
                    payload, kind = json.dumps(reply.body).encode(), "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type or kind)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

        return Handler
