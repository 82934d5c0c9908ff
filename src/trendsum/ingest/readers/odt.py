"""OpenDocument text (.odt), as LibreOffice writes it: headings, paragraphs, lists, tables, text boxes, footnotes.

Read with the standard library's XML parser from a zip opened under the inflate caps; styles give the headings
that a document marks only by looks (larger or bold type).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from ...errors import IngestError
from .base import Reader, Reading
from .markdown import Block, to_markdown
from .zipped import ODF_MARK, ZIP_MAGIC, measure, member, open_zip

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


_SPACE, _TAB, _LINE = "\ue000", "\ue001", "\ue002"  # ODF's own spacing elements, kept through whitespace folding
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


_ODT_PARTS = {"mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml"}  # all read_odt reads


def read_odt(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    """An OpenDocument text file's body: headings, paragraphs, lists, tables, text boxes, then footnotes."""
    archive = open_zip(raw, shown, "an OpenDocument text (.odt)", max_bytes=max_bytes, parts=_ODT_PARTS)
    names = set(archive.namelist())
    part = functools.partial(member, archive, shown=shown, max_bytes=max_bytes)  # safe before measure() too
    mimetype = part("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    if mimetype and not mimetype.startswith("application/vnd.oasis.opendocument.text"):
        kind = mimetype.rsplit(".", 1)[-1]
        raise IngestError(shown, f"is an OpenDocument {kind} file, not a text document; save it as .odt text")
    if "META-INF/manifest.xml" in names and b"encryption-data" in part("META-INF/manifest.xml"):
        raise IngestError(shown, "is password-protected; save an unprotected copy and try again")
    if "content.xml" not in names:
        raise IngestError(shown, "is not an OpenDocument text file (no content.xml inside); is it really an .odt?")
    measure(archive, shown, max_bytes=max_bytes, parts=_ODT_PARTS)  # after that check: encrypted parts don't inflate
    try:
        content = ET.fromstring(part("content.xml"))
        styles = ET.fromstring(part("styles.xml")) if "styles.xml" in names else None
        body = content.find(f"{_q('office:body')}/{_q('office:text')}")
        if body is None:
            raise IngestError(shown, "has no text body; is it a spreadsheet or presentation renamed to .odt?")
        document = _Odt(content, styles)
        blocks = list(document.blocks(body)) + document.notes
    except ET.ParseError as exc:
        raise IngestError(shown, f"is damaged: its XML is not well-formed ({exc})") from None
    except RecursionError:
        raise IngestError(shown, "is nested too deeply to read") from None
    return Reading(to_markdown(blocks))


def _looks_like_odt(raw: bytes) -> bool:
    return raw.startswith(ZIP_MAGIC) and ODF_MARK in raw[:200]


READER = Reader("odt", (".odt",), read_odt, sniff=_looks_like_odt)
