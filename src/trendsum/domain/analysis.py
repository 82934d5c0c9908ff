"""Types of the cross-case analysis, no I/O.

`CrossCaseAnalysis` is what an engine fills for one trend (its field descriptions are sent to the LLM); an
`Analysis` is one version of it in the queue, with what it was made from and its review state.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .models import CallProvenance, Status

# Bump when CrossCaseAnalysis changes shape: it is part of the cache key.
ANALYSIS_SCHEMA_VERSION = 1

ANALYSIS_SECTIONS = ("risks_and_challenges", "where_to_start", "application_areas")
# What the engine is asked to put in each section (the field descriptions of the schema it fills)
ANALYSIS_ASKED = {
    "risks_and_challenges": "Risks and challenges the cases share or warn about, including unintended consequences.",
    "where_to_start": "Practical first steps for a body starting similar work, from the cases' lessons and approach.",
    "application_areas": "Where digital, data and AI were applied: services, functions and problems addressed.",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(_Strict):
    """One point of the analysis and the case studies it draws on."""

    text: str = Field(
        description=(
            "One to three plain sentences for public-sector leaders, stating what the cases show together. "
            "Say only what the cited cases say."
        )
    )
    cases: list[str] = Field(
        min_length=1,
        description="The ids of the case studies this point draws on, copied exactly from the list given.",
    )


class CrossCaseAnalysis(_Strict):
    """A thematic analysis of the approved case studies of one trend, as the Digital Trends report has it."""

    risks_and_challenges: Annotated[list[Finding], Field(description=ANALYSIS_ASKED["risks_and_challenges"])]
    where_to_start: Annotated[list[Finding], Field(description=ANALYSIS_ASKED["where_to_start"])]
    application_areas: Annotated[list[Finding], Field(description=ANALYSIS_ASKED["application_areas"])]

    def findings(self) -> Iterator[tuple[str, int, Finding]]:
        for section in ANALYSIS_SECTIONS:
            for i, finding in enumerate(getattr(self, section)):
                yield section, i, finding

    def cited(self) -> set[str]:
        return {case for _, _, finding in self.findings() for case in finding.cases}


@functools.cache
def analysis_schema() -> dict[str, Any]:
    return CrossCaseAnalysis.model_json_schema()


def analysis_schema_for(case_ids: list[str]) -> dict[str, Any]:
    """The schema with the citable ids as an enum, so endpoints with strict structured output can only cite them."""
    schema = json.loads(json.dumps(analysis_schema()))
    schema["$defs"]["Finding"]["properties"]["cases"]["items"] = {"type": "string", "enum": list(case_ids)}
    return schema


class CaseRef(_Strict):
    """A case study an analysis read: the approved version, so a later change is noticed."""

    id: str
    version: int
    title: str
    organisation: str | None = None


class AnalysisProvenance(CallProvenance):
    """An analysis's provenance: the call, and the approved records it read."""

    schema_version: int = ANALYSIS_SCHEMA_VERSION
    inputs: list[CaseRef]


class Analysis(_Strict):
    """One version of a trend's cross-case analysis, as the queue holds it."""

    id: str
    version: int
    trend: str
    language: str
    status: Status
    body: CrossCaseAnalysis
    provenance: AnalysisProvenance
    author: str
    approved_version: int | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None

    def case_label(self, case_id: str) -> str:
        """How a reader knows a cited case: its organisation, else its title, else its id."""
        for ref in self.provenance.inputs:
            if ref.id == case_id:
                return ref.organisation or ref.title
        return case_id
