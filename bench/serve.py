"""A local OpenAI-compatible server answering every request after a fixed latency (for bench_openai.py and
bench_evidence.py). Its answers are the offline engine's summary of the case, in the evidence style the prompt
asks for; the token counts it reports are estimates (four characters a token) of what it was sent and answered.

Run: python bench/serve.py --latency 0.2   (prints its base URL on the first line, then serves until killed)
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI, Reply, answer_for, prompt_tokens  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--latency", type=float, default=0.2, help="seconds before each answer")
args = parser.parse_args()


def counted(request: dict) -> Reply:  # type: ignore[type-arg]
    """The answer, with usage estimated from the request and the answer (not the fixed figures tests use)."""
    reply = answer_for(request)
    choice = reply.body["choices"][0]["message"]
    answered = choice.get("content") or "".join(c["function"]["arguments"] for c in choice.get("tool_calls") or [])
    sent = prompt_tokens(request)
    reply.body["usage"] = {"prompt_tokens": sent, "completion_tokens": len(answered) // 4,
                           "total_tokens": sent + len(answered) // 4}  # fmt: skip
    return reply


with FakeOpenAI(responder=counted, latency=args.latency) as server:
    print(server.url, flush=True)
    threading.Event().wait()
