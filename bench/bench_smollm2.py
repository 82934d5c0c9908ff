"""trendsum against a real small model: SmolLM2-135M-Instruct served by llama.cpp, over a folder of case studies.

    python bench/bench_smollm2.py                                   # the shipped inputs/, this source tree
    python bench/bench_smollm2.py --trendsum-src /tmp/before/src    # an older copy, for before/after figures

Needs the interop peer: `bash scripts/build_llama_server.sh` and `bash scripts/fetch_smollm2.sh` (see
scripts/README.md). Run by hand; it takes minutes (the model writes tens of tokens a second under a grammar).

Starts its own llama-server (one slot, one thread) behind a recording proxy, then runs the real CLI
(`python -m trendsum summarise FILE --engine openai --concurrency 1 ...`) once per case file, one after another,
all into one queue. One process per case gives each case its own wall time and its own time cap (a case that
passes --case-timeout is killed and counted as "timed out"); the time includes the process start, about a second.

Prints, per case: wall time, the result (record, with its grounded points, or failed with the reason),
attempts, prompt and completion tokens (from the proxy: every call, including those of failed cases). Then the
totals the issue asks for: wall time per case, the share of cases ending with a record, output tokens per
record, and prompt tokens other than the case text per call. The case text is counted with the server's own
tokenizer (`/tokenize`) in two ways: the case block between the prompt's CASE-…-BEGIN/END markers as sent
(whatever numbering or markup the prompt adds counts as case text), and the source file's text as written
(then such markup counts as overhead). The first call of a case carries only instructions, schema and case; the
re-asks add the previous answer and the problems found, so both are printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import select
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TRENDSUM_INTEROP_CACHE") or Path.home() / ".cache" / "trendsum-interop")
MODEL = "smollm2"
READABLE = {".txt", ".md", ".html", ".htm", ".docx", ".odt", ".pdf"}
CASE_BLOCK = re.compile(r"CASE-([0-9A-Za-z]+)-BEGIN\n(.*?)\nCASE-\1-END", re.S)


# -- the server and a recording proxy in front of it ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(binary: Path, model: Path, ctx: int, threads: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "--model", str(model), "--alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
         "--ctx-size", str(ctx), "--parallel", "1", "--threads", str(threads), "--jinja", "--no-webui", "--seed", "7"],
        stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"llama-server did not start; log {log}:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


@dataclass
class Call:
    case: str
    status: int
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    case_block: str | None  # the text between the prompt's case markers, if it has them
    seconds: float
    generation_speed: float | None  # tokens per second as llama-server timed them: how busy the machine was


@dataclass
class Recorder:
    upstream: str
    current_case: str = ""
    calls: list[Call] = field(default_factory=list)


def start_proxy(recorder: Recorder) -> tuple[ThreadingHTTPServer, str]:
    host, port = recorder.upstream.removeprefix("http://").split(":")

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
            # No timeout of our own: trendsum's --timeout (and the case cap) decide how long an answer may take.
            upstream = http.client.HTTPConnection(host, int(port))
            upstream.request(self.command, self.path, payload or None, {"Content-Type": "application/json"})
            replies: list[tuple[int, bytes]] = []

            def fetch() -> None:
                try:
                    reply = upstream.getresponse()
                    replies.append((reply.status, reply.read()))
                except OSError:
                    pass

            waiter = threading.Thread(target=fetch, daemon=True)
            waiter.start()
            while waiter.is_alive():
                waiter.join(0.5)
                if waiter.is_alive() and client_gone(self.connection):
                    # A case killed at its cap: close upstream too, so llama-server cancels the generation
                    # instead of finishing it while the next case waits for the only slot.
                    if upstream.sock is not None:
                        upstream.sock.shutdown(socket.SHUT_RDWR)
                    waiter.join(5)
                    upstream.close()
                    self.close_connection = True
                    return
            upstream.close()
            if not replies:
                self.close_connection = True
                return
            status, answer = replies[0]
            if self.path.endswith("/chat/completions"):
                recorder.calls.append(describe(recorder.current_case, payload, status, answer,
                                               time.monotonic() - started))  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def client_gone(connection: socket.socket) -> bool:
    """True when the client closed its end: readable, yet nothing to read."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def describe(case: str, payload: bytes, status: int, answer: bytes, seconds: float) -> Call:
    try:
        request = json.loads(payload)
        user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
        match = CASE_BLOCK.search(user if isinstance(user, str) else json.dumps(user))
        block = match.group(2) if match else None
    except (json.JSONDecodeError, AttributeError):
        block = None
    try:
        body = json.loads(answer)
    except json.JSONDecodeError:
        body = {}
    usage = body.get("usage") or {}
    choice = (body.get("choices") or [{}])[0]
    speed = (body.get("timings") or {}).get("predicted_per_second")
    return Call(case, status, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                str(choice.get("finish_reason") or f"http {status}"), block, seconds,
                float(speed) if isinstance(speed, int | float) else None)  # fmt: skip


def tokens(server: str, text: str) -> int:
    request = urllib.request.Request(f"{server}/tokenize", json.dumps({"content": text}).encode(),
                                     {"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return len(json.load(response)["tokens"])


# -- running trendsum ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    wall: float
    result: str  # "record", "failed", "timed out" or "not run"
    detail: str
    attempts: int | None
    calls: list[Call]


def trendsum_env(src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRENDSUM_", "OPENAI_", "AZURE_OPENAI"))}
    env.update(NO_COLOR="1", COLUMNS="200", OPENAI_API_KEY="none")  # the SDK wants a key; llama-server none
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def run_case(path: Path, args: argparse.Namespace, proxy_url: str, db: Path, work: Path) -> tuple[float, str, str]:
    """Summarise one file; return wall seconds, how the process ended, and its output's tail."""
    command = [sys.executable, "-m", "trendsum", "summarise", str(path), "--engine", "openai",
               "--base-url", proxy_url, "--model", MODEL, "--db", str(db), "--concurrency", "1",
               "--max-output-tokens", str(args.max_output_tokens), "--max-retries", "0",
               "--timeout", str(args.case_timeout), "--verbose"]  # fmt: skip
    if args.prompt:
        command += ["--prompt", args.prompt]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=work, env=trendsum_env(args.trendsum_src), capture_output=True,
                              text=True, timeout=args.case_timeout, stdin=subprocess.DEVNULL)  # fmt: skip
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, "timed out", ""
    output = done.stdout + done.stderr
    how = "crashed" if "Traceback" in output or done.returncode not in (0, 1) else f"exit {done.returncode}"
    return time.monotonic() - started, how, output[-1500:]


def queue_state(db: Path, args: argparse.Namespace, work: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Records (from `trendsum export`, as a user sees them) and the latest failure per case (from the queue)."""
    exported = subprocess.run([sys.executable, "-m", "trendsum", "export", "--status", "pending", "--db", str(db)],
                              cwd=work, env=trendsum_env(args.trendsum_src), capture_output=True, text=True,
                              check=False)  # fmt: skip
    records = {}
    for line in exported.stdout.splitlines():
        if line.strip().startswith("{"):
            record = json.loads(line)
            records[record["id"]] = record
    failures: dict[str, Any] = {}
    if db.exists():
        with sqlite3.connect(db) as connection:
            for case_id, reason, attempts in connection.execute(
                "SELECT case_id, reason, attempts FROM failures ORDER BY id"
            ):
                failures[case_id] = (reason, attempts)
    return records, failures


def grounding_note(record: dict[str, Any]) -> str:
    grounding = record.get("grounding") or {}
    parts = [f"{grounding.get('supported', '?')}/{grounding.get('total', '?')} grounded"]
    for key, value in grounding.items():  # whatever else a newer grounding reports (say, unsupported points)
        if key not in ("supported", "total") and isinstance(value, int | float):
            parts.append(f"{key} {value}")
    return ", ".join(parts)


# -- report --------------------------------------------------------------------------------------------------


def report(outcomes: list[Outcome], server: str, inputs: Path, args: argparse.Namespace, total_wall: float) -> None:
    print(f"\n{'case':<46} {'wall s':>7}  {'result':<10} {'att':>3} {'calls':>5} {'prompt':>7} {'compl':>6}  detail")
    for o in outcomes:
        prompt = sum(c.prompt_tokens for c in o.calls)
        completion = sum(c.completion_tokens for c in o.calls)
        attempts = "-" if o.attempts is None else str(o.attempts)
        print(f"{o.case[:46]:<46} {o.wall:7.1f}  {o.result:<10} {attempts:>3} {len(o.calls):>5} {prompt:>7} "
              f"{completion:>6}  {o.detail}")  # fmt: skip
        for n, call in enumerate(o.calls, 1):
            speed = "" if call.generation_speed is None else f"  {call.generation_speed:.1f} tokens/s"
            print(f"{'':<8}call {n}: {call.seconds:6.1f} s  {call.prompt_tokens:>5} prompt  "
                  f"{call.completion_tokens:>5} completion  finish {call.finish_reason}{speed}")  # fmt: skip

    ran = [o for o in outcomes if o.result != "not run"]
    made = [o for o in ran if o.result == "record"]
    calls = [c for o in ran for c in o.calls if c.status == 200]
    print("\ntotals")
    print(f"  cases run: {len(ran)} of {len(outcomes)}; records {len(made)}, failed "
          f"{sum(o.result == 'failed' for o in ran)}, timed out {sum(o.result == 'timed out' for o in ran)}, "
          f"crashed {sum(o.result == 'crashed' for o in ran)}")  # fmt: skip
    if ran:
        walls = [o.wall for o in ran]
        print(f"  wall time per case: mean {statistics.mean(walls):.1f} s, median {statistics.median(walls):.1f} s, "
              f"max {max(walls):.1f} s (all cases {sum(walls):.0f} s; bench total {total_wall:.0f} s)")  # fmt: skip
        print(f"  share of cases ending with a record: {len(made)}/{len(ran)} = {len(made) / len(ran):.0%}")
    if made:
        per_record = [sum(c.completion_tokens for c in o.calls) for o in made]
        print(f"  output tokens per record (all calls of the case): mean {statistics.mean(per_record):.0f}, "
              f"median {statistics.median(per_record):.0f}")  # fmt: skip
    else:
        print("  output tokens per record: no record")
    print(f"  output tokens per call: mean {statistics.mean(c.completion_tokens for c in calls):.0f} "
          f"over {len(calls)} call(s)" if calls else "  no successful call")  # fmt: skip
    speeds = [c.generation_speed for c in calls if c.generation_speed]
    if speeds:  # the same model runs at 35-40 tokens/s on an idle machine: lower means the figures above are load
        print(f"  generation speed (llama-server's timings): median {statistics.median(speeds):.1f} tokens/s, "
              f"min {min(speeds):.1f}, max {max(speeds):.1f}")  # fmt: skip
    if calls:
        overhead(ran, server, inputs)
    print(f"\nsettings: model {args.model_file.name}, ctx {args.ctx} (1 slot), {args.threads} thread(s), "
          f"--max-output-tokens {args.max_output_tokens}, default --max-attempts, --max-retries 0, "
          f"--timeout {args.case_timeout}, case cap {args.case_timeout:.0f} s, budget {args.budget:.0f} s, "
          f"prompt {args.prompt or '(default)'}, "
          f"trendsum from {args.trendsum_src or 'the installed package'}")  # fmt: skip


def overhead(ran: list[Outcome], server: str, inputs: Path) -> None:
    """Prompt tokens other than the case text, per call: counted against the block sent and the file's text."""
    source_tokens = {o.case: tokens(server, source_text(inputs, o.case)) for o in ran}
    block_tokens: dict[str, int] = {}
    by_block, by_source, first_block, first_source = [], [], [], []
    for o in ran:
        for n, call in enumerate(c for c in o.calls if c.status == 200):
            by_source.append(call.prompt_tokens - source_tokens[o.case])
            if call.case_block is not None:
                if call.case_block not in block_tokens:
                    block_tokens[call.case_block] = tokens(server, call.case_block)
                by_block.append(call.prompt_tokens - block_tokens[call.case_block])
            if n == 0:
                first_source.append(by_source[-1])
                if call.case_block is not None:
                    first_block.append(by_block[-1])

    def line(label: str, values: list[int]) -> None:
        if values:
            print(f"  {label}: mean {statistics.mean(values):.0f}, min {min(values)}, max {max(values)} "
                  f"({len(values)} call(s))")  # fmt: skip

    print("  prompt tokens other than the case text, per call:")
    line("  first call of each case, minus the case block as sent", first_block)
    line("  first call of each case, minus the file's text", first_source)
    line("  every call (re-asks too), minus the case block as sent", by_block)
    line("  every call (re-asks too), minus the file's text", by_source)
    if not by_block:
        print("    (no CASE-…-BEGIN/END markers found in the prompts: only the file's text was subtracted)")


def source_text(inputs: Path, case: str) -> str:
    path = next(p for p in case_files(inputs) if p.stem == case)
    return path.read_text(encoding="utf-8", errors="replace")


def case_files(inputs: Path) -> list[Path]:
    return sorted(p for p in inputs.rglob("*") if p.is_file() and p.suffix.lower() in READABLE
                  and p.name.lower() != "readme.md")  # fmt: skip


# -- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=Path, default=ROOT / "inputs", help="folder of case studies")
    parser.add_argument("--prompt", help="trendsum prompt name (default: trendsum's default)")
    parser.add_argument("--max-output-tokens", type=int, default=1024, help="trendsum --max-output-tokens")
    parser.add_argument("--trendsum-src", type=Path, help="run trendsum from this source folder (PYTHONPATH)")
    parser.add_argument("--case-timeout", type=float, default=300, help="kill a case after this many seconds")
    parser.add_argument("--budget", type=float, default=2400, help="start no case after this many seconds")
    parser.add_argument("--limit", type=int, help="run only the first N case files")
    parser.add_argument("--ctx", type=int, default=8192, help="llama-server --ctx-size (SmolLM2 trained on 8192)")
    # One thread: llama.cpp's threads spin at every barrier, so on two cores shared with anything else two threads
    # ran 15-30 times slower than one (1.8-2.1 against 30-56 tokens/s, measured with test suites running).
    parser.add_argument("--threads", type=int, default=1, help="llama-server --threads")
    parser.add_argument("--binary", type=Path, default=CACHE / "bin" / "llama-server")
    parser.add_argument("--model-file", type=Path, default=CACHE / "smollm2-135m-instruct-q4_1.gguf")
    args = parser.parse_args()
    if args.trendsum_src is not None:
        args.trendsum_src = args.trendsum_src.resolve()
    for needed, how in ((args.binary, "scripts/build_llama_server.sh"), (args.model_file, "scripts/fetch_smollm2.sh")):
        if not needed.is_file():
            sys.exit(f"{needed} missing: run bash {how} (see scripts/README.md)")
    files = case_files(args.inputs)[: args.limit]
    if not files:
        sys.exit(f"no case studies in {args.inputs}")

    work = Path(tempfile.mkdtemp(prefix="bench-smollm2-"))
    process, server = start_server(args.binary, args.model_file, args.ctx, args.threads, work / "llama-server.log")
    recorder = Recorder(server)
    proxy, proxy_url = start_proxy(recorder)
    db = work / "queue.db"
    print(f"bench_smollm2: {len(files)} case(s) from {args.inputs}; server log {work / 'llama-server.log'}",
          flush=True)  # fmt: skip
    outcomes: list[Outcome] = []
    began = time.monotonic()
    try:
        for path in files:
            if time.monotonic() - began > args.budget:
                outcomes.append(Outcome(path.stem, 0.0, "not run", "budget spent", None, []))
                continue
            recorder.current_case = path.stem
            wall, how, tail = run_case(path, args, proxy_url, db, work)
            records, failures = queue_state(db, args, work)
            calls = [c for c in recorder.calls if c.case == path.stem]
            if how in ("timed out", "crashed"):
                outcome = Outcome(path.stem, wall, how, tail[-300:].replace("\n", " ") if tail else "", None, calls)
            elif path.stem in records:
                record = records[path.stem]
                outcome = Outcome(path.stem, wall, "record", grounding_note(record),
                                  record.get("provenance", {}).get("attempts"), calls)  # fmt: skip
            elif path.stem in failures:
                reason, attempts = failures[path.stem]
                outcome = Outcome(path.stem, wall, "failed", reason[:200], attempts, calls)
            else:
                outcome = Outcome(path.stem, wall, "unknown", tail[-300:].replace("\n", " "), None, calls)
            outcomes.append(outcome)
            print(f"  {outcome.case}: {outcome.result} in {wall:.1f} s, {len(calls)} call(s); {outcome.detail[:120]}",
                  flush=True)  # fmt: skip
        report(outcomes, server, args.inputs, args, time.monotonic() - began)
    finally:
        proxy.shutdown()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
