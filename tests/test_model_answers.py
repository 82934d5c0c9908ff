"""A model's answer is untrusted data: through the real CLI and the real `openai` client, against the fake server.

Placeholder keys for local servers never corrupt an answer; a real key never reaches what is stored; control
characters and terminal escape sequences never survive into a record; and a server that answers 200 with
something other than a chat completion ends each case with one clear line.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fake_openai import TEST_KEY as KEY
from fake_openai import FakeOpenAI, Reply, answer_for, completion, error, good_answer
from helpers import jsonl, run
from test_analyse import APPROVED, TREND, answer, queue  # noqa: F401  (queue is a fixture)

from trendsum.queue.store import Store

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HARBOURSIDE = "Harbourside Borough Council moves its housing register online"


def summarise(server: FakeOpenAI, folder: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run("summarise", str(folder), "--engine", "openai", "--base-url", server.url, "--model", "test-model",
               "--max-retries", "0", *extra)  # fmt: skip


def pending() -> list[dict[str, Any]]:
    return jsonl(run("export", "--status", "pending").stdout)


def points(summary: dict[str, Any]) -> list[dict[str, Any]]:
    found = [summary["overview"]] + ([summary["ai_application"]] if summary.get("ai_application") else [])
    for section in ("challenges", "approach", "outcomes", "unintended_consequences", "lessons"):
        found += summary[section]
    return found


def stored_text(db: Path) -> list[str]:
    """Every text cell of every table of the queue, JSON documents decoded, so an escaped character counts."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f"SELECT * FROM {table}"):  # noqa: S608 (names from sqlite_master)
                for cell in row:
                    if isinstance(cell, str):
                        texts.append(cell)
                        try:
                            walk(json.loads(cell))
                        except ValueError:
                            pass
    return texts


# -- placeholder keys: local servers are given "x", "EMPTY", "none"... -----------------------------------------


@pytest.mark.parametrize("placeholder", ["x", "EMPTY", "none", "sk-no-key-required"])
def test_a_placeholder_key_leaves_the_answer_intact(placeholder: str, server: FakeOpenAI, cases: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("OPENAI_API_KEY", placeholder)
    sent: dict[str, dict[str, Any]] = {}

    def answer_and_keep(request: dict[str, Any]) -> Reply:
        answer = good_answer(request)
        answer["overview"]["text"] += f" The server's key was {placeholder}."  # not a secret: kept as written
        sent[answer["title"]] = answer
        return completion(answer)

    server.responder = answer_and_keep
    result = summarise(server, cases)
    assert result.exit_code == 0, result.stderr
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {placeholder}"
    records = pending()
    assert len(records) == 3
    for record in records:
        answer = sent[record["title"]]
        assert [p["text"] for p in points(record)] == [p["text"] for p in points(answer)]
        assert [[e["sentence"] for e in p["evidence"]] for p in points(record)] == [p["evidence"] for p in points(answer)]
        assert (record["organisation"], record["nation"]) == (answer["organisation"], answer["nation"])
        assert record["grounding"]["grounded"] == record["grounding"]["total"] > 0


def test_a_placeholder_key_leaves_error_messages_intact(server: FakeOpenAI, one_case: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    server.enqueue(error(403, "this project exceeds its quota"))
    result = summarise(server, one_case)
    assert result.exit_code == 1
    assert "refused access (403): Error code: 403 - this project exceeds its quota" in result.stderr


# -- a real key echoed in an answer ------------------------------------------------------------------------------


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


@pytest.mark.parametrize("spelling", ["plain", "json-escaped"])
def test_a_valid_answer_holding_the_key_is_not_stored_and_fails_clearly(server: FakeOpenAI, one_case: Path, db: Path,
                                                                        spelling: str) -> None:  # fmt: skip
    def echo(request: dict[str, Any]) -> Reply:
        answer = good_answer(request)
        answer["overview"]["text"] += " Sent with KEY-HERE."
        text = json.dumps(answer).replace("KEY-HERE", KEY if spelling == "plain" else _escaped(KEY))
        return completion(text)

    server.enqueue(echo)
    result = summarise(server, one_case)
    assert result.exit_code == 1
    assert "the answer contains the API key, so it was not stored" in result.stderr
    assert pending() == []
    with Store(db) as store:
        failure = store.failures("harbourside-housing")[-1]
    assert failure.last_raw and "Sent with" in failure.last_raw  # the answer is kept for the record, masked
    outputs = [result.stdout, result.stderr, run("list", "--json").stdout, run("export", "--status", "pending").stdout]
    for text in outputs + stored_text(db):
        assert KEY not in text
    for path in db.parent.iterdir():
        assert KEY.encode() not in path.read_bytes()


# -- control characters and terminal escape sequences -----------------------------------------------------------

HOSTILE = {
    "title": "\x1b]0;pwned\x07" + HARBOURSIDE + "\x1b[2J\x1b[H",
    "nation": "\x1b[31mEngland\x1b[0m\x00",
    "organisation": "Harbourside\x7f Borough\x9b1m Council\x85",
    "overview": "The council moved\r its housing register online\x08\x08\x08.\x1b]8;;http://evil.example\x1b\\",
}


def _hostile(request: dict[str, Any]) -> dict[str, Any]:
    answer = good_answer(request)
    answer["title"], answer["nation"] = HOSTILE["title"], HOSTILE["nation"]
    answer["organisation"] = HOSTILE["organisation"]
    answer["overview"]["text"] = HOSTILE["overview"]
    answer["outcomes"][0]["text"] = "\x1b[1m" + answer["outcomes"][0]["text"] + "\x1b[0m"
    return answer


@pytest.mark.parametrize("spelling", ["json-escaped", "raw"])
def test_control_characters_in_an_answer_never_reach_the_record(server: FakeOpenAI, one_case: Path, db: Path,
                                                                spelling: str) -> None:  # fmt: skip
    def reply(request: dict[str, Any]) -> Reply:
        text = json.dumps(_hostile(request), ensure_ascii=False)  # escapes C0 as \u001b, leaves DEL and C1 raw
        if spelling == "raw":  # the bytes themselves inside the JSON strings, as a careless server sends them
            text = re.sub(r"\\u00([01][0-9a-f])", lambda m: chr(int(m.group(1), 16)), text)
            assert "\x1b" in text
        return completion(text)

    server.enqueue(reply)
    result = summarise(server, one_case, "--max-attempts", "1")
    assert result.exit_code == 0, result.stderr
    shown = run("show", "harbourside-housing", "--json").stdout
    record = json.loads(shown)
    assert (record["title"], record["nation"]) == (HARBOURSIDE, "England")
    assert record["organisation"] == "Harbourside Borough Council"
    assert record["overview"]["text"] == "The council moved its housing register online."
    assert record["outcomes"][0]["supported"] is True
    for text in [shown, run("show", "harbourside-housing").stdout, *stored_text(db)]:
        assert not CONTROL.search(text), repr(CONTROL.search(text))
        assert "pwned" not in text and "[2J" not in text and "evil.example" not in text


def test_control_characters_are_gone_from_a_failed_answer_kept_for_the_record(server: FakeOpenAI, one_case: Path,
                                                                              db: Path) -> None:  # fmt: skip
    server.enqueue(completion("\x1b]0;pwned\x07not json\x1b[2J"))
    result = summarise(server, one_case, "--max-attempts", "1")
    assert result.exit_code == 1 and "no valid answer after 1 attempt(s)" in result.stderr
    with Store(db) as store:
        assert store.failures("harbourside-housing")[-1].last_raw == "not json"


def test_a_refusal_with_escape_sequences_is_shown_and_kept_clean(server: FakeOpenAI, one_case: Path, db: Path) -> None:
    server.enqueue(completion(None, refusal="\x1b[2J\x1b]0;pwned\x07I can't help with that."))
    result = summarise(server, one_case)
    assert result.exit_code == 1
    assert "the model refused: I can't help with that." in result.stderr
    assert not CONTROL.search(result.stderr + result.stdout)
    with Store(db) as store:
        assert store.failures("harbourside-housing")[-1].reason == "the model refused: I can't help with that."


def test_an_analysis_answer_is_cleaned_too(queue: Path, server: FakeOpenAI) -> None:  # noqa: F811
    body = answer(*APPROVED)
    body["risks_and_challenges"][0]["text"] = "\x1b]0;pwned\x07Both councils\x1b[2J had to fix their data first."
    server.enqueue(completion(body))
    result = run("analyse", "--trend", TREND, "--engine", "openai", "--base-url", server.url, "--model",
                 "test-model", "--max-retries", "0")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    shown = run("analyse", "show", "harnessing-data.en").stdout
    assert "Both councils had to fix their data first." in shown
    for text in [shown, *stored_text(queue)]:
        assert not CONTROL.search(text) and "pwned" not in text


# -- HTTP 200 with something that is not a chat completion ------------------------------------------------------

NOT_A_COMPLETION = {
    "malformed JSON": (Reply(body='{"id": "chatcmpl-1", "choices": [{"mess', content_type="application/json"),
                       "answered 200 with malformed JSON instead of a chat completion"),
    "empty body": (Reply(body="", content_type="application/json"),
                   "answered 200 with an empty body instead of a chat completion"),
    "HTML page": (Reply(body="<!doctype html><html><head><title>Sign in</title></head><body>Proxy login</body></html>",
                        content_type="text/html; charset=utf-8"),
                  "answered 200 with a web page instead of a chat completion: check --base-url"),
    "JSON without choices": (Reply(body={"object": "list", "data": []}), "returned no choices"),
}  # fmt: skip


@pytest.mark.parametrize("kind", NOT_A_COMPLETION)
def test_a_200_that_is_not_a_chat_completion_fails_each_case_with_one_clear_line(
    server: FakeOpenAI, cases: Path, db: Path, kind: str
) -> None:
    reply, says = NOT_A_COMPLETION[kind]
    server.enqueue(answer_for)  # the first case is answered: what a run did before the endpoint broke is kept
    server.responder = lambda request: reply
    result = summarise(server, cases, "--concurrency", "1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(pending()) == 1
    with Store(db) as store:
        reasons = [f.reason for f in store.failures()]
    assert len(reasons) == 2 and all(says in reason and "\n" not in reason for reason in reasons), reasons
    assert len(server.chat_requests) == 3  # one call per case: nothing re-asked, nothing retried in a loop
