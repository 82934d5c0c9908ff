#!/usr/bin/env python3
"""Train the offline engine's section model (src/trendsum/engines/sections_model.json) from labelled real text.

    .venv/bin/python scripts/train_sections.py [--data ../shared/data/real-case-studies] [--out PATH]

Labelled sentences come from three public sources (see their SOURCES.md); each is optional, so a small fixture
with the same layout trains too:
- `us-federal-ai-inventory-2025/*.csv`: one row per use case; `problem_solved` is a challenge, `system_outputs`
  the approach, `benefits` the outcomes.
- `18f/*.md`: project pages; the untitled intro is context and challenge, then `### Approach`, `### Outcomes`.
- `land-registry-llc/*` (ODT, or any format trendsum reads): "Top 10 lessons", "Advice for other local
  authorities" are lessons; "Resolving issues" and the sub-headings under it mix challenges and approach.

Held out by document and by agency, never by sentence (a sentence's neighbours would leak its wording): per source,
groups in the order of a hash of their name until a quarter of its sentences. The shipped model is trained on the
rest only, so `bench/bench_sections.py` can measure that very file on text it has never seen. The output is a pure
function of the input files: same inputs, same bytes.

The model is a class-balanced multinomial logistic regression over the distinct words and word pairs of a sentence
(`trendsum.engines.sections.features`), fitted by seeded stochastic gradient descent in plain Python (no numpy, so
the bytes do not depend on a BLAS), its vocabulary pruned to the features that move predictions most, and a
temperature for its probabilities fitted on a second, inner hold-out of the training groups. (A naive Bayes model
scored about the same on held-out inventory rows but put most of Land Registry's "Resolving issues" in lessons,
the only section it had seen their vocabulary in.)

The sequence's transitions (`sections.Transitions`: how often a sentence keeps its section within a paragraph and
at a new one) and its floor are then chosen by cross-validation over the training groups: each document is read
with a model trained without its group, and the transitions kept are those best on average over four kinds of
text, each weighing the same: inventory rows, 18F pages and Land Registry files with their headings ignored, and
inventory rows run together as one paragraph. So the 3,000 three-paragraph inventory rows set the pace neither
for documents of many paragraphs nor for a story told in one. Training takes a few minutes on one core.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import itertools
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from trendsum.domain.sentences import segment
from trendsum.engines import offline, sections
from trendsum.errors import IngestError
from trendsum.ingest.case import read_case
from trendsum.ingest.sources import Source

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "real-case-studies"
DEFAULT_OUT = ROOT / "src" / "trendsum" / "engines" / sections.MODEL_FILE

INVENTORY_COLUMNS = {"problem_solved": "challenges", "system_outputs": "approach", "benefits": "outcomes"}
HELD_OUT = 0.25  # share of each source's sentences held out for measurement
SEED = 14  # the order sentences are visited in; fixed, so training is reproducible
EPOCHS = 6
RATE = 0.2  # first epoch's learning rate, divided by (1 + epoch) after
L2 = 3e-4
MIN_DF = 2  # a feature seen in fewer training sentences than this is noise, and bytes
MAX_FEATURES = 8000
SCALE = 100  # weights are stored as integers in hundredths of a nat: small file, no float formatting drift
TEMPERATURES = tuple(t / 4 for t in range(4, 41))  # 1.0 .. 10.0
FOLDS = 4  # cross-validation folds for the sequence's transitions
# The values each of the sequence's transitions (sections.Transitions) is chosen from, one at a time, starting from
# START; wide enough that no chosen value sits at an end of its list on the shipped data, but at a bound of the
# quantity itself (0); the script says when one does.
CANDIDATES = {
    "stay": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
    "back": (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1),
    "stay_between": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8),
    "back_between": (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
    "power": (0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
    "start": (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95),
    "skip": (0.0, 0.01, 0.02, 0.05, 0.1, 0.3, 0.5, 0.8),
}
START = {"stay": 0.7, "back": 0.01, "stay_between": 0.3, "back_between": 0.02, "power": 0.5, "start": 0.55,
         "skip": 0.1}  # fmt: skip
ROUNDS = 8  # coordinate ascent stops earlier when a whole round changes nothing
FLOORS = tuple(f / 20 for f in range(6, 15))  # 0.3 .. 0.7: the sequence's floor, chosen after the transitions

# the template code and comments of a web page are not prose of the case (18F testimonials)
_TEMPLATE = re.compile(r"\{%.*?%\}|<!--.*?-->", re.S)


@dataclass(frozen=True)
class Example:
    """One labelled sentence."""

    source: str  # inventory | 18f | land-registry
    group: str  # the unit held out together: an agency, or a document
    document: str  # the record or file it comes from
    text: str  # the sentence, verbatim
    gold: tuple[str, ...]  # the sections its document's structure allows (two where the source mixes them)
    heading: str | None  # the section the offline engine's own heading rules give it in the headed text
    paragraph: int = 0  # its paragraph in the document (an inventory row's column), for the sequence

    @property
    def label(self) -> str | None:
        """The one section its source names; None where it allows two."""
        return self.gold[0] if len(self.gold) == 1 else None

    @property
    def shares(self) -> dict[str, float]:
        """How much this sentence counts for each section in training: split evenly where the source mixes two
        (Land Registry's "Resolving issues"). Leaving those out would teach the model that every sentence about
        land charges is a lesson, as lessons would be the only section it saw that vocabulary in."""
        known = [section for section in self.gold if section in sections.SECTIONS]
        return {section: 1 / len(known) for section in known}


def load(data: Path) -> list[Example]:
    """Every labelled sentence under `data`, in a fixed order (sources, then files by name, then position)."""
    examples: list[Example] = []
    for path in sorted((data / "us-federal-ai-inventory-2025").glob("*.csv")):
        examples.extend(_inventory(path))
    for path in sorted((data / "18f").glob("*.md")):
        examples.extend(_headed(path, "18f", _label_18f))
    for path in sorted((data / "land-registry-llc").glob("*")):
        if path.is_file():
            examples.extend(_headed(path, "land-registry", _label_land_registry))
    return examples


def _inventory(path: Path) -> Iterable[Example]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            agency = row.get("agency") or "?"
            for paragraph, (column, section) in enumerate(INVENTORY_COLUMNS.items()):
                for sentence in offline.split_sentences(row.get(column) or ""):
                    yield Example("inventory", agency, row.get("id") or agency, sentence.text, (section,), None,
                                  paragraph)  # fmt: skip


# A heading's label: a section tuple, None for text that is no section of the case (title, contacts, links), or
# KEEP for a sub-heading that continues the section above it.
KEEP = ("keep",)
_Labeller = Callable[[str, bool], tuple[str, ...] | None]


def _label_18f(heading: str, first: bool) -> tuple[str, ...] | None:
    if re.search(r"approach", heading, re.I):
        return ("approach",)
    if re.search(r"outcome", heading, re.I):
        return ("outcomes",)
    return None


def _label_land_registry(heading: str, first: bool) -> tuple[str, ...] | None:
    if first:
        return None  # the title ("Key learnings from ...") over the facts table
    if re.search(r"who was involved|further information|any questions|contact|video|guide|\bact\b|\brules\b|"
                 r"burdens", heading, re.I):  # fmt: skip
        return None
    if re.search(r"lesson|learning|advice", heading, re.I):
        return ("lessons",)
    if re.search(r"resolving issues", heading, re.I):
        return ("challenges", "approach")
    return KEEP


def _headed(path: Path, source: str, labeller: _Labeller) -> Iterable[Example]:
    try:
        case = read_case(Source(path, path.stem))
    except IngestError as exc:
        print(f"skipped {path.name}: {exc}", file=sys.stderr)
        return
    text = _TEMPLATE.sub("", case.text)
    usable = {s.start: s for s in offline.split_sentences(text)}
    # 18F's untitled intro is context and challenge; a Land Registry file opens with its title
    gold: tuple[str, ...] | None = ("challenges", "overview") if source == "18f" else None
    first = True
    kept: list[Example] = []
    for sentence in segment(text):
        if sentence.heading:
            label = labeller(sentence.text.lstrip("#").strip(" *_:"), first)
            first = False
            gold = gold if label == KEEP else label
            continue
        if gold is None or sentence.start not in usable:  # not a sentence the engine would consider
            continue
        heading = usable[sentence.start].section
        named = heading if heading not in (None, "overview") else None
        kept.append(Example(source, path.name, path.name, sentence.text, gold, named, sentence.start))
    # the paragraph numbers the engine gives them (sections.paragraphs), in place of the starts held so far
    numbers = sections.paragraphs(text, [(e.paragraph, e.paragraph + len(e.text)) for e in kept])
    for example, number in zip(kept, numbers, strict=True):
        yield dataclasses.replace(example, paragraph=number)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def split(examples: Sequence[Example], salt: str = "held-out-v1") -> tuple[list[Example], list[Example]]:
    """(train, test): per source, whole groups in hash order go to test until HELD_OUT of its sentences."""
    test_groups: set[tuple[str, str]] = set()
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        by_source[example.source][example.group] += 1
    for source, groups in sorted(by_source.items()):
        target, taken = HELD_OUT * sum(groups.values()), 0
        for group in sorted(groups, key=lambda g: _hash(salt, source, g)):
            if taken >= target or len(groups) - len([s for s, _ in test_groups if s == source]) <= 1:
                break
            test_groups.add((source, group))
            taken += groups[group]
    train = [e for e in examples if (e.source, e.group) not in test_groups]
    test = [e for e in examples if (e.source, e.group) in test_groups]
    return train, test


def train(examples: Sequence[Example], sequence: bool = True) -> dict[str, object]:
    """The model as the JSON-ready dictionary `sections.parse_model` reads; `sequence=False` leaves the transitions
    at START (for the cross-validation models, whose transitions nothing reads)."""
    bias, weights = _logistic(examples)
    temperature = _temperature(examples)
    model = {
        "format": sections.FORMAT,
        "tokenizer": sections.TOKENIZER,
        "classes": list(sections.SECTIONS),
        "scale": SCALE,
        "bias": bias,
        "temperature": temperature,
        "weights": weights,
        "sequence": {**START, "floor": sections.FLOOR},
        "trained_on": _describe(examples),
    }
    if sequence:
        model["sequence"] = _fit_sequence(examples)
    return model


def _temperature(examples: Sequence[Example]) -> float:
    inner_train, inner_test = split(examples, salt="calibration-v1")
    if not (inner_test and inner_train):
        return 1.0
    return _fit_temperature(_logistic(inner_train), [e for e in inner_test if e.label in sections.SECTIONS])


def documents(examples: Sequence[Example]) -> list[list[Example]]:
    """The examples as documents (an inventory row, a page), each in its order."""
    by_document: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        by_document[(example.source, example.document)].append(example)
    return list(by_document.values())


def folds(examples: Sequence[Example], k: int = FOLDS) -> dict[tuple[str, str], int]:
    """The fold of each (source, group): per source, groups in hash order dealt out in turn."""
    fold_of: dict[tuple[str, str], int] = {}
    for source in sorted({e.source for e in examples}):
        named = sorted({e.group for e in examples if e.source == source}, key=lambda g: _hash(source, g))
        for index, group in enumerate(named):
            fold_of[(source, group)] = index % k
    return fold_of


def _fit_sequence(examples: Sequence[Example]) -> dict[str, float]:
    """The transitions that read most sentences right on average over the source kinds, each kind weighing the same
    and each document read by a model trained without its group (ties: the better worst kind), found by coordinate
    ascent from START over CANDIDATES, a parameter at a time in a fixed order, so the result is the same on every
    run. Then, with those transitions, the floor whose worst source kind gains most when a sentence placed right
    counts +1 and one placed wrong -1 (a point in the wrong section costs a reviewer as much as a missing one), ties
    to the higher floor."""
    fold_of = folds(examples)
    models = {}
    for k in sorted(set(fold_of.values())):
        rest = [e for e in examples if fold_of[(e.source, e.group)] != k]
        if any(e.shares for e in rest):
            models[k] = sections.parse_model(dump(train(rest, sequence=False)))
    # per source kind, each document as the classifier sees it (its probabilities do not depend on the transitions,
    # so they are computed once), and what its source allows
    kinds: dict[str, list[tuple[list[dict[str, float]], list[int], list[tuple[str, ...]]]]] = defaultdict(list)
    for document in documents(examples):
        model = models.get(fold_of[(document[0].source, document[0].group)])
        if model is not None:
            seen, golds = [model.scores(e.text) for e in document], [e.gold for e in document]
            if document[0].source == "inventory":
                kinds["inventory"].append((seen, [e.paragraph for e in document], golds))
                # the same row as one paragraph: a story told without breaks, where the section changes mid-paragraph
                # (no source has enough of those to learn from, and a plain-text file often reads so)
                kinds["one paragraph"].append((seen, [0] * len(document), golds))
            else:  # 18F pages and Land Registry files are told differently: each is a kind of its own
                kinds[document[0].source].append((seen, [e.paragraph for e in document], golds))
    if not kinds:
        return {**START, "floor": sections.FLOOR}

    def read(point: dict[str, float]) -> dict[str, list[tuple[list[tuple[str, float]], list[tuple[str, ...]]]]]:
        moves = sections.Transitions(**point, floor=sections.FLOOR)
        return {kind: [(sections.read_in_order(seen, paragraphs, moves), golds) for seen, paragraphs, golds in docs]
                for kind, docs in kinds.items()}  # fmt: skip

    def score(point: dict[str, float]) -> tuple[float, float]:
        shares = []
        for docs in read(point).values():
            right = sum(section in gold for placed, golds in docs
                        for (section, _), gold in zip(placed, golds, strict=True))  # fmt: skip
            shares.append(right / sum(len(golds) for _, golds in docs))
        return round(sum(shares) / len(shares), 9), round(min(shares), 9)

    def valid(point: dict[str, float]) -> bool:
        return 0 < point["stay"] + point["back"] <= 1 and 0 < point["stay_between"] + point["back_between"] <= 1

    best, best_score = dict(START), score(START)
    for _ in range(ROUNDS):
        changed = False
        for name, values in CANDIDATES.items():
            for value in values:
                point = {**best, name: value}
                if value == best[name] or not valid(point):
                    continue
                point_score = score(point)
                if point_score > best_score:
                    best, best_score, changed = point, point_score, True
        if not changed:
            break
    placed = read(best)

    def gain(floor: float) -> tuple[float, float]:
        shares = []
        for docs in placed.values():
            marks = [(1 if section in gold else -1) for sentences, golds in docs
                     for (section, sure), gold in zip(sentences, golds, strict=True) if sure >= floor]  # fmt: skip
            shares.append(sum(marks) / sum(len(golds) for _, golds in docs))
        return round(min(shares), 9), floor

    return {**best, "floor": max(FLOORS, key=gain)}


def _logistic(examples: Sequence[Example]) -> tuple[list[int], dict[str, list[int]]]:
    """(bias, weights) of a multinomial logistic regression, by seeded stochastic gradient descent.

    Discriminative on purpose: words that belong to one source rather than one section ("charges", "migration"
    in every Land Registry sentence, "AI" in every inventory row) get little weight, because they appear under
    several sections of their source; a naive Bayes model gave them to whichever section it had seen most of there.
    Each class carries the same total weight, so lessons (one source, a few hundred sentences) is not drowned."""
    classes = sections.SECTIONS
    rows = [(sections.features(e.text), e.shares) for e in examples if e.shares]
    df: Counter[str] = Counter()
    mass: Counter[str] = Counter()
    for feats, shares in rows:
        df.update(feats)
        mass.update(shares)
    vocab = {f for f, n in df.items() if n >= MIN_DF}
    data = []
    for feats, shares in rows:
        target = [shares.get(c, 0.0) for c in classes]
        weight = sum(share * len(rows) / (len(classes) * mass[c]) for c, share in shares.items())
        data.append(([f for f in feats if f in vocab], target, weight))
    weights: dict[str, list[float]] = {f: [0.0] * len(classes) for f in sorted(vocab)}
    bias = [0.0] * len(classes)
    rng = random.Random(SEED)
    order = list(range(len(data)))
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        rate = RATE / (1 + epoch)
        for index in order:
            feats, target, weight = data[index]
            logits = list(bias)
            for feature in feats:
                for k, w in enumerate(weights[feature]):
                    logits[k] += w
            top = max(logits)
            exps = [math.exp(z - top) for z in logits]
            norm = sum(exps)
            step = [rate * weight * (e / norm - t) for e, t in zip(exps, target, strict=True)]
            for k in range(len(classes)):
                bias[k] -= step[k]
            for feature in feats:
                row = weights[feature]
                for k in range(len(classes)):
                    row[k] -= step[k] + rate * L2 * row[k]
    # keep the features that move predictions most over the sentences that have them
    ranked = sorted(weights, key=lambda f: (-(df[f] * (max(weights[f]) - min(weights[f]))), f))[:MAX_FEATURES]
    stored = {f: [round(w * SCALE) for w in weights[f]] for f in ranked}
    return [round(b * SCALE) for b in bias], {f: row for f, row in sorted(stored.items()) if any(row)}


def _log_scores(model: tuple[list[int], dict[str, list[int]]], feats: list[str]) -> list[float]:
    totals = [b / SCALE for b in model[0]]
    weights = model[1]
    for feature in feats:
        row = weights.get(feature)
        if row:
            for index, weight in enumerate(row):
                totals[index] += weight / SCALE
    return totals


def _fit_temperature(model: tuple[list[int], dict[str, list[int]]], held: Sequence[Example]) -> float:
    scored = [(sections.SECTIONS.index(e.label or ""), _log_scores(model, sections.features(e.text))) for e in held]

    def loss(t: float) -> float:
        total = 0.0
        for gold, logs in scored:
            top = max(logs)
            norm = math.log(sum(math.exp((x - top) / t) for x in logs))
            total -= (logs[gold] - top) / t - norm
        return total / len(scored)

    return min(TEMPERATURES, key=lambda t: (round(loss(t), 9), t))


def _describe(examples: Sequence[Example]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for example in examples:
        for section, share in example.shares.items():
            counts[f"{example.source}:{section}"] += share
    return {key: round(value) for key, value in sorted(counts.items())}


def dump(model: dict[str, object]) -> str:
    return json.dumps(model, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def accuracy(examples: Sequence[Example], guess: Callable[[Example], str | None]) -> tuple[float, int]:
    """Share of sentences whose guessed section is one their source allows (no guess counts as overview)."""
    if not examples:
        return float("nan"), 0
    right = sum(1 for e in examples if (guess(e) or "overview") in e.gold)
    return right / len(examples), len(examples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the real-case-studies folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"{args.data} is not a folder; pass --data with the real-case-studies folder")
    examples = load(args.data)
    train_set, test_set = split(examples)
    if not any(e.shares for e in train_set):
        parser.error(f"no labelled sentences found under {args.data}")
    model = train(train_set)
    args.out.write_text(dump(model), encoding="utf-8")
    bias, weights = model["bias"], model["weights"]
    assert isinstance(weights, dict) and isinstance(bias, list)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(weights):,} features, "
          f"temperature {model['temperature']}); trained on {sum(1 for e in train_set if e.shares):,} sentences, "
          f"held out {len(test_set):,} in {len({(e.source, e.group) for e in test_set})} groups")  # fmt: skip

    def by_model(example: Example) -> str | None:
        logs = _log_scores((bias, weights), sections.features(example.text))
        return max(zip(logs, sections.SECTIONS, strict=True))[1]

    def by_cues(example: Example) -> str | None:
        return offline._classify(example.text)[0]

    loaded = sections.parse_model(dump(model))
    in_order = {}  # each held-out sentence's section read in its document (the headings ignored)
    for document in documents(test_set):
        placed = loaded.place([(e.text, e.paragraph, None) for e in document])
        in_order.update({id(e): section for e, (section, _) in zip(document, placed, strict=True)})
    print(f"sequence: {model['sequence']}")
    edges = [name for name, values in CANDIDATES.items()  # an end that is no bound of the quantity itself
             if model["sequence"][name] in (values[0], values[-1]) and model["sequence"][name] not in (0.0, 1.0)]
    if edges:
        print(f"note: {', '.join(edges)} chosen at an end of its candidates: the best may lie beyond")
    for source in sorted({e.source for e in test_set}):
        held = [e for e in test_set if e.source == source]
        model_acc, n = accuracy(held, by_model)
        cue_acc, _ = accuracy(held, by_cues)
        read_acc, _ = accuracy(held, lambda e: in_order[id(e)])
        print(f"held-out {source:14} {n:6,} sentences, plain prose: in order {read_acc:.3f}, model alone "
              f"{model_acc:.3f}, cue phrases {cue_acc:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
