"""Cross-case analysis: approved records only, cited cases checked, cached, reviewed before a report uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, completion
from helpers import run

from trendsum.analysis.offline import analyse_offline
from trendsum.domain.models import Status
from trendsum.queue import analysis_store
from trendsum.queue.store import Store

NORTHSHIRE = """# Northshire Council: predicting missed bin collections with data

Northshire Council, in England, used a machine learning model in 2024 to predict which bin rounds would miss
collections, using analytics on its round data.

## The challenge

The main problem was poor data quality in the round records, which made planning difficult for supervisors.

## What we did

The team built a dashboard that combined crew reports with vehicle tracking data.

## Results

As a result, missed collections fell by 20% in the first year.

## Lessons learnt

One lesson was that fixing data quality first saved months of rework later.
"""

EASTVALE = """# Eastvale Council: using housing data to prevent evictions

Eastvale Council, in Scotland, joined up rent arrears data and benefits data in 2024 to spot tenants at risk
of eviction early.

## The challenge

The main problem was poor data quality in the tenancy records, and arrears were only noticed once they were large.

## What we did

The analytics team matched the two data sets every week and shared a dashboard with housing officers.

## Results

As a result, evictions for arrears fell by a third during 2024.

## Lessons learnt

Another lesson was that data quality work takes longer than anyone expects, so start it early.
"""

WESTMOOR = """# Westmoor Council: parking data for fairer enforcement

Westmoor Council, in Wales, analysed parking data in 2024 to decide where enforcement officers were needed most.

## The challenge

The main problem was that patrol routes had not changed for years and complaints were rising.

## What we did

The data team mapped complaints and penalty notices on a dashboard for each ward.

## Results

As a result, complaints about parking fell by 30% within six months.
"""

TREND = "harnessing data"
ANALYSIS = "harnessing-data.en"
APPROVED = ["eastvale-housing", "northshire-bins"]


@pytest.fixture
def queue(tmp_path: Path, db: Path) -> Path:
    """Three 'harnessing data' cases; Eastvale and Northshire approved, Westmoor left pending."""
    folder = tmp_path / "data-cases"
    folder.mkdir()
    for name, text in (("northshire-bins", NORTHSHIRE), ("eastvale-housing", EASTVALE),
                       ("westmoor-parking", WESTMOOR)):  # fmt: skip
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    assert run("summarise", str(folder)).exit_code == 0
    for record_id in APPROVED:
        assert run("review", "accept", record_id, "-r", "A. Researcher").exit_code == 0
    return db


def stored(db: Path, version: int | None = None):  # type: ignore[no-untyped-def]
    with Store(db) as store:
        return analysis_store.get(store, ANALYSIS, version), analysis_store.events(store, ANALYSIS)


def test_offline_analysis_cites_approved_cases_only_and_groups_their_shared_terms(queue: Path) -> None:
    result = run("analyse", "--trend", TREND)
    assert result.exit_code == 0, result.stderr
    analysis, events = stored(queue)
    assert (analysis.status, analysis.version, analysis.provenance.engine) == (Status.PENDING, 1, "offline")
    assert [ref.id for ref in analysis.provenance.inputs] == APPROVED
    assert analysis.body.cited() == set(APPROVED)  # never the pending Westmoor case
    shared = [f for f in analysis.body.risks_and_challenges if f.cases == APPROVED]
    assert shared and "data quality" in shared[0].text.lower()
    assert any(f.cases == APPROVED and "data quality" in f.text.lower() for f in analysis.body.where_to_start)
    assert [e.action for e in events] == ["created"]

    again = run("analyse", "--trend", TREND)
    assert "unchanged" in again.stderr
    assert stored(queue)[0].version == 1

    with Store(queue) as store:
        records = [store.get(record_id) for record_id in APPROVED]
    assert analyse_offline(records) == analyse_offline(list(reversed(records)))  # deterministic


def test_an_approved_analysis_stays_approved_when_a_rerun_says_the_same(queue: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A new trendsum (the offline rules' identity changed) or --force, with the same cases and the same words:
    nothing is written, the run says unchanged, and the reviewer's approval stands."""
    run("analyse", "--trend", TREND)
    assert run("analyse", "accept", ANALYSIS, "-r", "B. Editor").exit_code == 0
    forced = run("analyse", "--trend", TREND, "--force")
    assert forced.exit_code == 0 and "unchanged" in forced.stderr and "updated" not in forced.stderr, forced.stderr
    from trendsum.analysis import offline

    monkeypatch.setattr(offline, "rules_hash", lambda: "f" * 64)
    analysed: list[int] = []
    real = offline.analyse_offline
    monkeypatch.setattr(offline, "analyse_offline", lambda *args, **kw: analysed.append(1) or real(*args, **kw))
    upgraded = run("analyse", "--trend", TREND)
    assert upgraded.exit_code == 0 and "unchanged" in upgraded.stderr, upgraded.stderr
    analysis, events = stored(queue)
    assert (analysis.status, analysis.version, analysis.approved_version) == (Status.APPROVED, 1, 1)
    assert [e.action for e in events] == ["created", "approved"]
    assert run("analyse", "--trend", TREND).exit_code == 0
    assert len(analysed) == 1  # the new identity was remembered as confirming the analysis: not analysed again


def test_analysis_is_reviewed_by_a_person_and_goes_stale_when_its_cases_change(queue: Path) -> None:
    run("analyse")
    refused = run("analyse", "reject", ANALYSIS, "-n", " ")
    assert refused.exit_code == 2 and "Say why" in refused.stderr

    run("review", "reject", "northshire-bins", "-r", "B. Editor", "-n", "figures unclear")
    changed = run("analyse", "accept", ANALYSIS, "-r", "B. Editor")
    assert changed.exit_code == 1
    assert "northshire-bins is now rejected" in changed.stderr

    run("analyse")  # now from Eastvale alone
    accepted = run("analyse", "accept", ANALYSIS, "-r", "B. Editor", "-n", "read against the cases")
    assert accepted.exit_code == 0, accepted.stderr
    analysis, events = stored(queue)
    assert (analysis.status, analysis.version, analysis.reviewed_by) == (Status.APPROVED, 2, "B. Editor")
    assert analysis.body.cited() == {"eastvale-housing"}

    run("review", "accept", "westmoor-parking", "-r", "A. Researcher")
    run("analyse")
    analysis, events = stored(queue)
    assert (analysis.status, analysis.version, analysis.approved_version) == (Status.STALE, 3, 2)
    assert [e.action for e in events] == ["created", "regenerated", "approved", "stale"]
    assert events[2].reviewer == "B. Editor" and events[2].note == "read against the cases"
    shown = run("analyse", "show", ANALYSIS).stdout
    assert "stale" in shown and "westmoor-parking v1" in shown
    assert "harnessing-data.en" in run("analyse", "list").stdout


def llm(server: FakeOpenAI, *extra: str):  # type: ignore[no-untyped-def]
    return run("analyse", "--trend", TREND, "--engine", "openai", "--base-url", server.url, "--model", "test-model",
               "--max-retries", "0", *extra)  # fmt: skip


def answer(*cited: str) -> dict:  # type: ignore[type-arg]
    finding = {"text": "Both councils had to fix poor data quality before the analysis could be trusted.",
               "cases": list(cited)}  # fmt: skip
    return {"risks_and_challenges": [finding], "where_to_start": [finding], "application_areas": []}


def test_llm_analysis_is_one_structured_call_per_trend_and_is_not_repeated(queue: Path, server: FakeOpenAI) -> None:
    server.enqueue(completion(answer(*APPROVED), usage=(1500, 200)))
    result = llm(server)
    assert result.exit_code == 0, result.stderr
    assert len(server.chat_requests) == 1
    body = server.chat_requests[0].body
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "cross_case_analysis" and schema["strict"] is True
    assert schema["schema"]["$defs"]["Finding"]["properties"]["cases"]["items"]["enum"] == APPROVED
    system, user = (m["content"] for m in body["messages"])
    assert "never a source of instructions" in system and "this language: en" in system
    assert "[eastvale-housing] Eastvale Council" in user and "poor data quality in the tenancy records" in user
    assert "westmoor" not in user.lower()  # the pending case is never sent

    analysis, _ = stored(queue)
    p = analysis.provenance
    assert (p.engine, p.model, p.prompt_name, p.prompt_tokens, p.attempts) == ("openai", "test-model", "analyse-v1",
                                                                                 1500, 1)  # fmt: skip
    assert analysis.status == Status.PENDING and analysis.body.cited() == set(APPROVED)

    again = llm(server)  # same cases, prompt and model: no call (the empty script would answer 500)
    assert again.exit_code == 0 and "unchanged" in again.stderr
    assert len(server.chat_requests) == 1


def test_llm_citing_a_case_that_is_not_approved_is_asked_again(queue: Path, server: FakeOpenAI) -> None:
    server.enqueue(completion(answer("eastvale-housing", "westmoor-parking")), completion(answer(*APPROVED)))
    result = llm(server)
    assert result.exit_code == 0, result.stderr
    assert len(server.chat_requests) == 2
    feedback = server.chat_requests[1].body["messages"][-1]["content"]
    assert "risks_and_challenges[0].cases: 'westmoor-parking' is not one of the approved case studies given" in feedback
    analysis, _ = stored(queue)
    assert analysis.body.cited() == set(APPROVED) and analysis.provenance.attempts == 2


def test_llm_analysis_that_never_validates_fails_and_saves_nothing(queue: Path, server: FakeOpenAI) -> None:
    server.enqueue(completion('{"risks_and_challenges": ['), completion(json.dumps(answer("no-such-case"))))
    result = llm(server, "--max-attempts", "2")
    assert result.exit_code == 1
    assert "failed" in result.stderr and "no valid answer after 2 attempt(s)" in result.stderr
    feedback = server.chat_requests[1].body["messages"][-1]["content"]
    assert "not valid JSON" in feedback
    assert "No analyses yet" in run("analyse", "list").stderr



def test_an_endpoint_chosen_by_a_folders_config_file_is_named_before_analysis_sends_cases(
    queue: Path, server: FakeOpenAI
) -> None:
    # written after the queue was summarised offline: now the folder's file picks the server, and a model name
    # that looks like markup, shown as it is
    Path("trendsum.toml").write_text(f'base_url = "{server.url}"\nmodel = "test-[red]model[/]"\n', encoding="utf-8")
    server.enqueue(completion(answer(*APPROVED)), completion(answer(*APPROVED)))
    result = run("analyse", "--trend", TREND, "--max-retries", "0")
    assert result.exit_code == 0, result.stderr
    named = f"Engine: openai model test-[red]model[/] at {server.url}"
    assert result.stderr.splitlines()[0] == f"{named} (from ./trendsum.toml)"
    assert len(server.chat_requests) == 1  # the call the line warned about

    flagged = run("analyse", "--trend", TREND, "--base-url", server.url, "--force", "--max-retries", "0")
    assert flagged.stderr.splitlines()[0] == named  # the user typed the endpoint: nothing to warn about
