"""`trendsum summarise`: case-study files in, pending records in the review queue out."""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import engines, ingest, prompts
from ..config import Settings
from ..errors import ConfigError
from ..pipeline.summarise import (
    DUPLICATE,
    FAILED,
    NOT_A_CASE,
    SKIPPED,
    UNCHANGED,
    Budget,
    CaseOutcome,
    RunOptions,
    summarise_all,
)
from .common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    ApiKeyEnvOption,
    BaseUrlOption,
    ConcurrencyOption,
    DbOption,
    EngineOption,
    MaxAttemptsOption,
    MaxInputTokensOption,
    MaxOutputTokensOption,
    MaxRetriesOption,
    ModelOption,
    ModeOption,
    PromptOption,
    TimeoutOption,
    engine_line,
    make_app,
    translate_errors,
)
from .render import run_summary


def register(app: typer.Typer) -> None:
    app.command("summarise")(summarise_command)


@translate_errors
def summarise_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Case-study files or folders (searched recursively), or - for one on standard input."),
    ],
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = None,
    mode: ModeOption = None,
    prompt: PromptOption = None,
    concurrency: ConcurrencyOption = None,
    max_attempts: MaxAttemptsOption = None,
    max_bytes: Annotated[int | None, typer.Option(help="Skip files larger than this. [default: 20 MB]")] = None,
    language: Annotated[str | None, typer.Option(help="Language of the summary text. [default: en]")] = None,
    timeout: TimeoutOption = None,
    max_retries: MaxRetriesOption = None,
    max_input_tokens: MaxInputTokensOption = None,
    max_output_tokens: MaxOutputTokensOption = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop starting calls once the estimated cost passes this (needs prices).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Summarise again even when nothing changed.")] = False,
    summarise_anyway: Annotated[
        bool, typer.Option("--summarise-anyway", help="Summarise files judged not to be case studies (a data "
                           "dictionary, form, list of links or table dump) all the same.")
    ] = False,  # fmt: skip
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print a line per case study.")] = False,
) -> None:
    """Summarise case studies into the review queue, where every record waits, unapproved, for a person.

    Reads .txt, .md, .html, .docx, .odt and .pdf (text layer). Unchanged files already summarised with the
    same engine, model and prompt are skipped without a call; identical files are summarised once.
    A file that is a data dictionary, a form, a list of links or a table dump is not summarised: the summary lists
    it as "not a case study", with why.
    Exit code 0 when every file was summarised or unchanged, 1 when some were not (listed at the end).

    Example: `trendsum summarise inputs/`, or `pbpaste | trendsum summarise -`
    """
    app = make_app(db=db, engine=engine, model=model, base_url=base_url, api_key_env=api_key_env, mode=mode,
                   prompt=prompt, concurrency=concurrency, max_attempts=max_attempts, max_bytes=max_bytes,
                   language=language, timeout=timeout, max_retries=max_retries, max_input_tokens=max_input_tokens,
                   max_output_tokens=max_output_tokens, max_cost=max_cost)  # fmt: skip
    settings = app.settings
    if any(str(path) == ingest.STDIN for path in paths) and sys.stdin.isatty():
        app.err.print("Reading one case study from standard input: paste it, then press Ctrl-D.")
    sources = ingest.discover(paths, typer.get_binary_stream("stdin"), max_bytes=settings.max_bytes,
                              queue=Path(settings.db))  # fmt: skip
    template = prompts.load(settings.prompt)
    if not sources:
        app.err.print("No case-study files found.")
        raise typer.Exit(EXIT_FAILURES)
    counts = {"done": 0, "cached": 0, "failed": 0, NOT_A_CASE: 0, "tokens": 0}
    with app.store(create=True) as store, Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=app.err,
        transient=False,
    ) as progress:
        spec = engines.resolve(settings)
        chosen = spec.build(settings, memory=store)
        why = engines.fallback_reason(settings, spec)
        local_note = f" {spec.summary}{why}; records are labelled engine={spec.name}."
        app.err.print(engine_line(settings, chosen, local_note), highlight=False)
        options = RunOptions(
            max_attempts=settings.max_attempts,
            concurrency=settings.concurrency,
            max_bytes=settings.max_bytes,
            force=force,
            judge=not summarise_anyway,
            language=settings.language,
            max_input_tokens=spec.capabilities.input_limit(settings.max_input_tokens),
            budget=_budget(settings) if spec.capabilities.network else None,  # only calls over the network cost
        )
        task = progress.add_task("summarising", total=len(sources), status="")

        def advance(outcome: CaseOutcome) -> None:
            key = {FAILED: "failed", SKIPPED: "failed", UNCHANGED: "cached", DUPLICATE: "cached",
                   NOT_A_CASE: NOT_A_CASE}.get(outcome.result, "done")  # fmt: skip
            if outcome.result == UNCHANGED and outcome.attempts:  # asked, and it said nothing new: not a cache hit
                key = "done"
            counts[key] += 1
            counts["tokens"] += outcome.prompt_tokens + outcome.completion_tokens
            status = f"done {counts['done']} · cached {counts['cached']} · failed {counts['failed']}"
            if counts[NOT_A_CASE]:
                status += f" · {NOT_A_CASE} {counts[NOT_A_CASE]}"
            if counts["tokens"]:
                status += f" · {counts['tokens']:,} tokens"
            progress.update(task, advance=1, status=status)
            if verbose:
                from .render import outcome_line

                progress.console.print(outcome_line(outcome))

        async def run_then_close():  # type: ignore[no-untyped-def]
            try:
                return await summarise_all(sources, store, chosen, template, options, on_outcome=advance)
            finally:
                await chosen.aclose()

        try:
            report = asyncio.run(run_then_close())
        except KeyboardInterrupt:
            progress.stop()
            app.err.print(
                f"[yellow]Interrupted.[/] {counts['done']} record(s) were saved and are kept; "
                "run the same command again to finish the rest."
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
    app.err.print(run_summary(report, chosen.name, chosen.model))
    if options.budget is not None:
        app.err.print(f"estimated cost: {options.budget.spent:.4f} (prices for {chosen.model} from the config; every "
                      "call counted, failed ones too)", highlight=False, markup=False)  # fmt: skip
    if report.count("new") + report.count("updated"):
        app.err.print("Next: `trendsum list` to see the queue, `trendsum review` to accept or reject records.")
    if report.failed:
        raise typer.Exit(EXIT_FAILURES)


def _budget(settings: Settings) -> Budget | None:
    """What the run spends, when the config has a price for the model; with --max-cost, also its limit."""
    price = settings.prices.get(settings.model)
    if not price and settings.max_cost is None:
        return None
    if not price:
        raise ConfigError(
            f"--max-cost needs a price for model {settings.model!r}: add it to trendsum.toml as "
            f'[prices."{settings.model}"] with input = ... and output = ... (per million tokens).'
        )
    limit = settings.max_cost if settings.max_cost is not None else math.inf
    return Budget(limit, float(price["input"]), float(price["output"]))
