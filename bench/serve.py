"""A local OpenAI-compatible server answering every request after a fixed latency (for bench_openai.py).

Run: python bench/serve.py --latency 0.2   (prints its base URL on the first line, then serves until killed)
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI, answer_for  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--latency", type=float, default=0.2, help="seconds before each answer")
args = parser.parse_args()
with FakeOpenAI(responder=answer_for, latency=args.latency) as server:
    print(server.url, flush=True)
    threading.Event().wait()
