"""`trendsum serve` (the review in a browser) and `trendsum reviewers` (the accounts it signs in)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.text import Text

from .. import web
from ..errors import UsageError
from ..queue import review, reviewers
from ..web import server
from .common import EXIT_USAGE, DbOption, ReviewerOption, make_app, translate_errors
from .render import literal

accounts = typer.Typer(no_args_is_help=True, help="Reviewer accounts for `trendsum serve` on a shared machine.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(accounts, name="reviewers")


@translate_errors
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback needs reviewer accounts.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reviewer: ReviewerOption = None,
    require_login: Annotated[
        bool, typer.Option("--require-login", help="Sign in with reviewer accounts on loopback too.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Review in the browser: the queue, each record beside its source with the evidence highlighted, and the
    same decisions as `trendsum review`, saved under your name. Prints the address; opens nothing.

    On 127.0.0.1 (the default) you review as --reviewer, TRENDSUM_REVIEWER, config or your login. Any other
    --host needs reviewer accounts (`trendsum reviewers add NAME`) and everyone signs in.

    Example: `trendsum serve --port 8000 -r "A. Researcher"`, then open http://127.0.0.1:8000/
    """
    absent = web.missing()
    if absent:
        make_app(db=db).err.print(Text.assemble(("Error:", "bold red"), f" the web review needs {', '.join(absent)}: "
                                                f"install it with `{web.INSTALL}`."), soft_wrap=True)  # fmt: skip
        raise typer.Exit(EXIT_USAGE)
    app_ = make_app(db=db, reviewer=reviewer)
    chosen = server.plan(host, port, app_.settings.db, lambda: review.reviewer_name(reviewer, app_.settings.reviewer),
                         require_login)  # fmt: skip
    server.run(chosen, lambda line: app_.err.print(literal(line), soft_wrap=True, highlight=False))


@accounts.command("add")
@translate_errors
def add_command(
    name: Annotated[str, typer.Argument(help="The reviewer's name, as decisions will show it.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a reviewer account: asks for the password twice (kept only as a scrypt hash).

    Example: `trendsum reviewers add "A. Researcher"`
    """
    app_ = make_app(db=db)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    with app_.store() as store:
        added = reviewers.add(store, name, password)
    app_.err.print(Text.assemble("Added reviewer ", literal(added.name, "bold"), "."), highlight=False)


@accounts.command("list")
@translate_errors
def list_command(db: DbOption = None) -> None:
    """The reviewer accounts: name, whether active, when made.

    Example: `trendsum reviewers list`
    """
    app_ = make_app(db=db)
    with app_.store() as store:
        found = reviewers.listed(store)
    if not found:
        app_.err.print("No reviewer accounts. Add one with `trendsum reviewers add NAME`.")
        return
    for account in found:  # tab-separated for scripts; names have no control characters (reviewers.add)
        state = "active" if account.active else f"disabled {account.disabled_at}"
        app_.out.file.write(f"{account.name}\t{state}\tadded {account.created_at}\n")


@accounts.command("disable")
@translate_errors
def disable_command(name: Annotated[str, typer.Argument(help="The reviewer's name.")], db: DbOption = None) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end. Its decisions stay in the history.

    Example: `trendsum reviewers disable "A. Researcher"`
    """
    app_ = make_app(db=db)
    with app_.store() as store:
        if not name.strip():
            raise UsageError("Name the reviewer to disable.")
        reviewers.disable(store, name)
    app_.err.print(Text.assemble("Disabled reviewer ", literal(name, "bold"), "."), highlight=False)
