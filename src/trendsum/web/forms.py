"""The edit form, per section and point, as the Markdown that `queue.editing` reads: the browser's edit goes
through the same parser, validation and save as the terminal's editor, and each problem it reports (by line) is
shown beside the field that line came from, with the reviewer's text kept as they typed it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.labels import SECTION_TITLES
from ..domain.models import CaseSummary, Point

META = ("title", "organisation", "nation", "year", "trend")
SINGLE = ("overview", "ai_application")
ORDER = ("overview", "ai_application", "challenges", "approach", "outcomes", "unintended_consequences", "lessons")
MAX_POINTS, MAX_QUOTES = 200, 50  # per section, per point: a form is typed by a person
_KEY = re.compile(r"^(?P<section>[a-z_]+)\.(?P<point>\d{1,3})\.(?:(?P<text>text)|q\.(?P<quote>\d{1,2}))$")
_LINE = re.compile(r"^line (\d+): ")


@dataclass
class PointForm:
    text: str = ""
    quotes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text.strip() and not any(q.strip() for q in self.quotes)


@dataclass
class EditForm:
    meta: dict[str, str]
    sections: dict[str, list[PointForm]]
    note: str = ""

    def with_blanks(self) -> EditForm:
        """Room to add: an empty quote under every point, an empty point in each list section (and in the AI
        section when it has none)."""
        sections = {}
        for name, points in self.sections.items():
            kept = [PointForm(p.text, [q for q in p.quotes if q.strip()] + [""]) for p in points]
            if name not in SINGLE or not kept:
                kept.append(PointForm("", [""]))
            sections[name] = kept
        return EditForm(dict(self.meta), sections, self.note)


def from_summary(summary: CaseSummary) -> EditForm:
    meta = {"title": summary.title, "organisation": summary.organisation or "", "nation": summary.nation or "",
            "year": "" if summary.year is None else str(summary.year), "trend": summary.trend.value}  # fmt: skip
    sections: dict[str, list[PointForm]] = {}
    for name in ORDER:
        value = getattr(summary, name)
        points: list[Point] = [] if value is None else [value] if name in SINGLE else list(value)
        sections[name] = [PointForm(p.text, p.quotes) for p in points]
    return EditForm(meta, sections)


def from_fields(data: Mapping[str, str]) -> EditForm:
    """The form as posted. Points left empty (no text, no quote) are dropped: that is how a point is removed."""
    meta = {key: _newlines(str(data.get(key, ""))) for key in META}
    found: dict[str, dict[int, PointForm]] = {name: {} for name in ORDER}
    for key, value in data.items():
        match = _KEY.match(key)
        if not match or match["section"] not in found:
            continue
        index = int(match["point"])
        if index >= MAX_POINTS:
            continue
        point = found[match["section"]].setdefault(index, PointForm())
        if match["text"]:
            point.text = _newlines(str(value))
        elif int(match["quote"]) < MAX_QUOTES:
            quote = int(match["quote"])
            point.quotes += [""] * (quote + 1 - len(point.quotes))
            point.quotes[quote] = _newlines(str(value))
    sections = {name: [p for _, p in sorted(points.items()) if not p.empty] for name, points in found.items()}
    for points in sections.values():
        for point in points:
            point.quotes = [q for q in point.quotes if q.strip()]
    return EditForm(meta, sections, str(data.get("note", "")))


def _newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def to_markdown(form: EditForm, origin: tuple[str, int]) -> tuple[str, dict[int, str]]:
    """The document `editing.parse_markdown` reads, and which form field each of its lines came from."""
    lines: list[str] = [f"<!-- trendsum record {origin[0]}, version {origin[1]} (edited in the browser) -->", ""]
    fields: dict[int, str] = {}

    def add(first_prefix: str, more_prefix: str, value: str, name: str) -> None:
        first, *rest = _escaped(value)
        fields[len(lines) + 1] = name
        lines.append(f"{first_prefix}{first}".rstrip())
        for line in rest:
            fields[len(lines) + 1] = name
            lines.append(f"{more_prefix}{line}" if line else "")

    for key in META:
        add(f"{key}: ", "  ", form.meta.get(key, ""), key)
    for name in ORDER:
        lines += ["", f"## {SECTION_TITLES[name]}"]
        for i, point in enumerate(form.sections.get(name, [])):
            lines.append("")
            add("- ", "  ", point.text, f"{name}.{i}.text")
            for j, quote in enumerate(point.quotes):
                add("  > ", "    ", quote, f"{name}.{i}.q.{j}")
    return "\n".join(lines) + "\n", fields


def _escaped(value: str) -> list[str]:
    # as `editing` writes them: a line that would read as a quote, a comment or an escape is marked literal
    return ["\\" + line if line.lstrip().startswith((">", "<!--", "\\")) else line for line in value.split("\n")]


def problems_by_field(problems: list[str], fields: dict[int, str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem beside its field (by the point's text field for a quote-less point), the rest for the top."""
    placed: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        match = _LINE.match(problem)
        name = fields.get(int(match[1])) if match else None
        if name is None:
            general.append(problem)
        else:
            placed.setdefault(name, []).append(problem[match.end():] if match else problem)
    return placed, general
