"""Nothing from a model's answer, a file name or the queue can drive the reviewer's terminal: control characters
are shown as escapes, never sent, and brackets stay text, never Rich markup (no styles, no hyperlinks)."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console, RenderableType

from trendsum.cli.render import (
    history_view,
    outcome_line,
    record_view,
    records_table,
    run_summary,
    version_diffs,
    versions_view,
)
from trendsum.domain.models import CaseSummary, Grounding, Point, PointCheck, Provenance, Trend
from trendsum.pipeline.summarise import CaseOutcome, RunReport
from trendsum.queue import review
from trendsum.queue.store import Store

SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own styling: the only escape sequence allowed through
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every C0 and C1 control but the newline
OSC = "\x1b]"  # window titles, hyperlinks (OSC 8), clipboard writes
PROGRESS = re.compile(r"\x1b\[\?25[lh]|\r?\x1b\[2K")  # the progress bar's own: hide the cursor, redraw the line

HOSTILE_PIECES = [
    "\x1b[2J", "\x1b[H", "\x1b]0;pwned\x07", "\x1b]8;;file:///etc/passwd\x1b\\here\x1b]8;;\x1b\\", "\x9b2J", "\x07",
    "\r", "\x08", "\x00", "\x7f", "\x85", "\u202e", "\n", "\t",
    "[bold]x[/bold]", "[link=file:///etc/passwd]Scotland[/link]", "[/]", "[red", "]", "\\[b]", ":thumbs_up:",
    "**bold** _em_ `code`", "# heading", "[click](javascript:alert(1))", "<b>html</b>",
]  # fmt: skip
hostile = st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=6), min_size=1, max_size=5).map("".join)
queues = itertools.count()


def terminal_output(renderable: RenderableType, width: int) -> str:
    """What a real terminal would be sent, Rich's styles and all; checked, then returned without the styles."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", no_color=False, width=width,
                      height=40, legacy_windows=False)  # fmt: skip
    console.print(renderable)
    sent = out.getvalue()
    assert OSC not in sent, repr(sent)
    plain = SGR.sub("", sent)
    assert not CONTROLS.search(plain), repr(plain)
    return plain


def escaped(text: str) -> str:
    """A field as the reviewer should see it: breaks and tabs as spaces, every other control character, and the
    bidirectional overrides, as their escapes (\\x1b, \\u202e)."""
    text = re.sub("[\t\n\v\f\r]", " ", text)
    return re.sub("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]",
                  lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def squashed(text: str) -> str:
    return "".join(text.split())


FIELDS = ("id", "title", "organisation", "nation", "point", "quote", "flag", "source", "model", "prompt", "reviewer",
          "note")  # fmt: skip


def hostile_record(store: Store, values: dict[str, str]) -> str:
    """A record in two versions, approved, whose every field from a model, a file name or a reviewer is hostile.
    Returns its id."""
    v = values
    point = Point(text=v["point"], evidence=[v["quote"]])
    summary = CaseSummary(
        title=v["title"], organisation=v["organisation"], nation=v["nation"], year=2024, trend=Trend.OTHER,
        ai_application=point, overview=point, challenges=[point], approach=[point], outcomes=[point],
        unintended_consequences=[], lessons=[point],
    )  # fmt: skip
    provenance = Provenance(
        source_path=v["source"], source_sha256="a" * 64, engine="openai", model=v["model"], prompt_name=v["prompt"],
        prompt_hash="b" * 64, schema_version=1, mode=v["model"], created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    checked = Grounding(points={path: PointCheck(supported=path != "lessons[0]") for path, _ in summary.points()})
    store.save_generated(v["id"], summary, checked, provenance, "key", flags=[v["flag"]])
    edited = summary.model_copy(update={"title": f"{v['title']} (edited)"})
    store.save_edit(v["id"], 1, edited, checked, v["reviewer"] or "?", v["note"])
    review.accept(store, v["id"], v["reviewer"] or "?", v["note"], allow_ungrounded=True)
    return v["id"]


def all_fields(text: str, **others: str) -> dict[str, str]:
    return {field: others.get(field, text) for field in FIELDS}


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({field: hostile for field in FIELDS}))
def test_no_model_answer_file_name_or_reviewer_text_reaches_the_terminal_as_control(
    tmp_path: Path, values: dict[str, str]
) -> None:
    marked = {field: f"«{field}»{value}«/{field}»" for field, value in values.items()}  # to find each one
    with Store(tmp_path / f"queue-{next(queues)}.db") as store:
        record_id = hostile_record(store, marked)
        rows = store.rows()
        record = store.get(record_id)
        events = store.events(record_id)
        versions = review.version_history(store, record_id)
    for width in (80, 1000):  # at 80 columns everything wraps; at 1000 nothing does
        listed = terminal_output(records_table(rows), width)
        shown = terminal_output(record_view(record), width)
        parts = (versions_view(versions), history_view(events), version_diffs(versions))
        history = "".join(terminal_output(part, width) for part in parts)
    # each field is there, whole, exactly as it was but for its control characters: none of it was taken as markup
    expected = {field: squashed(escaped(value)) for field, value in marked.items()}
    assert expected["id"] in squashed(listed) and expected["title"] in squashed(listed)
    for field in FIELDS:
        assert expected[field] in squashed(shown), field
    for field in ("model", "reviewer", "note"):  # (the title is in the diff, as lines of Markdown)
        assert expected[field] in squashed(history), field


def test_a_hostile_answer_is_shown_as_text_on_the_review_screen(db: Path) -> None:
    """The three reported attacks: a screen clear in a point, a hyperlink in `nation`, a retitled window."""
    with Store(db) as store:
        nation = "[link=file:///etc/passwd]Scotland[/link]"
        values = all_fields("Fife\x1b[2J [bold]x[/bold]", id="case", nation=nation, source="cases/a\x1b]0;pwned\x07.md")
        shown = terminal_output(record_view(store.get(hostile_record(store, values))), 160)
    assert "Fife\\x1b[2J [bold]x[/bold]" in shown  # the escape is visible; the markup is its own text
    assert nation in shown
    assert "cases/a\\x1b]0;pwned\\x07.md" in shown


def test_file_names_and_failure_reasons_in_the_run_summary_are_shown_not_obeyed() -> None:
    undecodable = b"cases/caf\xe9\x1b]0;pwned\x07[bold].md".decode("utf-8", "surrogateescape")  # as os.listdir gives it
    report = RunReport([
        CaseOutcome(path=undecodable, case_id="cafe", result="failed", reason="[link=https://x.example]empty[/link]"),
        CaseOutcome(path="cases/ok.md", case_id="ok\x1b[2J", result="new", warnings=("\x1b[31mguessed\x1b[0m",)),
    ])  # fmt: skip
    summary = terminal_output(run_summary(report, "openai", "m[bold]x\x1b[5m"), 160)
    assert "cases/caf\\udce9\\x1b]0;pwned\\x07[bold].md" in summary
    assert "[link=https://x.example]empty[/link]" in summary and "\\x1b[31mguessed\\x1b[0m" in summary
    assert "summarise: openai:m[bold]x\\x1b[5m" in summary
    lines = [terminal_output(outcome_line(outcome), 160) for outcome in report.outcomes]
    assert "failed  cases/caf\\udce9\\x1b]0;pwned\\x07[bold].md: [link=https://x.example]empty[/link]" in lines[0]
    assert "new       ok\\x1b[2J" in lines[1]


def test_list_show_and_history_on_a_colour_terminal(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich then writes escape codes, as it does to a terminal
    db.parent.mkdir(parents=True)
    with Store(db) as store:
        hostile_record(store, all_fields("Fife\x1b[2J\x1b]0;pwned\x07 [link=file:///etc/passwd]Scotland[/link]",
                                         id="fife", source="cases/fife\x1b]8;;https://evil.example\x1b\\.md"))
    for args in (("list",), ("show", "fife"), ("history", "fife")):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b[" in result.stdout  # styled: the test sees what a terminal would
        assert OSC not in result.stdout and not CONTROLS.search(SGR.sub("", result.stdout)), args
        assert "Fife\\x1b[2J\\x1b]0;pwned\\x07 [link=file:///etc/passwd]Scotland[/link]" in SGR.sub("", result.stdout)


def test_a_file_named_to_retitle_the_terminal_is_named_harmlessly(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "fife\x1b]0;pwned\x07.md").write_text(
        "# Fife Council: repairs\n\nFife Council in Scotland used a model to sort repair requests in 2024.\n"
        "As a result, repairs were booked two days sooner on average across the year.\n", encoding="utf-8")  # fmt: skip
    (folder / "empty\x1b[2J.txt").write_text(" \n", encoding="utf-8")
    result = run("summarise", str(folder), "-v")
    assert result.exit_code == 1  # the empty file failed, and says so
    for output in (PROGRESS.sub("", result.stderr), run("show", "fife-0-pwned").stdout):
        assert OSC not in output and not CONTROLS.search(SGR.sub("", output)), repr(output)
    assert "empty\\x1b[2J.txt" in SGR.sub("", result.stderr)
    assert "fife\\x1b]0;pwned\\x07.md" in SGR.sub("", run("show", "fife-0-pwned").stdout)


def test_the_review_walk_shows_hostile_records_and_reviewer_names_as_text(db: Path) -> None:
    from trendsum.cli.review_ui import TerminalReview
    from trendsum.queue.walk import Walk, review_queue

    reviewer = "[bold]Eve[/bold]\x1b]0;pwned\x07"
    with Store(db) as store:
        record_id = hostile_record(store, all_fields("[link=file:///etc/passwd]Fife[/link]\x1b[H\x1b[2J",
                                                     id="fife\x1b[2J"))  # fmt: skip
        approved = store.get(record_id)
        store.save_edit(record_id, 2, approved.summary, approved.grounding, "x", "")  # stale: to be reviewed again
        out = io.StringIO()
        console = Console(file=out, force_terminal=True, color_system="truecolor", no_color=False, width=100,
                          height=40, legacy_windows=False)  # fmt: skip
        keys = iter(["?", "a", "y", "q"])

        class Keys:
            def key(self) -> str:
                return next(keys)

            def line(self) -> str:
                return ""

        TerminalReview(Walk(store, review_queue(store), reviewer), console, Keys(), lambda path: 1, db.parent).run()
    sent = out.getvalue()
    assert OSC not in sent
    plain = SGR.sub("", sent)
    assert not CONTROLS.search(plain), repr(plain)
    assert "[1 of 1] fife\\x1b[2J · [link=file:///etc/passwd… · a accept · e edit" in plain  # the prompt
    assert "[link=file:///etc/passwd]Fife[/link]\\x1b[H\\x1b[2J (edited)" in plain  # the title, in full
    assert "Reviewing 1 record(s) as [bold]Eve[/bold]\\x1b]0;pwned\\x07." in plain
    assert "fife\\x1b[2J v3: approved by [bold]Eve[/bold]\\x1b]0;pwned\\x07." in plain
