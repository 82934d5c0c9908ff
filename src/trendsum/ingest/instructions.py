"""Passages of a case study that read like instructions to a model: shown to the reviewer, never obeyed."""

from __future__ import annotations

import re

_INSTRUCTION_LIKE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\b(?:reveal|print|show|repeat|output|tell me)\b[^.\n]{0,30}\b(?:system prompt|your instructions|your prompt)"
    r"|\bsystem prompt\b"
    r"|\byou are now\b|\bnew instructions\b|\bact as (?:an?|the) (?:assistant|model|reviewer|system)\b"
    r"|\b(?:set|mark|change|update)\b[^.\n]{0,30}\b(?:status|record|review)\b[^.\n]{0,20}\b(?:approved|accepted|reviewed)\b"
    r"|\bapprove (?:this|the) (?:record|case|summary|case study)\b"
    r"|<\|im_start\|>|<\|system\|>|\[/?INST\]|^\s*#{0,3}\s*system\s*:",
    re.I | re.M,
)


def instruction_like(text: str, limit: int = 5) -> list[str]:
    """Passages that read like instructions to a model: shown to the reviewer, never obeyed."""
    hits: list[str] = []
    for match in _INSTRUCTION_LIKE.finditer(text):
        snippet = " ".join(match.group(0).split())[:80]
        if snippet.lower() not in (h.lower() for h in hits):
            hits.append(snippet)
        if len(hits) >= limit:
            break
    return hits
