"""Cross-case analysis per trend: from approved records only, itself reviewed before a report may use it.

With an LLM it is one structured call per trend, through the validated call loop (re-asked with the problems
when the answer is not valid JSON, fails the schema, or cites a case that is not one of the approved cases
given); offline it is `analysis_offline`'s deterministic themes. Either way the result is a pending analysis
in the queue, and the same approved cases with the same prompt and model are never analysed twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from .. import prompts
from ..domain.analysis import (
    ANALYSIS_SCHEMA_VERSION,
    Analysis,
    AnalysisProvenance,
    CaseRef,
    CrossCaseAnalysis,
    analysis_schema_for,
)
from ..domain.labels import SECTION_TITLES, TREND_ORDER, in_trend_order
from ..domain.models import SECTIONS, CaseStudy, Record, Status
from ..engines.base import Engine, GenerationRequest
from ..errors import ReviewError, UsageError
from ..pipeline.structured import CallStats, StructuredCallFailed, parse_model, validated_call
from ..prompts import Prompt
from ..queue import analysis_store, review
from ..queue.kinds import ANALYSIS
from ..queue.store import Saved, Store, now
from ..queue.transitions import APPROVE, REJECT, Actor, ensure_seen, next_status
from . import offline as analysis_offline

DEFAULT_PROMPT = "analyse-v1"
NEW, UPDATED, UNCHANGED, FAILED, NO_CASES = "new", "updated", "unchanged", "failed", "no approved cases"


@dataclass(frozen=True)
class AnalysisOutcome:
    analysis_id: str
    trend: str
    language: str
    result: str
    cases: int = 0
    version: int | None = None
    status: Status | None = None
    reason: str | None = None
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def load_prompt(name: str = DEFAULT_PROMPT) -> Prompt:
    """The analysis prompt: a team's own prompts/ folder may hold only its summary prompts, so the search
    path falls through to the shipped templates."""
    return prompts.load(name)


def approved_cases(store: Store, trend: str, language: str) -> list[Record]:
    """The approved records of a trend in a language: the only material an analysis may draw on."""
    rows = store.rows([Status.APPROVED], trend)
    return [r for r in store.records(rows) if r.provenance.language == language]


def trends_to_analyse(store: Store, trend: str | None) -> list[str]:
    """The trend asked for, or every trend that has approved records, in the report's order."""
    if trend:
        if trend.lower() not in TREND_ORDER:
            raise UsageError(f"Unknown trend {trend!r}: choose one of {', '.join(TREND_ORDER)}.")
        return [trend.lower()]
    found = {row.trend for row in store.rows([Status.APPROVED])}
    return in_trend_order(found)


def cache_key(records: Sequence[Record], engine: str, model: str, prompt_hash: str, language: str) -> str:
    """Same approved texts, prompt, engine, model, schema and language: the same analysis."""
    parts = [f"{r.id}:{r.version}:{hashlib.sha256(r.summary.model_dump_json().encode()).hexdigest()}" for r in records]
    parts += [prompt_hash, engine, model, str(ANALYSIS_SCHEMA_VERSION), language]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def analyse_trend(
    store: Store,
    trend: str,
    language: str,
    engine: Engine | None,
    prompt: Prompt | None,
    *,
    max_attempts: int = 3,
    force: bool = False,
) -> AnalysisOutcome:
    """Analyse one trend's approved cases into a pending analysis; `engine` None means the offline analysis."""
    aid = analysis_store.analysis_id(trend, language)
    records = sorted(approved_cases(store, trend, language), key=lambda r: r.id)
    if not records:
        return AnalysisOutcome(aid, trend, language, NO_CASES)
    if engine is None:
        engine_name, model, prompt_name = "offline", analysis_offline.RULES_NAME, analysis_offline.RULES_NAME
        prompt_hash = analysis_offline.rules_hash()
    else:
        assert prompt is not None
        engine_name, model = engine.name, engine.model
        prompt_name, prompt_hash = engine.prompt_identity(prompt)
    key = cache_key(records, engine_name, model, prompt_hash, language)
    cached = analysis_store.cached_version(store, aid, key)
    if cached is not None and not force:
        if cached == analysis_store.current_version(store, aid):
            return AnalysisOutcome(aid, trend, language, UNCHANGED, len(records), cached)
        earlier = analysis_store.get(store, aid, cached)  # the cases went back to what they were: no new call
        saved = analysis_store.save_generated(store, trend, language, earlier.body, earlier.provenance, key)
        result = UNCHANGED if saved.unchanged else UPDATED
        return AnalysisOutcome(aid, trend, language, result, len(records), saved.version, saved.status)
    if engine is None:
        body, stats = analysis_offline.analyse_offline(records, language), CallStats(attempts=1, mode="extractive")
    else:
        assert prompt is not None
        try:
            body, stats = await generate_analysis(records, trend, language, engine, prompt, max_attempts)
        except StructuredCallFailed as exc:
            return AnalysisOutcome(aid, trend, language, FAILED, len(records), reason=exc.reason, attempts=exc.attempts)
    provenance = AnalysisProvenance(
        engine=engine_name, model=model, prompt_name=prompt_name, prompt_hash=prompt_hash, mode=stats.mode,
        language=language, prompt_tokens=stats.prompt_tokens, completion_tokens=stats.completion_tokens,
        attempts=stats.attempts, created_at=now(), inputs=[_ref(r) for r in records],
    )  # fmt: skip
    saved = analysis_store.save_generated(store, trend, language, body, provenance, key, force=force)
    result = UNCHANGED if saved.unchanged else NEW if saved.created else UPDATED
    return AnalysisOutcome(aid, trend, language, result, len(records), saved.version,
                           saved.status, attempts=stats.attempts, prompt_tokens=stats.prompt_tokens,
                           completion_tokens=stats.completion_tokens)  # fmt: skip


async def generate_analysis(
    records: Sequence[Record], trend: str, language: str, engine: Engine, prompt: Prompt, max_attempts: int
) -> tuple[CrossCaseAnalysis, CallStats]:
    """One structured call for the trend, re-asked while the answer is invalid or cites a case not given."""
    ids = [r.id for r in records]
    text = cases_text(records)
    digest = hashlib.sha256(text.encode()).hexdigest()
    schema = analysis_schema_for(ids)
    messages = prompt.render(trend=trend, language=language, count=str(len(records)), case_ids=", ".join(ids),
                             cases=text, delimiter=digest[:16], schema=json.dumps(schema, indent=1))  # fmt: skip
    material = CaseStudy(analysis_store.analysis_id(trend, language), f"approved cases: {trend}",
                         f"Cross-case analysis: {trend}", text, digest)  # fmt: skip

    def request(messages: list[dict[str, str]]) -> GenerationRequest:
        return GenerationRequest(case=material, prompt=prompt, messages=messages, schema=schema,
                                 schema_name="cross_case_analysis")  # fmt: skip

    def validate(raw: str) -> tuple[CrossCaseAnalysis | None, list[str]]:
        body, problems = parse_model(raw, CrossCaseAnalysis)
        return body, problems if body is None else citation_problems(body, ids)

    result = await validated_call(engine, messages, request, validate, max_attempts=max_attempts, reask=_reask)
    return result.value, result.stats


def citation_problems(body: CrossCaseAnalysis, approved_ids: Sequence[str]) -> list[str]:
    """Every cited case must be one of the approved cases given; an analysis must say something."""
    known = set(approved_ids)
    problems = [
        f"{section}[{i}].cases: {case!r} is not one of the approved case studies given"
        for section, i, finding in body.findings()
        for case in finding.cases
        if case not in known
    ]
    if not any(True for _ in body.findings()):
        problems.append("the analysis has no findings: give at least one, citing the cases it draws on")
    return problems


def _reask(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems[:20])
    return (
        f"Your answer could not be used. Problems found:\n{listed}\n"
        "Reply again with the complete JSON object only. Cite only the case ids given, exactly as written; "
        "say only what the cited cases say."
    )


def cases_text(records: Sequence[Record]) -> str:
    """The approved summaries as the model reads them: id, metadata and the points of each section."""
    blocks = []
    for record in records:
        s = record.summary
        facts = [f"Organisation: {s.organisation or 'not stated'}", f"Nation: {s.nation or 'not stated'}",
                 f"Year: {s.year or 'not stated'}", f"Uses AI: {'yes' if s.ai_application else 'no'}"]  # fmt: skip
        lines = [f"[{record.id}] {s.title}", " · ".join(facts), f"Overview: {_flat(s.overview.text)}"]
        if s.ai_application:
            lines.append(f"Use of AI: {_flat(s.ai_application.text)}")
        for section in SECTIONS:
            points = getattr(s, section)
            if points:
                lines.append(f"{SECTION_TITLES[section]}:")
                lines += [f"- {_flat(p.text)}" for p in points]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _ref(record: Record) -> CaseRef:
    return CaseRef(id=record.id, version=record.version, title=record.summary.title,
                   organisation=record.summary.organisation)  # fmt: skip


# -- review ---------------------------------------------------------------------------------------------------


def changed_inputs(store: Store, analysis: Analysis) -> list[str]:
    """The cases the analysis read that are no longer approved at the version it read, with what changed."""
    refs = {ref.id: ref for ref in analysis.provenance.inputs}
    rows = {row.id: row for row in store.rows(ids=list(refs))}
    changed = []
    for case_id, ref in refs.items():
        row = rows.get(case_id)
        if row is None:
            changed.append(f"{case_id} is gone")
        elif row.status != Status.APPROVED:
            changed.append(f"{case_id} is now {row.status}")
        elif row.approved_version != ref.version:
            changed.append(f"{case_id} was approved again at version {row.approved_version}")
    return changed


def accept(store: Store, analysis_id: str, reviewer: str, note: str | None = None,
           *, expected_version: int | None = None, expected_status: Status | None = None) -> Saved:  # fmt: skip
    """Approve an analysis as `transitions` allows, unless a case it read changed since (then analyse again)."""
    analysis = _seen(store, analysis_id, expected_version, expected_status)
    next_status(Actor.REVIEWER, APPROVE, analysis.status, analysis_id)  # refused before the cases are looked at
    changed = changed_inputs(store, analysis)
    if changed:
        raise ReviewError(
            f"{analysis_id} was made from cases that have changed since ({'; '.join(changed)}). Run "
            f"`trendsum analyse --trend \"{analysis.trend}\"` again and review the new version."
        )
    return store.decide(ANALYSIS, analysis_id, APPROVE, reviewer, note, analysis.version, analysis.status)


def reject(store: Store, analysis_id: str, reviewer: str, note: str | None,
           *, expected_version: int | None = None, expected_status: Status | None = None) -> Saved:  # fmt: skip
    reason = review.rejection_reason(note)
    analysis = _seen(store, analysis_id, expected_version, expected_status)
    return store.decide(ANALYSIS, analysis_id, REJECT, reviewer, reason, analysis.version, analysis.status)


def _seen(store: Store, analysis_id: str, expected_version: int | None, expected_status: Status | None) -> Analysis:
    """The analysis, if it is still at the version (and status) the reviewer saw: else a ConflictError."""
    analysis = analysis_store.get(store, analysis_id)
    ensure_seen(ANALYSIS.show, analysis_id, expected_version, expected_status, analysis.version, analysis.status,
                analysis.reviewed_by)  # fmt: skip
    return analysis


def for_report(store: Store, trend: str, language: str) -> tuple[Analysis | None, str | None]:
    """The approved analysis a report may print for a trend, or why there is none to print."""
    analysis = analysis_store.approved(store, trend, language)
    if analysis is None:
        return None, None
    changed = changed_inputs(store, analysis)
    if changed:
        return None, (
            f"the approved analysis {analysis.id} is left out: cases it draws on changed since "
            f"({'; '.join(changed)}); run `trendsum analyse --trend \"{trend}\"` and review it again"
        )
    return analysis, None

