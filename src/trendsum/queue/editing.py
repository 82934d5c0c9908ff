"""A record as Markdown a reviewer can edit, and back. Pure functions, no I/O.

The format, chosen to read well in any editor:

    title: Tayside Council: a single front door
    organisation: Tayside Council
    nation: Scotland
    year: 2023
    trend: reimagining services

    ## Overview

    - The point, in one or two sentences.
      > A quote copied exactly from the source.

Every section heading is always present (an empty section is a heading with no bullet). `<!-- ... -->` lines
are comments: parsing ignores them, so the header and the grounding notes cost the reviewer nothing. Text that
runs over several lines continues on lines indented under it (by any amount: the indent is not kept). A line
that would otherwise read as a quote or a comment is escaped with a backslash, so `parse_markdown(to_markdown(s))
== s` for every summary whose lines carry no leading or trailing spaces.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..domain.labels import SECTION_TITLES
from ..domain.models import SECTIONS, CaseSummary, Grounding, Point, Trend
from ..errors import ReviewError

META_KEYS = ("title", "organisation", "nation", "year", "trend")
_SINGLE = ("overview", "ai_application")  # sections that hold one point, not a list
_ORDER = ("overview", "ai_application", *SECTIONS)
_HEADINGS = {SECTION_TITLES[name].casefold(): name for name in _ORDER} | {name: name for name in _ORDER}
_ORIGIN = re.compile(r"^<!-- trendsum record (?P<id>\S+), version (?P<version>\d+)\b")
_TEXT_INDENT, _QUOTE_INDENT = "  ", "    "
_HINTS = {
    "ai_application": "How AI was used, as one point; leave empty if the case involves no AI.",
    "unintended_consequences": "Leave empty if the source reports none.",
    "lessons": "Leave empty if the source gives none.",
}


class EditInvalid(ReviewError):
    """The edited text is not a valid record; `problems` says what to fix, with line numbers."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The edited record is not valid:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


# -- record to Markdown ---------------------------------------------------------------------------------------


def to_markdown(
    summary: CaseSummary, *, grounding: Grounding | None = None, origin: tuple[str, int] | None = None
) -> str:
    """The editable text. With `origin` (record id, version) a header says what it was made from; with
    `grounding`, a comment under each point marks quotes that were not found in the source."""
    lines: list[str] = []
    if origin is not None:
        record_id, version = origin
        trends = ", ".join(t.value for t in Trend)
        lines += [
            f"<!-- trendsum record {record_id}, version {version}. Edit, save and close the editor to keep it.",
            '     Each point is a "- " line; its evidence follows on "  > " lines, copied exactly from the source.',
            "     Leave organisation, nation or year empty when the source does not say.",
            f"     trend is one of: {trends}. -->",
            "",
        ]
    meta = {
        "title": summary.title,
        "organisation": summary.organisation,
        "nation": summary.nation,
        "year": None if summary.year is None else str(summary.year),
        "trend": summary.trend.value,
    }
    for key, value in meta.items():
        first, *rest = _escaped_lines(value or "")
        lines.append(f"{key}: {first}".rstrip())
        lines += [_TEXT_INDENT + line if line else "" for line in rest]
    for name in _ORDER:
        lines += ["", f"## {SECTION_TITLES[name]}"]
        if name in _HINTS:
            lines.append(f"<!-- {_HINTS[name]} -->")
        value = getattr(summary, name)
        points = [] if value is None else [value] if name in _SINGLE else value
        for i, point in enumerate(points):
            path = name if name in _SINGLE else f"{name}[{i}]"
            lines += ["", *_point_lines(point, grounding.points.get(path) if grounding else None)]
    return "\n".join(lines) + "\n"


def _point_lines(point: Point, check: object | None) -> list[str]:
    first, *rest = _escaped_lines(point.text)
    lines = [f"- {first}".rstrip(), *(_TEXT_INDENT + line if line else "" for line in rest)]
    for quote in point.quotes:
        first, *rest = _escaped_lines(quote)
        lines.append(f"{_TEXT_INDENT}> {first}".rstrip())
        lines += [_QUOTE_INDENT + line if line else "" for line in rest]
    if check is not None and not getattr(check, "supported", True):
        problems = check.problems() if hasattr(check, "problems") else []
        shown = "; ".join(f"{' '.join(q.split())[:60]} ({why})" for q, why in problems) or "no quote"
        lines.append(f"{_TEXT_INDENT}<!-- NOT EVIDENCE FROM THE SOURCE: {shown.replace('--', '- -')} -->")
    for why in getattr(check, "unsupported", None) or ():
        lines.append(f"{_TEXT_INDENT}<!-- UNSUPPORTED BY ITS EVIDENCE: {why.replace('--', '- -')} -->")
    return lines


def _escaped_lines(value: str) -> list[str]:
    # a line that starts like a quote, a comment or an escape would be read as one: mark it literal
    return ["\\" + line if line.lstrip().startswith((">", "<!--", "\\")) else line for line in value.split("\n")]


def origin(text: str) -> tuple[str, int] | None:
    """The record id and version a Markdown document was made from, if its header is still there."""
    for line in text.splitlines():
        match = _ORIGIN.match(line)
        if match:
            return match["id"], int(match["version"])
    return None


# -- Markdown to record ---------------------------------------------------------------------------------------


@dataclass
class _Item:
    line: int
    text: list[str]
    quotes: list[list[str]] = field(default_factory=list)


@dataclass
class _Parse:
    meta: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    sections: dict[str, list[_Item]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_markdown(text: str) -> CaseSummary:
    """Read an edited document back into a CaseSummary, or raise EditInvalid listing every problem found."""
    parsed = _parse(text.replace("\r\n", "\n").replace("\r", "\n"))
    problems = parsed.problems
    data: dict[str, object] = {}
    for key in META_KEYS:
        if key not in parsed.meta:
            problems.append(f"the `{key}:` line is missing; put it back at the top (empty if unknown)")
            continue
        line, value_lines = parsed.meta[key]
        value = "\n".join(value_lines) or None
        if key == "title" and value is None:
            problems.append(f"line {line}: the title cannot be empty")
        elif key == "year" and value is not None:
            if not re.fullmatch(r"\d{4}", value) or not 1990 <= int(value) <= 2100:
                problems.append(f"line {line}: year must be a year from 1990 to 2100 such as 2024, or empty; "
                                f"not {value!r}")  # fmt: skip
            else:
                data["year"] = int(value)
        elif key == "trend":
            trend = next((t for t in Trend if value and t.value == " ".join(value.split()).casefold()), None)
            if trend is None:
                choices = ", ".join(t.value for t in Trend)
                problems.append(f"line {line}: trend must be one of: {choices}; not {value!r}")
            data["trend"] = trend
        else:
            data[key] = value
    for name in _ORDER:
        items = parsed.sections.get(name)
        heading = SECTION_TITLES[name]
        if items is None:
            problems.append(f"the heading `## {heading}` is missing; keep every heading, even for an empty section")
            continue
        points = [_point(item, heading, problems) for item in items]
        if name == "overview" and len(points) != 1:
            problems.append(f"`## {heading}` needs exactly one point, not {len(points)}")
        elif name == "ai_application" and len(points) > 1:
            problems.append(f"`## {heading}` takes one point at most, not {len(points)}; join them into one")
        data[name] = (points[0] if points else None) if name in _SINGLE else points
    if problems:
        raise EditInvalid(problems)
    try:
        return CaseSummary.model_validate(data)
    except ValidationError as exc:  # the parser checks what a reviewer can get wrong; this is the backstop
        raise EditInvalid([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None


def _point(item: _Item, heading: str, problems: list[str]) -> Point | None:
    text = "\n".join(item.text).strip()
    if not text:
        problems.append(f"line {item.line}: a point under `## {heading}` has no text after the `- `")
    quotes = ["\n".join(lines).strip() for lines in item.quotes]
    if not any(quotes):
        problems.append(
            f"line {item.line}: the point {_short(text)!r} has no evidence: add a `  > ` line under it with a "
            "quote copied exactly from the source"
        )
    elif not all(quotes):
        problems.append(f"line {item.line}: the point {_short(text)!r} has an empty `>` quote line")
    return Point(text=text, evidence=quotes) if text and quotes and all(quotes) else None


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:39] + "…"


def _parse(text: str) -> _Parse:
    result = _Parse()
    section: str | None = None
    skipping = False  # under a heading already reported as wrong: its points would only repeat the error
    item: _Item | None = None
    target: list[str] | None = None  # where continuation lines go: a metadata value, a point's text or a quote
    blanks = 0
    in_comment = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        stripped = line.lstrip()
        if in_comment:
            in_comment = "-->" not in line
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped[4:]
            continue
        if not stripped:
            blanks += 1
            continue
        indented = line[0] in " \t"
        if indented and stripped.startswith(">") and item is not None:
            target = [_unescape(stripped[1:].lstrip())]
            item.quotes.append(target)
        elif indented and target is not None:
            target += [""] * blanks + [_unescape(stripped)]
        elif line.startswith("#"):
            target, item = None, None
            name = _HEADINGS.get(line.lstrip("#").strip().casefold())
            if not line.startswith("## ") or name is None:
                known = ", ".join(f"`## {SECTION_TITLES[n]}`" for n in _ORDER)
                result.problems.append(f"line {number}: unknown heading {line!r}; the headings are {known}")
                section, skipping = None, True
            elif name in result.sections:
                result.problems.append(f"line {number}: `## {SECTION_TITLES[name]}` appears twice")
                section, skipping = None, True
            else:
                section, skipping = name, False
                result.sections[name] = []
        elif line.startswith(("- ", "* ")) or line in ("-", "*"):
            if skipping:
                target, item = None, None
            elif section is None:
                result.problems.append(f"line {number}: a `- ` point must come under a `## ` section heading")
                target, item = None, None
            else:
                item = _Item(number, [_unescape(line[2:].lstrip())])
                result.sections[section].append(item)
                target = item.text
        elif not result.sections and not indented and re.match(r"^[A-Za-z_ ]+:", line):
            key, _, value = line.partition(":")
            key = key.strip().casefold()
            if key not in META_KEYS:
                result.problems.append(f"line {number}: unknown field {key!r}; the fields are {', '.join(META_KEYS)}")
                target = None
            elif key in result.meta:
                result.problems.append(f"line {number}: `{key}:` appears twice")
                target = None
            else:
                target = [_unescape(value.strip())]
                result.meta[key] = (number, target)
        else:
            where = "before the first heading" if not result.sections else "here"
            result.problems.append(
                f"line {number}: {_short(stripped)!r} is not expected {where}: a point starts with `- `, "
                "its quotes with `  > `, and a line that continues either is indented"
            )
        blanks = 0
    return result


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("\\") else value


# -- differences between versions -----------------------------------------------------------------------------


def diff_lines(old: CaseSummary, new: CaseSummary, old_label: str, new_label: str, context: int = 2) -> list[str]:
    """A unified diff of two versions' Markdown, the form a reviewer edits, so changes read as they were made."""
    return list(
        difflib.unified_diff(
            to_markdown(old).splitlines(), to_markdown(new).splitlines(), old_label, new_label, n=context,
            lineterm="",
        )
    )  # fmt: skip


def problems_comment(problems: Iterable[str]) -> str:
    """A comment block to put at the top of a draft, so the reviewer sees what to fix inside the editor."""
    body = "\n".join(f"     - {p.replace('--', '- -')}" for p in problems)
    return f"{PROBLEMS_START}\n{body}\n     Fix them, save and close; this note goes away by itself. -->\n"


PROBLEMS_START = "<!-- trendsum could not read this record:"


def without_problems_comment(text: str) -> str:
    if not text.startswith(PROBLEMS_START):
        return text
    end = text.find("-->")
    return text[end + 3 :].lstrip("\n") if end >= 0 else text
