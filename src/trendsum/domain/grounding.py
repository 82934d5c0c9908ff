"""Is each evidence quote really in the source? Run on every record, whatever engine wrote it."""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from . import support
from .models import CaseSummary, Evidence, Grounding, PointCheck
from .sentences import segment
from .support import FUNCTION_WORDS  # one list: the support check counts content words as grounding does

# A quote must say something: a few characters, a lone word, or common words alone ("of the", "in the
# number of") match almost any source, so each quote (and each part of one cut by an ellipsis) needs
# MIN_QUOTE_CHARS characters and MIN_CONTENT_WORDS words that are not function words; and it must match
# whole words of the source, not "ouncil buil" inside "council building".
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 2
MIN_CONTENT_WORDS = 2
# An ellipsis may shorten a passage, never join two: the parts of an elided quote must lie, in order, within
# one sentence or two adjacent ones. Otherwise "X did Y … fell by 90%" stitches a claim the source never made.
MAX_SENTENCES_SPANNED = 2

# Why a quote is not evidence, in words a reviewer (or a model being re-asked) can act on.
NOT_FOUND = "quote not found in the source"
TOO_LITTLE = "quote says too little to count as evidence (a word or two, or only common words)"
PART_TOO_LITTLE = "a part of the quote around an ellipsis says too little to count as evidence on its own"
PART_NOT_FOUND = "a part of the quote around an ellipsis is not in the source"
OUT_OF_ORDER = "the parts of the quote around an ellipsis are not in the source's order"
NOT_ADJACENT = "quote joins passages that are not adjacent (an ellipsis may only shorten one passage)"

# The characters a faithful copy may have changed, each to its plain form (the web page's highlighter folds text
# with the same table, keeping offsets).
FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "*": " ", "_": " ",
    }
)  # fmt: skip
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
# "…", "..." and the bracketed "[…]" / "(...)" editors write
ELLIPSIS = re.compile(r"\[\s*(?:\.\.\.|\u2026)\s*\]|\(\s*(?:\.\.\.|\u2026)\s*\)|\.\.\.|\u2026")
_WORD = re.compile(r"\w+(?:[.,'-]\w+)*")
# In text already normalised (lower case), any word may start a sentence: a stricter split only refuses more.
_NORMALISED_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?\w)")


def normalise(text: str) -> str:
    """Fold the differences a faithful copy may still have: case, quotes, dashes, spacing, Markdown marks."""
    text = unicodedata.normalize("NFKC", text)
    text = _LINK.sub(r"\1", text).translate(FOLD)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)  # "word ," and "word," are the same quote
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class SourceText:
    """A source normalised for matching, with where each of its sentences starts."""

    text: str
    sentence_starts: tuple[int, ...]

    def sentence_at(self, offset: int) -> int:
        return bisect.bisect_right(self.sentence_starts, offset) - 1

    def sentence(self, index: int) -> str:
        """The normalised text of the sentence at `index` (in a `prepare`d source: sentence id - 1)."""
        ends = (*self.sentence_starts[1:], len(self.text) + 1)
        return self.text[self.sentence_starts[index] : ends[index] - 1]


def prepare(source_text: str) -> SourceText:
    """Normalise the source once per check, noting where each sentence (or heading, list item, row) begins: the
    sentences of `domain.sentences`, which the prompt numbers and the offline engine picks from."""
    # one piece a sentence, none left out (each has a word, see `segment`): the index of a piece is its id - 1
    sentences = [normalise(sentence.text) for sentence in segment(source_text)]
    starts, offset = [], 0
    for sentence in sentences:
        starts.append(offset)
        offset += len(sentence) + 1  # joined by one space
    return SourceText(" ".join(sentences), tuple(starts) or (0,))


def quote_in_source(quote: str, source: SourceText | str) -> bool:
    """True when the quote is in the source and says enough; see `quote_problem`."""
    return quote_problem(quote, source) is None


def quote_problem(quote: str, source: SourceText | str) -> str | None:
    """Why the quote is not evidence from the source, or None when it is.

    `source` is a `prepare`d source, or text already `normalise`d (its sentences are then found by their
    punctuation alone). A quote cut by an ellipsis must have every part say enough on its own, and the parts
    must lie in order within one sentence or two adjacent ones.
    """
    if isinstance(source, str):
        source = SourceText(source, (0, *(m.end() for m in _NORMALISED_SENTENCE_END.finditer(source))))
    fragments = parts(quote)
    if len(fragments) <= 1:
        if not fragments or not substantial(fragments[0]):
            return TOO_LITTLE
        return None if _find_whole_words(fragments[0], source.text, 0) >= 0 else NOT_FOUND
    if not all(substantial(f) for f in fragments):
        return PART_TOO_LITTLE
    if any(_find_whole_words(f, source.text, 0) < 0 for f in fragments):
        return PART_NOT_FOUND
    start = _find_whole_words(fragments[0], source.text, 0)
    while start >= 0:
        end = _end_of_rest(fragments, source.text, start)
        if end < 0:  # a later start can only find the other parts later still: no order fits
            return OUT_OF_ORDER
        if source.sentence_at(end - 1) - source.sentence_at(start) < MAX_SENTENCES_SPANNED:
            return None
        start = _find_whole_words(fragments[0], source.text, start + 1)
    return NOT_ADJACENT


def parts(quote: str) -> list[str]:
    """The quote normalised, cut at each ellipsis into the parts that must each be in the source."""
    return [part for piece in ELLIPSIS.split(quote) if (part := normalise(piece).strip(" \"'"))]


def _end_of_rest(fragments: list[str], text: str, start: int) -> int:
    """Where the last part ends when the first is at `start` and each other follows as early as it can; -1 if
    one does not follow."""
    end = start + len(fragments[0])
    for fragment in fragments[1:]:
        found = _find_whole_words(fragment, text, end)
        if found < 0:
            return -1
        end = found + len(fragment)
    return end


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


def check(summary: CaseSummary, source_text: str, language: str = "en") -> Grounding:
    """Check every point: is each piece of its evidence in the source (a cited sentence at its span, else found
    as a quote), and does its evidence back what the point says (`support`). `language` is the summary's: points
    written in another language than English are taken as translated from their evidence (`support.problems`)."""
    source = prepare(source_text)
    names = _names(summary, source.text)
    points: dict[str, PointCheck] = {}
    for path, point in summary.points():
        problems = [(item.text, why) for item in point.evidence
                    if (why := evidence_problem(item, source_text, source)) is not None]  # fmt: skip
        points[path] = PointCheck(
            supported=bool(point.evidence) and not problems,
            missing=[quote for quote, _ in problems],
            reasons=[why for _, why in problems],
            unsupported=support.problems(point.text, point.quotes, names, translated=language != "en"),
        )
    return Grounding(points=points, support_checked=True)


def with_support(summary: CaseSummary, checked: Grounding, language: str = "en") -> Grounding:
    """A stored check complete with the support check, which needs only the summary: checks stored before it
    existed get it as they are read (their versions are never rewritten)."""
    if checked.support_checked:
        return checked
    names = _names(summary)
    translated = language != "en"
    points = {path: check.model_copy(update={"unsupported": support.problems(point.text, point.quotes, names,
                                                                              translated=translated)})
              for path, point in summary.points() if (check := checked.points.get(path)) is not None}  # fmt: skip
    return Grounding(points=points, support_checked=True)


def _names(summary: CaseSummary, source: str | None = None) -> list[str]:
    """The record's details a proper name in a point may come from instead of its evidence. With the (prepared)
    source, the organisation counts only if the source names it: else a model could invent a body ("Council and
    Government", SmolLM2 wrote) and then name it in every point. The nation may be inferred (Fife is in
    Scotland) and the title is the record's own."""
    organisation = summary.organisation
    if organisation and source is not None and normalise(organisation) not in source:
        organisation = None
    return [name for name in (organisation, summary.nation, summary.title) if name]


def evidence_problem(item: Evidence, source_text: str, source: SourceText) -> str | None:
    """Why this piece of evidence is not in the source, or None. A cited sentence is checked at its span; one
    whose span no longer holds it (the text changed) is looked for as a quote, like typed evidence."""
    if item.start is not None and item.end is not None and source_text[item.start : item.end] == item.text:
        return None
    return quote_problem(item.text, source)
