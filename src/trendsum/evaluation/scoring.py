"""The measures of `trendsum eval`, from counts of sentences, so cases add up (micro-averages) and a section with
few gold sentences weighs what it holds.

Evidence is compared as sentence ids of the source (`domain.sentences.segment`): a cited sentence by its id, a
typed quote (records made before citations, prompt `summarise-v1`) by the sentences its words lie in. So a
candidate that cites and a gold record that quotes still compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from ..domain import grounding
from ..domain.models import CaseSummary, Evidence, Grounding
from ..domain.sentences import segment
from ..errors import UsageError
from .gold import METADATA, SECTION_NAMES, GoldCase, metadata_of, sections_of


class SentenceIndex:
    """One source's sentences, to turn evidence into the ids of the sentences it is (found as grounding finds a
    quote: in the source `grounding.prepare`s, one normalised piece a sentence)."""

    def __init__(self, text: str) -> None:
        self.sentences = segment(text)
        self.source = grounding.prepare(text)

    def ids(self, items: Iterable[Evidence]) -> frozenset[int]:
        found: set[int] = set()
        for item in items:
            found |= self.ids_of(item)
        return frozenset(found)

    def ids_of(self, item: Evidence) -> set[int]:
        """A citation whose sentence says what it cites is that sentence. Anything else (a typed quote, or a
        citation made against another version of the text) is found by its words: the sentences it overlaps."""
        if item.sentence is not None and 1 <= item.sentence <= len(self.sentences):
            if self.source.sentence(item.sentence - 1) == grounding.normalise(item.text):
                return {item.sentence}
        found: set[int] = set()
        for fragment in grounding.parts(item.text):
            at = self.source.text.find(fragment) if len(fragment) >= 3 else -1
            if at >= 0:
                first, last = self.source.sentence_at(at), self.source.sentence_at(at + len(fragment) - 1)
                found |= {self.sentences[i].id for i in range(first, last + 1)}
        return found


@dataclass
class Counts:
    """Sentence counts for one section (or all), over one case (or all)."""

    gold: int = 0  # sentences the gold record cites
    cited: int = 0  # sentences the candidate cites
    matched: int = 0  # cited by both (in this section, for a section)
    found: int = 0  # gold sentences the candidate cites in any section
    placed: int = 0  # of those, cited in the gold's section
    points: int = 0  # the candidate's points
    grounded: int = 0  # of those, with all their evidence in the source
    supported: int = 0  # of those, grounded and backed by their evidence

    def add(self, other: Counts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def measures(self, section_matched: int | None = None, section_gold: int | None = None) -> dict[str, float | None]:
        """Shares in 0..1, None where there is nothing to divide by (no gold sentences: no recall)."""
        precision = _share(self.matched, self.cited)
        recall = _share(self.matched, self.gold)
        f1 = None
        if precision is not None and recall is not None:
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        matched = self.matched if section_matched is None else section_matched
        gold = self.gold if section_gold is None else section_gold
        return {"precision": precision, "recall": recall, "f1": f1, "section_accuracy": _share(matched, gold),
                "placement": _share(self.placed, self.found), "grounded": _share(self.grounded, self.points),
                "supported": _share(self.supported, self.points)}  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class CaseScore:
    id: str
    source_path: str
    sections: dict[str, Counts]
    overall: Counts  # sections merged: a sentence counts once, whichever section cites it
    metadata: dict[str, bool]
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    failed: str | None = None  # the candidate gave no usable summary: scored as citing nothing
    notes: tuple[str, ...] = ()


def score_case(gold: GoldCase, summary: CaseSummary | None, checked: Grounding | None) -> CaseScore:
    """Compare the candidate's `summary` (None: it failed) with the gold case, section by section."""
    assert gold.case is not None
    index = SentenceIndex(gold.case.text)
    gold_ids = {name: index.ids(items) for name, items in gold.evidence.items()}
    mine = sections_of(summary) if summary is not None else {}
    cand_ids = {name: index.ids(mine.get(name, ())) for name in SECTION_NAMES}
    cited_anywhere = frozenset().union(*cand_ids.values())
    sections = {}
    for name in SECTION_NAMES:
        g, c = gold_ids[name], cand_ids[name]
        found = g & cited_anywhere
        sections[name] = Counts(gold=len(g), cited=len(c), matched=len(g & c), found=len(found), placed=len(g & c))
    for path, check in (checked.points.items() if checked is not None else ()):
        counts = sections[path.split("[", 1)[0]]
        counts.points += 1
        counts.grounded += check.supported
        counts.supported += check.sound
    all_gold = frozenset().union(*gold_ids.values())
    overall = Counts(gold=len(all_gold), cited=len(cited_anywhere), matched=len(all_gold & cited_anywhere),
                     found=sum(s.found for s in sections.values()), placed=sum(s.placed for s in sections.values()),
                     points=sum(s.points for s in sections.values()),
                     grounded=sum(s.grounded for s in sections.values()),
                     supported=sum(s.supported for s in sections.values()))  # fmt: skip
    theirs = metadata_of(summary) if summary is not None else None
    agree = {key: theirs is not None and _same(key, gold.metadata.get(key), theirs[key]) for key in METADATA}
    return CaseScore(gold.id, gold.source_path, sections, overall, agree)


def _same(key: str, gold: object, candidate: object) -> bool:
    if isinstance(gold, str) and isinstance(candidate, str):
        return _name(gold) == _name(candidate)
    return gold == candidate


def _name(text: str) -> str:
    """Names compare without case, punctuation or a leading 'the': 'The Fife Council.' is 'Fife Council'."""
    words = re.sub(r"[^\w\s]", " ", text.casefold()).split()
    return " ".join(words[1:] if words[:1] == ["the"] else words)


# -- the report and its thresholds ------------------------------------------------------------------------

MEASURES = ("precision", "recall", "f1", "section_accuracy", "placement", "grounded", "supported")


@dataclass
class Skipped:
    id: str
    source_path: str
    reason: str


@dataclass
class Report:
    engine: str
    model: str
    prompt: str
    gold: str  # "the queue's approved records" or the gold file's path
    cases: list[CaseScore] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0  # the whole run, wall clock

    def section_counts(self) -> dict[str, Counts]:
        totals = {name: Counts() for name in SECTION_NAMES}
        for case in self.cases:
            for name, counts in case.sections.items():
                totals[name].add(counts)
        return totals

    def overall_counts(self) -> Counts:
        total = Counts()
        for case in self.cases:
            total.add(case.overall)
        return total

    def sections(self) -> dict[str, dict[str, float | None]]:
        return {name: counts.measures() for name, counts in self.section_counts().items()}

    def overall(self) -> dict[str, float | None]:
        """Evidence agreement over all sentences whatever their section; section accuracy: the share of gold
        sentences the candidate cites in the same section."""
        sections = self.section_counts().values()
        return self.overall_counts().measures(sum(s.matched for s in sections), sum(s.gold for s in sections))

    def metadata(self) -> dict[str, float | None]:
        return {key: _share(sum(c.metadata[key] for c in self.cases), len(self.cases)) for key in METADATA}

    @property
    def tokens(self) -> tuple[int, int]:
        return sum(c.prompt_tokens for c in self.cases), sum(c.completion_tokens for c in self.cases)

    @property
    def cost(self) -> float | None:
        costs = [c.cost for c in self.cases]
        return sum(c for c in costs if c is not None) if costs and all(c is not None for c in costs) else None

    def value(self, metric: str) -> float | None:
        """A metric by the name --fail-under takes: 'f1', 'section_accuracy', 'nation', 'challenges.recall'."""
        section, _, measure = metric.rpartition(".")
        if section:
            return self.sections()[section][measure]
        if metric in METADATA:
            return self.metadata()[metric]
        if metric == "metadata":
            shares = [v for v in self.metadata().values() if v is not None]
            return sum(shares) / len(shares) if shares else None
        return self.overall()[metric]

    def as_dict(self, thresholds: Iterable[Threshold] = ()) -> dict[str, object]:
        """The `--json` document (documented in the README, "Evaluating a prompt or model")."""
        checks = [t.check(self) for t in thresholds]
        counts = self.section_counts()
        prompt_tokens, completion_tokens = self.tokens
        return {
            "engine": self.engine, "model": self.model, "prompt": self.prompt, "gold": self.gold,
            "cases": len(self.cases),
            "overall": {**self.overall(), **_counts(self.overall_counts())},
            "sections": {name: {**self.sections()[name], **_counts(counts[name])} for name in SECTION_NAMES},
            "metadata": self.metadata(),
            "tokens": {"prompt": prompt_tokens, "completion": completion_tokens},
            "cost": self.cost, "seconds": round(self.seconds, 3),
            "per_case": [_case_dict(c) for c in self.cases],
            "skipped": [asdict(s) for s in self.skipped],
            "failed": [{"id": c.id, "reason": c.failed} for c in self.cases if c.failed],
            "thresholds": checks,
            "passed": all(c["passed"] for c in checks),
        }  # fmt: skip


def _counts(counts: Counts) -> dict[str, int]:
    return {key: getattr(counts, key) for key in ("gold", "cited", "matched", "points")}


def _case_dict(case: CaseScore) -> dict[str, object]:
    overall = case.overall.measures(sum(s.matched for s in case.sections.values()),
                                    sum(s.gold for s in case.sections.values()))  # fmt: skip
    return {"id": case.id, "source_path": case.source_path, **overall, "metadata": case.metadata,
            "tokens": {"prompt": case.prompt_tokens, "completion": case.completion_tokens}, "cost": case.cost,
            "seconds": round(case.seconds, 3), "failed": case.failed, "notes": list(case.notes)}  # fmt: skip


@dataclass(frozen=True)
class Threshold:
    metric: str
    minimum: float

    def check(self, report: Report) -> dict[str, object]:
        value = report.value(self.metric)
        return {"metric": self.metric, "minimum": self.minimum, "value": value,
                "passed": value is not None and value >= self.minimum}  # fmt: skip


def metric_names() -> list[str]:
    return [*MEASURES, *METADATA, "metadata", *(f"{s}.{m}" for s in SECTION_NAMES for m in MEASURES)]


def parse_threshold(text: str) -> Threshold:
    """'section_accuracy=0.7' or 'challenges.f1=0.5': a metric and the least it may be, a share from 0 to 1."""
    metric, sep, number = text.partition("=")
    metric = metric.strip()
    if not sep:
        raise UsageError(f"--fail-under takes METRIC=X, e.g. section_accuracy=0.7, not {text!r}.")
    if metric not in metric_names():
        sections = ", ".join(SECTION_NAMES)
        raise UsageError(f"--fail-under: no metric {metric!r}. Metrics: {', '.join(MEASURES)}; metadata or one of "
                         f"{', '.join(METADATA)}; or SECTION.MEASURE for a section ({sections}), e.g. "
                         "challenges.recall.")  # fmt: skip
    return Threshold(metric, bounded(number.strip(), f"--fail-under {metric}"))


def bounded(number: str | float, option: str) -> float:
    try:
        value = float(number)
    except ValueError:
        raise UsageError(f"{option} takes a share from 0 to 1, e.g. 0.7, not {number!r}.") from None
    if not 0 <= value <= 1:
        raise UsageError(f"{option} takes a share from 0 to 1, e.g. 0.7, not {number!r}.")
    return value

