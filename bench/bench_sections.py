"""How well sentences get their section: cue phrases, the learned model, and the two combined, on held-out text.

Each sentence is classified alone here. The offline engine now reads a document's sentences in order
(`sections.place`); `scripts/train_sections.py` prints how that reads the held-out sentences, and
`bench/eval_inventory.py --held-out --documents` measures the engine itself with `trendsum eval`.

    python bench/bench_sections.py                       # ../shared/data/real-case-studies
    python bench/bench_sections.py --data other/folder --floor 0.5

Uses the split `scripts/train_sections.py` trains with, and scores only the held-out part: whole agencies of the
federal AI inventory and whole 18F and Land Registry documents the shipped model has never seen. Each sentence's
true section comes from its source's structure (inventory column, document heading); where a source mixes two
(Land Registry's "Resolving issues": challenges and approach; 18F's intro: context and challenge) either counts.

Two settings:
- plain prose: the headings removed, so every sentence is classified on its own words;
- headed: the offline engine's own heading rules decide where a heading names a section, and the classifier only
  for sentences under no useful heading (inventory rows have no headings, so they are in plain prose only).

Two measures:
- all sentences: share of every sentence given a section its source allows (no section counts as overview, which
  is right only for 18F intros), so a method that abstains is not rewarded;
- picked: what a summary shows. Per document and section, the (up to) four sentences a method is surest of, as the
  offline engine's `_pick` takes them; the share of those picks in a section their source allows. This is the
  measure of issue 14 (0.78 headed, 0.53 plain for cue phrases on its own held-out set).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from trendsum.engines import offline, sections

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("train_sections", ROOT / "scripts" / "train_sections.py")
assert _spec is not None and _spec.loader is not None
train_sections = importlib.util.module_from_spec(_spec)
sys.modules["train_sections"] = train_sections  # dataclasses look their module up
_spec.loader.exec_module(train_sections)
Example = train_sections.Example

SECTIONS = ("challenges", "approach", "outcomes", "lessons")
FLOOR = sections.FLOOR  # the model's probability below which the combination leaves a sentence unassigned
# A guess: (section or None, how sure, on the method's own scale; only the order within a method matters)
Guess = tuple[str | None, float]


Predict = Callable[[str], tuple[str, float]]


def by_cues(text: str, predict: Predict, floor: float) -> Guess:
    return offline._classify(text)


def by_model(text: str, predict: Predict, floor: float) -> Guess:
    return predict(text)


def combined(text: str, predict: Predict, floor: float) -> Guess:
    """sections.combine, the wiring proposed for offline._pick."""
    return sections.combine(offline._classify(text), predict(text), floor)


METHODS = {"cue phrases": by_cues, "model": by_model, "combined": combined}
Method = Callable[[str, Predict, float], Guess]


def guess(example: Example, method: Method, predict: Predict, floor: float, with_headings: bool) -> Guess:
    """With headings, one that names a section decides, as offline._pick does; else (and in plain prose) the method."""
    if with_headings and example.heading is not None:
        return (None, 0.0) if example.heading == "skip" else (example.heading, 100.0)
    return method(example.text, predict, floor)


def right(example: Example, section: str | None) -> bool:
    return (section or "overview") in example.gold


def all_sentences(examples: Sequence[Example], guesses: Sequence[Guess]) -> float:
    if not examples:
        return float("nan")
    return sum(right(e, g[0]) for e, g in zip(examples, guesses, strict=True)) / len(examples)


def picked(examples: Sequence[Example], guesses: Sequence[Guess]) -> tuple[float, int]:
    """(share right, number) of the sentences a summary would show: per document and section, the four surest."""
    pools: dict[tuple[str, str], list[tuple[float, int, Example]]] = defaultdict(list)
    for index, (example, (section, sure)) in enumerate(zip(examples, guesses, strict=True)):
        if section is not None:
            length = offline._length_score(example.text)  # _pick prefers sentences of a readable length too
            pools[(example.document, section)].append((sure + length / 10, index, example))
    shown = [
        (section, e)
        for (_, section), pool in pools.items()
        for _, _, e in sorted(pool, key=lambda p: (-p[0], p[1]))[: offline.MAX_POINTS]
    ]
    if not shown:
        return float("nan"), 0
    return sum(right(e, section) for section, e in shown) / len(shown), len(shown)


def confusion(examples: Sequence[Example], guesses: Sequence[Guess]) -> str:
    rows = Counter(("|".join(e.gold), g[0] or "-") for e, g in zip(examples, guesses, strict=True))
    golds = sorted({gold for gold, _ in rows})
    columns = [*SECTIONS, "unintended_consequences", "-"]
    shown_columns = [c for c in columns if any(rows[(g, c)] for g in golds)]
    width = max(len(g) for g in golds) + 2
    lines = ["true \\ guessed".ljust(width) + "".join(f"{c[:11]:>12}" for c in shown_columns)]
    for gold in golds:
        lines.append(gold.ljust(width) + "".join(f"{rows[(gold, c)]:>12}" for c in shown_columns))
    return "\n".join(lines)


def report(test: Sequence[Example], predict_for: Callable[[Example], Predict], floor: float) -> None:
    """The table and the confusion matrices for `test`, each sentence classified by the model `predict_for` gives."""
    print(f"{'source':14} {'setting':8} {'method':12} {'sentences':>9} {'all':>6} {'picked':>7} {'n':>5}")
    for source in ("18f", "land-registry", "documents", "inventory"):
        chosen = [e for e in test if e.source == source or (source == "documents" and e.source != "inventory")]
        if not chosen:
            continue
        settings = ("plain", "headed", "no head.") if source != "inventory" else ("plain",)
        for setting in settings:
            pool = [e for e in chosen if e.heading is None] if setting == "no head." else chosen
            for name, method in METHODS.items():
                guesses = [guess(e, method, predict_for(e), floor, setting == "headed") for e in pool]
                share, n = picked(pool, guesses) if setting != "no head." else (float("nan"), 0)
                print(f"{source:14} {setting:8} {name:12} {len(pool):9,} {all_sentences(pool, guesses):6.3f} "
                      f"{share:7.3f} {n:5}")  # fmt: skip
        print()
    documents = [e for e in test if e.source != "inventory"]
    inventory = [e for e in test if e.source == "inventory"]
    for title, chosen, name, with_headings in (
        ("documents, plain prose, combined", documents, "combined", False),
        ("documents, plain prose, cue phrases", documents, "cue phrases", False),
        ("documents, headed, combined", documents, "combined", True),
        ("inventory, plain prose, model", inventory, "model", False),
        ("inventory, plain prose, combined", inventory, "combined", False),
    ):
        if chosen:
            print(f"confusion: {title} (rows: the sections the source allows; '-': none)")
            guesses = [guess(e, METHODS[name], predict_for(e), floor, with_headings) for e in chosen]
            print(confusion(chosen, guesses) + "\n")


def folds(examples: Sequence[Example], k: int) -> list[list[Example]]:
    """k held-out parts, whole groups each, dealt as the training script deals its cross-validation folds."""
    fold_of = train_sections.folds(examples, k)
    return [[e for e in examples if fold_of[(e.source, e.group)] == i] for i in range(k)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=train_sections.DEFAULT_DATA, help="the real-case-studies folder")
    parser.add_argument("--floor", type=float, default=FLOOR, help="model probability the combination needs")
    parser.add_argument("--folds", type=int, default=0, help="also cross-validate: train k models, each on all "
                        "but one k-th of the groups, and score every sentence with the model that did not see it")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    sections.scores("warm up")
    took = 1000 * (time.perf_counter() - began)
    size = (Path(sections.__file__).parent / sections.MODEL_FILE).stat().st_size
    print(f"shipped model: {sections.model_info()}; first use (read + parse) {took:.1f} ms; file {size:,} bytes")

    examples = train_sections.load(args.data)
    _, test = train_sections.split(examples)
    began = time.perf_counter()
    for example in test:
        sections.predict(example.text)
    per = (time.perf_counter() - began) / max(1, len(test))
    print(f"held out from it: {len(test):,} sentences in {len({e.group for e in test})} groups; "
          f"{1e6 * per:.0f} us per sentence; combination floor {args.floor}\n")  # fmt: skip
    report(test, lambda e: sections.predict, args.floor)

    if args.folds > 1:
        parts = folds(examples, args.folds)
        model_of: dict[int, Predict] = {}
        for index, part in enumerate(parts):
            rest = [e for j, p in enumerate(parts) if j != index for e in p]
            model_of[index] = sections.parse_model(train_sections.dump(train_sections.train(rest))).predict
        fold_of = {id(e): i for i, part in enumerate(parts) for e in part}
        print(f"\n{args.folds}-fold cross-validation by group over all {len(examples):,} sentences\n")
        report(examples, lambda e: model_of[fold_of[id(e)]], args.floor)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
