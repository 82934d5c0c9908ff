"""`trendsum export`: approved records to JSON Lines (stdout), JSON, CSV, Markdown or a Word report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..domain.models import Status
from ..reports.report import DEFAULT_TITLE, FORMATS, export_records
from ..reports.selection import Selection
from .common import EXIT_INTERRUPTED, DbOption, NationOption, StatusOption, TrendOption, make_app, translate_errors
from .render import literal


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


@translate_errors
def export_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, json, csv, markdown or docx.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout (docx needs one).")
    ] = None,
    status: StatusOption = None,
    trend: TrendOption = None,
    nation: NationOption = None,
    since: Annotated[int | None, typer.Option("--since", help="Only work from this year on, e.g. 2023.")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only records summarised in this language, e.g. en or nl.")
    ] = None,
    mixed_languages: Annotated[
        bool, typer.Option("--mixed-languages", help="Let a Markdown or Word report mix languages.")
    ] = False,
    title: Annotated[str, typer.Option(help="Title of a Markdown or Word report.")] = DEFAULT_TITLE,
    db: DbOption = None,
) -> None:
    """Export approved records (only approved ones unless --status says otherwise).

    Records of any other status are marked NOT APPROVED in CSV, Markdown and Word. A Word report has a
    title page, contents, a chapter per trend with its approved cross-case analysis, and the evidence in an
    appendix. Reports are built from one language.

    Examples: `trendsum export > approved.jsonl`, `trendsum export -f csv -o outputs/cases.csv`,
    `trendsum export -f docx -o outputs/report.docx --since 2023 --language en`
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if fmt == "docx" and output is None:  # said before the queue is opened: it is the option that is missing
        raise typer.BadParameter("a Word report needs a file, e.g. --output report.docx", param_hint="--output")
    app = make_app(db=db)
    selection = Selection(tuple(status or [Status.APPROVED]), trend, nation, since, language)
    with app.store() as store:
        try:
            result = export_records(store, fmt, selection, out=sys.stdout, path=output, title=title,
                                    mixed_languages=mixed_languages)  # fmt: skip
        except KeyboardInterrupt:
            what = f"nothing was written, {output} is as it was" if output else "the export on stdout is incomplete"
            app.err.print(f"Interrupted: {what}.", highlight=False, markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
    where = f" to {output}" if output else ""
    statuses = ", ".join(selection.statuses)
    app.err.print(f"Exported {result.count} record(s){where} ({statuses}).", highlight=False, markup=False)
    if result.analyses:
        app.err.print(f"With the approved cross-case analyses {', '.join(result.analyses)}.", highlight=False,
                      markup=False)  # fmt: skip
    if result.unapproved:
        app.err.print(f"[yellow]{result.unapproved} record(s) are NOT APPROVED and marked as such.[/]")
    for warning in result.warnings:
        app.err.print(Text.assemble(("Note:", "yellow"), " ", literal(warning)), highlight=False)
    if result.stale_left_out:
        # stale records were approved once: they wait for re-review, so "nothing is approved" would mislead
        app.err.print(
            f"[yellow]{result.stale_left_out} stale record(s) left out: approved, but their source or text changed "
            "after approval, so they wait for re-review: run `trendsum review`.[/]",
            highlight=False,
        )
    elif result.count == 0 and selection.approved_only and not selection.narrowed:
        app.err.print("Nothing is approved yet: `trendsum review accept ID ...` approves records.")
