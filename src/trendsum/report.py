"""Exports and reports: the selected records, in one format, to a stream or a file.

Machine formats (JSON Lines, JSON, CSV) stream one record at a time and say each record's language; reports
people read (Markdown, Word) are built from one language and refuse to mix them unless asked. A Word report
carries each trend's cross-case analysis once a person has approved it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import export
from .errors import UsageError
from .models import Record, Status
from .selection import Selection, for_report, languages_of, select
from .store import Store

if TYPE_CHECKING:
    from .analysis_models import Analysis

FORMATS = (*export.FORMATS, "docx")
REPORTS = ("markdown", "docx")  # built from one language
DEFAULT_TITLE = "Public Sector Digital Trends"


@dataclass
class ExportResult:
    count: int
    unapproved: int = 0
    stale_left_out: int = 0
    languages: list[str] = field(default_factory=list)
    analyses: list[str] = field(default_factory=list)  # ids of the approved analyses included
    warnings: list[str] = field(default_factory=list)


def export_records(
    store: Store,
    fmt: str,
    selection: Selection,
    *,
    out: TextIO | None = None,
    path: Path | None = None,
    title: str = DEFAULT_TITLE,
    mixed_languages: bool = False,
) -> ExportResult:
    """Write the selected records as `fmt` to `out` (text formats) or `path` (Word, which needs a file)."""
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if fmt == "docx" and path is None:
        raise UsageError("A Word report needs a file: add --output report.docx.")
    stale = store.count([Status.STALE]) if Status.STALE not in selection.statuses else 0
    if fmt not in REPORTS:
        assert out is not None
        writer = {"jsonl": export.write_jsonl, "json": export.write_json, "csv": export.write_csv}[fmt]
        return ExportResult(writer(select(store, selection), out), stale_left_out=stale)
    records = for_report(store, selection, mixed_languages=mixed_languages)
    languages = languages_of(records)
    result = ExportResult(len(records), sum(r.status != Status.APPROVED for r in records), stale, languages)
    if fmt == "markdown":
        assert out is not None
        export.write_markdown(records, out, title=title)
        return result
    language = selection.language or (languages[0] if len(languages) == 1 else "en")
    analyses = _approved_analyses(store, records, language, result) if len(languages) <= 1 else {}
    if len(languages) > 1:
        result.warnings.append("cross-case analyses are left out of a report that mixes languages")
    assert path is not None
    from .report_docx import write_docx  # python-docx is only loaded for Word reports

    write_docx(path, records, analyses, title=title, language=language)
    result.analyses = [a.id for a in analyses.values()]
    return result


def _approved_analyses(store: Store, records: list[Record], language: str, result: ExportResult) -> dict[str, Analysis]:
    found = {}
    in_report = {r.id for r in records}
    for trend in sorted({str(r.summary.trend) for r in records}):
        from . import analysis  # only reports that include analyses need it loaded

        approved, why_not = analysis.for_report(store, trend, language)
        if approved is not None:
            found[trend] = approved
            outside = sorted(approved.body.cited() - in_report)
            if outside:
                result.warnings.append(
                    f"the analysis {approved.id} cites {len(outside)} case(s) this report leaves out "
                    f"({', '.join(outside)}): they are marked 'not in this report'"
                )
        elif why_not:
            result.warnings.append(why_not)
    return found
