"""The Word report, read back with python-docx as a reader's word processor would see its structure."""

from __future__ import annotations

from pathlib import Path

import docx
from helpers import approve, jsonl, run, word_report

from trendsum.reports.docx import clean


def headings(document: docx.document.Document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def all_text(document: docx.document.Document) -> str:
    header = document.sections[0].header.paragraphs[0].text
    return "\n".join([header, *(p.text for p in document.paragraphs)])


def test_report_has_title_contents_a_chapter_per_trend_and_a_section_per_approved_case(
    cases: Path, tmp_path: Path
) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges", "rct-school-transport")
    titles = {r["id"]: r["title"] for r in jsonl(run("export", "--status", "pending", "--status", "approved").stdout)}
    document = word_report(tmp_path / "report.docx", "--title", "Digital Trends 2025")

    paragraphs = document.paragraphs
    assert [p.text for p in paragraphs if p.style.name == "Title"] == ["Digital Trends 2025"]
    assert headings(document, 1) == ["1. Reimagining services", "2. Harnessing data", "Appendix: evidence"]
    assert headings(document, 2) == [f"1.1 {titles['tayside-blue-badges']}", f"2.1 {titles['rct-school-transport']}"]
    assert [p.text for p in paragraphs if p.style.name == "TOC Heading"] == ["Contents"]
    contents = [p.text for p in paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert contents == ["1. Reimagining services", f"1.1 {titles['tayside-blue-badges']}", "2. Harnessing data",
                        f"2.1 {titles['rct-school-transport']}", "Appendix: evidence"]  # fmt: skip
    assert 'TOC \\o "1-2"' in document.element.body.xml  # Word can refresh it with page numbers

    text = all_text(document)
    assert "Harbourside" not in text  # pending: not in the report
    assert "NOT APPROVED" not in text and "DRAFT" not in text
    tayside = headings(document, 3)
    assert tayside[:7] == ["Overview", "Challenges", "Approach", "Outcomes and benefits", "Unintended consequences",
                           "Lessons learnt", "Overview"]  # fmt: skip
    provenance = [p.text for p in paragraphs if p.text.startswith("Source: ")]
    assert len(provenance) == 2
    assert all("offline extractive engine" in line and "Approved by A. Researcher on " in line for line in provenance)
    record = jsonl(run("export").stdout)[1]
    cited = record["outcomes"][0]["evidence"][0]
    quote = " ".join(cited["text"].split())
    appendix = [p.text for p in paragraphs[[p.text for p in paragraphs].index("Appendix: evidence"):]]
    assert any(quote in line and f"sentence {cited['sentence']})" in line for line in appendix)  # cited by number


def test_unapproved_cases_carry_a_banner_and_every_page_a_draft_header(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges")
    document = word_report(tmp_path / "draft.docx", "--status", "approved", "--status", "pending")
    assert len(headings(document, 2)) == 3
    assert document.sections[0].header.paragraphs[0].text.startswith("DRAFT: CONTAINS UNAPPROVED CASE STUDIES")
    paragraphs = [p.text for p in document.paragraphs]
    banners = [i for i, text in enumerate(paragraphs) if text.startswith("NOT APPROVED (pending)")]
    assert len(banners) == 2
    for i in banners:  # right under the case's heading and metadata line
        assert document.paragraphs[i - 2].style.name == "Heading 2"
    assert any(text.startswith("DRAFT: 2 of these case studies are NOT APPROVED") for text in paragraphs)


def test_report_carries_the_cross_case_analysis_only_once_approved(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges", "harbourside-housing", "rct-school-transport")
    assert run("analyse", "--trend", "reimagining services").exit_code == 0
    pending = word_report(tmp_path / "a.docx")
    assert "1.1 Cross-case analysis" not in headings(pending, 2)

    assert run("analyse", "accept", "reimagining-services.en", "-r", "B. Editor").exit_code == 0
    approved = word_report(tmp_path / "b.docx")
    assert headings(approved, 2)[0] == "1.1 Cross-case analysis"
    assert headings(approved, 2)[1].startswith("1.2 ")  # the cases follow the analysis
    text = all_text(approved)
    assert "(see 1." in text  # findings point at the cases' numbers in the report
    assert "Analysis by the offline extractive engine" in text and "Approved by B. Editor on" in text


def test_word_needs_a_file_and_text_word_cannot_hold_is_dropped(cases: Path) -> None:
    result = run("export", "-f", "docx")
    assert result.exit_code == 2 and "--output" in result.stderr
    assert clean("Step\x0bone\x00 and \x1ftwo\ttabs\nlines") == "Stepone and two\ttabs\nlines"


def test_a_chapter_without_an_analysis_does_not_leave_its_heading_alone_on_a_page(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    for record_id in ("tayside-blue-badges", "harbourside-housing"):
        run("review", "accept", record_id, "-r", "A. Researcher", "--allow-ungrounded")
    out = tmp_path / "r.docx"
    assert run("export", "-f", "docx", "-o", str(out)).exit_code == 0
    paragraphs = docx.Document(str(out)).paragraphs
    chapter = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 1" and "Reimagining" in p.text)
    cases_in_chapter = [p for p in paragraphs[chapter + 1 :] if p.style.name == "Heading 2"][:2]
    assert [bool(p.paragraph_format.page_break_before) for p in cases_in_chapter] == [False, True]
