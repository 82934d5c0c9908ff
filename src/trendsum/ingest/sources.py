"""Finding the files to read: folders walked (safely: symlink loops, links out of the folder, folders nobody may
list), standard input, the id each file's path suggests, and which files are byte-for-byte the same."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import UsageError
from .readers import DEFAULT_MAX_BYTES

STDIN = "-"
STDIN_PATH = "<stdin>"  # the path a case piped in is recorded under


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
    paths: Iterable[Path],
    stdin: BinaryIO | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    queue: Path | None = None,
) -> list[Source]:
    """Expand folders (recursively, sorted, hidden entries skipped) into the files to read, each with the id its path suggests.

    Files of unsupported types inside a folder are still returned, so that the run summary can say why they
    were not read, and so are folders that cannot be listed and symlink loops, each with its problem; a
    missing path is a usage error. `-` reads one case study from `stdin`. The `queue` database the run writes to,
    and SQLite's files beside it, are left out of a folder: `trendsum summarise .` run where the queue lives
    (outputs/trendsum.db) must not report it as a file it failed to read.
    """
    own = {real_path(Path(f"{queue}{suffix}")) for suffix in ("", "-wal", "-shm", "-journal")} if queue else set()
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
                if own and real_path(path) in own:
                    continue  # the queue itself
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
