"""Summarise each gold case's source again with the candidate engine, model and prompt, and score it.

The candidate's summaries are made by the pipeline's own generation (the same prompt, validation, re-asking,
splitting of long cases and grounding as `trendsum summarise`) but are never saved: evaluating writes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from .. import engines
from ..engines.base import Engine
from ..errors import SummaryFailed
from ..pipeline import summarise as pipeline
from ..prompts import Prompt
from .gold import GoldCase
from .scoring import CaseScore, Report, Skipped, score_case


async def evaluate(
    cases: Sequence[GoldCase],
    engine: Engine,
    prompt: Prompt,
    report: Report,
    *,
    max_attempts: int = 3,
    max_input_tokens: int | None = None,
    price: tuple[float, float] | None = None,  # per million tokens, input and output; None: cost unknown
    concurrency: int = 4,
    on_case: Callable[[CaseScore | Skipped], None] = lambda done: None,
) -> Report:
    """Score every case that has its source into `report` (in the order given), and list the others as skipped."""
    started = time.perf_counter()
    limit = asyncio.Semaphore(max(1, concurrency))
    capabilities = engines.capabilities_of(engine)

    async def one(gold: GoldCase) -> CaseScore | Skipped:
        if gold.case is None:
            return Skipped(gold.id, gold.source_path, gold.problem or "no source")
        if not capabilities.writes(gold.language):
            why = f"the {engine.name} engine {capabilities.languages_because}, and this record is in {gold.language}"
            return Skipped(gold.id, gold.source_path, why)
        options = pipeline.RunOptions(max_attempts=max_attempts, concurrency=1, language=gold.language,
                                      max_input_tokens=max_input_tokens)  # fmt: skip
        async with limit:
            began = time.perf_counter()
            failed, summary, checked, stats = None, None, None, None
            try:
                # the run's generation without its saving
                summary, checked, stats = await pipeline.summarise_text(gold.case, engine, prompt, options)
            except SummaryFailed as exc:
                failed = exc.reason
            seconds = time.perf_counter() - began
        score = score_case(gold, summary, checked)
        score.seconds, score.failed, score.notes = seconds, failed, gold.notes
        if stats is not None:
            score.prompt_tokens, score.completion_tokens = stats.prompt_tokens, stats.completion_tokens
        if price is not None:
            score.cost = (score.prompt_tokens * price[0] + score.completion_tokens * price[1]) / 1e6
        return score

    async def reported(gold: GoldCase) -> CaseScore | Skipped:
        done = await one(gold)
        on_case(done)
        return done

    for done in await asyncio.gather(*(reported(gold) for gold in cases)):
        if isinstance(done, Skipped):
            report.skipped.append(done)
        else:
            report.cases.append(done)
    report.seconds = time.perf_counter() - started
    return report
