"""Reading one source into a CaseStudy: pick its reader, read its bytes under the size limit, clean the text,
split off front matter and find a title; or raise IngestError saying why the file cannot be used."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

from ..domain.models import CaseStudy
from ..errors import IngestError
from . import readers
from .decoding import clean
from .readers import DEFAULT_MAX_BYTES
from .sources import Source


def read_case(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CaseStudy:
    """Read one file into a CaseStudy, or raise IngestError saying why it cannot be used."""
    shown = str(source.path)
    if source.problem:
        raise IngestError(shown, source.problem)
    suffix = source.path.suffix.lower()
    reader = readers.for_suffix(suffix) or (readers.sniff(source.data) if source.data is not None else None)
    if reader is None:
        hint = readers.resave_hint(suffix)
        if hint:
            raise IngestError(shown, f"is {hint}, then summarise that")
        kinds = ", ".join(readers.SUPPORTED_SUFFIXES)
        raise IngestError(shown, f"unsupported file type {source.path.suffix or '(none)'!r}; trendsum reads {kinds}")
    raw = source.data if source.data is not None else _read_bytes(source.path, max_bytes)
    if len(raw) > max_bytes:
        raise IngestError(shown, f"is over the limit of {max_bytes:,} bytes (--max-bytes)")
    reading = reader.read(raw, shown, max_bytes=max_bytes)
    text, cleaned = clean(reading.text)
    return parse_text(text, source, sha256=hashlib.sha256(raw).hexdigest(), warnings=reading.warnings + cleaned,
                      front_matter=reading.front_matter)  # fmt: skip


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    shown = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise IngestError(shown, "is not a regular file (a pipe, socket or device); copy its text into a file")
        if info.st_size > max_bytes:
            raise IngestError(shown, f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,} (--max-bytes)")
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)  # the file may have grown since stat()
    except PermissionError:
        reason = "permission denied: ask its owner for read access, or copy it somewhere readable"
        raise IngestError(shown, reason) from None
    except OSError as exc:
        raise IngestError(shown, f"cannot read: {exc.strerror or exc}") from None


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---[ \t]*\n", re.S)
_META_LINE = re.compile(r"^([A-Za-z_][\w-]*):[ \t]*(.*?)[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def parse_text(
    text: str, source: Source, *, sha256: str, warnings: tuple[str, ...] = (), front_matter: bool = True
) -> CaseStudy:
    """Split off front matter, find a title, and refuse text with nothing in it."""
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text) if front_matter else None
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
        title=_title(text, meta, source),
        text=text,
        sha256=sha256,
        meta=meta,
        warnings=warnings,
    )


def _title(text: str, meta: dict[str, str], source: Source) -> str:
    if meta.get("title"):
        return meta["title"]
    heading = _HEADING.search(text)
    if heading:
        return heading.group(1).strip()
    first = text.strip().splitlines()[0].strip()
    if len(first) <= 120 and not first.endswith((".", "?", "!", ":")):
        return first
    if source.data is not None:  # piped in: no file name to fall back on, only the text ("<stdin>" says nothing)
        return _opening(first)
    return source.path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _opening(line: str, limit: int = 80) -> str:
    """The first sentence of a line, cut at a word to at most `limit` characters."""
    sentence = re.split(r"(?<=[.?!])\s", line, maxsplit=1)[0].rstrip(".:;, ") or line
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(".,;: ") + "…"
