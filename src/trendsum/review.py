"""Review rules: who may move a record from what to what. Status only ever changes through these functions,
called by a person's command; nothing an engine or a source says can reach them."""

from __future__ import annotations

import getpass
import os

from . import grounding
from .errors import ConflictError, ReviewError, UsageError
from .models import CaseSummary, Record, Status
from .store import Saved, Store

ACCEPTABLE = (Status.PENDING, Status.STALE, Status.REJECTED)
REJECTABLE = (Status.PENDING, Status.STALE, Status.APPROVED)


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
    allow_ungrounded: bool = False,
) -> Saved:
    record = store.get(record_id)
    _check_expected(record, expected_version)
    if record.status not in ACCEPTABLE:
        raise ReviewError(f"{record_id} is already {record.status}; nothing to accept.")
    unsupported = record.grounding.total - record.grounding.supported
    if unsupported and not allow_ungrounded:
        raise ReviewError(
            f"{record_id} has {unsupported} point(s) whose quotes are not in the source. Check them with "
            f"`trendsum show {record_id}`, edit them, or accept anyway with --allow-ungrounded."
        )
    return store.set_status(record_id, record.version, Status.APPROVED, reviewer, note, "approved")


def reject(
    store: Store, record_id: str, reviewer: str, note: str | None, *, expected_version: int | None = None
) -> Saved:
    if not note or not note.strip():
        raise UsageError("Say why with --note: a rejection without a reason cannot be acted on.")
    record = store.get(record_id)
    _check_expected(record, expected_version)
    if record.status not in REJECTABLE:
        raise ReviewError(f"{record_id} is already rejected.")
    return store.set_status(record_id, record.version, Status.REJECTED, reviewer, note, "rejected")


def edit(
    store: Store,
    record_id: str,
    summary: CaseSummary,
    source_text: str | None,
    reviewer: str,
    note: str | None,
    *,
    expected_version: int | None = None,
) -> Saved:
    """Save a reviewer's corrected summary as a new version; quotes are checked against the source again."""
    record = store.get(record_id)
    _check_expected(record, expected_version)
    if summary == record.summary:
        raise ReviewError(f"No change to {record_id}: nothing saved.")
    checked = grounding.check(summary, source_text) if source_text is not None else record.grounding
    return store.save_edit(record_id, record.version, summary, checked, reviewer, note)


def _check_expected(record: Record, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record.version:
        raise ConflictError(
            f"{record.id} is at version {record.version}, not {expected_version}: someone changed it. "
            f"Look at it again with `trendsum show {record.id}`."
        )
