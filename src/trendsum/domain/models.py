"""Domain types, no I/O.

`CaseSummary` is the schema an engine must fill: its field descriptions are sent to the LLM as part of the
prompt, so they are written for a model (and a reviewer) to read. `Record` is a summary with everything the
pipeline knows about it: grounding, provenance and review state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import QueueError

# Bump when CaseSummary changes shape: it is part of the cache key, so old answers are not reused.
SCHEMA_VERSION = 1


class Trend(StrEnum):
    REIMAGINING_SERVICES = "reimagining services"
    HARNESSING_DATA = "harnessing data"
    CYBER_SECURITY = "cyber security"
    OTHER = "other"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    STALE = "stale"  # approved once, but its source or prompt changed since


def parse_status(value: str) -> Status:
    """A status read from the queue; one this version does not know means a newer trendsum wrote it."""
    try:
        return Status(value)
    except ValueError:
        raise QueueError(
            f"The queue holds the status {value!r}, which this version of trendsum does not know: it was written "
            "by a newer trendsum. Upgrade trendsum (pip install -U trendsum) to read it."
        ) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


P = TypeVar("P", bound=BaseModel)  # what a summary's points are: stored points, or points as a model answers


class Evidence(_Strict):
    """One piece of a point's evidence: a sentence of the source it cites, or a quote a model or reviewer typed.

    A cited sentence carries its id in the source's segmentation (`domain.sentences`) and its character span in
    the source text the record was made from, so it can be shown and highlighted even after the file has moved
    or changed. A typed quote has only its text: the grounding check finds it in the source, or says it is not
    there. Records saved before evidence was cited by reference hold plain strings; they read as typed quotes.
    """

    text: str = Field(description="The evidence, verbatim: the cited sentence, or the quote as typed.")
    sentence: int | None = Field(default=None, description="The cited sentence's id; null for a typed quote.")
    start: int | None = Field(default=None, description="Where the cited sentence starts in the source text.")
    end: int | None = Field(default=None, description="Where it ends (exclusive).")

    @property
    def cited(self) -> bool:
        return self.sentence is not None


class Point(_Strict):
    """One statement of a section, backed by evidence from the source."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)  # `point.evidence = [...]` converts too

    text: str = Field(
        description="One or two plain-English sentences stating the point, written for a public-sector reader."
    )
    evidence: list[Evidence] = Field(min_length=1, description="What in the source supports the point.")

    @field_validator("evidence", mode="before")
    @classmethod
    def _quotes_as_evidence(cls, value: Any) -> Any:
        """A plain string is a typed quote: how records were stored before citations, and how tests write them."""
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def quotes(self) -> list[str]:
        """The evidence's text, cited or typed, in order."""
        return [item.text for item in self.evidence]


class SummaryOf(_Strict, Generic[P]):
    """A case study in the five-part format of the Public Sector Digital Trends report."""

    title: str = Field(description="A short title for the case study, as the source names it where it does.")
    organisation: str | None = Field(
        description="The public body that did the work, e.g. 'Fife Council'; null when the source does not say."
    )
    nation: str | None = Field(
        description=(
            "Where the body is: 'England', 'Scotland', 'Wales', 'Northern Ireland', or the country name "
            "for other countries (e.g. 'Netherlands'); null when the source does not make it clear."
        )
    )
    year: int | None = Field(
        ge=1990,
        le=2100,
        description="The year the work described took place or was reported (the latest year it covers); null if unknown.",
    )
    trend: Trend = Field(
        description=(
            "The trend the case illustrates best: 'reimagining services' (redesigning services around users), "
            "'harnessing data' (using data for insight and decisions), 'cyber security', or 'other'."
        )
    )
    ai_application: P | None = Field(
        description="How artificial intelligence was applied, if it was; null when the case involves no AI."
    )
    overview: P = Field(description="A short paragraph (two or three sentences): who did what, and why.")
    challenges: list[P] = Field(description="The problems or pressures that led to the work.")
    approach: list[P] = Field(description="What was done, and how: methods, technology, partners, steps.")
    outcomes: list[P] = Field(
        description="Outcomes and benefits the source documents, with figures where the source gives them."
    )
    unintended_consequences: list[P] = Field(
        description="Unexpected or unintended effects, good or bad, that the source reports. Empty if none."
    )
    lessons: list[P] = Field(
        description="Lessons learnt or advice for others that the source states. Empty if the source gives none."
    )

    def points(self) -> Iterator[tuple[str, P]]:
        """Every point with a stable path such as 'challenges[0]', in reading order."""
        yield "overview", self.overview
        if self.ai_application is not None:
            yield "ai_application", self.ai_application
        for section in SECTIONS:
            for i, point in enumerate(getattr(self, section)):
                yield f"{section}[{i}]", point


class CaseSummary(SummaryOf[Point]):
    """A case study in the five-part format of the Public Sector Digital Trends report."""

    def with_citations_from(self, earlier: CaseSummary) -> CaseSummary:
        """This summary with each piece of evidence that `earlier` cites by the same words cited again (sentence
        id, span and the sentence's own text): an edit must not lose the citations it did not change. Words are
        compared without their spacing, which an editor may re-flow (a wrapped line's indent is not kept)."""
        cited = {_words(item.text): item for _, point in earlier.points() for item in point.evidence if item.cited}
        data = self.model_dump()
        for _, point in point_dicts(data):
            point["evidence"] = [cited[key].model_dump() if (key := _words(item["text"])) in cited else item
                                 for item in point["evidence"]]  # fmt: skip
        return CaseSummary.model_validate(data)


def point_dicts(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every point of a summary as plain data (`model_dump`, or a model's answer), with the path `points()`
    gives it, in the same order: for code that rewrites points' evidence before validating the whole again."""
    yield "overview", data["overview"]
    if data.get("ai_application") is not None:
        yield "ai_application", data["ai_application"]
    for section in SECTIONS:
        for i, point in enumerate(data[section]):
            yield f"{section}[{i}]", point


def _words(text: str) -> str:
    return " ".join(text.split())


# The list sections in reading order (their headings, per language, are in `labels`).
SECTIONS = ("challenges", "approach", "outcomes", "unintended_consequences", "lessons")


class PointCheck(_Strict):
    """What the checks found about one point: is its evidence in the source (grounding), and does that evidence
    back what the point says (support)."""

    supported: bool = Field(description="Grounded: every piece of evidence is in the source (the name predates "
                                        "the support check and is kept so stored records read unchanged).")  # fmt: skip
    missing: list[str] = Field(default_factory=list, description="Quotes that are not evidence from the source.")
    reasons: list[str] = Field(default_factory=list, description="Why, for each quote in `missing`, in order.")
    unsupported: list[str] = Field(
        default_factory=list, description="Why the evidence does not back the point's text; empty when it does."
    )

    @property
    def sound(self) -> bool:
        """Grounded and supported: nothing for a reviewer to look into before accepting."""
        return self.supported and not self.unsupported

    def problems(self) -> list[tuple[str, str]]:
        """(quote, why it is not evidence) for each missing quote; records saved before reasons say 'not found'."""
        reasons = self.reasons + ["quote not found in the source"] * (len(self.missing) - len(self.reasons))
        return list(zip(self.missing, reasons, strict=False))


class Grounding(_Strict):
    """The checks of every point of a summary, by path ('overview', 'challenges[0]')."""

    points: dict[str, PointCheck] = Field(default_factory=dict)
    # False in checks stored before the support check existed: `grounding.with_support` runs it when they are read
    support_checked: bool = False

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def supported(self) -> int:
        """Points whose evidence is all in the source (grounded)."""
        return sum(check.supported for check in self.points.values())

    @property
    def unsupported(self) -> int:
        """Points whose evidence does not back what they say."""
        return sum(bool(check.unsupported) for check in self.points.values())

    @property
    def sound(self) -> int:
        return sum(check.sound for check in self.points.values())

    def is_supported(self, path: str) -> bool:
        """Grounded. A point nobody checked is not: fail closed."""
        check = self.points.get(path)
        return check is not None and check.supported

    def is_sound(self, path: str) -> bool:
        """Grounded and supported; a point nobody checked is neither."""
        check = self.points.get(path)
        return check is not None and check.sound

    def summary_line(self) -> str:
        """'7/8 points grounded in the source; 1 unsupported by its evidence', as every front end says it."""
        line = f"{self.supported}/{self.total} points grounded in the source"
        return line + (f"; {self.unsupported} unsupported by its evidence" if self.unsupported else "")


class CallProvenance(_Strict):
    """How an engine produced something: the engine, model, prompt, mode, language, tokens and attempts."""

    engine: str
    model: str
    prompt_name: str
    prompt_hash: str
    schema_version: int
    mode: str | None = None
    language: str = "en"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    created_at: datetime


class Provenance(CallProvenance):
    """A summary's provenance: the call, and the source file it summarised."""

    source_path: str
    source_sha256: str  # of the file's bytes: what identifies the source
    # of the text read from them, which evidence spans point into (the same bytes read by another reader, or by a
    # later version of one, can give another text); None in records made before the queue kept source texts
    text_sha256: str | None = None
    schema_version: int = SCHEMA_VERSION


class ReviewEvent(_Strict):
    record_id: str
    version: int
    action: str
    reviewer: str
    note: str | None
    at: datetime


class Record(_Strict):
    """One version of a case study's summary, as the queue holds it."""

    id: str
    version: int
    status: Status
    summary: CaseSummary
    grounding: Grounding
    provenance: Provenance
    author: str = Field(description="Who wrote this version: 'engine' for generated ones, else the reviewer.")
    flags: list[str] = Field(default_factory=list)
    approved_version: int | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None

    @property
    def title(self) -> str:
        return self.summary.title


@dataclass(frozen=True)
class CaseStudy:
    """One case study as read from its source: the text every engine and check works on, and where it came from."""

    case_id: str
    path: str
    title: str
    text: str
    sha256: str
    meta: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
