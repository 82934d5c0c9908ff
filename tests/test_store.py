"""The queue keeps history: versions are never overwritten and events are append-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import jsonl, run

from trendsum.queue import migrations
from trendsum.queue.store import Store


def test_history_cannot_be_rewritten(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    raw = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="never overwritten"):
        raw.execute("UPDATE versions SET summary = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM events")
    names = [row[0] for row in raw.execute("SELECT name FROM migrations")]
    assert names[:2] == ["m001_queue", "m002_endpoint_modes"]


def test_reopening_applies_no_migration_twice(db: Path) -> None:
    with Store(db) as store:
        store.remember_mode("http://127.0.0.1:1/v1", "m", "json_schema")  # the first write creates the file
    Store(db).close()
    Store(db).close()
    assert sqlite3.connect(db).execute("SELECT count(*) FROM migrations").fetchone()[0] == len(migrations.MIGRATIONS)


def test_source_changed_after_approval_makes_the_record_stale(cases: Path) -> None:
    run("summarise", str(cases))
    run("review", "accept", "tayside-blue-badges", "-r", "A. Researcher")
    path = cases / "tayside-blue-badges.md"
    path.write_text(path.read_text() + "\nA follow-up survey in 2024 found 91% of applicants satisfied.\n")
    run("summarise", str(cases))
    row = next(r for r in jsonl(run("list", "--json").stdout) if r["id"] == "tayside-blue-badges")
    assert (row["status"], row["current_version"], row["approved_version"]) == ("stale", 2, 1)
    exported = run("export")
    assert exported.stdout == "" and "1 stale record(s) left out" in exported.stderr
    accepted = run("review", "accept", "tayside-blue-badges", "-r", "A. Researcher")
    assert accepted.exit_code == 0
    assert jsonl(run("export").stdout)[0]["version"] == 2


def test_a_stale_review_action_fails_instead_of_overwriting(cases: Path) -> None:
    run("summarise", str(cases))
    result = run("review", "accept", "tayside-blue-badges", "--expect-version", "3")
    assert result.exit_code == 1 and "someone changed it" in result.stderr
    assert jsonl(run("list", "--json", "--status", "approved").stdout) == []
