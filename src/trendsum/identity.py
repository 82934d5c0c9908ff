"""Which record id each source gets. An id, once given to a source path, stays with that path for ever.

Ids start as a slug of the file's path (`discover` proposes them), but the slug alone is not an identity:
`Fife Council.txt` and `fife-council.md` slug alike, and a file added later must never take the id of a
record someone has already reviewed. So the queue keeps a map from each resolved source path to its id:
- a path seen before gets its id back, whatever else is in the folder now;
- a new path whose bytes are those of a known source that is no longer at its old path was moved: it keeps
  that record, and the move is recorded as an event;
- any other new path gets its slug, or, when the slug is taken by any source or record, the slug with the
  file's extension, then with a number: never an existing id, and never one shared by two sources.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from .ingest import Source, real_path, storable
from .store import Store


def assign_ids(sources: Sequence[Source], store: Store, max_bytes: int) -> list[Source]:
    """The sources with their lasting ids, claimed in the queue before anything is summarised."""
    keys = [_key(source) for source in sources]
    known = store.source_ids()
    if any(key is not None and key not in known for key in keys):
        with store.transaction():  # one write, under the lock: two runs at once never give an id twice
            known = _claim_new(sources, keys, store, max_bytes)
    return [source if key is None else replace(source, case_id=known[key]) for source, key in zip(sources, keys)]


def _claim_new(sources: Sequence[Source], keys: Sequence[str | None], store: Store, max_bytes: int) -> dict[str, str]:
    known = store.source_ids()  # again: another run may have mapped some of these meanwhile
    taken = store.case_ids()
    claimed = {known[key] for key in keys if key in known}
    for source, key in zip(sources, keys):
        if key is None or key in known:  # standard input is named by its content: the same text is the same case
            continue
        moved = _moved_here(source, store, claimed, max_bytes)
        if moved is not None:
            case_id, old_path = moved
            store.map_source(key, case_id, moved_from=old_path or "an unknown path")
        else:
            case_id = next(c for c in _candidates(source) if c not in taken)
            store.map_source(key, case_id)
        known[key] = case_id
        claimed.add(case_id)
        taken.add(case_id)
    return known


def _key(source: Source) -> str | None:
    return None if source.data is not None else storable(str(real_path(source.path)))


def _moved_here(source: Source, store: Store, claimed: set[str], max_bytes: int) -> tuple[str, str | None] | None:
    """(case id, old path) of a known source with these very bytes whose file is gone from its old path."""
    try:
        if not source.path.is_file() or source.path.stat().st_size > max_bytes:
            return None  # a pipe would block, a huge file is refused anyway: read_case says why
        sha256 = hashlib.sha256(source.path.read_bytes()).hexdigest()
    except OSError:
        return None
    for case_id, old_path in store.cases_with_content(sha256):
        if case_id not in claimed and (old_path is None or not Path(old_path).exists()):
            return case_id, old_path
    return None  # none, or the file is still at its old path too: a copy, not a move


def _candidates(source: Source) -> Iterator[str]:
    """The slug `discover` proposed, then with the file's extension, then numbered."""
    slug = source.case_id
    extension = re.sub(r"[^a-z0-9]+", "-", source.path.suffix.lower()).strip("-")
    yield slug
    if extension and not slug.endswith(f"-{extension}"):
        slug = f"{slug}-{extension}"
        yield slug
    yield from (f"{slug}-{number}" for number in itertools.count(2))
