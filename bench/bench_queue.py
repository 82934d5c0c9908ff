"""How the review queue feels at 100,000 records: list, filter, show, coverage and export, timed as a user runs them.

    python bench/bench_queue.py                 # 100,000 records in a temporary database
    python bench/bench_queue.py -n 20000 --keep /tmp/queue.db

Records are made by the offline engine from a few case studies, then copied with new ids, statuses, trends
and nations in one transaction (summarising 100,000 files would measure the engine, not the queue).
Target from MISSION.md: listing, filtering and exporting stay interactive, well under a second.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIONS = ["England", "Scotland", "Wales", "Northern Ireland", "Netherlands"]
TRENDS = ["reimagining services", "harnessing data", "cyber security", "other"]
STATUSES = ["pending"] * 6 + ["approved"] * 3 + ["rejected"]


def build(db: Path, n: int) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run([sys.executable, "-m", "trendsum", "summarise", str(ROOT / "inputs"), "--engine", "offline",
                    "--db", str(db)], env=env, check=True, capture_output=True)  # fmt: skip
    rng = random.Random(1)
    conn = sqlite3.connect(db)
    seeds = conn.execute("SELECT * FROM records").fetchall()
    columns = [c[1] for c in conn.execute("PRAGMA table_info(records)")]
    version_rows = {r[0]: r for r in conn.execute("SELECT * FROM versions")}
    conn.execute("BEGIN")
    for i in range(n - len(seeds)):
        seed = dict(zip(columns, rng.choice(seeds), strict=True))
        original = seed["id"]
        record_id = f"bench/{i:06d}-{original}"
        status = rng.choice(STATUSES)
        seed.update(id=record_id, status=status, nation=rng.choice(NATIONS), trend=rng.choice(TRENDS),
                    approved_version=1 if status == "approved" else None)  # fmt: skip
        conn.execute(f"INSERT INTO records ({', '.join(seed)}) VALUES ({', '.join('?' * len(seed))})", tuple(seed.values()))
        version = list(version_rows[original])
        version[0] = record_id
        conn.execute(f"INSERT INTO versions VALUES ({', '.join('?' * len(version))})", version)
        if status != "pending":
            conn.execute("INSERT INTO events (record_id, version, action, actor, note, at) VALUES (?, 1, ?, 'bench', NULL, ?)",
                         (record_id, status, seed["updated_at"]))  # fmt: skip
    conn.execute("COMMIT")
    conn.close()


def timed(db: Path | None, *args: str) -> tuple[float, int]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    started = time.perf_counter()
    where = ["--db", str(db)] if db else []
    proc = subprocess.run([sys.executable, "-m", "trendsum", *args, *where], env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"trendsum {' '.join(args)} failed:\n{proc.stderr.decode()[-1500:]}")
    return elapsed, len(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database here instead of a temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "queue.db"
        if not db.exists():
            started = time.perf_counter()
            build(db, args.n)
            print(f"built {args.n:,} records in {time.perf_counter() - started:.1f} s")
        one = sqlite3.connect(db).execute("SELECT id FROM records WHERE status = 'approved' LIMIT 1").fetchone()[0]
        baseline, _ = timed(None, "--help")
        print(f"{'command':<62} {'seconds':>8} {'stdout bytes':>13}")
        print(f"{'trendsum --help (start-up alone)':<62} {baseline:>8.2f}")
        for command in (
            ["list", "--limit", "50"],
            ["list", "--status", "approved", "--trend", "cyber security", "--nation", "Wales", "--limit", "50"],
            ["list", "--fails", "unintended", "--limit", "50"],
            ["list", "--status", "pending", "--json", "--limit", "1000"],
            ["list"],
            ["list", "--json"],
            ["show", one],
            ["coverage"],
            ["export", "--trend", "cyber security", "--nation", "Wales"],
            ["export"],
        ):
            elapsed, size = timed(db, *command)
            print(f"{'trendsum ' + ' '.join(command):<62} {elapsed:>8.2f} {size:>13,}", flush=True)


if __name__ == "__main__":
    main()
