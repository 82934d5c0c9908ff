"""The one shape every reader writes: Markdown.

Headings come out as '#' lines, list items as '- ' lines and table rows as '| a | b |' lines, so the engines
see a document's structure whatever it was written in (the offline engine finds its sections by heading).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


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
