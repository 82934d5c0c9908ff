"""What each page shows, read from the queue: plain data for the templates, no HTML and no saving.

The queue page lists what `trendsum review` walks (same filters, same order: least grounded first); a record
page shows one record as the walk's `current` reads it, with its source and where each point's evidence is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from ..domain import criteria
from ..domain.analysis import Analysis
from ..domain.labels import SECTION_TITLES
from ..domain.models import Point, PointCheck, Record, ReviewEvent, Status, Trend
from ..errors import UsageError
from ..queue import analysis_store, editing, review
from ..queue.store import RecordRow, Store
from ..queue.walk import DEFAULT_STATUSES, Changes, Order, Walk, review_queue
from .evidence import spans

PAGE_SIZE = 50
ANY = "any"


@dataclass(frozen=True)
class Filters:
    """The queue a reviewer walks, as the queue page's query string says it; carried from page to page."""

    statuses: tuple[Status, ...] = DEFAULT_STATUSES
    trend: str = ""
    nation: str = ""
    engine: str = ""
    meets: tuple[str, ...] = ()
    fails: tuple[str, ...] = ()
    search: str = ""
    order: Order = Order.GROUNDED

    @classmethod
    def parse(cls, params: Mapping[str, str] | object) -> Filters:
        """From a query string (or a form's hidden `queue` field); a bad value is a UsageError (a 400 page)."""
        get_list = getattr(params, "getlist")
        given = [s for s in get_list("status") if s]
        try:
            statuses = tuple(Status) if ANY in given else tuple(Status(s) for s in given) or DEFAULT_STATUSES
            order = Order(getattr(params, "get")("order") or Order.GROUNDED)
        except ValueError as exc:
            raise UsageError(f"Not a filter this page knows: {exc}.") from None
        meets = tuple(criteria.check_names([m for m in get_list("meets") if m]))
        fails = tuple(criteria.check_names([f for f in get_list("fails") if f]))
        get = getattr(params, "get")
        text = {key: str(get(key) or "").strip()[:200] for key in ("trend", "nation", "engine", "q")}
        return cls(statuses, text["trend"], text["nation"], text["engine"], meets, fails, text["q"], order)

    def query(self, **extra: object) -> str:
        pairs: list[tuple[str, object]] = [("status", s.value) for s in self.statuses]
        pairs += [(key, value) for key, value in (("trend", self.trend), ("nation", self.nation),
                                                  ("engine", self.engine), ("q", self.search)) if value]  # fmt: skip
        pairs += [("meets", m) for m in self.meets] + [("fails", f) for f in self.fails]
        if self.order != Order.GROUNDED:
            pairs.append(("order", self.order.value))
        pairs += [(key, value) for key, value in extra.items() if value is not None]
        return urlencode(pairs)


# The last few queues read, by filters and the database's state: paging through a queue of 10,000 records, or
# moving from record to record, reads and sorts it once, not once a page. Any write (ours or another process's)
# changes the state, and the next page reads the queue afresh.
_QUEUES: OrderedDict[tuple[object, ...], list[RecordRow]] = OrderedDict()
_KEPT = 8


def _state(store: Store) -> tuple[object, ...]:
    """Changes since: SQLite's data_version moves when another connection commits, total_changes with our own."""
    return (id(store), store.db.execute("PRAGMA data_version").fetchone()[0], store.db.total_changes)


def queue_rows(store: Store, filters: Filters) -> list[RecordRow]:
    """The walk's records in the walk's order (`review_queue`), narrowed by the search box (id or title)."""
    key = (_state(store), replace(filters, search=""))
    rows = _QUEUES.get(key)
    if rows is None:
        rows = review_queue(store, filters.statuses, filters.trend or None, filters.nation or None,
                            filters.engine or None, (), filters.order, filters.meets, filters.fails)  # fmt: skip
        _QUEUES[key] = rows
        while len(_QUEUES) > _KEPT:
            _QUEUES.popitem(last=False)
    else:
        _QUEUES.move_to_end(key)
    wanted = filters.search.casefold()
    if wanted:
        rows = [row for row in rows if wanted in row.id.casefold() or wanted in row.title.casefold()]
    return rows


@dataclass(frozen=True)
class QueuePage:
    filters: Filters
    rows: list[RecordRow]
    criteria: dict[str, criteria.CriteriaResult]
    matched: int
    page: int
    pages: int
    counts: dict[str, int]  # per status, with the other filters applied
    trends: list[str]
    criteria_names: list[tuple[str, str]]


def queue_page(store: Store, filters: Filters, page: int) -> QueuePage:
    rows = queue_rows(store, filters)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    counts = {status.value: store.count((status,), filters.trend or None, filters.nation or None,
                                        filters.engine or None, filters.meets, filters.fails)
              for status in Status}  # fmt: skip
    names = [(c.name, c.label) for c in criteria.CRITERIA] + [("selected", "meets every selection criterion")]
    return QueuePage(filters, shown, store.criteria_results(shown), len(rows), page, pages, counts,
                     [t.value for t in Trend], names)  # fmt: skip


# -- a record -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointView:
    path: str  # "challenges[0]": the grounding's name for it
    anchor: str  # the same, safe in an HTML id
    section: str
    text: str
    evidence: list[tuple[int | None, str]]  # (cited sentence id, or None for a typed quote; the text)
    check: PointCheck | None
    located: int  # how many of its quotes' parts were found in the source text shown

    @property
    def supported(self) -> bool:
        """Grounded: its evidence is in the source."""
        return self.check is not None and self.check.supported

    @property
    def sound(self) -> bool:
        """Grounded, and its evidence backs what it says."""
        return self.check is not None and self.check.sound


@dataclass(frozen=True)
class Segment:
    text: str
    points: tuple[str, ...]  # anchors of the points whose evidence this piece of the source is
    starts: tuple[str, ...] = ()  # anchors of the points whose evidence starts here (the place to scroll to)


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    kind: str
    author: str
    at: str
    engine: str
    model: str
    grounded: int
    points: int
    diff: list[str]  # from the version before


@dataclass
class RecordPage:
    record: Record
    filters: Filters
    position: int | None  # from 1, in the filtered queue; None when the record is not in it
    total: int
    previous: str | None
    next: str | None
    points: list[PointView]
    source_path: str
    source_problem: str | None
    segments: list[Segment] | None  # None: no source text to show
    criteria: criteria.CriteriaResult
    changes: Changes | None
    history: list[HistoryEntry]
    events: list[ReviewEvent]
    selected: str | None = None
    notices: list[str] = field(default_factory=list)


def anchor(path: str) -> str:
    return path.replace("[", "-").replace("]", "")


def record_page(
    store: Store, record_id: str, filters: Filters, reviewer: str, selected: str | None = None
) -> RecordPage:
    rows = queue_rows(store, filters)
    walk = Walk(store, rows, reviewer)
    ids = walk.ids
    if record_id in ids:
        walk.index = ids.index(record_id)
        record = walk.current()
    else:
        record = store.get(record_id)  # a record outside the queue can still be read (linked from its history)
    assert record is not None
    position = ids.index(record_id) if record_id in ids else None
    source = walk.source(record).source
    points = []
    located: dict[str, list[tuple[int, int]]] = {}
    for path, point in record.summary.points():
        where = spans(point, source.text) if source.text is not None else []
        located[anchor(path)] = where
        points.append(_point_view(path, point, record.grounding.points.get(path), len(where)))
    return RecordPage(
        record=record, filters=filters, position=None if position is None else position + 1, total=len(ids),
        previous=ids[position - 1] if position else None,
        next=ids[position + 1] if position is not None and position + 1 < len(ids) else None,
        points=points, source_path=source.path, source_problem=source.problem,
        segments=None if source.text is None else segments(source.text, located),
        criteria=criteria.evaluate(record.summary), changes=walk.changes(record),
        history=history(store, record_id), events=store.events(record_id),
        selected=selected if selected in located else None,
    )  # fmt: skip


def _point_view(path: str, point: Point, check: PointCheck | None, located: int) -> PointView:
    section = path.split("[")[0]
    evidence = [(item.sentence, item.text) for item in point.evidence]
    return PointView(path, anchor(path), SECTION_TITLES[section], point.text, evidence, check, located)


def segments(text: str, located: Mapping[str, Sequence[tuple[int, int]]]) -> list[Segment]:
    """The source cut where any point's evidence starts or ends, each piece naming the points it is evidence of."""
    cuts = {0, len(text)}
    for where in located.values():
        for start, end in where:
            cuts.update((start, end))
    bounds = sorted(cuts)
    pieces = []
    seen: set[str] = set()
    for start, end in zip(bounds, bounds[1:], strict=False):
        if start == end:
            continue
        owners = tuple(name for name, where in located.items() if any(s <= start and end <= e for s, e in where))
        first = tuple(name for name in owners if name not in seen)
        seen.update(first)
        pieces.append(Segment(text[start:end], owners, first))
    return pieces


def history(store: Store, record_id: str) -> list[HistoryEntry]:
    versions = review.version_history(store, record_id)
    entries = []
    for before, entry in zip([None, *versions], versions, strict=False):
        diff = [] if before is None else editing.diff_lines(
            before.summary, entry.summary, f"version {before.version}", f"version {entry.version}")  # fmt: skip
        entries.append(HistoryEntry(entry.version, entry.kind, entry.author, entry.created_at.isoformat(" ", "seconds"),
                                    entry.engine, entry.model, entry.grounded, entry.points, diff))  # fmt: skip
    return entries


# -- analyses -------------------------------------------------------------------------------------------------


def analyses(store: Store) -> list[analysis_store.AnalysisRow]:
    return analysis_store.rows(store)


def analysis(store: Store, analysis_id: str) -> tuple[Analysis, list[ReviewEvent], set[str]]:
    """The analysis, its history, and which of the cases it cites are records in this queue (to link to)."""
    found = analysis_store.get(store, analysis_id)
    cited = found.body.cited()
    known = {row.id for row in store.rows(ids=sorted(cited))} if cited else set()
    return found, analysis_store.events(store, analysis_id), known
