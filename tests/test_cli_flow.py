"""The foundation's promise, through the CLI a user types: summarise, list, show, review, export."""

from __future__ import annotations

from pathlib import Path

from helpers import jsonl, run


def test_summarise_queues_every_case_as_pending_offline(cases: Path) -> None:
    result = run("summarise", str(cases))
    assert result.exit_code == 0, result.stderr
    assert "offline" in result.stderr
    rows = jsonl(run("list", "--json").stdout)
    assert sorted(r["id"] for r in rows) == ["harbourside-housing", "rct-school-transport", "tayside-blue-badges"]
    assert {r["status"] for r in rows} == {"pending"}
    assert {r["engine"] for r in rows} == {"offline"}


def test_rerun_adds_nothing_and_edited_file_gets_a_new_version(cases: Path) -> None:
    run("summarise", str(cases))
    again = run("summarise", str(cases))
    assert again.exit_code == 0
    assert "unchanged" in again.stderr
    assert [r["current_version"] for r in jsonl(run("list", "--json").stdout)] == [1, 1, 1]
    history_before = run("history", "tayside-blue-badges").stdout

    path = cases / "tayside-blue-badges.md"
    path.write_text(path.read_text().replace("64%", "71%"), encoding="utf-8")
    run("summarise", str(cases))
    versions = {r["id"]: r["current_version"] for r in jsonl(run("list", "--json").stdout)}
    assert versions == {"harbourside-housing": 1, "rct-school-transport": 1, "tayside-blue-badges": 2}
    old = jsonl(run("show", "tayside-blue-badges", "--version", "1", "--json").stdout.replace("\n", " ") + "\n")
    assert any("64%" in p["text"] for p in old[0]["outcomes"])  # the earlier version is kept as it was
    assert len(run("history", "tayside-blue-badges").stdout) > len(history_before)


def test_accept_and_reject_are_recorded_with_who_and_why(cases: Path) -> None:
    run("summarise", str(cases))
    accepted = run("review", "accept", "tayside-blue-badges", "--reviewer", "A. Researcher", "--note", "checked")
    assert accepted.exit_code == 0, accepted.stderr
    rejected = run("review", "reject", "harbourside-housing", "-r", "B. Editor", "-n", "wrong council")
    assert rejected.exit_code == 0, rejected.stderr
    history = run("history", "tayside-blue-badges").stdout
    assert "approved" in history and "A. Researcher" in history and "checked" in history
    assert "B. Editor" in run("history", "harbourside-housing").stdout
    statuses = {r["id"]: r["status"] for r in jsonl(run("list", "--json").stdout)}
    assert statuses == {"tayside-blue-badges": "approved", "harbourside-housing": "rejected",
                        "rct-school-transport": "pending"}  # fmt: skip


def test_reject_needs_a_reason_and_unknown_id_is_a_usage_error(cases: Path) -> None:
    run("summarise", str(cases))
    missing_note = run("review", "reject", "tayside-blue-badges", "--note", " ")
    assert missing_note.exit_code == 2 and "Say why" in missing_note.stderr
    unknown = run("show", "no-such-case")
    assert unknown.exit_code == 2
    assert "No record with id 'no-such-case'" in unknown.stderr
    assert "Traceback" not in unknown.output


def test_export_contains_approved_records_only(cases: Path) -> None:
    run("summarise", str(cases))
    empty = run("export")
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "Nothing is approved yet" in empty.stderr
    run("review", "accept", "tayside-blue-badges", "-r", "A. Researcher")
    exported = jsonl(run("export").stdout)
    assert [r["id"] for r in exported] == ["tayside-blue-badges"]
    record = exported[0]
    assert record["status"] == "approved" and record["review"]["reviewer"] == "A. Researcher"
    assert list(record)[:4] == ["id", "version", "status", "title"]  # stable key order
    assert record["provenance"]["engine"] == "offline"


def test_markdown_export_groups_by_trend_and_marks_unapproved(cases: Path) -> None:
    run("summarise", str(cases))
    run("review", "accept", "tayside-blue-badges", "-r", "A. Researcher")
    approved_only = run("export", "--format", "markdown").stdout
    assert "Tayside Council" in approved_only and "Harbourside" not in approved_only
    assert "NOT APPROVED" not in approved_only
    everything = run("export", "-f", "markdown", "--status", "approved", "--status", "pending").stdout
    assert "## Reimagining services" in everything
    assert everything.count("NOT APPROVED (pending)") == 2
    assert "DRAFT: 2 of these case studies are NOT APPROVED" in everything


def test_accept_refuses_ungrounded_records_unless_told(cases: Path, db: Path) -> None:
    from trendsum.domain import grounding
    from trendsum.queue.store import Store

    run("summarise", str(cases))
    with Store(db) as store:
        record = store.get("rct-school-transport")
        planted = record.summary.model_copy(deep=True)
        planted.outcomes[0].evidence = ["The council saved two million pounds in its first week."]
        source = (cases / "rct-school-transport.md").read_text()
        store.save_edit(record.id, record.version, planted, grounding.check(planted, source), "Tester", "plant")
    refused = run("review", "accept", "rct-school-transport", "-r", "A. Researcher")
    assert refused.exit_code == 1 and "not in the source" in refused.stderr
    shown = run("show", "rct-school-transport").stdout
    assert "[quote not found in source]" in shown
    allowed = run("review", "accept", "rct-school-transport", "-r", "A. Researcher", "--allow-ungrounded")
    assert allowed.exit_code == 0


def test_failed_file_gives_exit_code_1_and_the_rest_still_summarised(cases: Path) -> None:
    (cases / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (cases / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = run("summarise", str(cases))
    assert result.exit_code == 1
    assert "is empty" in result.stderr and "unsupported file type '.png'" in result.stderr
    assert len(jsonl(run("list", "--json").stdout)) == 3


def test_summarising_the_folder_the_queue_lives_in_does_not_count_the_queue_as_a_failed_file(cases: Path) -> None:
    """`trendsum summarise .` where outputs/trendsum.db is: the second run found the queue itself, called it an
    unsupported file, and exited 1 as if a case study had failed."""
    assert run("summarise", ".").exit_code == 0
    again = run("summarise", ".")
    assert again.exit_code == 0, again.stderr
    assert "trendsum.db" not in again.stderr + again.stdout
    elsewhere = run("summarise", str(cases), "--db", str(cases / "queue.db"))
    assert run("summarise", str(cases), "--db", str(cases / "queue.db")).exit_code == elsewhere.exit_code == 0


def test_missing_path_is_a_usage_error() -> None:
    result = run("summarise", "no-such-folder")
    assert result.exit_code == 2 and "no such file or folder" in result.stderr


def test_show_displays_sections_evidence_and_provenance(cases: Path) -> None:
    run("summarise", str(cases))
    shown = run("show", "tayside-blue-badges").stdout
    for heading in ("Overview", "Challenges", "Approach", "Outcomes and benefits", "Lessons learnt"):
        assert heading in shown
    assert "“Calls to the contact centre about blue badges dropped by 64% in the first six months.”" in shown
    assert "offline (extractive)" in shown and "sha256" in shown
    assert "pending" in shown


def test_an_empty_section_says_the_engine_found_nothing_not_that_the_source_says_nothing(cases: Path) -> None:
    """The Land Registry files said "nothing in the source" for approach and outcomes their text told: an engine
    not finding a section is no proof the source is silent on it."""
    run("summarise", str(cases))
    shown = " ".join(run("show", "harbourside-housing").stdout.split())
    assert "Lessons learnt (nothing found by the offline engine)" in shown
    assert "nothing in the source" not in shown


def test_a_long_list_shows_a_page_and_says_how_to_see_more(cases: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trendsum.cli import records

    run("summarise", str(cases))
    monkeypatch.setattr(records, "TABLE_ROWS", 2)
    table = run("list")
    assert "2 record(s) of 3" in table.stdout
    assert "Showing the first 2 of 3" in table.stderr
    assert len(jsonl(run("list", "--json").stdout)) == 3  # machine output is never cut
    assert "3 record(s)" in run("list", "--limit", "3").stdout


def test_a_run_that_makes_approved_records_stale_says_so(cases: Path) -> None:
    run("summarise", str(cases))
    assert run("review", "accept", "tayside-blue-badges", "-r", "Ann").exit_code == 0
    path = cases / "tayside-blue-badges.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nThe service was extended to carers in 2025.\n",
                    encoding="utf-8")  # fmt: skip
    result = run("summarise", str(cases))
    said = " ".join(result.stderr.split())
    assert "1 approved record(s) now stale: tayside-blue-badges" in said and "exports leave them out" in said


def test_a_filter_matching_nothing_says_so_not_that_the_queue_is_empty(cases: Path) -> None:
    run("summarise", str(cases))
    said = " ".join(run("list", "--status", "rejected").stderr.split())
    assert "No records match these filters; the queue holds 3" in said and "Summarise" not in said


def test_an_export_never_overwrites_a_case_study_the_queue_was_made_from(cases: Path) -> None:
    run("summarise", str(cases))
    run("review", "accept", "tayside-blue-badges", "-r", "Ann")
    source = cases / "tayside-blue-badges.md"
    before = source.read_bytes()
    result = run("export", "-f", "csv", "-o", str(source))
    assert result.exit_code == 2 and "a case study the queue was summarised from" in " ".join(result.stderr.split())
    assert source.read_bytes() == before


def test_an_invalid_edit_lists_each_problem_on_its_own_line(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    bad = tmp_path / "bad.md"
    bad.write_text("garbage\n\x1b[2J\n", encoding="utf-8")
    result = run("review", "edit", "tayside-blue-badges", "--file", str(bad), "-r", "Ann")
    assert result.exit_code != 0 and "\x1b" not in result.stderr  # each line is still made literal
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: The edited record is not valid:"
    assert any(line.startswith("  - the `title:` line is missing") for line in lines[1:])
