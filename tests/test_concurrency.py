"""Real processes against one database: two runs at once, and a run stopped with Ctrl-C, lose and duplicate nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

TOWNS = ["Ashby", "Brackley", "Carrow", "Dunmore", "Eastleigh", "Fenwick", "Garston", "Holbeck", "Ilkley", "Jarrow"]


def write_cases(folder: Path, count: int, paragraphs: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        town = f"{TOWNS[i % len(TOWNS)]} {i}"
        body = (
            f"{town} Council in England had a backlog of {100 + i} repair requests in 2023. "
            f"The team built an online form with tenants and tested it in {i + 2} estates. "
            f"As a result, repairs were completed {i + 5}% faster in 2024. "
        )
        (folder / f"case-{i:03d}.md").write_text(f"# {town} Council: repairs\n\n" + (body + "\n\n") * paragraphs)


def summarise(folder: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "trendsum", "summarise", str(folder), "--engine", "offline", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def queue_state(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as con:
        return {
            "integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
            "records": con.execute("SELECT count(*) FROM records").fetchone()[0],
            "versions": con.execute("SELECT count(*) FROM versions").fetchone()[0],
            "max_version": con.execute("SELECT coalesce(max(current_version), 0) FROM records").fetchone()[0],
            "created_events": con.execute("SELECT count(*) FROM events WHERE action = 'created'").fetchone()[0],
        }


def test_two_runs_at_once_on_one_database_make_each_record_once(tmp_path: Path) -> None:
    folder, db = tmp_path / "cases", tmp_path / "queue.db"
    write_cases(folder, 30, paragraphs=20)  # each run lasts long enough for the two to interleave
    first, second = summarise(folder, db), summarise(folder, db)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert queue_state(db) == {"integrity": "ok", "records": 30, "versions": 30, "max_version": 1, "created_events": 30}
    assert sum(_counts(stderr)[0] for _, stderr in results) == 30  # each record reported new by one run only


def test_ctrl_c_keeps_what_was_saved_and_a_rerun_does_only_the_rest(tmp_path: Path) -> None:
    folder, db = tmp_path / "cases", tmp_path / "queue.db"
    total = 50
    write_cases(folder, total, paragraphs=40)  # long enough that the run takes a few seconds
    process = summarise(folder, db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and _records(db) >= 3:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    state = queue_state(db)
    saved = state["records"]
    assert isinstance(saved, int) and 3 <= saved < total, stderr  # it stopped, and promptly
    assert state == {"integrity": "ok", "records": saved, "versions": saved, "max_version": 1, "created_events": saved}
    assert f"Interrupted. {saved} record(s) were saved and are kept" in " ".join(stderr.split())

    rerun = summarise(folder, db)
    _, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert queue_state(db) == {"integrity": "ok", "records": total, "versions": total, "max_version": 1,
                               "created_events": total}  # fmt: skip
    assert _counts(stderr) == [total - saved, 0, saved, 0]


def _counts(stderr: str) -> list[int]:
    """The run summary's first row: new, updated, unchanged, failed."""
    row = [line for line in stderr.splitlines() if line.startswith("│")][0]
    return [int(cell) for cell in row.split("│")[1:5]]


def _records(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:  # the tables are not there yet
        return 0

