"""Files to case studies: discovery, decoding, titles, hashes, and clear errors for what cannot be read."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError, UsageError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class CaseStudy:
    case_id: str
    path: str
    title: str
    text: str
    sha256: str
    meta: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """A file found for ingest, with the id its record will carry."""

    path: Path
    case_id: str


def discover(paths: Iterable[Path]) -> list[Source]:
    """Expand folders (recursively, sorted, hidden entries skipped) into the files to read, with stable ids.

    Files of unsupported types inside a folder are still returned, so that the run summary can say why they
    were not read; a missing path is a usage error.
    """
    found: list[tuple[Path, Path]] = []
    for given in paths:
        if not given.exists():
            raise UsageError(f"{given}: no such file or folder.")
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                relative = path.relative_to(given)
                if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                    continue
                if path.name.lower() == "readme.md":
                    continue  # a folder's README describes the folder; it is not a case study
                found.append((path, relative))
        else:
            found.append((given, Path(given.name)))
    sources: list[Source] = []
    taken: set[str] = set()
    for path, relative in found:
        case_id = _case_id(relative, with_suffix=False)
        if case_id in taken:
            case_id = _case_id(relative, with_suffix=True)
        taken.add(case_id)
        sources.append(Source(path, case_id))
    return sources


def _case_id(relative: Path, *, with_suffix: bool) -> str:
    parts = list(relative.parts)
    parts[-1] = relative.name if with_suffix else relative.stem
    return "/".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") or "case" for part in parts)


def read_case(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CaseStudy:
    """Read one file into a CaseStudy, or raise IngestError saying why it cannot be used."""
    path = source.path
    shown = str(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise IngestError(shown, f"unsupported file type {path.suffix or '(none)'!r}; trendsum reads {kinds}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(shown, f"file is {size:,} bytes, over the limit of {max_bytes:,} (--max-bytes)")
        raw = path.read_bytes()
    except PermissionError:
        raise IngestError(shown, "permission denied") from None
    except OSError as exc:
        raise IngestError(shown, f"cannot read: {exc.strerror or exc}") from None
    text, warnings = decode(raw, shown)
    return parse_text(text, source, sha256=hashlib.sha256(raw).hexdigest(), warnings=warnings)


def decode(raw: bytes, shown: str) -> tuple[str, tuple[str, ...]]:
    """Decode bytes as UTF-8 (with or without BOM) or BOM-marked UTF-16; fall back to Windows-1252 with a warning."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalise_newlines(raw.decode("utf-16")), ()
        except UnicodeDecodeError:
            raise IngestError(shown, "has a UTF-16 byte-order mark but is not valid UTF-16") from None
    if b"\x00" in raw[:8192]:
        raise IngestError(shown, "looks binary (contains NUL bytes), not text")
    try:
        return _normalise_newlines(raw.decode("utf-8-sig")), ()
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise IngestError(shown, "is neither UTF-8, UTF-16 nor Windows-1252 text; re-save it as UTF-8") from None
    return _normalise_newlines(text), ("not UTF-8: read as Windows-1252; check its punctuation",)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---[ \t]*\n", re.S)
_META_LINE = re.compile(r"^([A-Za-z_][\w-]*):[ \t]*(.*?)[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def parse_text(text: str, source: Source, *, sha256: str, warnings: tuple[str, ...] = ()) -> CaseStudy:
    """Split off front matter, find a title, and refuse text with nothing in it."""
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            kv = _META_LINE.match(line)
            if kv and kv.group(2):
                meta[kv.group(1).lower()] = kv.group(2).strip("'\"")
        text = text[match.end() :]
    if not text.strip():
        raise IngestError(str(source.path), "is empty (no text to summarise)")
    return CaseStudy(
        case_id=source.case_id,
        path=str(source.path),
        title=_title(text, meta, source.path),
        text=text,
        sha256=sha256,
        meta=meta,
        warnings=warnings,
    )


def _title(text: str, meta: dict[str, str], path: Path) -> str:
    if meta.get("title"):
        return meta["title"]
    heading = _HEADING.search(text)
    if heading:
        return heading.group(1).strip()
    first = text.strip().splitlines()[0].strip()
    if len(first) <= 120 and not first.endswith((".", "?", "!", ":")):
        return first
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


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
