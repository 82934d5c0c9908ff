"""Who may move an item of the queue (a record or an analysis) from what status to what: one table for both.

A person's decision (approve, reject, edit) and the pipeline's new version are the only ways a status changes;
the store applies this table inside the transaction that writes the change, so a check made on a stale read can
never let a forbidden move through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..domain.models import Status
from ..errors import ConflictError, ReviewError


class Actor(StrEnum):
    REVIEWER = "reviewer"  # a person's command
    PIPELINE = "pipeline"  # a summarise or analyse run saving what an engine made


class Approval(StrEnum):
    """What a move does to the item's approved version."""

    KEEP = "keep"  # an approved item given a new version keeps the approved text until the new one is reviewed
    THIS = "this"  # the version decided on becomes the approved one
    NONE = "none"  # nothing of it is approved any more


@dataclass(frozen=True)
class Transition:
    actor: Actor
    moves: Mapping[Status | None, Status]  # status before (None: a new item) -> status after
    approval: Approval
    refusal: str  # why a move from a status not in `moves` is refused; {id} and {status} are filled in


_NEW_VERSION = {None: Status.PENDING, Status.PENDING: Status.PENDING, Status.REJECTED: Status.PENDING,
                Status.APPROVED: Status.STALE, Status.STALE: Status.STALE}  # fmt: skip

# keyed by the action each move records in the item's history
TRANSITIONS: dict[str, Transition] = {
    "approved": Transition(
        Actor.REVIEWER, {s: Status.APPROVED for s in (Status.PENDING, Status.STALE, Status.REJECTED)},
        Approval.THIS, "{id} is already {status}; nothing to accept.",
    ),
    "rejected": Transition(
        Actor.REVIEWER, {s: Status.REJECTED for s in (Status.PENDING, Status.STALE, Status.APPROVED)},
        Approval.NONE, "{id} is already rejected.",
    ),
    "edited": Transition(Actor.REVIEWER, {k: v for k, v in _NEW_VERSION.items() if k is not None}, Approval.KEEP,
                         "{id} cannot be edited while {status}."),  # fmt: skip
    "generated": Transition(Actor.PIPELINE, _NEW_VERSION, Approval.KEEP,
                            "{id} cannot get a new version while {status}."),  # fmt: skip
}
APPROVE, REJECT, EDIT, GENERATE = "approved", "rejected", "edited", "generated"


def next_status(actor: Actor, action: str, current: Status | None, item_id: str) -> Status:
    """The status `action` moves an item from `current` to, or a ReviewError saying why it may not."""
    transition = TRANSITIONS[action]
    if transition.actor != actor:
        # a bug in the caller, not a user's mistake
        raise ValueError(f"{actor} may not record {action!r}: only the {transition.actor} does")
    if current not in transition.moves:
        raise ReviewError(transition.refusal.format(id=item_id, status=current))
    return transition.moves[current]


def approved_version(action: str, version: int, before: int | None) -> int | None:
    """The item's approved version after `action` on `version`."""
    approval = TRANSITIONS[action].approval
    return version if approval == Approval.THIS else None if approval == Approval.NONE else before


def changed_message(kind_show: str, item_id: str, seen_version: int, seen_status: Status | None, version: int,
                    status: Status, reviewed_by: str | None) -> str:  # fmt: skip
    """What a reviewer reads when someone else changed the item between their reading it and their decision."""
    latest = f", {status} by {reviewed_by}" if reviewed_by and status in (Status.APPROVED, Status.REJECTED) else ""
    return (
        f"{item_id} changed while you were reviewing it: you saw version {seen_version}"
        f"{f' ({seen_status})' if seen_status else ''}, it is now version {version} ({status}{latest}); someone "
        f"changed it. Look at it again with `{kind_show} {item_id}` and repeat your action if it still stands."
    )


def ensure_seen(show: str, item_id: str, expected_version: int | None, expected_status: Status | None,
                version: int, status: Status, reviewed_by: str | None) -> None:  # fmt: skip
    """A ConflictError unless the item is still at the version (and status) the caller says they saw."""
    if (expected_version is not None and expected_version != version) or (
        expected_status is not None and expected_status != status
    ):
        seen = version if expected_version is None else expected_version
        raise ConflictError(changed_message(show, item_id, seen, expected_status, version, status, reviewed_by))
