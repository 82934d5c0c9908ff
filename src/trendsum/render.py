"""Rich renderables for people. These functions build things to print; they never print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .models import SECTION_TITLES, SECTIONS, Point, Record, ReviewEvent, Status
from .editing import diff_lines
from .review import VersionEntry
from .store import RecordRow
from .summarise import CaseOutcome, RunReport

STATUS_STYLE = {
    Status.PENDING: "yellow",
    Status.APPROVED: "green",
    Status.REJECTED: "red",
    Status.STALE: "magenta",
}


def engine_label(engine: str, model: str | None = None) -> Text:
    if engine == "offline":
        return Text("offline (extractive)", style="cyan")
    return Text(f"{engine}:{model}" if model else engine)


def records_table(rows: Sequence[RecordRow], total: int | None = None) -> Table:
    title = f"{len(rows)} record(s)" + (f" of {total}" if total is not None and total != len(rows) else "")
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("id", style="bold", overflow="fold", min_width=12, max_width=36)
    table.add_column("title", min_width=16, max_width=48, overflow="fold")
    table.add_column("nation", min_width=7)
    table.add_column("trend", min_width=8)
    table.add_column("status", no_wrap=True)
    table.add_column("grounded", justify="right", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    for row in rows:
        grounded = Text(f"{row.grounded}/{row.points}", style="green" if row.grounded == row.points else "red")
        table.add_row(
            row.id,
            escape(row.title),
            row.nation or "-",
            row.trend,
            Text(f"{row.status} v{row.current_version}", style=STATUS_STYLE[row.status]),
            grounded,
            engine_label(row.engine),
        )
    return table


def record_view(record: Record, *, show_evidence: bool = True) -> RenderableType:
    """A record as a reviewer reads it: metadata, the five sections with quotes, provenance, status."""
    s = record.summary
    p = record.provenance
    head = Text()
    head.append(f"{record.id}", style="bold")
    head.append(f"  v{record.version}  ")
    head.append(str(record.status), style=STATUS_STYLE[record.status])
    if record.status == Status.STALE and record.approved_version:
        head.append(f" (version {record.approved_version} was approved; the source or prompt changed since)")
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="dim")
    meta.add_column()
    for label, value in (
        ("organisation", s.organisation),
        ("nation", s.nation),
        ("year", str(s.year) if s.year else None),
        ("trend", str(s.trend)),
        ("uses AI", "yes" if s.ai_application else "no"),
    ):
        meta.add_row(label, escape(value) if value else Text("not stated", style="dim"))
    parts: list[RenderableType] = [head, Text(s.title, style="bold underline"), meta]
    if record.flags:
        parts.append(Text("\n".join(f"! {flag}" for flag in record.flags), style="bold yellow"))
    grounded = record.grounding
    parts.append(
        Text(
            f"{grounded.supported}/{grounded.total} points grounded in the source",
            style="green" if grounded.supported == grounded.total else "bold red",
        )
    )
    sections: list[tuple[str, list[Point]]] = [("overview", [s.overview])]
    if s.ai_application:
        sections.append(("ai_application", [s.ai_application]))
    sections += [(name, getattr(s, name)) for name in SECTIONS]
    for name, points in sections:
        parts.append(Text(f"\n{SECTION_TITLES[name]}", style="bold"))
        if not points:
            parts.append(Text("  (nothing in the source)", style="dim"))
        for i, point in enumerate(points):
            path = name if name in ("overview", "ai_application") else f"{name}[{i}]"
            parts.append(_point_view(point, record.grounding.is_supported(path), show_evidence))
    prov = Table.grid(padding=(0, 2))
    prov.add_column(style="dim")
    prov.add_column()
    prov.add_row("source", f"{escape(p.source_path)}  sha256 {p.source_sha256[:12]}")
    prov.add_row("engine", engine_label(p.engine, p.model if p.engine != "offline" else None))
    prov.add_row("model", escape(p.model))
    prov.add_row("prompt", f"{escape(p.prompt_name)}  {p.prompt_hash[:12]}")
    prov.add_row("made", f"{p.created_at:%Y-%m-%d %H:%M} UTC  attempts {p.attempts}  tokens "
                         f"{p.prompt_tokens}+{p.completion_tokens}  mode {p.mode or '-'}")  # fmt: skip
    prov.add_row("version by", escape(record.author))
    if record.reviewed_by:
        at = f"{record.reviewed_at:%Y-%m-%d %H:%M}" if record.reviewed_at else ""
        note = f": {record.review_note}" if record.review_note else ""
        prov.add_row("reviewed", escape(f"{record.reviewed_by} {at}{note}"))
    parts += [Text(""), Panel(prov, title="provenance", title_align="left", border_style="dim")]
    return Group(*parts)


def _point_view(point: Point, supported: bool, show_evidence: bool) -> RenderableType:
    line = Text("  • ")
    line.append(point.text, style=None if supported else "red")
    if not supported:
        line.append("  [quote not found in source]", style="bold red")
    if not show_evidence:
        return line
    quotes = Text()
    for quote in point.evidence:
        quotes.append(f"\n      “{' '.join(quote.split())}”", style="italic dim" if supported else "italic red")
    return Text.assemble(line, quotes)


def history_view(events: Sequence[ReviewEvent]) -> Table:
    table = Table(title="history", title_justify="left")
    for column in ("when (UTC)", "version", "action", "who", "note"):
        table.add_column(column)
    for event in events:
        table.add_row(f"{event.at:%Y-%m-%d %H:%M:%S}", str(event.version), event.action, escape(event.reviewer),
                      escape(event.note or ""))  # fmt: skip
    return table


def run_summary(report: RunReport, engine: str, model: str) -> RenderableType:
    counts = Table(title=f"summarise: {engine_label(engine, model if engine != 'offline' else None)}",
                   title_justify="left")  # fmt: skip
    results = ["new", "updated", "unchanged", "failed"] + [r for r in ("skipped", "duplicate") if report.count(r)]
    for column in results:
        counts.add_column(column, justify="right")
    counts.add_row(*(str(report.count(result)) for result in results))
    parts: list[RenderableType] = [counts]
    prompt_tokens, completion_tokens = report.tokens
    if prompt_tokens or completion_tokens:
        parts.append(Text(f"tokens: {prompt_tokens:,} prompt + {completion_tokens:,} completion"))
    problems = [o for o in report.outcomes if o.result in ("failed", "skipped") or o.warnings]
    if problems:
        table = Table(title="needs attention", title_justify="left")
        table.add_column("file", overflow="fold")  # a user must see which file, however long its path
        table.add_column("what happened")
        for outcome in problems:
            reason = outcome.reason if outcome.reason else "; ".join(outcome.warnings)
            style = "red" if outcome.result == "failed" else "yellow"
            table.add_row(escape(shown_path(outcome.path)), Text(reason or "", style=style))
        parts.append(table)
    return Group(*parts)


def shown_path(path: str) -> str:
    """A path as short as it can be said: relative to the working folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path


def outcome_line(outcome: CaseOutcome) -> Text:
    if outcome.result == "failed":
        return Text.assemble(("failed  ", "red"), outcome.path, f": {outcome.reason}")
    grounded = f" ({outcome.grounded}/{outcome.points} grounded)" if outcome.points else ""
    return Text(f"{outcome.result:<9} {outcome.case_id}{grounded}")


def versions_view(entries: Sequence[VersionEntry]) -> Table:
    """Every version of a record: who made it (the engine and model, or the reviewer), when, how grounded."""
    table = Table(title="versions", title_justify="left")
    for column in ("version", "made (UTC)", "by", "how", "grounded"):
        table.add_column(column)
    for entry in entries:
        by = engine_label(entry.engine, entry.model if entry.engine != "offline" else None)
        if entry.kind == "edited":
            by = Text(entry.author)
        how = "generated" if entry.kind == "generated" else f"edited (from {entry.engine} text)"
        grounded = Text(f"{entry.grounded}/{entry.points}", style="green" if entry.grounded == entry.points else "red")
        table.add_row(f"v{entry.version}", f"{entry.created_at:%Y-%m-%d %H:%M:%S}", by, how, grounded)
    return table


def diff_view(title: str, lines: Sequence[str]) -> RenderableType:
    """A unified diff for people: removed lines red, added lines green, and a plain word when nothing changed."""
    heading = Text(title, style="bold")
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
        body.append(line + "\n", style=style)
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

