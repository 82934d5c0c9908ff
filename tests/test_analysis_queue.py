"""Analyses in the review queue follow the same rules as records: versions, stale handling, one transition table,
and a reviewer's decision made on what they saw, never on what someone else changed since."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run

from trendsum.analysis import run as analysis
from trendsum.domain.analysis import AnalysisProvenance, CrossCaseAnalysis, Finding
from trendsum.domain.models import Status
from trendsum.errors import ConflictError, ReviewError
from trendsum.queue import analysis_store
from trendsum.queue.kinds import ANALYSIS, RECORD, Kind
from trendsum.queue.store import Saved, Store, now
from trendsum.queue.transitions import REJECT, TRANSITIONS, Actor, next_status

TREND = "harnessing data"
ANALYSIS_ID = "harnessing-data.en"


def save(store: Store, text: str = "Both councils had to fix their data first.", *, force: bool = False) -> Saved:
    """A generated analysis; its cache key is its text, as if the text were all it was made from."""
    body = CrossCaseAnalysis(risks_and_challenges=[Finding(text=text, cases=["eastvale-housing"])],
                             where_to_start=[], application_areas=[])  # fmt: skip
    provenance = AnalysisProvenance(engine="offline", model="rules", prompt_name="rules", prompt_hash="h",
                                    created_at=now(), inputs=[])  # fmt: skip
    return analysis_store.save_generated(store, TREND, "en", body, provenance, text, force=force)


def state(db: Path) -> tuple[Status, int, int | None, list[str]]:
    with Store(db) as store:
        shown = analysis_store.get(store, ANALYSIS_ID)
        actions = [e.action for e in analysis_store.events(store, ANALYSIS_ID)]
    return shown.status, shown.version, shown.approved_version, actions


@pytest.fixture
def pending(db: Path) -> Path:
    """One analysis, pending at version 1."""
    with Store(db) as store:
        save(store)
    return db


def test_new_versions_and_decisions_move_an_analysis_as_they_move_a_record(db: Path) -> None:
    with Store(db) as store:
        assert (save(store).created, save(store).unchanged) == (True, True)  # the same inputs: nothing new
        assert save(store, force=True).unchanged  # forced, but it says exactly the same: nothing new either
        assert save(store, "Second text.").status == Status.PENDING
        analysis.accept(store, ANALYSIS_ID, "Ann")
        assert save(store, "Third text.").status == Status.STALE
        assert analysis_store.approved(store, TREND, "en") is None  # stale: a report may not use it
        analysis.reject(store, ANALYSIS_ID, "Bob", "overstated")
        assert save(store, "Fourth text.").status == Status.PENDING
    assert state(db) == (Status.PENDING, 4, None,
                         ["created", "regenerated", "approved", "stale", "rejected", "regenerated"])  # fmt: skip


def test_two_reviewers_deciding_on_the_same_version_cannot_both_win(pending: Path) -> None:
    with Store(pending) as store:
        seen = analysis_store.get(store, ANALYSIS_ID)  # Ann reads it, pending at version 1 ...
        analysis.reject(store, ANALYSIS_ID, "Bob", "cites too few cases",
                        expected_version=1, expected_status=Status.PENDING)  # ... Bob rejects it meanwhile  # fmt: skip
        with pytest.raises(ConflictError, match=r"you saw version 1 \(pending\), it is now version 1 \(rejected, "
                                                r"rejected by Bob\)") as refused:  # fmt: skip
            analysis.accept(store, ANALYSIS_ID, "Ann", expected_version=seen.version, expected_status=seen.status)
    assert "trendsum analyse show harnessing-data.en" in str(refused.value)
    assert state(pending) == (Status.REJECTED, 1, None, ["created", "rejected"])


def test_a_decision_on_a_read_that_went_stale_before_the_write_is_refused(
    pending: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between reading the analysis and writing the decision, another reviewer rejects it: the write must see it."""

    def rejected_meanwhile(store: Store, seen: object) -> list[str]:
        with Store(pending) as other:
            analysis.reject(other, ANALYSIS_ID, "Bob", "not yet")
        return []

    monkeypatch.setattr(analysis, "changed_inputs", rejected_meanwhile)
    with Store(pending) as store, pytest.raises(ConflictError, match="rejected by Bob"):
        analysis.accept(store, ANALYSIS_ID, "Ann")
    assert state(pending) == (Status.REJECTED, 1, None, ["created", "rejected"])


def test_accepting_a_version_that_is_no_longer_current_is_a_conflict_and_changes_nothing(pending: Path) -> None:
    with Store(pending) as store:
        save(store, "A newer text.")
    result = run("analyse", "accept", ANALYSIS_ID, "-r", "Ann", "--expect-version", "1")
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert "you saw version 1, it is now version 2 (pending); someone changed it" in said
    assert "trendsum analyse show harnessing-data.en" in said
    rejected = run("analyse", "reject", ANALYSIS_ID, "-r", "Ann", "-n", "old", "--expect-version", "1")
    assert rejected.exit_code == 1 and "someone changed it" in " ".join(rejected.stderr.split())
    assert state(pending) == (Status.PENDING, 2, None, ["created", "regenerated"])
    assert run("analyse", "accept", ANALYSIS_ID, "-r", "Ann", "--expect-version", "2").exit_code == 0


def test_moves_the_transition_table_forbids_are_refused(pending: Path) -> None:
    assert run("analyse", "reject", ANALYSIS_ID, "-r", "Bob", "-n", "thin").exit_code == 0
    again = run("analyse", "reject", ANALYSIS_ID, "-r", "Bob", "-n", "still thin")
    assert again.exit_code == 1 and "is already rejected" in again.stderr
    assert run("analyse", "accept", ANALYSIS_ID, "-r", "Ann").exit_code == 0  # rejected -> approved is allowed
    twice = run("analyse", "accept", ANALYSIS_ID, "-r", "Ann")
    assert twice.exit_code == 1 and "already approved; nothing to accept" in twice.stderr
    with Store(pending) as store, pytest.raises(ReviewError, match="already rejected"):
        store.decide(ANALYSIS, ANALYSIS_ID, REJECT, "Bob", "x", 1, Status.APPROVED)  # fine: approved -> rejected
        store.decide(ANALYSIS, ANALYSIS_ID, REJECT, "Bob", "y", 1, Status.REJECTED)  # the store itself refuses
    assert state(pending)[3] == ["created", "rejected", "approved", "rejected"]


def test_two_processes_accepting_the_same_analysis_approve_it_once(pending: Path) -> None:
    env = {**os.environ, "TRENDSUM_DB": str(pending)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "trendsum", "analyse", "accept", ANALYSIS_ID, "-r", who,
                          "--expect-version", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)  # fmt: skip
        for who in ("Ann", "Bob")
    ]
    results = [(p.wait(timeout=20), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = " ".join(next(err for code, err in results if code == 1).split())
    assert "changed while you were reviewing it" in loser or "already approved" in loser
    assert state(pending) == (Status.APPROVED, 1, 1, ["created", "approved"])


def test_the_transition_table_is_the_one_records_always_followed() -> None:
    """Records and analyses both move by this table; a change to it is a change to what reviewers may do."""
    P, A, R, S = Status.PENDING, Status.APPROVED, Status.REJECTED, Status.STALE  # noqa: N806
    moves = {(action, before): (t.actor, after) for action, t in TRANSITIONS.items()
             for before, after in t.moves.items()}  # fmt: skip
    assert moves == {
        ("approved", P): ("reviewer", A), ("approved", S): ("reviewer", A), ("approved", R): ("reviewer", A),
        ("rejected", P): ("reviewer", R), ("rejected", S): ("reviewer", R), ("rejected", A): ("reviewer", R),
        ("edited", P): ("reviewer", P), ("edited", R): ("reviewer", P),
        ("edited", A): ("reviewer", S), ("edited", S): ("reviewer", S),
        ("generated", None): ("pipeline", P), ("generated", P): ("pipeline", P), ("generated", R): ("pipeline", P),
        ("generated", A): ("pipeline", S), ("generated", S): ("pipeline", S),
    }  # fmt: skip
    with pytest.raises(ValueError, match="only the reviewer"):
        next_status(Actor.PIPELINE, "approved", P, "x")  # an engine's run can never approve anything


@pytest.mark.parametrize("kind", [RECORD, ANALYSIS], ids=lambda k: k.name)
def test_each_kind_describes_the_tables_the_migrations_made(kind: Kind, cases: Path, db: Path) -> None:
    """A kind is data about the queue's tables: its listing columns and body model must match what is stored, so
    a migration that adds a listing column, or a body that changes shape, cannot leave the kind behind."""
    assert run("summarise", str(cases)).exit_code == 0
    with Store(db) as store:
        save(store)
        columns = {row[1] for row in store.db.execute(f"PRAGMA table_info({kind.items})")}
        bookkeeping = {"id", "status", "current_version", "approved_version", "created_at", "updated_at"}
        assert set(kind.listed) == columns - bookkeeping
        bodies = [row[0] for row in store.db.execute(f"SELECT {kind.body} FROM {kind.versions}")]
        assert bodies and all(kind.body_model.model_validate_json(body) for body in bodies)
        with pytest.raises(ValueError, match="no listing columns"):
            store.add_version(kind, "x", Actor.PIPELINE, "generated", "engine:test", None, {}, {"not_a_column": 1})
