"""The method note's selection criteria, checked per record: a pure function of the summary.

A case is selected when it is from 2023 onwards, shows an application of AI, and documents its outcomes and
its unintended consequences. (Nation coverage, one case from each devolved administration, is a property of
the collection: see `coverage`.) Lessons learnt are not a selection criterion, but the five-part format needs
them, so they are checked too and reported apart.

Listing 100,000 records must not decode 100,000 summaries, so the check runs on `CaseFacts`, the few fields
it needs, which the store keeps as columns of the records table (`Store.criteria_facts` reads them; this module
runs no SQL of its own); `evaluate(summary)` is the same check for a summary in hand, and a test keeps the two
paths in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UsageError
from .models import CaseSummary

FIRST_YEAR = 2023


@dataclass(frozen=True)
class Criterion:
    name: str  # as typed after --meets / --fails
    label: str
    selection: bool  # one of the method note's selection criteria (lessons are not)


CRITERIA = (
    Criterion("from-2023", f"work from {FIRST_YEAR} onwards", True),
    Criterion("uses-ai", "shows an application of AI", True),
    Criterion("outcomes", "benefits and outcomes documented", True),
    Criterion("unintended", "unintended consequences documented", True),
    Criterion("lessons", "lessons learnt documented (five-part format; not a selection criterion)", False),
)
BY_NAME = {c.name: c for c in CRITERIA}
SELECTION = tuple(c.name for c in CRITERIA if c.selection)

# "decided not to", "considered a predictive model but ...": the AI was weighed and not adopted. An LLM leaves
# ai_application empty then; the offline engine picks any sentence that names AI, so this guards its records.
_NOT_ADOPTED = re.compile(
    r"\b(?:decided|chose|opted|elected|agreed)\s+(?:deliberately\s+)?(?:not\s+to|against)\b|"
    r"\bconsidered\b[^.;]*\bbut\b|\bdid\s+not\s+(?:use|adopt|buy|deploy)\b|\bnot\s+to\s+use\b|\bruled\s+out\b|"
    r"\bwithout\s+(?:using\s+)?(?:any\s+)?(?:AI|artificial intelligence|machine learning)\b|"
    r"\bbesl(?:oot|oten)\s+(?:bewust\s+)?(?:geen|niet)\b|\boverwogen\b[^.;]*\bmaar\b",
    re.I,
)


_NOT_ADOPTED_WORDS = ("not", "against", "considered", "ruled", "without", "besl", "overwogen")


def _maybe_not_adopted(text: str) -> bool:
    """A cheap first look, so that listing many records runs the regular expression on few of them."""
    lowered = text.lower()
    return any(word in lowered for word in _NOT_ADOPTED_WORDS)


@dataclass(frozen=True)
class CaseFacts:
    """What the criteria read from a summary."""

    year: int | None
    ai_text: str | None  # the text of the ai_application point, or None when there is none
    outcomes: int
    unintended: int
    lessons: int

    @classmethod
    def of(cls, summary: CaseSummary) -> CaseFacts:
        ai = summary.ai_application
        return cls(
            year=summary.year,
            ai_text=ai.text if ai is not None else None,
            outcomes=len(summary.outcomes),
            unintended=len(summary.unintended_consequences),
            lessons=len(summary.lessons),
        )


@dataclass(frozen=True)
class CriteriaResult:
    """Each criterion met or not, with why not, in CRITERIA order."""

    met: dict[str, bool]
    reasons: dict[str, str]  # criterion name -> why it is not met

    @property
    def selected(self) -> bool:
        """Meets every selection criterion of the method note."""
        return all(self.met[name] for name in SELECTION)

    def failing(self) -> list[str]:
        return [name for name, ok in self.met.items() if not ok]

    def as_dict(self) -> dict[str, object]:
        return {**self.met, "selected": self.selected, "reasons": dict(self.reasons)}


def evaluate(summary: CaseSummary) -> CriteriaResult:
    """The criteria for one summary."""
    return evaluate_facts(CaseFacts.of(summary))


def evaluate_facts(facts: CaseFacts) -> CriteriaResult:
    reasons: dict[str, str] = {}
    if facts.year is None:
        reasons["from-2023"] = "the year of the work is not stated"
    elif facts.year < FIRST_YEAR:
        reasons["from-2023"] = f"the work is from {facts.year}, before {FIRST_YEAR}"
    if facts.ai_text is None:
        reasons["uses-ai"] = "no application of AI recorded"
    elif _maybe_not_adopted(facts.ai_text) and _NOT_ADOPTED.search(facts.ai_text):
        reasons["uses-ai"] = "AI is mentioned but was not adopted"
    if not facts.outcomes:
        reasons["outcomes"] = "no outcomes or benefits documented"
    if not facts.unintended:
        reasons["unintended"] = "no unintended consequences documented"
    if not facts.lessons:
        reasons["lessons"] = "no lessons learnt documented"
    return CriteriaResult({c.name: c.name not in reasons for c in CRITERIA}, reasons)


def failed_tag(summary: CaseSummary) -> str:
    """The criteria a summary fails, as ',unintended,lessons,': a column the store filters on with LIKE."""
    return tag(evaluate(summary))


def tag(result: CriteriaResult) -> str:
    failing = result.failing()
    return f",{','.join(failing)}," if failing else ""


def check_names(names: Iterable[str]) -> list[str]:
    """The criterion names, or a UsageError naming the known ones."""
    names = list(names)
    unknown = [n for n in names if n not in BY_NAME and n != "selected"]
    if unknown:
        known = ", ".join(BY_NAME)
        raise UsageError(f"Unknown criterion {', '.join(map(repr, unknown))}: choose from {known}, or 'selected'.")
    return names
