"""The collection against the method note: criteria per case, and nations by trends with the gaps.

The note selects cases from 2023 onwards that show an application of AI and document their outcomes and
unintended consequences, with at least one case from each devolved administration (Scotland, Wales and
Northern Ireland). Coverage counts the cases in each nation and trend, how many of them meet every
selection criterion, and says in words what is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..domain import criteria
from ..domain.criteria import CriteriaResult
from ..domain.labels import MAIN_TRENDS
from ..domain.models import Status, parse_status
from ..queue.store import Store

DEVOLVED = ("Scotland", "Wales", "Northern Ireland")
UK_NATIONS = ("England", *DEVOLVED)
NOT_STATED = "not stated"
DEFAULT_STATUSES = (Status.PENDING, Status.APPROVED, Status.STALE)  # the collection: all but the rejected


@dataclass(frozen=True)
class CoverageCase:
    id: str
    title: str
    status: Status
    nation: str
    trend: str
    year: int | None
    facts: criteria.CaseFacts
    failed: str  # the stored tag, e.g. ',unintended,lessons,': enough for counts without evaluating anything
    selected: bool  # meets every selection criterion

    def fails(self, name: str) -> bool:
        return f",{name}," in self.failed

    @property
    def criteria(self) -> CriteriaResult:
        """Each criterion with the reason it is not met: worked out only when asked for (--json)."""
        return criteria.evaluate_facts(self.facts)


@dataclass(frozen=True)
class Cell:
    cases: int = 0
    selected: int = 0  # of which meet every selection criterion


@dataclass
class Coverage:
    statuses: tuple[Status, ...]
    cases: list[CoverageCase]
    nations: list[str]
    trends: list[str]
    cells: dict[tuple[str, str], Cell]
    gaps: list[str] = field(default_factory=list)
    _failing: dict[str, list[CoverageCase]] = field(default_factory=dict, repr=False)

    def nation_total(self, nation: str) -> Cell:
        return _sum(cell for (n, _), cell in self.cells.items() if n == nation)

    def trend_total(self, trend: str) -> Cell:
        return _sum(cell for (_, t), cell in self.cells.items() if t == trend)

    @property
    def total(self) -> Cell:
        return _sum(self.cells.values())

    def failing(self, name: str) -> list[CoverageCase]:
        if name not in self._failing:
            self._failing[name] = [c for c in self.cases if c.fails(name)]
        return self._failing[name]

    def as_dict(self) -> dict[str, object]:
        failing = {c.name: [case.id for case in self.failing(c.name)] for c in criteria.CRITERIA}
        return {
            "statuses": [str(s) for s in self.statuses],
            "cases": len(self.cases),
            "selected": self.total.selected,
            "criteria": {
                c.name: {"label": c.label, "selection": c.selection, "met": len(self.cases) - len(failing[c.name]),
                         "failing": failing[c.name]}
                for c in criteria.CRITERIA
            },  # fmt: skip
            "table": {n: {t: {"cases": self.cells[n, t].cases, "selected": self.cells[n, t].selected}
                          for t in self.trends} for n in self.nations},  # fmt: skip
            "gaps": list(self.gaps),
            "records": {c.id: {"nation": c.nation, "trend": c.trend, "status": str(c.status), **c.criteria.as_dict()}
                        for c in self.cases},  # fmt: skip
        }


def _sum(cells) -> Cell:  # type: ignore[no-untyped-def]
    cases = selected = 0
    for cell in cells:
        cases += cell.cases
        selected += cell.selected
    return Cell(cases, selected)


@functools.cache
def nation_name(nation: str | None) -> str:
    """'wales' -> 'Wales'; an unknown place is kept as written; none -> 'not stated'."""
    if not nation or not nation.strip():
        return NOT_STATED
    for known in UK_NATIONS:
        if nation.strip().lower() == known.lower():
            return known
    return nation.strip()


def coverage(store: Store, statuses: Sequence[Status] = DEFAULT_STATUSES) -> Coverage:
    cases = [
        CoverageCase(record_id, title, parse_status(status), nation_name(nation), trend, year,
                     criteria.CaseFacts(year, ai_text, outcomes, unintended, lessons), failed,
                     not any(f",{name}," in failed for name in criteria.SELECTION))
        for record_id, title, status, nation, trend, year, ai_text, outcomes, unintended, lessons, failed
        in store.collection(tuple(statuses))
    ]  # fmt: skip
    others = sorted({c.nation for c in cases} - set(UK_NATIONS) - {NOT_STATED})
    nations = [*UK_NATIONS, *others] + ([NOT_STATED] if any(c.nation == NOT_STATED for c in cases) else [])
    extra = sorted({c.trend for c in cases} - set(MAIN_TRENDS))
    trends = [*MAIN_TRENDS, *extra]
    counts: dict[tuple[str, str], list[int]] = {(n, t): [0, 0] for n in nations for t in trends}
    for case in cases:
        counts[case.nation, case.trend][0] += 1
        counts[case.nation, case.trend][1] += case.selected
    result = Coverage(tuple(statuses), cases, nations, trends, {k: Cell(*v) for k, v in counts.items()})
    result.gaps = _gaps(result)
    return result


def _gaps(cov: Coverage) -> list[str]:
    gaps = []
    for nation in DEVOLVED:
        cell = cov.nation_total(nation)
        if cell.cases == 0:
            gaps.append(f"No case from {nation}: the method note needs at least one from each devolved administration.")
        elif cell.selected == 0:
            gaps.append(f"{nation}: {cell.cases} case(s), but none meets every selection criterion.")
    for trend in MAIN_TRENDS:
        cell = cov.trend_total(trend)
        if cell.cases == 0:
            gaps.append(f"No case for the trend '{trend}'.")
        elif cell.selected == 0:
            gaps.append(f"'{trend}': {cell.cases} case(s), but none meets every selection criterion.")
    for c in criteria.CRITERIA:
        if not c.selection:
            continue
        failing = cov.failing(c.name)
        if failing:
            gaps.append(f"{len(failing)} case(s) fail '{c.label}': {_ids(failing)}.")
    unplaced = [c for c in cov.cases if c.nation == NOT_STATED]
    if unplaced:
        gaps.append(f"{len(unplaced)} case(s) say no nation: {_ids(unplaced)}; set it when reviewing.")
    return gaps


def _ids(cases: Sequence[CoverageCase], limit: int = 6) -> str:
    shown = ", ".join(c.id for c in cases[:limit])
    return shown + (f" and {len(cases) - limit} more" if len(cases) > limit else "")
