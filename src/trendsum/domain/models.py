"""Domain types, no I/O.

`CaseSummary` is the schema an engine must fill: its field descriptions are sent to the LLM as part of the
prompt, so they are written for a model (and a reviewer) to read. `Record` is a summary with everything the
pipeline knows about it: grounding, provenance and review state.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class Point(_Strict):
    """One statement of a section, backed by quotes from the source."""

    text: str = Field(
        description="One or two plain-English sentences stating the point, written for a public-sector reader."
    )
    evidence: list[str] = Field(
        min_length=1,
        description=(
            "One or more quotes copied character for character from the case study that support the point. "
            "Copy whole phrases or sentences exactly; never paraphrase, translate or join separate passages."
        ),
    )


class CaseSummary(_Strict):
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
    ai_application: Point | None = Field(
        description="How artificial intelligence was applied, if it was; null when the case involves no AI."
    )
    overview: Point = Field(description="A short paragraph (two or three sentences): who did what, and why.")
    challenges: list[Point] = Field(description="The problems or pressures that led to the work.")
    approach: list[Point] = Field(description="What was done, and how: methods, technology, partners, steps.")
    outcomes: list[Point] = Field(
        description="Outcomes and benefits the source documents, with figures where the source gives them."
    )
    unintended_consequences: list[Point] = Field(
        description="Unexpected or unintended effects, good or bad, that the source reports. Empty if none."
    )
    lessons: list[Point] = Field(
        description="Lessons learnt or advice for others that the source states. Empty if the source gives none."
    )

    def points(self) -> Iterator[tuple[str, Point]]:
        """Every point with a stable path such as 'challenges[0]', in reading order."""
        yield "overview", self.overview
        if self.ai_application is not None:
            yield "ai_application", self.ai_application
        for section in SECTIONS:
            for i, point in enumerate(getattr(self, section)):
                yield f"{section}[{i}]", point


@functools.cache
def summary_schema() -> dict[str, Any]:
    """CaseSummary's JSON schema, built once: pydantic rebuilds it on every call, which costs milliseconds."""
    return CaseSummary.model_json_schema()


@functools.cache
def summary_schema_text() -> str:
    return json.dumps(summary_schema(), indent=1)


# The list sections in reading order (their headings, per language, are in `labels`).
SECTIONS = ("challenges", "approach", "outcomes", "unintended_consequences", "lessons")


class PointCheck(_Strict):
    supported: bool
    missing: list[str] = Field(default_factory=list, description="Quotes that are not evidence from the source.")
    reasons: list[str] = Field(default_factory=list, description="Why, for each quote in `missing`, in order.")

    def problems(self) -> list[tuple[str, str]]:
        """(quote, why it is not evidence) for each missing quote; records saved before reasons say 'not found'."""
        reasons = self.reasons + ["quote not found in the source"] * (len(self.missing) - len(self.reasons))
        return list(zip(self.missing, reasons, strict=False))


class Grounding(_Strict):
    points: dict[str, PointCheck] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def supported(self) -> int:
        return sum(check.supported for check in self.points.values())

    def is_supported(self, path: str) -> bool:
        """A point nobody checked is not supported: fail closed."""
        check = self.points.get(path)
        return check is not None and check.supported


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
    source_sha256: str
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
