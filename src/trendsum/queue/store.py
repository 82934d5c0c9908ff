"""The review queue's contents: items of every kind (kinds.py) with their versions, review decisions and history,
kept forever; the listing columns and selection criteria read without decoding JSON; source ids, failures and
endpoint modes. Opening, creating and upgrading the file, and each write's transaction, are `database`'s.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain import criteria
from ..domain.criteria import CaseFacts, CriteriaResult
from ..domain.grounding import with_support
from ..domain.models import (
    CaseSummary,
    Grounding,
    Provenance,
    Record,
    ReviewEvent,
    Status,
    parse_status,
    point_dicts,
)
from ..errors import UsageError
from ..ingest import storable
from .database import Database
from .database import queue_error as queue_error  # importable from here, as before the split
from .kinds import RECORD, Kind
from .transitions import EDIT, GENERATE, Actor, approved_version, ensure_seen, next_status


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordRow:
    """What `list` shows: read from the records table alone, without decoding any JSON."""

    id: str
    status: Status
    current_version: int
    approved_version: int | None
    title: str
    organisation: str | None
    nation: str | None
    year: int | None
    trend: str
    engine: str
    grounded: int
    points: int
    source_path: str
    updated_at: str
    sound: int  # points grounded and supported by their evidence

    @property
    def unsupported(self) -> int:
        """Grounded points whose evidence does not back them (a point can also be both ungrounded and unsupported:
        it counts as ungrounded)."""
        return max(0, self.grounded - self.sound)

    def grounded_label(self) -> str:
        """'12/12', or '12/12, 1 unsupported': what a list shows of how far its points can be trusted."""
        return f"{self.grounded}/{self.points}" + (f", {self.unsupported} unsupported" if self.unsupported else "")


@dataclass(frozen=True)
class Head:
    """An item's review state, from its kind's items table alone."""

    id: str
    status: Status
    version: int  # the current one
    approved_version: int | None


@dataclass(frozen=True)
class Failure:
    case_id: str
    source_path: str
    reason: str
    attempts: int
    last_raw: str | None
    at: str


@dataclass(frozen=True)
class Saved:
    record_id: str
    version: int
    status: Status
    created: bool  # a new record, rather than a new version of one
    unchanged: bool = False  # nothing was written: another run saved the same summary first


_ROW_COLUMNS = ", ".join(RecordRow.__dataclass_fields__)

class Store(Database):
    """What the review queue holds, read and written through `Database`'s connection and transactions (see there
    for what opening with or without `create` does)."""

    # -- writing ------------------------------------------------------------------------------------------

    def has_version(self, record_id: str, cache_key: str, sha256: str) -> bool:
        """Whether this record already has a version made from these bytes with the same prompt, engine and model,
        and its latest engine-made version is of these bytes too. A file changed and changed back is summarised
        again (its record would otherwise keep the text in between); switching models back and forth is not."""
        return _already_made(self.db, record_id, cache_key, sha256)

    def has_record(self, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone() is not None

    def save_generated(
        self,
        record_id: str,
        summary: CaseSummary,
        grounding: Grounding,
        provenance: Provenance,
        cache_key: str,
        flags: Sequence[str] = (),
        *,
        force: bool = False,
        source_text: str | None = None,
    ) -> Saved:
        """Add an engine's summary as a new record or as the next version of one (never overwriting).

        A record that was approved keeps its approved version and becomes stale until someone reviews the
        new one; a rejected record goes back to pending. Nothing is written (`unchanged`) when a version with the
        same cache key exists (another run made it meanwhile, unless `force`), or when the current version already
        says exactly these words about the same source (the same points and evidence; whether the evidence is a
        cited sentence or a quote of it is not a word): a new prompt, model or trendsum that changes nothing a
        reviewer reads never sends an approved record back to review. Such a key is kept as a confirmation of the
        current version, so the next run with it is answered from the cache.

        `source_text`, the text the summary was made from, is kept once per content (`kept_text()`), under the
        sha256 of the text itself (`provenance.text_sha256`): the spans of its evidence point into that text.
        """
        body = summary.model_dump_json()
        sha256 = provenance.source_sha256
        words = _words(summary)

        def already(db: sqlite3.Connection) -> bool:
            if not force and _already_made(db, record_id, cache_key, sha256):
                return True
            row = db.execute(
                "SELECT v.summary, v.grounding FROM records r JOIN versions v ON v.record_id = r.id"
                " AND v.version = r.current_version WHERE r.id = ? AND v.source_sha256 = ?", (record_id, sha256),
            ).fetchone()  # fmt: skip
            # The words a reviewer approved, about the same source: a grounding check that now judges a quote
            # differently is no reason to write the same words again, unless asked to redo everything (--force).
            if row is None or _words(CaseSummary.model_validate_json(row[0])) != words:
                return False
            if force and row[1] != grounding.model_dump_json():
                return False
            return confirm_if_current_says(db, RECORD, record_id, {}, cache_key, sha256)

        note = f"{provenance.engine} {provenance.model}; {grounding.supported}/{grounding.total} points grounded"
        with self.transaction() if not self.db.in_transaction else _joined(self.db):  # one with the caller's
            if source_text is not None and provenance.text_sha256 is not None:
                self.db.execute("INSERT OR IGNORE INTO source_texts (sha256, text, stored_at) VALUES (?, ?, ?)",
                                (provenance.text_sha256, source_text, now().isoformat()))  # fmt: skip
            return self.add_version(
                RECORD, record_id, Actor.PIPELINE, GENERATE, f"engine:{provenance.engine}", note,
                _version_columns("generated", "engine", body, grounding, provenance, cache_key, flags),
                _denormalised(summary, grounding, provenance), unchanged_if=already,
            )  # fmt: skip

    def kept_text(self, provenance: Provenance) -> str | None:
        """The text a record was made from, if the queue kept it (records made before it did have only a file)."""
        if provenance.text_sha256 is None:
            return None
        row = self.db.execute("SELECT text FROM source_texts WHERE sha256 = ?", (provenance.text_sha256,)).fetchone()
        return row[0] if row else None

    def save_edit(
        self, record_id: str, expected_version: int, summary: CaseSummary, grounding: Grounding, reviewer: str,
        note: str | None,
    ) -> Saved:  # fmt: skip
        """A reviewer's edit: a new version attributed to them, back to pending; the model's text stays."""
        with self.transaction():  # the version read and the version written under one lock
            current = self.get(record_id)
            columns = _version_columns("edited", reviewer, summary.model_dump_json(), grounding, current.provenance,
                                       f"edit:{record_id}:{current.version + 1}", current.flags)  # fmt: skip
            return self.add_version(RECORD, record_id, Actor.REVIEWER, EDIT, reviewer, note, columns,
                                    _denormalised(summary, grounding, current.provenance),
                                    expected_version=expected_version)  # fmt: skip

    # -- any kind of item (kinds.py): versions, review decisions, history --------------------------------------

    def add_version(
        self,
        kind: Kind,
        item_id: str,
        actor: Actor,
        action: str,
        author: str,
        note: str | None,
        columns: dict[str, object],
        fields: dict[str, object],
        *,
        expected_version: int | None = None,
        unchanged_if: Callable[[sqlite3.Connection], bool] | None = None,
    ) -> Saved:
        """Add the next version of an item (or a new item) and move its status as `transitions` says.

        `columns` are the version's own (besides id, version and created_at), `fields` the item's listing columns
        copied from it. With `expected_version`, someone else's newer version is a ConflictError; nothing is
        written (`unchanged`) when `unchanged_if` says, under the same lock, that this version exists already.
        """
        at = now().isoformat()
        if not set(fields) <= set(kind.listed):  # a listing column the kind does not declare: a caller's bug
            raise ValueError(f"{kind.name} has no listing columns {sorted(set(fields) - set(kind.listed))}")
        if self.db.in_transaction and self.pending_creation:  # it would be written to the provisional copy, and lost
            raise RuntimeError("a version was added inside a provisional transaction; use transaction()")
        with self.transaction() if not self.db.in_transaction else _joined(self.db) as db:
            head = _head(db, kind, item_id)
            if unchanged_if is not None and head is not None and unchanged_if(db):
                return Saved(item_id, head.version, head.status, created=False, unchanged=True)
            if expected_version is not None:
                if head is None:
                    raise kind.not_found(item_id, self.close_ids(item_id, kind=kind))
                self._ensure_seen(db, kind, head, expected_version, None)
            status = next_status(actor, action, head.status if head else None, item_id)
            version = 1 if head is None else head.version + 1
            listed = {"status": status, "current_version": version, **fields, "updated_at": at}
            if head is None:
                listed = {"id": item_id, **listed, "created_at": at}
                db.execute(f"INSERT INTO {kind.items} ({', '.join(listed)}) VALUES ({', '.join('?' * len(listed))})",
                           list(listed.values()))  # fmt: skip
            else:
                db.execute(f"UPDATE {kind.items} SET {', '.join(f'{n} = ?' for n in listed)} WHERE id = ?",
                           [*listed.values(), item_id])  # fmt: skip
            row = {kind.key: item_id, "version": version, **columns, "created_at": at}
            db.execute(f"INSERT INTO {kind.versions} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))  # fmt: skip
            if action == GENERATE:
                action = "created" if head is None else ("stale" if status == Status.STALE else "regenerated")
            _event(db, kind, item_id, version, action, author, note, at)
        return Saved(item_id, version, status, created=head is None)

    def decide(
        self,
        kind: Kind,
        item_id: str,
        action: str,
        reviewer: str,
        note: str | None,
        expected_version: int,
        expected_status: Status | None = None,
    ) -> Saved:
        """A reviewer's decision (`transitions`: approved, rejected) on the version, *and status*, they saw.

        Accepting or rejecting makes no new version, so the decision also names the status it was made on: two
        reviewers who both saw an item pending cannot overwrite each other.
        """
        at = now().isoformat()
        with self.transaction() as db:
            head = _head(db, kind, item_id)
            if head is None:
                raise kind.not_found(item_id, self.close_ids(item_id, kind=kind))
            self._ensure_seen(db, kind, head, expected_version, expected_status)
            status = next_status(Actor.REVIEWER, action, head.status, item_id)
            db.execute(
                f"UPDATE {kind.items} SET status = ?, approved_version = ?, updated_at = ? WHERE id = ?",
                (status, approved_version(action, head.version, head.approved_version), at, item_id),
            )
            _event(db, kind, item_id, head.version, action, reviewer, note, at)
        return Saved(item_id, head.version, status, created=False)

    def _ensure_seen(self, db: sqlite3.Connection, kind: Kind, head: Head, version: int,
                     status: Status | None) -> None:  # fmt: skip
        """`transitions.ensure_seen` on the item as it is under this transaction's lock."""
        review = _last_review(db, kind, head.id)  # who changed it, for the message if it did
        ensure_seen(kind.show, head.id, version, status, head.version, head.status, review[0] if review else None)

    def head(self, kind: Kind, item_id: str) -> Head:
        """An item's status and versions, or the kind's not-found error."""
        head = _head(self.db, kind, item_id)
        if head is None:
            raise kind.not_found(item_id, self.close_ids(item_id, kind=kind))
        return head

    def version_of(self, kind: Kind, head: Head, version: int | None, columns: str) -> tuple[int, tuple[Any, ...]]:
        """(the version wanted, or the current one; those columns of its row)."""
        wanted = head.version if version is None else version
        row = self.db.execute(
            f"SELECT {columns} FROM {kind.versions} WHERE {kind.key} = ? AND version = ?", (head.id, wanted)
        ).fetchone()
        if row is None:
            raise UsageError(f"{head.id} has no version {wanted}: its versions are 1 to {head.version}.")
        return wanted, row

    def last_review(self, kind: Kind, item_id: str) -> tuple[str, datetime, str | None] | None:
        """(who, when, note) of the latest approval or rejection."""
        review = _last_review(self.db, kind, item_id)
        return (review[0], datetime.fromisoformat(review[1]), review[2]) if review else None

    def cached_version(self, kind: Kind, item_id: str, cache_key: str) -> int | None:
        """The latest version made (or confirmed) with this cache key (same inputs, prompt, engine and model)."""
        return _cached_version(self.db, kind, item_id, cache_key)

    def add_failure(self, case_id: str, source_path: str, reason: str, attempts: int, last_raw: str | None) -> None:
        """Keep a failure for diagnosis. One that cost no engine call (an unreadable file) creates no queue: it is
        kept if the run saves something, and shown in the run's summary either way."""
        with self.provisional() if attempts == 0 else self.transaction() as db:
            db.execute(
                "INSERT INTO failures (case_id, source_path, reason, attempts, last_raw, at) VALUES (?, ?, ?, ?, ?, ?)",
                (case_id, storable(source_path), storable(reason), attempts, last_raw, now().isoformat()),
            )

    # -- source identity (see identity.py) ------------------------------------------------------------------

    def source_ids(self) -> dict[str, str]:
        """Resolved source path -> the case id it was given."""
        return dict(self.db.execute("SELECT path, case_id FROM sources"))

    def case_ids(self) -> set[str]:
        """Every case id in use: given to a source, or carried by a record (a language edition's `.nl` aside)."""
        given = {row[0] for row in self.db.execute("SELECT case_id FROM sources")}
        held = {row[0].split(".")[0] for row in self.db.execute("SELECT id FROM records")}
        return given | held

    def cases_with_content(self, sha256: str) -> list[tuple[str, str | None, str]]:
        """(case id, the path mapped to it or None, the path its record was made from) of the cases some version
        of which was made from these bytes."""
        return self.db.execute(
            "SELECT c.case_id, s.path, r.source_path FROM (SELECT DISTINCT substr(record_id, 1,"
            " instr(record_id || '.', '.') - 1) AS case_id FROM versions WHERE source_sha256 = ?) c"
            " JOIN records r ON r.id = c.case_id LEFT JOIN sources s ON s.case_id = c.case_id ORDER BY c.case_id",
            (sha256,),
        ).fetchall()

    def has_versions(self) -> bool:
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM versions)").fetchone()[0] == 1

    def unmapped_case_at(self, paths: Sequence[str]) -> str | None:
        """A case summarised from one of these paths before ids were mapped, not mapped to any path since."""
        row = self.db.execute(
            f"SELECT id FROM records WHERE source_path IN ({', '.join('?' * len(paths))}) AND instr(id, '.') = 0"
            " AND id NOT IN (SELECT case_id FROM sources) ORDER BY id LIMIT 1",
            list(paths),
        ).fetchone()
        return row[0] if row else None

    def map_source(self, path: str, case_id: str, moved_from: str | None = None, shown: str | None = None) -> None:
        """Give `case_id` to the source at `path` for good (inside `transaction()`, with the ids read under it).

        With `moved_from`, the case's file moved to `path` (`shown`: as the user named it): every record of the
        case now reads its source there, and notes the move in its history."""
        at = now().isoformat()
        self.db.execute("DELETE FROM sources WHERE case_id = ?", (case_id,))
        self.db.execute("INSERT INTO sources (path, case_id, mapped_at) VALUES (?, ?, ?)", (path, case_id, at))
        if moved_from is None:
            return
        note = f"source moved from {moved_from} to {path}: same content"
        records = self.db.execute(
            "SELECT id, current_version FROM records WHERE id = ? OR id LIKE ? ESCAPE '\\'",
            (case_id, _like_prefix(case_id) + ".%"),
        ).fetchall()
        for record_id, version in records:
            self.db.execute("UPDATE records SET source_path = ? WHERE id = ?", (storable(shown or path), record_id))
            _event(self.db, RECORD, record_id, version, "moved", "trendsum", note, at)

    def endpoint_mode(self, endpoint: str, model: str) -> str | None:
        row = self.db.execute(
            "SELECT mode FROM endpoint_modes WHERE endpoint = ? AND model = ?", (endpoint, model)
        ).fetchone()
        return row[0] if row else None

    def remember_mode(self, endpoint: str, model: str, mode: str) -> None:
        """A saving for later runs, never worth failing over: a queue this version may not write is left alone."""
        if self.read_only or self.newer:
            return
        with self.transaction() as db:
            db.execute(
                "INSERT INTO endpoint_modes (endpoint, model, mode, detected_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (endpoint, model) DO UPDATE SET mode = excluded.mode, detected_at = excluded.detected_at",
                (endpoint, model, mode, now().isoformat()),
            )

    # -- reading ------------------------------------------------------------------------------------------

    def rows(
        self,
        statuses: Sequence[Status] = (),
        trend: str | None = None,
        nation: str | None = None,
        engine: str | None = None,
        ids: Sequence[str] = (),
        limit: int | None = None,
        meets: Sequence[str] = (),
        fails: Sequence[str] = (),
    ) -> list[RecordRow]:
        """Listed fields of matching records, by id; `meets`/`fails` name selection criteria (criteria.py)."""
        where, args = _filters(statuses, trend, nation, engine, ids, meets, fails)
        sql = f"SELECT {_ROW_COLUMNS} FROM records{where} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_row(values) for values in self.db.execute(sql, args)]

    def collection(self, statuses: Sequence[Status]) -> list[tuple[object, ...]]:
        """(id, title, status, nation, trend, year, ai_text, outcomes, unintended, lessons, criteria_failed) of
        every record with these statuses: what coverage needs, in one query, no summary decoded."""
        where, args = _filters(statuses, None, None, None, ())
        return self.db.execute(
            "SELECT id, title, status, nation, trend, year, ai_text, outcomes, unintended, lessons, criteria_failed"
            f" FROM records{where} ORDER BY id",
            args,
        ).fetchall()

    @staticmethod
    def where(statuses: Sequence[Status], alike: dict[str, str | None],
              equal: dict[str, str | None]) -> tuple[str, list[object]]:  # fmt: skip
        """A WHERE clause for any kind's items table (see `where_clauses`), empty when nothing is asked."""
        clauses, args = where_clauses(statuses, alike, equal)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def criteria_facts(self, rows: Sequence[RecordRow]) -> dict[str, CaseFacts]:
        """Each listed row's criteria facts, for the version the row shows: columns kept beside the title and
        trend (migration m004), so no summary is decoded."""
        if not rows:
            return {}
        sql = "SELECT id, year, ai_text, outcomes, unintended, lessons FROM records"
        if len(rows) <= 500:
            cursor = self.db.execute(sql + f" WHERE id IN ({', '.join('?' * len(rows))})", [r.id for r in rows])
        else:
            cursor = self.db.execute(sql)
        wanted = {row.id for row in rows}
        return {
            record_id: CaseFacts(year, ai_text, outcomes or 0, unintended or 0, lessons or 0)
            for record_id, year, ai_text, outcomes, unintended, lessons in cursor
            if record_id in wanted
        }

    def criteria_results(self, rows: Sequence[RecordRow]) -> dict[str, CriteriaResult]:
        """The selection criteria of each listed row (without decoding a summary)."""
        return {record_id: criteria.evaluate_facts(facts) for record_id, facts in self.criteria_facts(rows).items()}

    def count(
        self,
        statuses: Sequence[Status] = (),
        trend: str | None = None,
        nation: str | None = None,
        engine: str | None = None,
        meets: Sequence[str] = (),
        fails: Sequence[str] = (),
    ) -> int:
        where, args = _filters(statuses, trend, nation, engine, (), meets, fails)
        return self.db.execute(f"SELECT count(*) FROM records{where}", args).fetchone()[0]

    def get(self, record_id: str, version: int | None = None) -> Record:
        head = self.head(RECORD, record_id)
        wanted, row = self.version_of(RECORD, head, version, "author, summary, grounding, provenance, flags")
        provenance = Provenance.model_validate_json(row[3])
        if wanted == head.version:  # the file may have moved since (identity.py)
            source_path = self.db.execute("SELECT source_path FROM records WHERE id = ?", (record_id,)).fetchone()[0]
            if source_path != provenance.source_path:
                provenance = provenance.model_copy(update={"source_path": source_path})
        review = self.last_review(RECORD, record_id)
        summary = CaseSummary.model_validate_json(row[1])
        return Record(
            id=record_id,
            version=wanted,
            status=head.status,
            summary=summary,
            grounding=with_support(summary, Grounding.model_validate_json(row[2]), provenance.language),
            provenance=provenance,
            author=row[0],
            flags=json.loads(row[4]),
            approved_version=head.approved_version,
            reviewed_by=review[0] if review else None,
            reviewed_at=review[1] if review else None,
            review_note=review[2] if review else None,
        )

    def close_ids(self, wanted: str, most: int = 3, *, kind: Kind = RECORD) -> list[str]:
        """Ids like a mistyped one, for the error message: ones containing it first, then similar spellings."""
        ids = [row[0] for row in self.db.execute(f"SELECT id FROM {kind.items} ORDER BY id")]
        containing = [i for i in ids if wanted.lower() in i][:most]
        similar = difflib.get_close_matches(wanted.lower(), ids, n=most, cutoff=0.6)
        return list(dict.fromkeys(containing + similar))[:most]

    def records(self, rows: Sequence[RecordRow], *, approved_text: bool = True) -> Iterator[Record]:
        """Full records for listed rows; with approved_text, a stale record yields the version that was approved."""
        for row in rows:
            version = row.approved_version if approved_text and row.status == Status.STALE else None
            yield self.get(row.id, version)

    def events(self, record_id: str, *, kind: Kind = RECORD) -> list[ReviewEvent]:
        """An item's history, oldest first (`record_id` names an analysis too, with `kind`)."""
        self.head(kind, record_id)  # the kind's not-found error for an unknown id
        return [
            ReviewEvent(record_id=r[0], version=r[1], action=r[2], reviewer=r[3], note=r[4], at=r[5])
            for r in self.db.execute(
                f"SELECT {kind.key}, version, action, actor, note, at FROM {kind.events} WHERE {kind.key} = ?"
                " ORDER BY id",
                (record_id,),
            )
        ]

    def version_rows(self, record_id: str) -> list[tuple[int, str, str, str, str, str, str]]:
        """(version, kind, author, created_at, summary, grounding, provenance) of every version, oldest first."""
        self.get(record_id)  # raises RecordNotFound for an unknown id
        return list(
            self.db.execute(
                "SELECT version, kind, author, created_at, summary, grounding, provenance FROM versions"
                " WHERE record_id = ? ORDER BY version",
                (record_id,),
            )
        )

    def versions(self, record_id: str) -> list[Record]:
        count = self.get(record_id).version
        return [self.get(record_id, v) for v in range(1, count + 1)]

    def failures(self, case_id: str | None = None) -> list[Failure]:
        sql = "SELECT case_id, source_path, reason, attempts, last_raw, at FROM failures"
        args: tuple[str, ...] = ()
        if case_id:
            sql, args = sql + " WHERE case_id = ?", (case_id,)
        return [Failure(*row) for row in self.db.execute(sql + " ORDER BY id", args)]


def _words(summary: CaseSummary) -> dict[str, Any]:
    """What a reviewer reads in a summary: everything, with each piece of evidence as its text alone."""
    data = summary.model_dump(mode="json")
    for _, point in point_dicts(data):
        point["evidence"] = [item["text"] for item in point["evidence"]]
    return data


def _already_made(db: sqlite3.Connection, record_id: str, cache_key: str, sha256: str) -> bool:
    row = db.execute(
        "SELECT (EXISTS (SELECT 1 FROM versions WHERE record_id = ? AND cache_key = ?)"
        " OR EXISTS (SELECT 1 FROM confirmations WHERE kind = ? AND item_id = ? AND cache_key = ?))"
        " AND (SELECT source_sha256 FROM versions WHERE record_id = ? AND kind = 'generated'"
        " ORDER BY version DESC LIMIT 1) = ?",
        (record_id, cache_key, RECORD.name, record_id, cache_key, record_id, sha256),
    ).fetchone()
    return bool(row[0])


def _cached_version(db: sqlite3.Connection, kind: Kind, item_id: str, cache_key: str) -> int | None:
    row = db.execute(
        f"SELECT max(version) FROM (SELECT version FROM {kind.versions} WHERE {kind.key} = ? AND cache_key = ?"
        " UNION ALL SELECT version FROM confirmations WHERE kind = ? AND item_id = ? AND cache_key = ?)",
        (item_id, cache_key, kind.name, item_id, cache_key),
    ).fetchone()
    return row[0] if row else None


def confirm_if_current_says(
    db: sqlite3.Connection, kind: Kind, item_id: str, conditions: dict[str, object], cache_key: str,
    sha256: str | None = None,
) -> bool:  # fmt: skip
    """Whether the item's current version meets `conditions` (see `current_says`); if so, `cache_key` is kept as
    having made it, so that a later run with that key is answered from the cache instead of asking again."""
    if not current_says(db, kind, item_id, conditions):
        return False
    db.execute(
        "INSERT OR IGNORE INTO confirmations (kind, item_id, version, cache_key, source_sha256, confirmed_at)"
        f" SELECT ?, id, current_version, ?, ?, ? FROM {kind.items} WHERE id = ?",
        (kind.name, cache_key, sha256, now().isoformat(), item_id),
    )
    return True


def _head(db: sqlite3.Connection, kind: Kind, item_id: str) -> Head | None:
    row = db.execute(
        f"SELECT status, current_version, approved_version FROM {kind.items} WHERE id = ?", (item_id,)
    ).fetchone()
    return Head(item_id, parse_status(row[0]), row[1], row[2]) if row else None


def _last_review(db: sqlite3.Connection, kind: Kind, item_id: str) -> tuple[str, str, str | None] | None:
    return db.execute(
        f"SELECT actor, at, note FROM {kind.events} WHERE {kind.key} = ? AND action IN ('approved', 'rejected')"
        " ORDER BY id DESC LIMIT 1",
        (item_id,),
    ).fetchone()


def _event(db: sqlite3.Connection, kind: Kind, item_id: str, version: int, action: str, actor: str,
           note: str | None, at: str) -> None:  # fmt: skip
    db.execute(
        f"INSERT INTO {kind.events} ({kind.key}, version, action, actor, note, at) VALUES (?, ?, ?, ?, ?, ?)",
        (item_id, version, action, actor, note, at),
    )


def current_says(db: sqlite3.Connection, kind: Kind, item_id: str, conditions: dict[str, object]) -> bool:
    """Whether the item's current version (row `v`) meets every condition: `{"v.body = ?": value}`. The conditions
    are written by trendsum, never taken from input; only the values are."""
    where = "".join(f" AND {condition}" for condition in conditions)
    return db.execute(
        f"SELECT 1 FROM {kind.items} i JOIN {kind.versions} v ON v.{kind.key} = i.id AND v.version = i.current_version"
        f" WHERE i.id = ?{where}",
        (item_id, *conditions.values()),
    ).fetchone() is not None


@contextmanager
def _joined(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The transaction a caller already holds."""
    yield db


def _version_columns(kind: str, author: str, summary: str, grounding: Grounding, provenance: Provenance,
                     cache_key: str, flags: Sequence[str]) -> dict[str, object]:  # fmt: skip
    return {
        "kind": kind, "author": author, "summary": summary, "grounding": grounding.model_dump_json(),
        "provenance": provenance.model_dump_json(), "flags": json.dumps(list(flags)),
        "source_sha256": provenance.source_sha256, "cache_key": cache_key,
    }  # fmt: skip


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _denormalised(summary: CaseSummary, grounding: Grounding, provenance: Provenance) -> dict[str, object]:
    return {
        "title": summary.title,
        "organisation": summary.organisation,
        "nation": summary.nation,
        "year": summary.year,
        "trend": str(summary.trend),
        "engine": provenance.engine,
        "grounded": grounding.supported,
        "points": grounding.total,
        "sound": grounding.sound,
        "source_path": provenance.source_path,
        # what the selection criteria read (see criteria.py), so that listing needs no summary JSON
        "ai_text": summary.ai_application.text if summary.ai_application else None,
        "outcomes": len(summary.outcomes),
        "unintended": len(summary.unintended_consequences),
        "lessons": len(summary.lessons),
        "criteria_failed": criteria.failed_tag(summary),
    }


def _filters(
    statuses: Sequence[Status],
    trend: str | None,
    nation: str | None,
    engine: str | None,
    ids: Sequence[str],
    meets: Sequence[str] = (),
    fails: Sequence[str] = (),
) -> tuple[str, list[object]]:
    clauses, args = where_clauses(statuses, {"trend": trend, "nation": nation, "engine": engine}, {}, ids)
    for names, negate in ((fails, False), (meets, True)):
        for name in criteria.check_names(names):  # on the tag of failed criteria (`criteria.failed_tag`)
            group = criteria.SELECTION if name == "selected" else (name,)
            any_failed = "(" + " OR ".join("criteria_failed LIKE ?" for _ in group) + ")"
            clauses.append(f"NOT {any_failed}" if negate else any_failed)
            args.extend(f"%,{n},%" for n in group)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def where_clauses(
    statuses: Sequence[Status], alike: dict[str, str | None], equal: dict[str, str | None], ids: Sequence[str] = ()
) -> tuple[list[str], list[object]]:
    """Clauses (and their arguments) on an items table: any of `statuses`, each given `alike` column equal but for
    case, each given `equal` column equal, and any of `ids`."""
    clauses: list[str] = []
    args: list[object] = []
    if statuses:
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(str(s) for s in statuses)
    for column, value in alike.items():
        if value:
            clauses.append(f"lower({column}) = lower(?)")
            args.append(value)
    for column, value in equal.items():
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if ids:
        clauses.append(f"id IN ({', '.join('?' * len(ids))})")
        args.extend(ids)
    return clauses, args


def _row(values: tuple[object, ...]) -> RecordRow:
    record_id, status, *rest = values
    return RecordRow(record_id, parse_status(status), *rest)  # type: ignore[arg-type]
