"""An export never destroys anything: not the queue it reads, not another database, not the file it replaces.

And whatever a record's fields hold, the Markdown and CSV exports show it as text: no control characters, no
heading, link or HTML of its own, no spreadsheet formula.
"""

from __future__ import annotations

import csv
import errno
import functools
import io
import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import jsonl, run
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from trendsum.domain.models import CaseSummary, Grounding, Point, PointCheck, Provenance, Record, Status, Trend
from trendsum.reports import export
from trendsum.reports.export import CSV_COLUMNS, write_csv, write_markdown

IDS = ["harbourside-housing", "rct-school-transport", "tayside-blue-badges"]


@pytest.fixture
def queue(cases: Path, db: Path) -> bytes:
    """Three approved records in the default queue; returns the database's bytes once every command is done."""
    assert run("summarise", str(cases)).exit_code == 0
    for record_id in IDS:
        assert run("review", "accept", record_id, "-r", "A. Researcher", "--allow-ungrounded").exit_code == 0
    return db.read_bytes()


def assert_queue_intact(db: Path, before: bytes) -> None:
    assert db.read_bytes() == before
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == IDS
    assert [r["id"] for r in jsonl(run("export").stdout)] == IDS


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# -- refusing to write onto a database -----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["outputs/trendsum.db", "./outputs/../outputs/trendsum.db", "outputs/trendsum.db-wal",
                                    "outputs/trendsum.db-journal", "link-to-queue.db"])  # fmt: skip
def test_an_export_onto_the_queue_database_is_refused_and_the_queue_is_intact(
    queue: bytes, db: Path, tmp_path: Path, target: str
) -> None:
    (tmp_path / "link-to-queue.db").symlink_to(db)
    for fmt in ("docx", "markdown", "csv", "jsonl"):
        result = run("export", "-f", fmt, "-o", target)
        assert result.exit_code == 2, (fmt, result.stderr)
        assert result.stderr.startswith(f"Error: Refusing to write the export onto {Path(target)}: it is the review")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert_queue_intact(db, queue)
    assert leftovers(tmp_path / "outputs") == []


def test_an_export_onto_the_queue_named_by_its_absolute_path_or_a_hard_link_is_refused(
    queue: bytes, db: Path, tmp_path: Path
) -> None:
    os.link(db, tmp_path / "hard-link.db")
    for target in (str(db), "hard-link.db"):
        result = run("export", "-f", "markdown", "-o", target)
        assert result.exit_code == 2 and "Refusing to write the export onto" in result.stderr, target
    assert_queue_intact(db, queue)


def test_an_export_onto_another_sqlite_database_is_refused(queue: bytes, db: Path, tmp_path: Path) -> None:
    other = tmp_path / "archive" / "old-queue.sqlite"
    other.parent.mkdir()
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.execute("INSERT INTO notes VALUES ('kept')")
    connection.close()
    archived = other.read_bytes()
    for fmt in ("docx", "markdown", "csv", "json"):
        result = run("export", "-f", fmt, "-o", str(other))
        assert result.exit_code == 2, result.stderr
        assert result.stderr.strip() == f"Error: Refusing to overwrite {other}: it is a SQLite database. Choose another file."
    assert other.read_bytes() == archived
    assert leftovers(other.parent) == []
    assert_queue_intact(db, queue)


def test_an_export_over_an_ordinary_file_replaces_it_keeping_its_permissions(queue: bytes, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("last week's report\n", encoding="utf-8")
    out.chmod(0o640)
    result = run("export", "-f", "markdown", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("# Public Sector Digital Trends\n")
    assert out.stat().st_mode & 0o777 == 0o640
    assert leftovers(tmp_path) == []


# -- a failed export leaves the old file as it was -----------------------------------------------------------


@pytest.fixture
def old_report(queue: bytes, tmp_path: Path) -> Path:
    out = tmp_path / "reports" / "report.md"
    out.parent.mkdir()
    out.write_text("# Last week's report\n\nStill needed.\n", encoding="utf-8")
    return out


def fail_after_the_first_case(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    real = export._markdown_case

    def failing(record: Record) -> Iterator[str]:
        yield from real(record)
        raise error

    monkeypatch.setattr(export, "_markdown_case", failing)


def test_a_full_disk_midway_leaves_the_previous_export_unchanged(
    old_report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = old_report.read_bytes()
    fail_after_the_first_case(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    result = run("export", "-f", "markdown", "-o", str(old_report))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: Could not write {old_report}: No space left on device. Nothing was changed there."
    )
    assert old_report.read_bytes() == before
    assert leftovers(old_report.parent) == []


def test_ctrl_c_midway_leaves_the_previous_export_unchanged(old_report: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = old_report.read_bytes()
    fail_after_the_first_case(monkeypatch, KeyboardInterrupt())
    result = run("export", "-f", "markdown", "-o", str(old_report))
    assert result.exit_code == 130
    assert f"Interrupted: nothing was written, {old_report} is as it was." in result.stderr
    assert old_report.read_bytes() == before
    assert leftovers(old_report.parent) == []


def test_a_word_report_that_fails_while_saving_leaves_the_previous_one_unchanged(
    queue: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docx.document

    out = tmp_path / "report.docx"
    assert run("export", "-f", "docx", "-o", str(out)).exit_code == 0
    before = out.read_bytes()

    def save_half(self: object, path: str) -> None:
        with open(path, "wb") as handle:
            handle.write(before[:100])  # a zip cut short, as a full disk would leave it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", save_half)
    result = run("export", "-f", "docx", "-o", str(out), "--title", "Next week")
    assert result.exit_code == 1 and "No space left on device. Nothing was changed there." in result.stderr
    assert out.read_bytes() == before
    assert leftovers(tmp_path) == []


# -- text from records is shown as text ----------------------------------------------------------------------

# Text as a PDF, a model or a hostile source could give it: control characters, Markdown, HTML, table pipes,
# spreadsheet formulas.
hostile_text = st.lists(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(["#", "# ", "[", "](", "javascript:x)", "<script>", "</sub>", "|", "\n", "\r", "\t", "=", "+",
                       "-", "@", "*", "_", "`", "\\", "&amp;", "1.", "> ", "\x00", "\x07", "\x1b", "\x7f", "\x85",
                       "\x9b", "\u2028", "\xa0"]),
    max_size=20,
).map("".join)  # fmt: skip
worded_text = hostile_text.filter(lambda s: any(c.isalnum() for c in s))  # a point says something
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def hostile_record(title: str, text: str, quote: str, who: str, path: str) -> Record:
    point = Point(text=text, evidence=[quote])
    summary = CaseSummary(title=title, organisation=who, nation=text, year=2024, trend=Trend.OTHER,
                          ai_application=point, overview=point, challenges=[point], approach=[], outcomes=[point],
                          unintended_consequences=[], lessons=[point])  # fmt: skip
    provenance = Provenance(source_path=path, source_sha256="a" * 64, engine="openai", model=who, prompt_name=text,
                            prompt_hash="b" * 64, schema_version=1, created_at=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    checked = Grounding(points={p: PointCheck(supported=True) for p, _ in summary.points()})
    return Record(id="case", version=1, status=Status.APPROVED, summary=summary, grounding=checked,
                  provenance=provenance, author="engine", reviewed_by=who,
                  reviewed_at=datetime(2025, 1, 2, tzinfo=UTC))  # fmt: skip


def controls(text: str, allowed: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in allowed]


def markdown_shape(document: str) -> list[str]:
    """The Markdown as a CommonMark reader (with GitHub's tables) parses it: every block and inline token."""
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    shape = []
    for token in parser.parse(document):
        for t in [token, *(token.children or [])]:
            if t.type in ("html_inline", "html_block"):
                shape.append(t.content)  # <sub> and </sub> are the export's own
            elif t.type == "heading_open":
                shape.append(t.tag)
            else:
                shape.append(t.type)
    return shape


@functools.cache
def plain_shape() -> list[str]:
    out = io.StringIO()
    write_markdown([hostile_record("Plain", "Plain words", "a quote", "Council", "cases/plain.md")], out)
    return markdown_shape(out.getvalue())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_text, text=worded_text, quote=hostile_text, who=hostile_text, path=hostile_text)
@example(title="Title\x1b[2J", text="# heading\x00", quote="[link](javascript:x)", who="<script>", path="a|b")
@example(title="=cmd|' /C calc'!A0", text="\x07=1+1", quote="\r@SUM(A1)", who="\x00-2", path="\x85+1")
def test_markdown_and_csv_show_any_field_as_text(title: str, text: str, quote: str, who: str, path: str) -> None:
    record = hostile_record(title, text, quote, who, path)

    markdown = io.StringIO()
    write_markdown([record], markdown)
    assert controls(markdown.getvalue(), "\n") == []
    assert markdown_shape(markdown.getvalue()) == plain_shape()  # no heading, link, HTML, table or list of its own

    spreadsheet = io.StringIO()
    write_csv([record], spreadsheet)
    raw = spreadsheet.getvalue()
    assert controls(raw.replace("\r\n", "\n"), "\n\t") == []
    [header, row] = list(csv.reader(io.StringIO(raw)))
    assert header == list(CSV_COLUMNS)
    for column, cell in zip(CSV_COLUMNS, row, strict=True):
        assert not cell.startswith(FORMULA_STARTS), (column, cell)
