"""The `trendsum` command: a thin Typer layer over the library, one module per group of commands."""

from __future__ import annotations

import typer

from . import analyse, coverage, doctor, eval, export, records, review, serve, summarise
from .common import give_consoles

app = typer.Typer(
    name="trendsum",
    help=(
        "Turn public-sector case studies into reviewed, structured summaries.\n\n"
        "Typical use: `trendsum summarise inputs/`, then `trendsum review`, then `trendsum export`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


@app.callback()
def root(context: typer.Context) -> None:
    """Turn public-sector case studies into reviewed, structured summaries."""
    # One pair of consoles per invocation, shared by the command and its error handler; a caller (a test) may give
    # its own with app(..., obj=Consoles(...)).
    give_consoles(context)


summarise.register(app)
records.register(app)
app.add_typer(review.app, name="review")
export.register(app)
app.add_typer(analyse.app, name="analyse")
coverage.register(app)
doctor.register(app)
eval.register(app)
serve.register(app)


def main() -> None:
    app()
