"""Plain text and Markdown (.txt, .md, .markdown): decoded, and allowed `---` front matter with the title."""

from __future__ import annotations

from ..decoding import decode
from .base import Reader, Reading


def read_text(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    text, warnings = decode(raw, shown)
    return Reading(text, warnings, front_matter=True)


# No sniff: text is what anything on standard input that no other reader recognises is taken to be.
READER = Reader("text", (".txt", ".md", ".markdown"), read_text)
