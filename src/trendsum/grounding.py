"""Is each evidence quote really in the source? Run on every record, whatever engine wrote it."""

from __future__ import annotations

import re
import unicodedata

from .models import CaseSummary, Grounding, PointCheck

# A quote must say something: a few characters, a lone word, or common words alone ("of the", "in the
# number of") match almost any source, so each quote (and each part of one cut by an ellipsis) needs
# MIN_QUOTE_CHARS characters and MIN_CONTENT_WORDS words that are not function words; and it must match
# whole words of the source, not "ouncil buil" inside "council building".
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 2
MIN_CONTENT_WORDS = 2
FUNCTION_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being between both but
    by can could did do does doing down during each either few for from further had has have having he her here
    hers him his how i if in into is it its itself just may me might more most much must my no nor not now of off
    on once one only or other our ours out over own per same she should so some such than that the their theirs
    them then there these they this those through to too two under until up upon us very via was we were what
    when where which while who whom why will with within without would yet you your""".split()
)

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
_WORD = re.compile(r"\w+(?:[.,'-]\w+)*")


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
    if not fragments or not all(substantial(f) for f in fragments):
        return False
    for fragment in fragments:
        found = _find_whole_words(fragment, normalised_source, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


def substantial(quote: str) -> bool:
    """Does the (normalised) quote say enough to count as evidence wherever it is found?"""
    words = _WORD.findall(quote)
    content = [w for w in words if w not in FUNCTION_WORDS]
    return len(quote) >= MIN_QUOTE_CHARS and len(words) >= MIN_QUOTE_WORDS and len(content) >= MIN_CONTENT_WORDS


def _find_whole_words(fragment: str, source: str, start: int) -> int:
    """Where the fragment is in the source from `start`, beginning and ending on word boundaries; -1 if nowhere."""
    found = source.find(fragment, start)
    while found >= 0:
        end = found + len(fragment)
        cut_before = fragment[0].isalnum() and found > 0 and source[found - 1].isalnum()
        cut_after = fragment[-1].isalnum() and end < len(source) and source[end].isalnum()
        if not (cut_before or cut_after):
            return found
        found = source.find(fragment, found + 1)
    return -1


def check(summary: CaseSummary, source_text: str) -> Grounding:
    """Mark every point whose quotes are not all found in the source text."""
    source = normalise(source_text)
    points: dict[str, PointCheck] = {}
    for path, point in summary.points():
        missing = [quote for quote in point.evidence if not quote_in_source(quote, source)]
        points[path] = PointCheck(supported=bool(point.evidence) and not missing, missing=missing)
    return Grounding(points=points)
