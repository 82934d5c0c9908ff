"""The review queue's database file: opening it, making it, upgrading it, and each write's transaction.

SQLite in WAL mode: every write is one short `BEGIN IMMEDIATE` transaction, so several processes can share a
database, a crash leaves it consistent, and a result is durable the moment its call returns. Which rows a write
adds, and how they are read back, is `store`'s; this module only says when and whether the file may be written.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self
from urllib.parse import quote

from ..errors import QueueError, QueueNotFound
from . import migrations


class Database:
    """The queue's database at `path`. Without `create`, a missing database is an error (reading commands never make
    an empty queue) and one this user cannot write is opened read-only, so listing and exporting still work.

    With `create` (summarise), a missing database is made at the first write, not before: until then the store
    reads an empty queue held in memory, so a run that saves nothing (a bad setting, unreadable files, a server
    that is down) leaves no queue behind, and nothing ever has to be deleted that another run may be using."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        self.read_only = False
        self.pending_creation = False  # the file does not exist yet: made by the first write
        self.newer: list[str] = []  # migrations a newer trendsum applied: this version must not write
        try:
            if not self.path.is_file():
                if not create:
                    raise QueueNotFound(str(self.path))
                _check_creatable(self.path)  # now, not after a run's worth of paid calls
                self.pending_creation = True
                self.db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                migrations.apply(self.db)
                return
            try:
                self._open_for_writing()
            except (sqlite3.OperationalError, PermissionError) as exc:
                if create or not _cannot_write(exc):
                    raise
                if hasattr(self, "db"):
                    self.db.close()  # we may read what we may not write: listing and exporting still work
                self.read_only = True
                self.db = _connect_read_only(self.path)
                self._prepare()
        except sqlite3.DatabaseError as exc:
            raise queue_error(exc, self.path) from None
        except OSError as exc:
            raise QueueError(f"Cannot open the review queue at {self.path}: {exc.strerror or exc}.") from None
        if create and self.newer:
            self.close()
            raise QueueError(self._newer_message())

    def _open_for_writing(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self._prepare()

    def ensure_file(self) -> None:
        """Create the database file now rather than at the first write: an empty queue to hand on."""
        if self.pending_creation:
            self._create_now()

    def _create_now(self) -> None:
        """The first write: make the database file (or join the one another run made meanwhile), and carry over
        what this run kept in memory until then (see `provisional`)."""
        memory = self.db
        claims = memory.execute("SELECT path, case_id, mapped_at FROM sources ORDER BY case_id").fetchall()
        failures = memory.execute("SELECT case_id, source_path, reason, attempts, last_raw, at FROM failures"
                                  " ORDER BY id").fetchall()  # fmt: skip
        try:
            self._open_for_writing()
            self.pending_creation = False
            memory.close()
            with self.transaction() as db:
                for path, case_id, mapped_at in claims:
                    if db.execute(
                        "SELECT 1 FROM sources WHERE (path = ? AND case_id != ?) OR (case_id = ? AND path != ?)",
                        (path, case_id, case_id, path),
                    ).fetchone():
                        raise QueueError(
                            f"Another run started a new queue at {self.path} at the same time and gave ids to the "
                            "same files: nothing of this run was saved. Run the same command again."
                        )
                    db.execute("INSERT OR IGNORE INTO sources (path, case_id, mapped_at) VALUES (?, ?, ?)",
                               (path, case_id, mapped_at))  # fmt: skip
                db.executemany("INSERT INTO failures (case_id, source_path, reason, attempts, last_raw, at)"
                               " VALUES (?, ?, ?, ?, ?, ?)", failures)  # fmt: skip
        except sqlite3.DatabaseError as exc:
            raise queue_error(exc, self.path) from None
        except OSError as exc:
            raise QueueError(f"Cannot create the review queue at {self.path}: {exc.strerror or exc}.") from None

    def _newer_message(self) -> str:
        return (
            f"The review queue at {self.path} was written by a newer trendsum (it has {', '.join(self.newer)}): "
            "this version will not write to it. Upgrade trendsum (pip install -U trendsum); reading still works."
        )

    def _prepare(self, tries: int = 100) -> None:
        """WAL mode and migrations. Two processes opening a new database at once can get 'locked' without
        SQLite waiting on the busy timeout (switching to WAL, a read turning into a write): try again."""
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # "file is not a database" shows here
        if self.read_only:
            pending, self.newer = migrations.status(self.db)
            if pending:
                raise QueueError(
                    f"The review queue at {self.path} needs an upgrade to this version of trendsum, and it is "
                    "read-only here: open it once with write access (any trendsum command), then read it."
                )
            return
        for attempt in range(tries):
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self.newer = migrations.status(self.db)[1]
                if not self.newer:
                    migrations.apply(self.db)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == tries - 1:
                    raise
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                time.sleep(0.05 + random.random() * 0.05)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def provisional(self) -> Iterator[sqlite3.Connection]:
        """A transaction for what is worth keeping only beside a record: the ids given to sources, failures that
        cost no engine call. On a queue not created yet it is held in memory and written with the run's first
        real save, so a run that saves nothing leaves no queue behind."""
        with self.transaction() if not self.pending_creation else self._atomic("BEGIN") as db:
            yield db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.pending_creation:
            self._create_now()
        if self.newer:
            raise QueueError(self._newer_message())
        if self.read_only:
            raise QueueError(
                f"The review queue at {self.path} is read-only for you (no write permission on it or its folder): "
                "reading works, changes do not. Ask its owner, or copy it and use --db."
            )
        with self._atomic("BEGIN IMMEDIATE") as db:
            yield db

    @contextmanager
    def _atomic(self, begin: str) -> Iterator[sqlite3.Connection]:
        self.db.execute(begin)
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _check_creatable(path: Path) -> None:
    """The queue can be made at `path` later: nothing else is there, and its nearest existing folder is writable."""
    if path.exists():
        raise QueueError(f"Cannot make the review queue at {path}: something that is not a database file is there.")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise QueueError(f"Cannot make the review queue at {path}: {folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise QueueError(f"Cannot make the review queue at {path}: no permission to write in {folder}.")


def _cannot_write(exc: Exception) -> bool:
    """SQLite's ways of saying the file, its folder or its disk cannot be written (it needs the folder for WAL)."""
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or "readonly" in text or "unable to open" in text


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open for reading where we may not write. A WAL database needs its shared-memory file, which SQLite cannot
    create in a folder we may not write to; then it is read as immutable (nobody can be writing it from here)."""
    uri = f"file:{quote(str(path.resolve()))}"
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=30, check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
    wal = Path(f"{path}-wal")
    if wal.is_file() and wal.stat().st_size > 0:  # immutable reading would skip those changes without a word
        raise QueueError(
            f"The review queue at {path} has changes not yet merged into the database file (its -wal file), and "
            "this user cannot write there to read them safely: open it once with write access, or copy the folder."
        )
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)


def queue_error(exc: sqlite3.Error, path: Path) -> QueueError:
    """One clear line for what SQLite says when the queue's disk or file is in trouble."""
    text = str(exc)
    lowered = text.lower()
    if "full" in lowered:
        return QueueError(f"The disk holding the review queue ({path}) is full: free some space and run the same "
                          "command again. Everything saved before this point is kept.")  # fmt: skip
    if "readonly" in lowered or "read-only" in lowered or ("unable to open" in lowered and path.is_file()):
        return QueueError(f"The review queue at {path} cannot be written (read-only file, folder or disk): "
                          "reading commands still work; ask its owner, or copy it and use --db.")  # fmt: skip
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return QueueError(f"The review queue at {path} is damaged ({text}): restore it from a backup, or "
                          f"try `sqlite3 {path} .recover`. trendsum will not write to it.")  # fmt: skip
    if "unable to open" in lowered:
        return QueueError(f"Cannot open the review queue at {path} ({text}): check the path and its permissions.")
    return QueueError(f"The review queue at {path} could not be used: {text}.")
