"""The gold cases `trendsum eval` scores against: approved records of the queue, or records of a gold file.

A gold case is what a person accepted (the sentences each section cites, and the metadata) and the source text
to summarise again. A case whose source cannot be found is kept, with the reason, so the report says which
cases were left out and why instead of scoring fewer cases without a word.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..domain.models import SECTIONS, CaseStudy, CaseSummary, Evidence, Status
from ..errors import IngestError, UsageError
from ..ingest import Source, parse_text, read_case
from ..queue.store import Store

# The sections scored, in reading order: the two single points, then the list sections.
SECTION_NAMES = ("overview", "ai_application", *SECTIONS)
METADATA = ("organisation", "nation", "year", "trend", "uses_ai")


@dataclass(frozen=True)
class GoldCase:
    id: str
    source_path: str  # as the record or the gold file names it
    language: str
    case: CaseStudy | None  # the source to summarise again; None when it cannot be had (see `problem`)
    problem: str | None
    evidence: dict[str, tuple[Evidence, ...]]  # section -> the evidence of all its points
    metadata: dict[str, object]
    notes: tuple[str, ...] = ()


def sections_of(summary: CaseSummary) -> dict[str, tuple[Evidence, ...]]:
    """Every section's evidence, all points together: the scores compare sentences, not how they were grouped."""
    found: dict[str, list[Evidence]] = {name: [] for name in SECTION_NAMES}
    for path, point in summary.points():
        found[path.split("[", 1)[0]].extend(point.evidence)
    return {name: tuple(items) for name, items in found.items()}


def metadata_of(summary: CaseSummary) -> dict[str, object]:
    return {"organisation": summary.organisation, "nation": summary.nation, "year": summary.year,
            "trend": str(summary.trend), "uses_ai": summary.ai_application is not None}  # fmt: skip


def from_queue(store: Store) -> list[GoldCase]:
    """Each approved record (a stale one by the version that was approved), with the source it was made from: its
    file if unchanged, read exactly as `summarise` read it (title and front matter too); else the text the queue
    kept (`Store.kept_text`), which has the words but not the file's front matter; else the case says why not."""
    cases = []
    for row in store.rows([Status.APPROVED, Status.STALE]):
        if row.approved_version is None:
            continue
        record = store.get(row.id, row.approved_version)
        provenance = record.provenance
        case, problem = _read_unchanged(Path(provenance.source_path), record.id, provenance.source_sha256)
        text = store.kept_text(provenance) if case is None else None
        if text is not None:
            source = Source(Path(provenance.source_path), record.id)
            case, problem = parse_text(text, source, sha256=provenance.source_sha256, front_matter=False), None
        cases.append(GoldCase(record.id, provenance.source_path, provenance.language, case, problem,
                              sections_of(record.summary), metadata_of(record.summary)))  # fmt: skip
    return cases


def _read_unchanged(path: Path, case_id: str, sha256: str) -> tuple[CaseStudy | None, str | None]:
    if not path.is_file():
        return None, f"the queue kept no copy of its source text, and {path} is not there"
    try:
        case = read_case(Source(path, case_id))
    except IngestError as exc:
        return None, f"the queue kept no copy of its source text, and {path} cannot be read: {exc.reason}"
    if case.sha256 != sha256:
        return None, f"the queue kept no copy of its source text, and {path} has changed since it was summarised"
    return case, None


def from_file(path: Path) -> list[GoldCase]:
    """The records of a gold file: JSON Lines as `trendsum export` writes them. Each record's
    `provenance.source_path` is found relative to the gold file's folder, else the working folder."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"No gold file at {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the gold file {path}: {exc}.") from None
    cases = [_gold_case(data, number, path) for number, data in _records(lines, path)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"{path}: the id {case.id!r} is there twice; each gold record needs its own id.")
        seen.add(case.id)
    return cases


def _records(lines: list[str], path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} line {number} is not JSON ({exc.msg}): a gold file is JSON Lines, one record "
                             "a line, as `trendsum export` writes them.") from None  # fmt: skip
        if not isinstance(data, dict):
            raise UsageError(f"{path} line {number} is not a record (a JSON object).")
        yield number, data


def _gold_case(data: dict[str, Any], number: int, gold_file: Path) -> GoldCase:
    where = f"{gold_file} line {number}"
    provenance = data.get("provenance") if isinstance(data.get("provenance"), dict) else {}
    record_id = str(data.get("id") or f"line-{number}")
    try:
        evidence = {name: tuple(_evidence(data.get(name), name)) for name in SECTION_NAMES}
        metadata = _metadata(data)
    except (ValueError, TypeError, ValidationError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise UsageError(f"{where} ({record_id}) is not a record in the export's format: {detail}") from None
    language = str(provenance.get("language") or "en")
    source_path = provenance.get("source_path")
    if not isinstance(source_path, str) or not source_path:
        return GoldCase(record_id, "", language, None, "the gold record has no provenance.source_path: which file "
                        "does it summarise?", evidence, metadata)  # fmt: skip
    case, problem, notes = _gold_source(source_path, record_id, gold_file, provenance.get("source_sha256"))
    return GoldCase(record_id, source_path, language, case, problem, evidence, metadata, notes)


def _gold_source(
    source_path: str, record_id: str, gold_file: Path, sha256: object
) -> tuple[CaseStudy | None, str | None, tuple[str, ...]]:
    given = Path(source_path)
    places = [given] if given.is_absolute() else [gold_file.parent / given, Path.cwd() / given]
    found = next((p for p in places if p.is_file()), None)
    if found is None:
        looked = " or ".join(str(p) for p in dict.fromkeys(places))
        return None, f"source file not found: {source_path} (looked for {looked})", ()
    try:
        case = read_case(Source(found, record_id))
    except IngestError as exc:
        return None, f"source file cannot be read: {exc.reason}", ()
    notes = ()
    if isinstance(sha256, str) and sha256 and sha256 != case.sha256:
        notes = (f"{found} is not the file the gold record was made from (its SHA-256 differs): its evidence is "
                 "matched to the file's sentences by its words",)  # fmt: skip
    return case, None, notes


def _evidence(value: Any, section: str) -> Iterator[Evidence]:
    """The evidence of a section's points: one point or none (overview, ai_application), or a list of points."""
    if value is None:
        return
    points = value if isinstance(value, list) else [value]
    for point in points:
        if not isinstance(point, dict):
            raise ValueError(f"{section}: a point is an object with text and evidence, not {type(point).__name__}")
        items = point.get("evidence") or []
        if not isinstance(items, list):
            raise ValueError(f"{section}: evidence is a list")
        for item in items:
            if isinstance(item, str):  # a typed quote, as records before citations hold them
                yield Evidence(text=item)
            elif isinstance(item, dict):
                yield Evidence.model_validate({k: item.get(k) for k in ("text", "sentence", "start", "end")})
            else:
                raise ValueError(f"{section}: a piece of evidence is a quote or an object with text")


def _metadata(data: dict[str, Any]) -> dict[str, object]:
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValueError(f"year is a whole number or null, not {year!r}")
    text = {key: data.get(key) for key in ("organisation", "nation", "trend")}
    for key, value in text.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} is text or null, not {value!r}")
    return {**text, "year": year, "uses_ai": data.get("ai_application") is not None}
