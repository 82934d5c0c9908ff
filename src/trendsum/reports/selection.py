"""Which records an export or a report takes: status, trend, nation, year of the work, language.

Approved only unless asked otherwise. A report is built from one language: records summarised in English and
in Dutch are not mixed unless the caller says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..domain.models import Record, Status
from ..errors import UsageError
from ..queue.store import Store


@dataclass(frozen=True)
class Selection:
    statuses: tuple[Status, ...] = (Status.APPROVED,)
    trend: str | None = None
    nation: str | None = None
    since: int | None = None  # year of the work, inclusive; records with no year are left out
    language: str | None = None

    @property
    def approved_only(self) -> bool:
        return tuple(self.statuses) == (Status.APPROVED,)

    @property
    def narrowed(self) -> bool:
        """Filtered by more than status, so an empty result says nothing about the queue as a whole."""
        return any(v is not None for v in (self.trend, self.nation, self.since, self.language))


def select(store: Store, selection: Selection) -> Iterator[Record]:
    """The selected records in id order, one at a time (a stale record yields its approved text)."""
    rows = store.rows(selection.statuses, selection.trend, selection.nation)
    if selection.since is not None:
        # the row shows the current version; a stale record's approved text may say another year: check it below
        rows = [r for r in rows if r.status == Status.STALE or (r.year is not None and r.year >= selection.since)]
    for record in store.records(rows):
        if selection.since is not None and (record.summary.year is None or record.summary.year < selection.since):
            continue
        if selection.language is not None and record.provenance.language != selection.language:
            continue
        yield record


def for_report(store: Store, selection: Selection, *, mixed_languages: bool = False) -> list[Record]:
    """The selected records, all in one language unless `mixed_languages`."""
    records = list(select(store, selection))
    languages = Counter(r.provenance.language for r in records)
    if len(languages) > 1 and not mixed_languages:
        found = " and ".join(f"{lang} ({n})" for lang, n in sorted(languages.items()))
        first = sorted(languages)[0]
        raise UsageError(
            f"These records are in more than one language: {found}. A report is built from one language: "
            f"choose one with --language {first}, or pass --mixed-languages to put them in one report anyway."
        )
    return records


def languages_of(records: Sequence[Record]) -> list[str]:
    return sorted({r.provenance.language for r in records})
