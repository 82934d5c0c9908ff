"""Word (.docx), through python-docx's public API: headings (by style or outline level), lists, tables (nested and
merged), tracked changes, content controls and text boxes.

python-docx models paragraphs, runs, hyperlinks, tables and styles, but not tracked insertions, content controls,
field wrappers or text boxes. `_normalise` rewrites those, on the document's own XML (`Document.element`, python-docx's
public handle on it), into the paragraphs and runs python-docx does model; after that the document is walked with
public objects only: no private attribute of python-docx (tests/test_reader_plugin.py checks).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ...errors import IngestError
from .base import Reader, Reading
from .markdown import Block, to_markdown
from .zipped import ODF_MARK, ZIP_MAGIC, measure, open_zip

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(*names: str) -> tuple[str, ...]:
    return tuple(f"{{{_W}}}{name}" for name in names)


# Text that is not in the document as it reads now: tracked deletions and moves away, and the copy of each drawing
# kept for old readers (mc:Fallback repeats mc:Choice, text boxes and all).
_DROP = (*_w("del", "moveFrom"), f"{{{_MC}}}Fallback")
# Wrappers around paragraphs, rows, cells or runs that python-docx does not look inside: tracked insertions and moves
# here, content controls, custom XML, smart tags, simple fields, text direction. Their content is the document's.
_UNWRAP = _w("ins", "moveTo", "sdt", "sdtContent", "customXml", "smartTag", "fldSimple", "dir", "bdo")
_WRAPPER_PROPERTIES = _w("sdtPr", "sdtEndPr", "customXmlPr", "smartTagPr")


def read_docx(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    """A Word document's body: heading styles as '#' levels, lists as '- ' items, tables as rows, text boxes."""
    archive = open_zip(raw, shown, "a Word (.docx)", max_bytes=max_bytes)  # the same refusals as for .odt
    measure(archive, shown, max_bytes=max_bytes)  # every member, before python-docx reads any with read()
    try:
        import docx

        document = docx.Document(io.BytesIO(raw))
        _normalise(document)
        blocks = list(_blocks(document.iter_inner_content()))
    except IngestError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds of error on damaged or foreign files
        raise IngestError(shown, f"is not a readable Word (.docx) document ({type(exc).__name__}: {exc})") from None
    return Reading(to_markdown(blocks))


def _normalise(document: Document) -> None:
    """Rewrite what python-docx does not model into what it does, in this in-memory copy of the document."""
    root = document.element
    for element in list(root.iter(*_DROP)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    for element in list(root.iter(*_UNWRAP)):
        parent = element.getparent()
        if parent is not None:
            content = [child for child in element if child.tag not in _WRAPPER_PROPERTIES]
            index = parent.index(element)
            parent[index : index + 1] = content
    # Ruby (a reading guide over East Asian text): python-docx reads neither the guide nor the text under it. Both
    # are the document's words; they become plain runs after the run that held them, guide first, as Word stores them.
    for ruby in list(root.iter(*_w("ruby"))):
        holder = ruby.getparent()
        if holder is None:
            continue
        runs = [run for part in ruby if part.tag in _w("rt", "rubyBase") for run in part if run.tag in _w("r")]
        for run in reversed(runs):
            holder.addnext(run)
        holder.remove(ruby)
    # A positional tab (text pushed to the right margin) separates words as a space does; python-docx reads it as
    # a tab, which would make the line a table row.
    for ptab in list(root.iter(*_w("ptab"))):
        space = ptab.makeelement(f"{{{_W}}}t", {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
        space.text = " "
        ptab.addnext(space)
        ptab.getparent().remove(ptab)
    for brk in root.iter(*_w("br")):
        brk.attrib.pop(f"{{{_W}}}type", None)  # python-docx reads a page or column break as nothing: it ends a line
    # A text box's paragraphs follow the paragraph that anchors it. Last box first, so that boxes anchored in one
    # paragraph, and boxes inside boxes, keep their order.
    for box in reversed(list(root.iter(*_w("txbxContent")))):
        anchor = next(box.iterancestors(*_w("p")), None)
        if anchor is not None:
            for child in reversed(list(box)):
                anchor.addnext(child)


def _blocks(content: Iterable[Paragraph | Table]) -> Iterator[Block]:
    from docx.text.paragraph import Paragraph

    for item in content:
        if isinstance(item, Paragraph):
            yield from _paragraph(item)
        else:
            yield from _table(item)


def _table(table: Table) -> Iterator[Block]:
    for row in table.rows:
        texts: list[str] = []
        cells = row.cells  # a merged cell comes once per grid column it spans
        index = 0
        while index < len(cells):
            cell = cells[index]
            index += max(cell.grid_span, 1)
            text = " ".join(" ".join(b.text.split()) for b in _blocks(cell.iter_inner_content()))  # nested tables too
            if text:
                texts.append(text)
        if texts:
            yield Block("row", " | ".join(texts))


_HEADING_STYLE = re.compile(r"(?:heading|überschrift|titre|kop)\s*(\d)|title")


def _paragraph(paragraph: Paragraph) -> Iterator[Block]:
    from docx.text.hyperlink import Hyperlink

    runs: list[tuple[str, bool | None, float | None]] = []
    for part in paragraph.iter_inner_content():
        for run in part.runs if isinstance(part, Hyperlink) else (part,):
            runs.append((run.text, run.bold, run.font.size.pt if run.font.size else None))
    text = "".join(r[0] for r in runs).strip()
    if not text:
        return
    style = paragraph.style
    name, style_bold, style_size, outline = "", None, None, None
    while style is not None:
        name = name or (style.name or "")
        style_bold = style.font.bold if style_bold is None else style_bold
        style_size = style.font.size.pt if style_size is None and style.font.size else style_size
        match = _HEADING_STYLE.fullmatch((style.name or "").lower())
        if outline is None and match:
            outline = int(match.group(1) or 1)
        style = style.base_style
    numbered, depth, own_outline = _numbering_and_outline(paragraph)
    outline = outline or own_outline
    if outline:
        yield Block("heading", text, outline)
    elif numbered or name.lower().startswith("list"):
        yield Block("item", text, depth)
    else:
        visible = [r for r in runs if r[0].strip()]
        bold = all((r[1] if r[1] is not None else style_bold) for r in visible)
        sizes = [r[2] or style_size for r in visible]
        yield Block("para", text, bold=bool(bold), size=max((s for s in sizes if s), default=None))


def _numbering_and_outline(paragraph: Paragraph) -> tuple[bool, int, int | None]:
    """Whether the paragraph is numbered (a list item), its list depth, and its own outline level (a heading).

    python-docx has no API for list numbering or outline levels yet; both are paragraph properties (w:pPr), which
    `ParagraphFormat.element` is python-docx's public handle on.
    """
    properties = paragraph.paragraph_format.element.pPr
    if properties is None:
        return False, 0, None
    level = properties.xpath("./w:outlineLvl/@w:val")
    outline = int(level[0]) + 1 if level and str(level[0]).isdigit() and int(level[0]) < 9 else None
    depth = properties.xpath("./w:numPr/w:ilvl/@w:val")
    return bool(properties.xpath("./w:numPr")), int(depth[0]) if depth and str(depth[0]).isdigit() else 0, outline


def _looks_like_docx(raw: bytes) -> bool:
    """A zip that is not an OpenDocument: on standard input, Word is by far the likelier."""
    return raw.startswith(ZIP_MAGIC) and ODF_MARK not in raw[:200]


READER = Reader("docx", (".docx",), read_docx, sniff=_looks_like_docx, label=".docx")
