"""`trendsum export`: approved records to JSON Lines (stdout) or Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .. import export
from ..models import Status
from .common import DbOption, NationOption, StatusOption, TrendOption, make_app, translate_errors


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


@translate_errors
def export_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or markdown.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")] = None,
    status: StatusOption = None,
    trend: TrendOption = None,
    nation: NationOption = None,
    db: DbOption = None,
) -> None:
    """Export approved records (only approved ones unless --status says otherwise).

    Records of any other status are marked NOT APPROVED in Markdown.

    Examples: `trendsum export > approved.jsonl`, `trendsum export -f markdown -o outputs/report.md`
    """
    if fmt not in export.FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(export.FORMATS)}", param_hint="--format")
    app = make_app(db=db)
    statuses = status or [Status.APPROVED]
    with app.store() as store:
        rows = store.rows(statuses, trend, nation)
        stale = store.count([Status.STALE]) if Status.STALE not in statuses else 0
        records = store.records(rows)
        out = output.open("w", encoding="utf-8", newline="\n") if output else sys.stdout
        try:
            count = export.write_jsonl(records, out) if fmt == "jsonl" else export.write_markdown(records, out)
        finally:
            if output:
                out.close()
    where = f" to {output}" if output else ""
    app.err.print(f"Exported {count} record(s){where} ({', '.join(statuses)}).", highlight=False)
    if stale:
        app.err.print(f"[yellow]{stale} stale record(s) left out: their source changed after approval; review them.[/]")
    if count == 0 and statuses == [Status.APPROVED]:
        app.err.print("Nothing is approved yet: `trendsum review accept ID ...` approves records.")
