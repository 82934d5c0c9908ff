"""Which section a sentence of plain prose belongs to, by a small learned model shipped with the package.

The offline engine reads a document's own headings first; this is for the sentences under no useful heading,
where cue phrases alone often guess wrong or not at all. The model is a linear classifier (multinomial logistic
regression) over word uni- and bi-grams, trained by `scripts/train_sections.py` on real public-sector records
whose sections are known (the US federal AI inventory's columns, the headings of 18F project pages and of HM Land
Registry case studies), and stored in `sections_model.json` next to this module. Inference is the standard
library only: the file is read once, on first use, and a prediction is a dictionary look-up per word and word pair;
the same document always gets the same answer.

A sentence is not read alone (`place`): a case study tells its story in order (what was wrong, what was done,
what came of it, what was learnt) and a paragraph mostly keeps to one of those, so the sentences of a document are
read as a sequence, a hidden Markov model whose states are the sections, whose emissions are the classifier's
probabilities and whose transitions (stored in the same file, fitted by the same script on text the classifier had
not seen) say how often a sentence keeps its section within a paragraph and at a new one. Sentences under a heading
that names a section are fixed to it, and steer their neighbours.

How the offline engine uses it (`combine`): a heading that names a section decides; under no useful heading, a
strong cue phrase decides; else the sequence's section if its probability reaches the floor fitted with it; else a
weak cue phrase, as before; else no section. Overview stays positional and unintended consequences stay with cue
phrases.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import EngineError

MODEL_FILE = "sections_model.json"
FORMAT = 2  # 2: with the sequence's transitions
TOKENIZER = "words-pairs-v1"  # the version of `features` a model file was trained with
# the sections the model tells apart; overview is positional (a document's opening) and unintended consequences
# are too rare in any corpus to learn, so both stay with the engine's own rules
SECTIONS = ("challenges", "approach", "outcomes", "lessons")
STRONG_CUE = 3.0  # a cue score this high (a lesson's or a side effect's phrasing, or several cues agreeing) wins
# Below this probability a sentence's section read alone gives way to a weak cue phrase or to none. See
# bench/bench_sections.py: on held-out documents in plain prose 0.7 puts about twice as many sentences in sections as
# cue phrases alone, and more of them right. A section read in order has its own floor, fitted with the transitions
# (Transitions.floor): in the middle of a story a sentence is rarely that sure, and rarely wrong.
FLOOR = 0.7

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# words, numbers folded to one token (a figure's value says nothing about its section, that there is one does),
# and currency and percent signs, which mark outcomes
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[%$\u00a3\u20ac]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def features(sentence: str) -> list[str]:
    """The model's features of a sentence: its distinct words and word pairs (with a start marker), sorted.

    Training and inference share this function, so a change here needs a retrained model (the file records the
    tokeniser version it was trained with, and loading refuses a mismatch)."""
    text = _LINK.sub(r"\1", sentence).lower().translate(_APOSTROPHES)
    words = ["0" if token[0].isdigit() else token for token in _TOKEN.findall(text)]
    pairs = [f"{a} {b}" for a, b in zip(["^", *words], words, strict=False)]
    return sorted(set(words) | set(pairs))


@dataclass(frozen=True)
class Transitions:
    """How a document moves between sections, from one sentence to the next (fitted by scripts/train_sections.py).

    Moving on is the rest of the probability: to the next section, or (a share `skip` of it) past it, shared evenly
    among the sections further on; going back is shared evenly among the earlier sections."""

    stay: float  # same paragraph: the next sentence keeps the section
    back: float  # same paragraph: it goes back to an earlier section
    stay_between: float  # a new paragraph keeps the section
    back_between: float  # a new paragraph goes back
    power: float  # the weight of a sentence's own words against its neighbours' (exponent on its probabilities)
    start: float  # the first sentence is a challenge; the other sections share the rest
    skip: float  # of moving on, the share that passes the next section by (the story leaves one out)
    floor: float  # the probability a section read in order needs before the offline engine takes it

    def matrix(self, same_paragraph: bool) -> list[list[float]]:
        """From each section (rows) to each (columns), the probability of the next sentence's section."""
        stay, back = (self.stay, self.back) if same_paragraph else (self.stay_between, self.back_between)
        size = len(SECTIONS)
        rows = []
        for i in range(size):
            later, earlier = size - 1 - i, i
            onward = 1 - stay - (back if earlier else 0)
            row = [stay if j == i else back / earlier if j < i else
                   onward * (1 - self.skip if later > 1 else 1) if j == i + 1 else onward * self.skip / (later - 1)
                   for j in range(size)]  # fmt: skip
            total = sum(row)  # the last section has nowhere further to go: its row is stay and back, rescaled
            rows.append([value / total for value in row])
        return rows


# a sentence a heading puts in a section: certain, but not so that arithmetic can never move off it
_FIXED, _NOT = 1.0, 1e-6


@dataclass(frozen=True)
class SectionModel:
    """A loaded model: for each feature, a weight per section; a sentence's scores are the sums of its features'."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    temperature: float
    transitions: Transitions

    def scores(self, sentence: str) -> dict[str, float]:
        totals = list(self.bias)
        for feature in features(sentence):
            row = self.weights.get(feature)
            if row is not None:
                for index, weight in enumerate(row):
                    totals[index] += weight
        top = max(totals)
        exps = [math.exp((total - top) / self.temperature) for total in totals]
        norm = sum(exps)
        return {section: value / norm for section, value in zip(self.classes, exps, strict=True)}

    def predict(self, sentence: str) -> tuple[str, float]:
        return _best(self.scores(sentence))

    def place(self, sentences: Sequence[tuple[str, int, str | None]]) -> list[tuple[str, float]]:
        """Each sentence's section read in its document, with its probability (`read_in_order`).

        `sentences`: (text, paragraph number, the section a heading fixes it to or None), in document order."""
        seen = [fixed if fixed in SECTIONS else self.scores(text) for text, _, fixed in sentences]
        return read_in_order(seen, [paragraph for _, paragraph, _ in sentences], self.transitions)


def read_in_order(
    seen: Sequence[dict[str, float] | str], paragraphs: Sequence[int], moves: Transitions
) -> list[tuple[str, float]]:
    """Forward-backward over a document: for each sentence, its likeliest section and that section's probability
    given every sentence around it. `seen`: per sentence, the classifier's probabilities, or the section a heading
    fixes it to; `paragraphs`: per sentence, its paragraph's number."""
    if len(paragraphs) != len(seen):
        raise ValueError(f"{len(seen)} sentences but {len(paragraphs)} paragraph numbers")
    if not seen:
        return []
    within, between = moves.matrix(True), moves.matrix(False)
    order = range(len(SECTIONS))
    emissions = [[_FIXED if section == item else _NOT for section in SECTIONS] if isinstance(item, str) else
                 [item[section] ** moves.power for section in SECTIONS] for item in seen]  # fmt: skip
    steps = [within if paragraphs[k] == paragraphs[k - 1] else between for k in range(1, len(seen))]
    start = [moves.start if i == 0 else (1 - moves.start) / (len(SECTIONS) - 1) for i in order]
    forward = [_normal([start[i] * emissions[0][i] for i in order])]
    for k, matrix in enumerate(steps, 1):
        last = forward[-1]
        forward.append(_normal([sum(last[i] * matrix[i][j] for i in order) * emissions[k][j] for j in order]))
    backward = [[1.0] * len(SECTIONS)]  # built from the end, then turned round
    for k in range(len(seen) - 2, -1, -1):
        matrix, after = steps[k], backward[-1]
        backward.append(_normal([sum(matrix[i][j] * emissions[k + 1][j] * after[j] for j in order) for i in order]))
    backward.reverse()
    return [_best(dict(zip(SECTIONS, _normal([f * b for f, b in zip(fw, bw, strict=True)]), strict=True)))
            for fw, bw in zip(forward, backward, strict=True)]  # fmt: skip


def _normal(values: list[float]) -> list[float]:
    total = sum(values)
    return [value / total for value in values] if total > 0 else [1 / len(values)] * len(values)


def _best(probabilities: dict[str, float]) -> tuple[str, float]:
    best = max(probabilities, key=lambda section: (probabilities[section], -SECTIONS.index(section)))
    return best, probabilities[best]


def scores(sentence: str) -> dict[str, float]:
    """Probability of each section for one sentence, summing to 1 (calibrated on held-out training data).

    A sentence with no word the model knows gets what the model's bias says, which is close to even."""
    return _model().scores(sentence)


def predict(sentence: str) -> tuple[str, float]:
    """The likeliest section and its probability; ties go to the earlier section of SECTIONS."""
    return _model().predict(sentence)


def place(sentences: Sequence[tuple[str, int, str | None]]) -> list[tuple[str, float]]:
    """Each sentence's likeliest section and its probability, read with its neighbours (SectionModel.place)."""
    return _model().place(sentences)


# a line holding nothing but white space (a no-break space from a web page too), as the segmenter counts one
_BLANK_LINE = re.compile(r"(?:\r\n|\r(?!\n)|\n)[^\S\r\n]*(?:\r\n|\r(?!\n)|\n)")


def paragraphs(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The paragraph number of each (start, end) span of `text`, in order: a blank line between two spans starts a
    new paragraph. (A line break alone does not: a plain-text file with a sentence per line, or a list, is one
    stretch of the story.)"""
    numbers, number, last = [], 0, None
    for start, end in spans:
        if last is not None and _BLANK_LINE.search(text, last, start):
            number += 1
        numbers.append(number)
        last = max(end, last or 0)
    return numbers


def place_floor() -> float:
    """The probability a section from `place` needs before it is taken (fitted with the transitions)."""
    return _model().transitions.floor


def combine(
    cue: tuple[str | None, float], predicted: tuple[str, float], floor: float = FLOOR
) -> tuple[str | None, float]:
    """The section for a sentence under no useful heading, from its cue phrases' verdict (offline._classify) and
    the model's (`place`, or `predict` for a sentence alone); (None, 0.0) when neither says. In order:

    1. strong cue phrases (score STRONG_CUE or more): they name what the model cannot know (unintended
       consequences, which it never saw) or knows from one source only (lessons), and past-tense results ("as a
       result ... fell by 40%"), where the model, whose outcomes are learnt from expected benefits, is weakest;
    2. the model, if its probability reaches `floor`;
    3. a weak cue phrase (score 2), as the engine had before the model.

    The number returned orders picks the same way: the cue score (3 or more), else the probability (below 1), else
    0.0 for a weak cue."""
    section, score = cue
    if section is not None and score >= STRONG_CUE:
        return section, score
    best, probability = predicted
    if probability >= floor:
        return best, probability
    return (section, 0.0) if section is not None else (None, 0.0)


def model_info() -> dict[str, Any]:
    """What was loaded, for diagnostics: sections, number of features, temperature, the sequence's transitions."""
    model = _model()
    return {"sections": list(model.classes), "features": len(model.weights), "temperature": model.temperature,
            "transitions": dataclasses.asdict(model.transitions)}  # fmt: skip


def model_digest() -> str:
    """A hash of the model file, for the offline engine's rules hash: a retrained model is a change of rules."""
    return hashlib.sha256(_raw().encode()).hexdigest()


@cache
def _raw() -> str:
    try:
        return resources.files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        raise EngineError(f"the section model {MODEL_FILE} is missing from the installed package ({exc}); "
                          "reinstall trendsum, or run scripts/train_sections.py to rebuild it") from None  # fmt: skip


@cache
def _model() -> SectionModel:
    return parse_model(_raw())


def parse_model(raw: str) -> SectionModel:
    """A model from the JSON text `scripts/train_sections.py` writes; EngineError if it is not one this code reads."""
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT or data.get("tokenizer") != TOKENIZER:
            raise ValueError(f"format {data.get('format')!r} / tokenizer {data.get('tokenizer')!r}, "
                             f"this code reads {FORMAT} / {TOKENIZER}")  # fmt: skip
        classes = tuple(data["classes"])
        if set(classes) != set(SECTIONS):
            raise ValueError(f"sections {list(classes)}, expected {list(SECTIONS)}")
        scale = float(data["scale"])
        bias = tuple(b / scale for b in data["bias"])
        weights = {f: tuple(w / scale for w in row) for f, row in data["weights"].items()}
        if len(bias) != len(classes) or any(len(row) != len(classes) for row in weights.values()):
            raise ValueError("a row's length is not the number of sections")
        temperature = float(data["temperature"])
        if not temperature > 0:
            raise ValueError("temperature must be positive")
        moves = Transitions(**{key: float(value) for key, value in data["sequence"].items()})
        shown = dataclasses.asdict(moves)
        if not all(0 <= value <= 1 for value in shown.values()) or not moves.power > 0:  # NaN fails both
            raise ValueError(f"sequence {shown}: each a share from 0 to 1, and power above 0")
        for stay, back in ((moves.stay, moves.back), (moves.stay_between, moves.back_between)):
            if not 0 < stay + back <= 1:  # the last section has only these two ways to go
                raise ValueError(f"sequence {shown}: staying and going back must add up to more than 0, at most 1")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(f"the section model {MODEL_FILE} cannot be read: {exc}; "
                          "run scripts/train_sections.py to rebuild it") from None  # fmt: skip
    return SectionModel(classes, bias, weights, temperature, moves)
