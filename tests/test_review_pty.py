"""`trendsum review` for real, through a pseudo-terminal: single keys without Enter, a scripted $EDITOR, and
two reviewers in two processes on one queue."""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import run

from trendsum.domain import grounding
from trendsum.domain.models import CaseSummary, Grounding, Point, PointCheck, Provenance, Status, Trend
from trendsum.queue.store import Store

pexpect = pytest.importorskip("pexpect", reason="pexpect is in the test extra: pip install -e '.[test]'")

TIMEOUT = 4  # seconds for any one screen to appear: a hang fails fast


def prompt(position: int, total: int, record_id: str) -> str:
    """The prompt line, a pattern: where the reviewer is, the record's id whole, its title, the keys, on one line."""
    keys = r"(?:\[a,e,r,s,b,v,q,\?\]|a accept · e edit · [^\r\n]*\? help): "  # as many keys as fit
    return re.escape(f"[{position} of {total}] {record_id} · ") + r"[^\r\n]+ · " + keys


REPLACE_A_WORD = """
import pathlib, sys
path = pathlib.Path(sys.argv[1])
lines = path.read_text(encoding="utf-8").split("\\n")
i = next(i for i, line in enumerate(lines) if line.startswith("- The main problem was a backlog"))
lines[i] = lines[i].replace("backlog", "growing backlog")
path.write_text("\\n".join(lines), encoding="utf-8")
"""

INVALID_THEN_FIXED = """
import pathlib, sys
path = pathlib.Path(sys.argv[1])
count = pathlib.Path(__file__).with_suffix(".count")
opened = int(count.read_text()) if count.exists() else 0
count.write_text(str(opened + 1))
text = path.read_text(encoding="utf-8")
if opened == 0:
    text = text.replace("- The main problem was", "- In the reviewer's words, the main problem was")
    text = text.replace("## Lessons learnt", "## Lesons learnt")
else:
    # the second time, the reviewer's text must be there as they left it, with what to fix noted at the top
    kept = "In the reviewer's words" in text and "## Lesons learnt" in text
    if not (kept and text.startswith("<!-- trendsum could not read this record:")):
        sys.exit(3)
    text = text.replace("## Lesons learnt", "## Lessons learnt")
path.write_text(text, encoding="utf-8")
"""


@pytest.fixture
def summarised(cases: Path, db: Path) -> Path:
    assert run("summarise", str(cases)).exit_code == 0
    return db


def spawn(db: Path, *args: str, reviewer: str = "Test Reviewer", editor: str | None = None) -> pexpect.spawn:
    env = {**os.environ, "TRENDSUM_DB": str(db), "TRENDSUM_REVIEWER": reviewer, "TERM": "dumb",
           "COLUMNS": "100", "LINES": "40"}  # fmt: skip
    env.pop("VISUAL", None)
    env["EDITOR"] = f"{shlex.quote(sys.executable)} {shlex.quote(editor)}" if editor else "false"
    return pexpect.spawn(sys.executable, ["-m", "trendsum", "review", *args], env=env, cwd=str(db.parent.parent),
                         dimensions=(40, 100), encoding="utf-8", timeout=TIMEOUT)  # fmt: skip


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def editor_script(tmp_path: Path, source: str) -> str:
    path = tmp_path / "scripted_editor.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


def test_accept_asks_before_accepting_unsupported_points(summarised: Path, cases: Path) -> None:
    with Store(summarised) as store:
        record = store.get("rct-school-transport")
        planted = record.summary.model_copy(deep=True)
        planted.outcomes[0].evidence = ["The council saved two million pounds in its first week."]
        checked = grounding.check(planted, (cases / "rct-school-transport.md").read_text())
        store.save_edit(record.id, record.version, planted, checked, "Tester", "plant")

    child = spawn(summarised, "--id", "rct-school-transport")
    child.expect_exact("[quote not found in source]")
    child.expect(prompt(1, 1, "rct-school-transport"))
    child.send("a")
    child.expect_exact("Press y to accept, any other key to go back: ")
    child.send("n")
    child.expect_exact("Not accepted.")
    child.expect(prompt(1, 1, "rct-school-transport"))
    child.send("a")
    child.expect_exact("Press y to accept")
    child.send("y")
    child.expect_exact("rct-school-transport v2: approved by Test Reviewer.")
    child.expect_exact("end of the queue")
    child.send("q")
    assert finish(child) == 0
    with Store(summarised) as store:
        assert store.get("rct-school-transport").status == Status.APPROVED
        assert "whose quotes are not in the source" in (store.events("rct-school-transport")[-1].note or "")


def test_reject_asks_for_a_reason_and_keeps_it(summarised: Path) -> None:
    child = spawn(summarised, "--id", "tayside-blue-badges")
    child.expect(prompt(1, 1, "tayside-blue-badges"))
    child.send("r")
    child.expect_exact("Why reject it?")
    child.sendline("")
    child.expect_exact("Not rejected.")
    child.send("r")
    child.expect_exact("Enter on its own to cancel): ")
    child.sendline("outcome figures need a second source")
    child.expect_exact("tayside-blue-badges v1: rejected by Test Reviewer.")
    child.send("q")
    assert finish(child) == 0
    with Store(summarised) as store:
        event = store.events("tayside-blue-badges")[-1]
        assert (event.action, event.reviewer, event.note) == ("rejected", "Test Reviewer",
                                                              "outcome figures need a second source")  # fmt: skip


def test_edit_saves_a_new_version_under_the_reviewers_name(summarised: Path, tmp_path: Path) -> None:
    child = spawn(summarised, "--id", "tayside-blue-badges", editor=editor_script(tmp_path, REPLACE_A_WORD))
    child.expect(prompt(1, 1, "tayside-blue-badges"))
    child.send("e")
    child.expect_exact("A note about this edit (optional, Enter to skip): ")
    child.sendline("clearer wording")
    child.expect_exact("Changes from the previous version, version 1:")
    child.expect_exact("-- The main problem was a backlog of more than 900 applications")
    child.expect_exact("+- The main problem was a growing backlog of more than 900 applications")
    child.expect_exact("Saved as version 2 by Test Reviewer (pending): 10/10 points grounded in the source.")
    child.expect(prompt(1, 1, "tayside-blue-badges"))
    child.send("a")
    child.expect_exact("tayside-blue-badges v2: approved by Test Reviewer.")
    child.send("q")
    assert finish(child) == 0
    with Store(summarised) as store:
        record = store.get("tayside-blue-badges")
        assert (record.version, record.author, record.approved_version) == (2, "Test Reviewer", 2)
        assert record.summary.challenges[0].text.startswith("The main problem was a growing backlog")
        first = store.get("tayside-blue-badges", 1)
        assert first.summary.challenges[0].text.startswith("The main problem was a backlog")  # the engine's stays
        assert [(e.action, e.note) for e in store.events(record.id)][-2:] == [("edited", "clearer wording"),
                                                                              ("approved", None)]  # fmt: skip
    assert not any((tmp_path / "outputs" / "drafts").iterdir())  # a saved draft is cleaned up


def test_invalid_edit_shows_the_problems_and_reopens_the_reviewers_text(summarised: Path, tmp_path: Path) -> None:
    script = editor_script(tmp_path, INVALID_THEN_FIXED)
    child = spawn(summarised, "--id", "tayside-blue-badges", editor=script)
    child.expect(prompt(1, 1, "tayside-blue-badges"))
    child.send("e")
    child.expect_exact("The edited record is not valid:")
    child.expect(r"line \d+: unknown heading '## Lesons learnt'")
    child.expect_exact("the heading `## Lessons learnt` is missing")
    child.expect_exact("r re-open the editor (your text as you left it) · a abandon: ")
    child.send("r")
    child.expect_exact("A note about this edit (optional, Enter to skip): ")
    child.sendline("")
    child.expect_exact("Saved as version 2 by Test Reviewer")
    child.expect(prompt(1, 1, "tayside-blue-badges"))
    child.send("q")
    assert finish(child) == 0
    assert Path(script).with_suffix(".count").read_text() == "2"
    with Store(summarised) as store:
        record = store.get("tayside-blue-badges")
    assert record.version == 2 and record.status == Status.PENDING
    assert record.summary.challenges[0].text.startswith("In the reviewer's words, the main problem was")
    assert record.summary.lessons[0].text.startswith("One lesson was")


def test_quitting_half_way_keeps_decisions_and_leaves_the_rest_pending(summarised: Path) -> None:
    child = spawn(summarised)
    child.expect(prompt(1, 3, "harbourside-housing"))
    child.send("a")
    child.expect(prompt(2, 3, "rct-school-transport"))
    child.send("r")
    child.expect_exact("Why reject it?")
    child.sendline("wrong council")
    child.expect(prompt(3, 3, "tayside-blue-badges"))
    child.send("q")
    child.expect_exact("1 accepted, 1 rejected, 0 edited; 1 of 3 left as they were")
    assert finish(child) == 0
    statuses = {row.id: row.status for row in Store(summarised).rows()}
    assert statuses == {"harbourside-housing": Status.APPROVED, "rct-school-transport": Status.REJECTED,
                        "tayside-blue-badges": Status.PENDING}  # fmt: skip


def test_two_reviewers_cannot_overwrite_each_others_decision(summarised: Path) -> None:
    ann = spawn(summarised, "--id", "tayside-blue-badges", reviewer="Ann")
    bob = spawn(summarised, "--id", "tayside-blue-badges", reviewer="Bob")
    ann.expect(prompt(1, 1, "tayside-blue-badges"))
    bob.expect(prompt(1, 1, "tayside-blue-badges"))  # both are looking at version 1, pending
    ann.send("a")
    ann.expect_exact("tayside-blue-badges v1: approved by Ann.")
    bob.send("r")
    bob.expect_exact("Why reject it?")
    bob.sendline("duplicate of another case")
    bob.expect_exact("Not saved: someone else changed this record.")
    bob.expect_exact("approved")  # shown again, as it is now
    bob.expect(r"Not saved: tayside-blue-badges changed while you were reviewing it: you saw version 1\s+\(pending\),")
    bob.expect(r"it\s+is\s+now\s+version\s+1\s+\(approved,\s+approved\s+by\s+Ann\)")
    bob.expect(prompt(1, 1, "tayside-blue-badges"))
    bob.send("q")
    ann.send("q")
    assert finish(bob) == 0 and finish(ann) == 0
    with Store(summarised) as store:
        assert store.get("tayside-blue-badges").status == Status.APPROVED
        actions = [(e.action, e.reviewer) for e in store.events("tayside-blue-badges")]
    assert actions == [("created", "engine:offline"), ("approved", "Ann")]


def test_review_edit_without_a_file_opens_the_editor(summarised: Path, tmp_path: Path) -> None:
    child = spawn(summarised, "edit", "tayside-blue-badges", editor=editor_script(tmp_path, REPLACE_A_WORD))
    child.expect_exact("A note about this edit (optional, Enter to skip): ")
    child.sendline("")
    child.expect_exact("Saved as version 2 by Test Reviewer (pending): 10/10 points grounded in the source.")
    assert finish(child) == 0
    with Store(summarised) as store:
        assert store.get("tayside-blue-badges").summary.challenges[0].text.startswith("The main problem was a growing")


def test_a_record_full_of_escape_codes_cannot_drive_the_reviewers_terminal(db: Path) -> None:
    hostile = "Fife\x1b[2J\x1b[H\x1b]0;pwned\x07 [link=file:///etc/passwd]Scotland[/link]"
    point = Point(text=hostile, evidence=[hostile])
    summary = CaseSummary(title=hostile, organisation=hostile, nation=hostile, year=2024, trend=Trend.OTHER,
                          ai_application=None, overview=point, challenges=[point], approach=[], outcomes=[],
                          unintended_consequences=[], lessons=[])  # fmt: skip
    provenance = Provenance(source_path="cases/fife\x1b]0;pwned\x07.md", source_sha256="a" * 64, engine="openai",
                            model=hostile, prompt_name="p", prompt_hash="b" * 64, schema_version=1,
                            created_at=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    with Store(db) as store:
        store.save_generated("fife", summary, Grounding(points={"overview": PointCheck(supported=True)}), provenance,
                             "key", flags=[hostile])  # fmt: skip
    child = spawn(db)
    child.logfile_read = seen = io.StringIO()
    child.expect(prompt(1, 1, "fife"))
    child.send("q")
    assert finish(child) == 0
    assert "\x1b" not in seen.getvalue() and "\x07" not in seen.getvalue()  # not one escape code reached the terminal
    assert "Fife\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07 [link=file:///etc/passwd]Scotland[/link]" in seen.getvalue()
