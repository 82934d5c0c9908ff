"""What is particular to cross-case analyses in the review queue: their ids, listing columns and body.

Versions, review decisions, stale handling and history are the store's, the same as for records (`kinds.ANALYSIS`
names the tables migration m003 made); this module only says what an analysis row holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..domain.analysis import Analysis, AnalysisProvenance, CrossCaseAnalysis
from ..domain.models import ReviewEvent, Status, parse_status
from .kinds import ANALYSIS, AnalysisNotFound
from .store import Saved, Store, confirm_if_current_says, current_says
from .transitions import GENERATE, Actor

__all__ = [
    "AnalysisNotFound", "AnalysisRow", "analysis_id", "approved", "cached_version", "current_version", "events", "get",
    "rows", "save_generated",
]  # fmt: skip


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
    return store.cached_version(ANALYSIS, analysis, cache_key)


def current_version(store: Store, analysis: str) -> int | None:
    row = store.db.execute("SELECT current_version FROM analyses WHERE id = ?", (analysis,)).fetchone()
    return row[0] if row else None


def save_generated(
    store: Store, trend: str, language: str, body: CrossCaseAnalysis, provenance: AnalysisProvenance, cache_key: str,
    *, force: bool = False,
) -> Saved:  # fmt: skip
    """Add an engine's analysis as a new analysis or as its next version (never overwriting).

    Nothing is written (`unchanged`) when the current version was made from the same inputs (another run made it
    meanwhile, unless `force`), or when it already says exactly this, drawn from the same versions of the same
    cases: a new prompt, model or trendsum that changes nothing a reviewer reads never sends it back to review
    (its cache key is kept as confirming the current version, so the next run with it asks nothing).
    """
    text = body.model_dump_json()
    same = {"v.body = ?": text,
            "json_extract(v.provenance, '$.inputs') = json_extract(?, '$.inputs')": provenance.model_dump_json()}
    analysis = analysis_id(trend, language)
    note = f"{provenance.engine} {provenance.model}; {len(provenance.inputs)} approved case(s)"
    return store.add_version(
        ANALYSIS, analysis, Actor.PIPELINE, GENERATE, f"engine:{provenance.engine}", note,
        {"author": "engine", "body": text, "provenance": provenance.model_dump_json(), "cache_key": cache_key},
        {"trend": trend, "language": language, "engine": provenance.engine, "cases": len(provenance.inputs)},
        unchanged_if=lambda db: (not force and current_says(db, ANALYSIS, analysis, {"v.cache_key = ?": cache_key}))
        or confirm_if_current_says(db, ANALYSIS, analysis, same, cache_key),
    )  # fmt: skip


def get(store: Store, analysis: str, version: int | None = None) -> Analysis:
    head = store.head(ANALYSIS, analysis)
    wanted, row = store.version_of(ANALYSIS, head, version, "author, body, provenance")
    trend, language = store.db.execute("SELECT trend, language FROM analyses WHERE id = ?", (analysis,)).fetchone()
    review = store.last_review(ANALYSIS, analysis)
    return Analysis(
        id=analysis,
        version=wanted,
        trend=trend,
        language=language,
        status=head.status,
        body=CrossCaseAnalysis.model_validate_json(row[1]),
        provenance=AnalysisProvenance.model_validate_json(row[2]),
        author=row[0],
        approved_version=head.approved_version,
        reviewed_by=review[0] if review else None,
        reviewed_at=review[1] if review else None,
        review_note=review[2] if review else None,
    )


def rows(
    store: Store, statuses: tuple[Status, ...] = (), trend: str | None = None, language: str | None = None
) -> list[AnalysisRow]:
    where, args = store.where(statuses, {"trend": trend}, {"language": language})
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
    return store.events(analysis, kind=ANALYSIS)
