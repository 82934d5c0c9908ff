"""Throughput, rerun cost and memory of `trendsum summarise` against a local OpenAI-compatible server.

    python bench/bench_openai.py                      # N=500, concurrency 16, 200 ms per answer
    python bench/bench_openai.py -n 2000 --sweep 100,500,2000   # peak memory as the folder grows

Prints wall time, the ideal (N / concurrency x latency) and their ratio, calls made and peak memory of the
trendsum process; then reruns with nothing changed and prints the calls that made (target: 0).
Targets from MISSION.md: ratio <= 1.2 at N=500; rerun in seconds; memory flat from N=100 to N=2000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNCILS = ["Fife Council", "Conwy County Borough Council", "Belfast City Council", "Kent County Council",
            "Gemeente Utrecht", "Leeds City Council", "Highland Council", "Cardiff Council"]  # fmt: skip


def write_cases(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        council = rng.choice(COUNCILS)
        pct, weeks, year = rng.randint(5, 80), rng.randint(2, 20), rng.choice([2023, 2024, 2025])
        (folder / f"case-{i:05d}.md").write_text(
            f"# {council}: service change number {i}\n\n"
            f"{council} ran a project numbered {i} to improve how residents apply for help.\n\n"
            f"## The challenge\n\nThe main problem was a backlog that left residents waiting {weeks} weeks.\n"
            f"Staff re-typed paper forms by hand, which was slow and costly.\n\n"
            f"## What we did\n\nThe team built an online form with residents and introduced automatic checks in {year}.\n\n"
            f"## Results\n\nAs a result, waiting times fell by {pct}% within six months of launch.\n\n"
            f"## Lessons learnt\n\nOne lesson was that testing with residents early saved months of rework.\n",
            encoding="utf-8",
        )


def calls(url: str) -> int:
    with urllib.request.urlopen(url.rstrip("/") + "/stats", timeout=5) as response:
        return json.load(response)["chat_requests"]


def summarise(cases: Path, db: Path, url: str, concurrency: int) -> tuple[float, float]:
    """Run the real CLI; return wall seconds and the child's peak resident memory in MiB."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("OPENAI_API_KEY", None)
    command = [sys.executable, "-m", "trendsum", "summarise", str(cases), "--engine", "openai", "--base-url", url,
               "--model", "bench-model", "--concurrency", str(concurrency), "--db", str(db)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"trendsum failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return wall, peak


def run_once(n: int, concurrency: int, latency: float, work: Path, url: str) -> dict[str, float]:
    cases, db = work / f"cases-{n}", work / f"queue-{n}.db"
    write_cases(cases, n)
    start_calls = calls(url)
    wall, peak = summarise(cases, db, url, concurrency)
    made = calls(url) - start_calls
    rerun_wall, _ = summarise(cases, db, url, concurrency)
    rerun_calls = calls(url) - start_calls - made
    ideal = n / concurrency * latency
    return {"n": n, "wall": wall, "ideal": ideal, "ratio": wall / ideal, "calls": made, "peak_mib": peak,
            "rerun_wall": rerun_wall, "rerun_calls": rerun_calls}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--sweep", help="comma-separated sizes to measure peak memory at, e.g. 100,500,2000")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), "--latency", str(args.latency)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        sizes = [int(s) for s in args.sweep.split(",")] if args.sweep else [args.n]
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{'N':>6} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'calls':>6} {'peak MiB':>9} "
                  f"{'rerun s':>8} {'rerun calls':>11}")  # fmt: skip
            for n in sizes:
                r = run_once(n, args.concurrency, args.latency, Path(tmp), url)
                print(f"{r['n']:>6} {r['wall']:>8.2f} {r['ideal']:>8.2f} {r['ratio']:>6.2f} {r['calls']:>6.0f} "
                      f"{r['peak_mib']:>9.1f} {r['rerun_wall']:>8.2f} {r['rerun_calls']:>11.0f}", flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
