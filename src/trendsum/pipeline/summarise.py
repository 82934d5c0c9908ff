"""The pipeline: read, prompt, call the engine, validate, re-ask with the errors, check grounding, queue.

Every engine (and every test double) goes through the production validator: the ask/validate/re-ask loop
is `structured.validated_call`, shared with the cross-case analysis. Results are committed one by one as they
arrive: an interrupted run loses at most the calls in flight, and the next run skips what is already done.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import engines
from ..domain import answers, grounding
from ..domain.models import SCHEMA_VERSION, CaseStudy, CaseSummary, Grounding, Provenance, Status
from ..domain.sentences import Sentence, numbered, segment
from ..engines.base import Engine, EngineReply, GenerationRequest
from ..errors import FatalEngineError, IngestError, QueueError, SummaryFailed, UsageError
from ..ingest import Source, content_groups, instruction_like, not_a_case_study, read_case
from ..prompts import Prompt
from ..queue.identity import assign_ids
from ..queue.store import Store, now
from . import chunking
from .structured import CallStats, parse_model, validated_call

NEW, UPDATED, UNCHANGED, FAILED, SKIPPED = "new", "updated", "unchanged", "failed", "skipped"
DUPLICATE = "duplicate"  # same bytes as another source in the run: summarised once, under the other's id
# A data dictionary, form, list of links or table dump (ingest.verdict): not summarised, kept with the failures
NOT_A_CASE = "not a case study"


@dataclass
class Budget:
    """`--max-cost`: once the estimated spend passes the limit, no new call is started."""

    limit: float
    input_per_million: float
    output_per_million: float
    spent: float = 0.0

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.spent += (prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million) / 1e6

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit


@dataclass(frozen=True)
class RunOptions:
    max_attempts: int = 3
    concurrency: int = 8
    max_bytes: int = 20 * 1024 * 1024
    force: bool = False
    judge: bool = True  # set aside a file that is not a case study (ingest.verdict); False: --summarise-anyway
    language: str = "en"
    max_input_tokens: int | None = None  # longer cases are split and merged; None for engines without a limit
    budget: Budget | None = None


@dataclass(frozen=True)
class CaseOutcome:
    path: str
    case_id: str
    result: str  # new, updated, unchanged, failed, skipped, duplicate, not a case study
    version: int | None = None
    status: Status | None = None
    reason: str | None = None
    grounded: int = 0
    points: int = 0
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    warnings: tuple[str, ...] = ()


NOT_SUMMARISED = (FAILED, NOT_A_CASE, SKIPPED)


@dataclass
class RunReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(o.result == result for o in self.outcomes)

    @property
    def failed(self) -> list[CaseOutcome]:
        """Cases not summarised: failed, judged not a case study, or never started because the cost limit was
        reached."""
        return [o for o in self.outcomes if o.result in NOT_SUMMARISED]

    @property
    def tokens(self) -> tuple[int, int]:
        return sum(o.prompt_tokens for o in self.outcomes), sum(o.completion_tokens for o in self.outcomes)


LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "cy": "Welsh", "gd": "Scottish Gaelic", "ga": "Irish",
                  "fr": "French", "de": "German"}  # fmt: skip


def language_name(code: str) -> str:
    """'Dutch (nl)': what the prompt asks for, so a model is not left to guess what 'nl' means."""
    return f"{LANGUAGE_NAMES[code]} ({code})" if code in LANGUAGE_NAMES else code


def record_id(case_id: str, language: str) -> str:
    """English summaries keep the file's id; a summary in another language is a record of its own, so a Dutch
    edition never turns the approved English record stale."""
    return case_id if language == "en" else f"{case_id}.{language}"


def cache_key(case: CaseStudy | str, engine: Engine, prompt_hash: str, language: str) -> str:
    """What makes two summaries interchangeable: same source, prompt, engine, model, schema and language."""
    sha256 = case if isinstance(case, str) else case.sha256
    parts = [sha256, prompt_hash, engine.name, engine.model, str(SCHEMA_VERSION), language]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def summarise_all(
    sources: Iterable[Source],
    store: Store,
    engine: Engine,
    prompt: Prompt,
    options: RunOptions,
    on_outcome: Callable[[CaseOutcome], None] = lambda outcome: None,
) -> RunReport:
    """Summarise every source with at most `options.concurrency` engine calls in flight."""
    _check_language(engine, options.language)
    report = RunReport()
    lasting = assign_ids(list(sources), store, options.max_bytes)  # ids never move between sources
    sources = [replace(s, case_id=record_id(s.case_id, options.language)) for s in lasting]
    primary_of = _duplicates(sources, store, engine, prompt, options)
    also_at: dict[str, list[str]] = {}
    for copy, primary in primary_of.items():
        also_at.setdefault(primary.case_id, []).append(str(copy.path))
    queue = iter(s for s in sources if s not in primary_of)

    async def worker() -> None:
        for source in queue:  # workers share one iterator, so memory stays flat however many files there are
            outcome = await summarise_one(source, store, engine, prompt, options, also_at.get(source.case_id, ()))
            report.outcomes.append(outcome)
            on_outcome(outcome)
            await asyncio.sleep(0)  # lets Ctrl-C in between cases even when the engine never waits (offline)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, options.concurrency))]
    done, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:  # a fatal error (bad key, no server) stops the run: every other case would fail too
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    errors = [task.exception() for task in done if task.exception() is not None]  # retrieve every one
    if errors:
        raise errors[0]
    for copy, primary in primary_of.items():
        outcome = _duplicate_outcome(copy, primary, report)
        report.outcomes.append(outcome)
        on_outcome(outcome)
    return report


def _check_language(engine: Engine, language: str) -> None:
    """An engine that cannot write the language must not label its English (or copied) text as that language."""
    capabilities = engines.capabilities_of(engine)
    if capabilities.writes(language):
        return
    able = " or ".join(f"--engine {spec.name}" for spec in engines.specs() if spec.capabilities.writes(language))
    instead = f"use an LLM engine ({able}) for --language, or " if able else ""
    written = ", ".join(sorted(capabilities.languages or ()))
    raise UsageError(f"The {engine.name} engine {capabilities.languages_because}, so it cannot write "
                     f"{language_name(language)}: {instead}leave it at {written}.")  # fmt: skip


def _duplicates(
    sources: list[Source], store: Store, engine: Engine, prompt: Prompt, options: RunOptions
) -> dict[Source, Source]:
    """Each source whose bytes another source has, mapped to the one copy that is summarised.

    That copy is the one already in the queue for this content, if any, else one that has a record (of other
    content, which it now replaces), else the first found: a copy added later never creates a second record.
    """
    _, prompt_hash = engine.prompt_identity(prompt)
    primary_of: dict[Source, Source] = {}
    for sha256, group in content_groups(sources, options.max_bytes).items():
        key = cache_key(sha256, engine, prompt_hash, options.language)
        first_file = min(group, key=lambda s: s.data is not None)  # a path says more than <stdin>
        primary = next((s for s in group if store.has_version(s.case_id, key, sha256)), None)
        primary = primary or next((s for s in group if store.has_record(s.case_id)), first_file)
        primary_of.update({copy: primary for copy in group if copy is not primary})
    return primary_of


def _duplicate_outcome(copy: Source, primary: Source, report: RunReport) -> CaseOutcome:
    first = next((o for o in report.outcomes if o.case_id == primary.case_id), None)
    if first is not None and first.result in NOT_SUMMARISED:
        said = first.reason if first.result == NOT_A_CASE else f"which {first.result}: {first.reason}"
        reason = f"same content as {primary.path}, {said}"
        return CaseOutcome(str(copy.path), copy.case_id, first.result, reason=reason)
    note = f"duplicate of {primary.case_id} ({primary.path}): same content, summarised once"
    return CaseOutcome(str(copy.path), copy.case_id, DUPLICATE, warnings=(note,))


# What stops a whole run: every other case would hit it too (no server, bad key, a bad setting, the queue's disk).
FATAL = (FatalEngineError, UsageError, QueueError, sqlite3.Error, MemoryError)


async def summarise_one(
    source: Source, store: Store, engine: Engine, prompt: Prompt, options: RunOptions, also_at: Sequence[str] = ()
) -> CaseOutcome:
    """One case, whatever happens to it: anything but a fatal error ends as this case's failure, with its reason,
    and the run goes on."""
    try:
        return await _summarise_one(source, store, engine, prompt, options, also_at)
    except FATAL:
        raise
    except Exception as exc:  # a bug met by one odd file must not cost the rest of the folder
        detail = " ".join(str(exc).split())[:300]
        reason = f"internal error, please report it: {type(exc).__name__}: {detail}"
        store.add_failure(source.case_id, str(source.path), reason, 0, None)
        return CaseOutcome(str(source.path), source.case_id, FAILED, reason=reason)


async def _summarise_one(
    source: Source, store: Store, engine: Engine, prompt: Prompt, options: RunOptions, also_at: Sequence[str]
) -> CaseOutcome:
    path = str(source.path)
    try:
        case = read_case(source, max_bytes=options.max_bytes)
    except IngestError as exc:
        store.add_failure(source.case_id, path, exc.reason, 0, None)
        return CaseOutcome(path, source.case_id, FAILED, reason=exc.reason)
    # before the cache, so a file summarised by an older trendsum is judged the same way on every run
    verdict = not_a_case_study(case.text) if options.judge else None
    if verdict is not None:
        reason = f"{NOT_A_CASE}: {verdict} (--summarise-anyway to summarise it all the same)"
        store.add_failure(case.case_id, path, reason, 0, None)
        return CaseOutcome(path, case.case_id, NOT_A_CASE, reason=reason, warnings=case.warnings)
    prompt_name, prompt_hash = engine.prompt_identity(prompt)
    key = cache_key(case, engine, prompt_hash, options.language)
    if not options.force and store.has_version(case.case_id, key, case.sha256):
        return CaseOutcome(path, case.case_id, UNCHANGED, warnings=case.warnings)
    if options.budget is not None and options.budget.exhausted:
        reason = f"not started: the cost limit of {options.budget.limit:g} was reached (--max-cost)"
        return CaseOutcome(path, case.case_id, SKIPPED, reason=reason, warnings=case.warnings)
    try:
        summary, checked, reply_stats = await summarise_text(case, engine, prompt, options)
    except SummaryFailed as exc:
        store.add_failure(case.case_id, path, exc.reason, exc.attempts, exc.last_raw)
        return CaseOutcome(path, case.case_id, FAILED, reason=exc.reason, attempts=exc.attempts, warnings=case.warnings)
    provenance = Provenance(
        source_path=path,
        source_sha256=case.sha256,
        text_sha256=hashlib.sha256(case.text.encode()).hexdigest(),
        engine=engine.name,
        model=engine.model,
        prompt_name=prompt_name,
        prompt_hash=prompt_hash,
        mode=reply_stats.mode,
        language=options.language,
        prompt_tokens=reply_stats.prompt_tokens,
        completion_tokens=reply_stats.completion_tokens,
        attempts=reply_stats.attempts,
        created_at=now(),
    )
    flags = [f"source contains instruction-like text: {hit!r}" for hit in instruction_like(case.text)]
    flags += [f"ingest: {warning}" for warning in case.warnings]
    # export._public_text knows this wording: it cuts an absolute path in it to the file name
    flags += [f"same content also at {path}: summarised once, as this record" for path in also_at]
    saved = store.save_generated(case.case_id, summary, checked, provenance, key, flags, force=options.force,
                                 source_text=case.text)
    # unchanged: another run saved it while this one worked, or the engine said what the record already says
    result = UNCHANGED if saved.unchanged else NEW if saved.created else UPDATED
    return CaseOutcome(
        path, case.case_id, result, saved.version, saved.status,
        grounded=checked.supported, points=checked.total, attempts=reply_stats.attempts,
        prompt_tokens=reply_stats.prompt_tokens, completion_tokens=reply_stats.completion_tokens,
        warnings=case.warnings,
    )  # fmt: skip


async def summarise_text(
    case: CaseStudy, engine: Engine, prompt: Prompt, options: RunOptions
) -> tuple[CaseSummary, Grounding, CallStats]:
    """A case's summary, its checks and what it cost, saving nothing (the run saves it; `trendsum eval` does not):
    one call for a case that fits the model's input; for a longer one, one per piece, merged.

    A local server's context can be smaller than --max-input-tokens assumes. When the endpoint says the case
    did not fit, and how much would have, the case is split to that size, once, instead of failing.
    """
    sentences = segment(case.text)
    if not sentences:
        raise SummaryFailed("the text has no sentences to summarise", attempts=0)
    style = evidence_style(prompt)
    limit = options.max_input_tokens
    # OpenAI's enum limit binds a model's schema; an engine with no input limit (offline) reads the whole case,
    # and cut into pieces it would cite sentences outside the piece it was shown
    most = answers.MAX_IDS_PER_CALL if style == answers.SENTENCES and limit is not None else len(sentences)
    if (limit is None or chunking.estimate_tokens(case.text) <= limit) and len(sentences) <= most:
        try:
            return await generate_summary(case, engine, prompt, options, sentences)
        except SummaryFailed as failed:
            fits = failed.case_chars_that_fit
            if limit is None or not fits or len(case.text) <= fits:
                raise
            limit = fits // chunking.CHARS_PER_TOKEN
    pieces = chunking.group(sentences, limit or chunking.estimate_tokens(case.text), most)
    total = CallStats()
    summaries = []
    for number, piece in enumerate(pieces, 1):
        part = replace(case, title=f"{case.title} (part {number} of {len(pieces)})")
        summary, _, stats = await generate_summary(part, engine, prompt, options, piece)
        summaries.append(summary)
        total.attempts += stats.attempts
        total.prompt_tokens += stats.prompt_tokens
        total.completion_tokens += stats.completion_tokens
        total.mode = stats.mode
    merged = chunking.merge(summaries, case.title)
    return merged, grounding.check(merged, case.text, options.language), total


def evidence_style(prompt: Prompt) -> str:
    """A template that shows the case as numbered sentences asks for them to be cited; any other, for quotes."""
    return answers.SENTENCES if "case_sentences" in prompt.placeholders else answers.QUOTES


async def generate_summary(
    case: CaseStudy, engine: Engine, prompt: Prompt, options: RunOptions, sentences: Sequence[Sentence] | None = None
) -> tuple[CaseSummary, Grounding, CallStats]:
    """Ask about `sentences` of the case (all of them by default), validate and re-ask with the precise problems,
    at most `max_attempts` times.

    A schema-valid answer whose evidence is not all in the source, or does not back its points, is re-asked
    while attempts remain; the last such answer is kept with those points flagged, for the reviewer to judge.
    """
    shown = tuple(sentences if sentences is not None else segment(case.text))
    style = evidence_style(prompt)
    by_id = {sentence.id: sentence for sentence in shown}
    schema = answers.answer_schema(style, list(by_id))

    def validate(text: str) -> tuple[tuple[CaseSummary, Grounding] | None, list[str]]:
        summary, problems = parse_answer(text, style, by_id)
        if summary is None:
            return None, problems
        checked = grounding.check(summary, case.text, options.language)
        return (summary, checked), grounding_problems(checked) if checked.sound < checked.total else []

    def request(messages: list[dict[str, str]]) -> GenerationRequest:
        return _request(case, prompt, messages, schema, shown)

    def spend(reply: EngineReply) -> None:
        if options.budget is not None:
            options.budget.add(reply.prompt_tokens, reply.completion_tokens)

    messages = initial_messages(case, prompt, options.language, shown, schema)
    result = await validated_call(engine, messages, request, validate, max_attempts=options.max_attempts,
                                  reask=_reask_for(style), keep_flawed=True, on_reply=spend)  # fmt: skip
    summary, checked = result.value
    return summary, checked, result.stats


def first_request(case: CaseStudy, prompt: Prompt, language: str) -> GenerationRequest:
    """The first request a run makes for a whole case: what `doctor` measures."""
    shown = segment(case.text)
    schema = answers.answer_schema(evidence_style(prompt), [s.id for s in shown])
    return _request(case, prompt, initial_messages(case, prompt, language, shown, schema), schema, shown)


def _request(case: CaseStudy, prompt: Prompt, messages: list[dict[str, str]], schema: dict[str, Any],
             shown: Sequence[Sentence]) -> GenerationRequest:  # fmt: skip
    return GenerationRequest(case=case, prompt=prompt, messages=messages, schema=schema,
                             evidence_style=evidence_style(prompt), sentences=tuple(shown),
                             prompt_has_schema="schema" in prompt.placeholders)  # fmt: skip


def initial_messages(
    case: CaseStudy, prompt: Prompt, language: str, sentences: Sequence[Sentence] | None = None,
    schema: dict[str, Any] | None = None,
) -> list[dict[str, str]]:  # fmt: skip
    """The prompt filled in for one case (or the piece of it in `sentences`): the case text goes between markers
    no source can forge. A template shows it as text (`case_text`) or numbered sentences (`case_sentences`)."""
    every = segment(case.text)
    shown = tuple(sentences) if sentences is not None else every
    if schema is None:
        schema = answers.answer_schema(evidence_style(prompt), [s.id for s in shown])
    whole = len(shown) == len(every) or not shown
    return prompt.render(
        case_text=case.text if whole else case.text[shown[0].start : shown[-1].end],
        case_sentences=numbered(shown),
        title=case.title,
        source_name=case.path,
        delimiter=case.sha256[:16],
        language=language_name(language),
        schema=answers.schema_text(schema),
    )


def parse_answer(
    text: str | None, style: str = answers.QUOTES, sentences: Mapping[int, Sentence] | None = None
) -> tuple[CaseSummary | None, list[str]]:
    """The summary, with cited ids resolved to their sentences, or a list of precise problems to show the model."""
    answer, problems = parse_model(text or "", answers.ANSWER_MODELS[style])
    if answer is None:
        return None, problems
    return answers.to_summary(answer, sentences)


def grounding_problems(checked: Grounding) -> list[str]:
    """Each point's problems, for the model asked again: evidence not in the source, then evidence that does
    not back what the point says."""
    problems = [f"{path}: {why}: {quote!r}" for path, point in checked.points.items()
                for quote, why in point.problems()]  # fmt: skip
    problems += [f"{path}: needs evidence from the case study" for path, p in checked.points.items()
                 if not p.supported and not p.missing]  # fmt: skip
    problems += [f"{path}: {why}" for path, point in checked.points.items() for why in point.unsupported]
    return problems


def _reask_for(style: str) -> Callable[[list[str]], str]:
    rule = ("Cite evidence only by the numbers in square brackets before the case study's sentences, and only "
            "sentences that state what the point says." if style == answers.SENTENCES else
            "Every evidence quote must be copied exactly, character for character, from the case study.")  # fmt: skip

    def reask(problems: list[str]) -> str:
        listed = "\n".join(f"- {p}" for p in problems[:20])
        return (f"Your answer could not be used. Problems found:\n{listed}\n"
                f"Reply again with the complete JSON object only. {rule} Leave a section empty rather than invent.")  # fmt: skip

    return reask
