"""`trendsum coverage`: the collection against the method note's selection criteria."""

from __future__ import annotations

import json

import typer

from ..reports import coverage
from .common import DbOption, JsonOption, StatusOption, make_app, translate_errors
from .render_collection import coverage_view


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage_command)


@translate_errors
def coverage_command(status: StatusOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """The collection against the method note's selection criteria: nations by trends, with the gaps.

    Cells count the cases meeting every selection criterion (from 2023, uses AI, outcomes and unintended
    consequences documented) out of all cases. The gaps name a devolved nation or a trend with no such case,
    and which cases fail which criterion. Rejected records are left out unless --status asks for them.

    Example: `trendsum coverage`, or `trendsum coverage --status approved --json`
    """
    app = make_app(db=db)
    with app.store() as store:
        result = coverage.coverage(store, tuple(status) if status else coverage.DEFAULT_STATUSES)
    if as_json:
        app.out.file.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")  # Rich is slow on MBs
        return
    app.out.print(coverage_view(result))
