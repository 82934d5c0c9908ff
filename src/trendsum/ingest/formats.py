"""Text out of each kind of file a council sends, one function per format, all speaking the same Markdown.

Headings come out as '#' lines, list items as '- ' lines and table rows as '| a | b |' lines, so the engines
see a document's structure whatever it was written in (the offline engine finds its sections by heading).
Every function raises IngestError with a reason a person can act on: parsers of untrusted files fail in many
ways, and each of those ways becomes such a reason rather than a traceback.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

from ..errors import IngestError

# pypdf logs every oddity of a damaged file; the run summary already says what matters about it.
logging.getLogger("pypdf").setLevel(logging.ERROR)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # --max-bytes unless told otherwise
# A .docx or .odt is a zip: what it inflates to is bounded by a multiple of --max-bytes, so that a small file
# cannot unpack into gigabytes. Real documents inflate 3 to 6 times, a bare Word template 22 times (its styles
# alone are 800 KB), hence the floor that keeps small --max-bytes values from refusing ordinary documents.
INFLATE_FACTOR = 5
MIN_INFLATE_LIMIT = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000  # Word and LibreOffice write tens; many thousands is a zip bomb of another kind
_CHUNK = 1024 * 1024


@dataclass
class Block:
    """One block of a document before it becomes Markdown."""

    kind: str  # heading, para, item, row
    text: str
    level: int = 0  # heading level, or list depth
    bold: bool = False  # every character bold: with `size`, how a heading looks when no style says so
    size: float | None = None  # font size in points, when the format says


def to_markdown(blocks: list[Block]) -> str:
    """Blocks as Markdown; documents without heading styles get their visual headings promoted first."""
    if not any(b.kind == "heading" for b in blocks):
        blocks = promote_visual_headings(blocks)
    lines: list[str] = []
    previous = ""
    for block in blocks:
        text = block.text.strip() if block.kind == "para" else " ".join(block.text.split())
        if not text:
            continue
        pair = _label_value(text) if block.kind == "para" else None
        if pair:
            block, text = Block("row", text), " | ".join(pair)
        if lines and not (block.kind == previous and block.kind in ("item", "row")):
            lines.append("")  # blank line between blocks; list items and table rows stay together
        if block.kind == "heading":
            text = "#" * min(max(block.level, 1), 6) + " " + text
        elif block.kind == "item":
            text = "  " * block.level + "- " + text
        elif block.kind == "row":
            text = f"| {text} |"  # a Markdown table row: the engines read it as data, not as a sentence
        lines.append(text)
        previous = block.kind
    return "\n".join(lines)


_ALIGNMENT = re.compile(r"[ \u00a0]*(?:\t|[ \u00a0]{3,})[ \t\u00a0]*")


def _label_value(text: str) -> tuple[str, str] | None:
    """'Number of charges<tab>24923': a label and value lined up with tabs or spaces is a table row."""
    parts = _ALIGNMENT.split(text)
    if len(parts) != 2 or "\n" in text or len(text.split()) > 25:
        return None
    label, value = parts[0].strip(), parts[1].strip()
    if not value or len(label.split()) > 6 or sum(ch.isalpha() for ch in label) < 2:
        return None
    return label, value


_HEADING_SHAPE = re.compile(r"^[A-Z0-9\u00c0-\u024f\u2018\u201c'\"(].{0,118}$")


def promote_visual_headings(blocks: list[Block]) -> list[Block]:
    """Short paragraphs set larger or in bold, as people style headings by hand, become headings.

    Larger type ranks above bold body-size type; the largest size is level 1. A candidate must look like a
    heading: one line, at most 14 words, starting with a capital or a digit, not ending like a sentence.
    """
    weights: Counter[float] = Counter()
    for block in blocks:
        if block.kind == "para" and block.size:
            weights[block.size] += len(block.text)
    body = weights.most_common(1)[0][0] if weights else None

    def candidate(block: Block) -> bool:
        text = block.text.strip()
        return (
            block.kind == "para"
            and "\n" not in text
            and len(text.split()) <= 14
            and bool(_HEADING_SHAPE.match(text))
            and not text.endswith((".", ",", ";", ":"))
            and sum(ch.isalpha() for ch in text) >= 3
        )

    def larger(block: Block) -> bool:
        return bool(block.size and body and block.size >= body + 1.5)

    sizes = sorted({b.size for b in blocks if candidate(b) and larger(b) and b.size}, reverse=True)
    promoted: list[Block] = []
    for block in blocks:
        if candidate(block) and larger(block) and block.size:
            block = Block("heading", block.text, sizes.index(block.size) + 1)
        elif candidate(block) and block.bold:
            block = Block("heading", block.text, len(sizes) + 1)
        promoted.append(block)
    return promoted


# -- HTML -------------------------------------------------------------------------------------------------

_DROP_TAGS = {"script", "style", "noscript", "template", "title", "nav", "footer", "aside", "form", "button",
              "select", "textarea", "svg", "math", "iframe", "object", "canvas", "dialog", "menu"}  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "complementary"}
_DROP_MARKS = re.compile(r"cookie|consent|gdpr|skip-?link|breadcrumb|visually-hidden|sr-only|share-?bar", re.I)
# Tags whose end tag may be left out: entering one in drop mode could swallow the rest of the page.
_OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "html", "body", "head"}
# A hidden one of these is dropped only until it is over, by its end tag or by what closes it when the end tag is
# left out: the next item, or the end of its list; any block for a paragraph.
_HIDDEN_UNTIL = {"li": ({"li"}, {"ul", "ol"}), "dt": ({"dt", "dd"}, {"dl"}), "dd": ({"dt", "dd"}, {"dl"})}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "ul", "ol", "li", "dl", "dt", "dd",
               "table", "thead", "tbody", "tfoot", "tr", "td", "th", "blockquote", "pre", "figure",
               "figcaption", "address", "hr", "details", "summary", "caption", "body", "h1", "h2", "h3",
               "h4", "h5", "h6"}  # fmt: skip
_BREAK = "\ue002"  # a <br>, kept through whitespace folding


def _hidden(attrs: dict[str, str | None]) -> bool:
    """Text a browser does not show: hidden, aria-hidden, display:none or visibility:hidden."""
    style = attrs.get("style") or ""
    return ("hidden" in attrs or (attrs.get("aria-hidden") or "").lower() == "true"
            or bool(re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I)))  # fmt: skip


class _HtmlText(HTMLParser):
    """The page's main text as blocks: boilerplate (navigation, cookie banners, scripts, forms) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[bool, Block]] = []  # (inside <main>, block)
        self.parts: list[str] = []
        self.dropping: tuple[str, int] | None = None  # tag being dropped, and how deep in it we are
        self.hidden_part: str | None = None  # a hidden paragraph or list item being skipped (see _HIDDEN_UNTIL)
        self.role_main: list[tuple[str, int]] = []  # (tag, depth) of each open element marked role="main"
        self.main = self.article = self.lists = self.pre = 0
        self.heading = 0
        self.item = False
        self.cells: list[str] | None = None  # the table row being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden_part and tag in self._closes_hidden_part(start=True):
            self.hidden_part = None  # a new item or block began: the hidden one ended without its end tag
        if self.dropping or self.hidden_part:
            if self.dropping and tag == self.dropping[0]:
                self.dropping = (tag, self.dropping[1] + 1)
            return
        if tag not in _VOID and self._drop(tag, dict(attrs)):
            self.flush()
            self.dropping = (tag, 1)
            return
        if tag in ("p", *_HIDDEN_UNTIL) and _hidden(dict(attrs)):
            self.flush()
            self.hidden_part = tag
            return
        if tag == "br":
            self.parts.append(_BREAK)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag != "main" and (dict(attrs).get("role") or "").lower() == "main" and tag not in _OPTIONAL_END:
            self.role_main.append((tag, 1))
            self.main += 1
        elif self.role_main and self.role_main[-1][0] == tag:
            self.role_main[-1] = (tag, self.role_main[-1][1] + 1)
        if tag == "main":
            self.main += 1
        elif tag == "article":
            self.article += 1
        elif tag in ("ul", "ol"):
            self.lists += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = int(tag[1])
        elif tag == "li":
            self.item = True
        elif tag == "tr":
            self.end_row()
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden_part:
            if tag == self.hidden_part or tag in self._closes_hidden_part(start=False):
                self.hidden_part = None
            if tag == self.hidden_part or tag not in self._closes_hidden_part(start=False):
                return
        if self.dropping:
            name, depth = self.dropping
            if tag == name:
                self.dropping = (name, depth - 1) if depth > 1 else None
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if self.role_main and self.role_main[-1][0] == tag:
            self.role_main[-1] = (tag, self.role_main[-1][1] - 1)
            if self.role_main[-1][1] == 0:
                self.role_main.pop()
                self.main -= 1
        if tag == "main" and self.main:
            self.main -= 1
        elif tag == "article" and self.article:
            self.article -= 1
        elif tag in ("ul", "ol") and self.lists:
            self.lists -= 1
            self.item = self.item and self.lists > 0  # an item left open ends with its list
        elif tag == "pre" and self.pre:
            self.pre -= 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = 0
        elif tag == "li":
            self.item = False
        elif tag in ("tr", "table"):
            self.end_row()

    def _closes_hidden_part(self, *, start: bool) -> set[str]:
        """The tags that end the hidden paragraph or item being skipped, when its own end tag is left out."""
        if self.hidden_part == "p":
            return _BLOCK_TAGS
        next_item, container = _HIDDEN_UNTIL.get(self.hidden_part or "", (set(), set()))
        return next_item if start else container

    def handle_data(self, data: str) -> None:
        if not self.dropping and not self.hidden_part:
            self.parts.append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))

    def _drop(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in _DROP_TAGS or (tag == "header" and not (self.main or self.article)):
            return True
        if tag in _OPTIONAL_END:
            return False
        if _hidden(attrs) or (attrs.get("role") or "").lower() in _DROP_ROLES:
            return True
        return bool(_DROP_MARKS.search(" ".join(filter(None, (attrs.get("id"), attrs.get("class"))))))

    def flush(self) -> None:
        text = "".join(self.parts)
        self.parts.clear()
        if not self.pre:
            text = re.sub(r" *\ue002 *", "\n", text).strip()
        text = text.replace(_BREAK, "\n").strip("\n")
        if not text.strip():
            return
        if self.cells is not None:
            if not self.cells:
                self.cells.append("")
            self.cells[-1] = (self.cells[-1] + " " + " ".join(text.split())).strip()
            return
        if self.heading:
            block = Block("heading", text, self.heading)
        elif self.item:
            block = Block("item", text, max(self.lists - 1, 0))
        else:
            block = Block("para", text)
        self.blocks.append((self.main > 0, block))

    def end_row(self) -> None:
        self.flush()
        if self.cells is not None:
            cells = [c for c in self.cells if c]
            self.cells = None
            if cells:
                self.blocks.append((self.main > 0, Block("row", " | ".join(cells))))


def html_text(html: str) -> str:
    """A web page's main text: inside <main> when the page marks it, without navigation or cookie banners."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser.end_row()
    parser.flush()
    in_main = [block for inside, block in parser.blocks if inside]
    return to_markdown(in_main or [block for _, block in parser.blocks])


# -- OpenDocument text (.odt) -----------------------------------------------------------------------------

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_SPACE, _TAB, _LINE = "\ue000", "\ue001", _BREAK  # ODF's own spacing elements, kept through whitespace folding
# Not part of the text a reader sees: generated indexes, tracked deletions, comments, form controls.
_ODT_SKIP = {_q(n) for n in ("text:tracked-changes", "text:table-of-content", "text:illustration-index",
             "text:alphabetical-index", "text:bibliography", "office:annotation", "office:annotation-end",
             "text:sequence-decls", "text:variable-decls", "text:user-field-decls", "office:forms",
             "text:note-citation", "svg:title", "svg:desc", "text:soft-page-break")}  # fmt: skip
_ROW_GROUPS = {_q(n) for n in ("table:table-header-rows", "table:table-rows", "table:table-row-group")}
_IMAGE_ALT_MIN_WORDS = 12  # an image description this long was written to carry the picture's text


@dataclass(frozen=True)
class _Style:
    parent: str | None
    bold: bool | None
    size: float | None
    outline: int | None


class _Odt:
    def __init__(self, content: ET.Element, styles: ET.Element | None) -> None:
        self.styles: dict[tuple[str, str], _Style] = {}
        for root in (styles, content):
            if root is None:
                continue
            for el in root.iter(_q("style:style")):
                family, name = el.get(_q("style:family"), ""), el.get(_q("style:name"), "")
                props = el.find(_q("style:text-properties"))
                weight = props.get(_q("fo:font-weight")) if props is not None else None
                size = props.get(_q("fo:font-size")) if props is not None else None
                outline = el.get(_q("style:default-outline-level"))
                if outline is None and re.fullmatch(r"(?:Heading(?:_20_\d)?|Title)", name):
                    outline = name[-1] if name[-1].isdigit() else "1"
                self.styles[(family, name)] = _Style(
                    el.get(_q("style:parent-style-name")),
                    None if weight is None else weight == "bold" or (weight.isdigit() and int(weight) >= 600),
                    _points(size),
                    _int(outline),
                )
        self.notes: list[Block] = []

    def style(self, family: str, name: str | None) -> tuple[bool | None, float | None, int | None]:
        """Bold, size and outline level of a style, following its parents."""
        bold = size = outline = None
        seen: set[str] = set()
        while name and name not in seen:
            seen.add(name)
            found = self.styles.get((family, name))
            if found is None:
                break
            bold = found.bold if bold is None else bold
            size = found.size if size is None else size
            outline = found.outline if outline is None else outline
            name = found.parent
        return bold, size, outline

    def blocks(self, el: ET.Element, depth: int = 0, in_list: bool = False) -> Iterator[Block]:
        for child in el:
            tag = child.tag
            if tag in _ODT_SKIP:
                continue
            if tag in (_q("text:p"), _q("text:h")):
                yield from self.paragraph(child, depth, in_list)
            elif tag == _q("text:list"):
                yield from self.blocks(child, depth + 1 if in_list else 0, in_list=True)
            elif tag == _q("table:table"):
                yield from self.table(child)
            elif tag == _q("draw:frame"):
                yield from self.frame(child)
            else:  # sections, list items, list headers, unknown wrappers: their blocks in order
                yield from self.blocks(child, depth, in_list)

    def paragraph(self, el: ET.Element, depth: int, in_list: bool) -> Iterator[Block]:
        bold, size, outline = self.style("paragraph", el.get(_q("text:style-name")))
        runs: list[tuple[str, bool, float | None]] = []
        frames: list[ET.Element] = []
        self.inline(el, bool(bold), size, runs, frames)
        text = _fold("".join(r[0] for r in runs))
        if text:
            visible = [r for r in runs if r[0].strip(" \t\n" + _SPACE + _TAB + _LINE)]
            sizes = [r[2] for r in visible if r[2]]
            if el.tag == _q("text:h"):
                yield Block("heading", text, _int(el.get(_q("text:outline-level"))) or outline or 1)
            elif in_list:
                yield Block("item", text, depth)
            elif outline:
                yield Block("heading", text, outline)
            else:
                yield Block("para", text, bold=all(r[1] for r in visible), size=max(sizes) if sizes else None)
        for frame in frames:
            yield from self.frame(frame)

    def inline(
        self, el: ET.Element, bold: bool, size: float | None, runs: list[tuple[str, bool, float | None]],
        frames: list[ET.Element],
    ) -> None:  # fmt: skip
        if el.text:
            runs.append((el.text, bold, size))
        for child in el:
            tag = child.tag
            if tag == _q("text:s"):
                runs.append((_SPACE * min(_int(child.get(_q("text:c"))) or 1, 100), bold, size))
            elif tag == _q("text:tab"):
                runs.append((_TAB, bold, size))
            elif tag == _q("text:line-break"):
                runs.append((_LINE, bold, size))
            elif tag == _q("draw:frame"):
                frames.append(child)
            elif tag == _q("text:note"):
                body = child.find(_q("text:note-body"))
                if body is not None:
                    self.notes.extend(self.blocks(body))
            elif tag not in _ODT_SKIP:  # spans, links, fields, unknown wrappers: their text, in their style
                span_bold, span_size, _ = self.style("text", child.get(_q("text:style-name")))
                self.inline(child, bold if span_bold is None else span_bold, span_size or size, runs, frames)
            if child.tail:
                runs.append((child.tail, bold, size))

    def table(self, el: ET.Element) -> Iterator[Block]:
        for child in el:
            if child.tag == _q("table:table-row"):
                cells = []
                for cell in child.findall(_q("table:table-cell")):
                    text = " ".join(" ".join(b.text.split()) for b in self.blocks(cell))  # a nested table too
                    if text:
                        cells.append(text)
                if cells:
                    yield Block("row", " | ".join(cells))
            elif child.tag in _ROW_GROUPS:
                yield from self.table(child)

    def frame(self, el: ET.Element) -> Iterator[Block]:
        for part in el:
            if part.tag in (_q("draw:text-box"), _q("draw:image")):  # an image may hold paragraphs of its own
                yield from self.blocks(part)
        desc = el.find(_q("svg:desc"))
        if desc is not None and desc.text and len(desc.text.split()) >= _IMAGE_ALT_MIN_WORDS:
            for line in desc.text.splitlines():
                if line.strip():
                    yield Block("para", line.strip())


def _fold(text: str) -> str:
    """ODF whitespace: runs of spaces and newlines in the XML are one space; <text:s/> and tabs are real."""
    text = re.sub(r"[ \t\r\n]+", " ", text)
    text = re.sub(f" *{_LINE} *", "\n", text).strip(" \n")
    return text.replace(_SPACE, " ").replace(_TAB, "\t").strip()


def _points(size: str | None) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*pt\s*", size or "")
    return float(match.group(1)) if match else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 4 else None


_ODT_PARTS = {"mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml"}  # all odt_text reads


def odt_text(raw: bytes, shown: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """An OpenDocument text file's body: headings, paragraphs, lists, tables, text boxes, then footnotes."""
    archive = _zip(raw, shown, "an OpenDocument text (.odt)", max_bytes=max_bytes, parts=_ODT_PARTS)
    names = set(archive.namelist())
    member = functools.partial(_member, archive, shown=shown, max_bytes=max_bytes)  # safe before _measure too
    mimetype = member("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    if mimetype and not mimetype.startswith("application/vnd.oasis.opendocument.text"):
        kind = mimetype.rsplit(".", 1)[-1]
        raise IngestError(shown, f"is an OpenDocument {kind} file, not a text document; save it as .odt text")
    if "META-INF/manifest.xml" in names and b"encryption-data" in member("META-INF/manifest.xml"):
        raise IngestError(shown, "is password-protected; save an unprotected copy and try again")
    if "content.xml" not in names:
        raise IngestError(shown, "is not an OpenDocument text file (no content.xml inside); is it really an .odt?")
    _measure(archive, shown, max_bytes=max_bytes, parts=_ODT_PARTS)  # after that check: encrypted parts don't inflate
    try:
        content = ET.fromstring(member("content.xml"))
        styles = ET.fromstring(member("styles.xml")) if "styles.xml" in names else None
        body = content.find(f"{_q('office:body')}/{_q('office:text')}")
        if body is None:
            raise IngestError(shown, "has no text body; is it a spreadsheet or presentation renamed to .odt?")
        document = _Odt(content, styles)
        blocks = list(document.blocks(body)) + document.notes
    except ET.ParseError as exc:
        raise IngestError(shown, f"is damaged: its XML is not well-formed ({exc})") from None
    except RecursionError:
        raise IngestError(shown, "is nested too deeply to read") from None
    return to_markdown(blocks)


def inflate_limit(max_bytes: int) -> int:
    """How many bytes the parts of a zipped document may unpack to, for a given --max-bytes."""
    return max(INFLATE_FACTOR * max_bytes, MIN_INFLATE_LIMIT)


def _zip(raw: bytes, shown: str, what: str, *, max_bytes: int, parts: set[str] | None = None) -> zipfile.ZipFile:
    """Open a zipped document, refusing one that says it is a zip bomb: too many members, or `parts` (the
    members that will be read; None: all of them, as python-docx reads every part) too large in all.

    The declared sizes bound memory only because every read goes through _inflate, which never keeps more
    than a member declares and refuses one that unpacks to more.
    """
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(shown, "is password-protected or in an old binary format; save an unprotected copy in the "
                                 "current format and try again")  # fmt: skip
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError(shown, f"is not {what} file: it is damaged or not a zip archive ({exc})") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_ENTRIES:
        raise IngestError(shown, f"holds {len(members):,} files inside, more than any document (at most "
                                 f"{MAX_ZIP_ENTRIES:,}): a zip bomb, not a case study")  # fmt: skip
    chosen = [info for info in members if parts is None or info.filename in parts]
    for info in chosen:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and LZMA inflate a whole block at once, however large: no word processor writes them
            raise IngestError(shown, f"is not {what} file: {info.filename} uses a compression method "
                                     f"(#{info.compress_type}) that word processors never write")  # fmt: skip
    if sum(info.file_size for info in chosen) > inflate_limit(max_bytes):
        raise _inflates_too_much(shown, max_bytes)
    return archive


def _measure(archive: zipfile.ZipFile, shown: str, *, max_bytes: int, parts: set[str] | None = None) -> None:
    """Inflate `parts`, counting and discarding, to refuse them if they really unpack to more than the limit, or
    to more than the sizes their directory (written by whoever made the file) declares: after this, reading any
    of them, even with zipfile's own read() as python-docx does, takes no more memory than _zip allowed."""
    left = inflate_limit(max_bytes)
    for info in archive.infolist():
        if parts is None or info.filename in parts:
            left -= sum(map(len, _inflate(archive, info, shown, max_bytes=max_bytes, left=left)))


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, *, max_bytes: int, left: int
) -> Iterator[bytes]:
    """A member's bytes a chunk at a time: the one way trendsum reads inside a zipped document.

    zipfile's read() inflates a member whole and only then cuts it to the size its entry declares, so a
    20-byte entry can take gigabytes. Here no more than one chunk is inflated at once, only the declared bytes
    are yielded, and a member is refused if it unpacks to more than `left` (a zip bomb) or than it declares.
    """
    unbounded = copy.copy(info)
    # zipfile stops at the declared size and checks the CRC there: let it read on to the member's real end (and
    # check the CRC there), so that a lying entry is measured rather than cut short
    unbounded.file_size = left + _CHUNK + 1
    size = 0
    try:
        with archive.open(unbounded) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > left:
                    raise _inflates_too_much(shown, max_bytes)
                if size <= info.file_size:
                    yield chunk
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise IngestError(shown, f"is damaged: cannot unpack {info.filename} ({exc})") from None
    if size > info.file_size:
        raise IngestError(shown, f"is damaged: {info.filename} unpacks to {size:,} bytes, more than the "
                                 f"{info.file_size:,} its zip directory declares")  # fmt: skip


def _inflates_too_much(shown: str, max_bytes: int) -> IngestError:
    limit = inflate_limit(max_bytes)
    basis = f"{INFLATE_FACTOR} × --max-bytes" if limit > MIN_INFLATE_LIMIT else "the least trendsum allows"
    return IngestError(shown, f"inflates to more than {limit:,} bytes when unzipped ({basis}), too much for a case "
                              "study (a zip bomb?); if it is a real document, raise --max-bytes")  # fmt: skip


def _member(archive: zipfile.ZipFile, name: str, *, shown: str, max_bytes: int) -> bytes:
    """A member's bytes, no more than its entry declares (which _zip has checked), whatever it really holds."""
    info = archive.getinfo(name)
    return b"".join(_inflate(archive, info, shown, max_bytes=max_bytes, left=inflate_limit(max_bytes)))


# -- Word (.docx) -----------------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DOCX_SKIP = {f"{{{_W}}}{n}" for n in ("del", "moveFrom", "instrText", "delText", "txbxContent", "rPr", "pPr")}
_DOCX_SKIP.add(f"{{{_MC}}}Fallback")  # the same drawing again, for old readers


def docx_text(raw: bytes, shown: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A Word document's body: heading styles as '#' levels, lists as '- ' items, tables as rows, text boxes."""
    archive = _zip(raw, shown, "a Word (.docx)", max_bytes=max_bytes)  # the same refusals as for .odt
    _measure(archive, shown, max_bytes=max_bytes)  # every member, before python-docx reads any with read()
    try:
        import docx

        document = docx.Document(io.BytesIO(raw))
        blocks = list(_docx_blocks(document, document.element.body))
    except IngestError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds of error on damaged or foreign files
        raise IngestError(shown, f"is not a readable Word (.docx) document ({type(exc).__name__}: {exc})") from None
    return to_markdown(blocks)


def _docx_blocks(document: Any, container: Any) -> Iterator[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == f"{{{_W}}}p":
            yield from _docx_paragraph(document, Paragraph(child, document))
        elif child.tag == f"{{{_W}}}tbl":
            for row in Table(child, document).rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue  # a merged cell is returned once per column it spans
                    seen.add(id(cell._tc))
                    text = " ".join(" ".join(b.text.split()) for b in _docx_blocks(document, cell._tc))
                    if text:
                        cells.append(text)
                if cells:
                    yield Block("row", " | ".join(cells))
        elif child.tag in (f"{{{_W}}}sdt", f"{{{_W}}}sdtContent", f"{{{_W}}}customXml"):
            yield from _docx_blocks(document, child)  # content controls wrap ordinary paragraphs


def _docx_paragraph(document: Any, paragraph: Any) -> Iterator[Block]:
    runs: list[tuple[str, bool | None, float | None]] = []
    boxes: list[Any] = []
    _docx_runs(paragraph, paragraph._p, runs, boxes)
    text = "".join(r[0] for r in runs).strip()
    style = paragraph.style
    name, style_bold, style_size, outline = "", None, None, None
    while style is not None:
        name = name or (style.name or "")
        style_bold = style.font.bold if style_bold is None else style_bold
        style_size = style.font.size.pt if style_size is None and style.font.size else style_size
        match = re.fullmatch(r"(?:heading|überschrift|titre|kop)\s*(\d)|title", (style.name or "").lower())
        if outline is None and match:
            outline = int(match.group(1) or 1)
        style = style.base_style
    level = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if outline is None and level and str(level[0]).isdigit() and int(level[0]) < 9:
        outline = int(level[0]) + 1
    if text:
        if outline:
            yield Block("heading", text, outline)
        elif paragraph._p.xpath("./w:pPr/w:numPr") or name.lower().startswith("list"):
            depth = paragraph._p.xpath("./w:pPr/w:numPr/w:ilvl/@w:val")
            yield Block("item", text, int(depth[0]) if depth and str(depth[0]).isdigit() else 0)
        else:
            visible = [r for r in runs if r[0].strip()]
            bold = all((r[1] if r[1] is not None else style_bold) for r in visible)
            sizes = [r[2] or style_size for r in visible]
            yield Block("para", text, bold=bool(bold), size=max((s for s in sizes if s), default=None))
    for box in boxes:
        yield from _docx_blocks(document, box)


def _docx_runs(paragraph: Any, el: Any, runs: list[tuple[str, bool | None, float | None]], boxes: list[Any]) -> None:
    from docx.text.run import Run

    for child in el.iterchildren():
        tag = child.tag
        if tag == f"{{{_W}}}txbxContent":
            boxes.append(child)
        elif tag in _DOCX_SKIP or not isinstance(tag, str):
            continue
        elif tag == f"{{{_W}}}r":
            run = Run(child, paragraph)
            size = run.font.size.pt if run.font.size else None
            for part in child.iterchildren():
                if part.tag == f"{{{_W}}}t":
                    runs.append((part.text or "", run.bold, size))
                elif part.tag == f"{{{_W}}}tab":
                    runs.append(("\t", run.bold, size))
                elif part.tag in (f"{{{_W}}}br", f"{{{_W}}}cr"):
                    runs.append(("\n", run.bold, size))
                elif part.tag == f"{{{_W}}}noBreakHyphen":
                    runs.append(("-", run.bold, size))
                elif part.tag not in _DOCX_SKIP:
                    _docx_runs(paragraph, part, runs, boxes)  # drawings that hold text boxes
        else:  # hyperlinks, insertions, smart tags, fields: their runs
            _docx_runs(paragraph, child, runs, boxes)


# -- PDF --------------------------------------------------------------------------------------------------


def pdf_text(raw: bytes, shown: str) -> str:
    """The text layer of every page. A PDF without one is a scan: say so rather than summarise nothing."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise IngestError(shown, "is encrypted and needs a password to open; save an unprotected copy") from None
    except Exception as exc:  # pypdf raises many kinds of error on damaged files
        raise IngestError(shown, f"is not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise IngestError(shown, "has no text layer (scanned?): run OCR on it, or paste its text into a .txt file")
    return text
