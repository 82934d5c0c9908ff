"""What a model answers, and how an answer becomes a stored summary.

A prompt asks for evidence in one of two styles:

- `SENTENCES`: the case is shown as numbered sentences (`domain.sentences`) and each point cites the ids of the
  sentences that state it. The answer is short (an id costs a token or two, a quote dozens), and in strict
  `json_schema` mode the ids are an enum of the case's own ids, defined once in `$defs`: a model cannot cite a
  sentence that is not there. In other modes the ids are checked after the answer, and a bad one is named when
  the model is asked again. Each id resolves to the verbatim sentence and its span in the source text.
- `QUOTES`: each point carries quotes copied from the case, found in the source by the grounding check. Kept for
  endpoints where ids work badly (`trendsum doctor` says which style works), and for earlier prompt versions.

The answer models differ from the stored `CaseSummary` only in their points' evidence; their JSON schema titles
are the stored model's, so a model reads the same names either way.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field, StrictInt

from .models import CaseSummary, Evidence, SummaryOf, _Strict, point_dicts
from .sentences import Sentence

SENTENCES, QUOTES = "sentences", "quotes"
# OpenAI's structured outputs take at most 1,000 enum values in a schema: a longer case is cut into pieces
# (pipeline.chunking), each citing its own sentences.
MAX_IDS_PER_CALL = 1000
# A point states what one to a few sentences say; a grammar-constrained small model left unbounded lists ids
# until its tokens run out (SmolLM2 cited 1, 2, 3 ... 28, 3, 4 ... for 1,000 tokens).
MAX_CITED = 6
_POINT_TEXT = "One or two plain-English sentences stating the point, written for a public-sector reader."


class QuotedPoint(_Strict):
    """One statement of a section, backed by quotes from the source."""

    model_config = ConfigDict(title="Point")

    text: str = Field(description=_POINT_TEXT)
    evidence: list[str] = Field(
        min_length=1,
        description=(
            "One or more quotes copied character for character from the case study that support the point. "
            "Copy whole phrases or sentences exactly; never paraphrase, translate or join separate passages."
        ),
    )


class CitedPoint(_Strict):
    """One statement of a section, citing the numbered sentences of the source that state it."""

    model_config = ConfigDict(title="Point")

    text: str = Field(description=_POINT_TEXT)
    evidence: list[StrictInt] = Field(  # `true`, "3" or 3.0 is no sentence id, whatever a lenient parser says
        min_length=1,
        max_length=MAX_CITED,
        description=(
            "The ids of the case study's sentences that state what the point says: the numbers in square "
            "brackets before them, e.g. [4, 5]. Every figure, name and date in the point must be in a cited sentence."
        ),
    )


class QuotedSummary(SummaryOf[QuotedPoint]):
    """A case study in the five-part format of the Public Sector Digital Trends report."""

    model_config = ConfigDict(title="CaseSummary")


class CitedSummary(SummaryOf[CitedPoint]):
    """A case study in the five-part format of the Public Sector Digital Trends report."""

    model_config = ConfigDict(title="CaseSummary")


ANSWER_MODELS: dict[str, type[SummaryOf[Any]]] = {SENTENCES: CitedSummary, QUOTES: QuotedSummary}


@functools.cache
def _base_schema(style: str) -> dict[str, Any]:
    """The answer model's schema, its point named "Point" as in the stored model (pydantic names `$defs` by
    class), so that a quoting prompt sends the very schema it always did."""
    schema = ANSWER_MODELS[style].model_json_schema()
    point = ANSWER_MODELS[style].model_fields["overview"].annotation.__name__  # type: ignore[union-attr]
    schema["$defs"]["Point"] = schema["$defs"].pop(point)
    return json.loads(json.dumps(schema).replace(f'"#/$defs/{point}"', '"#/$defs/Point"'))


def answer_schema(style: str, ids: Sequence[int] = ()) -> dict[str, Any]:
    """The JSON schema of an answer in `style`; for `SENTENCES`, evidence ids are limited to `ids`."""
    if style == QUOTES:
        return _base_schema(QUOTES)
    if not ids:
        raise ValueError("a schema that cites sentences needs at least one sentence id")
    schema = copy.deepcopy(_base_schema(SENTENCES))
    schema["$defs"]["SentenceId"] = {"type": "integer", "enum": list(ids),
                                     "description": "The id of one of the case study's numbered sentences."}  # fmt: skip
    schema["$defs"]["Point"]["properties"]["evidence"]["items"] = {"$ref": "#/$defs/SentenceId"}
    return schema


def schema_text(schema: dict[str, Any]) -> str:
    """The schema as a prompt shows it to a model whose response format cannot carry it: compact, and without
    the list of valid ids (the numbered case shows them; a long enum would cost more tokens than the case)."""
    shown = copy.deepcopy(schema)
    shown.get("$defs", {}).get("SentenceId", {}).pop("enum", None)
    return json.dumps(shown, separators=(",", ":"), ensure_ascii=False)


def to_summary(
    answer: SummaryOf[Any], sentences: Mapping[int, Sentence] | None = None
) -> tuple[CaseSummary | None, list[str]]:
    """The stored summary for a validated answer; for cited evidence, each id resolved to its sentence.

    An id that is not among `sentences` (the sentences the model was shown) is a problem naming the point and
    the id, to show the model when it is asked again; nothing is guessed.
    """
    data = answer.model_dump(mode="json")
    if isinstance(answer, QuotedSummary):
        return CaseSummary.model_validate(data), []
    shown = sentences or {}
    problems: list[str] = []

    def resolve(path: str, point: dict[str, Any]) -> None:
        cited: list[dict[str, Any]] = []
        for sentence_id in dict.fromkeys(point["evidence"]):  # a repeated id is one citation
            sentence = shown.get(sentence_id)
            if sentence is None:
                problems.append(f"{path}: cites sentence {sentence_id}, which is not one of the case study's "
                                f"numbered sentences ({_id_range(shown)})")  # fmt: skip
                continue
            cited.append(Evidence(text=sentence.text, sentence=sentence.id, start=sentence.start,
                                  end=sentence.end).model_dump())  # fmt: skip
        point["evidence"] = cited

    for path, point in point_dicts(data):
        resolve(path, point)
    if problems:
        return None, problems
    return CaseSummary.model_validate(data), []


def _id_range(shown: Mapping[int, Sentence]) -> str:
    if not shown:
        return "none were shown"
    ids = sorted(shown)
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"they are numbered {ids[0]} to {ids[-1]}"
    return "the numbers in square brackets"


def as_answer(summary: CaseSummary, style: str, sentences: Sequence[Sentence]) -> dict[str, Any]:
    """What a model answering in `style` would have said to give `summary`: its evidence as quotes, or as the
    ids of the sentences it quotes. For an engine that writes its own summary (offline), whose answer then goes
    through the same validation as any model's. Evidence that is no sentence of `sentences` is looked for inside
    one (a quote of part of a sentence cites that sentence); evidence found nowhere is left out, and a point
    left with none fails validation as any model's would."""
    data = summary.model_dump(mode="json")
    exact = {sentence.text: sentence.id for sentence in reversed(sentences)}  # the first of equal sentences
    at = {sentence.start: sentence for sentence in sentences}

    def evidence(items: list[dict[str, Any]]) -> list[Any]:
        if style == QUOTES:
            return [item["text"] for item in items]
        ids: list[int] = []
        for item in items:
            quote = item["text"]
            placed = at.get(item["start"]) if item.get("start") is not None else None
            if placed is not None and placed.text == quote:  # where it was picked, if a document says it twice
                ids.append(placed.id)
                continue
            found = exact.get(quote) or next((s.id for s in sentences if quote in s.text), None)
            # a quote of part of a sentence cites it; one spanning several, each sentence it holds whole
            ids += [found] if found is not None else [s.id for s in sentences if s.text in quote]
        return list(dict.fromkeys(ids))

    for _, point in point_dicts(data):
        point["evidence"] = evidence(point["evidence"])
    return data
