"""Evidence by reference: a model cites the ids of the case's numbered sentences; trendsum resolves them to the
verbatim sentence and its span, keeps the source text, and checks that each point's evidence backs what it says."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import PROSE_NO_LESSONS
from fake_openai import FakeOpenAI, Reply, answer_for, case_text, completion, good_answer
from helpers import jsonl, run

from trendsum.queue.store import Store

LOOP = " ".join(["They are saying that they are making it better."] * 20)


def summarise(server: FakeOpenAI, folder: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run("summarise", str(folder), "--engine", "openai", "--base-url", server.url, "--model", "test-model",
               "--max-retries", "0", *extra)  # fmt: skip


def shown_sentences(request: dict[str, Any]) -> dict[int, str]:
    lines = [line for line in case_text(request).split("\n") if line]
    return {int(line[1 : line.index("]")]): line[line.index("]") + 2 :] for line in lines}


def test_an_id_not_in_the_case_is_asked_again_by_name_in_a_mode_without_a_schema(
    server: FakeOpenAI, one_case: Path
) -> None:
    def cites_nothing_real(request: dict[str, Any]) -> Reply:
        answer = good_answer(request)
        answer["challenges"][0]["evidence"] = [999]
        return completion(answer)

    server.enqueue(cites_nothing_real, answer_for)
    assert summarise(server, one_case, "--mode", "json").exit_code == 0
    first, again = (r.body["messages"] for r in server.chat_requests)
    # plain JSON mode cannot carry the schema: the prompt does, once, without the list of ids (the case shows them)
    assert first[1]["content"].count('"SentenceId"') == 1 and '"enum":[1,' not in first[1]["content"]
    count = len(shown_sentences(server.chat_requests[0].body))
    assert (f"challenges[0]: cites sentence 999, which is not one of the case study's numbered sentences (they "
            f"are numbered 1 to {count})") in again[-1]["content"]  # fmt: skip
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    assert record["provenance"]["attempts"] == 2
    assert all(e["sentence"] <= count for p in [record["overview"], *record["challenges"]] for e in p["evidence"])


def test_cited_evidence_is_the_verbatim_sentence_with_its_span_and_survives_the_file(
    server: FakeOpenAI, one_case: Path, db: Path
) -> None:
    server.responder = answer_for
    assert summarise(server, one_case).exit_code == 0
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    for point in [record["overview"], *record["challenges"], *record["approach"], *record["outcomes"]]:
        for cited in point["evidence"]:
            assert PROSE_NO_LESSONS[cited["start"] : cited["end"]] == cited["text"]
    (one_case / "harbourside-housing.txt").write_text("Rewritten since.\n", encoding="utf-8")
    with Store(db) as store:
        kept = store.kept_text(store.get(record["id"]).provenance)
    assert kept == PROSE_NO_LESSONS  # the text the spans point into, after the file changed
    shown = run("show", record["id"]).stdout
    first = record["overview"]["evidence"][0]
    assert f"[{first['sentence']}] “{first['text']}”" in " ".join(shown.split())


def test_an_invented_figure_is_unsupported_shown_and_blocks_a_silent_accept(
    server: FakeOpenAI, one_case: Path
) -> None:
    def invents(request: dict[str, Any]) -> Reply:
        answer = good_answer(request)
        # the figure is nowhere in the sentence it cites (the housing register's size)
        answer["outcomes"][0] = {"text": "The council cut complaints by 90 percent.", "evidence": [2]}
        return completion(answer)

    server.enqueue(invents, invents)
    assert summarise(server, one_case, "--max-attempts", "2").exit_code == 0
    feedback = server.chat_requests[1].body["messages"][-1]["content"]
    assert 'outcomes[0]: the figure "90' in feedback  # asked again with the reason
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    point = record["outcomes"][0]
    assert point["grounded"] is True and point["supported"] is False
    assert any("90" in why for why in point["unsupported"])
    assert record["grounding"]["unsupported"] >= 1
    shown = " ".join(run("show", record["id"]).stdout.split())
    assert "[unsupported: the figure" in shown and "unsupported by its evidence" in shown
    refused = run("review", "accept", record["id"])
    assert refused.exit_code == 1 and "do not support what they say" in " ".join(refused.stderr.split())
    markdown = run("export", "--status", "pending", "--format", "markdown").stdout
    assert "not supported by its evidence" in markdown
    listed = " ".join(run("list").stdout.split())  # the queue says so too, not only the record
    total = record["grounding"]["total"]
    assert f"{total}/{total}, 1 unsupported" in listed


def test_a_looping_answer_is_unsupported(server: FakeOpenAI, one_case: Path) -> None:
    def loops(request: dict[str, Any]) -> Reply:
        answer = good_answer(request)
        answer["approach"][0]["text"] = LOOP
        return completion(answer)

    server.enqueue(loops)
    assert summarise(server, one_case, "--max-attempts", "1").exit_code == 0
    point = jsonl(run("export", "--status", "pending").stdout)[0]["approach"][0]
    assert point["supported"] is False and any("repeats itself" in why for why in point["unsupported"])


def test_the_quotes_prompt_stays_available_and_sends_the_schema_it_always_did(
    server: FakeOpenAI, one_case: Path
) -> None:
    server.responder = answer_for
    assert summarise(server, one_case, "--prompt", "summarise-v1").exit_code == 0
    request = server.chat_requests[0].body
    assert "The JSON schema your answer must match:" in request["messages"][1]["content"]
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["$defs"]["Point"]["properties"]["evidence"]["items"] == {"type": "string"}
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    assert record["provenance"]["prompt_name"] == "summarise-v1"
    assert all("sentence" not in e for e in record["overview"]["evidence"])  # typed quotes, found by grounding
    assert record["grounding"]["grounded"] == record["grounding"]["total"]


def test_a_queue_from_before_citations_opens_with_its_quotes_and_gets_the_support_check(cases: Path, db: Path) -> None:
    run("summarise", str(cases), "--prompt", "summarise-v1")
    with sqlite3.connect(db) as raw:  # as a trendsum before this version left it
        raw.execute("DROP TABLE source_texts")
        raw.execute("DELETE FROM migrations WHERE name = 'm007_source_texts'")
        raw.execute("DROP TRIGGER versions_no_update")  # only to plant versions as an older trendsum wrote them
        rows = raw.execute("SELECT record_id, version, summary, grounding FROM versions").fetchall()
    import json

    with sqlite3.connect(db) as raw:
        for record_id, version, summary, checked in rows:
            data = json.loads(summary)
            for point in [data["overview"], *(p for s in ("challenges", "approach", "outcomes", "lessons")
                                              for p in data[s])]:  # fmt: skip
                point["evidence"] = [e["text"] for e in point["evidence"]]
            old_check = json.loads(checked)
            old_check.pop("support_checked", None)
            for check in old_check["points"].values():
                check.pop("unsupported", None)
            raw.execute("UPDATE versions SET summary = ?, grounding = ? WHERE record_id = ? AND version = ?",
                        (json.dumps(data), json.dumps(old_check), record_id, version))  # fmt: skip
    records = jsonl(run("export", "--status", "pending").stdout)
    assert records and all(isinstance(e["text"], str) for r in records for e in r["overview"]["evidence"])
    assert all(r["grounding"]["grounded"] == r["grounding"]["total"] for r in records)
    assert all(r["grounding"]["supported"] == r["grounding"]["total"] for r in records)  # checked as read
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM migrations WHERE name = 'm007_source_texts'").fetchone()[0] == 1


def test_view_source_highlights_the_sentences_the_record_cites(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.delenv("NO_COLOR")  # the tests' default; a reviewer's terminal has colour

    from rich.console import Console
    from test_review_session import ScriptedKeys

    from trendsum.cli.review_ui import page_text

    text = "First sentence here.\nThe cited one is this sentence.\nLast one.\n"
    start = text.index("The cited")
    out = io.StringIO()
    console = Console(file=out, width=80, height=20, color_system="standard", force_terminal=True)
    page_text(console, ScriptedKeys("q"), text, "source", highlights=[(start, start + 31)])
    shown = out.getvalue()
    assert "\x1b[1;30;43mThe cited one is this sentence.\x1b[0m" in shown  # bold black on yellow
    assert "\x1b[1;30;43mFirst" not in shown and "First sentence here." in shown


def test_an_edit_that_changes_nothing_keeps_the_approval_and_the_citations(tmp_path: Path, db: Path) -> None:
    """A cited sentence that wraps onto an indented line comes back from the editor re-flowed: the same words, so
    the same citation, and no new version to make an approved record stale."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "wrapped.txt").write_text(
        "Anytown Council: fewer paper forms\n\n"
        "Anytown Council in England moved its parking permits online in 2024.\n"
        "The council saved 1,200 staff hours,\n    which it moved to casework for residents.\n",
        encoding="utf-8",
    )
    assert run("summarise", str(folder), "--engine", "offline").exit_code == 0
    assert run("review", "accept", "wrapped", "-r", "Ann").exit_code == 0
    printed = run("review", "edit", "wrapped", "--print").stdout
    again = run("review", "edit", "wrapped", "--file", "-", "-r", "Ann", input=printed)
    assert "No change" in again.stdout + again.stderr
    with Store(db) as store:
        record = store.get("wrapped")
    assert (record.version, str(record.status)) == (1, "approved")
    assert all(item.cited for _, point in record.summary.points() for item in point.evidence)


def test_the_same_bytes_read_as_another_format_keep_their_own_text(tmp_path: Path, db: Path) -> None:
    """Kept texts are keyed by the text, not the file's bytes: the same bytes read by another reader give another
    text, and each record's spans must point into its own."""
    page = ("---\nlayout: case-study\ntags: [bins, chatbot]\n---\n# Anytown Council chatbot\n\n"
            "Anytown Council launched a chatbot for bin collection questions in 2024.\n"
            "Calls about missed bins fell by 30% in six months after the launch.\n")  # front matter: .md drops it
    for folder, name in (("a", "case.txt"), ("b", "other.md")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(page, encoding="utf-8")
        assert run("summarise", str(tmp_path / folder), "--engine", "offline").exit_code == 0
    with Store(db) as store:
        records = [store.get(row.id) for row in store.rows()]
        assert len(records) == 2
        for record in records:
            kept = store.kept_text(record.provenance)
            assert kept is not None
            for _, point in record.summary.points():
                for item in point.evidence:
                    assert kept[item.start : item.end] == item.text, record.id


def test_a_sentence_id_must_be_a_json_integer() -> None:
    import json

    from trendsum.domain.answers import SENTENCES
    from trendsum.domain.sentences import segment
    from trendsum.pipeline.summarise import parse_answer

    shown = {s.id: s for s in segment("The council ran a pilot in 2024. It worked well for residents.")}
    answer = {"title": "t", "organisation": None, "nation": None, "year": None, "trend": "other",
              "ai_application": None, "challenges": [], "approach": [], "outcomes": [],
              "unintended_consequences": [], "lessons": []}  # fmt: skip
    for fake in (True, "1", 1.0):
        summary, problems = parse_answer(json.dumps({**answer, "overview": {"text": "A pilot.", "evidence": [fake]}}),
                                         SENTENCES, shown)  # fmt: skip
        assert summary is None and problems, fake


def test_a_point_that_only_names_an_invented_body_is_unsupported() -> None:
    """What SmolLM2 wrote for every section of a case: "Council and Government", citing real sentences, with
    "Council and Government" as the organisation too. Naming is not saying, and an organisation the source does
    not name cannot vouch for a point."""
    from trendsum.domain import grounding
    from trendsum.domain.models import CaseSummary

    source = ("Conwy County Borough Council, in north Wales, employs around 4,500 staff.\n"
              "In 2023 its ICT team ran a year-long programme against phishing emails.\n")  # fmt: skip
    cited = [source.split("\n")[0]]
    summary = CaseSummary(
        title="Phishing resilience", organisation="Council and Government", nation="Wales", year=2023,
        trend="cyber security", ai_application=None,
        overview={"text": "Council and Government", "evidence": cited},
        challenges=[{"text": "Council and Government staff were phished by Acme Government.", "evidence": cited}],
        approach=[], outcomes=[], unintended_consequences=[], lessons=[],
    )  # fmt: skip
    checked = grounding.check(summary, source)
    assert checked.points["overview"].unsupported  # the invented body is no detail to vouch for its name
    assert any("Government" in why for why in checked.points["challenges[0]"].unsupported)
    # with the body the source does name, the bare name still says nothing
    named = summary.model_copy(update={"organisation": "Conwy County Borough Council",
                                       "overview": summary.overview.model_copy(update={"text": "Conwy County Borough Council"})})
    assert "says nothing" in grounding.check(named, source).points["overview"].unsupported[0]
