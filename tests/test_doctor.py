"""`trendsum doctor` is quick against any server, and `trendsum prompts` never lists nothing as a success.

Through the real CLI and the real `openai` client, against the scripted server: what doctor sends (tiny probes,
one size measurement), how long it waits (--timeout, no retries), and what it says when the server misbehaves.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fake_openai import FakeOpenAI, Reply, answer_for, completion, error, prompt_tokens
from helpers import run
from test_openai_engine import context_error

from trendsum.queue.store import Store


def doctor(server: FakeOpenAI, *extra: str):  # type: ignore[no-untyped-def]
    return run("doctor", "--engine", "openai", "--base-url", server.url, "--model", "test-model", *extra)


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """The doctor table as {check: (ok, detail)}, wrapped details joined."""
    table: dict[str, tuple[str, str]] = {}
    last = ""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) != 3:
            continue
        if cells[0]:
            last = cells[0]
            table[last] = (cells[1], cells[2])
        elif last:
            table[last] = (table[last][0], f"{table[last][1]} {cells[2]}".strip())
    return table


def schema_of(body: dict[str, Any]) -> dict[str, Any]:
    if "tools" in body:
        return body["tools"][0]["function"]["parameters"]
    format_ = body.get("response_format") or {}
    return format_.get("json_schema", {}).get("schema") or format_.get("schema") or {}


def test_modes_are_probed_with_a_tiny_question_and_the_prompt_measured_once(server: FakeOpenAI, db: Path) -> None:
    with Store(db) as store:  # a queue to remember the working mode in
        store.ensure_file()
    server.responder = answer_for
    result = doctor(server)
    assert result.exit_code == 0, result.output
    probes, sizing, evidence = server.chat_requests[:4], server.chat_requests[4:5], server.chat_requests[5:]
    assert [("tools" in r.body, (r.body.get("response_format") or {}).get("type")) for r in probes] == [
        (False, "json_schema"), (True, None), (False, "json_object"), (False, None)]  # fmt: skip
    for probe in probes:
        assert probe.body["max_tokens"] <= 32
        assert sum(len(m["content"]) for m in probe.body["messages"]) < 300
    for probe in probes[:3]:
        assert list(schema_of(probe.body)["properties"]) == ["answer"]
    assert len(sizing) == 1  # exactly one size probe: the real instructions and schema, one token of answer
    (size,) = sizing
    assert size.body["max_tokens"] == 1 and size.body["response_format"]["type"] == "json_schema"
    assert "lessons" in schema_of(size.body)["properties"]
    assert "Probe council" in size.body["messages"][1]["content"]
    # the evidence styles, each a three-sentence question in the mode a run uses: which one the model gets right
    assert [r.body["response_format"]["type"] for r in evidence] == ["json_schema", "json_schema"]
    assert all(r.body["max_tokens"] <= 64 for r in evidence)
    table = rows(result.stdout)
    assert {name: ok for name, (ok, _) in table.items()} == {
        "reachable": "yes", "model": "yes", "mode json_schema": "yes", "mode tools": "yes",
        "mode json_object": "yes", "mode json": "yes", "context": "yes", "evidence sentences": "yes",
        "evidence quotes": "yes"}  # fmt: skip
    assert table["context"][1] == f"the instructions and schema take {prompt_tokens(size.body)} tokens"
    with Store(db) as store:
        assert store.endpoint_mode(server.url, "test-model") == "json_schema"


def test_context_room_uses_the_size_the_server_advertises(server: FakeOpenAI) -> None:
    server.models_reply = Reply(body={"object": "list", "data": [
        {"id": "test-model", "object": "model", "owned_by": "llamacpp", "meta": {"n_ctx": 2500}}]})  # fmt: skip
    server.responder = answer_for
    result = doctor(server)
    assert result.exit_code == 0, result.output  # a small context is a warning: the modes work
    ok, detail = rows(result.stdout)["context"]
    used = prompt_tokens(server.chat_requests[4].body)  # the size probe, after the four mode probes
    assert ok == "no" and detail.startswith(f"2500 tokens per request; the instructions and schema take {used}")
    assert detail.endswith("start the server with a larger context")


def test_a_context_too_small_for_the_instructions_is_reported_from_the_servers_own_numbers(server: FakeOpenAI) -> None:
    server.responder = lambda request: context_error(3847, 2048) if request["max_tokens"] == 1 else answer_for(request)
    result = doctor(server)
    assert result.exit_code == 0, result.output
    ok, detail = rows(result.stdout)["context"]
    assert ok == "no"
    assert detail == ("2048 tokens per request, but the instructions and schema alone take 3847: start the server "
                      "with a larger context")  # fmt: skip


def test_a_server_that_never_answers_costs_one_timeout(server: FakeOpenAI) -> None:
    server.models_reply = Reply(hang=True)
    started = time.monotonic()
    result = doctor(server, "--timeout", "0.5")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert 0.45 <= elapsed < 2.5  # one wait of the timeout, not retried
    ok, detail = rows(result.stdout)["reachable"]
    assert ok == "no" and "no answer from" in detail and "within 0.5 s" in detail and "raise --timeout" in detail
    assert server.chat_requests == []


def test_chat_that_never_answers_stops_the_probing_after_one_timeout(server: FakeOpenAI) -> None:
    server.enqueue(Reply(hang=True))
    started = time.monotonic()
    result = doctor(server, "--timeout", "0.5")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert 0.45 <= elapsed < 2.5
    assert len(server.chat_requests) == 1  # neither retried nor tried again in the other modes
    table = rows(result.stdout)
    assert table["reachable"][0] == table["model"][0] == "yes"
    assert table["mode json_schema"][0] == "no" and "within 0.5 s" in table["mode json_schema"][1]
    for mode in ("tools", "json_object", "json"):
        assert table[f"mode {mode}"] == ("no", "not tried: the previous call timed out")
    assert "context" not in table


def test_a_web_page_instead_of_the_model_list_is_named_for_what_it_is(server: FakeOpenAI) -> None:
    server.models_reply = Reply(body="<!doctype html><html><body>Sign in to continue</body></html>",
                                content_type="text/html")  # fmt: skip
    result = doctor(server)
    assert result.exit_code == 1 and "Traceback" not in result.output
    ok, detail = rows(result.stdout)["reachable"]
    assert ok == "no" and "answered 200 with a web page instead of a model list: check --base-url" in detail


def test_a_mode_answered_with_malformed_json_is_a_no_for_that_mode_only(server: FakeOpenAI) -> None:
    server.enqueue(Reply(body='{"choices": [', content_type="application/json"), error(400, "tools are not supported"))
    server.responder = answer_for
    result = doctor(server)
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert table["mode json_schema"][0] == "no" and "malformed JSON instead of a chat completion" in table[
        "mode json_schema"][1]  # fmt: skip
    assert table["mode tools"][0] == "no" and table["mode json_object"][0] == "yes"
    assert table["context"][0] == "yes"
    assert server.chat_requests[-1].body["response_format"]["type"] == "json_object"  # measured in the mode it uses


def test_a_timeout_that_is_not_positive_is_a_usage_error(server: FakeOpenAI) -> None:
    result = doctor(server, "--timeout", "0")
    assert result.exit_code == 2 and "--timeout must be more than 0" in result.stderr
    assert server.received == []


def test_prompts_in_an_empty_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "no-prompts"
    empty.mkdir()
    (empty / "README.md").write_text("# not a template\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        result = run("prompts", "--dir", str(empty), *extra)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert "No prompt templates in" in result.stderr and str(empty) in result.stderr.replace("\n", "")


def test_doctor_says_when_a_model_copies_sentences_better_than_it_cites_them(server: FakeOpenAI) -> None:
    def miscites(request: dict[str, Any]) -> Reply:
        asked = " ".join(m["content"] for m in request["messages"])
        if "[its number]" in asked:  # a model that cites the first sentence whatever is asked
            return completion({"evidence": [1]})
        return answer_for(request)

    server.responder = miscites
    result = doctor(server)
    assert result.exit_code == 0, result.output  # a note, not a failure: the endpoint works
    table = rows(result.stdout)
    assert table["evidence sentences"][0] == "no" and "cited [1]" in table["evidence sentences"][1]
    assert table["evidence quotes"][0] == "yes"
    assert "--prompt summarise-v1" in " ".join(result.stdout.split())
