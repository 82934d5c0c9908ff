"""`trendsum analyse ...`: cross-case analysis per trend from approved records, and its review."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from .common import (
    EXIT_FAILURES,
    ApiKeyEnvOption,
    BaseUrlOption,
    DbOption,
    EngineOption,
    ExpectOption,
    MaxAttemptsOption,
    MaxRetriesOption,
    ModelOption,
    ModeOption,
    RejectNoteOption,
    ReviewerOption,
    StatusOption,
    TimeoutOption,
    TrendOption,
    decide,
    engine_line,
    make_app,
    translate_errors,
)

app = typer.Typer(
    help="Cross-case analysis per trend (risks and challenges, where to start, application areas), from approved "
    "records only; each analysis waits, pending, for a person to accept it.",
    invoke_without_command=True,
)

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Analysis id, as `trendsum analyse list` shows it.")]
LanguageOption = Annotated[
    str | None, typer.Option("--language", help="Analyse the records summarised in this language. [default: en]")
]


@app.callback()
@translate_errors
def analyse_command(
    ctx: typer.Context,
    trend: TrendOption = None,
    language: LanguageOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = None,
    mode: ModeOption = None,
    prompt: Annotated[str, typer.Option(help="Analysis prompt from prompts/.")] = "analyse-v1",
    max_attempts: MaxAttemptsOption = None,
    max_retries: MaxRetriesOption = None,
    timeout: TimeoutOption = None,
    force: Annotated[bool, typer.Option("--force", help="Analyse again even if the cases did not change.")] = False,
    db: DbOption = None,
) -> None:
    """Analyse each trend's approved case studies (or one trend's) into a pending analysis to review.

    Only approved records are read; every finding cites the cases it draws on. With nothing changed since
    the last run, no call is made. Then: `trendsum analyse show ID`, `trendsum analyse accept ID`.

    Example: `trendsum analyse --trend "harnessing data"`
    """
    from .. import engines
    from ..analysis import run as analysis
    from .render_collection import analyse_summary

    if ctx.invoked_subcommand is not None:
        return
    app_ = make_app(db=db, engine=engine, model=model, base_url=base_url, api_key_env=api_key_env, mode=mode,
                    max_attempts=max_attempts, max_retries=max_retries, timeout=timeout, language=language)  # fmt: skip
    settings = app_.settings
    with app_.store() as store:
        trends = analysis.trends_to_analyse(store, trend)
        if not trends:
            app_.err.print("No approved records to analyse: approve some with `trendsum review` first.")
            raise typer.Exit(EXIT_FAILURES)
        spec = engines.resolve(settings)
        rules_only = not spec.capabilities.any_schema  # an engine that writes only summaries: the offline rules
        template = None if rules_only else analysis.load_prompt(prompt)
        chosen = None if rules_only else spec.build(settings, memory=store)
        local_note = " (themes from shared key terms)" if chosen is None else f" {spec.summary}"
        app_.err.print(engine_line(settings, chosen, local_note), highlight=False)

        async def run_all() -> list[analysis.AnalysisOutcome]:
            try:
                return [
                    await analysis.analyse_trend(store, t, settings.language, chosen, template,
                                                 max_attempts=settings.max_attempts, force=force)
                    for t in trends
                ]  # fmt: skip
            finally:
                if chosen is not None:
                    await chosen.aclose()

        outcomes = asyncio.run(run_all())
    app_.err.print(analyse_summary(outcomes))
    if any(o.result in (analysis.NEW, analysis.UPDATED) for o in outcomes):
        app_.err.print("Next: `trendsum analyse show ID`, then `trendsum analyse accept ID` or `reject ID -n why`.")
    if any(o.result == analysis.FAILED for o in outcomes):
        raise typer.Exit(EXIT_FAILURES)


@app.command("list")
@translate_errors
def list_command(
    status: StatusOption = None,
    trend: TrendOption = None,
    language: LanguageOption = None,
    db: DbOption = None,
) -> None:
    """List the analyses: id, trend, language, status, how many cases each draws on."""
    from ..queue import analysis_store
    from .render_collection import analyses_table

    app_ = make_app(db=db)
    with app_.store() as store:
        rows = analysis_store.rows(store, tuple(status or ()), trend, language)
    if not rows:
        app_.err.print("No analyses yet: `trendsum analyse` makes them from approved records.")
        return
    app_.out.print(analyses_table(rows))


@app.command("show")
@translate_errors
def show_command(
    analysis_id: IdArgument,
    version: Annotated[int | None, typer.Option(help="An earlier version instead of the current one.")] = None,
    db: DbOption = None,
) -> None:
    """Show an analysis: each finding with the cases it cites, its provenance and its review history.

    Example: `trendsum analyse show harnessing-data.en`
    """
    from ..queue import analysis_store
    from .render_collection import analysis_view

    app_ = make_app(db=db)
    with app_.store() as store:
        shown = analysis_store.get(store, analysis_id, version)
        events = analysis_store.events(store, analysis_id)
    app_.out.print(analysis_view(shown, events))


@app.command("accept")
@translate_errors
def accept_command(
    analysis_id: IdArgument,
    reviewer: ReviewerOption = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why, e.g. 'checked against the cases'.")] = None,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Approve an analysis so that reports include it. Refused if a case it draws on changed since.

    Example: `trendsum analyse accept harnessing-data.en -r "A. Researcher" -n "checked"`
    """
    from ..analysis import run as analysis

    decide([analysis_id], reviewer, db, expect_version,
           lambda store, aid, who, exp: analysis.accept(store, aid, who, note, expected_version=exp))  # fmt: skip


@app.command("reject")
@translate_errors
def reject_command(
    analysis_id: IdArgument,
    note: RejectNoteOption,
    reviewer: ReviewerOption = None,
    expect_version: ExpectOption = None,
    db: DbOption = None,
) -> None:
    """Reject an analysis, with the reason; reports leave it out.

    Example: `trendsum analyse reject cyber-security.en -n "overstates the phishing results"`
    """
    from ..analysis import run as analysis

    decide([analysis_id], reviewer, db, expect_version,
           lambda store, aid, who, exp: analysis.reject(store, aid, who, note, expected_version=exp))  # fmt: skip
