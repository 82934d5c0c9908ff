"""What evidence by reference saves: output tokens per record, prompt tokens per call other than the case text,
and wall time per case, against the bench server (bench/serve.py), for one prompt and one trendsum source tree.

    python bench/bench_evidence.py                                  # this tree, the default prompt (summarise-v2)
    python bench/bench_evidence.py --prompt summarise-v1            # the prompt that asks for quotes
    python bench/bench_evidence.py --trendsum-src /tmp/old/src      # an older trendsum, e.g. `git archive` of a commit

The server answers with the offline engine's summary of each case in the style the prompt asks for and counts
tokens as four characters each, on both sides, so the figures compare prompts and versions, not models. Cases are
the shipped `inputs/` (or --inputs), each summarised once (--rounds times, for steadier wall times).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompt", default=None, help="prompt name (default: the tree's default)")
    parser.add_argument("--inputs", type=Path, default=ROOT / "inputs")
    parser.add_argument("--trendsum-src", type=Path, default=None, help="run trendsum from this src/ folder")
    parser.add_argument("--mode", default="json_schema")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1", "TRENDSUM_REVIEWER": "bench"}
    env.pop("OPENAI_API_KEY", None)
    if args.trendsum_src:
        env["PYTHONPATH"] = str(args.trendsum_src.resolve())
    cases = sorted(p for p in args.inputs.iterdir() if p.is_file() and p.name.lower() != "readme.md")
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), "--latency", "0"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        walls, records = [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "queue.db"
                command = [sys.executable, "-m", "trendsum", "summarise", *map(str, cases), "--engine", "openai",
                           "--base-url", url, "--model", "bench-model", "--mode", args.mode, "--db", str(db),
                           "--concurrency", "1"]  # fmt: skip
                if args.prompt:
                    command += ["--prompt", args.prompt]
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp)
                walls.append((time.perf_counter() - started) / len(cases))
                if done.returncode not in (0, 1):
                    sys.exit(f"trendsum failed ({done.returncode}):\n{done.stderr[-2000:]}")
                exported = subprocess.run([sys.executable, "-m", "trendsum", "export", "--status", "pending",
                                           "--db", str(db)], env=env, capture_output=True, text=True, cwd=tmp)  # fmt: skip
                records = [json.loads(line) for line in exported.stdout.splitlines()]
    finally:
        server.terminate()
        server.wait()
    by_name = {Path(r["provenance"]["source_path"]).name: r for r in records}
    calls = sum(r["provenance"]["attempts"] for r in records)
    output = [r["provenance"]["completion_tokens"] / r["provenance"]["attempts"] for r in records]
    overhead = [
        (r["provenance"]["prompt_tokens"] / r["provenance"]["attempts"]) - len((args.inputs / name).read_text()) // 4
        for name, r in by_name.items()
    ]
    prompt = records[0]["provenance"]["prompt_name"] if records else "-"
    print(f"prompt {prompt}, mode {args.mode}, trendsum from {args.trendsum_src or 'this tree'}")
    print(f"  cases {len(cases)}, records {len(records)}, calls {calls}")
    print(f"  output tokens per answer: mean {statistics.mean(output):.0f}, median {statistics.median(output):.0f}")
    print(f"  prompt tokens per call other than the case text: mean {statistics.mean(overhead):.0f}")
    print(f"  wall time per case: median of {args.rounds} rounds {statistics.median(walls) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
