"""`trendsum list`, `show` and `history`: read the queue."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..queue.review import version_history
from ..reports.export import record_dict
from .common import (
    DbOption,
    EngineFilter,
    JsonOption,
    NationOption,
    StatusOption,
    TrendOption,
    make_app,
    translate_errors,
)
from .render import history_view, record_view, records_table, version_diffs, versions_view

TABLE_ROWS = 200


def register(app: typer.Typer) -> None:
    app.command("list")(list_command)
    app.command("show")(show_command)
    app.command("history")(history_command)


@translate_errors
def list_command(
    db: DbOption = None,
    status: StatusOption = None,
    trend: TrendOption = None,
    nation: NationOption = None,
    engine: EngineFilter = None,
    limit: Annotated[
        int | None,
        typer.Option(help=f"Show at most this many. [default: all with --json, else the first {TABLE_ROWS}]"),
    ] = None,
    meets: Annotated[
        list[str] | None,
        typer.Option("--meets", metavar="CRITERION", help="Only records meeting it: from-2023, uses-ai, outcomes, "
                     "unintended, lessons, or selected (all the method note's). Repeat for several."),
    ] = None,  # fmt: skip
    fails: Annotated[
        list[str] | None, typer.Option("--fails", metavar="CRITERION", help="Only records failing it (as --meets).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List records in the review queue: id, title, nation, trend, status, grounded points, engine.

    With --json, each record also says which selection criteria it meets (`criteria`).

    Example: `trendsum list --status pending --trend "cyber security"`, `trendsum list --fails unintended`
    """
    app = make_app(db=db)
    with app.store() as store:
        by_criteria = bool(meets or fails)
        filters = dict(trend=trend, nation=nation, engine=engine, meets=meets or (), fails=fails or ())
        page = limit if (limit is not None or as_json) else TABLE_ROWS + 1  # a table of 100,000 rows helps nobody
        rows = store.rows(status or (), limit=page, **filters)
        checked = store.criteria_results(rows) if as_json else {}
        if as_json:
            for row in rows:  # written straight to the stream: Rich's print_json takes a second per 3,000 lines
                data = {**row.__dict__, "status": str(row.status), "criteria": checked[row.id].as_dict()}
                app.out.file.write(json.dumps(data, ensure_ascii=False) + "\n")
            return
        if not rows:
            held = store.count()
            app.err.print(f"No records match these filters; the queue holds {held:,} (`trendsum list` shows them all)."
                          if held else "No records yet. Summarise some case studies first: `trendsum summarise "
                          "inputs/`.")  # fmt: skip
            return
        matched = len(rows)
        if limit is None and matched > TABLE_ROWS:
            rows, matched = rows[:TABLE_ROWS], store.count(status or (), **filters)
        app.out.print(records_table(rows, store.count() if not (status or trend or nation or engine or by_criteria)
                                    else matched))  # fmt: skip
        if len(rows) < matched:
            app.err.print(f"Showing the first {len(rows)} of {matched}: narrow with --status, --trend, --nation or "
                          "--fails, or give --limit (or --json for all).")  # fmt: skip


@translate_errors
def show_command(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record id, as `trendsum list` shows it.")],
    db: DbOption = None,
    version: Annotated[int | None, typer.Option(help="An earlier version instead of the current one.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show one record: metadata, the five sections with their evidence quotes, provenance and status.

    Points whose quotes are not in the source, or do not support what the point says, are shown in red with
    the reason.

    Example: `trendsum show fife-council-ai-housing-repairs`
    """
    app = make_app(db=db)
    with app.store() as store:
        record = store.get(record_id, version)
    if as_json:
        app.out.print(json.dumps(record_dict(record), ensure_ascii=False, indent=2), markup=False, highlight=False)
    else:
        app.out.print(record_view(record))


@translate_errors
def history_command(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record id.")],
    db: DbOption = None,
    diff: Annotated[
        bool,
        typer.Option("--diff/--no-diff", help="Show what changed between consecutive versions (on by default)."),
    ] = True,
) -> None:
    """The audit trail of a record: every version (made by which engine and model, or by which reviewer, and
    when), every review event (who, when, what, why), then what changed from each version to the next.

    The changes are unified diffs of the Markdown that `trendsum review edit` opens: lines starting with -
    were removed, lines starting with + were added. --no-diff leaves them out.

    Example: `trendsum history fife-council-ai-housing-repairs --no-diff`
    """
    app = make_app(db=db)
    with app.store() as store:
        versions = version_history(store, record_id)
        events = store.events(record_id)
    app.out.print(versions_view(versions))
    app.out.print(history_view(events))
    if diff:
        app.out.print(version_diffs(versions))
