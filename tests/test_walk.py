"""The review walk with no terminal at all: actions in, outcomes out, and what each one saved in the queue. The
terminal front end has its own tests (test_review_session, test_review_pty); a second front end, here a fake web
one, drives the same walk."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run

from trendsum.domain import grounding
from trendsum.domain.models import Record, Status
from trendsum.queue import review
from trendsum.queue.store import Store
from trendsum.queue.walk import (
    Action,
    Conflict,
    Decided,
    Edited,
    End,
    FirstRecord,
    InvalidEdit,
    Moved,
    NeedsConfirm,
    NeedsReason,
    Refused,
    SourceShown,
    Unchanged,
    Walk,
    markdown,
    review_queue,
)

IDS = ["harbourside-housing", "rct-school-transport", "tayside-blue-badges"]  # equally grounded: in id order


@pytest.fixture
def store(cases: Path, db: Path) -> Iterator[Store]:
    assert run("summarise", str(cases)).exit_code == 0
    with Store(db) as opened:
        yield opened


def walk_of(store: Store, **filters: Any) -> Walk:
    return Walk(store, review_queue(store, **filters), "Ann Reviewer")


def shown(walk: Walk) -> Record:
    record = walk.current()
    assert record is not None
    return record


def test_the_walk_module_needs_no_terminal_library() -> None:
    code = ("import sys, trendsum.queue.walk; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'typer', 'click')"
            " or m.startswith('trendsum.cli')))")  # fmt: skip
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_skip_accept_back_and_the_end_of_the_queue(store: Store) -> None:
    walk = walk_of(store)
    assert walk.ids == IDS and walk.position().number == 1
    assert walk.back() == FirstRecord() and walk.index == 0

    assert walk.act(Action.SKIP, shown(walk)) == Moved(1)
    second = shown(walk)
    assert second.id == IDS[1]
    assert walk.act(Action.ACCEPT, second) == Decided(IDS[1], 1, Status.APPROVED, "Ann Reviewer")
    assert store.get(IDS[1]).status == Status.APPROVED and store.get(IDS[1]).reviewed_by == "Ann Reviewer"
    assert shown(walk).id == IDS[2]  # a decision moves on by itself
    assert walk.position().remaining == 2

    assert walk.act(Action.SKIP, shown(walk)) == End()
    assert walk.at_end and walk.current() is None
    assert walk.act(Action.BACK, second) == Moved(2) and shown(walk).id == IDS[2]  # back from the end: the last one
    assert walk.tally.decided == {IDS[1]: "approved"} and walk.tally.skipped == {IDS[0], IDS[2]}
    assert {row.id: row.status for row in store.rows()}[IDS[0]] == Status.PENDING  # skipping saves nothing


def test_accepting_unsupported_points_needs_confirming(store: Store, cases: Path) -> None:
    record = store.get("rct-school-transport")
    planted = record.summary.model_copy(deep=True)
    planted.outcomes[0].evidence = ["The council saved two million pounds in its first week."]
    checked = grounding.check(planted, (cases / "rct-school-transport.md").read_text())
    store.save_edit(record.id, record.version, planted, checked, "Tester", "plant")
    walk = walk_of(store, ids=["rct-school-transport"])

    assert walk.accept(shown(walk)) == NeedsConfirm(1)
    assert store.get("rct-school-transport").status == Status.PENDING and walk.index == 0
    outcome = walk.act(Action.ACCEPT, shown(walk), confirmed=True)
    assert isinstance(outcome, Decided) and outcome.status == Status.APPROVED
    note = store.events("rct-school-transport")[-1].note
    assert note == "accepted with 1 point(s) whose quotes are not in the source or do not support what they say"


def test_rejecting_needs_a_reason_and_keeps_it(store: Store) -> None:
    walk = walk_of(store, ids=["tayside-blue-badges"])
    assert walk.act(Action.REJECT, shown(walk), reason="   ") == NeedsReason()
    assert store.get("tayside-blue-badges").status == Status.PENDING
    assert walk.act(Action.REJECT, shown(walk), reason=" duplicate of fife ") == Decided(
        "tayside-blue-badges", 1, Status.REJECTED, "Ann Reviewer"
    )
    assert store.events("tayside-blue-badges")[-1].note == "duplicate of fife"
    assert walk.at_end and walk.tally.decided == {"tayside-blue-badges": "rejected"}


def test_an_edit_saves_a_new_version_and_stays_on_it(store: Store) -> None:
    walk = walk_of(store, ids=["tayside-blue-badges"])
    record = shown(walk)
    text = markdown(record)
    assert walk.act(Action.EDIT, record, text=text) == Unchanged()
    invalid = walk.act(Action.EDIT, record, text=text.replace("## Approach", "## My notes"))
    assert isinstance(invalid, InvalidEdit)
    assert any(p.startswith("the heading `## Approach` is missing") for p in invalid.problems)
    assert store.get(record.id).version == 1

    edited = walk.act(Action.EDIT, record, text=text.replace("backlog", "growing backlog"), note="wording")
    assert isinstance(edited, Edited) and edited.outcome.saved.version == 2
    now = shown(walk)  # still this record, now the new version, to accept or edit again
    assert (now.id, now.version, now.author, now.status) == (record.id, 2, "Ann Reviewer", Status.PENDING)
    assert "growing backlog" in markdown(now)
    changes = walk.changes(now)
    assert changes is not None and changes.what == "the previous version" and changes.base == 1
    assert any(line.startswith("+") and "growing backlog" in line for line in changes.lines)
    assert walk.tally.edited == [record.id] and walk.tally.decided == {}

    # the text made from version 1 is now out of date: it cannot replace version 2
    again = walk.act(Action.EDIT, record, text=text.replace("backlog", "queue"))
    assert isinstance(again, Conflict) and "you saw version 1" in again.message
    assert store.get(record.id).version == 2


def test_a_decision_on_a_record_someone_changed_since_it_was_shown_is_a_conflict(store: Store, db: Path) -> None:
    walk = walk_of(store)
    record = shown(walk)
    with Store(db) as theirs:
        review.reject(theirs, record.id, "Bob", "duplicate")

    outcome = walk.act(Action.ACCEPT, record)
    assert isinstance(outcome, Conflict)
    assert "you saw version 1 (pending), it is now version 1 (rejected, rejected by Bob)" in outcome.message
    assert store.get(record.id).status == Status.REJECTED  # Bob's decision stands
    assert ("approved", "Ann Reviewer") not in [(e.action, e.reviewer) for e in store.events(record.id)]
    assert walk.index == 0 and shown(walk).status == Status.REJECTED  # shown again, as it is now
    assert walk.tally.decided == {}
    # decided again on what is shown now: the rules say what may happen to a rejected record
    assert isinstance(walk.act(Action.REJECT, shown(walk), reason="me too"), Refused)
    assert isinstance(walk.act(Action.ACCEPT, shown(walk)), Decided)


def test_view_source_gives_the_text_or_why_there_is_none(store: Store, cases: Path) -> None:
    walk = walk_of(store, ids=["tayside-blue-badges"])
    outcome = walk.act(Action.SOURCE, shown(walk))
    assert isinstance(outcome, SourceShown) and outcome.source.problem is None
    assert "dropped by 64%" in (outcome.source.text or "")
    (cases / "tayside-blue-badges.md").unlink()
    kept = walk.source(shown(walk)).source  # the queue kept the text the record was made from
    assert kept.problem is None and "dropped by 64%" in (kept.text or "")
    store.db.execute("DELETE FROM source_texts")  # as for a record made before texts were kept
    gone = walk.source(shown(walk)).source
    assert gone.text is None and "is not there any more" in (gone.problem or "")


class FakeWebReview:
    """What a web review page does with the walk: each request is a form, each answer JSON-like data. It keeps
    the walk and the record it last showed per session, as a server-side session would."""

    def __init__(self, store: Store, reviewer: str) -> None:
        self.walk = Walk(store, review_queue(store), reviewer)
        self.shown: Record | None = None

    def page(self) -> dict[str, Any]:
        self.shown = self.walk.current()
        if self.shown is None:
            return {"end": True, "decided": self.walk.tally.decided}
        return {"id": self.shown.id, "version": self.shown.version, "status": str(self.shown.status)}

    def post(self, form: dict[str, str]) -> dict[str, Any]:
        assert self.shown is not None and form["id"] == self.shown.id
        outcome = self.walk.act(Action(form["action"]), self.shown, confirmed=form.get("confirm") == "yes",
                                reason=form.get("reason"), text=form.get("text"))  # fmt: skip
        return {"outcome": type(outcome).__name__, "next": self.page()}


def test_a_second_front_end_drives_the_same_walk(store: Store) -> None:
    web = FakeWebReview(store, "Web Reviewer")
    first = web.page()
    assert first == {"id": IDS[0], "version": 1, "status": "pending"}
    assert web.post({"id": IDS[0], "action": "reject", "reason": ""})["outcome"] == "NeedsReason"
    answer = web.post({"id": IDS[0], "action": "reject", "reason": "not a case study"})
    assert answer == {"outcome": "Decided", "next": {"id": IDS[1], "version": 1, "status": "pending"}}
    assert web.post({"id": IDS[1], "action": "skip"})["next"]["id"] == IDS[2]
    answer = web.post({"id": IDS[2], "action": "accept"})
    assert answer["next"] == {"end": True, "decided": {IDS[0]: "rejected", IDS[2]: "approved"}}
    statuses = {row.id: row.status for row in store.rows()}
    assert statuses == {IDS[0]: Status.REJECTED, IDS[1]: Status.PENDING, IDS[2]: Status.APPROVED}
    assert store.get(IDS[2]).reviewed_by == "Web Reviewer"
