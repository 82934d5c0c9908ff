"""Exports and reports: the selected records, in one format, to a stream or a file.

Machine formats (JSON Lines, JSON, CSV) stream one record at a time and say each record's language; reports
people read (Markdown, Word) are built from one language and refuse to mix them unless asked. A Word report
carries each trend's cross-case analysis once a person has approved it.

An export never destroys anything: it refuses to write onto the queue's database (or its journal files) or
onto any other SQLite database, and it writes a file beside the target first, renaming it into place only once
it is complete, so a failed or interrupted export leaves the file that was there as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..domain.models import Record, Status
from ..errors import TrendsumError, UsageError
from ..queue.store import Store
from . import export
from .selection import Selection, for_report, languages_of, select

if TYPE_CHECKING:
    from ..domain.analysis import Analysis

FORMATS = (*export.FORMATS, "docx")
REPORTS = ("markdown", "docx")  # built from one language
DEFAULT_TITLE = "Public Sector Digital Trends"
SQLITE_HEADER = b"SQLite format 3\x00"
DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")  # the database and the files SQLite keeps beside it


@dataclass
class ExportResult:
    count: int
    unapproved: int = 0
    stale_left_out: int = 0
    languages: list[str] = field(default_factory=list)
    analyses: list[str] = field(default_factory=list)  # ids of the approved analyses included
    warnings: list[str] = field(default_factory=list)


def export_records(
    store: Store,
    fmt: str,
    selection: Selection,
    *,
    out: TextIO | None = None,
    path: Path | None = None,
    title: str = DEFAULT_TITLE,
    mixed_languages: bool = False,
) -> ExportResult:
    """Write the selected records as `fmt` to `path` when given (Word needs one), else to `out`.

    A file is written whole or not at all (see the module's docstring); `path` is checked before anything is
    read, so a refused target costs nothing.
    """
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if fmt == "docx" and path is None:
        raise UsageError("A Word report needs a file: add --output report.docx.")
    if path is None:
        assert out is not None
        return _export(store, fmt, selection, out, None, title, mixed_languages)
    target = check_target(path, store.path)
    if os.path.normcase(str(target)) in {os.path.normcase(source) for source in store.source_ids()}:
        raise UsageError(f"Refusing to write the export onto {path}: it is a case study the queue was summarised "
                         "from. Choose another file.")  # fmt: skip
    if fmt == "docx":
        with replacing(target, shown=path) as temporary:
            return _export(store, fmt, selection, None, temporary, title, mixed_languages)
    # a spreadsheet opens UTF-8 CSV correctly only with a byte-order mark; the csv module ends its own lines
    encoding, newline = ("utf-8-sig", "") if fmt == "csv" else ("utf-8", "\n")
    with replacing(target, shown=path) as temporary, temporary.open("w", encoding=encoding, newline=newline) as f:
        return _export(store, fmt, selection, f, None, title, mixed_languages)


def _export(store: Store, fmt: str, selection: Selection, out: TextIO | None, path: Path | None, title: str,
            mixed_languages: bool) -> ExportResult:  # fmt: skip
    stale = 0
    if Status.STALE not in selection.statuses:
        stale = store.count([Status.STALE], selection.trend, selection.nation)
    if fmt not in REPORTS:
        assert out is not None
        writer = {"jsonl": export.write_jsonl, "json": export.write_json, "csv": export.write_csv}[fmt]
        return ExportResult(writer(select(store, selection), out), stale_left_out=stale)
    records = for_report(store, selection, mixed_languages=mixed_languages)
    languages = languages_of(records)
    result = ExportResult(len(records), sum(r.status != Status.APPROVED for r in records), stale, languages)
    if fmt == "markdown":
        assert out is not None
        export.write_markdown(records, out, title=title)
        return result
    language = selection.language or (languages[0] if len(languages) == 1 else "en")
    analyses = _approved_analyses(store, records, language, result) if len(languages) <= 1 else {}
    if len(languages) > 1:
        result.warnings.append("cross-case analyses are left out of a report that mixes languages")
    assert path is not None
    from .docx import write_docx  # python-docx is only loaded for Word reports

    write_docx(path, records, analyses, title=title, language=language)
    result.analyses = [a.id for a in analyses.values()]
    return result


def _approved_analyses(store: Store, records: list[Record], language: str, result: ExportResult) -> dict[str, Analysis]:
    found = {}
    in_report = {r.id for r in records}
    for trend in sorted({str(r.summary.trend) for r in records}):
        from ..analysis import run as analysis  # only reports that include analyses need it loaded

        approved, why_not = analysis.for_report(store, trend, language)
        if approved is not None:
            found[trend] = approved
            outside = sorted(approved.body.cited() - in_report)
            if outside:
                result.warnings.append(
                    f"the analysis {approved.id} cites {len(outside)} case(s) this report leaves out "
                    f"({', '.join(outside)}): they are marked 'not in this report'"
                )
        elif why_not:
            result.warnings.append(why_not)
    return found


# -- writing files safely ------------------------------------------------------------------------------------


def check_target(path: Path, database: Path) -> Path:
    """The real file an export to `path` would replace, once sure it is not a database.

    Refuses the queue's database and its `-wal`/`-shm`/`-journal` files, by whatever path they are named (a
    symlink, `outputs/../outputs/trendsum.db`, a hard link), and any existing file that is a SQLite database.
    """
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give the export a file name, e.g. {path / 'report'}.")
    if path.exists() and not path.is_file():
        return path  # /dev/stdout, a named pipe: not a database, and written in place (see `replacing`)
    target = Path(os.path.realpath(path))
    queue = os.path.realpath(database)
    for suffix in DATABASE_COMPANIONS:
        companion = Path(queue + suffix)
        if os.path.normcase(target) == os.path.normcase(companion) or _same_file(target, companion):
            what = "the review queue's database" + (f" (its {suffix} file)" if suffix else "")
            raise UsageError(f"Refusing to write the export onto {path}: it is {what}. Choose another file.")
    try:
        with target.open("rb") as existing:
            database_there = existing.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except FileNotFoundError:
        database_there = False
    except OSError as exc:  # a rename would replace it all the same: know what it is first
        raise UsageError(f"Cannot check what {path} is ({exc.strerror}): choose another file.") from None
    if database_there:
        raise UsageError(f"Refusing to overwrite {path}: it is a SQLite database. Choose another file.")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


@contextmanager
def replacing(target: Path, *, shown: Path | None = None) -> Iterator[Path]:
    """A new file beside `target` to write; it replaces `target` only if the block ends without an error.

    Whatever goes wrong (an exception, Ctrl-C, a full disk), the new file is removed and `target` is left as it
    was. A target that is not a regular file (`/dev/stdout`, a named pipe) cannot be renamed onto: it is
    written directly.
    """
    shown = shown or target
    if target.exists() and not target.is_file():
        yield target
        return
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # created as a new file would be (umask applies), or with the mode of the file it replaces
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _write_error(shown, exc) from None
    try:
        yield temporary
        _sync(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _write_error(shown, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    """Flush the new file to disk before it replaces the old one: a full disk fails here, not after the rename."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_error(path: Path, exc: OSError) -> TrendsumError:
    reason = exc.strerror or str(exc)
    return TrendsumError(f"Could not write {path}: {reason}. Nothing was changed there.")
