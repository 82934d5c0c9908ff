"""A run killed or interrupted mid-way keeps what it saved, and the next run does only the rest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROSE_NO_LESSONS
from fake_openai import FakeOpenAI, answer_for

CASES = 12


@pytest.fixture
def slow_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(responder=lambda request: answer_for(request, delay=0.25)) as fake:
        yield fake


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(CASES):
        (folder / f"case-{i:02d}.txt").write_text(PROSE_NO_LESSONS.replace("4,000", f"{4000 + i:,}"), encoding="utf-8")
    return folder


def start(folder: Path, db: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_API_KEY": "test-key-crash"}
    return subprocess.Popen(
        [sys.executable, "-m", "trendsum", "summarise", str(folder), "--engine", "openai", "--base-url", url,
         "--model", "test-model", "--concurrency", "2", "--db", str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def records(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:  # the tables are not there yet
        return 0


def wait_for_records(db: Path, at_least: int, process: subprocess.Popen[str], limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while records(db) < at_least:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.05)


def settled_calls(server: FakeOpenAI) -> int:
    """Requests the server got, once a killed client's last ones (still in socket buffers) have arrived."""
    count, deadline = -1, time.monotonic() + 10
    while count != len(server.chat_requests) or server.in_flight:
        assert time.monotonic() < deadline, "the server never settled"
        count = len(server.chat_requests)
        time.sleep(0.3)
    return count


def check_complete(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == CASES
        assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == CASES  # none duplicated
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_loses_nothing_and_rerun_does_only_the_rest(
    how: signal.Signals, slow_server: FakeOpenAI, folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "queue.db"
    process = start(folder, db, slow_server.url)
    wait_for_records(db, 3, process)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=20)
    saved = records(db)
    assert 3 <= saved < CASES
    if how == signal.SIGINT:
        assert process.returncode == 130
        assert "Interrupted." in stderr and "run the same command again" in stderr
    calls_before = settled_calls(slow_server)

    rerun = start(folder, db, slow_server.url)
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    check_complete(db)
    assert len(slow_server.chat_requests) - calls_before == CASES - saved  # only the rest was asked for
