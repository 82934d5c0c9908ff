"""Which record id each source gets. An id, once given to a source path, stays with that path for ever.

Ids start as a slug of the file's path (`discover` proposes them), but the slug alone is not an identity:
`Fife Council.txt` and `fife-council.md` slug alike, and a file added later must never take the id of a
record someone has already reviewed. So the queue keeps a map from each resolved source path to its id:
- a path seen before gets its id back, whatever else is in the folder now;
- a new path whose bytes are those of a known source that is no longer at its old path was moved: it keeps
  that record, and the move is recorded as an event;
- a new path a record was made from before this map existed gets that record;
- any other new path gets its slug, or, when the slug is taken by any source or record, the slug with the
  file's extension, then with a number: never an existing id, and never one shared by two sources.
Only a file that can become a record claims an id: an old .doc beside fife-council.md takes nothing from it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..ingest import STDIN_PATH, SUPPORTED_SUFFIXES, Source, real_path, storable
from .store import Store


def assign_ids(sources: Sequence[Source], store: Store, max_bytes: int) -> list[Source]:
    """The sources with their lasting ids. Only a source that can become a record claims one in the queue; a file
    that cannot be read (wrong type, a link loop) gets an id no record has, for the run's report, and claims none."""
    keys = [_key(source) for source in sources]
    known = store.source_ids()
    unclaimed = any(key is None and source.data is None for source, key in zip(sources, keys))
    if unclaimed or any(key is not None and key not in known for key in keys):
        with store.provisional():  # one write, under the lock: two runs at once never give an id twice
            return _claim_new(sources, keys, store, max_bytes)
    return [source if key is None else replace(source, case_id=known[key]) for source, key in zip(sources, keys)]


def _claim_new(sources: Sequence[Source], keys: Sequence[str | None], store: Store, max_bytes: int) -> list[Source]:
    known = store.source_ids()  # again: another run may have mapped some of these meanwhile
    taken = store.case_ids()
    claimed = {known[key] for key in keys if key in known}
    summarised_before = store.has_versions()
    # by path first, for every file, so that a copy elsewhere never takes a record from its own file
    for source, key in zip(sources, keys):
        if summarised_before and key is not None and key not in known:
            case_id = _legacy_record(source, key, store, claimed)
            if case_id is not None:
                known[key] = case_id
                claimed.add(case_id)
    ids: dict[int, str] = {}
    for index, (source, key) in enumerate(zip(sources, keys)):  # then by content (moved), then a new id
        if key is None:
            continue
        case_id = known.get(key)
        if case_id is None and summarised_before:
            case_id = _moved_here(source, key, store, claimed, max_bytes)
        if case_id is None:
            case_id = next(c for c in _candidates(source) if c not in taken)
            store.map_source(key, case_id)
        known[key] = ids[index] = case_id
        claimed.add(case_id)
        taken.add(case_id)
    for index, (source, key) in enumerate(zip(sources, keys)):
        if key is None and source.data is None:  # it will fail to be read: an id for the report, nobody's
            ids[index] = next(c for c in _candidates(source) if c not in taken)
            taken.add(ids[index])
    # standard input keeps the id named by its content: the same text piped again is the same case
    return [replace(source, case_id=ids[i]) if i in ids else source for i, source in enumerate(sources)]


def _key(source: Source) -> str | None:
    """The source's lasting name (its resolved path), or None when it cannot become a record."""
    if source.data is not None or source.problem is not None:
        return None
    if source.path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return storable(str(real_path(source.path)))


def _legacy_record(source: Source, key: str, store: Store, claimed: set[str]) -> str | None:
    """A record made before ids were mapped, from this very path: it keeps its id. Its stored path may be relative
    to the folder summarise ran in, which only a queue kept inside the working folder can vouch for (a queue
    shared with --db from elsewhere cannot tell whose `in/a.md` that was): there, only an absolute path counts."""
    given = {key, os.path.abspath(source.path)}
    if real_path(store.path).is_relative_to(real_path(Path.cwd())):
        given.add(str(source.path))
    case_id = store.unmapped_case_at(sorted(given))
    if case_id is None or case_id in claimed:
        return None
    store.map_source(key, case_id)
    return case_id


def _moved_here(source: Source, key: str, store: Store, claimed: set[str], max_bytes: int) -> str | None:
    """The case whose file moved here: a known source with these very bytes that is gone from where it was."""
    try:
        if not source.path.is_file() or source.path.stat().st_size > max_bytes:
            return None  # a pipe would block, a huge file is refused anyway: read_case says why
        sha256 = hashlib.sha256(source.path.read_bytes()).hexdigest()
    except OSError:
        return None
    for case_id, mapped_path, recorded_path in store.cases_with_content(sha256):
        if case_id in claimed or recorded_path == STDIN_PATH:
            continue  # taken this run, or text piped in (named by its content, never a file's)
        old_path = mapped_path or recorded_path
        if not Path(old_path).exists():
            store.map_source(key, case_id, moved_from=old_path, shown=str(source.path))
            return case_id
    return None  # none, or the file is still where it was: this is a copy, not a move


def _candidates(source: Source) -> Iterator[str]:
    """The slug `discover` proposed, then with the file's extension, then numbered."""
    slug = source.case_id
    extension = re.sub(r"[^a-z0-9]+", "-", source.path.suffix.lower()).strip("-")
    yield slug
    if extension and not slug.endswith(f"-{extension}"):
        slug = f"{slug}-{extension}"
        yield slug
    yield from (f"{slug}-{number}" for number in itertools.count(2))
