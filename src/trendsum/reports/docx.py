"""The Word report: title page, contents, one chapter per trend, the cases in the five-part format.

Each chapter opens with the trend's cross-case analysis, when one is approved, citing the cases it draws on
by their numbers in the report. Each case has its metadata line, its sections, and its provenance (engine,
model, prompt, who approved it and when); evidence quotes are numbered in the text and printed in an
appendix. Anything not approved carries a banner, and every page a header, saying it is not for publication.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from ..domain import labels
from ..domain.analysis import ANALYSIS_SECTIONS, Analysis
from ..domain.models import SECTIONS, Point, Record, Status
from .export import heading_title, point_flags, public_path

RED = RGBColor(0xB0, 0x00, 0x20)
GREY = RGBColor(0x59, 0x59, 0x59)

# XML 1.0 cannot hold these: text from a PDF or a model could carry them and make Word refuse the file.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    return _ILLEGAL_XML.sub("", text)


@dataclass
class DocxReport:
    path: Path
    cases: int
    unapproved: int
    chapters: list[str]
    analyses: int
    quotes: int
    warnings: list[str] = field(default_factory=list)


def write_docx(
    path: Path,
    records: Sequence[Record],
    analyses: dict[str, Analysis],
    *,
    title: str = "Public Sector Digital Trends",
    language: str = "en",
) -> DocxReport:
    """Write the report; `analyses` maps a trend to its approved analysis (the caller checks approval)."""
    title = heading_title(title, "Public Sector Digital Trends")
    words = labels.words(language)
    sections = labels.section_titles(language)
    chapters = _chapters(records)
    unapproved = sum(r.status != Status.APPROVED for r in records)
    numbers = {}  # record id -> its section number in the report, e.g. "2.3"
    for c, (trend, group) in enumerate(chapters, 1):
        numbers.update({record.id: f"{c}.{k}" for k, record in _numbered(group, analyses, trend)})

    doc = Document()
    _page_setup(doc)
    _styles(doc)
    _header_footer(doc, title, words, draft=bool(unapproved))
    _title_page(doc, title, _subtitle(records, len(chapters), len(analyses), words), words, unapproved, language)
    _contents(doc, chapters, analyses, numbers, words, language)

    quotes: list[tuple[Record, str, str]] = []  # (record, section label, quote), numbered from 1
    for c, (trend, group) in enumerate(chapters, 1):
        heading = doc.add_heading(clean(f"{c}. {labels.trend_label(trend, language)}"), level=1)
        heading.paragraph_format.page_break_before = True
        analysis = analyses.get(trend)
        if analysis is not None:
            _analysis(doc, f"{c}.1", analysis, numbers, words, sections)
        for i, (number, record) in enumerate(_numbered(group, analyses, trend)):
            # the chapter's first case follows its heading on the same page, unless an analysis came between
            new_page = i > 0 or analysis is not None
            _case(doc, f"{c}.{number}", record, words, sections, quotes, new_page=new_page)
    _appendix(doc, quotes, numbers, words, sections)
    doc.save(str(path))
    return DocxReport(path, len(records), unapproved, [t for t, _ in chapters], len(analyses), len(quotes))


def _chapters(records: Sequence[Record]) -> list[tuple[str, list[Record]]]:
    by_trend: dict[str, list[Record]] = {}
    for record in records:
        by_trend.setdefault(str(record.summary.trend), []).append(record)
    return [(t, by_trend[t]) for t in labels.in_trend_order(by_trend)]


def _numbered(group: list[Record], analyses: dict[str, Analysis], trend: str) -> list[tuple[int, Record]]:
    """Cases are numbered after the chapter's analysis, which is section 1 when there is one."""
    first = 2 if trend in analyses else 1
    return [(first + i, record) for i, record in enumerate(group)]


# -- layout ------------------------------------------------------------------------------------------------


def _page_setup(doc: DocumentType) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)


def _styles(doc: DocumentType) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Heading 1", 20), ("Heading 2", 14), ("Heading 3", 11.5)):
        style = doc.styles[name]
        style.font.size = Pt(size)
        style.paragraph_format.keep_with_next = True
    doc.styles["Heading 2"].paragraph_format.space_before = Pt(18)
    doc.styles["Heading 3"].paragraph_format.space_before = Pt(8)
    doc.styles["Heading 3"].paragraph_format.space_after = Pt(2)
    bullet = doc.styles["List Bullet"]
    bullet.paragraph_format.space_after = Pt(3)
    for level, indent in ((1, 0), (2, 8)):
        name = f"TOC {level}"
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.paragraph_format.left_indent = Mm(indent)
        style.paragraph_format.space_after = Pt(2 if level == 2 else 4)
        style.paragraph_format.space_before = Pt(0 if level == 2 else 6)
        style.font.bold = level == 1


def _header_footer(doc: DocumentType, title: str, words: dict[str, str], *, draft: bool) -> None:
    section = doc.sections[0]
    section.different_first_page_header_footer = True  # the title page carries its own banner
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if draft:
        run = header.add_run(words["draft_header"])
        run.bold, run.font.color.rgb, run.font.size = True, RED, Pt(10)
    else:
        run = header.add_run(clean(title))
        run.font.color.rgb, run.font.size = GREY, Pt(8.5)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lead = footer.add_run(words["page"])
    lead.font.size, lead.font.color.rgb = Pt(8.5), GREY
    _simple_field(footer, "PAGE", "1")


def _subtitle(records: Sequence[Record], trends: int, analyses: int, words: dict[str, Any]) -> str:
    """What the report holds, so a reader of the title page is not promised what is not inside: the number of
    cases and trends, their statuses, and the cross-case analyses only when there are some."""
    if not records:
        return words["none"]

    def count(n: int, noun: str) -> str:
        return f"{n} {words[noun][n != 1]}"

    order = (Status.APPROVED, Status.PENDING, Status.STALE, Status.REJECTED)
    statuses = {str(s): sum(r.status == s for r in records) for s in order}
    present = {status: n for status, n in statuses.items() if n}
    if len(present) == 1:
        only = words["statuses"][next(iter(present))]
        status_text = words["all"].format(status=only) if len(records) > 1 else only
    else:
        status_text = ", ".join(f"{n} {words['statuses'][status]}" for status, n in present.items())
    parts = [words["in"].format(cases=count(len(records), "case"), trends=count(trends, "trend")), status_text]
    if analyses:
        parts.append(words["with_analysis"].format(trends=count(analyses, "trend")))
    return " · ".join(parts)


def _title_page(doc: DocumentType, title: str, subtitle: str, words: dict[str, Any], unapproved: int,
                language: str) -> None:  # fmt: skip
    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph(clean(title), style="Title")
    doc.add_paragraph(clean(subtitle), style="Subtitle")
    details = doc.add_paragraph()
    details.add_run(words["language"].format(language=labels.LANGUAGE_NAMES.get(language, language)) + "\n")
    details.add_run(words["made"].format(date=datetime.now(UTC).strftime("%Y-%m-%d")))
    for run in details.runs:
        run.font.color.rgb = GREY
    if unapproved:
        _banner(doc.add_paragraph(), words["draft_title"].format(n=unapproved), size=13)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _contents(doc: DocumentType, chapters: list[tuple[str, list[Record]]], analyses: dict[str, Analysis],
              numbers: dict[str, str], words: dict[str, str], language: str) -> None:  # fmt: skip
    """A TOC field whose shown result is the list of chapters and cases: readable as it is, and Word can
    refresh it with page numbers (right-click, Update Field)."""
    doc.add_paragraph(words["contents"], style="TOC Heading")
    entries: list[tuple[int, str]] = []
    for c, (trend, group) in enumerate(chapters, 1):
        entries.append((1, f"{c}. {labels.trend_label(trend, language)}"))
        if trend in analyses:
            entries.append((2, f"{c}.1 {words['analysis']}"))
        entries += [(2, f"{numbers[r.id]} {heading_title(r.summary.title, r.id)}") for r in group]
    entries.append((1, words["appendix"]))
    paragraphs = [doc.add_paragraph(clean(text), style=f"TOC {level}") for level, text in entries]
    _field_start(paragraphs[0], 'TOC \\o "1-2" \\h \\z \\u', before=True)
    _field_end(paragraphs[-1])


def _banner(paragraph: Paragraph, text: str, *, size: float = 10.5) -> None:
    """Bold red text on a pale red band: seen at a glance, and it survives printing in grey."""
    run = paragraph.add_run(clean(text))
    run.bold, run.font.color.rgb, run.font.size = True, RED, Pt(size)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "FBE3E6")
    paragraph._p.get_or_add_pPr().append(shading)
    border = OxmlElement("w:pBdr")
    for side in ("top", "bottom", "left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "8")
        edge.set(qn("w:space"), "4")
        edge.set(qn("w:color"), "B00020")
        border.append(edge)
    paragraph._p.get_or_add_pPr().append(border)


# -- content -----------------------------------------------------------------------------------------------


def _analysis(doc: DocumentType, number: str, analysis: Analysis, numbers: dict[str, str],
              words: dict[str, str], sections: dict[str, str]) -> None:  # fmt: skip
    doc.add_heading(f"{number} {words['analysis']}", level=2)
    for section in ANALYSIS_SECTIONS:
        findings = getattr(analysis.body, section)
        if not findings:
            continue
        doc.add_heading(sections[section], level=3)
        for finding in findings:
            item = doc.add_paragraph(style="List Bullet")
            item.add_run(clean(" ".join(finding.text.split())))
            refs = []
            for case in finding.cases:
                label = analysis.case_label(case)
                refs.append(f"{numbers[case]} {label}" if case in numbers else f"{label}, {words['not_in_report']}")
            cite = item.add_run(clean(f" ({words['see']} {'; '.join(refs)})"))
            cite.font.color.rgb = GREY
    p = analysis.provenance
    engine = words["offline"] if p.engine == "offline" else f"{p.engine}, {words['model']} {p.model}"
    bits = [f"{words['analysis_by']} {engine}", f"{words['prompt']} {p.prompt_name}",
            words["analysis_from"].format(n=len(p.inputs))]  # fmt: skip
    if analysis.reviewed_by and analysis.reviewed_at:
        bits.append(words["approved"].format(who=analysis.reviewed_by, date=f"{analysis.reviewed_at:%Y-%m-%d}"))
    bits.append(words["record"].format(id=analysis.id, version=analysis.version))
    _small(doc.add_paragraph(), " · ".join(bits))


def _case(doc: DocumentType, number: str, record: Record, words: dict[str, str], sections: dict[str, str],
          quotes: list[tuple[Record, str, str]], *, new_page: bool) -> None:  # fmt: skip
    s = record.summary
    heading = doc.add_heading(clean(f"{number} {heading_title(s.title, record.id)}"), level=2)
    heading.paragraph_format.page_break_before = new_page  # a case study is read, and often printed, on its own
    facts = [s.organisation, s.nation, str(s.year) if s.year else None,
             words["uses_ai"] if s.ai_application else words["no_ai"]]  # fmt: skip
    meta = doc.add_paragraph()
    meta.paragraph_format.keep_with_next = True
    run = meta.add_run(clean(" · ".join(" ".join(f.split()) for f in facts if f and f.strip())))
    run.italic, run.font.color.rgb = True, GREY
    if record.status != Status.APPROVED:
        banner = doc.add_paragraph()
        banner.paragraph_format.keep_with_next = True
        _banner(banner, words["not_approved"].format(status=record.status))

    def points(section: str, items: list[Point], *, bullets: bool) -> None:
        doc.add_heading(sections[section], level=3)
        if not items:
            empty = words["no_consequences"] if section == "unintended_consequences" else words["says_nothing"]
            doc.add_paragraph().add_run(empty).italic = True
        for i, point in enumerate(items):
            path = section if section in ("overview", "ai_application") else f"{section}[{i}]"
            paragraph = doc.add_paragraph(style="List Bullet" if bullets else None)
            paragraph.add_run(clean(" ".join(point.text.split())))
            for shown in point_flags(record, path, words):
                flag = paragraph.add_run(clean(shown))
                flag.bold, flag.font.color.rgb = True, RED
            for q, item in enumerate(point.evidence):
                where = sections[section] if item.sentence is None else (
                    f"{sections[section]}, {words['sentence'].format(n=item.sentence)}")
                quotes.append((record, where, item.text))
                mark = paragraph.add_run(f"{',' if q else ''}{len(quotes)}")
                mark.font.superscript = True
                mark.font.color.rgb = GREY

    points("overview", [s.overview], bullets=False)
    if s.ai_application:
        points("ai_application", [s.ai_application], bullets=False)
    for section in SECTIONS:
        points(section, getattr(s, section), bullets=True)
    _small(doc.add_paragraph(), _provenance_line(record, words))


def _provenance_line(record: Record, words: dict[str, str]) -> str:
    p = record.provenance
    engine = f"{words['offline']} ({p.model})" if p.engine == "offline" else f"{p.engine}, {words['model']} {p.model}"
    bits = [f"{words['source']}: {public_path(p.source_path)} (sha256 {p.source_sha256[:12]})",
            f"{words['engine']} {engine}", f"{words['prompt']} {p.prompt_name}"]  # fmt: skip
    if record.status == Status.APPROVED and record.reviewed_by:
        when = f"{record.reviewed_at:%Y-%m-%d}" if record.reviewed_at else "?"
        bits.append(words["approved"].format(who=record.reviewed_by, date=when))
    else:
        bits.append(words["unapproved"].format(status=record.status))
    bits.append(words["record"].format(id=record.id, version=record.version))
    return " · ".join(bits)


def _appendix(doc: DocumentType, quotes: list[tuple[Record, str, str]], numbers: dict[str, str],
              words: dict[str, str], sections: dict[str, str]) -> None:  # fmt: skip
    heading = doc.add_heading(words["appendix"], level=1)
    heading.paragraph_format.page_break_before = True
    doc.add_paragraph(words["appendix_intro"])
    current = None
    for n, (record, section, quote) in enumerate(quotes, 1):
        if record.id != current:
            current = record.id
            doc.add_heading(clean(f"{numbers[record.id]} {heading_title(record.summary.title, record.id)}"), level=3)
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(8)
        paragraph.paragraph_format.first_line_indent = Mm(-8)
        paragraph.paragraph_format.space_after = Pt(3)
        paragraph.add_run(f"{n}\t").bold = True
        paragraph.add_run(clean(f"\u201c{_readable(quote)}\u201d"))
        label = paragraph.add_run(f"  ({section})")
        label.font.color.rgb, label.font.size = GREY, Pt(8.5)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")


def _readable(quote: str) -> str:
    """A quote as printed: the source's words and punctuation, without Markdown's ** and [text](link) marks
    (the grounding check ignores those marks too, so the printed quote is still the one that was checked)."""
    return " ".join(_MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", quote)).split())


def _small(paragraph: Paragraph, text: str) -> None:
    paragraph.paragraph_format.space_before = Pt(6)
    run = paragraph.add_run(clean(text))
    run.font.size, run.font.color.rgb = Pt(8), GREY


# -- fields ------------------------------------------------------------------------------------------------


def _fld_char(kind: str) -> OxmlElement:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _field_start(paragraph: Paragraph, instruction: str, *, before: bool = False) -> None:
    """begin, instruction, separate: what follows, up to `_field_end`, is the field's shown result."""
    runs = []
    for part in ("begin", "instr", "separate"):
        run = OxmlElement("w:r")
        if part == "instr":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = f" {instruction} "
            run.append(text)
        else:
            run.append(_fld_char(part))
        runs.append(run)
    p = paragraph._p
    anchor = p.find(qn("w:pPr"))
    for offset, run in enumerate(runs):
        if before:
            p.insert((list(p).index(anchor) + 1 if anchor is not None else 0) + offset, run)
        else:
            p.append(run)


def _field_end(paragraph: Paragraph) -> None:
    run = OxmlElement("w:r")
    run.append(_fld_char("end"))
    paragraph._p.append(run)


def _simple_field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    _field_start(paragraph, instruction)
    result = paragraph.add_run(shown)
    result.font.size, result.font.color.rgb = Pt(8.5), GREY
    _field_end(paragraph)
