"""The queue keeps history: versions are never overwritten and events are append-only."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from builders import summary
from helpers import jsonl, run

from trendsum.domain import criteria
from trendsum.domain.models import Point
from trendsum.queue import migrations
from trendsum.queue.store import Store

# sha256 of `SELECT type, name, sql FROM sqlite_master ORDER BY name` (each row's repr, one a line) in a fresh queue
# made by the released migrations (commit 39a3b7c). Released migrations never change what they make: a queue made
# today must be the queue made then, or an old queue and a new one would differ without a migration saying so.
RELEASED_SCHEMA_SHA256 = "34d61b79369c35c7b5309132d497cd1d1674394b572ec3fa69b3426dbe559e8b"


def schema_dump(db: sqlite3.Connection) -> str:
    return "\n".join(repr(row) for row in db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name"))


def test_a_fresh_queue_has_exactly_the_schema_the_released_migrations_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])  # m001-m005, as released then
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrations.apply(db)
    dump = schema_dump(db)
    assert hashlib.sha256(dump.encode()).hexdigest() == RELEASED_SCHEMA_SHA256, dump


MIGRATION_4_CASES = {
    "selected": {},
    "old": {"year": 2022},
    "undated": {"year": None},
    "no-ai": {"ai_application": None},
    "ai-weighed": {"ai_application": Point(text="The council considered an AI product but decided not to buy it.",
                                           evidence=["q"])},  # fmt: skip
    "bare": {"outcomes": [], "unintended_consequences": [], "lessons": []},
}




def test_migration_4_tags_an_older_queue_as_the_criteria_do() -> None:
    """m004 carries its own frozen copy of the rules: on records made before it, it must agree with them."""
    older = sqlite3.connect(":memory:", isolation_level=None)
    older.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in migrations.MIGRATIONS[:3]:  # a queue as trendsum left it before m004
        fn(older)
        older.execute("INSERT INTO migrations VALUES (?, '2025-01-01')", (name,))
    for record_id, changes in MIGRATION_4_CASES.items():
        older.execute("INSERT INTO records VALUES (?, 'pending', 1, NULL, 't', NULL, NULL, ?, 'other', 'offline',"
                      " 0, 0, 'x.md', '', '')", (record_id, summary(**changes).year))  # fmt: skip
        older.execute("INSERT INTO versions VALUES (?, 1, 'generated', 'engine', ?, '{}', '{}', '[]', '', '', '')",
                      (record_id, summary(**changes).model_dump_json()))  # fmt: skip
    assert migrations.apply(older) == [name for name, _ in migrations.MIGRATIONS[3:]]
    tagged = dict(older.execute("SELECT id, criteria_failed FROM records"))
    assert tagged == {i: criteria.failed_tag(summary(**changes)) for i, changes in MIGRATION_4_CASES.items()}
    assert tagged["selected"] == "" and tagged["ai-weighed"] == ",uses-ai," and tagged["bare"].count(",") == 4


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


def test_a_new_trendsum_that_summarises_the_same_leaves_approved_records_approved(
    cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade changes the offline rules' identity (part of the cache key) without changing a word of output:
    nothing is written, and no approved record goes back to review."""
    run("summarise", str(cases))
    run("review", "accept", "tayside-blue-badges", "-r", "A. Researcher")
    asked: list[str] = []
    monkeypatch.setattr("trendsum.engines.offline.rules_hash", lambda: asked.append("") or "f" * 64)  # an upgrade
    from trendsum.engines import offline

    summarised = _counting(offline.summarise_case)
    monkeypatch.setattr(offline, "summarise_case", summarised)
    again = run("summarise", str(cases))
    assert again.exit_code == 0 and asked and summarised.calls == 3  # the cache missed: every case was redone
    assert re.search(r"│\s+0 │\s+0 │\s+3 │\s+0 │", again.stderr), again.stderr  # new, updated, unchanged, failed
    assert "done 3 · cached 0" in again.stderr  # the engine was asked: not a cache hit, whatever it said
    row = next(r for r in jsonl(run("list", "--json").stdout) if r["id"] == "tayside-blue-badges")
    assert (row["status"], row["current_version"], row["approved_version"]) == ("approved", 1, 1)
    later = run("summarise", str(cases))  # the new identity is remembered as confirming the records: no new call
    assert later.exit_code == 0 and summarised.calls == 3 and "done 0 · cached 3" in later.stderr, later.stderr
    forced = run("summarise", str(cases), "--force")  # asked to redo it all: still nothing new to say
    assert forced.exit_code == 0 and re.search(r"│\s+0 │\s+0 │\s+3 │\s+0 │", forced.stderr), forced.stderr


def _counting(function):  # type: ignore[no-untyped-def]
    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.calls += 1  # type: ignore[attr-defined]
        return function(*args, **kwargs)

    counted.calls = 0  # type: ignore[attr-defined]
    return counted


def test_the_offline_rules_identity_ignores_imports_docstrings_and_comments() -> None:
    """Moving the rules to another package (the imports change) is not a change of rules; changing one is."""
    from trendsum.engines import offline

    source = (Path(offline.__file__)).read_text(encoding="utf-8")
    moved = source.replace("from ..errors import SummaryFailed", "from trendsum.errors import SummaryFailed  # moved")
    moved = moved.replace('"""', '"""Reworded. ', 1)
    assert moved != source and offline.fingerprint(moved) == offline.fingerprint(source)
    changed = source.replace("MAX_POINTS", "MAX_POINTS_CHANGED", 1) if "MAX_POINTS" in source else source + "\nX = 1\n"
    assert offline.fingerprint(changed) != offline.fingerprint(source)
    swapped = source.replace("from ..domain import grounding", "from ..domain import strict_grounding as grounding")
    assert swapped != source and offline.fingerprint(swapped) != offline.fingerprint(source)  # other code, same name


def test_force_brings_a_corrected_grounding_to_records_whose_text_is_the_same(
    cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trendsum whose grounding check was wrong is fixed: a plain rerun leaves the words (and any approval) as they
    are, --force writes the corrected verdict as a new version."""
    from trendsum.domain import grounding
    from trendsum.domain.models import Grounding, PointCheck

    real = grounding.check

    def finds_nothing(summary, source_text, language="en"):  # type: ignore[no-untyped-def]
        checked = real(summary, source_text, language)
        return Grounding(points={path: PointCheck(supported=False, missing=["?"]) for path in checked.points},
                         support_checked=True)

    with monkeypatch.context() as patched:
        patched.setattr(grounding, "check", finds_nothing)
        run("summarise", str(cases))

    def grounded() -> dict[str, tuple[int, int]]:
        return {r["id"]: (r["grounded"], r["current_version"]) for r in jsonl(run("list", "--json").stdout)}

    assert grounded()["tayside-blue-badges"][0] == 0
    run("summarise", str(cases))
    assert grounded()["tayside-blue-badges"] == (0, 1)  # the same key: answered from the cache
    assert run("summarise", str(cases), "--force").exit_code == 0
    points, version = grounded()["tayside-blue-badges"]
    assert points > 0 and version == 2


def test_records_can_be_saved_inside_a_transaction_the_caller_holds(db: Path) -> None:
    """A caller filling a queue in one transaction (an import, bench/bench_serve.py) saves records and their source
    texts in it: all or nothing."""
    from test_list_and_review_screen import add_record

    with Store(db) as store:
        with store.transaction():
            for n in range(3):
                add_record(store, f"case-{n}", f"Case {n}")
        assert [row.id for row in store.rows()] == ["case-0", "case-1", "case-2"]
