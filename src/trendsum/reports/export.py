"""Writers for approved records: JSON Lines, JSON, CSV and Markdown (Word is in `reports.docx`). Text from sources is escaped for each format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TextIO

from ..domain.labels import SECTION_TITLES, in_trend_order, words
from ..domain.models import SECTIONS, Point, Record, Status

FORMATS = ("jsonl", "json", "csv", "markdown")

# Control characters that str.split() does not already treat as whitespace: text from a PDF or a model may
# carry them, and a terminal, a Markdown renderer or a spreadsheet would act on them instead of showing them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Punctuation a title can be left with when it was cut from a longer line ("Fife Council: repairs –").
_TRAILING_PUNCTUATION = re.compile(r"[\s\-\u2010-\u2015\u2212:;,]+$")


def public_path(source_path: str) -> str:
    """The source file as a published export names it, so no export shows someone's folders.

    A relative path is kept as summarise was given it (`inputs/fife.md`, `cases/2024/fife.md`), since it says
    where in the collection the case is. An absolute path (`/home/alice/cases/fife.md`, `C:\\Users\\...`,
    `~/cases/fife.md`) or one that climbs out of the working folder (`../alice/fife.md`) is cut to the file
    name, `fife.md`: the record keeps the full path for reviewers, the export does not publish it.
    """
    posix, windows = PurePosixPath(source_path), PureWindowsPath(source_path)
    outside = posix.is_absolute() or windows.drive or windows.root or source_path.startswith("~")
    if outside or ".." in windows.parts:
        return windows.name  # PureWindowsPath splits at both / and \\
    return source_path


_ALSO_AT = re.compile(r"^(same content also at )(.+?)(: summarised once, as this record)$", re.S)


def _public_text(text: str, source_path: str) -> str:
    """`text` without the folders `public_path` leaves out: a flag may name another file, in that folder or
    in another folder summarised in the same run."""
    copy = _ALSO_AT.match(text)
    if copy:
        return copy.group(1) + public_path(copy.group(2)) + copy.group(3)
    shown = public_path(source_path)
    folder = source_path[: -len(shown)] if shown and source_path.endswith(shown) else ""
    return text.replace(folder, "") if folder.strip("/\\") else text


def heading_title(title: str, fallback: str) -> str:
    """A title as a heading prints it: on one line, without trailing dashes, colons, semicolons or commas."""
    trimmed = _TRAILING_PUNCTUATION.sub("", " ".join(_CONTROL.sub("", title).split()))
    return trimmed or fallback


def record_dict(record: Record, *, published: bool = False) -> dict[str, Any]:
    """A record as plain data, in a stable key order (the JSON Lines contract).

    `published` is the record as an export shows it: its source named by `public_path`, and its flags without
    the folders that leaves out. `trendsum show --json` keeps the full paths, for the reviewer.
    """
    s = record.summary

    def point(path: str, p: Point | None) -> dict[str, Any] | None:
        if p is None:
            return None
        check = record.grounding.points.get(path)
        return {
            "text": p.text,
            "evidence": [item.model_dump(exclude_none=True) for item in p.evidence],
            "grounded": record.grounding.is_supported(path),
            "supported": record.grounding.is_sound(path),
            "unsupported": list(check.unsupported) if check is not None else [],
        }

    data: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "status": str(record.status),
        "title": s.title,
        "organisation": s.organisation,
        "nation": s.nation,
        "year": s.year,
        "trend": str(s.trend),
        "ai_application": point("ai_application", s.ai_application),
        "overview": point("overview", s.overview),
    }
    for section in SECTIONS:
        data[section] = [point(f"{section}[{i}]", p) for i, p in enumerate(getattr(s, section))]
    checked = record.grounding
    data["grounding"] = {"grounded": checked.supported, "supported": checked.sound, "unsupported": checked.unsupported,
                         "total": checked.total}  # fmt: skip
    source = record.provenance.source_path
    data["flags"] = [_public_text(flag, source) for flag in record.flags] if published else list(record.flags)
    data["review"] = {
        "approved_version": record.approved_version,
        "reviewer": record.reviewed_by,
        "reviewed_at": record.reviewed_at.isoformat() if record.reviewed_at else None,
        "note": record.review_note,
    }
    data["provenance"] = record.provenance.model_dump(mode="json")
    if published:
        data["provenance"]["source_path"] = public_path(source)
    return data


def write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record_dict(record, published=True), ensure_ascii=False) + "\n")
        count += 1
    return count


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
# At the start of a line, '-' opens a list or a rule, '=' underlines a heading and '1.' opens a numbered list.
_MD_LINE_START = re.compile(r"^(?:([-=])|(\d{1,9})\.)")


def md(text: str) -> str:
    """Escape Markdown and HTML so source text renders as text, on one line, starting no block of its own."""
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(_CONTROL.sub("", text).split()))
    return _MD_LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\.", escaped)


def write_markdown(records: Iterable[Record], out: TextIO, *, title: str = "Case studies") -> int:
    out.write(f"# {md(heading_title(title, 'Case studies'))}\n\n")
    by_trend: dict[str, list[Record]] = {}
    for record in records:
        by_trend.setdefault(str(record.summary.trend), []).append(record)
    count = sum(len(group) for group in by_trend.values())
    unapproved = sum(r.status != Status.APPROVED for group in by_trend.values() for r in group)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out.write(f"_{count} case stud{'y' if count == 1 else 'ies'}, exported by trendsum on {stamp}._\n\n")
    if unapproved:
        out.write(
            f"> **DRAFT: {unapproved} of these case studies are NOT APPROVED.** "
            "They have not been reviewed and must not be published.\n\n"
        )
    for trend in in_trend_order(by_trend):
        out.write(f"## {md(trend.capitalize())}\n\n")
        for record in by_trend[trend]:
            out.writelines(_markdown_case(record))
    return count


def _markdown_case(record: Record) -> Iterator[str]:
    s = record.summary
    yield f"### {md(heading_title(s.title, record.id))}\n\n"
    if record.status != Status.APPROVED:
        yield f"> **NOT APPROVED ({record.status})**: unreviewed draft, not for publication.\n\n"
    facts = [s.organisation, s.nation, str(s.year) if s.year else None, "uses AI" if s.ai_application else "no AI"]
    yield "*" + " · ".join(shown for shown in (md(f) for f in facts if f) if shown) + "*\n\n"
    yield f"#### {SECTION_TITLES['overview']}\n\n"
    yield from _markdown_point(record, "overview", s.overview, bullet=False)
    if s.ai_application:
        yield f"#### {SECTION_TITLES['ai_application']}\n\n"
        yield from _markdown_point(record, "ai_application", s.ai_application, bullet=False)
    for section in SECTIONS:
        points = getattr(s, section)
        if not points and section == "unintended_consequences":
            continue
        yield f"#### {SECTION_TITLES[section]}\n\n"
        if not points:
            yield f"_{words('en')['says_nothing']}_\n\n"
        for i, point in enumerate(points):
            yield from _markdown_point(record, f"{section}[{i}]", point)
        yield "\n"
    p = record.provenance
    reviewed = ""
    if record.reviewed_by and record.status == Status.APPROVED:
        when = f" on {record.reviewed_at:%Y-%m-%d}" if record.reviewed_at else ""
        reviewed = f" · approved by {md(record.reviewed_by)}{when}"
    engine = "offline extractive engine" if p.engine == "offline" else f"{md(p.engine)} model {md(p.model)}"
    yield (
        f"<sub>Source: {md(public_path(p.source_path))} (sha256 {p.source_sha256[:12]}) · {engine} · "
        f"prompt {md(p.prompt_name)} · record {md(record.id)} v{record.version}{reviewed}</sub>\n\n"
    )


def _markdown_point(record: Record, path: str, point: Point, *, bullet: bool = True) -> Iterator[str]:
    lead = "- " if bullet else ""
    indent = "  " if bullet else ""
    yield f"{lead}{md(point.text)}{''.join(f' **{md(flag.strip())}**' for flag in point_flags(record, path))}\n"
    for item in point.evidence:
        cited = f"\\[{item.sentence}\\] " if item.sentence is not None else ""
        yield f"{indent}> {cited}“{md(item.text)}”\n"
    yield "\n"


def write_json(records: Iterable[Record], out: TextIO) -> int:
    """One JSON array of the same objects as JSON Lines, written as it goes (memory stays flat)."""
    count = 0
    out.write("[")
    for record in records:
        out.write(("," if count else "") + "\n" + json.dumps(record_dict(record, published=True), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


CSV_COLUMNS = (
    "approval", "id", "version", "status", "language", "title", "organisation", "nation", "year", "trend",
    "uses_ai", "criteria", "overview", "ai_application", *SECTIONS, "evidence", "grounded", "approved_by",
    "approved_at", "engine", "model", "prompt", "source_path", "source_sha256",
)  # fmt: skip


def write_csv(records: Iterable[Record], out: TextIO) -> int:
    """One row per record; a section's points go in one cell, one point a line, so a spreadsheet reads them.

    Unapproved records say NOT APPROVED in the first column. A cell that would start with = + - or @ gets a
    leading apostrophe, so a spreadsheet shows source text as text instead of running it as a formula.
    """
    import csv

    from ..domain.criteria import BY_NAME, evaluate

    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        s, p = record.summary, record.provenance
        approved = record.status == Status.APPROVED
        checked = evaluate(s)
        failing = [f"{name} ({checked.reasons[name]})" for name in checked.failing() if BY_NAME[name].selection]
        evidence = [
            f"{_point_label(path)}: {f'[{item.sentence}] ' if item.sentence is not None else ''}"
            f"\u201c{' '.join(item.text.split())}\u201d"
            for path, point in s.points()
            for item in point.evidence
        ]
        row = {
            "approval": "approved" if approved else f"NOT APPROVED ({record.status}): not for publication",
            "id": record.id,
            "version": record.version,
            "status": str(record.status),
            "language": p.language,
            "title": s.title,
            "organisation": s.organisation or "",
            "nation": s.nation or "",
            "year": s.year if s.year is not None else "",
            "trend": str(s.trend),
            "uses_ai": "yes" if checked.met["uses-ai"] else "no",
            "criteria": "meets all" if checked.selected else "fails: " + "; ".join(failing),
            "overview": _csv_point(record, "overview", s.overview),
            "ai_application": _csv_point(record, "ai_application", s.ai_application) if s.ai_application else "",
            **{
                section: "\n".join(
                    "\u2022 " + _csv_point(record, f"{section}[{i}]", point)
                    for i, point in enumerate(getattr(s, section))
                )
                for section in SECTIONS
            },
            "evidence": "\n".join(evidence),
            "grounded": f"{record.grounding.supported}/{record.grounding.total}",
            "approved_by": record.reviewed_by if approved and record.reviewed_by else "",
            "approved_at": f"{record.reviewed_at:%Y-%m-%d}" if approved and record.reviewed_at else "",
            "engine": p.engine,
            "model": p.model,
            "prompt": p.prompt_name,
            "source_path": public_path(p.source_path),
            "source_sha256": p.source_sha256,
        }
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
        count += 1
    return count


def _point_label(path: str) -> str:
    """'challenges[1]' -> 'Challenges 2', as a reader counts."""
    name, _, index = path.partition("[")
    title = SECTION_TITLES.get(name, name)
    return f"{title} {int(index.rstrip(']')) + 1}" if index else title


def _csv_point(record: Record, path: str, point: Point) -> str:
    return " ".join(_CONTROL.sub("", point.text).split()) + "".join(point_flags(record, path))


def point_flags(record: Record, path: str, said: dict[str, str] | None = None) -> list[str]:
    """What a reader must know about a point before trusting it, in the report's words (`labels.words`): its
    evidence is not in the source, or does not back what it says (with why)."""
    said = said or words("en")
    check = record.grounding.points.get(path)
    flags = [] if check is not None and check.supported else [said["unsupported"]]
    flags += [said["not_backed"].format(why=" ".join(_CONTROL.sub("", why).split())) for why in
              (check.unsupported if check is not None else ())]  # fmt: skip
    return flags


def _csv_cell(value: object) -> object:
    """A cell as a spreadsheet should show it: line breaks as \\n, no other control characters, no formula."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).translate(_CSV_SPACES)
    if value[:1] in ("=", "+", "-", "@", "\t", "\n"):
        return "'" + value
    return value


# Whitespace str.split() knows but a cell should not carry as such: vertical tab, form feed, separators.
_CSV_SPACES = str.maketrans({"\x0b": " ", "\x0c": " ", "\x1c": " ", "\x1d": " ", "\x1e": " ", "\x1f": " ",
                             "\x85": "\n"})  # fmt: skip
