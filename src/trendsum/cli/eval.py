"""`trendsum eval`: score an engine, model or prompt against approved records (or a gold file), writing nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .. import engines, evaluation, prompts
from ..evaluation.scoring import METADATA, Report, Threshold, bounded
from .common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    ApiKeyEnvOption,
    BaseUrlOption,
    ConcurrencyOption,
    DbOption,
    EngineOption,
    JsonOption,
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
from .render import literal


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


@translate_errors
def eval_command(
    gold: Annotated[
        Path | None,
        typer.Option("--gold", metavar="FILE.jsonl", help="Score against the records of this JSON Lines file (as "
                     "`trendsum export` writes them) instead of the queue's approved records."),
    ] = None,  # fmt: skip
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = None,
    mode: ModeOption = None,
    prompt: PromptOption = None,
    concurrency: ConcurrencyOption = None,
    max_attempts: MaxAttemptsOption = None,
    timeout: TimeoutOption = None,
    max_retries: MaxRetriesOption = None,
    max_input_tokens: MaxInputTokensOption = None,
    max_output_tokens: MaxOutputTokensOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score only the first N records.")] = None,
    min_f1: Annotated[
        float | None, typer.Option("--min-f1", metavar="X", help="Fail (exit 1) when the overall evidence F1 is "
                                   "under X, a share from 0 to 1.")
    ] = None,  # fmt: skip
    fail_under: Annotated[
        list[str] | None,
        typer.Option("--fail-under", metavar="METRIC=X", help="Fail (exit 1) when METRIC is under X, e.g. "
                     "section_accuracy=0.7, recall=0.5, nation=0.9 or challenges.f1=0.5. Repeat for several."),
    ] = None,  # fmt: skip
    as_json: JsonOption = False,
) -> None:
    """Score an engine, model or prompt: summarise the source of every approved record again with it, in memory,
    and compare with what people approved. The queue is never changed.

    Per section and overall: evidence agreement (precision, recall and F1 over the sentences cited; an old
    record's quotes count as the sentences they are in), section accuracy (the share of the approved evidence
    sentences the candidate cites in the same section), placement (of those it cites anywhere, the share in the
    right section), metadata agreement (organisation, nation, year, trend, uses AI), the share of its points
    grounded in the source and supported by their evidence, tokens, estimated cost (with prices in the config)
    and time.

    A record whose source text is not in the queue and whose file is gone or changed is skipped, and said so.
    Exit code 0 when every threshold is met, 1 when one is not (or nothing could be scored), 2 for a usage error.

    Examples: `trendsum eval --engine openai --model gpt-4o-mini --prompt summarise-v2`, or in CI
    `trendsum eval --gold tests/data/gold/inputs.jsonl --engine offline --min-f1 0.68 --fail-under recall=0.5`
    """
    thresholds = [evaluation.parse_threshold(text) for text in fail_under or ()]
    if min_f1 is not None:
        thresholds.insert(0, Threshold("f1", bounded(min_f1, "--min-f1")))
    app = make_app(db=db, engine=engine, model=model, base_url=base_url, api_key_env=api_key_env, mode=mode,
                   prompt=prompt, concurrency=concurrency, max_attempts=max_attempts, timeout=timeout,
                   max_retries=max_retries, max_input_tokens=max_input_tokens,
                   max_output_tokens=max_output_tokens)  # fmt: skip
    settings = app.settings
    template = prompts.load(settings.prompt)
    if gold is not None:
        cases, against = evaluation.from_file(gold), str(gold)
    else:
        with app.store() as store:  # read, then closed: the engine's calls never hold the queue open
            cases, against = evaluation.from_queue(store), f"the approved records of {settings.db}"
    cases = cases[:limit] if limit is not None else cases
    if not cases:
        where = f"the queue at {settings.db} has no approved records" if gold is None else f"{gold} holds no records"
        app.err.print(Text(f"Nothing to evaluate: {where}. Approve records with `trendsum review`, or give "
                           "--gold FILE.jsonl."))  # fmt: skip
        raise typer.Exit(EXIT_FAILURES)
    spec = engines.resolve(settings)
    chosen = spec.build(settings, memory=None)  # memory=None: not even the endpoint's output mode is remembered
    why = engines.fallback_reason(settings, spec)
    app.err.print(engine_line(settings, chosen, f" {spec.summary}{why}."), highlight=False)
    price = settings.prices.get(settings.model) if spec.capabilities.network else None
    report = Report(chosen.name, chosen.model, chosen.prompt_identity(template)[0], against)
    app.err.print(Text(f"Summarising {len(cases)} case(s) again, against {against}; nothing is saved."))

    async def run_then_close() -> Report:
        try:
            return await evaluation.evaluate(
                cases, chosen, template, report, max_attempts=settings.max_attempts,
                max_input_tokens=spec.capabilities.input_limit(settings.max_input_tokens),
                price=(float(price["input"]), float(price["output"])) if price else None,
                concurrency=settings.concurrency,
            )  # fmt: skip
        finally:
            await chosen.aclose()

    try:
        asyncio.run(run_then_close())
    except KeyboardInterrupt:
        app.err.print("Interrupted: nothing was scored (and nothing was saved).")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for skipped in report.skipped:
        app.err.print(Text.assemble(("skipped ", "yellow"), literal(skipped.id), ": ", literal(skipped.reason)),
                      highlight=False)  # fmt: skip
    for case in report.cases:
        if case.failed:
            app.err.print(Text.assemble(("failed ", "red"), literal(case.id), ": ", literal(case.failed),
                                        " (scored as citing nothing)"), highlight=False)  # fmt: skip
        for note in case.notes:
            app.err.print(Text.assemble(("note ", "yellow"), literal(case.id), ": ", literal(note)), highlight=False)
    result = report.as_dict(thresholds)
    if as_json:
        app.out.file.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        app.out.print(report_view(report))
    if not report.cases:
        app.err.print("Nothing could be scored: every case was skipped (see above).")
        raise typer.Exit(EXIT_FAILURES)
    failed = [check for check in result["thresholds"] if not check["passed"]]  # type: ignore[union-attr]
    for check in failed:
        shown = "not measured" if check["value"] is None else f"{check['value']:.3f}"
        app.err.print(Text(f"FAILED: {check['metric']} is {shown}, under {check['minimum']:g}", style="bold red"))
    if failed:
        raise typer.Exit(EXIT_FAILURES)
    if thresholds:
        app.err.print(Text(f"Passed: {len(thresholds)} threshold(s) met.", style="green"))


# Short enough for the table to fit an 80-column terminal.
SHORT_TITLES = {"overview": "Overview", "ai_application": "AI use", "challenges": "Challenges", "approach": "Approach",
                "outcomes": "Outcomes", "unintended_consequences": "Unintended", "lessons": "Lessons"}  # fmt: skip


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def report_view(report: Report) -> RenderableType:
    """Per section and overall, then metadata agreement, tokens, cost and time."""
    table = Table(title=Text(f"{report.engine} {report.model} · prompt {report.prompt} · {len(report.cases)} "
                             f"case(s)"), title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False, collapse_padding=True, pad_edge=False)  # fmt: skip
    for name in ("section", "gold", "cited", "prec.", "recall", "F1", "placed", "grounded", "supported"):
        table.add_column(name, justify="left" if name == "section" else "right", no_wrap=True)
    counts = report.section_counts()
    for name, measures in report.sections().items():
        c = counts[name]
        table.add_row(SHORT_TITLES[name], str(c.gold), str(c.cited), _pct(measures["precision"]),
                      _pct(measures["recall"]), _pct(measures["f1"]), _pct(measures["placement"]),
                      _pct(measures["grounded"]), _pct(measures["supported"]))  # fmt: skip
    overall, total = report.overall(), report.overall_counts()
    table.add_section()
    table.add_row(Text("overall", style="bold"), str(total.gold), str(total.cited), _pct(overall["precision"]),
                  _pct(overall["recall"]), Text(_pct(overall["f1"]), style="bold"), _pct(overall["placement"]),
                  _pct(overall["grounded"]), _pct(overall["supported"]))  # fmt: skip
    metadata = report.metadata()
    agreed = ", ".join(f"{key.replace('_', ' ')} {_pct(metadata[key])}" for key in METADATA)
    prompt_tokens, completion_tokens = report.tokens
    cost = "unknown (no price for the model in the config)" if report.cost is None else f"{report.cost:.4f}"
    if report.cost is None and not (prompt_tokens or completion_tokens):
        cost = "none (no tokens)"
    lines = [
        "prec./recall/F1: evidence agreement over the sentences cited; placed: of the approved evidence the "
        "candidate cites, the share in the same section; grounded/supported: the candidate's points.",
        f"Section accuracy: {_pct(overall['section_accuracy'])} of the approved evidence sentences are cited in the "
        "same section.",
        f"Metadata agreement: {agreed}.",
        f"Tokens: {prompt_tokens:,} prompt, {completion_tokens:,} completion; estimated cost {cost}; "
        f"{report.seconds:.1f} s.",
    ]
    if report.skipped:
        lines.append(f"{len(report.skipped)} case(s) skipped: {', '.join(s.id for s in report.skipped)}.")
    return Group(table, *(Text(line) for line in lines))

