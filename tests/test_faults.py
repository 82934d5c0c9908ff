"""A server failing a fifth of its calls in assorted ways: every case ends summarised or failed with its reason,
nothing is duplicated or lost, and a rerun finishes the rest."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from conftest import PROSE_NO_LESSONS
from fake_openai import FakeOpenAI, Reply, answer_for, completion, error
from helpers import jsonl, run

CASES = 30
QUICK = {"retry-after-ms": "10"}  # transport retries without the SDK's default half-second backoff


def faulty(seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)

    def respond(request: dict) -> Reply:  # type: ignore[type-arg]
        roll = rng.random()
        if roll >= 0.2:
            return answer_for(request)
        return rng.choice([
            lambda: error(429, "rate limited", headers=QUICK),
            lambda: error(500, "internal error", headers=QUICK),
            lambda: Reply(delay=1.0, body={}),  # longer than --timeout
            lambda: completion('{"title": "Harbourside", "overview": {"te', finish_reason="length"),
            lambda: completion('{"title": "Harbourside", "overview": '),  # truncated JSON, finish_reason stop
            lambda: completion({"title": "x", "trend": "astrology"}),  # schema-invalid
            lambda: completion(None, refusal="I can't help with that."),
        ])()  # fmt: skip

    return respond


def test_every_case_ends_summarised_or_failed_with_a_reason_and_a_rerun_finishes(
    server: FakeOpenAI, tmp_path: Path, db: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(CASES):
        (folder / f"case-{i:02d}.txt").write_text(PROSE_NO_LESSONS.replace("4,000", f"{4000 + i:,}"), encoding="utf-8")
    server.responder = faulty(seed=5)
    args = ["summarise", str(folder), "--engine", "openai", "--base-url", server.url, "--model", "test-model",
            "--concurrency", "4", "--max-retries", "2", "--timeout", "0.4", "--max-attempts", "2"]  # fmt: skip

    first = run(*args)
    saved = {r["id"] for r in jsonl(run("list", "--json").stdout)}
    failed = {f"case-{i:02d}" for i in range(CASES)} - saved
    assert first.exit_code == (1 if failed else 0)
    for case_id in failed:  # each one is listed in the run summary, by a path the user can use, with why
        assert f"many/{case_id}.txt" in first.stderr, first.stderr
    assert len(saved) >= CASES // 2

    server.responder = answer_for
    assert run(*args).exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == CASES
        assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == CASES  # none twice
