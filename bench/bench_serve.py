"""How fast the browser review's pages are with 10,000 records in the queue: server time per request.

    python bench/bench_serve.py                 # 10,000 records in a temporary database
    python bench/bench_serve.py -n 50000 -r 20

The shipped inputs/ are summarised by the offline engine, then saved again through the store's own API
(`Store.save_generated`, one transaction) under new ids with varied nations, trends and grounding, so the queue
holds what a real one does. Each page is requested in-process through Starlette's TestClient (no network), and
the median and worst of `-r` requests are printed in milliseconds.
The sorted queue is kept until the database changes, so the first page after a decision costs more than the next
ones; both are printed. Target: the queue page (filtered, sorted least grounded first, counted and paginated) well
under 100 ms once read, and a few hundred ms at most right after a change.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from trendsum.domain.models import Grounding, PointCheck, Trend
from trendsum.queue.store import Store
from trendsum.web import pages
from trendsum.web.app import Settings, build

ROOT = Path(__file__).resolve().parent.parent
NATIONS = ["England", "Scotland", "Wales", "Northern Ireland", "Netherlands"]
TRENDS = ["reimagining services", "harnessing data", "cyber security", "other"]


def fill(db: Path, n: int) -> None:
    subprocess.run([sys.executable, "-m", "trendsum", "summarise", str(ROOT / "inputs"), "--engine", "offline",
                    "--db", str(db)], env={**os.environ, "NO_COLOR": "1"}, check=True, capture_output=True)  # fmt: skip
    rng = random.Random(1)
    with Store(db) as store:
        seeds = [store.get(row.id) for row in store.rows()]
        with store.transaction():
            for i in range(n - len(seeds)):
                seed = rng.choice(seeds)
                changes = {"nation": rng.choice(NATIONS), "trend": Trend(rng.choice(TRENDS)),
                           "title": f"{seed.summary.title} ({i})"}  # fmt: skip
                summary = seed.summary.model_copy(update=changes)
                missing = {path for path in seed.grounding.points if rng.random() < 0.05}  # some points unsupported
                checked = Grounding(points={path: PointCheck(supported=path not in missing,
                                                             missing=["x"] if path in missing else [])
                                            for path in seed.grounding.points})  # fmt: skip
                store.save_generated(f"bench-{i:05d}-{seed.id}", summary, checked, seed.provenance, f"bench-{i}")


def timed(client: TestClient, path: str, repeats: int, cold: bool = False) -> tuple[float, float]:
    client.get(path)  # warm: templates compiled, pages of the database in the cache
    times = []
    for _ in range(repeats):
        if cold:
            pages._QUEUES.clear()  # as after any write: the queue is read and sorted afresh
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="records in the queue")
    parser.add_argument("-r", "--repeats", type=int, default=10, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "trendsum.db"
        started = time.perf_counter()
        fill(db, args.n)
        print(f"queue of {args.n:,} records made in {time.perf_counter() - started:.1f} s")
        with TestClient(build(Settings(str(db), "Bench", accounts=False))) as client:
            first = client.get("/queue").text
            record = first.split('class="record-link" href="', 1)[1].split('"', 1)[0]
            median, worst = timed(client, "/queue", args.repeats, cold=True)
            print(f"{'queue page, first after any change (read and sorted afresh)':58} median {median:7.1f} ms   "
                  f"worst {worst:7.1f} ms")
            for label, path in (("queue page (pending + stale, least grounded first)", "/queue"),
                                ("queue page 100", "/queue?page=100"),
                                ("queue, every status, oldest first", "/queue?status=any&order=oldest"),
                                ("queue filtered: Wales, cyber security, fails unintended",
                                 "/queue?nation=wales&trend=cyber+security&fails=unintended"),
                                ("queue search by title", "/queue?q=phishing"),
                                ("record page (summary, source, history)", record)):  # fmt: skip
                median, worst = timed(client, path, args.repeats)
                print(f"{label:58} median {median:7.1f} ms   worst {worst:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
