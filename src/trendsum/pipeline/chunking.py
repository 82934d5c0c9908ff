"""Long case studies: split on headings and paragraphs into pieces a model can read, then merge the pieces'
summaries into one (map-reduce). Every quote is a quote of a piece, so it is a quote of the whole."""

from __future__ import annotations

import re
from collections import Counter

from ..domain import grounding
from ..domain.models import SECTIONS, CaseSummary, Point

CHARS_PER_TOKEN = 4  # a cautious estimate for English prose; real tokenisers give 4 to 5
MAX_POINTS_MERGED = 6
_HEADING_LINE = re.compile(r"^#{1,6}\s", re.M)


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def split(text: str, max_tokens: int) -> list[str]:
    """Pieces of at most `max_tokens` (estimated), cut at headings, then paragraphs, then lines, then words."""
    limit = max(200, max_tokens * CHARS_PER_TOKEN)
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for block in _cut(text, limit):
        if pieces and len(pieces[-1]) + len(block) + 2 <= limit:
            pieces[-1] = pieces[-1] + "\n\n" + block
        else:
            pieces.append(block)
    return pieces


def _cut(text: str, limit: int) -> list[str]:
    for separator in (_HEADING_LINE, re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?]) ")):
        if len(text) <= limit:
            return [text.strip()] if text.strip() else []
        starts = [m.start() if separator is _HEADING_LINE else m.end() for m in separator.finditer(text)]
        bounds = [0, *[s for s in starts if 0 < s < len(text)], len(text)]
        parts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]
        if len(parts) > 1:
            return [piece for part in parts for piece in _cut(part, limit)]
    return [text[i : i + limit].strip() for i in range(0, len(text), limit) if text[i : i + limit].strip()]


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
