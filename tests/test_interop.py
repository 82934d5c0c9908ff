"""trendsum against a real OpenAI-compatible server: llama.cpp's `llama-server` with a tiny random-weight model.

The server is built from source and the model written locally by scripts/ (see scripts/README.md); `.ci/run`
does both. Without them these tests skip, saying why, so the README's plain test command passes on a fresh
machine. With TRENDSUM_INTEROP_REQUIRED=1 (as `.ci/run` sets once the build succeeded) they fail instead.

The model's answers are gibberish, but grammar-constrained to the schema in json_schema mode: exactly the case
where the grounding check must flag every quote and the pipeline must end every case cleanly. Requests go
through a recording pass-through proxy on 127.0.0.1, so each test can count what the engine really sent.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fake_openai import case_text

from trendsum.domain import grounding
from trendsum.engines.openai import MODES
from trendsum.queue.store import Store

pytestmark = pytest.mark.interop

CACHE = Path(os.environ.get("TRENDSUM_INTEROP_CACHE") or Path.home() / ".cache" / "trendsum-interop")
BINARY = CACHE / "bin" / "llama-server"
MODEL_FILE = CACHE / "tiny-llama.gguf"
MODEL = "tiny-llama"
REQUIRED = os.environ.get("TRENDSUM_INTEROP_REQUIRED") == "1"  # read at import: the autouse fixture clears TRENDSUM_*
# Per request (slot) context is CTX / PARALLEL. The instructions take about 1,000 tokens of this model's byte-level
# vocabulary (the schema travels in the response format only), so a slot of 12,288 holds them, a short case, two
# re-asks and the answer.
CTX, PARALLEL = 24_576, 2
SMALL_CTX = 1_024  # 512 per slot: too small for the instructions (about 1,000 of this model's tokens), whatever the case

CASES = {
    "orkney-library-wifi.md": """# Orkney Islands Council: wifi in every library

## The challenge

Residents on the outer isles had no reliable internet access, and the mobile library service could not
take online bookings or card payments on the road.

## What we did

The digital team fitted 4G routers to both mobile library vans in 2023 and moved bookings to an online
form that works offline and synchronises when the van is back in range.

## Results

Online bookings rose from none to 1,200 in the first year, and card payments replaced cash on every route.

## Lessons learnt

Test the equipment on the longest ferry route first: the weakest signal decides whether the service works.
""",
    "dundee-parking-permits.txt": """Dundee City Council: parking permits without paper

Dundee City Council in Scotland issues around 9,000 residents' parking permits a year.
The main problem was a paper renewal process that generated 3,000 phone calls every March.
The council replaced paper permits with virtual permits linked to the vehicle registration.
Wardens check permits with handheld devices that read number plates.
As a result, renewal calls fell by 80% and permits are issued the same day.
""",
    "powys-school-meals.md": """# Powys County Council: predicting school meal numbers

Powys County Council, in Wales, used a forecasting model in 2024 to predict how many school meals each
kitchen should prepare. The catering team combined attendance records with menu choices.
Food waste fell by a quarter across the 30 pilot schools, saving £60,000 a year.
""",
}


# -- the peer ----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Peer:
    """A llama-server on 127.0.0.1, started with the flags of scripts/interop_peer.sh, stopped by its pid.

    One thread: on a busy two-core machine llama.cpp's threads busy-wait for each other, and two were 15 to 30
    times slower than one (scripts/README.md)."""

    def __init__(self, ctx: int, log: Path, *, model_file: Path = MODEL_FILE, alias: str = MODEL,
                 parallel: int = PARALLEL, threads: int = 1, start_within: float = 30) -> None:  # fmt: skip
        self.ctx, self.log = ctx, log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BINARY), "--model", str(model_file), "--alias", alias, "--host", "127.0.0.1",
             "--port", str(self.port), "--ctx-size", str(ctx), "--parallel", str(parallel), "--threads", str(threads),
             "--jinja", "--no-webui", "--seed", "7"],
            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + start_within
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"llama-server did not start; log {log}:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _start(ctx: int, log: Path) -> Peer:
    missing = [str(path) for path in (BINARY, MODEL_FILE) if not path.is_file()]
    if missing:
        why = (f"interop peer not built ({', '.join(missing)} missing): run scripts/build_llama_server.sh and "
               "scripts/make_tiny_gguf.py, or `bash .ci/run`")  # fmt: skip
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)
    return Peer(ctx, log)


@pytest.fixture(scope="session")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    started = _start(CTX, tmp_path_factory.mktemp("peer") / "llama-server.log")
    yield started
    started.stop()


@pytest.fixture(scope="module")
def small_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    started = _start(SMALL_CTX, tmp_path_factory.mktemp("small-peer") / "llama-server.log")
    yield started
    started.stop()


# -- a recording pass-through proxy ---------------------------------------------------------------------------


@dataclass
class Exchange:
    path: str
    request: dict[str, Any]
    status: int
    response: dict[str, Any]
    seconds: float


@dataclass
class Proxy:
    """Forwards every request to the peer unchanged (unless `refuse_json_schema`) and records the exchange."""

    upstream_port: int
    refuse_json_schema: bool = False
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def chats(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.endswith("/chat/completions")]

    def modes(self) -> list[str]:
        def mode(body: dict[str, Any]) -> str:
            return "tools" if "tools" in body else body.get("response_format", {}).get("type", "json")

        return [mode(e.request) for e in self.chats]


@pytest.fixture
def proxy(peer: Peer) -> Iterator[Proxy]:
    yield from _proxy(peer)


@pytest.fixture
def small_proxy(small_peer: Peer) -> Iterator[Proxy]:
    yield from _proxy(small_peer)


def _proxy(peer: Peer) -> Iterator[Proxy]:
    state = Proxy(peer.port)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._forward(b"")

        def do_POST(self) -> None:
            self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _forward(self, payload: bytes) -> None:
            started = time.monotonic()
            body = json.loads(payload) if payload else {}
            if state.refuse_json_schema and body.get("response_format", {}).get("type") == "json_schema":
                status, answer = 400, json.dumps({"error": {"code": 400, "type": "invalid_request_error",
                    "message": "response_format type json_schema is not supported"}}).encode()  # fmt: skip
            else:
                upstream = http.client.HTTPConnection("127.0.0.1", state.upstream_port, timeout=120)
                upstream.request(self.command, self.path, payload or None, {"Content-Type": "application/json"})
                reply = upstream.getresponse()
                status, answer = reply.status, reply.read()
                upstream.close()
            try:
                decoded = json.loads(answer) if answer else {}
            except json.JSONDecodeError:
                decoded = {"raw": answer.decode(errors="replace")}
            state.exchanges.append(Exchange(self.path, body, status, decoded, time.monotonic() - started))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield state
    server.shutdown()
    server.server_close()


# -- driving the real CLI ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def bounded_answers(tmp_path: Path) -> None:
    """The random model's answers take 300 to 500 tokens; a cap bounds the rare one that never closes its JSON
    (it then ends as a truncated answer, a clean failure), so a test's time does not depend on luck."""
    (tmp_path / "trendsum.toml").write_text("max_output_tokens = 1024\n", encoding="utf-8")



def trendsum(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """`python -m trendsum ...` in the test's folder, as a person would run it."""
    result = subprocess.run([sys.executable, "-m", "trendsum", *args], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def summarise(proxy: Proxy, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return trendsum("summarise", str(folder), "--engine", "openai", "--base-url", proxy.url,  # type: ignore[attr-defined]
                    "--model", MODEL, "--max-retries", "0", "--timeout", "60", *extra)  # fmt: skip


def write_cases(folder: Path, cases: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in cases.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def records() -> dict[str, dict[str, Any]]:
    exported = trendsum("export", "--status", "pending").stdout
    return {r["id"]: r for r in map(json.loads, exported.splitlines())}


def failure_reasons(db: Path) -> dict[str, str]:
    with Store(db) as store:
        return {f.case_id: f.reason for f in store.failures()}


def assert_every_case_flagged_or_failed(case_ids: list[str], db: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Each case is a record none of whose points counts as grounded, or a failure with a reason."""
    saved, failed = records(), failure_reasons(db)
    for case_id in case_ids:
        assert (case_id in saved) != (case_id in failed), case_id
        if case_id in saved:
            record = saved[case_id]
            assert record["grounding"]["supported"] == 0, record  # gibberish is never backed by evidence
        else:
            assert failed[case_id].strip()
    return saved, failed


# -- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["summarise-v2", "summarise-v1"])
def test_gibberish_in_json_schema_mode_ends_as_flagged_records_or_failures(prompt: str, proxy: Proxy, tmp_path: Path,
                                                                           db: Path) -> None:  # fmt: skip
    """With sentence ids (v2), the server's grammar lets the model cite only the case's own sentences, so every
    citation resolves and gibberish is caught by the support check; with quotes (v1), by the grounding check."""
    folder = write_cases(tmp_path / "cases", CASES)
    started = time.monotonic()
    result = summarise(proxy, folder, "--mode", "json_schema", "--max-attempts", "2", "--concurrency", "2",
                       "--prompt", prompt)  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode in (0, 1), result.stderr
    ids = [Path(name).stem for name in CASES]
    saved, failed = assert_every_case_flagged_or_failed(ids, db)
    assert set(proxy.modes()) == {"json_schema"}
    assert len(proxy.chats) <= len(CASES) * 2  # bounded by --max-attempts
    cited = 0
    for exchange in proxy.chats:  # grammar-constrained: every answer that finished is JSON
        assert exchange.status == 200
        choice = exchange.response["choices"][0]
        if choice["finish_reason"] == "stop":
            answer = json.loads(choice["message"]["content"])
            if prompt == "summarise-v2":
                valid = exchange.request["response_format"]["json_schema"]["schema"]["$defs"]["SentenceId"]["enum"]
                for sentence_id in _evidence(answer):  # whether or not the answer passed validation
                    cited += 1
                    assert sentence_id in valid, sentence_id  # the grammar allows no other id
            else:
                source = grounding.normalise(case_text(exchange.request))
                for quote in _evidence(answer):
                    cited += 1
                    assert not grounding.quote_in_source(quote, source), quote
    for record in saved.values():
        assert record["provenance"]["mode"] == "json_schema"
        assert all(not point["supported"] for point in _points(record))
        if prompt == "summarise-v2":
            assert all(e.get("sentence") for point in _points(record) for e in point["evidence"])
    print(f"\ninterop json_schema {prompt}: {len(saved)} record(s), {len(failed)} failure(s), {len(proxy.chats)} "
          f"request(s), {cited} citation(s), {elapsed / len(CASES):.2f} s per case; "
          f"failures: {sorted(set(failed.values()))}")  # fmt: skip


def _evidence(node: Any) -> Iterator[str | int]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "evidence" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str | int))
            else:
                yield from _evidence(value)
    elif isinstance(node, list):
        for item in node:
            yield from _evidence(item)


def _points(record: dict[str, Any]) -> list[dict[str, Any]]:
    points = [record["overview"]] if record.get("overview") else []
    for section in ("challenges", "approach", "outcomes", "unintended_consequences", "lessons"):
        points += record.get(section) or []
    return points


def test_auto_mode_picks_json_schema_and_remembers_it(proxy: Proxy, tmp_path: Path, db: Path) -> None:
    first = dict(list(CASES.items())[:1])
    folder = write_cases(tmp_path / "cases", first)
    summarise(proxy, folder, "--max-attempts", "1")
    assert proxy.modes() == ["json_schema"]  # the first mode tried works: no fallback
    with Store(db) as store:
        assert store.endpoint_mode(proxy.url, MODEL) == "json_schema"  # type: ignore[attr-defined]
    before = len(proxy.chats)
    summarise(proxy, write_cases(tmp_path / "more", dict(list(CASES.items())[1:2])), "--max-attempts", "1")
    assert proxy.modes()[before:] == ["json_schema"]  # one request for the one case, in the remembered mode


def test_json_schema_refused_falls_back_past_tools_the_server_ignores(proxy: Proxy, tmp_path: Path,
                                                                      db: Path) -> None:  # fmt: skip
    # As an older server would: json_schema refused. llama-server then takes `tools` but ignores the named
    # tool_choice, so the model answers in prose; json_object with the schema is what really works there.
    proxy.refuse_json_schema = True
    folder = write_cases(tmp_path / "cases", dict(list(CASES.items())[:1]))
    result = summarise(proxy, folder, "--max-attempts", "1")
    assert result.returncode in (0, 1), result.stderr
    modes = proxy.modes()
    assert modes[0] == "json_schema" and "tools" in modes
    with Store(db) as store:
        remembered = store.endpoint_mode(proxy.url, MODEL)  # type: ignore[attr-defined]
    tool_answer = next(e.response["choices"][0] for e in proxy.chats if "tools" in e.request)
    if tool_answer["message"].get("tool_calls"):  # the model may call the tool unforced, now and then
        assert remembered == "tools"
    elif tool_answer["finish_reason"] == "length":  # a cut-off answer proves nothing: nothing remembered
        assert remembered is None and modes == ["json_schema", "tools"]
    else:  # prose: the server ignored tool_choice, so tools is no working mode there
        assert remembered == "json_object" and modes == ["json_schema", "tools", "json_object"]


def test_case_longer_than_the_context_is_split_or_fails_clearly_with_bounded_requests(proxy: Proxy, tmp_path: Path,
                                                                                       db: Path) -> None:  # fmt: skip
    text = "\n\n".join(f"## Part {n}\n\n{body}" for n in range(16) for body in CASES.values())
    folder = write_cases(tmp_path / "long", {"highland-long-review.md": f"# A long review\n\n{text}"})
    started = time.monotonic()
    result = summarise(proxy, folder, "--mode", "json_schema", "--max-attempts", "2")
    elapsed = time.monotonic() - started
    assert result.returncode in (0, 1)
    first = proxy.chats[0]
    assert first.status == 400 and first.response["error"]["type"] == "exceed_context_size_error"
    rejected = [e for e in proxy.chats if e.status == 400]
    pieces = len(proxy.chats) - 1
    assert len(rejected) <= 2 and pieces <= 6 * 2  # one rejection, then at most a few pieces, each asked twice
    saved, failed = assert_every_case_flagged_or_failed(["highland-long-review"], db)
    print(f"\ninterop long case ({len(text):,} chars, n_ctx {CTX // PARALLEL} per slot): "
          f"{'record' if saved else 'failed: ' + next(iter(failed.values()))[:120]}; "
          f"{len(proxy.chats)} request(s), {elapsed:.2f} s")  # fmt: skip


def test_context_too_small_for_the_instructions_fails_each_case_at_once(small_proxy: Proxy, tmp_path: Path,
                                                                         db: Path) -> None:  # fmt: skip
    folder = write_cases(tmp_path / "cases", dict(list(CASES.items())[:2]))
    result = summarise(small_proxy, folder, "--concurrency", "1")
    assert result.returncode == 1
    assert small_proxy.modes() == ["json_schema", "json_schema"]  # one request per case, no fallback, no loop
    reasons = failure_reasons(db)
    for reason in reasons.values():
        assert reason.startswith(f"the case study is too long for the context of {MODEL}")
        assert f"the server takes {SMALL_CTX // PARALLEL} per request" in reason
        assert "Start the server with a larger context" in reason
    with Store(db) as store:
        assert store.endpoint_mode(small_proxy.url, MODEL) is None  # type: ignore[attr-defined]


def test_truncated_answers_end_the_case_after_one_request(proxy: Proxy, tmp_path: Path, db: Path) -> None:
    Path("trendsum.toml").write_text("max_output_tokens = 12\n", encoding="utf-8")
    folder = write_cases(tmp_path / "cases", dict(list(CASES.items())[:1]))
    result = summarise(proxy, folder, "--max-attempts", "3")
    assert result.returncode == 1
    assert len(proxy.chats) == 1 and proxy.chats[0].response["choices"][0]["finish_reason"] == "length"
    assert "truncated (finish_reason=length)" in next(iter(failure_reasons(db).values()))


def test_doctor_reports_the_modes_of_the_real_server_in_seconds(proxy: Proxy, db: Path) -> None:
    with Store(db) as store:  # a queue to remember the working mode in (doctor creates none)
        store.ensure_file()
    started = time.monotonic()
    result = trendsum("doctor", "--engine", "openai", "--base-url", proxy.url, "--model", MODEL)  # type: ignore[attr-defined]
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout
    assert elapsed < 15, f"doctor took {elapsed:.1f} s"  # it once asked for four full summaries: minutes
    sizes = [e.request["max_tokens"] for e in proxy.chats]  # the modes, the size, then the two evidence styles
    assert len(sizes) == len(MODES) + 3 and all(size <= 64 for size in sizes) and sizes.count(1) == 1
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.stdout.splitlines()
            if line.count("│") >= 3 and line.split("│")[1].strip()}  # fmt: skip
    assert rows["reachable"] == rows["model"] == "yes"
    assert rows["mode json_schema"] == rows["mode json_object"] == "yes"
    assert rows["context"] == "yes" and f"{CTX // PARALLEL} tokens per request" in result.stdout
    assert {rows["evidence sentences"], rows["evidence quotes"]} <= {"yes", "no"}  # asked; random weights say which
    with Store(db) as store:
        assert store.endpoint_mode(proxy.url, MODEL) == "json_schema"  # type: ignore[attr-defined]
    print(f"\ninterop doctor: {elapsed:.2f} s (the process included); "
          f"{', '.join(f'{name}={ok}' for name, ok in rows.items() if name.startswith('mode'))}")
