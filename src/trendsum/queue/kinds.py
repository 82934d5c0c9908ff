"""The kinds of item the review queue holds, described as data: which tables, which columns, which command shows one.

Records (one case study's summary) and analyses (one trend's cross-case analysis) are versioned, reviewed and
audited by the same code in `store`; a kind only says where its rows live. The tables are the ones migrations
m001 (records) and m003 (analyses) made, so no data moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from ..domain.analysis import CrossCaseAnalysis
from ..domain.models import CaseSummary
from ..errors import RecordNotFound, UsageError


class AnalysisNotFound(UsageError):
    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"No analysis with id {analysis_id!r}. Run `trendsum analyse list` to see the ids.")
        self.analysis_id = analysis_id


@dataclass(frozen=True)
class Kind:
    name: str  # as a message names one: "record", "analysis"
    items: str  # one row an item: id, status, current and approved version, the denormalised listing columns
    versions: str  # one row a version, never rewritten
    events: str  # the append-only history
    key: str  # the column of `versions` and `events` naming the item
    body: str  # the column of `versions` holding the body's JSON
    body_model: type[BaseModel]  # what that JSON is
    # the columns of `items` copied from the current version, so that listing and filtering decode no JSON
    listed: tuple[str, ...]
    show: str  # the command that shows one item, for messages
    not_found: Callable[[str, Sequence[str]], UsageError]  # (wanted id, ids like it) -> the error to raise


RECORD = Kind("record", "records", "versions", "events", "record_id", "summary", CaseSummary,
              ("title", "organisation", "nation", "year", "trend", "engine", "grounded", "points", "sound",
               "source_path", "ai_text", "outcomes", "unintended", "lessons", "criteria_failed"),
              "trendsum show", lambda wanted, close: RecordNotFound(wanted, list(close)))  # fmt: skip
ANALYSIS = Kind("analysis", "analyses", "analysis_versions", "analysis_events", "analysis_id", "body",
                CrossCaseAnalysis, ("trend", "language", "engine", "cases"),
                "trendsum analyse show", lambda wanted, close: AnalysisNotFound(wanted))  # fmt: skip
