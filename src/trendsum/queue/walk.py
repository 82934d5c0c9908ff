"""The review walk without a screen: which records, in what order, where the reviewer is, and what each decision
does and saves. A front end (the terminal one in `cli/review_ui.py`, a web page next) shows a record, turns what
the reviewer did into an `Action` and shows the `Outcome` it gets back; it never saves anything itself.

Every decision is saved the moment it is made, against the version and status the reviewer was shown, so quitting
loses nothing and a record someone else changed meanwhile comes back as a `Conflict` to show again, never an
overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ..domain.models import Record, Status
from ..errors import ConflictError, TrendsumError
from . import editing, review
from .store import RecordRow, Store

DEFAULT_STATUSES = (Status.PENDING, Status.STALE)


class Order(StrEnum):
    GROUNDED = "grounded"  # least grounded first: the records most likely to need a correction
    OLDEST = "oldest"  # longest waiting first


def review_queue(
    store: Store,
    statuses: Sequence[Status] = (),
    trend: str | None = None,
    nation: str | None = None,
    engine: str | None = None,
    ids: Sequence[str] = (),
    order: Order = Order.GROUNDED,
    meets: Sequence[str] = (),
    fails: Sequence[str] = (),
) -> list[RecordRow]:
    """The records to walk. Named ids are walked whatever their status unless --status says otherwise; `meets` and
    `fails` name selection criteria, as `trendsum list` takes them."""
    for record_id in ids:
        store.get(record_id)  # an unknown id is a usage error, not an empty queue
    rows = store.rows(statuses or (() if ids else DEFAULT_STATUSES), trend, nation, engine, ids, meets=meets,
                      fails=fails)  # fmt: skip
    if order == Order.OLDEST:
        return sorted(rows, key=lambda r: (r.updated_at, r.id))
    return sorted(rows, key=lambda r: (r.sound / r.points if r.points else 1.0, r.sound - r.points, r.id))


class Action(StrEnum):
    """What a reviewer can do with the record in front of them."""

    ACCEPT = "accept"
    REJECT = "reject"  # with the reason
    EDIT = "edit"  # with the edited Markdown text (see `editing`) and an optional note
    SKIP = "skip"
    BACK = "back"
    SOURCE = "source"  # read the case study the summary was made from


# -- outcomes: what a front end shows after an action -------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """The decision is saved; the walk has moved on to the next record (or the end)."""

    record_id: str
    version: int
    status: Status
    reviewer: str


@dataclass(frozen=True)
class Edited:
    """The edit is saved as a new version; the walk stays on the record, to be accepted or edited again."""

    outcome: review.EditOutcome


@dataclass(frozen=True)
class NeedsConfirm:
    """Some points have quotes that are not in the source or do not support them: accept only if the reviewer
    says so again."""

    unsupported: int


@dataclass(frozen=True)
class NeedsReason:
    """A rejection without a reason: nothing saved."""


@dataclass(frozen=True)
class InvalidEdit:
    """The edited text is not a valid record: nothing saved; the reviewer's text is theirs to fix or drop."""

    problems: list[str]


@dataclass(frozen=True)
class Unchanged:
    """The edited text is the text shown: nothing saved."""


@dataclass(frozen=True)
class Conflict:
    """Someone changed the record after it was shown: nothing saved; show the record again as it is now."""

    message: str


@dataclass(frozen=True)
class Refused:
    """The review rules refused the action (e.g. the record is already rejected): nothing saved."""

    message: str


@dataclass(frozen=True)
class Moved:
    """The walk is on another record."""

    index: int


@dataclass(frozen=True)
class FirstRecord:
    """Back from the first record: the walk stays where it is."""


@dataclass(frozen=True)
class End:
    """Past the last record: the front end shows the tally; back returns to the last record."""


@dataclass(frozen=True)
class SourceShown:
    """The source as it is now, or why there is none to show (`source.text` is None)."""

    source: review.SourceText


Outcome = (
    Decided | Edited | NeedsConfirm | NeedsReason | InvalidEdit | Unchanged | Conflict | Refused | Moved | FirstRecord
    | End | SourceShown
)  # fmt: skip


@dataclass
class Tally:
    decided: dict[str, str] = field(default_factory=dict)  # record id -> approved / rejected
    edited: list[str] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    interrupted: bool = False  # set by a front end the reviewer stopped (Ctrl-C)


@dataclass(frozen=True)
class Position:
    number: int  # from 1
    total: int
    remaining: int  # not yet decided in this walk


@dataclass(frozen=True)
class Changes:
    """What changed in a record: a stale one against the version approved, any other against the one before."""

    what: str  # "the approved version" or "the previous version"
    base: int
    lines: list[str]  # a unified diff of the two as Markdown


def markdown(record: Record) -> str:
    """The record as the Markdown a reviewer edits; it names the version it came from."""
    return editing.to_markdown(record.summary, grounding=record.grounding, origin=(record.id, record.version))


def check_edit(shown: Record, text: str) -> Unchanged | InvalidEdit | None:
    """Why the edited text cannot be saved, before asking the reviewer anything more; None if it can."""
    if text == markdown(shown):
        return Unchanged()
    try:
        editing.parse_markdown(text)
    except editing.EditInvalid as exc:
        return InvalidEdit(list(exc.problems))
    return None


def save_edit(
    store: Store, shown: Record, text: str, reviewer: str, note: str | None
) -> Edited | Unchanged | InvalidEdit | Conflict | Refused:
    """Save the edited text as a new version under the reviewer's name, if the record is still as shown."""
    problem = check_edit(shown, text)
    if problem is not None:
        return problem
    try:
        outcome = review.edit_markdown(store, shown.id, text, reviewer, note or None,
                                       expected_version=shown.version, expected_status=shown.status)  # fmt: skip
    except ConflictError as exc:
        return Conflict(str(exc))
    except TrendsumError as exc:
        return Refused(str(exc))
    return Edited(outcome)


class Walk:
    """One reviewer's walk through some records. A record is read afresh each time it is shown (`current`); each
    decision names the record as shown, so the save can tell whether anyone changed it since."""

    def __init__(self, store: Store, rows: Sequence[RecordRow], reviewer: str) -> None:
        self.store = store
        self.ids = [row.id for row in rows]
        self.reviewer = reviewer
        self.index = 0
        self.tally = Tally()

    # -- where the reviewer is ------------------------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        return self.index >= len(self.ids)

    def position(self) -> Position:
        return Position(self.index + 1, len(self.ids), len(self.ids) - len(self.tally.decided))

    def current(self) -> Record | None:
        """The record to show now, as it is in the store now; None past the end."""
        return None if self.at_end else self.store.get(self.ids[self.index])

    def changes(self, record: Record) -> Changes | None:
        if record.status == Status.STALE and record.approved_version and record.approved_version != record.version:
            base, what = record.approved_version, "the approved version"
        elif record.version > 1:
            base, what = record.version - 1, "the previous version"
        else:
            return None
        old = self.store.get(record.id, base)
        lines = editing.diff_lines(old.summary, record.summary, f"version {base} ({old.author})",
                                   f"version {record.version} ({record.author})")  # fmt: skip
        return Changes(what, base, lines)

    # -- actions --------------------------------------------------------------------------------------------

    def act(
        self,
        action: Action,
        shown: Record,
        *,
        confirmed: bool = False,
        reason: str | None = None,
        text: str | None = None,
        note: str | None = None,
    ) -> Outcome:
        """Do what the reviewer asked about the record they were shown; see each method for its outcomes."""
        if action == Action.ACCEPT:
            return self.accept(shown, confirmed=confirmed)
        if action == Action.REJECT:
            return self.reject(shown, reason or "")
        if action == Action.EDIT:
            if text is None:
                raise ValueError("an edit needs the edited text")
            return self.edit(shown, text, note)
        if action == Action.SKIP:
            return self.skip()
        if action == Action.BACK:
            return self.back()
        return self.source(shown)

    def skip(self) -> Moved | End:
        if not self.at_end:
            self.tally.skipped.add(self.ids[self.index])
        return self._forward()

    def back(self) -> Moved | FirstRecord:
        if self.index == 0:
            return FirstRecord()
        self.index = min(self.index, len(self.ids)) - 1
        return Moved(self.index)

    def accept(self, shown: Record, *, confirmed: bool = False) -> Decided | NeedsConfirm | Conflict | Refused:
        """Approve the record; one with points whose quotes are not in the source, or do not support what they say,
        only once `confirmed`."""
        unsupported = review.unsupported_points(shown)
        if unsupported and not confirmed:
            return NeedsConfirm(unsupported)
        note = (f"accepted with {unsupported} point(s) whose quotes are not in the source or do not support what they "
                "say") if unsupported else None
        return self._decide(shown, lambda: review.accept(
            self.store, shown.id, self.reviewer, note, expected_version=shown.version, expected_status=shown.status,
            allow_ungrounded=bool(unsupported)))  # fmt: skip

    def reject(self, shown: Record, reason: str) -> Decided | NeedsReason | Conflict | Refused:
        """Reject the record with the reason, which is kept with the decision."""
        reason = reason.strip()
        if not reason:
            return NeedsReason()
        return self._decide(shown, lambda: review.reject(
            self.store, shown.id, self.reviewer, reason, expected_version=shown.version,
            expected_status=shown.status))  # fmt: skip

    def edit(
        self, shown: Record, text: str, note: str | None = None
    ) -> Edited | Unchanged | InvalidEdit | Conflict | Refused:
        """Save the edited Markdown as a new version; the walk stays on the record, which is back in the queue."""
        outcome = save_edit(self.store, shown, text, self.reviewer, note)
        if isinstance(outcome, Edited):
            self.tally.edited.append(shown.id)
        return outcome

    def source(self, shown: Record) -> SourceShown:
        return SourceShown(review.read_source(shown.provenance, self.store))

    # -- inside ---------------------------------------------------------------------------------------------

    def _forward(self) -> Moved | End:
        self.index = min(self.index + 1, len(self.ids))
        return End() if self.at_end else Moved(self.index)

    def _decide(self, shown: Record, save: Callable[[], object]) -> Decided | Conflict | Refused:
        try:
            save()
        except ConflictError as exc:
            return Conflict(str(exc))
        except TrendsumError as exc:
            return Refused(str(exc))
        now = self.store.get(shown.id)
        self.tally.decided[shown.id] = str(now.status)
        self.tally.skipped.discard(shown.id)
        if not self.at_end and self.ids[self.index] == shown.id:  # a front end may decide on another record
            self._forward()
        return Decided(shown.id, now.version, now.status, self.reviewer)
