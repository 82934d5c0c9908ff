"""Numbered schema migrations for the review queue.

Each migration is a function applied in order inside one transaction together with the row that records it,
so a crash mid-migration leaves the database as it was. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction first."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


def _review_tables(
    items: str, versions: str, events: str, key: str, listed: tuple[str, str], kept: str, what: str, tail: str = "",
    indexes: str = "",
) -> str:
    """The three tables of one kind of reviewed item (records in m001, analyses in m003): the items, their versions
    and their events, with the triggers that keep versions and events as history nobody may rewrite or remove.

    Part of two released migrations, as text SQLite keeps in sqlite_master: it must never produce anything else
    (tests/test_store.py pins the schema). `listed` are the item's own column lines before and after its review
    columns, `kept` a version's column lines between its version number and its cache key."""
    before, after = listed
    return f"""
        CREATE TABLE {items} (
            id TEXT PRIMARY KEY,
{before}            status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'stale')),
            current_version INTEGER NOT NULL,
            approved_version INTEGER,
{after}            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL{tail}
        );
        {indexes}
        CREATE TABLE {versions} (
            {key} TEXT NOT NULL REFERENCES {items}(id),
            version INTEGER NOT NULL,
{kept}            cache_key TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY ({key}, version)
        );
        CREATE INDEX {versions}_cache ON {versions}(cache_key);

        CREATE TABLE {events} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            {key} TEXT NOT NULL REFERENCES {items}(id),
            version INTEGER NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            note TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX {events}_{key.removesuffix("_id")} ON {events}({key}, id);

        CREATE TRIGGER {versions}_no_update BEFORE UPDATE ON {versions}
            BEGIN SELECT RAISE(ABORT, '{what}versions are never overwritten'); END;
        CREATE TRIGGER {versions}_no_delete BEFORE DELETE ON {versions}
            BEGIN SELECT RAISE(ABORT, '{what}versions are never deleted'); END;
        CREATE TRIGGER {events}_no_update BEFORE UPDATE ON {events}
            BEGIN SELECT RAISE(ABORT, '{what}events are append-only'); END;
        CREATE TRIGGER {events}_no_delete BEFORE DELETE ON {events}
            BEGIN SELECT RAISE(ABORT, '{what}events are append-only'); END;
        """


@migration
def m001_queue(db: sqlite3.Connection) -> None:
    records = (
        "",
        """            -- copies of the current version's fields, so that listing 100,000 records reads no JSON
            title TEXT NOT NULL,
            organisation TEXT,
            nation TEXT,
            year INTEGER,
            trend TEXT NOT NULL,
            engine TEXT NOT NULL,
            grounded INTEGER NOT NULL,
            points INTEGER NOT NULL,
            source_path TEXT NOT NULL,
""",
    )
    kept = """            kind TEXT NOT NULL CHECK (kind IN ('generated', 'edited')),
            author TEXT NOT NULL,
            summary TEXT NOT NULL,
            grounding TEXT NOT NULL,
            provenance TEXT NOT NULL,
            flags TEXT NOT NULL DEFAULT '[]',
            source_sha256 TEXT NOT NULL,
"""
    indexes = ("CREATE INDEX records_status ON records(status, id);\n"
               "        CREATE INDEX records_trend ON records(trend, id);")  # fmt: skip
    run_script(db, _review_tables("records", "versions", "events", "record_id", records, kept, "", indexes=indexes))
    run_script(
        db,
        """
        CREATE TABLE failures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id TEXT NOT NULL,
            source_path TEXT NOT NULL,
            reason TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_raw TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX failures_case ON failures(case_id, id);
        """
    )


def status(db: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(migrations this database still needs, migrations it has that this version does not know), read only."""
    has_table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone()
    done = {row[0] for row in db.execute("SELECT name FROM migrations")} if has_table else set()
    known = [name for name, _ in MIGRATIONS]
    return [name for name in known if name not in done], sorted(done - set(known))


def apply(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database has not had yet; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # another process may have applied it while we waited for the lock
            if db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone() is None:
                fn(db)
                db.execute("INSERT INTO migrations VALUES (?, ?)", (name, datetime.now(UTC).isoformat()))
                applied.append(name)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return applied


@migration
def m002_endpoint_modes(db: sqlite3.Connection) -> None:
    """Which structured-output mode each endpoint and model accepted, so later runs do not probe again."""
    run_script(
        db,
        """
        CREATE TABLE endpoint_modes (
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            mode TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            PRIMARY KEY (endpoint, model)
        );
        """,
    )


@migration
def m003_analyses(db: sqlite3.Connection) -> None:
    """Cross-case analyses per trend and language: reviewed and versioned like records, kept forever."""
    analyses = (
        "            trend TEXT NOT NULL,\n            language TEXT NOT NULL,\n",
        "            engine TEXT NOT NULL,\n            cases INTEGER NOT NULL,\n",
    )
    kept = "            author TEXT NOT NULL,\n            body TEXT NOT NULL,\n            provenance TEXT NOT NULL,\n"
    script = _review_tables("analyses", "analysis_versions", "analysis_events", "analysis_id", analyses, kept,
                            "analysis ", ",\n            UNIQUE (trend, language)")  # fmt: skip
    run_script(db, script)


@migration
def m004_criteria_facts(db: sqlite3.Connection) -> None:
    """The few facts the selection criteria read (AI text, section sizes) and the criteria each record fails,
    kept beside the other listed fields of the current version, so that filtering and coverage at 100,000
    records read no summary JSON and filter in SQL."""
    run_script(
        db,
        """
        ALTER TABLE records ADD COLUMN ai_text TEXT;
        ALTER TABLE records ADD COLUMN outcomes INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE records ADD COLUMN unintended INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE records ADD COLUMN lessons INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE records ADD COLUMN criteria_failed TEXT NOT NULL DEFAULT '';
        UPDATE records SET
            ai_text = (SELECT json_extract(v.summary, '$.ai_application.text') FROM versions v
                       WHERE v.record_id = records.id AND v.version = records.current_version),
            outcomes = (SELECT json_array_length(v.summary, '$.outcomes') FROM versions v
                        WHERE v.record_id = records.id AND v.version = records.current_version),
            unintended = (SELECT json_array_length(v.summary, '$.unintended_consequences') FROM versions v
                          WHERE v.record_id = records.id AND v.version = records.current_version),
            lessons = (SELECT json_array_length(v.summary, '$.lessons') FROM versions v
                       WHERE v.record_id = records.id AND v.version = records.current_version);
        """,
    )
    rows = db.execute("SELECT id, year, ai_text, outcomes, unintended, lessons FROM records").fetchall()
    db.executemany("UPDATE records SET criteria_failed = ? WHERE id = ?",
                   [(_m004_failed_tag(*facts), record_id) for record_id, *facts in rows])  # fmt: skip


# The selection criteria as they stood when m004 was released, frozen here: a migration must compute the same
# tags whenever it runs, so it never calls the live rules in domain/criteria.py, which may change (a change to
# them needs a new migration that recomputes the tags).
_M004_NOT_ADOPTED = re.compile(
    r"\b(?:decided|chose|opted|elected|agreed)\s+(?:deliberately\s+)?(?:not\s+to|against)\b|"
    r"\bconsidered\b[^.;]*\bbut\b|\bdid\s+not\s+(?:use|adopt|buy|deploy)\b|\bnot\s+to\s+use\b|\bruled\s+out\b|"
    r"\bwithout\s+(?:using\s+)?(?:any\s+)?(?:AI|artificial intelligence|machine learning)\b|"
    r"\bbesl(?:oot|oten)\s+(?:bewust\s+)?(?:geen|niet)\b|\boverwogen\b[^.;]*\bmaar\b",
    re.I,
)


def _m004_failed_tag(year: int | None, ai_text: str | None, outcomes: int, unintended: int, lessons: int) -> str:
    """The criteria a record fails, as ',unintended,lessons,', in the order from-2023, uses-ai, outcomes,
    unintended, lessons."""
    failing = [
        name
        for name, failed in (
            ("from-2023", year is None or year < 2023),
            ("uses-ai", ai_text is None or bool(_M004_NOT_ADOPTED.search(ai_text))),
            ("outcomes", not outcomes),
            ("unintended", not unintended),
            ("lessons", not lessons),
        )
        if failed
    ]
    return f",{','.join(failing)}," if failing else ""


@migration
def m005_source_ids(db: sqlite3.Connection) -> None:
    """Which record id each source file was given, for ever: a file added later whose name slugs the same
    never takes an existing id, and a moved file (same bytes, new path) keeps its record.

    Paths are stored resolved (absolute). Records made before this migration are not mapped here (their stored
    paths are relative to a working folder this migration cannot know): `identity` claims each one the first time
    a run names its file, by the path it was summarised from, or by its content."""
    run_script(
        db,
        """
        CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            case_id TEXT NOT NULL UNIQUE,
            mapped_at TEXT NOT NULL
        );
        CREATE INDEX versions_source_sha ON versions(source_sha256);
        CREATE INDEX records_source_path ON records(source_path);
        """,
    )


@migration
def m006_confirmations(db: sqlite3.Connection) -> None:
    """Cache keys that made exactly what an item's current version already says (a new model, prompt or trendsum
    that changed nothing a reviewer reads): nothing new is written for them, and this row lets later runs with
    the same key skip the engine instead of asking it again every time."""
    run_script(
        db,
        """
        CREATE TABLE confirmations (
            kind TEXT NOT NULL,
            item_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            cache_key TEXT NOT NULL,
            source_sha256 TEXT,
            confirmed_at TEXT NOT NULL,
            PRIMARY KEY (kind, item_id, cache_key, version)
        );
        """,
    )


@migration
def m007_source_texts(db: sqlite3.Connection) -> None:
    """The text each record was made from, once per content (the sha256 of the text, which provenance records as
    `text_sha256`), so that evidence can be shown and highlighted after its file has moved or changed.

    Records made before evidence was cited by reference keep their quotes: a quote reads as typed evidence, which
    the grounding check finds in the source as it always did. Their source text was never stored, so it is read
    from the file while it is still there. Their versions were never checked for support, and versions are never
    rewritten: the support check runs on them as they are read (`grounding.with_support`)."""
    run_script(
        db,
        """
        CREATE TABLE source_texts (
            sha256 TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            stored_at TEXT NOT NULL
        );
        """,
    )


@migration
def m008_reviewers(db: sqlite3.Connection) -> None:
    """Reviewer accounts for `trendsum serve` on a shared machine: a name, a scrypt hash of the password and whether
    the account may still sign in. Accounts are disabled, never deleted: events name reviewers for ever."""
    run_script(
        db,
        """
        CREATE TABLE reviewers (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            disabled_at TEXT
        );
        """,
    )


@migration
def m009_sound_points(db: sqlite3.Connection) -> None:
    """How many of each record's points are grounded and supported by their evidence, beside the grounded count,
    so that lists show unsupported points and "least grounded first" puts them first, reading no summary JSON.

    Unlike m004's criteria tags, which filter the collection and so are frozen, this is a count for display and
    order: it is computed with the support check as it is now, the one `show` applies to the same versions."""
    from ..domain.grounding import with_support
    from ..domain.models import CaseSummary, Grounding

    run_script(db, "ALTER TABLE records ADD COLUMN sound INTEGER NOT NULL DEFAULT 0;")
    rows = db.execute(
        "SELECT r.id, v.summary, v.grounding, v.provenance FROM records r JOIN versions v"
        " ON v.record_id = r.id AND v.version = r.current_version"
    ).fetchall()
    for record_id, summary, checked, provenance in rows:
        language = json.loads(provenance).get("language", "en")  # the only field read: no full validation here
        counted = with_support(CaseSummary.model_validate_json(summary), Grounding.model_validate_json(checked),
                               language)  # fmt: skip
        db.execute("UPDATE records SET sound = ? WHERE id = ?", (counted.sound, record_id))
