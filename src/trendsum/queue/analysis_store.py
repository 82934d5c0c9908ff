"""Cross-case analyses in the review queue (tables from migration m003): versions and events kept forever.

Same rules as records: a new analysis waits, pending, for a person; one generated again after approval keeps
its approved version and becomes stale until reviewed; every write is one short transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..domain.analysis import Analysis, AnalysisProvenance, CrossCaseAnalysis
from ..errors import ConflictError, UsageError
from ..domain.models import ReviewEvent, Status, parse_status
from .store import Saved, Store, now


class AnalysisNotFound(UsageError):
    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"No analysis with id {analysis_id!r}. Run `trendsum analyse list` to see the ids.")
        self.analysis_id = analysis_id


@dataclass(frozen=True)
class AnalysisRow:
    id: str
    trend: str
    language: str
    status: Status
    current_version: int
    approved_version: int | None
    engine: str
    cases: int
    updated_at: str


def analysis_id(trend: str, language: str) -> str:
    """'harnessing data' in English -> 'harnessing-data.en'."""
    return f"{re.sub(r'[^a-z0-9]+', '-', trend.lower()).strip('-')}.{language}"


def cached_version(store: Store, analysis: str, cache_key: str) -> int | None:
    """The latest version made from the same inputs, prompt, engine and model, if any."""
    row = store.db.execute(
        "SELECT max(version) FROM analysis_versions WHERE analysis_id = ? AND cache_key = ?", (analysis, cache_key)
    ).fetchone()
    return row[0] if row else None


def current_version(store: Store, analysis: str) -> int | None:
    row = store.db.execute("SELECT current_version FROM analyses WHERE id = ?", (analysis,)).fetchone()
    return row[0] if row else None


def save_generated(
    store: Store, trend: str, language: str, body: CrossCaseAnalysis, provenance: AnalysisProvenance, cache_key: str,
    *, force: bool = False,
) -> Saved:
    """Add an engine's analysis as a new analysis or as its next version (never overwriting).

    Unless forced, an analysis whose current version was made from the same inputs is left as it is.
    """
    at = now().isoformat()
    analysis = analysis_id(trend, language)
    with store.transaction() as db:
        head = db.execute("SELECT current_version, status FROM analyses WHERE id = ?", (analysis,)).fetchone()
        if head is not None and not force and db.execute(
            "SELECT 1 FROM analysis_versions WHERE analysis_id = ? AND version = ? AND cache_key = ?",
            (analysis, head[0], cache_key),
        ).fetchone():
            return Saved(analysis, head[0], parse_status(head[1]), created=False)  # another process made it meanwhile
        if head is None:
            version, status, created = 1, Status.PENDING, True
            db.execute(
                "INSERT INTO analyses (id, trend, language, status, current_version, engine, cases, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (analysis, trend, language, status, version, provenance.engine, len(provenance.inputs), at, at),
            )
        else:
            version, created = head[0] + 1, False
            status = Status.STALE if head[1] in (Status.APPROVED, Status.STALE) else Status.PENDING
            db.execute(
                "UPDATE analyses SET status = ?, current_version = ?, engine = ?, cases = ?, updated_at = ?"
                " WHERE id = ?",
                (status, version, provenance.engine, len(provenance.inputs), at, analysis),
            )
        db.execute(
            "INSERT INTO analysis_versions (analysis_id, version, author, body, provenance, cache_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (analysis, version, "engine", body.model_dump_json(), provenance.model_dump_json(), cache_key, at),
        )
        action = "created" if created else ("stale" if status == Status.STALE else "regenerated")
        note = f"{provenance.engine} {provenance.model}; {len(provenance.inputs)} approved case(s)"
        _event(db, analysis, version, action, f"engine:{provenance.engine}", note, at)
    return Saved(analysis, version, status, created)


def set_status(store: Store, seen: Analysis, status: Status, reviewer: str, note: str | None, action: str) -> Saved:
    """Move an analysis to a new status, if it is still at the version and status the reviewer saw."""
    at = now().isoformat()
    with store.transaction() as db:
        version, current, approved = db.execute(
            "SELECT current_version, status, approved_version FROM analyses WHERE id = ?", (seen.id,)
        ).fetchone()
        if (version, current) != (seen.version, seen.status):
            raise ConflictError(
                f"{seen.id} changed while you were reviewing it: you saw version {seen.version} ({seen.status}), "
                f"it is now version {version} ({current}). Look at it again with `trendsum analyse show {seen.id}`."
            )
        approved = version if status == Status.APPROVED else None if status == Status.REJECTED else approved
        db.execute(
            "UPDATE analyses SET status = ?, approved_version = ?, updated_at = ? WHERE id = ?",
            (status, approved, at, seen.id),
        )
        _event(db, seen.id, version, action, reviewer, note, at)
    return Saved(seen.id, version, status, created=False)


def get(store: Store, analysis: str, version: int | None = None) -> Analysis:
    head = store.db.execute(
        "SELECT trend, language, status, current_version, approved_version FROM analyses WHERE id = ?", (analysis,)
    ).fetchone()
    if head is None:
        raise AnalysisNotFound(analysis)
    trend, language, status, current, approved_version = head
    wanted = current if version is None else version
    row = store.db.execute(
        "SELECT author, body, provenance FROM analysis_versions WHERE analysis_id = ? AND version = ?",
        (analysis, wanted),
    ).fetchone()
    if row is None:
        raise AnalysisNotFound(f"{analysis} version {wanted}")
    review = store.db.execute(
        "SELECT actor, at, note FROM analysis_events WHERE analysis_id = ? AND action IN ('approved', 'rejected')"
        " ORDER BY id DESC LIMIT 1",
        (analysis,),
    ).fetchone()
    return Analysis(
        id=analysis,
        version=wanted,
        trend=trend,
        language=language,
        status=parse_status(status),
        body=CrossCaseAnalysis.model_validate_json(row[1]),
        provenance=AnalysisProvenance.model_validate_json(row[2]),
        author=row[0],
        approved_version=approved_version,
        reviewed_by=review[0] if review else None,
        reviewed_at=datetime.fromisoformat(review[1]) if review else None,
        review_note=review[2] if review else None,
    )


def rows(
    store: Store, statuses: tuple[Status, ...] = (), trend: str | None = None, language: str | None = None
) -> list[AnalysisRow]:
    clauses, args = [], []
    if statuses:
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(str(s) for s in statuses)
    if trend:
        clauses.append("lower(trend) = lower(?)")
        args.append(trend)
    if language:
        clauses.append("language = ?")
        args.append(language)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    sql = (
        "SELECT id, trend, language, status, current_version, approved_version, engine, cases, updated_at"
        f" FROM analyses{where} ORDER BY trend, language"
    )
    return [AnalysisRow(r[0], r[1], r[2], parse_status(r[3]), *r[4:]) for r in store.db.execute(sql, args)]


def approved(store: Store, trend: str, language: str) -> Analysis | None:
    """The approved analysis of a trend in a language, if there is one (status approved, not stale)."""
    head = store.db.execute(
        "SELECT id, approved_version FROM analyses WHERE lower(trend) = lower(?) AND language = ? AND status = ?",
        (trend, language, Status.APPROVED),
    ).fetchone()
    return get(store, head[0], head[1]) if head else None


def events(store: Store, analysis: str) -> list[ReviewEvent]:
    get(store, analysis)
    return [
        ReviewEvent(record_id=r[0], version=r[1], action=r[2], reviewer=r[3], note=r[4], at=r[5])
        for r in store.db.execute(
            "SELECT analysis_id, version, action, actor, note, at FROM analysis_events WHERE analysis_id = ?"
            " ORDER BY id",
            (analysis,),
        )
    ]


def _event(db, analysis: str, version: int, action: str, actor: str, note: str | None, at: str) -> None:  # type: ignore[no-untyped-def]
    db.execute(
        "INSERT INTO analysis_events (analysis_id, version, action, actor, note, at) VALUES (?, ?, ?, ?, ?, ?)",
        (analysis, version, action, actor, note, at),
    )
