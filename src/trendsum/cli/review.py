"""`trendsum review ...`: a person's decisions. The only way a record's status ever changes."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import review
from ..errors import TrendsumError, UsageError
from .common import EXIT_FAILURES, DbOption, make_app, translate_errors

app = typer.Typer(
    help="Accept or reject records. Every decision is recorded with who, when and why.",
    no_args_is_help=True,
)

IdsArgument = Annotated[list[str], typer.Argument(metavar="ID...", help="Record ids, as `trendsum list` shows them.")]
ReviewerOption = Annotated[
    str | None,
    typer.Option("--reviewer", "-r", help="Your name. [default: TRENDSUM_REVIEWER, config, or your login]"),
]
ExpectOption = Annotated[
    int | None,
    typer.Option("--expect-version", help="Fail unless the record is still at this version (no lost updates)."),
]


@app.command("accept")
@translate_errors
def accept_command(
    ids: IdsArgument,
    reviewer: ReviewerOption = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why, e.g. 'checked against source'.")] = None,
    allow_ungrounded: Annotated[
        bool, typer.Option("--allow-ungrounded", help="Accept even if some quotes are not in the source.")
    ] = False,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Approve records so that exports and reports may include them.

    A record with points whose quotes are not in the source is refused unless --allow-ungrounded is given.

    Example: `trendsum review accept fife-council-ai-housing-repairs -r "A. Researcher" -n "checked"`
    """
    _decide(ids, reviewer, db, expect_version,
            lambda store, rid, who, exp: review.accept(store, rid, who, note, expected_version=exp,
                                                       allow_ungrounded=allow_ungrounded))  # fmt: skip


@app.command("reject")
@translate_errors
def reject_command(
    ids: IdsArgument,
    note: Annotated[str, typer.Option("--note", "-n", help="Why it is rejected (required).")],
    reviewer: ReviewerOption = None,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Reject records, with the reason. Rejected records never reach an export unless asked for by status.

    Example: `trendsum review reject kent-pothole-ai -r "A. Researcher" -n "outcomes not in source"`
    """
    _decide(ids, reviewer, db, expect_version,
            lambda store, rid, who, exp: review.reject(store, rid, who, note, expected_version=exp))  # fmt: skip


def _decide(ids: list[str], reviewer: str | None, db, expect_version: int | None, action) -> None:  # type: ignore[no-untyped-def]
    if expect_version is not None and len(ids) != 1:
        raise UsageError("--expect-version goes with exactly one id.")
    app_ = make_app(db=db, reviewer=reviewer)
    who = review.reviewer_name(reviewer, app_.settings.reviewer)
    failed = 0
    with app_.store() as store:
        for record_id in ids:
            try:
                saved = action(store, record_id, who, expect_version)
            except TrendsumError as exc:
                if len(ids) == 1:
                    raise
                failed += 1
                app_.err.print(f"[red]{record_id}:[/] {exc}", soft_wrap=True)
                continue
            app_.err.print(f"{record_id} v{saved.version}: [bold]{saved.status}[/] by {who}", highlight=False)
    if failed:
        app_.err.print(f"{failed} of {len(ids)} not changed.")
        raise typer.Exit(EXIT_FAILURES)
