"""How trendsum's sentence segmenter does on real case studies, and how it compares with pysbd.

    python bench/bench_segmenter.py                                  # ../shared/data/real-case-studies
    python bench/bench_segmenter.py --pysbd-venv /tmp/pysbd-venv -n 60 --seed 3
    python bench/bench_segmenter.py --data other/folder --rounds 5

Reads every Markdown and ODT file under the folder through trendsum's own readers (the text the engines see) and
the long text columns of every CSV there, segments it all, and prints counts and speed. pysbd is not a dependency
of trendsum: install it in a throwaway venv (`python3 -m venv /tmp/pysbd-venv && /tmp/pysbd-venv/bin/pip install
pysbd`) and pass `--pysbd-venv`, or run this with a Python that has it. The comparison is inside paragraphs only
(each of our paragraphs and list items is given to pysbd as it is), because pysbd does not know headings, lists or
tables: it measures where the two put sentence ends, prints a random sample of the ends only one of them puts, and
times both.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trendsum.domain.sentences import Sentence, segment
from trendsum.errors import IngestError
from trendsum.ingest import discover, read_case

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "real-case-studies"
# Inventory columns that hold prose (the rest are codes, names, dates and yes/no answers)
CSV_TEXT_COLUMNS = ("problem_solved", "benefits", "system_outputs", "data_description", "hi_potential_impacts")
SHOWN = 70  # characters of context either side of a disagreement


def documents(data: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every case study file and every non-empty prose cell of every CSV under `data`."""
    for source in discover([data]):
        suffix = source.path.suffix.lower()
        if suffix == ".csv":
            with source.path.open(encoding="utf-8-sig", newline="") as handle:
                for number, row in enumerate(csv.DictReader(handle), start=2):
                    for column in CSV_TEXT_COLUMNS:
                        if (row.get(column) or "").strip():
                            yield f"{source.path.name}:{number}:{column}", row[column]
        elif suffix in (".md", ".odt"):
            try:
                yield str(source.path.relative_to(data)), read_case(source).text
            except IngestError as exc:
                print(f"skipped: {exc}", file=sys.stderr)


def load_pysbd(venv: Path | None) -> Callable[[str], list[tuple[int, int]]] | None:
    """pysbd's sentence spans of a text, or None when it cannot be imported (here or from `venv`)."""
    if venv is not None:
        sys.path.extend(str(p) for p in sorted(venv.glob("lib/python*/site-packages")))
    try:
        import pysbd  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    segmenter: Any = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def spans(text: str) -> list[tuple[int, int]]:
        return [(span.start, span.end) for span in segmenter.segment(text)]

    return spans


def inner_ends(spans: list[tuple[int, int]], text: str) -> set[int]:
    """Where sentences end, at the last non-space character of each span."""
    ends = set()
    for start, end in spans:
        while end > start and text[end - 1].isspace():
            end -= 1
        ends.add(end)
    return ends


def timed(function: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pysbd-venv", type=Path, help="a venv with pysbd installed (it is not a trendsum dependency)")
    parser.add_argument("-n", type=int, default=50, help="disagreements to print (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="timing runs; the best is shown")
    args = parser.parse_args()

    docs = list(documents(args.data))
    if not docs:
        sys.exit(f"nothing to read under {args.data}")
    characters = sum(len(text) for _, text in docs)
    seconds, segmented = timed(lambda: [segment(text) for _, text in docs], args.rounds)
    sentences: list[tuple[Sentence, ...]] = segmented
    total = sum(len(s) for s in sentences)
    headings = sum(1 for ss in sentences for s in ss if s.heading)
    paragraphs = sum(len({s.paragraph for s in ss}) for ss in sentences)
    kinds = {"csv": sum(1 for name, _ in docs if ".csv:" in name), "files": sum(1 for n, _ in docs if ".csv:" not in n)}
    print(f"texts: {len(docs):,} ({kinds['files']} files, {kinds['csv']:,} CSV cells), {characters:,} characters")
    print(f"trendsum: {total:,} sentences ({headings:,} headings) in {paragraphs:,} blocks; "
          f"{seconds:.3f} s best of {args.rounds} ({characters / seconds / 1e6:.1f} M chars/s)")  # fmt: skip
    for (name, text), ss in zip(docs, sentences, strict=True):
        assert all(text[s.start : s.end] == s.text for s in ss), name
        assert [s.id for s in ss] == list(range(1, len(ss) + 1)), name

    pysbd_spans = load_pysbd(args.pysbd_venv)
    if pysbd_spans is None:
        print("pysbd: not importable (pass --pysbd-venv); no comparison")
        return
    # The same paragraphs for both: each block of ours that is not a heading, as it stands in the text.
    blocks: list[tuple[str, str, int, set[int]]] = []  # (doc name, text, block offset, our inner ends)
    block_texts: list[str] = []
    for (name, text), ss in zip(docs, sentences, strict=True):
        by_block: dict[int, list[Sentence]] = {}
        for s in ss:
            by_block.setdefault(s.paragraph, []).append(s)
        for block in by_block.values():
            if not block[0].heading and not block[0].text.startswith("|"):  # pysbd knows no tables
                blocks.append((name, text, block[0].start, {s.end for s in block[:-1]}))
                block_texts.append(text[block[0].start : block[-1].end])
    pysbd_seconds, theirs = timed(lambda: [pysbd_spans(t) for t in block_texts], 1)
    agree = only_ours = only_theirs = 0
    disagreements: list[tuple[str, str, int, str]] = []
    for (name, text, start, ours), block_text, spans in zip(blocks, block_texts, theirs, strict=True):
        their_ends = {start + end for end in inner_ends(spans, block_text) if 0 < end < len(block_text)}
        agree += len(ours & their_ends)
        only_ours += len(ours - their_ends)
        only_theirs += len(their_ends - ours)
        disagreements += [(name, text, end, "trendsum only") for end in sorted(ours - their_ends)]
        disagreements += [(name, text, end, "pysbd only") for end in sorted(their_ends - ours)]
    union = agree + only_ours + only_theirs
    version = getattr(sys.modules.get("pysbd"), "__version__", "?")
    print(f"pysbd {version}: {pysbd_seconds:.3f} s on the same {len(block_texts):,} paragraphs "
          f"({pysbd_seconds / seconds:.0f}x trendsum's time for everything)")  # fmt: skip
    if not union:
        print("no sentence ends inside paragraphs")
        return
    print(f"sentence ends inside paragraphs: {agree:,} agreed, {only_ours:,} trendsum only, "
          f"{only_theirs:,} pysbd only; agreement {agree / union:.1%} of {union:,}")  # fmt: skip
    rng = random.Random(args.seed)
    sample = sorted(rng.sample(disagreements, min(args.n, len(disagreements))), key=lambda d: (d[3], d[0], d[2]))
    for number, (name, text, end, who) in enumerate(sample, start=1):
        before = " ".join(text[max(0, end - SHOWN) : end].split())
        after = " ".join(text[end : end + SHOWN].split())
        print(f"\n{number:>3}. {who}: {name}\n     ...{before} ‖ {after}...")


if __name__ == "__main__":
    main()
