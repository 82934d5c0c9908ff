"""Rich renderables for people. These functions build things to print; they never print."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..domain.labels import SECTION_TITLES
from ..domain.models import SECTIONS, Evidence, Point, PointCheck, Record, ReviewEvent, Status
from ..pipeline.summarise import CaseOutcome, RunReport
from ..queue.editing import diff_lines
from ..queue.review import VersionEntry
from ..queue.store import RecordRow

STATUS_STYLE = {
    Status.PENDING: "yellow",
    Status.APPROVED: "green",
    Status.REJECTED: "red",
    Status.STALE: "magenta",
}


# What a terminal must never be sent from text that came from outside (model answers, file names, the database,
# config files): C0 and C1 controls and DEL (ESC starts sequences that clear the screen, retitle the window or make
# hyperlinks), lone surrogates (undecodable bytes in a file name, which cannot even be encoded for output) and the
# bidirectional overrides that make a line read differently from what it holds.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SPACES = str.maketrans(dict.fromkeys("\t\n\v\f\r", " "))


def printable(text: str) -> str:
    """Untrusted text as it is safe to show: line breaks and tabs become spaces (no field can forge a line of its
    own) and every other control character is shown as an escape such as \\x1b, visible but inert."""
    return _UNPRINTABLE.sub(_escape_character, text.translate(_SPACES))


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def compact(text: str) -> str:
    """Printable, with every run of spaces made one: for prose that is wrapped to the terminal's width."""
    return " ".join(printable(text).split())


def literal(text: str, style: str = "") -> Text:
    """Untrusted text for a renderable: printable, and a Text, so brackets in it are never read as Rich markup."""
    return Text(printable(text), style=style)


def engine_label(engine: str, model: str | None = None) -> Text:
    if engine == "offline":
        return Text("offline (extractive)", style="cyan")
    return literal(f"{engine}:{model}" if model else engine)


def records_table(rows: Sequence[RecordRow], total: int | None = None) -> RenderableType:
    title = f"{len(rows)} record(s)" + (f" of {total}" if total is not None and total != len(rows) else "")
    return _RecordsTable(rows, title)


# `list`'s columns in the order shown, and the order in which they are kept when the terminal is narrow. The id
# always stays, whole: it is what every other command takes, so it is never cut, and wraps only if it is longer
# than the terminal is wide.
_LIST_COLUMNS = ("id", "title", "nation", "trend", "status", "grounded", "engine")
_LIST_KEPT = ("status", "title", "grounded", "nation", "trend", "engine")
_LIST_WIDEST = {"title": 20, "nation": 16, "trend": 20, "engine": 20}  # before what is left goes to the title


@dataclass
class _RecordsTable:
    """The records table, laid out for the width it is printed at."""

    rows: Sequence[RecordRow]
    title: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Table]:
        cells = {
            "id": [literal(row.id, "bold") for row in self.rows],
            "title": [Text(compact(row.title)) for row in self.rows],
            "nation": [literal(row.nation or "-") for row in self.rows],
            "trend": [literal(row.trend) for row in self.rows],
            "status": [Text(f"{row.status} v{row.current_version}", style=STATUS_STYLE[row.status])
                       for row in self.rows],  # fmt: skip
            "grounded": [Text(row.grounded_label(), style="green" if row.sound == row.points else "red")
                         for row in self.rows],  # fmt: skip
            "engine": [engine_label(row.engine) for row in self.rows],
        }
        natural = {name: max([len(name), *(cell.cell_len for cell in column)]) for name, column in cells.items()}
        widths = {name: min(natural[name], _LIST_WIDEST.get(name, natural[name])) for name in natural}

        def room(names: Sequence[str]) -> int:  # what is left of the line: each column has 2 of padding, 1 of rule
            return options.max_width - 1 - sum(widths[name] + 3 for name in names)

        widths["id"] = max(1, min(widths["id"], room([]) - 3))
        shown = ["id"]
        for name in _LIST_KEPT:
            if room([*shown, name]) >= 0:
                shown.append(name)
        if "title" in shown:
            widths["title"] += min(room(shown), natural["title"] - widths["title"])
        shown = [name for name in _LIST_COLUMNS if name in shown]
        table = Table(title=Text(self.title), title_justify="left")
        for name in shown:
            folds = name == "id"  # an id wider than the whole line is folded onto the next, never cut
            table.add_column(name, width=widths[name], no_wrap=not folds, overflow="fold" if folds else "ellipsis",
                             justify="right" if name == "grounded" else "left")  # fmt: skip
        for i in range(len(self.rows)):
            table.add_row(*(cells[name][i] for name in shown))
        yield table


def record_view(record: Record, *, show_evidence: bool = True) -> RenderableType:
    """A record as a reviewer reads it: metadata, the five sections with quotes, provenance, status."""
    s = record.summary
    p = record.provenance
    head = Text()
    head.append_text(literal(record.id, "bold"))
    head.append(f"  v{record.version}  ")
    head.append(str(record.status), style=STATUS_STYLE[record.status])
    if record.status == Status.STALE and record.approved_version:
        head.append(f" (version {record.approved_version} was approved; its source, prompt, model or the engine's "
                    "rules changed since: `trendsum history` shows what changed)")
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="dim")
    meta.add_column(overflow="fold")  # a long name wraps whole: never cut
    for label, value in (
        ("organisation", s.organisation),
        ("nation", s.nation),
        ("year", str(s.year) if s.year else None),
        ("trend", str(s.trend)),
        ("uses AI", "yes" if s.ai_application else "no"),
    ):
        meta.add_row(label, literal(value) if value else Text("not stated", style="dim"))
    parts: list[RenderableType] = [head, literal(s.title, "bold underline"), meta]
    if record.flags:
        parts.append(Text("\n".join(f"! {printable(flag)}" for flag in record.flags), style="bold yellow"))
    grounded = record.grounding
    parts.append(Text(grounded.summary_line(), style="green" if grounded.sound == grounded.total else "bold red"))
    sections: list[tuple[str, list[Point]]] = [("overview", [s.overview])]
    if s.ai_application:
        sections.append(("ai_application", [s.ai_application]))
    sections += [(name, getattr(s, name)) for name in SECTIONS]
    for name, points in sections:
        parts.append(Text(f"\n{SECTION_TITLES[name]}", style="bold"))
        if not points:  # an engine not finding a section is no proof the source says nothing of it
            found_by = "the offline engine" if p.engine == "offline" else "the engine" if record.author == "engine" else ""
            parts.append(Text(f"  (nothing found{' by ' + found_by if found_by else ''})", style="dim"))
        for i, point in enumerate(points):
            path = name if name in ("overview", "ai_application") else f"{name}[{i}]"
            parts.append(_point_view(point, record.grounding.points.get(path), show_evidence))
    prov = Table.grid(padding=(0, 2))
    prov.add_column(style="dim")
    prov.add_column(overflow="fold")  # the source's path is what tells a reviewer where to look: never cut
    prov.add_row("source", literal(f"{p.source_path}  sha256 {p.source_sha256[:12]}"))
    prov.add_row("engine", engine_label(p.engine, p.model if p.engine != "offline" else None))
    prov.add_row("model", literal(p.model))
    prov.add_row("prompt", literal(f"{p.prompt_name}  {p.prompt_hash[:12]}"))
    prov.add_row("made", literal(f"{p.created_at:%Y-%m-%d %H:%M} UTC  attempts {p.attempts}  tokens "
                                 f"{p.prompt_tokens}+{p.completion_tokens}  mode {p.mode or '-'}"))  # fmt: skip
    prov.add_row("version by", literal(record.author))
    if record.reviewed_by:
        at = f"{record.reviewed_at:%Y-%m-%d %H:%M}" if record.reviewed_at else ""
        note = f": {record.review_note}" if record.review_note else ""
        prov.add_row("reviewed", literal(f"{record.reviewed_by} {at}{note}"))
    parts += [Text(""), Panel(prov, title="provenance", title_align="left", border_style="dim")]
    return Group(*parts)


def _point_view(point: Point, check: PointCheck | None, show_evidence: bool) -> RenderableType:
    grounded = check is not None and check.supported
    text = Text(compact(point.text), style="" if check is not None and check.sound else "red")
    if not grounded:
        text.append("  [quote not found in source]", style="bold red")
    for why in check.unsupported if check is not None else ():
        text.append(f"  [unsupported: {printable(why)}]", style="bold red")
    parts: list[RenderableType] = [_Hanging(Text("  • "), text)]
    if show_evidence:
        style = "italic dim" if grounded else "italic red"
        parts += [_Hanging(Text(f"      {_cited(item)}“", style=style), Text(compact(item.text) + "”", style=style))
                  for item in point.evidence]  # fmt: skip
    return Group(*parts)


def _cited(item: Evidence) -> str:
    """'[12] ' before a cited sentence, so a reviewer can find it in the numbered source; nothing before a quote."""
    return f"[{item.sentence}] " if item.sentence is not None else ""


@dataclass
class _Hanging:
    """Text after a lead (a bullet, an opening quote) whose every wrapped line lines up under its first one."""

    lead: Text
    body: Text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        indent = self.lead.cell_len
        for i, line in enumerate(self.body.wrap(console, max(options.max_width - indent, 1))):
            line.rstrip()
            yield Text.assemble(self.lead if i == 0 else " " * indent, line)


def history_view(events: Sequence[ReviewEvent]) -> Table:
    table = Table(title="history", title_justify="left")
    for column in ("when (UTC)", "version", "action", "who", "note"):
        table.add_column(column)
    for event in events:
        table.add_row(f"{event.at:%Y-%m-%d %H:%M:%S}", str(event.version), literal(event.action),
                      literal(event.reviewer), literal(event.note or ""))  # fmt: skip
    return table


def run_summary(report: RunReport, engine: str, model: str) -> RenderableType:
    title = Text("summarise: ").append_text(engine_label(engine, model if engine != "offline" else None))
    counts = Table(title=title, title_justify="left")
    optional = ("skipped", "duplicate", "not a case study")
    results = ["new", "updated", "unchanged", "failed"] + [r for r in optional if report.count(r)]
    for column in results:
        counts.add_column(column, justify="right")
    counts.add_row(*(str(report.count(result)) for result in results))
    parts: list[RenderableType] = [counts]
    prompt_tokens, completion_tokens = report.tokens
    if prompt_tokens or completion_tokens:
        parts.append(Text(f"tokens: {prompt_tokens:,} prompt + {completion_tokens:,} completion"))
    stale = [o.case_id for o in report.outcomes if o.status == Status.STALE and o.result == "updated"]
    if stale:  # said now, not first noticed when an export leaves them out
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5:,} more" if len(stale) > 5 else "")
        parts.append(Text.assemble((f"{len(stale):,} approved record(s) now stale", "bold yellow"), ": ",
                                   literal(shown), ". Their new text waits for review (`trendsum review`); "
                                   "exports leave them out until then."))  # fmt: skip
    problems = [o for o in report.outcomes if o.result in ("failed", "skipped", "not a case study") or o.warnings]
    if problems:
        table = Table(title="needs attention", title_justify="left")
        table.add_column("file", overflow="fold")  # a user must see which file, however long its path
        table.add_column("what happened")
        for outcome in problems:
            reason = outcome.reason if outcome.reason else "; ".join(outcome.warnings)
            style = "red" if outcome.result == "failed" else "yellow"
            table.add_row(literal(shown_path(outcome.path)), literal(reason or "", style))
        parts.append(table)
    return Group(*parts)


def shown_path(path: str) -> str:
    """A path as short as it can be said: relative to the working folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before Python 3.13
        return path


def outcome_line(outcome: CaseOutcome) -> Text:
    if outcome.result == "failed":
        return Text.assemble(("failed  ", "red"), literal(f"{outcome.path}: {outcome.reason}"))
    if outcome.result == "not a case study":  # the reason says so
        return Text.assemble(("set aside ", "yellow"), literal(f"{outcome.path}: {outcome.reason}"))
    grounded = f" ({outcome.grounded}/{outcome.points} grounded)" if outcome.points else ""
    return literal(f"{outcome.result:<9} {outcome.case_id}{grounded}")


def versions_view(entries: Sequence[VersionEntry]) -> Table:
    """Every version of a record: who made it (the engine and model, or the reviewer), when, how grounded."""
    table = Table(title="versions", title_justify="left")
    for column in ("version", "made (UTC)", "by", "how", "grounded"):
        table.add_column(column)
    for entry in entries:
        by = engine_label(entry.engine, entry.model if entry.engine != "offline" else None)
        if entry.kind == "edited":
            by = literal(entry.author)
        how = literal("generated" if entry.kind == "generated" else f"edited (from {entry.engine} text)")
        grounded = Text(f"{entry.grounded}/{entry.points}", style="green" if entry.grounded == entry.points else "red")
        table.add_row(f"v{entry.version}", f"{entry.created_at:%Y-%m-%d %H:%M:%S}", by, how, grounded)
    return table


def diff_view(title: str, lines: Sequence[str]) -> RenderableType:
    """A unified diff for people: removed lines red, added lines green, and a plain word when nothing changed."""
    heading = literal(title, "bold")
    if not lines:
        return Group(heading, Text("  (the text is the same)", style="dim"))
    body = Text()
    for line in lines:
        style = None
        if line.startswith(("---", "+++")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        body.append(printable(line) + "\n", style=style)
    body.rstrip()
    return Group(heading, body)


def version_diffs(entries: Sequence[VersionEntry]) -> RenderableType:
    """What changed from each version to the next, as diffs of the Markdown a reviewer edits."""
    parts: list[RenderableType] = []
    for old, new in zip(entries, entries[1:], strict=False):
        who = new.author if new.kind == "edited" else f"engine {new.engine}"
        lines = diff_lines(old.summary, new.summary, f"version {old.version}", f"version {new.version}")
        parts += [Text(""), diff_view(f"v{old.version} → v{new.version}, {new.kind} by {who}:", lines)]
    return Group(*parts)

