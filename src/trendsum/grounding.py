"""Is each evidence quote really in the source? Run on every record, whatever engine wrote it."""

from __future__ import annotations

import re
import unicodedata

from .models import CaseSummary, Grounding, PointCheck

# A quote must say something: a lone common word or a few characters would match almost any source.
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 2

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "*": " ", "_": " ",
    }
)  # fmt: skip
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
_ELLIPSIS = re.compile(r"\.\.\.|\u2026")


def normalise(text: str) -> str:
    """Fold the differences a faithful copy may still have: case, quotes, dashes, spacing, Markdown marks."""
    text = unicodedata.normalize("NFKC", text)
    text = _LINK.sub(r"\1", text).translate(_TRANSLATE)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)  # "word ," and "word," are the same quote
    return _SPACE.sub(" ", text).strip().casefold()


def quote_in_source(quote: str, normalised_source: str) -> bool:
    """True when the quote (or each part of it around an ellipsis, in order) is in the source and says enough."""
    position = 0
    fragments = [normalise(part).strip(" \"'") for part in _ELLIPSIS.split(quote)]
    fragments = [f for f in fragments if f]
    if not fragments or not _substantial(" ".join(fragments)):
        return False
    for fragment in fragments:
        found = normalised_source.find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


def _substantial(quote: str) -> bool:
    return len(quote) >= MIN_QUOTE_CHARS and len(quote.split()) >= MIN_QUOTE_WORDS


def check(summary: CaseSummary, source_text: str) -> Grounding:
    """Mark every point whose quotes are not all found in the source text."""
    source = normalise(source_text)
    points: dict[str, PointCheck] = {}
    for path, point in summary.points():
        missing = [quote for quote in point.evidence if not quote_in_source(quote, source)]
        points[path] = PointCheck(supported=bool(point.evidence) and not missing, missing=missing)
    return Grounding(points=points)
