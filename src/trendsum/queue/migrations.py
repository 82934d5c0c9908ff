"""Numbered schema migrations for the review queue.

Each migration is a function applied in order inside one transaction together with the row that records it,
so a crash mid-migration leaves the database as it was. Never edit a released migration: add the next one.
"""

from __future__ import annotations

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


@migration
def m001_queue(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'stale')),
            current_version INTEGER NOT NULL,
            approved_version INTEGER,
            -- copies of the current version's fields, so that listing 100,000 records reads no JSON
            title TEXT NOT NULL,
            organisation TEXT,
            nation TEXT,
            year INTEGER,
            trend TEXT NOT NULL,
            engine TEXT NOT NULL,
            grounded INTEGER NOT NULL,
            points INTEGER NOT NULL,
            source_path TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX records_status ON records(status, id);
        CREATE INDEX records_trend ON records(trend, id);

        CREATE TABLE versions (
            record_id TEXT NOT NULL REFERENCES records(id),
            version INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('generated', 'edited')),
            author TEXT NOT NULL,
            summary TEXT NOT NULL,
            grounding TEXT NOT NULL,
            provenance TEXT NOT NULL,
            flags TEXT NOT NULL DEFAULT '[]',
            source_sha256 TEXT NOT NULL,
            cache_key TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (record_id, version)
        );
        CREATE INDEX versions_cache ON versions(cache_key);

        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL REFERENCES records(id),
            version INTEGER NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            note TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX events_record ON events(record_id, id);

        -- versions and events are history: nothing may rewrite or remove them
        CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions
            BEGIN SELECT RAISE(ABORT, 'versions are never overwritten'); END;
        CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
            BEGIN SELECT RAISE(ABORT, 'versions are never deleted'); END;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

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
    run_script(
        db,
        """
        CREATE TABLE analyses (
            id TEXT PRIMARY KEY,
            trend TEXT NOT NULL,
            language TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'stale')),
            current_version INTEGER NOT NULL,
            approved_version INTEGER,
            engine TEXT NOT NULL,
            cases INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (trend, language)
        );

        CREATE TABLE analysis_versions (
            analysis_id TEXT NOT NULL REFERENCES analyses(id),
            version INTEGER NOT NULL,
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            provenance TEXT NOT NULL,
            cache_key TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (analysis_id, version)
        );
        CREATE INDEX analysis_versions_cache ON analysis_versions(cache_key);

        CREATE TABLE analysis_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            analysis_id TEXT NOT NULL REFERENCES analyses(id),
            version INTEGER NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            note TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX analysis_events_analysis ON analysis_events(analysis_id, id);

        CREATE TRIGGER analysis_versions_no_update BEFORE UPDATE ON analysis_versions
            BEGIN SELECT RAISE(ABORT, 'analysis versions are never overwritten'); END;
        CREATE TRIGGER analysis_versions_no_delete BEFORE DELETE ON analysis_versions
            BEGIN SELECT RAISE(ABORT, 'analysis versions are never deleted'); END;
        CREATE TRIGGER analysis_events_no_update BEFORE UPDATE ON analysis_events
            BEGIN SELECT RAISE(ABORT, 'analysis events are append-only'); END;
        CREATE TRIGGER analysis_events_no_delete BEFORE DELETE ON analysis_events
            BEGIN SELECT RAISE(ABORT, 'analysis events are append-only'); END;
        """,
    )


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
    from ..domain import criteria  # the rules live there; a change to them needs a migration that recomputes the tags

    rows = db.execute("SELECT id, year, ai_text, outcomes, unintended, lessons FROM records").fetchall()
    db.executemany(
        "UPDATE records SET criteria_failed = ? WHERE id = ?",
        [(criteria.tag(criteria.evaluate_facts(criteria.CaseFacts(*facts))), record_id) for record_id, *facts in rows],
    )


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
