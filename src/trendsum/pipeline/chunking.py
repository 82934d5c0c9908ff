"""Long case studies: cut the case's sentences into pieces a model can read, between paragraphs where possible,
then merge the pieces' summaries into one (map-reduce). Every piece keeps the sentences' ids and spans in the
whole case, so a cited sentence, or a quote, of a piece is evidence in the whole."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..domain import grounding
from ..domain.models import SECTIONS, CaseSummary, Point
from ..domain.sentences import Sentence

CHARS_PER_TOKEN = 4  # a cautious estimate for English prose; real tokenisers give 4 to 5
MAX_POINTS_MERGED = 6


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def group(sentences: Sequence[Sentence], max_tokens: int, max_sentences: int) -> list[tuple[Sentence, ...]]:
    """The case's sentences in pieces of at most `max_tokens` (estimated) and `max_sentences`, cut between
    paragraphs where one fits, else between sentences. A sentence is never cut: one longer than the limit
    is a piece of its own (it is evidence only whole)."""
    limit = max(200, max_tokens) * CHARS_PER_TOKEN
    pieces: list[list[Sentence]] = []
    size = 0
    for paragraph in _paragraphs(sentences):
        length = sum(len(s.text) + 8 for s in paragraph)  # "[123] " and a newline
        if pieces and size + length <= limit and len(pieces[-1]) + len(paragraph) <= max_sentences:
            pieces[-1].extend(paragraph)
            size += length
            continue
        if length <= limit and len(paragraph) <= max_sentences:
            pieces.append(list(paragraph))
            size = length
            continue
        for sentence in paragraph:  # a paragraph too long for a piece of its own: cut between its sentences
            cost = len(sentence.text) + 8
            if pieces and size + cost <= limit and len(pieces[-1]) < max_sentences:
                pieces[-1].append(sentence)
                size += cost
            else:
                pieces.append([sentence])
                size = cost
    return [tuple(piece) for piece in pieces]


def _paragraphs(sentences: Sequence[Sentence]) -> list[list[Sentence]]:
    paragraphs: list[list[Sentence]] = []
    for sentence in sentences:
        if paragraphs and paragraphs[-1][-1].paragraph == sentence.paragraph:
            paragraphs[-1].append(sentence)
        else:
            paragraphs.append([sentence])
    return paragraphs


def merge(parts: list[CaseSummary], title: str) -> CaseSummary:
    """One summary from the summaries of a document's pieces, in document order, without repeats."""
    first = parts[0]

    def vote(field: str) -> object:
        values = [getattr(p, field) for p in parts if getattr(p, field) is not None]
        return Counter(values).most_common(1)[0][0] if values else None

    merged: dict[str, list[Point]] = {}
    for section in SECTIONS:
        seen: set[str] = set()
        points: list[Point] = []
        for part in parts:
            for point in getattr(part, section):
                key = grounding.normalise(point.text)
                if key not in seen:
                    seen.add(key)
                    points.append(point)
        merged[section] = points[:MAX_POINTS_MERGED]
    return CaseSummary(
        title=re.sub(r"\s*\(part \d+ of \d+\)\s*$", "", first.title) or title,
        organisation=vote("organisation"),  # type: ignore[arg-type]
        nation=vote("nation"),  # type: ignore[arg-type]
        year=vote("year"),  # type: ignore[arg-type]
        trend=vote("trend"),  # type: ignore[arg-type]
        ai_application=next((p.ai_application for p in parts if p.ai_application), None),
        overview=first.overview,
        **merged,
    )
