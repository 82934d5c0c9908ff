"""The review walk in the terminal, driven in-process with scripted keys and editors (the pty tests drive the
real terminal; these cover the paths around them quickly; test_walk drives the walk with no terminal at all)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import run
from rich.console import Console

from trendsum.cli.review_ui import TerminalReview
from trendsum.domain import grounding
from trendsum.domain.models import Status
from trendsum.errors import ConflictError
from trendsum.queue import review
from trendsum.queue.store import Store
from trendsum.queue.walk import Order, Walk, review_queue


class ScriptedKeys:
    """Keys and lines a test scripts in advance; asking for one more than scripted fails loudly."""

    def __init__(self, *keys: str | Callable[[], str], lines: tuple[str, ...] = ()) -> None:
        self.keys = list(keys)
        self.lines = list(lines)

    def key(self) -> str:
        assert self.keys, "the session asked for a key the test did not script"
        key = self.keys.pop(0)
        return key() if callable(key) else key

    def line(self) -> str:
        assert self.lines, "the session asked for a line the test did not script"
        return self.lines.pop(0)


def _no_editor(path: Path) -> int:
    raise AssertionError("the editor was not expected to open")


def _walk(store: Store, keys: ScriptedKeys, tmp_path: Path, *, editor=_no_editor, height: int = 200,
          **filters: object) -> tuple[str, TerminalReview]:  # fmt: skip
    out = io.StringIO()
    console = Console(file=out, width=100, height=height, color_system=None)
    session = TerminalReview(Walk(store, review_queue(store, **filters), "Ann Reviewer"), console, keys, editor,
                             tmp_path / "drafts")  # fmt: skip
    session.run()
    assert not keys.keys, f"keys left over: {keys.keys}"
    return " ".join(out.getvalue().split()), session  # lines wrap where the console width says: compare words


def _plant_invented_quote(store: Store, cases: Path, record_id: str = "rct-school-transport") -> None:
    record = store.get(record_id)
    planted = record.summary.model_copy(deep=True)
    planted.outcomes[0].evidence = ["The council saved two million pounds in its first week."]
    source = (cases / "rct-school-transport.md").read_text()
    store.save_edit(record.id, record.version, planted, grounding.check(planted, source), "Tester", "plant")


def test_queue_defaults_to_pending_and_stale_least_grounded_first(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    run("review", "accept", "harbourside-housing")
    with Store(db) as store:
        _plant_invented_quote(store, cases)
        assert [r.id for r in review_queue(store)] == ["rct-school-transport", "tayside-blue-badges"]
        assert [r.id for r in review_queue(store, order=Order.OLDEST)] == ["tayside-blue-badges",
                                                                            "rct-school-transport"]
        named = review_queue(store, ids=["harbourside-housing"])
        assert [(r.id, r.status) for r in named] == [("harbourside-housing", Status.APPROVED)]
        approved = review_queue(store, statuses=[Status.APPROVED], trend="Reimagining Services")
        assert [r.id for r in approved] == ["harbourside-housing"]
    unknown = run("review", "--id", "no-such-case")
    assert unknown.exit_code == 2 and "No record with id 'no-such-case'" in unknown.stderr
    empty = run("review", "--nation", "Atlantis")
    assert empty.exit_code == 0 and "Nothing to review" in empty.stderr


def test_skip_back_help_and_the_end_of_the_queue(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    with Store(db) as store:
        keys = ScriptedKeys("?", "x", "b", "s", "b", "s", "s", "s", "b", "q")
        text, session = _walk(store, keys, tmp_path)
        assert {row.status for row in store.rows()} == {Status.PENDING}
    assert "v view source: page through the case study" in text
    assert "No action for x: press ? for help." in text
    assert "This is the first record." in text
    assert text.count("1 of 3, 3 remaining") >= 2 and "3 of 3, 3 remaining" in text
    assert "end of the queue" in text
    assert text.endswith("0 accepted, 0 rejected, 0 edited; 3 of 3 left as they were: run "
                                           "`trendsum review` again to carry on. Every decision is saved.")  # fmt: skip
    assert session.tally.skipped == {"harbourside-housing", "rct-school-transport", "tayside-blue-badges"}


def test_accepting_unsupported_points_needs_a_yes_and_says_so(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    with Store(db) as store:
        _plant_invented_quote(store, cases)
        text, _ = _walk(store, ScriptedKeys("a", "n", "a", "y", "q"), tmp_path, ids=["rct-school-transport"])
        record = store.get("rct-school-transport")
        events = store.events("rct-school-transport")
    assert "1 point(s) have quotes that are not in the source or do not support what they say" in text
    assert "Not accepted." in text
    assert record.status == Status.APPROVED and record.reviewed_by == "Ann Reviewer"
    assert events[-1].note == ("accepted with 1 point(s) whose quotes are not in the source or do not support what "
                               "they say")


def test_a_stale_record_shows_what_changed_since_approval(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    run("review", "accept", "tayside-blue-badges")
    path = cases / "tayside-blue-badges.md"
    path.write_text(path.read_text().replace("64%", "71%"), encoding="utf-8")
    run("summarise", str(cases))
    with Store(db) as store:
        text, _ = _walk(store, ScriptedKeys("q"), tmp_path, ids=["tayside-blue-badges"])
    assert "stale" in text and "Changes from the approved version, version 1:" in text
    assert "--- version 1 (engine)" in text and "+++ version 2 (engine)" in text
    assert "-- Calls to the contact centre about blue badges dropped by 64% in the first six months." in text
    assert "+- Calls to the contact centre about blue badges dropped by 71% in the first six months." in text


def test_view_source_pages_and_says_when_the_file_changed_or_is_gone(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    path = cases / "tayside-blue-badges.md"
    with Store(db) as store:
        # 10 lines a page on a 13-line screen; the source wraps to 38 lines: 4 pages; Enter on the last goes back
        text, _ = _walk(store, ScriptedKeys("v", " ", "b", "\n", "\n", "\n", "\n", "q"), tmp_path, height=13,
                        ids=["tayside-blue-badges"])  # fmt: skip
        assert [text.count(f"page {n} of 4") for n in (1, 2, 3, 4)] == [2, 2, 1, 1]  # b went back a page
        assert "Calls to the contact centre about blue badges dropped by 64%" in text

        # the queue keeps the text the record was made from: the file changing or going changes nothing shown
        path.write_text("Rewritten since.\n", encoding="utf-8")
        text, _ = _walk(store, ScriptedKeys("v", "q", "q"), tmp_path, ids=["tayside-blue-badges"])
        assert "Calls to the contact centre about blue badges dropped by 64%" in text
        assert "Rewritten since." not in text and "has changed since" not in text

        # a record made before the queue kept source texts has only its file
        _forget_source_texts(db)
        text, _ = _walk(store, ScriptedKeys("v", "q", "q"), tmp_path, ids=["tayside-blue-badges"])
        assert "has changed since this summary was made. Shown as it is now." in text
        assert "Rewritten since." in text

        path.unlink()
        text, _ = _walk(store, ScriptedKeys("v", "q"), tmp_path, ids=["tayside-blue-badges"])
        assert f"The source file {path} is not there any more" in text
        assert "There is no source text to show." in text


def _forget_source_texts(db: Path) -> None:
    """The queue as a trendsum before source texts were kept left it (its versions are never rewritten)."""
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM source_texts")


def test_abandoning_an_invalid_edit_keeps_the_draft(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))

    def breaks_it(path: Path) -> int:
        path.write_text(path.read_text().replace("## Approach", "## My notes\nunfinished thought"), encoding="utf-8")
        return 0

    with Store(db) as store:
        text, _ = _walk(store, ScriptedKeys("e", "a", "q"), tmp_path, editor=breaks_it, ids=["tayside-blue-badges"])
        assert store.get("tayside-blue-badges").version == 1
    assert "unknown heading '## My notes'" in text and "the heading `## Approach` is missing" in text
    [kept] = (tmp_path / "drafts").iterdir()
    assert f"Abandoned: nothing saved. Your text is kept in {kept}." in text
    assert "unfinished thought" in kept.read_text()


def test_an_editor_that_fails_saves_nothing_and_keeps_the_text(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))

    def quits_with_error(path: Path) -> int:
        path.write_text(path.read_text().replace("backlog", "huge backlog"), encoding="utf-8")
        return 1

    with Store(db) as store:
        text, _ = _walk(store, ScriptedKeys("e", "q"), tmp_path, editor=quits_with_error, ids=["tayside-blue-badges"])
        assert store.get("tayside-blue-badges").version == 1
    assert "The editor stopped with status 1: nothing saved. Your text is kept in" in text
    assert "huge backlog" in next((tmp_path / "drafts").iterdir()).read_text()


def test_without_the_source_an_edit_marks_new_quotes_unchecked(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    (cases / "tayside-blue-badges.md").unlink()
    _forget_source_texts(db)  # a record from before source texts were kept, whose file is gone

    def rewrites(path: Path) -> int:
        text = path.read_text().replace("- As a result, the average", "- In short, the average")
        calls = "  > Calls to the contact centre"
        text = text.replace(calls, "  > A quote nobody can check now.\n" + calls)
        path.write_text(text, encoding="utf-8")
        return 0

    with Store(db) as store:
        text, session = _walk(store, ScriptedKeys("e", "q", lines=("",)), tmp_path, editor=rewrites,
                              ids=["tayside-blue-badges"])  # fmt: skip
        record = store.get("tayside-blue-badges")
    assert record.version == 2 and record.author == "Ann Reviewer"
    assert record.grounding.points["outcomes[0]"].supported  # text changed, quote the same: still found
    assert record.grounding.points["outcomes[1]"].missing == ["A quote nobody can check now."]
    assert "9/10 points grounded in the source" in text
    assert "is not there any more" in text and "could not be checked again" in text
    assert session.tally.edited == ["tayside-blue-badges"]


def test_a_decision_on_a_record_someone_just_decided_is_refused(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    with Store(db) as mine, Store(db) as theirs:

        def they_reject_first() -> str:
            review.reject(theirs, "tayside-blue-badges", "Bob", "duplicate")
            return "a"

        text, session = _walk(mine, ScriptedKeys(they_reject_first, "q"), tmp_path, ids=["tayside-blue-badges"])
        events = [(e.action, e.reviewer) for e in mine.events("tayside-blue-badges")]
        assert mine.get("tayside-blue-badges").status == Status.REJECTED
    assert ("approved", "Ann Reviewer") not in events and ("rejected", "Bob") in events
    assert "Not saved: tayside-blue-badges changed while you were reviewing it: you saw version 1 (pending), it " \
           "is now version 1 (rejected, rejected by Bob)" in text
    assert session.tally.decided == {}


def test_ctrl_c_keeps_every_decision_made(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))

    def interrupt() -> str:
        raise KeyboardInterrupt

    with Store(db) as store:
        text, session = _walk(store, ScriptedKeys("s", "a", interrupt), tmp_path)
        statuses = {row.id: row.status for row in store.rows()}
    assert session.tally.interrupted
    assert list(statuses.values()).count(Status.APPROVED) == 1
    assert "1 accepted, 0 rejected, 0 edited; 2 of 3 left as they were" in text


@pytest.mark.parametrize("stdin_text", ["a\n\nq\n", "a\n"])
def test_piped_keys_work_line_by_line(cases: Path, stdin_text: str) -> None:
    run("summarise", str(cases))
    result = run("review", "--id", "harbourside-housing", "--id", "tayside-blue-badges", input=stdin_text)
    assert result.exit_code == 0, result.output
    assert "harbourside-housing v1: approved by Test Reviewer." in result.stdout
    approved = [line for line in run("list", "--status", "approved").stdout.splitlines() if "approved v" in line]
    assert len(approved) == 1


def test_a_decision_made_between_reading_and_writing_is_caught_inside_the_transaction(
    cases: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("summarise", str(cases))
    with Store(db) as mine, Store(db) as theirs:
        read = mine.get
        raced: list[bool] = []

        def read_then_they_reject(record_id: str, version: int | None = None):  # type: ignore[no-untyped-def]
            record = read(record_id, version)
            if not raced:  # Bob rejects just after Ann's accept has read the record, before it writes
                raced.append(True)
                review.reject(theirs, record_id, "Bob", "duplicate")
            return record

        monkeypatch.setattr(mine, "get", read_then_they_reject)
        with pytest.raises(ConflictError, match=r"it is now version 1 \(rejected, rejected by Bob\)"):
            review.accept(mine, "tayside-blue-badges", "Ann", expected_version=1, expected_status=Status.PENDING)
        assert [e.action for e in theirs.events("tayside-blue-badges")] == ["created", "rejected"]
