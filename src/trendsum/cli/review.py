"""`trendsum review ...`: a person's decisions. The only way a record's status ever changes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConflictError, UsageError
from ..queue import editing, review
from ..queue.walk import Conflict, Order, Walk, review_queue, save_edit
from . import interactive
from .common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    DbOption,
    EngineFilter,
    ExpectOption,
    NationOption,
    RejectNoteOption,
    ReviewerOption,
    StatusOption,
    TrendOption,
    decide,
    make_app,
    translate_errors,
)
from .review_ui import TerminalReview, edit_in_editor, edit_messages

app = typer.Typer(invoke_without_command=True)  # its help is walk_command's docstring

IdsArgument = Annotated[list[str], typer.Argument(metavar="ID...", help="Record ids, as `trendsum list` shows them.")]


@app.callback()
@translate_errors
def walk_command(
    ctx: typer.Context,
    status: StatusOption = None,
    trend: TrendOption = None,
    nation: NationOption = None,
    engine: EngineFilter = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", metavar="ID", help="Only this record (repeat for several).")
    ] = None,
    order: Annotated[
        Order, typer.Option(help="grounded: least grounded first; oldest: longest waiting first.")
    ] = Order.GROUNDED,
    reviewer: ReviewerOption = None,
    db: DbOption = None,
) -> None:
    """Review records: on its own, walks the queue one record at a time; accept, reject and edit take ids.

    The walk shows each record waiting for review (pending, and stale ones with what changed since approval),
    least grounded first, and takes one key per decision: a accept, e edit (in $VISUAL/$EDITOR), r reject
    (asks why), s skip, b back, v view the source, q quit, ? help. Every decision is saved at once under
    your name, so quitting loses nothing.

    Example: `trendsum review --trend "cyber security" -r "A. Researcher"`
    """
    if ctx.invoked_subcommand is not None:
        return
    app_ = make_app(db=db, reviewer=reviewer)
    who = review.reviewer_name(reviewer, app_.settings.reviewer)
    with app_.store() as store:
        rows = review_queue(store, status or (), trend, nation, engine, ids or (), order)
        if not rows:
            wanted = " or ".join(str(s) for s in status) if status else "pending or stale"
            app_.err.print(f"Nothing to review: no {wanted} records match.", highlight=False)
            return
        # the walk is a screen on stdout, as the records are: `say` keeps it wrapped and unhighlighted there
        screen = TerminalReview(Walk(store, rows, who), app_.out, interactive.TerminalKeys(app_.out),
                                interactive.run_editor, drafts=app_.settings.db.parent / "drafts")  # fmt: skip
        tally = screen.run()
    if tally.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command("accept")
@translate_errors
def accept_command(
    ids: IdsArgument,
    reviewer: ReviewerOption = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why, e.g. 'checked against source'.")] = None,
    allow_ungrounded: Annotated[
        bool, typer.Option("--allow-ungrounded", help="Accept even if some points are ungrounded or unsupported.")
    ] = False,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Approve records so that exports and reports may include them.

    A record with points whose quotes are not in the source, or do not support what they say, is refused unless
    --allow-ungrounded is given.

    Example: `trendsum review accept fife-council-ai-housing-repairs -r "A. Researcher" -n "checked"`
    """
    decide(ids, reviewer, db, expect_version,
            lambda store, rid, who, exp: review.accept(store, rid, who, note, expected_version=exp,
                                                       allow_ungrounded=allow_ungrounded))  # fmt: skip


@app.command("reject")
@translate_errors
def reject_command(
    ids: IdsArgument,
    note: RejectNoteOption,
    reviewer: ReviewerOption = None,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Reject records, with the reason. Rejected records never reach an export unless asked for by status.

    Example: `trendsum review reject kent-pothole-ai -r "A. Researcher" -n "outcomes not in source"`
    """
    decide(ids, reviewer, db, expect_version,
            lambda store, rid, who, exp: review.reject(store, rid, who, note, expected_version=exp))  # fmt: skip


@app.command("edit")
@translate_errors
def edit_command(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record id, as `trendsum list` shows it.")],
    file: Annotated[
        str | None,
        typer.Option("--file", "-f", help="The edited record as Markdown (see --print); - reads standard input."),
    ] = None,
    print_markdown: Annotated[
        bool, typer.Option("--print", help="Write the record as editable Markdown on stdout and stop.")
    ] = False,
    reviewer: ReviewerOption = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="What you changed and why.")] = None,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Correct a record's text. The edit becomes a new version under your name, back in the queue for review;
    the engine's version stays in the history, and the quotes are checked against the source again.

    Without --file, opens $VISUAL/$EDITOR on the record as Markdown. A file made with --print names the version
    it came from, so it cannot overwrite a change someone made since (--expect-version overrides it).

    Example: `trendsum review edit fife-council-ai-housing-repairs --print > fife.md`, change fife.md, then
    `trendsum review edit fife-council-ai-housing-repairs --file fife.md -n "year was 2024"`
    """
    app_ = make_app(db=db, reviewer=reviewer)
    with app_.store() as store:
        record = store.get(record_id)
        if print_markdown:
            text = editing.to_markdown(record.summary, grounding=record.grounding, origin=(record.id, record.version))
            app_.out.print(text, end="", markup=False, highlight=False)
            return
        who = review.reviewer_name(reviewer, app_.settings.reviewer)
        if file is None:
            review.ensure_unchanged(record, expect_version)
            keys = interactive.TerminalKeys(app_.err)
            edited = edit_in_editor(record, app_.err, keys, interactive.run_editor, app_.settings.db.parent / "drafts",
                                    lambda text, note: save_edit(store, record, text, who, note))  # fmt: skip
            if isinstance(edited, Conflict):
                raise ConflictError(edited.message)
            if edited is None:
                raise typer.Exit(EXIT_FAILURES)
            outcome = edited.outcome
        else:
            outcome = review.edit_markdown(store, record_id, _read_text(file), who, note,
                                           expected_version=expect_version)  # fmt: skip
    for line, style in edit_messages(outcome, who):
        app_.err.print(line, style=style, highlight=False, markup=False)


def _read_text(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file. Make one with `trendsum review edit ID --print > {file}`.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: cannot read it as UTF-8 text ({exc}).") from None
