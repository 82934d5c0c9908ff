"""Is this file a case study at all? A data dictionary, a form, a list of links or a table dump is not, and
summarising one anyway gives a record that reads like a case ("uses AI", an outcome made of a column description)
that a reviewer has to notice and reject.

The decision: such a file is **not summarised**. The run lists it under its own result, "not a case study", with
the verdict and the figures behind it ("a data dictionary: 291 of 294 lines are 'name: description' pairs or table
rows, and the same labels repeat ('data type' 36 times)"), and keeps it with the run's failures, so nothing lands
in the queue. Flagging the record instead would still cost a call and a reviewer's time for a record that is wrong
from its first point. A user who disagrees has the last word: `trendsum summarise --summarise-anyway`.

The heuristics look at the text only, line by line, and judge only what dominates a file: a case study with a
small table, a few "Challenge: ..." lines or a short list of links at the end is prose with some structure and is
never flagged; nor is one laid out with labels whose values are sentences (an interview's "Q:"/"A:", a round-up's
"Outcome: ..."), a contents page's dot leaders, or a table whose cells are sentences. Each threshold was checked against real case studies (18F, HM Land Registry) and the shipped
inputs, none of which is flagged, and against a real data dictionary, which is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..domain.sentences import segment

# Below this many lines of content there is too little to judge; the summariser deals with near-empty files.
MIN_LINES = 5
# Share of the content lines a kind must reach to be what the file *is*, not a part of it.
FORM_SHARE = 0.3  # a form is prose instructions around its fields, so the fields need not be most of it
LINK_SHARE = 0.6
STRUCTURED_SHARE = 0.6  # pairs and table rows together, for a data dictionary or a table dump
ROW_SHARE = 0.7  # a table with a few paragraphs around it (a README listing files) is a document, not a dump
MIN_FORM_FIELDS = 4
MIN_LINKS = 5
MIN_STRUCTURED = 6
# A data dictionary describes many fields with the same few labels ("Type:", "Description:"); a case study laid out
# as "Challenge: ... / Approach: ... / Outcome: ..." uses each label once.
MIN_LABEL_REPEATS = 3
# A "label: value" line or table cell whose value is a sentence this long is prose laid out with a label (an
# interview's "Q:"/"A:", a round-up's "Outcome: ..."), not a field being described
MIN_SENTENCE_WORDS = 6

_LIST_MARKER = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-z][.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")
_SEPARATOR = re.compile(r"^\s*(?:[-=*_]{3,}|\|?[\s:|-]*-{3,}[\s:|-]*\|?)\s*$")  # "---", "|---|:--|", "===="
_MARKDOWN_LINK = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*\)")
_BARE_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
# "Name: ____", "Date: ......", "[ ]", "☐"; not a contents line's dot leader before its page ("Background .... 3")
_BLANK_FIELD = re.compile(r"_{4,}|\.{6,}(?![.\s]*\d{1,4}\s*$)|\[[ \t]?\]|[\u2610\u25a1]")
_TICK = re.compile(r"\b(?:please\s+)?(?:tick|circle|check)\s+(?:one|all|the\s+box|a\s+box|as\s+appropriate)\b"
                   r"|\bplease\s+(?:tick|circle)\b", re.I)  # fmt: skip
# "Data Type: free text": a short label (no sentence punctuation), a colon, then a value
_PAIR = re.compile(r"^([A-Za-z][\w /()'&-]{0,40}?)\s*:\s+\S")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
_FIELD_HEADERS = frozenset("field column variable attribute element property name".split())
_DESCRIPTION_HEADERS = frozenset("type description definition meaning format values datatype".split())


@dataclass(frozen=True)
class LineCounts:
    """What the content lines of a text are (headings and rules not counted): the figures a verdict cites."""

    lines: int
    rows: int  # table rows: Markdown "| a | b |", tab- or comma-separated cells
    pairs: int  # "label: value"
    fields: int  # blank form fields and tick boxes
    links: int  # a URL or Markdown link with hardly any words around it
    labels: Counter[str]  # how often each pair label occurs, lower-cased
    header: tuple[str, ...]  # the cells of the first table row, lower-cased
    tick: bool  # "Please tick", "circle one"
    field_labels: Counter[str]  # the labels of pairs whose value is a field's (short), not a sentence
    sentence_rows: int  # table rows with a sentence in a cell


def not_a_case_study(text: str) -> str | None:
    """Why `text` is not a case study ("a data dictionary: ..."), or None when it may be one."""
    counts = count_lines(text)
    n = counts.lines
    if n < MIN_LINES:
        return None
    if counts.fields >= MIN_FORM_FIELDS and (counts.fields >= FORM_SHARE * n or counts.tick):
        return (f"a form: {counts.fields} of {n} lines are blank fields or tick boxes ('Name: ____', '[ ]'), "
                "with nothing filled in to summarise")  # fmt: skip
    if counts.links >= MIN_LINKS and counts.links >= LINK_SHARE * n:
        return f"a list of links: {counts.links} of {n} lines are links with hardly any text of their own"
    structured = counts.rows + counts.pairs
    if structured < MIN_STRUCTURED or structured < STRUCTURED_SHARE * n:
        return None
    repeated = [(label, times) for label, times in counts.field_labels.most_common() if times >= MIN_LABEL_REPEATS]
    if repeated and counts.pairs >= MIN_STRUCTURED // 2:
        label, times = repeated[0]
        return (f"a data dictionary: {structured} of {n} lines are 'name: description' pairs or table rows, "
                f"and the same labels repeat ('{label}' {times} times)")  # fmt: skip
    if counts.rows >= ROW_SHARE * n:
        if counts.sentence_rows and not _describes_fields(counts.header):
            return None  # a case study laid out as a table: its cells are sentences
        if _describes_fields(counts.header):
            shown = ", ".join(f"'{cell}'" for cell in counts.header[:4])
            return f"a data dictionary: {counts.rows} of {n} lines are table rows describing fields (columns {shown})"
        return f"a table dump: {counts.rows} of {n} lines are table rows, with {n - structured} lines of prose"
    return None  # mostly "label: value" lines, each label once: a case study laid out as a fact sheet


def count_lines(text: str) -> LineCounts:
    """Classify each line of content of `text`: a table row, a pair, a form field, a link, or prose."""
    headings = iter(s.start for s in segment(text) if s.heading)  # in text order, as the lines are read
    next_heading = next(headings, len(text))
    rows = pairs = fields = links = lines = sentence_rows = 0
    labels: Counter[str] = Counter()
    field_labels: Counter[str] = Counter()
    header: tuple[str, ...] = ()
    position = 0
    for raw in text.splitlines(keepends=True):
        position += len(raw)
        line = raw.strip()
        heading = next_heading < position
        while next_heading < position:
            next_heading = next(headings, len(text))
        if not line or heading or _SEPARATOR.match(line):
            continue
        lines += 1
        bare = _EMPHASIS.sub("", _LIST_MARKER.sub("", line, count=1)).strip()
        if _BLANK_FIELD.search(line):  # before emphasis is stripped: "____" is a blank, not bold
            fields += 1
        elif _is_link(bare):
            links += 1
        elif (cells := _cells(bare)) is not None:
            rows += 1
            header = header or tuple(cell.lower() for cell in cells)
            # "| Challenge | The council had no way to ... |": a case laid out as a table says things in its cells
            sentence_rows += any(_says_something(cell) for cell in cells)
        elif pair := _PAIR.match(bare):
            pairs += 1
            label = " ".join(pair.group(1).lower().split())
            labels[label] += 1
            # "Type: date" describes a field; "Q: How did you start the work?" or "Outcome: Calls fell by a third
            # in a year." is prose with a label, however often the label repeats (an interview, a round-up)
            if not _says_something(bare[pair.end(1) :].lstrip(" :")):
                field_labels[label] += 1
    return LineCounts(lines, rows, pairs, fields, links, labels, header, bool(_TICK.search(text)), field_labels,
                      sentence_rows)  # fmt: skip


def _says_something(value: str) -> bool:
    """A field's value that is a sentence (six words or more, ending as a sentence does), not a field's value."""
    value = value.strip().rstrip("*_ ")
    return len(value.split()) >= MIN_SENTENCE_WORDS and value.endswith((".", "?", "!"))


def _is_link(line: str) -> bool:
    """A URL or Markdown link with at most a few words of its own ("Read more: https://...")."""
    rest, found = _MARKDOWN_LINK.subn(" ", line)
    rest, bare = _BARE_URL.subn(" ", rest)
    return bool(found + bare) and len(_WORD.findall(rest)) <= 6


def _cells(line: str) -> list[str] | None:
    """The cells of a table row ("| a | b |", tab- or comma-separated short values), or None for other lines."""
    if line.startswith("|") or line.count("|") >= 2:
        return [cell.strip() for cell in line.strip("|").split("|")]
    for separator in ("\t", ";", ","):
        cells = [cell.strip() for cell in line.split(separator)]
        # prose has commas too: cells of a dump are short and the line is not a sentence
        if len(cells) >= 4 and not line.endswith((".", "!", "?")) and sum(map(len, cells)) / len(cells) < 25:
            return cells
    return None


def _describes_fields(header: tuple[str, ...]) -> bool:
    words = {word for cell in header for word in cell.replace("_", " ").split()}
    return bool(words & _FIELD_HEADERS) and bool(words & _DESCRIPTION_HEADERS)
