"""Reviewer accounts, for `trendsum serve` on a shared machine (migration m008 made the table).

A password is kept only as a scrypt hash (the standard library's: no dependency to maintain) with a random salt,
and checked in constant time. Accounts are disabled, never deleted: the history names reviewers for ever, and a
name must not pass to someone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from ..errors import UsageError
from .store import Store, now

# scrypt's cost, per RFC 7914's interactive guidance: 16 MiB and a few tens of milliseconds a check
_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
MIN_PASSWORD = 10
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")
# checked against when a name is unknown, so a login takes as long whether or not the name exists
_DUMMY_HASH = None


@dataclass(frozen=True)
class Reviewer:
    name: str
    active: bool
    created_at: str
    disabled_at: str | None


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash', base64: the parameters travel with the hash, so they can be raised later."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))  # fmt: skip
    except (ValueError, TypeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


def add(store: Store, name: str, password: str) -> Reviewer:
    name = name.strip()
    if not _NAME.match(name):
        raise UsageError("A reviewer's name is 1 to 80 characters, without control characters.")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    at = now().isoformat()
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM reviewers WHERE name = ?", (name,)).fetchone():
            raise UsageError(f"There is already a reviewer called {name!r} (names are never reused).")
        db.execute("INSERT INTO reviewers (name, password_hash, active, created_at) VALUES (?, ?, 1, ?)",
                   (name, hash_password(password), at))  # fmt: skip
    return Reviewer(name, True, at, None)


def listed(store: Store) -> list[Reviewer]:
    return [Reviewer(name, bool(active), created, disabled) for name, active, created, disabled in store.db.execute(
        "SELECT name, active, created_at, disabled_at FROM reviewers ORDER BY name")]  # fmt: skip


def disable(store: Store, name: str) -> Reviewer:
    with store.transaction() as db:
        row = db.execute("SELECT active, created_at FROM reviewers WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UsageError(f"No reviewer called {name!r}: `trendsum reviewers list` shows them.")
        at = now().isoformat()
        if row[0]:
            db.execute("UPDATE reviewers SET active = 0, disabled_at = ? WHERE name = ?", (at, name))
    return Reviewer(name, False, row[1], at)


def any_active(store: Store) -> bool:
    return store.db.execute("SELECT EXISTS (SELECT 1 FROM reviewers WHERE active = 1)").fetchone()[0] == 1


def is_active(store: Store, name: str) -> bool:
    row = store.db.execute("SELECT active FROM reviewers WHERE name = ?", (name,)).fetchone()
    return bool(row and row[0])


def authenticate(store: Store, name: str, password: str) -> str | None:
    """The account's name if the password is right and the account active; None otherwise (never which of them)."""
    global _DUMMY_HASH
    row = store.db.execute("SELECT name, password_hash, active FROM reviewers WHERE name = ?",
                           (name.strip(),)).fetchone()  # fmt: skip
    if row is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not a password of anyone's")
        password_matches(password, _DUMMY_HASH)
        return None
    return row[0] if password_matches(password, row[1]) and row[2] else None
