"""What keeps the review pages safe to leave open on a shared machine: a CSRF token per session, a limit on login
attempts, a check that a form came from our own pages, and the headers every response carries."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from collections import deque
from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]

# No inline script or style anywhere, no framing, no plugins, forms post only to us.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: that makes browsers send "Origin: null" on our forms
    (b"cross-origin-opener-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made at its first page: forms carry it in a hidden field."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: MutableMapping[str, Any], given: object) -> bool:
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(given, str) and hmac.compare_digest(token, given)


def same_origin(headers: MutableMapping[str, str] | Any, host: str | None) -> bool:
    """A browser names the site a form was posted from; one from another site is refused whatever it carries. An
    absent or opaque ("null") origin says nothing either way: the CSRF token still decides."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return True
    return host is not None and origin.split("://", 1)[-1] == host


class LoginLimiter:
    """At most `attempts` failed logins in `window` seconds per client address, and per address and name; and, so
    that guessing from many addresses is slowed too, ten times that per name from anywhere. A name alone never
    takes the first limit: else anyone could lock a reviewer out by failing five times with their name."""

    NAME_FACTOR = 10
    # Keys kept before the stale ones are swept, and, if a flood of fresh ones is still more, the least recent are
    # dropped: memory stays bounded whatever names and addresses are tried.
    MAX_KEYS = 10_000

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        times = self.failures.get(key) or deque()
        cutoff = time.monotonic() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def _limits(self, client: str, name: str) -> list[tuple[str, int]]:
        return [(f"ip:{client}", self.attempts), (f"ip:{client}|name:{name}", self.attempts),
                (f"name:{name}", self.attempts * self.NAME_FACTOR)]  # fmt: skip

    def wait(self, client: str, name: str) -> int:
        """Seconds to wait before trying again; 0 when a try is allowed now."""
        waits = [int(times[0] + self.window - time.monotonic()) + 1 for key, most in self._limits(client, name)
                 if len(times := self._recent(key)) >= most]  # fmt: skip
        return max(waits, default=0)

    def failed(self, client: str, name: str) -> None:
        for key, _ in self._limits(client, name):
            times = self._recent(key)
            times.append(time.monotonic())
            self.failures[key] = times
        if len(self.failures) > self.MAX_KEYS:
            fresh = {key: times for key in list(self.failures) if (times := self._recent(key))}
            newest = sorted(fresh, key=lambda key: fresh[key][-1], reverse=True)[: self.MAX_KEYS // 2]
            self.failures = {key: fresh[key] for key in newest}


class SecurityHeaders:
    """ASGI middleware: the headers above on every response, and no caching of pages that show queue content."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
