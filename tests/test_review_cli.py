"""The non-interactive review commands and the audit trail, as a script or a shell would use them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import jsonl, run

from trendsum.domain.models import Status
from trendsum.queue.store import Store


def _markdown(record_id: str = "tayside-blue-badges") -> str:
    printed = run("review", "edit", record_id, "--print")
    assert printed.exit_code == 0, printed.stderr
    return printed.stdout


def test_edit_from_a_file_makes_a_version_by_the_reviewer_and_rechecks_quotes(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    text = _markdown().replace("- As a result, the average", "- In short, the average")
    calls = "  > Calls to the contact centre"
    text = text.replace(calls, "  > Calls fell by half overnight.\n" + calls)
    Path("edited.md").write_text(text, encoding="utf-8")
    result = run("review", "edit", "tayside-blue-badges", "--file", "edited.md", "-r", "Ann", "-n", "tightened")
    assert result.exit_code == 0, result.stderr
    assert "Saved as version 2 by Ann (pending): 9/10 points grounded in the source." in result.stderr
    with Store(db) as store:
        record = store.get("tayside-blue-badges")
        assert record.author == "Ann" and record.summary.outcomes[0].text.startswith("In short")
        assert record.grounding.points["outcomes[1]"].missing == ["Calls fell by half overnight."]
        assert store.get("tayside-blue-badges", 1).summary.outcomes[0].text.startswith("As a result")  # kept
        assert store.events(record.id)[-1].note == "tightened"
    refused = run("review", "accept", "tayside-blue-badges")
    assert refused.exit_code == 1 and "not in the source" in refused.stderr


def test_edit_reads_standard_input(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    text = _markdown().replace("year: 2023", "year: 2024")
    result = run("review", "edit", "tayside-blue-badges", "--file", "-", input=text)
    assert result.exit_code == 0, result.stderr
    with Store(db) as store:
        assert store.get("tayside-blue-badges").summary.year == 2024
        assert store.get("tayside-blue-badges").author == "Test Reviewer"


def test_a_file_made_from_an_older_version_cannot_overwrite_a_newer_one(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    from_v1 = _markdown()
    first = run("review", "edit", "tayside-blue-badges", "-f", "-", input=from_v1.replace("2023", "2024", 1))
    assert first.exit_code == 0, first.stderr
    stale = run("review", "edit", "tayside-blue-badges", "-f", "-", input=from_v1.replace("trend: reimagining services",
                                                                                        "trend: harnessing data"))
    assert stale.exit_code == 1
    assert "you saw version 1, it is now version 2" in " ".join(stale.stderr.split())
    forced = run("review", "edit", "tayside-blue-badges", "-f", "-", "--expect-version", "2",
                 input=from_v1.replace("trend: reimagining services", "trend: harnessing data"))  # fmt: skip
    assert forced.exit_code == 0, forced.stderr
    with Store(db) as store:
        assert store.get("tayside-blue-badges").version == 3


def test_bad_edit_files_are_refused_with_reasons_and_nothing_is_saved(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    text = _markdown()
    invalid = run("review", "edit", "tayside-blue-badges", "-f", "-", input=text.replace("year: 2023", "year: soon"))
    assert invalid.exit_code == 1
    line = text.split("\n").index("year: 2023") + 1
    assert f"line {line}: year must be a year from 1990 to 2100" in invalid.stderr
    other = run("review", "edit", "harbourside-housing", "-f", "-", input=text)
    assert other.exit_code == 2 and "made from record tayside-blue-badges, not harbourside-housing" in other.stderr
    missing = run("review", "edit", "tayside-blue-badges", "-f", "nowhere.md")
    assert missing.exit_code == 2 and "nowhere.md: no such file" in missing.stderr
    unchanged = run("review", "edit", "tayside-blue-badges", "-f", "-", input=text)
    assert unchanged.exit_code == 1 and "No change to tayside-blue-badges" in unchanged.stderr
    assert "Traceback" not in invalid.output + other.output + missing.output + unchanged.output
    with Store(db) as store:
        assert store.get("tayside-blue-badges").version == 1


def test_two_processes_editing_the_same_version_cannot_both_win(cases: Path, db: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    text = _markdown()
    env = {**os.environ, "TRENDSUM_DB": str(db)}
    procs = []
    for who, year in (("Ann", "2024"), ("Bob", "2025")):
        path = tmp_path / f"{who}.md"
        path.write_text(text.replace("year: 2023", f"year: {year}"), encoding="utf-8")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "trendsum", "review", "edit", "tayside-blue-badges", "-f", str(path), "-r", who],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))  # fmt: skip
    results = [(p.wait(timeout=20), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "changed while you were reviewing it" in " ".join(loser.split())
    with Store(db) as store:
        versions = store.versions("tayside-blue-badges")
    assert len(versions) == 2 and versions[1].author in ("Ann", "Bob")


def test_history_shows_every_version_who_made_it_and_the_differences(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    edited = _markdown().replace("year: 2023", "year: 2024")
    run("review", "edit", "tayside-blue-badges", "-f", "-", "-r", "Ann", "-n", "year", input=edited)
    run("review", "accept", "tayside-blue-badges", "-r", "Bob", "-n", "checked")
    history = run("history", "tayside-blue-badges").stdout
    assert "versions" in history and "v1" in history and "v2" in history
    assert "offline (extractive)" in history and "edited (from offline text)" in history
    for action, who in (("created", "engine:offline"), ("edited", "Ann"), ("approved", "Bob")):
        assert action in history and who in history
    assert "v1 → v2, edited by Ann:" in history
    assert "-year: 2023\n+year: 2024" in history
    assert "+year" not in run("history", "tayside-blue-badges", "--no-diff").stdout
    assert "unified diffs" in " ".join(run("history", "--help").stdout.split())


def test_decisions_are_attributed_by_flag_then_config_then_login(cases: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("summarise", str(cases))
    monkeypatch.delenv("TRENDSUM_REVIEWER")
    Path("trendsum.toml").write_text('reviewer = "Config Person"\n', encoding="utf-8")
    run("review", "accept", "tayside-blue-badges")
    run("review", "accept", "harbourside-housing", "--reviewer", "Flag Person")
    Path("trendsum.toml").unlink()
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "login-person")
    run("review", "reject", "rct-school-transport", "-n", "not a council case")
    exported = {r["id"]: r["review"]["reviewer"] for r in jsonl(run("export").stdout)}
    assert exported == {"tayside-blue-badges": "Config Person", "harbourside-housing": "Flag Person"}
    assert "login-person" in run("history", "rct-school-transport", "--no-diff").stdout


def test_bulk_accept_never_silently_accepts_ungrounded_records(cases: Path, db: Path) -> None:
    run("summarise", str(cases))
    calls = "  > Calls to the contact centre"
    text = _markdown().replace(calls, "  > Invented by the model.\n" + calls)
    run("review", "edit", "tayside-blue-badges", "-f", "-", input=text)
    result = run("review", "accept", "tayside-blue-badges", "harbourside-housing", "rct-school-transport")
    assert result.exit_code == 1
    assert "tayside-blue-badges: tayside-blue-badges has 1 point(s) whose quotes are not in the source" in " ".join(
        result.stderr.split())
    assert "1 of 3 not changed." in result.stderr
    with Store(db) as store:
        statuses = {row.id: row.status for row in store.rows()}
    assert statuses["tayside-blue-badges"] == Status.PENDING
    assert statuses["harbourside-housing"] == statuses["rct-school-transport"] == Status.APPROVED
