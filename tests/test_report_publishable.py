"""A report can be published as it stands: no local folders, a title page that says what is inside, clean headings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import docx
from conftest import HEADED
from helpers import approve, jsonl, run, word_report

TRIMMED = "Brackenshire Council: a chatbot for bin collections"
BINS = f"""# {TRIMMED} –

Brackenshire Council in Scotland answers questions about bin collections for 40,000 households.

## The challenge

The main problem was that residents phoned the contact centre about missed collections every week in 2024.

## What we did

The team built a chatbot that tells residents their collection day and reports missed bins.
"""






def word_text(document: docx.document.Document) -> str:
    header = [p.text for p in document.sections[0].header.paragraphs]
    return "\n".join([*header, *(p.text for p in document.paragraphs)])


def styled(document: docx.document.Document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def test_exports_name_the_source_file_not_the_folders_of_whoever_summarised_it(cases: Path, tmp_path: Path) -> None:
    (cases / "tayside-copy.md").write_text(HEADED, encoding="utf-8")  # its record's flag names the copy's path
    assert run("summarise", str(cases.resolve())).exit_code == 0  # absolute paths, as a script would give them
    approve("tayside-blue-badges", "harbourside-housing", "rct-school-transport")
    exports = {fmt: run("export", "-f", fmt).stdout for fmt in ("jsonl", "json", "csv", "markdown")}
    exports["docx"] = word_text(word_report(tmp_path / "report.docx"))
    for fmt, text in exports.items():
        assert str(tmp_path) not in text and "pytest-of" not in text, fmt

    tayside = next(r for r in jsonl(exports["jsonl"]) if r["id"] == "tayside-blue-badges")
    assert tayside["provenance"]["source_path"] == "tayside-blue-badges.md"
    assert "same content also at tayside-copy.md: summarised once, as this record" in tayside["flags"]
    assert [r["provenance"]["source_path"] for r in json.loads(exports["json"])] == [
        "harbourside-housing.txt", "rct-school-transport.md", "tayside-blue-badges.md"]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(exports["csv"])))
    assert [r["source_path"] for r in rows] == ["harbourside-housing.txt", "rct-school-transport.md",
                                                "tayside-blue-badges.md"]  # fmt: skip
    assert "<sub>Source: tayside-blue-badges.md (sha256 " in exports["markdown"]
    assert "Source: tayside-blue-badges.md (sha256 " in exports["docx"]
    # the queue itself keeps the full path, for the reviewer who opens the source
    shown = json.loads(run("show", "tayside-blue-badges", "--json").stdout)
    assert shown["provenance"]["source_path"] == str(cases.resolve() / "tayside-blue-badges.md")


def test_a_relative_source_path_is_kept_as_it_places_the_case_in_the_collection(cases: Path) -> None:
    assert run("summarise", "cases").exit_code == 0  # the tests run in tmp_path, where cases/ is
    approve("tayside-blue-badges")
    assert jsonl(run("export").stdout)[0]["provenance"]["source_path"] == "cases/tayside-blue-badges.md"
    assert "<sub>Source: cases/tayside-blue-badges.md (sha256 " in run("export", "-f", "markdown").stdout


def test_the_title_page_says_what_the_report_holds(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges", "rct-school-transport")
    plain = word_report(tmp_path / "a.docx")
    assert styled(plain, "Subtitle") == ["2 case studies in 2 trends · all approved"]
    assert "cross-case analysis" not in word_text(plain).lower()  # none is included, so none is promised

    draft = word_report(tmp_path / "b.docx", "--status", "approved", "--status", "pending")
    assert styled(draft, "Subtitle") == ["3 case studies in 2 trends · 2 approved, 1 pending"]

    approve("harbourside-housing")
    assert run("analyse", "--trend", "reimagining services").exit_code == 0
    assert run("analyse", "accept", "reimagining-services.en", "-r", "B. Editor").exit_code == 0
    analysed = word_report(tmp_path / "c.docx", "--trend", "reimagining services")
    assert styled(analysed, "Subtitle") == [
        "2 case studies in 1 trend · all approved · with the cross-case analysis of 1 trend"
    ]


def test_headings_drop_the_dash_a_title_was_cut_at(tmp_path: Path) -> None:
    folder = tmp_path / "bins"
    folder.mkdir()
    (folder / "bins.md").write_text(BINS, encoding="utf-8")
    assert run("summarise", str(folder)).exit_code == 0
    approve("bins")
    assert jsonl(run("export").stdout)[0]["title"] == f"{TRIMMED} –"  # the data keeps what the source said

    markdown = run("export", "-f", "markdown").stdout
    assert f"### {TRIMMED}\n" in markdown and "–\n" not in markdown

    document = word_report(tmp_path / "bins.docx", "--title", "Digital Trends 2025:")
    assert styled(document, "Title") == ["Digital Trends 2025"]
    assert styled(document, "Heading 2") == [f"1.1 {TRIMMED}"]
    assert f"1.1 {TRIMMED}" in styled(document, "TOC 2")
    assert styled(document, "Heading 3")[-1] == f"1.1 {TRIMMED}"  # the appendix's heading for its quotes


def test_a_copy_in_another_folder_is_named_by_its_file_only(tmp_path: Path) -> None:
    first, second = tmp_path / "x" / "cases", tmp_path / "y" / "other"
    for folder in (first, second):
        folder.mkdir(parents=True)
    (first / "case.md").write_text(HEADED, encoding="utf-8")
    (second / "copy.md").write_text(HEADED, encoding="utf-8")
    assert run("summarise", str(first), str(second), "--engine", "offline").exit_code == 0
    approve("case")
    exported = run("export").stdout
    assert str(tmp_path) not in exported and "same content also at copy.md" in exported
    shown = run("show", "case", "--json").stdout  # the reviewer still sees where the copy is
    assert str(second / "copy.md") in shown
