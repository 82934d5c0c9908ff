"""One sentence segmenter for the whole of trendsum: the offline engine picks sentences with it, the prompt numbers
them with it and grounding resolves cited ids against it, so all three cut a case study the same way.

Built for the text case studies are made of (Markdown, text pulled from Word/ODT files, CSV columns): headings,
list items and table rows are blocks of their own, a newline inside a paragraph is only a wrapped line, and a full
stop after "e.g.", "No." (before a number), "Dr", an initial or inside "£1.2m", "12.03.2024" or a URL ends nothing.
Every sentence carries its character span in the text it came from, so evidence can be shown and highlighted there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (or heading, list item, table row) of a source text, numbered from 1 in reading order."""

    id: int  # 1-based, in document order; stable for the same text
    start: int  # character offsets into the text given to segment(): text[start:end] == self.text
    end: int
    text: str  # verbatim, without surrounding whitespace (may contain inner newlines if a sentence wraps)
    paragraph: int  # 0-based index of the block it belongs to (blank-line separated paragraph, heading, list item, row)
    heading: bool  # a heading line (Markdown '#', or a short title-like line standing alone)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MD_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
# "- ", "* ", "+ ", "• ", "1. ", "1) ", "a) ", "a. ", "(a) ", "(iv) ": the marker is layout, not part of the item
_LIST_MARKER = re.compile(
    r"[ \t]*(?:[-*+\u2022\u2023\u25e6\u25aa\u25cf\u2013\u2014\u2043]|\d{1,3}[.)]|[a-z][.)]"
    r"|\((?:[a-z]|[ivx]{1,4}|\d{1,3})\))[ \t]+(?=\S)"
    r"|[ \t]*[-\u2022](?=[A-Z])"  # "-Faster", "\u2022Fewer": a marker someone forgot the space after
)
_TABLE_ROW = re.compile(r"[ \t]*\|")
# A candidate end: sentence punctuation, any closing quotes, brackets or emphasis, then whitespace. Whether it is an
# end depends on the word before it and the character after the whitespace (see _ends_sentence).
_CANDIDATE_END = re.compile(r"(?:[.!?\u2026]+)[\"'\u201d\u2019)\]*_]*(?=[\s\u200b\ufeff])")
# Characters that can open a sentence: capitals, digits, opening quotes and brackets, currency, emphasis, links,
# and the "?" that a bullet becomes when a document passes through the wrong code page.
_OPENERS = frozenset("\"'\u201c\u2018([*_\u00a3$\u20ac#?")
_INVISIBLE = "\u200b\ufeff"  # zero-width space and BOM: spacing copied from web pages and Word

# Abbreviations after which a full stop never ends a sentence (titles before a name, Latin connectives).
_NEVER_FINAL = frozenset(
    """mr mrs ms mx dr prof st cllr rev revd hon sgt capt col gen lt maj supt insp det cmdr cdr gov sen rep
    e.g eg i.e ie cf vs v viz al approx ca c incl esp dept govt assoc""".split()
)
# Abbreviations that end nothing when a number follows ("No. 10", "approx. 300", "Fig. 2", "Jan. 2024").
_BEFORE_NUMBER = frozenset(
    """no nos nr fig figs vol vols p pp para paras art arts sec s ch chap ref tel ext op est min max
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# After initials ("J. Smith", "U.S."), a capital usually continues a name, unless it is a word that usually opens
# a sentence ("... in the U.K. The programme ...").
_SENTENCE_OPENERS = frozenset(
    """the this that these those it its we our they their there he she his her in on at for a an as after before
    by from however but and so if when while with during since although then also each all some many most one
    two three four five six seven eight nine ten""".split()
)
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_NEXT_WORD = re.compile(r"[\w\u2019']+")

# A bare heading: a short line with no end punctuation that stands alone, or opens a block and is followed by a line
# that starts a sentence ("Lessons learnt" / "We found that ...").
_HEADING_MAX_WORDS = 10
_HEADING_MAX_CHARS = 80
# longer, and a line followed by text is more likely the first of a wrapped one, or an item of a list
_HEADING_BEFORE_TEXT_MAX_CHARS = 60
_HEADING_BEFORE_TEXT_MAX_WORDS = 7
# A list typed one item a line without markers: its lines do not end in a word that joins them to the next
_JOINING_WORDS = frozenset("a an the and or of to in on for with by from as at that which who is are was were".split())
_SHORT_LINE = 40
_INLINE_BULLET = re.compile("\u2022")


# A case is cut once however many stages ask (the run, the prompt, each check of each answer): the result is
# immutable, and a run works on a few texts at a time (its concurrency): no more are kept, so memory stays flat.
@functools.lru_cache(maxsize=8)
def segment(text: str) -> tuple[Sentence, ...]:
    """The sentences of `text` in reading order, each with its span: `text[s.start:s.end] == s.text`."""
    blocks = _blocks(text)
    sentences: list[Sentence] = []
    paragraph = 0
    for start, end, kind in blocks:
        spans = [(start, end)] if kind in ("heading", "row") else _split(text, start, end)
        kept = [piece for s, e in spans if _has_word(text, s, e) for piece in _bounded(text, s, e)]
        if not kept:
            continue
        for s, e in kept:
            sentences.append(Sentence(len(sentences) + 1, s, e, text[s:e], paragraph, kind == "heading"))
        paragraph += 1
    return tuple(sentences)


# A "sentence" longer than this is text without sentence ends (a 2 MB line of words, a table flattened to one
# line): it is cut at the last space before the limit, so no point, prompt line or highlight is a megabyte.
MAX_SENTENCE_CHARS = 1_000


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) cut into pieces of at most MAX_SENTENCE_CHARS, at spaces where there are any."""
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return [(s, e) for s, e in pieces if _has_word(text, s, e)]


def numbered(sentences: Sequence[Sentence]) -> str:
    """The compact form a prompt shows: `[12] text` a line, a blank line between paragraphs, spacing folded."""
    lines: list[str] = []
    previous: int | None = None
    for sentence in sentences:
        if previous is not None and sentence.paragraph != previous:
            lines.append("")
        lines.append(f"[{sentence.id}] {' '.join(sentence.text.split())}")
        previous = sentence.paragraph
    return "\n".join(lines)


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, without its line break; CRLF, CR and LF all end a line."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return spans


def _blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each block, whitespace trimmed: kind is heading, item, row or paragraph."""
    lines = _lines(text)
    last_text_line = max((i for i, (s, e) in enumerate(lines) if text[s:e].strip()), default=-1)
    blocks: list[tuple[int, int, str]] = []
    current: list[tuple[int, int]] = []  # (start, end) of each line of the paragraph or list item being gathered
    current_kind = "paragraph"

    def flush() -> None:
        if not current:
            return
        if current_kind == "paragraph" and _line_list(text, current):
            blocks.extend((start, end, "item") for start, end in current)
        else:
            blocks.append((current[0][0], current[-1][1], current_kind))
        current.clear()

    for index, (line_start, line_end) in enumerate(lines):
        line = text[line_start:line_end]
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        lead = line_start + (len(line) - len(line.lstrip()))
        trail = line_start + len(line.rstrip())
        if _MD_HEADING.match(stripped):
            flush()
            blocks.append((lead, trail, "heading"))
            continue
        if _TABLE_ROW.match(line):
            flush()
            blocks.append((lead, trail, "row"))
            continue
        marker = _LIST_MARKER.match(line)
        if marker is not None:
            flush()
            current_kind = "item"
            current.append((line_start + marker.end(), trail))
            continue
        if current and current_kind == "item" and not (line[:1].isspace() or stripped[:1].islower()):
            flush()  # an item goes on only on an indented line, or one that carries on its sentence in lower case
        # a heading can follow a finished sentence without a blank line (text from Word often has none)
        after_sentence = not current or _completes_sentence(text, current[-1][1])
        if after_sentence and _bare_heading(text, lines, index, last_text_line):
            flush()
            blocks.append((lead, trail, "heading"))
            continue
        if not current:
            current_kind = "paragraph"
        current.append((lead, trail))
    flush()
    return blocks


def _completes_sentence(text: str, end: int) -> bool:
    return text[end - 1 : end] in (".", "!", "?", ":", "\u2026")


def _line_list(text: str, lines: list[tuple[int, int]]) -> bool:
    """A list written without markers, one item a line ("Faster replies" / "Fewer errors" / "Lower cost"), rather
    than a paragraph wrapped at a fixed width: three lines or more, none but the last ending mid-sentence (a comma,
    a joining word) or a sentence, and each new line opening with a capital, or all of them short."""
    if len(lines) < 3:
        return False
    for start, end in lines[:-1]:
        last_word = text[start:end].rsplit(None, 1)[-1].lower()
        if text[end - 1] in ",;-\u2013\u2014/&" or last_word in _JOINING_WORDS:
            return False
    if all(text[start].isupper() or text[start].isdigit() or text[start] in _OPENERS for start, _ in lines[1:]):
        return True
    return all(end - start <= _SHORT_LINE for start, end in lines)


def _bare_heading(text: str, lines: list[tuple[int, int]], index: int, last_text_line: int) -> bool:
    """A short title-like line with no end punctuation and a capital first, that stands alone or is followed by a
    sentence, with more text after it (a short last line, or a whole text of one short line, is a sentence)."""
    stripped = text[lines[index][0] : lines[index][1]].strip().strip("*_").strip()  # "**Results**" too
    if not stripped or len(stripped) > _HEADING_MAX_CHARS or len(stripped.split()) > _HEADING_MAX_WORDS:
        return False
    if not (stripped[:1].isupper() or stripped[:1].isdigit()) or stripped[-1] in ".!?,;\u2026\"'\u201d\u2019":
        return False
    if not any(ch.isalpha() for ch in stripped):
        return False
    if index >= last_text_line:
        return False
    following = text[lines[index + 1][0] : lines[index + 1][1]]
    if not following.strip() or _MD_HEADING.match(following.strip()) or _LIST_MARKER.match(following):
        return True
    if _TABLE_ROW.match(following):
        return True
    after = following.strip()
    # "Lessons learnt" / "We found that ...": the line after must read as prose, not as the next short line of a list
    prose = len(after) > _HEADING_BEFORE_TEXT_MAX_CHARS or after[-1] in ".!?:\u2026\"'\u201d\u2019)"
    short = len(stripped) <= _HEADING_BEFORE_TEXT_MAX_CHARS and len(stripped.split()) <= _HEADING_BEFORE_TEXT_MAX_WORDS
    return short and prose and (after[0].isupper() or after[0] in _OPENERS)


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph or list item."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _CANDIDATE_END.finditer(text, start, end):
        if match.start() < cursor or not _ends_sentence(text, cursor, match, end):
            continue
        spans.append((cursor, match.end()))
        cursor = match.end()
        while cursor < end and (text[cursor].isspace() or text[cursor] in _INVISIBLE):
            cursor += 1
    if cursor < end:
        spans.append((cursor, end))
    return [piece for span in spans for piece in _at_bullets(text, *span)]


def _at_bullets(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A bullet inside a line ("Key results: \u2022 Faster \u2022 Cheaper") starts an item: cut before it."""
    if text.find("\u2022", start, end) < 0:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for match in _INLINE_BULLET.finditer(text, start, end):
        if match.start() > start and not text[match.start() - 1].isspace():
            continue  # "A\u2022B" is not a list
        before = text[start : match.start()].rstrip()
        if before.strip("\u2022 \t"):
            pieces.append((start, start + len(before)))
        start = match.start() + 1  # the bullet itself is layout
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _ends_sentence(text: str, cursor: int, match: re.Match[str], end: int) -> bool:
    following = match.end()
    while following < end and (text[following].isspace() or text[following] in _INVISIBLE):
        following += 1
    if following >= end:
        return False  # the block's own end closes the last sentence
    opener = text[following]
    if not (opener.isupper() or opener.isdigit() or opener in _OPENERS):
        return False
    punctuation = match.group(0).rstrip("\"'\u201d\u2019)]*_")
    if punctuation != ".":
        return True  # "!", "?", or an ellipsis before a capital
    word = _word_before(text, cursor, match.start())
    key = word.lower()
    if key in _NEVER_FINAL:
        return False
    if key in _BEFORE_NUMBER and (opener.isdigit() or opener in "\u00a3$\u20ac#"):
        return False
    if word.isdigit() and len(word) <= 2 and _enumerator(text, cursor, match.start(), int(word)):
        return False
    if word and _INITIALS.fullmatch(word + ".") and any(ch.isupper() for ch in word):
        # "J. Smith", "U.S. Army": a capital after initials continues the name unless it opens a sentence
        next_word = _NEXT_WORD.match(text, following)
        return next_word is not None and next_word.group(0).lower() in _SENTENCE_OPENERS
    return True


def _enumerator(text: str, cursor: int, stop: int, number: int) -> bool:
    """Is "3." the number of the next item of a run-in list ("1. paper use; 2. ink use; 3. Staff time")?"""
    before = text[cursor:stop].rstrip()[: -len(str(number))].rstrip()
    if not before:
        return True  # "3." alone would be a sentence of its own: it is the number of what follows
    if number == 1:
        return before[-1] in ":;"
    return re.search(rf"(?<![\d.]){number - 1}[.)]\s", text[cursor:stop]) is not None


def _word_before(text: str, cursor: int, stop: int) -> str:
    """The word the full stop at `stop` follows, without opening quotes or brackets: "(Dr." gives "Dr"."""
    begin = stop
    while begin > cursor and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:stop].lstrip("\"'\u201c\u2018([*_")


def _has_word(text: str, start: int, end: int) -> bool:
    """Rules ("---"), table separators and stray punctuation are layout, not sentences."""
    return any(ch.isalnum() for ch in text[start:end])
