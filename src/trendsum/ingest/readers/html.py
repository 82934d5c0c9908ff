"""Web pages (.html, .htm): the page's main text, without navigation, cookie banners, scripts or hidden text.

A hand-written reader on the standard library's html.parser, which never fails on broken markup. The maintainers
measured trafilatura against it: it loses tables and deeply nested content and fails three of our five hostile-page
tests, so we keep ours.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from ..decoding import decode
from .base import Reader, Reading
from .markdown import Block, to_markdown

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
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BREAK = "\ue002"  # a <br>, kept through whitespace folding
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML's white space, which a browser shows as one space


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

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        if self.hidden_part and tag in self._closes_hidden_part(start=True):
            self.hidden_part = None  # a new item or block began: the hidden one ended without its end tag
        if self.dropping or self.hidden_part:
            if self.dropping and tag == self.dropping[0]:
                self.dropping = (tag, self.dropping[1] + 1)
            return
        if tag not in _VOID and self._drop(tag, attrs):
            self.flush()
            self.dropping = (tag, 1)
            return
        if tag in ("p", *_HIDDEN_UNTIL) and _hidden(attrs):
            self.flush()
            self.hidden_part = tag
            return
        if tag == "br":
            self.parts.append(_BREAK)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag != "main" and (attrs.get("role") or "").lower() == "main" and tag not in _OPTIONAL_END:
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
        elif tag in _HEADINGS:
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
        elif tag in _HEADINGS:
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
            self.parts.append(data if self.pre else _SPACES.sub(" ", data))

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


def _declared_charset(raw: bytes) -> str | None:
    """The encoding a page names in its <meta> tag, as a browser would read that name."""
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", raw[:4096], re.I)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii", "replace")).name
    except LookupError:
        return None
    return "cp1252" if name in ("iso8859-1", "ascii") else name  # as browsers read those labels


def read_html(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    text, warnings = decode(raw, shown, declared=_declared_charset(raw))
    return Reading(html_text(text), warnings)


_LOOKS_LIKE_HTML = re.compile(rb"(?:\xef\xbb\xbf)?\s*<(?:!doctype html|html|head|body|main|article)\b", re.I)

def _looks_like_html(raw: bytes) -> bool:
    return bool(_LOOKS_LIKE_HTML.match(raw[:1024].lstrip()))


READER = Reader("html", (".html", ".htm"), read_html, sniff=_looks_like_html)
