"""Who may use the review pages, and running them: on loopback, the reviewer `serve` was started as (as the CLI
names them); on any other address, or with `require_login`, only signed-in reviewer accounts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..queue import reviewers
from ..queue.store import Store
from .security import is_loopback


@dataclass(frozen=True)
class Plan:
    """What `serve` will do, decided before anything listens."""

    host: str
    port: int
    db: Path
    reviewer: str | None  # None: accounts
    allowed_hosts: list[str]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def plan(host: str, port: int, db: Path, reviewer: Callable[[], str], require_login: bool) -> Plan:
    """Refuse to serve a queue to the network without accounts; on loopback without them, the reviewer is the
    CLI's (flag, environment, config or login), and only loopback host names are answered, so a web page the
    reviewer visits cannot reach the server through a name that resolves to 127.0.0.1 (DNS rebinding)."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, not {port}.")
    with Store(db, create=False) as store:
        has_accounts = reviewers.any_active(store)
    loopback = is_loopback(host)
    if not loopback and not has_accounts:
        raise UsageError(
            f"Refusing to serve the queue on {host} without reviewer accounts: anyone who can reach it could "
            "approve records. Add one with `trendsum reviewers add NAME`, or serve on 127.0.0.1."
        )
    if require_login and not has_accounts:
        raise UsageError("--require-login needs a reviewer account: add one with `trendsum reviewers add NAME`.")
    accounts = require_login or not loopback
    allowed = ["*"] if not loopback else ["127.0.0.1", "localhost", "::1", "[::1]"]
    return Plan(host, port, db, None if accounts else reviewer(), allowed)


def run(chosen: Plan, say: Callable[[str], None]) -> None:
    import uvicorn

    from .app import Settings, build

    settings = Settings(str(chosen.db), chosen.reviewer, accounts=chosen.reviewer is None,
                        allowed_hosts=chosen.allowed_hosts)  # fmt: skip
    config = uvicorn.Config(build(settings), host=chosen.host, port=chosen.port, log_level="warning",
                            server_header=False, proxy_headers=False)  # fmt: skip
    server = uvicorn.Server(config)
    who = f"as {chosen.reviewer}" if chosen.reviewer else "for signed-in reviewers"
    say(f"Reviewing {chosen.db} {who} at {chosen.url} (Ctrl-C stops the server)")
    server.run()


@contextmanager
def in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` from a thread while the block runs, on a free port unless given; yields its base URL. For the
    browser tests and the screenshot script, which drive a real browser against a real server."""
    import uvicorn

    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the review server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
