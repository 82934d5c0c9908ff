"""Whatever bytes arrive, read_case gives a CaseStudy or an IngestError: never a traceback, never a hang."""

from __future__ import annotations

from pathlib import Path

import builders
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trendsum.domain.models import CaseStudy
from trendsum.errors import IngestError
from trendsum.ingest import KINDS, Source, read_case

SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

VALID = {
    ".odt": builders.odt_bytes(
        builders.h(1, "Title") + builders.p("Body text with<text:s/> spaces.", "Body") + builders.items("one", "two")
        + builders.table([["a", "b"]])
    ),
    ".pdf": builders.pdf_bytes([["A line of text.", "Another (line)."], []]),
    ".html": b"<!doctype html><html><body><main><h1>T</h1><p>Para &amp; text.</p><ul><li>x</li></ul></main></body></html>",
    ".md": "# Title\n\n---\ntitle: x\n---\nText with “quotes” and £.\n".encode(),
}


def _docx_bytes() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = builders.docx(Path(folder) / "x.docx", [("h", 1, "Title"), ("p", "Body."), ("table", [["a", "b"]])])
        return path.read_bytes()


VALID[".docx"] = _docx_bytes()


def _read(raw: bytes, suffix: str) -> None:
    try:
        case = read_case(Source(Path(f"case{suffix}"), "case", raw), max_bytes=10_000_000)
    except IngestError as exc:
        assert exc.reason and "Traceback" not in exc.reason
    else:
        assert isinstance(case, CaseStudy) and case.text.strip() and case.title
        assert not any(ch in case.text for ch in "\x00\x1b\x07")
        case.text.encode("utf-8")  # storable


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from(sorted(KINDS) + ["", ".bin", "<stdin>"]))
def test_arbitrary_bytes_never_crash_read_case(raw: bytes, suffix: str) -> None:
    _read(raw, "" if suffix == "<stdin>" else suffix)  # no suffix: what stdin gets, sniffed by content


@st.composite
def damaged(draw: st.DrawFn) -> tuple[bytes, str]:
    """A valid file of some kind with bytes overwritten, cut short, or spliced: what a bad download looks like."""
    suffix = draw(st.sampled_from(sorted(VALID)))
    raw = bytearray(VALID[suffix])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(raw) - 1))
        how = draw(st.sampled_from(["byte", "cut", "splice"]))
        if how == "byte":
            raw[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del raw[at:]
            if not raw:
                break
        else:
            raw[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(raw), suffix


@settings(SETTINGS, max_examples=400)
@given(damaged())
def test_damaged_documents_never_crash_read_case(sample: tuple[bytes, str]) -> None:
    _read(*sample)


_ATTRIBUTE = st.sampled_from(['text:outline-level="{}"', 'text:c="{}"', 'text:style-name="{}"', 'table:number-columns-repeated="{}"'])
_VALUE = st.sampled_from(["1", "2", "0", "-1", "99999999", "x", "", "Big", "Mid", "BoldBody", "H2", "Strong", "Nope"])
_TAGS = ["text:p", "text:h", "text:span", "text:a", "text:list", "text:list-item", "text:list-header", "table:table",
         "table:table-row", "table:table-cell", "table:covered-table-cell", "draw:frame", "draw:text-box",
         "draw:image", "svg:desc", "text:note", "text:note-body", "text:section", "office:annotation",
         "text:tracked-changes", "text:soft-page-break"]  # fmt: skip
_LEAF = st.text(st.characters(codec="utf-8", exclude_characters="<&\x00"), max_size=12) | st.sampled_from(
    ["<text:s/>", '<text:s text:c="4"/>', "<text:tab/>", "<text:line-break/>", " ", "\n", "\u00a0"]
)


@st.composite
def _element(draw: st.DrawFn, children: st.SearchStrategy[str]) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attributes = " ".join(a.format(draw(_VALUE)) for a in draw(st.lists(_ATTRIBUTE, max_size=2, unique=True)))
    return f"<{tag} {attributes}>{''.join(draw(st.lists(children, max_size=4)))}</{tag}>"


odt_bodies = st.recursive(_LEAF, lambda children: _element(children), max_leaves=30)


@SETTINGS
@given(st.lists(odt_bodies, min_size=1, max_size=5))
def test_any_arrangement_of_odt_elements_reads_or_is_refused(parts: list[str]) -> None:
    _read(builders.odt_bytes("".join(parts)), ".odt")


_HTML_PIECES = st.sampled_from(
    ["<p>", "</p>", "<main>", "</main>", "<nav>", "</nav>", "<ul>", "</ul>", "<li>", "<h2>", "</h2>", "<table>",
     "<tr>", "<td>", "</td>", "</tr>", "</table>", "<br>", "<div class='cookie'>", "<div>", "</div>", "<pre>",
     "</pre>", "<script>", "</script>", "&amp;", "&#0;", "&#x110000;", "<!--", "-->", "<header>", "<article>",
     "<p hidden>", "<span aria-hidden=true>", "</span>", "<![CDATA[", "]]>", "<meta charset=koi8-r>"]
)  # fmt: skip


@SETTINGS
@given(st.lists(_HTML_PIECES | st.text(max_size=8), max_size=40), st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_any_tag_soup_reads_or_is_refused(pieces: list[str], encoding: str) -> None:
    _read("".join(pieces).encode(encoding, "replace"), ".html")


def test_the_undamaged_documents_read() -> None:
    for suffix, raw in VALID.items():
        assert read_case(Source(Path(f"case{suffix}"), "case", raw)).text.strip(), suffix
