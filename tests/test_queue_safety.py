"""The queue under unlucky conditions: no queue yet, a read-only or full disk, a damaged file, a newer trendsum,
two runs at once, and a case that breaks in an unexpected way. Each ends in one clear line, and nothing saved is
lost."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HEADED, PROSE_NO_LESSONS
from fake_openai import FakeOpenAI, answer_for
from helpers import jsonl, run

from trendsum import prompts
from trendsum.engines.base import EngineReply, GenerationRequest
from trendsum.engines.offline import OfflineEngine
from trendsum.ingest import discover
from trendsum.pipeline.summarise import FAILED, NEW, RunOptions, summarise_all
from trendsum.queue.store import Store

DB = Path("outputs") / "trendsum.db"


def one_line_error(result, exit_code: int, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())
    for phrase in phrases:
        assert phrase in text, text


def summarised(cases: Path) -> None:
    result = run("summarise", str(cases), "--engine", "offline")
    assert result.exit_code == 0, result.stderr


# -- no queue yet -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("list",), ("show", "x"), ("history", "x"), ("review", "accept", "x"), ("export",), ("coverage",),
     ("analyse", "list"), ("review", "--id", "x")],  # fmt: skip
)
def test_reading_commands_never_create_a_queue(command: tuple[str, ...]) -> None:
    result = run(*command)
    one_line_error(result, 2, f"No review queue at {DB}", "trendsum summarise inputs/")
    assert not DB.exists()


def test_a_summarise_that_saved_nothing_leaves_no_queue(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    assert run("summarise", str(folder), "--engine", "offline").exit_code == 1
    assert not DB.exists() and not DB.parent.exists()
    one_line_error(run("summarise", str(folder), "--engine", "openai"), 2, "No API key")
    (folder / "case.md").write_text(HEADED, encoding="utf-8")
    down = run("summarise", str(folder), "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
               "--max-retries", "0")  # fmt: skip
    one_line_error(down, 1, "cannot reach")
    assert not DB.exists()
    # the first run that saves something creates the queue, with the ids it gave while it was in memory
    assert run("summarise", str(folder), "--engine", "offline").exit_code == 1  # empty.txt and old.doc still fail
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["case"]
    with sqlite3.connect(DB) as conn:
        assert sorted(row[0] for row in conn.execute("SELECT case_id FROM sources")) == ["case", "empty"]


def test_an_unknown_id_suggests_the_close_ones(cases: Path) -> None:
    summarised(cases)
    one_line_error(run("show", "tayside"), 2, "Did you mean tayside-blue-badges?")
    one_line_error(run("review", "accept", "harbourside-housng"), 2, "Did you mean harbourside-housing?")
    one_line_error(run("show", "tayside-blue-badges", "--version", "7"), 2, "has no version 7")


# -- a queue this user may not write ------------------------------------------------------------------------------


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Paths made immutable with chattr +i (even root cannot write them), made mutable again afterwards."""
    paths: list[Path] = []
    yield paths
    for path in reversed(paths):
        subprocess.run(["chattr", "-i", str(path)], check=False)


def make_immutable(paths: list[Path], path: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("chattr"):
        pytest.skip("needs root and chattr to make a file unwritable for everyone")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not permitted here: {done.stderr.strip()}")
    paths.append(path)


def test_reading_works_on_a_read_only_queue_and_writing_says_why_not(cases: Path, immutable: list[Path]) -> None:
    summarised(cases)
    before = DB.read_bytes()
    make_immutable(immutable, DB)
    make_immutable(immutable, DB.parent)
    assert len(jsonl(run("list", "--json").stdout)) == 3
    assert run("show", "tayside-blue-badges").exit_code == 0
    assert run("export", "--status", "pending").exit_code == 0
    one_line_error(run("review", "accept", "tayside-blue-badges"), 1, "read-only")
    one_line_error(run("summarise", str(cases), "--engine", "offline"), 1, "read-only")
    assert DB.read_bytes() == before


# -- a full disk ----------------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), so SQLite meets a genuinely full disk."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_stops_the_run_with_one_line_and_keeps_what_was_saved(tmp_path: Path, small_disk: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        text = HEADED.replace("6,000", f"{6000 + i:,}") + ("\nPadding sentence about the programme. " * 40) * (i % 5)
        (folder / f"case-{i:02d}.md").write_text(text, encoding="utf-8")
    db = small_disk / "trendsum.db"
    result = run("summarise", str(folder), "--engine", "offline", "--db", str(db))
    one_line_error(result, 1, "is full", "Everything saved before this point is kept")
    listed = run("list", "--json", "--db", str(db))
    assert listed.exit_code == 0, listed.stderr
    saved = jsonl(listed.stdout)
    assert 0 < len(saved) < 60
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # space is freed (the file system grows): the same command finishes the rest, nothing twice
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    again = run("summarise", str(folder), "--engine", "offline", "--db", str(db))
    assert again.exit_code == 0, again.stderr
    assert len(jsonl(run("list", "--json", "--db", str(db)).stdout)) == 60
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 60


# -- a damaged queue, a newer trendsum -----------------------------------------------------------------------------


def test_a_damaged_queue_gets_one_clear_line(cases: Path) -> None:
    summarised(cases)
    size = DB.stat().st_size
    with DB.open("r+b") as handle:  # scribble over everything after the header page
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))
    one_line_error(run("list"), 1, "damaged")
    one_line_error(run("summarise", str(cases), "--engine", "offline"), 1, "damaged")
    Path("notes.db").write_text("not a database at all\n" * 100)
    one_line_error(run("list", "--db", "notes.db"), 1, "damaged")


def test_damage_found_after_the_queue_opened_is_one_line_too(cases: Path) -> None:
    """Only the records table's pages are broken: the queue opens (migrations read fine), then a read fails."""
    summarised(cases)
    with sqlite3.connect(DB) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
    with DB.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)
    with Store(DB, create=False) as store:  # opening does not read the records table
        assert store.path == DB
    one_line_error(run("list"), 1, "damaged", "restore it from a backup")
    one_line_error(run("export", "--status", "pending"), 1, "damaged")


def test_a_queue_from_a_newer_trendsum_is_read_but_never_written(cases: Path) -> None:
    summarised(cases)
    with sqlite3.connect(DB) as conn:
        conn.execute("INSERT INTO migrations VALUES ('m999_from_the_future', '2030-01-01')")
    assert len(jsonl(run("list", "--json").stdout)) == 3
    one_line_error(run("summarise", str(cases), "--engine", "offline", "--force"), 1, "newer trendsum",
                   "m999_from_the_future")  # fmt: skip
    one_line_error(run("review", "accept", "tayside-blue-badges"), 1, "newer trendsum")
    with sqlite3.connect(DB) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE action = 'approved'").fetchone()[0] == 0


def test_an_unknown_status_is_a_clear_error_not_a_crash(cases: Path) -> None:
    summarised(cases)
    with sqlite3.connect(DB) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE records SET status = 'embargoed' WHERE id = 'tayside-blue-badges'")
    for command in (("list",), ("show", "tayside-blue-badges"), ("history", "tayside-blue-badges")):
        one_line_error(run(*command), 1, "'embargoed'", "newer trendsum")


# -- two runs at once, and a case that breaks --------------------------------------------------------------------


def test_two_runs_at_once_count_only_what_each_saved(tmp_path: Path) -> None:
    """Both runs ask the model for every case (neither has saved anything when they start); each case is saved
    once, and the run that finds it already saved says unchanged, not updated."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):
        (folder / f"case-{i:02d}.txt").write_text(PROSE_NO_LESSONS.replace("4,000", f"{4000 + i:,}"), encoding="utf-8")
    everyone_asked = threading.Barrier(16, timeout=60)  # no answer until both runs have asked for all 8 cases

    def answer_when_both_asked(request):  # type: ignore[no-untyped-def]
        everyone_asked.wait()
        return answer_for(request)

    with FakeOpenAI(responder=answer_when_both_asked) as server:
        command = [sys.executable, "-m", "trendsum", "summarise", str(folder), "--engine", "openai", "--base-url",
                   server.url, "--model", "test-model", "--concurrency", "8"]  # fmt: skip
        env = {**os.environ, "OPENAI_API_KEY": "test-key-two-runs"}
        runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]  # fmt: skip
        outputs = [process.communicate(timeout=120)[1] for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    counts = [_counts(text) for text in outputs]
    assert sum(c["new"] for c in counts) == 8 and sum(c["updated"] for c in counts) == 0, counts
    assert sum(c["new"] + c["unchanged"] for c in counts) == 16
    with sqlite3.connect(DB) as conn:
        assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 8


def _counts(stderr: str) -> dict[str, int]:
    lines = stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if "new" in line and "updated" in line and "unchanged" in line)
    names = [cell.strip() for cell in lines[header].strip("┃│ ").split("┃")]
    values = next(line for line in lines[header + 1 :] if any(ch.isdigit() for ch in line))
    return dict(zip(names, (int(v) for v in values.strip("│ ").split("│")), strict=False))


class BreaksOnOneCase(OfflineEngine):
    """The real offline engine, except that one case meets a bug: the run must go on without it."""

    async def generate(self, request: GenerationRequest) -> EngineReply:
        if "Cwm Taf" in request.case.title:
            raise KeyError("an unexpected bug")
        return await super().generate(request)


def test_an_unexpected_error_fails_that_case_only(cases: Path) -> None:
    with Store(DB) as store:
        run_all = summarise_all(discover([cases]), store, BreaksOnOneCase(), prompts.load(), RunOptions())
        report = asyncio.run(run_all)
        results = {o.case_id: o for o in report.outcomes}
        assert results["rct-school-transport"].result == FAILED
        assert "internal error" in (results["rct-school-transport"].reason or "")
        assert {results["tayside-blue-badges"].result, results["harbourside-housing"].result} == {NEW}
        assert [f.case_id for f in store.failures()] == ["rct-school-transport"]


def test_doctor_still_checks_the_endpoint_beside_a_queue_it_may_not_write(cases: Path, server: FakeOpenAI) -> None:
    summarised(cases)
    with sqlite3.connect(DB) as conn:
        conn.execute("INSERT INTO migrations VALUES ('m999_from_the_future', '2030-01-01')")
    server.responder = answer_for
    result = run("doctor", "--engine", "openai", "--base-url", server.url, "--model", "test-model")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "mode json_schema" in result.stdout
    with sqlite3.connect(DB) as conn:
        assert conn.execute("SELECT count(*) FROM endpoint_modes").fetchone()[0] == 0  # not written


def test_going_back_to_a_model_already_used_makes_no_call(cases: Path, server: FakeOpenAI) -> None:
    server.responder = answer_for
    for model in ("m1", "m2"):
        result = run("summarise", str(cases), "--engine", "openai", "--base-url", server.url, "--model", model)
        assert result.exit_code == 0, result.stderr
    calls = len(server.chat_requests)
    again = run("summarise", str(cases), "--engine", "openai", "--base-url", server.url, "--model", "m1")
    assert again.exit_code == 0 and len(server.chat_requests) == calls  # the same file, model and prompt
