"""Where a point's evidence is in its source text, as character spans to highlight.

The ONE place that turns evidence into spans. A cited sentence carries its span in the text the record was made
from, which the queue keeps: it is used as it is whenever the text shown still holds the sentence there. A typed
quote (a reviewer's, a record made before citations, the quoting prompt) is looked for in the source text the way
grounding compares them (case, curly quotes, dashes and spacing folded; an ellipsis splits a quote into parts
found in order).
"""

from __future__ import annotations

from ..domain import grounding
from ..domain.models import Point


def spans(point: Point, source_text: str) -> list[tuple[int, int]]:
    """(start, end) offsets into `source_text` of each part of each of the point's quotes that is there, in order."""
    folded: str | None = None  # folded once, and only when a quote must be looked for
    offsets: list[int] = []
    found: list[tuple[int, int]] = []
    for item in point.evidence:
        if item.start is not None and item.end is not None and source_text[item.start : item.end] == item.text:
            found.append((item.start, item.end))
            continue
        if folded is None:
            folded, offsets = _folded(source_text)
        quote = item.text
        cursor = 0
        for part in grounding.ELLIPSIS.split(quote):
            needle = _folded(part)[0].strip(" \"'")
            if len(needle) < 3:
                continue
            at = folded.find(needle, cursor)
            if at < 0:
                break  # the rest of an elided quote would be found out of order, so not at all
            end = at + len(needle)
            found.append((offsets[at], offsets[end - 1] + 1))
            cursor = end
    return sorted(found)


def _folded(text: str) -> tuple[str, list[int]]:
    """The text case-folded, quotes and dashes made plain, every run of white space one space; and for each of its
    characters, the offset in `text` it came from."""
    out: list[str] = []
    offsets: list[int] = []
    space = False
    for i, char in enumerate(text):
        if char.isspace():
            if not space and out:
                out.append(" ")
                offsets.append(i)
            space = True
            continue
        space = False
        for folded in char.translate(grounding.FOLD).casefold():
            if folded == " ":
                out.append(" ")
            else:
                out.append(folded)
            offsets.append(i)
    return "".join(out), offsets
