"""Which section a sentence of plain prose belongs to, by a small learned model shipped with the package.

The offline engine reads a document's own headings first; this is for the sentences under no useful heading,
where cue phrases alone often guess wrong or not at all. The model is a linear classifier (multinomial logistic
regression) over word uni- and bi-grams, trained by `scripts/train_sections.py` on real public-sector records
whose sections are known (the US federal AI inventory's columns, the headings of 18F project pages and of HM Land
Registry case studies), and stored in `sections_model.json` next to this module. Inference is the standard
library only: the file is read once, on first use, and a prediction is a dictionary look-up per word and word pair,
so the same sentence always gets the same answer on every machine.

How the offline engine uses it (`combine`): a heading that names a section decides; under no useful heading, a
strong cue phrase decides; else the model's section if its probability reaches FLOOR; else a weak cue phrase, as
before; else no section. Overview stays positional and unintended consequences stay with cue phrases.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import EngineError

MODEL_FILE = "sections_model.json"
FORMAT = 1
TOKENIZER = "words-pairs-v1"  # the version of `features` a model file was trained with
# the sections the model tells apart; overview is positional (a document's opening) and unintended consequences
# are too rare in any corpus to learn, so both stay with the engine's own rules
SECTIONS = ("challenges", "approach", "outcomes", "lessons")
STRONG_CUE = 3.0  # a cue score this high (a lesson's or a side effect's phrasing, or several cues agreeing) wins
# Below this probability the model's guess gives way to a weak cue phrase or to none. See bench/bench_sections.py:
# on held-out documents in plain prose (4-fold by document) 0.7 puts about twice as many sentences in sections as
# cue phrases alone, and more of them right; lower puts more in, more of them wrong
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
class SectionModel:
    """A loaded model: for each feature, a weight per section; a sentence's scores are the sums of its features'."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    temperature: float

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
        probabilities = self.scores(sentence)
        best = max(probabilities, key=lambda section: (probabilities[section], -SECTIONS.index(section)))
        return best, probabilities[best]


def scores(sentence: str) -> dict[str, float]:
    """Probability of each section for one sentence, summing to 1 (calibrated on held-out training data).

    A sentence with no word the model knows gets what the model's bias says, which is close to even."""
    return _model().scores(sentence)


def predict(sentence: str) -> tuple[str, float]:
    """The likeliest section and its probability; ties go to the earlier section of SECTIONS."""
    return _model().predict(sentence)


def combine(
    cue: tuple[str | None, float], predicted: tuple[str, float], floor: float = FLOOR
) -> tuple[str | None, float]:
    """The section for a sentence under no useful heading, from its cue phrases' verdict (offline._classify) and
    the model's (predict); (None, 0.0) when neither says. In order:

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
    """What was loaded, for diagnostics: sections, number of features, temperature."""
    model = _model()
    return {"sections": list(model.classes), "features": len(model.weights), "temperature": model.temperature}


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
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(f"the section model {MODEL_FILE} cannot be read: {exc}; "
                          "run scripts/train_sections.py to rebuild it") from None  # fmt: skip
    return SectionModel(classes, bias, weights, temperature)
