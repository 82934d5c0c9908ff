"""Files to case studies: discovery, decoding, titles, hashes, and clear errors for what cannot be read."""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from . import formats
from ..domain.models import CaseStudy
from ..errors import IngestError, UsageError

KINDS = {".txt": "text", ".md": "text", ".markdown": "text", ".html": "html", ".htm": "html",
         ".docx": "docx", ".odt": "odt", ".pdf": "pdf"}  # fmt: skip
SUPPORTED_SUFFIXES = tuple(KINDS)
DEFAULT_MAX_BYTES = formats.DEFAULT_MAX_BYTES
STDIN = "-"
STDIN_PATH = "<stdin>"  # the path a case piped in is recorded under
_RESAVE = {  # formats people send that another program can turn into one trendsum reads
    ".doc": "in the old Word format: save it as .docx",
    ".rtf": "Rich Text: save it as .docx or .odt",
    ".pages": "a Pages document: export it as .docx or PDF",
    ".wpd": "a WordPerfect document: save it as .docx",
    ".pptx": "a presentation: export it as PDF",
    ".odp": "a presentation: export it as PDF",
}


@dataclass(frozen=True)
class Source:
    """A file found for ingest, with the id its record will carry; `data` holds what came on standard input.

    `problem` says why a path found cannot be read at all (a folder nobody may list, a symlink loop): reading
    it raises IngestError with that reason, so it is reported like any other file that failed.
    """

    path: Path
    case_id: str
    data: bytes | None = field(default=None, repr=False)
    problem: str | None = None


def discover(
    paths: Iterable[Path], stdin: BinaryIO | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Source]:
    """Expand folders (recursively, sorted, hidden entries skipped) into the files to read, each with the id its path suggests.

    Files of unsupported types inside a folder are still returned, so that the run summary can say why they
    were not read, and so are folders that cannot be listed and symlink loops, each with its problem; a
    missing path is a usage error. `-` reads one case study from `stdin`.
    """
    found: list[tuple[Path, Path, str | None]] = []
    seen: set[Path] = set()
    sources: list[Source] = []
    for given in paths:
        if str(given) == STDIN:
            if stdin is None:
                raise UsageError("- means standard input, which is not available here; name a file instead.")
            if not any(s.data is not None for s in sources):
                sources.append(stdin_source(stdin.read(max_bytes + 1)))
            continue
        if not given.exists() and not given.is_symlink():
            raise UsageError(f"{given}: no such file or folder.")
        if given.is_dir():
            for path, problem in sorted(_walk(given), key=lambda item: item[0]):
                relative = path.relative_to(given) if path != given else Path(given.absolute().name or "folder")
                if path.name.lower() == "readme.md":
                    continue  # a folder's README describes the folder; it is not a case study
                found.append((path, relative, problem))
        else:
            found.append((given, Path(given.name), _symlink_loop(given)))
    for path, relative, problem in found:
        if real_path(path) in seen:
            continue  # named twice, e.g. a folder and a file inside it
        seen.add(real_path(path))
        case_id = slug(relative)  # a proposal: `identity.assign_ids` gives the lasting, unique id
        sources.append(Source(path, case_id, problem=problem or _undecodable_name(path)))
    return sources


_DENIED = "permission denied: cannot list this folder; ask its owner for read access, or copy it somewhere readable"
_LOOP = "is a symbolic link that leads back to itself (a loop): remove it, or point it at the file it stands for"
_FOLDER_LOOP = "is a symbolic link to a folder that contains it (a loop): skipped; remove the link"
_OUTSIDE = ("is a symbolic link to something outside the folder: skipped, so that a folder of case studies cannot "
            "send files from elsewhere; name the file itself to summarise it")  # fmt: skip


def _walk(top: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under `top`, hidden entries left out, following symlinked folders once each.

    Yields (path, None) for a file to read and (path, reason) for what cannot be read: a folder that cannot be
    listed, a link that loops, a link that leads out of `top` (a cloned folder must not reach ~/.ssh). Linked
    folders are walked after the real ones, so that a folder reached both ways is read once, under its real name.
    """
    inside = real_path(top)
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[Path, frozenset[tuple[int, int]]]] = [(top, frozenset())]
    linked: deque[tuple[Path, frozenset[tuple[int, int]]]] = deque()
    while stack or linked:
        folder, ancestors = stack.pop() if stack else linked.popleft()
        try:
            info = folder.stat()
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                yield folder, _FOLDER_LOOP
                continue
            if key in visited:
                continue  # already read under another name
            visited.add(key)
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except PermissionError:
            yield folder, _DENIED
            continue
        except OSError as exc:
            yield folder, _LOOP if exc.errno == errno.ELOOP else f"cannot list this folder: {exc.strerror or exc}"
            continue
        subfolders: list[tuple[Path, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            if entry.name.startswith((".", "~$")):
                continue  # hidden entries, and the lock files Word leaves beside open documents
            path = folder / entry.name
            is_link = is_dir = False
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
            except OSError:
                pass  # a link that loops, or leads nowhere: reported below, or by read_case
            if is_link and not _symlink_loop(path) and not real_path(path).is_relative_to(inside):
                yield path, _OUTSIDE
                continue
            if is_dir:
                (linked if is_link else subfolders).append((path, ancestors | {key}))
            else:
                yield path, _symlink_loop(path) if is_link else None
        stack.extend(reversed(subfolders))


def _symlink_loop(path: Path) -> str | None:
    """Why a path cannot be read when it is a link that loops; None for anything else (read_case says why)."""
    try:
        path.stat()
    except OSError as exc:
        return _LOOP if exc.errno == errno.ELOOP else None
    return None


_UNDECODABLE = ("its name is not valid UTF-8 (shown with escapes such as \\udce9): rename the file, then "
                "summarise it")  # fmt: skip


def _undecodable_name(path: Path) -> str | None:
    """File names are bytes on Linux; one that is not UTF-8 cannot be stored or shown as it is."""
    return _UNDECODABLE if storable(str(path)) != str(path) else None


def storable(text: str) -> str:
    """Text that can be written to the queue: a file name's undecodable bytes (surrogates) become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def real_path(path: Path) -> Path:
    """Where a path really leads, or the path itself when it leads nowhere (a symlink loop: Python 3.11 raises
    RuntimeError for those, later versions OSError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop resolves to nothing but itself
        return path.absolute()


def slug(relative: Path) -> str:
    """The id a file's path suggests: lower case, dashes, one part per folder, no extension."""
    parts = list(relative.parts)
    parts[-1] = relative.stem
    return "/".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") or "case" for part in parts)


def stdin_source(data: bytes) -> Source:
    """Text piped in is one case study, named by its content so that piping it again is recognised."""
    return Source(Path(STDIN_PATH), f"stdin-{hashlib.sha256(data).hexdigest()[:8]}", data)


def read_case(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CaseStudy:
    """Read one file into a CaseStudy, or raise IngestError saying why it cannot be used."""
    shown = str(source.path)
    if source.problem:
        raise IngestError(shown, source.problem)
    kind = KINDS.get(source.path.suffix.lower()) or (sniff(source.data) if source.data is not None else None)
    if kind is None:
        suffix = source.path.suffix.lower()
        if suffix in _RESAVE:
            raise IngestError(shown, f"is {_RESAVE[suffix]}, then summarise that")
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise IngestError(shown, f"unsupported file type {source.path.suffix or '(none)'!r}; trendsum reads {kinds}")
    raw = source.data if source.data is not None else _read_bytes(source.path, max_bytes)
    if len(raw) > max_bytes:
        raise IngestError(shown, f"is over the limit of {max_bytes:,} bytes (--max-bytes)")
    warnings: tuple[str, ...] = ()
    if kind == "text":
        text, warnings = decode(raw, shown)
    elif kind == "html":
        text, warnings = decode(raw, shown, declared=_declared_charset(raw))
        text = formats.html_text(text)
    elif kind == "docx":
        text = formats.docx_text(raw, shown, max_bytes=max_bytes)
    elif kind == "odt":
        text = formats.odt_text(raw, shown, max_bytes=max_bytes)
    else:
        text = formats.pdf_text(raw, shown)
    text, cleaned = clean(text)
    return parse_text(text, source, sha256=hashlib.sha256(raw).hexdigest(), warnings=warnings + cleaned,
                      front_matter=kind == "text")  # fmt: skip


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


def sniff(raw: bytes) -> str:
    """What piped-in bytes are, from their first bytes: `curl ... | trendsum summarise -` should just work."""
    head = raw[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        return "odt" if b"application/vnd.oasis.opendocument" in raw[:200] else "docx"
    if re.match(rb"(?:\xef\xbb\xbf)?\s*<(?:!doctype html|html|head|body|main|article)\b", head, re.I):
        return "html"
    return "text"


def content_groups(sources: list[Source], max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, list[Source]]:
    """Sources whose bytes are identical, by their SHA-256, in groups of two or more (in the order given).

    Only files of equal size are hashed, so the check costs a stat per file; unreadable files are left for
    read_case to report.
    """
    by_size: dict[int, list[Source]] = {}
    for source in sources:
        try:
            size = len(source.data) if source.data is not None else source.path.stat().st_size
        except OSError:
            continue
        if 0 < size <= max_bytes and (source.data is not None or source.path.is_file()):
            by_size.setdefault(size, []).append(source)
    groups: dict[str, list[Source]] = {}
    for same_size in by_size.values():
        for source in same_size if len(same_size) > 1 else ():
            try:
                raw = source.data if source.data is not None else source.path.read_bytes()
            except OSError:
                continue
            groups.setdefault(hashlib.sha256(raw).hexdigest(), []).append(source)
    order = {id(source): i for i, source in enumerate(sources)}
    found = sorted(((sha, g) for sha, g in groups.items() if len(g) > 1), key=lambda item: order[id(item[1][0])])
    return dict(found)


def decode(raw: bytes, shown: str, declared: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Decode bytes as UTF-8 (with or without BOM) or BOM-marked UTF-16/32, else the encoding the file
    declares (web pages do), else Windows-1252 with a warning: a guess is never stored without one."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if raw.startswith(bom):
            try:
                return _normalise_newlines(raw.decode(codec)), ()
            except UnicodeDecodeError:
                name = codec.upper()
                raise IngestError(shown, f"has a {name} byte-order mark but is not valid {name}") from None
    if b"\x00" in raw[:8192]:
        if _utf16_without_bom(raw):
            return _normalise_newlines(_utf16_without_bom(raw) or ""), (
                "UTF-16 without a byte-order mark: check the text, and re-save it as UTF-8",
            )
        raise IngestError(shown, "looks binary (contains NUL bytes), not text")
    try:
        return _normalise_newlines(raw.decode("utf-8-sig")), ()
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return _normalise_newlines(raw.decode(declared)), ()
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise IngestError(shown, "is neither UTF-8, UTF-16 nor Windows-1252 text; re-save it as UTF-8") from None
    return _normalise_newlines(text), ("not UTF-8: read as Windows-1252; check its punctuation",)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte; anything else with NULs is binary."""
    sample = raw[:4096]
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if len(sample) >= 4 and zeros.count(0) >= 0.9 * len(zeros):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            return text if "\x00" not in text else None
    return None


def _declared_charset(raw: bytes) -> str | None:
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", raw[:4096], re.I)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii", "replace")).name
    except LookupError:
        return None
    return "cp1252" if name in ("iso8859-1", "ascii") else name  # as browsers read those labels


# Control characters other than tab and newline cannot be shown and could drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# UTF-8 read as Windows-1252 somewhere upstream: "â€™" for "’", "Ã©" for "é", "Â " for a no-break space.
_MOJIBAKE = re.compile("â€[™œ˜“”¦¢¡‘’„†•…šž\x9d]|[ÃÂ][\u00a0-\u00bf]")


def clean(text: str) -> tuple[str, tuple[str, ...]]:
    """Text fit to store and show, with a warning for anything that was removed or looks wrong."""
    warnings: list[str] = []
    text = _normalise_newlines(text).replace("\x0c", "\n")
    text, removed = _CONTROL.subn("", text)
    if removed:
        warnings.append(f"removed {removed} control character(s) that cannot be shown")
    mojibake = _MOJIBAKE.search(text)
    if mojibake:
        warnings.append(
            f"text looks double-encoded (mojibake such as {mojibake.group(0)!r}): fix the file's encoding at its "
            "source and summarise it again"
        )
    return text, tuple(warnings)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
