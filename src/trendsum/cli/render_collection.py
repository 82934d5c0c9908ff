"""Rich renderables for the collection as a whole: cross-case analyses and coverage. They never print."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..analysis.run import AnalysisOutcome
from ..domain import criteria
from ..domain.analysis import ANALYSIS_SECTIONS, Analysis
from ..domain.labels import SECTION_TITLES
from ..domain.models import ReviewEvent
from ..queue.analysis_store import AnalysisRow
from ..reports.coverage import DEVOLVED, Coverage
from .render import STATUS_STYLE, compact, engine_label, history_view, literal, printable


def analyses_table(rows: Sequence[AnalysisRow]) -> Table:
    table = Table(title=f"{len(rows)} analys{'is' if len(rows) == 1 else 'es'}", title_justify="left")
    for column in ("id", "trend", "language", "status", "cases", "engine"):
        table.add_column(column, no_wrap=column in ("status", "cases"))
    for row in rows:
        table.add_row(literal(row.id), literal(row.trend), literal(row.language),
                      Text(f"{row.status} v{row.current_version}", style=STATUS_STYLE[row.status]),
                      str(row.cases), engine_label(row.engine))  # fmt: skip
    return table


def analysis_view(analysis: Analysis, events: Sequence[ReviewEvent] = ()) -> RenderableType:
    """An analysis as a reviewer reads it: each finding with the cases it cites, then what it was made from."""
    head = Text()
    head.append_text(literal(analysis.id, "bold"))
    head.append(f"  v{analysis.version}  ")
    head.append(str(analysis.status), style=STATUS_STYLE[analysis.status])
    parts: list[RenderableType] = [head, literal(f"Cross-case analysis: {analysis.trend}", "bold underline")]
    for section in ANALYSIS_SECTIONS:
        parts.append(Text(f"\n{SECTION_TITLES[section]}", style="bold"))
        findings = getattr(analysis.body, section)
        if not findings:
            parts.append(Text("  (none)", style="dim"))
        for finding in findings:
            line = Text("  • ")
            line.append(compact(finding.text))
            line.append("\n      cites: " + printable(", ".join(finding.cases)), style="dim")
            parts.append(line)
    p = analysis.provenance
    prov = Table.grid(padding=(0, 2))
    prov.add_column(style="dim")
    prov.add_column()
    prov.add_row("engine", engine_label(p.engine, p.model if p.engine != "offline" else None))
    prov.add_row("prompt", literal(f"{p.prompt_name}  {p.prompt_hash[:12]}"))
    prov.add_row("made", literal(f"{p.created_at:%Y-%m-%d %H:%M} UTC  attempts {p.attempts}  tokens "
                                 f"{p.prompt_tokens}+{p.completion_tokens}  language {p.language}"))  # fmt: skip
    prov.add_row("from", literal(", ".join(f"{ref.id} v{ref.version}" for ref in p.inputs)))
    if analysis.reviewed_by:
        at = f"{analysis.reviewed_at:%Y-%m-%d %H:%M}" if analysis.reviewed_at else ""
        note = f": {analysis.review_note}" if analysis.review_note else ""
        prov.add_row("reviewed", literal(f"{analysis.reviewed_by} {at}{note}"))
    parts += [Text(""), Panel(prov, title="provenance", title_align="left", border_style="dim")]
    if events:
        parts.append(history_view(events))
    return Group(*parts)


def analyse_summary(outcomes: Sequence[AnalysisOutcome]) -> Table:
    table = Table(title="analyse", title_justify="left")
    for column in ("analysis", "cases", "result", "status"):
        table.add_column(column)
    for o in outcomes:
        style = {"failed": "red", "no approved cases": "dim"}.get(o.result)
        result = literal(o.result + (f": {o.reason}" if o.reason else ""), style or "")
        status = Text(f"{o.status} v{o.version}", style=STATUS_STYLE[o.status]) if o.status else Text("-")
        table.add_row(literal(o.analysis_id), str(o.cases), result, status)
    return table


def coverage_view(cov: Coverage) -> RenderableType:
    """Nations by trends (cases meeting every criterion / all cases), the criteria, and the gaps in words."""
    statuses = ", ".join(str(s) for s in cov.statuses)
    title = literal(f"coverage: {len(cov.cases)} case(s) ({statuses}); cells: meeting all criteria / all")
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("nation", footer="all")
    for trend in cov.trends:
        table.add_column(literal(trend), justify="center", footer=_cell_text(cov.trend_total(trend).selected,
                                                                              cov.trend_total(trend).cases))
    total = cov.total
    table.add_column("all", justify="center", footer=_cell_text(total.selected, total.cases))
    for nation in cov.nations:
        label = literal(nation, "bold" if nation in DEVOLVED else "")
        row_total = cov.nation_total(nation)
        cells = [_cell_text(cov.cells[nation, t].selected, cov.cells[nation, t].cases, gap=False) for t in cov.trends]
        table.add_row(label, *cells, _cell_text(row_total.selected, row_total.cases, gap=nation in DEVOLVED))
    checks = Table(title="criteria", title_justify="left")
    for column in ("criterion", "met", "not met by"):
        checks.add_column(column)
    for c in criteria.CRITERIA:
        failing = cov.failing(c.name)
        names = ", ".join(case.id for case in failing[:6]) + (f" +{len(failing) - 6} more" if len(failing) > 6 else "")
        met = f"{len(cov.cases) - len(failing)}/{len(cov.cases)}"
        checks.add_row(Text(c.label, style="" if c.selection else "dim"), met, literal(names or "-", "yellow"))
    parts: list[RenderableType] = [table, checks]
    if cov.gaps:
        parts.append(Text("gaps", style="bold"))
        parts += [literal(f"  ! {gap}", "yellow") for gap in cov.gaps]
    else:
        parts.append(Text("No gaps: every devolved nation and trend has a case meeting every criterion.",
                          style="green"))  # fmt: skip
    return Group(*parts)


def _cell_text(selected: int, cases: int, *, gap: bool = True) -> Text:
    if cases == 0:
        return Text("-", style="red" if gap else "dim")
    return Text(f"{selected}/{cases}", style="green" if selected else "yellow")

