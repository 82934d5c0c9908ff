"""Review of records: a person's accept, reject and edit, checked against `transitions` (who may move an item
from what to what, for records and analyses alike). Status only ever changes through these functions, called by
a person's command; nothing an engine or a source says can reach them. Also the audit trail's reading side:
every version, who made it, and what changed."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..domain import grounding
from ..domain.models import CaseSummary, Grounding, PointCheck, Provenance, Record, Status
from ..errors import IngestError, ReviewError, UsageError
from ..ingest import Source, read_case
from . import editing
from .kinds import RECORD
from .store import Saved, Store
from .transitions import APPROVE, REJECT, Actor, ensure_seen, next_status


def reviewer_name(given: str | None, configured: str | None = None) -> str:
    """The flag, then config, then the OS user: every decision is attributed to someone."""
    for name in (given, configured, os.environ.get("TRENDSUM_REVIEWER")):
        if name and name.strip():
            return name.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("Cannot tell who you are: pass --reviewer NAME.") from None


def accept(
    store: Store,
    record_id: str,
    reviewer: str,
    note: str | None = None,
    *,
    expected_version: int | None = None,
    expected_status: Status | None = None,
    allow_ungrounded: bool = False,
) -> Saved:
    record = store.get(record_id)
    ensure_unchanged(record, expected_version, expected_status)
    next_status(Actor.REVIEWER, APPROVE, record.status, record_id)  # refused before the grounding is looked at
    unsupported = unsupported_points(record)
    if unsupported and not allow_ungrounded:
        raise ReviewError(
            f"{record_id} has {unsupported} point(s) whose quotes are not in the source or do not support what they say. Check them with "
            f"`trendsum show {record_id}`, edit them, or accept anyway with --allow-ungrounded."
        )
    return store.decide(RECORD, record_id, APPROVE, reviewer, note, record.version, record.status)


def reject(
    store: Store,
    record_id: str,
    reviewer: str,
    note: str | None,
    *,
    expected_version: int | None = None,
    expected_status: Status | None = None,
) -> Saved:
    reason = rejection_reason(note)
    record = store.get(record_id)
    ensure_unchanged(record, expected_version, expected_status)
    return store.decide(RECORD, record_id, REJECT, reviewer, reason, record.version, record.status)


def rejection_reason(note: str | None) -> str:
    """A rejection of anything (a record, an analysis) says why: the note, or a UsageError."""
    if not note or not note.strip():
        raise UsageError("Say why with --note: a rejection without a reason cannot be acted on.")
    return note.strip()


def unsupported_points(record: Record) -> int:
    """Points a silent accept refuses: evidence not in the source, or not backing what the point says."""
    return record.grounding.total - record.grounding.sound


def edit(
    store: Store,
    record_id: str,
    summary: CaseSummary,
    source_text: str | None,
    reviewer: str,
    note: str | None,
    *,
    expected_version: int | None = None,
    expected_status: Status | None = None,
) -> Saved:
    """Save a reviewer's corrected summary as a new version; quotes are checked against the source again.

    Without the source text, a quote counts as found only if the last check found it: a new or changed quote
    is marked as not found, so an edit can never make a point look better grounded than anyone checked.
    """
    record = store.get(record_id)
    ensure_unchanged(record, expected_version, expected_status)
    summary = summary.with_citations_from(record.summary)
    if summary == record.summary:
        raise ReviewError(f"No change to {record_id}: nothing saved.")
    language = record.provenance.language
    checked = (grounding.check(summary, source_text, language) if source_text is not None
               else carried_grounding(record, summary))  # fmt: skip
    return store.save_edit(record_id, record.version, summary, checked, reviewer, note)


def carried_grounding(record: Record, summary: CaseSummary) -> Grounding:
    found: set[str] = set()
    for path, point in record.summary.points():
        check = record.grounding.points.get(path)
        if check is not None:
            found.update(quote for quote in point.quotes if quote not in check.missing)
    points = {}
    for path, point in summary.points():
        unverified = [quote for quote in point.quotes if quote not in found]
        points[path] = PointCheck(supported=not unverified, missing=unverified)
    # support needs no source: checked as it is for every record read (the record's details, its language)
    return grounding.with_support(summary, Grounding(points=points), record.provenance.language)


@dataclass(frozen=True)
class EditOutcome:
    saved: Saved
    grounding: Grounding
    source_problem: str | None  # why the quotes could not be checked against the source, if they could not


def edit_markdown(
    store: Store,
    record_id: str,
    text: str,
    reviewer: str,
    note: str | None,
    *,
    expected_version: int | None = None,
    expected_status: Status | None = None,
) -> EditOutcome:
    """Save an edited Markdown rendering (see `editing`) as a new version.

    Without an expected version, the one named in the document's header is used: text made from version 2
    cannot silently replace a version 3 someone else saved in the meantime.
    """
    summary = editing.parse_markdown(text)
    made_from = editing.origin(text)
    if made_from is not None and made_from[0] != record_id:
        raise UsageError(
            f"This text was made from record {made_from[0]}, not {record_id}: check the id, or delete the "
            "`<!-- trendsum record ... -->` header to apply it anyway."
        )
    if expected_version is None and made_from is not None:
        expected_version = made_from[1]
    record = store.get(record_id)
    source = read_source(record.provenance, store)
    usable = source.text if source.problem is None else None
    saved = edit(store, record_id, summary, usable, reviewer, note,
                 expected_version=expected_version, expected_status=expected_status)  # fmt: skip
    return EditOutcome(saved, store.get(record_id, saved.version).grounding, source.problem)


@dataclass(frozen=True)
class SourceText:
    path: str
    text: str | None  # the file's text now, when it can be read at all
    problem: str | None  # why it is not the text the record was made from: gone, unreadable or changed


def read_source(provenance: Provenance, store: Store | None = None) -> SourceText:
    """The text a record was made from: as the queue kept it, else its file if still there and unchanged (same
    sha256). Records made before the queue kept source texts have only their file."""
    path = Path(provenance.source_path)
    kept = store.kept_text(provenance) if store is not None else None
    if kept is not None:
        return SourceText(str(path), kept, None)
    if provenance.source_path == "-":
        return SourceText("-", None, "This case study came on standard input: there is no file to read again.")
    if not path.is_file():
        return SourceText(str(path), None, f"The source file {path} is not there any more (paths are relative "
                                           "to the folder where `trendsum summarise` ran).")  # fmt: skip
    try:
        case = read_case(Source(path, path.stem))
    except IngestError as exc:
        return SourceText(str(path), None, f"The source file cannot be read: {exc}")
    if case.sha256 != provenance.source_sha256:
        return SourceText(str(path), case.text, f"The source file {path} has changed since this summary was made.")
    return SourceText(str(path), case.text, None)


@dataclass(frozen=True)
class VersionEntry:
    version: int
    kind: str  # generated or edited
    author: str  # "engine" or the reviewer
    created_at: datetime
    engine: str
    model: str
    grounded: int
    points: int
    summary: CaseSummary


def version_history(store: Store, record_id: str) -> list[VersionEntry]:
    """Every version of a record, oldest first, as the versions table keeps them (never rewritten)."""
    entries = []
    for version, kind, author, created_at, summary, checked, provenance in store.version_rows(record_id):
        made = Provenance.model_validate_json(provenance)
        check = Grounding.model_validate_json(checked)
        entries.append(VersionEntry(version, kind, author, datetime.fromisoformat(created_at), made.engine,
                                    made.model, check.supported, check.total,
                                    CaseSummary.model_validate_json(summary)))  # fmt: skip
    return entries


def ensure_unchanged(record: Record, expected_version: int | None, expected_status: Status | None = None) -> None:
    """Raise ConflictError unless the record is still at the version (and status) the caller saw."""
    ensure_seen(RECORD.show, record.id, expected_version, expected_status, record.version, record.status,
                record.reviewed_by)  # fmt: skip
