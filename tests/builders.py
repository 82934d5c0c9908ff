"""Write each kind of file a council sends, here in the tests, so no test depends on shared data.

`odt` writes the smallest valid OpenDocument text (mimetype first and stored, a manifest, content.xml with
automatic styles); `pdf` writes a PDF with a real text layer by hand, one content stream per page.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from trendsum.domain.models import CaseSummary, Point

# -- Word -------------------------------------------------------------------------------------------------


def docx(path: Path, blocks: Sequence[tuple]) -> Path:
    """Blocks: ("h", level, text), ("p", text), ("bold", text), ("item", text), ("table", rows), ("xml", p_xml)."""
    import docx as python_docx
    from docx.oxml import parse_xml

    document = python_docx.Document()
    for block in blocks:
        kind = block[0]
        if kind == "h":
            document.add_heading(block[2], level=block[1])
        elif kind == "p":
            document.add_paragraph(block[1])
        elif kind == "bold":
            document.add_paragraph().add_run(block[1]).bold = True
        elif kind == "item":
            document.add_paragraph(block[1], style="List Bullet")
        elif kind == "table":
            rows = block[1]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        elif kind == "xml":  # a raw <w:p> with the w: namespace declared by us
            ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            body = document.element.body
            body.insert(len(body) - 1, parse_xml(block[1].replace("<w:p>", f"<w:p {ns}>", 1)))  # before sectPr
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# -- OpenDocument -----------------------------------------------------------------------------------------

ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"'
)
# Paragraph styles as word processors write them for hand-made headings: large, bold, or both.
ODT_STYLES = """
<style:style style:name="Big" style:family="paragraph"><style:text-properties fo:font-size="18pt"/></style:style>
<style:style style:name="Mid" style:family="paragraph"><style:text-properties fo:font-size="16pt" fo:font-weight="bold"/></style:style>
<style:style style:name="Body" style:family="paragraph"><style:text-properties fo:font-size="12pt"/></style:style>
<style:style style:name="BoldBody" style:family="paragraph" style:parent-style-name="Body"><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="H2" style:family="paragraph" style:parent-style-name="Heading_20_2"/>
<style:style style:name="Strong" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
"""
ODT_NAMED_STYLES = """
<style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph"
  style:default-outline-level="2"/>
"""


def odt_bytes(body: str, *, mimetype: str = "application/vnd.oasis.opendocument.text", manifest_extra: str = "") -> bytes:
    """A minimal valid .odt whose office:text holds `body` (ODF XML using the text:, table:, draw: prefixes)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS}>'
        f"<office:automatic-styles>{ODT_STYLES}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {ODT_NS}>'
        f"<office:styles>{ODT_NAMED_STYLES}</office:styles></office:document-styles>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
        "</manifest:file-entry>"
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
        archive.writestr("styles.xml", styles)
    return buffer.getvalue()


def odt(path: Path, body: str, **kwargs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(odt_bytes(body, **kwargs))
    return path


def h(level: int, text: str) -> str:
    return f'<text:h text:outline-level="{level}">{escape(text)}</text:h>'


def p(text: str, style: str | None = None) -> str:
    styled = f' text:style-name="{style}"' if style else ""
    return f"<text:p{styled}>{escape(text)}</text:p>"


def items(*texts: str) -> str:
    return "<text:list>" + "".join(f"<text:list-item>{p(t)}</text:list-item>" for t in texts) + "</text:list>"


def table(rows: Sequence[Sequence[str]]) -> str:
    body = "".join(
        "<table:table-row>" + "".join(f"<table:table-cell>{p(c)}</table:table-cell>" for c in row) + "</table:table-row>"
        for row in rows
    )
    return f'<table:table table:name="T1"><table:table-column/>{body}</table:table>'


# -- PDF --------------------------------------------------------------------------------------------------


def pdf_bytes(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF whose pages carry `pages` as real text (Helvetica, one line each); an empty page has no text."""
    count = len(pages)
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>")
    font_id = 3 + 2 * count
    for i, lines in enumerate(pages):
        if lines:
            shown = " T* ".join(f"({_pdf_string(line)}) Tj" for line in lines)
            stream = f"BT /F1 11 Tf 72 740 Td 15 TL {shown} ET"
        else:
            stream = "0.5 g 72 72 400 600 re f"  # a grey box, as a scan's page would be an image: no text
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(path: Path, pages: Sequence[Sequence[str]], *, password: str | None = None, owner_only: bool = False) -> Path:
    """With `password`, encrypted (AES-128); `owner_only` restricts editing but opens without a password."""
    raw = pdf_bytes(pages)
    if password is not None:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
        writer.encrypt(user_password="" if owner_only else password, owner_password=password, algorithm="AES-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        raw = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


# -- Case-study text ----------------------------------------------------------------------------------------

# One case study in five parts, written for these tests; every format below carries the same sentences.
TITLE = "Brackenshire Council: online school admissions"
SECTIONS = [
    ("The challenge", "The main problem was that parents queued for hours at the civic centre every September to hand in forms."),
    ("What we did", "The team built an online admissions form with twelve parents and tested it in three schools."),
    ("Results", "As a result, waiting times at the civic centre fell by 80% in the first admissions round."),
    ("Lessons learnt", "One lesson was that testing with parents early saved us weeks of rework later on."),
]


def case_docx(path: Path) -> Path:
    blocks: list[tuple] = [("h", 1, TITLE), ("p", "Brackenshire Council in Scotland changed how families apply in 2024.")]
    for heading, sentence in SECTIONS:
        blocks += [("h", 2, heading), ("p", sentence)]
    return docx(path, blocks)


def case_odt(path: Path) -> Path:
    body = h(1, TITLE) + p("Brackenshire Council in Scotland changed how families apply in 2024.")
    body += "".join(h(2, heading) + p(sentence) for heading, sentence in SECTIONS)
    return odt(path, body)


def summary(**changes: object) -> CaseSummary:
    """A valid summary that meets every selection criterion, with `changes` applied."""
    point = Point(text="A point.", evidence=["A quote from the source."])
    base: dict[str, object] = dict(
        title="t", organisation="o", nation="Wales", year=2024, trend="harnessing data",
        ai_application=Point(text="A machine learning model ranked the requests.", evidence=["x y z"]),
        overview=point, challenges=[point], approach=[point], outcomes=[point],
        unintended_consequences=[point], lessons=[point],
    )  # fmt: skip
    return CaseSummary.model_validate({**base, **changes})
